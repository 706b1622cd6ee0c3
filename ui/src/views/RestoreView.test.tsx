import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, configure, fireEvent, screen, waitFor } from "@testing-library/react";
import { RestoreView } from "./RestoreView";
import { canRestore, restoreFraction } from "../data/restore";
import { setBackend } from "../backend";
import type { JobEvent, CatalogEntry, Profile, Progress, RestorePreflight, RestoreResult, UnitPreflight } from "../bindings";
import { fakeBackend, pgProfile, renderWithJobs } from "../testing";

configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

const entry: CatalogEntry = {
  kind: "backup", window: null, paused_ms: null, window_id: null, id: "20261125T120000Z-abc", folder: "/b", deployment: "bank", deployment_id: "d1", method: "no_pause", format: "default",
  started_at: "2026-11-25T12:00:00Z", duration_ms: 1500, bytes: 2048, tables: 4, status: "unverified", problem: null,
  units: [{ id: "u1", storages: ["default"], kind: "postgresql", profile: "src-pg", format: "default", bytes: 2048 }], verified_at: null,
};

function unit(over: Partial<UnitPreflight> = {}): UnitPreflight {
  return {
    unit: "u1", storages: ["default"], format: "default", source: "db:5432/app", source_version: "15.20", target: "db2:5432/app",
    target_profile: "prod-pg", target_version: "18.4", checks: [], existing: [], sessions: [], will_replace: false,
    mode: "pg_restore in one transaction", on_failure: "The target exactly as it was", commands: ["zstd -dc -q | pg_restore ..."],
    tables: 4, bytes: 2048, ...over,
  };
}

function preflight(over: Partial<RestorePreflight> = {}, u: Partial<UnitPreflight> = {}): RestorePreflight {
  return {
    backup_id: entry.id, backup_folder: "/b", deployment: "bank", backup_started_at: entry.started_at,
    units: [unit(u)], confirm_name: "prod-pg", order: "one unit",
    checks: [{ name: "integrity", ok: true, message: "1 file(s) match", code: null }],
    will_replace: false, after: ["Restart ScalarDB"], tables: 4, bytes: 2048, ...over,
  };
}

const result: RestoreResult = {
  backup_id: entry.id, targets: [{ unit: "u1", profile: pgProfile.id }], duration_ms: 900, report_path: "/b/verifications/x.json",
  grants_applied: [], after: ["point scalar.db.contact_points at db2"],
  verify: {
    target: "db2:5432/app", profile: "prod-pg", verified_at: "", backup_id: entry.id, passed: true,
    tables: [{ namespace: "bank", table: "accounts", exists: true, expected_rows: 50, expected_exact: true, rows: 50, severity: "info" }],
    findings: [{ severity: "info", code: "row_count", message: "All 4 tables of the backup are present", stops_with: null }],
    audit: {
      audited_at: "", tables: ["bank.accounts"], coordinator_table: "coordinator.state", coordinator_rows: 10, in_flight_records: 1,
      transactions_total: 1, transactions: [{ tx_id: "cc7", coordinator_state: 3, coordinator_row: "cc7", prepared_at: 1, records: [], recovery: "roll_forward", explanation: "the coordinator says COMMITTED" }],
      roll_forward: 1, roll_back: 0, not_yet_expired: 0, torn: 0, committed_unknown_records: 0, committed_unknown_examples: [],
      findings: [], limits: ["both records still PREPARED"],
    },
  },
};

