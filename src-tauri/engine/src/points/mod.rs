//! Restore points: the timeline of a deployment (one lane per storage with
//! how it restores and, for point-in-time storages, the restorable range;
//! every pause window and backup) and picking one point that is safe for
//! every storage at once. The GUI draws the timeline and the CLI lists it;
//! both pick through [`pick`], so a point the CLI refuses the GUI refuses too.

pub mod columns;
pub mod reach;
pub mod time;

use crate::catalog::windex::{self, WindowSummary};
use crate::catalog::{self, CatalogEntry, CatalogStatus};
use crate::deployment::{Deployment, DeploymentStorage};
use crate::error::{Error, ErrorCode, Result};
use crate::profile::{DbKind, Flavor, Profile};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;
use ts_rs::TS;

/// How a storage comes back to a point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RestoresBy {
    /// The provider restores to any time in its range (RDS/Azure, DynamoDB, Cosmos DB).
    Pitr,
    /// Quiesce's own backup (self-managed PostgreSQL, MySQL/MariaDB, SQLite).
    Backup,
    /// A snapshot taken by a window's in-pause hook (Cassandra's `nodetool snapshot`).
    Snapshot,
    /// A backup the provider took in a window's hook (YugabyteDB Managed).
    ManagedBackup,
    /// Quiesce has no procedure for it (self-hosted Oracle, SQL Server, Db2).
    Manual,
}

impl RestoresBy {
    pub fn of(kind: DbKind, flavor: Flavor) -> RestoresBy {
        match (kind, flavor) {
            _ if crate::profile::restores_by_pitr(kind, flavor) => RestoresBy::Pitr,
            (DbKind::Postgresql, Flavor::YugabyteManaged) => RestoresBy::ManagedBackup,
            (DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite, _) => RestoresBy::Backup,
            (DbKind::Cassandra, _) => RestoresBy::Snapshot,
            _ => RestoresBy::Manual,
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            RestoresBy::Pitr => "point-in-time restore at a pause window's restore point",
            RestoresBy::Backup => "a Quiesce backup taken inside the pause window",
            RestoresBy::Snapshot => "the snapshot the window's in-pause hook took on every node",
            RestoresBy::ManagedBackup => "the backup the window's in-pause hook took",
            RestoresBy::Manual => "the database's own tools (Quiesce has no procedure for it)",
        }
    }
}

/// The times a point-in-time storage can restore to, as of `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PitrRange {
    /// None: unknown (no retention and no earliest time on the profile).
    #[ts(type = "number | null")]
    pub earliest_ms: Option<i64>,
    #[ts(type = "number")]
    pub latest_ms: i64,
    /// Where each end comes from, for the view.
    pub basis: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Lane {
    pub storage: String,
    pub profile: String,
    pub kind: DbKind,
    pub flavor: Flavor,
    pub label: String,
    pub restores_by: RestoresBy,
    pub pitr: Option<PitrRange>,
    /// Its log archive (PostgreSQL, MySQL/MariaDB with `quiesce archive`):
    /// from its oldest base to the newest complete log file, and its gaps.
    #[serde(default)]
    pub archive: Option<reach::LaneArchive>,
}

/// A pause window on the timeline (times as epoch ms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct WindowMark {
    pub id: String,
    /// ok, unsafe, failed.
    pub status: String,
    #[ts(type = "number | null")]
    pub start_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub end_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub safe_from_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub safe_to_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub point_ms: Option<i64>,
    pub backup_id: Option<String>,
    /// Storages whose in-pause hook ran and succeeded in it.
    pub snapshots: Vec<String>,
    /// Why it cannot be picked (empty: it can).
    pub refusals: Vec<String>,
    /// Per archived storage: whether its log archive reaches the window's
    /// recorded position, and from what.
    #[serde(default)]
    pub reach: Vec<reach::Reach>,
}

