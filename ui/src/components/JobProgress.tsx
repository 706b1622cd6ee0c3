// A job as the views and the jobs dialog show it: phase, progress bar and
// figures while it runs; its log, scrolled to the end as it grows.
import { useRef } from "react";
import { human } from "../data/format";
import { jobFraction, type Job } from "../data/jobs";

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
