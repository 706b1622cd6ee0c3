// The migrate wizard's rules, apart from its screens: what it chose, the
// options the engine gets from it, and when a migration may start.
import type { CatalogEntry, MigrateOptions, MigrationPlan } from "../bindings";

/** The ScalarDB releases whose layout the engine knows (3.13 and later). */
export const VERSIONS = ["3.19", "3.18", "3.17", "3.16", "3.15", "3.14", "3.13"];

export interface MigrateChoice {
  deployment: string;
  /** Storage name → target profile id. */
  targets: Record<string, string>;
  version: string;
  keySize: string;
  binary: boolean;
  noPause: boolean;
  /** A backup to read instead of the live databases ("" = live). */
  backup: string;
  /** Backup unit id → scratch profile id (PostgreSQL/MySQL units of a backup). */
  scratch: Record<string, string>;
}

export const EMPTY_MIGRATE: MigrateChoice = { deployment: "", targets: {}, version: "3.19", keySize: "", binary: false, noPause: false, backup: "", scratch: {} };

/** The units of a backup read through a scratch restore: any that is not SQLite, or all when one is not. */
export function scratchUnits(b: CatalogEntry | undefined): CatalogEntry["units"] {
  if (!b) return [];
  return b.units.some((u) => u.kind !== "sqlite") ? b.units : [];
}

/** A migration may start only when every check passed. */
export const canMigrate = (plan: MigrationPlan | null): boolean => !!plan && plan.checks.every((c) => c.ok);

/** Options for the engine from the wizard's choice; a key size that is not a whole number is refused. */
export function migrateOptions(c: MigrateChoice, storages: string[]): MigrateOptions | string {
  const size = c.keySize.trim();
  if (size !== "" && !/^\d+$/.test(size)) return `MySQL key size "${size}" is not a whole number of bytes (64 or more).`;
  return {
    to: storages.map((s) => ({ unit: s, profile: c.targets[s] ?? "" })),
    scalardb_version: c.version,
    mysql_key_size: size === "" ? null : Number(size),
    binary_collation: c.binary,
    no_pause: c.noPause,
    from_backup: c.backup === "" ? null : c.backup,
    scratch: c.backup === "" ? [] : Object.entries(c.scratch).filter(([, p]) => p !== "").map(([unit, profile]) => ({ unit, profile })),
    max_pause_ms: null,
  };
}
