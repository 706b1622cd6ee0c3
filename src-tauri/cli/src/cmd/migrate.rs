//! `quiesce migrate`: a deployment to other databases (another engine, or
//! several storages into one), consistent, with its transaction metadata, proven.

use super::{absolute, with_password, Ctx, JobSecrets};
use crate::print::{done, failed_check, print_checks, Printed, Report};
use clap::Args;
use quiesce_engine::migrate::job::{MigrateOptions, MigrationPlan, MigrationResult};
use quiesce_engine::restore::UnitTarget;
use quiesce_engine::usecases::migrations;
use quiesce_engine::Result;
use serde::Serialize;

#[derive(Args)]
pub struct MigrateArgs {
    /// The deployment to migrate.
    deployment: String,
    /// Where each storage goes: STORAGE=PROFILE, once per storage of the
    /// deployment. Several storages may name one profile (consolidation).
    #[arg(long, value_name = "STORAGE=PROFILE", required = true)]
    to: Vec<String>,
    /// The ScalarDB release the target is laid out for (3.13 or later).
    #[arg(long, value_name = "VERSION", default_value = "3.19")]
    scalardb_version: String,
    /// scalar.db.jdbc.mysql.variable_key_column_size of the new configuration
    /// (MySQL targets; MariaDB targets always use 128).
    #[arg(long, value_name = "N")]
    mysql_key_size: Option<u32>,
    /// Create MySQL/MariaDB namespaces with a binary NO PAD collation
    /// (utf8mb4_nopad_bin on MariaDB, utf8mb4_0900_bin on MySQL 8), so keys
    /// that differ only in case or trailing spaces stay distinct. A deviation
    /// from Schema Loader, stated in the result.
    #[arg(long)]
    binary_collation: bool,
    /// ScalarDB is stopped: read several databases without pausing it.
    #[arg(long)]
    no_pause: bool,
    /// The longest the pause (while the snapshots open) may last (default: the deployment's maximum pause).
    #[arg(long, value_name = "DURATION", value_parser = quiesce_engine::duration::parse)]
    max_pause: Option<std::time::Duration>,
    /// Migrate a catalog backup (its id or folder) instead of the live
    /// databases: SQLite units are read in the backup itself; PostgreSQL and
    /// MySQL units need --scratch.
    #[arg(long, value_name = "ID")]
    from_backup: Option<String>,
    /// With --from-backup: an empty profile a unit is restored into to be read
    /// (UNIT=PROFILE, the unit by one of its storages), emptied afterwards.
    #[arg(long, value_name = "UNIT=PROFILE", requires = "from_backup")]
    scratch: Vec<String>,
    /// Print the target layout, the checks and the new properties; write
    /// nothing to the targets (with --scratch, the backup is still restored there to be read).
    #[arg(long)]
    dry_run: bool,
    /// Only drop what an earlier, failed migration left on the targets.
    #[arg(long, conflicts_with = "dry_run")]
    cleanup: bool,
    /// Also write the new database.properties to FILE.
    #[arg(long, value_name = "FILE")]
    properties_out: Option<String>,
    #[command(flatten)]
    secrets: JobSecrets,
}

pub async fn run(ctx: &Ctx, a: MigrateArgs) -> Result<Printed> {
    let to = a.to.iter().map(|v| UnitTarget::parse(v)).collect::<Result<Vec<_>>>()?;
    let scratch = a.scratch.iter().map(|v| UnitTarget::parse(v)).collect::<Result<Vec<_>>>()?;
    let source = super::password_profiles(&ctx.engine, &a.deployment)?;
    let mut needs = with_password(&ctx.engine, to.iter().chain(&scratch).map(|t| t.profile.as_str()));
    needs.extend(source);
    needs.dedup_by(|x, y| x.id == y.id);
    let e = a.secrets.apply(&ctx.engine, &needs)?;
    if a.cleanup {
        let names: Vec<String> = to.iter().map(|t| t.profile.clone()).collect();
        return done(Cleanup { dropped: migrations::cleanup(&e, &names).await? });
    }
    let opts = MigrateOptions {
        to,
        scalardb_version: Some(a.scalardb_version),
        mysql_key_size: a.mysql_key_size,
        binary_collation: a.binary_collation,
        no_pause: a.no_pause,
        from_backup: a.from_backup,
        scratch,
        max_pause_ms: a.max_pause.map(|d| d.as_millis() as u64),
    };
    let sink = ctx.events.sink();
    if a.dry_run {
        let plan = migrations::dry_run(&e, &a.deployment, &opts, &sink, &ctx.cancel).await?;
        return done(DryRun { migration: Box::new(plan) });
    }
    let out = a.properties_out.map(|f| std::path::PathBuf::from(absolute(f)));
    let r = migrations::run(&e, &a.deployment, &opts, out.as_deref(), &sink, &ctx.cancel).await?;
    done(Migrated { migration: Box::new(r) })
}

