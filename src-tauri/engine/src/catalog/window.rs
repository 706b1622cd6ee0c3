//! A pause window: when every node was paused (start: after the last node
//! confirmed; end: just before the first Unpause), each node's outcome, each
//! database's clock offset, the safe interval and its midpoint, the restore
//! point. Kept in the catalog as `<root>/<deployment>/<id>.window.json`,
//! beside the backups, whether or not a backup was taken in it. Unsafe and
//! failed windows are kept too, with the reason, and never offered as
//! restore points.

use super::clock::{self, ClockOffset};
use crate::admin::{Node, NodeError};
use crate::error::{Error, Result};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;

pub const SUFFIX: &str = ".window.json";
/// 2: `positions` (each storage's log position, read inside the pause).
/// Version 1 files load as they are, with no positions.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PauseWindow {
    pub schema_version: u32,
    pub id: String,
    pub deployment: String,
    pub deployment_id: String,
    /// pause (a window held for PITR restore points) or backup (a backup taken in it).
    pub purpose: String,
    /// The backup taken in it.
    pub backup_id: Option<String>,
    /// ok, unsafe or failed.
    pub status: String,
    pub safe: bool,
    /// Why it is unsafe or failed.
    pub problems: Vec<String>,
    #[ts(type = "string | null")]
    pub started_at: Option<DateTime<Utc>>,
    #[ts(type = "string | null")]
    pub ended_at: Option<DateTime<Utc>>,
    /// As the Kubernetes pause tool prints them (epoch ms, this machine's clock).
    #[ts(type = "number | null")]
    pub pause_start_timestamp_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub pause_end_timestamp_ms: Option<i64>,
    /// ISO 8601 with an offset (the Kubernetes tool's local times have none).
    pub pause_start_date_time: Option<String>,
    pub pause_end_date_time: Option<String>,
    pub paused_ms: Option<f64>,
    pub nodes: Vec<NodeOutcome>,
    pub offsets: Vec<ClockOffset>,
    #[ts(type = "string | null")]
    pub safe_from: Option<DateTime<Utc>>,
    #[ts(type = "string | null")]
    pub safe_to: Option<DateTime<Utc>>,
    /// The safe interval's midpoint: the point-in-time restore point.
    #[ts(type = "string | null")]
    pub restore_point: Option<DateTime<Utc>>,
    #[ts(type = "number | null")]
    pub restore_point_ms: Option<i64>,
    /// The in-pause hooks that ran in it.
    #[serde(default)]
    pub hooks: Vec<HookRun>,
    /// Each storage's own log position, read while every node was paused:
    /// nothing committed between it and the window's end, so replaying a
    /// storage's log to it restores the state of the pause, whatever the clocks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positions: Vec<LogPosition>,
    /// Who and where.
    pub user: String,
    pub host: String,
}

fn iso(t: DateTime<Utc>) -> String {
    t.with_timezone(&chrono::Local).to_rfc3339_opts(SecondsFormat::Millis, false)
}

impl PauseWindow {
    pub fn new_id(at: DateTime<Utc>) -> String {
        format!("{}-w{}", at.format("%Y%m%dT%H%M%S%.3fZ"), &uuid::Uuid::new_v4().simple().to_string()[..6])
    }

