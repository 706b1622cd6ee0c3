// The restore wizard's rules, apart from its screens: what the first two steps
// chose, the options the engine gets from it, and when a restore may start.
import type { CatalogEntry, CatalogUnit, Profile, Progress, RestoreOptions, RestorePreflight } from "../bindings";
import { jobFraction } from "./jobs";

/** 0..1 of a restore: pages (SQLite), else bytes fed of the backup, else tables. */
export function restoreFraction(p: Progress, totalBytes: number): number {
  return jobFraction(p, totalBytes);
}

/** A replacement needs the target's name typed; an empty target does not. */
export function canRestore(pf: RestorePreflight | null, typed: string): boolean {
  if (!pf || !pf.checks.every((c) => c.ok)) return false;
  return !pf.will_replace || typed === pf.confirm_name;
}

/** The profiles a unit can be restored into: the same database family. */
export function profilesFor(unit: CatalogUnit | null, profiles: Profile[]): Profile[] {
  return unit ? profiles.filter((p) => p.kind === unit.kind) : profiles;
}

/** Profiles Quiesce restores into (and migrates to): PostgreSQL, MySQL, SQLite. */
export const restorable = (p: Profile): boolean => p.kind === "postgresql" || p.kind === "mysql" || p.kind === "sqlite";

/** Catalog entries a restore (or a migration) can read: complete backups. Damaged ones and leftovers are listed in Backups. */
export const usableBackup = (e: CatalogEntry): boolean => e.kind === "backup" && e.status !== "damaged" && e.status !== "leftover";

/** What the wizard's first two steps chose. */
export interface RestoreChoice {
  source: string;
  folder: string;
  target: string;
  /** A backup of several databases: one target per unit, by unit id. */
  unitTargets: Record<string, string>;
  replace: boolean;
  workers: string;
  grants: boolean;
  grantTo: string;
}

export const EMPTY_RESTORE: RestoreChoice = { source: "", folder: "", target: "", unitTargets: {}, replace: false, workers: "", grants: false, grantTo: "" };

/** The engine's options for a choice; `units` when the backup holds several databases. */
export function restoreOptions(c: RestoreChoice, units: CatalogUnit[]): RestoreOptions {
  const multi = units.length > 1;
  return {
    // One unit: its profile alone (the unit left empty).
    targets: multi ? units.map((u) => ({ unit: u.id, profile: c.unitTargets[u.id] ?? "" })) : [{ unit: "", profile: c.target }],
    replace: c.replace,
    jobs: c.workers.trim() === "" ? null : Math.max(1, Number(c.workers) || 1),
    confirm: null,
    grants: c.grants,
    grant_to: c.grants && c.grantTo.trim() !== "" ? c.grantTo.trim() : null,
    skip_verify: false,
  };
}
