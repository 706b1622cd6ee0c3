//! The WAL archive under a fault the CLI tests cannot make: its disk fills.

mod common;
use common::{Env, Tmpfs};
use quiesce_engine::archive;
use quiesce_engine::overview::AttentionKind;
use quiesce_testsupport::postgres::{PgOptions, PgServer, SUPERUSER};
use quiesce_testsupport::scalardb::Layout;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn say(l: String) {
    eprintln!("archive: {l}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_archive_disk_fails_loudly_the_overview_flags_it_and_the_slot_keeps_the_wal() {
    let s: &'static PgServer = Box::leak(Box::new(PgServer::start(PgOptions::default())));
    let db = s.create_database();
    s.psql(&db, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    let env = Env::new();
    let p = env.pg("arch-pg", s, &db, SUPERUSER, &s.password);
    let id = env.deployment("full", &[("p", &p)], &[], &Layout::standard());
    let d = env.ds.get(&id).unwrap();
    // Room for two segments of 16 MiB, not three.
    let dir = archive::archive_dir(&env.ds, &d).join("p");
    let _disk = Tmpfs::mount(&dir, "size=40m,mode=0700");

    let stop = CancellationToken::new();
    let task = {
        let (ds, stop) = (env.ds.clone(), stop.clone());
        tokio::spawn(async move { archive::run(&ds, "full", &say, &stop).await })
    };
    let beat = || archive::read_heartbeat(dir.parent().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    // Its slot made and its receiver streaming before any WAL is written.
    while !beat().is_some_and(|b| !b.receivers.is_empty() && b.receivers.iter().all(|r| r.state == "streaming")) {
        assert!(Instant::now() < deadline && !task.is_finished(), "the archiver started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..4 {
        s.psql(&db, "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g ON CONFLICT (id) DO UPDATE SET v = md5(t.v); SELECT pg_switch_wal();");
    }
    // The receiver ends on the full disk, and says so.
    let deadline = Instant::now() + Duration::from_secs(60);
    let error = loop {
        if let Some(e) = beat().and_then(|b| b.receivers.first().and_then(|r| r.last_error.clone())) {
            break e;
        }
        assert!(Instant::now() < deadline, "the receiver never failed: {:?}", beat());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(error.contains("the archive's disk is full"), "{error}");
    // The overview flags it on the deployment.
    let o = quiesce_engine::overview::build(&env.ds).unwrap();
    let item = o.deployments[0].attention.iter().find(|a| a.kind == AttentionKind::ArchiveFailing);
    assert!(item.is_some_and(|a| a.message.contains("disk is full")), "{:?}", o.deployments[0].attention);
    // The server keeps what the archive could not take: the slot's restart
    // segment is still in pg_wal, and it is not in the archive's index.
    let held = s.psql(
        &db,
        "SELECT pg_walfile_name(restart_lsn) FROM pg_replication_slots; SELECT count(*) FROM pg_ls_waldir() w, pg_replication_slots r WHERE w.name = pg_walfile_name(r.restart_lsn);",
    );
    let mut lines = held.lines().map(str::trim).filter(|l| !l.is_empty());
    let (segment, present) = (lines.next().unwrap().to_string(), lines.next().unwrap());
    assert_eq!(present, "1", "the slot's WAL is on the server: {held}");
    let index = archive::index::Index::read(&dir).unwrap();
    assert!(!index.files.iter().any(|f| f.name == segment), "{segment} was not archived, and the slot holds it");
    let st = archive::status(&env.ds, "full", false).await.unwrap();
    assert!(
        st.running && st.databases[0].slot.as_ref().is_some_and(|s| s.wal_status.as_deref() != Some("lost")),
        "{st:?}"
    );

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(20), task).await.expect("it stops").unwrap().unwrap();
    assert!(archive::trouble(&env.ds, &d).is_none(), "stopped on purpose: nothing to flag");
}

/// A window is a point for an archived storage once a base lies before its
/// position and the archive holds every log file from that base to past it:
/// before any base it has none, after one it is restorable, inside the
/// segment still being written it waits, and a log file deleted from the
/// archive is a gap for the windows that need it. A PostgreSQL storage (base
/// backups, WAL) and a MariaDB one (a backup's binlog coordinates, binlogs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_window_is_restorable_waiting_or_in_a_gap_as_the_archive_holds_its_log() {
    use quiesce_engine::catalog::window::{LogAt, PauseWindow};
    use quiesce_engine::pause::{self, PauseOptions};
    use quiesce_engine::points::reach::ReachState;
    use quiesce_engine::usecases::{self as uc, Engine as Uc};
    use quiesce_testsupport::admin::AdminServer;
    use quiesce_testsupport::mariadb::MariaDbServer;
    use quiesce_testsupport::scalardb::Engine;
    std::env::set_var(quiesce_engine::pause::watchdog::ENV, quiesce_testsupport::workspace_binary("quiesce-watchdog"));
    let pg: &'static PgServer = Box::leak(Box::new(PgServer::start(PgOptions::default())));
    let my = MariaDbServer::start_with(&["--log-bin=binlog", "--server-id=1", "--binlog-format=ROW"]);
    let (la, lb) = Layout::pair(&quiesce_testsupport::random_suffix());
    let da = pg.create_database();
    pg.psql(&da, &la.sql(Engine::Postgres, 5, 100));
    my.sql(&lb.sql(Engine::Mysql, 5, 100));
    let env = Env::new();
    let (pa, pb) = (env.pg("reach-pg", pg, &da, SUPERUSER, &pg.password), env.my("reach-maria", &my));
    let node = AdminServer::start(None);
    let id = env.pair_deployment("reach", (&pa, &pb), (&la, &lb), &node.endpoint());
    let d = env.ds.get(&id).unwrap();
    let e = Uc::new(quiesce_engine::paths::Home::at(env.dir.path()), quiesce_engine::secrets::SecretStore::new());

    let stop = CancellationToken::new();
    let task = {
        let (ds, stop) = (env.ds.clone(), stop.clone());
        tokio::spawn(async move { archive::run(&ds, "reach", &say, &stop).await })
    };
    let dir = archive::archive_dir(&env.ds, &d);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !archive::read_heartbeat(&dir)
        .is_some_and(|b| b.receivers.len() == 2 && b.receivers.iter().all(|r| r.state == "streaming"))
    {
        assert!(Instant::now() < deadline && !task.is_finished(), "the archiver started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let opts = PauseOptions { min_hold: Duration::from_millis(100), ..Default::default() };
    let (sink, never) = (common::quiet(), CancellationToken::new());
    let hold = || pause::hold(&env.ds, "reach", &opts, &sink, &never);
    let write = |k: i32| {
        pg.psql(&da, &format!("UPDATE {}.accounts SET balance = balance + {k} WHERE account_id = 1", la.bank));
        my.sql(&format!("UPDATE {}.accounts SET balance = balance + {k} WHERE account_id = 1", lb.bank));
    };

    let w0: PauseWindow = hold().await.unwrap();
    write(1);
    let bases = archive::base::take(&env.ds, "reach", &say, &CancellationToken::new()).await.unwrap();
    let root = quiesce_engine::catalog::default_root(env.ds.home());
    let o = common::opts(quiesce_engine::plan::commands::DumpFormat::Default, &root);
    let (_, backup) =
        quiesce_engine::backup::run(&env.ds, "reach", &o, common::quiet(), &CancellationToken::new()).await.unwrap();
    let coords = backup.units.iter().find_map(|u| match u.replay_start() {
        Some(LogAt::Binlog { file, .. }) => Some(file.clone()),
        _ => None,
    });
    let coords = coords.expect("the MariaDB unit has exact binlog coordinates");
    write(2);
    let w1 = hold().await.unwrap();
    write(3);
    pg.psql(&da, "SELECT pg_switch_wal()");
    my.sql("FLUSH BINARY LOGS");
    write(4);
    let w2 = hold().await.unwrap();
    // The binlog copy goes on past w2's position; the WAL segment it lies in stays open.
    write(5);

    let reach_of = |t: &quiesce_engine::points::Timeline, w: &str, s: &str| {
        let m = t.windows.iter().find(|x| x.id == w).unwrap_or_else(|| panic!("window {w} on the timeline"));
        m.reach.iter().find(|r| r.storage == s).cloned().unwrap_or_else(|| panic!("{s} in {:?}", m.reach))
    };
    let timeline = || uc::points::timeline(&e, "reach", None, &Default::default()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let t = loop {
        let t = timeline();
        let ready = [(&w1.id, "a"), (&w1.id, "b"), (&w2.id, "b")]
            .iter()
            .all(|(w, s)| reach_of(&t, w, s).state == ReachState::Restorable);
        if ready {
            break t;
        }
        assert!(
            Instant::now() < deadline,
            "the archive never reached the windows: {:#?}",
            t.windows.iter().map(|w| &w.reach).collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    for s in ["a", "b"] {
        let r = reach_of(&t, &w0.id, s);
        assert_eq!(r.state, ReachState::NoBase, "before any base: {r:?}");
    }
    let (ra, rb) = (reach_of(&t, &w1.id, "a"), reach_of(&t, &w1.id, "b"));
    assert!(ra.detail.contains(&bases[0].id), "from the base backup: {ra:?}");
    assert!(rb.detail.contains(&backup.id) && rb.detail.contains(&coords), "from the backup's coordinates: {rb:?}");
    let r = reach_of(&t, &w2.id, "a");
    assert_eq!(r.state, ReachState::Waiting, "its segment is still being written: {r:?}");
    assert!(r.detail.contains("pg_switch_wal"), "{r:?}");
    let lane = |t: &quiesce_engine::points::Timeline, s: &str| {
        t.lanes.iter().find(|l| l.storage == s).and_then(|l| l.archive.clone()).expect("an archived lane")
    };
    assert_eq!(lane(&t, "a").base.as_deref(), Some(bases[0].id.as_str()));
    assert_eq!(lane(&t, "b").base.as_deref(), Some(backup.id.as_str()));
    assert!(lane(&t, "a").gaps.is_empty() && lane(&t, "b").gaps.is_empty());

    stop.cancel();
    tokio::time::timeout(Duration::from_secs(20), task).await.expect("it stops").unwrap().unwrap();
    // A log file the replay to w1 needs, deleted from the archive: a gap for w1.
    let LogAt::Wal { segment, .. } = &w1.positions.iter().find(|p| p.storages == ["a"]).unwrap().at else {
        panic!("{:?}", w1.positions)
    };
    std::fs::remove_file(dir.join("a").join(segment)).unwrap();
    std::fs::remove_file(dir.join("b").join(&coords)).unwrap();
    let t = timeline();
    for s in ["a", "b"] {
        let r = reach_of(&t, &w1.id, s);
        assert_eq!(r.state, ReachState::Gap, "{r:?}");
        assert!(r.detail.contains("deleted"), "{r:?}");
        assert!(!lane(&t, s).gaps.is_empty(), "the lane shows the gap");
    }
    let r = reach_of(&t, &w0.id, "a");
    assert_eq!(r.state, ReachState::NoBase, "{r:?}");
    assert!(!node.node.is_paused(), "no node ends paused");
}
