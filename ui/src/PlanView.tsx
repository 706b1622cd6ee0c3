import { useCallback, useEffect, useMemo, useState } from "react";
import {
  Background,
  BaseEdge,
  EdgeLabelRenderer,
  Handle,
  Position,
  ReactFlow,
  type EdgeProps,
  type NodeProps,
  type Node,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { Action, Deployment, PlanView as PlanViewData, StorageDiscovery } from "./bindings";
import { backend, BackendError, newJobId } from "./backend";
import { layoutTree, type TreeNodeData } from "./planGraph";
import { human } from "./format";

const METHOD_TEXT = {
  no_pause: "Back up without explicit pausing",
  pause: "Back up with explicit pausing",
  unknown: "Cannot decide yet: storages unknown",
} as const;

function TreeNodeBox({ data, selected }: NodeProps<Node<TreeNodeData>>) {
  return (
    <div
      className={`tree-node ${data.kind} ${data.onPath ? "on-path" : ""} ${selected ? "selected" : ""}`}
      title={data.reason ?? data.detail}
      data-testid={`tree-node-${data.label.replace(/[^A-Za-z]+/g, "-").toLowerCase()}`}
      data-on-path={data.onPath ? "true" : "false"}
    >
      <Handle type="target" position={Position.Top} isConnectable={false} />
      <div>{data.label}</div>
      {data.answer && <div className="tree-answer">{data.answer.toUpperCase()}</div>}
      <Handle type="source" position={Position.Bottom} isConnectable={false} />
    </div>
  );
}

/** An edge along the points dagre routed, with rounded joints. */
function RoutedEdge({ id, data, label, style, markerEnd }: EdgeProps) {
  const pts = ((data as { points?: { x: number; y: number }[] })?.points ?? []).filter((p) => Number.isFinite(p.x));
  if (pts.length < 2) return null;
  let d = `M ${pts[0].x} ${pts[0].y}`;
  for (let i = 1; i < pts.length - 1; i++) {
    const [p, n] = [pts[i], pts[i + 1]];
    d += ` Q ${p.x} ${p.y} ${(p.x + n.x) / 2} ${(p.y + n.y) / 2}`;
  }
  d += ` L ${pts[pts.length - 1].x} ${pts[pts.length - 1].y}`;
  const mid = pts[Math.floor(pts.length / 2)];
  return (
    <>
      <BaseEdge id={id} path={d} style={style} markerEnd={markerEnd} />
      {label && (
        <EdgeLabelRenderer>
          <div className="edge-label" style={{ transform: `translate(-50%, -50%) translate(${mid.x}px, ${mid.y}px)` }}>
            {label}
          </div>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

const nodeTypes = { tree: TreeNodeBox };
const edgeTypes = { routed: RoutedEdge };

export function PlanView({ initialDeployment = null }: { initialDeployment?: string | null } = {}) {
  const [deployments, setDeployments] = useState<Deployment[]>([]);
  const [selected, setSelected] = useState<string>("");
  const [view, setView] = useState<PlanViewData | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [job, setJob] = useState<string | null>(null);
  const [focus, setFocus] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  useEffect(() => {
    backend()
      .listDeployments()
      .then((d) => {
        setDeployments(d);
        if (d.length > 0) setSelected((s) => s || (d.some((x) => x.id === initialDeployment) ? initialDeployment! : d[0].id));
      })
      .catch((e) => setError(e as BackendError));
  }, []);

  const load = useCallback(async (id: string) => {
    if (!id) return;
    setError(null);
    try {
      setView(await backend().getPlan(id));
    } catch (e) {
      setView(null);
      setError(e as BackendError);
    }
  }, []);

  // Switching deployments re-evaluates at once (no database is touched).
  useEffect(() => {
    setFocus(null);
    void load(selected);
  }, [selected, load]);

  async function discover() {
    const id = newJobId();
    setJob(id);
    setError(null);
    try {
      setView(await backend().discoverDeployment(selected, id));
    } catch (e) {
      setError(e as BackendError);
    } finally {
      setJob(null);
    }
  }

  const graph = useMemo(() => (view ? layoutTree(view.tree, view.plan) : null), [view]);
  const plan = view?.plan ?? null;
  const focused = graph?.nodes.find((n) => n.id === focus) ?? null;

  async function copy(text: string) {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(text);
      setTimeout(() => setCopied(null), 1500);
    } catch {
      /* clipboard not available: the command stays selectable */
    }
  }

  return (
    <div className="plan-page">
      <header className="pane-header">
        <h1>Backup plan</h1>
        <span className="row" style={{ gap: 8, alignItems: "center" }}>
          <label htmlFor="plan-deployment" className="muted small">Deployment</label>
          <select id="plan-deployment" value={selected} onChange={(e) => setSelected(e.target.value)} data-testid="plan-deployment">
            {deployments.map((d) => (
              <option key={d.id} value={d.id}>{d.name}</option>
            ))}
          </select>
          {job ? (
            <button onClick={() => backend().cancelJob(job)} data-testid="cancel-discovery">
              <span className="spinner" aria-hidden /> Discovering… Cancel
            </button>
          ) : (
            <button onClick={discover} disabled={!selected} data-testid="discover" title="Connect to the live storages and read what ScalarDB keeps there">
              Discover now
            </button>
          )}
        </span>
      </header>
      {deployments.length === 0 && !error && (
        <section className="empty-state">
          <div className="empty-card">
            <h2>No deployment to plan</h2>
            <p>Import a ScalarDB configuration under Deployments first.</p>
          </div>
        </section>
      )}
      {error && (
        <div className="banner error" role="alert" style={{ margin: "10px 18px" }} data-testid="plan-error">
          <strong>{error.code}</strong> {error.message}
        </div>
      )}
      {plan && graph && (
        <div className="plan-body">
          <div className={`method-banner ${plan.method}`} data-testid="plan-method" data-method={plan.method}>
            <div className="method-title">{METHOD_TEXT[plan.method]}</div>
            <div className="small">
              {plan.discovery_taken_at
                ? `Discovery taken ${new Date(plan.discovery_taken_at).toLocaleString()}`
                : "From the configuration only — Discover now reads the databases."}
            </div>
          </div>
          <div className="plan-grid">
            <div className="flow-card" data-testid="plan-flowchart">
              <ReactFlow
                nodes={graph.nodes}
                edges={graph.edges}
                nodeTypes={nodeTypes}
                edgeTypes={edgeTypes}
                fitView
                fitViewOptions={{ padding: 0.06 }}
                nodesDraggable={false}
                nodesConnectable={false}
                elementsSelectable
                zoomOnScroll={false}
                panOnDrag={false}
                proOptions={{ hideAttribution: true }}
                onNodeClick={(_, n) => setFocus(n.id)}
                onNodeMouseEnter={(_, n) => setFocus(n.id)}
              >
                <Background gap={16} size={1} />
              </ReactFlow>
            </div>
            <div className="why-card">
              <div className="section-title">Why</div>
              <ol className="path-list" data-testid="plan-path">
                {plan.path.map((s) => (
                  <li key={s.node} className={focus === s.node ? "focused" : ""} onMouseEnter={() => setFocus(s.node)}>
                    <strong>{view!.tree.nodes.find((n) => n.id === s.node)?.label}</strong>
                    {s.answer && <span className={`pill ${s.answer === "yes" ? "key" : "warn"}`} style={{ marginLeft: 6 }}>{s.answer}</span>}
                    <div className="small">{s.reason}</div>
                  </li>
                ))}
              </ol>
              {focused && (
                <div className="node-detail" data-testid="node-detail">
                  <div className="section-title">{focused.data.label}</div>
                  {focused.data.reason && <p className="small"><strong>Here:</strong> {focused.data.reason}</p>}
                  <p className="small muted">{focused.data.detail}</p>
                </div>
              )}
            </div>
          </div>

          {plan.warnings.length > 0 && (
            <ul className="warnings" data-testid="plan-warnings">
              {plan.warnings.map((w, i) => (
                <li key={i} className={`warning sev-${w.severity}`} data-code={w.code}>
                  <span className="pill">{w.severity}</span> {w.text}
                </li>
              ))}
            </ul>
          )}

          <div className="section-title" style={{ margin: "18px 18px 6px" }}>Steps</div>
          <div className="step-cards" data-testid="plan-steps">
            {plan.steps.map((s, i) => (
              <div className="step-card" key={s.unit} data-testid={`plan-step-${i + 1}`}>
                <h2>{i + 1}. {s.title}</h2>
                <ActionBlock what="Backup" a={s.backup} copy={copy} copied={copied} />
                <ActionBlock what="Restore" a={s.restore} copy={copy} copied={copied} />
              </div>
            ))}
          </div>

          {view?.discovery && (
            <>
              <div className="section-title" style={{ margin: "18px 18px 6px" }}>What Quiesce found</div>
              {view.discovery.storages.map((s) => (
                <StorageFound key={s.storage} s={s} />
              ))}
            </>
          )}
        </div>
      )}
    </div>
  );
}

function ActionBlock(props: { what: string; a: Action; copy: (t: string) => void; copied: string | null }) {
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

function StorageFound({ s }: { s: StorageDiscovery }) {
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
