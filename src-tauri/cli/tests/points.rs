//! `quiesce points` and `quiesce runbook` through the real binary: a real
//! pause window (test Scalar Admin node), a DynamoDB storage with its secret
//! in the real keyring, times typed in a real time zone (Europe/Berlin from
//! tzdata) across its DST changes, and exports that never hold the secret.

mod common;
use common::*;
use quiesce_testsupport::admin::AdminServer;

const SECRET: &str = "aws-secret-KEY-never-in-a-runbook-7f3a";

/// A deployment on DynamoDB (prefix, two namespaces) paused once; returns the window.
fn paused(cli: &Cli, node: &AdminServer) -> serde_json::Value {
    let out = cli.run(
        &[
            "profile",
            "add",
            "--name",
            "dyn",
            "--kind",
            "dynamo",
            "--region",
            "eu-central-1",
            "--table-prefix",
            "prod_",
            "--user",
            "AKIAEXAMPLE",
            "--password-stdin",
            "--pitr-retention-days",
            "35",
            "--pitr-lag",
            "0",
        ],
        Some(SECRET),
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out =
        cli.run(&["deployment", "create", "d", "--storage", "dyn", "--admin-endpoint", &node.endpoint()], None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let schema = cli.home.path().join("schema.json");
    std::fs::write(&schema, r#"{"sales.orders": {"transaction": true}, "app.users": {"transaction": true}}"#).unwrap();
    let (code, a) = cli.json(&["deployment", "attach-schema", "d", &schema.display().to_string()], None, &[]);
    assert_eq!(code, 0, "{a}");
    assert_eq!(a["schema"]["tables"], serde_json::json!(["app.users", "sales.orders"]));
    let (code, w) = cli.json(&["pause", "d", "--min", "1500ms", "--clock-bound", "100ms"], None, &[]);
    assert_eq!(code, 0, "{w}");
    w
}

#[test]
fn a_window_becomes_a_runbook_in_every_format_with_the_point_in_utc_and_no_secret() {
    let node = AdminServer::start(None);
    let cli = Cli::new();
    let w = paused(&cli, &node);
    let id = w["id"].as_str().unwrap();
    let point = w["restore_point_ms"].as_i64().unwrap();

    let (code, p) = cli.json(&["points", "d", "--safe-only"], None, &[]);
    assert_eq!(code, 0, "{p}");
    let windows = p["timeline"]["windows"].as_array().unwrap();
    assert_eq!(windows.len(), 1);
    assert_eq!((windows[0]["id"].as_str(), windows[0]["point_ms"].as_i64()), (Some(id), Some(point)));
    assert_eq!(p["timeline"]["lanes"][0]["restores_by"], "pitr");

    let (code, rb) = cli.json(&["runbook", "d", "--at", id, "--format", "json"], None, &[]);
    assert_eq!(code, 0, "{rb}");
    let utc = rb["runbook"]["point"]["utc"].as_str().unwrap().to_string();
    assert!(utc.ends_with('Z'));
    assert_eq!(rb["runbook"]["point"]["point_ms"].as_i64(), Some(point));
    // Every physical table once in the PITR step: prefix, both namespaces, metadata, coordinator.
    let alias = rb["runbook"]["sections"][1]["steps"][0]["commands"].as_array().unwrap();
    let mut sources: Vec<String> = alias
        .iter()
        .filter_map(|c| {
            c["argv"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["v"][0] == "--source-table-name")
                .map(|a| a["v"][1].as_str().unwrap().to_string())
        })
        .collect();
    sources.sort();
    assert_eq!(sources, ["prod_app.users", "prod_coordinator.state", "prod_sales.orders", "prod_scalardb.metadata"]);

    for format in ["md", "sh", "json"] {
        let out = cli.run(&["runbook", "d", "--at", id, "--format", format], None, &[]);
        assert!(out.status.success(), "{format}: {}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(!text.contains(SECRET) && !text.contains("AKIAEXAMPLE"), "{format} holds a credential");
        assert!(text.contains(&utc), "{format} lacks the point");
    }
    // --out: a new file, never over an older runbook; a script is executable.
    let file = cli.home.path().join("restore.sh");
    let out = cli.run(&["runbook", "d", "--at", id, "--format", "sh", "--out", &file.display().to_string()], None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o700);
    let before = std::fs::read(&file).unwrap();
    cli.expect_error(&["runbook", "d", "--at", id, "--out", &file.display().to_string()], None, &[], "already_exists");
    assert_eq!(std::fs::read(&file).unwrap(), before);
    // The schema attached is named in the runbook with its hash.
    let md = String::from_utf8(cli.run(&["runbook", "d", "--at", id], None, &[]).stdout).unwrap();
    assert!(md.contains("Schema file:") && md.contains("schema.json"), "{md}");
    assert_not_in_files(cli.home.path(), SECRET);
}

#[test]
fn local_times_are_read_in_the_time_zone_and_times_that_do_not_exist_or_repeat_are_refused() {
    let node = AdminServer::start(None);
    let cli = Cli::new();
    let w = paused(&cli, &node);
    let point = w["restore_point_ms"].as_i64().unwrap();
    let berlin: chrono_tz_free::Berlin = chrono_tz_free::Berlin;
    let local = berlin.local(point);
    let tz = [("TZ", "Europe/Berlin")];
    // The restore point typed as Berlin wall-clock time picks exactly it.
    let (code, rb) = cli.json(&["runbook", "d", "--at", &local, "--format", "json"], None, &tz);
    assert_eq!(code, 0, "{local}: {rb}");
    assert_eq!(rb["runbook"]["point"]["point_ms"].as_i64(), Some(point));
    assert!(rb["runbook"]["point"]["local"].as_str().unwrap().ends_with(berlin.offset(point)), "{rb}");
    // As epoch ms, and as UTC, the same.
    let (_, rb2) = cli.json(&["runbook", "d", "--at", &point.to_string(), "--format", "json"], None, &tz);
    assert_eq!(rb2["runbook"]["point"]["point_ms"].as_i64(), Some(point));
    // 02:30 on 29 March 2026 does not exist in Berlin; 02:30 on 25 October 2026 happens twice.
    let e = cli.expect_error(&["runbook", "d", "--at", "2026-03-29 02:30"], None, &tz, "invalid_input");
    assert!(e["error"]["message"].as_str().unwrap().contains("does not exist"), "{e}");
    let e = cli.expect_error(&["runbook", "d", "--at", "2026-10-25 02:30"], None, &tz, "invalid_input");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(m.contains("happens twice") && m.contains("+02:00") && m.contains("+01:00"), "{m}");
    // A time outside the window is refused, naming the window to pick instead.
    let e = cli.expect_error(&["runbook", "d", "--at", &(point - 60_000).to_string()], None, &[], "invalid_input");
    assert!(e["error"]["message"].as_str().unwrap().contains(w["id"].as_str().unwrap()), "{e}");
}

/// Berlin's offsets for 2026 without a time-zone crate: CEST from 29 March
/// 01:00 UTC to 25 October 01:00 UTC (the EU rule), CET otherwise.
mod chrono_tz_free {
    pub struct Berlin;
    impl Berlin {
        fn secs(&self, ms: i64) -> i64 {
            let (start, end) = (1_774_746_000_000, 1_792_890_000_000); // 2026-03-29T01:00Z, 2026-10-25T01:00Z
            if (start..end).contains(&ms) {
                7200
            } else {
                3600
            }
        }
        pub fn offset(&self, ms: i64) -> &'static str {
            if self.secs(ms) == 7200 {
                "+02:00"
            } else {
                "+01:00"
            }
        }
        /// "YYYY-MM-DD HH:MM:SS.fff" wall-clock time.
        pub fn local(&self, ms: i64) -> String {
            let t = chrono::DateTime::from_timestamp_millis(ms + self.secs(ms) * 1000).unwrap();
            t.naive_utc().format("%Y-%m-%d %H:%M:%S%.3f").to_string()
        }
    }
}