#[derive(Serialize)]
struct DryRun {
    migration: Box<MigrationPlan>,
}

impl Report for DryRun {
    fn text(&self) {
        print_migration_plan(&self.migration);
    }

    fn exit_status(&self) -> i32 {
        failed_check(&self.migration.checks)
    }
}

#[derive(Serialize)]
struct Migrated {
    migration: Box<MigrationResult>,
}

impl Report for Migrated {
    fn text(&self) {
        print_migrated(&self.migration);
    }
}

#[derive(Serialize)]
struct Cleanup {
    dropped: Vec<String>,
}

impl Report for Cleanup {
    fn text(&self) {
        if self.dropped.is_empty() {
            println!("No earlier migration left anything on these profiles.");
        }
        for d in &self.dropped {
            println!("Dropped {d}");
        }
    }
}

fn print_migration_plan(p: &quiesce_engine::migrate::job::MigrationPlan) {
    println!("Migrate \"{}\" for ScalarDB {} ({} tables)", p.deployment, p.scalardb_version, p.tables.len());
    for t in &p.targets {
        println!(
            "  storage {} (from {}) → {} on {}{}",
            t.storage,
            t.units.join(", "),
            t.profile,
            t.engine,
            t.collation.as_deref().map(|c| format!(", collation {c}")).unwrap_or_default()
        );
    }
    for t in &p.tables {
        println!();
        println!("{}.{} ({} rows) {} → {}", t.namespace, t.table, t.rows, t.source_storage, t.target_storage);
        for c in &t.columns {
            println!("    {:<28} {:<12} {:<22} {}", c.name, c.scalar_type, c.target_type, c.role);
        }
    }
    println!();
    println!("Checks (nothing was written):");
    print_checks(&p.checks);
    for l in &p.leftovers {
        println!("  left by an earlier migration (dropped first): {l}");
    }
    for n in &p.notes {
        println!("  note: {n}");
    }
    println!();
    println!("database.properties:");
    for l in p.properties.lines() {
        println!("  {l}");
    }
}

fn print_migrated(r: &quiesce_engine::migrate::job::MigrationResult) {
    println!(
        "Migrated \"{}\": {} tables, {} rows in {:.1} s; proven (row counts and fingerprints match).",
        r.plan.deployment,
        r.proofs.len(),
        r.proofs.iter().map(|p| p.target_rows).sum::<u64>(),
        r.elapsed_secs
    );
    for p in &r.proofs {
        println!(
            "  {:<40} {:>10} rows  {}",
            p.table,
            p.target_rows,
            &p.target_fingerprint[..16.min(p.target_fingerprint.len())]
        );
    }
    if let Some(a) = &r.target_audit {
        println!(
            "  audit on the target: {} record(s) in flight, {} transaction(s): {} roll forward, {} roll back, {} torn (as on the source)",
            a.in_flight_records, a.transactions_total, a.roll_forward, a.roll_back + a.not_yet_expired, a.torn
        );
    }
    for n in &r.plan.notes {
        println!("  note: {n}");
    }
    println!(
        "  namespaces: {}",
        r.plan.mapping.iter().map(|m| format!("{}→{}", m.namespace, m.storage)).collect::<Vec<_>>().join(", ")
    );
    match &r.properties_file {
        Some(f) => println!("  database.properties written to {f}"),
        None => {
            println!();
            println!("database.properties:");
            for l in r.plan.properties.lines() {
                println!("  {l}");
            }
        }
    }
}
