// The home screen: every deployment at a glance (method, last backup, last
// pause window, latest safe restore point, nodes) and what needs attention,
// each item one click from the view that fixes it. The overview itself comes
// from state files only; the nodes' paused state is asked for after it shows.
import { useCallback, useEffect, useState } from "react";
import type { NodeState, Overview } from "../bindings";
import { backend, BackendError } from "../backend";
import { isActive, useJobs } from "../data/jobs";
import { attentionOf, type OverviewTarget } from "../data/overview";
import { AttentionList, DeploymentCard } from "../components/overview/DeploymentCard";

/** The profile the first start's restore goes into (engine/src/demo.rs, DEMO_RESTORE_PROFILE). */
const DEMO_RESTORE_PROFILE = "demo-restored";

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
