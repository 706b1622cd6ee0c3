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

/// Directories 0700 and files 0600, all the way down.
fn assert_private_tree(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let md = std::fs::symlink_metadata(e.path()).unwrap();
        let mode = md.permissions().mode() & 0o777;
        if md.is_dir() {
            assert_eq!(mode, 0o700, "{} is {mode:o}", e.path().display());
            assert_private_tree(&e.path());
        } else if md.is_file() {
            assert_eq!(mode, 0o600, "{} is {mode:o}", e.path().display());
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    all_files(dir)
}

/// A PostgreSQL deployment `d` whose dump runs for a few seconds.
fn pg_deployment(cli: &Cli, s: &PgServer, rows: u32) -> String {
    let db = s.create_database();
    s.psql(&db, &Layout::standard().sql(Engine::Postgres, 10, 1));
    s.psql(&db, &format!("INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, g, md5(random()::text) || md5(random()::text) || md5(random()::text), 3 FROM generate_series(1, {rows}) g"));
    add_pg_profile(cli, "pg", s, &db);
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
        let cred = files_under(&run_dir).into_iter().find(|f| f.to_string_lossy().ends_with("-pgpass"));
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

#[test]
fn a_catalog_folder_that_is_not_there_is_an_error_not_an_empty_catalog() {
    let cli = Cli::new();
    let missing = cli.home.path().join("no-such-catalog").display().to_string();
    let e = cli.expect_error(&["backups", "list", "--root", &missing], None, &[], "not_found");
    assert!(e["error"]["message"].as_str().unwrap().contains("is not a folder"), "{e}");
    let file = cli.home.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    cli.expect_error(&["backups", "list", "--root", &file.display().to_string()], None, &[], "not_found");
}

#[test]
fn events_as_json_keep_stderr_json_on_a_new_state_directory() {
    let cli = Cli::new();
    let out = cli.run(&["--events", "json", "backups", "list"], None, &[]);
    assert!(out.status.success());
    for line in String::from_utf8_lossy(&out.stderr).lines() {
        assert!(serde_json::from_str::<serde_json::Value>(line).is_ok(), "not a JSON line on stderr: {line}");
    }
}

#[test]
fn a_runbook_written_to_an_empty_path_is_refused_with_what_to_give() {
    let cli = Cli::new();
    cli.with_state_v1();
    let e = cli.expect_error(
        &["runbook", "pg-single", "--at", "20261201T000252Z-604783", "--out", ""],
        None,
        &[],
        "invalid_input",
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("--out needs the path of a new file"), "{e}");
}

const FIXTURE_SECRET: &str = "Fixture-Secret-42";

#[test]
fn state_written_by_the_previous_release_loads_with_what_became_invalid_flagged_never_dropped() {
    let cli = Cli::new();
    cli.with_state_v1();
    let profiles_file = cli.profiles_file();
    assert!(std::fs::read_to_string(&profiles_file).unwrap().contains(FIXTURE_SECRET), "the fixture holds the leak");

    let out = cli.run(&["profile", "list", "--json"], None, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["profiles"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["dynamo", "leaky-mysql", "lite", "long-user", "maria", "pg"], "no profile is dropped");
    // The leaked password went to the keyring; the file and every output are clean.
    assert!(stderr.contains("leaky-mysql") && stderr.contains("moved into the keyring"), "{stderr}");
    assert!(!std::fs::read_to_string(&profiles_file).unwrap().contains(FIXTURE_SECRET), "still in profiles.json");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(FIXTURE_SECRET) && !stderr.contains(FIXTURE_SECRET));
    let leaky = v["profiles"].as_array().unwrap().iter().find(|p| p["name"] == "leaky-mysql").unwrap();
    assert_eq!(leaky["host"], "mysql-prod.example", "{leaky}");
    assert!(leaky["secret"].is_object(), "the password is referenced in the keyring: {leaky}");
    // What became invalid is flagged with its fix, at every start, and kept.
    assert!(stderr.contains("\"long-user\"") && stderr.contains("user") && stderr.contains("at most 256"), "{stderr}");
    assert!(stderr.contains("Deployment \"..\"") && stderr.contains("quiesce deployment edit"), "{stderr}");
    let (code, d) = cli.json(&["deployment", "list"], None, &[]);
    assert_eq!(code, 0);
    let dnames: Vec<&str> = d["deployments"].as_array().unwrap().iter().map(|x| x["name"].as_str().unwrap()).collect();
    assert_eq!(
        dnames,
        ["..", "leaky", "lite-single", "maria-single", "multi", "pg-single"],
        "no deployment is dropped"
    );
    // A backup of ".." is refused before anything is written outside the catalog.
    let e = cli.expect_error(&["backup", ".."], None, &[], "invalid_input");
    assert!(e["error"]["message"].as_str().unwrap().contains(".."), "{e}");
    assert!(!cli
        .home
        .path()
        .join("data")
        .read_dir()
        .unwrap()
        .flatten()
        .any(|f| f.file_name().to_string_lossy().starts_with("2026")));
    // The schema-1 backups of each engine are listed and still match their manifests.
    let (code, b) = cli.json(&["backups", "list"], None, &[]);
    assert_eq!(code, 0, "{b}");
    let backups = b["backups"].as_array().unwrap();
    assert_eq!(backups.len(), 3, "{b}");
    for e in backups {
        // Complete and listed as such: no verification of them was stored by the old release.
        assert_eq!(e["status"], "unverified", "{e}");
        assert!(e["problem"].is_null() && e["units"].as_array().unwrap().len() == 1, "{e}");
        let id = e["id"].as_str().unwrap();
        let out = cli.run(&["verify", id], None, &[]);
        assert!(out.status.success(), "{id}: {}", String::from_utf8_lossy(&out.stdout));
    }
    // The password moved once; the next command says nothing more about it.
    let again = cli.run(&["profile", "list"], None, &[]);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("moved into the keyring"));
    cli.run(&["profile", "remove", "leaky-mysql"], None, &[]);
}

#[test]
fn without_a_keyring_the_old_leak_is_masked_and_flagged_not_shown() {
    let cli = Cli::new();
    cli.with_state_v1();
    let no_keyring = [("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")];
    let out = cli.run(&["profile", "list"], None, &no_keyring);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(!stdout.contains(FIXTURE_SECRET) && !stderr.contains(FIXTURE_SECRET), "{stdout}\n{stderr}");
    assert!(stdout.contains("scalar:****@mysql-prod.example"), "{stdout}");
    assert!(stderr.contains("cannot be moved into the keyring") && stderr.contains("--password-stdin"), "{stderr}");
    let (_, v) = cli.json(&["profile", "show", "leaky-mysql"], None, &no_keyring);
    assert!(!v.to_string().contains(FIXTURE_SECRET), "{v}");
    // A write meanwhile (the app creates its demo profile before its start-up
    // step runs) must not put the mask over the secret: it is still there to move.
    let out = cli.run(
        &["profile", "add", "--name", "other", "--kind", "sqlite", "--path", "/tmp/other.sqlite"],
        None,
        &no_keyring,
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::read_to_string(cli.profiles_file()).unwrap().contains(FIXTURE_SECRET), "the secret was destroyed");
    // Once a keyring is there, it moves.
    let out = cli.run(&["profile", "list"], None, &[]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("moved into the keyring"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!std::fs::read_to_string(cli.profiles_file()).unwrap().contains(FIXTURE_SECRET));
    cli.run(&["profile", "remove", "leaky-mysql"], None, &[]);
}

#[test]
fn without_a_keyring_every_command_that_connects_takes_its_passwords_per_profile() {
    let s = PgServer::shared();
    let cli = Cli::new();
    let no_keyring = ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    let db = s.create_database();
    s.psql(&db, &Layout::standard().sql(Engine::Postgres, 4, 25));
    let port = s.port.to_string();
    // A profile made on a server without a keyring: no password stored.
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
        ],
        None,
        &[no_keyring],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(cli.run(&["deployment", "create", "d", "--storage", "pg"], None, &[no_keyring]).status.success());
    let pw = ("PG_PW", s.password.as_str());
    let env = [no_keyring, pw];
    let out_dir = cli.home.path().join("out");
    let out_s = out_dir.display().to_string();

    // Without a password: refused with a message naming the fix.
    let e = cli.expect_error(&["backup", "d", "--out", &out_s], None, &[no_keyring], "auth_failed");
    assert!(e["error"]["message"].as_str().unwrap().contains("--password-env"), "{e}");
    // With it, each command that connects works.
    let (code, v) = cli.json(&["plan", "d", "--discover", "--password-env", "pg=PG_PW"], None, &env);
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(&["backup", "d", "--out", &out_s, "--password-env", "pg=PG_PW"], None, &env);
    assert_eq!(code, 0, "{v}");
    let id = v["backup"]["id"].as_str().unwrap().to_string();
    let (code, v) = cli.json(
        &["verify", "pg", "--backup", &id, "--root", &out_s, "--password-stdin"],
        Some(&s.password),
        &[no_keyring],
    );
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(
        &["restore", &id, "--to", "pg", "--root", &out_s, "--replace", "--password-env", "pg=PG_PW"],
        None,
        &env,
    );
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["restore"]["verify"]["passed"], true, "{v}");
    // Everything written (state, the backup, its verification reports) is the user's alone.
    assert!(
        all_files(&out_dir).iter().any(|f| f.to_string_lossy().contains("/verifications/")),
        "no report was stored"
    );
    assert_private_tree(cli.home.path());
    // Mistakes are named.
    let e = cli.expect_error(&["backup", "d", "--password-env", "other=PG_PW"], None, &env, "invalid_input");
    assert!(e["error"]["message"].as_str().unwrap().contains("connects to: pg"), "{e}");
    let e = cli.expect_error(&["backup", "d", "--password-env", "pg=UNSET_VAR_X"], None, &env, "invalid_input");
    assert!(e["error"]["message"].as_str().unwrap().contains("UNSET_VAR_X"), "{e}");
    // The keyring's own message says exactly this.
    let e = cli.expect_error(
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
            "--password-stdin",
        ],
        Some("pw"),
        &[no_keyring],
        "keyring_unavailable",
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("--password-env PROFILE=VAR"), "{e}");
}

