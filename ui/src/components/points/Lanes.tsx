// How each storage of a deployment restores, and the range it can restore to.
import type { Lane } from "../../bindings";
import { TableScroll } from "../TableScroll";
import { Time } from "../Time";

export function Lanes({ lanes }: { lanes: Lane[] }) {
  return (
    <TableScroll label="How each storage restores">
      <table className="facts lanes" aria-label="How each storage restores">
        <thead><tr><th>Storage</th><th>Restores from</th><th>Restorable range</th></tr></thead>
        <tbody>
          {lanes.map((l) => (
            <tr key={l.storage} data-testid={`lane-${l.storage}`}>
              <td>{l.storage} <span className="muted small">({l.label}, {l.profile})</span></td>
              <td>{l.restores_by.replace("_", " ")}</td>
              <td className="small">
                {l.pitr ? (
                  <>
                    {l.pitr.earliest_ms !== null ? <Time at={l.pitr.earliest_ms} /> : "unknown start"} … <Time at={l.pitr.latest_ms} />
                  </>
                ) : (
                  "—"
                )}
                {l.pitr && <div className="muted">{l.pitr.basis}</div>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
