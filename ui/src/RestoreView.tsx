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
import { moveFocus } from "./focus";
import { isActive, jobFraction, JobLog, JobProgress, useJobs, type Job } from "./jobs";

/** 0..1 of a restore: pages (SQLite), else bytes fed of the backup, else tables. */
export function restoreFraction(p: Progress, totalBytes: number): number {
  return jobFraction(p, totalBytes);
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

const STEPS = ["Backup", "Target", "Checks", "Restore", "Verification"];

/** What the wizard's first two steps chose. */
interface Choice {
  source: string;
  folder: string;
  target: string;
  /** A backup of several databases: one target per unit, by unit id. */
  unitTargets: Record<string, string>;
  replace: boolean;
  workers: string;
  grants: boolean;
  grantTo: string;
}

const EMPTY: Choice = { source: "", folder: "", target: "", unitTargets: {}, replace: false, workers: "", grants: false, grantTo: "" };

export function RestoreView({ initialBackup = null, initialTarget = null }: { initialBackup?: string | null; initialTarget?: string | null } = {}) {
  const [backups, setBackups] = useState<CatalogEntry[]>([]);
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [choice, setChoice] = useState<Choice>(EMPTY);
  const [pf, setPf] = useState<RestorePreflight | null>(null);
  const [checking, setChecking] = useState(false);
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<BackendError | null>(null);
  const [verifying, setVerifying] = useState(false);
  const [liveReports, setLiveReports] = useState<VerifyReport[]>([]);
  const jobs = useJobs();
  // The restore job lives in the app's job store: it survives a visit to another view.
  const job = jobs.latest("restore");
  const resultRef = useRef<HTMLDivElement>(null);
  const doneRef = useRef<HTMLDivElement>(null);
  const set = (patch: Partial<Choice>) => setChoice((c) => ({ ...c, ...patch }));

  useEffect(() => {
    backend().listBackups().then((all) => {
      // Only complete backups can be restored; damaged ones and leftovers are listed in Backups.
      const b = all.filter((x) => x.kind === "backup" && x.status !== "damaged" && x.status !== "leftover");
      setBackups(b);
      const wanted = initialBackup && b.some((x) => x.id === initialBackup) ? initialBackup : b[0]?.id;
      if (wanted) setChoice((c) => ({ ...c, source: c.source || wanted }));
    }).catch(() => {});
    backend().listProfiles().then((p) => {
      const sql = p.filter((x) => x.kind === "postgresql" || x.kind === "mysql" || x.kind === "sqlite");
      setProfiles(sql);
      const wanted = sql.find((x) => x.name === initialTarget) ?? sql[0];
      if (wanted) setChoice((c) => ({ ...c, target: c.target || wanted.id }));
    }).catch(() => {});
  }, [initialBackup, initialTarget]);

  // Any change of choice invalidates the checks.
  useEffect(() => {
    setPf(null);
    setTyped("");
    setError(null);
    setLiveReports([]);
  }, [choice]);

  const backupRef = choice.folder.trim() !== "" ? choice.folder.trim() : choice.source;
  const chosen = backups.find((b) => b.id === choice.source);
  const units = chosen && choice.folder.trim() === "" ? chosen.units : [];
  const multi = units.length > 1;
  // Each unit starts on the profile it was read from, when it is one of its
  // family; otherwise nothing is chosen: two units never default to one target.
  useEffect(() => {
    if (!multi) return;
    setChoice((c) => {
      const next: Record<string, string> = {};
      for (const u of units) next[u.id] = c.unitTargets[u.id] ?? profilesFor(u, profiles).find((p) => p.name === u.profile || p.id === u.profile)?.id ?? "";
      return { ...c, unitTargets: next };
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [choice.source, choice.folder, profiles, multi]);
  const chosenTargets = units.map((u) => choice.unitTargets[u.id] ?? "").filter((t) => t !== "");
  const sharedTarget = multi && new Set(chosenTargets).size < chosenTargets.length;
  const targetsChosen = multi ? units.every((u) => (choice.unitTargets[u.id] ?? "") !== "") && !sharedTarget : choice.target !== "";

  const options = (): RestoreOptions => ({
    // One unit: its profile alone (the unit left empty).
    targets: multi ? units.map((u) => ({ unit: u.id, profile: choice.unitTargets[u.id] ?? "" })) : [{ unit: "", profile: choice.target }],
    replace: choice.replace,
    jobs: choice.workers.trim() === "" ? null : Math.max(1, Number(choice.workers) || 1),
    confirm: null,
    grants: choice.grants,
    grant_to: choice.grants && choice.grantTo.trim() !== "" ? choice.grantTo.trim() : null,
    skip_verify: false,
  });

  async function check() {
    setChecking(true);
    setError(null);
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
      const pairs: [string, string | null][] = multi ? units.map((u) => [choice.unitTargets[u.id], u.id]) : [[choice.target, null]];
      const reports: VerifyReport[] = [];
      for (const [profile, unit] of pairs) reports.push(await backend().verifyProfile(profile, backupRef || null, unit, newJobId()));
      setLiveReports(reports);
    } catch (e) {
      setError(e as BackendError);
    } finally {
      setVerifying(false);
    }
  }

  function start() {
    if (!pf) return;
    const opts = { ...options(), confirm: pf.will_replace ? typed : null };
    const ref = backupRef;
    jobs.start("restore", `Restore of ${pf.backup_id} into ${pf.confirm_name}`, (jobId, onEvent) => backend().startRestore(ref, opts, jobId, onEvent), pf.bytes);
    setPf(null);
  }

  const running = isActive(job);
  // This visit's job: one that runs, or one that ended since the checks.
  const shown = job && (running || !pf) ? job : undefined;
  const step = shown?.state === "done" ? 4 : shown ? 3 : pf ? 2 : targetsChosen ? 1 : 0;

  // Each new stage of the wizard comes into view.
  useEffect(() => {
    const el = shown && !running ? doneRef.current : resultRef.current;
    el?.scrollIntoView?.({ block: "start", behavior: "smooth" });
  }, [pf, shown?.state, running]);

  return (
    <div className="plan-page">
      <header className="pane-header">
        <h1>Restore</h1>
        <ol className="wizard-steps" aria-label="Steps">
          {STEPS.map((s, i) => (
            <li key={s} className={i === step ? "current" : i < step ? "done" : ""} aria-current={i === step ? "step" : undefined}>{s}</li>
          ))}
        </ol>
      </header>
      <div className="plan-body restore-body">
        <BackupStep backups={backups} choice={choice} set={set} chosen={chosen} disabled={running} />
        <TargetStep
          profiles={profiles}
          units={units}
          choice={choice}
          set={set}
          sharedTarget={sharedTarget}
          disabled={running}
          canCheck={!!backupRef && targetsChosen && !checking}
          checking={checking}
          onCheck={check}
          canVerify={targetsChosen && !verifying}
          verifying={verifying}
          onVerify={verifyNow}
        />
        {error && (
          <div className="banner error" role="alert" style={{ whiteSpace: "pre-wrap" }} data-testid="restore-error">
            <strong>{error.code}</strong> {error.message}
          </div>
        )}
        <div ref={resultRef} />
        {!pf && !shown && liveReports.map((r, i) => <Verification report={r} key={i} />)}
        {pf && !running && <ChecksStep pf={pf} typed={typed} setTyped={setTyped} onStart={start} />}
        <div ref={doneRef} />
        {shown && <RunStep job={shown} profiles={profiles} onCancel={() => jobs.cancel(shown.id)} />}
      </div>
    </div>
  );
}

function BackupStep(props: { backups: CatalogEntry[]; choice: Choice; set: (p: Partial<Choice>) => void; chosen?: CatalogEntry; disabled: boolean }) {
  const { backups, choice, set, chosen } = props;
  return (
    <fieldset disabled={props.disabled}>
      <legend>1. Backup</legend>
      <div className="row">
        <div className="field grow">
          <label htmlFor="r-backup">From the history</label>
          <select id="r-backup" value={choice.source} onChange={(e) => set({ source: e.target.value })} data-testid="restore-backup">
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
          <input id="r-folder" placeholder="/path/to/<backup id>" value={choice.folder} onChange={(e) => set({ folder: e.target.value })} data-testid="restore-folder" />
        </div>
      </div>
      {chosen && choice.folder.trim() === "" && (
        <div className="hint">Backup {chosen.id}: {chosen.tables} tables, method {chosen.method === "no_pause" ? "no pause" : chosen.method}. A restore is always the whole deployment: one table or namespace alone would break its consistency.</div>
      )}
    </fieldset>
  );
}

function TargetStep(props: {
  profiles: Profile[];
  units: CatalogUnit[];
  choice: Choice;
  set: (p: Partial<Choice>) => void;
  sharedTarget: boolean;
  disabled: boolean;
  canCheck: boolean;
  checking: boolean;
  onCheck: () => void;
  canVerify: boolean;
  verifying: boolean;
  onVerify: () => void;
}) {
  const { profiles, units, choice, set } = props;
  const multi = units.length > 1;
  const workers = (
    <div className="field narrow">
      <label htmlFor="r-jobs">Parallel jobs</label>
      <input id="r-jobs" placeholder="none" value={choice.workers} onChange={(e) => set({ workers: e.target.value })} data-testid="restore-jobs" />
    </div>
  );
  return (
    <fieldset disabled={props.disabled}>
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
                  value={choice.unitTargets[u.id] ?? ""}
                  onChange={(e) => set({ unitTargets: { ...choice.unitTargets, [u.id]: e.target.value } })}
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
          {props.sharedTarget && (
            <div className="field-error small" role="alert" data-testid="restore-shared-target">
              ✗ Two units have the same target: each unit is a database of its own and goes to a profile of its own.
            </div>
          )}
          <div className="row">{workers}</div>
        </div>
      ) : (
        <div className="row">
          <div className="field grow">
            <label htmlFor="r-target">Profile to restore into</label>
            <select id="r-target" value={choice.target} onChange={(e) => set({ target: e.target.value })} data-testid="restore-target">
              {profiles.length === 0 && <option value="">No PostgreSQL, MySQL or SQLite profile</option>}
              {profiles.map((x) => (
                <option key={x.id} value={x.id}>{x.name} ({x.kind})</option>
              ))}
            </select>
          </div>
          {workers}
        </div>
      )}
      <label className="check">
        <input type="checkbox" checked={choice.replace} onChange={(e) => set({ replace: e.target.checked })} data-testid="restore-replace" />
        Replace what the target already holds of this deployment (you will see it first)
      </label>
      <div className="row" style={{ alignItems: "center" }}>
        <label className="check" style={{ flex: "0 0 auto" }}>
          <input type="checkbox" checked={choice.grants} onChange={(e) => set({ grants: e.target.checked })} data-testid="restore-grants" />
          Re-apply the ScalarDB user's privileges recorded with the backup
        </label>
        {choice.grants && (
          <input aria-label="Grant to role" placeholder="to the recorded user, or another role" value={choice.grantTo} onChange={(e) => set({ grantTo: e.target.value })} style={{ marginBottom: 10, padding: "5px 8px" }} />
        )}
      </div>
      <div className="actions" style={{ marginTop: 0, marginBottom: 10 }}>
        <button onClick={props.onCheck} disabled={!props.canCheck} data-testid="restore-check">
          {props.checking && <span className="spinner" aria-hidden />} Check
        </button>
        <button onClick={props.onVerify} disabled={!props.canVerify} title="Tables and row counts against the backup, and the ScalarDB consistency audit, on the target as it is now" data-testid="verify-now">
          {props.verifying && <span className="spinner" aria-hidden />} Verify {multi ? "the targets" : "the target"} now
        </button>
      </div>
    </fieldset>
  );
}

function ChecksStep(props: { pf: RestorePreflight; typed: string; setTyped: (s: string) => void; onStart: () => void }) {
  const { pf } = props;
  const multi = pf.units.length > 1;
  // The checks are what the Check button produced: the focus goes to them.
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => moveFocus(heading.current), [pf]);
  return (
    <>
      <div className="step-card" style={{ marginTop: 12 }} data-testid="restore-checks">
        <h2 ref={heading} tabIndex={-1}>3. Checks — nothing was touched</h2>
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
            <input id="r-confirm" value={props.typed} onChange={(e) => props.setTyped(e.target.value)} data-testid="restore-confirm" />
          </div>
        )}
      </div>
      <div className="actions" style={{ marginBottom: 8 }}>
        <button className="primary" onClick={props.onStart} disabled={!canRestore(pf, props.typed)} data-testid="start-restore">
          {pf.will_replace ? "Replace and restore" : "Restore"}
        </button>
      </div>
    </>
  );
}

