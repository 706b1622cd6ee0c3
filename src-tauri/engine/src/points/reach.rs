//! Whether the log archive reaches each pause window, per storage: a window
//! becomes a point for a self-hosted PostgreSQL or MySQL/MariaDB storage once
//! a base lies before its recorded position and the archive holds every log
//! file from that base to *past* the position (issue 31). Read from the
//! archive folders alone (no server is asked), so the timeline stays quick;
//! `quiesce archive status` asks the servers (slots) as well.
//!
//! Past the position means a *complete* file: PostgreSQL's `pg_receivewal`
//! pads the segment it writes (`.partial`) to full size and fsyncs it only
//! when it completes, so a window inside it waits for the segment to end
//! (`SELECT pg_switch_wal()` ends it at once). A binary log file is copied
//! byte for byte, so the one being written counts up to its size.

use crate::archive::{base::BaseBackup, index};
use crate::catalog::window::{LogAt, LogPosition};
use crate::catalog::CatalogEntry;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// Whether a storage's archive reaches a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReachState {
    /// A base before the window and every log file from it to past the window's position.
    Restorable,
    /// The archive has not yet got the log past the position (it will, if the archiver runs).
    Waiting,
    /// A log file the replay needs is missing, deleted, changed, or was never archived.
    Gap,
    /// No base backup lies before the window (or none on its timeline).
    NoBase,
    /// The window has no exact position for this storage (read before positions
    /// were kept, or not readable then).
    NoPosition,
    /// Nothing of this storage's log is archived.
    NotArchived,
}

impl ReachState {
    /// For lists and the CLI's table.
    pub fn label(self) -> &'static str {
        match self {
            ReachState::Restorable => "the archive reaches it",
            ReachState::Waiting => "waiting for the archive",
            ReachState::Gap => "gap",
            ReachState::NoBase => "no base",
            ReachState::NoPosition => "no position",
            ReachState::NotArchived => "not archived",
        }
    }
}

/// One storage's reach of one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Reach {
    pub storage: String,
    pub state: ReachState,
    /// The base a replay starts from (a base backup's or a backup's id), when restorable.
    pub base: Option<String>,
    /// From what (the base and the log range), or why not.
    pub detail: String,
}

/// A stretch of a lane the archive cannot replay, in time (the neighbouring
/// files' times) and by file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct GapSpan {
    #[ts(type = "number")]
    pub from_ms: i64,
    #[ts(type = "number")]
    pub to_ms: i64,
    pub from: String,
    pub to: String,
    pub reason: String,
}

/// What a storage's archive covers, for its lane: from its oldest base to
/// the newest complete log file, with the gaps inside.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LaneArchive {
    #[ts(type = "number | null")]
    pub from_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub to_ms: Option<i64>,
    /// The oldest base (a base backup, or a backup with exact binlog coordinates).
    pub base: Option<String>,
    /// The newest log file held complete.
    pub last: Option<String>,
    pub gaps: Vec<GapSpan>,
}

/// One sequence of log files held complete (a PostgreSQL timeline, or a
/// binary log's base name), by number: each window asks which number of a
/// range is missing first, in O(log n) (a month of windows over a month of
/// segments would be quadratic otherwise).
#[derive(Debug, Clone, Default)]
struct Seq {
    nums: Vec<u64>,
    /// For each position, the last position of its run of consecutive numbers.
    run_end: Vec<usize>,
}

impl Seq {
    fn of(mut nums: Vec<u64>) -> Seq {
        nums.sort_unstable();
        nums.dedup();
        let mut run_end = vec![0; nums.len()];
        for i in (0..nums.len()).rev() {
            run_end[i] = if i + 1 < nums.len() && nums[i + 1] == nums[i] + 1 { run_end[i + 1] } else { i };
        }
        Seq { nums, run_end }
    }

    fn newest(&self) -> Option<u64> {
        self.nums.last().copied()
    }

    fn oldest(&self) -> Option<u64> {
        self.nums.first().copied()
    }

