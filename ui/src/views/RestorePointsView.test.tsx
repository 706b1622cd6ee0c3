import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { RestorePointsView } from "./RestorePointsView";
import { BackendError, setBackend } from "../backend";
import type { Deployment, Pick, Runbook, Timeline, WindowMark } from "../bindings";
import { columnsOf, fakeBackend } from "../testing";

configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);
// jsdom has no canvas: the display list is tested in timeline.test.ts, the pixels through WebDriver.
HTMLCanvasElement.prototype.getContext = (() => null) as unknown as HTMLCanvasElement["getContext"];
// jsdom has no layout either: give elements a size so the virtualized list renders a page.
Object.defineProperty(HTMLElement.prototype, "clientHeight", { configurable: true, get: () => 320 });
Object.defineProperty(HTMLElement.prototype, "clientWidth", { configurable: true, get: () => 600 });

const dep = { id: "d1", name: "payments", storages: [{ name: "dyn", profile_id: "p1" }] } as unknown as Deployment;
const T = Date.UTC(2026, 10, 30, 14, 0, 0);

function win(id: string, start: number, ok: boolean): WindowMark {
  return {
    id, status: ok ? "ok" : "unsafe", start_ms: start, end_ms: start + 5000, safe_from_ms: ok ? start + 100 : null,
    safe_to_ms: ok ? start + 4900 : null, point_ms: ok ? start + 2500 : null, backup_id: null, snapshots: [],
    refusals: ok ? [] : ["the window is unsafe: a node unpaused by itself"], reach: [],
  };
}

const timeline: Timeline = {
  deployment: "payments", deployment_id: "d1", now_ms: T + 3_600_000,
  lanes: [{ storage: "dyn", profile: "dyn", kind: "dynamo", flavor: "cloud", label: "DynamoDB", restores_by: "pitr",
    pitr: { earliest_ms: T - 35 * 86_400_000, latest_ms: T + 3_300_000, basis: "latest: now − 300 s" }, archive: null }],
  windows: [win("w-old", T, true), win("w-bad", T + 600_000, false)],
  backups: [], damaged: [],
};

const pick: Pick = {
  deployment: "payments", point_ms: T + 2500, utc: "2026-11-30T14:00:02.500Z", local: "2026-11-30T15:00:02.500+01:00",
  window_id: "w-old", backup_id: null, picked_by: "window",
  sources: [{ storage: "dyn", label: "DynamoDB", restores_by: "pitr", from: "point-in-time restore to 2026-11-30T14:00:02.500Z" }], notes: [],
};

const runbook: Runbook = {
  deployment: "payments", deployment_id: "d1", key: "0123456789abcdef", point: pick, generated_at: "2026-12-01T00:00:00Z", schema: null, env: [],
  sections: [
    { id: "before", title: "Before you start", storage: null, restores_by: null, tables: [], tables_source: "", steps: [
      { key: "before:stop", title: "Stop ScalarDB", detail: "Scale it to zero.", commands: [], destructive: false, manual: true }] },
    { id: "storage-dyn", title: "Storage dyn: DynamoDB", storage: "dyn", restores_by: "pitr", tables: ["prod_sales.orders"], tables_source: "the schema file", steps: [
      { key: "dyn:drop-original", title: "Delete each original table", detail: "Deletes data.", destructive: true, manual: false,
        commands: [{ argv: [{ t: "lit", v: "aws" }], capture: null, capture_array: null, until: null, stdin: null, line: "aws dynamodb delete-table --table-name='prod_sales.orders'" }] }] },
  ],
};

