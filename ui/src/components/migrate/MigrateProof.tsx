// The migrate wizard's last step: the proof (rows and fingerprints per table,
// the consistency audit on both sides) and the new database.properties to
// save or copy.
import { useState, type RefObject } from "react";
import type { AuditReport, MigrationResult } from "../../bindings";
import { backend, BackendError } from "../../backend";
import { TableScroll } from "../TableScroll";

export function MigrateProof({ r, outcome }: { r: MigrationResult; outcome: RefObject<HTMLDivElement | null> }) {
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
    <div ref={outcome} tabIndex={-1} className="step-card" style={{ marginTop: 12 }} data-testid="migrate-done">
      <div className="banner ok">
        Migrated <strong>{r.plan.deployment}</strong>: {r.proofs.length} tables in {r.elapsed_secs.toFixed(1)} s
        {r.paused_ms !== null ? `, paused ${Math.round(r.paused_ms)} ms` : ""} — every row count and fingerprint matches.
      </div>
      <div className="section-title">5. Proof</div>
      <TableScroll label="Proof per table">
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
      </TableScroll>
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
      <TableScroll label="Consistency audit">
        <table className="facts" data-testid="migrate-audit">
          <thead><tr><th>Side</th><th>In flight</th><th>Roll forward</th><th>Roll back</th><th>Not yet expired</th><th>Torn</th></tr></thead>
          <tbody>{row("Source", source)}{row("Target", target)}</tbody>
        </table>
      </TableScroll>
    </>
  );
}
