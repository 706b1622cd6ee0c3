import { useCallback, useEffect, useState } from "react";
import type { Deployment, DeploymentInput, FieldError, ImportPreview, Profile, TransactionManager } from "./bindings";
import { backend, BackendError } from "./backend";
import { Field, profileTarget } from "./ProfilesView";
import { KINDS } from "./form";

type Mode = { kind: "empty" } | { kind: "import" } | { kind: "edit"; id: string | null };

const TMS: { id: TransactionManager; label: string }[] = [
  { id: "consensus-commit", label: "Consensus Commit (ScalarDB library or Server)" },
  { id: "cluster", label: "ScalarDB Cluster" },
  { id: "jdbc", label: "JDBC (the database's own transactions)" },
  { id: "single-crud-operation", label: "Single CRUD operation" },
];

function emptyInput(): DeploymentInput {
  return {
    name: "",
    transaction_manager: "consensus-commit",
    storages: [{ name: "default", profile_id: "" }],
    namespace_mapping: [],
    default_storage: "default",
    coordinator_namespace: "coordinator",
    system_namespace: "scalardb",
    admin_endpoints: [],
    admin_tls: false,
    admin_ca_file: null,
    admin_authority: null,
    pause_hooks: [],
    pause_limits: { max_pause_ms: null, hook_limit_ms: null },
    storages_known: null,
  };
}

function toInput(d: Deployment): DeploymentInput {
  return {
    name: d.name,
    transaction_manager: d.transaction_manager,
    storages: d.storages.map((s) => ({ ...s })),
    namespace_mapping: d.namespace_mapping.map((m) => ({ ...m })),
    default_storage: d.default_storage,
    coordinator_namespace: d.coordinator_namespace,
    system_namespace: d.system_namespace,
    admin_endpoints: d.admin_endpoints.map((e) => e.address),
    admin_tls: d.admin_tls,
    admin_ca_file: d.admin_ca_file,
    admin_authority: d.admin_authority,
    pause_hooks: d.pause_hooks.map((h) => ({ ...h, argv: [...h.argv] })),
    pause_limits: { ...d.pause_limits },
    storages_known: d.storages_known,
  };
}

/** Milliseconds shown as seconds in a field, and back (empty: the default). */
const msField = (ms: number | null) => (ms == null ? "" : String(ms / 1000));
const msOf = (text: string): number | null => {
  const v = Number(text);
  return text.trim() === "" || !Number.isFinite(v) ? null : Math.round(v * 1000);
};

const kindLabel = (k: string | null | undefined) =>
  KINDS.find((x) => x.id === k)?.label.replace(" (descriptive)", "") ?? "?";

export function DeploymentsView() {
  const [deployments, setDeployments] = useState<Deployment[]>([]);
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [mode, setMode] = useState<Mode>({ kind: "empty" });
  const [notice, setNotice] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);

  const reload = useCallback(async () => {
    try {
      const [d, p] = await Promise.all([backend().listDeployments(), backend().listProfiles()]);
      setDeployments(d);
      setProfiles(p);
      setLoadError(null);
      return d;
    } catch (e) {
      setLoadError((e as Error).message);
      return [];
    }
  }, []);

  useEffect(() => {
    reload().then((list) => {
      setMode(list.length > 0 ? { kind: "edit", id: list[0].id } : { kind: "import" });
    });
  }, [reload]);

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

