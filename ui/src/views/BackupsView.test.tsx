import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, configure, fireEvent, screen, waitFor } from "@testing-library/react";
import { BackupsView } from "./BackupsView";
import { jobFraction as fraction } from "../data/jobs";
import { BackendError, setBackend } from "../backend";
import type { JobEvent, CatalogEntry, Deployment, Progress } from "../bindings";
import { fakeBackend, renderWithJobs } from "../testing";

configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

const dep = { id: "d1", name: "bank", storages: [], admin_endpoints: [] } as unknown as Deployment;
const entry: CatalogEntry = {
  kind: "backup", window: null, paused_ms: null, window_id: null, id: "20261125T120000Z-abc", folder: "/b", deployment: "bank", deployment_id: "d1", method: "no_pause", format: "default",
  started_at: "2026-11-25T12:00:00Z", duration_ms: 1500, bytes: 2048, tables: 4, status: "ok", problem: null,
  units: [{ id: "u1", storages: ["default"], kind: "postgresql", profile: "src-pg", format: "default", bytes: 2048 }],
  verified_at: "2026-11-25T13:00:00Z",
};
const prog = (tables_done: number): Progress => ({
  phase: "dumping", raw_bytes: 1000 * tables_done, written_bytes: 500, tables_done, tables_total: 4, pages_done: 0, pages_total: 0,
      rows_done: 0,
      rows_total: 0,
      rows_per_sec: 0,
  elapsed_secs: 1, rate_bps: 1000, eta_secs: 2,
});

describe("BackupsView", () => {
  it("lists damaged backups and leftovers with what is wrong, in words, and offers no restore for them", async () => {
    const damaged: CatalogEntry = {
      ...entry, id: "20261120T000000Z-bad", folder: "/b/bank/20261120T000000Z-bad", status: "damaged",
      problem: "manifest.json is not a Quiesce manifest (expected value at line 1 column 1)", format: "", bytes: 0,
    };
    const leftover: CatalogEntry = { ...damaged, id: "x.partial", folder: "/b/bank/x.partial", status: "leftover", problem: "an unfinished backup that no job of this machine owns" };
    setBackend(fakeBackend({ listDeployments: vi.fn().mockResolvedValue([dep]), listBackups: vi.fn().mockResolvedValue([entry, damaged, leftover]) }));
    renderWithJobs(<BackupsView onRestore={() => {}} />);
    const row = await screen.findByTestId(`backup-row-${damaged.id}`);
    expect(row.textContent).toContain("damaged");
    expect(row.textContent).toContain("expected value at line 1");
    expect(screen.getByTestId("backup-row-x.partial").textContent).toContain("left over");
    expect(screen.queryByTestId(`restore-${damaged.id}`)).toBeNull();
    expect(screen.getByTestId(`restore-${entry.id}`)).toBeTruthy();
    expect(screen.getByTestId(`backup-row-${entry.id}`).textContent).toContain("✓ verified");
  });

  it("says in words whether a backup was verified, and when its verification failed", async () => {
    const fresh: CatalogEntry = { ...entry, id: "20261126T000000Z-new", status: "unverified", verified_at: null };
    const failed: CatalogEntry = {
      ...entry, id: "20261127T000000Z-bad", status: "verification_failed", problem: "Its latest verification (of db2:5432/app) found errors.",
      units: [...entry.units, { id: "u2", storages: ["coord"], kind: "mysql", profile: "src-maria", format: "default", bytes: 10 }],
    };
    setBackend(fakeBackend({ listDeployments: vi.fn().mockResolvedValue([dep]), listBackups: vi.fn().mockResolvedValue([fresh, failed]) }));
    renderWithJobs(<BackupsView onRestore={() => {}} />);
    expect((await screen.findByTestId(`backup-row-${fresh.id}`)).textContent).toContain("complete, unverified");
    const bad = screen.getByTestId(`backup-row-${failed.id}`);
    expect(bad.textContent).toContain("✗ verification failed");
    expect(bad.textContent).toContain("2 databases");
    expect(bad.querySelector(".badge")?.getAttribute("title")).toContain("found errors");
  });

  it("streams progress and the tool's log, then shows the backup in the history", async () => {
    let emit: (e: JobEvent) => void = () => {};
    let finish: (e: CatalogEntry) => void = () => {};
    let history: CatalogEntry[] = [];
    const b = fakeBackend({
      listDeployments: vi.fn().mockResolvedValue([dep]),
      listBackups: vi.fn().mockImplementation(async () => history),
      startBackup: vi.fn().mockImplementation((_d, _o, _j, onEvent) => {
        emit = onEvent;
        return new Promise<CatalogEntry>((res) => (finish = res));
      }),
    });
    setBackend(b);
    renderWithJobs(<BackupsView />);
    await waitFor(() => expect((screen.getByTestId("backup-deployment") as HTMLSelectElement).value).toBe("d1"));
    fireEvent.click(screen.getByTestId("start-backup"));
    await screen.findByTestId("backup-running");
    expect(b.startBackup).toHaveBeenCalledWith("d1", { format: "default", jobs: null, out: null, max_pause_ms: null }, expect.any(String), expect.any(Function));
    emit({ kind: "phase", phase: "dumping", message: "pg_dump ..." });
    emit({ kind: "log", line: "pg_dump: dumping contents of table \"bank.accounts\"" });
    emit({ kind: "progress", ...prog(1) });
    await waitFor(() => expect(screen.getByTestId("backup-progress").getAttribute("aria-valuenow")).toBe("25"));
    emit({ kind: "progress", ...prog(3) });
    await waitFor(() => expect(screen.getByTestId("backup-progress").getAttribute("aria-valuenow")).toBe("75"));
    expect(screen.getByTestId("backup-log").textContent).toContain("dumping contents of table");
    expect(screen.getByTestId("backup-stats").textContent).toContain("tables 3/4");
    history = [entry];
    finish(entry);
    expect((await screen.findByTestId("backup-done")).textContent).toContain(entry.id);
    await screen.findByTestId(`backup-row-${entry.id}`);
  });

  it("shows a failure with its code and offers to start again", async () => {
    setBackend(fakeBackend({
      listDeployments: vi.fn().mockResolvedValue([dep]),
      startBackup: vi.fn().mockRejectedValue(new BackendError({ code: "unsupported", message: "pg_dump 15 is older than the server (18)", fields: [] })),
    }));
    renderWithJobs(<BackupsView />);
    await waitFor(() => expect((screen.getByTestId("backup-deployment") as HTMLSelectElement).value).toBe("d1"));
    fireEvent.click(screen.getByTestId("start-backup"));
    const e = await screen.findByTestId("backup-error");
    expect(e.textContent).toContain("unsupported");
    expect(screen.getByTestId("start-backup")).toBeTruthy();
  });

  it("computes the fraction from pages when there are pages", () => {
    expect(fraction({ ...prog(1), pages_done: 50, pages_total: 200 })).toBe(0.25);
    expect(fraction({ ...prog(2) })).toBe(0.5);
  });
});
