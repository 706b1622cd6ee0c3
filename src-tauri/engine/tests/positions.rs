//! Each database's log position, read inside every pause: a PostgreSQL
//! storage and a MariaDB storage with its binary log, paused through a real
//! Scalar Admin gate while a workload commits on both. Every write of the
//! workload notes the log position just before it and just after its commit
//! (its own record, not Quiesce's): no write may straddle a window's
//! position, because nothing commits while the gate is closed. A position
//! read outside the pause would fall inside one of the writes.

mod common;
use common::{quiet, Env};
use quiesce_engine::catalog::window::{LogAt, PauseWindow};
use quiesce_engine::deployment::{DeploymentInput, DeploymentStorage};
use quiesce_engine::pause::{self, PauseOptions};
use quiesce_testsupport::admin::AdminServer;
use quiesce_testsupport::mariadb::{self, MariaDbServer};
use quiesce_testsupport::postgres::{PgServer, SUPERUSER};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// `X/Y` as PostgreSQL prints an LSN.
fn lsn(s: &str) -> u64 {
    let (hi, lo) = s.split_once('/').expect("an LSN");
    (u64::from_str_radix(hi, 16).unwrap() << 32) | u64::from_str_radix(lo, 16).unwrap()
}

/// One write of the workload on each database, with the positions around it
/// and when it began and ended (this machine's clock, as the window's times).
#[derive(Debug, Clone)]
struct Write {
    pg: (u64, u64),
    my: ((String, u64), (String, u64)),
    began: chrono::DateTime<chrono::Utc>,
    ended: chrono::DateTime<chrono::Utc>,
}

/// One MariaDB with its binary log for this file's tests (each uses its own databases).
fn binlog_server() -> &'static MariaDbServer {
    static S: std::sync::OnceLock<MariaDbServer> = std::sync::OnceLock::new();
    S.get_or_init(|| MariaDbServer::start_with(&["--log-bin=binlog", "--server-id=1", "--binlog-format=ROW"]))
}

/// Held by a test while it writes to [`binlog_server`]: the GTID arithmetic
/// of one needs no other writer beside it.
static BINLOG_WRITERS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The sequence number of a single-domain GTID position (`0-1-42`).
fn gtid_seq(g: &str) -> u64 {
    g.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("not a GTID position: {g:?}"))
}

