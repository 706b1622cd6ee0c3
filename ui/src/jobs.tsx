// Jobs live at the app level: a running backup or restore keeps its phase,
// progress, log and cancel here, whatever view the user moves to. Views read
// the latest job of their kind; the sidebar's indicator lists them all.
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import type { JobEvent, Progress } from "./bindings";
import { backend, BackendError, newJobId } from "./backend";
import { human } from "./format";

export type JobKind = "backup" | "restore" | "pause" | "migrate";
export type JobState = "running" | "cancelling" | "done" | "failed";

export interface Job {
  id: string;
  kind: JobKind;
  title: string;
  state: JobState;
  phase: string;
  progress: Progress | null;
  log: string[];
  /** Bytes the job feeds in all, when known (a restore's backup size): its progress measure. */
  totalBytes: number;
  result: unknown;
  error: BackendError | null;
}

export interface JobsApi {
  jobs: Job[];
  /** Starts a job; `run` gets its id and the event callback. Returns the id. */
  start<T>(kind: JobKind, title: string, run: (jobId: string, onEvent: (e: JobEvent) => void) => Promise<T>, totalBytes?: number): string;
  cancel(id: string): void;
  /** The newest job of a kind, running or finished. */
  latest(kind: JobKind): Job | undefined;
  running: Job[];
}

const MAX_LOG = 400;

const JobsContext = createContext<JobsApi | null>(null);

export function JobsProvider({ children }: { children: ReactNode }) {
  const [jobs, setJobs] = useState<Job[]>([]);
  const update = useCallback((id: string, f: (j: Job) => Job) => setJobs((js) => js.map((j) => (j.id === id ? f(j) : j))), []);

  const start = useCallback(
    <T,>(kind: JobKind, title: string, run: (jobId: string, onEvent: (e: JobEvent) => void) => Promise<T>, totalBytes = 0) => {
      const id = newJobId();
      const job: Job = { id, kind, title, state: "running", phase: "Starting…", progress: null, log: [], totalBytes, result: null, error: null };
      setJobs((js) => [job, ...js]);
      const onEvent = (e: JobEvent) =>
        update(id, (j) => {
          if (e.kind === "log") return { ...j, log: j.log.length > MAX_LOG ? [...j.log.slice(-300), e.line] : [...j.log, e.line] };
          if (e.kind === "phase") return { ...j, phase: e.message, log: [...j.log, `[${e.phase}] ${e.message}`] };
          return { ...j, progress: e };
        });
      run(id, onEvent).then(
        (result) => update(id, (j) => ({ ...j, state: "done", result })),
        (error) => update(id, (j) => ({ ...j, state: "failed", error: error as BackendError })),
      );
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
      latest: (kind) => jobs.find((j) => j.kind === kind),
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

/** A running job's phase, progress bar and figures. `testid` keeps each view's test ids. */
export function JobProgress({ job, testid }: { job: Job; testid: string }) {
  const p = job.progress;
  const frac = p ? jobFraction(p, job.totalBytes) : 0;
  return (
    <div className="step-card" style={{ marginTop: 12 }} data-testid={`${testid}-running`}>
      <div className="small" data-testid={`${testid}-phase`}>{job.phase}</div>
      <div
        className="progress"
        role="progressbar"
        aria-label={`${job.title}: progress`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(frac * 100)}
        data-testid={`${testid}-progress`}
        data-raw-bytes={p?.raw_bytes ?? 0}
      >
        <div className="progress-fill" style={{ width: `${Math.max(2, frac * 100)}%` }} />
      </div>
      {p && (
        <div className="small muted" data-testid={`${testid}-stats`}>
          {p.rows_total > 0 ? (
            <>rows {p.rows_done.toLocaleString()}/{p.rows_total.toLocaleString()} · tables {p.tables_done}/{p.tables_total} · {Math.round(p.rows_per_sec).toLocaleString()} rows/s</>
          ) : (
            <>
              {human(p.raw_bytes)} {job.totalBytes > 0 ? `of ${human(job.totalBytes)} fed` : `read · ${human(p.written_bytes)} written`} ·{" "}
              {p.pages_total > 0 ? `pages ${p.pages_done}/${p.pages_total}` : `tables ${p.tables_done}/${p.tables_total}`} · {human(p.rate_bps)}/s
            </>
          )}
          {p.eta_secs !== null ? ` · ETA ${Math.ceil(p.eta_secs)} s` : ""}
        </div>
      )}
    </div>
  );
}

/** A job's log, scrolled to its end as it grows. */
export function JobLog({ job, testid }: { job: Job; testid: string }) {
  const ref = useRef<HTMLPreElement>(null);
  const last = job.log.length;
  // Scroll after each render that added lines.
  const seen = useRef(0);
  if (seen.current !== last) {
    seen.current = last;
    queueMicrotask(() => ref.current?.scrollTo?.({ top: ref.current.scrollHeight }));
  }
  return (
    <>
      <div className="section-title">Log</div>
      <pre className="log-panel" ref={ref} tabIndex={0} aria-label={`${job.title}: log`} data-testid={`${testid}-log`}>
        {job.log.join("\n")}
      </pre>
    </>
  );
}
