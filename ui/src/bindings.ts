// Generated from the Rust types by quiesce-engine (src-tauri/engine/src/api.rs).
// Do not edit: run `UPDATE_BINDINGS=1 cargo test -p quiesce-engine bindings` instead.

export type ErrorCode = "auth_failed" | "host_not_found" | "connection_refused" | "timeout" | "tls_error" | "database_not_found" | "file_not_found" | "permission_denied" | "keyring_unavailable" | "not_found" | "invalid_input" | "busy" | "already_exists" | "cancelled" | "database_error" | "io_error" | "internal";

export type FieldError = { field: string, message: string, };

export type IpcError = { code: ErrorCode, message: string, fields: Array<FieldError>, };

export type DbKind = "postgresql" | "mysql" | "sqlite";

export type Flavor = "self_hosted" | "amazon_rds" | "azure" | "yugabyte_ysql";

export type SslMode = "disable" | "prefer" | "require" | "verify-ca" | "verify-full";

export type SecretRef = { store: string, service: string, account: string, };

export type Profile = { id: string, name: string, kind: DbKind, flavor: Flavor, host: string | null, port: number | null, database: string | null, user: string | null, ssl_mode: SslMode, ssl_ca_file: string | null, connect_timeout_secs: number, client_bin_dir: string | null, 
/**
 * SQLite: the database file.
 */
path: string | null, secret: SecretRef | null, created_at: string, updated_at: string, };

export type ProfileInput = { name: string, kind: DbKind | null, flavor: Flavor | null, host: string | null, port: number | null, database: string | null, user: string | null, ssl_mode: SslMode | null, ssl_ca_file: string | null, connect_timeout_secs: number | null, client_bin_dir: string | null, path: string | null, password: PasswordChange, };

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

export type AppInfo = { version: string, config_dir: string, data_dir: string, keyring: KeyringStatus, };

export type KeyringStatus = { available: boolean, message: string | null, };
