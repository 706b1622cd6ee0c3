// Generated from the IPC commands by quiesce-app (src-tauri/app/src/ipc.rs).
// Do not edit: run `UPDATE_BINDINGS=1 cargo test -p quiesce-app commands_ts` instead.
import { Channel } from "@tauri-apps/api/core";
import type { AppEvent, AppInfo, BackupOptions, CatalogEntry, ConnectionReport, Deployment, DeploymentInput, FieldError, ImportPreview, IntegrityReport, JobEvent, MigrateOptions, MigrationPlan, MigrationResult, NodeState, Operation, Overview, PauseWindow, Pick, PickAt, PlanView, Preflight, Profile, ProfileInput, RecoveryReport, RestoreOptions, RestorePreflight, RestoreResult, Runbook, RunbookFormat, SchemaAttachment, Ticks, TimelineColumns, VerifyReport } from "./bindings";

/** Every command the Rust side answers, typed. */
export interface Commands {
  /** Registers the window's channel for what the shell tells it (a close with jobs running, quitting). */
  watchApp(onEvent: (e: AppEvent) => void): Promise<void>;
  /** Quits after cancelling every job and waiting for its cleanup (bounded). */
  quit(): Promise<void>;
  appInfo(): Promise<AppInfo>;
  /** What the start-up step removed and flagged (waits for it to finish). */
  startupReport(): Promise<RecoveryReport>;
  /** The UI's first frame is on screen: logged with the time since the app's main() began; with QUIESCE_STARTUP_PROBE set (the benchmark's start-up case) printed as `first-paint-ms N`, and the app quits. */
  firstPaint(): Promise<void>;
  /** The home screen: every deployment's method, last backup, last window, latest safe point and what needs attention (state files and catalog only). */
  overview(): Promise<Overview>;
  listProfiles(): Promise<Array<Profile>>;
  validateProfile(input: ProfileInput): Promise<Array<FieldError>>;
  saveProfile(id: string | null, input: ProfileInput): Promise<Profile>;
  deleteProfile(id: string): Promise<void>;
  testConnection(input: ProfileInput, existingId: string | null, jobId: string): Promise<ConnectionReport>;
  cancelJob(jobId: string): Promise<boolean>;
  listDeployments(): Promise<Array<Deployment>>;
  validateDeployment(input: DeploymentInput): Promise<Array<FieldError>>;
  saveDeployment(id: string | null, input: DeploymentInput): Promise<Deployment>;
  deleteDeployment(id: string): Promise<void>;
  /** The preview carries no secret: passwords stay in the engine until import. */
  previewImport(path: string): Promise<ImportPreview>;
  importDeployment(path: string, name: string, sha256: string): Promise<Deployment>;
  attachStorages(deploymentId: string, path: string, sha256: string): Promise<Deployment>;
  /** The plan with the last discovery kept on disk: cheap, no database is touched. */
  getPlan(deploymentId: string): Promise<PlanView>;
  /** Discovers the deployment's storages now (cancellable by job id), keeps it, plans on it. */
  discoverDeployment(deploymentId: string, jobId: string): Promise<PlanView>;
  backupDryRun(deploymentId: string, options: BackupOptions, jobId: string): Promise<Preflight>;
  /** Runs a backup; progress, phases and the tool's log stream over `on_event`. Cancel with cancel_job(job_id). Returns the catalog entry of the backup. */
  startBackup(deploymentId: string, options: BackupOptions, jobId: string, onEvent: (e: JobEvent) => void): Promise<CatalogEntry>;
  /** The catalog: backups (complete and damaged) and pause windows, then leftovers Quiesce did not remove. */
  listBackups(): Promise<Array<CatalogEntry>>;
  deleteBackup(id: string): Promise<void>;
  /** Opens the backup's folder in the desktop's file manager. */
  openBackupFolder(id: string): Promise<void>;
  /** What a restore would do: the backup's integrity, the target's contents and sessions, the mode and what a failure leaves. Touches nothing. */
  restoreDryRun(backup: string, options: RestoreOptions, jobId: string): Promise<RestorePreflight>;
  /** Runs a restore (progress, phases and the tools' log over `on_event`; cancel with cancel_job(job_id)) and returns its verification. */
  startRestore(backup: string, options: RestoreOptions, jobId: string, onEvent: (e: JobEvent) => void): Promise<RestoreResult>;
  /** Verifies a profile's live database, against a backup's manifest if given (one unit of it: `unit`, or the one the profile fits). */
  verifyProfile(profileId: string, backup: string | null, unit: string | null, jobId: string): Promise<VerifyReport>;
  /** Each Scalar Admin node of a deployment and whether it is paused. */
  nodesState(deploymentId: string): Promise<Array<NodeState>>;
  /** Pauses every node, holds at least `min_ms`, unpauses, and keeps the window (its restore point) in the catalog. Cancel ends the hold early (the nodes are unpaused, the window is marked). */
  startPause(deploymentId: string, minMs: number, maxWaitMs: number, jobId: string, onEvent: (e: JobEvent) => void): Promise<PauseWindow>;
  /** Unpauses every node of a deployment (a pause someone left behind). */
  unpauseDeployment(deploymentId: string): Promise<Array<NodeState>>;
  /** The operations history (pauses, unpauses, backups, restores, verifications), oldest first. */
  listHistory(): Promise<Array<Operation>>;
  /** A backup's files against its manifest (and, for SQLite, the audit in place). */
  verifyBackup(backup: string, jobId: string): Promise<[IntegrityReport, VerifyReport | null]>;
  /** The restore-point timeline of a deployment: lanes per storage (how each restores, the PITR range, the log archive), every pause window (as columns: ~10 000 of them in a month) and backup. */
  getTimeline(deploymentId: string): Promise<TimelineColumns>;
  /** Picks a point (a window, a backup or a typed time), or refuses with the reason. */
  pickPoint(deploymentId: string, at: PickAt): Promise<Pick>;
  /** The restore runbook for a point, with the ticks kept for it. */
  getRunbook(deploymentId: string, at: PickAt): Promise<[Runbook, Ticks]>;
  /** Ticks or unticks a runbook step (kept across restarts). */
  setRunbookTick(deploymentId: string, key: string, step: string, done: boolean): Promise<Ticks>;
  /** A runbook as Markdown, a bash script or JSON; written to `path` (the absolute path of a new file) when given. Returns the text. */
  exportRunbook(deploymentId: string, at: PickAt, format: RunbookFormat, path: string | null): Promise<string>;
  /** Attaches the ScalarDB schema file (the table list of DynamoDB, Cosmos DB, Cassandra). */
  attachSchema(deploymentId: string, path: string): Promise<SchemaAttachment>;
  /** The schema attached to a deployment, if any. */
  getSchema(deploymentId: string): Promise<SchemaAttachment | null>;
  /** What a migration would do: the target layout per table, the checks (names, key sizes, collisions, empty targets), the new properties and what an earlier run left. Writes nothing and pauses nothing. */
  migrateDryRun(deploymentId: string, options: MigrateOptions, jobId: string): Promise<MigrationPlan>;
  /** Runs a migration (phases and rows per table over `on_event`; cancel with cancel_job(job_id), which drops what it created) and returns its proof. */
  startMigration(deploymentId: string, options: MigrateOptions, jobId: string, onEvent: (e: JobEvent) => void): Promise<MigrationResult>;
  /** Drops what an earlier, failed migration left on these profiles. Returns what it dropped. */
  migrateCleanup(profiles: Array<string>): Promise<Array<string>>;
  /** Writes a migration's new database.properties to `path` (absolute, a new file). */
  saveProperties(path: string, text: string): Promise<void>;
}

