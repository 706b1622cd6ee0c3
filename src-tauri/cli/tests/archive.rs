//! `quiesce archive`: the continuous WAL archive of a PostgreSQL storage,
//! against a server of its own (its slots and WAL are the test's alone).

mod common;
use common::*;
use quiesce_testsupport::mariadb::{MariaDbServer, USER as MY_USER};
use quiesce_testsupport::postgres::{PgOptions, PgServer};
use serde_json::Value;
use std::time::{Duration, Instant};

fn add_profile(cli: &Cli, s: &PgServer, db: &str, user: &str, password: &str) {
    let port = s.port.to_string();
    let args = [
        "profile",
        "add",
        "--name",
        "pg",
        "--kind",
        "postgresql",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--user",
        user,
        "--database",
        db,
        "--ssl-mode",
        "disable",
        "--password-stdin",
    ];
    let out = cli.run(&args, Some(password), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli.run(&["deployment", "create", "arch", "--storage", "pg"], None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn status(cli: &Cli) -> (i32, Value) {
    cli.json(&["archive", "status", "arch"], None, &[])
}

fn indexed(cli: &Cli) -> Vec<String> {
    let dir = cli.home.path().join("data/backups/arch/archive/default");
    indexed_in(&dir)
}

fn indexed_in(dir: &std::path::Path) -> Vec<String> {
    let v: Value =
        std::fs::read(dir.join("index.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Value::Null);
    v["files"].as_array().into_iter().flatten().filter_map(|f| f["name"].as_str().map(str::to_string)).collect()
}

/// Writes some WAL and switches to a new segment; returns the segment completed.
fn complete_a_segment(s: &PgServer, db: &str) -> String {
    let seg = s.psql(db, "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g ON CONFLICT (id) DO UPDATE SET v = md5(t.v); SELECT pg_walfile_name(pg_current_wal_insert_lsn());");
    s.psql(db, "SELECT pg_switch_wal();");
    seg.lines().last().unwrap().trim().to_string()
}

fn wait_for(cli: &Cli, what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        if Instant::now() >= deadline {
            let logs = all_files(&cli.home.path().join("data/logs"))
                .iter()
                .filter(|p| p.to_string_lossy().contains("archive-"))
                .map(|p| std::fs::read_to_string(p).unwrap_or_default())
                .collect::<Vec<_>>();
            panic!("{what} within {secs} s; status {}; indexed {:?}; log {logs:?}", status(cli).1, indexed(cli));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn alive(pid: u64) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ")
}

#[test]
fn the_archive_keeps_every_segment_across_a_kill_9_and_a_deleted_one_is_a_gap() {
    let s = PgServer::start(PgOptions::default());
    let db = s.create_database();
    s.psql(&db, "CREATE TABLE t (id int PRIMARY KEY, v text)");
    let cli = Cli::new();
    add_profile(&cli, &s, &db, "postgres", &s.password);

    // Started detached, it takes the passwords given to `start`, not the
    // keyring's: a wrong one is refused at once, by the server.
    let e = cli.expect_error(
        &["archive", "start", "arch", "--password-env", "pg=WRONG_PW"],
        None,
        &[("WRONG_PW", "not-it")],
        "auth_failed",
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("pg"), "{e}");
    cli.expect_error(&["archive", "start", "arch", "--password-stdin"], Some(&s.password), &[], "invalid_input");
    let (code, v) =
        cli.json(&["archive", "start", "arch", "--password-env", "pg=PG_PW"], None, &[("PG_PW", &s.password)]);
    assert_eq!(code, 0, "{v}");
    let pid = v["pid"].as_u64().unwrap();
    // One archiver per deployment: a second is refused, naming the first.
    let e = cli.expect_error(&["archive", "run", "arch"], None, &[], "busy");
    assert!(e["error"]["message"].as_str().unwrap().contains(&format!("pid {pid}")), "{e}");

    let mut want: Vec<String> = (0..3).map(|_| complete_a_segment(&s, &db)).collect();
    wait_for(&cli, "the completed segments are archived", 60, || want.iter().all(|w| indexed(&cli).contains(w)));
    let (code, st) = status(&cli);
    assert_eq!(code, 0, "{st}");
    assert_eq!(st["running"], true, "{st}");
    let d = &st["databases"][0];
    assert_eq!(d["slot"]["active"], true, "{st}");
    // The segment being written is there as it is written (`.partial`): the
    // one after the last completed.
    s.psql(&db, "INSERT INTO t VALUES (-1, 'open') ON CONFLICT DO NOTHING");
    let last = want.last().unwrap().clone();
    wait_for(&cli, "the open segment is kept", 30, || {
        status(&cli).1["databases"][0]["partial"].as_str().is_some_and(|p| p.ends_with(".partial") && p > last.as_str())
    });

    // A base backup beside the running archiver: tar, its WAL, its manifest,
    // each file hashed; where it starts in the WAL is recorded.
    let (code, v) = cli.json(&["archive", "base", "arch"], None, &[]);
    assert_eq!(code, 0, "{v}");
    let b = &v["bases"][0];
    let names: Vec<&str> = b["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(
        names.contains(&"base.tar.gz") && names.contains(&"pg_wal.tar.gz") && names.contains(&"backup_manifest"),
        "{names:?}"
    );
    assert_eq!(b["timeline"], 1, "{b}");
    assert!(b["start_lsn"].as_str().unwrap().contains('/'), "{b}");
    let base_dir =
        cli.home.path().join(format!("data/backups/arch/archive/default/base/{}", b["id"].as_str().unwrap()));
    assert!(base_dir.join("base.json").exists());
    let (code, st) = cli.json(&["archive", "status", "arch", "--verify"], None, &[]);
    assert_eq!((code, st["databases"][0]["bases"].as_array().unwrap().len()), (0, 1), "{st}");

    // Killed outright: the slot keeps what is written meanwhile.
    assert!(std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap().success());
    wait_for(&cli, "the archiver is gone", 20, || !alive(pid));
    let (_, st) = status(&cli);
    assert_eq!(st["running"], false, "{st}");
    // Its receiver went with it: nothing streams from the slot.
    wait_for(&cli, "the slot is released", 20, || status(&cli).1["databases"][0]["slot"]["active"] == false);
    want.extend((0..2).map(|_| complete_a_segment(&s, &db)));
    // A checkpoint would remove them from pg_wal, but for the slot.
    s.psql(&db, "CHECKPOINT");
    let kept = s.psql(&db, "SELECT name FROM pg_ls_waldir()");
    assert!(want[3..].iter().all(|w| kept.contains(w.as_str())), "the slot keeps {:?}: {kept}", &want[3..]);
    let (code, v) = cli.json(&["archive", "start", "arch"], None, &[]);
    assert_eq!(code, 0, "{v}");
    let pid2 = v["pid"].as_u64().unwrap();
    wait_for(&cli, "the segments written while it was down are archived", 60, || {
        want.iter().all(|w| indexed(&cli).contains(w))
    });
    let (code, st) = status(&cli);
    assert_eq!((code, st["databases"][0]["gaps"].as_array().unwrap().len()), (0, 0), "nothing lost: {st}");

    let (code, v) = cli.json(&["archive", "stop", "arch"], None, &[]);
    assert_eq!((code, v["pid"].as_u64()), (0, Some(pid2)), "{v}");
    let (_, st) = status(&cli);
    assert_eq!((st["running"].clone(), st["heartbeat"]["ended"].clone()), (Value::Bool(false), "stopped".into()));
    let (_, v) = cli.json(&["archive", "stop", "arch"], None, &[]);
    assert_eq!(v["pid"], Value::Null, "stopping a stopped archiver says so: {v}");

    // A segment deleted from the archive is a gap, named, and the status fails.
    let dir = cli.home.path().join("data/backups/arch/archive/default");
    std::fs::remove_file(dir.join(&want[1])).unwrap();
    let (code, st) = status(&cli);
    assert_ne!(code, 0, "{st}");
    let gaps = st["databases"][0]["gaps"].as_array().unwrap().clone();
    assert!(
        gaps.iter().any(|g| g["from"] == want[1].as_str() && g["reason"].as_str().unwrap().contains("deleted")),
        "{gaps:?}"
    );
    let human = cli.run(&["archive", "status", "arch"], None, &[]);
    assert!(String::from_utf8_lossy(&human.stdout).contains(&format!("GAP {}", want[1])));

    // A changed file of a base backup is found by --verify.
    std::fs::write(base_dir.join("backup_manifest"), b"{}").unwrap();
    let (code, st) = cli.json(&["archive", "status", "arch", "--verify"], None, &[]);
    assert_ne!(code, 0, "{st}");
    assert!(st["databases"][0]["gaps"].to_string().contains("backup_manifest differs"), "{st}");

    // A damaged index vouches for nothing: a gap, and no archiver starts on it.
    std::fs::write(dir.join("index.json"), b"{ not json").unwrap();
    let (code, st) = status(&cli);
    assert_ne!(code, 0, "{st}");
    assert!(st["databases"][0]["gaps"].to_string().contains("damaged"), "{st}");
    let e = cli.expect_error(&["archive", "run", "arch"], None, &[], "invalid_input");
    assert!(e["error"]["message"].as_str().unwrap().contains("index.json"), "{e}");

    // The slot goes only when asked, saying what it held.
    let (code, v) = cli.json(&["archive", "drop-slot", "arch"], None, &[]);
    assert_eq!(code, 0, "{v}");
    assert!(v["slots"][0]["slot"]["restart_lsn"].is_string(), "{v}");
    assert_eq!(s.psql(&db, "SELECT count(*) FROM pg_replication_slots").trim(), "0");
}

#[test]
fn a_server_that_cannot_stream_is_refused_before_anything_starts() {
    let s = PgServer::start(PgOptions::default());
    let db = s.create_database();
    s.psql(&db, "CREATE ROLE plain LOGIN PASSWORD 'plain-pw'; GRANT ALL ON DATABASE postgres TO plain;");
    let cli = Cli::new();
    add_profile(&cli, &s, &db, "plain", "plain-pw");
    let e = cli.expect_error(&["archive", "run", "arch"], None, &[], "invalid_input");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(m.contains("ALTER ROLE \"plain\" REPLICATION") && m.contains("Nothing was started"), "{m}");
    assert_eq!(s.psql(&db, "SELECT count(*) FROM pg_replication_slots").trim(), "0", "no slot created");
    assert!(!cli.home.path().join("data/backups/arch/archive/default").exists(), "no archive folder");
    // `start` says the same, at once, not in a log.
    let e = cli.expect_error(&["archive", "start", "arch"], None, &[], "invalid_input");
    assert!(e["error"]["message"].as_str().unwrap().contains("REPLICATION"), "{e}");
}

/// The binary log file a MariaDB server writes now.
fn current_binlog(m: &MariaDbServer) -> String {
    m.sql("SHOW MASTER STATUS").split_whitespace().next().unwrap().to_string()
}

#[test]
fn mariadb_binary_logs_are_archived_whole_and_a_kill_9_loses_nothing_and_a_purge_is_a_gap() {
    let m = MariaDbServer::start_with(&["--log-bin=binlog", "--server-id=1", "--binlog-format=ROW"]);
    m.sql("CREATE DATABASE w; CREATE TABLE w.t (id int PRIMARY KEY AUTO_INCREMENT, v text);");
    let write_and_rotate = || {
        let f = current_binlog(&m);
        m.sql("INSERT INTO w.t (v) SELECT REPEAT('x', 200) FROM w.seq_1_to_200; FLUSH BINARY LOGS;");
        f
    };
    let cli = Cli::new();
    let port = m.port.to_string();
    let args = [
        "profile",
        "add",
        "--name",
        "my",
        "--kind",
        "mysql",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--user",
        MY_USER,
        "--ssl-mode",
        "disable",
        "--password-stdin",
    ];
    let out = cli.run(&args, Some(&m.password), &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli.run(&["deployment", "create", "arch", "--storage", "my"], None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let dir = cli.home.path().join("data/backups/arch/archive/default");
    // A statement-based binary log cannot be replayed row for row: refused, naming the setting.
    m.sql("SET GLOBAL binlog_format = 'STATEMENT'");
    let e = cli.expect_error(&["archive", "start", "arch"], None, &[], "invalid_input");
    assert!(e["error"]["message"].as_str().unwrap().contains("binlog_format = ROW"), "{e}");
    m.sql("SET GLOBAL binlog_format = 'ROW'");

    let (code, v) = cli.json(&["archive", "start", "arch"], None, &[]);
    assert_eq!(code, 0, "{v}");
    let pid = v["pid"].as_u64().unwrap();
    let mut want: Vec<String> = (0..3).map(|_| write_and_rotate()).collect();
    wait_for(&cli, "the rotated binary logs are archived", 60, || want.iter().all(|w| indexed_in(&dir).contains(w)));
    // Byte for byte the server's own files.
    for w in &want {
        assert_eq!(std::fs::read(dir.join(w)).unwrap(), std::fs::read(m.dir.join("data").join(w)).unwrap(), "{w}");
    }

    // Killed outright, then started again: the file it was writing is fetched
    // again from its start, and what was written meanwhile is archived.
    assert!(std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().unwrap().success());
    wait_for(&cli, "the archiver is gone", 20, || !alive(pid));
    want.extend((0..2).map(|_| write_and_rotate()));
    let (code, v) = cli.json(&["archive", "start", "arch"], None, &[]);
    assert_eq!(code, 0, "{v}");
    wait_for(&cli, "the logs written while it was down are archived", 60, || {
        want.iter().all(|w| indexed_in(&dir).contains(w))
    });
    for w in &want {
        assert_eq!(std::fs::read(dir.join(w)).unwrap(), std::fs::read(m.dir.join("data").join(w)).unwrap(), "{w}");
    }
    let (code, st) = status(&cli);
    assert_eq!(code, 0, "{st}");
    assert!(st["databases"][0]["gaps"].as_array().unwrap().is_empty(), "{st}");
    assert_eq!(st["databases"][0]["slot"], Value::Null, "no slot on MySQL/MariaDB: {st}");

    // Stopped while the server purges what it had not yet given: a gap, named.
    let (code, _) = cli.json(&["archive", "stop", "arch"], None, &[]);
    assert_eq!(code, 0);
    let lost: Vec<String> = (0..2).map(|_| write_and_rotate()).collect();
    m.sql(&format!("PURGE BINARY LOGS TO '{}'", current_binlog(&m)));
    // (MariaDB keeps a file its crash recovery may still need: the oldest it kept.)
    let oldest = m.sql("SHOW BINARY LOGS").split_whitespace().next().unwrap().to_string();
    let n = |f: &str| f.rsplit('.').next().unwrap().parse::<u32>().unwrap();
    assert!(n(&oldest) > n(&lost[0]), "the file being archived was purged: {oldest}");
    let last_lost = format!("binlog.{:06}", n(&oldest) - 1);
    let (code, v) = cli.json(&["archive", "start", "arch"], None, &[]);
    assert_eq!(code, 0, "{v}");
    let next = write_and_rotate();
    wait_for(&cli, "the archive goes on from the server's oldest file", 60, || indexed_in(&dir).contains(&next));
    let (code, st) = status(&cli);
    assert_ne!(code, 0, "{st}");
    let gaps = st["databases"][0]["gaps"].as_array().unwrap().clone();
    assert!(
        gaps.iter().any(|g| g["from"] == lost[0].as_str()
            && g["to"] == last_lost.as_str()
            && g["reason"].as_str().unwrap().contains("purged")),
        "{gaps:?}; lost {lost:?}; folder {:?}; server {}",
        std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.file_name()).collect::<Vec<_>>(),
        m.sql("SHOW BINARY LOGS")
    );
    let (code, _) = cli.json(&["archive", "stop", "arch"], None, &[]);
    assert_eq!(code, 0);
}