#[test]
fn a_dry_run_with_a_failed_check_exits_with_that_checks_code() {
    let cli = Cli::new();
    // A server that is not there: the connect check fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let out = cli.run(
        &[
            "profile",
            "add",
            "--name",
            "gone",
            "--kind",
            "postgresql",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--user",
            "u",
            "--database",
            "app",
            "--ssl-mode",
            "disable",
        ],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(cli.run(&["deployment", "create", "d", "--storage", "gone"], None, &[]).status.success());
    let (code, v) = cli.json(&["backup", "d", "--dry-run"], None, &[]);
    let failed =
        v["dry_run"]["checks"].as_array().unwrap().iter().find(|c| c["ok"] == false).cloned().expect("a failed check");
    assert_eq!(failed["code"], "connection_refused", "{v}");
    assert_eq!(code, 12, "the exit status is connection_refused's: {v}");
    let human = cli.run(&["backup", "d", "--dry-run"], None, &[]);
    assert_eq!(human.status.code(), Some(12));
    assert!(String::from_utf8_lossy(&human.stdout).contains("FAIL"), "the checks are still printed");
    // So a script's `--dry-run && backup` stops at the checks.
    let chained = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("'{0}' backup d --dry-run >/dev/null && '{0}' backup d", env!("CARGO_BIN_EXE_quiesce")))
        .env("QUIESCE_HOME", cli.home.path())
        .output()
        .unwrap();
    assert_eq!(chained.status.code(), Some(12));
    assert!(!cli.home.path().join("data/backups").exists(), "the backup ran after a failed dry run");
}

