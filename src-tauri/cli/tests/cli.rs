//! The real `quiesce` binary against a real Secret Service (gnome-keyring in
//! the dbus session scripts/test.sh opens) and real database servers.

use quiesce_engine::secrets::SecretStore;
use quiesce_testsupport::postgres::{PgServer, SUPERUSER};
use quiesce_testsupport::require_secret_service;
use serde_json::Value;

use std::process::{Command, Stdio};

mod common;
use common::*;

/// `profile add` arguments for a PostgreSQL profile on the throwaway server.
fn pg_add_args(name: &str, s: &PgServer, db: &str) -> Vec<String> {
    let port = s.port.to_string();
    ["profile", "add", "--name", name, "--kind", "postgresql", "--host", "127.0.0.1", "--port", &port]
        .into_iter()
        .chain(["--user", SUPERUSER, "--database", db])
        .map(String::from)
        .collect()
}

fn add_pg(cli: &Cli, name: &str, s: &PgServer, db: &str, pw: &str) -> (i32, Value) {
    let mut args = pg_add_args(name, s, db);
    args.push("--password-stdin".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    cli.json(&args, Some(&format!("{pw}\n")), &[])
}

#[test]
fn profile_lifecycle_with_the_secret_in_the_keyring_only() {
    require_secret_service();
    let s = PgServer::shared();
    let db = s.create_database();
    let cli = Cli::new();

    let (status, v) = add_pg(&cli, "prod-pg", s, &db, &s.password);
    assert_eq!(status, 0, "{v}");
    let account = v["profile"]["secret"]["account"].as_str().unwrap().to_string();

    // Another process (this test) reads what the CLI process stored.
    let stored = SecretStore::new().get(&account).unwrap().expect("secret in the keyring");
    assert_eq!(stored.expose(), &s.password, "the trailing newline from stdin must not be part of the password");

    let (status, v) = cli.json(&["profile", "test", "prod-pg"], None, &[]);
    assert_eq!(status, 0, "{v}");
    assert_eq!(v["ok"], true);
    assert_eq!(v["report"]["product"], "PostgreSQL");

    let (_, v) = cli.json(&["profile", "list"], None, &[]);
    assert_eq!(v["profiles"].as_array().unwrap().len(), 1);
    assert_not_in_files(cli.home.path(), &s.password);

    // Edit: change the port only; the secret stays.
    let (status, v) = cli.json(&["profile", "edit", "prod-pg", "--connect-timeout", "7"], None, &[]);
    assert_eq!(status, 0, "{v}");
    assert_eq!(v["profile"]["connect_timeout_secs"], 7);
    assert_eq!(v["profile"]["secret"]["account"], account.as_str());

    // Remove deletes the secret too.
    let (status, _) = cli.json(&["profile", "remove", "prod-pg"], None, &[]);
    assert_eq!(status, 0);
    assert!(SecretStore::new().get(&account).unwrap().is_none(), "the keyring entry must be gone");
    cli.expect_error(&["profile", "show", "prod-pg"], None, &[], "not_found");
}

#[test]
fn wrong_stored_password_is_auth_failed_and_a_supplied_one_overrides_it() {
    require_secret_service();
    let s = PgServer::shared();
    let db = s.create_database();
    let cli = Cli::new();
    assert_eq!(add_pg(&cli, "p", s, &db, "not-the-password").0, 0);
    cli.expect_error(&["profile", "test", "p"], None, &[], "auth_failed");
    let (status, v) = cli.json(&["profile", "test", "p", "--password-env", "QZ_PW"], None, &[("QZ_PW", &s.password)]);
    assert_eq!(status, 0, "{v}");
    cli.run(&["profile", "remove", "p"], None, &[]);
}

#[test]
fn no_secret_service_is_keyring_unavailable_and_nothing_is_saved() {
    let s = PgServer::shared();
    let db = s.create_database();
    let cli = Cli::new();
    let no_bus = [("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/quiesce-bus")];
    let mut env_args = pg_add_args("p", s, &db);
    env_args.extend(["--password-env".to_string(), "QZ_PW".to_string()]);
    let env_args: Vec<&str> = env_args.iter().map(String::as_str).collect();
    let v = cli.expect_error(&env_args, None, &[no_bus[0], ("QZ_PW", "sekrit-value-1")], "keyring_unavailable");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("--password-env"), "the message must name the fix: {msg}");
    // No silent fallback: nothing saved, the secret nowhere on disk.
    let (_, v) = cli.json(&["profile", "list"], None, &no_bus);
    assert_eq!(v["profiles"].as_array().unwrap().len(), 0);
    assert_not_in_files(cli.home.path(), "sekrit-value-1");

    // For cron on a server: a profile without a stored secret, the password from the environment.
    let plain_args = pg_add_args("p", s, &db);
    let plain_args: Vec<&str> = plain_args.iter().map(String::as_str).collect();
    let (status, v) = cli.json(&plain_args, None, &no_bus);
    assert_eq!(status, 0, "{v}");
    let (status, v) =
        cli.json(&["profile", "test", "p", "--password-env", "QZ_PW"], None, &[no_bus[0], ("QZ_PW", &s.password)]);
    assert_eq!(status, 0, "{v}");
    let (status, v) = cli.json(&["profile", "test", "p", "--password-stdin"], Some(&s.password), &no_bus);
    assert_eq!(status, 0, "{v}");
}

