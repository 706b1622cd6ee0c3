// A deployment's editor: its storages (each a profile), namespace mapping,
// Scalar Admin endpoints and pause limits, validated by the engine as typed;
// a Cluster's storages attached from its server-side properties.
import { useCallback, useEffect, useState } from "react";
import type { Deployment, DeploymentInput, FieldError, Profile, TransactionManager } from "../../bindings";
import { backend, BackendError } from "../../backend";
import { deploymentInput, emptyInput, msField, msOf, TMS } from "../../data/deployments";
import { kindLabel, profileTarget } from "../../data/form";
import { ConfirmDelete } from "../ConfirmDelete";
import { Field } from "../Field";

export function DeploymentEditor(props: {
  deployment: Deployment | null;
  profiles: Profile[];
  onSaved: (d: Deployment, verb: string) => void;
  onDeleted: (d: Deployment) => void;
  onError: (text: string) => void;
}) {
  const d = props.deployment;
  const [input, setInput] = useState<DeploymentInput>(d ? deploymentInput(d) : emptyInput());
  const [endpoints, setEndpoints] = useState((d ? deploymentInput(d) : emptyInput()).admin_endpoints.join("\n"));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [showErrors, setShowErrors] = useState(false);
  const [saving, setSaving] = useState(false);
  const [attachPath, setAttachPath] = useState("");

  const full = useCallback(
    (): DeploymentInput => ({
      ...input,
      admin_endpoints: endpoints.split(/\n|,/).map((s) => s.trim()).filter((s) => s !== ""),
      storages_known: input.transaction_manager === "cluster" ? input.storages.length > 0 : null,
    }),
    [input, endpoints],
  );

  useEffect(() => {
    const t = setTimeout(() => {
      backend().validateDeployment(full()).then(setErrors).catch(() => {});
    }, 200);
    return () => clearTimeout(t);
  }, [full]);

  const err = (field: string) =>
    showErrors ? errors.filter((e) => e.field === field).map((e) => e.message).join(" ") || undefined : undefined;
  const set = <K extends keyof DeploymentInput>(k: K, v: DeploymentInput[K]) => setInput((i) => ({ ...i, [k]: v }));
  const storageNames = input.storages.map((s) => s.name).filter((n) => n.trim() !== "");

  async function save() {
    setShowErrors(true);
    const problems = await backend().validateDeployment(full()).catch(() => [] as FieldError[]);
    setErrors(problems);
    if (problems.length > 0) {
      props.onError("Fix the highlighted fields first.");
      return;
    }
    setSaving(true);
    try {
      const saved = await backend().saveDeployment(d?.id ?? null, full());
      props.onSaved(saved, d ? "Saved" : "Created");
    } catch (e) {
      const be = e as BackendError;
      if (be.fields?.length) setErrors(be.fields);
      props.onError(`${be.message} [${be.code}]`);
    } finally {
      setSaving(false);
    }
  }

  async function attach() {
    try {
      const p = await backend().previewImport(attachPath.trim());
      const saved = await backend().attachStorages(d!.id, p.file, p.sha256);
      props.onSaved(saved, `Attached ${saved.storages.length} storage(s) to`);
    } catch (e) {
      const be = e as BackendError;
      props.onError(`${be.message} [${be.code}]`);
    }
  }

  async function remove() {
    if (!d) return;
    try {
      await backend().deleteDeployment(d.id);
      props.onDeleted(d);
    } catch (e) {
      const be = e as BackendError;
      props.onError(`${be.message} [${be.code}]`);
    }
  }

  const cluster = input.transaction_manager === "cluster";
  const coordinatorOn =
    input.namespace_mapping.find((m) => m.namespace === input.coordinator_namespace)?.storage ??
    input.default_storage ??
    (input.storages.length === 1 ? input.storages[0].name : null);

  return (
    <>
      <header className="pane-header">
        <h2 data-testid="deployment-title">{d ? d.name : "New deployment"}</h2>
        {d?.source && <span className="muted small">imported from {d.source.file}</span>}
      </header>
      <form
        className="editor"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <fieldset>
          <legend>General</legend>
          <div className="row">
            <Field label="Name" htmlFor="d-name" error={err("name")}>
              <input id="d-name" value={input.name} onChange={(e) => set("name", e.target.value)} placeholder="prod" autoComplete="off" />
            </Field>
            <Field label="Transaction manager" htmlFor="d-tm" grow>
              <select id="d-tm" value={input.transaction_manager ?? "consensus-commit"} onChange={(e) => set("transaction_manager", e.target.value as TransactionManager)}>
                {TMS.map((t) => (
                  <option key={t.id} value={t.id}>{t.label}</option>
                ))}
              </select>
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>Storages</legend>
          {cluster && input.storages.length === 0 && (
            <div className="banner warn" data-testid="storages-unknown">
              Storages unknown: the Cluster's storages were not given. Plans will say “unknown” until you add them.
            </div>
          )}
          <div className="grid-rows" data-testid="storage-rows">
            {input.storages.map((s, i) => (
              <div className="grid-row" key={i}>
                <input aria-label={`Storage ${i + 1} name`} value={s.name} placeholder="name" onChange={(e) => set("storages", input.storages.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)))} style={{ flex: "0 0 140px", width: 140 }} />
                <select aria-label={`Storage ${i + 1} profile`} value={s.profile_id} onChange={(e) => set("storages", input.storages.map((x, j) => (j === i ? { ...x, profile_id: e.target.value } : x)))}>
                  <option value="">Choose a profile…</option>
                  {props.profiles.map((p) => (
                    <option key={p.id} value={p.id}>{p.name} — {kindLabel(p.kind)} {profileTarget(p)}</option>
                  ))}
                </select>
                <button type="button" className="icon-btn" aria-label="Remove storage" onClick={() => set("storages", input.storages.filter((_, j) => j !== i))}>×</button>
              </div>
            ))}
          </div>
          {err("storages") && <div className="field-error">{err("storages")}</div>}
          <button type="button" className="small" onClick={() => set("storages", [...input.storages, { name: input.storages.length === 0 ? "default" : "", profile_id: "" }])}>
            + Add storage
          </button>
          {cluster && d && (
            <div className="row" style={{ alignItems: "flex-end", marginTop: 10 }}>
              <Field label="Attach from the Cluster's server-side properties" htmlFor="d-attach" grow>
                <input id="d-attach" value={attachPath} onChange={(e) => setAttachPath(e.target.value)} placeholder="/etc/scalardb-cluster/scalardb-cluster-node.properties" />
              </Field>
              <button type="button" onClick={attach} disabled={attachPath.trim() === ""} style={{ marginBottom: 10 }} data-testid="attach-storages">
                Attach
              </button>
            </div>
          )}
        </fieldset>

        <fieldset>
          <legend>Namespaces</legend>
          <div className="grid-rows">
            {input.namespace_mapping.map((m, i) => (
              <div className="grid-row" key={i}>
                <input aria-label={`Namespace ${i + 1}`} value={m.namespace} placeholder="namespace" onChange={(e) => set("namespace_mapping", input.namespace_mapping.map((x, j) => (j === i ? { ...x, namespace: e.target.value } : x)))} />
                <span className="muted">→</span>
                <select aria-label={`Namespace ${i + 1} storage`} value={m.storage} onChange={(e) => set("namespace_mapping", input.namespace_mapping.map((x, j) => (j === i ? { ...x, storage: e.target.value } : x)))}>
                  <option value="">storage…</option>
                  {storageNames.map((n) => (
                    <option key={n} value={n}>{n}</option>
                  ))}
                </select>
                <button type="button" className="icon-btn" aria-label="Remove mapping" onClick={() => set("namespace_mapping", input.namespace_mapping.filter((_, j) => j !== i))}>×</button>
              </div>
            ))}
          </div>
          {err("namespace_mapping") && <div className="field-error">{err("namespace_mapping")}</div>}
          <button type="button" className="small" onClick={() => set("namespace_mapping", [...input.namespace_mapping, { namespace: "", storage: "" }])} disabled={input.storages.length < 2}>
            + Map a namespace
          </button>
          <div className="row" style={{ marginTop: 10 }}>
            <Field label="Default storage" htmlFor="d-default" error={err("default_storage")} hint="Where namespaces not mapped above live.">
              <select id="d-default" value={input.default_storage ?? ""} onChange={(e) => set("default_storage", e.target.value || null)}>
                <option value="">—</option>
                {storageNames.map((n) => (
                  <option key={n} value={n}>{n}</option>
                ))}
              </select>
            </Field>
            <Field label="Coordinator namespace" htmlFor="d-coord" error={err("coordinator_namespace")} hint={coordinatorOn ? `The coordinator table lives on “${coordinatorOn}”.` : undefined}>
              <input id="d-coord" value={input.coordinator_namespace ?? ""} onChange={(e) => set("coordinator_namespace", e.target.value)} />
            </Field>
            <Field label="System namespace" htmlFor="d-system" error={err("system_namespace")}>
              <input id="d-system" value={input.system_namespace ?? ""} onChange={(e) => set("system_namespace", e.target.value)} />
            </Field>
          </div>
        </fieldset>

        <fieldset>
          <legend>Scalar Admin</legend>
          <Field label="Endpoints that can pause this deployment" htmlFor="d-endpoints" error={err("admin_endpoints")} hint="One per line: host:port, indirect:host (ScalarDB Cluster, port 60053 by default) or direct-kubernetes:namespace/endpoint.">
            <textarea id="d-endpoints" rows={3} value={endpoints} onChange={(e) => setEndpoints(e.target.value)} placeholder="indirect:scalardb-cluster.internal" />
          </Field>
          <label className="check">
            <input type="checkbox" checked={input.admin_tls} onChange={(e) => set("admin_tls", e.target.checked)} /> The endpoints use TLS
          </label>
          {input.admin_tls && (
            <div className="row">
              <Field label="CA certificate (PEM file)" htmlFor="d-admin-ca" error={err("admin_ca_file")} hint="Empty: the system's roots.">
                <input id="d-admin-ca" value={input.admin_ca_file ?? ""} onChange={(e) => set("admin_ca_file", e.target.value || null)} placeholder="/etc/scalardb/ca.pem" />
              </Field>
              <Field label="Authority override" htmlFor="d-admin-authority" error={err("admin_authority")} hint="The host name the certificates carry, when it is not the endpoints' own.">
                <input id="d-admin-authority" value={input.admin_authority ?? ""} onChange={(e) => set("admin_authority", e.target.value || null)} />
              </Field>
            </div>
          )}
          <div className="row">
            <Field label="Maximum pause (seconds)" htmlFor="d-max-pause" error={err("max_pause_ms")} hint="Reached, the pause is aborted and every node unpaused. Empty: 60.">
              <input
                id="d-max-pause"
                type="number"
                min={0.1}
                step="any"
                value={msField(input.pause_limits.max_pause_ms)}
                onChange={(e) => set("pause_limits", { ...input.pause_limits, max_pause_ms: msOf(e.target.value) })}
                data-testid="max-pause"
              />
            </Field>
            <Field label="In-pause hook limit (seconds)" htmlFor="d-hook-limit" error={err("hook_limit_ms")} hint="Empty: 30, never more than the maximum pause.">
              <input
                id="d-hook-limit"
                type="number"
                min={0.1}
                step="any"
                value={msField(input.pause_limits.hook_limit_ms)}
                onChange={(e) => set("pause_limits", { ...input.pause_limits, hook_limit_ms: msOf(e.target.value) })}
                data-testid="hook-limit"
              />
            </Field>
          </div>
        </fieldset>

        <div className="actions">
          <button type="submit" className="primary" disabled={saving} data-testid="save-deployment">
            {saving ? "Saving…" : d ? "Save changes" : "Create deployment"}
          </button>
          <span className="spacer" />
          {d && (
            <ConfirmDelete
              key={d.id}
              action="Remove"
              question={`Remove “${d.name}”? Its profiles are kept.`}
              onConfirm={remove}
              testid="delete-deployment"
              confirmTestid="confirm-delete-deployment"
            />
          )}
        </div>
      </form>
    </>
  );
}