/// A backup on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BackupMark {
    pub id: String,
    #[ts(type = "number")]
    pub start_ms: i64,
    #[ts(type = "number")]
    pub end_ms: i64,
    pub method: crate::plan::Method,
    pub status: CatalogStatus,
    pub storages: Vec<String>,
    /// The pause window it was taken in.
    pub window_id: Option<String>,
    /// Its restore point when it can be one: the window's, or (one
    /// transactional database, no pause) when its snapshot was taken.
    #[ts(type = "number | null")]
    pub point_ms: Option<i64>,
    pub refusals: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Timeline {
    pub deployment: String,
    pub deployment_id: String,
    #[ts(type = "number")]
    pub now_ms: i64,
    pub lanes: Vec<Lane>,
    /// Oldest first.
    pub windows: Vec<WindowMark>,
    /// Oldest first.
    pub backups: Vec<BackupMark>,
    /// Entries of this deployment that could not be read (listed, never dropped).
    pub damaged: Vec<String>,
}

fn lanes(storages: &[(DeploymentStorage, Profile)], now: DateTime<Utc>) -> Vec<Lane> {
    storages
        .iter()
        .map(|(s, p)| {
            let by = RestoresBy::of(p.kind, p.flavor);
            let pitr = (by == RestoresBy::Pitr).then(|| {
                let r = &p.restore;
                let latest = now - chrono::Duration::seconds(r.lag_secs() as i64);
                let by_retention = r.retention_days.map(|d| now - chrono::Duration::days(d as i64));
                let earliest = match (by_retention, r.earliest) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                let basis = format!(
                    "latest: now − {} s ({}); earliest: {}",
                    r.lag_secs(),
                    if r.lag_secs.is_some() { "the profile's lag" } else { "the provider's usual lag" },
                    match (r.retention_days, r.earliest) {
                        (Some(d), Some(e)) => format!("{d} days' retention, not before {}", time::utc(e)),
                        (Some(d), None) => format!("{d} days' retention"),
                        (None, Some(e)) => format!("since {}", time::utc(e)),
                        (None, None) => "unknown (set the profile's retention)".into(),
                    }
                );
                PitrRange {
                    earliest_ms: earliest.map(|t| t.timestamp_millis()),
                    latest_ms: latest.timestamp_millis(),
                    basis,
                }
            });
            Lane {
                storage: s.name.clone(),
                profile: p.name.clone(),
                kind: p.kind,
                flavor: p.flavor,
                label: p.kind.label().into(),
                restores_by: by,
                pitr,
                archive: None,
            }
        })
        .collect()
}

/// Why `t` is outside a lane's restorable range.
fn outside(lane: &Lane, t: i64) -> Option<String> {
    let r = lane.pitr.as_ref()?;
    let at = |ms: i64| time::utc(DateTime::from_timestamp_millis(ms).unwrap_or_default());
    if t > r.latest_ms {
        return Some(format!(
            "after {}'s latest restorable time {} (storage {}; {})",
            lane.label,
            at(r.latest_ms),
            lane.storage,
            r.basis
        ));
    }
    match r.earliest_ms {
        Some(e) if t < e => Some(format!(
            "before {}'s earliest restorable time {} (storage {}; {})",
            lane.label,
            at(e),
            lane.storage,
            r.basis
        )),
        _ => None,
    }
}

/// Why a window (with the backup taken in it, if any) cannot restore every storage.
fn window_refusals(w: &WindowSummary, lanes: &[Lane], has_backup: bool) -> Vec<String> {
    let mut why = Vec::new();
    if !w.safe || w.restore_point_ms.is_none() {
        why.push(format!(
            "the window is {}: {}",
            w.status,
            if w.problems.is_empty() { "it has no restore point".into() } else { w.problems.join(" ") }
        ));
        return why;
    }
    let point = w.restore_point_ms.unwrap_or_default();
    for lane in lanes {
        match lane.restores_by {
            RestoresBy::Pitr => why.extend(outside(lane, point)),
            RestoresBy::Backup if !has_backup => why.push(format!(
                "storage {} ({}) restores only from a Quiesce backup, and none was taken in this window (back up with `quiesce backup`, which pauses, for such points)",
                lane.storage, lane.label
            )),
            RestoresBy::Snapshot | RestoresBy::ManagedBackup
                if !w.snapshots.contains(&lane.storage) =>
            {
                why.push(format!(
                    "storage {} ({}) has no snapshot in this window: its in-pause hook did not run (configure one on the deployment)",
                    lane.storage, lane.label
                ))
            }
            _ => {}
        }
    }
    why
}

/// The timeline of a deployment as of now.
pub fn timeline(d: &Deployment, storages: &[(DeploymentStorage, Profile)], root: &Path) -> Timeline {
    timeline_at(d, storages, root, Utc::now())
}

