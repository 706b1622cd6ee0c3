//! Runbooks per storage kind, asserted against what the guide and the
//! providers' CLIs require (computed here independently, not read back from
//! a golden file), and the shell export run for real with stub tools.

use super::schema::SchemaAttachment;
use super::*;
use crate::deployment::{Deployment, DeploymentStorage};
use crate::points::tests::{backup_in, deployment, hook, prof, t, window};
use crate::points::{self, PickAt};
use crate::profile::{DbKind, Flavor, Profile};
use std::collections::BTreeMap;
use std::path::Path;

const NOW: &str = "2026-11-30T15:00:00Z";
const TIME_OPTS: &[&str] = &["--restore-time", "--restore-to-time", "--restore-date-time", "--restore-timestamp"];

fn schema(root: &Path, tables: &[&str]) -> SchemaAttachment {
    let body: serde_json::Map<String, serde_json::Value> =
        tables.iter().map(|t| (t.to_string(), serde_json::json!({"transaction": true}))).collect();
    let copy = root.join("schema.json");
    std::fs::write(&copy, serde_json::to_vec(&body).unwrap()).unwrap();
    SchemaAttachment {
        file: "/etc/scalardb/schema.json".into(),
        sha256: "0123456789abcdef0123".into(),
        attached_at: t("2026-11-01T09:00:00Z"),
        copy: copy.display().to_string(),
        tables: tables.iter().map(|s| s.to_string()).collect(),
    }
}

struct Case {
    root: tempfile::TempDir,
    d: Deployment,
    st: Vec<(DeploymentStorage, Profile)>,
}

impl Case {
    fn new(profiles: &[&Profile], mapping: &[(&str, &str)]) -> Case {
        let (d, st) = deployment(profiles, mapping);
        Case { root: tempfile::tempdir().unwrap(), d, st }
    }

    fn runbook(&self, at: &str, schema: Option<&SchemaAttachment>) -> crate::Result<Runbook> {
        let tl = points::timeline_at(&self.d, &self.st, self.root.path(), t(NOW));
        let pick = points::pick(&tl, &PickAt::classify(&tl, at))?;
        let w = pick.window_id.as_ref().map(|id| super::find_window(self.root.path(), &self.d.name, id).unwrap());
        let m = pick.backup_id.as_ref().map(|id| crate::catalog::find(self.root.path(), id).unwrap().1);
        build(&Inputs {
            d: &self.d,
            storages: &self.st,
            pick,
            discovery: None,
            schema,
            window: w.as_ref(),
            manifest: m.as_ref(),
        })
    }
}

fn commands(rb: &Runbook) -> Vec<&Command> {
    rb.steps().flat_map(|s| s.commands.iter()).collect()
}

/// The value of `--name=` in a command, if it has one.
fn opt<'a>(c: &'a Command, name: &str) -> Option<&'a str> {
    c.argv.iter().find_map(|a| match a {
        Arg::Opt(n, v) if n == name => Some(v.as_str()),
        _ => None,
    })
}

fn lits(c: &Command) -> Vec<&str> {
    c.argv.iter().filter_map(|a| if let Arg::Lit(s) = a { Some(s.as_str()) } else { None }).collect()
}

fn is(c: &Command, words: &[&str]) -> bool {
    lits(c).starts_with(words)
}

/// Every restore time in the runbook is the picked point, in UTC with `Z`.
fn times_are_the_point(rb: &Runbook) {
    assert!(rb.point.utc.ends_with('Z'), "{}", rb.point.utc);
    let mut n = 0;
    for c in commands(rb) {
        for o in TIME_OPTS {
            if let Some(v) = opt(c, o) {
                assert_eq!(v, rb.point.utc, "{o} in {:?}", c.argv);
                n += 1;
            }
        }
    }
    assert!(n > 0, "no restore time at all");
}

