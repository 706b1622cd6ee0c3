// Editor state <-> ProfileInput. The editor keeps strings (what the user
// typed); validation lives in the engine (validate_profile) so rules exist once.
import type { DbKind, Flavor, Profile, ProfileInput, SslMode } from "./bindings";

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
}

export const KINDS: { id: DbKind; label: string }[] = [
  { id: "postgresql", label: "PostgreSQL" },
  { id: "mysql", label: "MySQL / MariaDB" },
  { id: "sqlite", label: "SQLite" },
];

export const FLAVORS: Record<DbKind, { id: Flavor; label: string }[]> = {
  postgresql: [
    { id: "self_hosted", label: "Self-hosted" },
    { id: "amazon_rds", label: "Amazon RDS" },
    { id: "azure", label: "Azure Database" },
    { id: "yugabyte_ysql", label: "YugabyteDB (YSQL)" },
  ],
  mysql: [
    { id: "self_hosted", label: "Self-hosted" },
    { id: "amazon_rds", label: "Amazon RDS" },
    { id: "azure", label: "Azure Database" },
  ],
  sqlite: [{ id: "self_hosted", label: "Local file" }],
};

export const SSL_MODES: { id: SslMode; label: string }[] = [
  { id: "disable", label: "disable — never encrypt" },
  { id: "prefer", label: "prefer — encrypt if the server can" },
  { id: "require", label: "require — encrypt, don't verify" },
  { id: "verify-ca", label: "verify-ca — check the CA" },
  { id: "verify-full", label: "verify-full — check CA and host name" },
];

export const DEFAULT_PORT: Record<DbKind, string> = { postgresql: "5432", mysql: "3306", sqlite: "" };

export function emptyDraft(kind: DbKind = "postgresql"): Draft {
  return {
    name: "",
    kind,
    flavor: "self_hosted",
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
  };
}

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
  const sqlite = d.kind === "sqlite";
  return {
    name: d.name,
    kind: d.kind,
    flavor: d.flavor,
    host: sqlite ? null : opt(d.host),
    port: sqlite ? null : num(d.port, 65535),
    database: sqlite ? null : opt(d.database),
    user: sqlite ? null : opt(d.user),
    ssl_mode: sqlite ? null : d.ssl_mode,
    ssl_ca_file: sqlite ? null : opt(d.ssl_ca_file),
    connect_timeout_secs: num(d.connect_timeout_secs, 4294967295),
    client_bin_dir: opt(d.client_bin_dir),
    path: sqlite ? opt(d.path) : null,
    password:
      !sqlite && d.password !== ""
        ? { action: "set", value: d.password }
        : d.clearPassword
          ? { action: "clear" }
          : { action: "keep" },
  };
}
