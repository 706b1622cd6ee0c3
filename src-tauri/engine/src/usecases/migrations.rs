//! Migrations of a deployment to other databases (another engine, or several
//! storages into one), consistent, with the transaction metadata, proven.

use super::Engine;
use crate::job::Sink;
use crate::migrate::job::{self, MigrateOptions, MigrationPlan, MigrationResult};
use crate::{Error, Result};
use std::path::Path;
use tokio_util::sync::CancellationToken;

/// The target layout per table, the checks, the new properties and what an
/// earlier run left. Writes nothing to the targets and pauses nothing.
pub async fn dry_run(
    e: &Engine,
    deployment: &str,
    opts: &MigrateOptions,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<MigrationPlan> {
    job::dry_run(e.deployments(), deployment, opts, sink, cancel).await
}

/// Runs the migration and proves it; with `properties_out`, also writes the
/// new database.properties there.
pub async fn run(
    e: &Engine,
    deployment: &str,
    opts: &MigrateOptions,
    properties_out: Option<&Path>,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<MigrationResult> {
    let mut r = job::migrate(e.deployments(), deployment, opts, sink, cancel).await?;
    if let Some(f) = properties_out {
        crate::store::write_atomic(f, r.plan.properties.as_bytes())?;
        r.properties_file = Some(f.display().to_string());
    }
    Ok(r)
}

/// Drops what an earlier, failed migration left on these profiles. Returns what it dropped.
pub async fn cleanup(e: &Engine, profiles: &[String]) -> Result<Vec<String>> {
    job::cleanup(e.deployments(), profiles).await
}

/// Writes a migration's new database.properties to `path` (absolute, a new file).
pub fn save_properties(path: &Path, text: &str) -> Result<()> {
    if !path.is_absolute() {
        return Err(Error::invalid(format!(
            "{} is not an absolute path; give the whole path of a new file.",
            path.display()
        )));
    }
    crate::runbook::write_new(path, text, false)
}
