// The Migrate wizard: a deployment to other databases (another engine, or
// several storages consolidated into one), checked before anything is
// written, run as a cancellable job, and proven table by table.
import { useEffect, useRef, useState } from "react";
import type { AuditReport, CatalogEntry, Deployment, MigrateOptions, MigrationPlan, MigrationResult, Profile, TablePlan } from "./bindings";
import { backend, BackendError, newJobId } from "./backend";
import { human } from "./format";
import { isActive, JobLog, JobProgress, useJobs, type Job } from "./jobs";
import { profilesFor } from "./RestoreView";

const STEPS = ["Source", "Targets", "Checks", "Migrate", "Proof"];
/** The ScalarDB releases whose layout the engine knows (3.13 and later). */
const VERSIONS = ["3.19", "3.18", "3.17", "3.16", "3.15", "3.14", "3.13"];

interface Choice {
  deployment: string;
  /** Storage name → target profile id. */
  targets: Record<string, string>;
  version: string;
  keySize: string;
  binary: boolean;
  noPause: boolean;
  /** A backup to read instead of the live databases ("" = live). */
  backup: string;
  /** Backup unit id → scratch profile id (PostgreSQL/MySQL units of a backup). */
  scratch: Record<string, string>;
}

const EMPTY: Choice = { deployment: "", targets: {}, version: "3.19", keySize: "", binary: false, noPause: false, backup: "", scratch: {} };

/** The units of a backup read through a scratch restore: any that is not SQLite, or all when one is not. */
export function scratchUnits(b: CatalogEntry | undefined): CatalogEntry["units"] {
  if (!b) return [];
  return b.units.some((u) => u.kind !== "sqlite") ? b.units : [];
}

/** A migration may start only when every check passed. */
export const canMigrate = (plan: MigrationPlan | null): boolean => !!plan && plan.checks.every((c) => c.ok);

/** Options for the engine from the wizard's choice; a key size that is not a whole number is refused. */
export function migrateOptions(c: Choice, storages: string[]): MigrateOptions | string {
  const size = c.keySize.trim();
  if (size !== "" && !/^\d+$/.test(size)) return `MySQL key size "${size}" is not a whole number of bytes (64 or more).`;
  return {
    to: storages.map((s) => ({ unit: s, profile: c.targets[s] ?? "" })),
    scalardb_version: c.version,
    mysql_key_size: size === "" ? null : Number(size),
    binary_collation: c.binary,
    no_pause: c.noPause,
    from_backup: c.backup === "" ? null : c.backup,
    scratch: c.backup === "" ? [] : Object.entries(c.scratch).filter(([, p]) => p !== "").map(([unit, profile]) => ({ unit, profile })),
    max_pause_ms: null,
  };
}

