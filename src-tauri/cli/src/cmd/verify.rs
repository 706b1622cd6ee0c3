//! `quiesce verify`: a live database (profile or deployment) or a backup.

use super::{password_profiles, with_password, Ctx, JobSecrets};
use crate::output::Output;
use clap::Args;
use quiesce_engine::deployment::Deployments;
use quiesce_engine::subject::{self, Subject};
use quiesce_engine::verify::{self, Verification};
use quiesce_engine::{Error, Result};

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

pub async fn run(ctx: &Ctx, a: VerifyArgs) -> Result<Output> {
    let root = ctx.catalog_root(a.root);
    let plain = Deployments::new(ctx.profiles.clone());
    let what = subject::classify(&plain, &root, &a.target)?;
    let needs = match &what {
        Subject::Deployment(d) => password_profiles(&ctx.profiles, &d.id)?,
        Subject::Profile(p) => with_password(&ctx.profiles, [p.id.as_str()]),
        Subject::Backup { .. } => vec![],
    };
    let ds = Deployments::new(a.secrets.apply(ctx.profiles.clone(), &needs)?);
    let manifest = match &a.backup {
        Some(id) => Some(quiesce_engine::catalog::find(&root, id)?.1),
        None => None,
    };
    let sink = ctx.events.sink();
    let r = match what {
        Subject::Backup { reference, .. } if a.backup.is_none() => {
            let (i, v) = verify::run_backup(ctx.profiles.home(), &root, &reference, sink, &ctx.cancel).await?;
            return Ok(Output::BackupVerified { integrity: Box::new(i), verify: v.map(Box::new) });
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
            verify::run(&ds, Verification::Deployment { deployment: &d, against: manifest.as_ref() }, sink, &ctx.cancel)
                .await?
        }
        Subject::Profile(p) => {
            let against = manifest.as_ref().map(|m| (m, a.unit.as_deref()));
            let v = Verification::Profile { profile: &p.id, against, deployment: None };
            verify::run(&ds, v, sink, &ctx.cancel).await?
        }
    };
    Ok(Output::Verified { verify: Box::new(r) })
}
