//! `quiesce backups`: the catalog (the backup folders are the truth).

use super::Ctx;
use crate::output::Output;
use clap::Subcommand;
use quiesce_engine::catalog;
use quiesce_engine::Result;

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

pub fn run(ctx: &Ctx, cmd: BackupsCmd) -> Result<Output> {
    let home = ctx.profiles.home();
    match cmd {
        BackupsCmd::List { root } => {
            let listed = ctx.catalog_root(root);
            let mut roots = catalog::known_roots(home);
            if !roots.contains(&listed) {
                roots.insert(0, listed.clone());
            }
            let (windows, backups): (Vec<_>, Vec<_>) =
                catalog::list(&listed).into_iter().partition(|e| e.kind == "pause_window");
            Ok(Output::Catalog { backups, leftovers: catalog::leftovers(home, &roots), pause_windows: windows.len() })
        }
        BackupsCmd::Show { id, root } => {
            let (folder, m) = catalog::find(&ctx.catalog_root(root), &id)?;
            Ok(Output::BackupShown { backup: Box::new(m), folder })
        }
        BackupsCmd::Remove { id, root } => {
            Ok(Output::BackupRemoved { removed: Box::new(catalog::delete(&ctx.catalog_root(root), &id)?) })
        }
    }
}