export function MigrateView() {
  const [deployments, setDeployments] = useState<Deployment[]>([]);
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [backups, setBackups] = useState<CatalogEntry[]>([]);
  const [choice, setChoice] = useState<Choice>(EMPTY);
  const [plan, setPlan] = useState<MigrationPlan | null>(null);
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<BackendError | string | null>(null);
  const [cleaned, setCleaned] = useState<string[] | null>(null);
  const jobs = useJobs();
  const job = jobs.latest("migrate");
  const stepRef = useRef<HTMLDivElement>(null);
  const set = (patch: Partial<Choice>) => setChoice((c) => ({ ...c, ...patch }));

  useEffect(() => {
    backend().listDeployments().then((d) => {
      setDeployments(d);
      if (d.length > 0) setChoice((c) => ({ ...c, deployment: c.deployment || d[0].id }));
    }).catch(() => {});
    backend().listProfiles().then((p) => setProfiles(p.filter((x) => x.kind === "postgresql" || x.kind === "mysql" || x.kind === "sqlite"))).catch(() => {});
    backend().listBackups().then((b) => setBackups(b.filter((x) => x.kind === "backup" && x.status !== "damaged" && x.status !== "leftover"))).catch(() => {});
  }, []);

  // Any change of choice invalidates the checks.
  useEffect(() => {
    setPlan(null);
    setError(null);
    setCleaned(null);
  }, [choice]);

  const dep = deployments.find((d) => d.id === choice.deployment);
  const storages = dep?.storages.map((s) => s.name) ?? [];
  const ofDep = backups.filter((b) => b.deployment_id === choice.deployment);
  const backup = ofDep.find((b) => b.id === choice.backup);
  const needScratch = scratchUnits(backup);
  const chosen =
    storages.length > 0 && storages.every((s) => (choice.targets[s] ?? "") !== "") && needScratch.every((u) => (choice.scratch[u.id] ?? "") !== "");
  // A storage whose target is its own source profile would overwrite the deployment.
  const ontoItself = dep?.storages.filter((s) => choice.targets[s.name] === s.profile_id).map((s) => s.name) ?? [];

  async function check() {
    const opts = migrateOptions(choice, storages);
    if (typeof opts === "string") return setError(opts);
    setChecking(true);
    setError(null);
    try {
      setPlan(await backend().migrateDryRun(choice.deployment, opts, newJobId()));
    } catch (e) {
      setError(e as BackendError);
    } finally {
      setChecking(false);
    }
  }

  async function cleanup() {
    setError(null);
    try {
      const ids = [...new Set(storages.map((s) => choice.targets[s]).filter((t): t is string => !!t))];
      setCleaned(await backend().migrateCleanup(ids));
      setPlan(null);
    } catch (e) {
      setError(e as BackendError);
    }
  }

  function start() {
    const opts = migrateOptions(choice, storages);
    if (!plan || typeof opts === "string") return;
    const id = choice.deployment;
    jobs.start("migrate", `Migration of ${plan.deployment} to ${plan.targets.map((t) => t.profile).join(", ")}`, (jobId, onEvent) => backend().startMigration(id, opts, jobId, onEvent));
    setPlan(null);
  }

  const running = isActive(job);
  const shown = job && (running || !plan) ? job : undefined;
  const step = shown?.state === "done" ? 4 : shown ? 3 : plan ? 2 : chosen ? 1 : 0;
  useEffect(() => stepRef.current?.scrollIntoView?.({ block: "start", behavior: "smooth" }), [plan, shown?.state]);

  return (
    <div className="plan-page">
      <header className="pane-header">
        <h1>Migrate</h1>
        <ol className="wizard-steps" aria-label="Steps">
          {STEPS.map((s, i) => (
            <li key={s} className={i === step ? "current" : i < step ? "done" : ""} aria-current={i === step ? "step" : undefined}>{s}</li>
          ))}
        </ol>
      </header>
      <div className="plan-body restore-body">
        <fieldset disabled={running}>
          <legend>1. Source</legend>
          <div className="field">
            <label htmlFor="m-deployment">Deployment to migrate</label>
            <select id="m-deployment" value={choice.deployment} onChange={(e) => set({ deployment: e.target.value, targets: {}, backup: "", scratch: {} })} data-testid="migrate-deployment">
              {deployments.length === 0 && <option value="">No deployments</option>}
              {deployments.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
            </select>
          </div>
          <div className="field">
            <label htmlFor="m-from">Read from</label>
            <select id="m-from" value={choice.backup} onChange={(e) => set({ backup: e.target.value, scratch: {} })} data-testid="migrate-from">
              <option value="">The live databases, now</option>
              {ofDep.map((b) => (
                <option key={b.id} value={b.id}>Backup {b.id} · {new Date(b.started_at).toLocaleString()} · {human(b.bytes)}</option>
              ))}
            </select>
          </div>
          {needScratch.map((u) => (
            <div className="field" key={u.id}>
              <label htmlFor={`m-scratch-${u.id}`}>Scratch database for unit {u.id} ({u.storages.join(", ")}; {u.kind}): restored into, read, emptied again</label>
              <select
                id={`m-scratch-${u.id}`}
                value={choice.scratch[u.id] ?? ""}
                onChange={(e) => set({ scratch: { ...choice.scratch, [u.id]: e.target.value } })}
                data-testid={`migrate-scratch-${u.id}`}
              >
                <option value="">Choose an empty {u.kind} profile…</option>
                {profilesFor(u, profiles).map((p) => <option key={p.id} value={p.id}>{p.name} ({p.kind})</option>)}
              </select>
            </div>
          ))}
          <div className="hint">
            {backup
              ? "A backup is one consistent point already: no pause. SQLite units are read in the backup's own file; other units are restored into a scratch database first."
              : "Read from one consistent point: one snapshot per database, inside a pause when the deployment spans several."}{" "}
            Every column is copied, the transaction metadata untouched, so records in flight recover on the target the same way.
          </div>
        </fieldset>
        <TargetsStep dep={dep} profiles={profiles} choice={choice} set={set} disabled={running} />
        {ontoItself.length > 0 && (
          <div className="field-error small" role="alert">✗ {ontoItself.join(", ")}: the target is the profile it is read from. Choose another database.</div>
        )}
        <div className="actions" style={{ marginTop: 0 }}>
          <button onClick={check} disabled={!chosen || checking || running || ontoItself.length > 0} data-testid="migrate-check">
            {checking && <span className="spinner" aria-hidden />} Check
          </button>
        </div>
        {error && (
          <div className="banner error" role="alert" style={{ whiteSpace: "pre-wrap" }} data-testid="migrate-error">
            {typeof error === "string" ? error : <><strong>{error.code}</strong> {error.message}</>}
          </div>
        )}
        {cleaned && (
          <div className="banner ok" role="status" data-testid="migrate-cleaned">
            {cleaned.length === 0 ? "Nothing was left on the targets." : <>Dropped: {cleaned.join(", ")}</>}
          </div>
        )}
        <div ref={stepRef} />
        {plan && !running && <ChecksStep plan={plan} onStart={start} onCleanup={cleanup} />}
        {shown && <RunStep job={shown} onCancel={() => jobs.cancel(shown.id)} />}
      </div>
    </div>
  );
}

function TargetsStep(props: { dep?: Deployment; profiles: Profile[]; choice: Choice; set: (p: Partial<Choice>) => void; disabled: boolean }) {
  const { dep, profiles, choice, set } = props;
  return (
    <fieldset disabled={props.disabled}>
      <legend>2. Targets</legend>
      {dep && dep.storages.length > 1 && (
        <div className="hint">Several storages may go to one profile: that consolidates them into one database (and ends their need for pauses).</div>
      )}
      {dep?.storages.map((s) => (
        <div className="row" key={s.name}>
          <div className="field grow">
            <label htmlFor={`m-target-${s.name}`}>Storage {s.name} into</label>
            <select
              id={`m-target-${s.name}`}
              value={choice.targets[s.name] ?? ""}
              onChange={(e) => set({ targets: { ...choice.targets, [s.name]: e.target.value } })}
              data-testid={`migrate-target-${s.name}`}
            >
              <option value="">{profiles.length === 0 ? "No PostgreSQL, MySQL or SQLite profile" : "Choose a profile…"}</option>
              {profiles.map((p) => <option key={p.id} value={p.id}>{p.name} ({p.kind})</option>)}
            </select>
          </div>
        </div>
      ))}
      <div className="row">
        <div className="field narrow">
          <label htmlFor="m-version">ScalarDB version of the target</label>
          <select id="m-version" value={choice.version} onChange={(e) => set({ version: e.target.value })} data-testid="migrate-version">
            {VERSIONS.map((v) => <option key={v} value={v}>{v}</option>)}
          </select>
        </div>
        <div className="field narrow">
          <label htmlFor="m-keysize">MySQL key column size</label>
          <input id="m-keysize" placeholder="128" value={choice.keySize} onChange={(e) => set({ keySize: e.target.value })} data-testid="migrate-keysize" />
        </div>
      </div>
      <label className="check">
        <input type="checkbox" checked={choice.binary} onChange={(e) => set({ binary: e.target.checked })} data-testid="migrate-binary" />
        Create MySQL/MariaDB namespaces with a binary NO PAD collation, so keys differing only in case or trailing spaces stay distinct (not what Schema Loader does)
      </label>
      <label className="check">
        <input type="checkbox" checked={choice.noPause} onChange={(e) => set({ noPause: e.target.checked })} data-testid="migrate-nopause" />
        ScalarDB is stopped: read several databases without pausing it
      </label>
    </fieldset>
  );
}

function ChecksStep({ plan, onStart, onCleanup }: { plan: MigrationPlan; onStart: () => void; onCleanup: () => void }) {
  return (
    <>
      <div className="step-card" style={{ marginTop: 12 }} data-testid="migrate-checks">
        <h2>3. Checks — nothing was written</h2>
        <ul className="notes">
          {plan.checks.map((c, i) => (
            <li key={i} className={c.ok ? "" : "field-error"} data-testid={`migrate-check-${c.name}`} data-ok={c.ok ? "true" : "false"}>
              {c.ok ? "✓" : "✗"} {c.name.replace(/_/g, " ")}: {c.message}
            </li>
          ))}
        </ul>
        <table className="facts" data-testid="migrate-targets">
          <thead><tr><th>Target storage</th><th>Profile</th><th>Engine</th><th>From</th><th>Collation</th></tr></thead>
          <tbody>
            {plan.targets.map((t) => (
              <tr key={t.storage}><td>{t.storage}</td><td>{t.profile}</td><td>{t.engine}</td><td>{t.units.join(", ")}</td><td>{t.collation ?? "—"}</td></tr>
            ))}
          </tbody>
        </table>
        {plan.leftovers.length > 0 && (
          <div className="banner warn" role="status" data-testid="migrate-leftovers">
            An earlier migration left these on the targets; they are dropped before this one starts: {plan.leftovers.join(", ")}.{" "}
            <button className="small" onClick={onCleanup} data-testid="migrate-cleanup">Drop them now</button>
          </div>
        )}
        <div className="section-title">Tables and their layout on ScalarDB {plan.scalardb_version}</div>
        {plan.tables.map((t) => <TableLayout key={`${t.namespace}.${t.table}`} t={t} />)}
        <div className="section-title">Namespaces after the migration</div>
        <table className="facts" data-testid="migrate-mapping">
          <thead><tr><th>Namespace</th><th>Storage</th></tr></thead>
          <tbody>{plan.mapping.map((m) => <tr key={m.namespace}><td>{m.namespace}</td><td>{m.storage}</td></tr>)}</tbody>
        </table>
        <ul className="notes">{plan.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>
      </div>
      <div className="actions" style={{ marginBottom: 8 }}>
        <button className="primary" onClick={onStart} disabled={!canMigrate(plan)} data-testid="start-migration">Migrate</button>
        {!canMigrate(plan) && <span className="small field-error">A failed check (✗) stops the migration before anything is written.</span>}
      </div>
    </>
  );
}

function TableLayout({ t }: { t: TablePlan }) {
  return (
    <details className="table-layout" data-testid={`migrate-table-${t.namespace}.${t.table}`}>
      <summary>
        {t.namespace}.{t.table} · {t.rows.toLocaleString()} rows · {t.source_storage} → {t.target_storage}
        {!t.in_metadata && " · not in the metadata: copied as it is"}
      </summary>
      <table className="facts">
        <thead><tr><th>Column</th><th>ScalarDB type</th><th>Target type</th><th>Role</th></tr></thead>
        <tbody>
          {t.columns.map((c) => (
            <tr key={c.name}><td className="mono">{c.name}</td><td>{c.scalar_type}</td><td className="mono">{c.target_type}</td><td>{c.role || "—"}</td></tr>
          ))}
        </tbody>
      </table>
      {t.ddl.map((d, i) => <div className="command" key={i}><pre>{d}</pre></div>)}
    </details>
  );
}

function RunStep({ job, onCancel }: { job: Job; onCancel: () => void }) {
  const r = job.state === "done" ? (job.result as MigrationResult) : null;
  return (
    <>
      {isActive(job) && (
        <>
          <JobProgress job={job} testid="migrate" />
          <div className="actions" style={{ marginBottom: 8 }}>
            <button onClick={onCancel} disabled={job.state === "cancelling"} data-testid="cancel-migration">
              <span className="spinner" aria-hidden /> {job.state === "cancelling" ? "Cancelling…" : "Cancel"}
            </button>
          </div>
        </>
      )}
      {job.state === "failed" && job.error && (
        <div className="banner error" role="alert" style={{ whiteSpace: "pre-wrap" }} data-testid="migrate-failed">
          <strong>{job.error.code}</strong> {job.error.message}
        </div>
      )}
      {r && <Proof r={r} />}
      {(job.log.length > 0 || isActive(job)) && <JobLog job={job} testid="migrate" />}
    </>
  );
}

function Proof({ r }: { r: MigrationResult }) {
  const [path, setPath] = useState("");
  const [saved, setSaved] = useState<string | null>(null);
  const [err, setErr] = useState<string | null>(null);
  async function save() {
    setErr(null);
    try {
      await backend().saveProperties(path, r.plan.properties);
      setSaved(path);
    } catch (e) {
      setErr((e as BackendError).message);
    }
  }
  return (
    <div className="step-card" style={{ marginTop: 12 }} data-testid="migrate-done">
      <div className="banner ok">
        Migrated <strong>{r.plan.deployment}</strong>: {r.proofs.length} tables in {r.elapsed_secs.toFixed(1)} s
        {r.paused_ms !== null ? `, paused ${Math.round(r.paused_ms)} ms` : ""} — every row count and fingerprint matches.
      </div>
      <div className="section-title">5. Proof</div>
      <table className="facts" data-testid="migrate-proofs">
        <thead><tr><th>Table</th><th>Rows (source / target)</th><th>Fingerprint</th><th>Match</th></tr></thead>
        <tbody>
          {r.proofs.map((p) => {
            const ok = p.source_rows === p.target_rows && p.source_fingerprint === p.target_fingerprint;
            return (
              <tr key={p.table} className={ok ? "" : "field-error"}>
                <td>{p.table}</td><td>{p.source_rows} / {p.target_rows}</td><td className="mono">{p.target_fingerprint.slice(0, 16)}…</td><td>{ok ? "✓ same" : "✗ differs"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <AuditPair source={r.source_audit} target={r.target_audit} />
      <div className="section-title">New database.properties (no password)</div>
      <div className="command"><pre data-testid="migrate-properties">{r.plan.properties}</pre></div>
      <div className="row" style={{ alignItems: "flex-end" }}>
        <div className="field grow">
          <label htmlFor="m-props-path">Save it as (a new file, whole path)</label>
          <input id="m-props-path" placeholder="/home/me/scalardb/database.properties" value={path} onChange={(e) => setPath(e.target.value)} data-testid="migrate-props-path" />
        </div>
        <div className="actions" style={{ marginTop: 0, marginBottom: 10 }}>
          <button onClick={save} disabled={path.trim() === ""} data-testid="migrate-props-save">Save</button>
          <button onClick={() => void navigator.clipboard?.writeText(r.plan.properties)}>Copy</button>
        </div>
      </div>
      {saved && <div className="small" role="status">✓ Written to {saved}</div>}
      {err && <div className="small field-error" role="alert">✗ {err}</div>}
      <div className="section-title">What changes for ScalarDB</div>
      <ul className="notes">{r.plan.notes.map((n, i) => <li key={i}>{n}</li>)}</ul>
    </div>
  );
}

function AuditPair({ source, target }: { source: AuditReport | null; target: AuditReport | null }) {
  if (!source && !target) return null;
  const row = (name: string, a: AuditReport | null) =>
    a && (
      <tr>
        <td>{name}</td><td>{a.in_flight_records}</td><td>{a.roll_forward}</td><td>{a.roll_back}</td><td>{a.not_yet_expired}</td>
        <td className={a.torn > 0 ? "field-error" : ""}>{a.torn > 0 ? `✗ ${a.torn}` : "0"}</td>
      </tr>
    );
  return (
    <>
      <div className="section-title">ScalarDB consistency audit</div>
      <table className="facts" data-testid="migrate-audit">
        <thead><tr><th>Side</th><th>In flight</th><th>Roll forward</th><th>Roll back</th><th>Not yet expired</th><th>Torn</th></tr></thead>
        <tbody>{row("Source", source)}{row("Target", target)}</tbody>
      </table>
    </>
  );
}
