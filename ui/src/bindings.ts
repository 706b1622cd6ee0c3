// Generated from the IPC commands' types by quiesce-app (src-tauri/app/src/ipc.rs).
// Do not edit: run `UPDATE_BINDINGS=1 cargo test -p quiesce-app bindings` instead.

export type Action = { kind: ActionKind, summary: string, 
/**
 * The exact command (secrets never in it), when Quiesce runs a tool.
 */
command: string | null, steps: Array<string>, };

export type ActionKind = "quiesce" | "runbook";

export type AdminEndpoint = { 
/**
 * As written in the configuration or by the user.
 */
address: string, kind: EndpointKind, host: string | null, port: number, 
/**
 * True when Quiesce cannot reach it as written (direct-kubernetes).
 */
needs_address: boolean, };

export type AppEvent = { "kind": "close_requested", running: number, } | { "kind": "quitting", running: number, limit_secs: number, };

export type AppInfo = { version: string, config_dir: string, data_dir: string, keyring: KeyringStatus, };

export type Arg = { "t": "lit", "v": string } | { "t": "opt", "v": [string, string] } | { "t": "opt_var", "v": [string, string] } | { "t": "var", "v": string } | { "t": "array", "v": string } | { "t": "env", "v": string };

export type Attention = { kind: AttentionKind, message: string, view: string, target: string | null, };

export type AttentionKind = "no_backup" | "stale_backup" | "verification_failed" | "damaged" | "unsafe_window" | "leftover" | "plan_unknown" | "migration_leftover" | "node_paused" | "archive_failing";

export type AuditReport = { audited_at: string, tables: Array<string>, coordinator_table: string, coordinator_rows: number | null, in_flight_records: number, transactions_total: number, 
/**
 * At most 500, torn ones first.
 */
transactions: Array<InFlightTx>, roll_forward: number, roll_back: number, not_yet_expired: number, torn: number, committed_unknown_records: number, committed_unknown_examples: Array<string>, findings: Array<Finding>, limits: Array<string>, };

export type BackupMark = { id: string, start_ms: number, end_ms: number, method: Method, status: CatalogStatus, storages: Array<string>, 
/**
 * The pause window it was taken in.
 */
window_id: string | null, 
/**
 * Its restore point when it can be one: the window's, or (one
 * transactional database, no pause) when its snapshot was taken.
 */
point_ms: number | null, refusals: Array<string>, };

export type BackupOptions = { format: DumpFormat, 
/**
 * pg_dump -j for the directory format.
 */
jobs: number | null, 
/**
 * Root folder for this backup (default: the catalog's root).
 */
out: string | null, 
/**
 * The longest pause for this backup, in ms (default: the deployment's).
 */
max_pause_ms: number | null, };

export type BackupUnit = { id: string, label: string, kind: DbKind, flavor: Flavor, storages: Array<string>, 
/**
 * Namespaces (coordinator and metadata included) this unit holds.
 */
namespaces: Array<string>, 
/**
 * Whether `namespaces` comes from discovery (true) or the configuration only.
 */
namespaces_discovered: boolean, transactional: boolean, };

export type Capabilities = { 
/**
 * Multi-table transactions, so one native snapshot is consistent.
 */
transactional: boolean, 
/**
 * Point-in-time restore by the service (RDS/Azure automated backups, Cosmos continuous, DynamoDB PITR).
 */
pitr: boolean, 
/**
 * A backup Quiesce takes itself with the database's own tools.
 */
native_dump: boolean, notes: Array<string>, };

export type CatalogEntry = { 
/**
 * backup, or pause_window (a pause kept as a restore point, or the window a backup was taken in).
 */
kind: string, id: string, folder: string, deployment: string, deployment_id: string, method: Method, format: string, 
/**
 * When the backup started (a damaged or leftover folder: when it last changed).
 */
started_at: string, duration_ms: number, bytes: number, tables: number, units: Array<CatalogUnit>, status: CatalogStatus, 
/**
 * What is wrong, for damaged, leftover and failed entries.
 */
problem: string | null, 
/**
 * When the latest verification ran.
 */
verified_at: string | null, 
/**
 * A pause window's record (its restore point, nodes, clocks).
 */
window: PauseWindow | null, 
/**
 * A backup taken inside a pause: how long every node stayed paused.
 */
paused_ms: number | null, 
/**
 * A backup taken inside a pause: that window's id.
 */
window_id: string | null, };

