//! An index of each deployment folder's pause windows, kept beside them
//! (`.windows-index.json`): what the timeline needs of every window, keyed by
//! the window file's name, size and modification time. A month of windows
//! every 5 minutes is ~10 000 files; the timeline reads this one file and
//! re-reads only the windows whose file is new or changed since. The files
//! stay the truth: an entry whose file changed, vanished or is new is
//! re-read from the file, an index that does not parse is rebuilt from the
//! files, and a window file that does not parse is listed as damaged, never
//! indexed. The index is a cache: one that cannot be written (a read-only
//! catalog) only costs the re-reading.

use crate::catalog::window::{LogPosition, PauseWindow, SUFFIX};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub const INDEX: &str = ".windows-index.json";
const SCHEMA_VERSION: u32 = 1;
/// The release that wrote an index: a summary holds the verdicts of
/// `PauseWindow::read` (damage, safety), so another release's rules re-read every file.
const WRITER: &str = env!("CARGO_PKG_VERSION");

/// What the timeline needs of a window (no nodes, offsets, user or host).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowSummary {
    pub id: String,
    pub deployment: String,
    pub deployment_id: String,
    pub status: String,
    pub safe: bool,
    pub problems: Vec<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub safe_from: Option<DateTime<Utc>>,
    pub safe_to: Option<DateTime<Utc>>,
    pub restore_point_ms: Option<i64>,
    pub backup_id: Option<String>,
    /// The storages whose in-pause hook ran and succeeded.
    pub snapshots: Vec<String>,
    #[serde(default)]
    pub positions: Vec<LogPosition>,
}

impl WindowSummary {
    pub fn of(w: &PauseWindow) -> WindowSummary {
        WindowSummary {
            id: w.id.clone(),
            deployment: w.deployment.clone(),
            deployment_id: w.deployment_id.clone(),
            status: w.status.clone(),
            safe: w.safe,
            problems: w.problems.clone(),
            started_at: w.started_at,
            ended_at: w.ended_at,
            safe_from: w.safe_from,
            safe_to: w.safe_to,
            restore_point_ms: w.restore_point_ms,
            backup_id: w.backup_id.clone(),
            snapshots: w.hooks.iter().filter(|h| h.ok).map(|h| h.storage.clone()).collect(),
            positions: w.positions.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
struct Index {
    schema_version: u32,
    #[serde(default)]
    writer: String,
    /// When it was written: an entry whose file changed within the file
    /// system's time granularity of that is read again (git's "racily clean").
    written_ns: i128,
    entries: Vec<Entry>,
}

/// Time stamps closer than this to the index's own are not trusted.
const RACY_NS: i128 = 2_000_000_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    file: String,
    bytes: u64,
    mtime_ns: i128,
    window: WindowSummary,
}

/// A window file that could not be read: its path and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Unreadable {
    pub path: PathBuf,
    /// The deployment folder's name.
    pub folder: String,
    pub problem: String,
}

impl Unreadable {
    /// As the catalog lists a window file that does not parse: damaged.
    pub fn entry(&self) -> crate::catalog::CatalogEntry {
        let mut e = crate::catalog::CatalogEntry::unusable(
            &self.path,
            crate::catalog::CatalogStatus::Damaged,
            self.problem.clone(),
        );
        e.kind = "pause_window".into();
        e
    }
}

/// Every pause window under a catalog root (each deployment folder through
/// its index), and the window files that cannot be read.
pub fn windows(root: &Path) -> (Vec<WindowSummary>, Vec<Unreadable>) {
    let (mut all, mut bad) = (Vec::new(), Vec::new());
    for d in std::fs::read_dir(root).into_iter().flatten().flatten() {
        // A deployment folder may be a symbolic link to another disk.
        if d.path().is_dir() {
            let (w, b) = folder(&d.path());
            all.extend(w);
            bad.extend(b);
        }
    }
    (all, bad)
}

fn mtime_ns(m: &std::fs::Metadata) -> i128 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(-1)
}

/// One deployment folder's windows, through (and refreshing) its index.
pub fn folder(dir: &Path) -> (Vec<WindowSummary>, Vec<Unreadable>) {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let old: Index = std::fs::read(dir.join(INDEX))
        .ok()
        .and_then(|b| serde_json::from_slice::<Index>(&b).ok())
        .filter(|i| i.schema_version == SCHEMA_VERSION && i.writer == WRITER)
        .unwrap_or_default();
    let racy = old.written_ns - RACY_NS;
    // The new index's own time: taken before the files are looked at, so a
    // file changed while they are read is never older than it by the margin.
    let listed_ns = now_ns();
    let mut known: HashMap<String, Entry> = old.entries.into_iter().map(|e| (e.file.clone(), e)).collect();
    let mut keep: Vec<Entry> = Vec::new();
    let mut stale: Vec<(String, u64, i128)> = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        if !file.ends_with(SUFFIX) || !e.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(m) = e.metadata() else { continue };
        let (bytes, t) = (m.len(), mtime_ns(&m));
        match known.remove(&file) {
            Some(k) if k.bytes == bytes && k.mtime_ns == t && t >= 0 && t < racy => keep.push(k),
            _ => stale.push((file, bytes, t)),
        }
    }
    // Entries left in `known` lost their file: dropped from the index (the
    // catalog never listed them from it alone).
    let changed = !stale.is_empty() || !known.is_empty();
    let read = read_all(dir, stale);
    let mut bad = Vec::new();
    for (file, bytes, t, r) in read {
        match r {
            Ok(w) => keep.push(Entry { file, bytes, mtime_ns: t, window: WindowSummary::of(&w) }),
            Err(problem) => bad.push(Unreadable { path: dir.join(&file), folder: name.clone(), problem }),
        }
    }
    if changed {
        keep.sort_by(|a, b| a.file.cmp(&b.file));
        let index =
            Index { schema_version: SCHEMA_VERSION, writer: WRITER.into(), written_ns: listed_ns, entries: keep };
        if let Err(e) = save(dir, &index) {
            tracing::debug!("the window index of {} was not saved: {e}", dir.display());
        }
        keep = index.entries;
    }
    (keep.into_iter().map(|e| e.window).collect(), bad)
}

fn now_ns() -> i128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as i128).unwrap_or(0)
}

fn save(dir: &Path, index: &Index) -> crate::Result<()> {
    let bytes = serde_json::to_vec(index).map_err(|e| crate::Error::internal(e.to_string()))?;
    crate::store::write_atomic(&dir.join(INDEX), &bytes)
}

type Read = (String, u64, i128, std::result::Result<PauseWindow, String>);

/// Window files parsed on every core: a first look at a month of windows
/// every 5 minutes reads ~10 000 of them.
fn read_all(dir: &Path, files: Vec<(String, u64, i128)>) -> Vec<Read> {
    crate::catalog::par_map(files, |(f, b, t)| {
        let r = PauseWindow::read(&dir.join(&f)).map_err(|e| e.message);
        (f, b, t, r)
    })
}
