//! A secrets audit of real backups and restores: pg_dump, pg_restore, psql,
//! mariadb-dump and mariadb run through
//! wrappers that record their arguments and environment; afterwards the
//! password may appear in none of those records, in no file under Quiesce's
//! state, the runtime dir or /tmp, and not in what the CLI printed.

mod common;
use common::*;
use quiesce_testsupport::mariadb::MariaDbServer;
use quiesce_testsupport::postgres::PgServer;
use quiesce_testsupport::scalardb::{Engine, Layout};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// A wrapper that appends its argv and environment to `log`, then runs `real`.
fn wrapper(dir: &Path, name: &str, real: &Path, log: &Path) {
    let p = dir.join(name);
    std::fs::write(
        &p,
        format!(
            "#!/bin/sh\n{{ echo \"ARGV $0 $*\"; env; }} >> '{}'\nexec '{}' \"$@\"\n",
            log.display(),
            real.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Files (not sockets or devices) under `dir` that contain `needle`.
fn hits(dir: &Path, needle: &[u8], out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            // Build trees (a checkout under /tmp) hold nothing Quiesce writes and take minutes to read.
            let skip = ["target", "node_modules", ".git", ".cache"].iter().any(|n| e.file_name() == *n);
            if !skip {
                hits(&p, needle, out);
            }
        } else if ft.is_file() && e.metadata().map(|m| m.len() < (64 << 20)).unwrap_or(false) {
            if let Ok(b) = std::fs::read(&p) {
                if b.windows(needle.len()).any(|w| w == needle) {
                    out.push(p);
                }
            }
        }
    }
}

fn audit(cli: &Cli, password: &str, log: &Path, printed: &str) {
    let recorded = std::fs::read_to_string(log).unwrap_or_default();
    assert!(recorded.contains("ARGV"), "the wrappers were not used: the audit would prove nothing");
    assert!(!recorded.contains(password), "the password reached a tool's argv or environment");
    assert!(!printed.contains(password), "the CLI printed the password");
    let mut found = Vec::new();
    hits(cli.home.path(), password.as_bytes(), &mut found);
    hits(Path::new("/tmp"), password.as_bytes(), &mut found);
    if let Some(run) = std::env::var_os("XDG_RUNTIME_DIR") {
        hits(Path::new(&run), password.as_bytes(), &mut found);
    }
    assert!(found.is_empty(), "the password was found in {found:?}");
}

#[test]
fn postgres_and_mariadb_backups_leak_the_password_nowhere() {
    quiesce_testsupport::require_secret_service();
    let cli = Cli::new();
    let tools = tempfile::tempdir().unwrap();
    let log = tools.path().join("calls.log");
    let sfx = quiesce_testsupport::random_suffix();

    // PostgreSQL, as a role with its own password.
    let pg = PgServer::shared();
    let db = pg.create_database();
    pg.psql(&db, &Layout::standard().sql(Engine::Postgres, 5, 10));
    let pw = format!("AuditPw-{sfx}-pg");
    pg.psql("postgres", &format!("CREATE ROLE aud_{sfx} LOGIN SUPERUSER PASSWORD '{pw}'"));
    let pg_bin = quiesce_testsupport::postgres::default_bin_dir();
    for t in ["pg_dump", "pg_restore", "psql"] {
        wrapper(tools.path(), t, &pg_bin.join(t), &log);
    }
    let port = pg.port.to_string();
    let user = format!("aud_{sfx}");
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
        &user,
        "--database",
        &db,
        "--client-bin-dir",
        tools.path().to_str().unwrap(),
        "--password-stdin",
    ];
    let (status, v) = cli.json(&args, Some(&pw), &[]);
    assert_eq!(status, 0, "{v}");
    let props = tools.path().join("pg.properties");
    std::fs::write(&props, format!("scalar.db.storage=jdbc\nscalar.db.contact_points=jdbc:postgresql://127.0.0.1:{port}/{db}\nscalar.db.username={user}\n")).unwrap();
    let (status, v) = cli.json(&["deployment", "import", props.to_str().unwrap(), "--name", "pgd"], None, &[]);
    assert_eq!(status, 0, "{v}");
    assert_eq!(v["profiles"][0]["name"], "pg", "the import reuses the profile that holds the password");
    let out = cli.run(&["backup", "pgd"], None, &[("QUIESCE_LOG", "debug")]);
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("complete"), "{printed}");
    audit(&cli, &pw, &log, &printed);

    // Restored through the CLI into a database Quiesce creates, then verified.
    let (_, v) = cli.json(&["backups", "list"], None, &[]);
    let pg_id = v["backups"][0]["id"].as_str().unwrap().to_string();
    let db2 = format!("r_{sfx}");
    let mut args2: Vec<&str> = args.to_vec();
    args2[3] = "pg2";
    let i = args2.iter().position(|a| *a == db.as_str()).unwrap();
    args2[i] = &db2;
    let (status, v) = cli.json(&args2, Some(&pw), &[]);
    assert_eq!(status, 0, "{v}");
    let out = cli.run(&["restore", &pg_id, "--to", "pg2"], None, &[("QUIESCE_LOG", "debug")]);
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("no errors found"), "{printed}");
    assert!(std::fs::read_to_string(&log).unwrap().contains("pg_restore"), "the restore ran through the wrapper");
    audit(&cli, &pw, &log, &printed);
    let (status, v) = cli.json(&["verify", "pg2", "--backup", &pg_id], None, &[]);
    assert_eq!((status, v["verify"]["passed"].as_bool()), (0, Some(true)), "{v}");
    // A target that no longer matches the backup fails verification (exit status 30).
    pg.psql(&db2, "DELETE FROM bank.accounts WHERE account_id = 0");
    let (status, v) = cli.json(&["verify", "pg2", "--backup", &pg_id], None, &[]);
    assert_eq!((status, v["verify"]["passed"].as_bool()), (30, Some(false)), "{v}");
    // The backup's own files verify against its manifest.
    let (status, v) = cli.json(&["verify", &pg_id], None, &[]);
    assert_eq!(status, 0, "{v}");
    assert_eq!(v["integrity"]["problems"].as_array().unwrap().len(), 0, "{v}");

    // MariaDB, through mariadb-dump.
    let my = MariaDbServer::shared();
    let l = Layout::unique(&sfx);
    my.sql(&l.sql(Engine::Mysql, 5, 10));
    let mpw = format!("AuditPw-{sfx}-my");
    let muser = format!("aud{sfx}");
    my.sql(&format!("CREATE USER '{muser}'@'%' IDENTIFIED BY '{mpw}'; GRANT ALL ON *.* TO '{muser}'@'%';"));
    let real = quiesce_testsupport::find_program("mariadb-dump", &[]).expect("mariadb-dump");
    wrapper(tools.path(), "mariadb-dump", &real, &log);
    let client = quiesce_testsupport::find_program("mariadb", &[]).expect("mariadb");
    wrapper(tools.path(), "mariadb", &client, &log);
    let mport = my.port.to_string();
    let props = tools.path().join("my.properties");
    std::fs::write(
        &props,
        format!(
            "scalar.db.storage=jdbc\nscalar.db.contact_points=jdbc:mariadb://127.0.0.1:{mport}/\nscalar.db.username={muser}\nscalar.db.password={mpw}\nscalar.db.consensus_commit.coordinator.namespace={}\nscalar.db.system_namespace_name={}\n",
            l.coordinator, l.system
        ),
    )
    .unwrap();
    let (status, v) = cli.json(&["deployment", "import", props.to_str().unwrap(), "--name", "myd"], None, &[]);
    assert_eq!(status, 0, "{v}");
    let pname = v["profiles"][0]["name"].as_str().unwrap().to_string();
    let (status, v) =
        cli.json(&["profile", "edit", &pname, "--client-bin-dir", tools.path().to_str().unwrap()], None, &[]);
    assert_eq!(status, 0, "{v}");
    // The user's own properties file holds the password; it is theirs, not Quiesce's.
    std::fs::remove_file(&props).unwrap();
    let out = cli.run(&["backup", "myd"], None, &[("QUIESCE_LOG", "debug")]);
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{printed}");
    assert!(std::fs::read_to_string(&log).unwrap().contains("mariadb-dump"));
    audit(&cli, &mpw, &log, &printed);

    // Restored over itself: refused without --replace, then replaced.
    let (_, v) = cli.json(&["backups", "list"], None, &[]);
    let my_id = v["backups"].as_array().unwrap().iter().find(|b| b["deployment"] == "myd").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, v) = cli.json(&["restore", &my_id, "--to", &pname], None, &[]);
    assert_eq!((status, v["error"]["code"].as_str()), (26, Some("not_empty")), "{v}");
    let out = cli.run(&["restore", &my_id, "--to", &pname, "--replace"], None, &[("QUIESCE_LOG", "debug")]);
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{printed}");
    assert!(
        std::fs::read_to_string(&log).unwrap().contains("ARGV") && printed.contains("no errors found"),
        "{printed}"
    );
    audit(&cli, &mpw, &log, &printed);

    // The catalog lists both, from the folders.
    let (_, v) = cli.json(&["backups", "list"], None, &[]);
    assert_eq!(v["backups"].as_array().unwrap().len(), 2, "{v}");
    for d in ["pgd", "myd"] {
        let _ = cli.json(&["deployment", "remove", d], None, &[]);
    }
    for p in ["pg", "pg2", &pname] {
        let _ = cli.json(&["profile", "remove", p], None, &[]);
    }
}

