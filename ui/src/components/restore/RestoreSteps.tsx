// The restore wizard's first two steps: the backup, then the target(s).
import type { CatalogEntry, CatalogUnit, Profile } from "../../bindings";
import { human, localTime } from "../../data/format";
import { profilesFor, type RestoreChoice } from "../../data/restore";

type Set = (p: Partial<RestoreChoice>) => void;

export function BackupStep(props: { backups: CatalogEntry[]; choice: RestoreChoice; set: Set; chosen?: CatalogEntry; disabled: boolean }) {
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
                {b.deployment} · {localTime(b.started_at)} · {b.format} · {human(b.bytes)}
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

export function TargetStep(props: {
  profiles: Profile[];
  units: CatalogUnit[];
  choice: RestoreChoice;
  set: Set;
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
      <div className="row wrap" style={{ alignItems: "center" }}>
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
