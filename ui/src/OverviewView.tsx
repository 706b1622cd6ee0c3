// The home screen: every deployment at a glance (method, last backup, last
// pause window, latest safe restore point, nodes) and what needs attention,
// each item one click from the view that fixes it. The overview itself comes
// from state files only; the nodes' paused state is asked for after it shows.
import { useCallback, useEffect, useState } from "react";
import type { Attention, DeploymentSummary, NodeState, Overview } from "./bindings";
import { backend, BackendError } from "./backend";
import { human } from "./format";
import { isActive, useJobs } from "./jobs";

/** Where an attention item or a step leads: a view, and the deployment or entry it is about. */
export interface OverviewTarget {
  view: string;
  deploymentId: string | null;
  target: string | null;
  /** A restore's target profile, by name. */
  into?: string;
}

/** The profile the first start's restore goes into (engine/src/demo.rs, DEMO_RESTORE_PROFILE). */
const DEMO_RESTORE_PROFILE = "demo-restored";

const METHOD: Record<string, string> = {
  no_pause: "Backed up without a pause",
  pause: "Backed up inside a pause",
  unknown: "Method unknown",
};

const STATUS: Record<string, string> = {
  ok: "verified",
  warnings: "verified, with warnings",
  verification_failed: "verification failed",
  unverified: "not verified yet",
  damaged: "damaged",
  leftover: "unfinished",
  unsafe: "unsafe",
};

export function ago(fromMs: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - fromMs) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

function when(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
}

export function OverviewView({ onGo }: { onGo: (t: OverviewTarget) => void }) {
  const [ov, setOv] = useState<Overview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [nodes, setNodes] = useState<Record<string, NodeState[]>>({});
  const [nodeErrors, setNodeErrors] = useState<Record<string, string>>({});
  const jobs = useJobs();
  const backupJob = jobs.latest("backup");

  const reload = useCallback(() => {
    backend()
      .overview()
      .then((o) => {
        setOv(o);
        setError(null);
      })
      .catch((e: BackendError) => setError(e.message));
  }, []);
  useEffect(reload, [reload]);
  // The nodes' state needs the network: asked for once the overview shows.
  useEffect(() => {
    let live = true;
    for (const d of ov?.deployments ?? []) {
      if (!d.has_admin_endpoints) continue;
      backend()
        .nodesState(d.id)
        .then((n) => live && setNodes((m) => ({ ...m, [d.id]: n })))
        .catch((e: BackendError) => live && setNodeErrors((m) => ({ ...m, [d.id]: e.message })));
    }
    return () => {
      live = false;
    };
  }, [ov]);
  // A backup that ends changes the overview.
  const finished = backupJob && !isActive(backupJob) ? backupJob.id : null;
  useEffect(() => {
    if (finished) reload();
  }, [finished, reload]);

  const demo = ov?.deployments.find((d) => d.is_demo);
  const firstStart = !!ov && ov.first_start && !!demo;
  const attentionCount = ov ? ov.deployments.reduce((n, d) => n + attentionOf(d, nodes[d.id]).length, ov.other.length) : 0;

  function backUpDemo() {
    if (!demo) return;
    jobs.start("backup", `Backup of ${demo.name}`, (jobId, onEvent) =>
      backend().startBackup(demo.id, { format: "default", jobs: null, out: null, max_pause_ms: null }, jobId, onEvent),
    );
    onGo({ view: "backups", deploymentId: demo.id, target: null });
  }

  return (
    <div className="plan-page">
      <header className="pane-header">
        <h1>Overview</h1>
        <span className="row" style={{ gap: 8, alignItems: "center" }}>
          {ov && (
            <span className="muted small" data-testid="overview-summary">
              {ov.deployments.length} deployment{ov.deployments.length === 1 ? "" : "s"} ·{" "}
              {attentionCount === 0 ? "nothing needs attention" : `${attentionCount} item${attentionCount === 1 ? " needs" : "s need"} attention`}
            </span>
          )}
          <button onClick={reload} data-testid="overview-refresh">Refresh</button>
        </span>
      </header>
      <div className="plan-body">
        {error && (
          <div className="banner error" role="alert">
            {error}
          </div>
        )}
        {!ov && !error && <p className="muted" style={{ margin: "12px 18px" }}>Loading…</p>}
        {firstStart && demo && (
          <section className="step-card first-steps" aria-labelledby="first-steps-h" data-testid="first-steps" style={{ marginTop: 12 }}>
            <h2 id="first-steps-h">Start with the demo</h2>
            <p className="small">
              Quiesce made a small ScalarDB deployment on SQLite (“{demo.name}”) so you can try it at once: back it up, then restore the backup into a new file
              and see it verified.
            </p>
            <ol className="steps-list">
              <li>
                <button className="primary" onClick={backUpDemo} disabled={isActive(backupJob)} data-testid="first-backup">
                  Back up the demo now
                </button>
              </li>
              <li>
                <button
                  onClick={() => onGo({ view: "restore", deploymentId: demo.id, target: demo.last_backup?.id ?? null, into: DEMO_RESTORE_PROFILE })}
                  disabled={!demo.last_backup}
                  aria-describedby={demo.last_backup ? undefined : "restore-needs-backup"}
                  data-testid="first-restore"
                >
                  Restore it into a new file
                </button>
                {!demo.last_backup && (
                  <span id="restore-needs-backup" className="muted small" style={{ marginLeft: 8 }}>
                    (after the first backup)
                  </span>
                )}
              </li>
            </ol>
          </section>
        )}
        {ov && ov.other.length > 0 && (
          <section className="step-card" aria-label="Needs attention outside any deployment" data-testid="overview-other">
            <h2 className="card-title">Not tied to a deployment</h2>
            <AttentionList items={ov.other} deploymentId={null} onGo={onGo} />
          </section>
        )}
        {ov && ov.deployments.length === 0 && (
          <section className="step-card" style={{ marginTop: 12 }}>
            <h2 className="card-title">No deployments yet</h2>
            <p className="small">Add one (or import a ScalarDB properties file) to see its backups and restore points here.</p>
            <button onClick={() => onGo({ view: "deployments", deploymentId: null, target: null })}>Add a deployment</button>
          </section>
        )}
        <ul className="overview-grid" aria-label="Deployments">
          {ov?.deployments.map((d) => (
            <DeploymentCard key={d.id} d={d} nodes={nodes[d.id]} nodesError={nodeErrors[d.id]} nowMs={Date.parse(ov.now)} onGo={onGo} />
          ))}
        </ul>
      </div>
    </div>
  );
}