function ImportPanel(props: { onImported: (d: Deployment, p: ImportPreview) => void }) {
  const [path, setPath] = useState("");
  const [preview, setPreview] = useState<ImportPreview | null>(null);
  const [name, setName] = useState("");
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);

  async function read() {
    setBusy(true);
    setError(null);
    setPreview(null);
    try {
      const p = await backend().previewImport(path.trim());
      setPreview(p);
      setName(p.suggested_name);
    } catch (e) {
      setError(e as BackendError);
    } finally {
      setBusy(false);
    }
  }

  async function save() {
    if (!preview) return;
    setBusy(true);
    setError(null);
    try {
      const d = await backend().importDeployment(preview.file, name.trim(), preview.sha256);
      props.onImported(d, preview);
    } catch (e) {
      setError(e as BackendError);
    } finally {
      setBusy(false);
    }
  }

  const problems = preview?.storages.flatMap((s) => s.problems.map((p) => ({ storage: s.name, ...p }))) ?? [];

  return (
    <>
      <header className="pane-header">
        <h2>Import a ScalarDB configuration</h2>
        <span className="muted small">database.properties · Cluster client · Cluster node</span>
      </header>
      <div className="editor">
        <form
          className="row"
          style={{ alignItems: "flex-end" }}
          onSubmit={(e) => {
            e.preventDefault();
            void read();
          }}
        >
          <Field label="Properties file" htmlFor="import-path" grow hint="Absolute path of the file ScalarDB (or its Cluster client) is configured with. Nothing is saved until you confirm.">
            <input id="import-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/etc/scalardb/database.properties" autoComplete="off" />
          </Field>
          <button type="submit" disabled={busy || path.trim() === ""} data-testid="import-read" style={{ marginBottom: 28 }}>
            {busy && !preview ? <span className="spinner" aria-hidden /> : null} Read file
          </button>
        </form>
        {error && (
          <div className="test-result failed" role="alert" data-testid="import-error">
            <span className="code">{error.code}</span> {error.message}
          </div>
        )}
        {preview && (
          <div data-testid="import-preview">
            <div className="section-title">What the file holds</div>
            <PreviewFacts preview={preview} />
            {problems.length > 0 && (
              <div className="banner error" role="alert" data-testid="import-problems">
                <strong>Cannot be imported as it is:</strong>
                <ul className="notes">
                  {problems.map((p, i) => (
                    <li key={i}>storage “{p.storage}”, {p.field}: {p.message}</li>
                  ))}
                </ul>
              </div>
            )}
            <div className="row" style={{ alignItems: "flex-end" }}>
              <Field label="Save as deployment" htmlFor="import-name" grow>
                <input id="import-name" value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
              </Field>
              <button
                type="button"
                className="primary"
                onClick={save}
                disabled={busy || problems.length > 0 || name.trim() === ""}
                data-testid="import-save"
                style={{ marginBottom: 10 }}
              >
                {busy ? "Saving…" : "Save deployment"}
              </button>
            </div>
          </div>
        )}
      </div>
    </>
  );
}

