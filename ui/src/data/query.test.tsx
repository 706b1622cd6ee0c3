import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import type { Deployment } from "../bindings";
import { setBackend } from "../backend";
import { fakeBackend } from "../testing";
import { invalidate, useDeployments } from "./query";

afterEach(cleanup);

const dep = (name: string) => ({ id: name, name }) as unknown as Deployment;

function Names({ testid }: { testid: string }) {
  const q = useDeployments();
  return <div data-testid={testid} data-fresh={String(q.fresh)}>{q.list.map((d) => d.name).join(",")}</div>;
}

describe("shared lists", () => {
  it("loads once for every view showing the list, and reads it again for all when invalidated", async () => {
    let names = ["a"];
    const listDeployments = vi.fn().mockImplementation(async () => names.map(dep));
    setBackend(fakeBackend({ listDeployments }));
    render(<><Names testid="one" /><Names testid="two" /></>);
    await waitFor(() => expect(screen.getByTestId("two").textContent).toBe("a"));
    expect(screen.getByTestId("one").textContent).toBe("a");
    expect(listDeployments).toHaveBeenCalledTimes(1);
    names = ["a", "b"];
    await act(async () => {
      expect((await invalidate<Deployment[]>("deployments"))?.map((d) => d.name)).toEqual(["a", "b"]);
    });
    expect(screen.getByTestId("one").textContent).toBe("a,b");
    expect(screen.getByTestId("two").textContent).toBe("a,b");
  });

  it("shows what was read at once to a view that opens, and says when its own read has ended", async () => {
    let release: () => void = () => {};
    let calls = 0;
    const listDeployments = vi.fn().mockImplementation(() => (calls++ === 0 ? Promise.resolve([dep("old")]) : new Promise((res) => (release = () => res([dep("new")])))));
    setBackend(fakeBackend({ listDeployments }));
    render(<Names testid="first" />);
    await waitFor(() => expect(screen.getByTestId("first").getAttribute("data-fresh")).toBe("true"));
    cleanup();
    render(<Names testid="again" />);
    // The cached list shows while the view reads it again; what to preselect waits for the new one.
    expect(screen.getByTestId("again").textContent).toBe("old");
    expect(screen.getByTestId("again").getAttribute("data-fresh")).toBe("false");
    await act(async () => release());
    await waitFor(() => expect(screen.getByTestId("again").textContent).toBe("new"));
    expect(screen.getByTestId("again").getAttribute("data-fresh")).toBe("true");
  });

  it("keeps one cache per backend: a new backend starts with none", async () => {
    setBackend(fakeBackend({ listDeployments: vi.fn().mockResolvedValue([dep("x")]) }));
    render(<Names testid="x" />);
    await waitFor(() => expect(screen.getByTestId("x").textContent).toBe("x"));
    cleanup();
    setBackend(fakeBackend({ listDeployments: vi.fn().mockReturnValue(new Promise(() => {})) }));
    render(<Names testid="y" />);
    expect(screen.getByTestId("y").textContent).toBe("");
  });
});