/** The attention items of a deployment, with a paused node (known once its nodes answered) as one more. */
function attentionOf(d: DeploymentSummary, nodes: NodeState[] | undefined): Attention[] {
  const paused = (nodes ?? []).filter((n) => n.paused === true).length;
  if (!nodes || paused === 0) return d.attention;
  return [
    ...d.attention,
    {
      kind: "node_paused",
      message: `${paused} of ${nodes.length} node${nodes.length === 1 ? " is" : "s are"} paused: ScalarDB is not serving. Unpause them if no backup is running.`,
      view: "pause",
      target: null,
    },
  ];
}

function DeploymentCard({
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
              {ago(Date.parse(b.started_at), nowMs)} · {human(b.bytes)} · {STATUS[b.status] ?? b.status}
            </>
          ) : (
            "none"
          )}
        </dd>
        <dt>Last pause window</dt>
        <dd>
          {w && w.start_ms !== null ? (
            <>
              {ago(w.start_ms, nowMs)} · {w.status === "ok" ? "safe" : w.status}
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
              aria-label={`Restore point ${when(d.latest_point.at_ms)}, from a ${d.latest_point.source}: open Restore points`}
            >
              {when(d.latest_point.at_ms)} ({d.latest_point.source})
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

function AttentionList({ items, deploymentId, onGo }: { items: Attention[]; deploymentId: string | null; onGo: (t: OverviewTarget) => void }) {
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

const FIX: Record<string, string> = {
  backups: "Open Backups",
  "restore-points": "Open Restore points",
  plan: "Open the plan",
  pause: "Open Pause",
  deployments: "Open Deployments",
};