function PreviewFacts({ preview: p }: { preview: ImportPreview }) {
  const coordinatorOn =
    p.namespace_mapping.find((m) => m.namespace === p.coordinator_namespace)?.storage ?? p.default_storage;
  return (
    <>
      <table className="facts" data-testid="preview-summary">
        <tbody>
          <tr><th>File</th><td className="mono">{p.file}</td></tr>
          <tr><th>Kind</th><td>{p.config_kind.replace(/_/g, " ")} · transactions: {p.transaction_manager}</td></tr>
          <tr>
            <th>Coordinator</th>
            <td data-testid="preview-coordinator">
              <span className="mono">{p.coordinator_namespace}.state</span>{" "}
              {p.storages_known ? <>on storage “{coordinatorOn}”</> : <span className="pill warn">storage unknown</span>}
            </td>
          </tr>
          <tr><th>Metadata</th><td className="mono">{p.system_namespace}.metadata</td></tr>
        </tbody>
      </table>
      <div className="section-title">Storages</div>
      {p.storages_known ? (
        <table className="facts" data-testid="preview-storages">
          <thead>
            <tr><th>Storage</th><th>Kind</th><th>Target</th><th>Secret</th><th>Line</th></tr>
          </thead>
          <tbody>
            {p.storages.map((s) => (
              <tr key={s.name} data-testid={`preview-storage-${s.name}`}>
                <td><strong>{s.name}</strong></td>
                <td>{kindLabel(s.profile.kind)}{s.profile.flavor && s.profile.flavor !== "self_hosted" ? ` · ${s.profile.flavor.replace(/_/g, " ")}` : ""}</td>
                <td className="mono">
                  {s.jdbc_url ?? s.profile.endpoint ?? s.profile.region ?? s.profile.nodes.join(", ")}
                  {s.existing_profile && <div className="small muted">reuses profile “{s.existing_profile}”</div>}
                </td>
                <td>{s.password_present ? <span className="pill key">→ keyring</span> : <span className="muted">none</span>}</td>
                <td className="muted">{s.line}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <div className="banner warn" data-testid="preview-storages-unknown">
          Unknown: a Cluster client file names the Cluster, not its storages. After saving, attach the Cluster's server-side
          properties file or pick the storages by hand.
        </div>
      )}
      {p.namespace_mapping.length > 0 && (
        <>
          <div className="section-title">Namespace mapping</div>
          <table className="facts" data-testid="preview-mapping">
            <tbody>
              {p.namespace_mapping.map((m) => (
                <tr key={m.namespace}><td className="mono">{m.namespace}</td><td>→ {m.storage}</td></tr>
              ))}
              {p.default_storage && (
                <tr><td className="muted">everything else</td><td>→ {p.default_storage}</td></tr>
              )}
            </tbody>
          </table>
        </>
      )}
      {p.admin_endpoints.length > 0 && (
        <>
          <div className="section-title">Scalar Admin endpoints</div>
          <ul className="notes" data-testid="preview-endpoints">
            {p.admin_endpoints.map((e) => (
              <li key={e.address}>
                <span className="mono">{e.address}</span> · port {e.port}
                {p.admin_tls ? " · TLS" : ""}
                {e.needs_address && <span className="pill warn" style={{ marginLeft: 6 }}>needs an address</span>}
              </li>
            ))}
          </ul>
        </>
      )}
      {(p.unknown_keys.length > 0 || p.notes.length > 0) && (
        <>
          <div className="section-title">Notes</div>
          <ul className="notes" data-testid="preview-notes">
            {p.unknown_keys.map((k) => (
              <li key={`${k.key}-${k.line}`} data-testid="preview-unknown-key">
                Line {k.line}: unknown key <span className="mono">{k.key}</span> (not imported)
              </li>
            ))}
            {p.notes.map((n, i) => (
              <li key={i}>{n}</li>
            ))}
          </ul>
        </>
      )}
      {p.ignored_keys.length > 0 && (
        <div className="hint" style={{ marginBottom: 10 }}>
          {p.ignored_keys.length} ScalarDB setting(s) not needed for backups (pools, isolation level…) were left out.
        </div>
      )}
    </>
  );
}

function DeploymentEditor(props: {
  deployment: Deployment | null;
  profiles: Profile[];
  onSaved: (d: Deployment, verb: string) => void;
  onDeleted: (d: Deployment) => void;
  onError: (text: string) => void;
}) {
  const d = props.deployment;
  const [input, setInput] = useState<DeploymentInput>(d ? toInput(d) : emptyInput());
  const [endpoints, setEndpoints] = useState((d ? toInput(d) : emptyInput()).admin_endpoints.join("\n"));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [showErrors, setShowErrors] = useState(false);
  const [saving, setSaving] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
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
          {d &&
            (confirmDelete ? (
              <span className="confirm">
                Remove “{d.name}”? Its profiles are kept.
                <button type="button" className="danger" onClick={remove} data-testid="confirm-delete-deployment">Remove</button>
                <button type="button" onClick={() => setConfirmDelete(false)}>Keep</button>
              </span>
            ) : (
              <button type="button" className="danger-outline" onClick={() => setConfirmDelete(true)} data-testid="delete-deployment">
                Remove
              </button>
            ))}
        </div>
      </form>
    </>
  );
}
