//! Sealing a backup, once for all its units: the folder made private, the
//! manifest written last, the folder renamed from `<id>.partial` to `<id>`.

use super::prepare::Context;
use crate::catalog::manifest::{Manifest, ManifestPause, ManifestUnit, MANIFEST, SCHEMA_VERSION};
use crate::error::{Error, Result};
use crate::job::{self, Journal, Live, Sink};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Arc;

pub(super) struct Seal<'a> {
    pub ctx: &'a Context,
    pub id: &'a str,
    pub started_at: DateTime<Utc>,
    pub partial: &'a Path,
    pub final_dir: &'a Path,
    pub journal: &'a Journal,
    pub live: &'a Arc<Live>,
}

impl Seal<'_> {
    pub fn seal(&self, units: Vec<ManifestUnit>, pause: Option<ManifestPause>, sink: &Sink) -> Result<Manifest> {
        self.live.set_phase("finishing");
        job::phase(sink, "finishing", "Writing the manifest and sealing the backup…");
        let d = &self.ctx.deployment;
        let finished_at = Utc::now();
        // Schema 3 only says more (log positions): a backup without one stays
        // readable by the release before.
        let schema_version = if units.iter().any(|u| u.log_position.is_some()) { SCHEMA_VERSION } else { 2 };
        let m = Manifest {
            schema_version,
            id: self.id.to_string(),
            deployment_id: d.id.clone(),
            deployment: d.name.clone(),
            method: self.ctx.plan.method,
            decision_path: self.ctx.plan.path.clone(),
            started_at: self.started_at,
            finished_at,
            duration_ms: (finished_at - self.started_at).num_milliseconds() as f64,
            system_namespace: d.system_namespace.clone(),
            coordinator_namespace: d.coordinator_namespace.clone(),
            namespace_mapping: d.namespace_mapping.clone(),
            units,
            pause,
            notes: vec![],
        };
        exactly_the_listed_files(self.partial, &m)?;
        let bytes = serde_json::to_vec_pretty(&m).map_err(|e| Error::internal(e.to_string()))?;
        // Private whatever the tools chose (pg_dump -Fd and mydumper create their files).
        crate::paths::make_private(self.partial)?;
        crate::store::write_atomic(&self.partial.join(MANIFEST), &bytes)?;
        std::fs::rename(self.partial, self.final_dir).map_err(|e| Error::io("seal", self.final_dir, e))?;
        self.journal.release(self.partial)?;
        if let Some(parent) = self.final_dir.parent() {
            let _ = std::fs::File::open(parent).and_then(|d| d.sync_all());
        }
        let _ = sink;
        tracing::info!(deployment = %m.deployment, id = %m.id, bytes = m.total_bytes(), units = m.units.len(), "backup complete");
        Ok(m)
    }
}

/// A sealed folder holds exactly the manifest's files: side files SQLite
/// made beside a copy are removed; anything else unlisted is a bug, and the
/// backup fails rather than seal a folder its manifest does not describe.
fn exactly_the_listed_files(partial: &Path, m: &Manifest) -> Result<()> {
    use crate::catalog::manifest::{is_sqlite_side_file, unlisted_files};
    let listed: Vec<&str> = m.files().map(|f| f.name.as_str()).collect();
    let mut stray = Vec::new();
    for f in unlisted_files(partial, &listed) {
        if is_sqlite_side_file(&f, &listed) {
            let p = partial.join(&f);
            std::fs::remove_file(&p).map_err(|e| Error::io("remove", &p, e))?;
        } else {
            stray.push(f);
        }
    }
    if !stray.is_empty() {
        return Err(Error::internal(format!(
            "the backup folder holds files its manifest does not list ({}); nothing was sealed.",
            stray.join(", ")
        )));
    }
    Ok(())
}