/// Adds a profile through the CLI (the password on stdin when given).
fn add_profile(cli: &Cli, args: &[&str], password: Option<&str>) {
    let mut a = vec!["profile", "add"];
    a.extend_from_slice(args);
    if password.is_some() {
        a.push("--password-stdin");
    }
    let out = cli.run(&a, password, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A PostgreSQL profile `name` for database `db` of a test server, as its superuser.
fn add_pg_profile(cli: &Cli, name: &str, s: &PgServer, db: &str) {
    let port = s.port.to_string();
    let args = ["--name", name, "--kind", "postgresql", "--host", "127.0.0.1", "--port", &port, "--user", "postgres"];
    add_profile(cli, &[&args[..], &["--database", db, "--ssl-mode", "disable"]].concat(), Some(&s.password));
}

/// Restores a schema-1 backup of the fixture and checks the restore's own verification.
fn restore_old(cli: &Cli, id: &str, to: &str) -> serde_json::Value {
    let (code, r) = cli.json(&["restore", id, "--to", to], None, &[]);
    assert_eq!(code, 0, "{id} into {to}: {r}");
    let r = r["restore"].clone();
    assert_eq!(r["verify"]["passed"], true, "{r}");
    assert_eq!(r["targets"][0]["unit"], "u1", "a schema-1 backup is one unit: {r}");
    // The in-flight transaction of the fixture (PREPARED, COMMITTED in the coordinator).
    assert_eq!(r["verify"]["audit"]["roll_forward"], 1, "{r}");
    r
}

#[test]
fn schema_1_backups_of_each_engine_written_by_the_previous_release_restore_into_real_servers() {
    let cli = Cli::new();
    cli.with_state_v1();
    // PostgreSQL: into an empty database of a fresh server.
    let pg = PgServer::shared();
    let db = pg.create_database();
    add_pg_profile(&cli, "pg-tgt", pg, &db);
    restore_old(&cli, "20261201T000252Z-604783", "pg-tgt");
    assert_eq!(pg.psql(&db, "SELECT sum(balance) FROM bank.accounts"), "400");
    assert_eq!(pg.psql(&db, "SELECT count(*) FROM coordinator.state"), "2");
    // MariaDB: a fresh server (the fixture's namespaces have ScalarDB's default names).
    let my = quiesce_testsupport::mariadb::MariaDbServer::start();
    let port = my.port.to_string();
    add_profile(
        &cli,
        &[
            "--name",
            "maria-tgt",
            "--kind",
            "mysql",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--user",
            quiesce_testsupport::mariadb::USER,
            "--ssl-mode",
            "disable",
        ],
        Some(&my.password),
    );
    restore_old(&cli, "20261201T000252Z-95beb8", "maria-tgt");
    assert_eq!(my.sql("SELECT sum(balance) FROM bank.accounts"), "400");
    // SQLite: a new file.
    let file = cli.home.path().join("restored.sqlite");
    add_profile(&cli, &["--name", "lite-tgt", "--kind", "sqlite", "--path", &file.display().to_string()], None);
    restore_old(&cli, "20261201T000252Z-56817e", "lite-tgt");
    let c = rusqlite::Connection::open(&file).unwrap();
    let sum: i64 = c.query_row("SELECT sum(balance) FROM \"bank$accounts\"", [], |r| r.get(0)).unwrap();
    assert_eq!(sum, 400);
    // Each restore's verification is kept with its backup: the catalog says so.
    let (_, b) = cli.json(&["backups", "list"], None, &[]);
    for e in b["backups"].as_array().unwrap() {
        assert_eq!(e["status"], "ok", "{e}");
    }
}

/// Processes whose command line mentions `needle` (a test's unique database name).
fn processes_mentioning(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle) && !c.contains("psql"))
        .collect()
}

