// The one object the UI talks to the Rust side through. UI tests replace it
// with a fake (see setBackend) instead of mocking Tauri internals.
import { invoke } from "@tauri-apps/api/core";
import type {
  AppInfo,
  ConnectionReport,
  ErrorCode,
  FieldError,
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
  listProfiles(): Promise<Profile[]>;
  validateProfile(input: ProfileInput): Promise<FieldError[]>;
  saveProfile(id: string | null, input: ProfileInput): Promise<Profile>;
  deleteProfile(id: string): Promise<void>;
  /** Tests the editor's fields; `existingId` supplies the stored password when the field is blank. */
  testConnection(input: ProfileInput, existingId: string | null, jobId: string): Promise<ConnectionReport>;
  cancelJob(jobId: string): Promise<boolean>;
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
  listProfiles: () => call("list_profiles"),
  validateProfile: (input) => call("validate_profile", { input }),
  saveProfile: (id, input) => call("save_profile", { id, input }),
  deleteProfile: (id) => call("delete_profile", { id }),
  testConnection: (input, existingId, jobId) =>
    call("test_connection", { input, existing_id: existingId, job_id: jobId }),
  cancelJob: (jobId) => call("cancel_job", { job_id: jobId }),
};

let current: Backend = tauriBackend;
export const backend = (): Backend => current;
export const setBackend = (b: Backend) => {
  current = b;
};

export function newJobId(): string {
  return `job-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
