//! The hardening issue's faults, made to happen for real with the real tools
//! and servers: a disk that fills in the middle of a dump, for every format
//! of every engine, and hostile names (a MariaDB database named like an
//! option, a PostgreSQL database named like a connection string).
//!
//! These tests take one lock each for their whole run: they assert that no
//! child process of this test binary survives a failed job, which only holds
//! if no other test's tools run meanwhile.

mod common;
use common::{folders, opts, sh, Env, Tmpfs};
use quiesce_engine::backup::{self, BackupOptions};
use quiesce_engine::job::JobEvent;
use quiesce_engine::plan::commands::DumpFormat;
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_engine::{Error, ErrorCode};
use quiesce_testsupport::mariadb::MariaDbServer;
use quiesce_testsupport::postgres::{PgServer, SUPERUSER};
use quiesce_testsupport::scalardb::{Engine, Layout};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a backup did while the disk filled.
#[derive(Default)]
struct Seen {
    filled_at: Option<Instant>,
    phases: Vec<String>,
    /// This process's children at the moment of the fill: the job's tools.
    children: Vec<i32>,
}

fn children_of_this_process() -> Vec<i32> {
    let me = std::process::id().to_string();
    let out = std::process::Command::new("pgrep").args(["-P", &me]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().filter_map(|l| l.trim().parse().ok()).collect()
}

fn alive(pid: i32) -> bool {
    // A zombie is gone for our purpose only once reaped; tokio reaps its children.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok()
}

fn free_bytes(dir: &Path) -> i64 {
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut s) }, 0);
    (s.f_bavail * s.f_frsize) as i64
}

/// A sink that fills the disk under `dir` the first time a progress event
/// says bytes were written: the fault happens mid-dump, not before it.
fn fill_on_first_write(dir: &Path) -> (quiesce_engine::job::Sink, Arc<Mutex<Seen>>) {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let (s2, filler) = (seen.clone(), dir.join("filler"));
    let sink: quiesce_engine::job::Sink = Arc::new(move |e| {
        let mut s = s2.lock().unwrap();
        match e {
            JobEvent::Phase { phase, .. } => s.phases.push(phase),
            JobEvent::Progress(p) if p.written_bytes > 0 && s.filled_at.is_none() => {
                s.children = children_of_this_process();
                use std::io::Write;
                use std::os::fd::AsRawFd;
                let mut f = std::fs::File::create(&filler).unwrap();
                // Most of it at once (fast, so the dump is still running), then the last bytes.
                let free = free_bytes(filler.parent().unwrap());
                unsafe { libc::fallocate(f.as_raw_fd(), 0, 0, (free - (4 << 20)).max(0)) };
                let block = vec![0u8; 64 << 10];
                while f.write_all(&block).is_ok() {}
                s.filled_at = Some(Instant::now());
            }
            _ => {}
        }
    });
    (sink, seen)
}

