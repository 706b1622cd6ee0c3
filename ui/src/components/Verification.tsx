// What a verification found: its findings, each table's rows against the
// backup, and the ScalarDB consistency audit (in-flight records, how each
// transaction recovers, and what the audit cannot see).
import type { VerifyReport } from "../bindings";
import { TableScroll } from "./TableScroll";

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
        <TableScroll label="Tables verified">
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
        </TableScroll>
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
            <TableScroll label="Transactions in flight">
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
            </TableScroll>
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
