// Shared by the UI tests: one fake of the one backend facade.
import { vi } from "vitest";
import { createElement, type ReactElement } from "react";
import { render } from "@testing-library/react";
import { JobsProvider } from "./data/jobs";
import type { Backend } from "./backend";
import type { Profile, Timeline, TimelineColumns } from "./bindings";

/** A timeline as the engine sends it (points/columns.rs), for fakes: plain
 * indices, no shared strings or deltas needed by the decoder's contract. */
export function columnsOf(t: Timeline): TimelineColumns {
  const strings: string[] = [];
  const at = (x: string) => (strings.indexOf(x) < 0 ? strings.push(x) - 1 : strings.indexOf(x));
  const NONE = 0xffff_ffff;
  let prev = 0;
  const w = t.windows;
  const start = w.map((x) => {
    if (x.start_ms === null) return null;
    const d = x.start_ms - prev;
    prev = x.start_ms;
    return d;
  });
  const rel = (x: (typeof w)[number], v: number | null) => (v === null ? null : v - (x.start_ms ?? 0));
  return {
    deployment: t.deployment, deployment_id: t.deployment_id, now_ms: t.now_ms, lanes: t.lanes, backups: t.backups, damaged: t.damaged,
    windows: {
      strings,
      id: w.map((x) => x.id),
      start,
      end: w.map((x) => rel(x, x.end_ms)),
      safe_from: w.map((x) => rel(x, x.safe_from_ms)),
      safe_to: w.map((x) => rel(x, x.safe_to_ms)),
      point: w.map((x) => rel(x, x.point_ms)),
      status: w.map((x) => at(x.status)),
      backup_id: w.map((x) => (x.backup_id === null ? null : at(x.backup_id))),
      snapshots: w.map((x) => x.snapshots.map(at)),
      refusals: w.map((x) => x.refusals.map(at)),
      reach: w.map((x) => x.reach.flatMap((r) => [at(r.storage), at(r.state), r.base === null ? NONE : at(r.base), r.detail ? at(r.detail) : NONE])),
    },
  };
}

export const pgProfile: Profile = {
  id: "id-1", name: "prod-pg", kind: "postgresql", flavor: "self_hosted", host: "db", port: 5432, database: "app",
  user: "scalar", ssl_mode: "prefer", ssl_ca_file: null, connect_timeout_secs: 10, client_bin_dir: null, path: null,
  nodes: [], data_dirs: [], region: null, endpoint: null, table_prefix: null, instance_id: null,
  restore: { retention_days: null, earliest: null, lag_secs: null, resource_group: null },
  secret: { store: "secret-service", service: "quiesce", account: "profile/id-1" }, created_at: "", updated_at: "",
};

export function fakeBackend(over: Partial<Backend> = {}): Backend {
  return {
    watchApp: vi.fn().mockResolvedValue(undefined),
    quit: vi.fn().mockResolvedValue(undefined),
    appInfo: vi.fn().mockResolvedValue({ version: "0.1.0", config_dir: "", data_dir: "", keyring: { available: true, message: null } }),
    startupReport: vi.fn().mockResolvedValue({ removed: [], failed: [], repaired: [], flagged: [] }),
    firstPaint: vi.fn().mockResolvedValue(undefined),
    overview: vi.fn().mockResolvedValue({ now: "2026-12-01T12:00:00Z", deployments: [], other: [], first_start: false }),
    listProfiles: vi.fn().mockResolvedValue([pgProfile]),
    validateProfile: vi.fn().mockResolvedValue([]),
    saveProfile: vi.fn().mockResolvedValue(pgProfile),
    deleteProfile: vi.fn().mockResolvedValue(undefined),
    testConnection: vi.fn().mockResolvedValue({ kind: "postgresql", product: "PostgreSQL", server_version: "15.19", rtt_ms: 0.4, connect_ms: 3, tls: true, notes: [] }),
    cancelJob: vi.fn().mockResolvedValue(true),
    listDeployments: vi.fn().mockResolvedValue([]),
    validateDeployment: vi.fn().mockResolvedValue([]),
    saveDeployment: vi.fn(),
    deleteDeployment: vi.fn().mockResolvedValue(undefined),
    previewImport: vi.fn(),
    importDeployment: vi.fn(),
    attachStorages: vi.fn(),
    getPlan: vi.fn(),
    discoverDeployment: vi.fn(),
    backupDryRun: vi.fn(),
    startBackup: vi.fn(),
    listBackups: vi.fn().mockResolvedValue([]),
    deleteBackup: vi.fn().mockResolvedValue(undefined),
    openBackupFolder: vi.fn().mockResolvedValue(undefined),
    restoreDryRun: vi.fn(),
    startRestore: vi.fn(),
    verifyProfile: vi.fn(),
    verifyBackup: vi.fn(),
    nodesState: vi.fn().mockResolvedValue([]),
    startPause: vi.fn(),
    unpauseDeployment: vi.fn().mockResolvedValue([]),
    listHistory: vi.fn().mockResolvedValue([]),
    getTimeline: vi.fn().mockResolvedValue(columnsOf({ deployment: "", deployment_id: "", now_ms: 0, lanes: [], windows: [], backups: [], damaged: [] })),
    pickPoint: vi.fn(),
    getRunbook: vi.fn(),
    setRunbookTick: vi.fn(),
    exportRunbook: vi.fn(),
    attachSchema: vi.fn(),
    getSchema: vi.fn().mockResolvedValue(null),
    migrateDryRun: vi.fn(),
    startMigration: vi.fn(),
    migrateCleanup: vi.fn().mockResolvedValue([]),
    saveProperties: vi.fn().mockResolvedValue(undefined),
    ...over,
  };
}

/** Renders a view inside the app's job store, as the app does. */
export function renderWithJobs(ui: ReactElement) {
  return render(createElement(JobsProvider, null, ui));
}
