//! `quiesce pause | unpause | nodes`: explicit pausing for operators, and the
//! pause-and-hold that makes a restore point for deployments restored by
//! point-in-time recovery or snapshots.

use super::{password_profiles, Ctx, JobSecrets};
use crate::output::Output;
use clap::Args;
use quiesce_engine::deployment::Deployments;
use quiesce_engine::duration::parse as parse_duration;
use quiesce_engine::pause::{self, PauseOptions};
use quiesce_engine::Result;

#[derive(Args)]
pub struct PauseArgs {
    /// The deployment (name or id).
    deployment: String,
    /// Hold the pause at least this long (e.g. 5s: a PITR restore point needs a window).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    min: std::time::Duration,
    /// How long each node may wait for its in-flight transactions (Pause's max_pause_wait_time).
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    max_wait: std::time::Duration,
    /// The clock bound of services whose time Quiesce cannot read (DynamoDB, Cosmos DB).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    clock_bound: std::time::Duration,
    /// The longest this pause may last (default: the deployment's maximum pause, 60s unless set): reached, the pause is aborted, the nodes unpaused and the window marked failed.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    max_pause: Option<std::time::Duration>,
    #[command(flatten)]
    secrets: JobSecrets,
}

#[derive(Args)]
pub struct NodesArgs {
    /// The deployment (name or id).
    deployment: String,
}

pub async fn pause(ctx: &Ctx, a: PauseArgs) -> Result<Output> {
    let needs = password_profiles(&ctx.profiles, &a.deployment)?;
    let ds = Deployments::new(a.secrets.apply(ctx.profiles.clone(), &needs)?);
    let opts =
        PauseOptions { max_wait: a.max_wait, min_hold: a.min, clock_bound: a.clock_bound, max_pause: a.max_pause };
    let w = pause::hold(&ds, &a.deployment, &opts, &ctx.events.sink(), &ctx.cancel).await?;
    Ok(Output::Window { window: Box::new(w) })
}

pub async fn unpause(ctx: &Ctx, a: NodesArgs) -> Result<Output> {
    let ds = Deployments::new(ctx.profiles.clone());
    let d = ds.get(&a.deployment)?;
    let nodes = pause::unpause_deployment(ctx.profiles.home(), &d).await?;
    Ok(Output::Nodes { deployment: d.name, nodes })
}

pub async fn nodes(ctx: &Ctx, a: NodesArgs) -> Result<Output> {
    let ds = Deployments::new(ctx.profiles.clone());
    let d = ds.get(&a.deployment)?;
    let nodes = pause::nodes_state(&d).await?;
    Ok(Output::Nodes { deployment: d.name, nodes })
}

pub fn history(ctx: &Ctx) -> Result<Output> {
    Ok(Output::History { operations: quiesce_engine::history::read(ctx.profiles.home()) })
}