/// Runs a backup into a tmpfs that fills once the dump has written bytes,
/// and checks what the hardening issue requires of the failure.
async fn backup_into_a_disk_that_fills(env: &Env, d: &str, format: DumpFormat, jobs: Option<u32>, size: &str) -> Error {
    let dir = env.dir.path().join(format!("full-{}", format.as_str()));
    let disk = Tmpfs::mount(&dir, &format!("size={size}"));
    let before = children_of_this_process();
    let (sink, seen) = fill_on_first_write(&disk.0);
    let o = BackupOptions { jobs, ..opts(format, &disk.0) };
    let r =
        tokio::time::timeout(Duration::from_secs(120), backup::run(&env.ds, d, &o, sink, &CancellationToken::new()))
            .await
            .unwrap_or_else(|_| panic!("{}: the backup hung on a full disk", format.as_str()));
    let ended = Instant::now();
    let e = match r {
        Ok((dir, _)) => panic!("{}: the backup completed before the disk filled ({})", format.as_str(), dir.display()),
        Err(e) => e,
    };
    let seen = seen.lock().unwrap();
    let filled =
        seen.filled_at.unwrap_or_else(|| panic!("{}: the disk was never filled: {}", format.as_str(), e.message));
    let what = format!("{} ({:?}): {}", format.as_str(), e.code, e.message);
    assert_eq!(e.code, ErrorCode::IoError, "{what}");
    let lower = e.message.to_lowercase();
    assert!(lower.contains("disk is full") || lower.contains("no space left"), "the real cause is named: {what}");
    assert!(ended.duration_since(filled) < Duration::from_secs(5), "took {:?} after the fill: {what}", ended - filled);
    // The job's last phase says it failed; the one before, that the error came from the dump.
    let n = seen.phases.len();
    assert_eq!(seen.phases.last().map(String::as_str), Some("failed"), "{what}");
    assert_eq!(
        seen.phases.get(n.wrapping_sub(2)).map(String::as_str),
        Some("dumping"),
        "the error comes from the dump: {what}"
    );
    for pid in seen.children.iter().filter(|p| !before.contains(p)) {
        assert!(!alive(*pid), "{}: a tool (pid {pid}) outlived the failed job", format.as_str());
    }
    std::fs::remove_file(disk.0.join("filler")).unwrap();
    assert!(folders(&disk.0).is_empty(), "{}: a partial backup was left: {:?}", format.as_str(), folders(&disk.0));
    let home = env.ds.home();
    let jobs_left: Vec<PathBuf> =
        std::fs::read_dir(home.data_dir.join("jobs")).into_iter().flatten().flatten().map(|e| e.path()).collect();
    assert!(jobs_left.is_empty(), "{}: the job's journal or lock was left: {jobs_left:?}", format.as_str());
    let id = env.ds.get(d).unwrap().id;
    let lock = quiesce_engine::paths::try_lock(home, &format!("backup-{id}"), || "held".into());
    assert!(lock.is_ok(), "{}: the deployment's lock is still held", format.as_str());
    e
}

