//! Backup -> restore -> verify against real servers, under a workload that
//! writes the way Consensus Commit does (records PREPARED, then the
//! coordinator row, then the records COMMITTED, each its own database
//! transaction), with transfers spanning two namespaces plus the coordinator.
//! After a restore, the money with lazy recovery applied must equal the
//! initial total; a control run that dumps each namespace separately must
//! break that invariant, so the check is known to be able to fail.

mod common;
use common::Env;
use quiesce_engine::backup::{self, BackupOptions};
use quiesce_engine::catalog::manifest;
use quiesce_engine::plan::commands::DumpFormat;
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_engine::restore::{self, RestoreOptions};
use quiesce_engine::verify::audit::Recovery;
use quiesce_engine::ErrorCode;
use quiesce_testsupport::mariadb::{self, MariaDbServer};
use quiesce_testsupport::postgres::{PgOptions, PgServer, SUPERUSER};
use quiesce_testsupport::scalardb::{Engine, Layout};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A sink that keeps the job's log lines.
fn logging() -> (quiesce_engine::job::Sink, Arc<std::sync::Mutex<Vec<String>>>) {
    let logged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let l2 = logged.clone();
    let sink: quiesce_engine::job::Sink = Arc::new(move |e| {
        if let quiesce_engine::job::JobEvent::Log { line } = e {
            l2.lock().unwrap().push(line);
        }
    });
    (sink, logged)
}

fn quiet() -> quiesce_engine::job::Sink {
    Arc::new(|_| {})
}

fn never() -> CancellationToken {
    CancellationToken::new()
}

fn to(profile: &str) -> RestoreOptions {
    RestoreOptions { targets: vec![restore::UnitTarget::only(profile)], ..Default::default() }
}

/// The verification a restore ran (every restore here verifies).
fn verified(r: &restore::RestoreResult) -> &quiesce_engine::verify::VerifyReport {
    r.verify.as_ref().expect("the restore verified the target")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

const ACCOUNTS: i64 = 50;

/// One transfer the way Consensus Commit writes it: prepare both records
/// (one debits an account in `bank`, one inserts the transfer in `audit`),
/// then the coordinator row, then commit each record separately.
fn cc_transfer(l: &Layout, i: u64) -> [String; 4] {
    let tx = format!("cc{i}");
    let a = i as i64 % ACCOUNTS;
    let t = now_ms();
    [
        format!(
            "START TRANSACTION; UPDATE {b}.accounts SET before_balance = balance, before_tx_id = tx_id, before_tx_state = tx_state, before_tx_version = tx_version, \
             balance = balance - 5, tx_id = '{tx}', tx_state = 1, tx_version = tx_version + 1, tx_prepared_at = {t} WHERE account_id = {a}; \
             INSERT INTO {au}.transfers (transfer_id, amount, tx_id, tx_state, tx_version, tx_prepared_at) VALUES ('{tx}', 5, '{tx}', 1, 1, {t}); COMMIT",
            b = l.bank,
            au = l.audit
        ),
        format!("INSERT INTO {}.state (tx_id, tx_state, tx_created_at) VALUES ('{tx}', 3, {t})", l.coordinator),
        format!("UPDATE {}.accounts SET tx_state = 3, tx_committed_at = {t} WHERE account_id = {a} AND tx_id = '{tx}'", l.bank),
        format!("UPDATE {}.transfers SET tx_state = 3, tx_committed_at = {t} WHERE transfer_id = '{tx}'", l.audit),
    ]
}

/// The money after lazy recovery, computed here from ScalarDB's rule, not
/// by the engine: a PREPARED/DELETED record whose transaction the
/// coordinator does not call COMMITTED goes back to its before-image (an
/// inserted record, with no before-image, disappears).
fn recovered_total_sql(l: &Layout) -> String {
    let committed = |t: &str| {
        format!("COALESCE((SELECT c.tx_state FROM {}.state c WHERE c.tx_id = {t}.tx_id), 0) = 3", l.coordinator)
    };
    format!(
        "SELECT (SELECT COALESCE(SUM(CASE WHEN a.tx_state IN (1, 2) AND NOT {ca} THEN a.before_balance ELSE a.balance END), 0) FROM {b}.accounts a) \
         + (SELECT COALESCE(SUM(CASE WHEN t.tx_state IN (1, 2) AND NOT {ct} THEN COALESCE(t.before_amount, 0) ELSE t.amount END), 0) FROM {au}.transfers t)",
        ca = committed("a"),
        ct = committed("t"),
        b = l.bank,
        au = l.audit
    )
}

struct Workload {
    stop: Arc<AtomicBool>,
    done: Arc<AtomicU64>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl Workload {
    async fn wait_for(&self, n: u64) {
        let start = self.done.load(Ordering::Relaxed);
        while self.done.load(Ordering::Relaxed) < start + n {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.take().unwrap().join().unwrap();
        self.done.load(Ordering::Relaxed)
    }
}

fn pg_workload(s: &PgServer, db: &str, l: &Layout) -> Workload {
    let (port, pw, db, l) = (s.port, s.password.clone(), db.to_string(), l.clone());
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let (st, dn) = (stop.clone(), done.clone());
    let handle = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let (c, conn) = tokio_postgres::connect(
                &format!(
                    "host=127.0.0.1 port={port} user={SUPERUSER} password={pw} dbname={db} application_name=workload"
                ),
                tokio_postgres::NoTls,
            )
            .await
            .unwrap();
            tokio::spawn(conn);
            let mut i = 0;
            while !st.load(Ordering::Relaxed) {
                for step in cc_transfer(&l, i) {
                    // Each step is its own transaction (simple query, autocommit).
                    c.batch_execute(&step).await.unwrap();
                }
                dn.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        });
    });
    Workload { stop, done, handle: Some(handle) }
}

fn my_workload(s: &MariaDbServer, l: &Layout) -> Workload {
    let url = format!("mysql://{}:{}@127.0.0.1:{}", mariadb::USER, s.password, s.port);
    let l = l.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let (st, dn) = (stop.clone(), done.clone());
    let handle = std::thread::spawn(move || {
        use mysql_async::prelude::Queryable;
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async move {
            let mut c = mysql_async::Conn::from_url(url).await.unwrap();
            let mut i = 0;
            while !st.load(Ordering::Relaxed) {
                for step in cc_transfer(&l, i) {
                    c.query_drop(step).await.unwrap();
                }
                dn.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
            let _ = c.disconnect().await;
        });
    });
    Workload { stop, done, handle: Some(handle) }
}

