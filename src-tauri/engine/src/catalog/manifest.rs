//! The manifest of a backup (`manifest.json`, written last into the backup's
//! folder). Schema 2: a backup is a list of units — one database snapshot
//! each, with its storages, profile, engine, tool, format, consistency
//! basis, tables with their row counts, and files with their sizes and
//! SHA-256 — plus the deployment's namespace mapping and, for backups taken
//! inside a pause, the pause window. Schema-1 manifests (one database per
//! backup, written before units existed) are read as one unit; a manifest of
//! a newer schema is refused with what to do.

use crate::deployment::NamespaceMapping;
use crate::error::{Error, Result};
use crate::plan::{Method, PathStep};
use crate::profile::{DbKind, Flavor};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;
use ts_rs::TS;

pub const MANIFEST: &str = "manifest.json";
/// 3: a unit keeps its database's log position (`log_position`) when one
/// was read: inside a pause, in the dump's own snapshot, or (marked
/// `log_basis: approximate`) beside it. Schema 2 manifests load as they are, without it, and a
/// backup with no position is still written as 2.
pub const SCHEMA_VERSION: u32 = 3;
pub const PARTIAL_SUFFIX: &str = ".partial";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ManifestFile {
    /// Relative to the backup's folder (`<unit id>/…` in a backup of several units).
    pub name: String,
    #[ts(type = "number")]
    pub bytes: u64,
    pub sha256: String,
}