/** The commands over `call` (Tauri's invoke, with errors as BackendError). */
export function commands(call: <T>(cmd: string, args?: Record<string, unknown>) => Promise<T>): Commands {
  return {
    watchApp: (onEvent) => {
      const ch = new Channel<AppEvent>();
      ch.onmessage = onEvent;
      return call("watch_app", { on_event: ch });
    },
    quit: () => call("quit"),
    appInfo: () => call("app_info"),
    startupReport: () => call("startup_report"),
    firstPaint: () => call("first_paint"),
    overview: () => call("overview"),
    listProfiles: () => call("list_profiles"),
    validateProfile: (input) => call("validate_profile", { input }),
    saveProfile: (id, input) => call("save_profile", { id, input }),
    deleteProfile: (id) => call("delete_profile", { id }),
    testConnection: (input, existingId, jobId) => call("test_connection", { input, existing_id: existingId, job_id: jobId }),
    cancelJob: (jobId) => call("cancel_job", { job_id: jobId }),
    listDeployments: () => call("list_deployments"),
    validateDeployment: (input) => call("validate_deployment", { input }),
    saveDeployment: (id, input) => call("save_deployment", { id, input }),
    deleteDeployment: (id) => call("delete_deployment", { id }),
    previewImport: (path) => call("preview_import", { path }),
    importDeployment: (path, name, sha256) => call("import_deployment", { path, name, sha256 }),
    attachStorages: (deploymentId, path, sha256) => call("attach_storages", { deployment_id: deploymentId, path, sha256 }),
    getPlan: (deploymentId) => call("get_plan", { deployment_id: deploymentId }),
    discoverDeployment: (deploymentId, jobId) => call("discover_deployment", { deployment_id: deploymentId, job_id: jobId }),
    backupDryRun: (deploymentId, options, jobId) => call("backup_dry_run", { deployment_id: deploymentId, options, job_id: jobId }),
    startBackup: (deploymentId, options, jobId, onEvent) => {
      const ch = new Channel<JobEvent>();
      ch.onmessage = onEvent;
      return call("start_backup", { deployment_id: deploymentId, options, job_id: jobId, on_event: ch });
    },
    listBackups: () => call("list_backups"),
    deleteBackup: (id) => call("delete_backup", { id }),
    openBackupFolder: (id) => call("open_backup_folder", { id }),
    restoreDryRun: (backup, options, jobId) => call("restore_dry_run", { backup, options, job_id: jobId }),
    startRestore: (backup, options, jobId, onEvent) => {
      const ch = new Channel<JobEvent>();
      ch.onmessage = onEvent;
      return call("start_restore", { backup, options, job_id: jobId, on_event: ch });
    },
    verifyProfile: (profileId, backup, unit, jobId) => call("verify_profile", { profile_id: profileId, backup, unit, job_id: jobId }),
    nodesState: (deploymentId) => call("nodes_state", { deployment_id: deploymentId }),
    startPause: (deploymentId, minMs, maxWaitMs, jobId, onEvent) => {
      const ch = new Channel<JobEvent>();
      ch.onmessage = onEvent;
      return call("start_pause", { deployment_id: deploymentId, min_ms: minMs, max_wait_ms: maxWaitMs, job_id: jobId, on_event: ch });
    },
    unpauseDeployment: (deploymentId) => call("unpause_deployment", { deployment_id: deploymentId }),
    listHistory: () => call("list_history"),
    verifyBackup: (backup, jobId) => call("verify_backup", { backup, job_id: jobId }),
    getTimeline: (deploymentId) => call("get_timeline", { deployment_id: deploymentId }),
    pickPoint: (deploymentId, at) => call("pick_point", { deployment_id: deploymentId, at }),
    getRunbook: (deploymentId, at) => call("get_runbook", { deployment_id: deploymentId, at }),
    setRunbookTick: (deploymentId, key, step, done) => call("set_runbook_tick", { deployment_id: deploymentId, key, step, done }),
    exportRunbook: (deploymentId, at, format, path) => call("export_runbook", { deployment_id: deploymentId, at, format, path }),
    attachSchema: (deploymentId, path) => call("attach_schema", { deployment_id: deploymentId, path }),
    getSchema: (deploymentId) => call("get_schema", { deployment_id: deploymentId }),
    migrateDryRun: (deploymentId, options, jobId) => call("migrate_dry_run", { deployment_id: deploymentId, options, job_id: jobId }),
    startMigration: (deploymentId, options, jobId, onEvent) => {
      const ch = new Channel<JobEvent>();
      ch.onmessage = onEvent;
      return call("start_migration", { deployment_id: deploymentId, options, job_id: jobId, on_event: ch });
    },
    migrateCleanup: (profiles) => call("migrate_cleanup", { profiles }),
    saveProperties: (path, text) => call("save_properties", { path, text }),
  };
}
