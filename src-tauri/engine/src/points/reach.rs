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
            ReachState::Restorable => "restorable",
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

/// A database's archive as its folder shows it.
#[derive(Debug, Clone)]
pub struct Held {
    pub storages: Vec<String>,
    dir: PathBuf,
    pg: bool,
    seg: u64,
    /// Complete, intact log files by name.
    complete: std::collections::HashSet<String>,
    /// Files indexed but no longer intact, with why.
    broken: HashMap<String, String>,
    gaps: Vec<index::Gap>,
    /// The whole archive is in doubt (its index cannot be read).
    doubt: Option<String>,
    bases: Vec<BaseBackup>,
    /// MySQL/MariaDB: the binary log file being copied and its size.
    open: Option<(String, u64)>,
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
        let gaps = idx.gaps(dir, false);
        let broken: HashMap<String, String> =
            gaps.iter().filter(|g| g.from == g.to).map(|g| (g.from.clone(), g.reason.clone())).collect();
        let complete = idx.logs().map(|f| f.name.clone()).filter(|n| !broken.contains_key(n)).collect();
        let bases = if pg { crate::archive::base::list(dir).0 } else { vec![] };
        let open = (!pg)
            .then(|| index::open_binlog(dir))
            .flatten()
            .and_then(|n| std::fs::metadata(dir.join(&n)).ok().map(|m| (n, m.len())));
        Some(Held {
            storages,
            dir: dir.to_path_buf(),
            pg,
            seg: idx.segment_bytes(),
            complete,
            broken,
            gaps,
            doubt,
            bases,
            open,
        })
    }

    fn mtime_ms(&self, name: &str) -> Option<i64> {
        let m = std::fs::metadata(self.dir.join(name)).and_then(|m| m.modified()).ok()?;
        Some(DateTime::<Utc>::from(m).timestamp_millis())
    }

    /// The lane's archived range and its gaps in time. `bases` are the
    /// MySQL/MariaDB backups with exact coordinates (`mysql_bases`).
    pub fn lane(&self, my_bases: &[MyBase], now_ms: i64) -> LaneArchive {
        let mut present: Vec<&String> = self.complete.iter().collect();
        present.sort();
        let last = present.last().map(|s| s.to_string());
        let (base, base_ms) = if self.pg {
            let b = self.bases.first();
            (b.map(|b| b.id.clone()), b.map(|b| b.started_at.timestamp_millis()))
        } else {
            let b = my_bases.iter().min_by_key(|b| b.at_ms);
            (b.map(|b| b.id.clone()), b.map(|b| b.at_ms))
        };
        let newest = match &self.open {
            Some((n, _)) => self.mtime_ms(n),
            None => last.as_deref().and_then(|n| self.mtime_ms(n)),
        };
        let from_ms = base_ms.or_else(|| present.first().and_then(|n| self.mtime_ms(n)));
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
        for g in &self.gaps {
            let before = present.iter().rev().find(|n| n.as_str() < g.from.as_str()).and_then(|n| self.mtime_ms(n));
            let after = present.iter().find(|n| n.as_str() > g.to.as_str()).and_then(|n| self.mtime_ms(n));
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
        if let Some(why) = &self.doubt {
            return r(
                ReachState::Gap,
                format!("the archive's index cannot be read, so nothing in it can be vouched for: {why}"),
            );
        }
        match at {
            LogAt::Unread { reason } => {
                r(ReachState::NoPosition, format!("its position was not read in the pause: {reason}"))
            }
            LogAt::Wal { lsn, timeline, .. } if self.pg => self.reach_wal(storage, lsn, *timeline),
            LogAt::Binlog { file, position, .. } if !self.pg => self.reach_binlog(storage, file, *position, my_bases),
            _ => r(ReachState::NoPosition, "the position recorded is of another kind of log than the archive's".into()),
        }
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
                        "no base backup of this database (quiesce archive base)".into()
                    } else {
                        "every base backup of this database ends after the window".into()
                    },
                ),
            };
        };
        let Some(start) = crate::archive::base::lsn(&base.start_lsn) else {
            return r(ReachState::NoBase, format!("base {} records no readable start LSN", base.id));
        };
        let (first, last) = (start / self.seg, target / self.seg);
        let newest = self
            .complete
            .iter()
            .filter_map(|n| index::segment_number(n, self.seg))
            .filter(|(t, _)| *t == tli)
            .map(|(_, n)| n)
            .max();
        for n in first..=last {
            let name = index::segment_name(tli, n, self.seg);
            if self.complete.contains(&name) {
                continue;
            }
            if let Some(why) = self.broken.get(&name) {
                return r(ReachState::Gap, format!("segment {name} is needed and {why}"));
            }
            if newest.is_none_or(|m| n > m) {
                return r(
                    ReachState::Waiting,
                    format!(
                        "the archive holds WAL up to {} and the window's position {lsn} lies in segment {}, not complete yet (it is when the server moves to the next segment; SELECT pg_switch_wal() does it now)",
                        newest.map(|m| index::segment_name(tli, m, self.seg)).unwrap_or_else(|| "nothing on this timeline".into()),
                        index::segment_name(tli, last, self.seg)
                    ),
                );
            }
            let why = self
                .gaps
                .iter()
                .find(|g| g.from.as_str() <= name.as_str() && name.as_str() <= g.to.as_str())
                .map(|g| g.reason.clone())
                .unwrap_or_else(|| "it was never archived".into());
            return r(ReachState::Gap, format!("segment {name} is needed and {why}"));
        }
        Reach {
            base: Some(base.id.clone()),
            ..r(
                ReachState::Restorable,
                format!(
                    "base {} + WAL {} … {} to {lsn} (timeline {tli})",
                    base.id,
                    index::segment_name(tli, first, self.seg),
                    index::segment_name(tli, last, self.seg)
                ),
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
        let name = |n: u64| format!("{stem}.{n:06}");
        let newest = self.complete.iter().filter_map(|f| key(f, 0)).map(|(n, _)| n).max();
        let open_n = self.open.as_ref().and_then(|(o, _)| key(o, 0)).map(|(n, _)| n);
        for n in bn..=wn {
            let f = name(n);
            if self.complete.contains(&f) {
                continue;
            }
            if let Some(why) = self.broken.get(&f) {
                return r(ReachState::Gap, format!("binary log file {f} is needed and {why}"));
            }
            if let Some((_, size)) = self.open.as_ref().filter(|(o, _)| *o == f) {
                if n == wn && *size > pos {
                    continue;
                }
                return r(
                    ReachState::Waiting,
                    format!("the archive is still copying {f} (up to byte {size}) and has not got past the window's position {file}:{pos} yet"),
                );
            }
            if newest.max(open_n).is_none_or(|m| n > m) {
                return r(
                    ReachState::Waiting,
                    format!("the archive has not got binary log file {f} yet (the window's position is {file}:{pos})"),
                );
            }
            let why = self
                .gaps
                .iter()
                .find(|g| g.from.as_str() <= f.as_str() && f.as_str() <= g.to.as_str())
                .map(|g| g.reason.clone())
                .unwrap_or_else(|| "it was never archived".into());
            return r(ReachState::Gap, format!("binary log file {f} is needed and {why}"));
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