    /// A window from a pause that ended, its clocks and what made it unsafe.
    pub fn of(
        d: &crate::deployment::Deployment,
        purpose: &str,
        end: &PauseEnd,
        offsets: Vec<ClockOffset>,
    ) -> PauseWindow {
        let mut problems = end.problems.clone();
        let interval = clock::safe_interval(end.started_at, end.ended_at, &offsets);
        let unread: Vec<String> = offsets
            .iter()
            .filter(|o| !o.uncertainty_ms.is_finite())
            .map(|o| format!("{} ({})", o.source, o.how))
            .collect();
        if !unread.is_empty() {
            problems.push(format!(
                "The clock of {} could not be read, so no restore time can be shown to fall inside the window on it. Make it reachable from this machine and pause again.",
                unread.join(", ")
            ));
        } else if interval.is_none() {
            let worst = offsets.iter().map(|o| o.offset_ms.abs() + o.uncertainty_ms).fold(0.0, f64::max);
            problems.push(format!(
                "The window ({:.0} ms) is too short for the clocks' offsets (up to {worst:.0} ms): no restore time is inside it on every database. Pause longer (--min).",
                end.paused_ms
            ));
        }
        let still_paused = end.outcomes.iter().any(|o| !o.unpaused);
        if let Some(why) = &end.aborted {
            problems.insert(
                0,
                format!("The pause was aborted: {why}. The nodes were unpaused; this window is not a restore point."),
            );
        }
        let failed = still_paused || end.aborted.is_some();
        let safe = problems.is_empty();
        let restore_point = interval.filter(|_| safe).map(|(a, b)| a + (b - a) / 2);
        PauseWindow {
            schema_version: SCHEMA_VERSION,
            id: end.window_id.clone(),
            deployment: d.name.clone(),
            deployment_id: d.id.clone(),
            purpose: purpose.into(),
            backup_id: None,
            status: if failed {
                "failed"
            } else if safe {
                "ok"
            } else {
                "unsafe"
            }
            .into(),
            safe,
            problems,
            started_at: Some(end.started_at),
            ended_at: Some(end.ended_at),
            pause_start_timestamp_ms: Some(end.started_at.timestamp_millis()),
            pause_end_timestamp_ms: Some(end.ended_at.timestamp_millis()),
            pause_start_date_time: Some(iso(end.started_at)),
            pause_end_date_time: Some(iso(end.ended_at)),
            paused_ms: Some(end.paused_ms),
            nodes: end.outcomes.clone(),
            offsets,
            safe_from: interval.map(|i| i.0),
            safe_to: interval.map(|i| i.1),
            restore_point,
            restore_point_ms: restore_point.map(|t| t.timestamp_millis()),
            hooks: vec![],
            positions: vec![],
            user: std::env::var("USER").unwrap_or_default(),
            host: crate::paths::host_name(),
        }
    }

    /// A pause that never held (it failed before every node was paused).
    pub fn failed(d: &crate::deployment::Deployment, purpose: &str, why: &str) -> PauseWindow {
        let now = Utc::now();
        PauseWindow {
            schema_version: SCHEMA_VERSION,
            id: PauseWindow::new_id(now),
            deployment: d.name.clone(),
            deployment_id: d.id.clone(),
            purpose: purpose.into(),
            backup_id: None,
            status: "failed".into(),
            safe: false,
            problems: vec![why.to_string()],
            started_at: None,
            ended_at: None,
            pause_start_timestamp_ms: None,
            pause_end_timestamp_ms: None,
            pause_start_date_time: None,
            pause_end_date_time: None,
            paused_ms: None,
            nodes: vec![],
            offsets: vec![],
            safe_from: None,
            safe_to: None,
            restore_point: None,
            restore_point_ms: None,
            hooks: vec![],
            positions: vec![],
            user: std::env::var("USER").unwrap_or_default(),
            host: crate::paths::host_name(),
        }
    }

    /// Marks it failed (what the pause was for failed): never a restore point.
    pub fn fail(&mut self, why: &str) {
        if self.status == "ok" {
            self.status = "failed".into();
        }
        self.safe = false;
        self.problems.push(why.to_string());
        self.restore_point = None;
        self.restore_point_ms = None;
    }

    /// Records the hooks that ran in it: one that failed fails the window.
    pub fn with_hooks(mut self, runs: Vec<HookRun>) -> PauseWindow {
        for r in runs.iter().filter(|r| !r.ok) {
            self.problems.push(format!(
                "the in-pause hook of storage {} failed ({}): {}",
                r.storage,
                r.exit_status.map(|c| format!("exit status {c}")).unwrap_or_else(|| "did not finish".into()),
                r.output.lines().last().unwrap_or("")
            ));
            self.status = "failed".into();
            self.safe = false;
            self.restore_point = None;
            self.restore_point_ms = None;
        }
        self.hooks = runs;
        self
    }

    /// Records the log positions read inside it.
    pub fn with_positions(mut self, positions: Vec<LogPosition>) -> PauseWindow {
        self.positions = positions;
        self
    }

    /// The tag hooks get (a snapshot's name): the window's id, so two
    /// windows never share one (`quiesce-20261207T101500123Z-wab12cd`).
    pub fn tag_of(window_id: &str) -> String {
        format!("quiesce-{}", window_id.replace('.', ""))
    }