describe("RestorePointsView", () => {
  it("lists every point with its state in words, moves by keys, picks, refuses a typed time with the reason, and keeps runbook ticks", async () => {
    const b = fakeBackend({
      listDeployments: vi.fn().mockResolvedValue([dep]),
      getTimeline: vi.fn().mockResolvedValue(columnsOf(timeline)),
      pickPoint: vi.fn().mockImplementation((_d, at) =>
        at.by === "time"
          ? Promise.reject(new BackendError({ code: "invalid_input", message: "after DynamoDB's latest restorable time 2026-11-30T14:55:00Z", fields: [] }))
          : Promise.resolve(pick),
      ),
      getRunbook: vi.fn().mockResolvedValue([runbook, { done: ["before:stop"] }]),
      setRunbookTick: vi.fn().mockResolvedValue({ done: ["before:stop", "dyn:drop-original"] }),
    });
    setBackend(b);
    render(<RestorePointsView />);
    const list = await screen.findByTestId("points-list");
    expect(list.getAttribute("role")).toBe("listbox");
    // Newest first; the unsafe one says so in words.
    await within(list).findByTestId("point-w-bad");
    expect(within(list).getByTestId("point-w-bad").textContent).toContain("✗ not a point");
    expect(within(list).getByTestId("point-w-bad").textContent).toContain("a node unpaused by itself");
    expect(within(list).getByTestId("point-w-old").textContent).toContain("✓ safe");
    expect(screen.getByTestId("lane-dyn").textContent).toContain("pitr");
    expect(screen.getByTestId("schema-box").textContent).toContain("No ScalarDB schema file attached");

    // The canvas is one tab stop: arrows select windows, the live region reads them out.
    const canvas = screen.getByTestId("timeline-canvas");
    expect(canvas.getAttribute("tabindex")).toBe("0");
    fireEvent.keyDown(canvas, { key: "ArrowRight" });
    await waitFor(() => expect(screen.getByTestId("timeline-live").textContent).toContain("restore point 2026-11-30 09:00:02.500 -05:00"));
    expect(within(list).getByTestId("point-w-old").getAttribute("aria-selected")).toBe("true");
    fireEvent.keyDown(canvas, { key: "ArrowRight" });
    await waitFor(() => expect(screen.getByTestId("timeline-live").textContent).toContain("not a restore point"));
    fireEvent.keyDown(canvas, { key: "Home" });
    // Zoom from keys and buttons changes the span shown.
    const span = screen.getByTestId("timeline-span").textContent;
    fireEvent.keyDown(canvas, { key: "+" });
    await waitFor(() => expect(screen.getByTestId("timeline-span").textContent).not.toBe(span));
    fireEvent.click(screen.getByTestId("zoom-out"));

    fireEvent.keyDown(canvas, { key: "Enter" });
    await screen.findByTestId("picked");
    expect(b.pickPoint).toHaveBeenCalledWith("d1", { by: "window", value: "w-old" });
    expect((screen.getByTestId("pick-utc") as HTMLInputElement).value).toBe("2026-11-30T14:00:02.500Z");
    expect((screen.getByTestId("pick-local") as HTMLInputElement).value).toBe("2026-11-30T15:00:02.500+01:00");
    expect((screen.getByTestId("pick-epoch-ms") as HTMLInputElement).value).toBe(String(T + 2500));

    fireEvent.click(screen.getByTestId("open-runbook"));
    const rb = await screen.findByTestId("runbook");
    expect(within(rb).getByTestId("tick-before:stop")).toHaveProperty("checked", true);
    expect(within(rb).getByTestId("step-dyn:drop-original").textContent).toContain("⚠ destructive");
    expect(within(rb).getByTestId("step-dyn:drop-original").textContent).toContain("--table-name='prod_sales.orders'");
    fireEvent.click(within(rb).getByTestId("tick-dyn:drop-original"));
    await waitFor(() => expect(within(rb).getByTestId("tick-dyn:drop-original")).toHaveProperty("checked", true));
    expect(b.setRunbookTick).toHaveBeenCalledWith("d1", "0123456789abcdef", "dyn:drop-original", true);

    fireEvent.change(screen.getByTestId("typed-time"), { target: { value: "2026-11-30T14:58:00Z" } });
    fireEvent.submit(screen.getByTestId("typed-time").closest("form")!);
    const refusal = await screen.findByTestId("pick-refusal");
    expect(refusal.getAttribute("role")).toBe("alert");
    expect(refusal.textContent).toContain("after DynamoDB's latest restorable time");
    expect(screen.queryByTestId("picked")).toBeNull();
  });

  it("filters to safe points only", async () => {
    setBackend(fakeBackend({ listDeployments: vi.fn().mockResolvedValue([dep]), getTimeline: vi.fn().mockResolvedValue(columnsOf(timeline)) }));
    render(<RestorePointsView />);
    const list = await screen.findByTestId("points-list");
    await within(list).findByTestId("point-w-bad");
    fireEvent.click(screen.getByTestId("filter-safe"));
    await waitFor(() => expect(within(screen.getByTestId("points-list")).queryByTestId("point-w-bad")).toBeNull());
    expect(within(screen.getByTestId("points-list")).queryByTestId("point-w-old")).not.toBeNull();
  });
});