    /// The first number of `first..=last` not held, if any.
    fn first_missing(&self, first: u64, last: u64) -> Option<u64> {
        let p = self.nums.partition_point(|n| *n < first);
        if p == self.nums.len() || self.nums[p] != first {
            return Some(first);
        }
        let end = self.nums[self.run_end[p]];
        (end < last).then_some(end + 1)
    }
}

/// A database's archive as its folder shows it.
#[derive(Debug, Clone)]
pub struct Held {
    pub storages: Vec<String>,
    dir: PathBuf,
    pg: bool,
    seg: u64,
    /// Complete log files present at their archived size, per sequence:
    /// PostgreSQL by timeline (`{:08X}`), binary logs by base name.
    seqs: HashMap<String, Seq>,
    /// Every file name in the folder (completed but not indexed yet: waiting, not a gap).
    on_disk: std::collections::HashSet<String>,
    /// Files indexed but no longer present at their archived size, with why.
    broken: HashMap<String, String>,
    gaps: Vec<index::Gap>,
    /// The whole archive is in doubt (its index cannot be read).
    doubt: Option<String>,
    /// Base backups whose files are all there at their recorded size, oldest first.
    bases: Vec<BaseBackup>,
    /// MySQL/MariaDB: the binary log file being copied and its size.
    open: Option<(String, u64)>,
    /// Why the archiver is not keeping up, from its heartbeat (not running, ended).
    archiver: Option<String>,
}

/// The sequence and number of a log file name.
fn seq_of(name: &str, seg: u64) -> Option<(String, u64)> {
    if let Some((tli, n)) = index::segment_number(name, seg) {
        return Some((format!("{tli:08X}"), n));
    }
    index::binlog_number(name).map(|(stem, n)| (stem.to_string(), n))
}

impl Held {
    /// Reads the archive folder of a database (`dir`) holding `storages`.
    pub fn read(dir: &Path, storages: Vec<String>, pg: bool) -> Option<Held> {
        if !dir.is_dir() {
            return None;
        }
        let (idx, doubt) = match index::Index::read(dir) {
            Ok(i) => (i, None),
            Err(e) => (index::Index::default(), Some(e.message)),
        };
        let seg = idx.segment_bytes();
        let mut gaps = idx.gaps(dir, false);
        // Indexed files no longer there at their size (a one-file stretch
        // never archived is a gap of the index, not of a file).
        let indexed: std::collections::HashSet<&str> = idx.files.iter().map(|f| f.name.as_str()).collect();
        let broken: HashMap<String, String> = gaps
            .iter()
            .filter(|g| g.from == g.to && indexed.contains(g.from.as_str()))
            .map(|g| (g.from.clone(), g.reason.clone()))
            .collect();
        let mut by_seq: HashMap<String, Vec<u64>> = HashMap::new();
        for f in idx.logs().filter(|f| !broken.contains_key(&f.name)) {
            if let Some((k, n)) = seq_of(&f.name, seg) {
                by_seq.entry(k).or_default().push(n);
            }
        }
        let seqs = by_seq.into_iter().map(|(k, v)| (k, Seq::of(v))).collect();
        let on_disk = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .collect();
        // A base counts only with every file there at its recorded size
        // (`archive status --verify` checks their SHA-256 too).
        let mut bases = Vec::new();
        for b in if pg { crate::archive::base::list(dir).0 } else { vec![] } {
            let folder = dir.join("base").join(&b.id);
            let bad =
                b.files.iter().find(|f| std::fs::metadata(folder.join(&f.name)).map(|m| m.len()).ok() != Some(f.bytes));
            match bad {
                Some(f) => gaps.push(index::Gap {
                    from: b.id.clone(),
                    to: b.id.clone(),
                    reason: format!("base backup {} is damaged: {} is missing or not its recorded size", b.id, f.name),
                }),
                None => bases.push(b),
            }
        }
        let open = (!pg)
            .then(|| index::open_binlog(dir))
            .flatten()
            .and_then(|n| std::fs::metadata(dir.join(&n)).ok().map(|m| (n, m.len())));
        let archiver = dir.parent().and_then(crate::archive::read_heartbeat).and_then(|h| {
            let age = (Utc::now() - h.updated_at).to_std().unwrap_or_default();
            match &h.ended {
                Some(e) => Some(format!("the archiver ended ({e})")),
                None if age > crate::archive::STALE_AFTER => Some(format!(
                    "the archiver is not running (its last heartbeat: {})",
                    h.updated_at.format("%Y-%m-%d %H:%M:%S UTC")
                )),
                None => None,
            }
        });
        Some(Held {
            storages,
            dir: dir.to_path_buf(),
            pg,
            seg,
            seqs,
            on_disk,
            broken,
            gaps,
            doubt,
            bases,
            open,
            archiver,
        })
    }