    /// Writes it into the catalog (atomically, private); returns its path.
    pub fn save(&self, root: &Path) -> Result<PathBuf> {
        let p = crate::paths::inside(root, &[&self.deployment, &format!("{}{SUFFIX}", self.id)])?;
        if let Some(dir) = p.parent() {
            crate::paths::create_private_dir(dir)?;
        }
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| Error::internal(e.to_string()))?;
        crate::store::write_atomic(&p, &bytes)?;
        Ok(p)
    }

    /// Reads a window file. One that parses but does not hold together (see
    /// [`PauseWindow::damage`]) is returned flagged: kept, listed, never a
    /// restore point.
    pub fn read(path: &Path) -> Result<PauseWindow> {
        let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
        let mut w: PauseWindow = serde_json::from_slice(&bytes)
            .map_err(|e| Error::invalid(format!("{} is not a pause window ({e}).", path.display())))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let damage = w.damage(name.strip_suffix(SUFFIX).unwrap_or(&name));
        if !damage.is_empty() {
            w.safe = false;
            w.status = "damaged".into();
            w.restore_point = None;
            w.restore_point_ms = None;
            w.problems.extend(damage.into_iter().map(|d| format!("damaged: {d}")));
        }
        Ok(w)
    }

    /// What makes a window file unusable, whatever it says of itself: names
    /// that could carry a command into a runbook (control characters), an id
    /// that is not its file's name, and times that do not hold together (an
    /// end before the start, a negative or non-finite length, a wall-clock
    /// length the monotonic one contradicts, a restore point outside its own
    /// interval).
    pub fn damage(&self, file_id: &str) -> Vec<String> {
        let mut out = Vec::new();
        if self.id != file_id {
            out.push(format!("its id {:?} is not its file's name ({file_id:?})", self.id));
        }
        let mut names: Vec<(&str, &str)> = vec![
            ("id", &self.id),
            ("deployment", &self.deployment),
            ("deployment_id", &self.deployment_id),
            ("purpose", &self.purpose),
            ("status", &self.status),
            ("user", &self.user),
            ("host", &self.host),
        ];
        if let Some(b) = &self.backup_id {
            names.push(("backup_id", b));
        }
        for h in &self.hooks {
            names.extend([("hook storage", h.storage.as_str()), ("hook tag", &h.tag), ("hook command", &h.command)]);
        }
        for n in &self.nodes {
            names.extend([("node", n.node.endpoint.as_str()), ("node", &n.node.addr), ("node", &n.node.host)]);
        }
        for p in &self.positions {
            names.extend(p.storages.iter().map(|s| ("position storage", s.as_str())));
            names.push(("position profile", &p.profile));
            match &p.at {
                LogAt::Wal { lsn, segment, .. } => {
                    names.extend([("position lsn", lsn.as_str()), ("position segment", segment)])
                }
                LogAt::Binlog { file, gtid, .. } => {
                    names.push(("position binlog file", file));
                    if let Some(g) = gtid {
                        names.push(("position gtid", g));
                    }
                }
                LogAt::Unread { reason } => names.push(("position reason", reason)),
            }
        }
        for (what, v) in names {
            if v.chars().any(char::is_control) {
                out.push(format!(
                    "its {what} holds a control character ({:?})",
                    v.chars().take(60).collect::<String>()
                ));
            }
        }
        if let (Some(a), Some(b)) = (self.started_at, self.ended_at) {
            if b < a {
                out.push(format!("it ends ({b}) before it starts ({a})"));
            }
            if let Some(ms) = self.paused_ms {
                let wall = (b - a).num_milliseconds() as f64;
                // The wall clock may be stepped a little during a pause; a
                // monotonic length this far off is not one pause.
                if (wall - ms).abs() > 1000.0 + ms.abs() / 10.0 {
                    out.push(format!("its times span {wall:.0} ms but it says it paused {ms:.0} ms"));
                }
            }
            for (what, t) in
                [("restore point", self.restore_point), ("safe_from", self.safe_from), ("safe_to", self.safe_to)]
            {
                if t.is_some_and(|t| t < a || t > b) {
                    out.push(format!("its {what} is outside its own interval"));
                }
            }
        }
        if self.paused_ms.is_some_and(|ms| !ms.is_finite() || ms < 0.0) {
            out.push(format!("its length ({:?} ms) is not a length", self.paused_ms));
        }
        if let (Some(a), Some(b)) = (self.safe_from, self.safe_to) {
            if b < a {
                out.push("its safe interval ends before it starts".into());
            }
            if self.restore_point.is_some_and(|r| r < a || r > b) {
                out.push("its restore point is outside its safe interval".into());
            }
        }
        if self.restore_point.map(|r| r.timestamp_millis()) != self.restore_point_ms {
            out.push("its restore point and restore_point_ms disagree".into());
        }
        if self.safe && (self.started_at.is_none() || self.restore_point.is_none()) {
            out.push("it says it is safe but has no interval or restore point".into());
        }
        out
    }
}

