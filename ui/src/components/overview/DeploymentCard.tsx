// A deployment on the overview: its method, last backup, last pause window,
// latest safe restore point and nodes, and what needs attention, each item one
// click from the view that fixes it.
import type { Attention, DeploymentSummary, NodeState } from "../../bindings";
import { human, localTime } from "../../data/format";
import { ago, attentionOf, FIX, METHOD, STATUS, type OverviewTarget } from "../../data/overview";
import { Time } from "../Time";

export function DeploymentCard({
  d,
  nodes,
  nodesError,
  nowMs,
  onGo,
}: {
  d: DeploymentSummary;
  nodes: NodeState[] | undefined;
  nodesError: string | undefined;
  nowMs: number;
  onGo: (t: OverviewTarget) => void;
}) {
  const paused = (nodes ?? []).filter((n) => n.paused === true);
  const attention = attentionOf(d, nodes);
  const headingId = `ov-${d.id}`;
  const b = d.last_backup;
  const w = d.last_window;
  const ok = attention.length === 0;
  return (
    <li className={ok ? "overview-card" : "overview-card needs"} aria-labelledby={headingId} data-testid={`overview-${d.name}`}>
      <div className="row" style={{ justifyContent: "space-between", alignItems: "baseline" }}>
        <h2 id={headingId} className="card-title">
          {d.name}
          {d.is_demo && <span className="pill" style={{ marginLeft: 8, fontWeight: 400 }}>demo</span>}
        </h2>
        <span className={ok ? "badge ok" : "badge warn"} data-testid={`overview-${d.name}-state`}>
          {ok ? "✓ OK" : `⚠ ${attention.length} to fix`}
        </span>
      </div>
      <dl className="facts">
        <dt>Method</dt>
        <dd>
          <button className="link" onClick={() => onGo({ view: "plan", deploymentId: d.id, target: null })} aria-label={`Plan of ${d.name}: ${METHOD[d.method]}`}>
            {METHOD[d.method] ?? d.method}
          </button>
        </dd>
        <dt>Last backup</dt>
        <dd data-testid={`overview-${d.name}-backup`}>
          {b ? (
            <>
              <Time at={b.started_at}>{ago(Date.parse(b.started_at), nowMs)}</Time> · {human(b.bytes)} · {STATUS[b.status] ?? b.status}
            </>
          ) : (
            "none"
          )}
        </dd>
        <dt>Last pause window</dt>
        <dd>
          {w && w.start_ms !== null ? (
            <>
              <Time at={w.start_ms}>{ago(w.start_ms, nowMs)}</Time> · {w.status === "ok" ? "safe" : w.status}
            </>
          ) : (
            "none"
          )}
        </dd>
        <dt>Latest safe restore point</dt>
        <dd data-testid={`overview-${d.name}-point`}>
          {d.latest_point ? (
            <button
              className="link"
              onClick={() => onGo({ view: "restore-points", deploymentId: d.id, target: d.latest_point!.id })}
              aria-label={`Restore point ${localTime(d.latest_point.at_ms)}, from a ${d.latest_point.source}: open Restore points`}
            >
              <Time at={d.latest_point.at_ms} /> ({d.latest_point.source})
            </button>
          ) : (
            "none yet"
          )}
        </dd>
        {d.has_admin_endpoints && (
          <>
            <dt>Nodes</dt>
            <dd data-testid={`overview-${d.name}-nodes`}>
              {nodesError
                ? `unknown (${nodesError})`
                : nodes === undefined
                  ? "asking…"
                  : `${nodes.length} node${nodes.length === 1 ? "" : "s"}, ${paused.length === 0 ? "none paused" : `${paused.length} paused`}`}
            </dd>
          </>
        )}
      </dl>
      {attention.length > 0 && <AttentionList items={attention} deploymentId={d.id} onGo={onGo} />}
    </li>
  );
}

export function AttentionList({ items, deploymentId, onGo }: { items: Attention[]; deploymentId: string | null; onGo: (t: OverviewTarget) => void }) {
  return (
    <ul className="attention" aria-label="Needs attention">
      {items.map((a, i) => (
        <li key={i} data-kind={a.kind}>
          <span aria-hidden>⚠ </span>
          {a.message}
          <button className="small" onClick={() => onGo({ view: a.view, deploymentId, target: a.target })}>
            {FIX[a.view] ?? "Open"}
          </button>
        </li>
      ))}
    </ul>
  );
}
