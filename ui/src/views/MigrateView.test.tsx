import { afterEach, describe, expect, it, vi } from "vitest";
import { cleanup, configure, fireEvent, screen, waitFor } from "@testing-library/react";
import { MigrateView } from "./MigrateView";
import { canMigrate, migrateOptions } from "../data/migrate";
import { setBackend } from "../backend";
import type { Deployment, JobEvent, MigrationPlan, MigrationResult, Profile } from "../bindings";
import { fakeBackend, pgProfile, renderWithJobs } from "../testing";

configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

const lite: Profile = { ...pgProfile, id: "p-lite", name: "demo-sqlite", kind: "sqlite", host: null, port: null, path: "/d/demo.db" } as unknown as Profile;
const dep = {
  id: "d1", name: "bank", transaction_manager: "consensus_commit", storages: [{ name: "default", profile_id: lite.id }],
  namespace_mapping: [], default_storage: "default", coordinator_namespace: "coordinator", system_namespace: "scalardb",
  admin_endpoints: [], admin_tls: false, admin_ca_file: null, admin_authority: null, pause_hooks: [], storages_known: true, source: null, created_at: "", updated_at: "",
} as unknown as Deployment;

function plan(over: Partial<MigrationPlan> = {}): MigrationPlan {
  return {
    deployment: "bank", scalardb_version: "3.19.0",
    targets: [{ storage: "default", profile: "prod-pg", engine: "PostgreSQL", units: ["default"], collation: null }],
    tables: [{
      namespace: "bank", table: "accounts", source_storage: "default", target_storage: "default", rows: 50,
      columns: [
        { name: "id", scalar_type: "INT", target_type: "INT", role: "PARTITION" },
        { name: "balance", scalar_type: "BIGINT", target_type: "BIGINT", role: "" },
        { name: "tx_id", scalar_type: "TEXT", target_type: "TEXT", role: "" },
      ],
      ddl: ['CREATE TABLE "bank"."accounts"("id" INT,"balance" BIGINT,"tx_id" TEXT, PRIMARY KEY ("id"))'],
      in_metadata: true,
    }],
    checks: [
      { name: "names", ok: true, message: "every name fits the target", code: null },
      { name: "empty_target", ok: true, message: "prod-pg holds none of the namespaces", code: null },
    ],
    mapping: [{ namespace: "bank", storage: "default" }, { namespace: "coordinator", storage: "default" }],
    properties: "scalar.db.storage=jdbc\nscalar.db.contact_points=jdbc:postgresql://db:5432/app\nscalar.db.username=scalar\n",
    notes: ["Restart ScalarDB with the new properties."], leftovers: [], ...over,
  };
}

const result = (p: MigrationPlan): MigrationResult => ({
  plan: p, paused_ms: null, elapsed_secs: 1.5, properties_file: null, source_audit: null,
  proofs: [{ table: "bank.accounts", source_rows: 50, target_rows: 50, source_fingerprint: "ab".repeat(32), target_fingerprint: "ab".repeat(32), secs: 0.1 }],
  target_audit: {
    audited_at: "", tables: ["bank.accounts"], coordinator_table: "coordinator.state", coordinator_rows: 10, in_flight_records: 2, transactions_total: 2,
    transactions: [], roll_forward: 1, roll_back: 1, not_yet_expired: 0, torn: 0, committed_unknown_records: 0, committed_unknown_examples: [], findings: [], limits: [],
  },
});

function setup(over: Parameters<typeof fakeBackend>[0] = {}) {
  const b = fakeBackend({ listDeployments: vi.fn().mockResolvedValue([dep]), listProfiles: vi.fn().mockResolvedValue([pgProfile, lite]), ...over });
  setBackend(b);
  renderWithJobs(<MigrateView />);
  return b;
}