#[test]
fn dynamodb_with_a_prefix_and_several_namespaces_restores_every_table_exactly_once_in_every_step() {
    let mut dy = prof("dyn", DbKind::Dynamo, Flavor::Cloud);
    dy.table_prefix = Some("prod_".into());
    let c = Case::new(&[&dy], &[]);
    let w = window(c.root.path(), &c.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![]);
    let s = schema(c.root.path(), &["sales.orders", "sales.items", "app.users"]);
    let rb = c.runbook(&w.id, Some(&s)).unwrap();
    times_are_the_point(&rb);
    // The physical names, spelled out as ScalarDB's DynamoDB adapter names them
    // (DynamoAdmin.java): <prefix><ns>.<table>,
    // metadata in <prefix>scalardb.metadata, the coordinator <prefix>coordinator.state.
    let want: Vec<&str> = vec![
        "prod_app.users",
        "prod_coordinator.state",
        "prod_sales.items",
        "prod_sales.orders",
        "prod_scalardb.metadata",
    ];
    let sec = rb.sections.iter().find(|s| s.storage.as_deref() == Some("dyn")).unwrap();
    assert_eq!(sec.tables, want);
    assert!(sec.tables_source.contains("/etc/scalardb/schema.json"), "{}", sec.tables_source);
    let count = |words: &[&str], o: &str| -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for c in commands(&rb).into_iter().filter(|c| is(c, words)) {
            *m.entry(opt(c, o).unwrap().to_string()).or_insert(0) += 1;
        }
        m
    };
    let once: BTreeMap<String, usize> = want.iter().map(|t| (t.to_string(), 1)).collect();
    let aliases: BTreeMap<String, usize> = want.iter().map(|t| (format!("{t}-restore-20261130140002"), 1)).collect();
    assert_eq!(count(&["aws", "dynamodb", "restore-table-to-point-in-time"], "--source-table-name"), once);
    assert_eq!(count(&["aws", "dynamodb", "restore-table-to-point-in-time"], "--target-table-name"), aliases);
    assert_eq!(count(&["aws", "dynamodb", "create-backup"], "--table-name"), aliases);
    // delete-table: each alias once, each original once.
    let deleted = count(&["aws", "dynamodb", "delete-table"], "--table-name");
    assert_eq!(deleted.len(), 10);
    assert!(deleted.values().all(|n| *n == 1));
    assert_eq!(count(&["aws", "dynamodb", "restore-table-from-backup"], "--target-table-name"), once);
    assert_eq!(count(&["aws", "dynamodb", "update-continuous-backups"], "--table-name"), once);
    // Every restore and delete is followed by its wait, in this order per table.
    let cmds = commands(&rb);
    for (i, c) in cmds.iter().enumerate() {
        let (waits, name) = if is(c, &["aws", "dynamodb", "restore-table-to-point-in-time"])
            || is(c, &["aws", "dynamodb", "restore-table-from-backup"])
        {
            ("table-exists", opt(c, "--target-table-name"))
        } else if is(c, &["aws", "dynamodb", "delete-table"]) {
            ("table-not-exists", opt(c, "--table-name"))
        } else {
            continue;
        };
        let next = cmds[i + 1];
        assert!(is(next, &["aws", "dynamodb", "wait", waits]) && opt(next, "--table-name") == name, "{:?}", next.argv);
    }
    // The order of the alias procedure, per the guide.
    let keys: Vec<&str> = sec.steps.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(
        keys,
        ["dyn:alias", "dyn:backup", "dyn:drop-alias", "dyn:drop-original", "dyn:restore", "dyn:pitr", "dyn:settings"]
    );
    let destructive: Vec<&str> = rb.steps().filter(|s| s.destructive).map(|s| s.key.as_str()).collect();
    assert_eq!(destructive, ["dyn:drop-original"]);
    let settings = &sec.steps[6].detail;
    for what in ["Auto scaling", "TTL", "streams", "tags", "alarms"] {
        assert!(settings.contains(what), "{what}: {settings}");
    }
    // First ScalarDB is stopped, last it is verified.
    assert_eq!(rb.sections.first().unwrap().steps[0].key, "before:stop");
    assert_eq!(rb.steps().last().unwrap().commands[0].argv.last(), Some(&Arg::Lit("prod".into())));
}

