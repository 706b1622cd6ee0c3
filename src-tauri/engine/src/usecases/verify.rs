//! Verifications: a live database (a profile or a whole deployment) against
//! its metadata and optionally a backup's manifest, or a backup's files.

use super::Engine;
use crate::catalog;
use crate::job::Sink;
use crate::verify::{self, IntegrityReport, Verification, VerifyReport};
use crate::Result;
use std::path::Path;
use tokio_util::sync::CancellationToken;

/// What a name given to `verify` is: a backup (id or folder), a deployment,
/// or a profile, told apart in that order.
pub fn subject(e: &Engine, name: &str, root: Option<&Path>) -> Result<crate::subject::Subject> {
    crate::subject::classify(e.deployments(), &e.catalog_root(root), name)
}

/// A profile's live database; against a backup's manifest if given (one unit
/// of it: `unit`, or the one the profile fits).
pub async fn profile(
    e: &Engine,
    profile: &str,
    against: Option<(&str, Option<&str>)>,
    root: Option<&Path>,
    sink: Sink,
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    let m = manifest(e, against.map(|(b, _)| b), root)?;
    let against = m.as_ref().map(|m| (m, against.and_then(|(_, u)| u)));
    verify::run(e.deployments(), Verification::Profile { profile, against, deployment: None }, sink, cancel).await
}

/// Every database of a deployment at once, with one audit across them;
/// against a backup's manifest (unit by unit) if given.
pub async fn deployment(
    e: &Engine,
    deployment: &crate::deployment::Deployment,
    against: Option<&str>,
    root: Option<&Path>,
    sink: Sink,
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    let m = manifest(e, against, root)?;
    verify::run(e.deployments(), Verification::Deployment { deployment, against: m.as_ref() }, sink, cancel).await
}

/// The manifest a live database is compared with, if any.
fn manifest(
    e: &Engine,
    backup: Option<&str>,
    root: Option<&Path>,
) -> Result<Option<crate::catalog::manifest::Manifest>> {
    backup.map(|b| catalog::find(&e.catalog_root(root), b).map(|(_, m)| m)).transpose()
}

/// A backup's files against its manifest (and, for SQLite, the audit in place).
pub async fn backup(
    e: &Engine,
    id: &str,
    root: Option<&Path>,
    sink: Sink,
    cancel: &CancellationToken,
) -> Result<(IntegrityReport, Option<VerifyReport>)> {
    verify::run_backup(e.home(), &e.catalog_root(root), id, sink, cancel).await
}
