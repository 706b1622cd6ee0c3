// How each storage of a deployment restores, the range it can restore to,
// and its log archive (from its oldest base to its newest log file) with
// every gap named in words, not only drawn.
import type { Lane } from "../../bindings";
import { TableScroll } from "../TableScroll";
import { Time } from "../Time";

export function Lanes({ lanes }: { lanes: Lane[] }) {
  return (
    <TableScroll label="How each storage restores">
      <table className="facts lanes" aria-label="How each storage restores">
        <thead><tr><th>Storage</th><th>Restores from</th><th>Restorable range</th><th>Log archive</th></tr></thead>
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
              <td className="small" data-testid={`archive-${l.storage}`}>
                {l.archive ? (
                  <>
                    {l.archive.from_ms !== null ? <Time at={l.archive.from_ms} /> : "—"} … {l.archive.to_ms !== null ? <Time at={l.archive.to_ms} /> : "—"}
                    <div className="muted">
                      {l.archive.base ? `base ${l.archive.base}` : "no base yet"} · {l.archive.last ? `up to ${l.archive.last}` : "no complete log file yet"}
                    </div>
                    {l.archive.gaps.length > 0 && (
                      <ul className="notes">
                        {l.archive.gaps.map((g) => (
                          <li key={`${g.from}-${g.to}`}><strong>Gap</strong> {g.from === g.to ? g.from : `${g.from} … ${g.to}`}: {g.reason}</li>
                        ))}
                      </ul>
                    )}
                  </>
                ) : (
                  "—"
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}
