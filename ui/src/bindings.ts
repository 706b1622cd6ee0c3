// Generated from the Rust types by quiesce-engine (src-tauri/engine/src/api.rs).
// Do not edit: run `UPDATE_BINDINGS=1 cargo test -p quiesce-engine bindings` instead.

export type ErrorCode = "auth_failed" | "host_not_found" | "connection_refused" | "timeout" | "tls_error" | "database_not_found" | "file_not_found" | "permission_denied" | "keyring_unavailable" | "not_found" | "invalid_input" | "busy" | "already_exists" | "cancelled" | "database_error" | "io_error" | "internal" | "unsupported" | "in_use";

export type FieldError = { field: string, message: string, };

export type IpcError = { code: ErrorCode, message: string, fields: Array<FieldError>, };

export type DbKind = "postgresql" | "mysql" | "sqlite" | "cassandra" | "cosmos" | "dynamo" | "oracle" | "sqlserver" | "db2";

export type Flavor = "self_hosted" | "amazon_rds" | "azure" | "yugabyte_ysql" | "yugabyte_managed" | "cloud";

export type SslMode = "disable" | "prefer" | "require" | "verify-ca" | "verify-full";

export type SecretRef = { store: string, service: string, account: string, };

export type Profile = { id: string, name: string, kind: DbKind, flavor: Flavor, host: string | null, port: number | null, database: string | null, user: string | null, ssl_mode: SslMode, ssl_ca_file: string | null, connect_timeout_secs: number, client_bin_dir: string | null, 
/**
 * SQLite: the database file.
 */
path: string | null, 
/**
 * Cassandra: the nodes (host or host:port).
 */
nodes: Array<string>, 
/**
 * Cassandra: each node's data directory (for the restore runbook).
 */
data_dirs: Array<string>, 
/**
 * DynamoDB, Amazon RDS, Azure: the region.
 */
region: string | null, 
/**
 * Cosmos DB: the account URI; DynamoDB: an endpoint override.
 */
endpoint: string | null, 
/**
 * DynamoDB: ScalarDB's namespace prefix of table names.
 */
table_prefix: string | null, 
/**
 * Amazon RDS / Azure: the instance (server) name; YugabyteDB Managed: the cluster id.
 */
instance_id: string | null, secret: SecretRef | null, created_at: string, updated_at: string, };

export type ProfileInput = { name: string, kind: DbKind | null, flavor: Flavor | null, host: string | null, port: number | null, database: string | null, user: string | null, ssl_mode: SslMode | null, ssl_ca_file: string | null, connect_timeout_secs: number | null, client_bin_dir: string | null, path: string | null, nodes: Array<string>, data_dirs: Array<string>, region: string | null, endpoint: string | null, table_prefix: string | null, instance_id: string | null, password: PasswordChange, };

export type PasswordChange = { "action": "keep" } | { "action": "set", "value": string } | { "action": "clear" };

export type ConnectionReport = { kind: DbKind, 
/**
 * "PostgreSQL", "MariaDB", "MySQL" or "SQLite".
 */
product: string, server_version: string, 
/**
 * Median of three `SELECT 1` round trips, in milliseconds.
 */
rtt_ms: number, 
/**
 * Time to connect and authenticate, in milliseconds.
 */
connect_ms: number, 
/**
 * Whether the session is encrypted (None for SQLite).
 */
tls: boolean | null, notes: Array<string>, };

export type TransactionManager = "consensus-commit" | "jdbc" | "single-crud-operation" | "cluster";

export type DeploymentStorage = { 
/**
 * The storage's name in ScalarDB's configuration (`default` for a single storage).
 */
name: string, profile_id: string, };

export type NamespaceMapping = { namespace: string, storage: string, };

export type EndpointKind = "direct" | "indirect" | "direct_kubernetes";

export type AdminEndpoint = { 
/**
 * As written in the configuration or by the user.
 */
address: string, kind: EndpointKind, host: string | null, port: number, 
/**
 * True when Quiesce cannot reach it as written (direct-kubernetes).
 */
needs_address: boolean, };

export type ImportSource = { file: string, sha256: string, imported_at: string, };

export type Deployment = { id: string, name: string, transaction_manager: TransactionManager, storages: Array<DeploymentStorage>, 
/**
 * Namespace -> storage; namespaces not listed go to `default_storage`.
 */
namespace_mapping: Array<NamespaceMapping>, default_storage: string | null, coordinator_namespace: string, 
/**
 * Where ScalarDB keeps its metadata (`scalardb` unless overridden).
 */
system_namespace: string, admin_endpoints: Array<AdminEndpoint>, 
/**
 * Whether the Scalar Admin endpoints speak TLS (ScalarDB Cluster with TLS).
 */
admin_tls: boolean, 
/**
 * False for a Cluster client whose storages were not given: every later
 * step says "unknown" rather than guessing.
 */
storages_known: boolean, source: ImportSource | null, created_at: string, updated_at: string, };

export type DeploymentInput = { name: string, transaction_manager: TransactionManager | null, storages: Array<DeploymentStorage>, namespace_mapping: Array<NamespaceMapping>, default_storage: string | null, coordinator_namespace: string | null, system_namespace: string | null, 
/**
 * One address per entry: `host[:port]`, `indirect:host`, `direct-kubernetes:ns/ep`.
 */
admin_endpoints: Array<string>, admin_tls: boolean, 
/**
 * None: known when storages are given, unknown for a Cluster client without them.
 */
storages_known: boolean | null, };

export type ConfigKind = "single_storage" | "multi_storage" | "cluster_client" | "cluster_server";

export type KeyLine = { key: string, line: number, };

export type ImportedStorage = { 
/**
 * `default` for a single storage, else the multi-storage name.
 */
name: string, 
/**
 * `scalar.db.storage` of this storage: jdbc, cassandra, cosmos, dynamo.
 */
storage: string, 
/**
 * The JDBC URL as written, less any password parameter.
 */
jdbc_url: string | null, 
/**
 * The profile that will be created (the password is never included).
 */
profile: ProfileInput, password_present: boolean, 
/**
 * An existing profile with the same target, which will be reused.
 */
existing_profile: string | null, 
/**
 * What keeps this storage from being saved as it is.
 */
problems: Array<FieldError>, line: number, };

export type ImportPreview = { file: string, sha256: string, config_kind: ConfigKind, suggested_name: string, transaction_manager: TransactionManager, storages: Array<ImportedStorage>, namespace_mapping: Array<NamespaceMapping>, default_storage: string | null, coordinator_namespace: string, system_namespace: string, admin_endpoints: Array<AdminEndpoint>, admin_tls: boolean, storages_known: boolean, 
/**
 * Keys Quiesce does not know: listed, not fatal.
 */
unknown_keys: Array<KeyLine>, 
/**
 * ScalarDB keys understood but not needed for backups (pool sizes, isolation, ...).
 */
ignored_keys: Array<KeyLine>, notes: Array<string>, };

export type AppInfo = { version: string, config_dir: string, data_dir: string, keyring: KeyringStatus, };

export type KeyringStatus = { available: boolean, message: string | null, };
