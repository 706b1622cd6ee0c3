//! The hardening issue through the real `quiesce` binary: a backup killed
//! with SIGKILL and the start-up recovery of the next command, leftovers and
//! damaged manifests in the catalog, dry runs that fail, passwords without a
//! keyring, modes of what Quiesce writes, and the state an earlier release
//! wrote.

mod common;
use common::*;
use quiesce_testsupport::postgres::PgServer;
use quiesce_testsupport::scalardb::{Engine, Layout};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn files_under(dir: &Path) -> Vec<PathBuf> {
    all_files(dir)
}

/// A PostgreSQL deployment `d` whose dump runs for a few seconds.
fn pg_deployment(cli: &Cli, s: &PgServer, rows: u32) -> String {
    let db = s.create_database();
    s.psql(&db, &Layout::standard().sql(Engine::Postgres, 10, 1));
    s.psql(&db, &format!("INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, g, md5(random()::text) || md5(random()::text) || md5(random()::text), 3 FROM generate_series(1, {rows}) g"));
    let port = s.port.to_string();
    let out = cli.run(
        &[
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
            "postgres",
            "--database",
            &db,
            "--ssl-mode",
            "disable",
            "--password-stdin",
        ],
        Some(&s.password),
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli.run(&["deployment", "create", "d", "--storage", "pg"], None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    db
}

#[test]
fn a_backup_killed_outright_is_cleaned_up_by_the_next_command_which_says_what_it_removed() {
    let s = PgServer::shared();
    let cli = Cli::new();
    pg_deployment(&cli, s, 400_000);
    let out_dir = cli.home.path().join("out");
    let before_tmp: Vec<PathBuf> = std::fs::read_dir("/tmp").unwrap().flatten().map(|e| e.path()).collect();
    // No XDG_RUNTIME_DIR (cron): credential files must still go nowhere shared.
    let mut child = cli
        .cmd()
        .args(["backup", "d", "--out", &out_dir.display().to_string()])
        .env_remove("XDG_RUNTIME_DIR")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let run_dir = cli.home.path().join("data/run");
    let deadline = Instant::now() + Duration::from_secs(60);
    let (partial, cred) = loop {
        let partial = std::fs::read_dir(out_dir.join("d"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(".partial") && p.join("postgresql.dump.zst").exists());
        let cred = files_under(&run_dir).into_iter().find(|f| f.ends_with("pgpass"));
        if let (Some(p), Some(c)) = (partial, cred) {
            break (p, c);
        }
        assert!(child.try_wait().unwrap().is_none(), "the backup ended before it could be killed");
        assert!(Instant::now() < deadline, "the backup never started writing");
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().unwrap(); // SIGKILL: no destructor, no cleanup of its own
    child.wait().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    assert!(partial.exists() && cred.exists(), "the kill left nothing behind: the fault did not happen");
    let cred_mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(cred.parent().unwrap()).unwrap().permissions());
    assert_eq!(cred_mode & 0o777, 0o700, "the credential directory is private");
    let new_tmp: Vec<PathBuf> = std::fs::read_dir("/tmp")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| !before_tmp.contains(p) && p.to_string_lossy().contains(".quiesce-"))
        .collect();
    assert!(new_tmp.is_empty(), "a credential file went to /tmp: {new_tmp:?}");

    // Any next command recovers first, and says what it removed.
    let out = cli.run(&["backups", "list", "--root", &out_dir.display().to_string()], None, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!partial.exists(), "the unfinished backup folder is still there: {stderr}");
    assert!(!cred.exists(), "the password file is still there: {stderr}");
    assert!(stderr.contains(&partial.display().to_string()) && stderr.contains("credential files"), "{stderr}");
    assert!(stderr.contains("backup of deployment d"), "it says whose leftovers they were: {stderr}");
    assert!(files_under(&cli.home.path().join("data/jobs")).is_empty(), "the journal was left");
    // And it happens once.
    let again = cli.run(&["backups", "list", "--root", &out_dir.display().to_string()], None, &[]);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("removed"), "{}", String::from_utf8_lossy(&again.stderr));
}

#[test]
fn the_catalog_lists_damaged_backups_and_leftovers_it_cannot_remove() {
    let cli = Cli::new();
    let root = cli.home.path().join("catalog");
    // A backup folder whose manifest does not parse.
    let damaged = root.join("prod/20261101T000000Z-bad");
    std::fs::create_dir_all(&damaged).unwrap();
    std::fs::write(damaged.join("manifest.json"), b"{\"schema_version\": 1, \"id\": ").unwrap();
    // An unfinished folder no journal of this machine names (an older release's, another machine's).
    let foreign = root.join("prod/20261102T000000Z-xyz.partial");
    std::fs::create_dir_all(&foreign).unwrap();
    let r = root.display().to_string();
    let (code, v) = cli.json(&["backups", "list", "--root", &r], None, &[]);
    assert_eq!(code, 0, "{v}");
    let backups = v["backups"].as_array().unwrap();
    assert_eq!(backups.len(), 1, "{v}");
    assert_eq!(backups[0]["status"], "damaged");
    assert_eq!(backups[0]["id"], "20261101T000000Z-bad");
    assert!(backups[0]["problem"].as_str().unwrap().contains("not a Quiesce manifest"), "{v}");
    let left = v["leftovers"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{v}");
    assert_eq!(left[0]["folder"], foreign.display().to_string());
    assert!(foreign.exists(), "a folder no journal names is never deleted");
    let human = cli.run(&["backups", "list", "--root", &r], None, &[]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("damaged") && text.contains("Left over") && text.contains(".partial"), "{text}");
    // verify and restore name it as damaged, not as missing.
    let e = cli.expect_error(&["verify", "20261101T000000Z-bad", "--root", &r], None, &[], "corrupt");
    assert!(e["error"]["message"].as_str().unwrap().contains("damaged"), "{e}");
    cli.expect_error(&["restore", "20261101T000000Z-bad", "--to", "nobody", "--root", &r], None, &[], "corrupt");
}
