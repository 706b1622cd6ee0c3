//! One unit's dump: what the engines share (the running job, its progress
//! and log, the tools' run), and the dispatch to the engine that dumps it.

use super::prepare::{format_of, UnitCtx};
use super::BackupOptions;
use crate::catalog::manifest::{ConsistencyBasis, ManifestFile, ManifestTable, ManifestTool, ManifestUnit};
use crate::discovery::StorageDiscovery;
use crate::error::{Error, ErrorCode, Result};
use crate::job::{JobEvent, Journal, Live, Sink};
use crate::profile::DbKind;
use crate::sensitive::Sensitive;
use crate::tools::pipeline::{self, Run, Stall};
use std::path::Path;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// What the engine backups share: the decided context and the running job.
pub(super) struct Dump<'a> {
    pub unit: &'a UnitCtx,
    pub opts: &'a BackupOptions,
    pub password: Option<&'a Sensitive<String>>,
    /// The folder the unit's output goes into.
    pub dir: &'a Path,
    /// Its path in the backup folder, for the manifest's file names.
    pub prefix: String,
    pub live: &'a Arc<Live>,
    pub sink: &'a Sink,
    pub cancel: &'a CancellationToken,
    pub journal: &'a Journal,
}

/// What an engine's dump produced.
pub(super) struct Done {
    pub tool: Option<ManifestTool>,
    pub consistency: ConsistencyBasis,
    pub tables: Vec<ManifestTable>,
    /// Named relative to the unit's folder.
    pub files: Vec<ManifestFile>,
    pub restore_hint: String,
    pub notes: Vec<String>,
    pub writers_blocked_ms: Option<f64>,
}

impl Dump<'_> {
    /// The password, for a credential file (empty without one).
    pub fn pw(&self) -> &str {
        self.password.map(|s| s.expose().as_str()).unwrap_or("")
    }

    /// The tools' `application_name`: the job, so their sessions can be watched.
    pub fn session(&self) -> String {
        format!("quiesce-{}", self.journal.id())
    }

    /// A run of the native tools: progress counters, the log, cancel, and a
    /// stall policy that asks the server whether the tools' sessions work.
    pub fn run(&self, log: pipeline::LogFn, namespaces: &[String]) -> Run<'_> {
        Run {
            counters: self.live.counters.clone(),
            log,
            cancel: self.cancel,
            stall: Stall::default_policy().with_server(crate::live::server_probe(
                &self.unit.profile,
                self.password,
                &self.session(),
                namespaces,
            )),
        }
    }

    /// The tool's log lines to the sink; a line with `marker` means the tool
    /// started a table (progress).
    pub fn log_sink(&self, marker: &'static str) -> pipeline::LogFn {
        let (sink, live) = (self.sink.clone(), self.live.clone());
        Arc::new(move |line: String| {
            if line.contains(marker) {
                live.table_started(&line);
            }
            sink(JobEvent::Log { line });
        })
    }
}

/// Dumps one unit with its engine; the user's grants are read beside it
/// (for a restore elsewhere to re-apply). Returns the unit's manifest entry.
pub(super) async fn dump_unit(job: &Dump<'_>) -> Result<ManifestUnit> {
    let u = job.unit;
    job.live
        .add_tables(u.found.tables.iter().map(|t| (t.physical_name.clone(), t.size_bytes.unwrap_or(1).max(1) as u64)));
    let engine = async {
        match u.profile.kind {
            DbKind::Postgresql => super::postgres::dump(job).await,
            DbKind::Mysql if super::prepare::parallel_mysql(job.opts, &u.profile) => super::mydumper::dump(job).await,
            DbKind::Mysql => super::mysql::dump(job).await,
            DbKind::Sqlite => super::sqlite::dump(job).await,
            _ => Err(Error::internal("a unit Quiesce does not dump")),
        }
    };
    let grants = async {
        match u.profile.kind {
            DbKind::Sqlite => None,
            _ => crate::grants::record(&u.profile, job.password, &u.found.namespaces).await,
        }
    };
    let (done, grants) = tokio::join!(engine, grants);
    let done = done?;
    let p = &u.profile;
    Ok(ManifestUnit {
        id: u.unit.id.clone(),
        storages: u.storages.iter().map(|s| s.name.clone()).collect(),
        profile: p.name.clone(),
        kind: p.kind,
        flavor: p.flavor,
        target: p.target(),
        product: u.found.product.clone(),
        server_version: u.found.server_version.clone(),
        file_owner: (p.kind == DbKind::Sqlite)
            .then(|| crate::catalog::manifest::FileOwner::of(Path::new(p.path.as_deref().unwrap_or(""))))
            .flatten(),
        namespaces: u.found.namespaces.clone(),
        format: if p.kind == DbKind::Sqlite { "sqlite".into() } else { format_of(job.opts, p.kind).as_str().into() },
        tool: done.tool,
        consistency: done.consistency,
        grants,
        tables: done.tables,
        files: done
            .files
            .into_iter()
            .map(|f| ManifestFile { name: format!("{}{}", job.prefix, f.name), ..f })
            .collect(),
        writers_blocked_ms: done.writers_blocked_ms,
        restore_hint: done.restore_hint,
        notes: done.notes,
    })
}

pub(super) fn tool_of(found: &StorageDiscovery, name: &str) -> Option<ManifestTool> {
    found.tools.iter().find(|t| t.tool == name).map(|t| ManifestTool {
        name: t.tool.clone(),
        path: t.path.clone().unwrap_or_default(),
        version: t.version.clone().unwrap_or_default(),
    })
}

/// Hashes every file of a directory output (pg_dump -Fd, mydumper).
pub(super) fn hash_dir(dir: &Path, prefix: &str) -> Result<Vec<ManifestFile>> {
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    entries
        .iter()
        .map(|e| {
            let (sha256, bytes) = crate::catalog::manifest::sha256_file(&e.path())?;
            Ok(ManifestFile { name: format!("{prefix}/{}", e.file_name().to_string_lossy()), bytes, sha256 })
        })
        .collect()
}

/// Bytes of the files in a directory (a tool's own output, for progress and the watchdog).
pub(super) fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).into_iter().flatten().flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum()
}

/// The manifest's tables from rows counted in the dump stream itself (exact);
/// a ScalarDB table the stream did not hold means the dump is incomplete.
pub(super) fn streamed_counts(
    found: &StorageDiscovery,
    counts: &std::collections::HashMap<(String, String), i64>,
    missing: &str,
) -> Result<Vec<ManifestTable>> {
    found
        .tables
        .iter()
        .map(|t| {
            let rows = counts.get(&(t.namespace.clone(), t.table.clone())).copied().ok_or_else(|| {
                Error::new(ErrorCode::DatabaseError, format!("{missing} {}: the dump is incomplete.", t.physical_name))
            })?;
            Ok(ManifestTable::counted(t, Some(rows), true))
        })
        .collect()
}
