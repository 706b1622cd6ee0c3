//! `quiesce pause | nodes | unpause` through the real binary against test
//! Scalar Admin nodes speaking the wire contract over a real gate: the
//! outcomes, that no node ends paused (but the one an earlier request still
//! holds, untouched), the window's times, and a CLI killed mid-pause whose
//! watchdog unpauses every node without anyone starting Quiesce again.

mod common;
use common::*;
use quiesce_testsupport::admin::{AdminServer, Fault, ServerTls};
use serde_json::Value;
use std::time::{Duration, Instant};

/// A deployment on one SQLite file whose nodes are `nodes`.
fn deployment(cli: &Cli, nodes: &[&AdminServer], extra: &[&str]) {
    let file = cli.home.path().join("app.sqlite");
    rusqlite::Connection::open(&file).unwrap().execute_batch("CREATE TABLE t (x INT)").unwrap();
    let out = cli.run(
        &["profile", "add", "--name", "lite", "--kind", "sqlite", "--path", &file.display().to_string()],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut args = vec!["deployment".to_string(), "create".into(), "d".into(), "--storage".into(), "lite".into()];
    for n in nodes {
        args.push("--admin-endpoint".into());
        args.push(n.endpoint());
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = cli.run(&a, None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn pause(cli: &Cli, args: &[&str]) -> (i32, Value) {
    let mut a = vec!["pause", "d"];
    a.extend_from_slice(args);
    cli.json(&a, None, &[])
}

fn calls(s: &AdminServer, m: &str) -> usize {
    s.node.count(m)
}

#[test]
fn a_pause_holds_every_node_for_the_window_and_keeps_it_as_a_restore_point() {
    let (a, b) = (AdminServer::start(None), AdminServer::start(None));
    let cli = Cli::new();
    deployment(&cli, &[&a, &b], &[]);
    // A transaction in flight when the pause starts: the pause waits for it.
    let tx = a.node.enter().unwrap();
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        drop(tx);
    });
    let t0 = chrono::Utc::now();
    let (code, w) = pause(&cli, &["--min", "700ms"]);
    releaser.join().unwrap();
    assert_eq!(code, 0, "{w}");
    assert_eq!(w["status"], "ok", "{w}");
    assert_eq!(w["safe"], true);
    let (start, end) = (w["pause_start_timestamp_ms"].as_i64().unwrap(), w["pause_end_timestamp_ms"].as_i64().unwrap());
    assert!(start >= t0.timestamp_millis() + 350, "the window starts after the transaction drained");
    assert!(end - start >= 700, "held at least --min: {}", end - start);
    let rp = w["restore_point_ms"].as_i64().unwrap();
    assert!(start < rp && rp < end, "the restore point is inside the window");
    assert!(
        w["pause_start_date_time"].as_str().unwrap().contains('+')
            || w["pause_start_date_time"].as_str().unwrap().ends_with('Z')
            || w["pause_start_date_time"].as_str().unwrap().contains("-0"),
        "an offset: {w}"
    );
    for s in [&a, &b] {
        assert!(!s.node.is_paused(), "no node ends paused");
        assert_eq!(calls(s, "pause"), 1);
        assert!(s.node.calls().iter().any(|c| c.wait_outstanding == Some(true)));
        let iv = s.node.intervals();
        assert_eq!(iv.len(), 1);
        assert!(iv[0].1.is_some());
    }
    // A restore point (not a backup), and in the history.
    let (_, list) = cli.json(&["backups", "list"], None, &[]);
    assert!(list["backups"].as_array().unwrap().is_empty(), "a window listed as a backup: {list}");
    assert_eq!(list["pause_windows"], 1, "{list}");
    let (_, points) = cli.json(&["points", "d"], None, &[]);
    let entry = points["timeline"]["windows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == w["id"])
        .expect("the window is a point");
    assert_eq!(entry["status"], "ok");
    assert_eq!(entry["point_ms"], w["restore_point_ms"]);
    // Its id given to restore says what it is and what to do.
    let (code, v) = cli.json(&["restore", w["id"].as_str().unwrap(), "--to", "x"], None, &[]);
    assert_ne!(code, 0);
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("is a pause window") && msg.contains("quiesce runbook d --at"), "{msg}");
    let (_, h) = cli.json(&["history"], None, &[]);
    let ops = h["operations"].as_array().unwrap();
    assert!(ops.iter().any(|o| o["op"] == "pause" && o["outcome"] == "ok" && o["entry"] == w["id"]), "{h}");
    let (code, n) = cli.json(&["nodes", "d"], None, &[]);
    assert_eq!(code, 0);
    assert_eq!(n["nodes"].as_array().unwrap().len(), 2);
    assert!(n["nodes"].as_array().unwrap().iter().all(|x| x["paused"] == false), "{n}");
}

#[test]
fn a_node_that_refuses_fails_the_pause_and_every_other_node_is_unpaused() {
    let (good, bad) = (AdminServer::start(None), AdminServer::start(Some(Fault::Refuse)));
    let cli = Cli::new();
    deployment(&cli, &[&good, &bad], &[]);
    let (code, v) = pause(&cli, &["--min", "0s"]);
    assert_ne!(code, 0);
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("The pause failed") && msg.contains(&bad.endpoint()) && msg.contains("failed_precondition"),
        "{msg}"
    );
    assert!(msg.contains(&format!("{}: unpaused", good.endpoint())), "{msg}");
    assert!(!good.node.is_paused() && !bad.node.is_paused());
    assert_eq!(good.node.intervals().len(), 1, "it was paused, then unpaused");
    let (_, points) = cli.json(&["points", "d"], None, &[]);
    let w = &points["timeline"]["windows"][0];
    assert_eq!(w["status"], "failed", "a failed window is kept: {w}");
}

#[test]
fn aborted_is_retried_and_the_pause_succeeds() {
    let (a, b) = (AdminServer::start(Some(Fault::AbortedOnce)), AdminServer::start(None));
    let cli = Cli::new();
    deployment(&cli, &[&a, &b], &[]);
    let (code, w) = pause(&cli, &["--min", "0s"]);
    assert_eq!(code, 0, "{w}");
    let node = w["nodes"].as_array().unwrap().iter().find(|n| n["node"]["addr"] == a.endpoint()).unwrap().clone();
    assert_eq!(node["attempts"], 2, "{node}");
    assert_eq!(calls(&a, "pause"), 2);
    assert!(!a.node.is_paused() && !b.node.is_paused());
}

#[test]
fn a_node_still_held_by_an_earlier_request_is_not_unpaused_and_the_rest_are() {
    let (held, good) = (AdminServer::start(Some(Fault::TimedOutStillPaused)), AdminServer::start(None));
    let cli = Cli::new();
    deployment(&cli, &[&held, &good], &[]);
    let (code, v) = pause(&cli, &["--min", "0s"]);
    assert_ne!(code, 0);
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("TIMED_OUT_STILL_PAUSED") && msg.contains("left paused"), "{msg}");
    assert!(held.node.is_paused(), "the earlier request's pause is untouched");
    assert_eq!(calls(&held, "unpause"), 0, "no recovery Unpause to a node an earlier request holds");
    assert!(!good.node.is_paused());
}