#[test]
fn dynamodb_without_the_schema_file_and_a_backup_missing_a_schema_table_are_refused() {
    let dy = prof("dyn", DbKind::Dynamo, Flavor::Cloud);
    let c = Case::new(&[&dy], &[]);
    let w = window(c.root.path(), &c.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![]);
    let e = c.runbook(&w.id, None).unwrap_err();
    assert!(e.message.contains("quiesce deployment attach-schema prod schema.json"), "{}", e.message);

    let pg = prof("pg", DbKind::Postgresql, Flavor::SelfHosted);
    let c = Case::new(&[&pg], &[]);
    let w = window(c.root.path(), &c.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![]);
    let b = backup_in(c.root.path(), &c.d, "pg", "pg-profile", Some(&w));
    let s = schema(c.root.path(), &["sales.orders", "sales.refunds"]);
    let e = c.runbook(&b, Some(&s)).unwrap_err();
    assert!(e.message.contains("sales.refunds") && e.message.contains("would lose"), "{}", e.message);
}

#[test]
fn rds_carries_the_network_and_parameter_groups_over_and_aurora_adds_an_instance() {
    let mut rds = prof("pg", DbKind::Postgresql, Flavor::AmazonRds);
    rds.instance_id = Some("orders-db".into());
    rds.region = Some("eu-west-1".into());
    let c = Case::new(&[&rds], &[]);
    let w = window(c.root.path(), &c.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![]);
    let rb = c.runbook(&w.id, None).unwrap();
    times_are_the_point(&rb);
    let cmds = commands(&rb);
    let restore = cmds.iter().find(|c| is(c, &["aws", "rds", "restore-db-instance-to-point-in-time"])).unwrap();
    assert_eq!(opt(restore, "--source-db-instance-identifier"), Some("orders-db"));
    assert_eq!(opt(restore, "--target-db-instance-identifier"), Some("orders-db-r20261130140002"));
    assert_eq!(opt(restore, "--region"), Some("eu-west-1"));
    // Subnet group, security groups and parameter group: read from the source, passed to the restore.
    for (query, var) in [
        ("DBInstances[0].DBSubnetGroup.DBSubnetGroupName", "--db-subnet-group-name"),
        ("DBInstances[0].DBParameterGroups[0].DBParameterGroupName", "--db-parameter-group-name"),
    ] {
        let read = cmds.iter().find(|c| opt(c, "--query") == Some(query)).unwrap();
        let name = read.capture.clone().unwrap();
        assert!(restore.argv.contains(&Arg::OptVar(var.into(), name)), "{var}");
    }
    let sg = cmds.iter().find(|c| c.capture_array.is_some()).unwrap().capture_array.clone().unwrap();
    assert!(restore.argv.contains(&Arg::Array(sg)));
    let finish = rb.sections.last().unwrap();
    assert!(
        finish.steps[0].detail.contains("scalar.db.contact_points=jdbc:postgresql://$ENDPOINT_PG:5432/app"),
        "{}",
        finish.steps[0].detail
    );

    let mut aurora = rds.clone();
    aurora.host = Some("orders.cluster-abc123.eu-west-1.rds.amazonaws.com".into());
    let c = Case::new(&[&aurora], &[]);
    let w = window(c.root.path(), &c.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![]);
    let rb = c.runbook(&w.id, None).unwrap();
    times_are_the_point(&rb);
    let cmds = commands(&rb);
    let at = |words: &[&str]| cmds.iter().position(|c| is(c, words)).unwrap_or_else(|| panic!("{words:?}"));
    let restore = cmds[at(&["aws", "rds", "restore-db-cluster-to-point-in-time"])];
    assert_eq!(opt(restore, "--db-cluster-identifier"), Some("orders-db-r20261130140002"));
    assert!(restore.argv.iter().any(|a| matches!(a, Arg::OptVar(n, _) if n == "--db-cluster-parameter-group-name")));
    assert!(at(&["aws", "rds", "restore-db-cluster-to-point-in-time"]) < at(&["aws", "rds", "create-db-instance"]));
    assert_eq!(
        opt(cmds[at(&["aws", "rds", "create-db-instance"])], "--db-cluster-identifier"),
        Some("orders-db-r20261130140002")
    );
    assert!(!cmds.iter().any(|c| is(c, &["aws", "rds", "restore-db-instance-to-point-in-time"])));
}

