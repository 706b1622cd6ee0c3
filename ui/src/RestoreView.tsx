import { useEffect, useRef, useState } from "react";
import type {
  CatalogEntry,
  CatalogUnit,
  Profile,
  Progress,
  RestoreOptions,
  RestorePreflight,
  RestoreResult,
  UnitPreflight,
  VerifyReport,
} from "./bindings";
import { backend, BackendError, newJobId } from "./backend";
import { human } from "./format";

/** 0..1 of a restore: pages (SQLite), else bytes fed of the backup, else tables. */
export function restoreFraction(p: Progress, totalBytes: number): number {
  if (p.pages_total > 0) return Math.min(1, p.pages_done / p.pages_total);
  if (totalBytes > 0 && p.raw_bytes > 0) return Math.min(1, p.raw_bytes / totalBytes);
  if (p.tables_total > 0) return Math.min(1, p.tables_done / p.tables_total);
  return 0;
}

/** A replacement needs the target's name typed; an empty target does not. */
export function canRestore(pf: RestorePreflight | null, typed: string): boolean {
  if (!pf || !pf.checks.every((c) => c.ok)) return false;
  return !pf.will_replace || typed === pf.confirm_name;
}

/** The profiles a unit can be restored into: the same database family. */
export function profilesFor(unit: CatalogUnit | null, profiles: Profile[]): Profile[] {
  return unit ? profiles.filter((p) => p.kind === unit.kind) : profiles;
}

type Run =
  | { state: "idle" }
  | { state: "running"; jobId: string; phase: string; progress: Progress | null }
  | { state: "done"; result: RestoreResult }
  | { state: "failed"; error: BackendError };

const STEPS = ["Backup", "Target", "Checks", "Restore", "Verification"];

