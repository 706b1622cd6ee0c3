import { useCallback, useEffect, useRef, useState } from "react";
import type { ConnectionReport, FieldError, Profile } from "./bindings";
import { backend, BackendError, newJobId } from "./backend";
import { Draft, draftFromProfile, emptyDraft, fieldsFor, FLAVORS, KINDS, SSL_MODES, DEFAULT_PORT, toInput } from "./form";

type TestState =
  | { state: "idle" }
  | { state: "running"; jobId: string }
  | { state: "ok"; report: ConnectionReport }
  | { state: "failed"; error: BackendError };

export function ProfilesView() {
  const [profiles, setProfiles] = useState<Profile[]>([]);
  const [selected, setSelected] = useState<string | null>(null); // profile id, or null for a new one
  const [draft, setDraft] = useState<Draft>(emptyDraft());
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [touched, setTouched] = useState<Set<string>>(new Set());
  const [showAll, setShowAll] = useState(false);
  const [test, setTest] = useState<TestState>({ state: "idle" });
  const [notice, setNotice] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  const current = profiles.find((p) => p.id === selected) ?? null;

  const reload = useCallback(async () => {
    try {
      const list = await backend().listProfiles();
      setProfiles(list);
      setLoadError(null);
      return list;
    } catch (e) {
      setLoadError((e as Error).message);
      return [];
    }
  }, []);

  useEffect(() => {
    reload().then((list) => {
      if (list.length > 0) select(list[0]);
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Inline validation by the engine, debounced.
  useEffect(() => {
    const t = setTimeout(() => {
      backend()
        .validateProfile(toInput(draft))
        .then(setErrors)
        .catch(() => {});
    }, 200);
    return () => clearTimeout(t);
  }, [draft]);

  function select(p: Profile | null) {
    setSelected(p?.id ?? null);
    setDraft(p ? draftFromProfile(p) : emptyDraft());
    setTouched(new Set());
    setShowAll(false);
    setTest({ state: "idle" });
    setNotice(null);
    setConfirmDelete(false);
  }

  function newProfile() {
    select(null);
    setTimeout(() => nameRef.current?.focus(), 0);
  }

  function update<K extends keyof Draft>(key: K, value: Draft[K]) {
    setDraft((d) => {
      const next = { ...d, [key]: value };
      if (key === "kind") {
        const kind = value as Draft["kind"];
        if (d.port === DEFAULT_PORT[d.kind]) next.port = DEFAULT_PORT[kind];
        if (!FLAVORS[kind].some((f) => f.id === d.flavor)) next.flavor = FLAVORS[kind][0].id;
      }
      return next;
    });
    setTouched((t) => new Set(t).add(key));
    setNotice(null);
    if (test.state !== "running") setTest({ state: "idle" });
  }

  const fieldError = (field: string) =>
    showAll || touched.has(field) ? errors.find((e) => e.field === field)?.message : undefined;

  async function save() {
    setShowAll(true);
    // Validate what is in the form now: the debounced result may predate the last keystroke.
    const input = toInput(draft);
    const problems = await backend().validateProfile(input).catch(() => [] as FieldError[]);
    setErrors(problems);
    if (problems.length > 0) {
      setNotice({ kind: "error", text: "Fix the highlighted fields first." });
      return;
    }
    setSaving(true);
    try {
      const saved = await backend().saveProfile(selected, input);
      await reload();
      setSelected(saved.id);
      setDraft(draftFromProfile(saved));
      setTouched(new Set());
      setNotice({ kind: "ok", text: `Saved “${saved.name}”.${saved.secret ? " The password is in the keyring." : ""}` });
    } catch (e) {
      const err = e as BackendError;
      if (err.fields?.length) setErrors(err.fields);
      setNotice({ kind: "error", text: `${err.message} [${err.code}]` });
    } finally {
      setSaving(false);
    }
  }

  async function runTest() {
    if (test.state === "running") return;
    setShowAll(true);
    const jobId = newJobId();
    setTest({ state: "running", jobId });
    try {
      const report = await backend().testConnection(toInput(draft), selected, jobId);
      setTest({ state: "ok", report });
    } catch (e) {
      setTest({ state: "failed", error: e as BackendError });
    }
  }

  async function cancelTest() {
    if (test.state === "running") await backend().cancelJob(test.jobId);
  }

  async function remove() {
    if (!current) return;
    try {
      await backend().deleteProfile(current.id);
      const list = await reload();
      select(list[0] ?? null);
      setNotice({ kind: "ok", text: `Deleted “${current.name}” and its stored password.` });
    } catch (e) {
      const err = e as BackendError;
      setNotice({ kind: "error", text: `${err.message} [${err.code}]` });
    }
    setConfirmDelete(false);
  }

  // A result or notice may land below the fold of a long form: bring it into view.
  useEffect(() => {
    if (test.state !== "idle" || notice) {
      document.querySelector(".test-result, [data-testid='notice']")?.scrollIntoView?.({ block: "nearest" });
    }
  }, [test, notice]);

  // Keyboard: Ctrl+S save, Ctrl+Enter test, Esc cancel a running test, Ctrl+N new.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (mod && e.key === "s") {
        e.preventDefault();
        void save();
      } else if (mod && e.key === "Enter") {
        e.preventDefault();
        void runTest();
      } else if (mod && e.key === "n") {
        e.preventDefault();
        newProfile();
      } else if (e.key === "Escape" && test.state === "running") {
        void cancelTest();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const f = fieldsFor(draft.kind, draft.flavor);
  const hasStoredPassword = !!current?.secret;

  return (
    <div className="profiles">
      <section className="list-pane" aria-label="Profiles">
        <header className="pane-header">
          <h1>Profiles</h1>
          <button className="primary small" onClick={newProfile} data-testid="new-profile" title="New profile (Ctrl+N)">
            + New
          </button>
        </header>
        {loadError && <div className="banner error">{loadError}</div>}
        <ul className="profile-list" data-testid="profile-list">
          {profiles.map((p) => (
            <li key={p.id}>
              <button
                className={p.id === selected ? "profile-item active" : "profile-item"}
                onClick={() => select(p)}
                data-testid={`profile-item-${p.name}`}
              >
                <span className={`kind-badge ${p.kind}`}>{KINDS.find((k) => k.id === p.kind)?.label.split(" ")[0]}</span>
                <span className="profile-name">{p.name}</span>
                <span className="profile-target muted">
                  {profileTarget(p)}
                </span>
              </button>
            </li>
          ))}
          {profiles.length === 0 && !loadError && (
            <li className="muted pad">No profiles yet. Create one to reach a database.</li>
          )}
        </ul>
      </section>

      <section className="editor-pane" aria-label="Profile editor">
        <header className="pane-header">
          <h2 data-testid="editor-title">{current ? current.name : "New profile"}</h2>
          <span className="muted small">Ctrl+S save · Ctrl+Enter test</span>
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
            <Field label="Name" error={fieldError("name")} htmlFor="f-name">
              <input id="f-name" ref={nameRef} value={draft.name} onChange={(e) => update("name", e.target.value)} placeholder="prod-postgres" autoComplete="off" />
            </Field>
            <div className="row">
              <Field label="Database kind" error={fieldError("kind")} htmlFor="f-kind">
                <select id="f-kind" value={draft.kind} onChange={(e) => update("kind", e.target.value as Draft["kind"])}>
                  {KINDS.map((k) => (
                    <option key={k.id} value={k.id}>{k.label}</option>
                  ))}
                </select>
              </Field>
              <Field label="Runs on" error={fieldError("flavor")} htmlFor="f-flavor">
                <select id="f-flavor" value={draft.flavor} onChange={(e) => update("flavor", e.target.value as Draft["flavor"])}>
                  {FLAVORS[draft.kind].map((f) => (
                    <option key={f.id} value={f.id}>{f.label}</option>
                  ))}
                </select>
              </Field>
            </div>
          </fieldset>

          {!f.live && (
            <div className="banner info small" data-testid="descriptive-note">
              Quiesce does not connect to {KINDS.find((k) => k.id === draft.kind)?.label.replace(" (descriptive)", "")}: this
              profile describes the storage so that plans and restore runbooks can name it.
            </div>
          )}
          {f.path && (
            <fieldset>
              <legend>Database file</legend>
              <Field label="Path" error={fieldError("path")} htmlFor="f-path" hint="Absolute path of the SQLite file ScalarDB uses (jdbc:sqlite:...).">
                <input id="f-path" value={draft.path} onChange={(e) => update("path", e.target.value)} placeholder="/var/lib/scalardb/app.db" />
              </Field>
            </fieldset>
          )}
          {!f.path && (
            <fieldset>
              <legend>{f.networked ? "Connection" : "Service"}</legend>
              {f.networked && (
                <div className="row">
                  <Field label="Host" error={fieldError("host")} htmlFor="f-host" grow>
                    <input id="f-host" value={draft.host} onChange={(e) => update("host", e.target.value)} placeholder="db.internal" autoComplete="off" />
                  </Field>
                  <Field label="Port" error={fieldError("port")} htmlFor="f-port" narrow>
                    <input id="f-port" value={draft.port} inputMode="numeric" onChange={(e) => update("port", e.target.value)} />
                  </Field>
                </div>
              )}
              {f.nodes && (
                <>
                  <div className="row">
                    <Field label="Nodes" error={fieldError("nodes")} htmlFor="f-nodes" grow hint="Comma-separated, as in scalar.db.contact_points.">
                      <input id="f-nodes" value={draft.nodes} onChange={(e) => update("nodes", e.target.value)} placeholder="cass-1, cass-2, cass-3" />
                    </Field>
                    <Field label="Port" error={fieldError("port")} htmlFor="f-port" narrow>
                      <input id="f-port" value={draft.port} inputMode="numeric" onChange={(e) => update("port", e.target.value)} />
                    </Field>
                  </div>
                  <Field label="Data directories" error={fieldError("data_dirs")} htmlFor="f-data-dirs" hint="Each node's data directory, for the restore runbook (clean data, commitlog, hints).">
                    <input id="f-data-dirs" value={draft.data_dirs} onChange={(e) => update("data_dirs", e.target.value)} placeholder="/var/lib/cassandra/data" />
                  </Field>
                </>
              )}
              {f.endpoint && (
                <Field
                  label={draft.kind === "cosmos" ? "Account URI" : "Endpoint override"}
                  error={fieldError("endpoint")}
                  htmlFor="f-endpoint"
                  hint={draft.kind === "dynamo" ? "Optional (scalar.db.dynamo.endpoint_override)." : undefined}
                >
                  <input id="f-endpoint" value={draft.endpoint} onChange={(e) => update("endpoint", e.target.value)} placeholder={draft.kind === "cosmos" ? "https://myaccount.documents.azure.com:443/" : "http://localhost:8000"} />
                </Field>
              )}
              {(f.region || f.tablePrefix || f.instanceId) && (
                <div className="row">
                  {f.instanceId && (
                    <Field label={draft.flavor === "yugabyte_managed" ? "Cluster id" : "Instance name"} error={fieldError("instance_id")} htmlFor="f-instance" grow>
                      <input id="f-instance" value={draft.instance_id} onChange={(e) => update("instance_id", e.target.value)} autoComplete="off" />
                    </Field>
                  )}
                  {f.region && (
                    <Field label="Region" error={fieldError("region")} htmlFor="f-region">
                      <input id="f-region" value={draft.region} onChange={(e) => update("region", e.target.value)} placeholder="us-east-1" autoComplete="off" />
                    </Field>
                  )}
                  {f.tablePrefix && (
                    <Field label="Table prefix" error={fieldError("table_prefix")} htmlFor="f-prefix" hint="scalar.db.dynamo.namespace.prefix">
                      <input id="f-prefix" value={draft.table_prefix} onChange={(e) => update("table_prefix", e.target.value)} autoComplete="off" />
                    </Field>
                  )}
                </div>
              )}
              {f.pitr && (
                <fieldset className="subtle">
                  <legend>Point-in-time restore (for the restore-point timeline and runbooks)</legend>
                  <div className="row">
                    <Field label="Retention (days)" error={fieldError("restore.retention_days")} htmlFor="f-retention" narrow hint={draft.kind === "cosmos" ? "7 or 30" : "1 to 35"}>
                      <input id="f-retention" value={draft.retention_days} inputMode="numeric" onChange={(e) => update("retention_days", e.target.value)} />
                    </Field>
                    <Field label="Lag (seconds)" error={fieldError("restore.lag_secs")} htmlFor="f-lag" narrow hint="default 300">
                      <input id="f-lag" value={draft.pitr_lag} inputMode="numeric" onChange={(e) => update("pitr_lag", e.target.value)} />
                    </Field>
                    <Field label="Earliest restorable time" error={fieldError("restore.earliest")} htmlFor="f-earliest" grow hint="Optional, UTC, e.g. 2026-11-01T00:00:00Z (when PITR was enabled)">
                      <input id="f-earliest" value={draft.pitr_earliest} onChange={(e) => update("pitr_earliest", e.target.value)} autoComplete="off" />
                    </Field>
                    {f.resourceGroup && (
                      <Field label="Resource group" error={fieldError("restore.resource_group")} htmlFor="f-rg">
                        <input id="f-rg" value={draft.resource_group} onChange={(e) => update("resource_group", e.target.value)} autoComplete="off" />
                      </Field>
                    )}
                  </div>
                </fieldset>
              )}
              <div className="row">
                {f.database && (
                  <Field label="Database" error={fieldError("database")} htmlFor="f-database" hint={draft.kind === "mysql" ? "Optional: ScalarDB namespaces are databases on MySQL." : undefined}>
                    <input id="f-database" value={draft.database} onChange={(e) => update("database", e.target.value)} autoComplete="off" />
                  </Field>
                )}
                {f.user && (
                  <Field label={draft.kind === "dynamo" ? "Access key id" : "User"} error={fieldError("user")} htmlFor="f-user">
                    <input id="f-user" value={draft.user} onChange={(e) => update("user", e.target.value)} autoComplete="off" />
                  </Field>
                )}
              </div>
              {f.password && (
                <Field
                  label={draft.kind === "cosmos" ? "Key" : draft.kind === "dynamo" ? "Secret access key" : "Password"}
                  error={fieldError("password")}
                  htmlFor="f-password"
                  hint={hasStoredPassword ? "A secret is stored in the keyring. Leave blank to keep it." : "Stored in the OS keyring, never in a file."}
                >
                  <input id="f-password" type="password" value={draft.password} onChange={(e) => update("password", e.target.value)} autoComplete="new-password" placeholder={hasStoredPassword ? "•••••••• (stored)" : ""} />
                </Field>
              )}
              {f.password && hasStoredPassword && (
                <label className="check">
                  <input type="checkbox" checked={draft.clearPassword} onChange={(e) => update("clearPassword", e.target.checked)} disabled={draft.password !== ""} />
                  Remove the stored secret on save
                </label>
              )}
            </fieldset>
          )}
          {f.networked && (
            <fieldset>
              <legend>TLS</legend>
              <div className="row">
                <Field label="SSL mode" error={fieldError("ssl_mode")} htmlFor="f-ssl" grow>
                  <select id="f-ssl" value={draft.ssl_mode} onChange={(e) => update("ssl_mode", e.target.value as Draft["ssl_mode"])}>
                    {SSL_MODES.map((m) => (
                      <option key={m.id} value={m.id}>{m.label}</option>
                    ))}
                  </select>
                </Field>
                <Field label="CA certificate (PEM)" error={fieldError("ssl_ca_file")} htmlFor="f-ca" grow>
                  <input id="f-ca" value={draft.ssl_ca_file} onChange={(e) => update("ssl_ca_file", e.target.value)} placeholder="/etc/ssl/certs/db-ca.pem" />
                </Field>
              </div>
            </fieldset>
          )}
          {f.live && (
          <fieldset>
            <legend>Advanced</legend>
            <div className="row">
              <Field label="Connect timeout (s)" error={fieldError("connect_timeout_secs")} htmlFor="f-timeout" narrow>
                <input id="f-timeout" value={draft.connect_timeout_secs} inputMode="numeric" onChange={(e) => update("connect_timeout_secs", e.target.value)} />
              </Field>
              <Field label="Client tools directory" error={fieldError("client_bin_dir")} htmlFor="f-bin" grow hint="Where pg_dump / mysqldump live. Empty: search PATH.">
                <input id="f-bin" value={draft.client_bin_dir} onChange={(e) => update("client_bin_dir", e.target.value)} placeholder="/usr/lib/postgresql/15/bin" />
              </Field>
            </div>
          </fieldset>
          )}
          <TestResult test={test} />
          {notice && (
            <div className={`banner ${notice.kind}`} role="status" data-testid="notice">
              {notice.text}
            </div>
          )}

          <div className="actions">
            {test.state === "running" ? (
              <button type="button" onClick={cancelTest} data-testid="cancel-test">
                <span className="spinner" aria-hidden /> Testing… Cancel (Esc)
              </button>
            ) : (
              <button type="button" onClick={runTest} data-testid="test-connection" disabled={!f.live} title={f.live ? "Ctrl+Enter" : "Descriptive profiles have no connection to test"}>
                Test connection
              </button>
            )}
            <button type="submit" className="primary" disabled={saving} data-testid="save-profile">
              {saving ? "Saving…" : current ? "Save changes" : "Save profile"}
            </button>
            <span className="spacer" />
            {current &&
              (confirmDelete ? (
                <span className="confirm">
                  Delete “{current.name}” and its password?
                  <button type="button" className="danger" onClick={remove} data-testid="confirm-delete">Delete</button>
                  <button type="button" onClick={() => setConfirmDelete(false)}>Keep</button>
                </span>
              ) : (
                <button type="button" className="danger-outline" onClick={() => setConfirmDelete(true)} data-testid="delete-profile">
                  Delete
                </button>
              ))}
          </div>
        </form>
      </section>
    </div>
  );
}

export function profileTarget(p: Profile): string {
  switch (p.kind) {
    case "sqlite":
      return p.path ?? "";
    case "cassandra":
      return p.nodes.join(", ");
    case "cosmos":
      return p.endpoint ?? "";
    case "dynamo":
      return `${p.region ?? ""}${p.table_prefix ? ` · ${p.table_prefix}*` : ""}`;
    default:
      return `${p.user ?? ""}@${p.host}:${p.port}`;
  }
}

export function Field(props: {
  label: string;
  htmlFor: string;
  error?: string;
  hint?: string;
  grow?: boolean;
  narrow?: boolean;
  children: React.ReactNode;
}) {
  const cls = ["field", props.error ? "invalid" : "", props.grow ? "grow" : "", props.narrow ? "narrow" : ""].join(" ");
  return (
    <div className={cls}>
      <label htmlFor={props.htmlFor}>{props.label}</label>
      {props.children}
      {props.error ? (
        <div className="field-error" role="alert" data-testid={`error-${props.htmlFor}`}>
          {props.error}
        </div>
      ) : (
        props.hint && <div className="hint">{props.hint}</div>
      )}
    </div>
  );
}

function TestResult({ test }: { test: TestState }) {
  if (test.state === "ok") {
    const r = test.report;
    return (
      <div className="test-result ok" role="status" data-testid="test-result-ok">
        <strong>Connected</strong> — {r.product} {r.server_version}
        {r.tls === true && " · TLS"}
        {r.tls === false && " · not encrypted"} · connect {r.connect_ms.toFixed(1)} ms · round trip {r.rtt_ms.toFixed(2)} ms
        {r.notes.map((n) => (
          <div key={n} className="small muted">{n}</div>
        ))}
      </div>
    );
  }
  if (test.state === "failed") {
    return (
      <div className="test-result failed" role="alert" data-testid="test-result-failed">
        <span className="code">{test.error.code}</span> {test.error.message}
      </div>
    );
  }
  if (test.state === "running") {
    return (
      <div className="test-result running" role="status" data-testid="test-running">
        <span className="spinner" aria-hidden /> Connecting…
      </div>
    );
  }
  return null;
}