/// Client sessions of `db` other than the checker's own, after waiting up to
/// 10 s for them to go. (A parallel worker of a killed session's query ends
/// with its leader, in the server's own time.)
fn pg_sessions_after(s: &PgServer, db: &str) -> String {
    let q = format!(
        "SELECT string_agg(coalesce(application_name, '?') || ':' || state, ', ') FROM pg_stat_activity WHERE datname = '{db}' AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    );
    let t = Instant::now();
    loop {
        let left = s.psql("postgres", &q);
        if left.is_empty() || t.elapsed() > Duration::from_secs(10) {
            return left;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Rows of random text: compressible only to about half, so a dump of them
/// writes for a while after its first bytes.
const PG_BULK: &str = "INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'r' || g, g, md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text) || md5(random()::text), 3 FROM generate_series(1, 1200000) g";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_fills_mid_dump_ends_every_postgres_format_fast_and_closes_the_snapshot() {
    let _one = ONE_AT_A_TIME.lock().await;
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, 10, 1));
    s.psql(&db, PG_BULK);
    let env = Env::new();
    let p = env.pg("pg", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("full", &[("default", &p)], &[], &l);
    for (format, jobs) in [
        (DumpFormat::Default, None),
        (DumpFormat::Plain, None),
        (DumpFormat::Custom, None),
        (DumpFormat::Directory, Some(2)),
    ] {
        backup_into_a_disk_that_fills(&env, &d, format, jobs, "512m").await;
        // The exported snapshot's transaction (and every pg_dump session) is gone.
        let left = pg_sessions_after(s, &db);
        assert!(left.is_empty(), "{}: sessions left on the source after 10 s: {left}", format.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_fills_mid_dump_ends_every_mariadb_format_fast() {
    let _one = ONE_AT_A_TIME.lock().await;
    let s = MariaDbServer::shared();
    let l = Layout::unique(&quiesce_testsupport::random_suffix());
    s.sql(&l.sql(Engine::Mysql, 10, 1));
    s.sql(&format!(
        "INSERT INTO `{}`.transfers (transfer_id, amount, tx_id, tx_state) SELECT CONCAT('r', seq), seq, CONCAT(MD5(RAND()), MD5(RAND()), MD5(RAND()), MD5(RAND())), 3 FROM `{}`.seq_1_to_700000",
        l.audit, l.audit
    ));
    // A user of this test's own, so its sessions can be told from others'.
    let user = format!("full_{}", quiesce_testsupport::random_suffix());
    s.sql(&format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'pw-{user}'; GRANT ALL ON *.* TO '{user}'@'%';"));
    let env = Env::new();
    let p = env.profile("my", common::my_input(s, &user), Some(&format!("pw-{user}")));
    let d = env.deployment("full", &[("default", &p)], &[], &l);
    for (format, jobs) in [(DumpFormat::Default, None), (DumpFormat::Plain, None), (DumpFormat::Directory, Some(2))] {
        backup_into_a_disk_that_fills(&env, &d, format, jobs, "512m").await;
        let q = format!("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '{user}'");
        let t = Instant::now();
        while s.sql(&q) != "0" && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(200));
        }
        assert_eq!(s.sql(&q), "0", "{}: sessions of the backup left on the server after 10 s", format.as_str());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_that_fills_mid_copy_ends_a_sqlite_backup_fast() {
    let _one = ONE_AT_A_TIME.lock().await;
    let env = Env::new();
    let file = env.dir.path().join("big.sqlite");
    sh(&format!(
        "sqlite3 '{}' \"CREATE TABLE \\\"scalardb\\$metadata\\\" (full_table_name TEXT, column_name TEXT, data_type TEXT, key_type TEXT, clustering_order TEXT, indexed BOOLEAN, ordinal_position INT, PRIMARY KEY (full_table_name, column_name)); INSERT INTO \\\"scalardb\\$metadata\\\" VALUES ('bank.accounts','id','INT','PARTITION',NULL,0,1); CREATE TABLE \\\"coordinator\\$state\\\" (tx_id TEXT PRIMARY KEY, tx_state INT, tx_created_at BIGINT); CREATE TABLE \\\"bank\\$accounts\\\" (id INT PRIMARY KEY, v BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 900000) INSERT INTO \\\"bank\\$accounts\\\" SELECT i, zeroblob(1024) FROM n;\"",
        file.display()
    ));
    let input =
        ProfileInput { kind: Some(DbKind::Sqlite), path: Some(file.display().to_string()), ..Default::default() };
    let p = env.profile("lite", input, None);
    let d = env.deployment("full", &[("default", &p)], &[], &Layout::standard());
    // 1.2 GB (a copy into memory takes about 2 s, so it is still running at
    // the first progress event), and room for all of it: only the fill may stop it.
    backup_into_a_disk_that_fills(&env, &d, DumpFormat::Default, None, "1600m").await;
}

/// Restores a backup over what profile `to` holds, and checks its verification passed.
async fn restore_replacing(env: &Env, root: &Path, id: &str, to: &str) {
    let opts = quiesce_engine::restore::RestoreOptions {
        targets: vec![quiesce_engine::restore::UnitTarget::only(to)],
        replace: true,
        ..Default::default()
    };
    let r = quiesce_engine::restore::run(&env.ds, root, id, &opts, common::quiet(), &CancellationToken::new())
        .await
        .unwrap_or_else(|e| panic!("{}", e.message));
    assert!(r.verify.unwrap().passed);
}

/// A port that counts the connections it gets (and answers nothing).
fn connection_counter() -> (u16, Arc<std::sync::atomic::AtomicU32>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let n = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let n2 = n.clone();
    std::thread::spawn(move || {
        for c in l.incoming() {
            n2.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(c);
        }
    });
    (port, n)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_named_like_a_connection_string_is_only_a_name() {
    let _one = ONE_AT_A_TIME.lock().await;
    let s = PgServer::shared();
    let (port, connections) = connection_counter();
    // Read as a conninfo, this name would send pg_dump (and the password
    // file's password) to the counting port.
    let name = format!("host=127.0.0.1 port={port} dbname=postgres");
    s.psql("postgres", &format!("CREATE DATABASE \"{name}\""));
    let conn = format!("dbname='{name}'");
    let l = Layout::standard();
    s.psql(&conn, &l.sql(Engine::Postgres, 7, 10));
    let env = Env::new();
    let p = env.pg("pg", s, &name, SUPERUSER, &s.password);
    let d = env.deployment("conninfo", &[("default", &p)], &[], &l);
    let out = env.dir.path().join("backups");
    for (format, jobs) in [(DumpFormat::Default, None), (DumpFormat::Directory, Some(2))] {
        let o = BackupOptions { jobs, ..opts(format, &out) };
        let (_, m) = backup::run(&env.ds, &d, &o, common::quiet(), &CancellationToken::new()).await.unwrap();
        let accounts = m.units[0].tables.iter().find(|t| t.table == "accounts").unwrap();
        assert_eq!(accounts.rows, Some(7), "{}", format.as_str());
        // Restored into the same database (replacing what is there), by psql/pg_restore.
        s.psql(&conn, "UPDATE bank.accounts SET balance = 0");
        restore_replacing(&env, &out, &m.id, &p).await;
        assert_eq!(s.psql(&conn, "SELECT sum(balance) FROM bank.accounts"), "70", "{}", format.as_str());
    }
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "a tool connected where the name pointed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_databases_named_like_options_are_dumped_never_obeyed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let s = MariaDbServer::shared();
    let l = Layout::unique(&quiesce_testsupport::random_suffix());
    s.sql(&l.sql(Engine::Mysql, 3, 10));
    let trap_dir = tempfile::Builder::new().prefix("qztrap").tempdir_in("/tmp").unwrap();
    assert!(!trap_dir.path().to_string_lossy().contains('.'), "ScalarDB splits ns.table at the dot");
    let trap = trap_dir.path().join("x");
    // Namespaces anyone who can write a row of the metadata can add.
    let hostile = [format!("--result-file={}", trap.display()), "-n".to_string()];
    for ns in &hostile {
        s.sql(&format!("CREATE DATABASE `{ns}`"));
        s.sql(&l.unlisted_sql(Engine::Mysql, ns, "t"));
        s.sql(&format!("INSERT INTO `{ns}`.t (id, v, tx_id, tx_state) VALUES (1, 5, 'a', 3), (2, 6, 'b', 3)"));
        s.sql(&format!(
            "INSERT INTO `{}`.metadata VALUES ('{ns}.t', 'id', 'INT', 'PARTITION', NULL, false, 1), ('{ns}.t', 'v', 'BIGINT', NULL, NULL, false, 2)",
            l.system
        ));
    }
    let env = Env::new();
    let p = env.my("my", s);
    let d = env.deployment("options", &[("default", &p)], &[], &l);
    let out = env.dir.path().join("backups");

    // mydumper has no safe form for a name with a slash: refused by name, before it runs.
    let o = BackupOptions { jobs: Some(2), ..opts(DumpFormat::Directory, &out) };
    let e = backup::run(&env.ds, &d, &o, common::quiet(), &CancellationToken::new()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput, "{}", e.message);
    assert!(e.message.contains(&hostile[0]), "the name is given: {}", e.message);
    assert!(folders(&out).is_empty());

    // mariadb-dump gets them after `--`: dumped as databases, and restored.
    let (_, m) = backup::run(&env.ds, &d, &opts(DumpFormat::Default, &out), common::quiet(), &CancellationToken::new())
        .await
        .unwrap();
    assert!(!trap.exists(), "a database name became --result-file");
    for ns in &hostile {
        assert!(
            m.units[0].tables.iter().any(|t| &t.namespace == ns && t.rows == Some(2)),
            "{ns} in {:?}",
            m.units[0].tables
        );
        s.sql(&format!("DROP DATABASE `{ns}`"));
    }
    restore_replacing(&env, &out, &m.id, &p).await;
    for ns in &hostile {
        assert_eq!(s.sql(&format!("SELECT SUM(v) FROM `{ns}`.t")), "11", "{ns} restored");
    }
    assert!(!trap.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mydumpers_own_error_on_stdout_is_shown() {
    let _one = ONE_AT_A_TIME.lock().await;
    let s = MariaDbServer::shared();
    let l = Layout::unique(&quiesce_testsupport::random_suffix());
    s.sql(&l.sql(Engine::Mysql, 2, 1));
    let env = Env::new();
    // mydumper 0.10 prints its errors on stdout, not stderr.
    let bin = env.dir.path().join("bin");
    common::fake_tool(
        &bin,
        "mydumper",
        "mydumper 0.10.0, built against MySQL 10.11",
        "echo '** (mydumper:1): CRITICAL **: Error connecting to database: Access denied for user'\nexit 1",
    );
    let input = ProfileInput {
        client_bin_dir: Some(bin.display().to_string()),
        ..common::my_input(s, quiesce_testsupport::mariadb::USER)
    };
    let p = env.profile("fake", input, Some(&s.password));
    let d = env.deployment("fake", &[("default", &p)], &[], &l);
    let out = env.dir.path().join("backups");
    let o = BackupOptions { jobs: Some(2), ..opts(DumpFormat::Directory, &out) };
    let e = backup::run(&env.ds, &d, &o, common::quiet(), &CancellationToken::new()).await.unwrap_err();
    assert!(e.message.contains("Error connecting to database"), "mydumper's own words are shown: {}", e.message);
    assert!(!e.message.contains("(nothing)"), "{}", e.message);
    assert!(folders(&out).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_silent_while_the_server_builds_an_index_is_not_a_stall() {
    let _one = ONE_AT_A_TIME.lock().await;
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, 10, 1));
    s.psql(&db, PG_BULK);
    // Built after the data, in silence: no byte moves and pg_restore prints nothing meanwhile.
    s.psql(&db, "CREATE INDEX transfers_by_tx ON audit.transfers (tx_id, transfer_id)");
    let env = Env::new();
    let p = env.pg("pg", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("idx", &[("default", &p)], &[], &l);
    let out = env.dir.path().join("backups");
    let (_, m) = backup::run(&env.ds, &d, &opts(DumpFormat::Default, &out), common::quiet(), &CancellationToken::new())
        .await
        .unwrap();
    let target = s.create_database();
    let t = env.pg("target", s, &target, SUPERUSER, &s.password);
    let lines = Arc::new(Mutex::new(Vec::<(Instant, String)>::new()));
    let l2 = lines.clone();
    let sink: quiesce_engine::job::Sink = Arc::new(move |e| {
        if let JobEvent::Log { line } = e {
            l2.lock().unwrap().push((Instant::now(), line));
        }
    });
    // A limit far shorter than the index build (the tests' lock keeps it to this test).
    std::env::set_var(quiesce_engine::tools::pipeline::STALL_ENV, "1s");
    let r = quiesce_engine::restore::run(
        &env.ds,
        &out,
        &m.id,
        &quiesce_engine::restore::RestoreOptions {
            targets: vec![quiesce_engine::restore::UnitTarget::only(t)],
            skip_verify: true,
            ..Default::default()
        },
        sink,
        &CancellationToken::new(),
    )
    .await;
    std::env::remove_var(quiesce_engine::tools::pipeline::STALL_ENV);
    let lines = lines.lock().unwrap();
    r.unwrap_or_else(|e| panic!("a healthy index build was stopped: {}", e.message));
    // The silence really was longer than the limit.
    let i = lines
        .iter()
        .position(|(_, l)| l.contains("creating INDEX") && l.contains("transfers_by_tx"))
        .expect("the index was built");
    let silent = lines.get(i + 1).map(|n| n.0).unwrap_or_else(Instant::now) - lines[i].0;
    assert!(silent > Duration::from_secs(1), "the index build took only {silent:?}: the test proves nothing");
    assert_eq!(s.psql(&target, "SELECT count(*) FROM audit.transfers"), "1200000");
}