fn sh(script: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(out.status.success(), "{script}\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Runs a SQL file with psql (dumps hold psql meta-commands).
fn psql_file(s: &PgServer, db: &str, file: &Path) {
    sh(&format!(
        "{} {} -d {db} -X -q -v ON_ERROR_STOP=1 -f '{}' >/dev/null",
        s.bin_dir.join("psql").display(),
        pg_conn_args(s),
        file.display()
    ));
}

fn pg_conn_args(s: &PgServer) -> String {
    format!("-h {} -p {} -U {SUPERUSER}", s.socket_dir().display(), s.port)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_15_backup_under_consensus_commit_restores_into_postgres_18_with_money_conserved() {
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, ACCOUNTS, 1000));
    // Bulk, so that the dump takes long enough for transfers to land in it.
    s.psql(&db, "INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, 1, repeat(md5(g::text), 4), 3 FROM generate_series(1, 60000) g");
    let total: i64 = s.psql(&db, &recovered_total_sql(&l)).parse().unwrap();
    let env = Env::new();
    let src = env.pg("src", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("bank", &[("default", &src)], &[], &l);
    let out = env.dir.path().join("backups");

    let w = pg_workload(s, &db, &l);
    w.wait_for(20).await;
    let before = w.done.load(Ordering::Relaxed);
    let o = BackupOptions {
        format: DumpFormat::Default,
        jobs: None,
        out: Some(out.display().to_string()),
        ..Default::default()
    };
    let (_, m) = backup::run(&env.ds, &d, &o, quiet(), &never()).await.unwrap();
    let during = w.done.load(Ordering::Relaxed) - before;
    // Control: one dump per namespace, with transfers landing in between.
    let ctl = env.dir.path().join("control");
    std::fs::create_dir_all(&ctl).unwrap();
    let pg_dump = s.bin_dir.join("pg_dump");
    for ns in ["coordinator", "bank", "scalardb", "audit"] {
        sh(&format!("{} {} -d {db} --schema={ns} -f {}/{ns}.sql", pg_dump.display(), pg_conn_args(s), ctl.display()));
        w.wait_for(5).await;
    }
    w.finish();
    assert!(during > 0, "no transfer committed during the backup: the test proves nothing");

    // Into a database that does not exist yet, on a PostgreSQL 18 server.
    let s18 = PgServer::shared_pg18();
    let target_db = format!("restored_{}", quiesce_testsupport::random_suffix());
    let tgt = env.pg("pg18", s18, &target_db, SUPERUSER, &s18.password);
    let events = Arc::new(std::sync::Mutex::new(Vec::new()));
    let ev = events.clone();
    let sink: quiesce_engine::job::Sink = Arc::new(move |e| ev.lock().unwrap().push(e));
    let pf = restore::dry_run(&env.ds, &out, &m.id, &to(&tgt), &never()).await.unwrap();
    assert!(pf.ok(), "{:#?}", pf.checks);
    assert!(
        pf.checks.iter().any(|c| c.name == "server_version" && c.message.contains("migration")),
        "{:#?}",
        pf.checks
    );
    assert!(
        pf.units[0].on_failure.contains("dropped"),
        "a database Quiesce creates is dropped on failure: {}",
        pf.units[0].on_failure
    );
    let r = restore::run(&env.ds, &out, &m.id, &to(&tgt), sink, &never()).await.unwrap();
    assert!(verified(&r).passed, "{:#?}", verified(&r).findings);
    assert!(verified(&r).tables.iter().all(|t| t.rows == t.expected_rows && t.exists), "{:#?}", verified(&r).tables);
    let audit = verified(&r).audit.as_ref().unwrap();
    assert_eq!(audit.torn, 0, "{:#?}", audit.transactions);
    assert!(std::path::Path::new(r.report_path.as_ref().unwrap()).is_file(), "the report is stored with the backup");
    assert!(events
        .lock()
        .unwrap()
        .iter()
        .any(|e| matches!(e, quiesce_engine::job::JobEvent::Progress(p) if p.raw_bytes > 0)));
    assert!(s18.psql(&target_db, "SHOW server_version").starts_with("18"));
    let restored: i64 = s18.psql(&target_db, &recovered_total_sql(&l)).parse().unwrap();
    assert_eq!(restored, total, "money with lazy recovery applied is the initial total");
    assert!(
        r.after.iter().any(|a| a.contains("contact_points")),
        "the user is told to point ScalarDB at the restored database: {:?}",
        r.after
    );

    // The control run's restore breaks the invariant, so the check above can fail.
    let ctl_db = s.create_database();
    for ns in ["coordinator", "bank", "scalardb", "audit"] {
        psql_file(s, &ctl_db, &ctl.join(format!("{ns}.sql")));
    }
    let broken: i64 = s.psql(&ctl_db, &recovered_total_sql(&l)).parse().unwrap();
    assert_ne!(broken, total, "separate dumps per namespace must not conserve money");
    // And the audit sees transactions the coordinator never saw.
    let ctl_p = env.pg("ctl", s, &ctl_db, SUPERUSER, &s.password);
    let v = quiesce_engine::verify::verify_profile(&env.ds, &ctl_p, Some((&m, None)), None, &never()).await.unwrap();
    let a = v.audit.unwrap();
    assert!(a.committed_unknown_records > 0 || a.torn > 0, "{:#?}", a.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_flags_a_backup_whose_coordinator_was_captured_before_a_transfer_committed() {
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, ACCOUNTS, 1000));
    let [prepare, coordinator, commit_account, _commit_transfer] = cc_transfer(&l, 1);
    s.psql(&db, &prepare);
    // The coordinator is captured now, before the transfer commits…
    let dir = tempfile::tempdir().unwrap();
    let pg_dump = s.bin_dir.join("pg_dump");
    sh(&format!(
        "{} {} -d {db} --schema=coordinator -f {}/c.sql",
        pg_dump.display(),
        pg_conn_args(s),
        dir.path().display()
    ));
    // …the transfer commits (coordinator row, then one record of two)…
    s.psql(&db, &coordinator);
    s.psql(&db, &commit_account);
    // …and the data is captured after.
    sh(&format!(
        "{} {} -d {db} --schema=bank --schema=audit --schema=scalardb -f {}/d.sql",
        pg_dump.display(),
        pg_conn_args(s),
        dir.path().display()
    ));
    let env = Env::new();
    // The source itself is consistent: the transfer rolls forward.
    let src = env.pg("src", s, &db, SUPERUSER, &s.password);
    let ok = quiesce_engine::verify::verify_profile(&env.ds, &src, None, None, &never()).await.unwrap();
    let a = ok.audit.as_ref().unwrap();
    assert_eq!(a.torn, 0, "{:#?}", a.transactions);
    assert_eq!(a.transactions.iter().find(|t| t.tx_id == "cc1").unwrap().recovery, Recovery::RollForward);
    assert!(ok.passed, "{:#?}", ok.findings);

    let torn_db = s.create_database();
    psql_file(s, &torn_db, &dir.path().join("c.sql"));
    psql_file(s, &torn_db, &dir.path().join("d.sql"));
    let p = env.pg("torn", s, &torn_db, SUPERUSER, &s.password);
    let r = quiesce_engine::verify::verify_profile(&env.ds, &p, None, None, &never()).await.unwrap();
    assert!(!r.passed, "a torn backup must not pass");
    let a = r.audit.unwrap();
    assert_eq!(a.torn, 1, "{:#?}", a.transactions);
    let t = &a.transactions[0];
    assert_eq!((t.tx_id.as_str(), t.recovery, t.coordinator_state), ("cc1", Recovery::Torn, None));
    assert!(a.findings.iter().any(|f| f.code == "torn_transaction" && f.message.contains("cc1")), "{:#?}", a.findings);
    assert!(!a.limits.is_empty(), "the audit says what it cannot detect");
    // Lazy recovery on this state really loses money: the audit is right.
    let broken: i64 = s.psql(&torn_db, &recovered_total_sql(&l)).parse().unwrap();
    assert_ne!(broken, ACCOUNTS * 1000);
}

fn my_profile(env: &Env, name: &str, s: &MariaDbServer) -> String {
    env.my(name, s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_backup_under_consensus_commit_restores_into_another_server_with_money_conserved() {
    let s = MariaDbServer::shared();
    let l = Layout::unique(&quiesce_testsupport::random_suffix());
    s.sql(&l.sql(Engine::Mysql, ACCOUNTS, 1000));
    s.sql(&format!(
        "USE `{}`; INSERT INTO `{}`.transfers (transfer_id, amount, tx_id, tx_state) SELECT CONCAT('x', seq), 1, md5(seq), 3 FROM seq_1_to_150000",
        l.audit, l.audit
    ));
    let total: i64 = s.sql(&recovered_total_sql(&l)).parse().unwrap();
    let env = Env::new();
    let src = my_profile(&env, "src", s);
    let d = env.deployment("my", &[("default", &src)], &[], &l);
    let out = env.dir.path().join("backups");
    let w = my_workload(s, &l);
    w.wait_for(20).await;
    let before = w.done.load(Ordering::Relaxed);
    let o = BackupOptions {
        format: DumpFormat::Default,
        jobs: None,
        out: Some(out.display().to_string()),
        ..Default::default()
    };
    let (_, m) = backup::run(&env.ds, &d, &o, quiet(), &never()).await.unwrap();
    let during = w.done.load(Ordering::Relaxed) - before;
    // Control: one mariadb-dump per database, transfers landing in between.
    let ctl = env.dir.path().join("control");
    std::fs::create_dir_all(&ctl).unwrap();
    for ns in [&l.coordinator, &l.bank, &l.system, &l.audit] {
        sh(&format!(
            "mariadb-dump --no-defaults --socket={} -uroot --single-transaction --databases {ns} > {}/{ns}.sql",
            s.dir.join("sock").display(),
            ctl.display()
        ));
        w.wait_for(5).await;
    }
    w.finish();
    assert!(during > 0, "no transfer committed during the backup: the test proves nothing");

    let t = MariaDbServer::start();
    let tgt = my_profile(&env, "tgt", &t);
    let r = restore::run(&env.ds, &out, &m.id, &to(&tgt), quiet(), &never()).await.unwrap();
    assert!(verified(&r).passed, "{:#?}", verified(&r).findings);
    assert_eq!(verified(&r).audit.as_ref().unwrap().torn, 0);
    let restored: i64 = t.sql(&recovered_total_sql(&l)).parse().unwrap();
    assert_eq!(restored, total, "money with lazy recovery applied is the initial total");

    // A second restore into the same server is refused: it is not empty…
    let e = restore::run(&env.ds, &out, &m.id, &to(&tgt), quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotEmpty, "{}", e.message);
    assert!(e.message.contains(&l.bank) && e.message.contains("rows"), "what exists is shown: {}", e.message);
    // …unless replacing is asked for.
    t.sql(&format!("INSERT INTO `{}`.accounts (account_id, balance) VALUES (9999, 1)", l.bank));
    let mut rep = to(&tgt);
    rep.replace = true;
    let r = restore::run(&env.ds, &out, &m.id, &rep, quiet(), &never()).await.unwrap();
    assert!(verified(&r).passed, "{:#?}", verified(&r).findings);
    assert_eq!(t.sql(&format!("SELECT COUNT(*) FROM `{}`.accounts WHERE account_id = 9999", l.bank)), "0");

    // The control restore breaks the invariant.
    let c = MariaDbServer::start();
    for ns in [&l.coordinator, &l.bank, &l.system, &l.audit] {
        sh(&format!(
            "mariadb --no-defaults --socket={} -uroot < {}/{ns}.sql",
            c.dir.join("sock").display(),
            ctl.display()
        ));
    }
    let broken: i64 = c.sql(&recovered_total_sql(&l)).parse().unwrap();
    assert_ne!(broken, total, "separate dumps per database must not conserve money");
}

fn lite_profile(env: &Env, name: &str, file: &Path) -> String {
    env.profile(
        name,
        ProfileInput { kind: Some(DbKind::Sqlite), path: Some(file.display().to_string()), ..Default::default() },
        None,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_restores_atomically_and_is_refused_while_another_process_holds_the_target() {
    let env = Env::new();
    let file = env.dir.path().join("app.sqlite");
    quiesce_engine::demo::create_demo_database(&file).unwrap();
    let src = lite_profile(&env, "lite", &file);
    let d = env.deployment("lite", &[("default", &src)], &[], &Layout::standard());
    let out = env.dir.path().join("backups");
    let o = BackupOptions {
        format: DumpFormat::Default,
        jobs: None,
        out: Some(out.display().to_string()),
        ..Default::default()
    };
    // The source's mode, so a new file is as usable to ScalarDB's user as the source was.
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
    let (_, m) = backup::run(&env.ds, &d, &o, quiet(), &never()).await.unwrap();

    let target = env.dir.path().join("restored.sqlite");
    let tgt = lite_profile(&env, "restored", &target);
    let r = restore::run(&env.ds, &out, &m.id, &to(&tgt), quiet(), &never()).await.unwrap();
    assert!(verified(&r).passed, "{:#?}", verified(&r).findings);
    assert!(verified(&r).tables.iter().all(|t| t.rows == t.expected_rows), "{:#?}", verified(&r).tables);
    let owner = |p: &Path| {
        use std::os::unix::fs::MetadataExt;
        let md = std::fs::metadata(p).unwrap();
        (md.uid(), md.gid(), md.mode() & 0o7777)
    };
    assert_eq!(owner(&target), owner(&file), "a new file gets the source's owner and mode");

    // Another process holding the file open (a writer in a transaction) is listed and refused.
    let mut holder = Command::new("python3")
        .arg("-c")
        .arg(format!(
            "import sqlite3,sys,time\nc=sqlite3.connect('{}',isolation_level=None)\nc.execute('BEGIN IMMEDIATE')\nprint('ready',flush=True)\ntime.sleep(60)",
            target.display()
        ))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(holder.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        assert_eq!(line.trim(), "ready");
    }
    let mut rep = to(&tgt);
    rep.replace = true;
    let pf = restore::dry_run(&env.ds, &out, &m.id, &rep, &never()).await.unwrap();
    let sess = pf.checks.iter().find(|c| c.name == "sessions").unwrap();
    assert!(
        !sess.ok && pf.units[0].sessions.iter().any(|s| s.id == holder.id().to_string()),
        "{:#?}",
        pf.units[0].sessions
    );
    let e = restore::run(&env.ds, &out, &m.id, &rep, quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InUse, "{}", e.message);
    holder.kill().unwrap();
    holder.wait().unwrap();
    // A replaced file keeps its owner, group and mode (ScalarDB's user must still open it).
    std::fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(0o660)).unwrap();
    if quiesce_testsupport::is_root() {
        sh(&format!("chown nobody:nogroup '{}'", target.display()));
    }
    let before = owner(&target);
    let r = restore::run(&env.ds, &out, &m.id, &rep, quiet(), &never()).await.unwrap();
    assert!(verified(&r).passed);
    assert_eq!(owner(&target), before, "the replaced file's owner, group and mode are kept");

    // A corrupted backup is copied beside the target while it is checked, and
    // never replaces it: the target is byte for byte what it was, no copy left.
    let (dir, _) = quiesce_engine::catalog::find(&out, &m.id).unwrap();
    let bad = env.dir.path().join("bad-backup");
    copy_dir(&dir, &bad);
    corrupt(&bad.join("scalardb.sqlite"));
    let before = std::fs::read(&target).unwrap();
    let e = restore::run(&env.ds, &out, &bad.display().to_string(), &rep, quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Corrupt, "{}", e.message);
    assert!(std::fs::read(&target).unwrap() == before, "the target changed");
    let left: Vec<_> = std::fs::read_dir(env.dir.path())
        .unwrap()
        .flatten()
        .filter(|f| f.file_name().to_string_lossy().contains("quiesce-restore"))
        .collect();
    assert!(left.is_empty(), "a temporary copy was left: {left:?}");
}

/// A fresh database on the shared PostgreSQL server with the ScalarDB layout
/// (`ACCOUNTS` accounts holding 10 each, unless `fill` loads it), a
/// deployment on it, and one backup of it in `format`.
struct PgBackedUp {
    s: &'static PgServer,
    env: Env,
    out: PathBuf,
    dir: PathBuf,
    m: manifest::Manifest,
}

async fn pg_backed_up(format: DumpFormat, jobs: Option<u32>, fill: Option<fn(&PgServer, &str)>) -> PgBackedUp {
    let s = PgServer::shared();
    let db = s.create_database();
    match fill {
        Some(f) => f(s, &db),
        None => {
            s.psql(&db, &Layout::standard().sql(Engine::Postgres, ACCOUNTS, 10));
        }
    }
    let env = Env::new();
    let src = env.pg("src", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("d", &[("default", &src)], &[], &Layout::standard());
    let out = env.dir.path().join("backups");
    let o = BackupOptions { format, jobs, out: Some(out.display().to_string()), ..Default::default() };
    let (dir, m) = backup::run(&env.ds, &d, &o, quiet(), &never()).await.unwrap();
    PgBackedUp { s, env, out, dir, m }
}

/// Flips one byte in the middle of a file.
fn corrupt(p: &Path) {
    use std::io::{Read, Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().read(true).write(true).open(p).unwrap();
    let mid = f.metadata().unwrap().len() / 2;
    let mut b = [0u8; 1];
    f.seek(SeekFrom::Start(mid)).unwrap();
    f.read_exact(&mut b).unwrap();
    f.seek(SeekFrom::Start(mid)).unwrap();
    f.write_all(&[b[0] ^ 0xff]).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    sh(&format!("cp -a '{}' '{}'", from.display(), to.display()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_backups_and_bad_targets_are_refused_before_anything_is_touched() {
    let PgBackedUp { s, env, out, dir, m } = pg_backed_up(DumpFormat::Default, None, None).await;
    let target_db = s.create_database();
    let tgt = env.pg("tgt", s, &target_db, SUPERUSER, &s.password);
    let untouched = || {
        s.psql(
            &target_db,
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('bank', 'audit', 'coordinator', 'scalardb')",
        )
    };

    let work = env.dir.path().join("work");
    std::fs::create_dir_all(&work).unwrap();
    // A corrupted file.
    let c = work.join("corrupted");
    copy_dir(&dir, &c);
    corrupt(&c.join("postgresql.dump.zst"));
    let e = restore::run(&env.ds, &out, &c.display().to_string(), &to(&tgt), quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Corrupt, "{}", e.message);
    assert!(e.message.contains("SHA-256"), "{}", e.message);
    // A truncated file.
    let t = work.join("truncated");
    copy_dir(&dir, &t);
    let f = t.join("postgresql.dump.zst");
    let len = std::fs::metadata(&f).unwrap().len();
    std::fs::OpenOptions::new().write(true).open(&f).unwrap().set_len(len / 2).unwrap();
    let e = restore::run(&env.ds, &out, &t.display().to_string(), &to(&tgt), quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Corrupt, "{}", e.message);
    assert!(e.message.contains("truncated"), "{}", e.message);
    // A missing manifest.
    let n = work.join("no-manifest");
    copy_dir(&dir, &n);
    std::fs::remove_file(n.join(manifest::MANIFEST)).unwrap();
    let e = restore::run(&env.ds, &out, &n.display().to_string(), &to(&tgt), quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{}", e.message);
    assert!(e.message.contains("manifest.json"), "{}", e.message);
    // A target of another family.
    let lite = lite_profile(&env, "lite", &env.dir.path().join("x.sqlite"));
    let e = restore::run(&env.ds, &out, &m.id, &to(&lite), quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput, "{}", e.message);
    assert!(e.message.contains("PostgreSQL"), "{}", e.message);
    // --jobs with a backup that is not in the directory format.
    let mut j = to(&tgt);
    j.jobs = Some(2);
    let e = restore::run(&env.ds, &out, &m.id, &j, quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput, "{}", e.message);
    assert_eq!(untouched(), "0", "nothing was restored by any refused attempt");

    // Another client connected to the target: listed and refused.
    let (c2, conn) = tokio_postgres::connect(
        &format!(
            "host=127.0.0.1 port={} user={SUPERUSER} password={} dbname={target_db} application_name=scalardb-node",
            s.port, s.password
        ),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    let task = tokio::spawn(conn);
    let e = restore::run(&env.ds, &out, &m.id, &to(&tgt), quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InUse, "{}", e.message);
    assert!(e.message.contains("scalardb-node"), "the session is named: {}", e.message);
    drop(c2);
    task.abort();
    let _ = task.await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Restored once; then non-empty: refused without replace, shown what is there.
    restore::run(&env.ds, &out, &m.id, &to(&tgt), quiet(), &never()).await.unwrap();
    s.psql(
        &target_db,
        "CREATE TABLE bank.extra (x int); INSERT INTO bank.accounts (account_id, balance) VALUES (9999, 1)",
    );
    let e = restore::run(&env.ds, &out, &m.id, &to(&tgt), quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotEmpty, "{}", e.message);
    assert!(e.message.contains("bank.accounts (51 rows)"), "{}", e.message);
    // A wrong typed confirmation is refused too.
    let mut rep = to(&tgt);
    rep.replace = true;
    rep.confirm = Some("not-the-name".into());
    let e = restore::run(&env.ds, &out, &m.id, &rep, quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput, "{}", e.message);
    rep.confirm = Some("tgt".into());
    let r = restore::run(&env.ds, &out, &m.id, &rep, quiet(), &never()).await.unwrap();
    assert!(verified(&r).passed, "{:#?}", verified(&r).findings);
    assert_eq!(s.psql(&target_db, "SELECT to_regclass('bank.extra') IS NULL"), "t", "replace drops what was there");
}

/// Flips the last byte of a file (zstd's frame checksum, or the end of a dump).
fn flip_last(p: &Path) {
    let mut b = std::fs::read(p).unwrap();
    *b.last_mut().unwrap() ^= 0xff;
    std::fs::write(p, b).unwrap();
}

/// Some megabytes of dump: more than the one block held back.
fn medium(s: &PgServer, db: &str) {
    s.psql(db, &Layout::standard().sql(Engine::Postgres, ACCOUNTS, 10));
    s.psql(db, "INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, g, md5(g::text) || md5((g * 7)::text), 3 FROM generate_series(1, 150000) g");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_corrupted_at_its_end_is_rolled_back_and_the_replaced_target_is_as_it_was() {
    // The dump is hashed while pg_restore reads it (not before): the last
    // block waits for the hash, so a mismatch rolls the one transaction back.
    let PgBackedUp { s, env, out, dir, m } = pg_backed_up(DumpFormat::Default, None, Some(medium)).await;
    assert!(
        m.units[0].files.iter().any(|f| f.name == "postgresql.dump.zst" && f.bytes > 2 << 20),
        "{:?}",
        m.units[0].files
    );
    let target_db = s.create_database();
    let tgt = env.pg("tgt", s, &target_db, SUPERUSER, &s.password);
    restore::run(&env.ds, &out, &m.id, &to(&tgt), quiet(), &never()).await.unwrap();
    s.psql(
        &target_db,
        "UPDATE bank.accounts SET balance = 4242 WHERE account_id = 1; DELETE FROM audit.transfers WHERE amount > 100",
    );
    let state = || {
        s.psql(
            &target_db,
            "SELECT (SELECT balance FROM bank.accounts WHERE account_id = 1) || '/' || (SELECT count(*) FROM audit.transfers)",
        )
    };
    assert_eq!(state(), "4242/100");
    let mut rep = to(&tgt);
    rep.replace = true;
    for (name, damage) in [("last-byte", flip_last as fn(&Path)), ("middle-byte", corrupt)] {
        let bad = env.dir.path().join(name);
        copy_dir(&dir, &bad);
        damage(&bad.join("postgresql.dump.zst"));
        let e = restore::run(&env.ds, &out, &bad.display().to_string(), &rep, quiet(), &never()).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Corrupt, "{name}: {}", e.message);
        assert!(e.message.contains("SHA-256") && e.message.contains("rolled back"), "{name}: {}", e.message);
        assert_eq!(state(), "4242/100", "{name}: the replaced target changed");
    }
    // The preflight still reads every byte before it says the backup is fine.
    let bad = env.dir.path().join("last-byte");
    let pf = restore::dry_run(&env.ds, &out, &bad.display().to_string(), &rep, &never()).await.unwrap();
    assert!(pf.checks.iter().any(|c| c.name == "integrity" && !c.ok), "{:#?}", pf.checks);
    // And the intact backup replaces it.
    let r = restore::run(&env.ds, &out, &m.id, &rep, quiet(), &never()).await.unwrap();
    assert!(verified(&r).passed);
    assert_eq!(state(), "10/150000");
}

/// A table big enough that a restore runs for a while.
fn big(s: &PgServer, db: &str) {
    s.psql(db, &Layout::standard().sql(Engine::Postgres, ACCOUNTS, 10));
    s.psql(db, "INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, g, repeat(md5(g::text), 6), 3 FROM generate_series(1, 700000) g");
}

fn progress_counter() -> (Arc<AtomicU64>, quiesce_engine::job::Sink) {
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = seen.clone();
    (
        seen,
        Arc::new(move |e| {
            if let quiesce_engine::job::JobEvent::Progress(p) = e {
                s2.store(p.raw_bytes, Ordering::Relaxed);
            }
        }),
    )
}

async fn wait_for_bytes(seen: &AtomicU64) {
    let t = std::time::Instant::now();
    while seen.load(Ordering::Relaxed) == 0 {
        assert!(t.elapsed() < Duration::from_secs(60), "the restore never reported progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_and_a_server_killed_mid_restore_say_what_the_target_holds() {
    let PgBackedUp { s, env, out, m, .. } = pg_backed_up(DumpFormat::Plain, None, Some(big)).await;

    // Cancel: one transaction, so the target is as it was (here: empty).
    let target_db = s.create_database();
    let tgt = env.pg("tgt", s, &target_db, SUPERUSER, &s.password);
    let cancel = CancellationToken::new();
    let (seen, sink) = progress_counter();
    let (ds, out2, id, c2, t2) = (env.ds.clone(), out.clone(), m.id.clone(), cancel.clone(), tgt.clone());
    let job = tokio::spawn(async move { restore::run(&ds, &out2, &id, &to(&t2), sink, &c2).await });
    wait_for_bytes(&seen).await;
    cancel.cancel();
    let e = job.await.unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled, "{}", e.message);
    assert!(e.message.contains("exactly as it was"), "{}", e.message);
    let t = std::time::Instant::now();
    while s.psql(
        &target_db,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'psql' AND pid <> pg_backend_pid()",
    ) != "0"
    {
        assert!(t.elapsed() < Duration::from_secs(10), "psql's session outlived the cancel");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        s.psql(
            &target_db,
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('bank', 'audit', 'coordinator', 'scalardb')"
        ),
        "0"
    );

    // A target server killed mid-restore: a failure naming the tool's error.
    let k = PgServer::start(PgOptions::default());
    let kdb = k.create_database();
    let ktgt = env.pg("killed", &k, &kdb, SUPERUSER, &k.password);
    let (seen, sink) = progress_counter();
    let (ds, out2, id) = (env.ds.clone(), out.clone(), m.id.clone());
    let job = tokio::spawn(async move { restore::run(&ds, &out2, &id, &to(&ktgt), sink, &never()).await });
    wait_for_bytes(&seen).await;
    k.kill();
    let e = job.await.unwrap().unwrap_err();
    assert!(matches!(e.code, ErrorCode::ConnectionRefused | ErrorCode::DatabaseError), "{:?}: {}", e.code, e.message);
    assert!(e.message.contains("psql"), "the tool's own message is shown: {}", e.message);
    assert!(e.message.contains("Target:"), "the error says what the target holds: {}", e.message);

    // The same into a database the restore creates: the server is gone, so
    // the database cannot be dropped; the error names it and how to drop
    // it, and blames no TLS setting.
    let k2 = PgServer::start(PgOptions::default());
    let created = format!("new_{}", quiesce_testsupport::random_suffix());
    let ktgt = env.pg("killed-new", &k2, &created, SUPERUSER, &k2.password);
    let (seen, sink) = progress_counter();
    let (ds, out2, id) = (env.ds.clone(), out.clone(), m.id.clone());
    let job = tokio::spawn(async move { restore::run(&ds, &out2, &id, &to(&ktgt), sink, &never()).await });
    wait_for_bytes(&seen).await;
    k2.kill();
    let e = job.await.unwrap().unwrap_err();
    assert!(!e.message.contains("TLS") && !e.message.contains("SSL mode"), "{}", e.message);
    assert!(e.message.contains(&created) && e.message.contains("DROP DATABASE"), "{}", e.message);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_restore_from_the_directory_format_goes_into_fresh_schemas() {
    let PgBackedUp { s, env, out, m, .. } = pg_backed_up(DumpFormat::Directory, Some(2), None).await;
    let target_db = s.create_database();
    let tgt = env.pg("tgt", s, &target_db, SUPERUSER, &s.password);
    let mut j = to(&tgt);
    j.jobs = Some(2);
    let pf = restore::dry_run(&env.ds, &out, &m.id, &j, &never()).await.unwrap();
    assert!(
        pf.units[0].mode.contains("-j 2") && pf.units[0].on_failure.contains("drops the schemas"),
        "{} / {}",
        pf.units[0].mode,
        pf.units[0].on_failure
    );
    assert!(pf.units[0].commands[0].contains("--jobs=2"), "{:?}", pf.units[0].commands);
    let r = restore::run(&env.ds, &out, &m.id, &j, quiet(), &never()).await.unwrap();
    assert!(verified(&r).passed, "{:#?}", verified(&r).findings);
    assert_eq!(s.psql(&target_db, "SELECT sum(balance) FROM bank.accounts"), (ACCOUNTS * 10).to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mydumper_backup_is_restored_by_myloader_into_another_server() {
    let s = MariaDbServer::shared();
    let l = Layout::unique(&quiesce_testsupport::random_suffix());
    s.sql(&l.sql(Engine::Mysql, ACCOUNTS, 7));
    let env = Env::new();
    let src = my_profile(&env, "src", s);
    let d = env.deployment("par", &[("default", &src)], &[], &l);
    let out = env.dir.path().join("backups");
    let o = BackupOptions {
        format: DumpFormat::Directory,
        jobs: Some(2),
        out: Some(out.display().to_string()),
        ..Default::default()
    };
    let (_, m) = tokio::time::timeout(Duration::from_secs(120), backup::run(&env.ds, &d, &o, quiet(), &never()))
        .await
        .expect("the mydumper backup did not finish within 120 s")
        .unwrap();
    let t = MariaDbServer::start();
    let tgt = my_profile(&env, "tgt", &t);
    let mut j = to(&tgt);
    j.jobs = Some(2);
    let pf = restore::dry_run(&env.ds, &out, &m.id, &j, &never()).await.unwrap();
    assert!(
        pf.units[0].mode.contains("myloader") && pf.units[0].commands[0].contains("--threads=2"),
        "{} {:?}",
        pf.units[0].mode,
        pf.units[0].commands
    );
    let r = tokio::time::timeout(Duration::from_secs(120), restore::run(&env.ds, &out, &m.id, &j, quiet(), &never()))
        .await
        .expect("myloader did not finish within 120 s")
        .unwrap();
    assert!(verified(&r).passed, "{:#?}", verified(&r).findings);
    assert_eq!(t.sql(&format!("SELECT SUM(balance) FROM `{}`.accounts", l.bank)), (ACCOUNTS * 7).to_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_parallel_restore_drops_the_schemas_it_created() {
    let PgBackedUp { s, env, out, m, .. } = pg_backed_up(DumpFormat::Directory, Some(2), None).await;
    // The target refuses one table half-way through (after other schemas were created).
    let target_db = s.create_database();
    s.psql(
        &target_db,
        "CREATE FUNCTION refuse() RETURNS event_trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF EXISTS (SELECT 1 FROM pg_event_trigger_ddl_commands() WHERE object_identity = 'scalardb.metadata') \
         THEN RAISE EXCEPTION 'metadata refused by the target'; END IF; END $$; \
         CREATE EVENT TRIGGER refuse ON ddl_command_end EXECUTE FUNCTION refuse()",
    );
    let tgt = env.pg("tgt", s, &target_db, SUPERUSER, &s.password);
    let mut j = to(&tgt);
    j.jobs = Some(2);
    let e = restore::run(&env.ds, &out, &m.id, &j, quiet(), &never()).await.unwrap_err();
    assert!(e.message.contains("metadata refused by the target"), "the tool's own message: {}", e.message);
    assert!(e.message.contains("drops the schemas"), "the error says what the target holds: {}", e.message);
    assert_eq!(
        s.psql(
            &target_db,
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('bank', 'audit', 'coordinator', 'scalardb')"
        ),
        "0",
        "the schemas the failed restore created were dropped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scalardb_users_grants_are_recorded_and_re_applied_on_request() {
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, ACCOUNTS, 10));
    let sfx = quiesce_testsupport::random_suffix();
    let app = format!("app_{sfx}");
    s.psql("postgres", &format!("CREATE ROLE {app} LOGIN PASSWORD 'app-pw'"));
    s.psql(
        &db,
        &format!(
            "GRANT USAGE ON SCHEMA bank, audit, coordinator, scalardb TO {app}; \
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA bank, audit, coordinator TO {app}; \
         GRANT SELECT ON ALL TABLES IN SCHEMA scalardb TO {app}"
        ),
    );
    let env = Env::new();
    // The backup runs as the ScalarDB user itself: its grants are what gets recorded.
    let src = env.pg("src", s, &db, &app, "app-pw");
    let d = env.deployment("grants", &[("default", &src)], &[], &l);
    let out = env.dir.path().join("backups");
    let o = BackupOptions {
        format: DumpFormat::Default,
        jobs: None,
        out: Some(out.display().to_string()),
        ..Default::default()
    };
    let (_, m) = backup::run(&env.ds, &d, &o, quiet(), &never()).await.unwrap();
    let g = m.units[0].grants.clone().expect("grants recorded");
    assert_eq!(g.grantee, app);
    assert!(
        g.statements.iter().any(|st| st.contains("UPDATE") && st.contains("\"bank\".\"accounts\"")),
        "{:#?}",
        g.statements
    );

    // Restored as the superuser, without grants: the app role cannot write.
    let t1 = s.create_database();
    let p1 = env.pg("t1", s, &t1, SUPERUSER, &s.password);
    let r = restore::run(&env.ds, &out, &m.id, &to(&p1), quiet(), &never()).await.unwrap();
    assert!(r.grants_applied.is_empty() && r.after.iter().any(|a| a.contains("--grants")), "{:?}", r.after);
    assert_eq!(s.psql(&t1, &format!("SELECT has_table_privilege('{app}', 'bank.accounts', 'UPDATE')")), "f");
    // With --grants: the recorded privileges are back.
    let t2 = s.create_database();
    let p2 = env.pg("t2", s, &t2, SUPERUSER, &s.password);
    let mut o2 = to(&p2);
    o2.grants = true;
    let r = restore::run(&env.ds, &out, &m.id, &o2, quiet(), &never()).await.unwrap();
    assert!(!r.grants_applied.is_empty());
    assert_eq!(s.psql(&t2, &format!("SELECT has_table_privilege('{app}', 'bank.accounts', 'UPDATE')")), "t");
    assert_eq!(s.psql(&t2, &format!("SELECT has_schema_privilege('{app}', 'bank', 'USAGE')")), "t");
    // To a role that does not exist there: refused before anything is touched.
    let t3 = s.create_database();
    let p3 = env.pg("t3", s, &t3, SUPERUSER, &s.password);
    let mut o3 = to(&p3);
    o3.grants = true;
    o3.grant_to = Some(format!("nobody_{sfx}"));
    let e = restore::run(&env.ds, &out, &m.id, &o3, quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound, "{}", e.message);
    assert!(e.message.contains("--grant-to"), "{}", e.message);
    assert_eq!(s.psql(&t3, "SELECT count(*) FROM pg_namespace WHERE nspname = 'bank'"), "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_backup_restores_into_a_server_without_the_source_roles() {
    let s = PgServer::shared();
    let db = s.create_database();
    s.psql(&db, &Layout::standard().sql(Engine::Postgres, ACCOUNTS, 10));
    // Owners and grants that only the source server has.
    let owner = format!("owner_{}", quiesce_testsupport::random_suffix());
    s.psql("postgres", &format!("CREATE ROLE {owner}"));
    s.psql(&db, &format!("ALTER SCHEMA bank OWNER TO {owner}; ALTER TABLE bank.accounts OWNER TO {owner}; GRANT SELECT ON audit.transfers TO {owner}"));
    let env = Env::new();
    let src = env.pg("src", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("plain", &[("default", &src)], &[], &Layout::standard());
    let out = env.dir.path().join("backups");
    let o = BackupOptions {
        format: DumpFormat::Plain,
        jobs: None,
        out: Some(out.display().to_string()),
        ..Default::default()
    };
    let (dir2, m2) = backup::run(&env.ds, &d, &o, quiet(), &never()).await.unwrap();
    let script = std::fs::read_to_string(dir2.join("postgresql.sql")).unwrap();
    assert!(script.contains(&format!("OWNER TO {owner};")), "the script names the source's owner");
    // Another server, which has no such role.
    let other = PgServer::start(PgOptions::default());
    let by_hand = other.create_database();
    let o2 = Command::new(other.bin_dir.join("psql"))
        .args([
            "-h",
            &other.socket_dir().display().to_string(),
            "-p",
            &other.port.to_string(),
            "-U",
            SUPERUSER,
            "-d",
            &by_hand,
        ])
        .args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-f", &dir2.join("postgresql.sql").display().to_string()])
        .output()
        .unwrap();
    assert!(
        !o2.status.success() && String::from_utf8_lossy(&o2.stderr).contains("does not exist"),
        "by hand, the plain script fails on the missing role (so this test can fail): {}",
        String::from_utf8_lossy(&o2.stderr)
    );
    let tgt = env.pg("other", &other, "restored", SUPERUSER, &other.password);
    let r = restore::run(&env.ds, &out, &m2.id, &to(&tgt), quiet(), &never()).await.unwrap();
    assert!(verified(&r).passed, "{:#?}", verified(&r).findings);
    assert_eq!(other.psql("restored", "SELECT sum(balance) FROM bank.accounts"), (ACCOUNTS * 10).to_string());
}

/// A backup (default format) of the deployment `l` on the shared MariaDB server.
async fn my_backed_up(
    s: &MariaDbServer,
    l: &Layout,
) -> (Env, PathBuf, PathBuf, quiesce_engine::catalog::manifest::Manifest) {
    let env = Env::new();
    let src = my_profile(&env, "src", s);
    let d = env.deployment("my", &[("default", &src)], &[], l);
    let out = env.dir.path().join("backups");
    let o = BackupOptions {
        format: DumpFormat::Default,
        jobs: None,
        out: Some(out.display().to_string()),
        ..Default::default()
    };
    let (dir, m) = backup::run(&env.ds, &d, &o, quiet(), &never()).await.unwrap();
    (env, out, dir, m)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_mariadb_restore_shows_the_error_never_the_rows() {
    let s = MariaDbServer::shared();
    let l = Layout::unique(&quiesce_testsupport::random_suffix());
    s.sql(&l.sql(Engine::Mysql, 3, 7));
    s.sql(&format!(
        "INSERT INTO `{}`.transfers (transfer_id, amount, tx_id, tx_state) VALUES ('alice-private-error-row', 5, 't', 3)",
        l.audit
    ));
    let (env, out, dir, m) = my_backed_up(s, &l).await;
    // The dump altered so the server rejects the statement that holds the
    // row, so the failure comes from the server.
    alter_dump(&dir, "s/INSERT INTO `transfers` VALUES/INSERT INTO `transfers` VALUESS/");
    let t = MariaDbServer::start();
    let tgt = my_profile(&env, "tgt", &t);
    // (The row holds the word "error": a filter that keeps a tool's error
    // lines must still not keep it.) The mariadb client alone, then the
    // parallel load: neither shows the row, both leave the target empty.
    for jobs in [Some(1), None] {
        let (sink, logged) = logging();
        let o = RestoreOptions { jobs, ..to(&tgt) };
        let e = restore::run(&env.ds, &out, &m.id, &o, sink, &never()).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::DatabaseError, "{}", e.message);
        assert!(!e.message.contains("alice-private"), "a row of the backup is in the message: {}", e.message);
        let logged = logged.lock().unwrap();
        assert!(!logged.iter().any(|l| l.contains("alice-private")), "a row of the backup was logged: {logged:?}");
        if jobs == Some(1) {
            assert!(
                e.message.contains("ERROR 1064") && e.message.contains("at line"),
                "the server's error is shown: {}",
                e.message
            );
            assert!(logged.iter().any(|l| l.contains("ERROR 1064")), "the error is logged: {logged:?}");
        } else {
            assert!(
                e.message.contains("error 1064") && e.message.contains("rows of table transfers"),
                "the server's error and the table are shown: {}",
                e.message
            );
        }
        assert!(e.message.contains("Target:"), "{}", e.message);
        let left = t.sql("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name NOT IN ('mysql','information_schema','performance_schema','sys','test')");
        assert_eq!(left, "0", "the databases this restore created are dropped ({jobs:?})");
    }
}

/// A default-format MySQL dump edited by a sed script, and its manifest
/// re-sealed, so what fails is the server, not the checks.
fn alter_dump(dir: &Path, sed_script: &str) {
    let f = dir.join("mysql.sql.zst");
    sh(&format!("zstd -dc -q '{0}' | sed '{sed_script}' | zstd -q -f -o '{0}.new' && mv '{0}.new' '{0}'", f.display()));
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let (sha, bytes) = manifest::sha256_file(&f).unwrap();
    v["units"][0]["files"][0]["sha256"] = sha.into();
    v["units"][0]["files"][0]["bytes"] = bytes.into();
    std::fs::write(dir.join("manifest.json"), serde_json::to_vec(&v).unwrap()).unwrap();
}

/// A row twice in the dump: the single stream stops on the duplicate key;
/// LOAD DATA LOCAL may only warn and skip it, and Quiesce stops as well,
/// without the row in its message. Both leave the target without the
/// deployment's databases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_row_stops_the_load_data_restore_as_it_stops_the_single_stream() {
    let s = MariaDbServer::shared();
    let l = Layout::unique(&quiesce_testsupport::random_suffix());
    s.sql(&l.sql(Engine::Mysql, 3, 7));
    s.sql(&format!(
        "INSERT INTO `{}`.transfers (transfer_id, amount, tx_id, tx_state) VALUES ('bob-private-dup-row', 5, 't', 3), ('zz-after', 1, 't', 3)",
        l.audit
    ));
    let (env, out, dir, m) = my_backed_up(s, &l).await;
    // The row's line (mariadb-dump writes a row per line, `(…),`) twice.
    alter_dump(&dir, "/^(.bob-private-dup-row/p");
    let t = MariaDbServer::start();
    let tgt = my_profile(&env, "tgt", &t);
    for jobs in [Some(1), None] {
        let o = RestoreOptions { jobs, ..to(&tgt) };
        let e = restore::run(&env.ds, &out, &m.id, &o, quiet(), &never()).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::DatabaseError, "{}", e.message);
        assert!(!e.message.contains("bob-private"), "a row of the backup is in the message: {}", e.message);
        // (InnoDB's bulk load into a new table may report the duplicate at
        // COMMIT, as error 1180, rather than as 1062 on the row.)
        if jobs.is_none() {
            assert!(
                e.message.contains("rows of table transfers") && e.message.contains("1062"),
                "the table and the duplicate key's warning are named: {}",
                e.message
            );
        } else {
            assert!(e.message.contains("ERROR 1"), "the client's error is shown: {}", e.message);
        }
        let left = t.sql("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name NOT IN ('mysql','information_schema','performance_schema','sys','test')");
        assert_eq!(left, "0", "the databases this restore created are dropped ({jobs:?})");
    }
}

/// Every table's rows and checksum on a server, for comparing two restores.
fn my_tables(s: &MariaDbServer, l: &Layout) -> Vec<String> {
    let mut out = Vec::new();
    for ns in [&l.coordinator, &l.bank, &l.system, &l.audit] {
        for t in s
            .sql(&format!("SELECT table_name FROM information_schema.tables WHERE table_schema = '{ns}' ORDER BY 1"))
            .lines()
        {
            let q = format!("`{ns}`.`{}`", t.replace('`', "``"));
            let n = s.sql(&format!("SELECT COUNT(*) FROM {q}"));
            let sum = s.sql(&format!("CHECKSUM TABLE {q}"));
            out.push(format!("{q} {n} {sum}"));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mariadb_dump_loaded_in_parallel_gives_what_the_single_stream_gives() {
    let s = MariaDbServer::shared();
    let l = Layout::unique(&quiesce_testsupport::random_suffix());
    s.sql(&l.sql(Engine::Mysql, ACCOUNTS, 1000));
    s.sql(&format!(
        "INSERT INTO `{0}`.transfers (transfer_id, amount, tx_id, tx_state) SELECT CONCAT('x', seq), seq, REPEAT(md5(seq), 3), 3 FROM `{0}`.seq_1_to_120000",
        l.audit
    ));
    // Values that the LOAD DATA streams must carry byte for byte: escapes,
    // tabs, newlines, NUL, a backslash before N, non-ASCII text into a
    // latin1 column, binary blobs, BIT values. A table name with a backtick
    // and a space.
    s.sql(&format!(
        "CREATE TABLE `{0}`.`o``dd t` (id INT PRIMARY KEY, s VARCHAR(64) CHARACTER SET utf8mb4, l VARCHAR(32) CHARACTER SET latin1, b BLOB, d DECIMAL(12,3), f DOUBLE, t DATETIME(6), e ENUM('x','y'));
         INSERT INTO `{0}`.`o``dd t` VALUES
           (1, 'tab\\there\\nnew\\\\N\\0nul''q\\\"', 'caf', 0x00FF5C0A09, -12.5, 1.5e-300, '2024-02-29 23:59:59.123456', 'y'),
           (2, '\\\\N', '\\\\', '', 0, -0.0, NULL, NULL),
           (3, NULL, NULL, NULL, NULL, NULL, NULL, 'x'),
           (4, 'N', '', 0x5C4E, 999999999.999, 2.2250738585072014e-308, '1000-01-01 00:00:00', 'x');
         SET NAMES utf8mb4; UPDATE `{0}`.`o``dd t` SET s = CONCAT('\u{e9}\u{1F600}', s), l = CONCAT('\u{e9}', l) WHERE id = 1;
         CREATE TABLE `{0}`.bits (id INT PRIMARY KEY, v BIT(8));
         INSERT INTO `{0}`.bits VALUES (1, b'101'), (2, NULL);",
        l.audit
    ));
    // A trigger is created after the rows in the dump: loaded before them,
    // it would change every row it saw.
    s.sql(&format!(
        "CREATE TRIGGER `{0}`.neg BEFORE INSERT ON `{0}`.transfers FOR EACH ROW SET NEW.amount = -1",
        l.audit
    ));
    let (env, out, _, m) = my_backed_up(s, &l).await;
    let mut seen = Vec::new();
    // The 3-job load goes to a server that refuses LOAD DATA LOCAL: its
    // rows go as the INSERTs themselves.
    for jobs in [Some(1), None, Some(3)] {
        let t = MariaDbServer::start();
        if jobs == Some(3) {
            t.sql("SET GLOBAL local_infile = 0");
        }
        let tgt = my_profile(&env, &format!("tgt-{}", jobs.unwrap_or(0)), &t);
        let o = RestoreOptions { jobs, ..to(&tgt) };
        let pf = restore::dry_run(&env.ds, &out, &m.id, &o, &never()).await.unwrap();
        let cmd = pf.units[0].commands.join("");
        assert_eq!(cmd.contains("INSERTs over"), jobs != Some(1), "{cmd}");
        let (sink, logged) = logging();
        let r = restore::run(&env.ds, &out, &m.id, &o, sink, &never()).await.unwrap();
        let how = logged.lock().unwrap().iter().find(|l| l.contains("row connection(s)")).cloned();
        match jobs {
            Some(1) => assert_eq!(how, None),
            // Every INSERT (--hex-blob writes BIT values as hex too).
            None => assert!(how.as_ref().is_some_and(|h| h.ends_with(" LOAD DATA LOCAL streams, 0 as SQL")), "{how:?}"),
            _ => assert!(how.as_ref().is_some_and(|h| h.contains("does not allow LOAD DATA LOCAL")), "{how:?}"),
        }
        let v = verified(&r);
        assert!(v.passed, "{:#?}", v.findings);
        let audit = v.audit.as_ref().unwrap();
        let sum = t.sql(&format!("SELECT SUM(amount) FROM `{}`.transfers", l.audit));
        let trig =
            t.sql(&format!("SELECT COUNT(*) FROM information_schema.triggers WHERE trigger_schema = '{}'", l.audit));
        seen.push((my_tables(&t, &l), audit.torn, audit.in_flight_records, sum, trig));
    }
    assert_eq!(seen[0].4, "1", "the trigger is restored");
    let odd = seen[0].0.iter().find(|t| t.contains("o``dd t")).unwrap();
    assert!(odd.contains(" 4 "), "the odd table's rows are restored: {odd}");
    assert!(seen[0].3.parse::<i64>().unwrap() >= 7_200_060_000, "the rows came before the trigger: {}", seen[0].3);
    assert_eq!(seen[0], seen[1], "the parallel load (default jobs) differs from the single stream");
    assert_eq!(seen[0], seen[2], "the parallel load (3 jobs) differs from the single stream");
}
