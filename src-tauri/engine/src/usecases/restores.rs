//! Restores of a whole backup into profiles of the same database families.

use super::Engine;
use crate::restore::{self, RestoreOptions, RestorePreflight, RestoreResult};
use crate::Result;
use std::path::Path;
use tokio_util::sync::CancellationToken;

/// What a restore would do: the backup's integrity, the targets' contents and
/// sessions, the mode and what a failure leaves. Touches nothing.
pub async fn dry_run(
    e: &Engine,
    backup: &str,
    root: Option<&Path>,
    opts: &RestoreOptions,
    cancel: &CancellationToken,
) -> Result<RestorePreflight> {
    restore::dry_run(e.deployments(), &e.catalog_root(root), backup, opts, cancel).await
}

/// Restores the backup (checks first), then verifies the targets unless told not to.
pub async fn run(
    e: &Engine,
    backup: &str,
    root: Option<&Path>,
    opts: &RestoreOptions,
    sink: crate::job::Sink,
    cancel: &CancellationToken,
) -> Result<RestoreResult> {
    restore::run(e.deployments(), &e.catalog_root(root), backup, opts, sink, cancel).await
}
