// The backup plan of a deployment: the method (with or without pausing), the
// decision tree with this deployment's path and why, the steps with their
// commands, and what discovery found in its databases.
import { useCallback, useEffect, useMemo, useState } from "react";
import type { PlanView as PlanViewData } from "../bindings";
import { backend, BackendError, newJobId } from "../backend";
import { layoutTree } from "../data/planGraph";
import { useDeployments } from "../data/query";
import { ActionBlock, StorageFound } from "../components/plan/PlanDetails";
import { PlanFlow } from "../components/plan/PlanFlow";
import { Time } from "../components/Time";

const METHOD_TEXT = {
  no_pause: "Back up without explicit pausing",
  pause: "Back up with explicit pausing",
  unknown: "Cannot decide yet: storages unknown",
} as const;

export function PlanView({ initialDeployment = null }: { initialDeployment?: string | null } = {}) {
  const deps = useDeployments();
  const deployments = deps.list;
  const [selected, setSelected] = useState<string>("");
  const [view, setView] = useState<PlanViewData | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [job, setJob] = useState<string | null>(null);
  const [focus, setFocus] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);

  // The deployment the overview sent the user to, else the first, once the list is read.
  useEffect(() => {
    if (deps.fresh && deployments.length > 0) setSelected((s) => s || (deployments.some((x) => x.id === initialDeployment) ? initialDeployment! : deployments[0].id));
  }, [deps.fresh, deployments, initialDeployment]);
  useEffect(() => {
    if (deps.error) setError(deps.error as BackendError);
  }, [deps.error]);

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
              {plan.discovery_taken_at ? (
                <>Discovery taken <Time at={plan.discovery_taken_at} /></>
              ) : (
                "From the configuration only — Discover now reads the databases."
              )}
            </div>
          </div>
          <div className="plan-grid">
            <PlanFlow graph={graph} onFocus={setFocus} />
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
