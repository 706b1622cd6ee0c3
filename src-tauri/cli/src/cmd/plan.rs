//! `quiesce plan`: the guide's decision tree evaluated for a deployment.

use super::{password_profiles, Ctx, JobSecrets};
use crate::output::Output;
use clap::Args;
use quiesce_engine::deployment::Deployments;
use quiesce_engine::plan;
use quiesce_engine::Result;

#[derive(Args)]
pub struct PlanArgs {
    /// The deployment (name or id).
    deployment: String,
    /// Discover the storages now (connects to them) instead of using the last discovery.
    #[arg(long)]
    discover: bool,
    #[command(flatten)]
    secrets: JobSecrets,
}

pub async fn run(ctx: &Ctx, a: PlanArgs) -> Result<Output> {
    let needs = if a.discover { password_profiles(&ctx.profiles, &a.deployment)? } else { vec![] };
    let ds = Deployments::new(a.secrets.apply(ctx.profiles.clone(), &needs)?);
    let view = if a.discover {
        plan::discover_and_view(&ds, &a.deployment, &ctx.cancel).await?
    } else {
        plan::view(&ds, &a.deployment)?
    };
    Ok(Output::Plan { plan: Box::new(view.plan), discovery: view.discovery.map(Box::new), tree: Box::new(view.tree) })
}