async fn binlog_pos(c: &mut mysql_async::Conn) -> (String, u64) {
    use mysql_async::prelude::Queryable;
    let r: mysql_async::Row = c.query_first("SHOW MASTER STATUS").await.unwrap().expect("binary logging is on");
    (r.get(0).unwrap(), r.get(1).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_window_holds_each_database_s_log_position_read_inside_the_pause() {
    std::env::set_var(quiesce_engine::pause::watchdog::ENV, quiesce_testsupport::workspace_binary("quiesce-watchdog"));
    let _alone = BINLOG_WRITERS.lock().await;
    let pg = PgServer::shared();
    let my = binlog_server();
    let db = pg.create_database();
    pg.psql(&db, "CREATE TABLE t (id int PRIMARY KEY, n bigint); INSERT INTO t VALUES (1, 0);");
    my.sql("CREATE DATABASE w; CREATE TABLE w.t (id int PRIMARY KEY, n bigint); INSERT INTO w.t VALUES (1, 0);");
    let env = Env::new();
    let pp = env.pg("pos-pg", pg, &db, SUPERUSER, &pg.password);
    let mp = env.my("pos-maria", my);
    let node = AdminServer::start(None);
    let d = env
        .ds
        .create(
            &DeploymentInput {
                name: "positions".into(),
                storages: vec![
                    DeploymentStorage { name: "p".into(), profile_id: pp },
                    DeploymentStorage { name: "m".into(), profile_id: mp },
                ],
                default_storage: Some("p".into()),
                admin_endpoints: vec![node.endpoint()],
                ..Default::default()
            },
            None,
        )
        .unwrap()
        .id;

    // The workload: through the gate, each write noting the positions around it.
    let (stop, writes) = (Arc::new(AtomicBool::new(false)), Arc::new(Mutex::new(Vec::<Write>::new())));
    let worker = {
        let (stop, writes, gate) = (stop.clone(), writes.clone(), node.node.clone());
        let pg_url = format!("host=127.0.0.1 port={} user={SUPERUSER} password={} dbname={db}", pg.port, pg.password);
        let my_url = format!("mysql://{}:{}@127.0.0.1:{}/w", mariadb::USER, my.password, my.port);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                use mysql_async::prelude::Queryable;
                let (pc, conn) = tokio_postgres::connect(&pg_url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(conn);
                let mut mc = mysql_async::Conn::from_url(my_url).await.unwrap();
                let at = |r: Vec<tokio_postgres::Row>| lsn(&r[0].get::<_, String>(0));
                while !stop.load(Ordering::Relaxed) {
                    let Some(_in_flight) = gate.enter() else {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                        continue;
                    };
                    let began = chrono::Utc::now();
                    let q = "SELECT pg_current_wal_insert_lsn()::text";
                    let p0 = at(pc.query(q, &[]).await.unwrap());
                    pc.batch_execute("UPDATE t SET n = n + 1 WHERE id = 1").await.unwrap();
                    let p1 = at(pc.query(q, &[]).await.unwrap());
                    let m0 = binlog_pos(&mut mc).await;
                    mc.query_drop("UPDATE t SET n = n + 1 WHERE id = 1").await.unwrap();
                    let m1 = binlog_pos(&mut mc).await;
                    let ended = chrono::Utc::now();
                    writes.lock().unwrap().push(Write { pg: (p0, p1), my: (m0, m1), began, ended });
                }
            });
        })
    };
    let count = || writes.lock().unwrap().len();
    // Waits for `n` writes, failing (not hanging) when the workload stopped.
    let wait_for = |n: usize| {
        let worker = &worker;
        async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while count() < n {
                assert!(!worker.is_finished(), "the workload stopped");
                assert!(std::time::Instant::now() < deadline, "the workload made no progress in 60 s");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    wait_for(20).await;
    let opts = PauseOptions { min_hold: Duration::from_millis(200), ..Default::default() };
    let mut windows: Vec<PauseWindow> = Vec::new();
    for _ in 0..3 {
        let before = count();
        windows.push(pause::hold(&env.ds, &d, &opts, &quiet(), &CancellationToken::new()).await.unwrap());
        wait_for(before + 10).await;
    }
    stop.store(true, Ordering::Relaxed);
    worker.join().unwrap();
    let writes = writes.lock().unwrap().clone();

    for w in &windows {
        assert_eq!(w.status, "ok", "{w:#?}");
        assert_eq!(w.positions.len(), 2, "{:#?}", w.positions);
        let pgp = w.positions.iter().find(|p| p.storages == ["p"]).expect("the PostgreSQL storage's position");
        let LogAt::Wal { lsn: l, segment, timeline } = &pgp.at else { panic!("{pgp:?}") };
        assert_eq!(*timeline, 1);
        assert_eq!(&segment[..8], "00000001");
        let wl = lsn(l);
        let myp = w.positions.iter().find(|p| p.storages == ["m"]).expect("the MariaDB storage's position");
        let LogAt::Binlog { file, position, gtid } = &myp.at else { panic!("{myp:?}") };
        assert!(file.starts_with("binlog."), "{file}");
        assert!(gtid.as_deref().is_some_and(|g| g.starts_with("0-1-")), "MariaDB's GTID of that point: {gtid:?}");
        let wm = (file.clone(), *position);
        // Against the workload's own times: every write that ended before the
        // pause began lies at or before the position, every write that began
        // after it ended at or after it; and no write straddles it.
        let (start, end) = (w.started_at.unwrap(), w.ended_at.unwrap());
        for x in writes.iter().filter(|x| x.ended < start) {
            assert!(x.pg.1 <= wl && x.my.1 <= wm, "a write before the pause is after its position: {x:?}, {l}, {wm:?}");
        }
        for x in writes.iter().filter(|x| x.began > end) {
            assert!(x.pg.0 >= wl && x.my.0 >= wm, "a write after the pause is before its position: {x:?}, {l}, {wm:?}");
        }
        assert!(writes.iter().any(|x| x.ended < start) && writes.iter().any(|x| x.began > end));
        let straddle_pg: Vec<_> = writes.iter().filter(|x| x.pg.0 < wl && wl < x.pg.1).collect();
        assert!(straddle_pg.is_empty(), "writes around the WAL position {l}: {straddle_pg:?}");
        let straddle_my: Vec<_> = writes.iter().filter(|x| x.my.0 < wm && wm < x.my.1).collect();
        assert!(straddle_my.is_empty(), "writes around the binlog position {wm:?}: {straddle_my:?}");
        assert!(writes.iter().any(|x| x.pg.1 <= wl) && writes.iter().any(|x| x.pg.0 >= wl));
        assert!(writes.iter().any(|x| x.my.1 <= wm) && writes.iter().any(|x| x.my.0 >= wm));
        // Kept in the window file, and read back as written.
        let root = quiesce_engine::catalog::default_root(env.ds.home());
        let path = root.join("positions").join(format!("{}{}", w.id, quiesce_engine::catalog::window::SUFFIX));
        assert_eq!(PauseWindow::read(&path).unwrap().positions, w.positions);
    }
    assert!(!node.node.is_paused(), "no node ends paused");
}

#[test]
fn a_window_written_before_positions_loads_without_them() {
    let dir = tempfile::tempdir().unwrap();
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/windows/v1.window.json");
    let text = std::fs::read_to_string(&src).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["schema_version"], 1);
    let id = v["id"].as_str().unwrap();
    let path = dir.path().join(format!("{id}{}", quiesce_engine::catalog::window::SUFFIX));
    std::fs::write(&path, &text).unwrap();
    let w = PauseWindow::read(&path).unwrap();
    assert!(w.positions.is_empty());
    assert_eq!((w.status.as_str(), w.schema_version), ("ok", 1), "{:?}", w.problems);
    // Written back, it says exactly what it said: no empty positions added.
    assert_eq!(serde_json::to_value(&w).unwrap(), v);
}