#[test]
fn sigterm_and_sigint_cancel_a_running_backup_and_wait_for_its_cleanup_with_events_as_json_lines() {
    let s = PgServer::shared();
    let cli = Cli::new();
    let db = pg_deployment(&cli, s, 400_000);
    for signal in ["TERM", "INT"] {
        let out_dir = cli.home.path().join(format!("out-{signal}"));
        let mut child = cli
            .cmd()
            .args(["backup", "d", "--out", &out_dir.display().to_string(), "--json", "--events", "json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Both pipes are read as they fill (a full stderr would block the job);
        // stderr's lines also come here live, to signal once the dump makes progress.
        let mut out_pipe = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut out_pipe, &mut v).unwrap();
            v
        });
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let err_pipe = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut all = Vec::new();
            for line in std::io::BufRead::lines(std::io::BufReader::new(err_pipe)).map_while(|l| l.ok()) {
                let _ = tx.send(line.clone());
                all.push(line);
            }
            all.join("\n").into_bytes()
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let line = rx
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
                .expect("the backup never made progress");
            let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
            if v["kind"] == "progress" && v["raw_bytes"].as_u64().unwrap_or(0) > 0 {
                break;
            }
        }
        assert!(
            std::fs::read_dir(out_dir.join("d"))
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().ends_with(".partial")),
            "the partial folder is there while it runs"
        );
        let sent = std::process::Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status();
        assert!(sent.unwrap().success());
        let t0 = Instant::now();
        let status = child.wait().unwrap();
        let (out_stdout, out_stderr) = (stdout.join().unwrap(), stderr.join().unwrap());
        assert!(t0.elapsed() < Duration::from_secs(30), "SIG{signal}: the cleanup took {:?}", t0.elapsed());
        assert_eq!(status.code(), Some(20), "SIG{signal}: exits as cancelled");
        let v: serde_json::Value = serde_json::from_slice(&out_stdout).expect("stdout is one JSON document");
        assert_eq!(v["error"]["code"], "cancelled", "{v}");
        // Every stderr line is a JSON object: job events and notes.
        let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out_stderr)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}")))
            .collect();
        let kinds: Vec<&str> = lines.iter().filter_map(|l| l["kind"].as_str()).collect();
        assert!(kinds.contains(&"phase") && kinds.contains(&"progress"), "{kinds:?}");
        assert!(
            lines.iter().any(|l| l["kind"] == "note"
                && l["message"].as_str().unwrap().starts_with(&format!("SIG{signal}: cancelling"))),
            "{lines:?}"
        );
        // Nothing left: no partial folder, no pg_dump, no journal.
        let left: Vec<PathBuf> = files_under(&out_dir);
        assert!(left.is_empty(), "SIG{signal} left {left:?}");
        // (The server's own session process may take a moment to see its client gone.)
        let gone = Instant::now() + Duration::from_secs(5);
        while !processes_mentioning(&db).is_empty() && Instant::now() < gone {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(processes_mentioning(&db).is_empty(), "SIG{signal}: {:?}", processes_mentioning(&db));
        assert!(files_under(&cli.home.path().join("data/jobs")).is_empty(), "the journal was left");
    }
}