export function RestoreView({ initialBackup = null }: { initialBackup?: string | null } = {}) {
  const [backups, setBackups] = useState<CatalogEntry[]>([]);
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [source, setSource] = useState("");
  const [folder, setFolder] = useState("");
  const [target, setTarget] = useState("");
  // A backup of several databases: one target per unit, by unit id.
  const [unitTargets, setUnitTargets] = useState<Record<string, string>>({});
  const [replace, setReplace] = useState(false);
  const [jobs, setJobs] = useState("");
  const [grants, setGrants] = useState(false);
  const [grantTo, setGrantTo] = useState("");
  const [pf, setPf] = useState<RestorePreflight | null>(null);
  const [checking, setChecking] = useState(false);
  const [typed, setTyped] = useState("");
  const [run, setRun] = useState<Run>({ state: "idle" });
  const [error, setError] = useState<BackendError | null>(null);
  const [log, setLog] = useState<string[]>([]);
  const [verifying, setVerifying] = useState(false);
  const [liveReports, setLiveReports] = useState<VerifyReport[]>([]);
  const logRef = useRef<HTMLPreElement>(null);
  const resultRef = useRef<HTMLDivElement>(null);
  const doneRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    backend().listBackups().then((all) => {
      // Only complete backups can be restored; damaged ones and leftovers are listed in Backups.
      const b = all.filter((x) => x.status !== "damaged" && x.status !== "leftover");
      setBackups(b);
      const wanted = initialBackup && b.some((x) => x.id === initialBackup) ? initialBackup : b[0]?.id;
      if (wanted) setSource((s) => s || wanted);
    }).catch(() => {});
    backend().listProfiles().then((p) => {
      const sql = p.filter((x) => x.kind === "postgresql" || x.kind === "mysql" || x.kind === "sqlite");
      setProfiles(sql);
      if (sql.length > 0) setTarget((t) => t || sql[0].id);
    }).catch(() => {});
  }, [initialBackup]);

  useEffect(() => {
    logRef.current?.scrollTo?.({ top: logRef.current.scrollHeight });
  }, [log]);

  // Each new stage of the wizard comes into view.
  useEffect(() => {
    const el = run.state === "done" || run.state === "failed" ? doneRef.current : resultRef.current;
    el?.scrollIntoView?.({ block: "start", behavior: "smooth" });
  }, [pf, run.state]);

  // Any change of choice invalidates the checks.
  useEffect(() => {
    setPf(null);
    setTyped("");
    setError(null);
    setLiveReports([]);
  }, [source, folder, target, unitTargets, replace, jobs, grants, grantTo]);

  const backupRef = folder.trim() !== "" ? folder.trim() : source;
  const chosen = backups.find((b) => b.id === source);
  const units = chosen && folder.trim() === "" ? chosen.units : [];
  const multi = units.length > 1;
  // Each unit starts on the profile it was read from, when it is one of its
  // family; otherwise nothing is chosen: two units never default to one target.
  useEffect(() => {
    if (!multi) return;
    setUnitTargets((cur) => {
      const next: Record<string, string> = {};
      for (const u of units) next[u.id] = cur[u.id] ?? profilesFor(u, profiles).find((p) => p.name === u.profile || p.id === u.profile)?.id ?? "";
      return next;
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [source, folder, profiles, multi]);
  const chosenTargets = units.map((u) => unitTargets[u.id] ?? "").filter((t) => t !== "");
  const sharedTarget = multi && new Set(chosenTargets).size < chosenTargets.length;
  const targetsChosen = multi ? units.every((u) => (unitTargets[u.id] ?? "") !== "") && !sharedTarget : target !== "";
  const options = (): RestoreOptions => ({
    to: multi ? "" : target,
    targets: multi ? units.map((u) => ({ unit: u.id, profile: unitTargets[u.id] ?? "" })) : [],
    replace,
    jobs: jobs.trim() === "" ? null : Math.max(1, Number(jobs) || 1),
    confirm: null,
    grants,
    grant_to: grants && grantTo.trim() !== "" ? grantTo.trim() : null,
    skip_verify: false,
  });

  async function check() {
    setChecking(true);
    setError(null);
    setRun({ state: "idle" });
    try {
      setPf(await backend().restoreDryRun(backupRef, options(), newJobId()));
    } catch (e) {
      setError(e as BackendError);
    } finally {
      setChecking(false);
    }
  }

  /** Verifies the chosen targets as they are now, against the chosen backup (each against its unit). */
  async function verifyNow() {
    setVerifying(true);
    setError(null);
    setLiveReports([]);
    try {
      const pairs: [string, string | null][] = multi ? units.map((u) => [unitTargets[u.id], u.id]) : [[target, null]];
      const reports: VerifyReport[] = [];
      for (const [profile, unit] of pairs) reports.push(await backend().verifyProfile(profile, backupRef || null, unit, newJobId()));
      setLiveReports(reports);
    } catch (e) {
      setError(e as BackendError);
    } finally {
      setVerifying(false);
    }
  }

  async function start() {
    if (!pf) return;
    const jobId = newJobId();
    setRun({ state: "running", jobId, phase: "Starting…", progress: null });
    setLog([]);
    try {
      const result = await backend().startRestore(
        backupRef,
        { ...options(), confirm: pf.will_replace ? typed : null },
        jobId,
        (e) => {
          if (e.kind === "log") setLog((l) => (l.length > 400 ? [...l.slice(-300), e.line] : [...l, e.line]));
          else if (e.kind === "phase") {
            setLog((l) => [...l, `[${e.phase}] ${e.message}`]);
            setRun((r) => (r.state === "running" ? { ...r, phase: e.message } : r));
          } else setRun((r) => (r.state === "running" ? { ...r, progress: e } : r));
        },
      );
      setRun({ state: "done", result });
    } catch (e) {
      setRun({ state: "failed", error: e as BackendError });
    }
  }

  const running = run.state === "running";
  const step = run.state === "done" ? 4 : running || run.state === "failed" ? 3 : pf ? 2 : targetsChosen ? 1 : 0;
  const p = run.state === "running" ? run.progress : null;
  const frac = p ? restoreFraction(p, pf?.bytes ?? 0) : 0;

  return (
    <div className="plan-page">
      <header className="pane-header">
        <h1>Restore</h1>
        <ol className="wizard-steps" aria-label="Steps">
          {STEPS.map((s, i) => (
            <li key={s} className={i === step ? "current" : i < step ? "done" : ""}>{s}</li>
          ))}
        </ol>
      </header>
      <div className="plan-body restore-body">
        <fieldset disabled={running}>
          <legend>1. Backup</legend>
          <div className="row">
            <div className="field grow">
              <label htmlFor="r-backup">From the history</label>
              <select id="r-backup" value={source} onChange={(e) => setSource(e.target.value)} data-testid="restore-backup">
                {backups.length === 0 && <option value="">No backups in the catalog</option>}
                {backups.map((b) => (
                  <option key={b.id} value={b.id}>
                    {b.deployment} · {new Date(b.started_at).toLocaleString()} · {b.format} · {human(b.bytes)}
                  </option>
                ))}
              </select>
            </div>
            <div className="field grow">
              <label htmlFor="r-folder">Or a backup folder</label>
              <input id="r-folder" placeholder="/path/to/<backup id>" value={folder} onChange={(e) => setFolder(e.target.value)} data-testid="restore-folder" />
            </div>
          </div>
          {chosen && folder.trim() === "" && (
            <div className="hint">Backup {chosen.id}: {chosen.tables} tables, method {chosen.method === "no_pause" ? "no pause" : chosen.method}. A restore is always the whole deployment: one table or namespace alone would break its consistency.</div>
          )}
        </fieldset>
        <fieldset disabled={running}>
          <legend>2. Target</legend>
          {multi ? (
            <div data-testid="restore-unit-targets">
              <div className="hint">This backup holds {units.length} databases; each is restored into a profile of its own database family.</div>
              {units.map((u) => (
                <div className="row" key={u.id}>
                  <div className="field grow">
                    <label htmlFor={`r-target-${u.id}`}>Unit {u.id} ({u.storages.join(", ")}; {u.kind}, from {u.profile}) into</label>
                    <select
                      id={`r-target-${u.id}`}
                      value={unitTargets[u.id] ?? ""}
                      onChange={(e) => setUnitTargets((t) => ({ ...t, [u.id]: e.target.value }))}
                      data-testid={`restore-target-${u.id}`}
                    >
                      <option value="">{profilesFor(u, profiles).length === 0 ? `No ${u.kind} profile` : "Choose a profile…"}</option>
                      {profilesFor(u, profiles).map((x) => (
                        <option key={x.id} value={x.id}>{x.name} ({x.kind})</option>
                      ))}
                    </select>
                  </div>
                </div>
              ))}
              {sharedTarget && (
                <div className="field-error small" role="alert" data-testid="restore-shared-target">
                  ✗ Two units have the same target: each unit is a database of its own and goes to a profile of its own.
                </div>
              )}
              <div className="row">
                <div className="field narrow">
                  <label htmlFor="r-jobs">Parallel jobs</label>
                  <input id="r-jobs" placeholder="none" value={jobs} onChange={(e) => setJobs(e.target.value)} data-testid="restore-jobs" />
                </div>
              </div>
            </div>
          ) : (
            <div className="row">
              <div className="field grow">
                <label htmlFor="r-target">Profile to restore into</label>
                <select id="r-target" value={target} onChange={(e) => setTarget(e.target.value)} data-testid="restore-target">
                  {profiles.length === 0 && <option value="">No PostgreSQL, MySQL or SQLite profile</option>}
                  {profiles.map((x) => (
                    <option key={x.id} value={x.id}>{x.name} ({x.kind})</option>
                  ))}
                </select>
              </div>
              <div className="field narrow">
                <label htmlFor="r-jobs">Parallel jobs</label>
                <input id="r-jobs" placeholder="none" value={jobs} onChange={(e) => setJobs(e.target.value)} data-testid="restore-jobs" />
              </div>
            </div>
          )}
          <label className="check">
            <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} data-testid="restore-replace" />
            Replace what the target already holds of this deployment (you will see it first)
          </label>
          <div className="row" style={{ alignItems: "center" }}>
            <label className="check" style={{ flex: "0 0 auto" }}>
              <input type="checkbox" checked={grants} onChange={(e) => setGrants(e.target.checked)} data-testid="restore-grants" />
              Re-apply the ScalarDB user's privileges recorded with the backup
            </label>
            {grants && (
              <input aria-label="Grant to role" placeholder="to the recorded user, or another role" value={grantTo} onChange={(e) => setGrantTo(e.target.value)} style={{ marginBottom: 10, padding: "5px 8px" }} />
            )}
          </div>
          <div className="actions" style={{ marginTop: 0, marginBottom: 10 }}>
            <button onClick={check} disabled={!backupRef || !targetsChosen || checking} data-testid="restore-check">
              {checking && <span className="spinner" aria-hidden />} Check
            </button>
            <button onClick={verifyNow} disabled={!targetsChosen || verifying} title="Tables and row counts against the backup, and the ScalarDB consistency audit, on the target as it is now" data-testid="verify-now">
              {verifying && <span className="spinner" aria-hidden />} Verify {multi ? "the targets" : "the target"} now
            </button>
          </div>
        </fieldset>
        {error && (
          <div className="banner error" role="alert" style={{ whiteSpace: "pre-wrap" }} data-testid="restore-error">
            <strong>{error.code}</strong> {error.message}
          </div>
        )}
        <div ref={resultRef} />
        {!pf && liveReports.map((r, i) => <Verification report={r} key={i} />)}
        {pf && <Checks pf={pf} typed={typed} setTyped={setTyped} disabled={running} />}
        {pf && (
          <div className="actions" style={{ marginBottom: 8 }}>
            {running ? (
              <button onClick={() => backend().cancelJob((run as { jobId: string }).jobId)} data-testid="cancel-restore">
                <span className="spinner" aria-hidden /> Cancel
              </button>
            ) : (
              <button className="primary" onClick={start} disabled={!canRestore(pf, typed) || run.state === "done"} data-testid="start-restore">
                {pf.will_replace ? "Replace and restore" : "Restore"}
              </button>
            )}
          </div>
        )}
        {running && (
          <div className="step-card" style={{ marginTop: 12 }} data-testid="restore-running">
            <div className="small">{run.phase}</div>
            <div className="progress" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(frac * 100)} data-testid="restore-progress">
              <div className="progress-fill" style={{ width: `${Math.max(2, frac * 100)}%` }} />
            </div>
            {p && (
              <div className="small muted">
                {human(p.raw_bytes)} of {human(pf?.bytes ?? 0)} fed ·{" "}
                {p.pages_total > 0 ? `pages ${p.pages_done}/${p.pages_total}` : `tables ${p.tables_done}/${p.tables_total}`} ·{" "}
                {human(p.rate_bps)}/s{p.eta_secs !== null ? ` · ETA ${Math.ceil(p.eta_secs)} s` : ""}
              </div>
            )}
          </div>
        )}
        <div ref={doneRef} />
        {run.state === "failed" && (
          <div className="banner error" role="alert" style={{ whiteSpace: "pre-wrap" }} data-testid="restore-failed">
            <strong>{run.error.code}</strong> {run.error.message}
          </div>
        )}
        {run.state === "done" && (
          <>
            <div className={run.result.verify?.passed === false ? "banner error" : "banner ok"} data-testid="restore-done">
              Restored <strong>{run.result.backup_id}</strong> into {targetNames(run.result, profiles)} in {(run.result.duration_ms / 1000).toFixed(1)} s —{" "}
              {run.result.verify === null ? "not verified" : run.result.verify.passed ? "verification found no errors" : "verification found errors"}.
            </div>
            {run.result.verify && <Verification report={run.result.verify} />}
            {run.result.grants_applied.length > 0 && (
              <>
                <div className="section-title">Grants re-applied</div>
                {run.result.grants_applied.map((g, i) => <div className="command" key={i}><pre>{g}</pre></div>)}
              </>
            )}
            <div className="section-title">Next</div>
            <ul className="notes">
              {run.result.after.map((a, i) => <li key={i}>{a}</li>)}
            </ul>
          </>
        )}
        {(log.length > 0 || running) && (
          <>
            <div className="section-title">Log</div>
            <pre className="log-panel" ref={logRef} data-testid="restore-log">{log.join("\n")}</pre>
          </>
        )}
      </div>
    </div>
  );
}