pub fn timeline_at(
    d: &Deployment,
    storages: &[(DeploymentStorage, Profile)],
    root: &Path,
    now: DateTime<Utc>,
) -> Timeline {
    from_root(d, storages, root, &[], now)
}

/// The timeline with each archived storage's reach of every window, and
/// each lane's archived range (`archives`: the deployment's archive folders).
pub fn timeline_archived(
    d: &Deployment,
    storages: &[(DeploymentStorage, Profile)],
    root: &Path,
    archives: &[reach::Held],
) -> Timeline {
    from_root(d, storages, root, archives, Utc::now())
}

/// The backups and windows of a catalog root (the windows through their index).
fn from_root(
    d: &Deployment,
    storages: &[(DeploymentStorage, Profile)],
    root: &Path,
    archives: &[reach::Held],
    now: DateTime<Utc>,
) -> Timeline {
    let (windows, unreadable) = windex::windows(root);
    timeline_of(d, storages, &catalog::list_backups(root), &windows, &unreadable, archives, now)
}

/// The timeline from a catalog already listed (its backups; any window
/// entries in it are ignored) and the windows (`windex::windows`), for a
/// caller that builds several deployments' timelines from one scan.
pub fn timeline_of(
    d: &Deployment,
    storages: &[(DeploymentStorage, Profile)],
    catalog: &[CatalogEntry],
    all_windows: &[WindowSummary],
    unreadable: &[windex::Unreadable],
    archives: &[reach::Held],
    now: DateTime<Utc>,
) -> Timeline {
    let mut lanes = lanes(storages, now);
    let entries: Vec<&CatalogEntry> =
        catalog.iter().filter(|e| e.deployment_id == d.id || e.deployment == d.name).collect();
    let my_bases = if archives.is_empty() { vec![] } else { reach::mysql_bases(&entries) };
    let mut by_lane = reach::lanes(archives, &my_bases, now.timestamp_millis());
    for l in &mut lanes {
        l.archive = by_lane.remove(&l.storage);
    }
    let mut damaged = Vec::new();
    let mut windows = Vec::new();
    let mut backups = Vec::new();
    // A window's backup, by the window's id (the manifest names its window).
    let by_window: std::collections::HashMap<&str, &str> = entries
        .iter()
        .filter(|e| e.kind == "backup" && e.status.usable())
        .filter_map(|e| Some((e.window_id.as_deref()?, e.id.as_str())))
        .collect();
    for w in all_windows.iter().filter(|w| w.deployment_id == d.id || w.deployment == d.name) {
        let backup = w.backup_id.clone().or_else(|| by_window.get(w.id.as_str()).map(|b| b.to_string()));
        let ms = |t: Option<DateTime<Utc>>| t.map(|t| t.timestamp_millis());
        windows.push(WindowMark {
            id: w.id.clone(),
            status: w.status.clone(),
            start_ms: ms(w.started_at),
            end_ms: ms(w.ended_at),
            safe_from_ms: ms(w.safe_from),
            safe_to_ms: ms(w.safe_to),
            point_ms: w.restore_point_ms.filter(|_| w.safe),
            snapshots: w.snapshots.clone(),
            refusals: window_refusals(w, &lanes, backup.is_some()),
            reach: if archives.is_empty() { vec![] } else { reach::window(&w.positions, archives, &my_bases) },
            backup_id: backup,
        });
    }
    for u in unreadable.iter().filter(|u| u.folder == d.name) {
        damaged.push(format!("{}: {}", u.path.display(), u.problem));
    }
    for e in entries.iter().filter(|e| e.kind == "backup" && e.status == CatalogStatus::Damaged) {
        damaged.push(format!("{}: {}", e.folder, e.problem.clone().unwrap_or_default()));
    }
    for e in entries.iter().filter(|e| e.kind == "backup" && e.status != CatalogStatus::Damaged) {
        let start = e.started_at.timestamp_millis();
        let window = e.window_id.as_ref().and_then(|id| windows.iter().find(|w: &&WindowMark| &w.id == id));
        let (point, refusals) = backup_point(e, window, &lanes);
        backups.push(BackupMark {
            id: e.id.clone(),
            start_ms: start,
            end_ms: start + e.duration_ms as i64,
            method: e.method,
            status: e.status,
            storages: e.units.iter().flat_map(|u| u.storages.clone()).collect(),
            window_id: e.window_id.clone(),
            point_ms: point,
            refusals,
        });
    }
    windows.sort_by_key(|w| (w.start_ms.unwrap_or(i64::MIN), w.id.clone()));
    backups.sort_by_key(|b| (b.start_ms, b.id.clone()));
    Timeline {
        deployment: d.name.clone(),
        deployment_id: d.id.clone(),
        now_ms: now.timestamp_millis(),
        lanes,
        windows,
        backups,
        damaged,
    }
}