/** "u1 → prod-pg, u2 → prod-maria", or the one profile's name. */
function targetNames(r: RestoreResult, profiles: Profile[]): string {
  const name = (id: string) => profiles.find((p) => p.id === id || p.name === id)?.name ?? id;
  if (r.targets.length === 1) return name(r.targets[0].profile);
  return r.targets.map((t) => `${t.unit} → ${name(t.profile)}`).join(", ");
}

/** Steps 4 and 5: the running restore (cancel), then its outcome and verification. */
function RunStep({ job, profiles, onCancel }: { job: Job; profiles: Profile[]; onCancel: () => void }) {
  const r = job.state === "done" ? (job.result as RestoreResult) : null;
  // The Restore button is gone once it started: the focus goes to Cancel,
  // then to the outcome.
  const cancel = useRef<HTMLButtonElement>(null);
  const outcome = useRef<HTMLDivElement>(null);
  const active = isActive(job);
  useEffect(() => moveFocus(active ? cancel.current : outcome.current), [active]);
  return (
    <>
      {isActive(job) && (
        <>
          <JobProgress job={job} testid="restore" />
          <div className="actions" style={{ marginBottom: 8 }}>
            <button ref={cancel} onClick={onCancel} disabled={job.state === "cancelling"} data-testid="cancel-restore">
              <span className="spinner" aria-hidden /> {job.state === "cancelling" ? "Cancelling…" : "Cancel"}
            </button>
          </div>
        </>
      )}
      {job.state === "failed" && job.error && (
        <div ref={outcome} tabIndex={-1} className="banner error" role="alert" style={{ whiteSpace: "pre-wrap" }} data-testid="restore-failed">
          <strong>{job.error.code}</strong> {job.error.message}
        </div>
      )}
      {r && (
        <>
          <div ref={outcome} tabIndex={-1} className={r.verify?.passed === false ? "banner error" : "banner ok"} data-testid="restore-done">
            Restored <strong>{r.backup_id}</strong> into {targetNames(r, profiles)} in {(r.duration_ms / 1000).toFixed(1)} s —{" "}
            {r.verify === null ? "not verified" : r.verify.passed ? "verification found no errors" : "verification found errors"}.
          </div>
          {r.verify && <Verification report={r.verify} />}
          {r.grants_applied.length > 0 && (
            <>
              <div className="section-title">Grants re-applied</div>
              {r.grants_applied.map((g, i) => <div className="command" key={i}><pre>{g}</pre></div>)}
            </>
          )}
          <div className="section-title">Next</div>
          <ul className="notes">
            {r.after.map((a, i) => <li key={i}>{a}</li>)}
          </ul>
        </>
      )}
      {(job.log.length > 0 || isActive(job)) && <JobLog job={job} testid="restore" />}
    </>
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
      <h2>Verification of {report.profile}{report.backup_id ? ` against ${report.backup_id}` : ""}</h2>
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
