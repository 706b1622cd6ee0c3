//! Picking against a real catalog folder: windows saved as the pause job
//! saves them, a backup's manifest beside them.

use super::*;
use crate::catalog::window::{PauseEnd, PauseWindow};
use crate::pause::clock::ClockOffset;
use crate::pause::hooks::HookRun;
use crate::profile::RestoreSettings;

pub(crate) fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

pub(crate) fn prof(id: &str, kind: DbKind, flavor: Flavor) -> Profile {
    let mut p = Profile { id: id.into(), name: format!("{id}-profile"), kind, flavor, ..Default::default() };
    match kind {
        DbKind::Postgresql | DbKind::Mysql => {
            p.host = Some(format!("{id}.internal"));
            p.port = kind.default_port();
            p.database = Some("app".into());
            p.user = Some("scalar".into());
        }
        DbKind::Sqlite => p.path = Some(format!("/var/lib/{id}.db")),
        DbKind::Cassandra => p.nodes = vec!["cass-1".into(), "cass-2:9042".into(), "cass-3".into()],
        DbKind::Cosmos => {
            p.endpoint = Some(format!("https://{id}acct.documents.azure.com:443/"));
            p.region = Some("westus".into());
            p.restore.resource_group = Some("rg-scalar".into());
        }
        DbKind::Dynamo => p.region = Some("us-east-1".into()),
        _ => {}
    }
    if crate::profile::restores_by_pitr(kind, flavor) {
        p.restore.retention_days = Some(if kind == DbKind::Cosmos { 30 } else { 35 });
    }
    p
}

pub(crate) fn deployment(
    profiles: &[&Profile],
    mapping: &[(&str, &str)],
) -> (Deployment, Vec<(DeploymentStorage, Profile)>) {
    crate::deployment::test_deployment("prod", profiles, mapping)
}

/// A window of `ms` from `start`, with one database clock off by `offset_ms`, saved in `root`.
pub(crate) fn window(
    root: &Path,
    d: &Deployment,
    start: &str,
    ms: i64,
    offset_ms: f64,
    hooks: Vec<HookRun>,
) -> PauseWindow {
    let started_at = t(start);
    let end = PauseEnd::clean(started_at, ms);
    let offsets = vec![ClockOffset { source: "db".into(), offset_ms, uncertainty_ms: 2.0, how: "measured".into() }];
    let w = PauseWindow::of(d, "pause", &end, offsets).with_hooks(hooks);
    w.save(root).unwrap();
    w
}

pub(crate) fn hook(storage: &str, tag: &str, output: &str) -> HookRun {
    HookRun {
        storage: storage.into(),
        command: "snapshot-all {tag}".into(),
        tag: tag.into(),
        ok: true,
        exit_status: Some(0),
        output: output.into(),
        duration_ms: 40.0,
    }
}