export type CatalogStatus = "ok" | "warnings" | "verification_failed" | "unverified" | "damaged" | "leftover" | "unsafe" | "failed";

export type CatalogUnit = { id: string, storages: Array<string>, kind: DbKind, profile: string, format: string, bytes: number, };

export type Check = { name: string, ok: boolean, message: string, 
/**
 * The error code a failed check stops the job with.
 */
code: ErrorCode | null, };

export type ClockOffset = { 
/**
 * The profile (or storage) it was measured on.
 */
source: string, offset_ms: number, 
/**
 * Infinite when the clock could not be read (`null` in JSON, read back as such).
 */
uncertainty_ms: number | null, 
/**
 * measured, local (a file on this machine), configured (a bound), unavailable.
 */
how: string, };

export type ColumnPlan = { name: string, scalar_type: string, target_type: string, 
/**
 * PARTITION, CLUSTERING ASC/DESC, INDEX, or empty.
 */
role: string, };

export type Command = { argv: Array<Arg>, 
/**
 * Keep its output (trimmed) in this variable, for later commands.
 */
capture: string | null, 
/**
 * Keep its output's words in this array.
 */
capture_array: string | null, 
/**
 * Run it again every 10 s until it prints exactly this (no CLI waiter exists).
 */
until: string | null, 
/**
 * Text fed to its standard input, never expanded locally (a remote script).
 */
stdin: string | null, 
/**
 * How the script writes it (filled from the fields above when the runbook is built).
 */
line: string, };

export type ConfigKind = "single_storage" | "multi_storage" | "cluster_client" | "cluster_server";

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

export type DbKind = "postgresql" | "mysql" | "sqlite" | "cassandra" | "cosmos" | "dynamo" | "oracle" | "sqlserver" | "db2";

export type DecisionTree = { nodes: Array<TreeNode>, edges: Array<TreeEdge>, };

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
 * The CA (PEM file) that signed the admin endpoints' certificates; the
 * system's roots when none.
 */
admin_ca_file: string | null, 
/**
 * The host name their certificates carry, when it is not the endpoints' own.
 */
admin_authority: string | null, 
/**
 * Commands that run inside every pause window (a storage's own snapshot).
 */
pause_hooks: Array<PauseHook>, 
/**
 * The pause's hard bounds (earlier releases wrote none: the defaults).
 */
pause_limits: PauseLimits, 
/**
 * False for a Cluster client whose storages were not given: every later
 * step says "unknown" rather than guessing.
 */
storages_known: boolean, source: ImportSource | null, created_at: string, updated_at: string, };

export type DeploymentInput = { name: string, transaction_manager: TransactionManager | null, storages: Array<DeploymentStorage>, namespace_mapping: Array<NamespaceMapping>, default_storage: string | null, coordinator_namespace: string | null, system_namespace: string | null, 
/**
 * One address per entry: `host[:port]`, `indirect:host`, `direct-kubernetes:ns/ep`.
 */
admin_endpoints: Array<string>, admin_tls: boolean, admin_ca_file: string | null, admin_authority: string | null, pause_hooks: Array<PauseHook>, pause_limits: PauseLimits, 
/**
 * None: known when storages are given, unknown for a Cluster client without them.
 */
storages_known: boolean | null, };

export type DeploymentStorage = { 
/**
 * The storage's name in ScalarDB's configuration (`default` for a single storage).
 */
name: string, profile_id: string, };

export type DeploymentSummary = { id: string, name: string, method: Method, is_demo: boolean, 
/**
 * Scalar Admin endpoints are configured: the UI asks for the nodes' state.
 */
has_admin_endpoints: boolean, last_backup: LastBackup | null, last_window: LastWindow | null, latest_point: SafePoint | null, attention: Array<Attention>, };

export type Discovery = { deployment_id: string, deployment: string, taken_at: string, duration_ms: number, storages: Array<StorageDiscovery>, };

export type DumpFormat = "default" | "plain" | "custom" | "directory";

export type EndpointKind = "direct" | "indirect" | "direct_kubernetes";

export type EnvVar = { name: string, why: string, };

