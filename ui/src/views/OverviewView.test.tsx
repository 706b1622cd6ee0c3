import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, configure, fireEvent, screen, waitFor } from "@testing-library/react";
import { OverviewView } from "./OverviewView";
import { setBackend } from "../backend";
import type { DeploymentSummary, NodeState, Overview } from "../bindings";
import { fakeBackend, renderWithJobs } from "../testing";

configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

const NOW = "2026-12-01T12:00:00Z";
const demo: DeploymentSummary = {
  id: "d-demo", name: "demo", method: "no_pause", is_demo: true, has_admin_endpoints: false,
  last_backup: null, last_window: null, latest_point: null,
  attention: [{ kind: "no_backup", message: "No backup yet.", view: "backups", target: "d-demo" }],
};
const healthy: DeploymentSummary = {
  id: "d-ok", name: "payments", method: "no_pause", is_demo: false, has_admin_endpoints: false,
  last_backup: { id: "20261201T100000Z-aaa", started_at: "2026-12-01T10:00:00Z", bytes: 3 * 1048576, status: "ok", verified_at: "2026-12-01T10:05:00Z" },
  last_window: null,
  latest_point: { at_ms: Date.parse("2026-12-01T10:00:01Z"), source: "backup", id: "20261201T100000Z-aaa" },
  attention: [],
};
const troubled: DeploymentSummary = {
  id: "d-bad", name: "ledger", method: "pause", is_demo: false, has_admin_endpoints: true,
  last_backup: { id: "20261128T100000Z-bbb", started_at: "2026-11-28T10:00:00Z", bytes: 1024, status: "verification_failed", verified_at: "2026-11-28T11:00:00Z" },
  last_window: { id: "w1", status: "unsafe", start_ms: Date.parse("2026-11-30T10:00:00Z"), end_ms: Date.parse("2026-11-30T10:00:02Z") },
  latest_point: null,
  attention: [
    { kind: "stale_backup", message: "No backup for 74 hours (the last: 20261128T100000Z-bbb).", view: "backups", target: "d-bad" },
    { kind: "verification_failed", message: "The last backup's verification failed: 2 rows differ", view: "backups", target: "20261128T100000Z-bbb" },
    { kind: "unsafe_window", message: "The last pause window cannot be a restore point: node-1 unpaused early", view: "restore-points", target: "w1" },
  ],
};
const pausedNodes: NodeState[] = [
  { node: { address: "10.0.0.1:60053" }, paused: true, error: null },
  { node: { address: "10.0.0.2:60053" }, paused: false, error: null },
] as unknown as NodeState[];

describe("OverviewView", () => {
  it("on the first start offers to back the demo up, then to restore it, and starts the backup itself", async () => {
    const ov: Overview = { now: NOW, deployments: [demo], other: [], first_start: true };
    const startBackup = vi.fn().mockReturnValue(new Promise(() => {}));
    setBackend(fakeBackend({ overview: vi.fn().mockResolvedValue(ov), startBackup }));
    const onGo = vi.fn();
    renderWithJobs(<OverviewView onGo={onGo} />);
    const first = await screen.findByTestId("first-backup");
    const restore = screen.getByTestId("first-restore") as HTMLButtonElement;
    // Restoring needs a backup: disabled, and the reason is its description.
    expect(restore.disabled).toBe(true);
    expect(document.getElementById(restore.getAttribute("aria-describedby")!)?.textContent).toContain("after the first backup");
    fireEvent.click(first);
    await waitFor(() => expect(startBackup).toHaveBeenCalled());
    expect(startBackup.mock.calls[0][0]).toBe("d-demo");
    expect(onGo).toHaveBeenCalledWith({ view: "backups", deploymentId: "d-demo", target: null });
  });

  it("shows each deployment's state in words and sends each attention item to the view that fixes it", async () => {
    const ov: Overview = { now: NOW, deployments: [healthy, troubled], other: [], first_start: false };
    setBackend(fakeBackend({ overview: vi.fn().mockResolvedValue(ov), nodesState: vi.fn().mockResolvedValue(pausedNodes) }));
    const onGo = vi.fn();
    renderWithJobs(<OverviewView onGo={onGo} />);
    expect((await screen.findByTestId("overview-payments-state")).textContent).toContain("OK");
    expect(screen.getByTestId("overview-payments-backup").textContent).toBe("2 h ago · 3.0 MB · verified");
    expect(screen.queryByTestId("first-steps")).toBeNull();
    // The paused node, learnt after the overview painted, is one more item.
    await waitFor(() => expect(screen.getByTestId("overview-ledger-nodes").textContent).toBe("2 nodes, 1 paused"));
    expect(screen.getByTestId("overview-ledger-state").textContent).toBe("⚠ 4 to fix");
    expect(screen.getByTestId("overview-ledger-backup").textContent).toContain("verification failed");
    expect(screen.getByTestId("overview-summary").textContent).toContain("4 items need attention");
    const card = screen.getByTestId("overview-ledger");
    const items = card.querySelectorAll("ul.attention li");
    expect([...items].map((li) => li.getAttribute("data-kind"))).toEqual(["stale_backup", "verification_failed", "unsafe_window", "node_paused"]);
    fireEvent.click(items[2].querySelector("button")!);
    expect(onGo).toHaveBeenLastCalledWith({ view: "restore-points", deploymentId: "d-bad", target: "w1" });
    fireEvent.click(items[3].querySelector("button")!);
    expect(onGo).toHaveBeenLastCalledWith({ view: "pause", deploymentId: "d-bad", target: null });
    // The latest safe point opens the timeline on it.
    fireEvent.click(screen.getByRole("button", { name: /Restore point 2026-12-01 05:00:01 -05:00, from a backup/ }));
    expect(onGo).toHaveBeenLastCalledWith({ view: "restore-points", deploymentId: "d-ok", target: "20261201T100000Z-aaa" });
  });
});