#[test]
fn input_errors_have_their_codes() {
    let cli = Cli::new();
    let v = cli.expect_error(&["profile", "add", "--name", "x"], None, &[], "invalid_input");
    assert_eq!(v["error"]["fields"][0]["field"], "kind");
    let v =
        cli.expect_error(&["profile", "add", "--name", "bad name", "--kind", "postgresql"], None, &[], "invalid_input");
    let fields: Vec<&str> =
        v["error"]["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"name") && fields.contains(&"host") && fields.contains(&"user"), "{fields:?}");
    cli.expect_error(&["profile", "test", "ghost"], None, &[], "not_found");
    // A missing profile is said first, before a password is looked for.
    cli.expect_error(&["profile", "test", "ghost", "--password-env", "QZ_UNSET_VAR"], None, &[], "not_found");
    cli.expect_error(
        &[
            "profile",
            "add",
            "--name",
            "x",
            "--kind",
            "postgresql",
            "--host",
            "h",
            "--user",
            "u",
            "--database",
            "d",
            "--password-env",
            "QZ_UNSET_VAR",
        ],
        None,
        &[],
        "invalid_input",
    );
    let (status, _) =
        cli.json(&["profile", "add", "--name", "s", "--kind", "sqlite", "--path", "/tmp/x.db"], None, &[]);
    assert_eq!(status, 0);
    cli.expect_error(
        &["profile", "add", "--name", "s", "--kind", "sqlite", "--path", "/tmp/y.db"],
        None,
        &[],
        "already_exists",
    );
    cli.expect_error(&["profile", "test", "s"], None, &[], "file_not_found");
    // A usage error is clap's, exit 2, and never 0.
    let out = cli.run(&["profile", "add", "--ssl-mode", "sometimes"], None, &[]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_held_state_lock_is_busy_not_a_lost_update() {
    let cli = Cli::new();
    cli.json(&["profile", "add", "--name", "first", "--kind", "sqlite", "--path", "/tmp/a.db"], None, &[]);
    let lock = std::fs::OpenOptions::new().write(true).open(cli.home.path().join("config/.state.lock")).unwrap();
    lock.lock().unwrap();
    cli.expect_error(
        &["profile", "add", "--name", "second", "--kind", "sqlite", "--path", "/tmp/b.db"],
        None,
        &[("QUIESCE_LOCK_TIMEOUT_MS", "300")],
        "busy",
    );
    // Readers never wait for the lock.
    let (status, v) = cli.json(&["profile", "list"], None, &[]);
    assert_eq!(status, 0);
    assert_eq!(v["profiles"].as_array().unwrap().len(), 1);
    lock.unlock().unwrap();
}

#[test]
fn concurrent_writers_lose_nothing_and_readers_never_see_half_a_file() {
    let cli = Cli::new();
    let n = 12;
    let children: Vec<_> = (0..n)
        .map(|i| {
            let mut c = cli.cmd();
            c.args([
                "profile",
                "add",
                "--name",
                &format!("p{i}"),
                "--kind",
                "sqlite",
                "--path",
                &format!("/tmp/q{i}.db"),
                "--json",
            ]);
            c.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap()
        })
        .collect();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let stop = stop.clone();
        let f = cli.profiles_file();
        std::thread::spawn(move || {
            let mut reads = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(bytes) = std::fs::read(&f) {
                    serde_json::from_slice::<Value>(&bytes).expect("a reader saw a partial state file");
                    reads += 1;
                }
            }
            reads
        })
    };
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
    let (_, v) = cli.json(&["profile", "list"], None, &[]);
    assert_eq!(v["profiles"].as_array().unwrap().len(), n);
}

#[test]
fn unreadable_sqlite_file_is_permission_denied() {
    // Root reads every file, so as root the CLI runs as `nobody`.
    let dir = quiesce_testsupport::short_tempdir("qzperm");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let f = dir.path().join("private.db");
    quiesce_engine::demo::create_demo_database(&f).unwrap();
    std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o000)).unwrap();
    let home = dir.path().join("home");
    let mk = |args: &[&str]| {
        let mut c = if quiesce_testsupport::is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "nobody", "--"]).arg(env!("CARGO_BIN_EXE_quiesce"));
            c
        } else {
            Command::new(env!("CARGO_BIN_EXE_quiesce"))
        };
        c.args(args).env("QUIESCE_HOME", &home).output().unwrap()
    };
    // The binary must be reachable by nobody (it lives under target/).
    let probe = mk(&["--version"]);
    assert!(
        probe.status.success(),
        "cannot run the CLI as an unprivileged user: {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    let out = mk(&["profile", "add", "--name", "priv", "--kind", "sqlite", "--path", f.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = mk(&["profile", "test", "priv", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["code"], "permission_denied", "{v}");
}

