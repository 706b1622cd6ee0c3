//! `quiesce backup`: a consistent backup of a deployment.

use super::{absolute, password_profiles, Ctx, JobSecrets};
use crate::output::Output;
use clap::Args;
use quiesce_engine::backup::{self, BackupOptions};
use quiesce_engine::deployment::Deployments;
use quiesce_engine::plan::commands::DumpFormat;
use quiesce_engine::Result;

#[derive(Args)]
pub struct BackupArgs {
    /// The deployment to back up (name or id).
    deployment: String,
    /// How the dump is written (default: compressed by zstd as it streams).
    #[arg(long, value_enum, default_value = "default")]
    format: DumpFormat,
    /// pg_dump -j workers (directory format).
    #[arg(long, value_name = "N")]
    jobs: Option<u32>,
    /// Root folder for this backup (default: the catalog, <data>/backups or $QUIESCE_BACKUP_DIR).
    #[arg(long, value_name = "DIR")]
    out: Option<String>,
    /// Print the plan, the checks and the commands; run nothing.
    #[arg(long)]
    dry_run: bool,
    /// The longest the pause may last, when the plan pauses (default: the deployment's maximum pause).
    #[arg(long, value_name = "DURATION", value_parser = quiesce_engine::duration::parse)]
    max_pause: Option<std::time::Duration>,
    #[command(flatten)]
    secrets: JobSecrets,
}

pub async fn run(ctx: &Ctx, a: BackupArgs) -> Result<Output> {
    let needs = password_profiles(&ctx.profiles, &a.deployment)?;
    let ds = Deployments::new(a.secrets.apply(ctx.profiles.clone(), &needs)?);
    let opts = BackupOptions {
        format: a.format,
        jobs: a.jobs,
        out: a.out.map(absolute),
        max_pause_ms: a.max_pause.map(|d| d.as_millis() as u64),
    };
    if a.dry_run {
        let p = backup::dry_run(&ds, &a.deployment, &opts, &ctx.cancel).await?;
        return Ok(Output::Preflight { dry_run: Box::new(p) });
    }
    let (folder, m) = backup::run(&ds, &a.deployment, &opts, ctx.events.sink(), &ctx.cancel).await?;
    Ok(Output::BackupDone { backup: Box::new(m), folder })
}
