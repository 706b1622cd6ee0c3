// The one object the UI talks to the Rust side through. Its methods are
// generated from the Rust commands (commands.ts); UI tests replace the whole
// object with a fake (see setBackend) instead of mocking Tauri internals.
import { invoke } from "@tauri-apps/api/core";
import type { ErrorCode, FieldError, IpcError } from "./bindings";
import { commands, type Commands } from "./commands";

export class BackendError extends Error {
  code: ErrorCode;
  fields: FieldError[];
  constructor(e: IpcError) {
    super(e.message);
    this.code = e.code;
    this.fields = e.fields ?? [];
  }
}

export type Backend = Commands;

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

export const tauriBackend: Backend = commands(call);

let current: Backend = tauriBackend;
export const backend = (): Backend => current;
export const setBackend = (b: Backend) => {
  current = b;
};

export function newJobId(): string {
  return `job-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