export type ErrorCode = "auth_failed" | "host_not_found" | "connection_refused" | "timeout" | "tls_error" | "database_not_found" | "file_not_found" | "permission_denied" | "keyring_unavailable" | "not_found" | "invalid_input" | "busy" | "already_exists" | "cancelled" | "database_error" | "io_error" | "internal" | "unsupported" | "in_use" | "corrupt" | "not_empty" | "key_collision" | "key_too_long" | "name_too_long" | "proof_failed";

export type ExistingTable = { namespace: string, table: string, rows: number | null, };

export type FieldError = { field: string, message: string, };

export type Finding = { severity: Severity, 
/**
 * Stable: `no_metadata`, `no_coordinator`, `namespace_unreadable`, `unlisted_table`,
 * `missing_table`, `in_flight`, `not_innodb`, `tool_too_old`, `tool_missing`,
 * `unreachable`, `count_timed_out`, `descriptive`.
 */
code: string, message: string, 
/**
 * For an error: the code a job that needs this storage stops with.
 */
stops_with: ErrorCode | null, };

export type Flavor = "self_hosted" | "amazon_rds" | "azure" | "yugabyte_ysql" | "yugabyte_managed" | "cloud";

export type GapSpan = { from_ms: number, to_ms: number, from: string, to: string, reason: string, };

export type HookRun = { storage: string, command: string, 
/**
 * The window's tag, as the hook was given it (a snapshot's name).
 */
tag: string, ok: boolean, exit_status: number | null, 
/**
 * The end of what it printed (a backup id, a snapshot name, its error).
 */
output: string, duration_ms: number, };

export type ImportPreview = { file: string, sha256: string, config_kind: ConfigKind, suggested_name: string, transaction_manager: TransactionManager, storages: Array<ImportedStorage>, namespace_mapping: Array<NamespaceMapping>, default_storage: string | null, coordinator_namespace: string, system_namespace: string, admin_endpoints: Array<AdminEndpoint>, admin_tls: boolean, storages_known: boolean, 
/**
 * Keys Quiesce does not know: listed, not fatal.
 */
unknown_keys: Array<KeyLine>, 
/**
 * ScalarDB keys understood but not needed for backups (pool sizes, isolation, ...).
 */
ignored_keys: Array<KeyLine>, notes: Array<string>, };

export type ImportSource = { file: string, sha256: string, imported_at: string, };

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

export type InFlightTx = { tx_id: string, 
/**
 * The coordinator's state for it (through its group-commit parent when it has one).
 */
coordinator_state: number | null, 
/**
 * The coordinator row that decided it (the parent id for a group commit).
 */
coordinator_row: string | null, prepared_at: number | null, records: Array<TxRecords>, recovery: Recovery, explanation: string, };

export type IntegrityReport = { backup_id: string, folder: string, files_checked: number, bytes_checked: number, problems: Array<string>, 
/**
 * Files in the folder the manifest does not list (not part of the
 * backup: left by an earlier release, or put there by hand).
 */
unlisted: Array<string>, };

export type IpcError = { code: ErrorCode, message: string, fields: Array<FieldError>, };

export type JobEvent = { "kind": "phase", phase: string, message: string, } | { "kind": "progress" } & Progress | { "kind": "log", line: string, };

export type KeyLine = { key: string, line: number, };

export type KeyringStatus = { available: boolean, message: string | null, };

export type Lane = { storage: string, profile: string, kind: DbKind, flavor: Flavor, label: string, restores_by: RestoresBy, pitr: PitrRange | null, 
/**
 * Its log archive (PostgreSQL, MySQL/MariaDB with `quiesce archive`):
 * from its oldest base to the newest complete log file, and its gaps.
 */
archive: LaneArchive | null, };

export type LaneArchive = { from_ms: number | null, to_ms: number | null, 
/**
 * The oldest base (a base backup, or a backup with exact binlog coordinates).
 */
base: string | null, 
/**
 * The newest log file held complete.
 */
last: string | null, gaps: Array<GapSpan>, };

export type LastBackup = { id: string, started_at: string, bytes: number, status: CatalogStatus, verified_at: string | null, };

export type LastWindow = { id: string, 
/**
 * ok, unsafe, failed (as on the timeline).
 */
status: string, start_ms: number | null, end_ms: number | null, };

export type LogAt = { "log": "wal", lsn: string, segment: string, timeline: number, } | { "log": "binlog", file: string, position: number, gtid: string | null, } | { "log": "unread", reason: string, };

