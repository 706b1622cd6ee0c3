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