/// What happened on one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NodeOutcome {
    pub node: Node,
    /// Quiesce's Pause succeeded and CheckPaused confirmed it.
    pub paused: bool,
    /// Quiesce's Unpause succeeded (or the node was found unpaused).
    pub unpaused: bool,
    /// Pause attempts (ABORTED is retried).
    pub attempts: u32,
    pub error: Option<NodeError>,
    /// What Quiesce did or did not do, in a sentence.
    pub note: Option<String>,
}

impl NodeOutcome {
    pub(crate) fn new(node: Node) -> NodeOutcome {
        NodeOutcome { node, paused: false, unpaused: false, attempts: 0, error: None, note: None }
    }
}

/// How a pause ended.
#[derive(Debug, Clone)]
pub struct PauseEnd {
    pub window_id: String,
    pub started_at: DateTime<Utc>,
    /// Just before the first Unpause was sent.
    pub ended_at: DateTime<Utc>,
    pub paused_ms: f64,
    pub outcomes: Vec<NodeOutcome>,
    /// Why the window cannot be trusted (a node unpaused early, one still paused).
    pub problems: Vec<String>,
    /// Why the pause was cut short or taken out of Quiesce's hands (its
    /// maximum reached, its lease lapsed): the window failed, never a restore point.
    pub aborted: Option<String>,
}

#[cfg(test)]
impl PauseEnd {
    /// A pause of `ms` that began at `started_at` and ended cleanly (a test fixture).
    pub(crate) fn clean(started_at: DateTime<Utc>, ms: i64) -> PauseEnd {
        PauseEnd {
            window_id: PauseWindow::new_id(started_at),
            aborted: None,
            started_at,
            ended_at: started_at + chrono::Duration::milliseconds(ms),
            paused_ms: ms as f64,
            outcomes: vec![],
            problems: vec![],
        }
    }
}

/// One database's log position, read inside a pause (for every storage on it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LogPosition {
    /// The deployment's storages on this database.
    pub storages: Vec<String>,
    /// The profile it was read through.
    pub profile: String,
    pub at: LogAt,
}

/// Where a database's log stood.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "log", rename_all = "snake_case")]
pub enum LogAt {
    /// PostgreSQL's WAL: the insert position (`pg_current_wal_insert_lsn()`,
    /// not the write position, which a commit with `synchronous_commit=off`
    /// can be beyond), its segment file and the timeline (the segment name's
    /// first eight hex digits, as `pg_walfile_name` gives it for the current one).
    Wal { lsn: String, segment: String, timeline: u32 },
    /// MySQL/MariaDB's binary log: the current file and position (`SHOW
    /// MASTER STATUS`), and on MariaDB the GTID position of that very point
    /// (`BINLOG_GTID_POS(file, pos)`).
    Binlog {
        file: String,
        #[ts(type = "number")]
        position: u64,
        gtid: Option<String>,
    },
    /// Not read, and why (binary logging off, a privilege missing, the
    /// database unreachable): this window restores that storage by time only.
    Unread { reason: String },
}

/// How a backup's log position was read, so that only an exact one is ever
/// used to start a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LogBasis {
    /// Read while every ScalarDB node was paused: the window's own position.
    Pause,
    /// The dump's own snapshot (`mariadb-dump --master-data`'s
    /// `Binlog_snapshot_*`): exactly where its data ends in the log.
    Snapshot,
    /// Read beside the snapshot, not inside it (PostgreSQL's insert position
    /// next to the exported snapshot, no pause): commits in flight then may
    /// lie on either side. For orientation only, never used for replay.
    Approximate,
}

impl LogPosition {
    /// As a line for people: `p: WAL 0/16B3A08 (timeline 1)`.
    pub fn describe(&self) -> String {
        let at = match &self.at {
            LogAt::Wal { lsn, timeline, .. } => format!("WAL {lsn} (timeline {timeline})"),
            LogAt::Binlog { file, position, gtid } => format!(
                "binlog {file}:{position}{}",
                gtid.as_deref().filter(|g| !g.is_empty()).map(|g| format!(" (GTID {g})")).unwrap_or_default()
            ),
            LogAt::Unread { reason } => format!("not read: {reason}"),
        };
        format!("{}: {at}", self.storages.join(", "))
    }
}