/** "u1 → prod-pg, u2 → prod-maria", or the one profile's name. */
function targetNames(r: RestoreResult, profiles: Profile[]): string {
  const name = (id: string) => profiles.find((p) => p.id === id || p.name === id)?.name ?? id;
  if (r.targets.length === 1) return name(r.targets[0].profile);
  return r.targets.map((t) => `${t.unit} → ${name(t.profile)}`).join(", ");
}

function Checks(props: { pf: RestorePreflight; typed: string; setTyped: (s: string) => void; disabled: boolean }) {
  const { pf } = props;
  const multi = pf.units.length > 1;
  return (
    <div className="step-card" style={{ marginTop: 12 }} data-testid="restore-checks">
      <h3>3. Checks — nothing was touched</h3>
      <ul className="notes">
        {pf.checks.map((c, i) => (
          <li key={i} className={c.ok ? "" : "field-error"} data-testid={`check-${c.name.replace(/ /g, "-")}`}>{c.ok ? "✓" : "✗"} {c.name}: {c.message}</li>
        ))}
      </ul>
      {pf.units.map((u) => <UnitChecks key={u.unit} u={u} multi={multi} />)}
      {multi && <div className="small" data-testid="restore-order"><strong>Order:</strong> {pf.order}</div>}
      {pf.will_replace && (
        <div className="field" style={{ marginTop: 10, maxWidth: 420 }}>
          <label htmlFor="r-confirm">Type <span className="mono">{pf.confirm_name}</span> to replace {multi ? "their" : "its"} data</label>
          <input id="r-confirm" value={props.typed} onChange={(e) => props.setTyped(e.target.value)} disabled={props.disabled} data-testid="restore-confirm" />
        </div>
      )}
    </div>
  );
}

