//! The catalog. The backup folders are the truth: a backup is a folder with
//! `manifest.json`; the catalog is a scan of the folders (a folder copied from
//! another machine shows up at the next scan); a folder still named
//! `*.partial` is never a backup. Entries are typed, with a status, so pause
//! windows and other operations can stand beside backups.

pub mod clock;
pub mod manifest;
pub mod windex;
pub mod window;

use crate::error::{Error, Result};
use crate::plan::Method;
use crate::profile::DbKind;
use chrono::{DateTime, Utc};
use manifest::{read_manifest, Manifest, MANIFEST, PARTIAL_SUFFIX};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// What the catalog says of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum CatalogStatus {
    /// A complete backup whose latest verification passed.
    Ok,
    /// A complete backup whose manifest carries warnings.
    Warnings,
    /// A complete backup whose latest verification (a restore's, or a live
    /// target checked against it) found errors.
    VerificationFailed,
    /// A complete backup nothing has verified yet.
    Unverified,
    /// A folder whose manifest does not parse: not usable, listed so it is seen.
    Damaged,
    /// An unfinished backup folder no job of this machine owns (`.partial`).
    Leftover,
    /// A pause window a restore cannot rely on (a node unpaused early, clocks too far apart).
    Unsafe,
    /// A pause that did not hold (a node refused, Quiesce could not pause them all).
    Failed,
}

impl CatalogStatus {
    /// Whether the entry is a backup that can be restored.
    pub fn usable(self) -> bool {
        !matches!(
            self,
            CatalogStatus::Damaged | CatalogStatus::Leftover | CatalogStatus::Unsafe | CatalogStatus::Failed
        )
    }
}

/// One database snapshot of a catalog entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CatalogUnit {
    pub id: String,
    pub storages: Vec<String>,
    pub kind: DbKind,
    pub profile: String,
    pub format: String,
    #[ts(type = "number")]
    pub bytes: u64,
    /// Where a log replay can start from this unit (an exact position only:
    /// see `ManifestUnit::replay_start`); for the timeline, not the payloads.
    #[serde(skip)]
    #[ts(skip)]
    pub replay_start: Option<crate::catalog::window::LogAt>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct CatalogEntry {
    /// backup, or pause_window (a pause kept as a restore point, or the window a backup was taken in).
    #[serde(default = "backup_kind")]
    pub kind: String,
    pub id: String,
    pub folder: String,
    pub deployment: String,
    pub deployment_id: String,
    pub method: Method,
    pub format: String,
    /// When the backup started (a damaged or leftover folder: when it last changed).
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    pub duration_ms: f64,
    #[ts(type = "number")]
    pub bytes: u64,
    pub tables: usize,
    pub units: Vec<CatalogUnit>,
    pub status: CatalogStatus,
    /// What is wrong, for damaged, leftover and failed entries.
    pub problem: Option<String>,
    /// When the latest verification ran.
    #[ts(type = "string | null")]
    pub verified_at: Option<DateTime<Utc>>,
    /// A pause window's record (its restore point, nodes, clocks).
    #[serde(default)]
    pub window: Option<crate::catalog::window::PauseWindow>,
    /// A backup taken inside a pause: how long every node stayed paused.
    #[serde(default)]
    pub paused_ms: Option<f64>,
    /// A backup taken inside a pause: that window's id.
    #[serde(default)]
    pub window_id: Option<String>,
}

fn backup_kind() -> String {
    "backup".into()
}

/// Where a backup's verification reports are kept (named by their time),
/// beside its manifest: not among its files, they are written after the
/// backup was sealed.
pub fn reports_dir(folder: &Path) -> PathBuf {
    folder.join("verifications")
}

/// The newest report stored with a backup.
pub fn latest_report_file(folder: &Path) -> Option<PathBuf> {
    std::fs::read_dir(reports_dir(folder))
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .max()
}