export type LogPosition = { 
/**
 * The deployment's storages on this database.
 */
storages: Array<string>, 
/**
 * The profile it was read through.
 */
profile: string, at: LogAt, };

export type Method = "no_pause" | "pause" | "unknown";

export type MigrateOptions = { 
/**
 * Source storage → target profile (`UNIT=PROFILE`); several storages may name one profile.
 */
to: Array<UnitTarget>, 
/**
 * The ScalarDB release the target is laid out for (default 3.19).
 */
scalardb_version: string | null, 
/**
 * `scalar.db.jdbc.mysql.variable_key_column_size` for a MySQL target (default 128).
 */
mysql_key_size: number | null, 
/**
 * Create MySQL/MariaDB namespaces with a binary NO PAD collation (a
 * deviation from Schema Loader, which keeps the server's default).
 */
binary_collation: boolean, 
/**
 * ScalarDB is stopped: read several databases without pausing.
 */
no_pause: boolean, 
/**
 * Read a catalog backup (its id or folder) instead of the live databases.
 */
from_backup: string | null, 
/**
 * With `from_backup`: an empty profile per PostgreSQL/MySQL unit
 * (`UNIT=PROFILE`) the backup is restored into to be read, and emptied after.
 */
scratch: Array<UnitTarget>, 
/**
 * The longest pause for this migration, in ms (default: the deployment's).
 */
max_pause_ms: number | null, };

export type MigrationPlan = { deployment: string, scalardb_version: string, targets: Array<TargetPlan>, tables: Array<TablePlan>, checks: Array<Check>, 
/**
 * The new namespace → storage mapping.
 */
mapping: Array<NamespaceMapping>, 
/**
 * A ready `database.properties` for the target (no password).
 */
properties: string, 
/**
 * What changes for ScalarDB, and deviations from Schema Loader.
 */
notes: Array<string>, 
/**
 * Objects an earlier migration left on a target (dropped before this one starts).
 */
leftovers: Array<string>, };

export type MigrationResult = { plan: MigrationPlan, proofs: Array<TableProof>, source_audit: AuditReport | null, target_audit: AuditReport | null, paused_ms: number | null, elapsed_secs: number, 
/**
 * Where the properties file was written, when asked.
 */
properties_file: string | null, };

export type NamespaceMapping = { namespace: string, storage: string, };

export type Node = { 
/**
 * The endpoint as configured (`host:port`).
 */
endpoint: string, 
/**
 * The host name TLS verifies (the endpoint's host unless overridden).
 */
host: string, 
/**
 * `ip:port`, as dialled.
 */
addr: string, };

export type NodeError = { 
/**
 * The gRPC status (`unavailable`, `failed_precondition`, `aborted`, …), or
 * `deadline` when Quiesce stopped waiting, `connect` when it never answered.
 */
status: string, 
/**
 * `google.rpc.ErrorInfo`'s reason, when the server gave one.
 */
reason: string | null, message: string, };

export type NodeOutcome = { node: Node, 
/**
 * Quiesce's Pause succeeded and CheckPaused confirmed it.
 */
paused: boolean, 
/**
 * Quiesce's Unpause succeeded (or the node was found unpaused).
 */
unpaused: boolean, 
/**
 * Pause attempts (ABORTED is retried).
 */
attempts: number, error: NodeError | null, 
/**
 * What Quiesce did or did not do, in a sentence.
 */
note: string | null, };

export type NodeState = { node: Node, paused: boolean | null, error: NodeError | null, };

export type OpKind = "pause" | "unpause" | "unpause_recovery" | "backup" | "restore" | "verify" | "migrate" | string;

export type Operation = { at: string, user: string, host: string, op: OpKind, 
/**
 * The deployment (or, for a verification of a profile, the profile).
 */
deployment: string, 
/**
 * What was done, in a sentence.
 */
what: string, outcome: Outcome, 
/**
 * The catalog entry it made (a backup id, a window id), if any.
 */
entry: string | null, };

export type Outcome = "ok" | "failed" | "cancelled" | "unsafe" | string;

export type Overview = { now: string, deployments: Array<DeploymentSummary>, 
/**
 * Attention items that belong to no deployment (leftovers of unknown origin).
 */
other: Array<Attention>, 
/**
 * The first steps apply: the demo is the only deployment and nothing has
 * been restored yet (backing the demo up is step one, restoring it two).
 */
first_start: boolean, };