    /// The name of log file `n` of sequence `seq` (a timeline in hex, or a binlog base name).
    fn file_name(&self, seq: &str, n: u64) -> String {
        if self.pg {
            u32::from_str_radix(seq, 16).map(|t| index::segment_name(t, n, self.seg)).unwrap_or_default()
        } else {
            index::binlog_name(seq, n)
        }
    }

    fn mtime_ms(&self, name: &str) -> Option<i64> {
        let m = std::fs::metadata(self.dir.join(name)).and_then(|m| m.modified()).ok()?;
        Some(DateTime::<Utc>::from(m).timestamp_millis())
    }

    /// What a window waiting for the archive is told about the archiver.
    fn archiver_note(&self) -> String {
        self.archiver.as_ref().map(|a| format!("; {a}: start it (quiesce archive start)")).unwrap_or_default()
    }

    /// The lane's archived range and its gaps in time. `bases` are the
    /// MySQL/MariaDB backups with exact coordinates (`mysql_bases`).
    pub fn lane(&self, my_bases: &[MyBase], now_ms: i64) -> LaneArchive {
        // Present files in log order (by sequence, then number: binlog.1000000 after binlog.999999).
        let mut present: Vec<(String, u64, String)> = Vec::new();
        for (k, s) in &self.seqs {
            for n in &s.nums {
                present.push((k.clone(), *n, self.file_name(k, *n)));
            }
        }
        present.sort();
        let order = |name: &str| seq_of(name, self.seg).unwrap_or_default();
        let last = present.last().map(|p| p.2.clone());
        let (base, base_ms, base_at) = if self.pg {
            let b = self.bases.first();
            let at = b.and_then(|b| {
                let end = crate::archive::base::lsn(&b.end_lsn)?;
                Some((format!("{:08X}", b.timeline), end / self.seg))
            });
            (b.map(|b| b.id.clone()), b.map(|b| b.started_at.timestamp_millis()), at)
        } else {
            let b = my_bases.iter().min_by_key(|b| b.at_ms);
            let at = b.and_then(|b| index::binlog_number(&b.file).map(|(k, n)| (k.to_string(), n)));
            (b.map(|b| b.id.clone()), b.map(|b| b.at_ms), at)
        };
        let newest = match &self.open {
            Some((n, _)) => self.mtime_ms(n),
            None => last.as_deref().and_then(|n| self.mtime_ms(n)),
        };
        let from_ms = base_ms.or_else(|| present.first().and_then(|p| self.mtime_ms(&p.2)));
        let mut gaps: Vec<GapSpan> = Vec::new();
        if let Some(why) = &self.doubt {
            gaps.push(GapSpan {
                from_ms: from_ms.unwrap_or(now_ms),
                to_ms: now_ms,
                from: index::INDEX.into(),
                to: index::INDEX.into(),
                reason: why.clone(),
            });
        }
        // Log between the oldest base and the first file archived after it was never archived.
        if let (Some((k, n)), Some(ms)) = (&base_at, base_ms) {
            if let Some(first) = self.seqs.get(k).and_then(Seq::oldest).filter(|f| f > n) {
                let name = |x: u64| self.file_name(k, x);
                gaps.push(GapSpan {
                    from_ms: ms,
                    to_ms: self.mtime_ms(&name(first)).unwrap_or(now_ms),
                    from: name(*n),
                    to: name(first - 1),
                    reason:
                        "never archived: the archive begins after the oldest base (the archiver was not running then)"
                            .into(),
                });
            }
        }
        for g in &self.gaps {
            let (from, to) = (order(&g.from), order(&g.to));
            let before = present.iter().rev().find(|p| (p.0.clone(), p.1) < from).and_then(|p| self.mtime_ms(&p.2));
            let after = present.iter().find(|p| (p.0.clone(), p.1) > to).and_then(|p| self.mtime_ms(&p.2));
            gaps.push(GapSpan {
                from_ms: before.or(from_ms).unwrap_or(now_ms),
                to_ms: after.unwrap_or(now_ms),
                from: g.from.clone(),
                to: g.to.clone(),
                reason: g.reason.clone(),
            });
        }
        LaneArchive { from_ms, to_ms: newest, base, last, gaps }
    }

