//! `quiesce points` (the restore points of a deployment, as the GUI's
//! timeline lists them) and `quiesce runbook` (the restore runbook for one).

use super::Ctx;
use crate::output::Output;
use clap::{Args, ValueEnum};
use quiesce_engine::deployment::Deployments;
use quiesce_engine::points::{self, time};
use quiesce_engine::runbook::{self, render};
use quiesce_engine::{Error, Result};

#[derive(Args)]
pub struct PointsArgs {
    /// The deployment (name or id).
    deployment: String,
    /// Only points that restore every storage (safe windows, backups taken in them).
    #[arg(long)]
    safe_only: bool,
    /// From this time (UTC with Z, with an offset, epoch ms, or local time).
    #[arg(long, value_name = "TIME")]
    from: Option<String>,
    /// Up to this time.
    #[arg(long, value_name = "TIME")]
    to: Option<String>,
    /// Catalog folder (default: the catalog).
    #[arg(long, value_name = "DIR")]
    root: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum RunbookFormat {
    Md,
    Sh,
    Json,
}

#[derive(Args)]
pub struct RunbookArgs {
    /// The deployment (name or id).
    deployment: String,
    /// The point: a pause window id, a backup id, or a time inside a safe window
    /// (UTC with Z, with an offset, epoch ms, or local time "2026-11-30 15:02:11").
    #[arg(long, value_name = "TIME|WINDOW|BACKUP")]
    at: String,
    /// md (Markdown, default), sh (a bash script) or json.
    #[arg(long, value_enum, default_value = "md")]
    format: RunbookFormat,
    /// Write it to this file (new; never overwritten) instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<String>,
    /// Catalog folder (default: the catalog).
    #[arg(long, value_name = "DIR")]
    root: Option<String>,
}

pub fn points(ctx: &Ctx, a: PointsArgs) -> Result<Output> {
    let ds = Deployments::new(ctx.profiles.clone());
    let d = ds.get(&a.deployment)?;
    let storages = ds.storage_profiles(&d)?;
    let root = ctx.catalog_root(a.root);
    let mut t = points::timeline(&d, &storages, &root);
    let from = a.from.as_deref().map(time::parse).transpose()?.map(|t| t.timestamp_millis());
    let to = a.to.as_deref().map(time::parse).transpose()?.map(|t| t.timestamp_millis());
    let keep = |start: Option<i64>| {
        let s = start.unwrap_or(i64::MIN);
        from.is_none_or(|f| s >= f) && to.is_none_or(|u| s <= u)
    };
    t.windows.retain(|w| keep(w.start_ms) && (!a.safe_only || w.refusals.is_empty()));
    t.backups.retain(|b| keep(Some(b.start_ms)) && (!a.safe_only || b.refusals.is_empty()));
    Ok(Output::Points { timeline: Box::new(t) })
}

pub fn runbook(ctx: &Ctx, a: RunbookArgs) -> Result<Output> {
    let ds = Deployments::new(ctx.profiles.clone());
    let root = ctx.catalog_root(a.root);
    let rb = runbook::for_text(&ds, &root, &a.deployment, &a.at)?;
    let text = match a.format {
        RunbookFormat::Md => render::markdown(&rb),
        RunbookFormat::Sh => render::shell(&rb),
        RunbookFormat::Json => serde_json::to_string_pretty(&rb).map_err(|e| Error::internal(e.to_string()))? + "\n",
    };
    let written = match &a.out {
        Some(path) => {
            runbook::write_new(std::path::Path::new(path), &text, matches!(a.format, RunbookFormat::Sh))?;
            Some(super::absolute(path.clone()))
        }
        None => None,
    };
    Ok(Output::Runbook { runbook: Box::new(rb), text: if written.is_some() { None } else { Some(text) }, written })
}
