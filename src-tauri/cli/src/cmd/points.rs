//! `quiesce points` (the restore points of a deployment, as the GUI's
//! timeline lists them) and `quiesce runbook` (the restore runbook for one).

use super::{absolute, root, Ctx};
use crate::print::{done, emit_raw, Printed, Report};
use clap::Args;
use quiesce_engine::points::Timeline;
use quiesce_engine::runbook::Runbook;
use quiesce_engine::usecases::points::{self, At, Filter, RunbookFormat};
use quiesce_engine::Result;
use serde::Serialize;

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

pub fn points(ctx: &Ctx, a: PointsArgs) -> Result<Printed> {
    let filter = Filter { safe_only: a.safe_only, from: a.from, to: a.to };
    let t = points::timeline(&ctx.engine, &a.deployment, root(a.root).as_deref(), &filter)?;
    done(Points { timeline: Box::new(t) })
}

pub fn runbook(ctx: &Ctx, a: RunbookArgs) -> Result<Printed> {
    if a.out.as_deref().is_some_and(|o| o.trim().is_empty()) {
        return Err(quiesce_engine::Error::invalid(
            "--out needs the path of a new file (leave it out to print the runbook).",
        ));
    }
    let out = a.out.map(|p| std::path::PathBuf::from(absolute(p)));
    let x = points::export_runbook(
        &ctx.engine,
        &a.deployment,
        At::Typed(&a.at),
        root(a.root).as_deref(),
        a.format,
        out.as_deref(),
    )?;
    let text = if x.written.is_some() { None } else { Some(x.text) };
    done(Exported { runbook: Box::new(x.runbook), text, written: x.written })
}

#[derive(Serialize)]
struct Points {
    timeline: Box<Timeline>,
}

impl Report for Points {
    fn text(&self) {
        print_points(&self.timeline);
    }
}

#[derive(Serialize)]
struct Exported {
    runbook: Box<Runbook>,
    /// The rendered text when it goes to stdout (not with --out).
    #[serde(skip)]
    text: Option<String>,
    /// The file it was written to.
    written: Option<String>,
}

impl Report for Exported {
    fn text(&self) {
        match &self.text {
            Some(t) => emit_raw(t),
            None => println!(
                "Runbook for {} at {} written to {} ({} steps).",
                self.runbook.deployment,
                self.runbook.point.utc,
                self.written.as_deref().unwrap_or("?"),
                self.runbook.steps().count()
            ),
        }
    }
}

fn print_points(t: &quiesce_engine::points::Timeline) {
    use quiesce_engine::points::time;
    let at = |ms: Option<i64>| {
        ms.and_then(chrono::DateTime::from_timestamp_millis).map(time::utc).unwrap_or_else(|| "-".into())
    };
    println!("Restore points of {}:", t.deployment);
    for l in &t.lanes {
        let range = l
            .pitr
            .as_ref()
            .map(|r| {
                format!(
                    " — restorable {} … {}",
                    r.earliest_ms
                        .map(|m| at(Some(m)))
                        .unwrap_or_else(|| "unknown (set the profile's retention)".into()),
                    at(Some(r.latest_ms))
                )
            })
            .unwrap_or_default();
        println!("  storage {} ({}, {}): {}{range}", l.storage, l.label, l.profile, l.restores_by.describe());
        if let Some(a) = &l.archive {
            println!(
                "    log archive: from {} ({}) to {} ({})",
                at(a.from_ms),
                a.base.as_deref().map(|b| format!("base {b}")).unwrap_or_else(|| "no base yet".into()),
                at(a.to_ms),
                a.last.as_deref().unwrap_or("no complete log file yet")
            );
            for g in &a.gaps {
                println!(
                    "    GAP {} … {} ({} … {}): {}",
                    g.from,
                    g.to,
                    at(Some(g.from_ms)),
                    at(Some(g.to_ms)),
                    g.reason
                );
            }
        }
    }
    if t.windows.is_empty() && t.backups.is_empty() {
        println!(
            "No pause windows or backups yet. Make a restore point with `quiesce pause {}` or `quiesce backup {}`.",
            t.deployment, t.deployment
        );
    }
    for w in &t.windows {
        let state = if w.refusals.is_empty() {
            "safe".to_string()
        } else {
            format!("NOT A RESTORE POINT: {}", w.refusals.join("; "))
        };
        println!(
            "  window {}  {}  point {}{}  {state}",
            w.id,
            w.status,
            at(w.point_ms),
            w.backup_id.as_ref().map(|b| format!("  backup {b}")).unwrap_or_default()
        );
        for r in &w.reach {
            println!("    log of {}: {}: {}", r.storage, r.state.label(), r.detail);
        }
    }
    for b in &t.backups {
        let state = if b.refusals.is_empty() {
            "safe".to_string()
        } else {
            format!("NOT A RESTORE POINT: {}", b.refusals.join("; "))
        };
        println!("  backup {}  {}  point {}  {state}", b.id, at(Some(b.start_ms)), at(b.point_ms));
    }
    for d in &t.damaged {
        println!("  DAMAGED {d}");
    }
}
