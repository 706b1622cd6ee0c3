//! `quiesce verify`: a live database (profile or deployment) or a backup.

use super::{password_profiles, with_password, Ctx, JobSecrets};
use crate::output::Output;
use clap::Args;
use quiesce_engine::deployment::Deployments;
use quiesce_engine::subject::{self, Subject};
use quiesce_engine::{restore, verify, Error, Result};

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
    let (profile, deployment) = match what {
        Subject::Backup { reference, .. } if a.backup.is_none() => {
            let (i, v) = verify::verify_backup(&root, &reference, &ctx.cancel).await?;
            return Ok(Output::BackupVerified { integrity: Box::new(i), verify: v.map(Box::new) });
        }
        Subject::Backup { .. } => {
            return Err(Error::invalid(format!(
                "{} is a backup: --backup compares a live profile or deployment with a backup. Verify the backup itself without --backup.",
                a.target
            )))
        }
        Subject::Deployment(d) => {
            let storages = ds.storage_profiles(&d)?;
            if storages.is_empty() {
                return Err(Error::invalid(format!("Deployment \"{}\" has no storage to verify.", d.name)));
            }
            let [(_, p)] = storages.as_slice() else {
                return Err(Error::invalid(format!(
                    "Deployment \"{}\" has {} storages; verify each profile: quiesce verify <profile>.",
                    d.name,
                    storages.len()
                )));
            };
            (p.id.clone(), Some(d))
        }
        Subject::Profile(p) => (p.id, None),
    };
    let manifest = match &a.backup {
        Some(id) => Some(restore::find_backup(&root, id)?.1),
        None => None,
    };
    let against = manifest.as_ref().map(|m| (m, a.unit.as_deref()));
    let r = verify::verify_profile(&ds, &profile, against, deployment.as_ref(), &ctx.cancel).await?;
    Ok(Output::Verified { verify: Box::new(r) })
}
