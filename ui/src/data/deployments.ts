// A deployment's editor state <-> DeploymentInput, apart from its screen.
// Validation lives in the engine (validate_deployment), as for profiles.
import type { Deployment, DeploymentInput, TransactionManager } from "../bindings";

export const TMS: { id: TransactionManager; label: string }[] = [
  { id: "consensus-commit", label: "Consensus Commit (ScalarDB library or Server)" },
  { id: "cluster", label: "ScalarDB Cluster" },
  { id: "jdbc", label: "JDBC (the database's own transactions)" },
  { id: "single-crud-operation", label: "Single CRUD operation" },
];

/** A new deployment: one storage, the default namespaces, no Scalar Admin. */
export function emptyInput(): DeploymentInput {
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

/** What the editor starts from for a saved deployment (copies: the editor changes them). */
export function deploymentInput(d: Deployment): DeploymentInput {
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
export const msField = (ms: number | null) => (ms == null ? "" : String(ms / 1000));
export const msOf = (text: string): number | null => {
  const v = Number(text);
  return text.trim() === "" || !Number.isFinite(v) ? null : Math.round(v * 1000);
};

