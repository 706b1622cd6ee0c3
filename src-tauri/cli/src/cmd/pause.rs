//! `quiesce pause | unpause | nodes`: explicit pausing for operators, and the
//! pause-and-hold that makes a restore point for deployments restored by
//! point-in-time recovery or snapshots.

use super::{password_profiles, Ctx, JobSecrets};
use crate::print::{done, Printed, Report, EXIT_UNSAFE_WINDOW};
use clap::Args;
use quiesce_engine::catalog::window::PauseWindow;
use quiesce_engine::duration::parse as parse_duration;
use quiesce_engine::history::Operation;
use quiesce_engine::pause::{NodeState, PauseOptions};
use quiesce_engine::usecases::{self, pauses};
use quiesce_engine::{ErrorCode, Result};
use serde::Serialize;

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

pub async fn pause(ctx: &Ctx, a: PauseArgs) -> Result<Printed> {
    let needs = password_profiles(&ctx.engine, &a.deployment)?;
    let e = a.secrets.apply(&ctx.engine, &needs)?;
    let opts =
        PauseOptions { max_wait: a.max_wait, min_hold: a.min, clock_bound: a.clock_bound, max_pause: a.max_pause };
    let w = pauses::hold(&e, &a.deployment, &opts, &ctx.events.sink(), &ctx.cancel).await?;
    done(Window { window: Box::new(w) })
}

pub async fn unpause(ctx: &Ctx, a: NodesArgs) -> Result<Printed> {
    let (d, nodes) = pauses::unpause(&ctx.engine, &a.deployment).await?;
    done(Nodes { deployment: d.name, nodes })
}

pub async fn nodes(ctx: &Ctx, a: NodesArgs) -> Result<Printed> {
    let (d, nodes) = pauses::nodes(&ctx.engine, &a.deployment).await?;
    done(Nodes { deployment: d.name, nodes })
}

pub fn history(ctx: &Ctx) -> Result<Printed> {
    done(History { operations: usecases::history(&ctx.engine) })
}

/// A pause window: flattened, so `--json` carries the Kubernetes pause
/// tool's fields (`pause_start_timestamp_ms`, …) at the top level.
#[derive(Serialize)]
struct Window {
    #[serde(flatten)]
    window: Box<PauseWindow>,
}

impl Report for Window {
    fn text(&self) {
        print_window(&self.window);
    }

    /// An unsafe or failed window is never a success: it is no restore point.
    fn exit_status(&self) -> i32 {
        if self.window.safe {
            0
        } else {
            EXIT_UNSAFE_WINDOW
        }
    }
}

#[derive(Serialize)]
struct Nodes {
    deployment: String,
    nodes: Vec<NodeState>,
}

impl Report for Nodes {
    fn text(&self) {
        println!("Scalar Admin nodes of \"{}\":", self.deployment);
        for n in &self.nodes {
            let state = match (n.paused, &n.error) {
                (Some(true), _) => "PAUSED".to_string(),
                (Some(false), _) => "running".to_string(),
                (None, Some(e)) => format!("unreachable: {e}"),
                (None, None) => "?".to_string(),
            };
            println!("  {:<40} {state}", n.node.label());
        }
    }

    fn exit_status(&self) -> i32 {
        if self.nodes.iter().any(|n| n.error.is_some()) {
            ErrorCode::ConnectionRefused.exit_code()
        } else {
            0
        }
    }
}

#[derive(Serialize)]
struct History {
    operations: Vec<Operation>,
}

impl Report for History {
    fn text(&self) {
        if self.operations.is_empty() {
            println!("No operations recorded yet.");
        }
        for o in &self.operations {
            println!(
                "{}  {:<16} {:<10} {:<18} {:<9} {}@{}  {}",
                o.at.format("%Y-%m-%d %H:%M:%S UTC"),
                o.op,
                o.outcome,
                o.deployment,
                o.entry.as_deref().unwrap_or("-"),
                o.user,
                o.host,
                o.what
            );
        }
    }
}

fn print_window(w: &quiesce_engine::catalog::window::PauseWindow) {
    let verdict = match w.status.as_str() {
        "ok" => "a safe restore point",
        "unsafe" => "UNSAFE: not a restore point",
        _ => "FAILED: not a restore point",
    };
    println!("Pause window {} of \"{}\": {verdict}", w.id, w.deployment);
    if let (Some(s), Some(e)) = (&w.pause_start_date_time, &w.pause_end_date_time) {
        println!("  paused       {s} .. {e} ({:.0} ms)", w.paused_ms.unwrap_or(0.0));
    }
    if let (Some(a), Some(b)) = (w.safe_from, w.safe_to) {
        println!("  safe         {} .. {}", a.to_rfc3339(), b.to_rfc3339());
    }
    if let Some(rp) = w.restore_point {
        println!(
            "  restore point {} UTC · {} · epoch ms {}",
            rp.format("%Y-%m-%d %H:%M:%S%.3f"),
            rp.with_timezone(&chrono::Local).to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            rp.timestamp_millis()
        );
    }
    for n in &w.nodes {
        println!(
            "  node         {:<36} {}{}{}",
            n.node.label(),
            if n.paused { "paused" } else { "not paused" },
            if n.unpaused { ", unpaused" } else { ", NOT UNPAUSED" },
            n.error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
        );
    }
    for o in &w.offsets {
        if o.uncertainty_ms.is_finite() {
            println!("  clock        {:<24} {:+.1} ms ± {:.1} ({})", o.source, o.offset_ms, o.uncertainty_ms, o.how);
        } else {
            println!("  clock        {:<24} unknown ({})", o.source, o.how);
        }
    }
    for p in &w.positions {
        println!("  log          {}", p.describe());
    }
    for p in &w.problems {
        println!("  problem      {p}");
    }
}
