import { afterEach, describe, expect, it, vi } from "vitest";
import { act, cleanup, configure, fireEvent, screen, waitFor } from "@testing-library/react";
import { PauseView } from "./PauseView";
import { setBackend } from "../backend";
import type { Deployment, JobEvent, NodeState, PauseWindow } from "../bindings";
import { fakeBackend, renderWithJobs } from "../testing";

configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

const dep = {
  id: "d1", name: "payments", storages: [{ name: "a", profile_id: "p1" }, { name: "b", profile_id: "p2" }],
  admin_endpoints: [{ address: "admin-1:60053", kind: "direct", host: "admin-1", port: 60053, needs_address: false }],
} as unknown as Deployment;

const node = (addr: string, paused: boolean | null): NodeState => ({
  node: { endpoint: "admin-1:60053", host: "admin-1", addr },
  paused,
  error: paused === null ? { status: "connect", reason: null, message: "connection refused" } : null,
});

const window: PauseWindow = {
  schema_version: 1, id: "20261201T100000.000Z-wabc", deployment: "payments", deployment_id: "d1", purpose: "pause", backup_id: null,
  status: "ok", safe: true, problems: [], started_at: "2026-12-01T10:00:00.000Z", ended_at: "2026-12-01T10:00:05.000Z",
  pause_start_timestamp_ms: 1796119200000, pause_end_timestamp_ms: 1796119205000, pause_start_date_time: "2026-12-01T10:00:00.000+00:00",
  pause_end_date_time: "2026-12-01T10:00:05.000+00:00", paused_ms: 5000,
  nodes: [{ node: { endpoint: "admin-1:60053", host: "admin-1", addr: "10.0.0.1:60053" }, paused: true, unpaused: true, attempts: 1, error: null, note: null }],
  offsets: [{ source: "ledger-pg", offset_ms: 12.5, uncertainty_ms: 0.4, how: "measured" }],
  safe_from: "2026-12-01T10:00:00.013Z", safe_to: "2026-12-01T10:00:05.012Z", restore_point: "2026-12-01T10:00:02.512Z", restore_point_ms: 1796119202512,
  hooks: [], user: "dba", host: "ws1",
};

describe("PauseView", () => {
  it("shows each node's state in words, pauses and holds with a countdown, and gives the restore point to copy", async () => {
    let emit: (e: JobEvent) => void = () => {};
    let finish: (w: PauseWindow) => void = () => {};
    const b = fakeBackend({
      listDeployments: vi.fn().mockResolvedValue([dep]),
      nodesState: vi.fn().mockResolvedValue([node("10.0.0.1:60053", false), node("10.0.0.2:60053", null)]),
      startPause: vi.fn().mockImplementation((_d, _min, _max, _j, onEvent) => {
        emit = onEvent;
        return new Promise<PauseWindow>((res) => (finish = res));
      }),
    });
    setBackend(b);
    renderWithJobs(<PauseView />);
    const row = await screen.findByTestId("node-10.0.0.1:60053");
    expect(row.textContent).toContain("▶ running");
    expect(screen.getByTestId("node-10.0.0.2:60053").textContent).toContain("✗ unreachable: connect");
    fireEvent.change(screen.getByTestId("pause-min"), { target: { value: "2" } });
    fireEvent.click(screen.getByTestId("start-pause"));
    expect(b.startPause).toHaveBeenCalledWith("d1", 2000, 30000, expect.any(String), expect.any(Function));
    act(() => emit({ kind: "phase", phase: "paused", message: "Paused 1 node(s)" }));
    const timer = await screen.findByTestId("pause-countdown");
    expect(timer.getAttribute("role")).toBe("timer");
    expect(timer.textContent).toMatch(/s left to hold/);
    await act(async () => finish(window));
    const report = await screen.findByTestId("window-report");
    expect(report.getAttribute("data-status")).toBe("ok");
    expect(report.textContent).toContain("✓ a safe restore point");
    expect((screen.getByTestId("restore-point-utc") as HTMLInputElement).value).toBe("2026-12-01T10:00:02.512Z");
    expect((screen.getByTestId("restore-point-epoch-ms") as HTMLInputElement).value).toBe("1796119202512");
    expect((screen.getByTestId("restore-point-local") as HTMLInputElement).value).toMatch(/[+-]\d\d:\d\d$/);
  });

  it("says an unsafe window is no restore point, and unpauses every node only after a confirmation", async () => {
    const unsafe: PauseWindow = { ...window, status: "unsafe", safe: false, restore_point: null, restore_point_ms: null, problems: ["10.0.0.1:60053 was found unpaused"] };
    const b = fakeBackend({
      listDeployments: vi.fn().mockResolvedValue([dep]),
      nodesState: vi.fn().mockResolvedValue([node("10.0.0.1:60053", true)]),
      startPause: vi.fn().mockResolvedValue(unsafe),
      unpauseDeployment: vi.fn().mockResolvedValue([node("10.0.0.1:60053", false)]),
    });
    setBackend(b);
    renderWithJobs(<PauseView />);
    expect((await screen.findByTestId("node-10.0.0.1:60053")).textContent).toContain("‖ paused");
    fireEvent.click(screen.getByTestId("start-pause"));
    const report = await screen.findByTestId("window-report");
    expect(report.textContent).toContain("✗ unsafe: not a restore point");
    expect(report.textContent).toContain("found unpaused");
    expect(screen.queryByTestId("restore-point")).toBeNull();
    fireEvent.click(screen.getByTestId("unpause-all"));
    await screen.findByTestId("unpause-dialog");
    expect(b.unpauseDeployment).not.toHaveBeenCalled();
    fireEvent.click(screen.getByTestId("confirm-unpause"));
    await waitFor(() => expect(b.unpauseDeployment).toHaveBeenCalledWith("d1"));
    expect((await screen.findByTestId("pause-notice")).textContent).toContain("1 of 1 node(s) now running");
  });
});