export type PasswordChange = { "action": "keep" } | { "action": "set", "value": string } | { "action": "clear" };

export type PathStep = { node: string, 
/**
 * The answer given at a question ("yes"/"no"/"unknown"); None at the outcome.
 */
answer: string | null, reason: string, };

export type PauseHook = { storage: string, argv: Array<string>, };

export type PauseLimits = { 
/**
 * The longest pause, in milliseconds (default 60 s).
 */
max_pause_ms: number | null, 
/**
 * The longest an in-pause hook may run, in milliseconds (default 30 s,
 * never more than the longest pause).
 */
hook_limit_ms: number | null, };

export type PauseWindow = { schema_version: number, id: string, deployment: string, deployment_id: string, 
/**
 * pause (a window held for PITR restore points) or backup (a backup taken in it).
 */
purpose: string, 
/**
 * The backup taken in it.
 */
backup_id: string | null, 
/**
 * ok, unsafe or failed.
 */
status: string, safe: boolean, 
/**
 * Why it is unsafe or failed.
 */
problems: Array<string>, started_at: string | null, ended_at: string | null, 
/**
 * As the Kubernetes pause tool prints them (epoch ms, this machine's clock).
 */
pause_start_timestamp_ms: number | null, pause_end_timestamp_ms: number | null, 
/**
 * ISO 8601 with an offset (the Kubernetes tool's local times have none).
 */
pause_start_date_time: string | null, pause_end_date_time: string | null, paused_ms: number | null, nodes: Array<NodeOutcome>, offsets: Array<ClockOffset>, safe_from: string | null, safe_to: string | null, 
/**
 * The safe interval's midpoint: the point-in-time restore point.
 */
restore_point: string | null, restore_point_ms: number | null, 
/**
 * The in-pause hooks that ran in it.
 */
hooks: Array<HookRun>, 
/**
 * Each storage's own log position, read while every node was paused:
 * nothing committed between it and the window's end, so replaying a
 * storage's log to it restores the state of the pause, whatever the clocks.
 */
positions?: Array<LogPosition>, 
/**
 * Who and where.
 */
user: string, host: string, };

export type Pick = { deployment: string, point_ms: number, 
/**
 * UTC, ISO 8601 with `Z`.
 */
utc: string, 
/**
 * This machine's local time with its offset.
 */
local: string, window_id: string | null, backup_id: string | null, 
/**
 * window, backup or time: how it was picked.
 */
picked_by: string, sources: Array<PickSource>, notes: Array<string>, };

export type PickAt = { "by": "window", "value": string } | { "by": "backup", "value": string } | { "by": "time", "value": string };

export type PickSource = { storage: string, label: string, restores_by: RestoresBy, 
/**
 * What exactly: "point-in-time restore to …Z", "backup ID", "snapshot TAG".
 */
from: string, };

export type PitrRange = { 
/**
 * None: unknown (no retention and no earliest time on the profile).
 */
earliest_ms: number | null, latest_ms: number, 
/**
 * Where each end comes from, for the view.
 */
basis: string, };

export type Plan = { deployment: string, deployment_id: string, method: Method, path: Array<PathStep>, units: Array<BackupUnit>, steps: Array<PlanStep>, warnings: Array<PlanWarning>, 
/**
 * When the discovery the plan used was taken (None: configuration only).
 */
discovery_taken_at: string | null, };

export type PlanStep = { unit: string, title: string, backup: Action, restore: Action, };

export type PlanView = { plan: Plan, discovery: Discovery | null, tree: DecisionTree, };

export type PlanWarning = { severity: Severity, code: string, text: string, };

export type Preflight = { deployment: string, plan: Plan, 
/**
 * Every unit's checks (named `<unit>: <check>` when there are several).
 */
checks: Array<Check>, 
/**
 * The commands that will run, one per unit (secrets never in them).
 */
commands: Array<string>, out_dir: string, estimated_bytes: number, free_bytes: number | null, };

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
instance_id: string | null, 
/**
 * What a point-in-time restore runbook needs (RDS/Azure, DynamoDB, Cosmos DB).
 */
restore: RestoreSettings, secret: SecretRef | null, created_at: string, updated_at: string, };

