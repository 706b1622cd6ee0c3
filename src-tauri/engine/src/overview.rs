//! The home screen's summary: per deployment, its plan method, last backup,
//! last pause window, latest safe restore point, and what needs attention,
//! each item naming the view that fixes it. Built from the state files and
//! the catalog only (no network, no database): the nodes' paused state is
//! asked for separately, after the overview has painted.

use crate::catalog::{self, CatalogEntry, CatalogStatus};
use crate::deployment::Deployments;
use crate::history;
use crate::plan::Method;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A deployment with no backup for this long needs attention.
pub const STALE_AFTER_HOURS: i64 = 24;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AttentionKind {
    NoBackup,
    StaleBackup,
    VerificationFailed,
    Damaged,
    UnsafeWindow,
    Leftover,
    PlanUnknown,
    /// What a failed migration could not drop on its target.
    MigrationLeftover,
    /// A node paused with no job of this app holding it (the UI adds it from
    /// the nodes' state, which needs the network).
    NodePaused,
    /// The WAL archiver died, froze, or its receiver keeps failing.
    ArchiveFailing,
}

/// Something to fix, and where: `view` is the UI's view id (backups,
/// restore-points, plan, deployments), `target` the entry it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Attention {
    pub kind: AttentionKind,
    pub message: String,
    pub view: String,
    pub target: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LastBackup {
    pub id: String,
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    #[ts(type = "number")]
    pub bytes: u64,
    pub status: CatalogStatus,
    #[ts(type = "string | null")]
    pub verified_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct LastWindow {
    pub id: String,
    /// ok, unsafe, failed (as on the timeline).
    pub status: String,
    #[ts(type = "number | null")]
    pub start_ms: Option<i64>,
    #[ts(type = "number | null")]
    pub end_ms: Option<i64>,
}

/// The newest point a restore can use: a safe window's mid-time or a backup's snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct SafePoint {
    #[ts(type = "number")]
    pub at_ms: i64,
    /// "window" or "backup".
    pub source: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct DeploymentSummary {
    pub id: String,
    pub name: String,
    pub method: Method,
    pub is_demo: bool,
    /// Scalar Admin endpoints are configured: the UI asks for the nodes' state.
    pub has_admin_endpoints: bool,
    pub last_backup: Option<LastBackup>,
    pub last_window: Option<LastWindow>,
    pub latest_point: Option<SafePoint>,
    pub attention: Vec<Attention>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Overview {
    #[ts(type = "string")]
    pub now: DateTime<Utc>,
    pub deployments: Vec<DeploymentSummary>,
    /// Attention items that belong to no deployment (leftovers of unknown origin).
    pub other: Vec<Attention>,
    /// The first steps apply: the demo is the only deployment and nothing has
    /// been restored yet (backing the demo up is step one, restoring it two).
    pub first_start: bool,
}

pub fn build(ds: &Deployments) -> crate::Result<Overview> {
    build_at(ds, Utc::now())
}

pub fn build_at(ds: &Deployments, now: DateTime<Utc>) -> crate::Result<Overview> {
    let home = ds.home();
    let root = crate::backup::catalog_root(ds);
    // The windows through their index (a month of windows every 5 minutes
    // is ~10 000 files, and this is the landing view); one that cannot be
    // read is flagged like a damaged backup.
    let windows = crate::catalog::windex::windows(&root);
    let mut entries = catalog::list_backups(&root);
    entries.extend(windows.1.iter().map(crate::catalog::windex::Unreadable::entry));
    let leftovers = catalog::leftovers(home, &catalog::known_roots(home));
    let mut migrated = migration_leftovers(home);
    let mut out = Vec::new();
    for d in ds.list()? {
        let mut s = summarise(ds, &d, &entries, &windows, &leftovers, now);
        s.attention.extend(migrated.iter().filter(|(n, _)| *n == d.name).map(|(_, a)| a.clone()));
        migrated.retain(|(n, _)| *n != d.name);
        out.push(s);
    }
    let claimed = |e: &&CatalogEntry| out.iter().any(|s| belongs(e, &s.id, &s.name));
    let other = leftovers
        .iter()
        .filter(|e| !claimed(e))
        .map(leftover)
        .chain(entries.iter().filter(|e| e.status == CatalogStatus::Damaged && !claimed(e)).map(damaged))
        .chain(migrated.into_iter().map(|(_, a)| a))
        .collect();
    let only_demo = out.len() == 1 && out[0].is_demo;
    let restored =
        history::read(home).iter().any(|o| o.op == history::OpKind::Restore && o.outcome == history::Outcome::Ok);
    Ok(Overview { now, first_start: only_demo && !restored, deployments: out, other })
}

/// Whether a catalog entry is a deployment's: by its manifest, or (a folder
/// whose manifest cannot be read) by the deployment folder it sits in.
fn belongs(e: &CatalogEntry, id: &str, name: &str) -> bool {
    e.deployment_id == id || (e.deployment_id.is_empty() && e.deployment == name)
}

/// What failed migrations left on their targets, by the deployment they migrated.
fn migration_leftovers(home: &crate::paths::Home) -> Vec<(String, Attention)> {
    use crate::job::journal::Owned;
    crate::job::journals::left_on_servers(home, |o| matches!(o, Owned::TargetObject { .. }))
        .into_iter()
        .map(|e| {
            let deployment = match e.owned.first() {
                Some(Owned::TargetObject { deployment, .. }) => deployment.clone(),
                _ => String::new(),
            };
            let a = Attention {
                kind: AttentionKind::MigrationLeftover,
                message: format!(
                    "A failed migration left {} on its target: the next migration to that profile drops it first, and checking a migration to it in Migrate offers to drop it now.",
                    e.owned.iter().map(Owned::describe).collect::<Vec<_>>().join(", ")
                ),
                view: "migrate".into(),
                target: None,
            };
            (deployment, a)
        })
        .collect()
}

fn leftover(e: &CatalogEntry) -> Attention {
    Attention {
        kind: AttentionKind::Leftover,
        message: format!("An unfinished backup folder no job owns: {} (in {}).", e.id, e.deployment),
        view: "backups".into(),
        target: Some(e.id.clone()),
    }
}

fn damaged(e: &CatalogEntry) -> Attention {
    if e.kind == "pause_window" {
        return Attention {
            kind: AttentionKind::Damaged,
            message: format!(
                "Pause window file {} (in {}) cannot be read: {}",
                e.id,
                e.deployment,
                e.problem.as_deref().unwrap_or("it does not parse")
            ),
            view: "restore-points".into(),
            target: Some(e.id.clone()),
        };
    }
    Attention {
        kind: AttentionKind::Damaged,
        message: format!(
            "Backup folder {} (in {}) cannot be read: its manifest is missing or damaged.",
            e.id, e.deployment
        ),
        view: "backups".into(),
        target: Some(e.id.clone()),
    }
}

fn summarise(
    ds: &Deployments,
    d: &crate::deployment::Deployment,
    entries: &[CatalogEntry],
    windows: &(Vec<crate::catalog::windex::WindowSummary>, Vec<crate::catalog::windex::Unreadable>),
    leftovers: &[CatalogEntry],
    now: DateTime<Utc>,
) -> DeploymentSummary {
    let mine: Vec<&CatalogEntry> = entries.iter().filter(|e| belongs(e, &d.id, &d.name)).collect();
    let mut attention = Vec::new();
    let storages = ds.storage_profiles(d);
    let method = match &storages {
        Ok(s) => crate::plan::evaluate(d, s, crate::discovery::load(ds.home(), &d.id).ok().flatten().as_ref()).method,
        Err(_) => Method::Unknown,
    };
    if method == Method::Unknown {
        attention.push(Attention {
            kind: AttentionKind::PlanUnknown,
            message: "The plan cannot decide how to back this deployment up yet: see what it needs.".into(),
            view: "plan".into(),
            target: Some(d.id.clone()),
        });
    }
    let last =
        mine.iter().filter(|e| e.kind == "backup" && e.status != CatalogStatus::Damaged).max_by_key(|e| e.started_at);
    let last_backup = last.map(|e| LastBackup {
        id: e.id.clone(),
        started_at: e.started_at,
        bytes: e.bytes,
        status: e.status,
        verified_at: e.verified_at,
    });
    match last {
        None => attention.push(Attention {
            kind: AttentionKind::NoBackup,
            message: "No backup yet.".into(),
            view: "backups".into(),
            target: Some(d.id.clone()),
        }),
        Some(e) if now - e.started_at > chrono::Duration::hours(STALE_AFTER_HOURS) => attention.push(Attention {
            kind: AttentionKind::StaleBackup,
            message: format!("No backup for {} (the last: {}).", age(now - e.started_at), e.id),
            view: "backups".into(),
            target: Some(d.id.clone()),
        }),
        Some(_) => {}
    }
    if let Some(e) = last.filter(|e| e.status == CatalogStatus::VerificationFailed) {
        attention.push(Attention {
            kind: AttentionKind::VerificationFailed,
            message: format!(
                "The last backup's verification failed{}",
                e.problem.as_deref().map(|p| format!(": {p}")).unwrap_or_else(|| ".".into())
            ),
            view: "backups".into(),
            target: Some(e.id.clone()),
        });
    }
    attention.extend(mine.iter().filter(|e| e.status == CatalogStatus::Damaged).map(|e| damaged(e)));
    if let Some(message) = crate::archive::trouble(ds, d) {
        attention.push(Attention {
            kind: AttentionKind::ArchiveFailing,
            message,
            view: "restore-points".into(),
            target: Some(d.id.clone()),
        });
    }
    attention.extend(leftovers.iter().filter(|e| belongs(e, &d.id, &d.name)).map(leftover));

    let (mut last_window, mut latest_point) = (None, None);
    if let Ok(s) = &storages {
        // One scan of the catalog serves every deployment's timeline.
        let t = crate::points::timeline_of(d, s, entries, &windows.0, &windows.1, &[], now);
        if let Some(w) = t.windows.iter().max_by_key(|w| w.start_ms.unwrap_or(i64::MIN)) {
            last_window =
                Some(LastWindow { id: w.id.clone(), status: w.status.clone(), start_ms: w.start_ms, end_ms: w.end_ms });
            if w.status == "unsafe" {
                attention.push(Attention {
                    kind: AttentionKind::UnsafeWindow,
                    message: format!(
                        "The last pause window cannot be a restore point{}",
                        w.refusals.first().map(|r| format!(": {r}")).unwrap_or_else(|| ".".into())
                    ),
                    view: "restore-points".into(),
                    target: Some(w.id.clone()),
                });
            }
        }
        let windows = t
            .windows
            .iter()
            .filter(|w| w.refusals.is_empty())
            .filter_map(|w| Some(SafePoint { at_ms: w.point_ms?, source: "window".into(), id: w.id.clone() }));
        let backups = t
            .backups
            .iter()
            .filter(|b| b.refusals.is_empty())
            .filter_map(|b| Some(SafePoint { at_ms: b.point_ms?, source: "backup".into(), id: b.id.clone() }));
        latest_point = windows.chain(backups).max_by_key(|p| p.at_ms);
    }
    DeploymentSummary {
        id: d.id.clone(),
        name: d.name.clone(),
        method,
        is_demo: d.name == crate::demo::DEMO_DEPLOYMENT,
        has_admin_endpoints: !d.admin_endpoints.is_empty(),
        last_backup,
        last_window,
        latest_point,
        attention,
    }
}

/// "3 days", "26 hours": how long, for a sentence.
fn age(d: chrono::Duration) -> String {
    let h = d.num_hours();
    if h >= 48 {
        format!("{} days", h / 24)
    } else {
        format!("{h} hours")
    }
}
