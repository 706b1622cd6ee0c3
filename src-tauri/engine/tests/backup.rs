//! Backups against real servers with real tools, and real faults: a transfer
//! workload during the dump, every PostgreSQL format restored by its
//! documented one-liner, MariaDB, SQLite under a writer committing every few
//! ms (rollback journal and WAL), a wrong password, a server killed mid-dump,
//! a client older than the server, an unwritable output, a full disk before
//! and during the dump, cancel (and the server-side session gone), two
//! backups at once. None may leave anything that looks like a backup.

mod common;
use common::{folders, opts, quiet, sh, Env, Tmpfs};
use quiesce_engine::backup::{self, BackupOptions};
use quiesce_engine::catalog::{self, manifest};
use quiesce_engine::job::JobEvent;
use quiesce_engine::plan::commands::DumpFormat;
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_engine::ErrorCode;
use quiesce_testsupport::mariadb::{self, MariaDbServer};
use quiesce_testsupport::postgres::{PgOptions, PgServer, SUPERUSER};
use quiesce_testsupport::scalardb::{Engine, Layout};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn sha256_of(p: &Path) -> String {
    let out = Command::new("sha256sum").arg(p).output().unwrap();
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_string()
}

/// Every directory under `dir` (and it) is 0700, every file 0600.
fn assert_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::symlink_metadata(dir).unwrap().permissions().mode() & 0o777;
    if dir.is_dir() {
        assert_eq!(mode, 0o700, "{} is {mode:o}", dir.display());
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            assert_private(&e.path());
        }
    } else {
        assert_eq!(mode, 0o600, "{} is {mode:o}", dir.display());
    }
}

/// The manifest's hashes are those of the files on disk, and the backup
/// (its folder and its deployment's) is private.
fn assert_files_match(dir: &Path, m: &manifest::Manifest) {
    assert_private(dir);
    assert_private(dir.parent().unwrap());
    assert!(!m.units[0].files.is_empty());
    for f in &m.units[0].files {
        let p = dir.join(&f.name);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), f.bytes, "{}", f.name);
        assert_eq!(sha256_of(&p), f.sha256, "{}", f.name);
    }
}