export type ProfileInput = { name: string, kind: DbKind | null, flavor: Flavor | null, host: string | null, port: number | null, database: string | null, user: string | null, ssl_mode: SslMode | null, ssl_ca_file: string | null, connect_timeout_secs: number | null, client_bin_dir: string | null, path: string | null, nodes: Array<string>, data_dirs: Array<string>, region: string | null, endpoint: string | null, table_prefix: string | null, instance_id: string | null, restore: RestoreSettings, password: PasswordChange, };

export type Progress = { phase: string, 
/**
 * Bytes the tools produced (a dump) or were fed (a restore), uncompressed.
 */
raw_bytes: number, written_bytes: number, tables_done: number, tables_total: number, pages_done: number, pages_total: number, 
/**
 * Rows a migration wrote, of `rows_total`.
 */
rows_done: number, rows_total: number, rows_per_sec: number, elapsed_secs: number, 
/**
 * Bytes per second of `raw_bytes`.
 */
rate_bps: number, eta_secs: number | null, };

export type Reach = { storage: string, state: ReachState, 
/**
 * The base a replay starts from (a base backup's or a backup's id), when restorable.
 */
base: string | null, 
/**
 * From what (the base and the log range), or why not.
 */
detail: string, };

export type ReachState = "restorable" | "waiting" | "gap" | "no_base" | "no_position" | "not_archived";

export type Recovery = "roll_forward" | "roll_back" | "not_yet_expired" | "torn";

export type RecoveryReport = { 
/**
 * What was removed, one sentence each.
 */
removed: Array<string>, 
/**
 * What could not be removed, with the reason.
 */
failed: Array<string>, 
/**
 * What was repaired in the state an earlier release wrote.
 */
repaired: Array<string>, 
/**
 * Problems in the state files found at start (flagged, never dropped).
 */
flagged: Array<string>, };

export type RestoreOptions = { 
/**
 * Where each unit goes (`--to UNIT=PROFILE`, one per unit); a backup of
 * one unit may name its profile alone (`--to PROFILE`: `UnitTarget::only`).
 */
targets: Array<UnitTarget>, 
/**
 * Replace what the targets hold (shown by the preflight).
 */
replace: boolean, 
/**
 * Parallel workers: pg_restore -j (directory-format backups), myloader
 * threads, or the connections loading a MySQL dump's rows (1: the
 * mariadb/mysql client alone; default: the cores, 2 to 4).
 */
jobs: number | null, 
/**
 * The GUI's typed confirmation: when given, it must be the preflight's `confirm_name`.
 */
confirm: string | null, 
/**
 * Re-apply the ScalarDB user's grants recorded with the backup.
 */
grants: boolean, 
/**
 * Give those grants to this role/user instead of the recorded one.
 */
grant_to: string | null, 
/**
 * Skip the verification after the restore (counts and audit read every
 * table once more); the checks before it always run.
 */
skip_verify: boolean, };

export type RestorePreflight = { backup_id: string, backup_folder: string, deployment: string, backup_started_at: string, units: Array<UnitPreflight>, 
/**
 * Every check: the backup's files first, then each unit's (named
 * `<unit> <check>` when there are several).
 */
checks: Array<Check>, will_replace: boolean, 
/**
 * What to type to confirm a replacement: the target profiles' names.
 */
confirm_name: string, 
/**
 * In which order the units are restored, and why.
 */
order: string, 
/**
 * What to do after a successful restore.
 */
after: Array<string>, tables: number, bytes: number, };

export type RestoreResult = { backup_id: string, 
/**
 * The targets, one per unit.
 */
targets: Array<UnitTarget>, duration_ms: number, 
/**
 * None when skipped on request.
 */
verify: VerifyReport | null, 
/**
 * Where the verification report was stored with the backup.
 */
report_path: string | null, 
/**
 * The GRANT statements re-applied (when asked for).
 */
grants_applied: Array<string>, after: Array<string>, };

export type RestoreSettings = { 
/**
 * How many days back the provider can restore (RDS/Azure and DynamoDB
 * 1–35, Cosmos DB continuous 7 or 30).
 */
retention_days: number | null, 
/**
 * The earliest restorable time, when it is later than now minus the
 * retention (PITR enabled recently).
 */
earliest: string | null, 
/**
 * How far behind now the latest restorable time is (default 300 s).
 */
lag_secs: number | null, 
/**
 * Azure and Cosmos DB: the resource group.
 */
resource_group: string | null, };

