// The one object the UI talks to the Rust side through. UI tests replace it
// with a fake (see setBackend) instead of mocking Tauri internals.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  AppInfo,
  JobEvent,
  BackupOptions,
  CatalogEntry,
  Preflight,
  ConnectionReport,
  Deployment,
  DeploymentInput,
  ErrorCode,
  ImportPreview,
  PlanView,
  FieldError,
  IntegrityReport,
  RecoveryReport,
  RestoreOptions,
  RestorePreflight,
  RestoreResult,
  VerifyReport,
  IpcError,
  Profile,
  ProfileInput,
} from "./bindings";

export class BackendError extends Error {
  code: ErrorCode;
  fields: FieldError[];
  constructor(e: IpcError) {
    super(e.message);
    this.code = e.code;
    this.fields = e.fields ?? [];
  }
}

export interface Backend {
  appInfo(): Promise<AppInfo>;
  /** What the start-up step removed (left by killed jobs) and flagged in the state. */
  startupReport(): Promise<RecoveryReport>;
  listProfiles(): Promise<Profile[]>;
  validateProfile(input: ProfileInput): Promise<FieldError[]>;
  saveProfile(id: string | null, input: ProfileInput): Promise<Profile>;
  deleteProfile(id: string): Promise<void>;
  /** Tests the editor's fields; `existingId` supplies the stored password when the field is blank. */
  testConnection(input: ProfileInput, existingId: string | null, jobId: string): Promise<ConnectionReport>;
  cancelJob(jobId: string): Promise<boolean>;
  listDeployments(): Promise<Deployment[]>;
  validateDeployment(input: DeploymentInput): Promise<FieldError[]>;
  saveDeployment(id: string | null, input: DeploymentInput): Promise<Deployment>;
  deleteDeployment(id: string): Promise<void>;
  /** Reads a ScalarDB properties file and says what an import would save; changes nothing. */
  previewImport(path: string): Promise<ImportPreview>;
  /** Saves exactly what was previewed (`sha256` from the preview; a changed file is refused). */
  importDeployment(path: string, name: string, sha256: string): Promise<Deployment>;
  /** Gives a Cluster-client deployment the storages of a server-side properties file. */
  attachStorages(deploymentId: string, path: string, sha256: string): Promise<Deployment>;
  /** The plan on the last discovery kept (touches no database). */
  getPlan(deploymentId: string): Promise<PlanView>;
  /** Discovers the live storages now (cancellable by job id), keeps it, and plans on it. */
  discoverDeployment(deploymentId: string, jobId: string): Promise<PlanView>;
  /** The checks and commands of a backup; runs nothing. */
  backupDryRun(deploymentId: string, options: BackupOptions, jobId: string): Promise<Preflight>;
  /** Runs a backup; events stream to `onEvent`; cancel with cancelJob(jobId). */
  startBackup(deploymentId: string, options: BackupOptions, jobId: string, onEvent: (e: JobEvent) => void): Promise<CatalogEntry>;
  /** Backups (complete and damaged), then leftovers Quiesce did not remove. */
  listBackups(): Promise<CatalogEntry[]>;
  deleteBackup(id: string): Promise<void>;
  openBackupFolder(id: string): Promise<void>;
  /** What a restore would check and do; touches nothing. `backup` is an id or a folder. */
  restoreDryRun(backup: string, options: RestoreOptions, jobId: string): Promise<RestorePreflight>;
  /** Runs a restore and its verification; events stream to `onEvent`; cancel with cancelJob(jobId). */
  startRestore(backup: string, options: RestoreOptions, jobId: string, onEvent: (e: JobEvent) => void): Promise<RestoreResult>;
  /** A live database checked (against a backup's manifest if given). */
  verifyProfile(profileId: string, backup: string | null, unit: string | null, jobId: string): Promise<VerifyReport>;
  /** A backup's files against its manifest. */
  verifyBackup(backup: string, jobId: string): Promise<[IntegrityReport, VerifyReport | null]>;
}

function isIpcError(e: unknown): e is IpcError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isIpcError(e)) throw new BackendError(e);
    throw new BackendError({ code: "internal", message: String(e), fields: [] });
  }
}

export const tauriBackend: Backend = {
  appInfo: () => call("app_info"),
  startupReport: () => call("startup_report"),
  listProfiles: () => call("list_profiles"),
  validateProfile: (input) => call("validate_profile", { input }),
  saveProfile: (id, input) => call("save_profile", { id, input }),
  deleteProfile: (id) => call("delete_profile", { id }),
  testConnection: (input, existingId, jobId) =>
    call("test_connection", { input, existing_id: existingId, job_id: jobId }),
  cancelJob: (jobId) => call("cancel_job", { job_id: jobId }),
  listDeployments: () => call("list_deployments"),
  validateDeployment: (input) => call("validate_deployment", { input }),
  saveDeployment: (id, input) => call("save_deployment", { id, input }),
  deleteDeployment: (id) => call("delete_deployment", { id }),
  previewImport: (path) => call("preview_import", { path }),
  importDeployment: (path, name, sha256) => call("import_deployment", { path, name, sha256 }),
  attachStorages: (deploymentId, path, sha256) =>
    call("attach_storages", { deployment_id: deploymentId, path, sha256 }),
  getPlan: (deploymentId) => call("get_plan", { deployment_id: deploymentId }),
  discoverDeployment: (deploymentId, jobId) =>
    call("discover_deployment", { deployment_id: deploymentId, job_id: jobId }),
  backupDryRun: (deploymentId, options, jobId) =>
    call("backup_dry_run", { deployment_id: deploymentId, options, job_id: jobId }),
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
  verifyBackup: (backup, jobId) => call("verify_backup", { backup, job_id: jobId }),
};

let current: Backend = tauriBackend;
export const backend = (): Backend => current;
export const setBackend = (b: Backend) => {
  current = b;
};

export function newJobId(): string {
  return `job-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