/// What the catalog shows of a verification report (`verify::VerifyReport`
/// holds the rest).
#[derive(Deserialize)]
struct ReportSummary {
    target: String,
    verified_at: String,
    passed: bool,
}

fn latest_report_summary(folder: &Path) -> Option<ReportSummary> {
    std::fs::read(latest_report_file(folder)?).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

impl CatalogEntry {
    pub fn of(path: &Path, m: &Manifest) -> CatalogEntry {
        let latest = latest_report_summary(path);
        let warnings = m.notes.iter().chain(m.units.iter().flat_map(|u| &u.notes)).any(|n| n.starts_with("warning"));
        let status = match &latest {
            Some(r) if !r.passed => CatalogStatus::VerificationFailed,
            _ if warnings => CatalogStatus::Warnings,
            Some(_) => CatalogStatus::Ok,
            None => CatalogStatus::Unverified,
        };
        CatalogEntry {
            kind: backup_kind(),
            id: m.id.clone(),
            folder: path.display().to_string(),
            deployment: m.deployment.clone(),
            deployment_id: m.deployment_id.clone(),
            method: m.method,
            format: m.formats(),
            started_at: m.started_at,
            duration_ms: m.duration_ms,
            bytes: m.total_bytes(),
            tables: m.tables().count(),
            units: m
                .units
                .iter()
                .map(|u| CatalogUnit {
                    id: u.id.clone(),
                    storages: u.storages.clone(),
                    kind: u.kind,
                    profile: u.profile.clone(),
                    format: u.format.clone(),
                    bytes: u.bytes(),
                    replay_start: u.replay_start().cloned(),
                })
                .collect(),
            status,
            problem: (status == CatalogStatus::VerificationFailed).then(|| {
                format!(
                    "Its latest verification (of {}) found errors.",
                    latest.as_ref().map(|r| r.target.as_str()).unwrap_or("?")
                )
            }),
            verified_at: latest
                .and_then(|r| DateTime::parse_from_rfc3339(&r.verified_at).ok())
                .map(|t| t.with_timezone(&Utc)),
            window: None,
            paused_ms: m
                .pause
                .as_ref()
                .map(|p| (p.ended_at - p.started_at).num_microseconds().unwrap_or(0) as f64 / 1000.0),
            window_id: m.pause.as_ref().map(|p| p.window_id.clone()),
        }
    }

    /// A pause window, listed beside the backups.
    pub fn of_window(path: &Path, w: crate::catalog::window::PauseWindow) -> CatalogEntry {
        let status = match w.status.as_str() {
            "ok" => CatalogStatus::Ok,
            "unsafe" => CatalogStatus::Unsafe,
            _ => CatalogStatus::Failed,
        };
        let modified = || {
            std::fs::metadata(path).and_then(|m| m.modified()).map(DateTime::<Utc>::from).unwrap_or_else(|_| Utc::now())
        };
        CatalogEntry {
            kind: "pause_window".into(),
            id: w.id.clone(),
            folder: path.display().to_string(),
            deployment: w.deployment.clone(),
            deployment_id: w.deployment_id.clone(),
            method: Method::Pause,
            format: String::new(),
            started_at: w.started_at.unwrap_or_else(modified),
            duration_ms: w.paused_ms.unwrap_or(0.0),
            bytes: 0,
            tables: 0,
            units: vec![],
            status,
            problem: (!w.problems.is_empty()).then(|| w.problems.join(" ")),
            verified_at: None,
            paused_ms: w.paused_ms,
            window_id: Some(w.id.clone()),
            window: Some(w),
        }
    }

    /// A folder that is not a usable backup.
    fn unusable(path: &Path, status: CatalogStatus, problem: String) -> CatalogEntry {
        let name = |p: Option<&Path>| p.and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned());
        let modified = std::fs::metadata(path)
            .and_then(|m| m.modified())
            .map(DateTime::<Utc>::from)
            .unwrap_or_else(|_| Utc::now());
        CatalogEntry {
            kind: backup_kind(),
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
            units: vec![],
            status,
            problem: Some(problem),
            verified_at: None,
            window: None,
            paused_ms: None,
            window_id: None,
        }
    }
}

