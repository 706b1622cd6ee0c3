//! The manifest of a backup and the catalog. The backup folder is the truth:
//! a backup is a folder with `manifest.json`; the catalog is a scan of the
//! folders (a folder copied from another machine shows up at the next scan);
//! a folder still named `*.partial` is never a backup.

use crate::error::{Error, Result};
use crate::plan::{Method, PathStep};
use crate::profile::{DbKind, Flavor};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;

pub const MANIFEST: &str = "manifest.json";
pub const SCHEMA_VERSION: u32 = 1;
pub const PARTIAL_SUFFIX: &str = ".partial";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ManifestFile {
    pub name: String,
    #[ts(type = "number")]
    pub bytes: u64,
    pub sha256: String,
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

/// What the backup's consistency rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ConsistencyBasis {
    /// `pg_exported_snapshot`, `mysql_single_transaction`, `sqlite_read_transaction`.
    pub kind: String,
    /// The exported snapshot id, when there is one.
    pub snapshot: Option<String>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ManifestStorage {
    pub name: String,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Manifest {
    pub schema_version: u32,
    pub id: String,
    pub deployment_id: String,
    pub deployment: String,
    pub storages: Vec<ManifestStorage>,
    pub method: Method,
    pub decision_path: Vec<PathStep>,
    /// default (custom format compressed by zstd), plain, custom, directory, sqlite.
    pub format: String,
    pub tool: Option<ManifestTool>,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: f64,
    pub consistency: ConsistencyBasis,
    pub namespaces: Vec<String>,
    /// ScalarDB's system namespace (`scalardb` unless renamed).
    #[serde(default)]
    pub system_namespace: Option<String>,
    /// The coordinator's namespace (`coordinator` unless renamed).
    #[serde(default)]
    pub coordinator_namespace: Option<String>,
    /// The ScalarDB user's privileges on the namespaces, for a restore to re-apply.
    #[serde(default)]
    pub grants: Option<super::grants::RecordedGrants>,
    pub tables: Vec<ManifestTable>,
    pub files: Vec<ManifestFile>,
    /// How long the backup kept writers from committing (SQLite in
    /// rollback-journal mode); 0 when it did not block them.
    pub writers_blocked_ms: Option<f64>,
    /// The one-line restore without Quiesce.
    pub restore_hint: String,
    pub notes: Vec<String>,
}

impl Manifest {
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }

    pub fn coordinator_ns(&self) -> String {
        self.coordinator_namespace
            .clone()
            .or_else(|| self.tables.iter().find(|t| t.is_coordinator).map(|t| t.namespace.clone()))
            .unwrap_or_else(|| crate::deployment::DEFAULT_COORDINATOR_NAMESPACE.into())
    }

    pub fn system_ns(&self) -> String {
        self.system_namespace.clone().unwrap_or_else(|| crate::deployment::DEFAULT_SYSTEM_NAMESPACE.into())
    }
}

/// What the catalog says of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CatalogStatus {
    /// A complete backup.
    Ok,
    /// A complete backup whose manifest carries warnings.
    Warnings,
    /// A folder whose manifest does not parse: not usable, listed so it is seen.
    Damaged,
    /// An unfinished backup folder no job of this machine owns (`.partial`).
    Leftover,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CatalogEntry {
    pub id: String,
    pub folder: String,
    pub deployment: String,
    pub deployment_id: String,
    pub method: Method,
    pub format: String,
    pub started_at: String,
    pub duration_ms: f64,
    #[ts(type = "number")]
    pub bytes: u64,
    pub tables: usize,
    pub status: CatalogStatus,
    /// What is wrong, for damaged and leftover entries.
    pub problem: Option<String>,
}

impl CatalogEntry {
    fn of(path: &Path, m: &Manifest) -> CatalogEntry {
        CatalogEntry {
            id: m.id.clone(),
            folder: path.display().to_string(),
            deployment: m.deployment.clone(),
            deployment_id: m.deployment_id.clone(),
            method: m.method,
            format: m.format.clone(),
            started_at: m.started_at.clone(),
            duration_ms: m.duration_ms,
            bytes: m.total_bytes(),
            tables: m.tables.len(),
            status: if m.notes.iter().any(|n| n.starts_with("warning")) {
                CatalogStatus::Warnings
            } else {
                CatalogStatus::Ok
            },
            problem: None,
        }
    }

    /// A folder that is not a usable backup.
    fn unusable(path: &Path, status: CatalogStatus, problem: String) -> CatalogEntry {
        let name = |p: Option<&Path>| p.and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
        let modified = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map(|t| chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339())
            .unwrap_or_default();
        CatalogEntry {
            id: name(Some(path)).unwrap_or_default(),
            folder: path.display().to_string(),
            deployment: name(path.parent()).unwrap_or_default(),
            deployment_id: String::new(),
            method: Method::Unknown,
            format: String::new(),
            started_at: modified,
            duration_ms: 0.0,
            bytes: 0,
            tables: 0,
            status,
            problem: Some(problem),
        }
    }
}

/// Where backups go unless a backup names another folder.
pub fn default_root(home: &crate::paths::Home) -> PathBuf {
    std::env::var_os("QUIESCE_BACKUP_DIR").map(PathBuf::from).unwrap_or_else(|| home.data_dir.join("backups"))
}

/// The backup roots other than the default that backups were written to
/// (`--out`), so that the catalog and the recovery look there too.
fn roots_file(home: &crate::paths::Home) -> PathBuf {
    home.data_dir.join("backup-roots.json")
}

/// Records a root a backup writes to (once, under the state lock).
pub fn remember_root(home: &crate::paths::Home, root: &Path) -> Result<()> {
    if root == default_root(home) || known_roots(home).iter().any(|r| r == root) {
        return Ok(());
    }
    let _lock = crate::store::lock_exclusive(&home.lock_file())?;
    let mut roots: Vec<PathBuf> = crate::store::read_json(&roots_file(home))?;
    if !roots.iter().any(|r| r == root) {
        roots.push(root.to_path_buf());
        crate::store::write_json(&roots_file(home), &roots)?;
    }
    Ok(())
}

/// The default root first, then every root a backup was written to.
pub fn known_roots(home: &crate::paths::Home) -> Vec<PathBuf> {
    let default = default_root(home);
    let more: Vec<PathBuf> = crate::store::read_json(&roots_file(home)).unwrap_or_default();
    std::iter::once(default.clone()).chain(more.into_iter().filter(|r| *r != default)).collect()
}

pub fn read_manifest(folder: &Path) -> Result<Manifest> {
    let p = folder.join(MANIFEST);
    let bytes = std::fs::read(&p).map_err(|e| Error::io("read", &p, e))?;
    let m: Manifest = serde_json::from_slice(&bytes).map_err(|e| {
        Error::invalid(format!("{} is not a Quiesce manifest ({e}). The folder is not a complete backup.", p.display()))
    })?;
    if m.schema_version > SCHEMA_VERSION {
        return Err(Error::invalid(format!(
            "{} was written by a newer Quiesce (schema {}); upgrade Quiesce to read it.",
            p.display(),
            m.schema_version
        )));
    }
    Ok(m)
}

/// What a catalog folder holds.
enum Scanned {
    Complete(PathBuf, Box<Manifest>),
    Damaged(PathBuf, Error),
    Partial(PathBuf),
}

/// Every backup folder under `root` (two levels: deployment / backup).
fn scan_all(root: &Path) -> Vec<Scanned> {
    let mut out = Vec::new();
    let Ok(deps) = std::fs::read_dir(root) else { return out };
    for d in deps.flatten() {
        let Ok(backups) = std::fs::read_dir(d.path()) else { continue };
        for b in backups.flatten() {
            let path = b.path();
            if !path.is_dir() {
                continue;
            }
            if path.to_string_lossy().ends_with(PARTIAL_SUFFIX) {
                out.push(Scanned::Partial(path));
            } else if path.join(MANIFEST).is_file() {
                match read_manifest(&path) {
                    Ok(m) => out.push(Scanned::Complete(path, Box::new(m))),
                    Err(e) => out.push(Scanned::Damaged(path, e)),
                }
            }
        }
    }
    out
}

/// Every complete backup under `root`, newest first.
pub fn scan(root: &Path) -> Vec<(PathBuf, Manifest)> {
    let mut out: Vec<(PathBuf, Manifest)> = scan_all(root)
        .into_iter()
        .filter_map(|s| match s {
            Scanned::Complete(p, m) => Some((p, *m)),
            _ => None,
        })
        .collect();
    out.sort_by(|a, b| b.1.started_at.cmp(&a.1.started_at));
    out
}

/// The catalog of `root`: complete backups and damaged ones (a manifest that
/// does not parse is listed with its error, never silently left out), newest first.
pub fn list(root: &Path) -> Vec<CatalogEntry> {
    let mut v: Vec<CatalogEntry> = scan_all(root)
        .into_iter()
        .filter_map(|s| match s {
            Scanned::Complete(p, m) => Some(CatalogEntry::of(&p, &m)),
            Scanned::Damaged(p, e) => Some(CatalogEntry::unusable(&p, CatalogStatus::Damaged, e.message)),
            Scanned::Partial(_) => None,
        })
        .collect();
    v.sort_by(|a, b| b.started_at.cmp(&a.started_at));
    v
}

/// Unfinished backup folders under `roots` that no running job of this
/// machine owns: the start-up recovery removes those its journals name, so
/// what is left here was not Quiesce's to remove (an older release's, or
/// another machine's writing to a shared folder). Listed, never deleted.
pub fn leftovers(home: &crate::paths::Home, roots: &[PathBuf]) -> Vec<CatalogEntry> {
    let live = crate::job::recovery::live_owned(home);
    let mut v = Vec::new();
    for root in roots {
        for s in scan_all(root) {
            if let Scanned::Partial(p) = s {
                if !live.contains(&p) {
                    v.push(CatalogEntry::unusable(
                        &p,
                        CatalogStatus::Leftover,
                        "an unfinished backup that no job of this machine owns (left by an older Quiesce, or being written by another machine): Quiesce leaves it alone. Delete the folder if no backup is running there.".into(),
                    ));
                }
            }
        }
    }
    v
}

/// Whether `id` names a backup folder under `root`, usable or damaged.
pub fn is_backup_id(root: &Path, id: &str) -> bool {
    scan_all(root).iter().any(|s| match s {
        Scanned::Complete(_, m) => m.id == id,
        Scanned::Damaged(p, _) => p.file_name().is_some_and(|n| n == id),
        Scanned::Partial(_) => false,
    })
}

/// A backup by id (or folder path).
pub fn find(root: &Path, id: &str) -> Result<(PathBuf, Manifest)> {
    let p = Path::new(id);
    if p.is_absolute() && p.join(MANIFEST).is_file() {
        return Ok((p.to_path_buf(), read_manifest(p).map_err(|e| damaged(p, e))?));
    }
    let all = scan_all(root);
    for s in &all {
        if let Scanned::Damaged(path, e) = s {
            if path.file_name().is_some_and(|n| n == id) {
                return Err(damaged(path, Error::new(e.code, e.message.clone())));
            }
        }
    }
    all.into_iter()
        .find_map(|s| match s {
            Scanned::Complete(p, m) if m.id == id => Some((p, *m)),
            _ => None,
        })
        .ok_or_else(|| {
            Error::not_found(format!(
                "No backup \"{id}\" under {}. List them with `quiesce backups list`, or give the backup's folder.",
                root.display()
            ))
        })
}

/// A backup whose manifest cannot be read is damaged, not missing.
fn damaged(folder: &Path, e: Error) -> Error {
    Error::new(
        crate::ErrorCode::Corrupt,
        format!(
            "The backup in {} is damaged: {} Restore another backup (`quiesce backups list` shows it as damaged), or put back its manifest from a copy.",
            folder.display(),
            e.message
        ),
    )
}

/// Deletes a complete backup's folder.
pub fn delete(root: &Path, id: &str) -> Result<Manifest> {
    let (path, m) = find(root, id)?;
    std::fs::remove_dir_all(&path).map_err(|e| Error::io("delete", &path, e))?;
    Ok(m)
}