/// A backup's restore point and why it cannot be one.
fn backup_point(e: &CatalogEntry, window: Option<&WindowMark>, lanes: &[Lane]) -> (Option<i64>, Vec<String>) {
    if !e.status.usable() {
        return (None, vec![format!("the backup is {}", serde_json::to_value(e.status).unwrap_or_default())]);
    }
    if let Some(w) = window {
        return (w.point_ms, w.refusals.clone());
    }
    if e.window_id.is_some() {
        return (None, vec!["the pause window it was taken in is missing from the catalog".into()]);
    }
    // Not taken in a pause: a consistent point only when nothing else
    // needs restoring (one transactional database, all of it in the backup).
    let covered: Vec<&str> = e.units.iter().flat_map(|u| u.storages.iter().map(String::as_str)).collect();
    let others: Vec<String> = lanes
        .iter()
        .filter(|l| !covered.contains(&l.storage.as_str()))
        .map(|l| format!("{} ({})", l.storage, l.label))
        .collect();
    if !others.is_empty() {
        return (
            None,
            vec![format!(
                "it was not taken in a pause window, so nothing restores {} to the same instant",
                others.join(", ")
            )],
        );
    }
    (Some(e.started_at.timestamp_millis()), vec![])
}

/// What to pick: a window, a backup, or a typed time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum PickAt {
    Window(String),
    Backup(String),
    Time(String),
}

impl PickAt {
    /// `--at`: a window id, a backup id, or a time.
    pub fn classify(t: &Timeline, at: &str) -> PickAt {
        if t.windows.iter().any(|w| w.id == at) {
            PickAt::Window(at.into())
        } else if t.backups.iter().any(|b| b.id == at) {
            PickAt::Backup(at.into())
        } else {
            PickAt::Time(at.into())
        }
    }
}

/// Where one storage comes back from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PickSource {
    pub storage: String,
    pub label: String,
    pub restores_by: RestoresBy,
    /// What exactly: "point-in-time restore to …Z", "backup ID", "snapshot TAG".
    pub from: String,
}

/// A picked restore point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Pick {
    pub deployment: String,
    #[ts(type = "number")]
    pub point_ms: i64,
    /// UTC, ISO 8601 with `Z`.
    pub utc: String,
    /// This machine's local time with its offset.
    pub local: String,
    pub window_id: Option<String>,
    pub backup_id: Option<String>,
    /// window, backup or time: how it was picked.
    pub picked_by: String,
    pub sources: Vec<PickSource>,
    pub notes: Vec<String>,
}

fn refused(what: &str, reasons: &[String]) -> Error {
    Error::new(
        ErrorCode::InvalidInput,
        format!(
            "{what} is not a safe restore point for every storage: {}. Pick a window listed as safe (`quiesce points <deployment> --safe-only`).",
            reasons.join("; ")
        ),
    )
}