export type RestoresBy = "pitr" | "backup" | "snapshot" | "managed_backup" | "manual";

export type Runbook = { deployment: string, deployment_id: string, 
/**
 * What its ticks are kept under (the deployment and the point).
 */
key: string, point: Pick, generated_at: string, schema: SchemaAttachment | null, env: Array<EnvVar>, sections: Array<Section>, };

export type RunbookFormat = "md" | "sh" | "json";

export type SafePoint = { at_ms: number, 
/**
 * "window" or "backup".
 */
source: string, id: string, };

export type SchemaAttachment = { 
/**
 * The file it was copied from.
 */
file: string, sha256: string, attached_at: string, 
/**
 * The copy Quiesce keeps (what runbooks point Schema Loader at).
 */
copy: string, 
/**
 * Every table it lists, as `namespace.table`, sorted.
 */
tables: Array<string>, };

export type SecretRef = { store: string, service: string, account: string, };

export type Section = { id: string, title: string, storage: string | null, restores_by: RestoresBy | null, 
/**
 * The ScalarDB tables it brings back (physical names).
 */
tables: Array<string>, 
/**
 * Where the table list comes from (discovery, the backup's manifest, the schema file) and when.
 */
tables_source: string, steps: Array<Step>, };

export type Session = { 
/**
 * Backend pid / connection id / process id.
 */
id: string, user: string, client: string, application: string, state: string, };

export type Severity = "info" | "warning" | "error";

export type SslMode = "disable" | "prefer" | "require" | "verify-ca" | "verify-full";

export type Step = { 
/**
 * Stable within a runbook: what a tick is kept under.
 */
key: string, title: string, detail: string, commands: Array<Command>, 
/**
 * It deletes or replaces data: the script asks first.
 */
destructive: boolean, 
/**
 * Done by hand (a console, a Helm release, an edit): the script waits for "yes".
 */
manual: boolean, };

export type StorageDiscovery = { storage: string, profile: string, kind: DbKind, flavor: Flavor, 
/**
 * Whether Quiesce connects to this kind at all.
 */
live: boolean, reachable: boolean, error: IpcError | null, product: string | null, server_version: string | null, server_major: number | null, capabilities: Capabilities, tools: Array<ToolCheck>, 
/**
 * ScalarDB namespaces found here (from the metadata), coordinator and system namespace included.
 */
namespaces: Array<string>, tables: Array<TableInfo>, metadata_found: boolean, coordinator_found: boolean, findings: Array<Finding>, };

export type TableCheck = { namespace: string, table: string, exists: boolean, expected_rows: number | null, 
/**
 * False when the manifest's count is an estimate (MySQL: a separate snapshot).
 */
expected_exact: boolean, rows: number | null, severity: Severity, };

export type TableInfo = { namespace: string, table: string, 
/**
 * ScalarDB's own metadata table (`<system>.metadata`).
 */
is_metadata: boolean, 
/**
 * The name in the database: `ns.table`, or `ns$table` on SQLite.
 */
physical_name: string, in_metadata: boolean, is_coordinator: boolean, 
/**
 * Estimated rows (exact on SQLite); None when it could not be read.
 */
rows: number | null, rows_exact: boolean, size_bytes: number | null, 
/**
 * Records in PREPARED (1) and DELETED (2) state now: in-flight transactions.
 */
prepared: number | null, deleted: number | null, 
/**
 * MySQL/MariaDB storage engine.
 */
engine: string | null, };

export type TablePlan = { namespace: string, table: string, source_storage: string, target_storage: string, rows: number, columns: Array<ColumnPlan>, 
/**
 * The DDL run on the target (table, then its indexes).
 */
ddl: Array<string>, 
/**
 * Listed in `<sys>.metadata`; false for a table copied as it is (a
 * ScalarDB Cluster table of the system namespace, say), whose rows are
 * proven like the others but which gets no metadata rows.
 */
in_metadata: boolean, };

export type TableProof = { table: string, source_rows: number, target_rows: number, source_fingerprint: string, target_fingerprint: string, secs: number, };

