//! `quiesce backup`: a consistent backup of a deployment.

use super::{absolute, password_profiles, Ctx, JobSecrets};
use crate::print::{done, failed_check, print_checks, print_manifest, print_plan, Printed, Report};
use clap::Args;
use quiesce_engine::backup::{BackupOptions, Preflight};
use quiesce_engine::catalog::manifest::Manifest;
use quiesce_engine::plan::commands::DumpFormat;
use quiesce_engine::usecases::backups;
use quiesce_engine::Result;
use serde::Serialize;
use std::path::PathBuf;

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

pub async fn run(ctx: &Ctx, a: BackupArgs) -> Result<Printed> {
    let needs = password_profiles(&ctx.engine, &a.deployment)?;
    let e = a.secrets.apply(&ctx.engine, &needs)?;
    let opts = BackupOptions {
        format: a.format,
        jobs: a.jobs,
        out: a.out.map(absolute),
        max_pause_ms: a.max_pause.map(|d| d.as_millis() as u64),
    };
    if a.dry_run {
        let p = backups::dry_run(&e, &a.deployment, &opts, &ctx.cancel).await?;
        return done(DryRun { dry_run: Box::new(p) });
    }
    let (folder, m) = backups::run(&e, &a.deployment, &opts, ctx.events.sink(), &ctx.cancel).await?;
    done(Done { backup: Box::new(m), folder })
}

#[derive(Serialize)]
struct DryRun {
    dry_run: Box<Preflight>,
}

impl Report for DryRun {
    fn text(&self) {
        let p = &self.dry_run;
        print_plan(&p.plan, &quiesce_engine::plan::decision_tree(), None);
        println!();
        println!("Checks (nothing was run):");
        print_checks(&p.checks);
        println!();
        println!("Would run:");
        for c in &p.commands {
            println!("  $ {c}");
        }
        println!("into {}/<id>", p.out_dir);
    }

    fn exit_status(&self) -> i32 {
        failed_check(&self.dry_run.checks)
    }
}

#[derive(Serialize)]
struct Done {
    backup: Box<Manifest>,
    folder: PathBuf,
}

impl Report for Done {
    fn text(&self) {
        println!("Backup {} of \"{}\" complete.", self.backup.id, self.backup.deployment);
        print_manifest(&self.folder, &self.backup);
    }
}