    /// Whether this archive reaches `at` (the window's position for `storage`).
    pub fn reach(&self, storage: &str, at: &LogAt, my_bases: &[MyBase]) -> Reach {
        let r = |state, detail: String| Reach { storage: storage.to_string(), state, base: None, detail };
        if let LogAt::Unread { reason } = at {
            return r(ReachState::NoPosition, format!("its position was not read in the pause: {reason}"));
        }
        if let Some(why) = &self.doubt {
            return r(
                ReachState::Gap,
                format!("the archive's index cannot be read, so nothing in it can be vouched for: {why}"),
            );
        }
        match at {
            LogAt::Wal { lsn, timeline, .. } if self.pg => self.reach_wal(storage, lsn, *timeline),
            LogAt::Binlog { file, position, .. } if !self.pg => self.reach_binlog(storage, file, *position, my_bases),
            _ => r(ReachState::NoPosition, "the position recorded is of another kind of log than the archive's".into()),
        }
    }

    /// Why a log file a replay needs is not held: waiting (not there yet,
    /// or completed and not indexed yet) or a gap (lost, or never archived).
    fn missing(&self, name: &str, beyond_newest: bool, what: &str) -> (ReachState, String) {
        if let Some(why) = self.broken.get(name) {
            return (ReachState::Gap, format!("{what} {name} is needed and {why}"));
        }
        if self.on_disk.contains(name) {
            return (
                ReachState::Waiting,
                format!(
                    "{what} {name} is complete and not indexed yet (the archiver indexes it on its next heartbeat){}",
                    self.archiver_note()
                ),
            );
        }
        if beyond_newest {
            return (ReachState::Waiting, String::new());
        }
        let why = self
            .gaps
            .iter()
            .find(|g| g.from.as_str() <= name && name <= g.to.as_str())
            .map(|g| g.reason.clone())
            .unwrap_or_else(|| "it was never archived".into());
        (ReachState::Gap, format!("{what} {name} is needed and {why}"))
    }

    fn reach_wal(&self, storage: &str, lsn: &str, tli: u32) -> Reach {
        let r = |state, detail: String| Reach { storage: storage.to_string(), state, base: None, detail };
        let Some(target) = crate::archive::base::lsn(lsn) else {
            return r(ReachState::NoPosition, format!("the recorded LSN {lsn:?} cannot be read"));
        };
        // The newest base whose WAL ends at or before the position.
        let before = |b: &&BaseBackup| crate::archive::base::lsn(&b.end_lsn).is_some_and(|e| e <= target);
        let Some(base) = self.bases.iter().rev().find(|b| b.timeline == tli && before(b)) else {
            return match self.bases.iter().rev().find(before) {
                Some(b) => r(
                    ReachState::NoBase,
                    format!(
                        "the newest base before it, {}, is on timeline {} and the window on timeline {tli} (a failover between them): take a new base backup (quiesce archive base)",
                        b.id, b.timeline
                    ),
                ),
                None => r(
                    ReachState::NoBase,
                    if self.bases.is_empty() {
                        "no intact base backup of this database (quiesce archive base)".into()
                    } else {
                        "every base backup of this database ends after the window".into()
                    },
                ),
            };
        };
        // The base holds its own WAL up to its end (`-X stream`): the archive
        // is needed from the segment of its end to the one the position lies in.
        let Some(end) = crate::archive::base::lsn(&base.end_lsn) else {
            return r(ReachState::NoBase, format!("base {} records no readable end LSN", base.id));
        };
        let (first, last) = (end / self.seg, target / self.seg);
        let name = |n: u64| index::segment_name(tli, n, self.seg);
        let seq = self.seqs.get(&format!("{tli:08X}"));
        let newest = seq.and_then(Seq::newest);
        if let Some(n) = seq.map_or(Some(first), |s| s.first_missing(first, last)) {
            let beyond = newest.is_none_or(|m| n > m);
            let (state, mut detail) = self.missing(&name(n), beyond, "segment");
            if detail.is_empty() {
                detail = if n == last {
                    format!(
                        "the window's position {lsn} lies in segment {}, which is not complete yet: it is when the server moves to the next segment (SELECT pg_switch_wal() does it now){}",
                        name(last),
                        self.archiver_note()
                    )
                } else {
                    format!(
                        "the archive holds WAL up to {} and the window's position {lsn} is in {}: the archive is behind{}",
                        newest.map(name).unwrap_or_else(|| "nothing on this timeline".into()),
                        name(last),
                        self.archiver_note()
                    )
                };
            }
            return r(state, detail);
        }
        Reach {
            base: Some(base.id.clone()),
            ..r(
                ReachState::Restorable,
                format!("base {} + WAL {} … {} to {lsn} (timeline {tli})", base.id, name(first), name(last)),
            )
        }
    }

