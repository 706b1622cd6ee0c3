//! `quiesce verify`: a live database (profile or deployment) or a backup.

use super::{password_profiles, root, with_password, Ctx, JobSecrets};
use crate::print::{done, print_verify, Printed, Report, EXIT_VERIFY_FAILED};
use clap::Args;
use quiesce_engine::subject::Subject;
use quiesce_engine::usecases::verify;
use quiesce_engine::verify::{IntegrityReport, VerifyReport};
use quiesce_engine::{Error, Result};
use serde::Serialize;

#[derive(Args)]
pub struct VerifyArgs {
    /// A backup id or folder, a deployment, or a profile.
    target: String,
    /// Compare a live target with this backup's manifest (its tables and row counts).
    #[arg(long, value_name = "ID")]
    backup: Option<String>,
    /// With --backup of several units: the unit to compare with (its id or one of its storages).
    #[arg(long, value_name = "UNIT", requires = "backup")]
    unit: Option<String>,
    /// Catalog folder to find backup ids in (default: the catalog).
    #[arg(long, value_name = "DIR")]
    root: Option<String>,
    #[command(flatten)]
    secrets: JobSecrets,
}

pub async fn run(ctx: &Ctx, a: VerifyArgs) -> Result<Printed> {
    let root = root(a.root);
    let what = verify::subject(&ctx.engine, &a.target, root.as_deref())?;
    let needs = match &what {
        Subject::Deployment(d) => password_profiles(&ctx.engine, &d.id)?,
        Subject::Profile(p) => with_password(&ctx.engine, [p.id.as_str()]),
        Subject::Backup { .. } => vec![],
    };
    let e = a.secrets.apply(&ctx.engine, &needs)?;
    // A --backup that names no backup is the first thing said.
    if let Some(id) = &a.backup {
        quiesce_engine::usecases::backups::show(&e, id, root.as_deref())?;
    }
    let sink = ctx.events.sink();
    let r = match what {
        Subject::Backup { reference, .. } if a.backup.is_none() => {
            let (i, v) = verify::backup(&e, &reference, root.as_deref(), sink, &ctx.cancel).await?;
            return done(BackupVerified { integrity: Box::new(i), verify: v.map(Box::new) });
        }
        Subject::Backup { .. } => {
            return Err(Error::invalid(format!(
                "{} is a backup: --backup compares a live profile or deployment with a backup. Verify the backup itself without --backup.",
                a.target
            )))
        }
        Subject::Deployment(d) if a.unit.is_some() => {
            return Err(Error::invalid(format!(
                "--unit picks the unit a profile is compared with; \"{}\" is a deployment, compared unit by unit with the backup. Give a profile with --unit.",
                d.name
            )))
        }
        // Every database of the deployment at once, with one audit across them.
        Subject::Deployment(d) => {
            verify::deployment(&e, &d, a.backup.as_deref(), root.as_deref(), sink, &ctx.cancel).await?
        }
        Subject::Profile(p) => {
            let against = a.backup.as_deref().map(|b| (b, a.unit.as_deref()));
            verify::profile(&e, &p.id, against, root.as_deref(), sink, &ctx.cancel).await?
        }
    };
    done(Verified { verify: Box::new(r) })
}

#[derive(Serialize)]
struct Verified {
    verify: Box<VerifyReport>,
}

impl Report for Verified {
    fn text(&self) {
        print_verify(&self.verify);
    }

    fn exit_status(&self) -> i32 {
        if self.verify.passed {
            0
        } else {
            EXIT_VERIFY_FAILED
        }
    }
}

#[derive(Serialize)]
struct BackupVerified {
    integrity: Box<IntegrityReport>,
    verify: Option<Box<VerifyReport>>,
}

impl Report for BackupVerified {
    fn text(&self) {
        let i = &self.integrity;
        if i.problems.is_empty() {
            println!(
                "Backup {}: {} file(s), {} match the manifest.",
                i.backup_id,
                i.files_checked,
                quiesce_engine::size::human(i.bytes_checked)
            );
        } else {
            println!("Backup {} does NOT match its manifest:", i.backup_id);
            for p in &i.problems {
                println!("  - {p}");
            }
        }
        if !i.unlisted.is_empty() {
            println!("Files in the folder the manifest does not list (not part of the backup; an earlier release left SQLite's -shm/-wal beside WAL-mode copies, safe to delete):");
            for f in &i.unlisted {
                println!("  - {f}");
            }
        }
        if let Some(v) = &self.verify {
            println!();
            print_verify(v);
        }
    }

    fn exit_status(&self) -> i32 {
        if !self.integrity.problems.is_empty() || self.verify.as_ref().is_some_and(|v| !v.passed) {
            EXIT_VERIFY_FAILED
        } else {
            0
        }
    }
}
