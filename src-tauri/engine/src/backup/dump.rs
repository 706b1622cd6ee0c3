//! One unit's dump: what the engines share (the running job, its progress
//! and log, the tools' run), and the dispatch to the engine that dumps it.

use super::prepare::{format_of, UnitCtx};
use super::BackupOptions;
use crate::catalog::manifest::{ConsistencyBasis, ManifestFile, ManifestTable, ManifestTool, ManifestUnit};
use crate::catalog::window::{LogAt, LogBasis};
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
    /// Called once the unit's snapshot is open (a pause can end then).
    pub opened: Option<Opened>,
    /// In a pause: the unit says it is ready (connected, its files written)
    /// and opens its snapshot only once every node is paused.
    pub gate: Option<Gate>,
}

/// Told once a unit's snapshot is open.
pub type Opened = Arc<dyn Fn() + Send + Sync>;

/// A pause's start line: every unit gets ready first (the slow part:
/// passwords, connections), then all open their snapshots once it is released.
pub struct Go {
    released: std::sync::Mutex<bool>,
    cv: std::sync::Condvar,
    notify: tokio::sync::Notify,
}

impl Go {
    pub fn new() -> Arc<Go> {
        Arc::new(Go {
            released: std::sync::Mutex::new(false),
            cv: std::sync::Condvar::new(),
            notify: tokio::sync::Notify::new(),
        })
    }

    pub fn release(&self) {
        *self.released.lock().unwrap() = true;
        self.cv.notify_all();
        self.notify.notify_waiters();
    }

    fn is_released(&self) -> bool {
        *self.released.lock().unwrap()
    }

    /// Waits for the release (or the cancel).
    pub async fn wait(&self, cancel: &CancellationToken) -> Result<()> {
        loop {
            let n = self.notify.notified();
            if self.is_released() {
                return Ok(());
            }
            tokio::select! {
                _ = n => {}
                _ = cancel.cancelled() => return Err(Error::cancelled_job()),
                // A release between the check and the wait is seen at the next turn.
                _ = tokio::time::sleep(std::time::Duration::from_millis(50)) => {}
            }
        }
    }

    /// The same, for a blocking thread (SQLite's copy).
    pub fn wait_blocking(&self, cancel: &CancellationToken) -> Result<()> {
        let mut r = self.released.lock().unwrap();
        while !*r {
            if cancel.is_cancelled() {
                return Err(Error::cancelled_job());
            }
            r = self.cv.wait_timeout(r, std::time::Duration::from_millis(20)).unwrap().0;
        }
        Ok(())
    }
}

/// A unit's part of the start line.
#[derive(Clone)]
pub struct Gate {
    pub ready: Opened,
    pub go: Arc<Go>,
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
    /// The database's log position the dump itself read, and how.
    pub log: Option<(LogAt, LogBasis)>,
}

impl Dump<'_> {
    /// Says the unit is ready and waits for the start (no gate: at once).
    pub async fn ready_then_go(&self) -> Result<()> {
        match &self.gate {
            Some(g) => {
                (g.ready)();
                g.go.wait(self.cancel).await
            }
            None => Ok(()),
        }
    }

    /// Says the unit's snapshot is open (once; later calls do nothing harmful).
    pub fn snapshot_open(&self) {
        if let Some(f) = &self.opened {
            f();
        }
    }

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
    // A cancel ends the unit at once, wherever it waits (a server that stopped
    // answering mid-statement included): what it started is dropped with it.
    let (done, grants) = tokio::select! {
        r = async { tokio::join!(engine, grants) } => r,
        _ = job.cancel.cancelled() => return Err(Error::cancelled_job()),
    };
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
        log_basis: done.log.as_ref().map(|l| l.1),
        log_position: done.log.map(|l| l.0),
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
pub(crate) fn dir_bytes(dir: &Path) -> u64 {
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