describe("MigrateView", () => {
  it("walks source -> targets -> checks (layout per table) -> migrate with rows/s -> proof and properties", async () => {
    let emit: (e: JobEvent) => void = () => {};
    let finish: (r: MigrationResult) => void = () => {};
    const b = setup({
      migrateDryRun: vi.fn().mockResolvedValue(plan()),
      startMigration: vi.fn().mockImplementation((_d, _o, _j, onEvent) => {
        emit = onEvent;
        return new Promise<MigrationResult>((res) => (finish = res));
      }),
    });
    await waitFor(() => expect((screen.getByTestId("migrate-deployment") as HTMLSelectElement).value).toBe("d1"));
    const check = screen.getByTestId("migrate-check") as HTMLButtonElement;
    expect(check.disabled).toBe(true);
    fireEvent.change(screen.getByTestId("migrate-target-default"), { target: { value: pgProfile.id } });
    expect(check.disabled).toBe(false);
    fireEvent.click(check);
    const checks = await screen.findByTestId("migrate-checks");
    expect(b.migrateDryRun).toHaveBeenCalledWith("d1", {
      to: [{ unit: "default", profile: pgProfile.id }], scalardb_version: "3.19", mysql_key_size: null, binary_collation: false, no_pause: false,
      from_backup: null, scratch: [], max_pause_ms: null,
    }, expect.any(String));
    expect(screen.getByTestId("migrate-table-bank.accounts").textContent).toContain("BIGINT");
    expect(checks.textContent).toContain("✓ names");
    fireEvent.click(screen.getByTestId("start-migration"));
    await screen.findByTestId("migrate-running");
    emit({ kind: "progress", phase: "copying", raw_bytes: 0, written_bytes: 0, tables_done: 0, tables_total: 1, pages_done: 0, pages_total: 0,
      rows_done: 25, rows_total: 50, rows_per_sec: 1200, elapsed_secs: 1, rate_bps: 0, eta_secs: 1 });
    await waitFor(() => expect(screen.getByTestId("migrate-progress").getAttribute("aria-valuenow")).toBe("50"));
    expect(screen.getByTestId("migrate-stats").textContent).toContain("1,200 rows/s");
    finish(result(plan()));
    const done = await screen.findByTestId("migrate-done");
    expect(done.textContent).toContain("✓ same");
    expect(screen.getByTestId("migrate-properties").textContent).toContain("jdbc:postgresql://db:5432/app");
    expect(screen.getByTestId("migrate-audit").textContent).toContain("Target");
    fireEvent.change(screen.getByTestId("migrate-props-path"), { target: { value: "/tmp/new.properties" } });
    fireEvent.click(screen.getByTestId("migrate-props-save"));
    await waitFor(() => expect(b.saveProperties).toHaveBeenCalledWith("/tmp/new.properties", plan().properties));
  });

  it("a failed check is shown with ✗ and keeps Migrate disabled; leftovers can be dropped", async () => {
    const refused = plan({
      checks: [{ name: "collisions", ok: false, message: "bank.users: keys 'Bob' and 'bob' become one under utf8mb4_general_ci", code: "key_collision" }],
      leftovers: ["namespace \"bank\" on profile prod-pg"],
    });
    const b = setup({ migrateDryRun: vi.fn().mockResolvedValue(refused), migrateCleanup: vi.fn().mockResolvedValue(["namespace \"bank\""]) });
    await waitFor(() => expect((screen.getByTestId("migrate-deployment") as HTMLSelectElement).value).toBe("d1"));
    fireEvent.change(screen.getByTestId("migrate-target-default"), { target: { value: pgProfile.id } });
    fireEvent.click(screen.getByTestId("migrate-check"));
    const c = await screen.findByTestId("migrate-check-collisions");
    expect(c.getAttribute("data-ok")).toBe("false");
    expect(c.textContent).toMatch(/^✗/);
    expect((screen.getByTestId("start-migration") as HTMLButtonElement).disabled).toBe(true);
    fireEvent.click(screen.getByTestId("migrate-cleanup"));
    expect((await screen.findByTestId("migrate-cleaned")).textContent).toContain("namespace \"bank\"");
    expect(b.migrateCleanup).toHaveBeenCalledWith([pgProfile.id]);
  });

  it("reads a backup instead: a PostgreSQL unit needs a scratch profile of its family before Check", async () => {
    const pgDep = { ...dep, storages: [{ name: "default", profile_id: "p-live" }] } as unknown as Deployment;
    const scratch: Profile = { ...pgProfile, id: "p-scratch", name: "scratch-pg" };
    const b = fakeBackend({
      listDeployments: vi.fn().mockResolvedValue([pgDep]),
      listProfiles: vi.fn().mockResolvedValue([pgProfile, lite, scratch]),
      listBackups: vi.fn().mockResolvedValue([{
        kind: "backup", window: null, paused_ms: null, window_id: null, id: "20261125T120000Z-abc", folder: "/b", deployment: "bank", deployment_id: "d1",
        method: "no_pause", format: "default", started_at: "2026-11-25T12:00:00Z", duration_ms: 1500, bytes: 2048, tables: 4, status: "verified", problem: null,
        units: [{ id: "u1", storages: ["default"], kind: "postgresql", profile: "live-pg", format: "default", bytes: 2048 }], verified_at: null,
      }]),
      migrateDryRun: vi.fn().mockResolvedValue(plan()),
    });
    setBackend(b);
    renderWithJobs(<MigrateView />);
    await waitFor(() => expect(screen.getByTestId("migrate-from").textContent).toContain("20261125T120000Z-abc"));
    fireEvent.change(screen.getByTestId("migrate-target-default"), { target: { value: lite.id } });
    fireEvent.change(screen.getByTestId("migrate-from"), { target: { value: "20261125T120000Z-abc" } });
    const check = screen.getByTestId("migrate-check") as HTMLButtonElement;
    expect(check.disabled).toBe(true);
    const pick = screen.getByTestId("migrate-scratch-u1") as HTMLSelectElement;
    // Only PostgreSQL profiles are offered for a PostgreSQL unit.
    expect(Array.from(pick.options).map((o) => o.value)).toEqual(["", pgProfile.id, "p-scratch"]);
    fireEvent.change(pick, { target: { value: "p-scratch" } });
    fireEvent.click(check);
    await screen.findByTestId("migrate-checks");
    expect(b.migrateDryRun).toHaveBeenCalledWith("d1", expect.objectContaining({ from_backup: "20261125T120000Z-abc", scratch: [{ unit: "u1", profile: "p-scratch" }] }), expect.any(String));
  });

  it("refuses a target that is the source's own profile, and a key size that is not a number", async () => {
    setup();
    await waitFor(() => expect((screen.getByTestId("migrate-deployment") as HTMLSelectElement).value).toBe("d1"));
    fireEvent.change(screen.getByTestId("migrate-target-default"), { target: { value: lite.id } });
    expect(screen.getByRole("alert").textContent).toContain("the profile it is read from");
    expect((screen.getByTestId("migrate-check") as HTMLButtonElement).disabled).toBe(true);
    expect(migrateOptions({ deployment: "d1", targets: { default: "x" }, version: "3.19", keySize: "12a", binary: false, noPause: false, backup: "", scratch: {} }, ["default"])).toMatch(/not a whole number/);
    expect(canMigrate(null)).toBe(false);
  });
});