#[test]
fn a_node_that_never_answers_is_given_up_at_its_deadline_and_the_others_are_unpaused() {
    let (hung, good) = (AdminServer::start(Some(Fault::Hang)), AdminServer::start(None));
    let cli = Cli::new();
    deployment(&cli, &[&hung, &good], &[]);
    let t = Instant::now();
    let (code, v) = pause(&cli, &["--min", "0s", "--max-wait", "500ms"]);
    let took = t.elapsed();
    assert_eq!(code, quiesce_engine::ErrorCode::Timeout.exit_code(), "{v}");
    assert!(took < Duration::from_secs(12), "bounded by max-wait + 5 s: {took:?}");
    assert!(v["error"]["message"].as_str().unwrap().contains("deadline"), "{v}");
    assert!(!good.node.is_paused() && !hung.node.is_paused());
}

#[test]
fn a_node_that_unpauses_by_itself_makes_the_window_unsafe() {
    let (flaky, good) =
        (AdminServer::start(Some(Fault::UnpauseAfter(Duration::from_millis(300)))), AdminServer::start(None));
    let cli = Cli::new();
    deployment(&cli, &[&flaky, &good], &[]);
    let (code, w) = pause(&cli, &["--min", "1200ms"]);
    assert_eq!(code, 31, "an unsafe window is not a success: {w}");
    assert_eq!(w["status"], "unsafe");
    assert_eq!(w["safe"], false);
    assert!(w["restore_point"].is_null(), "never offered as a restore point");
    assert!(w["problems"][0].as_str().unwrap().contains("found unpaused"), "{w}");
    assert!(!good.node.is_paused());
}

#[test]
fn an_unreachable_node_or_one_paused_by_someone_else_stops_the_pause_before_anything_is_paused() {
    let good = AdminServer::start(None);
    let dead = AdminServer::start(None);
    let dead_endpoint = dead.endpoint();
    drop(dead);
    let cli = Cli::new();
    let file = cli.home.path().join("app.sqlite");
    rusqlite::Connection::open(&file).unwrap().execute_batch("CREATE TABLE t (x INT)").unwrap();
    cli.run(
        &["profile", "add", "--name", "lite", "--kind", "sqlite", "--path", &file.display().to_string()],
        None,
        &[],
    );
    let e1 = good.endpoint();
    let out = cli.run(
        &[
            "deployment",
            "create",
            "d",
            "--storage",
            "lite",
            "--admin-endpoint",
            &e1,
            "--admin-endpoint",
            &dead_endpoint,
        ],
        None,
        &[],
    );
    assert!(out.status.success());
    let (code, v) = pause(&cli, &["--min", "0s"]);
    assert_ne!(code, 0);
    assert!(v["error"]["message"].as_str().unwrap().contains("nothing was paused"), "{v}");
    assert_eq!(calls(&good, "pause"), 0);
    // Someone else holds a pause: refused, named, never unpaused.
    let other = AdminServer::start(Some(Fault::AlreadyPaused));
    let cli = Cli::new();
    deployment(&cli, &[&good, &other], &[]);
    let (code, v) = pause(&cli, &["--min", "0s"]);
    assert_eq!(code, quiesce_engine::ErrorCode::Busy.exit_code(), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains(&other.endpoint()), "{v}");
    assert!(other.node.is_paused() && calls(&other, "unpause") == 0 && calls(&good, "pause") == 0);
}

