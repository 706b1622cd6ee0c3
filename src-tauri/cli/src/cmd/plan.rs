//! `quiesce plan`: the guide's decision tree evaluated for a deployment.

use super::{password_profiles, Ctx, JobSecrets};
use crate::print::{done, print_plan, Printed, Report};
use clap::Args;
use quiesce_engine::discovery::Discovery;
use quiesce_engine::plan::{DecisionTree, Plan};
use quiesce_engine::usecases::deployments;
use quiesce_engine::Result;
use serde::Serialize;

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

pub async fn run(ctx: &Ctx, a: PlanArgs) -> Result<Printed> {
    let needs = if a.discover { password_profiles(&ctx.engine, &a.deployment)? } else { vec![] };
    let e = a.secrets.apply(&ctx.engine, &needs)?;
    let view = if a.discover {
        deployments::discover(&e, &a.deployment, &ctx.cancel).await?
    } else {
        deployments::plan(&e, &a.deployment)?
    };
    done(Planned { plan: Box::new(view.plan), discovery: view.discovery.map(Box::new), tree: Box::new(view.tree) })
}

#[derive(Serialize)]
struct Planned {
    plan: Box<Plan>,
    discovery: Option<Box<Discovery>>,
    #[serde(skip)]
    tree: Box<DecisionTree>,
}

impl Report for Planned {
    fn text(&self) {
        print_plan(&self.plan, &self.tree, self.discovery.as_deref());
    }
}