/// A backup of `storage` taken in window `w` (the hardening fixture's
/// PostgreSQL manifest, upgraded and renamed), saved in `root`.
pub(crate) fn backup_in(root: &Path, d: &Deployment, storage: &str, profile: &str, w: Option<&PauseWindow>) -> String {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/state-v1/data/backups/pg-single/20261201T000252Z-604783");
    let mut m = crate::catalog::manifest::read_manifest(&fixture).unwrap();
    m.id = format!("b-{}", w.map(|w| w.id.as_str()).unwrap_or("alone"));
    m.deployment = d.name.clone();
    m.deployment_id = d.id.clone();
    m.units[0].storages = vec![storage.into()];
    m.units[0].profile = profile.into();
    if let Some(w) = w {
        m.started_at = w.started_at.unwrap();
        m.pause = Some(crate::catalog::manifest::ManifestPause {
            window_id: w.id.clone(),
            started_at: w.started_at.unwrap(),
            ended_at: w.ended_at.unwrap(),
        });
    }
    let dir = root.join(&d.name).join(&m.id);
    std::fs::create_dir_all(&dir).unwrap();
    m.schema_version = crate::catalog::manifest::SCHEMA_VERSION;
    std::fs::write(dir.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    m.id
}

const NOW: &str = "2026-11-30T15:00:00Z";

#[test]
fn a_window_gives_its_midpoint_and_a_typed_time_must_be_inside_its_safe_interval() {
    let root = tempfile::tempdir().unwrap();
    let dy = prof("dyn", DbKind::Dynamo, Flavor::Cloud);
    let (d, st) = deployment(&[&dy], &[]);
    // 6 s paused, the database's clock 1 s ahead: the safe interval is 1 s shorter on that side.
    let w = window(root.path(), &d, "2026-11-30T14:02:08Z", 6000, 1000.0, vec![]);
    let tl = timeline_at(&d, &st, root.path(), t(NOW));
    assert_eq!(tl.windows.len(), 1);
    assert!(tl.windows[0].refusals.is_empty(), "{:?}", tl.windows[0].refusals);
    let p = pick(&tl, &PickAt::classify(&tl, &w.id)).unwrap();
    assert_eq!(p.picked_by, "window");
    assert_eq!(Some(p.point_ms), w.restore_point_ms);
    let (a, b) = (w.safe_from.unwrap().timestamp_millis(), w.safe_to.unwrap().timestamp_millis());
    assert_eq!(p.point_ms, a + (b - a) / 2);
    assert!(b - a < 6000 - 1000, "the offset narrows the interval: {a}..{b}");
    assert!(p.utc.ends_with('Z') && time::parse(&p.utc).unwrap().timestamp_millis() == p.point_ms, "{}", p.utc);
    assert_eq!(time::parse(&p.local).unwrap().timestamp_millis(), p.point_ms);
    assert_eq!(p.sources[0].from, format!("point-in-time restore to {}", p.utc));

    // A typed time inside the safe interval is taken as typed; one just outside is refused.
    let inside = DateTime::from_timestamp_millis(a + 10).unwrap();
    let p = pick(&tl, &PickAt::Time(time::utc(inside))).unwrap();
    assert_eq!((p.point_ms, p.picked_by.as_str(), p.window_id.as_deref()), (a + 10, "time", Some(w.id.as_str())));
    let before = DateTime::from_timestamp_millis(a - 1).unwrap();
    let e = pick(&tl, &PickAt::Time(time::utc(before))).unwrap_err();
    assert!(e.message.contains("not inside the safe interval") && e.message.contains(&w.id), "{}", e.message);
    // The same instant typed as epoch ms and with an offset.
    let p2 = pick(&tl, &PickAt::Time((a + 10).to_string())).unwrap();
    assert_eq!(p2.point_ms, a + 10);
    let plus2 = inside.with_timezone(&chrono::FixedOffset::east_opt(7200).unwrap()).to_rfc3339();
    assert_eq!(pick(&tl, &PickAt::Time(plus2)).unwrap().point_ms, a + 10);
}

#[test]
fn points_outside_a_storages_restorable_range_and_unsafe_windows_are_refused_with_the_reason() {
    let root = tempfile::tempdir().unwrap();
    let mut dy = prof("dyn", DbKind::Dynamo, Flavor::Cloud);
    dy.restore = RestoreSettings { retention_days: Some(7), lag_secs: Some(300), ..Default::default() };
    let (d, st) = deployment(&[&dy], &[]);
    let recent = window(root.path(), &d, "2026-11-30T14:58:00Z", 5000, 0.0, vec![]); // after now − 5 min
    let old = window(root.path(), &d, "2026-11-20T10:00:00Z", 5000, 0.0, vec![]); // before now − 7 days
    let short = window(root.path(), &d, "2026-11-30T12:00:00Z", 50, 400.0, vec![]); // too short for the offset
    let tl = timeline_at(&d, &st, root.path(), t(NOW));
    let e = pick(&tl, &PickAt::Window(recent.id.clone())).unwrap_err();
    assert!(e.message.contains("after DynamoDB's latest restorable time 2026-11-30T14:55:00Z"), "{}", e.message);
    let e = pick(&tl, &PickAt::Window(old.id.clone())).unwrap_err();
    assert!(e.message.contains("before DynamoDB's earliest restorable time 2026-11-23T15:00:00Z"), "{}", e.message);
    let e = pick(&tl, &PickAt::Window(short.id.clone())).unwrap_err();
    assert!(e.message.contains("the window is unsafe") && e.message.contains("too short"), "{}", e.message);
    // The typed time inside the recent window's interval: refused for the range, not the interval.
    let e = pick(&tl, &PickAt::Time("2026-11-30T14:58:02.500Z".into())).unwrap_err();
    assert!(e.message.contains("after DynamoDB's latest restorable time"), "{}", e.message);
    assert!(!e.message.contains("safe interval of any"), "{}", e.message);
    // Nothing safe at all: the message says how to make a window.
    let e = pick(&tl, &PickAt::Time("2026-11-30T13:00:00Z".into())).unwrap_err();
    assert!(
        e.message.contains("There is no safe window yet") || e.message.contains("nearest safe window"),
        "{}",
        e.message
    );
    let e = pick(&tl, &PickAt::Time("tomorrow".into())).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
}

#[test]
fn a_self_managed_storage_needs_the_backup_taken_in_the_window_and_a_backup_picks_its_windows_point() {
    let root = tempfile::tempdir().unwrap();
    let pg = prof("pg", DbKind::Postgresql, Flavor::SelfHosted);
    let dy = prof("dyn", DbKind::Dynamo, Flavor::Cloud);
    let (d, st) = deployment(&[&pg, &dy], &[("sales", "dyn"), ("coordinator", "dyn")]);
    let bare = window(root.path(), &d, "2026-11-30T10:00:00Z", 5000, 0.0, vec![]);
    let with = window(root.path(), &d, "2026-11-30T11:00:00Z", 5000, 0.0, vec![]);
    let b = backup_in(root.path(), &d, "pg", "pg-profile", Some(&with));
    let alone = backup_in(root.path(), &d, "pg", "pg-profile", None);
    let tl = timeline_at(&d, &st, root.path(), t(NOW));
    assert!(tl.damaged.is_empty(), "{:?}", tl.damaged);
    assert_eq!(tl.backups.len(), 2);
    let e = pick(&tl, &PickAt::Window(bare.id.clone())).unwrap_err();
    assert!(e.message.contains("restores only from a Quiesce backup"), "{}", e.message);
    let p = pick(&tl, &PickAt::classify(&tl, &b)).unwrap();
    assert_eq!(
        (p.picked_by.as_str(), p.backup_id.as_deref(), p.window_id.as_deref()),
        ("backup", Some(b.as_str()), Some(with.id.as_str()))
    );
    assert_eq!(Some(p.point_ms), with.restore_point_ms);
    let from: Vec<(&str, &str)> = p.sources.iter().map(|s| (s.storage.as_str(), s.from.as_str())).collect();
    assert_eq!(from[0], ("pg", format!("Quiesce backup {b}").as_str()));
    assert!(from[1].1.starts_with("point-in-time restore to "));
    // The window itself picks the same point, with its backup.
    let pw = pick(&tl, &PickAt::Window(with.id.clone())).unwrap();
    assert_eq!((pw.point_ms, pw.backup_id.as_deref()), (p.point_ms, Some(b.as_str())));
    // A backup outside any pause restores nothing else to its instant.
    let e = pick(&tl, &PickAt::Backup(alone)).unwrap_err();
    assert!(e.message.contains("not taken in a pause window") && e.message.contains("dyn (DynamoDB)"), "{}", e.message);
}

/// The timeline reads windows through the index beside them, and the files
/// stay the truth: a new, changed or removed file is seen at once, a window
/// file that does not parse is listed as damaged (never indexed), and an
/// index that does not parse is rebuilt.
#[test]
fn the_window_index_follows_the_files() {
    use crate::catalog::windex;
    let root = tempfile::tempdir().unwrap();
    let p = prof("pg", DbKind::Postgresql, Flavor::SelfHosted);
    let (d, st) = deployment(&[&p], &[]);
    let a = window(root.path(), &d, "2026-12-01T10:00:00Z", 800, 0.0, vec![]);
    let b = window(root.path(), &d, "2026-12-01T11:00:00Z", 800, 0.0, vec![]);
    let dir = root.path().join(&d.name);
    let ids = |tl: &Timeline| tl.windows.iter().map(|w| w.id.clone()).collect::<Vec<_>>();
    let tl = timeline_at(&d, &st, root.path(), t(NOW));
    assert_eq!(ids(&tl), [a.id.clone(), b.id.clone()]);
    let index = dir.join(windex::INDEX);
    assert!(index.is_file(), "the index is written beside the windows");
    assert!(catalog::list(root.path()).iter().all(|e| !e.folder.ends_with(windex::INDEX)), "never a catalog entry");

    // Served from the index: an entry whose file is unchanged is not re-read.
    // (Its time stamps are older than the index's own by more than the racy margin.)
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    for w in [&a, &b] {
        let f = std::fs::File::options()
            .write(true)
            .open(dir.join(format!("{}{}", w.id, catalog::window::SUFFIX)))
            .unwrap();
        f.set_modified(old).unwrap();
    }
    let _ = windex::folder(&dir);
    let before = std::fs::read(&index).unwrap();
    let mut idx: serde_json::Value = serde_json::from_slice(&before).unwrap();
    idx["entries"][0]["window"]["status"] = "from-the-index".into();
    std::fs::write(&index, serde_json::to_vec(&idx).unwrap()).unwrap();
    let first = idx["entries"][0]["window"]["id"].as_str().unwrap().to_string();
    let (ws, _) = windex::folder(&dir);
    let w = ws.iter().find(|w| w.id == first).unwrap();
    assert_eq!(w.status, "from-the-index", "an unchanged file is not read again");

    // A changed file is read again; a removed one leaves; a new one joins.
    let mut changed = a.clone();
    changed.problems.push("edited".into());
    changed.save(root.path()).unwrap();
    std::fs::remove_file(dir.join(format!("{}{}", b.id, catalog::window::SUFFIX))).unwrap();
    let c = window(root.path(), &d, "2026-12-01T12:00:00Z", 800, 0.0, vec![]);
    let tl = timeline_at(&d, &st, root.path(), t(NOW));
    assert_eq!(ids(&tl), [a.id.clone(), c.id.clone()]);
    assert_eq!(tl.windows[0].status, "ok", "read again from its changed file");

    // A window file that does not parse: damaged, listed, not indexed.
    std::fs::write(dir.join(format!("broken{}", catalog::window::SUFFIX)), b"{not json").unwrap();
    let tl = timeline_at(&d, &st, root.path(), t(NOW));
    assert!(tl.damaged.iter().any(|x| x.contains("broken")), "{:?}", tl.damaged);
    assert!(!String::from_utf8_lossy(&std::fs::read(&index).unwrap()).contains("broken"));

    // A damaged index is rebuilt from the files.
    std::fs::write(&index, b"garbage").unwrap();
    let tl = timeline_at(&d, &st, root.path(), t(NOW));
    assert_eq!(ids(&tl), [a.id.clone(), c.id.clone()]);
    assert!(serde_json::from_slice::<serde_json::Value>(&std::fs::read(&index).unwrap()).is_ok());
}

/// The columnar payload turns back into the same timeline (a restorable
/// window's log range left out), and the fixture the UI's decoder is tested
/// against is this very encoding: `UPDATE_BINDINGS=1` rewrites it.
#[test]
fn the_columnar_timeline_round_trips_and_matches_the_ui_fixture() {
    use super::columns::TimelineColumns;
    use super::reach::{Reach, ReachState};
    let p = prof("pg", DbKind::Postgresql, Flavor::SelfHosted);
    let lanes = lanes(&deployment(&[&p], &[]).1, t(NOW));
    let base = t(NOW).timestamp_millis();
    let reach = |state, base: Option<&str>, detail: &str| Reach {
        storage: "default".into(),
        state,
        base: base.map(str::to_string),
        detail: detail.into(),
    };
    let mark = |k: i64, status: &str| WindowMark {
        id: format!("w{k}"),
        status: status.into(),
        start_ms: Some(base + k * 300_000),
        end_ms: Some(base + k * 300_000 + 31),
        safe_from_ms: (status == "ok").then_some(base + k * 300_000 + 2),
        safe_to_ms: (status == "ok").then_some(base + k * 300_000 + 29),
        point_ms: (status == "ok").then_some(base + k * 300_000 + 15),
        backup_id: None,
        snapshots: vec![],
        refusals: vec![],
        reach: vec![],
    };
    let mut windows: Vec<WindowMark> = (0..6).map(|k| mark(k, if k == 3 { "unsafe" } else { "ok" })).collect();
    windows[0].reach = vec![reach(ReachState::NoBase, None, "no base backup of this database (quiesce archive base)")];
    windows[1].reach = vec![reach(ReachState::Restorable, Some("base-1"), "")];
    windows[1].backup_id = Some("b-1".into());
    windows[2].reach = vec![reach(ReachState::Restorable, Some("base-1"), "")];
    windows[2].snapshots = vec!["default".into()];
    windows[3].refusals = vec!["the window is unsafe: a node unpaused early".into()];
    windows[3].reach = vec![reach(ReachState::Gap, None, "segment 000000010000000000000004 is needed and deleted")];
    windows[4].start_ms = None;
    windows[4].end_ms = None;
    windows[4].refusals = vec!["the window is failed: it has no restore point".into()];
    windows[4].safe_from_ms = None;
    windows[4].safe_to_ms = None;
    windows[4].point_ms = None;
    windows[5].reach = vec![reach(ReachState::Waiting, None, "segment 000000010000000000000006 is not complete yet")];
    let tl = Timeline {
        deployment: "prod".into(),
        deployment_id: "d".into(),
        now_ms: base + 3_600_000,
        lanes,
        windows,
        backups: vec![],
        damaged: vec!["/x/broken.window.json: not a pause window".into()],
    };
    let cols = TimelineColumns::of(tl.clone());
    assert_eq!(cols.rows(), tl, "columns back to rows");
    // A restorable window's range is not carried.
    let mut with_range = tl.clone();
    with_range.windows[1].reach[0].detail = "base base-1 + WAL … to 0/3000028".into();
    assert_eq!(TimelineColumns::of(with_range).rows(), tl);
    assert!(cols.windows.strings.iter().filter(|s| s.as_str() == "restorable").count() == 1, "strings shared");

    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/timeline-columns.json");
    let now = serde_json::to_string_pretty(&serde_json::json!({ "columns": cols, "rows": tl })).unwrap() + "\n";
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&fixture, &now).unwrap();
    }
    assert_eq!(
        std::fs::read_to_string(&fixture).unwrap_or_default(),
        now,
        "tests/fixtures/timeline-columns.json is stale: run `UPDATE_BINDINGS=1 cargo test -p quiesce-engine columnar` and commit it"
    );
}
