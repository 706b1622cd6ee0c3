// The profile editor's fields, in sections: general, where the database is
// (a file, a connection or a cloud service, with point-in-time restore and
// credentials), TLS and advanced. Which fields show depends on the kind and
// flavor (fieldsFor); each shows the engine's error for it.
import type { RefObject } from "react";
import { FLAVORS, KINDS, SSL_MODES, fieldsFor, type Draft } from "../../data/form";
import { Field } from "../Field";

export interface FieldsProps {
  draft: Draft;
  /** The engine's error for a field, when it shows. */
  fieldError: (field: string) => string | undefined;
  update: <K extends keyof Draft>(key: K, value: Draft[K]) => void;
}

export function ProfileFields(props: FieldsProps & { nameRef: RefObject<HTMLInputElement | null>; hasStoredPassword: boolean }) {
  const f = fieldsFor(props.draft.kind, props.draft.flavor);
  return (
    <>
      <GeneralFields {...props} />
      {!f.live && <DescriptiveNote kind={props.draft.kind} />}
      {f.path && <FileFields {...props} />}
      {!f.path && <ServiceFields {...props} />}
      {f.networked && <TlsFields {...props} />}
      {f.live && <AdvancedFields {...props} />}
    </>
  );
}

function GeneralFields({ draft, fieldError, update, nameRef }: FieldsProps & { nameRef: RefObject<HTMLInputElement | null> }) {
  return (
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
  );
}

function DescriptiveNote({ kind }: { kind: Draft["kind"] }) {
  return (
    <div className="banner info small" data-testid="descriptive-note">
      Quiesce does not connect to {KINDS.find((k) => k.id === kind)?.label.replace(" (descriptive)", "")}: this
      profile describes the storage so that plans and restore runbooks can name it.
    </div>
  );
}

function FileFields({ fieldError, draft, update }: FieldsProps) {
  return (
    <fieldset>
      <legend>Database file</legend>
      <Field label="Path" error={fieldError("path")} htmlFor="f-path" hint="Absolute path of the SQLite file ScalarDB uses (jdbc:sqlite:...).">
        <input id="f-path" value={draft.path} onChange={(e) => update("path", e.target.value)} placeholder="/var/lib/scalardb/app.db" />
      </Field>
    </fieldset>
  );
}

function ServiceFields({ draft, fieldError, update, hasStoredPassword }: FieldsProps & { hasStoredPassword: boolean }) {
  const f = fieldsFor(draft.kind, draft.flavor);
  return (
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
  );
}

function TlsFields({ draft, fieldError, update }: FieldsProps) {
  return (
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
  );
}

function AdvancedFields({ draft, fieldError, update }: FieldsProps) {
  return (
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
  );
}