function UnitChecks({ u, multi }: { u: UnitPreflight; multi: boolean }) {
  return (
    <section aria-label={`Unit ${u.unit}`} data-testid={`restore-unit-${u.unit}`}>
      {multi && <div className="section-title">Unit {u.unit} ({u.storages.join(", ")})</div>}
      <div className="small muted">
        {u.format} backup from {u.source}{u.source_version ? ` (${u.source_version})` : ""} → {u.target_profile}: {u.target}{u.target_version ? ` (${u.target_version})` : ""}
      </div>
      {u.sessions.length > 0 && (
        <table className="facts" data-testid="restore-sessions">
          <thead><tr><th>Session</th><th>User</th><th>Client</th><th>Application</th><th>State</th></tr></thead>
          <tbody>
            {u.sessions.map((s) => (
              <tr key={s.id}><td>{s.id}</td><td>{s.user}</td><td>{s.client}</td><td>{s.application}</td><td>{s.state}</td></tr>
            ))}
          </tbody>
        </table>
      )}
      {u.existing.length > 0 && (
        <>
          <div className="section-title">{u.will_replace ? "Will be replaced on the target" : "Already on the target"}</div>
          <table className="facts" data-testid="restore-existing">
            <thead><tr><th>Namespace</th><th>Table</th><th>Rows</th></tr></thead>
            <tbody>
              {u.existing.map((t, i) => (
                <tr key={i}><td>{t.namespace}</td><td>{t.table}</td><td>{t.rows ?? "?"}</td></tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <div className="small"><strong>How:</strong> {u.mode}</div>
      <div className="small"><strong>If it fails or is cancelled:</strong> {u.on_failure}</div>
      {u.commands.map((c, i) => (
        <div className="command" key={i}><pre>{c}</pre></div>
      ))}
    </section>
  );
}

export function Verification({ report }: { report: VerifyReport }) {
  const a = report.audit;
  return (
    <div className="step-card" style={{ marginTop: 12 }} data-testid="verify-report" data-passed={report.passed ? "true" : "false"}>
      <h3>Verification of {report.profile}{report.backup_id ? ` against ${report.backup_id}` : ""}</h3>
      <ul className="notes">
        {report.findings.map((f, i) => (
          <li key={i} className={f.severity === "error" ? "field-error" : ""}>{f.severity === "error" ? "✗" : f.severity === "warning" ? "!" : "✓"} {f.message}</li>
        ))}
      </ul>
      {report.tables.length > 0 && (
        <table className="facts" data-testid="verify-tables">
          <thead><tr><th>Table</th><th>Rows</th><th>In the backup</th></tr></thead>
          <tbody>
            {report.tables.map((t, i) => (
              <tr key={i} className={t.severity === "error" ? "field-error" : ""}>
                <td>{t.namespace}.{t.table}</td>
                <td>{t.rows ?? "missing"}</td>
                <td>{t.expected_rows === null ? "—" : t.expected_exact ? t.expected_rows : `~${t.expected_rows}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {a && (
        <div data-testid="audit">
          <div className="section-title">ScalarDB consistency audit</div>
          <div className="small">
            {a.in_flight_records} in-flight record(s) in the {a.tables.length} tables read; coordinator {a.coordinator_table} has {a.coordinator_rows ?? "?"} rows.{" "}
            <span className="pill key">{a.roll_forward} roll forward</span>
            <span className="pill">{a.roll_back} roll back</span>
            <span className="pill warn">{a.not_yet_expired} not yet expired</span>
            <span className={a.torn > 0 ? "pill bad" : "pill"}>{a.torn} torn</span>
          </div>
          <ul className="notes">
            {a.findings.map((f, i) => (
              <li key={i} className={f.severity === "error" ? "field-error" : ""}>{f.severity === "error" ? "✗" : f.severity === "warning" ? "!" : "✓"} {f.message}</li>
            ))}
          </ul>
          {a.transactions.length > 0 && (
            <table className="facts">
              <thead><tr><th>Transaction</th><th>Recovery</th><th>Why</th></tr></thead>
              <tbody>
                {a.transactions.slice(0, 20).map((t) => (
                  <tr key={t.tx_id} className={t.recovery === "torn" ? "field-error" : ""}>
                    <td className="mono">{t.tx_id}</td><td>{t.recovery.replace(/_/g, " ")}</td><td>{t.explanation}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <details className="small">
            <summary>What the audit cannot see</summary>
            <ul className="notes">{a.limits.map((l, i) => <li key={i}>{l}</li>)}</ul>
          </details>
        </div>
      )}
    </div>
  );
}