    fn reach_binlog(&self, storage: &str, file: &str, pos: u64, my_bases: &[MyBase]) -> Reach {
        let r = |state, detail: String| Reach { storage: storage.to_string(), state, base: None, detail };
        let Some((stem, wn)) = index::binlog_number(file) else {
            return r(ReachState::NoPosition, format!("the recorded binary log file {file:?} cannot be read"));
        };
        let key = |f: &str, p: u64| index::binlog_number(f).filter(|(s, _)| *s == stem).map(|(_, n)| (n, p));
        let Some((base, (bn, bpos))) = my_bases
            .iter()
            .filter(|b| b.storages.iter().any(|s| s == storage))
            .filter_map(|b| Some((b, key(&b.file, b.position)?)))
            .filter(|(_, k)| *k <= (wn, pos))
            .max_by_key(|(_, k)| *k)
        else {
            return r(
                ReachState::NoBase,
                "no backup with exact binary log coordinates before it (a `quiesce backup` of a server writing a binary log records them)".into(),
            );
        };
        let name = |n: u64| index::binlog_name(stem, n);
        let seq = self.seqs.get(stem);
        let newest = seq.and_then(Seq::newest);
        let open_n = self.open.as_ref().and_then(|(o, _)| key(o, 0)).map(|(n, _)| n);
        if let Some(n) = seq.map_or(Some(bn), |s| s.first_missing(bn, wn)) {
            let f = name(n);
            match self.open.as_ref().filter(|(o, _)| *o == f) {
                // The window's file is the one being copied, and holds the position: reached.
                Some((_, size)) if n == wn && *size >= pos => {}
                Some((_, size)) => {
                    return r(
                        ReachState::Waiting,
                        format!(
                            "the archive is still copying {f} (up to byte {size}) and has not got to the window's position {file}:{pos} yet{}",
                            self.archiver_note()
                        ),
                    )
                }
                None => {
                    let (state, detail) =
                        self.missing(&f, newest.max(open_n).is_none_or(|m| n > m), "binary log file");
                    let detail = if detail.is_empty() {
                        format!(
                            "the archive has not got binary log file {f} yet (the window's position is {file}:{pos}){}",
                            self.archiver_note()
                        )
                    } else {
                        detail
                    };
                    return r(state, detail);
                }
            }
        }
        Reach {
            base: Some(base.id.clone()),
            ..r(
                ReachState::Restorable,
                format!("backup {} ({}:{bpos}) + binary logs {} … {file} to {pos}", base.id, base.file, name(bn)),
            )
        }
    }
}

/// A backup with exact binary log coordinates: a base for MySQL/MariaDB replay.
#[derive(Debug, Clone)]
pub struct MyBase {
    pub id: String,
    pub storages: Vec<String>,
    pub file: String,
    pub position: u64,
    pub at_ms: i64,
}