describe("RestoreView", () => {
  it("walks backup -> target -> checks -> restore -> verification", async () => {
    let emit: (e: JobEvent) => void = () => {};
    let finish: (r: RestoreResult) => void = () => {};
    const b = fakeBackend({
      listBackups: vi.fn().mockResolvedValue([entry]),
      restoreDryRun: vi.fn().mockResolvedValue(preflight()),
      startRestore: vi.fn().mockImplementation((_b, _o, _j, onEvent) => {
        emit = onEvent;
        return new Promise<RestoreResult>((res) => (finish = res));
      }),
    });
    setBackend(b);
    renderWithJobs(<RestoreView />);
    await waitFor(() => expect((screen.getByTestId("restore-backup") as HTMLSelectElement).value).toBe(entry.id));
    await waitFor(() => expect((screen.getByTestId("restore-target") as HTMLSelectElement).value).toBe(pgProfile.id));
    fireEvent.click(screen.getByTestId("restore-check"));
    await screen.findByTestId("restore-checks");
    expect(b.restoreDryRun).toHaveBeenCalledWith(entry.id, { targets: [{ unit: "", profile: pgProfile.id }], replace: false, jobs: null, confirm: null, grants: false, grant_to: null, skip_verify: false }, expect.any(String));
    fireEvent.click(screen.getByTestId("start-restore"));
    await screen.findByTestId("restore-running");
    emit({ kind: "progress", phase: "restoring", raw_bytes: 1024, written_bytes: 1024, tables_done: 1, tables_total: 4, pages_done: 0, pages_total: 0,
      rows_done: 0,
      rows_total: 0,
      rows_per_sec: 0, elapsed_secs: 1, rate_bps: 1024, eta_secs: 1 });
    await waitFor(() => expect(screen.getByTestId("restore-progress").getAttribute("aria-valuenow")).toBe("50"));
    emit({ kind: "log", line: "pg_restore: processing data for table \"bank.accounts\"" });
    await waitFor(() => expect(screen.getByTestId("restore-log").textContent).toContain("processing data"));
    finish(result);
    const done = await screen.findByTestId("restore-done");
    expect(done.textContent).toContain("found no errors");
    expect(screen.getByTestId("verify-report").getAttribute("data-passed")).toBe("true");
    expect(screen.getByTestId("audit").textContent).toContain("1 roll forward");
  });

  it("shows what will be replaced and needs the target's name typed", async () => {
    const b = fakeBackend({
      listBackups: vi.fn().mockResolvedValue([entry]),
      restoreDryRun: vi.fn().mockResolvedValue(preflight(
        { will_replace: true },
        { will_replace: true, existing: [{ namespace: "bank", table: "accounts", rows: 51 }] },
      )),
      startRestore: vi.fn().mockResolvedValue(result),
    });
    setBackend(b);
    renderWithJobs(<RestoreView />);
    await waitFor(() => expect((screen.getByTestId("restore-target") as HTMLSelectElement).value).toBe(pgProfile.id));
    fireEvent.click(screen.getByTestId("restore-replace"));
    fireEvent.click(screen.getByTestId("restore-check"));
    expect((await screen.findByTestId("restore-existing")).textContent).toContain("51");
    const start = screen.getByTestId("start-restore") as HTMLButtonElement;
    expect(start.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("restore-confirm"), { target: { value: "prod" } });
    expect(start.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("restore-confirm"), { target: { value: "prod-pg" } });
    expect(start.disabled).toBe(false);
    fireEvent.click(start);
    await screen.findByTestId("restore-done");
    expect(b.startRestore).toHaveBeenCalledWith(entry.id, expect.objectContaining({ replace: true, confirm: "prod-pg" }), expect.any(String), expect.any(Function));
  });

  it("verifies the target on demand and shows a failing report as such", async () => {
    const failing = { ...result.verify!, passed: false, findings: [{ severity: "error" as const, code: "row_count", message: "bank.accounts has 49 rows, the backup recorded 50", stops_with: null }] };
    const b = fakeBackend({ listBackups: vi.fn().mockResolvedValue([entry]), verifyProfile: vi.fn().mockResolvedValue(failing) });
    setBackend(b);
    renderWithJobs(<RestoreView />);
    await waitFor(() => expect((screen.getByTestId("restore-target") as HTMLSelectElement).value).toBe(pgProfile.id));
    fireEvent.click(screen.getByTestId("verify-now"));
    const r = await screen.findByTestId("verify-report");
    expect(r.getAttribute("data-passed")).toBe("false");
    expect(r.textContent).toContain("49 rows");
    expect(b.verifyProfile).toHaveBeenCalledWith(pgProfile.id, entry.id, null, expect.any(String));
  });

  it("gives a backup of several databases one target per unit, each among profiles of its family", async () => {
    const maria: Profile = { ...pgProfile, id: "p-maria", name: "prod-maria", kind: "mysql", port: 3306 };
    const two: CatalogEntry = {
      ...entry, format: "default", units: [
        { id: "u1", storages: ["default"], kind: "postgresql", profile: "src-pg", format: "default", bytes: 1024 },
        { id: "u2", storages: ["ledger", "coord"], kind: "mysql", profile: "src-maria", format: "default", bytes: 1024 },
      ],
    };
    const pf = preflight(
      { units: [unit(), unit({ unit: "u2", storages: ["ledger", "coord"], target_profile: "prod-maria", mode: "mysql client into fresh databases" })], confirm_name: "prod-pg, prod-maria", order: "MySQL first, then PostgreSQL held open and committed together" },
    );
    const b = fakeBackend({
      listBackups: vi.fn().mockResolvedValue([two]),
      listProfiles: vi.fn().mockResolvedValue([pgProfile, maria]),
      restoreDryRun: vi.fn().mockResolvedValue(pf),
      verifyProfile: vi.fn().mockResolvedValue(result.verify),
    });
    setBackend(b);
    renderWithJobs(<RestoreView />);
    const u1 = (await screen.findByTestId("restore-target-u1")) as HTMLSelectElement;
    expect(screen.queryByTestId("restore-target")).toBeNull();
    // Neither unit's source profile is here: nothing is chosen for the user.
    await waitFor(() => expect(Array.from(u1.options).map((o) => o.value)).toEqual(["", pgProfile.id]));
    expect(u1.value).toBe("");
    expect((screen.getByTestId("restore-check") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(u1, { target: { value: pgProfile.id } });
    fireEvent.change(screen.getByTestId("restore-target-u2"), { target: { value: maria.id } });
    expect(screen.getByLabelText(/Unit u2 \(ledger, coord; mysql, from src-maria\) into/)).toBe(screen.getByTestId("restore-target-u2"));
    fireEvent.click(screen.getByTestId("restore-check"));
    await screen.findByTestId("restore-checks");
    expect(b.restoreDryRun).toHaveBeenCalledWith(two.id, expect.objectContaining({ targets: [{ unit: "u1", profile: pgProfile.id }, { unit: "u2", profile: maria.id }] }), expect.any(String));
    expect(screen.getByTestId("restore-unit-u2").textContent).toContain("mysql client into fresh databases");
    expect(screen.getByTestId("restore-order").textContent).toContain("committed together");
    fireEvent.click(screen.getByTestId("verify-now"));
    await waitFor(() => expect(b.verifyProfile).toHaveBeenCalledTimes(2));
    expect(b.verifyProfile).toHaveBeenCalledWith(maria.id, two.id, "u2", expect.any(String));
  });

  it("starts each unit on the profile it came from and refuses one target for two units", async () => {
    const src: Profile = { ...pgProfile, id: "p-src", name: "src-pg" };
    const other: Profile = { ...pgProfile, id: "p-other", name: "ledger-pg" };
    const two: CatalogEntry = {
      ...entry, units: [
        { id: "u1", storages: ["default"], kind: "postgresql", profile: "src-pg", format: "default", bytes: 1 },
        { id: "u2", storages: ["ledger"], kind: "postgresql", profile: "gone-pg", format: "default", bytes: 1 },
      ],
    };
    setBackend(fakeBackend({ listBackups: vi.fn().mockResolvedValue([two]), listProfiles: vi.fn().mockResolvedValue([src, other]) }));
    renderWithJobs(<RestoreView />);
    await waitFor(() => expect((screen.getByTestId("restore-target-u1") as HTMLSelectElement).value).toBe(src.id));
    expect((screen.getByTestId("restore-target-u2") as HTMLSelectElement).value).toBe("");
    fireEvent.change(screen.getByTestId("restore-target-u2"), { target: { value: src.id } });
    expect((await screen.findByTestId("restore-shared-target")).textContent).toContain("same target");
    expect((screen.getByTestId("restore-check") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(screen.getByTestId("restore-target-u2"), { target: { value: other.id } });
    await waitFor(() => expect(screen.queryByTestId("restore-shared-target")).toBeNull());
    expect((screen.getByTestId("restore-check") as HTMLButtonElement).disabled).toBe(false);
  });

  it("starts from the backup picked in the history", async () => {
    const older = { ...entry, id: "20261124T120000Z-old", started_at: "2026-11-24T12:00:00Z" };
    setBackend(fakeBackend({ listBackups: vi.fn().mockResolvedValue([entry, older]) }));
    renderWithJobs(<RestoreView initialBackup={older.id} />);
    await waitFor(() => expect((screen.getByTestId("restore-backup") as HTMLSelectElement).value).toBe(older.id));
  });

  it("refuses to start when a check failed", () => {
    const failed = preflight({ checks: [{ name: "sessions", ok: false, message: "2 other clients", code: "in_use" }] });
    expect(canRestore(failed, "")).toBe(false);
    expect(canRestore(preflight(), "")).toBe(true);
  });

  it("measures progress by the bytes fed, else pages or tables", () => {
    const p: Progress = { phase: "", raw_bytes: 0, written_bytes: 0, tables_done: 1, tables_total: 4, pages_done: 0, pages_total: 0,
      rows_done: 0,
      rows_total: 0,
      rows_per_sec: 0, elapsed_secs: 0, rate_bps: 0, eta_secs: null };
    expect(restoreFraction(p, 100)).toBe(0.25);
    expect(restoreFraction({ ...p, raw_bytes: 75 }, 100)).toBe(0.75);
    expect(restoreFraction({ ...p, pages_done: 1, pages_total: 10 }, 100)).toBe(0.1);
  });
});