/// Where backups go unless a backup names another folder.
pub fn default_root(home: &crate::paths::Home) -> PathBuf {
    home.default_backup_root()
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

/// What a catalog folder holds.
enum Scanned {
    Complete(PathBuf, Box<Manifest>),
    Damaged(PathBuf, Error),
    Partial(PathBuf),
    Window(PathBuf, Result<Box<crate::catalog::window::PauseWindow>>),
}

/// Every backup folder under `root` (two levels: deployment / backup).
fn scan_all(root: &Path, with_windows: bool) -> Vec<Scanned> {
    let mut out = Vec::new();
    let mut windows = Vec::new();
    let Ok(deps) = std::fs::read_dir(root) else { return out };
    for d in deps.flatten() {
        let Ok(backups) = std::fs::read_dir(d.path()) else { continue };
        for b in backups.flatten() {
            let path = b.path();
            if path.to_string_lossy().ends_with(crate::catalog::window::SUFFIX)
                && b.file_type().is_ok_and(|t| t.is_file())
            {
                if with_windows {
                    windows.push(path);
                }
                continue;
            }
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
    out.extend(read_windows(windows));
    out
}

/// Window files read and parsed on every core: a year of hourly pauses is
/// ~9 000 files, and the Restore points view opens on all of them.
fn read_windows(paths: Vec<PathBuf>) -> Vec<Scanned> {
    par_map(paths, |p| {
        let w = crate::catalog::window::PauseWindow::read(&p).map(Box::new);
        Scanned::Window(p, w)
    })
}

/// `f` over `items` on every core (up to 8), in order; one thread for few.
pub(crate) fn par_map<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8);
    if items.len() < 256 || threads < 2 {
        return items.into_iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::new();
    let mut it = items.into_iter().peekable();
    while it.peek().is_some() {
        chunks.push(it.by_ref().take(chunk).collect());
    }
    let f = &f;
    std::thread::scope(|sc| {
        let handles: Vec<_> =
            chunks.into_iter().map(|c| sc.spawn(move || c.into_iter().map(f).collect::<Vec<_>>())).collect();
        // A panic in one chunk is the caller's, never a silently shorter list.
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// Every complete backup under `root`, newest first.
pub fn scan(root: &Path) -> Vec<(PathBuf, Manifest)> {
    let mut out: Vec<(PathBuf, Manifest)> = scan_all(root, false)
        .into_iter()
        .filter_map(|s| match s {
            Scanned::Complete(p, m) => Some((p, *m)),
            _ => None,
        })
        .collect();
    out.sort_by_key(|b| std::cmp::Reverse(b.1.started_at));
    out
}

/// The catalog of `root`: complete backups and damaged ones (a manifest that
/// does not parse is listed with its error, never silently left out), newest first.
pub fn list(root: &Path) -> Vec<CatalogEntry> {
    list_of(root, true)
}

/// The catalog without its pause windows (the timeline reads those through
/// their index, `windex`).
pub fn list_backups(root: &Path) -> Vec<CatalogEntry> {
    list_of(root, false)
}

fn list_of(root: &Path, with_windows: bool) -> Vec<CatalogEntry> {
    let mut v: Vec<CatalogEntry> = scan_all(root, with_windows)
        .into_iter()
        .filter_map(|s| match s {
            Scanned::Complete(p, m) => Some(CatalogEntry::of(&p, &m)),
            Scanned::Damaged(p, e) => Some(CatalogEntry::unusable(&p, CatalogStatus::Damaged, e.message)),
            Scanned::Partial(_) => None,
            Scanned::Window(p, Ok(w)) => Some(CatalogEntry::of_window(&p, *w)),
            Scanned::Window(p, Err(e)) => {
                let mut e = CatalogEntry::unusable(&p, CatalogStatus::Damaged, e.message);
                e.kind = "pause_window".into();
                Some(e)
            }
        })
        .collect();
    v.sort_by_key(|b| std::cmp::Reverse(b.started_at));
    v
}

/// Unfinished backup folders under `roots` that no running job of this
/// machine owns: the start-up recovery removes those its journals name, so
/// what is left here was not Quiesce's to remove (an older release's, or
/// another machine's writing to a shared folder). Listed, never deleted.
pub fn leftovers(home: &crate::paths::Home, roots: &[PathBuf]) -> Vec<CatalogEntry> {
    let live = crate::job::journals::live_owned(home);
    let mut v = Vec::new();
    for root in roots {
        for s in scan_all(root, false) {
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

/// The pause window `id` under `root` (any deployment folder), read from
/// its file; None for an id that is not a plain file name.
fn window_by_id(root: &Path, id: &str) -> Option<crate::catalog::window::PauseWindow> {
    if id.is_empty() || id.starts_with('.') || id.contains(['/', '\\', '\0']) {
        return None;
    }
    let file = format!("{id}{}", crate::catalog::window::SUFFIX);
    std::fs::read_dir(root)
        .ok()?
        .flatten()
        .find_map(|d| crate::catalog::window::PauseWindow::read(&d.path().join(&file)).ok())
        .filter(|w| w.id == id)
}

/// Whether `id` names a backup folder under `root`, usable or damaged.
pub fn is_backup_id(root: &Path, id: &str) -> bool {
    scan_all(root, false).iter().any(|s| match s {
        Scanned::Complete(_, m) => m.id == id,
        Scanned::Damaged(p, _) => p.file_name().is_some_and(|n| n == id),
        Scanned::Partial(_) | Scanned::Window(..) => false,
    })
}

/// A backup by id (or folder path).
///
/// The one lookup of a backup every command uses (restore, verify, show,
/// remove, a migration from a backup), so the same id gets the same answer.
pub fn find(root: &Path, id: &str) -> Result<(PathBuf, Manifest)> {
    let p = Path::new(id);
    if p.is_absolute() && p.join(MANIFEST).is_file() {
        return Ok((p.to_path_buf(), read_manifest(p).map_err(|e| damaged(p, e))?));
    }
    if p.is_dir() && !p.join(MANIFEST).is_file() {
        return Err(Error::not_found(format!(
            "{} has no {MANIFEST}: it is not a complete backup (an interrupted one, or a folder copied without its manifest).",
            p.display()
        )));
    }
    let all = scan_all(root, false);
    for s in &all {
        if let Scanned::Damaged(path, e) = s {
            if path.file_name().is_some_and(|n| n == id) {
                return Err(damaged(path, Error::new(e.code, e.message.clone())));
            }
        }
    }
    // A pause window's id is a restore point, not a backup: say how to use it.
    let window = window_by_id(root, id);
    all.into_iter()
        .find_map(|s| match s {
            Scanned::Complete(p, m) if m.id == id => Some((p, *m)),
            _ => None,
        })
        .ok_or_else(|| match window {
            Some(w) => Error::not_found(format!(
                "\"{id}\" is a pause window of deployment {}, not a backup{}. Restore to its point with `quiesce runbook {} --at {id}` (`quiesce points {}` lists the restore points).",
                w.deployment,
                w.backup_id.as_ref().map(|b| format!(" (the backup taken in it is {b}: `quiesce restore {b}`)")).unwrap_or_default(),
                w.deployment,
                w.deployment
            )),
            None => Error::not_found(format!(
                "No backup \"{id}\" under {}. List them with `quiesce backups list`, or give the backup's folder.",
                root.display()
            )),
        })
}

/// A backup whose manifest cannot be read is damaged, not missing (a newer
/// schema says so itself).
fn damaged(folder: &Path, e: Error) -> Error {
    if e.message.contains("newer Quiesce") {
        return Error::new(crate::ErrorCode::Unsupported, e.message);
    }
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
