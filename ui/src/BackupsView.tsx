import { useCallback, useEffect, useRef, useState } from "react";
import type { BackupOptions, CatalogEntry, Deployment, DumpFormat, Preflight, Progress } from "./bindings";
import { backend, BackendError, newJobId } from "./backend";
import { human } from "./format";

const FORMATS: { id: DumpFormat; label: string }[] = [
  { id: "default", label: "Default — compressed by zstd as it streams" },
  { id: "plain", label: "Plain SQL, uncompressed" },
  { id: "custom", label: "pg_dump custom (gzip) — PostgreSQL" },
  { id: "directory", label: "pg_dump directory, parallel — PostgreSQL" },
];

/** 0..1 from pages (SQLite) or tables (dumps). */
export function fraction(p: Progress): number {
  if (p.pages_total > 0) return Math.min(1, p.pages_done / p.pages_total);
  if (p.tables_total > 0) return Math.min(1, p.tables_done / p.tables_total);
  return 0;
}

type Run =
  | { state: "idle" }
  | { state: "running"; jobId: string; phase: string; progress: Progress | null }
  | { state: "done"; entry: CatalogEntry }
  | { state: "failed"; error: BackendError };

export function BackupsView({ onRestore }: { onRestore?: (backupId: string) => void } = {}) {
  const [deployments, setDeployments] = useState<Deployment[]>([]);
  const [selected, setSelected] = useState("");
  const [format, setFormat] = useState<DumpFormat>("default");
  const [jobs, setJobs] = useState("2");
  const [run, setRun] = useState<Run>({ state: "idle" });
  const [log, setLog] = useState<string[]>([]);
  const [history, setHistory] = useState<CatalogEntry[]>([]);
  const [dry, setDry] = useState<Preflight | null>(null);
  const [confirm, setConfirm] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const logRef = useRef<HTMLPreElement>(null);

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
        if (d.length > 0) setSelected((s) => s || d[0].id);
      })
      .catch(() => {});
    void reload();
  }, [reload]);

  useEffect(() => {
    logRef.current?.scrollTo?.({ top: logRef.current.scrollHeight });
  }, [log]);

  const options = (): BackupOptions => ({
    format,
    jobs: format === "directory" ? Math.max(1, Number(jobs) || 1) : null,
    out: null,
  });

  async function start() {
    const jobId = newJobId();
    setRun({ state: "running", jobId, phase: "Starting…", progress: null });
    setLog([]);
    setDry(null);
    setNotice(null);
    try {
      const entry = await backend().startBackup(selected, options(), jobId, (e) => {
        if (e.kind === "log") setLog((l) => (l.length > 400 ? [...l.slice(-300), e.line] : [...l, e.line]));
        else if (e.kind === "phase") {
          setLog((l) => [...l, `[${e.phase}] ${e.message}`]);
          setRun((r) => (r.state === "running" ? { ...r, phase: e.message } : r));
        } else setRun((r) => (r.state === "running" ? { ...r, progress: e } : r));
      });
      setRun({ state: "done", entry });
      await reload();
    } catch (e) {
      setRun({ state: "failed", error: e as BackendError });
    }
  }

  async function dryRun() {
    setDry(null);
    setNotice(null);
    try {
      setDry(await backend().backupDryRun(selected, options(), newJobId()));
    } catch (e) {
      setRun({ state: "failed", error: e as BackendError });
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

  const running = run.state === "running";
  const p = run.state === "running" ? run.progress : null;
  const frac = p ? fraction(p) : 0;

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
            <input aria-label="Parallel jobs" value={jobs} onChange={(e) => setJobs(e.target.value)} style={{ width: 40 }} />
          )}
          <button onClick={dryRun} disabled={!selected || running} data-testid="backup-dry-run">Check</button>
          {running ? (
            <button onClick={() => backend().cancelJob((run as { jobId: string }).jobId)} data-testid="cancel-backup">
              <span className="spinner" aria-hidden /> Cancel
            </button>
          ) : (
            <button className="primary" onClick={start} disabled={!selected} data-testid="start-backup">Back up now</button>
          )}
        </span>
      </header>
      <div className="plan-body">
        {running && (
          <div className="step-card" style={{ marginTop: 12 }} data-testid="backup-running">
            <div className="small">{run.phase}</div>
            <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(frac * 100)} data-testid="backup-progress" data-raw-bytes={p?.raw_bytes ?? 0}>
              <div className="progress-fill" style={{ width: `${Math.max(2, frac * 100)}%` }} />
            </div>
            {p && (
              <div className="small muted" data-testid="backup-stats">
                {human(p.raw_bytes)} read · {human(p.written_bytes)} written ·{" "}
                {p.pages_total > 0 ? `pages ${p.pages_done}/${p.pages_total}` : `tables ${p.tables_done}/${p.tables_total}`} ·{" "}
                {human(p.rate_bps)}/s{p.eta_secs !== null ? ` · ETA ${Math.ceil(p.eta_secs)} s` : ""}
              </div>
            )}
          </div>
        )}
        {run.state === "done" && (
          <div className="banner ok" style={{ margin: "12px 18px 0" }} data-testid="backup-done">
            Backup <strong>{run.entry.id}</strong> of “{run.entry.deployment}” complete: {human(run.entry.bytes)} in {(run.entry.duration_ms / 1000).toFixed(1)} s.
          </div>
        )}
        {run.state === "failed" && (
          <div className="banner error" role="alert" style={{ margin: "12px 18px 0", whiteSpace: "pre-wrap" }} data-testid="backup-error">
            <strong>{run.error.code}</strong> {run.error.message}
          </div>
        )}
        {notice && <div className="banner ok" style={{ margin: "12px 18px 0" }} data-testid="notice">{notice}</div>}
        {dry && (
          <div className="step-card" style={{ marginTop: 12 }} data-testid="backup-checks">
            <h3>Checks — nothing was run</h3>
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
        {(log.length > 0 || running) && (
          <>
            <div className="section-title" style={{ margin: "14px 18px 4px" }}>Log</div>
            <pre className="log-panel" ref={logRef} data-testid="backup-log">{log.join("\n")}</pre>
          </>
        )}
        <div className="section-title" style={{ margin: "18px 18px 6px" }}>History</div>
        {history.length === 0 ? (
          <div className="muted pad" style={{ margin: "0 18px" }}>No backups yet.</div>
        ) : (
          <div style={{ margin: "0 18px" }}>
            <table className="facts" data-testid="backup-history">
              <thead>
                <tr><th>Started</th><th>Deployment</th><th>Status</th><th>Method</th><th>Format</th><th>Size</th><th>Duration</th><th>Tables</th><th /></tr>
              </thead>
              <tbody>
                {history.map((b) => b.status === "damaged" || b.status === "leftover" ? (
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
      return <span className="badge ok" title={`Verified${verified}`}>✓ verified</span>;
    case "warnings":
      return <span className="badge warn">⚠ warnings</span>;
    case "verification_failed":
      return <span className="badge bad" title={entry.problem ?? undefined}>✗ verification failed</span>;
    default:
      return <span className="badge ok" title="Complete; no restore or check has verified it yet">✓ complete, unverified</span>;
  }
}