/// The usable backups of a deployment's catalog entries with exact binary
/// log coordinates, per unit.
pub fn mysql_bases(entries: &[&CatalogEntry]) -> Vec<MyBase> {
    entries
        .iter()
        .filter(|e| e.kind == "backup" && e.status.usable())
        .flat_map(|e| {
            e.units.iter().filter_map(move |u| match &u.replay_start {
                Some(LogAt::Binlog { file, position, .. }) => Some(MyBase {
                    id: e.id.clone(),
                    storages: u.storages.clone(),
                    file: file.clone(),
                    position: *position,
                    at_ms: e.started_at.timestamp_millis(),
                }),
                _ => None,
            })
        })
        .collect()
}

/// Each storage's reach of a window, for the storages `archives` hold.
pub fn window(positions: &[LogPosition], archives: &[Held], my_bases: &[MyBase]) -> Vec<Reach> {
    let mut out = Vec::new();
    for h in archives {
        for s in &h.storages {
            let at = positions.iter().find(|p| p.storages.contains(s)).map(|p| &p.at);
            out.push(match at {
                Some(at) => h.reach(s, at, my_bases),
                None => Reach {
                    storage: s.clone(),
                    state: ReachState::NoPosition,
                    base: None,
                    detail: "the window records no log position for it (taken before positions were kept)".into(),
                },
            });
        }
    }
    out
}