#[test]
fn ipv6_and_tls_with_an_authority_override() {
    let v6 = AdminServer::start_on("[::1]:0".parse().unwrap(), None, None);
    let cli = Cli::new();
    deployment(&cli, &[&v6], &[]);
    let (code, w) = pause(&cli, &["--min", "0s"]);
    assert_eq!(code, 0, "{w}");
    assert!(w["nodes"][0]["node"]["addr"].as_str().unwrap().starts_with("[::1]:"));
    let dir = tempfile::tempdir().unwrap();
    let m = quiesce_testsupport::tls::TlsMaterial::generate(dir.path());
    let tls =
        ServerTls { cert_pem: std::fs::read(&m.server_cert).unwrap(), key_pem: std::fs::read(&m.server_key).unwrap() };
    let s = AdminServer::start_on("127.0.0.1:0".parse().unwrap(), None, Some(tls));
    let cli = Cli::new();
    let ca = m.ca_cert.display().to_string();
    deployment(&cli, &[&s], &["--admin-tls", "true", "--admin-ca", &ca, "--admin-authority", "localhost"]);
    let (code, w) = pause(&cli, &["--min", "0s"]);
    assert_eq!(code, 0, "{w}");
    assert_eq!(calls(&s, "pause"), 1);
    assert!(!s.node.is_paused());
}

