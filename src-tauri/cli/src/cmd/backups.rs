//! `quiesce backups`: the catalog (the backup folders are the truth).

use super::{root, Ctx};
use crate::print::{done, print_manifest, Printed, Report};
use clap::Subcommand;
use quiesce_engine::catalog::manifest::Manifest;
use quiesce_engine::catalog::CatalogEntry;
use quiesce_engine::usecases::backups;
use quiesce_engine::Result;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum BackupsCmd {
    /// List complete backups, newest first.
    List {
        /// Another catalog folder (e.g. backups copied from another machine).
        #[arg(long, value_name = "DIR")]
        root: Option<String>,
    },
    /// Show a backup's manifest.
    Show {
        /// The backup's id (see `quiesce backups list`).
        id: String,
        /// Catalog folder to find it in (default: the catalog).
        #[arg(long, value_name = "DIR")]
        root: Option<String>,
    },
    /// Delete a backup's folder.
    Remove {
        /// The backup's id (see `quiesce backups list`).
        id: String,
        /// Catalog folder to find it in (default: the catalog).
        #[arg(long, value_name = "DIR")]
        root: Option<String>,
    },
}

pub fn run(ctx: &Ctx, cmd: BackupsCmd) -> Result<Printed> {
    let e = &ctx.engine;
    match cmd {
        BackupsCmd::List { root: r } => {
            let l = backups::list(e, root(r).as_deref())?;
            // Pause windows are restore points, not backups: `quiesce points` lists them.
            let (windows, backups): (Vec<_>, Vec<_>) = l.entries.into_iter().partition(|e| e.kind == "pause_window");
            done(List { backups, leftovers: l.leftovers, pause_windows: windows.len() })
        }
        BackupsCmd::Show { id, root: r } => {
            let (folder, m) = backups::show(e, &id, root(r).as_deref())?;
            done(Shown { backup: Box::new(m), folder })
        }
        BackupsCmd::Remove { id, root: r } => {
            done(Removed { removed: Box::new(backups::remove(e, &id, root(r).as_deref())?) })
        }
    }
}

/// Backups (complete and damaged), and leftovers Quiesce did not remove.
#[derive(Serialize)]
struct List {
    backups: Vec<CatalogEntry>,
    leftovers: Vec<CatalogEntry>,
    /// How many pause windows the catalog holds beside them.
    pause_windows: usize,
}

impl Report for List {
    fn text(&self) {
        print_catalog(&self.backups);
        if self.pause_windows > 0 {
            println!();
            println!("{} pause window(s) are restore points, not backups: `quiesce points DEPLOYMENT` lists them, `quiesce runbook DEPLOYMENT --at WINDOW` restores to one.", self.pause_windows);
        }
        if !self.leftovers.is_empty() {
            println!();
            println!("Left over, not removed by Quiesce:");
            for e in &self.leftovers {
                println!("  {}\n    {}", e.folder, e.problem.as_deref().unwrap_or(""));
            }
        }
    }
}

#[derive(Serialize)]
struct Shown {
    backup: Box<Manifest>,
    folder: PathBuf,
}

impl Report for Shown {
    fn text(&self) {
        print_manifest(&self.folder, &self.backup);
    }
}

#[derive(Serialize)]
struct Removed {
    removed: Box<Manifest>,
}

impl Report for Removed {
    fn text(&self) {
        println!("Backup {} of \"{}\" deleted.", self.removed.id, self.removed.deployment);
    }
}

fn print_catalog(c: &[CatalogEntry]) {
    if c.is_empty() {
        println!("No backups yet. Take one with `quiesce backup <deployment>`.");
        return;
    }
    println!(
        "{:<28} {:<18} {:<10} {:>10} {:>9} {:<8} {:<8} FOLDER",
        "ID", "DEPLOYMENT", "FORMAT", "SIZE", "DURATION", "TABLES", "STATUS"
    );
    for b in c {
        let status = serde_json::to_value(b.status).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        println!(
            "{:<28} {:<18} {:<10} {:>10} {:>8.1}s {:<8} {:<8} {}",
            b.id,
            b.deployment,
            b.format,
            quiesce_engine::size::human(b.bytes),
            b.duration_ms / 1000.0,
            b.tables,
            status,
            b.folder
        );
        if let Some(p) = &b.problem {
            println!("    {p}");
        }
    }
}