/// The lanes' archives by storage.
pub fn lanes(archives: &[Held], my_bases: &[MyBase], now_ms: i64) -> BTreeMap<String, LaneArchive> {
    let mut out = BTreeMap::new();
    for h in archives {
        let bases: Vec<MyBase> =
            my_bases.iter().filter(|b| b.storages.iter().any(|s| h.storages.contains(s))).cloned().collect();
        let lane = h.lane(&bases, now_ms);
        for s in &h.storages {
            out.insert(s.clone(), lane.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::index::{segment_name, Index};

    const SEG: u64 = 1024; // a small power of two stands for 16 MiB

    fn lsn(n: u64, off: u64) -> String {
        let v = n * SEG + off;
        format!("{:X}/{:X}", v >> 32, v & 0xFFFF_FFFF)
    }

    fn base(dir: &Path, id: &str, end: String, files: Vec<crate::catalog::manifest::ManifestFile>) {
        let b = BaseBackup {
            schema_version: 1,
            id: id.into(),
            deployment: "d".into(),
            storages: vec!["p".into()],
            profile: "p".into(),
            started_at: Utc::now(),
            ended_at: Utc::now(),
            timeline: 1,
            start_lsn: end.clone(),
            end_lsn: end,
            tool: "pg_basebackup".into(),
            files,
        };
        let f = dir.join("base").join(id);
        std::fs::create_dir_all(&f).unwrap();
        std::fs::write(f.join(crate::archive::base::BASE_MANIFEST), serde_json::to_vec(&b).unwrap()).unwrap();
    }

    fn wal(lsn: String) -> LogAt {
        LogAt::Wal { segment: String::new(), lsn, timeline: 1 }
    }

    #[test]
    fn first_missing_answers_from_runs() {
        let s = Seq::of(vec![5, 1, 2, 3, 7, 8]);
        assert_eq!(s.first_missing(1, 3), None);
        assert_eq!(s.first_missing(1, 5), Some(4));
        assert_eq!(s.first_missing(2, 2), None);
        assert_eq!(s.first_missing(0, 3), Some(0));
        assert_eq!(s.first_missing(7, 9), Some(9));
        assert_eq!(s.first_missing(6, 8), Some(6));
        assert_eq!(Seq::of(vec![]).first_missing(1, 1), Some(1));
    }

    #[test]
    fn wal_windows_against_what_the_folder_holds() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for n in [1u64, 2, 3, 5] {
            std::fs::write(d.join(segment_name(1, n, SEG)), vec![0u8; SEG as usize]).unwrap();
        }
        Index::read(d).unwrap().update(d).unwrap();
        base(d, "b1", lsn(1, 8), vec![]);
        let held = || Held::read(d, vec!["p".into()], true).unwrap();
        let at = |h: &Held, n, off| h.reach("p", &wal(lsn(n, off)), &[]);
        let h = held();
        let r = at(&h, 3, 5);
        assert_eq!((r.state, r.base.as_deref()), (ReachState::Restorable, Some("b1")), "{r:?}");
        assert_eq!(at(&h, 0, 5).state, ReachState::NoBase, "before the base");
        let r = at(&h, 4, 5);
        assert_eq!(r.state, ReachState::Gap, "segment 4 was skipped, 5 is there: {r:?}");
        let r = at(&h, 6, 1);
        assert_eq!(r.state, ReachState::Gap, "needs 4 too: {r:?}");
        // Segment 4 arrives, complete but not indexed yet: waiting, not a gap.
        std::fs::write(d.join(segment_name(1, 4, SEG)), vec![0u8; SEG as usize]).unwrap();
        let r = at(&held(), 4, 5);
        assert_eq!(r.state, ReachState::Waiting, "{r:?}");
        assert!(r.detail.contains("not indexed yet"), "{r:?}");
        Index::read(d).unwrap().update(d).unwrap();
        let h = held();
        assert_eq!(at(&h, 5, 9).state, ReachState::Restorable);
        let r = at(&h, 6, 1);
        assert_eq!(r.state, ReachState::Waiting, "in the segment being written: {r:?}");
        assert!(r.detail.contains("pg_switch_wal"), "{r:?}");
        // The archive begins after the base: a leading gap on the lane.
        std::fs::remove_dir_all(d.join("base")).unwrap();
        base(d, "b0", lsn(0, 8), vec![]);
        let lane = held().lane(&[], 0);
        assert_eq!(lane.base.as_deref(), Some("b0"));
        assert!(
            lane.gaps.iter().any(|g| g.from == segment_name(1, 0, SEG) && g.reason.contains("begins after")),
            "{lane:?}"
        );
        // A base whose file is gone is no base.
        let gone =
            crate::catalog::manifest::ManifestFile { name: "base.tar.gz".into(), bytes: 10, sha256: String::new() };
        std::fs::remove_dir_all(d.join("base")).unwrap();
        base(d, "b2", lsn(1, 8), vec![gone]);
        let h = held();
        let r = at(&h, 3, 5);
        assert_eq!(r.state, ReachState::NoBase, "{r:?}");
        assert!(h.lane(&[], 0).gaps.iter().any(|g| g.reason.contains("b2 is damaged")));
    }

    #[test]
    fn binlog_windows_and_the_file_being_copied() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("binlog.000001"), vec![0u8; 900]).unwrap();
        std::fs::write(d.join("binlog.000002"), vec![0u8; 500]).unwrap();
        Index::read(d).unwrap().update(d).unwrap();
        let h = Held::read(d, vec!["m".into()], false).unwrap();
        let bases = [MyBase {
            id: "bk".into(),
            storages: vec!["m".into()],
            file: "binlog.000001".into(),
            position: 100,
            at_ms: 0,
        }];
        let at = |f: &str, p| h.reach("m", &LogAt::Binlog { file: f.into(), position: p, gtid: None }, &bases);
        let r = at("binlog.000002", 500);
        assert_eq!((r.state, r.base.as_deref()), (ReachState::Restorable, Some("bk")), "copied up to it: {r:?}");
        let r = at("binlog.000002", 501);
        assert_eq!(r.state, ReachState::Waiting, "{r:?}");
        assert_eq!(at("binlog.000001", 50).state, ReachState::NoBase, "before the backup's coordinates");
        assert_eq!(at("binlog.000003", 4).state, ReachState::Waiting, "not there yet");
        // An old base name written after a newer one (an upgrade renamed the
        // log): the file being copied is the one changed last.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(d.join("host-bin.000100"), vec![0u8; 10]).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(d.join("binlog.000003"), vec![0u8; 10]).unwrap();
        assert_eq!(index::open_binlog(d).as_deref(), Some("binlog.000003"));
    }
}
