// What a pause window says: safe or not, its restore point to copy, each
// node's pause and unpause, the in-pause hooks, each database's log position
// read inside the pause, and the databases' clocks.
import type { PauseWindow } from "../bindings";
import { localIso, utcIso } from "../data/format";
import { Time } from "./Time";
import { TableScroll } from "./TableScroll";
import { TimeToCopy } from "./TimeToCopy";

/** What a pause window says: safe or not, its restore point, nodes and clocks. */
export function WindowReport({ w }: { w: PauseWindow }) {
  const verdict = w.status === "ok" ? "✓ a safe restore point" : w.status === "unsafe" ? "✗ unsafe: not a restore point" : "✗ failed: not a restore point";
  return (
    <div className="step-card" data-testid="window-report" data-status={w.status}>
      <h2>Pause window {w.id}</h2>
      <div className={w.status === "ok" ? "banner ok" : "banner error"} role="status">
        {verdict}{w.paused_ms !== null ? ` — every node paused ${w.paused_ms.toFixed(0)} ms` : ""}
      </div>
      {w.problems.length > 0 && <ul className="notes">{w.problems.map((p, i) => <li key={i} className="field-error">✗ {p}</li>)}</ul>}
      {w.restore_point && w.restore_point_ms !== null && <TimeToCopy label="Restore point" utc={utcIso(w.restore_point, { ms: true })} local={localIso(w.restore_point)} ms={w.restore_point_ms} testid="restore-point" />}
      {w.safe_from && w.safe_to && <div className="small muted">Safe from <Time at={w.safe_from} ms /> to <Time at={w.safe_to} ms /> (the window narrowed by every database's clock offset).</div>}
      <TableScroll label="Nodes">
        <table className="facts" aria-label="Nodes">
          <thead><tr><th>Node</th><th>Paused</th><th>Unpaused</th><th>Note</th></tr></thead>
          <tbody>
            {w.nodes.map((n) => (
              <tr key={n.node.addr}>
                <td className="mono">{n.node.addr}</td>
                <td>{n.paused ? "✓ yes" : "✗ no"}</td>
                <td>{n.unpaused ? "✓ yes" : "✗ NO"}</td>
                <td className="small">{n.error ? `${n.error.status}${n.error.reason ? ` (${n.error.reason})` : ""}: ${n.error.message}` : n.note ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {w.hooks.length > 0 && (
        <TableScroll label="In-pause hooks">
          <table className="facts" aria-label="In-pause hooks">
            <thead><tr><th>Storage</th><th>Hook</th><th>Outcome</th><th>Output</th></tr></thead>
            <tbody>
              {w.hooks.map((h, i) => (
                <tr key={i} className={h.ok ? "" : "field-error"}><td>{h.storage}</td><td className="mono">{h.command}</td><td>{h.ok ? "✓ ok" : `✗ ${h.exit_status ?? "did not finish"}`}</td><td className="small mono">{h.output}</td></tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {(w.positions ?? []).length > 0 && (
        <TableScroll label="Log positions">
          <table className="facts" aria-label="Log positions read inside the pause">
            <thead><tr><th>Storage</th><th>Log</th><th>Position</th></tr></thead>
            <tbody>
              {(w.positions ?? []).map((p, i) => (
                <tr key={i} className={p.at.log === "unread" ? "field-error" : ""}>
                  <td>{p.storages.join(", ")}</td>
                  <td>{p.at.log === "wal" ? `WAL, timeline ${p.at.timeline}` : p.at.log === "binlog" ? "binary log" : "✗ not read"}</td>
                  <td className="mono small">
                    {p.at.log === "wal" ? p.at.lsn : p.at.log === "binlog" ? `${p.at.file}:${p.at.position}${p.at.gtid ? ` (GTID ${p.at.gtid})` : ""}` : p.at.reason}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      {w.offsets.length > 0 && (
        <TableScroll label="Clocks">
          <table className="facts" aria-label="Clocks">
            <thead><tr><th>Clock of</th><th>Offset</th><th>±</th><th>How</th></tr></thead>
            <tbody>
              {w.offsets.map((o, i) => (
                <tr key={i}><td>{o.source}</td><td>{o.offset_ms.toFixed(1)} ms</td><td>{o.uncertainty_ms != null && Number.isFinite(o.uncertainty_ms) ? `${o.uncertainty_ms.toFixed(1)} ms` : "unknown"}</td><td>{o.how}</td></tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </div>
  );
}
