//! `quiesce migrate`: a deployment to other databases (another engine, or
//! several storages into one), consistent, with its transaction metadata, proven.

use super::{absolute, with_password, Ctx, JobSecrets};
use crate::output::Output;
use clap::Args;
use quiesce_engine::deployment::Deployments;
use quiesce_engine::migrate::job::{self, MigrateOptions};
use quiesce_engine::restore::UnitTarget;
use quiesce_engine::Result;

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

pub async fn run(ctx: &Ctx, a: MigrateArgs) -> Result<Output> {
    let to = a.to.iter().map(|v| UnitTarget::parse(v)).collect::<Result<Vec<_>>>()?;
    let scratch = a.scratch.iter().map(|v| UnitTarget::parse(v)).collect::<Result<Vec<_>>>()?;
    let source = super::password_profiles(&ctx.profiles, &a.deployment)?;
    let mut needs = with_password(&ctx.profiles, to.iter().chain(&scratch).map(|t| t.profile.as_str()));
    needs.extend(source);
    needs.dedup_by(|x, y| x.id == y.id);
    let ds = Deployments::new(a.secrets.apply(ctx.profiles.clone(), &needs)?);
    if a.cleanup {
        let names: Vec<String> = to.iter().map(|t| t.profile.clone()).collect();
        let dropped = job::cleanup(&ds, &names).await?;
        return Ok(Output::MigrateCleanup { dropped });
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
        let plan = job::dry_run(&ds, &a.deployment, &opts, &sink, &ctx.cancel).await?;
        return Ok(Output::MigratePlan { migration: Box::new(plan) });
    }
    let mut r = job::migrate(&ds, &a.deployment, &opts, &sink, &ctx.cancel).await?;
    if let Some(f) = a.properties_out {
        let f = absolute(f);
        quiesce_engine::store::write_atomic(std::path::Path::new(&f), r.plan.properties.as_bytes())?;
        r.properties_file = Some(f);
    }
    Ok(Output::Migrated { migration: Box::new(r) })
}
