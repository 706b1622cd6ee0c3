// Importing a ScalarDB configuration: the file read and previewed (what it
// holds, what cannot be imported), then saved as a deployment under a name.
import { useState } from "react";
import type { Deployment, ImportPreview } from "../../bindings";
import { backend, BackendError } from "../../backend";
import { kindLabel } from "../../data/form";
import { Field } from "../Field";
import { TableScroll } from "../TableScroll";

export function ImportPanel(props: { onImported: (d: Deployment, p: ImportPreview) => void }) {
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
      <TableScroll label="What the file holds">
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
      </TableScroll>
      <div className="section-title">Storages</div>
      {p.storages_known ? (
        <TableScroll label="Storages">
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
        </TableScroll>
      ) : (
        <div className="banner warn" data-testid="preview-storages-unknown">
          Unknown: a Cluster client file names the Cluster, not its storages. After saving, attach the Cluster's server-side
          properties file or pick the storages by hand.
        </div>
      )}
      {p.namespace_mapping.length > 0 && (
        <>
          <div className="section-title">Namespace mapping</div>
          <TableScroll label="Namespace mapping">
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
          </TableScroll>
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
