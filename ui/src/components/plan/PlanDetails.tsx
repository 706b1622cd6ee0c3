// A plan's steps and what discovery found: each step's backup and restore
// (Quiesce runs it, or a runbook says how, with the command to copy), and
// each storage's tools, tables and findings.
import type { Action, StorageDiscovery } from "../../bindings";
import { human } from "../../data/format";
import { TableScroll } from "../TableScroll";

export function ActionBlock(props: { what: string; a: Action; copy: (t: string) => void; copied: string | null }) {
  const { a } = props;
  return (
    <div className="action-block">
      <div>
        <span className={`pill ${a.kind === "quiesce" ? "key" : "warn"}`}>{a.kind === "quiesce" ? "Quiesce runs" : "Runbook"}</span>{" "}
        <strong>{props.what}:</strong> {a.summary}
      </div>
      {a.command && (
        <div className="command">
          <pre data-testid="step-command">{a.command}</pre>
          <button className="small" onClick={() => props.copy(a.command!)}>{props.copied === a.command ? "Copied" : "Copy"}</button>
        </div>
      )}
      {a.steps.length > 0 && (
        <ol className="notes">
          {a.steps.map((s, i) => (
            <li key={i}>{s}</li>
          ))}
        </ol>
      )}
    </div>
  );
}

export function StorageFound({ s }: { s: StorageDiscovery }) {
  return (
    <div className="step-card" data-testid={`found-${s.storage}`}>
      <h2>
        {s.storage} · {s.product ?? s.kind} {s.server_version ?? ""}{" "}
        {!s.live ? <span className="pill">descriptive</span> : s.reachable ? <span className="pill key">reached</span> : <span className="pill bad">unreachable</span>}
      </h2>
      {s.tools.map((t) => (
        <div key={t.tool} className={`small ${t.ok ? "" : "field-error"}`}>{t.ok ? "✓" : "✗"} {t.message}</div>
      ))}
      {s.tables.length > 0 && (
        <TableScroll label={`Tables of ${s.storage}`}>
          <table className="facts">
            <thead>
              <tr><th>Table</th><th>Rows</th><th>Size</th><th>In flight</th></tr>
            </thead>
            <tbody>
              {s.tables.map((t) => (
                <tr key={t.physical_name}>
                  <td className="mono">{t.physical_name}{t.is_coordinator && <span className="pill" style={{ marginLeft: 6 }}>coordinator</span>}</td>
                  <td>{t.rows === null ? "—" : `${t.rows_exact ? "" : "~"}${t.rows.toLocaleString()}`}</td>
                  <td>{t.size_bytes === null ? "—" : human(t.size_bytes)}</td>
                  <td>{t.is_coordinator ? "" : (t.prepared ?? 0) + (t.deleted ?? 0) > 0 ? <span className="pill warn">{(t.prepared ?? 0) + (t.deleted ?? 0)}</span> : t.prepared === null ? "—" : "0"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {s.findings.length > 0 && (
        <ul className="notes">
          {s.findings.map((f, i) => (
            <li key={i} className={f.severity === "error" ? "field-error" : ""} data-code={f.code}>{f.message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
