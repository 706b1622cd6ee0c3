// The sidebar's jobs indicator, the dialog that lists the jobs (with
// cancel), and the dialog that asks before quitting while jobs run.
import { useEffect, useState } from "react";
import type { AppEvent } from "../bindings";
import { backend } from "../backend";
import { isActive, useJobs, type Job, type JobKind } from "../data/jobs";
import { Dialog } from "./Dialog";
import { JobProgress } from "./JobProgress";

const STATE_TEXT: Record<Job["state"], string> = {
  running: "running",
  cancelling: "cancelling",
  done: "✓ done",
  failed: "✗ failed",
};

/** The button in the sidebar: how many jobs run; opens the list. */
export function JobsIndicator({ onShow }: { onShow: (kind: JobKind) => void }) {
  const { jobs, running, cancel } = useJobs();
  const [open, setOpen] = useState(false);
  if (jobs.length === 0) return null;
  const label = running.length > 0 ? `Jobs: ${running.length} running` : `Jobs: none running`;
  return (
    <>
      <button className={running.length > 0 ? "nav jobs-indicator busy" : "nav jobs-indicator"} onClick={() => setOpen(true)} aria-haspopup="dialog" data-testid="jobs-indicator">
        <span className="nav-icon" aria-hidden>{running.length > 0 ? <span className="spinner" /> : "✓"}</span>
        {label}
      </button>
      {open && (
        <Dialog title="Jobs" onClose={() => setOpen(false)} testid="jobs-dialog">
          <ul className="job-list">
            {jobs.map((j) => (
              <li key={j.id} data-testid={`job-${j.kind}`} data-state={j.state}>
                <div className="row" style={{ alignItems: "center", gap: 8 }}>
                  <strong className="grow">{j.title}</strong>
                  <span className={j.state === "failed" ? "badge bad" : j.state === "done" ? "badge ok" : "badge warn"}>{STATE_TEXT[j.state]}</span>
                  <button className="small" onClick={() => { setOpen(false); onShow(j.kind); }} data-testid={`job-show-${j.kind}`}>Show</button>
                  {isActive(j) && (
                    <button className="small danger-outline" onClick={() => cancel(j.id)} disabled={j.state === "cancelling"} data-testid={`job-cancel-${j.kind}`}>
                      Cancel {j.kind}
                    </button>
                  )}
                </div>
                {isActive(j) ? <JobProgress job={j} testid={`job-${j.kind}`} /> : j.error ? <div className="small field-error">{j.error.message.split("\n")[0]}</div> : null}
              </li>
            ))}
          </ul>
          <div className="actions">
            <button onClick={() => setOpen(false)} data-testid="jobs-close">Close</button>
          </div>
        </Dialog>
      )}
    </>
  );
}

/** Asks before quitting while jobs run; then shows the jobs being cancelled. */
export function QuitGuard() {
  const { running } = useJobs();
  const [event, setEvent] = useState<AppEvent | null>(null);
  useEffect(() => {
    backend().watchApp(setEvent).catch(() => {});
  }, []);
  if (!event) return null;
  if (event.kind === "quitting") {
    return (
      <Dialog title="Quitting" onClose={() => {}} testid="quitting">
        <p role="status">
          Cancelling {event.running} job(s) and waiting for each to remove what it wrote (at most {event.limit_secs} s), then Quiesce closes.
        </p>
      </Dialog>
    );
  }
  return (
    <Dialog title="Jobs are running" onClose={() => setEvent(null)} testid="quit-dialog">
      <p>
        {event.running} job(s) are running{running.length > 0 ? `: ${running.map((j) => j.title).join(", ")}` : ""}. Quitting cancels them;
        each stops its tools and removes what it wrote before Quiesce closes.
      </p>
      <div className="actions">
        <button data-autofocus onClick={() => setEvent(null)} data-testid="quit-keep">Keep running</button>
        <button className="danger" onClick={() => void backend().quit()} data-testid="quit-confirm">Cancel the jobs and quit</button>
      </div>
    </Dialog>
  );
}
