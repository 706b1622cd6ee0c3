// The restore wizard's third step: what the engine found, nothing touched;
// each unit's target, sessions and tables, how it restores and what a failure
// leaves; the name to type before a replacement.
import { useEffect, useRef } from "react";
import type { RestorePreflight, UnitPreflight } from "../../bindings";
import { moveFocus } from "../../data/focus";
import { canRestore } from "../../data/restore";
import { TableScroll } from "../TableScroll";

export function ChecksStep(props: { pf: RestorePreflight; typed: string; setTyped: (s: string) => void; onStart: () => void }) {
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

function UnitChecks({ u, multi }: { u: UnitPreflight; multi: boolean }) {
  return (
    <section aria-label={`Unit ${u.unit}`} data-testid={`restore-unit-${u.unit}`}>
      {multi && <div className="section-title">Unit {u.unit} ({u.storages.join(", ")})</div>}
      <div className="small muted">
        {u.format} backup from {u.source}{u.source_version ? ` (${u.source_version})` : ""} → {u.target_profile}: {u.target}{u.target_version ? ` (${u.target_version})` : ""}
      </div>
      {u.sessions.length > 0 && (
        <TableScroll label="Sessions on the target">
          <table className="facts" data-testid="restore-sessions">
            <thead><tr><th>Session</th><th>User</th><th>Client</th><th>Application</th><th>State</th></tr></thead>
            <tbody>
              {u.sessions.map((s) => (
                <tr key={s.id}><td>{s.id}</td><td>{s.user}</td><td>{s.client}</td><td>{s.application}</td><td>{s.state}</td></tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {u.existing.length > 0 && (
        <>
          <div className="section-title">{u.will_replace ? "Will be replaced on the target" : "Already on the target"}</div>
          <TableScroll label="Tables on the target">
            <table className="facts" data-testid="restore-existing">
              <thead><tr><th>Namespace</th><th>Table</th><th>Rows</th></tr></thead>
              <tbody>
                {u.existing.map((t, i) => (
                  <tr key={i}><td>{t.namespace}</td><td>{t.table}</td><td>{t.rows ?? "?"}</td></tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
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