/// A bank transfer workload: each transfer moves money between two accounts
/// and records itself in the coordinator, in one database transaction.
fn pg_transfers(s: &PgServer, db: &str, stop: Arc<AtomicBool>, done: Arc<AtomicU64>) -> std::thread::JoinHandle<()> {
    let (port, pw, db) = (s.port, s.password.clone(), db.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let (c, conn) = tokio_postgres::connect(
                &format!("host=127.0.0.1 port={port} user={SUPERUSER} password={pw} dbname={db}"),
                tokio_postgres::NoTls,
            )
            .await
            .unwrap();
            tokio::spawn(conn);
            let mut i: i64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let (a, b) = ((i * 7) % 200, (i * 13 + 1) % 200);
                if a != b {
                    c.batch_execute(&format!(
                        "BEGIN; UPDATE bank.accounts SET balance = balance - 5 WHERE account_id = {a}; \
                         UPDATE bank.accounts SET balance = balance + 5 WHERE account_id = {b}; \
                         INSERT INTO coordinator.state VALUES ('t{i}', 3, 0, NULL); COMMIT;"
                    ))
                    .await
                    .unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
        });
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backup_under_transfers_restores_to_the_instant_its_manifest_counts() {
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, 200, 1000));
    // Bulk so the dump takes long enough for transfers to land during it.
    s.psql(&db, "INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, g, repeat(md5(g::text), 4), 3 FROM generate_series(1, 60000) g");
    s.psql(&db, "CREATE TABLE public.not_scalardb (x int); INSERT INTO public.not_scalardb VALUES (1)");
    let env = Env::new();
    let p = env.pg("pg", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("bank", &[("default", &p)], &[], &l);
    let out = env.dir.path().join("backups");

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let writer = pg_transfers(s, &db, stop.clone(), done.clone());
    while done.load(Ordering::Relaxed) < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    let sink: quiesce_engine::job::Sink = Arc::new(move |e| ev.lock().unwrap().push(e));
    let before = done.load(Ordering::Relaxed);
    let (dir, m) =
        backup::run(&env.ds, &d, &opts(DumpFormat::Default, &out), sink, &CancellationToken::new()).await.unwrap();
    let during = done.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(during > 0, "no transfer committed during the backup: the test proves nothing");

    assert_files_match(&dir, &m);
    assert_eq!(m.units[0].consistency.kind, "pg_exported_snapshot");
    assert!(m.units[0].consistency.snapshot.is_some());
    assert!(
        m.units[0].consistency.note.contains("rows in the archive itself"),
        "the counts came from the SQL fallback: {}",
        m.units[0].consistency.note
    );
    assert_eq!(m.units[0].namespaces, vec!["audit", "bank", "coordinator", "scalardb"]);
    let meta = m.units[0]
        .tables
        .iter()
        .find(|t| t.physical_name == "scalardb.metadata")
        .expect("the metadata table is part of the backup");
    assert_eq!(meta.rows, Some(4));
    assert!(folders(&out).iter().all(|f| !f.to_string_lossy().ends_with(".partial")));
    let evs = events.lock().unwrap();
    assert!(evs.iter().any(|e| matches!(e, JobEvent::Progress(p) if p.raw_bytes > 0)), "no progress was reported");
    assert!(evs.iter().any(|e| matches!(e, JobEvent::Log { line } if line.contains("dumping contents of table"))));
    drop(evs);

    // Restore without Quiesce, with the manifest's own one-liner.
    let target = s.create_database();
    let hint = m.units[0]
        .restore_hint
        .replace("TARGET_DB", &format!("{target} -h {} -p {} -U {SUPERUSER}", s.socket_dir().display(), s.port));
    sh(&format!("cd '{}' && {hint}", dir.display()));
    // Money is conserved, and the coordinator holds exactly the transfers the
    // manifest counted: counts and dump describe one instant.
    assert_eq!(s.psql(&target, "SELECT sum(balance) FROM bank.accounts"), "200000");
    let coord = m.units[0].tables.iter().find(|t| t.is_coordinator).unwrap().rows.unwrap();
    assert_eq!(s.psql(&target, "SELECT count(*) FROM coordinator.state"), coord.to_string());
    assert!(coord > 0);
    assert_eq!(
        s.psql(&target, "SELECT to_regclass('public.not_scalardb') IS NULL"),
        "t",
        "only ScalarDB schemas are dumped"
    );
    assert_eq!(catalog::list(&out).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_postgres_format_restores_with_its_documented_command() {
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, 50, 10));
    let env = Env::new();
    let p = env.pg("pg", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("formats", &[("default", &p)], &[], &l);
    let out = env.dir.path().join("backups");
    for (format, jobs) in [(DumpFormat::Plain, None), (DumpFormat::Custom, None), (DumpFormat::Directory, Some(2))] {
        let o = BackupOptions { format, jobs, out: Some(out.display().to_string()), ..Default::default() };
        let (dir, m) = backup::run(&env.ds, &d, &o, quiet(), &CancellationToken::new()).await.unwrap();
        assert_files_match(&dir, &m);
        assert_eq!(m.units[0].format, format.as_str());
        let target = s.create_database();
        let conn = format!("{target} -h {} -p {} -U {SUPERUSER}", s.socket_dir().display(), s.port);
        let hint = m.units[0]
            .restore_hint
            .replace("TARGET_DB", &conn)
            .replace("psql ", &format!("{} ", s.bin_dir.join("psql").display()));
        sh(&format!("cd '{}' && {hint}", dir.display()));
        assert_eq!(s.psql(&target, "SELECT sum(balance) FROM bank.accounts"), "500", "{format:?}");
    }
    // -j without the directory format is refused with the fix.
    let bad = BackupOptions {
        format: DumpFormat::Default,
        jobs: Some(2),
        out: Some(out.display().to_string()),
        ..Default::default()
    };
    let e = backup::run(&env.ds, &d, &bad, quiet(), &CancellationToken::new()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(e.message.contains("directory"), "{}", e.message);
}

/// Transfers on MariaDB: two accounts and a coordinator row per transaction.
fn my_transfers(
    s: &MariaDbServer,
    l: &Layout,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    let url = format!("mysql://{}:{}@127.0.0.1:{}", mariadb::USER, s.password, s.port);
    let (bank, coord) = (l.bank.clone(), l.coordinator.clone());
    std::thread::spawn(move || {
        use mysql_async::prelude::Queryable;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let mut c = mysql_async::Conn::from_url(url).await.unwrap();
            let mut i: i64 = 0;
            while !stop.load(Ordering::Relaxed) {
                let (a, b) = ((i * 7) % 40, (i * 13 + 1) % 40);
                if a != b {
                    c.query_drop(format!(
                        "START TRANSACTION; UPDATE `{bank}`.accounts SET balance = balance - 1 WHERE account_id = {a}; \
                         UPDATE `{bank}`.accounts SET balance = balance + 1 WHERE account_id = {b}; \
                         INSERT INTO `{coord}`.state VALUES ('m{i}', 3, 0, NULL); COMMIT;"
                    ))
                    .await
                    .unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
                i += 1;
            }
            let _ = c.disconnect().await;
        });
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_backup_is_one_dump_of_every_scalardb_database_and_restores() {
    let s = MariaDbServer::shared();
    let sfx = quiesce_testsupport::random_suffix();
    let l = Layout::unique(&sfx);
    s.sql(&l.sql(Engine::Mysql, 40, 25));
    s.sql(&format!("INSERT INTO `{}`.state VALUES ('c1', 3, 0, NULL)", l.coordinator));
    let env = Env::new();
    let p = env.my("my", s);
    let d = env.deployment("my", &[("default", &p)], &[], &l);
    let out = env.dir.path().join("backups");
    // Bulk, so that transfers land while the dump runs.
    s.sql(&format!(
        "USE `{}`; INSERT INTO `{}`.transfers (transfer_id, amount, tx_id, tx_state) SELECT CONCAT('x', seq), seq, md5(seq), 3 FROM seq_1_to_150000",
        l.audit, l.audit
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let writer = my_transfers(s, &l, stop.clone(), done.clone());
    while done.load(Ordering::Relaxed) < 20 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let before = done.load(Ordering::Relaxed);
    let r = backup::run(&env.ds, &d, &opts(DumpFormat::Default, &out), quiet(), &CancellationToken::new()).await;
    let during = done.load(Ordering::Relaxed) - before;
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let (dir, m) = r.unwrap();
    assert!(during > 0, "no transfer committed during the backup: the test proves nothing");
    assert_files_match(&dir, &m);
    assert_eq!(m.units[0].consistency.kind, "mysql_single_transaction");
    assert!(m.units[0].tables.iter().all(|t| t.rows_exact), "the rows are counted in the dump itself");
    assert!(m.units[0].consistency.note.contains("rows in the dump itself"), "{}", m.units[0].consistency.note);
    let mut dbs = vec![l.audit.clone(), l.bank.clone(), l.coordinator.clone(), l.system.clone()];
    dbs.sort();
    assert_eq!(m.units[0].namespaces, dbs);
    // Drop everything, restore with the documented command, and compare.
    s.sql(&dbs.iter().map(|d| format!("DROP DATABASE `{d}`;")).collect::<String>());
    let hint = m.units[0].restore_hint.replace(
        "mariadb --user=USER -p",
        &format!("mariadb --no-defaults --socket={} -uroot", s.dir.join("sock").display()),
    );
    sh(&format!("cd '{}' && {hint}", dir.display()));
    // Money is conserved across every transfer the dump caught.
    assert_eq!(s.sql(&format!("SELECT SUM(balance) FROM `{}`.accounts", l.bank)), "1000");
    let coord: i64 = s.sql(&format!("SELECT COUNT(*) FROM `{}`.state", l.coordinator)).parse().unwrap();
    assert!(coord > 1, "transfers committed before the dump are in it: {coord}");
    // The manifest counted exactly what the dump holds, although transfers kept committing.
    assert_eq!(Some(coord), m.units[0].tables.iter().find(|t| t.is_coordinator).unwrap().rows);
    assert_eq!(s.sql(&format!("SELECT COUNT(*) FROM `{}`.metadata", l.system)), "4");
}

/// A writer committing every 2 ms; returns its worst commit latency (ms) and its commits.
fn sqlite_writer(path: PathBuf, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<(f64, u64)> {
    std::thread::spawn(move || {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.busy_timeout(Duration::from_secs(20)).unwrap();
        // Its commits do not fsync: their latency is then the wait for the
        // lock, not its own journal syncs queued behind the backup's sync of a
        // 40 MB copy on a busy disk (which is not a lock Quiesce holds).
        c.pragma_update(None, "synchronous", "OFF").unwrap();
        let (mut worst, mut n) = (0f64, 0u64);
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            c.execute(
                "INSERT INTO \"coordinator$state\" (tx_id, tx_state, tx_created_at) VALUES (?1, 3, 0)",
                [format!("w{n}")],
            )
            .unwrap();
            worst = worst.max(t.elapsed().as_secs_f64() * 1000.0);
            n += 1;
            std::thread::sleep(Duration::from_millis(2));
        }
        (worst, n)
    })
}

async fn sqlite_under_writer(journal: &str) {
    let env = Env::new();
    let file = env.dir.path().join(format!("app-{journal}.sqlite"));
    quiesce_engine::demo::create_demo_database(&file).unwrap();
    {
        let c = rusqlite::Connection::open(&file).unwrap();
        c.pragma_update(None, "journal_mode", journal).unwrap();
        // ~40 MB so that the copy takes a while.
        c.execute_batch(
            "WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 150000) \
             INSERT INTO \"audit$transfers\" (transfer_id, amount, tx_id, tx_state) SELECT 'x' || x, x, hex(randomblob(120)), 3 FROM g",
        )
        .unwrap();
    }
    let input =
        ProfileInput { kind: Some(DbKind::Sqlite), path: Some(file.display().to_string()), ..Default::default() };
    let p = env.profile("lite", input, None);
    let d = env.deployment("lite", &[("default", &p)], &[], &Layout::standard());
    let out = env.dir.path().join("backups");
    let stop = Arc::new(AtomicBool::new(false));
    let w = sqlite_writer(file.clone(), stop.clone());
    std::thread::sleep(Duration::from_millis(100));
    let r = tokio::time::timeout(
        Duration::from_secs(120),
        backup::run(&env.ds, &d, &opts(DumpFormat::Default, &out), quiet(), &CancellationToken::new()),
    )
    .await
    .expect("the SQLite backup must complete under a steady writer");
    stop.store(true, Ordering::Relaxed);
    let (worst, commits) = w.join().unwrap();
    let (dir, m) = r.unwrap();
    assert!(commits > 20, "the writer hardly ran ({commits} commits)");
    assert_files_match(&dir, &m);
    let blocked = m.units[0].writers_blocked_ms.unwrap();
    if journal == "wal" {
        assert_eq!(blocked, 0.0, "WAL: Quiesce reports that it did not block writers");
        assert!(worst < 1000.0, "WAL: a writer waited {worst} ms");
    } else {
        assert!(blocked > 0.0);
        // The report is not understated: no writer waited longer than Quiesce
        // says it held the lock, give or take SQLite's busy handler, which
        // retries a waiting writer at most every 100 ms, and a scheduling slice.
        assert!(worst <= blocked + 100.0 + 150.0, "a writer waited {worst} ms but Quiesce reports {blocked} ms");
    }
    // The copy is a consistent SQLite database with the counted rows.
    let c = rusqlite::Connection::open(dir.join("scalardb.sqlite")).unwrap();
    let n: i64 = c.query_row("SELECT count(*) FROM \"coordinator$state\"", [], |r| r.get(0)).unwrap();
    assert_eq!(Some(n), m.units[0].tables.iter().find(|t| t.is_coordinator).unwrap().rows);
    // One instant of the source: the writer's rows w0, w1, ... up to some point, none missing.
    let (written, last): (i64, Option<i64>) = c
        .query_row(
            "SELECT count(*), max(CAST(substr(tx_id, 2) AS INTEGER)) FROM \"coordinator$state\" WHERE tx_id LIKE 'w%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(written, last.map(|l| l + 1).unwrap_or(0), "the copy holds the writer's rows with gaps");
    assert!(written < commits as i64, "the copy holds rows written after the backup");
    let ok: String = c.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_completes_under_a_writer_in_rollback_journal_mode() {
    sqlite_under_writer("delete").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_completes_under_a_writer_in_wal_mode() {
    sqlite_under_writer("wal").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_a_client_too_old_leave_nothing() {
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, 3, 1));
    let env = Env::new();
    let p = env.pg("pg", s, &db, SUPERUSER, "not-the-password");
    let d = env.deployment("wrongpw", &[("default", &p)], &[], &l);
    let out = env.dir.path().join("backups");
    let e = backup::run(&env.ds, &d, &opts(DumpFormat::Default, &out), quiet(), &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::AuthFailed, "{}", e.message);

    let s18 = PgServer::shared_pg18();
    let db18 = s18.create_database();
    s18.psql(&db18, &l.sql(Engine::Postgres, 3, 1));
    let p = env.pg("pg18", s18, &db18, SUPERUSER, &s18.password);
    let d = env.deployment("pg18", &[("default", &p)], &[], &l);
    let e = backup::run(&env.ds, &d, &opts(DumpFormat::Default, &out), quiet(), &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{}", e.message);
    assert!(e.message.contains("older than the server (18)"), "{}", e.message);
    assert!(folders(&out).is_empty(), "{:?}", folders(&out));
}

/// A tmpfs mounted for one test (root only: CI runs as root). A test that
/// cannot set its fault up fails rather than passes.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unwritable_output_and_a_full_disk_before_and_during_the_dump() {
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, 10, 1));
    s.psql(&db, "INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, g, md5(random()::text) || md5(random()::text), 3 FROM generate_series(1, 100000) g");
    let env = Env::new();
    let p = env.pg("pg", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("disk", &[("default", &p)], &[], &l);

    let ro = Tmpfs::mount(&env.dir.path().join("ro"), "ro,size=64m");
    let e = backup::run(&env.ds, &d, &opts(DumpFormat::Default, &ro.0), quiet(), &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::IoError, "{}", e.message);
    assert!(e.message.contains("output") && e.message.to_lowercase().contains("read-only"), "{}", e.message);

    let tiny = Tmpfs::mount(&env.dir.path().join("tiny"), "size=1m");
    let e = backup::run(&env.ds, &d, &opts(DumpFormat::Plain, &tiny.0), quiet(), &CancellationToken::new())
        .await
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::IoError, "{}", e.message);
    assert!(e.message.contains("free_space") && e.message.contains("needs about"), "{}", e.message);
    assert!(folders(&tiny.0).is_empty());

    // The disk fills up after the checks passed: the write fails mid-dump.
    let full = Tmpfs::mount(&env.dir.path().join("full"), "size=64m");
    let filler = full.0.join("filler");
    let f2 = filler.clone();
    let sink: quiesce_engine::job::Sink = Arc::new(move |e| {
        if let JobEvent::Phase { phase, .. } = e {
            if phase == "dumping" {
                let _ = Command::new("sh")
                    .arg("-c")
                    .arg(format!("dd if=/dev/zero of='{}' bs=1M 2>/dev/null", f2.display()))
                    .status();
            }
        }
    });
    let e =
        backup::run(&env.ds, &d, &opts(DumpFormat::Plain, &full.0), sink, &CancellationToken::new()).await.unwrap_err();
    assert!(filler.exists(), "the disk was not filled: the fault did not happen");
    assert!(
        e.message.to_lowercase().contains("no space left") || e.message.contains("disk is full"),
        "{:?} {}",
        e.code,
        e.message
    );
    std::fs::remove_file(&filler).unwrap();
    assert!(folders(&full.0).is_empty(), "a partial backup was left: {:?}", folders(&full.0));
}

/// A table big enough that pg_dump runs for a few seconds.
fn big(s: &PgServer, db: &str) {
    s.psql(db, &Layout::standard().sql(Engine::Postgres, 10, 1));
    s.psql(db, "INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, g, repeat(md5(g::text), 6), 3 FROM generate_series(1, 700000) g");
}

async fn wait_for_bytes(progress: &AtomicU64) {
    let t = Instant::now();
    while progress.load(Ordering::Relaxed) == 0 {
        assert!(t.elapsed() < Duration::from_secs(60), "the dump never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn byte_counter() -> (Arc<AtomicU64>, quiesce_engine::job::Sink) {
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = seen.clone();
    (
        seen,
        Arc::new(move |e| {
            if let JobEvent::Progress(p) = e {
                s2.store(p.raw_bytes, Ordering::Relaxed);
            }
        }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_kills_the_dump_ends_its_server_session_and_leaves_nothing_and_a_second_backup_is_busy() {
    let s = PgServer::shared();
    let db = s.create_database();
    big(s, &db);
    let env = Env::new();
    let p = env.pg("pg", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("cancel", &[("default", &p)], &[], &Layout::standard());
    let out = env.dir.path().join("backups");
    let cancel = CancellationToken::new();
    let (seen, sink) = byte_counter();
    let ds = env.ds.clone();
    let (d2, o2, c2) = (d.clone(), opts(DumpFormat::Plain, &out), cancel.clone());
    let job = tokio::spawn(async move { backup::run(&ds, &d2, &o2, sink, &c2).await });
    wait_for_bytes(&seen).await;
    // One backup per deployment at a time.
    let e =
        backup::run(&env.ds, &d, &opts(DumpFormat::Plain, &out), quiet(), &CancellationToken::new()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Busy, "{}", e.message);
    cancel.cancel();
    let e = job.await.unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled, "{}", e.message);
    assert!(folders(&out).is_empty(), "{:?}", folders(&out));
    let t = Instant::now();
    loop {
        let n = s.psql(&db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'");
        if n == "0" {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "pg_dump's server session is still there after cancel");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_dump_is_a_failure_with_nothing_left() {
    let s = PgServer::start(PgOptions::default());
    let db = s.create_database();
    big(&s, &db);
    let env = Env::new();
    let p = env.pg("pg", &s, &db, SUPERUSER, &s.password);
    let d = env.deployment("killed", &[("default", &p)], &[], &Layout::standard());
    let out = env.dir.path().join("backups");
    let (seen, sink) = byte_counter();
    let ds = env.ds.clone();
    let (d2, o2) = (d.clone(), opts(DumpFormat::Plain, &out));
    let job = tokio::spawn(async move { backup::run(&ds, &d2, &o2, sink, &CancellationToken::new()).await });
    wait_for_bytes(&seen).await;
    s.kill();
    let e = job.await.unwrap().unwrap_err();
    assert!(matches!(e.code, ErrorCode::ConnectionRefused | ErrorCode::DatabaseError), "{:?}: {}", e.code, e.message);
    assert!(e.message.contains("pg_dump"), "the tool's own message is shown: {}", e.message);
    assert!(folders(&out).is_empty(), "{:?}", folders(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mydumper_runs_in_parallel_and_its_inconsistent_dump_without_reload_is_refused() {
    // A server of its own: mydumper's FLUSH TABLES WITH READ LOCK waits on
    // every other session's statements, so the other tests' dumps and writers
    // must not share it. (The hang once seen here was mydumper's own.)
    let s = &MariaDbServer::start();
    let sfx = quiesce_testsupport::random_suffix();
    let l = Layout::unique(&sfx);
    s.sql(&l.sql(Engine::Mysql, 30, 10));
    let env = Env::new();
    let mk = |user: &str, pw: &str| ProfileInput {
        password: quiesce_engine::profile::PasswordChange::Set(quiesce_engine::Sensitive::new(pw.into())),
        ..common::my_input(s, user)
    };
    let out = env.dir.path().join("backups");
    let par = BackupOptions {
        format: DumpFormat::Directory,
        jobs: Some(2),
        out: Some(out.display().to_string()),
        ..Default::default()
    };

    // A user without RELOAD: mydumper would dump inconsistent snapshots.
    let user = format!("noreload{sfx}");
    s.sql(&format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'nr-pw'; GRANT SELECT, LOCK TABLES, SHOW VIEW, TRIGGER, EVENT, PROCESS ON *.* TO '{user}'@'%';"));
    let p = env.ds.profiles().create(&ProfileInput { name: "noreload".into(), ..mk(&user, "nr-pw") }).unwrap();
    let d = env.deployment("noreload", &[("default", &p.id)], &[], &l);
    // Bounded: a tool that hangs must fail this test, not stall the run.
    let e = tokio::time::timeout(
        Duration::from_secs(120),
        backup::run(&env.ds, &d, &par, quiet(), &CancellationToken::new()),
    )
    .await
    .expect("the refused mydumper backup did not finish within 120 s")
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied, "{}", e.message);
    assert!(e.message.contains("RELOAD") && e.message.contains("not be consistent"), "{}", e.message);
    assert!(folders(&out).is_empty(), "an inconsistent dump was kept: {:?}", folders(&out));

    // With RELOAD: a parallel consistent dump that myloader restores.
    let p = env.ds.profiles().create(&ProfileInput { name: "full".into(), ..mk(mariadb::USER, &s.password) }).unwrap();
    let d = env.deployment("full", &[("default", &p.id)], &[], &l);
    let mut attempt = 0;
    let (dir, m) = loop {
        attempt += 1;
        let r = tokio::time::timeout(
            Duration::from_secs(120),
            backup::run(&env.ds, &d, &par, quiet(), &CancellationToken::new()),
        )
        .await
        .expect("the mydumper backup did not finish within 120 s");
        match r {
            // mydumper 0.10 hangs now and then (twice in a row once here);
            // Quiesce stops it and says so (its own test below): that is not
            // what this test is about, so up to three tries.
            Err(e) if e.code == ErrorCode::Timeout && attempt < 3 => {
                eprintln!("mydumper stalled and was stopped; trying again: {}", e.message);
                assert!(folders(&out).is_empty(), "a stalled dump was kept: {:?}", folders(&out));
            }
            r => break r.unwrap(),
        }
    };
    assert_files_match(&dir, &m);
    assert_eq!(m.units[0].consistency.kind, "mydumper_consistent_snapshot");
    let mut dbs = [l.audit.clone(), l.bank.clone(), l.coordinator.clone(), l.system.clone()];
    dbs.sort();
    s.sql(&dbs.iter().map(|d| format!("DROP DATABASE `{d}`;")).collect::<String>());
    sh(&format!(
        "myloader --socket='{}' --user=root --threads=2 --directory='{}'",
        s.dir.join("sock").display(),
        dir.join("mysql.dir").display()
    ));
    assert_eq!(s.sql(&format!("SELECT SUM(balance) FROM `{}`.accounts", l.bank)), "300");
    assert_eq!(s.sql(&format!("SELECT COUNT(*) FROM `{}`.metadata", l.system)), "4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mydumper_that_stops_making_progress_is_stopped_and_leaves_nothing() {
    // A mydumper that answers --version and then neither logs nor writes: as
    // the real one does when it hangs, or while its global lock waits.
    let s = MariaDbServer::shared();
    let l = Layout::unique(&quiesce_testsupport::random_suffix());
    s.sql(&l.sql(Engine::Mysql, 3, 10));
    let env = Env::new();
    let bin = env.dir.path().join("bin");
    common::fake_tool(
        &bin,
        "mydumper",
        "mydumper 0.10.0, built against MySQL 10.11",
        "echo 'Connected'\nexec sleep 600",
    );
    let input = ProfileInput { client_bin_dir: Some(bin.display().to_string()), ..common::my_input(s, mariadb::USER) };
    let p = env.profile("stall", input, Some(&s.password));
    let d = env.deployment("stall", &[("default", &p)], &[], &l);
    let out = env.dir.path().join("backups");
    let par = BackupOptions {
        format: DumpFormat::Directory,
        jobs: Some(2),
        out: Some(out.display().to_string()),
        ..Default::default()
    };
    let started = Instant::now();
    let e = tokio::time::timeout(
        Duration::from_secs(90),
        backup::run(&env.ds, &d, &par, quiet(), &CancellationToken::new()),
    )
    .await
    .expect("a stalled mydumper kept the backup running")
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout, "{}", e.message);
    assert!(e.message.contains("neither logged nor wrote") && e.message.contains("default format"), "{}", e.message);
    assert!(started.elapsed() >= Duration::from_secs(30), "stopped before its time limit");
    assert!(folders(&out).is_empty(), "a stalled dump was kept: {:?}", folders(&out));
    assert!(
        !std::process::Command::new("pgrep").args(["-f", &bin.display().to_string()]).status().unwrap().success(),
        "the stalled mydumper is still running"
    );
}