/// A ScalarDB deployment `d` on the demo's SQLite file (profile `src`), with
/// `nodes` as its Scalar Admin endpoints.
fn demo_deployment(cli: &Cli, nodes: &[String]) {
    let file = cli.home.path().join("src.sqlite");
    quiesce_engine::demo::create_demo_database(&file).unwrap();
    add_sqlite(cli, "src", &file);
    let mut args = vec!["deployment", "create", "d", "--storage", "src"];
    for n in nodes {
        args.extend(["--admin-endpoint", n.as_str()]);
    }
    let out = cli.run(&args, None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn add_sqlite(cli: &Cli, name: &str, file: &std::path::Path) {
    let out = cli.run(
        &["profile", "add", "--name", name, "--kind", "sqlite", "--path", &file.display().to_string()],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_history_records_every_job_whatever_its_kind_and_however_it_ended() {
    let node = quiesce_testsupport::admin::AdminServer::start(None);
    let cli = Cli::new();
    demo_deployment(&cli, &[node.endpoint()]);
    for t in ["restored", "migrated"] {
        add_sqlite(&cli, t, &cli.home.path().join(format!("{t}.sqlite")));
    }
    let ok = |args: &[&str]| {
        let (code, v) = cli.json(args, None, &[]);
        assert_eq!(code, 0, "{args:?}: {v}");
        v
    };
    let id = ok(&["backup", "d"])["backup"]["id"].as_str().unwrap().to_string();
    ok(&["restore", &id, "--to", "restored"]);
    ok(&["verify", "d"]);
    ok(&["migrate", "d", "--to", "default=migrated"]);
    let window = ok(&["pause", "d"])["id"].as_str().unwrap().to_string();
    // A job that fails (the target is no longer empty) is recorded as failed.
    let (code, _) = cli.json(&["restore", &id, "--to", "restored"], None, &[]);
    assert_ne!(code, 0);

    let h = ok(&["history"]);
    let ops: Vec<(&str, &str)> = h["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["op"].as_str().unwrap(), o["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        ops,
        [
            ("backup", "ok"),
            ("restore", "ok"),
            ("verify", "ok"),
            ("migrate", "ok"),
            ("pause", "ok"),
            ("restore", "failed")
        ],
        "{h:#}"
    );
    let all = h["operations"].as_array().unwrap();
    assert_eq!(all[0]["entry"], id.as_str(), "the backup names its entry: {h:#}");
    assert_eq!(all[4]["entry"], window.as_str(), "the pause names its window: {h:#}");
    assert!(all.iter().all(|o| o["deployment"] == "d" || o["op"] == "restore"), "{h:#}");
    assert!(all[5]["what"].as_str().unwrap().contains("restore"), "{h:#}");
}

#[test]
fn a_missing_backup_id_gets_the_same_error_from_every_command_that_takes_one() {
    let cli = Cli::new();
    demo_deployment(&cli, &[]);
    add_sqlite(&cli, "other", &cli.home.path().join("other.sqlite"));
    let id = "20261101T000000Z-0badc0de";
    let commands: [&[&str]; 5] = [
        &["restore", id, "--to", "other"],
        &["backups", "show", id],
        &["backups", "remove", id],
        &["verify", "src", "--backup", id],
        &["migrate", "d", "--from-backup", id, "--to", "default=other"],
    ];
    let messages: Vec<String> = commands
        .iter()
        .map(|c| cli.expect_error(c, None, &[], "not_found")["error"]["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        messages[0].contains(&format!("No backup \"{id}\"")) && messages[0].contains("quiesce backups list"),
        "{}",
        messages[0]
    );
    for (c, m) in commands.iter().zip(&messages) {
        assert_eq!(m, &messages[0], "{c:?}");
    }
}
