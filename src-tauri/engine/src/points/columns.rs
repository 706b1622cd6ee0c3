//! The timeline as the app's IPC carries it: the windows as columns rather
//! than objects, every repeated string (statuses, refusals, backup ids,
//! storages, reach states and details) once in a table the columns point
//! into, and times as small differences. A month of windows every 5 minutes
//! is ~10 000; as objects they were ~2.5 MB of JSON through the webview's
//! IPC, most of the time to the first frame. The UI turns the columns back
//! into the [`Timeline`] the CLI prints (`ui/src/data/columns.ts`); both
//! sides are tested against one fixture (`tests/fixtures/timeline-columns.json`).
//!
//! One thing is left out: a restorable window's log range (its LSNs are
//! unique to it, so they would not share); the window keeps which base it
//! replays from, and `quiesce points` prints the range.

use super::reach::{Reach, ReachState};
use super::{BackupMark, Lane, Timeline, WindowMark};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TimelineColumns {
    pub deployment: String,
    pub deployment_id: String,
    #[ts(type = "number")]
    pub now_ms: i64,
    pub lanes: Vec<Lane>,
    pub windows: WindowColumns,
    pub backups: Vec<BackupMark>,
    pub damaged: Vec<String>,
}

/// The windows, oldest first, one entry per window in every column.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, TS)]
pub struct WindowColumns {
    /// The distinct strings the index columns point into.
    pub strings: Vec<String>,
    pub id: Vec<String>,
    /// Difference from the previous window's start that had one (the first: from 0); null: none.
    #[ts(type = "Array<number | null>")]
    pub start: Vec<Option<i64>>,
    /// Differences from the window's own start (from 0 when it has none).
    #[ts(type = "Array<number | null>")]
    pub end: Vec<Option<i64>>,
    #[ts(type = "Array<number | null>")]
    pub safe_from: Vec<Option<i64>>,
    #[ts(type = "Array<number | null>")]
    pub safe_to: Vec<Option<i64>>,
    #[ts(type = "Array<number | null>")]
    pub point: Vec<Option<i64>>,
    /// Index of the status.
    pub status: Vec<u32>,
    /// Index of the backup id, if any.
    pub backup_id: Vec<Option<u32>>,
    /// Indices of the storages with a snapshot.
    pub snapshots: Vec<Vec<u32>>,
    /// Indices of the refusals.
    pub refusals: Vec<Vec<u32>>,
    /// Per window, four indices per archived storage: storage, state, base
    /// (or `u32::MAX`: none) and detail (`u32::MAX`: left out, restorable).
    pub reach: Vec<Vec<u32>>,
}

const NONE: u32 = u32::MAX;

#[derive(Default)]
struct Strings {
    table: Vec<String>,
    at: HashMap<String, u32>,
}

impl Strings {
    fn of(&mut self, s: &str) -> u32 {
        if let Some(i) = self.at.get(s) {
            return *i;
        }
        let i = self.table.len() as u32;
        self.table.push(s.to_string());
        self.at.insert(s.to_string(), i);
        i
    }
}

fn state_name(s: ReachState) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

impl TimelineColumns {
    pub fn of(t: Timeline) -> TimelineColumns {
        let mut s = Strings::default();
        let mut c = WindowColumns::default();
        let mut prev = 0i64;
        for w in &t.windows {
            c.id.push(w.id.clone());
            c.start.push(w.start_ms.map(|v| v - prev));
            let base = w.start_ms.unwrap_or(0);
            prev = w.start_ms.unwrap_or(prev);
            let rel = |v: Option<i64>| v.map(|v| v - base);
            c.end.push(rel(w.end_ms));
            c.safe_from.push(rel(w.safe_from_ms));
            c.safe_to.push(rel(w.safe_to_ms));
            c.point.push(rel(w.point_ms));
            c.status.push(s.of(&w.status));
            c.backup_id.push(w.backup_id.as_deref().map(|b| s.of(b)));
            c.snapshots.push(w.snapshots.iter().map(|x| s.of(x)).collect());
            c.refusals.push(w.refusals.iter().map(|x| s.of(x)).collect());
            c.reach.push(
                w.reach
                    .iter()
                    .flat_map(|r| {
                        [
                            s.of(&r.storage),
                            s.of(&state_name(r.state)),
                            r.base.as_deref().map(|b| s.of(b)).unwrap_or(NONE),
                            if r.state == ReachState::Restorable { NONE } else { s.of(&r.detail) },
                        ]
                    })
                    .collect(),
            );
        }
        c.strings = s.table;
        TimelineColumns {
            deployment: t.deployment,
            deployment_id: t.deployment_id,
            now_ms: t.now_ms,
            lanes: t.lanes,
            windows: c,
            backups: t.backups,
            damaged: t.damaged,
        }
    }

    /// Back to rows, as the UI does it (a restorable window's detail empty).
    pub fn rows(&self) -> Timeline {
        let c = &self.windows;
        let at = |i: u32| c.strings.get(i as usize).cloned().unwrap_or_default();
        let mut prev = 0i64;
        let windows = (0..c.id.len())
            .map(|k| {
                let start = c.start[k].map(|d| prev + d);
                prev = start.unwrap_or(prev);
                let base = start.unwrap_or(0);
                let abs = |v: Option<i64>| v.map(|v| v + base);
                WindowMark {
                    id: c.id[k].clone(),
                    status: at(c.status[k]),
                    start_ms: start,
                    end_ms: abs(c.end[k]),
                    safe_from_ms: abs(c.safe_from[k]),
                    safe_to_ms: abs(c.safe_to[k]),
                    point_ms: abs(c.point[k]),
                    backup_id: c.backup_id[k].map(at),
                    snapshots: c.snapshots[k].iter().map(|i| at(*i)).collect(),
                    refusals: c.refusals[k].iter().map(|i| at(*i)).collect(),
                    reach: c.reach[k]
                        .chunks(4)
                        .map(|q| Reach {
                            storage: at(q[0]),
                            state: serde_json::from_value(serde_json::Value::String(at(q[1])))
                                .unwrap_or(ReachState::NoPosition),
                            base: (q[2] != NONE).then(|| at(q[2])),
                            detail: if q[3] == NONE { String::new() } else { at(q[3]) },
                        })
                        .collect(),
                }
            })
            .collect();
        Timeline {
            deployment: self.deployment.clone(),
            deployment_id: self.deployment_id.clone(),
            now_ms: self.now_ms,
            lanes: self.lanes.clone(),
            windows,
            backups: self.backups.clone(),
            damaged: self.damaged.clone(),
        }
    }
}