/// Every process below `root` now (by parent pid): (pid, command line, environment).
fn descendants(root: u32) -> Vec<(u32, String, Vec<u8>)> {
    let mut parent = std::collections::HashMap::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else { continue };
        let ppid = stat.rsplit_once(") ").and_then(|(_, r)| r.split_whitespace().nth(1)?.parse::<u32>().ok());
        if let Some(pp) = ppid {
            parent.insert(pid, pp);
        }
    }
    let below = |mut p: u32| {
        while let Some(&pp) = parent.get(&p) {
            if pp == root {
                return true;
            }
            if pp <= 1 {
                return false;
            }
            p = pp;
        }
        false
    };
    parent
        .keys()
        .filter(|p| below(**p))
        .filter_map(|p| {
            // A child between fork and exec still has the CLI's image and
            // environment: skipped, its image read before its environment
            // (an exec in between then shows the tool's own).
            let exe = std::fs::read_link(format!("/proc/{p}/exe")).ok()?;
            if exe == Path::new(env!("CARGO_BIN_EXE_quiesce")) {
                return None;
            }
            let cmd = std::fs::read(format!("/proc/{p}/cmdline")).ok()?;
            let env = std::fs::read(format!("/proc/{p}/environ")).ok()?;
            Some((*p, String::from_utf8_lossy(&cmd).replace('\0', " "), env))
        })
        .collect()
}

