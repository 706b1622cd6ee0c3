// Editor state <-> ProfileInput. The editor keeps strings (what the user
// typed); validation lives in the engine (validate_profile) so rules exist once.
import type { DbKind, Flavor, Profile, ProfileInput, SslMode } from "../bindings";

export interface Draft {
  name: string;
  kind: DbKind;
  flavor: Flavor;
  host: string;
  port: string;
  database: string;
  user: string;
  password: string;
  clearPassword: boolean;
  ssl_mode: SslMode;
  ssl_ca_file: string;
  connect_timeout_secs: string;
  client_bin_dir: string;
  path: string;
  nodes: string;
  data_dirs: string;
  region: string;
  endpoint: string;
  table_prefix: string;
  instance_id: string;
  /** Point-in-time restore (RDS/Azure, DynamoDB, Cosmos DB): for the timeline and runbooks. */
  retention_days: string;
  pitr_earliest: string;
  pitr_lag: string;
  resource_group: string;
}

export const KINDS: { id: DbKind; label: string }[] = [
  { id: "postgresql", label: "PostgreSQL" },
  { id: "mysql", label: "MySQL / MariaDB" },
  { id: "sqlite", label: "SQLite" },
  { id: "cassandra", label: "Cassandra (descriptive)" },
  { id: "cosmos", label: "Cosmos DB for NoSQL (descriptive)" },
  { id: "dynamo", label: "DynamoDB (descriptive)" },
  { id: "oracle", label: "Oracle (descriptive)" },
  { id: "sqlserver", label: "SQL Server (descriptive)" },
  { id: "db2", label: "Db2 (descriptive)" },
];

/** Kinds Quiesce connects to; the others only describe a storage for runbooks. */
export const LIVE_KINDS: DbKind[] = ["postgresql", "mysql", "sqlite"];
/** Kinds reached by host and port. */
export const NETWORKED: DbKind[] = ["postgresql", "mysql", "oracle", "sqlserver", "db2"];

export const FLAVORS: Record<DbKind, { id: Flavor; label: string }[]> = {
  postgresql: [
    { id: "self_hosted", label: "Self-hosted" },
    { id: "amazon_rds", label: "Amazon RDS" },
    { id: "azure", label: "Azure Database" },
    { id: "yugabyte_ysql", label: "YugabyteDB (YSQL)" },
    { id: "yugabyte_managed", label: "YugabyteDB Managed" },
  ],
  mysql: [
    { id: "self_hosted", label: "Self-hosted" },
    { id: "amazon_rds", label: "Amazon RDS" },
    { id: "azure", label: "Azure Database" },
  ],
  sqlite: [{ id: "self_hosted", label: "Local file" }],
  cassandra: [{ id: "self_hosted", label: "Self-hosted" }],
  cosmos: [{ id: "cloud", label: "Azure (cloud service)" }],
  dynamo: [{ id: "cloud", label: "AWS (cloud service)" }],
  oracle: [
    { id: "self_hosted", label: "Self-hosted" },
    { id: "amazon_rds", label: "Amazon RDS" },
    { id: "azure", label: "Azure" },
  ],
  sqlserver: [
    { id: "self_hosted", label: "Self-hosted" },
    { id: "amazon_rds", label: "Amazon RDS" },
    { id: "azure", label: "Azure SQL" },
  ],
  db2: [{ id: "self_hosted", label: "Self-hosted" }],
};

export const SSL_MODES: { id: SslMode; label: string }[] = [
  { id: "disable", label: "disable — never encrypt" },
  { id: "prefer", label: "prefer — encrypt if the server can" },
  { id: "require", label: "require — encrypt, don't verify" },
  { id: "verify-ca", label: "verify-ca — check the CA" },
  { id: "verify-full", label: "verify-full — check CA and host name" },
];

export const DEFAULT_PORT: Record<DbKind, string> = {
  postgresql: "5432",
  mysql: "3306",
  sqlite: "",
  cassandra: "9042",
  cosmos: "",
  dynamo: "",
  oracle: "1521",
  sqlserver: "1433",
  db2: "50000",
};

export function emptyDraft(kind: DbKind = "postgresql"): Draft {
  return {
    name: "",
    kind,
    flavor: FLAVORS[kind][0].id,
    host: "",
    port: DEFAULT_PORT[kind],
    database: "",
    user: "",
    password: "",
    clearPassword: false,
    ssl_mode: "prefer",
    ssl_ca_file: "",
    connect_timeout_secs: "10",
    client_bin_dir: "",
    path: "",
    nodes: "",
    data_dirs: "",
    region: "",
    endpoint: "",
    table_prefix: "",
    instance_id: "",
    retention_days: "",
    pitr_earliest: "",
    pitr_lag: "",
    resource_group: "",
  };
}