/// What a hook did in a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HookRun {
    pub storage: String,
    pub command: String,
    /// The window's tag, as the hook was given it (a snapshot's name).
    pub tag: String,
    pub ok: bool,
    pub exit_status: Option<i32>,
    /// The end of what it printed (a backup id, a snapshot name, its error).
    pub output: String,
    pub duration_ms: f64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deployment::Deployment;

    fn d() -> Deployment {
        crate::deployment::test_deployment("d", &[], &[]).0
    }

    fn end(ms: i64) -> PauseEnd {
        PauseEnd::clean(DateTime::from_timestamp_millis(1_790_000_000_000).unwrap(), ms)
    }

    fn off(source: &str, offset_ms: f64, uncertainty_ms: f64, how: &str) -> ClockOffset {
        ClockOffset { source: source.into(), offset_ms, uncertainty_ms, how: how.into() }
    }

    #[test]
    fn the_restore_point_is_the_middle_of_the_safe_interval_and_an_unread_clock_makes_it_unsafe() {
        let w = PauseWindow::of(&d(), "pause", &end(5000), vec![off("pg", 200.0, 1.0, "measured")]);
        assert!(w.safe, "{:?}", w.problems);
        assert_eq!(w.status, "ok");
        let (a, b) = (w.safe_from.unwrap(), w.safe_to.unwrap());
        assert_eq!(w.restore_point.unwrap(), a + (b - a) / 2);
        assert_eq!(w.pause_start_timestamp_ms, Some(1_790_000_000_000));
        assert_eq!(w.pause_end_timestamp_ms, Some(1_790_000_005_000));
        // ISO 8601 with an offset, always (the Kubernetes tool prints none).
        let iso = w.pause_start_date_time.unwrap();
        assert!(DateTime::parse_from_rfc3339(&iso).is_ok(), "{iso}");

        let unread = off("maria", 0.0, f64::INFINITY, "unavailable: connection refused");
        let w = PauseWindow::of(&d(), "pause", &end(5000), vec![unread]);
        assert!(!w.safe && w.status == "unsafe" && w.restore_point.is_none());
        assert!(
            w.problems[0].contains("clock of maria (unavailable: connection refused) could not be read"),
            "{:?}",
            w.problems
        );
        // Kept in the catalog and read back as it was written (an unknown offset too).
        let root = tempfile::tempdir().unwrap();
        let path = w.save(root.path()).unwrap();
        let back = PauseWindow::read(&path).unwrap();
        assert_eq!((back.status.as_str(), back.problems.clone()), ("unsafe", w.problems.clone()));
        assert!(back.offsets[0].uncertainty_ms.is_infinite());

        let w = PauseWindow::of(&d(), "pause", &end(100), vec![off("dynamo", 0.0, 1000.0, "configured")]);
        assert!(!w.safe && w.problems[0].contains("too short for the clocks' offsets"), "{:?}", w.problems);
    }

    #[test]
    fn a_window_file_that_does_not_hold_together_is_read_as_damaged_never_as_a_restore_point() {
        let root = tempfile::tempdir().unwrap();
        let good = PauseWindow::of(&d(), "pause", &end(5000), vec![off("pg", 0.0, 1.0, "measured")]);
        assert!(good.safe);
        let path = good.save(root.path()).unwrap();
        let back = PauseWindow::read(&path).unwrap();
        assert_eq!((back.status.as_str(), back.safe), ("ok", true), "{:?}", back.problems);
        // Each edit a hostile or broken file could carry, applied to the good one.
        use serde_json::json;
        let edits = [
            ("ends", "ended_at", json!("2026-01-01T00:00:00Z")),
            ("length", "paused_ms", json!(-5.0)),
            ("span 5000 ms", "paused_ms", json!(900000.0)),
            ("outside its own interval", "restore_point", json!("2030-01-01T00:00:00Z")),
            ("disagree", "restore_point_ms", json!(1)),
            ("file's name", "id", json!("20260101T000000.000Z-wzzzzzz")),
            (
                "control character",
                "hooks",
                json!([{"storage": "c", "command": "x", "tag": "t\nQUIESCE_END\ntouch /tmp/x", "ok": true, "exit_status": 0, "output": "", "duration_ms": 1.0}]),
            ),
        ];
        let original = std::fs::read(&path).unwrap();
        for (want, field, value) in edits {
            let mut v: serde_json::Value = serde_json::from_slice(&original).unwrap();
            v[field] = value;
            std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
            let w = PauseWindow::read(&path).unwrap();
            assert_eq!(w.status, "damaged", "{want}: {:?}", w.problems);
            assert!(!w.safe && w.restore_point.is_none(), "{want}");
            assert!(w.problems.iter().any(|p| p.contains(want)), "{want} in {:?}", w.problems);
        }
    }
}