#[tokio::test]
async fn a_backup_written_before_positions_loads_and_verifies() {
    let env = Env::new();
    let root = env.dir.path().join("backups");
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/backups-v2");
    let out = std::process::Command::new("cp").arg("-a").arg(&fixture).arg(&root).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let id = "20261207T173617Z-b844b2";
    let (_, m) = quiesce_engine::catalog::find(&root, id).unwrap();
    assert_eq!(m.schema_version, 2);
    assert!(m.units.iter().all(|u| u.log_position.is_none()));
    let (integrity, audit) =
        quiesce_engine::verify::run_backup(env.ds.home(), &root, id, quiet(), &CancellationToken::new()).await.unwrap();
    assert!(integrity.problems.is_empty() && integrity.files_checked == 1, "{integrity:?}");
    assert!(audit.is_some_and(|a| a.passed), "the SQLite copy is audited in place");
}

/// Without a pause: a MariaDB dump records the binlog coordinates of its own
/// snapshot, exactly; a PostgreSQL one an approximate WAL position, marked
/// so, never a start for replay. One writer commits a row at a time during
/// the dump, so the n-th row is the n-th transaction after the start: the
/// dump's GTID must be exactly the number of those rows the dump holds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dump_records_its_own_snapshot_s_binlog_coordinates_and_postgresql_an_approximate_position() {
    use quiesce_engine::catalog::window::LogBasis;
    use quiesce_testsupport::scalardb::{Engine, Layout};
    let _alone = BINLOG_WRITERS.lock().await;
    let (pg, my) = (PgServer::shared(), binlog_server());
    let sfx = quiesce_testsupport::random_suffix();
    let (lm, lp) = (Layout::unique(&format!("m{sfx}")), Layout::unique(&format!("p{sfx}")));
    my.sql(&lm.sql(Engine::Mysql, 5, 100));
    // Enough rows that the dump takes a while beside the writer.
    my.sql(&format!(
        "INSERT INTO {0}.transfers (transfer_id, amount, tx_id, tx_state) SELECT CONCAT('f', seq), seq, 'f', 3 FROM {0}.seq_1_to_100000",
        lm.audit
    ));
    let db = pg.create_database();
    pg.psql(&db, &lp.sql(Engine::Postgres, 5, 100));
    let env = Env::new();
    let mp = env.my("coords-maria", my);
    let pp = env.pg("coords-pg", pg, &db, SUPERUSER, &pg.password);
    let dm = env.deployment("coords-m", &[("m", &mp)], &[], &lm);
    let dp = env.deployment("coords-p", &[("p", &pp)], &[], &lp);

    let start = {
        let out = my.sql("SELECT @@gtid_binlog_pos");
        gtid_seq(out.trim())
    };
    let (stop, written) = (Arc::new(AtomicBool::new(false)), Arc::new(std::sync::atomic::AtomicU64::new(0)));
    let worker = {
        let (stop, written) = (stop.clone(), written.clone());
        let url = format!("mysql://{}:{}@127.0.0.1:{}/{}", mariadb::USER, my.password, my.port, lm.audit);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                use mysql_async::prelude::Queryable;
                let mut c = mysql_async::Conn::from_url(url).await.unwrap();
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let sql = format!(
                        "INSERT INTO transfers (transfer_id, amount, tx_id, tx_state) VALUES ('w{i}', {i}, 'w', 3)"
                    );
                    c.query_drop(sql).await.unwrap();
                    written.store(i, Ordering::Relaxed);
                }
            });
        })
    };
    let wait = |n: u64| {
        let (written, worker) = (written.clone(), &worker);
        async move {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            while written.load(Ordering::Relaxed) < n {
                assert!(!worker.is_finished() && std::time::Instant::now() < deadline, "the writer stopped");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    wait(20).await;
    let out = env.dir.path().join("backups");
    let o = common::opts(quiesce_engine::plan::commands::DumpFormat::Default, &out);
    let (_, m) = quiesce_engine::backup::run(&env.ds, &dm, &o, quiet(), &CancellationToken::new()).await.unwrap();
    let after = written.load(Ordering::Relaxed);
    wait(after + 20).await;
    stop.store(true, Ordering::Relaxed);
    worker.join().unwrap();

    let u = &m.units[0];
    assert_eq!(u.log_basis, Some(LogBasis::Snapshot), "{u:#?}");
    let Some(LogAt::Binlog { file, position, gtid: Some(gtid) }) = &u.log_position else {
        panic!("{:?}", u.log_position)
    };
    assert!(file.starts_with("binlog.") && *position > 4, "{file}:{position}");
    let rows = u.tables.iter().find(|t| t.table == "transfers").and_then(|t| t.rows).unwrap() - 100_000;
    assert!(
        rows > 0 && (rows as u64) < written.load(Ordering::Relaxed),
        "the dump ran while rows were written: {rows}"
    );
    assert_eq!(
        gtid_seq(gtid) - start,
        rows as u64,
        "the GTID of the dump's snapshot is exactly after the {rows} rows it holds"
    );
    // The file and position are that same point.
    let at = my.sql(&format!("SELECT BINLOG_GTID_POS('{file}', {position})"));
    assert_eq!(at.trim(), gtid);
    assert_eq!(u.replay_start(), u.log_position.as_ref());
    assert_eq!(m.schema_version, quiesce_engine::catalog::manifest::SCHEMA_VERSION);

    let (_, m) = quiesce_engine::backup::run(&env.ds, &dp, &o, quiet(), &CancellationToken::new()).await.unwrap();
    let u = &m.units[0];
    assert_eq!(u.log_basis, Some(LogBasis::Approximate), "{u:#?}");
    assert!(matches!(u.log_position, Some(LogAt::Wal { timeline: 1, .. })), "{:?}", u.log_position);
    assert_eq!(u.replay_start(), None, "an approximate position is never a start for replay");
    // Read back from the file as written.
    let (_, back) = quiesce_engine::catalog::find(&out, &m.id).unwrap();
    assert_eq!(back.units[0].log_basis, Some(LogBasis::Approximate));
}
