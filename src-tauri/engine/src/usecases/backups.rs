//! Backups and the catalog (the backup folders are the truth).

use super::Engine;
use crate::backup::{self, BackupOptions, Preflight};
use crate::catalog::manifest::Manifest;
use crate::catalog::{self, CatalogEntry};
use crate::job::Sink;
use crate::{Error, ErrorCode, Result};
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// The plan, the checks and the commands of a backup; runs nothing.
pub async fn dry_run(
    e: &Engine,
    deployment: &str,
    opts: &BackupOptions,
    cancel: &CancellationToken,
) -> Result<Preflight> {
    backup::dry_run(e.deployments(), deployment, opts, cancel).await
}

/// Takes a backup of every storage of the deployment from one point (inside
/// one pause when the plan needs one). Returns its folder and manifest.
pub async fn run(
    e: &Engine,
    deployment: &str,
    opts: &BackupOptions,
    sink: Sink,
    cancel: &CancellationToken,
) -> Result<(PathBuf, Manifest)> {
    backup::run(e.deployments(), deployment, opts, sink, cancel).await
}

/// A catalog folder's contents.
pub struct Listing {
    /// Backups (complete and damaged) and pause windows, newest first.
    pub entries: Vec<CatalogEntry>,
    /// Unfinished backup folders no job of this machine owns, under the
    /// listed folder and every folder a backup was written to.
    pub leftovers: Vec<CatalogEntry>,
}

/// The catalog of `root` (default: the catalog). A folder given that does
/// not exist is an error, not an empty catalog (a typo would look like one).
pub fn list(e: &Engine, root: Option<&Path>) -> Result<Listing> {
    if let Some(r) = root.filter(|r| !r.is_dir()) {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "{} is not a folder: give the catalog folder that holds the backups (default: {}).",
                r.display(),
                e.catalog_root(None).display()
            ),
        ));
    }
    let listed = e.catalog_root(root);
    let mut roots = catalog::known_roots(e.home());
    if !roots.contains(&listed) {
        roots.insert(0, listed.clone());
    }
    Ok(Listing { entries: catalog::list(&listed), leftovers: catalog::leftovers(e.home(), &roots) })
}

/// A backup's folder and manifest, by id or folder.
pub fn show(e: &Engine, id: &str, root: Option<&Path>) -> Result<(PathBuf, Manifest)> {
    catalog::find(&e.catalog_root(root), id)
}

/// Deletes a backup's folder; returns what it held.
pub fn remove(e: &Engine, id: &str, root: Option<&Path>) -> Result<Manifest> {
    catalog::delete(&e.catalog_root(root), id)
}

/// Opens a backup's folder in the desktop's file manager.
pub fn open_folder(e: &Engine, id: &str) -> Result<()> {
    let (dir, _) = show(e, id, None)?;
    let cmd = crate::tools::CommandLine::new("xdg-open").operand(dir.display().to_string());
    crate::tools::spawn_detached(&cmd).map_err(|err| {
        Error::new(
            ErrorCode::Unsupported,
            format!("Could not open a file manager ({}). The folder is {}.", err.message, dir.display()),
        )
    })
}