export function draftFromProfile(p: Profile): Draft {
  return {
    name: p.name,
    kind: p.kind,
    flavor: p.flavor,
    host: p.host ?? "",
    port: p.port?.toString() ?? "",
    database: p.database ?? "",
    user: p.user ?? "",
    password: "",
    clearPassword: false,
    ssl_mode: p.ssl_mode,
    ssl_ca_file: p.ssl_ca_file ?? "",
    connect_timeout_secs: p.connect_timeout_secs.toString(),
    client_bin_dir: p.client_bin_dir ?? "",
    path: p.path ?? "",
    nodes: p.nodes.join(", "),
    data_dirs: p.data_dirs.join(", "),
    region: p.region ?? "",
    endpoint: p.endpoint ?? "",
    table_prefix: p.table_prefix ?? "",
    instance_id: p.instance_id ?? "",
    retention_days: p.restore.retention_days?.toString() ?? "",
    pitr_earliest: p.restore.earliest ?? "",
    pitr_lag: p.restore.lag_secs?.toString() ?? "",
    resource_group: p.restore.resource_group ?? "",
  };
}

/** Which fields the editor shows for a kind and flavor. */
export function fieldsFor(kind: DbKind, flavor: Flavor) {
  const networked = NETWORKED.includes(kind);
  return {
    networked,
    live: LIVE_KINDS.includes(kind),
    path: kind === "sqlite",
    nodes: kind === "cassandra",
    endpoint: kind === "cosmos" || kind === "dynamo",
    tablePrefix: kind === "dynamo",
    region: kind === "dynamo" || kind === "cosmos" || flavor === "amazon_rds" || flavor === "azure",
    pitr: kind === "dynamo" || kind === "cosmos" || flavor === "amazon_rds" || flavor === "azure",
    resourceGroup: kind === "cosmos" || flavor === "azure",
    instanceId: flavor === "amazon_rds" || flavor === "azure" || flavor === "yugabyte_managed",
    user: kind !== "sqlite" && kind !== "cosmos",
    password: kind !== "sqlite",
    database: networked || kind === "cosmos",
  };
}

const list = (s: string): string[] =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter((x) => x !== "");

const opt = (s: string): string | null => (s.trim() === "" ? null : s.trim());

/**
 * Text that is not a number in range is sent as 0, which the engine rejects
 * with a message naming the field (a raw 99999 would fail IPC decoding instead).
 */
function num(s: string, max: number): number | null {
  if (s.trim() === "") return null;
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 && n <= max ? n : 0;
}

export function toInput(d: Draft): ProfileInput {
  const f = fieldsFor(d.kind, d.flavor);
  return {
    name: d.name,
    kind: d.kind,
    flavor: d.flavor,
    host: f.networked ? opt(d.host) : null,
    port: f.networked || f.nodes ? num(d.port, 65535) : null,
    database: f.database ? opt(d.database) : null,
    user: f.user ? opt(d.user) : null,
    ssl_mode: f.networked ? d.ssl_mode : null,
    ssl_ca_file: f.networked ? opt(d.ssl_ca_file) : null,
    connect_timeout_secs: num(d.connect_timeout_secs, 4294967295),
    client_bin_dir: opt(d.client_bin_dir),
    path: f.path ? opt(d.path) : null,
    nodes: f.nodes ? list(d.nodes) : [],
    data_dirs: f.nodes ? list(d.data_dirs) : [],
    region: f.region ? opt(d.region) : null,
    endpoint: f.endpoint ? opt(d.endpoint) : null,
    table_prefix: f.tablePrefix ? opt(d.table_prefix) : null,
    instance_id: f.instanceId ? opt(d.instance_id) : null,
    restore: f.pitr
      ? {
          retention_days: num(d.retention_days, 4294967295),
          earliest: opt(d.pitr_earliest),
          lag_secs: num(d.pitr_lag, 4294967295),
          resource_group: f.resourceGroup ? opt(d.resource_group) : null,
        }
      : { retention_days: null, earliest: null, lag_secs: null, resource_group: null },
    password:
      f.password && d.password !== ""
        ? { action: "set", value: d.password }
        : d.clearPassword
          ? { action: "clear" }
          : { action: "keep" },
  };
}

/** A kind's name without "(descriptive)"; "?" for none. */
export const kindLabel = (k: string | null | undefined): string =>
  KINDS.find((x) => x.id === k)?.label.replace(" (descriptive)", "") ?? "?";

/** Where a profile points, in one line (host, file, nodes, endpoint or region). */
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
