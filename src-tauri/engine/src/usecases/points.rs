//! Restore points (pause windows and backups on a timeline), picking one,
//! and the restore runbook for it.

use super::Engine;
use crate::points::{self, time, Pick, PickAt, Timeline};
use crate::runbook::{self, render, ticks::Ticks, Runbook};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;
use ts_rs::TS;

/// Which points a timeline keeps.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only points that restore every storage.
    pub safe_only: bool,
    /// Points that start at or after this time (UTC with Z, an offset, epoch ms, or local time).
    pub from: Option<String>,
    /// Points that start at or before this time.
    pub to: Option<String>,
}

/// The restore-point timeline of a deployment: lanes per storage (how each
/// restores, the PITR range), every pause window and backup the filter keeps.
pub fn timeline(e: &Engine, deployment: &str, root: Option<&Path>, filter: &Filter) -> Result<Timeline> {
    let d = e.deployments().get(deployment)?;
    let storages = e.deployments().storage_profiles(&d)?;
    // Each database's log archive, read from its folder (none: not archived).
    let archives: Vec<points::reach::Held> = crate::archive::databases(e.deployments(), &d)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|db| points::reach::Held::read(&db.dir, db.storages.clone(), db.is_pg()))
        .collect();
    let mut t = points::timeline_archived(&d, &storages, &e.catalog_root(root), &archives);
    let from = filter.from.as_deref().map(time::parse).transpose()?.map(|t| t.timestamp_millis());
    let to = filter.to.as_deref().map(time::parse).transpose()?.map(|t| t.timestamp_millis());
    let keep = |start: Option<i64>| {
        let s = start.unwrap_or(i64::MIN);
        from.is_none_or(|f| s >= f) && to.is_none_or(|u| s <= u)
    };
    t.windows.retain(|w| keep(w.start_ms) && (!filter.safe_only || w.refusals.is_empty()));
    t.backups.retain(|b| keep(Some(b.start_ms)) && (!filter.safe_only || b.refusals.is_empty()));
    Ok(t)
}

/// Picks a point (a window, a backup or a typed time), or refuses with the reason.
pub fn pick(e: &Engine, deployment: &str, at: &PickAt) -> Result<Pick> {
    points::pick(&timeline(e, deployment, None, &Filter::default())?, at)
}

/// A point as the user gave it: picked on the timeline (the GUI), or typed
/// (`--at`: a window id, a backup id or a time, told apart on the timeline).
#[derive(Debug, Clone, Copy)]
pub enum At<'a> {
    Picked(&'a PickAt),
    Typed(&'a str),
}

/// The restore runbook of a deployment for a point.
pub fn runbook(e: &Engine, deployment: &str, at: At<'_>, root: Option<&Path>) -> Result<Runbook> {
    let root = e.catalog_root(root);
    match at {
        At::Picked(p) => runbook::for_point(e.deployments(), &root, deployment, p),
        At::Typed(t) => runbook::for_text(e.deployments(), &root, deployment, t),
    }
}

/// The runbook for a point with the steps ticked so far (kept across restarts).
pub fn runbook_with_ticks(e: &Engine, deployment: &str, at: &PickAt) -> Result<(Runbook, Ticks)> {
    let rb = runbook(e, deployment, At::Picked(at), None)?;
    let ticks = runbook::ticks::load(e.home(), &rb.deployment_id, &rb.key)?;
    Ok((rb, ticks))
}

/// Ticks or unticks a runbook step.
pub fn set_tick(e: &Engine, deployment: &str, key: &str, step: &str, done: bool) -> Result<Ticks> {
    let d = e.deployments().get(deployment)?;
    runbook::ticks::set(e.home(), &d.id, key, step, done)
}

/// How a runbook is written out.
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RunbookFormat {
    /// Markdown, a checklist to follow.
    Md,
    /// A bash script: the commands, with the checks between them.
    Sh,
    /// The runbook itself, as JSON.
    Json,
}

/// A runbook written out.
pub struct Exported {
    pub runbook: Runbook,
    pub text: String,
    /// The file it was written to (absolute), if one was given.
    pub written: Option<String>,
}

/// The runbook for a point as text; also written to `out` (an absolute path
/// of a new file, never overwritten) when given.
pub fn export_runbook(
    e: &Engine,
    deployment: &str,
    at: At<'_>,
    root: Option<&Path>,
    format: RunbookFormat,
    out: Option<&Path>,
) -> Result<Exported> {
    if let Some(p) = out.filter(|p| !p.is_absolute()) {
        return Err(Error::invalid(format!(
            "{} is not an absolute path; give the whole path of a new file.",
            p.display()
        )));
    }
    let rb = runbook(e, deployment, at, root)?;
    let text = match format {
        RunbookFormat::Md => render::markdown(&rb),
        RunbookFormat::Sh => render::shell(&rb),
        RunbookFormat::Json => {
            serde_json::to_string_pretty(&rb).map_err(|err| Error::internal(err.to_string()))? + "\n"
        }
    };
    if let Some(p) = out {
        runbook::write_new(p, &text, format == RunbookFormat::Sh)?;
    }
    Ok(Exported { runbook: rb, text, written: out.map(|p| p.display().to_string()) })
}
