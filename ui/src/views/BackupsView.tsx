// Backups: a deployment backed up now (its checks first, if wanted), the
// running backup's progress and log, and the catalog's history.
import { useEffect, useRef, useState } from "react";
import type { BackupOptions, DumpFormat, Preflight } from "../bindings";
import { backend, BackendError, newJobId } from "../backend";
import { human } from "../data/format";
import { moveFocus } from "../data/focus";
import { isActive, useJobs } from "../data/jobs";
import { invalidate, useCatalog, useDeployments } from "../data/query";
import { BackupHistory } from "../components/BackupHistory";
import { JobLog, JobProgress } from "../components/JobProgress";
import { NodesTable } from "../components/NodesTable";

const FORMATS: { id: DumpFormat; label: string }[] = [
  { id: "default", label: "Default — compressed by zstd as it streams" },
  { id: "plain", label: "Plain SQL, uncompressed" },
  { id: "custom", label: "pg_dump custom (gzip) — PostgreSQL" },
  { id: "directory", label: "pg_dump directory, parallel — PostgreSQL" },
];

export function BackupsView({ onRestore, initialDeployment = null }: { onRestore?: (backupId: string) => void; initialDeployment?: string | null } = {}) {
  const deps = useDeployments();
  const deployments = deps.list;
  const catalog = useCatalog();
  const history = catalog.list;
  const [selected, setSelected] = useState("");
  const [format, setFormat] = useState<DumpFormat>("default");
  const [workers, setWorkers] = useState("2");
  const jobs = useJobs();
  // The backup job lives in the app's job store: it survives a visit to another view.
  const job = jobs.latest("backup");
  const [failure, setFailure] = useState<BackendError | null>(null);
  const [dry, setDry] = useState<Preflight | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  // The deployment the overview sent the user to, else the first, once the list is read.
  useEffect(() => {
    if (deps.fresh && deployments.length > 0) setSelected((s) => s || (deployments.some((x) => x.id === initialDeployment) ? initialDeployment! : deployments[0].id));
  }, [deps.fresh, deployments, initialDeployment]);
  // (A finished backup shows in the history: the job store reads the catalog again.)

  const options = (): BackupOptions => ({
    format,
    jobs: format === "directory" ? Math.max(1, Number(workers) || 1) : null,
    out: null,
    max_pause_ms: null,
  });

  function start() {
    setDry(null);
    setNotice(null);
    setFailure(null);
    const name = deployments.find((d) => d.id === selected)?.name ?? selected;
    const opts = options();
    jobs.start("backup", `Backup of ${name}`, (jobId, onEvent) => backend().startBackup(selected, opts, jobId, onEvent));
  }

  async function dryRun() {
    setDry(null);
    setNotice(null);
    try {
      setDry(await backend().backupDryRun(selected, options(), newJobId()));
    } catch (e) {
      setFailure(e as BackendError);
    }
  }

  async function remove(id: string) {
    try {
      await backend().deleteBackup(id);
      setNotice(`Deleted backup ${id}.`);
      await invalidate("catalog");
    } catch (e) {
      setNotice((e as Error).message);
    }
  }

  const running = isActive(job);
  const entry = job?.state === "done" ? job.result : null;
  const selectedDeployment = deployments.find((d) => d.id === selected);
  // A deployment on several databases (or one without transactions) pauses: the plan says so.
  const pausing = !!selectedDeployment && selectedDeployment.admin_endpoints.length > 0 && selectedDeployment.storages.length > 1;
  const error = job?.state === "failed" ? job.error : failure;
  // "Back up now" gives way to Cancel, Cancel to the outcome: the focus follows.
  const cancelRef = useRef<HTMLButtonElement>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);
  useEffect(() => moveFocus(running ? cancelRef.current : outcomeRef.current), [running]);

  return (
    <div className="plan-page">
      <header className="pane-header">
        <h1>Backups</h1>
        <span className="row" style={{ gap: 8, alignItems: "center" }}>
          <label className="muted small" htmlFor="b-deployment">Deployment</label>
          <select id="b-deployment" value={selected} onChange={(e) => setSelected(e.target.value)} disabled={running} data-testid="backup-deployment">
            {deployments.map((d) => (
              <option key={d.id} value={d.id}>{d.name}</option>
            ))}
          </select>
          <select aria-label="Format" value={format} onChange={(e) => setFormat(e.target.value as DumpFormat)} disabled={running} data-testid="backup-format">
            {FORMATS.map((f) => (
              <option key={f.id} value={f.id}>{f.label}</option>
            ))}
          </select>
          {format === "directory" && (
            <input aria-label="Parallel jobs" value={workers} onChange={(e) => setWorkers(e.target.value)} style={{ width: 40 }} />
          )}
          <button onClick={dryRun} disabled={!selected || running} data-testid="backup-dry-run">Check</button>
          {running && job ? (
            <button ref={cancelRef} onClick={() => jobs.cancel(job.id)} disabled={job.state === "cancelling"} data-testid="cancel-backup">
              <span className="spinner" aria-hidden /> {job.state === "cancelling" ? "Cancelling…" : "Cancel"}
            </button>
          ) : (
            <button className="primary" onClick={start} disabled={!selected} data-testid="start-backup">Back up now</button>
          )}
        </span>
      </header>
      <div className="plan-body">
        {pausing && (
          <div className="step-card" style={{ marginTop: 12 }} data-testid="backup-pause-plan">
            <h2>This deployment is backed up inside a pause</h2>
            <div className="small">
              Its plan pauses every ScalarDB node so that no transaction is outstanding, opens the snapshot of each of its databases
              ({selectedDeployment?.storages.map((st) => st.name).join(", ")}), and unpauses as soon as the last one is open — usually
              well under a second; the dumps then go on while ScalarDB runs. Storages restored by point-in-time recovery keep it at least 5 s.
            </div>
            <NodesTable deploymentId={selected} every={running ? 1000 : 3000} />
          </div>
        )}
        {running && job && <JobProgress job={job} testid="backup" />}
        {entry && (
          <div ref={outcomeRef} tabIndex={-1} className="banner ok" style={{ margin: "12px 18px 0" }} data-testid="backup-done">
            Backup <strong>{entry.id}</strong> of “{entry.deployment}” complete: {human(entry.bytes)} in {(entry.duration_ms / 1000).toFixed(1)} s
            {entry.paused_ms !== null ? `; every ScalarDB node was paused ${entry.paused_ms.toFixed(0)} ms (until every snapshot was open)` : ""}.
          </div>
        )}
        {error && (
          <div ref={outcomeRef} tabIndex={-1} className="banner error" role="alert" style={{ margin: "12px 18px 0", whiteSpace: "pre-wrap" }} data-testid="backup-error">
            <strong>{error.code}</strong> {error.message}
          </div>
        )}
        {(notice ?? catalog.error?.message) && <div className="banner ok" style={{ margin: "12px 18px 0" }} data-testid="notice">{notice ?? catalog.error?.message}</div>}
        {dry && (
          <div className="step-card" style={{ marginTop: 12 }} data-testid="backup-checks">
            <h2>Checks — nothing was run</h2>
            <ul className="notes">
              {dry.checks.map((c, i) => (
                <li key={i} className={c.ok ? "" : "field-error"}>{c.ok ? "✓" : "✗"} {c.name}: {c.message}</li>
              ))}
            </ul>
            {dry.commands.map((c, i) => (
              <div className="command" key={i}><pre>{c}</pre></div>
            ))}
          </div>
        )}
        {job && (job.log.length > 0 || running) && (
          <div style={{ margin: "0 18px" }}>
            <JobLog job={job} testid="backup" />
          </div>
        )}
        <div className="section-title" style={{ margin: "18px 18px 6px" }}>History</div>
        {history.length === 0 ? (
          <div className="muted pad" style={{ margin: "0 18px" }}>No backups yet.</div>
        ) : (
          <div style={{ margin: "0 18px" }}>
            <BackupHistory
              history={history}
              onRestore={onRestore}
              onOpen={(id) => backend().openBackupFolder(id).catch((e) => setNotice((e as Error).message))}
              onDelete={remove}
            />
          </div>
        )}
      </div>
    </div>
  );
}