/// Picks a point (and says where each storage comes back from), or refuses with the reasons.
pub fn pick(t: &Timeline, at: &PickAt) -> Result<Pick> {
    let (point, window, backup, by) = match at {
        PickAt::Window(id) => {
            let w = t.windows.iter().find(|w| &w.id == id).ok_or_else(|| {
                Error::not_found(format!(
                    "No pause window \"{id}\" for deployment {}. List them with `quiesce points {}`.",
                    t.deployment, t.deployment
                ))
            })?;
            if !w.refusals.is_empty() {
                return Err(refused(&format!("Window {id}"), &w.refusals));
            }
            (w.point_ms.unwrap_or_default(), Some(w), None, "window")
        }
        PickAt::Backup(id) => {
            let b = t.backups.iter().find(|b| &b.id == id).ok_or_else(|| {
                Error::not_found(format!(
                    "No backup \"{id}\" of deployment {}. List them with `quiesce backups list`.",
                    t.deployment
                ))
            })?;
            if !b.refusals.is_empty() || b.point_ms.is_none() {
                return Err(refused(&format!("Backup {id}"), &b.refusals));
            }
            let w = b.window_id.as_ref().and_then(|id| t.windows.iter().find(|w| &w.id == id));
            (b.point_ms.unwrap_or_default(), w, Some(b), "backup")
        }
        PickAt::Time(s) => {
            let at = time::parse(s)?.timestamp_millis();
            pick_time(t, s, at)?
        }
    };
    let backup = backup
        .or_else(|| window.and_then(|w| w.backup_id.as_ref()).and_then(|id| t.backups.iter().find(|b| &b.id == id)));
    let dt = DateTime::from_timestamp_millis(point).unwrap_or_default();
    let sources = t
        .lanes
        .iter()
        .map(|l| PickSource {
            storage: l.storage.clone(),
            label: l.label.clone(),
            restores_by: l.restores_by,
            from: match l.restores_by {
                RestoresBy::Pitr => format!("point-in-time restore to {}", time::utc(dt)),
                RestoresBy::Backup => {
                    format!("Quiesce backup {}", backup.map(|b| b.id.as_str()).unwrap_or("(none)"))
                }
                RestoresBy::Snapshot | RestoresBy::ManagedBackup => {
                    format!("the snapshot of window {}", window.map(|w| w.id.as_str()).unwrap_or("(none)"))
                }
                RestoresBy::Manual => "the database's own tools, to this point".into(),
            },
        })
        .collect();
    let mut notes = Vec::new();
    if t.lanes.iter().any(|l| l.restores_by == RestoresBy::Manual) {
        notes.push(
            "Some storages have no procedure in Quiesce: restore them to this point with their own tools.".into(),
        );
    }
    Ok(Pick {
        deployment: t.deployment.clone(),
        point_ms: point,
        utc: time::utc(dt),
        local: time::local(dt),
        window_id: window.map(|w| w.id.clone()),
        backup_id: backup.map(|b| b.id.clone()),
        picked_by: by.into(),
        sources,
        notes,
    })
}

type Picked<'a> = (i64, Option<&'a WindowMark>, Option<&'a BackupMark>, &'static str);

/// A typed time: inside a safe interval of a pickable window and inside every
/// point-in-time storage's range.
fn pick_time<'a>(t: &'a Timeline, typed: &str, at: i64) -> Result<Picked<'a>> {
    let shown = time::utc(DateTime::from_timestamp_millis(at).unwrap_or_default());
    let inside = t.windows.iter().find(|w| {
        w.point_ms.is_some() && matches!((w.safe_from_ms, w.safe_to_ms), (Some(a), Some(b)) if a <= at && at <= b)
    });
    let Some(w) = inside else {
        let nearest = t
            .windows
            .iter()
            .filter(|w| w.point_ms.is_some() && w.refusals.is_empty())
            .min_by_key(|w| (w.point_ms.unwrap_or_default() - at).abs());
        return Err(Error::invalid(format!(
            "{typed} ({shown}) is not inside the safe interval of any pause window of {}: only there is no transaction half-committed on some storage. {}",
            t.deployment,
            match nearest {
                Some(n) => format!(
                    "The nearest safe window is {} (restore point {}).",
                    n.id,
                    time::utc(DateTime::from_timestamp_millis(n.point_ms.unwrap_or_default()).unwrap_or_default())
                ),
                None => "There is no safe window yet: pause the deployment (`quiesce pause`) to make one.".into(),
            }
        )));
    };
    let mut why: Vec<String> =
        w.refusals.iter().filter(|r| !r.starts_with("after ") && !r.starts_with("before ")).cloned().collect();
    why.extend(t.lanes.iter().filter_map(|l| outside(l, at)));
    if !why.is_empty() {
        return Err(refused(&format!("{typed} ({shown})"), &why));
    }
    let b = w.backup_id.as_ref().and_then(|id| t.backups.iter().find(|b| &b.id == id));
    Ok((at, Some(w), b, "time"))
}

#[cfg(test)]
pub(crate) mod tests;