#[test]
fn a_cli_killed_mid_pause_has_its_nodes_unpaused_by_the_watchdog_and_the_next_start_reports_it() {
    let (a, b) = (AdminServer::start(None), AdminServer::start(None));
    let cli = Cli::new();
    deployment(&cli, &[&a, &b], &[]);
    let mut child = cli
        .cmd()
        .args(["pause", "d", "--min", "60s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !(a.node.is_paused() && b.node.is_paused()) {
        assert!(t.elapsed() < Duration::from_secs(20), "the nodes were never paused");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no cleanup of its own
    child.wait().unwrap();
    let killed = Instant::now();
    while a.node.is_paused() || b.node.is_paused() {
        assert!(killed.elapsed() < Duration::from_secs(10), "the watchdog did not unpause within 10 s");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(calls(&a, "unpause") >= 1 && calls(&b, "unpause") >= 1);
    // The watchdog notes what it did in the killed pauser's journal.
    let jobs = cli.home.path().join("data/jobs");
    let noted = || {
        std::fs::read_dir(&jobs).into_iter().flatten().flatten().any(|f| {
            let v: Value =
                std::fs::read(f.path()).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
            v["owned"]
                .as_array()
                .is_some_and(|o| o.iter().any(|x| x["watchdog"].as_str().is_some_and(|w| w.contains("unpaused"))))
        })
    };
    while !noted() {
        assert!(killed.elapsed() < Duration::from_secs(10), "the watchdog left no note");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The next command (any) reports the closed entry, once.
    let out = cli.run(&["nodes", "d"], None, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the pause of deployment d") && stderr.contains("watchdog ended it"), "{stderr}");
    let again = cli.run(&["nodes", "d"], None, &[]);
    assert!(!String::from_utf8_lossy(&again.stderr).contains("the pause of deployment d"));
    let (_, h) = cli.json(&["history"], None, &[]);
    assert!(h["operations"].as_array().unwrap().iter().any(|o| o["op"] == "unpause_recovery"), "{h}");
}

#[test]
fn in_pause_hooks_run_inside_the_window_with_its_tag_and_a_failing_one_fails_it() {
    let node = AdminServer::start(None);
    let cli = Cli::new();
    let dir = cli.home.path().join("hooks");
    let stamp = dir.join("ran-at");
    let ok = script(&dir, "snapshot.sh", &format!("date +%s%3N > '{}'\necho \"snapshot $1 created\"", stamp.display()));
    let bad = script(&dir, "broken.sh", "echo 'ybm: not logged in' >&2\nexit 3");
    let hook = format!("default={} {{tag}}", ok.display());
    deployment(&cli, &[&node], &["--pause-hook", &hook]);
    // Shown in the plan.
    let (_, plan) = cli.json(&["plan", "d"], None, &[]);
    assert!(plan["plan"]["warnings"].as_array().unwrap().iter().any(|w| w["code"] == "pause_hook"), "{plan}");
    let (code, w) = pause(&cli, &["--min", "300ms"]);
    assert_eq!(code, 0, "{w}");
    let h = &w["hooks"][0];
    assert_eq!(h["ok"], true, "{w}");
    let tag = h["tag"].as_str().unwrap();
    assert!(
        tag.starts_with("quiesce-") && h["output"].as_str().unwrap().contains(&format!("snapshot {tag} created")),
        "{h}"
    );
    let ran: i64 = std::fs::read_to_string(&stamp).unwrap().trim().parse().unwrap();
    let (s, e) = (w["pause_start_timestamp_ms"].as_i64().unwrap(), w["pause_end_timestamp_ms"].as_i64().unwrap());
    assert!(s <= ran && ran <= e, "the hook ran inside the window: {s} <= {ran} <= {e}");
    // A failing hook: the window is failed, never a restore point, and the node is unpaused.
    let out = cli.run(&["deployment", "edit", "d", "--pause-hook", &format!("default={}", bad.display())], None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (code, w) = pause(&cli, &["--min", "0s"]);
    assert_eq!(code, 31, "{w}");
    assert_eq!(w["status"], "failed");
    assert!(w["restore_point"].is_null());
    assert!(
        w["problems"][0].as_str().unwrap().contains("exit status 3")
            && w["problems"][0].as_str().unwrap().contains("not logged in"),
        "{w}"
    );
    assert!(!node.node.is_paused());
}

#[test]
fn a_second_pauser_on_this_machine_is_refused_naming_the_first_and_the_first_is_untouched() {
    let node = AdminServer::start(None);
    let cli = Cli::new();
    deployment(&cli, &[&node], &[]);
    let first = cli
        .cmd()
        .args(["pause", "d", "--min", "3s", "--json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !node.node.is_paused() {
        assert!(t.elapsed() < Duration::from_secs(20), "the node was never paused");
        std::thread::sleep(Duration::from_millis(20));
    }
    // Another process (the app or a CLI on the same state): refused with who
    // holds the node, before asking anything of it; an operator's unpause too.
    let (code, v) = pause(&cli, &["--min", "0s"]);
    assert_eq!(code, quiesce_engine::ErrorCode::Busy.exit_code(), "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("is being paused by") && msg.contains(&format!("process {}", first.id())), "{msg}");
    let (code, v) = cli.json(&["unpause", "d"], None, &[]);
    assert_eq!(code, quiesce_engine::ErrorCode::Busy.exit_code(), "{v}");
    assert!(node.node.is_paused(), "the first pause still holds");
    assert_eq!((calls(&node, "pause"), calls(&node, "unpause")), (1, 0));
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success());
    let w: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(w["status"], "ok", "{w}");
    assert!(!node.node.is_paused());
}

#[test]
fn a_name_that_resolves_to_several_addresses_is_one_node_per_address() {
    // A Kubernetes headless service: one name, a record per pod. The seam is
    // a private /etc/hosts bind-mounted in a mount namespace of the CLI's own
    // (a user namespace too when not root), so the real resolver reads it.
    let a = AdminServer::start(None);
    let port = a.addr.port();
    let b = AdminServer::start_on(format!("127.0.0.2:{port}").parse().unwrap(), None, None);
    let cli = Cli::new();
    let file = cli.home.path().join("app.sqlite");
    rusqlite::Connection::open(&file).unwrap().execute_batch("CREATE TABLE t (x INT)").unwrap();
    let hosts = cli.home.path().join("hosts");
    std::fs::write(&hosts, "127.0.0.1 localhost\n127.0.0.1 scalardb-headless\n127.0.0.2 scalardb-headless\n").unwrap();
    let endpoint = format!("scalardb-headless:{port}");
    let in_ns = |args: &[&str]| -> (i32, Value) {
        let mut c = std::process::Command::new("unshare");
        // Root (as CI runs) needs no user namespace; the effective uid from /proc.
        let root = std::fs::read_to_string("/proc/self/status")
            .unwrap()
            .lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(2) == Some("0"));
        if !root {
            c.args(["--user", "--map-root-user"]);
        }
        c.args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            "mount --bind \"$1\" /etc/hosts && shift && exec \"$@\"",
            "sh",
        ])
        .arg(&hosts)
        .arg(env!("CARGO_BIN_EXE_quiesce"))
        .args(args)
        .arg("--json")
        .env("QUIESCE_HOME", cli.home.path())
        .env_remove("QUIESCE_LOG");
        let out = c.output().expect("unshare (util-linux) runs");
        let v: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
        (out.status.code().unwrap(), v)
    };
    for args in [
        vec!["profile", "add", "--name", "lite", "--kind", "sqlite", "--path", file.to_str().unwrap()],
        vec!["deployment", "create", "d", "--storage", "lite", "--admin-endpoint", &endpoint],
    ] {
        let (code, v) = cli.json(&args, None, &[]);
        assert_eq!(code, 0, "{v}");
    }
    // Outside the namespace the name does not resolve: the seam is what resolves it.
    let (code, _) = cli.json(&["nodes", "d"], None, &[]);
    assert_ne!(code, 0, "scalardb-headless resolved without the private hosts file");
    let (code, v) = in_ns(&["nodes", "d"]);
    assert_eq!(code, 0, "{v}");
    let states = v["nodes"].as_array().unwrap();
    assert!(
        states.len() == 2 && states.iter().all(|n| n["paused"] == false && n["node"]["host"] == "scalardb-headless"),
        "{v}"
    );
    let (code, w) = in_ns(&["pause", "d", "--min", "200ms"]);
    assert_eq!(code, 0, "{w}");
    let mut addrs: Vec<String> =
        w["nodes"].as_array().unwrap().iter().map(|n| n["node"]["addr"].as_str().unwrap().to_string()).collect();
    addrs.sort();
    assert_eq!(addrs, [format!("127.0.0.1:{port}"), format!("127.0.0.2:{port}")], "{w}");
    assert_eq!((calls(&a, "pause"), calls(&b, "pause")), (1, 1));
    assert!(!a.node.is_paused() && !b.node.is_paused());
}

/// Sends `sig` (e.g. "STOP") to process `pid`.
fn signal(pid: &str, sig: &str) {
    assert!(std::process::Command::new("kill").arg(format!("-{sig}")).arg(pid).status().unwrap().success());
}

/// Waits until `node` is unpaused, at most `within` (else fails saying `why`).
fn wait_unpaused(node: &AdminServer, within: Duration, why: &str) {
    let t = Instant::now();
    while node.node.is_paused() {
        assert!(t.elapsed() < within, "{why}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A process that runs (a killed one its parent has not reaped yet is a zombie: not alive).
fn alive(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        let state = s.rsplit_once(") ").map(|(_, rest)| rest.chars().next()).unwrap_or_default();
        state != Some('Z') && state != Some('X')
    })
}

/// The journal entry a killed pauser's watchdog noted, once it has.
fn watchdog_note(cli: &Cli, within: Duration) -> String {
    let jobs = cli.home.path().join("data/jobs");
    let t = Instant::now();
    loop {
        for f in std::fs::read_dir(&jobs).into_iter().flatten().flatten() {
            let v: Value =
                std::fs::read(f.path()).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
            for o in v["owned"].as_array().into_iter().flatten() {
                if let Some(w) = o["watchdog"].as_str() {
                    return w.to_string();
                }
            }
        }
        assert!(t.elapsed() < within, "the watchdog left no note within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `quiesce pause d` in the background, once every node of `nodes` is paused.
fn pausing(cli: &Cli, nodes: &[&AdminServer], args: &[&str]) -> std::process::Child {
    let mut a = vec!["pause", "d"];
    a.extend_from_slice(args);
    a.push("--json");
    let child =
        cli.cmd().args(&a).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    // Paused, and confirmed: every node asked CheckPaused after its Pause
    // (before, the pauser is still starting its pause, not holding it).
    let t = Instant::now();
    while !nodes.iter().all(|n| {
        let calls = n.node.calls();
        let paused_at = calls.iter().position(|c| c.method == "pause");
        n.node.is_paused() && paused_at.is_some_and(|i| calls[i..].iter().any(|c| c.method == "check"))
    }) {
        assert!(t.elapsed() < Duration::from_secs(20), "the nodes were never paused");
        std::thread::sleep(Duration::from_millis(10));
    }
    child
}

#[test]
fn after_kill_9_the_watchdog_unpauses_the_healthy_nodes_before_a_hung_one_times_out_and_still_unpauses_the_hung_one() {
    let (a, b, hung) = (AdminServer::start(None), AdminServer::start(None), AdminServer::start(None));
    let cli = Cli::new();
    deployment(&cli, &[&a, &b, &hung], &[]);
    let mut child = pausing(&cli, &[&a, &b, &hung], &["--min", "60s"]);
    // Mid-pause, one node stops answering CheckPaused (Unpause still works).
    hung.node.set_fault(Some(Fault::CheckHangs));
    let killed = Instant::now();
    child.kill().unwrap();
    child.wait().unwrap();
    while a.node.is_paused() || b.node.is_paused() {
        assert!(killed.elapsed() < Duration::from_secs(30), "the healthy nodes were never unpaused");
        std::thread::sleep(Duration::from_millis(10));
    }
    // Each healthy node was unpaused before the hung node's first CheckPaused
    // could even time out (its call deadline is 2 s): one hung node does not
    // hold the others paused.
    let asked = hung.node.first_call("check", killed).expect("the watchdog asked the hung node");
    for n in [&a, &b] {
        let unpaused = n.node.intervals()[0].1.expect("unpaused");
        assert!(unpaused < asked + Duration::from_secs(2), "a healthy node waited for the hung one");
    }
    // The hung node gets its Unpause anyway, and is recorded as unknown, never "unpaused".
    let note = watchdog_note(&cli, Duration::from_secs(30));
    // The watchdog holds the dead pauser's journal lock until it exits, just after its note.
    let t = Instant::now();
    while std::fs::read_dir(cli.home.path().join("data/jobs")).unwrap().flatten().any(|f| {
        f.path().extension().is_some_and(|e| e == "lock")
            && std::fs::OpenOptions::new().write(true).open(f.path()).is_ok_and(|l| l.try_lock().is_err())
    }) {
        assert!(t.elapsed() < Duration::from_secs(10), "the watchdog kept the journal's lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(hung.node.count("unpause") >= 1, "no Unpause was sent to the node whose state was unknown");
    assert!(!hung.node.is_paused(), "the hung node is still paused");
    assert!(note.contains(&format!("{}: state UNKNOWN", hung.endpoint())), "{note}");
    assert!(note.contains(&format!("{}: unpaused", a.endpoint())), "{note}");
    // The next command's recovery tries again within a few seconds (not 70),
    // and the history says "failed", not "ok".
    let t = Instant::now();
    let out = cli.run(&["profile", "list"], None, &[]);
    let took = t.elapsed();
    assert!(out.status.success());
    assert!(took < Duration::from_secs(8), "the start-up recovery held the command {took:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("the pause of deployment d") && stderr.contains("UNKNOWN"), "{stderr}");
    let (_, h) = cli.json(&["history"], None, &[]);
    let rec = h["operations"].as_array().unwrap().iter().find(|o| o["op"] == "unpause_recovery").cloned();
    assert_eq!(rec.expect("recorded")["outcome"], "failed", "{h}");
}

#[test]
fn an_operators_unpause_sends_unpause_to_a_node_whose_state_cannot_be_read_and_never_records_ok() {
    let (left, good) = (AdminServer::start(Some(Fault::AlreadyPaused)), AdminServer::start(None));
    left.node.set_fault(Some(Fault::CheckFails));
    let cli = Cli::new();
    deployment(&cli, &[&left, &good], &[]);
    let _ = cli.json(&["unpause", "d"], None, &[]);
    assert!(left.node.count("unpause") >= 1, "no Unpause was sent to the node whose CheckPaused fails");
    assert!(!left.node.is_paused(), "the node left paused is unpaused");
    let (_, h) = cli.json(&["history"], None, &[]);
    let op = h["operations"].as_array().unwrap().iter().find(|o| o["op"] == "unpause").cloned().expect("recorded");
    assert_eq!(op["outcome"], "failed", "{op}");
    assert!(op["what"].as_str().unwrap().contains("UNKNOWN"), "{op}");
}

#[test]
fn a_pauser_stopped_with_ctrl_z_is_treated_as_dead_and_its_window_is_never_a_restore_point() {
    let node = AdminServer::start(None);
    let cli = Cli::new();
    deployment(&cli, &[&node], &[]);
    let child = pausing(&cli, &[&node], &["--min", "8s"]);
    let pid = child.id().to_string();
    // What Ctrl+Z does; SIGSTOP because the kernel drops SIGTSTP sent to a
    // process of an orphaned process group (as a test runner's child may be).
    signal(&pid, "STOP");
    // The lease lapses: the watchdog unpauses while the pauser is still stopped.
    wait_unpaused(&node, Duration::from_secs(20), "a stopped pauser kept the node paused");
    let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    assert!(state.split_whitespace().nth(2) == Some("T"), "the pauser was not stopped: {state}");
    signal(&pid, "CONT");
    let out = child.wait_with_output().unwrap();
    let w: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(out.status.code(), Some(0), "{w}");
    assert_eq!(w["status"], "failed", "{w}");
    assert_eq!(w["safe"], false);
    assert!(w["restore_point"].is_null(), "{w}");
    assert!(w["problems"][0].as_str().unwrap().contains("stopped or frozen"), "{w}");
}

#[test]
fn a_pause_that_cannot_fit_its_maximum_is_refused_before_any_node_is_asked() {
    let node = AdminServer::start(None);
    let cli = Cli::new();
    deployment(&cli, &[&node], &["--max-pause", "2s"]);
    let (code, v) = pause(&cli, &["--min", "5s"]);
    assert_eq!(code, quiesce_engine::ErrorCode::InvalidInput.exit_code(), "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("maximum pause") && msg.contains("--max-pause") && msg.contains("nothing was paused"),
        "{msg}"
    );
    // An in-pause hook that may run longer than what the pause has left: refused too.
    let out = cli.run(
        &["deployment", "edit", "d", "--max-pause", "10s", "--hook-limit", "8s", "--pause-hook", "default=/bin/true"],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, v) = pause(&cli, &["--min", "5s"]);
    assert!(v["error"]["message"].as_str().unwrap().contains("--hook-limit"), "{v}");
    let (_, v) = pause(&cli, &["--min", "0s", "--max-wait", "10m"]);
    assert!(v["error"]["message"].as_str().unwrap().contains("--max-wait"), "{v}");
    assert_eq!(node.node.count("pause") + node.node.count("check"), 0, "a node was asked something");
    // A hook limit over the maximum pause is refused when saved.
    let out = cli.run(&["deployment", "edit", "d", "--hook-limit", "20s"], None, &[]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("hook limit"));
}

#[test]
fn a_hook_that_leaves_a_child_behind_does_not_hold_the_pause_and_one_past_its_limit_is_stopped() {
    let node = AdminServer::start(None);
    let cli = Cli::new();
    let dir = cli.home.path().join("hooks");
    let pidfile = dir.join("child.pid");
    // The child keeps the hook's stdout open for a minute after the hook exits.
    let bg =
        script(&dir, "background.sh", &format!("sleep 60 &\necho $! > '{}'\necho snapshot taken", pidfile.display()));
    let slow = script(&dir, "slow.sh", &format!("echo $$ > '{}'\nexec sleep 60", pidfile.display()));
    deployment(&cli, &[&node], &["--pause-hook", &format!("default={}", bg.display()), "--hook-limit", "2s"]);
    let (code, w) = pause(&cli, &["--min", "0s"]);
    assert_eq!(code, 0, "{w}");
    assert!(w["hooks"][0]["output"].as_str().unwrap().contains("snapshot taken"), "{w}");
    // The pause ended when the hook did, not when its child's pipe closed.
    let held = node.node.intervals()[0];
    let held = held.1.unwrap() - held.0;
    assert!(held < Duration::from_secs(30), "the pause waited for the hook's background child: {held:?}");
    let child_pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_string();
    assert!(!alive(&child_pid), "the hook's child outlived it");
    // A hook past its limit: stopped there, the window failed, the pause over.
    let out = cli.run(&["deployment", "edit", "d", "--pause-hook", &format!("default={}", slow.display())], None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (code, w) = pause(&cli, &["--min", "0s"]);
    assert_eq!(code, 31, "{w}");
    assert_eq!(w["status"], "failed");
    assert!(w["problems"][0].as_str().unwrap().contains("limit of 2.0 s"), "{w}");
    let hook_pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_string();
    assert!(!alive(&hook_pid), "the hook outlived its limit");
    let held = node.node.intervals()[1];
    assert!(held.1.unwrap() - held.0 < Duration::from_secs(30));
    assert!(!node.node.is_paused());
}

#[test]
fn a_nodes_text_reaches_the_terminal_without_its_control_characters() {
    let (bad, good) = (
        AdminServer::start(Some(Fault::RefuseSaying("\u{1b}]0;owned\u{7}\u{1b}[2J\nquiesce: all nodes unpaused"))),
        AdminServer::start(None),
    );
    let cli = Cli::new();
    deployment(&cli, &[&bad, &good], &[]);
    let out = cli.run(&["pause", "d", "--min", "0s"], None, &[]);
    let all = [out.stdout, out.stderr].concat();
    assert!(!all.contains(&0x1b) && !all.contains(&0x07), "{}", String::from_utf8_lossy(&all));
    let text = String::from_utf8_lossy(&all);
    assert!(!text.lines().any(|l| l.starts_with("quiesce: all nodes unpaused")), "a forged line: {text}");
    let (_, v) = pause(&cli, &["--min", "0s"]);
    assert!(!v.to_string().contains("\\u001b"), "{v}");
}

#[test]
fn one_node_listed_twice_under_two_names_is_paused_once() {
    let node = AdminServer::start(None);
    let cli = Cli::new();
    let file = cli.home.path().join("app.sqlite");
    rusqlite::Connection::open(&file).unwrap().execute_batch("CREATE TABLE t (x INT)").unwrap();
    cli.run(
        &["profile", "add", "--name", "lite", "--kind", "sqlite", "--path", &file.display().to_string()],
        None,
        &[],
    );
    let port = node.addr.port();
    let out = cli.run(
        &[
            "deployment",
            "create",
            "d",
            "--storage",
            "lite",
            "--admin-endpoint",
            &format!("127.0.0.1:{port}"),
            "--admin-endpoint",
            &format!("localhost:{port}"),
        ],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("one node"),
        "saving says so: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, w) = pause(&cli, &["--min", "0s"]);
    assert_eq!(code, 0, "{w}");
    assert_eq!(w["nodes"].as_array().unwrap().len(), 1, "{w}");
    assert_eq!(node.node.count("pause"), 1);
}

#[test]
fn a_local_time_typed_under_a_tz_that_names_no_zone_is_refused_not_read_as_utc() {
    let node = AdminServer::start(None);
    let cli = Cli::new();
    deployment(&cli, &[&node], &[]);
    let bad = [("TZ", "Nowhere/Atlantis")];
    let (code, v) = cli.json(&["points", "d", "--from", "2026-11-30 15:02:11"], None, &bad);
    assert_ne!(code, 0, "{v}");
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("Nowhere/Atlantis") && msg.contains("names no time zone"), "{msg}");
    // A time with its zone does not depend on TZ.
    let (code, v) = cli.json(&["points", "d", "--from", "2026-11-30T14:02:11Z"], None, &bad);
    assert_eq!(code, 0, "{v}");
}

#[test]
fn output_cut_short_by_its_reader_ends_quietly_without_a_panic() {
    let cli = Cli::new();
    let dir = cli.home.path().join("data/backups");
    std::fs::create_dir_all(&dir).unwrap();
    // A history far larger than a pipe's buffer, so the writer meets the closed pipe.
    let line = r#"{"at":"2026-12-01T00:00:00Z","user":"u","host":"h","op":"pause","deployment":"d","what":"paused 3 node(s) for 5000 ms, a line long enough to fill a pipe","outcome":"ok","entry":null}"#;
    std::fs::write(dir.join("history.jsonl"), format!("{line}\n").repeat(5000)).unwrap();
    for json in [false, true] {
        let cmd = format!(
            "QUIESCE_HOME='{}' '{}' history{} | head -c 10 > /dev/null",
            cli.home.path().display(),
            env!("CARGO_BIN_EXE_quiesce"),
            if json { " --json" } else { "" }
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &format!("set -o pipefail; {cmd}; echo \"status=$?\" >&2")])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
        assert!(stderr.contains("status=141") || stderr.contains("status=0"), "{stderr}");
    }
}

#[test]
fn a_cassandra_node_that_ssh_would_read_as_an_option_is_refused_when_saved() {
    let cli = Cli::new();
    let (code, v) = cli.json(
        &["profile", "add", "--name", "cass", "--kind", "cassandra", "--nodes", "cass-1,-oProxyCommand=touch /tmp/x"],
        None,
        &[],
    );
    assert_ne!(code, 0, "{v}");
    assert!(v.to_string().contains("begins with '-'"), "{v}");
}

#[test]
fn a_hook_sees_only_the_allow_listed_environment_and_the_variables_the_user_names() {
    let node = AdminServer::start(None);
    let cli = Cli::new();
    let hook = script(&cli.home.path().join("hooks"), "env.sh", "env");
    deployment(&cli, &[&node], &["--pause-hook", &format!("default={}", hook.display())]);
    let output = |env: &[(&str, &str)]| -> String {
        let (code, w) = cli.json(&["pause", "d", "--min", "0s"], None, env);
        assert_eq!(code, 0, "{w}");
        w["hooks"][0]["output"].as_str().unwrap().to_string()
    };
    let plain = output(&[("YBM_APIKEY", "k-123"), ("UNRELATED_SECRET", "s-456")]);
    assert!(plain.contains("PATH=") && !plain.contains("k-123") && !plain.contains("s-456"), "{plain}");
    let named = output(&[("YBM_APIKEY", "k-123"), ("UNRELATED_SECRET", "s-456"), ("QUIESCE_HOOK_ENV", "YBM_APIKEY")]);
    assert!(named.contains("YBM_APIKEY=k-123") && !named.contains("s-456"), "{named}");
}

/// The watchdog binary briefed as `brief` describes, once it says it is ready.
fn watchdog_with(brief: &Value) -> (std::process::Child, std::process::ChildStdin) {
    use std::io::{BufRead, Write};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_quiesce-watchdog"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{brief}").unwrap();
    let mut ready = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert_eq!(ready.trim(), "ready");
    (child, stdin)
}

#[test]
fn a_watchdog_briefed_by_an_earlier_release_keeps_no_lease_and_sigterm_makes_it_unpause() {
    let node = AdminServer::start(Some(Fault::AlreadyPaused));
    // An app started before an upgrade briefs the new watchdog without a lease or a bound.
    let brief = serde_json::json!({
        "nodes": [{"endpoint": node.endpoint(), "host": "127.0.0.1", "addr": node.endpoint()}],
        "tls": null, "journal": "/nonexistent/j.json", "journal_lock": "/nonexistent/j.lock", "what": "an older pauser",
    });
    let (mut child, _stdin) = watchdog_with(&brief);
    std::thread::sleep(Duration::from_secs(4)); // past the lease a newer pauser renews
    assert!(node.node.is_paused(), "the watchdog unpaused a pauser that never promised to renew");
    assert_eq!(node.node.count("unpause"), 0);
    // A session that ends sends SIGTERM: the watchdog unpauses before it goes.
    signal(&child.id().to_string(), "TERM");
    wait_unpaused(&node, Duration::from_secs(10), "SIGTERM left the node paused");
    let _ = child.wait();
}

#[test]
fn a_node_that_stops_answering_mid_pause_does_not_hold_the_others_past_the_end() {
    let (good, hung) = (AdminServer::start(None), AdminServer::start(None));
    let cli = Cli::new();
    deployment(&cli, &[&good, &hung], &[]);
    let child = pausing(&cli, &[&good, &hung], &["--min", "1s"]);
    hung.node.set_fault(Some(Fault::CheckHangs));
    let out = child.wait_with_output().unwrap();
    let w: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!good.node.is_paused() && !hung.node.is_paused(), "{w}");
    // The healthy node was unpaused with the end of the hold, not after the
    // hung node's 10 s CheckPaused (which the poller was waiting on).
    let (from, to) = good.node.intervals()[0];
    let held = to.unwrap() - from;
    assert!(held < Duration::from_secs(6), "held {held:?} for a 1 s pause");
    // The hung node got its Unpause, and is not called unpaused: its state is unknown.
    assert!(w.to_string().contains("UNKNOWN"), "{w}");
}