export type TargetPlan = { 
/**
 * The storage's name in the new configuration.
 */
storage: string, profile: string, 
/**
 * PostgreSQL, MySQL, MariaDB, SQLite.
 */
engine: string, units: Array<string>, 
/**
 * The namespaces' collation on MySQL/MariaDB (the server's default unless the binary option).
 */
collation: string | null, };

export type Ticks = { 
/**
 * The keys of the steps ticked, in the order they were ticked.
 */
done: Array<string>, };

export type Timeline = { deployment: string, deployment_id: string, now_ms: number, lanes: Array<Lane>, 
/**
 * Oldest first.
 */
windows: Array<WindowMark>, 
/**
 * Oldest first.
 */
backups: Array<BackupMark>, 
/**
 * Entries of this deployment that could not be read (listed, never dropped).
 */
damaged: Array<string>, };

export type TimelineColumns = { deployment: string, deployment_id: string, now_ms: number, lanes: Array<Lane>, windows: WindowColumns, backups: Array<BackupMark>, damaged: Array<string>, };

export type ToolCheck = { tool: string, path: string | null, version: string | null, major: number | null, ok: boolean, message: string, };

export type TransactionManager = "consensus-commit" | "jdbc" | "single-crud-operation" | "cluster";

export type TreeEdge = { from: string, to: string, 
/**
 * The answer this edge stands for: "yes", "no" or "unknown".
 */
answer: string, };

export type TreeNode = { id: string, label: string, kind: TreeNodeKind, 
/**
 * What the guide says at this node, for the hover/click detail.
 */
detail: string, };

export type TreeNodeKind = "question" | "outcome";

export type TxRecords = { table: string, 
/**
 * 1 PREPARED, 2 DELETED, 3 COMMITTED.
 */
state: number, records: number, };

export type UnitPreflight = { unit: string, storages: Array<string>, format: string, source: string, source_version: string | null, target: string, target_profile: string, target_version: string | null, checks: Array<Check>, 
/**
 * ScalarDB namespaces of the unit that already exist on the target.
 */
existing: Array<ExistingTable>, sessions: Array<Session>, will_replace: boolean, 
/**
 * How the unit is restored.
 */
mode: string, 
/**
 * What a failed or cancelled restore leaves on this target.
 */
on_failure: string, commands: Array<string>, tables: number, bytes: number, };

export type UnitTarget = { unit: string, profile: string, };

export type VerifyReport = { 
/**
 * host:port/db or the file.
 */
target: string, profile: string, verified_at: string, 
/**
 * The backup whose manifest the counts were compared with.
 */
backup_id: string | null, tables: Array<TableCheck>, findings: Array<Finding>, audit: AuditReport | null, 
/**
 * No error among the findings and the audit's findings. Never a
 * certificate of consistency: see the audit's limits.
 */
passed: boolean, };

export type WindowColumns = { 
/**
 * The distinct strings the index columns point into.
 */
strings: Array<string>, id: Array<string>, 
/**
 * Difference from the previous window's start that had one (the first: from 0); null: none.
 */
start: Array<number | null>, 
/**
 * Differences from the window's own start (from 0 when it has none).
 */
end: Array<number | null>, safe_from: Array<number | null>, safe_to: Array<number | null>, point: Array<number | null>, 
/**
 * Index of the status.
 */
status: Array<number>, 
/**
 * Index of the backup id, if any.
 */
backup_id: Array<number | null>, 
/**
 * Indices of the storages with a snapshot.
 */
snapshots: Array<Array<number>>, 
/**
 * Indices of the refusals.
 */
refusals: Array<Array<number>>, 
/**
 * Per window, four indices per archived storage: storage, state, base
 * (or `u32::MAX`: none) and detail (`u32::MAX`: left out, restorable).
 */
reach: Array<Array<number>>, };

export type WindowMark = { id: string, 
/**
 * ok, unsafe, failed.
 */
status: string, start_ms: number | null, end_ms: number | null, safe_from_ms: number | null, safe_to_ms: number | null, point_ms: number | null, backup_id: string | null, 
/**
 * Storages whose in-pause hook ran and succeeded in it.
 */
snapshots: Array<string>, 
/**
 * Why it cannot be picked (empty: it can).
 */
refusals: Array<string>, 
/**
 * Per archived storage: whether its log archive reaches the window's
 * recorded position, and from what.
 */
reach: Array<Reach>, };