impl ManifestFile {
    /// What a tool fed this file checks it against.
    pub fn digest(&self) -> crate::tools::digest::FileDigest {
        crate::tools::digest::FileDigest { name: self.name.clone(), bytes: self.bytes, sha256: self.sha256.clone() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ManifestTable {
    pub namespace: String,
    pub table: String,
    pub physical_name: String,
    #[ts(type = "number | null")]
    pub rows: Option<i64>,
    /// False when the count could not share the dump's snapshot.
    pub rows_exact: bool,
    pub is_coordinator: bool,
}

impl ManifestTable {
    /// A discovered table with the rows counted for the manifest.
    pub fn counted(t: &crate::discovery::TableInfo, rows: Option<i64>, rows_exact: bool) -> Self {
        ManifestTable {
            namespace: t.namespace.clone(),
            table: t.table.clone(),
            physical_name: t.physical_name.clone(),
            rows,
            rows_exact,
            is_coordinator: t.is_coordinator,
        }
    }
}

/// SHA-256 and length of what `r` yields, read through `buf`; `each` sees
/// the bytes of every read and may stop it (cancel). The one hashing loop of
/// backups (written files) and of their checks.
pub fn sha256_of(
    r: &mut dyn std::io::Read,
    path: &Path,
    buf: &mut [u8],
    each: &mut dyn FnMut(u64) -> Result<()>,
) -> Result<(String, u64)> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut total = 0u64;
    loop {
        let n = r.read(buf).map_err(|e| Error::io("read", path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        total += n as u64;
        each(n as u64)?;
    }
    Ok((format!("{:x}", h.finalize()), total))
}

/// A whole file's SHA-256 and length.
pub fn sha256_file(path: &Path) -> Result<(String, u64)> {
    let mut f = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
    sha256_of(&mut f, path, &mut vec![0u8; 1 << 20], &mut |_| Ok(()))
}

/// What a unit's consistency rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConsistencyBasis {
    /// `pg_exported_snapshot`, `mysql_single_transaction`, `mydumper_consistent_snapshot`, `sqlite_read_transaction`.
    pub kind: String,
    /// The exported snapshot id, when there is one.
    pub snapshot: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FileOwner {
    pub uid: u32,
    pub gid: u32,
    /// Permission bits (e.g. 0o640 = 416).
    pub mode: u32,
}

impl FileOwner {
    pub fn of(path: &Path) -> Option<FileOwner> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        Some(FileOwner { uid: m.uid(), gid: m.gid(), mode: m.mode() & 0o7777 })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ManifestTool {
    pub name: String,
    pub path: String,
    pub version: String,
}

/// One database snapshot of a backup: the storages it holds (several
/// storages may share one database), where it was read and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ManifestUnit {
    /// The plan's unit id (`u1`, `u2`, …).
    pub id: String,
    /// The deployment's storages this database holds.
    pub storages: Vec<String>,
    /// The profile it was read through.
    pub profile: String,
    pub kind: DbKind,
    pub flavor: Flavor,
    pub target: String,
    pub product: Option<String>,
    pub server_version: Option<String>,
    /// SQLite: the source file's owner, group and mode, which a restore into
    /// a new file gives it (so ScalarDB's user can open it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_owner: Option<FileOwner>,
    /// The ScalarDB namespaces it holds (coordinator and metadata included).
    pub namespaces: Vec<String>,
    /// default (custom format compressed by zstd), plain, custom, directory, sqlite.
    pub format: String,
    pub tool: Option<ManifestTool>,
    pub consistency: ConsistencyBasis,
    /// The profile user's privileges on the namespaces, for a restore to re-apply.
    #[serde(default)]
    pub grants: Option<crate::grants::RecordedGrants>,
    pub tables: Vec<ManifestTable>,
    pub files: Vec<ManifestFile>,
    /// How long the backup kept writers from committing (SQLite in
    /// rollback-journal mode); 0 when it did not block them.
    pub writers_blocked_ms: Option<f64>,
    /// The one-line restore without Quiesce, run from the unit's folder.
    pub restore_hint: String,
    pub notes: Vec<String>,
    /// Inside a pause: the database's log position, read while every node
    /// was paused (the same as the window's). Replaying the log from this
    /// backup's snapshot to a later window's position needs none of it; a
    /// later issue's point-in-time restore starts from it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_position: Option<crate::catalog::window::LogAt>,
    /// How `log_position` was read; absent (as schema 3 manifests from
    /// before it were written) means inside the pause.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_basis: Option<crate::catalog::window::LogBasis>,
}

impl ManifestUnit {
    /// The position a replay may start from: read in a pause or in the
    /// dump's own snapshot, never an approximate one.
    pub fn replay_start(&self) -> Option<&crate::catalog::window::LogAt> {
        use crate::catalog::window::{LogAt, LogBasis};
        match (&self.log_position, self.log_basis.unwrap_or(LogBasis::Pause)) {
            (Some(LogAt::Unread { .. }), _) | (_, LogBasis::Approximate) => None,
            (at, _) => at.as_ref(),
        }
    }

    pub fn bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    /// Names this unit by one of its storages (the restore's `--to UNIT=PROFILE`).
    pub fn is_named(&self, name: &str) -> bool {
        self.id == name || self.storages.iter().any(|s| s == name)
    }
}

/// The pause window a backup was taken in (backups of several databases, or
/// of a database without transactions). Filled by the pause job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ManifestPause {
    /// The window's own catalog entry.
    pub window_id: String,
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub ended_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Manifest {
    pub schema_version: u32,
    pub id: String,
    pub deployment_id: String,
    pub deployment: String,
    pub method: Method,
    pub decision_path: Vec<PathStep>,
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub finished_at: DateTime<Utc>,
    pub duration_ms: f64,
    /// ScalarDB's system namespace (`scalardb` unless renamed).
    pub system_namespace: String,
    /// The coordinator's namespace (`coordinator` unless renamed).
    pub coordinator_namespace: String,
    /// The deployment's namespace -> storage mapping when it was backed up.
    #[serde(default)]
    pub namespace_mapping: Vec<NamespaceMapping>,
    pub units: Vec<ManifestUnit>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause: Option<ManifestPause>,
    pub notes: Vec<String>,
}

impl Manifest {
    pub fn total_bytes(&self) -> u64 {
        self.units.iter().map(ManifestUnit::bytes).sum()
    }

    pub fn tables(&self) -> impl Iterator<Item = &ManifestTable> {
        self.units.iter().flat_map(|u| u.tables.iter())
    }

    pub fn files(&self) -> impl Iterator<Item = &ManifestFile> {
        self.units.iter().flat_map(|u| u.files.iter())
    }

    pub fn coordinator_ns(&self) -> String {
        self.coordinator_namespace.clone()
    }

    pub fn system_ns(&self) -> String {
        self.system_namespace.clone()
    }

    /// The unit named by a unit id or one of its storages.
    pub fn unit(&self, name: &str) -> Option<&ManifestUnit> {
        self.units.iter().find(|u| u.is_named(name))
    }

    /// The unit holding the coordinator table.
    pub fn coordinator_unit(&self) -> Option<&ManifestUnit> {
        self.units.iter().find(|u| u.tables.iter().any(|t| t.is_coordinator))
    }

    /// The backup's formats, as one word for a list ("default", "default+sqlite").
    pub fn formats(&self) -> String {
        let mut v: Vec<&str> = self.units.iter().map(|u| u.format.as_str()).collect();
        v.dedup();
        v.join("+")
    }
}

/// The manifest of the release before units (schema 1): one database.
#[derive(Deserialize)]
struct ManifestV1 {
    id: String,
    deployment_id: String,
    deployment: String,
    storages: Vec<StorageV1>,
    method: Method,
    decision_path: Vec<PathStep>,
    format: String,
    tool: Option<ManifestTool>,
    started_at: DateTime<Utc>,
    finished_at: DateTime<Utc>,
    duration_ms: f64,
    consistency: ConsistencyBasis,
    namespaces: Vec<String>,
    #[serde(default)]
    system_namespace: Option<String>,
    #[serde(default)]
    coordinator_namespace: Option<String>,
    #[serde(default)]
    grants: Option<crate::grants::RecordedGrants>,
    tables: Vec<ManifestTable>,
    files: Vec<ManifestFile>,
    writers_blocked_ms: Option<f64>,
    restore_hint: String,
    notes: Vec<String>,
}

#[derive(Deserialize)]
struct StorageV1 {
    name: String,
    profile: String,
    kind: DbKind,
    flavor: Flavor,
    target: String,
    product: Option<String>,
    server_version: Option<String>,
    #[serde(default)]
    file_owner: Option<FileOwner>,
}

impl ManifestV1 {
    /// One unit holding every storage of the backup (schema 1 backed up one database).
    fn upgrade(self) -> Result<Manifest> {
        let first = self.storages.first().ok_or_else(|| Error::invalid("it names no storage"))?;
        let coordinator = self.coordinator_namespace.clone().unwrap_or_else(|| {
            self.tables
                .iter()
                .find(|t| t.is_coordinator)
                .map(|t| t.namespace.clone())
                .unwrap_or_else(|| crate::deployment::DEFAULT_COORDINATOR_NAMESPACE.into())
        });
        let unit = ManifestUnit {
            id: "u1".into(),
            storages: self.storages.iter().map(|s| s.name.clone()).collect(),
            profile: first.profile.clone(),
            kind: first.kind,
            flavor: first.flavor,
            target: first.target.clone(),
            product: first.product.clone(),
            server_version: first.server_version.clone(),
            file_owner: first.file_owner,
            namespaces: self.namespaces,
            format: self.format,
            tool: self.tool,
            consistency: self.consistency,
            grants: self.grants,
            tables: self.tables,
            files: self.files,
            writers_blocked_ms: self.writers_blocked_ms,
            restore_hint: self.restore_hint,
            log_position: None,
            log_basis: None,
            notes: vec![],
        };
        Ok(Manifest {
            schema_version: 1,
            id: self.id,
            deployment_id: self.deployment_id,
            deployment: self.deployment,
            method: self.method,
            decision_path: self.decision_path,
            started_at: self.started_at,
            finished_at: self.finished_at,
            duration_ms: self.duration_ms,
            system_namespace: self
                .system_namespace
                .unwrap_or_else(|| crate::deployment::DEFAULT_SYSTEM_NAMESPACE.into()),
            coordinator_namespace: coordinator,
            namespace_mapping: vec![],
            units: vec![unit],
            pause: None,
            notes: self.notes,
        })
    }
}

/// Reads a backup folder's manifest, of any schema this release knows.
pub fn read_manifest(folder: &Path) -> Result<Manifest> {
    let p = folder.join(MANIFEST);
    let bytes = std::fs::read(&p).map_err(|e| Error::io("read", &p, e))?;
    let bad = |e: String| {
        Error::invalid(format!("{} is not a Quiesce manifest ({e}). The folder is not a complete backup.", p.display()))
    };
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| bad(e.to_string()))?;
    let schema = value.get("schema_version").and_then(|v| v.as_u64()).ok_or_else(|| bad("no schema_version".into()))?;
    match schema {
        1 => serde_json::from_value::<ManifestV1>(value).map_err(|e| bad(e.to_string()))?.upgrade().map_err(|e| bad(e.message)),
        2 | 3 => {
            let m: Manifest = serde_json::from_value(value).map_err(|e| bad(e.to_string()))?;
            if m.units.is_empty() {
                return Err(bad("it lists no unit".into()));
            }
            Ok(m)
        }
        n if n > SCHEMA_VERSION as u64 => Err(Error::invalid(format!(
            "{} was written by a newer Quiesce (manifest schema {n}; this release reads up to {SCHEMA_VERSION}). Upgrade Quiesce to read, verify or restore it.",
            p.display()
        ))),
        n => Err(bad(format!("schema {n} is not one Quiesce ever wrote"))),
    }
}

/// Files in a backup folder that its manifest does not list (the manifest
/// itself and `verifications/` aside), relative to the folder, sorted. A
/// sealed folder holds none; one left by an earlier release (SQLite's
/// `-shm`/`-wal` beside a WAL-mode copy) is reported by verify, never deleted.
pub fn unlisted_files(folder: &Path, listed: &[&str]) -> Vec<String> {
    fn walk(dir: &Path, rel: &str, out: &mut Vec<String>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let r = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
            match e.file_type() {
                Ok(t) if t.is_dir() => walk(&e.path(), &r, out),
                _ => out.push(r),
            }
        }
    }
    let mut all = Vec::new();
    walk(folder, "", &mut all);
    let mut v: Vec<String> = all
        .into_iter()
        .filter(|f| f != MANIFEST && !f.starts_with("verifications/") && !listed.contains(&f.as_str()))
        .collect();
    v.sort();
    v
}

/// Whether an unlisted file is a side file SQLite creates beside a database it opens.
pub fn is_sqlite_side_file(name: &str, listed: &[&str]) -> bool {
    ["-shm", "-wal", "-journal"].iter().any(|s| name.strip_suffix(s).is_some_and(|base| listed.contains(&base)))
}