#[test]
fn azure_flexible_server_and_cosmos_db_restore_into_new_ones_with_their_resource_group() {
    let mut az = prof("my", DbKind::Mysql, Flavor::Azure);
    az.instance_id = Some("orders-mysql".into());
    az.restore.resource_group = Some("rg-db".into());
    let c = Case::new(&[&az], &[]);
    let w = window(c.root.path(), &c.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![]);
    let rb = c.runbook(&w.id, None).unwrap();
    times_are_the_point(&rb);
    let r = commands(&rb).into_iter().find(|c| is(c, &["az", "mysql", "flexible-server", "restore"])).unwrap();
    assert_eq!(
        (opt(r, "--resource-group"), opt(r, "--source-server"), opt(r, "--name")),
        (Some("rg-db"), Some("orders-mysql"), Some("orders-mysql-r20261130140002"))
    );
    az.restore.resource_group = None;
    let c2 = Case::new(&[&az], &[]);
    let w2 = window(c2.root.path(), &c2.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![]);
    let e = c2.runbook(&w2.id, None).unwrap_err();
    assert!(e.message.contains("no resource group"), "{}", e.message);

    let cos = prof("cos", DbKind::Cosmos, Flavor::Cloud);
    let c = Case::new(&[&cos], &[]);
    let w = window(c.root.path(), &c.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![]);
    let s = schema(c.root.path(), &["sales.orders"]);
    let rb = c.runbook(&w.id, Some(&s)).unwrap();
    times_are_the_point(&rb);
    let cmds = commands(&rb);
    let r = cmds.iter().find(|c| is(c, &["az", "cosmosdb", "restore"])).unwrap();
    assert_eq!(opt(r, "--account-name"), Some("cosacct"));
    assert_eq!(opt(r, "--target-database-account-name"), Some("cosacct-r20261130140002"));
    assert_eq!((opt(r, "--location"), opt(r, "--resource-group")), (Some("westus"), Some("rg-scalar")));
    let u = cmds.iter().find(|c| is(c, &["az", "cosmosdb", "update"])).unwrap();
    assert_eq!(opt(u, "--default-consistency-level"), Some("Strong"));
    let loader = cmds.iter().find(|c| is(c, &["java", "-jar"])).unwrap();
    assert!(lits(loader).contains(&"--repair-all") && lits(loader).contains(&"--coordinator"), "{:?}", loader.argv);
    assert_eq!(opt(loader, "-f"), Some(s.copy.as_str()));
    assert!(!lits(loader).iter().any(|w| w.contains("repair-coordinator")));
    assert!(
        cmds.iter().position(|c| is(c, &["az", "cosmosdb", "update"]))
            < cmds.iter().position(|c| is(c, &["java", "-jar"]))
    );
    let sec = rb.sections.iter().find(|s| s.storage.is_some()).unwrap();
    assert_eq!(sec.tables, ["coordinator/state", "sales/orders", "scalardb/metadata"]);
}