#[test]
fn a_password_env_secret_reaches_no_child_process_and_no_kept_hook_output() {
    let cli = Cli::new();
    let sfx = quiesce_testsupport::random_suffix();
    let pg = PgServer::shared();
    let db = pg.create_database();
    let l = Layout { with_coordinator: false, ..Layout::standard() };
    pg.psql(&db, &l.sql(Engine::Postgres, 5, 10));
    // Enough rows that pg_dump and zstd run long enough to be seen.
    pg.psql(&db, "INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, g, repeat(md5(g::text), 4), 3 FROM generate_series(1, 300000) g");
    let lite = cli.home.path().join("coord.sqlite");
    rusqlite::Connection::open(&lite)
        .unwrap()
        .execute_batch(
            "CREATE TABLE \"scalardb$metadata\" (full_table_name TEXT, column_name TEXT, data_type TEXT NOT NULL, key_type TEXT, clustering_order TEXT, indexed BOOLEAN NOT NULL, ordinal_position INTEGER NOT NULL, PRIMARY KEY (full_table_name, column_name));
             CREATE TABLE \"coordinator$state\" (tx_id TEXT, tx_state INT NOT NULL, tx_created_at BIGINT NOT NULL, tx_child_ids TEXT, PRIMARY KEY (tx_id));",
        )
        .unwrap();
    let port = pg.port.to_string();
    for args in [
        vec![
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
            quiesce_testsupport::postgres::SUPERUSER,
            "--database",
            &db,
        ],
        vec!["profile", "add", "--name", "lite", "--kind", "sqlite", "--path", lite.to_str().unwrap()],
    ] {
        let (status, v) = cli.json(&args, None, &[]);
        assert_eq!(status, 0, "{v}");
    }
    // A hook that prints its environment, and a secret it found elsewhere.
    let dir = tempfile::tempdir().unwrap();
    let leaked = dir.path().join("found");
    std::fs::write(&leaked, &pg.password).unwrap();
    let hook =
        script(dir.path(), "printenv.sh", &format!("env\necho \"found: $(cat '{}')\"\nsleep 0.3", leaked.display()));
    let node = quiesce_testsupport::admin::AdminServer::start(None);
    let hook_arg = format!("pg={} {{tag}}", hook.display());
    let (status, v) = cli.json(
        &[
            "deployment",
            "create",
            "d",
            "--storage",
            "pg=pg",
            "--storage",
            "lite=lite",
            "--map",
            "coordinator=lite",
            "--default-storage",
            "pg",
            "--admin-endpoint",
            &node.endpoint(),
            "--pause-hook",
            &hook_arg,
        ],
        None,
        &[],
    );
    assert_eq!(status, 0, "{v}");
    let var = format!("QZ_AUDIT_{sfx}");
    let mut child = cli
        .cmd()
        .args(["backup", "d", "--password-env", &format!("pg={var}"), "--json"])
        .env(&var, &pg.password)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (mut seen, mut leaks) = (std::collections::BTreeMap::new(), std::collections::BTreeSet::new());
    while child.try_wait().unwrap().is_none() {
        for (pid, cmd, env) in descendants(child.id()) {
            if env.windows(pg.password.len()).any(|w| w == pg.password.as_bytes()) {
                leaks.insert(cmd.clone());
            }
            seen.insert(pid, cmd);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    let out = child.wait_with_output().unwrap();
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{printed}");
    let names: Vec<&String> = seen.values().collect();
    for want in ["quiesce-watchdog", "printenv.sh", "pg_dump", "zstd"] {
        assert!(names.iter().any(|c| c.contains(want)), "{want} was never seen running: {names:?}");
    }
    assert!(leaks.is_empty(), "the password was in the environment of {leaks:?}");
    assert!(!printed.contains(&pg.password), "the CLI printed the password");
    // The hook's kept output: its environment without the variable, the secret it found cut out.
    let window = common::all_files(&cli.home.path().join("data/backups"))
        .into_iter()
        .find(|f| f.to_string_lossy().ends_with(".window.json"))
        .expect("the window");
    let text = std::fs::read_to_string(window).unwrap();
    assert!(!text.contains(&pg.password) && !text.contains(&var), "{text}");
    assert!(text.contains("found: [redacted]") && text.contains("PATH="), "{text}");
}