/// A migration ledger an earlier release left beside state-v1
/// (tests/fixtures/migration-ledger, see its ORIGIN).
#[test]
fn a_migration_ledger_of_an_earlier_release_becomes_a_journal_once_is_flagged_and_cleanup_drops_what_it_names() {
    let cli = Cli::new();
    cli.with_state_v1();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/migration-ledger/data");
    let out = std::process::Command::new("cp").arg("-a").arg(&fixture).arg(cli.home.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let ledger = cli.home.path().join("data/migrations/131b2f0d-4694-4741-ae90-2037a7bb9150.json");
    assert!(ledger.is_file());

    // The first start carries it over and says so; what it names is flagged with the fix.
    let first = cli.run(&["deployment", "list"], None, &[]);
    let stderr = String::from_utf8_lossy(&first.stderr).to_string();
    assert!(first.status.success(), "{stderr}");
    assert!(
        stderr.contains("moved into the job journal") && stderr.contains("table \"bank$accounts\" on profile lite"),
        "{stderr}"
    );
    assert!(stderr.contains("quiesce migrate pg-single --cleanup --to STORAGE=lite"), "{stderr}");
    assert!(!ledger.exists(), "the ledger is carried over, not read again");
    let journals = || -> Vec<PathBuf> {
        files_under(&cli.home.path().join("data/jobs"))
            .into_iter()
            .filter(|f| f.extension().is_some_and(|e| e == "json"))
            .collect()
    };
    assert_eq!(journals().len(), 1);
    // Every later start still flags it (kept until dropped), and carries nothing twice.
    let second = cli.run(&["deployment", "list"], None, &[]);
    let stderr = String::from_utf8_lossy(&second.stderr).to_string();
    assert!(!stderr.contains("moved into the job journal") && stderr.contains("bank$accounts"), "{stderr}");
    assert_eq!(journals().len(), 1);

    // The profile pointed at a file holding those tables: --cleanup drops them and the journal.
    let file = cli.home.path().join("lite.sqlite");
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch(
            "CREATE TABLE \"bank$accounts\" (id INT); CREATE TABLE \"scalardb$metadata\" (x INT); CREATE TABLE keep (x INT);",
        )
        .unwrap();
    let out = cli.run(&["profile", "edit", "lite", "--path", &file.display().to_string()], None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (code, v) = cli.json(&["migrate", "pg-single", "--cleanup", "--to", "default=lite"], None, &[]);
    assert_eq!(code, 0, "{v}");
    let dropped: Vec<&str> = v["dropped"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert_eq!(dropped, ["table \"bank$accounts\" on profile lite", "table \"scalardb$metadata\" on profile lite"]);
    let left: Vec<String> = rusqlite::Connection::open(&file)
        .unwrap()
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(left, ["keep"], "only what the ledger named is dropped");
    assert!(journals().is_empty(), "the journal goes with its last object");
    let third = cli.run(&["deployment", "list"], None, &[]);
    assert!(!String::from_utf8_lossy(&third.stderr).contains("bank$accounts"));
}