#[test]
fn cassandra_with_three_nodes_places_the_windows_snapshot_on_each_and_ybm_restores_the_hooks_backup() {
    let mut cas = prof("cas", DbKind::Cassandra, Flavor::SelfHosted);
    cas.data_dirs =
        vec!["/data/1/cassandra/data".into(), "/data/2/cassandra/data".into(), "/data/3/cassandra/data".into()];
    let c = Case::new(&[&cas], &[]);
    let w = window(
        c.root.path(),
        &c.d,
        "2026-11-30T14:00:00Z",
        5000,
        0.0,
        vec![hook("cas", "quiesce-20261130T140000Z", "ok")],
    );
    let s = schema(c.root.path(), &["sales.orders"]);
    let rb = c.runbook(&w.id, Some(&s)).unwrap();
    let sec = rb.sections.iter().find(|s| s.storage.is_some()).unwrap();
    let keys: Vec<&str> = sec.steps.iter().map(|s| s.key.as_str()).collect();
    assert_eq!(keys, ["cas:stop", "cas:place", "cas:start"]);
    for st in &sec.steps {
        let hosts: Vec<&str> = st.commands.iter().map(|c| lits(c)[2]).collect();
        assert_eq!(hosts, ["cass-1", "cass-2", "cass-3"], "{}", st.key);
    }
    for (n, c) in sec.steps[1].commands.iter().enumerate() {
        // The values are the remote `bash -s`'s arguments; the script on stdin is constant.
        let remote = lits(c)[3];
        assert!(
            remote.starts_with(&format!("bash -s -- '/data/{}/cassandra/data' 'quiesce-20261130T140000Z' ", n + 1))
                && remote.contains("'sales' 'orders'")
                && remote.contains("'coordinator' 'state'"),
            "{remote}"
        );
        assert_eq!(c.stdin, sec.steps[1].commands[0].stdin, "one script for every node");
        assert!(!c.stdin.as_deref().unwrap().contains("quiesce-2026"), "a value in the here-document");
    }
    // A window whose hook did not run has no snapshot to restore.
    let bare = window(c.root.path(), &c.d, "2026-11-30T13:00:00Z", 5000, 0.0, vec![]);
    assert!(c.runbook(&bare.id, Some(&s)).unwrap_err().message.contains("in-pause hook"));

    let mut yb = prof("yb", DbKind::Postgresql, Flavor::YugabyteManaged);
    yb.instance_id = Some("prod-cluster".into());
    let c = Case::new(&[&yb], &[]);
    let id = "3f2b8c1e-1d2a-4c5b-9e8f-0a1b2c3d4e5f";
    let w = window(
        c.root.path(),
        &c.d,
        "2026-11-30T14:00:00Z",
        5000,
        0.0,
        vec![hook("yb", "t", &format!("Backup created.\nid: {id}"))],
    );
    let rb = c.runbook(&w.id, None).unwrap();
    let r = commands(&rb).into_iter().find(|c| is(c, &["ybm", "backup", "restore"])).unwrap();
    assert_eq!((opt(r, "--cluster-name"), opt(r, "--backup-id")), (Some("prod-cluster"), Some(id)));
}

#[test]
fn postgresql_plus_dynamodb_restores_the_backup_with_quiesce_and_the_tables_by_pitr_at_the_same_point() {
    let pg = prof("pg", DbKind::Postgresql, Flavor::SelfHosted);
    let dy = prof("dyn", DbKind::Dynamo, Flavor::Cloud);
    let c = Case::new(&[&pg, &dy], &[("sales", "dyn"), ("coordinator", "dyn")]);
    let w = window(c.root.path(), &c.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![]);
    let b = backup_in(c.root.path(), &c.d, "pg", "pg-profile", Some(&w));
    let s = schema(c.root.path(), &["sales.orders"]);
    let rb = c.runbook(&b, Some(&s)).unwrap();
    times_are_the_point(&rb);
    assert_eq!(Some(rb.point.point_ms), w.restore_point_ms);
    let q = commands(&rb).into_iter().find(|c| is(c, &["quiesce", "restore"])).unwrap();
    assert_eq!(lits(q)[2], b);
    assert_eq!(opt(q, "--to"), Some("u1=pg-profile"));
    assert!(lits(q).contains(&"--replace"));
    let dsec = rb.sections.iter().find(|s| s.storage.as_deref() == Some("dyn")).unwrap();
    assert_eq!(dsec.tables, ["coordinator.state", "sales.orders", "scalardb.metadata"]);
    // The PostgreSQL section lists the backup's tables, from its manifest.
    let psec = rb.sections.iter().find(|s| s.storage.as_deref() == Some("pg")).unwrap();
    assert!(psec.tables_source.contains(&b) && !psec.tables.is_empty());
    let order: Vec<&str> = rb.sections.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(order, ["before", "storage-pg", "storage-dyn", "finish"]);
}

