// Pausing for operators: the nodes of a deployment and whether each is
// paused (live), pause-and-hold for deployments restored by point-in-time
// recovery with a countdown, the restore point ready to copy, and the
// operations history.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import type { Operation } from "../bindings";
import { backend, BackendError } from "../backend";
import { isActive, useJobs } from "../data/jobs";
import { useDeployments } from "../data/query";
import { Dialog } from "../components/Dialog";
import { JobLog } from "../components/JobProgress";
import { NodesTable } from "../components/NodesTable";
import { TableScroll } from "../components/TableScroll";
import { Time } from "../components/Time";
import { WindowReport } from "../components/WindowReport";

export function PauseView() {
  const deps = useDeployments();
  const deployments = useMemo(() => deps.list.filter((x) => x.admin_endpoints.length > 0), [deps.list]);
  const [selected, setSelected] = useState("");
  const [minSecs, setMinSecs] = useState("5");
  const [maxWaitSecs, setMaxWaitSecs] = useState("30");
  const [history, setHistory] = useState<Operation[]>([]);
  const [confirmUnpause, setConfirmUnpause] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const jobs = useJobs();
  const job = jobs.latest("pause");
  const running = isActive(job);
  const heldSince = useRef<{ id: string; at: number } | null>(null);
  const [, tick] = useState(0);

  const reloadHistory = useCallback(() => {
    backend().listHistory().then((h) => setHistory([...h].reverse())).catch(() => {});
  }, []);
  useEffect(reloadHistory, [reloadHistory]);
  // The first deployment that can be paused, once the list is read.
  useEffect(() => {
    if (deps.fresh && deployments.length > 0) setSelected((s) => s || deployments[0].id);
  }, [deps.fresh, deployments]);
  const finished = job && !running ? job.id : null;
  useEffect(() => {
    if (finished) reloadHistory();
  }, [finished, reloadHistory]);
  // The countdown runs from the moment every node is paused.
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(t);
  }, [running]);
  if (job && running && job.log.some((l) => l.startsWith("[paused]")) && heldSince.current?.id !== job.id) {
    heldSince.current = { id: job.id, at: Date.now() };
  }
  const minMs = Math.max(0, Math.round((Number(minSecs) || 0) * 1000));
  const left = running && heldSince.current?.id === job?.id ? Math.max(0, minMs - (Date.now() - heldSince.current!.at)) : null;
  const window = job?.state === "done" ? job.result : null;
  const name = deployments.find((d) => d.id === selected)?.name ?? selected;

  function start() {
    setNotice(null);
    const maxMs = Math.max(1, Math.round((Number(maxWaitSecs) || 30) * 1000));
    jobs.start("pause", `Pause of ${name}`, (jobId, onEvent) => backend().startPause(selected, minMs, maxMs, jobId, onEvent));
  }

  async function unpause() {
    setConfirmUnpause(false);
    try {
      const nodes = await backend().unpauseDeployment(selected);
      setNotice(`Unpause sent: ${nodes.filter((n) => n.paused === false).length} of ${nodes.length} node(s) now running.`);
      reloadHistory();
    } catch (e) {
      setNotice((e as BackendError).message);
    }
  }

  return (
    <div className="plan-page">
      <header className="pane-header">
        <h1>Pause</h1>
        <span className="row" style={{ gap: 8, alignItems: "center" }}>
          <label className="muted small" htmlFor="p-deployment">Deployment</label>
          <select id="p-deployment" value={selected} onChange={(e) => setSelected(e.target.value)} disabled={running} data-testid="pause-deployment">
            {deployments.length === 0 && <option value="">No deployment with Scalar Admin endpoints</option>}
            {deployments.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
          </select>
        </span>
      </header>
      <div className="plan-body restore-body">
        {selected && (
          <fieldset>
            <legend>Nodes</legend>
            <NodesTable deploymentId={selected} every={running ? 1000 : 3000} />
            <div className="actions" style={{ marginTop: 6 }}>
              <button className="danger-outline" onClick={() => setConfirmUnpause(true)} disabled={running} data-testid="unpause-all">Unpause every node…</button>
            </div>
          </fieldset>
        )}
        <fieldset disabled={running || !selected}>
          <legend>Pause and hold</legend>
          <div className="hint">For storages restored by point-in-time recovery (RDS/Azure, DynamoDB, Cosmos DB): every node is paused, held at least this long, and unpaused; the middle of the window, narrowed by the databases' clocks, is the restore point.</div>
          <div className="row">
            <div className="field narrow">
              <label htmlFor="p-min">Hold at least (s)</label>
              <input id="p-min" value={minSecs} onChange={(e) => setMinSecs(e.target.value)} inputMode="decimal" data-testid="pause-min" />
            </div>
            <div className="field narrow">
              <label htmlFor="p-max-wait">Drain wait (s)</label>
              <input id="p-max-wait" value={maxWaitSecs} onChange={(e) => setMaxWaitSecs(e.target.value)} inputMode="decimal" title="How long each node may wait for its in-flight transactions before refusing the pause" data-testid="pause-max-wait" />
            </div>
          </div>
          <div className="actions" style={{ marginTop: 0 }}>
            <button className="primary" onClick={start} data-testid="start-pause">Pause and hold</button>
          </div>
        </fieldset>
        {running && job && (
          <div className="step-card" data-testid="pause-running">
            <div className="small" data-testid="pause-phase">{job.phase}</div>
            {left !== null && (
              <div role="timer" aria-live="off" data-testid="pause-countdown">‖ Paused — {(left / 1000).toFixed(1)} s left to hold</div>
            )}
            <div className="actions" style={{ marginTop: 6 }}>
              <button onClick={() => jobs.cancel(job.id)} disabled={job.state === "cancelling"} data-testid="cancel-pause">
                {job.state === "cancelling" ? "Unpausing…" : "Stop now (unpause)"}
              </button>
            </div>
          </div>
        )}
        {job?.state === "failed" && job.error && (
          <div className="banner error" role="alert" style={{ whiteSpace: "pre-wrap" }} data-testid="pause-failed">
            <strong>{job.error.code}</strong> {job.error.message}
          </div>
        )}
        {window && <WindowReport w={window} />}
        {notice && <div className="banner ok" role="status" data-testid="pause-notice">{notice}</div>}
        {job && job.log.length > 0 && <JobLog job={job} testid="pause" />}
        <div className="section-title">History</div>
        {history.length === 0 ? (
          <div className="muted small">No operation recorded yet.</div>
        ) : (
          <TableScroll label="Operations history">
            <table className="facts" data-testid="history" aria-label="Operations history">
              <thead><tr><th>When</th><th>What</th><th>Outcome</th><th>Deployment</th><th>Who</th><th>Details</th></tr></thead>
              <tbody>
                {history.slice(0, 50).map((o, i) => (
                  <tr key={i}>
                    <td><Time at={o.at} /></td>
                    <td>{o.op.replace(/_/g, " ")}</td>
                    <td>{o.outcome === "ok" ? "✓ ok" : `✗ ${o.outcome}`}</td>
                    <td>{o.deployment}</td>
                    <td>{o.user}@{o.host}</td>
                    <td className="small">{o.what}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </div>
      {confirmUnpause && (
        <Dialog title="Unpause every node?" onClose={() => setConfirmUnpause(false)} testid="unpause-dialog">
          <p>Every Scalar Admin node of “{name}” that is paused is unpaused now — including a pause someone else holds (another workstation, a CronJob). Use it for a pause left behind.</p>
          <div className="actions">
            <button data-autofocus onClick={() => setConfirmUnpause(false)}>Keep as is</button>
            <button className="danger" onClick={() => void unpause()} data-testid="confirm-unpause">Unpause every node</button>
          </div>
        </Dialog>
      )}
    </div>
  );
}
