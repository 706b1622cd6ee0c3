import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { Time } from "./Time";

afterEach(cleanup);

const T = Date.UTC(2026, 11, 7, 14, 7, 45, 123); // 2026-12-07T14:07:45.123Z

// The tests run in New York's zone (vite.config.ts): local is UTC-5 in December.
describe("<Time>", () => {
  it("shows the local time, with UTC in its title and machine-readable datetime", () => {
    render(<Time at="2026-12-07T14:07:45Z" testid="t" />);
    const el = screen.getByTestId("t");
    expect(el.tagName).toBe("TIME");
    expect(el.textContent).toBe("2026-12-07 09:07:45 -05:00");
    expect(el.getAttribute("title")).toBe("2026-12-07T14:07:45Z (UTC)");
    expect(el.getAttribute("datetime")).toBe("2026-12-07T14:07:45Z");
  });

  it("keeps other words (\"2 h ago\") with both times in the title", () => {
    render(<Time at={T} ms testid="t">2 h ago</Time>);
    const el = screen.getByTestId("t");
    expect(el.textContent).toBe("2 h ago");
    expect(el.getAttribute("title")).toBe("2026-12-07 09:07:45.123 -05:00 · 2026-12-07T14:07:45.123Z (UTC)");
  });

  it("copies UTC when the time alone is selected, and a wider selection as it reads", () => {
    render(<p data-testid="p">Started <Time at="2026-12-07T14:07:45Z" testid="t" /></p>);
    const copy = (node: Node) => {
      const range = document.createRange();
      range.selectNodeContents(node);
      const sel = window.getSelection()!;
      sel.removeAllRanges();
      sel.addRange(range);
      const data = new Map<string, string>();
      const clipboardData = { setData: (k: string, v: string) => data.set(k, v), getData: (k: string) => data.get(k) ?? "" };
      fireEvent.copy(screen.getByTestId("t"), { clipboardData });
      return data.get("text/plain");
    };
    expect(copy(screen.getByTestId("t"))).toBe("2026-12-07T14:07:45Z");
    expect(copy(screen.getByTestId("p"))).toBeUndefined();
  });

  it("a missing time is ? and no <time>", () => {
    render(<span data-testid="s"><Time at="" /></span>);
    expect(screen.getByTestId("s").textContent).toBe("?");
    expect(screen.getByTestId("s").querySelector("time")).toBeNull();
  });
});