fn stub(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/bash\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Runs an exported script in `dir` with the stubs of `bin` first on PATH,
/// answering "yes" to every question it asks.
fn run_answering_yes(sh: &Path, dir: &Path, bin: &Path) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new("bash")
        .arg(sh)
        .current_dir(dir)
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for _ in 0..50 {
        let _ = writeln!(stdin, "yes");
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// The argv each stub was called with (NUL-separated, one call per line).
fn calls(log: &Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .split('\n')
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\0').filter(|w| !w.is_empty()).map(String::from).collect())
        .collect()
}

#[test]
fn the_shell_export_with_hostile_names_passes_them_intact_runs_nothing_else_and_passes_shellcheck() {
    let hostile = ["it's.$(touch PWNED)", "a b.-rf", "ns.`touch PWNED2`"];
    let mut dy = prof("dyn", DbKind::Dynamo, Flavor::Cloud);
    dy.table_prefix = Some("-p ".into());
    let mut cas = prof("cas", DbKind::Cassandra, Flavor::SelfHosted);
    cas.nodes = vec!["node $(touch PWNED3)".into()];
    let c = Case::new(&[&dy, &cas], &[("it's", "dyn"), ("a b", "cas"), ("ns", "dyn"), ("coordinator", "dyn")]);
    let w = window(
        c.root.path(),
        &c.d,
        "2026-11-30T14:00:00Z",
        5000,
        0.0,
        vec![hook("cas", "quiesce-20261130T140000Z", "ok")],
    );
    let s = schema(c.root.path(), &hostile);
    let rb = c.runbook(&w.id, Some(&s)).unwrap();
    let script = render::shell(&rb);
    let work = tempfile::tempdir().unwrap();
    let sh = work.path().join("runbook.sh");
    std::fs::write(&sh, &script).unwrap();
    let st = std::process::Command::new("bash").arg("-n").arg(&sh).status().unwrap();
    assert!(st.success(), "bash -n failed:\n{script}");
    let out = std::process::Command::new("shellcheck")
        .arg("-S")
        .arg("style")
        .arg(&sh)
        .output()
        .expect("shellcheck is not installed (scripts/setup.sh --test installs it)");
    assert!(out.status.success(), "{}\n{script}", String::from_utf8_lossy(&out.stdout));

    // Stub tools that record their argv; ssh also records the remote script and runs nothing.
    let bin = work.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = work.path().join("calls");
    let record = format!(
        "printf '%s\\0' \"$(basename \"$0\")\" \"$@\" >> {}; printf '\\n' >> {}",
        render::quote(&log.display().to_string()),
        render::quote(&log.display().to_string())
    );
    stub(&bin, "aws", &format!("{record}\ncase \"$2\" in create-backup) echo arn:aws:dynamodb:backup/1;; describe-backup) echo AVAILABLE;; esac"));
    stub(&bin, "ssh", &format!("{record}\ncat > {}/remote-$RANDOM.sh", work.path().display()));
    // (The remote command's values are checked from ssh's recorded argv below.)
    stub(&bin, "quiesce", &record);
    let out = run_answering_yes(&sh, work.path(), &bin);
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    for f in ["PWNED", "PWNED2", "PWNED3"] {
        assert!(!work.path().join(f).exists(), "{f} was created: a name ran as a command");
    }
    let calls = calls(&log);
    let tools: std::collections::BTreeSet<&str> = calls.iter().map(|c| c[0].as_str()).collect();
    assert_eq!(tools.into_iter().collect::<Vec<_>>(), ["aws", "quiesce", "ssh"]);
    // Every DynamoDB table arrives intact as the value of --source-table-name.
    let sources: Vec<&str> = calls
        .iter()
        .filter(|c| c.get(2).map(String::as_str) == Some("restore-table-to-point-in-time"))
        .filter_map(|c| c.iter().find_map(|a| a.strip_prefix("--source-table-name=")))
        .collect();
    let mut want =
        vec!["-p it's.$(touch PWNED)", "-p ns.`touch PWNED2`", "-p scalardb.metadata", "-p coordinator.state"];
    want.sort();
    let mut got = sources.clone();
    got.sort();
    assert_eq!(got, want);
    // The time arrives as the point, the ssh host as given, after "--".
    assert!(calls.iter().any(|c| c.iter().any(|a| a == &format!("--restore-date-time={}", rb.point.utc))));
    assert!(calls.iter().any(|c| c[0] == "ssh" && c[1] == "--" && c[2] == "node $(touch PWNED3)"));
    // The remote script names the keyspace and table quoted.
    let remote: String = std::fs::read_dir(work.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("remote-"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    let st = std::process::Command::new("bash").arg("-n").arg("-c").arg(&remote).status().unwrap();
    assert!(st.success());
    // The keyspace and table arrive as the remote shell's arguments, intact.
    let args = calls.iter().find(|c| c[0] == "ssh" && c[3].contains("'a b' '-rf'")).expect("the placement call");
    assert_eq!(remote_args(&args[3]).iter().rev().take(2).collect::<Vec<_>>(), ["-rf", "a b"], "{}", args[3]);
}

/// The arguments a remote `bash -s -- …` command gives its script, as bash parses them.
fn remote_args(remote: &str) -> Vec<String> {
    let rest = remote.strip_prefix("bash -s --").expect("a bash -s command");
    let out = std::process::Command::new("/bin/bash")
        .arg("-c")
        .arg(format!("printf '%s\\0' {rest}"))
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    assert!(out.status.success());
    let mut v: Vec<String> = String::from_utf8(out.stdout).unwrap().split('\0').map(String::from).collect();
    v.pop(); // after the last NUL
    v
}

/// Fuzz: any snapshot tag a window file can hold, any keyspace and table name:
/// the exported script either is refused (a damaged window) or, run with stub
/// tools, calls ssh (and quiesce) only, feeds each node one of its constant scripts, and
/// gives that script exactly the values as its arguments — never runs a
/// command from a value, never ends its here-document early.
#[test]
fn any_window_tag_and_table_name_give_a_script_that_runs_only_its_own_commands() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let piece = prop::sample::select(vec![
        "a",
        "Z9",
        "'",
        "\"",
        "$(touch PWNED)",
        "`touch PWNED`",
        "\n",
        "QUIESCE_END",
        "\nQUIESCE_END\ntouch PWNED\n",
        "\r",
        "\\",
        " ",
        "-",
        "-rf",
        ";",
        "&",
        "|",
        ">x",
        "é",
        "${IFS}",
        "*",
        "~",
        "#",
        "\t",
    ]);
    let text = prop::collection::vec(piece, 1..6).prop_map(|v| v.concat());
    let mut runner = TestRunner::new_with_rng(
        Config { cases: 40, failure_persistence: None, ..Config::default() },
        TestRng::from_seed(RngAlgorithm::ChaCha, &[28; 32]),
    );
    let scripts = std::sync::Mutex::new(std::collections::BTreeSet::new());
    runner
        .run(&(text.clone(), text.clone(), text), |(tag, ks, table)| {
            let ks = ks.replace('.', "_");
            let cas = prof("cas", DbKind::Cassandra, Flavor::SelfHosted);
            let c = Case::new(&[&cas], &[]);
            let w = window(c.root.path(), &c.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![hook("cas", &tag, "ok")]);
            let full = format!("{ks}.{table}");
            let sch = schema(c.root.path(), &[&full]);
            let rb = match c.runbook(&w.id, Some(&sch)) {
                Err(_) => {
                    prop_assert!(
                        tag.chars().any(char::is_control) || tag.starts_with('-'),
                        "refused a clean tag {tag:?}"
                    );
                    return Ok(());
                }
                Ok(rb) => rb,
            };
            prop_assert!(!tag.chars().any(char::is_control), "a damaged tag {tag:?} made a runbook");
            let work = tempfile::tempdir().unwrap();
            let sh = work.path().join("restore.sh");
            std::fs::write(&sh, render::shell(&rb)).unwrap();
            let bin = work.path().join("bin");
            std::fs::create_dir(&bin).unwrap();
            // One file per call (values may hold line breaks), argv NUL-separated.
            let log = work.path().join("calls");
            std::fs::create_dir(&log).unwrap();
            let q = render::quote(&log.display().to_string());
            let record = format!("printf '%s\\0' \"$(basename \"$0\")\" \"$@\" > {q}/$RANDOM$RANDOM$RANDOM");
            stub(&bin, "ssh", &format!("{record}\ncat > {}/remote-$RANDOM$RANDOM.sh", work.path().display()));
            stub(&bin, "quiesce", &record);
            let out = run_answering_yes(&sh, work.path(), &bin);
            prop_assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            prop_assert!(!work.path().join("PWNED").exists(), "a value ran as a command");
            let calls: Vec<Vec<String>> = std::fs::read_dir(&log)
                .unwrap()
                .flatten()
                .map(|e| {
                    let text = std::fs::read_to_string(e.path()).unwrap();
                    let mut v: Vec<String> = text.split('\0').map(String::from).collect();
                    v.pop();
                    v
                })
                .collect();
            prop_assert!(calls.iter().all(|c| c[0] == "ssh" || c[0] == "quiesce"), "{calls:?}");
            let places: Vec<&Vec<String>> = calls.iter().filter(|c| c[3].starts_with("bash -s -- '")).collect();
            prop_assert_eq!(places.len(), 3);
            for p in places {
                let args = remote_args(&p[3]);
                prop_assert_eq!(&args[1], &tag);
                prop_assert!(args.windows(2).any(|w| w[0] == ks && w[1] == table), "{args:?}");
            }
            for e in std::fs::read_dir(work.path()).unwrap().flatten() {
                if e.file_name().to_string_lossy().starts_with("remote-") {
                    scripts.lock().unwrap().insert(std::fs::read_to_string(e.path()).unwrap());
                }
            }
            Ok(())
        })
        .unwrap();
    // Whatever the values, the nodes were only ever fed the three constant scripts.
    assert_eq!(scripts.lock().unwrap().len(), 3, "{:?}", scripts.lock().unwrap());
}

#[test]
fn the_cassandra_placement_script_replaces_the_live_files_with_the_snapshot_and_refuses_a_missing_one() {
    let cas = prof("cas", DbKind::Cassandra, Flavor::SelfHosted);
    let c = Case::new(&[&cas], &[]);
    let tag = "quiesce-20261130T140000Z";
    let w = window(c.root.path(), &c.d, "2026-11-30T14:00:00Z", 5000, 0.0, vec![hook("cas", tag, "ok")]);
    let s = schema(c.root.path(), &["sales.orders"]);
    let rb = c.runbook(&w.id, Some(&s)).unwrap();
    let place_cmd = &rb.steps().find(|s| s.key == "cas:place").unwrap().commands[0];
    let place = place_cmd.stdin.clone().unwrap();
    let remote = lits(place_cmd)[3].to_string();
    // A node's layout: data/<ks>/<table>-<id>/ with its snapshot; commitlog and hints beside data.
    let node = tempfile::tempdir().unwrap();
    let data = node.path().join("data");
    let mk = |p: &Path, body: &str| {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    for (ks, t) in [("sales", "orders"), ("coordinator", "state")] {
        let dir = data.join(ks).join(format!("{t}-0f1e2d"));
        mk(&dir.join("nb-9-big-Data.db"), "live, after the point");
        mk(&dir.join("snapshots").join(tag).join("nb-3-big-Data.db"), "at the point");
    }
    mk(&node.path().join("commitlog/CommitLog-7-1.log"), "x");
    mk(&node.path().join("hints/h.hints"), "x");
    // What ssh would run on the node: the remote command, the script on its stdin.
    let remote = remote.replace("'/var/lib/cassandra/data'", &render::single_quote(&data.display().to_string()));
    let bin = node.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    stub(&bin, "sudo", "exec \"$@\"");
    let run = |_: &str| {
        use std::io::Write;
        let mut c = std::process::Command::new("bash")
            .arg("-c")
            .arg(&remote)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        c.stdin.take().unwrap().write_all(place.as_bytes()).unwrap();
        c.wait_with_output().unwrap()
    };
    let script = remote.clone();
    let out = run(&script);
    assert!(out.status.success(), "{}\n{script}", String::from_utf8_lossy(&out.stderr));
    let dir = data.join("sales/orders-0f1e2d");
    assert!(!dir.join("nb-9-big-Data.db").exists());
    assert_eq!(std::fs::read_to_string(dir.join("nb-3-big-Data.db")).unwrap(), "at the point");
    assert!(dir.join("snapshots").join(tag).join("nb-3-big-Data.db").exists(), "the snapshot itself is kept");
    assert!(!node.path().join("commitlog/CommitLog-7-1.log").exists() && !node.path().join("hints/h.hints").exists());
    // A node without the snapshot stops with the reason.
    std::fs::remove_dir_all(data.join("coordinator/state-0f1e2d/snapshots")).unwrap();
    let out = run(&script);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("no snapshot {tag} of coordinator.state")));
}
