// The migrate wizard's first two steps: the source (a deployment, live or from
// a backup, with scratch databases for a backup's units), then each storage's
// target and how the target is laid out.
import type { CatalogEntry, Deployment, Profile } from "../../bindings";
import { human, localTime } from "../../data/format";
import { VERSIONS, type MigrateChoice } from "../../data/migrate";
import { profilesFor } from "../../data/restore";

type Set = (p: Partial<MigrateChoice>) => void;

export function SourceStep(props: {
  deployments: Deployment[];
  /** The usable backups of the chosen deployment. */
  backups: CatalogEntry[];
  /** The chosen backup, if any, and its units read through a scratch restore. */
  backup?: CatalogEntry;
  needScratch: CatalogEntry["units"];
  profiles: Profile[];
  choice: MigrateChoice;
  set: Set;
  disabled: boolean;
}) {
  const { deployments, backups: ofDep, backup, needScratch, profiles, choice, set } = props;
  return (
    <fieldset disabled={props.disabled}>
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
            <option key={b.id} value={b.id}>Backup {b.id} · {localTime(b.started_at)} · {human(b.bytes)}</option>
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
  );
}

export function TargetsStep(props: { dep?: Deployment; profiles: Profile[]; choice: MigrateChoice; set: Set; disabled: boolean }) {
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
