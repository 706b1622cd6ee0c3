// Jobs live at the app level: a running backup or restore keeps its phase,
// progress, log and cancel here, whatever view the user moves to. Views read
// the latest job of their kind; the sidebar's indicator lists them all. Each
// kind's result has its type (JobResults): no view casts it.
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from "react";
import type { CatalogEntry, JobEvent, MigrationResult, PauseWindow, Progress, RestoreResult } from "../bindings";
import { backend, BackendError, newJobId } from "../backend";
import { invalidate } from "./query";

/** What each kind of job returns (commands.ts: startBackup, startRestore, startPause, startMigration). */
export interface JobResults {
  backup: CatalogEntry;
  restore: RestoreResult;
  pause: PauseWindow;
  migrate: MigrationResult;
}

export type JobKind = keyof JobResults;
export type JobState = "running" | "cancelling" | "done" | "failed";

interface JobBase {
  id: string;
  title: string;
  state: JobState;
  phase: string;
  progress: Progress | null;
  log: string[];
  /** Bytes the job feeds in all, when known (a restore's backup size): its progress measure. */
  totalBytes: number;
  error: BackendError | null;
}

/** A job of kind K (any kind by default), with its result once done. */
export type Job<K extends JobKind = JobKind> = K extends JobKind ? JobBase & { kind: K; result: JobResults[K] | null } : never;

export type JobRun<K extends JobKind> = (jobId: string, onEvent: (e: JobEvent) => void) => Promise<JobResults[K]>;

export interface JobsApi {
  jobs: Job[];
  /** Starts a job; `run` gets its id and the event callback. Returns the id. */
  start<K extends JobKind>(kind: K, title: string, run: JobRun<K>, totalBytes?: number): string;
  cancel(id: string): void;
  /** The newest job of a kind, running or finished. */
  latest<K extends JobKind>(kind: K): Job<K> | undefined;
  running: Job[];
}

const MAX_LOG = 400;

const JobsContext = createContext<JobsApi | null>(null);

export function JobsProvider({ children }: { children: ReactNode }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const update = useCallback((id: string, f: (j: Job) => Job) => setJobs((js) => js.map((j) => (j.id === id ? f(j) : j))), []);

  const start = useCallback(
    <K extends JobKind,>(kind: K, title: string, run: JobRun<K>, totalBytes = 0) => {
      const id = newJobId();
      const job = { id, kind, title, state: "running", phase: "Starting…", progress: null, log: [], totalBytes, result: null, error: null } as unknown as Job<K>;
      setJobs((js) => [job, ...js]);
      const onEvent = (e: JobEvent) =>
        update(id, (j) => {
          if (e.kind === "log") return { ...j, log: j.log.length > MAX_LOG ? [...j.log.slice(-300), e.line] : [...j.log, e.line] };
          if (e.kind === "phase") return { ...j, phase: e.message, log: [...j.log, `[${e.phase}] ${e.message}`] };
          return { ...j, progress: e };
        });
      run(id, onEvent)
        .then(
          (result) => update(id, (j) => ({ ...j, state: "done", result }) as Job),
          (error) => update(id, (j) => ({ ...j, state: "failed", error: error as BackendError })),
        )
        // Every kind changes the catalog: a backup or a pause window is added, a restore verifies a backup.
        .finally(() => void invalidate("catalog"));
      return id;
    },
    [update],
  );

  const cancel = useCallback(
    (id: string) => {
      update(id, (j) => (j.state === "running" ? { ...j, state: "cancelling", phase: "Cancelling: stopping the tools and removing what they wrote…" } : j));
      void backend().cancelJob(id).catch(() => {});
    },
    [update],
  );

  const api = useMemo<JobsApi>(
    () => ({
      jobs,
      start,
      cancel,
      latest: <K extends JobKind,>(kind: K) => jobs.find((j): j is Job<K> => j.kind === kind),
      running: jobs.filter((j) => j.state === "running" || j.state === "cancelling"),
    }),
    [jobs, start, cancel],
  );
  return <JobsContext.Provider value={api}>{children}</JobsContext.Provider>;
}

export function useJobs(): JobsApi {
  const api = useContext(JobsContext);
  if (!api) throw new Error("useJobs outside JobsProvider");
  return api;
}

export const isActive = (j: Job | undefined): boolean => !!j && (j.state === "running" || j.state === "cancelling");

/** 0..1: pages (SQLite), else rows of a migration, else bytes fed of a known total (a restore), else tables. */
export function jobFraction(p: Progress, totalBytes = 0): number {
  if (p.pages_total > 0) return Math.min(1, p.pages_done / p.pages_total);
  if (p.rows_total > 0) return Math.min(1, p.rows_done / p.rows_total);
  if (totalBytes > 0 && p.raw_bytes > 0) return Math.min(1, p.raw_bytes / totalBytes);
  if (p.tables_total > 0) return Math.min(1, p.tables_done / p.tables_total);
  return 0;
}
