// The wizard the Restore and Migrate views share: choose, check (nothing is
// touched), run as a job of the app's job store, then the outcome. The steps
// are listed with the current one marked; while the job runs its progress and
// Cancel show (the focus on Cancel), then its failure or outcome (the focus on
// it), and its log.
import { useEffect, useRef, type ReactNode, type RefObject } from "react";
import { moveFocus } from "../data/focus";
import { isActive, useJobs, type Job, type JobKind, type JobResults } from "../data/jobs";
import { JobLog, JobProgress } from "./JobProgress";

export function Wizard({ title, steps, step, children }: { title: string; steps: string[]; step: number; children: ReactNode }) {
  return (
    <div className="plan-page">
      <header className="pane-header">
        <h1>{title}</h1>
        <ol className="wizard-steps" aria-label="Steps">
          {steps.map((s, i) => (
            <li key={s} className={i === step ? "current" : i < step ? "done" : ""} aria-current={i === step ? "step" : undefined}>{s}</li>
          ))}
        </ol>
      </header>
      <div className="plan-body restore-body">{children}</div>
    </div>
  );
}

/**
 * The wizard's job and step: `checked` once the checks are shown, `chosen`
 * once the first steps are complete. The job shown is this visit's: one that
 * runs, or one that ended since the checks.
 */
export function useWizardJob<K extends JobKind>(kind: K, checked: boolean, chosen: boolean) {
  const jobs = useJobs();
  const job = jobs.latest(kind);
  const running = isActive(job);
  const shown = job && (running || !checked) ? job : undefined;
  const step = shown?.state === "done" ? 4 : shown ? 3 : checked ? 2 : chosen ? 1 : 0;
  return { jobs, job, running, shown, step };
}

/** The run and its outcome. `name` keeps each view's test ids (`restore-failed`, `migrate-log`…). */
export function WizardRun<K extends JobKind>({ job, name, cancelTestId, onCancel, children }: {
  job: Job<K>;
  name: string;
  cancelTestId: string;
  onCancel: () => void;
  /** The outcome of a job done; `outcome` goes on the element that takes the focus. */
  children: (result: JobResults[K], outcome: RefObject<HTMLDivElement | null>) => ReactNode;
}) {
  const cancel = useRef<HTMLButtonElement>(null);
  const outcome = useRef<HTMLDivElement>(null);
  const active = isActive(job);
  // The start button is gone once the job started: the focus goes to Cancel, then to the outcome.
  useEffect(() => moveFocus(active ? cancel.current : outcome.current), [active]);
  const result = job.state === "done" ? job.result : null;
  return (
    <>
      {active && (
        <>
          <JobProgress job={job} testid={name} />
          <div className="actions" style={{ marginBottom: 8 }}>
            <button ref={cancel} onClick={onCancel} disabled={job.state === "cancelling"} data-testid={cancelTestId}>
              <span className="spinner" aria-hidden /> {job.state === "cancelling" ? "Cancelling…" : "Cancel"}
            </button>
          </div>
        </>
      )}
      {job.state === "failed" && job.error && (
        <div ref={outcome} tabIndex={-1} className="banner error" role="alert" style={{ whiteSpace: "pre-wrap" }} data-testid={`${name}-failed`}>
          <strong>{job.error.code}</strong> {job.error.message}
        </div>
      )}
      {result && children(result as JobResults[K], outcome)}
      {(job.log.length > 0 || active) && <JobLog job={job} testid={name} />}
    </>
  );
}
