import { useCallback, useEffect, useRef, useState } from "react";
import type { BackupOptions, CatalogEntry, Deployment, DumpFormat, Preflight } from "./bindings";
import { backend, BackendError, newJobId } from "./backend";
import { human } from "./format";
import { moveFocus } from "./focus";
import { isActive, JobLog, JobProgress, useJobs } from "./jobs";
import { NodesTable } from "./PauseView";

const FORMATS: { id: DumpFormat; label: string }[] = [
  { id: "default", label: "Default — compressed by zstd as it streams" },
  { id: "plain", label: "Plain SQL, uncompressed" },
  { id: "custom", label: "pg_dump custom (gzip) — PostgreSQL" },
  { id: "directory", label: "pg_dump directory, parallel — PostgreSQL" },
];

export function BackupsView({ onRestore, initialDeployment = null }: { onRestore?: (backupId: string) => void; initialDeployment?: string | null } = {}) {
  const [deployments, setDeployments] = useState<Deployment[]>([]);
  const [selected, setSelected] = useState("");
  const [format, setFormat] = useState<DumpFormat>("default");
  const [workers, setWorkers] = useState("2");
  const jobs = useJobs();
  // The backup job lives in the app's job store: it survives a visit to another view.
  const job = jobs.latest("backup");
  const [failure, setFailure] = useState<BackendError | null>(null);
  const [history, setHistory] = useState<CatalogEntry[]>([]);
  const [dry, setDry] = useState<Preflight | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      setHistory(await backend().listBackups());
    } catch (e) {
      setNotice((e as Error).message);
    }
  }, []);

  useEffect(() => {
    backend()
      .listDeployments()
      .then((d) => {
        setDeployments(d);
        if (d.length > 0) setSelected((s) => s || (d.some((x) => x.id === initialDeployment) ? initialDeployment! : d[0].id));
      })
      .catch(() => {});
    void reload();
  }, [reload]);

  // A finished backup shows in the history.
  const finished = job && !isActive(job) ? job.id : null;
  useEffect(() => {
    if (finished) void reload();
  }, [finished, reload]);

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
      await reload();
    } catch (e) {
      setNotice((e as Error).message);
    }
    setConfirm(null);
  }

  const running = isActive(job);
  const entry = job?.state === "done" ? (job.result as CatalogEntry) : null;
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
        {notice && <div className="banner ok" style={{ margin: "12px 18px 0" }} data-testid="notice">{notice}</div>}
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
            <table className="facts" data-testid="backup-history">
              <thead>
                <tr><th>Started</th><th>Deployment</th><th>Status</th><th>Method</th><th>Format</th><th>Size</th><th>Duration</th><th>Tables</th><th><span className="sr-only">Actions</span></th></tr>
              </thead>
              <tbody>
                {history.map((b) => b.kind === "pause_window" ? (
                  <tr key={b.folder} data-testid={`window-row-${b.id}`}>
                    <td title={b.id}>{new Date(b.started_at).toLocaleString()}</td>
                    <td>{b.deployment}</td>
                    <td><StatusBadge entry={b} /></td>
                    <td colSpan={5} className="small">
                      ‖ pause window of {b.paused_ms !== null ? `${b.paused_ms.toFixed(0)} ms` : "—"}
                      {b.window?.backup_id ? ` (backup ${b.window.backup_id})` : ""}
                      {b.window?.restore_point ? ` · restore point ${b.window.restore_point}` : ""}
                      {b.problem ? ` · ${b.problem}` : ""}
                    </td>
                    <td />
                  </tr>
                ) : b.status === "damaged" || b.status === "leftover" ? (
                  <tr key={b.folder} className="unusable" data-testid={`backup-row-${b.id}`}>
                    <td title={b.folder}>{b.started_at ? new Date(b.started_at).toLocaleString() : "?"}</td>
                    <td>{b.deployment}</td>
                    <td><span className="badge warn">{b.status === "damaged" ? "⚠ damaged" : "⚠ left over"}</span></td>
                    <td colSpan={5} className="small">{b.problem} <span className="muted">({b.folder})</span></td>
                    <td />
                  </tr>
                ) : (
                  <tr key={b.id} data-testid={`backup-row-${b.id}`}>
                    <td title={b.id}>{new Date(b.started_at).toLocaleString()}</td>
                    <td>{b.deployment}</td>
                    <td><StatusBadge entry={b} /></td>
                    <td>{b.method === "no_pause" ? "no pause" : b.method}</td>
                    <td>{b.format}{b.units.length > 1 ? ` · ${b.units.length} databases` : ""}</td>
                    <td>{human(b.bytes)}</td>
                    <td>{(b.duration_ms / 1000).toFixed(1)} s</td>
                    <td>{b.tables}</td>
                    <td style={{ whiteSpace: "nowrap" }}>
                      {onRestore && (
                        <>
                          <button className="small" onClick={() => onRestore(b.id)} data-testid={`restore-${b.id}`}>Restore…</button>{" "}
                        </>
                      )}
                      <button className="small" onClick={() => backend().openBackupFolder(b.id).catch((e) => setNotice((e as Error).message))}>Open folder</button>{" "}
                      {confirm === b.id ? (
                        <>
                          <button className="small danger" onClick={() => remove(b.id)} data-testid="confirm-delete-backup">Delete</button>{" "}
                          <button className="small" onClick={() => setConfirm(null)}>Keep</button>
                        </>
                      ) : (
                        <button className="small danger-outline" onClick={() => setConfirm(b.id)}>Delete…</button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}

/** A complete backup's status, in words and a symbol (never colour alone). */
export function StatusBadge({ entry }: { entry: CatalogEntry }) {
  const verified = entry.verified_at ? ` on ${new Date(entry.verified_at).toLocaleString()}` : "";
  switch (entry.status) {
    case "ok":
      if (entry.kind === "pause_window") return <span className="badge ok">✓ safe restore point</span>;
      return <span className="badge ok" title={`Verified${verified}`}>✓ verified</span>;
    case "warnings":
      return <span className="badge warn">⚠ warnings</span>;
    case "verification_failed":
      return <span className="badge bad" title={entry.problem ?? undefined}>✗ verification failed</span>;
    case "unsafe":
      return <span className="badge bad" title={entry.problem ?? undefined}>✗ unsafe window</span>;
    case "failed":
      return <span className="badge bad" title={entry.problem ?? undefined}>✗ failed</span>;
    default:
      return <span className="badge ok" title="Complete; no restore or check has verified it yet">✓ complete, unverified</span>;
  }
}
