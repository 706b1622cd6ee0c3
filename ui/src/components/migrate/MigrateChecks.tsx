// The migrate wizard's third step: the checks (nothing written), each
// target, each table's layout on the target with its DDL, the namespaces
// after, and what an earlier run left (to drop now).
import type { MigrationPlan, TablePlan } from "../../bindings";
import { canMigrate } from "../../data/migrate";
import { TableScroll } from "../TableScroll";

export function ChecksStep({ plan, onStart, onCleanup }: { plan: MigrationPlan; onStart: () => void; onCleanup: () => void }) {
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
        <TableScroll label="Targets">
          <table className="facts" data-testid="migrate-targets">
            <thead><tr><th>Target storage</th><th>Profile</th><th>Engine</th><th>From</th><th>Collation</th></tr></thead>
            <tbody>
              {plan.targets.map((t) => (
                <tr key={t.storage}><td>{t.storage}</td><td>{t.profile}</td><td>{t.engine}</td><td>{t.units.join(", ")}</td><td>{t.collation ?? "—"}</td></tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
        {plan.leftovers.length > 0 && (
          <div className="banner warn" role="status" data-testid="migrate-leftovers">
            An earlier migration left these on the targets; they are dropped before this one starts: {plan.leftovers.join(", ")}.{" "}
            <button className="small" onClick={onCleanup} data-testid="migrate-cleanup">Drop them now</button>
          </div>
        )}
        <div className="section-title">Tables and their layout on ScalarDB {plan.scalardb_version}</div>
        {plan.tables.map((t) => <TableLayout key={`${t.namespace}.${t.table}`} t={t} />)}
        <div className="section-title">Namespaces after the migration</div>
        <TableScroll label="Namespaces after the migration">
          <table className="facts" data-testid="migrate-mapping">
            <thead><tr><th>Namespace</th><th>Storage</th></tr></thead>
            <tbody>{plan.mapping.map((m) => <tr key={m.namespace}><td>{m.namespace}</td><td>{m.storage}</td></tr>)}</tbody>
          </table>
        </TableScroll>
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
      <TableScroll label={`Columns of ${t.namespace}.${t.table}`}>
        <table className="facts">
          <thead><tr><th>Column</th><th>ScalarDB type</th><th>Target type</th><th>Role</th></tr></thead>
          <tbody>
            {t.columns.map((c) => (
              <tr key={c.name}><td className="mono">{c.name}</td><td>{c.scalar_type}</td><td className="mono">{c.target_type}</td><td>{c.role || "—"}</td></tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {t.ddl.map((d, i) => <div className="command" key={i}><pre>{d}</pre></div>)}
    </details>
  );
}
