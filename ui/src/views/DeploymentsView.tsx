// Deployments: the ScalarDB deployments Quiesce knows (imported from their
// properties, or made by hand), each with its storages, namespaces and Scalar
// Admin endpoints.
import { useEffect, useState } from "react";
import type { Deployment } from "../bindings";
import { kindLabel } from "../data/form";
import { invalidate, useDeployments, useProfiles } from "../data/query";
import { DeploymentEditor } from "../components/deployments/DeploymentEditor";
import { ImportPanel } from "../components/deployments/ImportPanel";

type Mode = { kind: "empty" } | { kind: "import" } | { kind: "edit"; id: string | null };

export function DeploymentsView() {
  const deps = useDeployments();
  const deployments = deps.list;
  const profilesQ = useProfiles();
  const profiles = profilesQ.list;
  const [mode, setMode] = useState<Mode>({ kind: "empty" });
  const [notice, setNotice] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const loadError = deps.error?.message ?? profilesQ.error?.message ?? null;
  // A save or an import changes both lists (an import makes profiles): both are read again.
  const reload = async (): Promise<Deployment[]> => {
    const [d] = await Promise.all([invalidate<Deployment[]>("deployments"), invalidate("profiles")]);
    return d ?? [];
  };

  // The first deployment, or the import panel when there is none, once the list is read.
  useEffect(() => {
    if (deps.fresh && mode.kind === "empty") setMode(deployments.length > 0 ? { kind: "edit", id: deployments[0].id } : { kind: "import" });
  }, [deps.fresh, deployments, mode.kind]);

  const selectedId = mode.kind === "edit" ? mode.id : null;
  const current = deployments.find((d) => d.id === selectedId) ?? null;

  return (
    <div className="profiles">
      <section className="list-pane" aria-label="Deployments">
        <header className="pane-header">
          <h1>Deployments</h1>
          <span className="row" style={{ gap: 6 }}>
            <button className="small" onClick={() => { setNotice(null); setMode({ kind: "import" }); }} data-testid="import-deployment">
              Import…
            </button>
            <button className="primary small" onClick={() => { setNotice(null); setMode({ kind: "edit", id: null }); }} data-testid="new-deployment">
              + New
            </button>
          </span>
        </header>
        {loadError && <div className="banner error">{loadError}</div>}
        <ul className="profile-list" data-testid="deployment-list">
          {deployments.map((d) => (
            <li key={d.id}>
              <button
                className={d.id === selectedId ? "profile-item active" : "profile-item"}
                onClick={() => { setNotice(null); setMode({ kind: "edit", id: d.id }); }}
                data-testid={`deployment-item-${d.name}`}
              >
                <span className={`kind-badge ${d.transaction_manager === "cluster" ? "cluster" : ""}`}>
                  {d.transaction_manager === "cluster" ? "Cluster" : d.storages.length > 1 ? "Multi" : "Single"}
                </span>
                <span className="profile-name">{d.name}</span>
                <span className="profile-target muted">
                  {d.storages_known
                    ? d.storages.map((s) => kindLabel(profiles.find((p) => p.id === s.profile_id)?.kind)).join(" + ")
                    : "storages unknown"}
                </span>
              </button>
            </li>
          ))}
          {deployments.length === 0 && !loadError && (
            <li className="muted pad">No deployments yet. Import ScalarDB's database.properties to start.</li>
          )}
        </ul>
      </section>

      <section className="editor-pane" aria-label="Deployment">
        {notice && (
          <div className={`banner ${notice.kind}`} role="status" data-testid="notice" style={{ margin: "10px 18px 0" }}>
            {notice.text}
          </div>
        )}
        {mode.kind === "import" && (
          <ImportPanel
            onImported={async (d, preview) => {
              await reload();
              setMode({ kind: "edit", id: d.id });
              const pw = preview.storages.filter((s) => s.password_present).length;
              setNotice({
                kind: "ok",
                text: `Imported “${d.name}” with ${d.storages.length} storage(s).${pw > 0 ? ` ${pw} password(s) moved to the keyring.` : ""}`,
              });
            }}
          />
        )}
        {mode.kind === "edit" && (
          <DeploymentEditor
            key={mode.id ?? "new"}
            deployment={current}
            profiles={profiles}
            onSaved={async (d, verb) => {
              await reload();
              setMode({ kind: "edit", id: d.id });
              setNotice({ kind: "ok", text: `${verb} “${d.name}”.` });
            }}
            onDeleted={async (d) => {
              const list = await reload();
              setMode(list.length > 0 ? { kind: "edit", id: list[0].id } : { kind: "import" });
              setNotice({ kind: "ok", text: `Removed “${d.name}”. Its profiles are kept.` });
            }}
            onError={(text) => setNotice({ kind: "error", text })}
          />
        )}
      </section>
    </div>
  );
}
