//! Jobs of several units: a deployment on two SQLite files (two databases,
//! so its plan needs a pause, which the product refuses to run without) is
//! backed up unit by unit through the engine's steps — prepare, start, dump
//! each unit, seal — and restored with one target per unit; the audit runs
//! across them, with the coordinator in one file and records it decides in
//! the other.

mod common;

use common::{quiet, Env};
use quiesce_engine::backup::{self, BackupOptions, Prepared};
use quiesce_engine::catalog::{self, CatalogStatus};
use quiesce_engine::plan::commands::DumpFormat;
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_engine::restore::{self, RestoreOptions, UnitTarget};
use quiesce_engine::verify::{self, audit::Recovery};
use quiesce_engine::ErrorCode;
use quiesce_testsupport::scalardb::Layout;
use std::path::Path;
use tokio_util::sync::CancellationToken;

const TX: &str = "tx_id TEXT, tx_state INT, tx_version INT, tx_prepared_at BIGINT, tx_committed_at BIGINT, \
    before_tx_id TEXT, before_tx_state INT, before_tx_version INT, before_tx_prepared_at BIGINT, before_tx_committed_at BIGINT";

/// One ScalarDB SQLite file (ScalarDB's `RdbEngineSqlite.java`: `ns$table`, `scalardb$metadata`,
/// `coordinator$state`): `table` with its metadata rows, and the coordinator if asked.
fn sqlite_storage(path: &Path, ns: &str, table: &str, coordinator: bool) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(&format!(
        "CREATE TABLE \"scalardb$metadata\" (full_table_name TEXT, column_name TEXT, data_type TEXT NOT NULL, key_type TEXT, \
           clustering_order TEXT, indexed BOOLEAN NOT NULL, ordinal_position INTEGER NOT NULL, PRIMARY KEY (full_table_name, column_name));
         CREATE TABLE \"{ns}${table}\" (id INT, v BIGINT, {TX}, before_v BIGINT, PRIMARY KEY (id));
         INSERT INTO \"scalardb$metadata\" VALUES ('{ns}.{table}', 'id', 'INT', 'PARTITION', NULL, FALSE, 1);
         INSERT INTO \"scalardb$metadata\" VALUES ('{ns}.{table}', 'v', 'BIGINT', NULL, NULL, FALSE, 2);"
    ))
    .unwrap();
    if coordinator {
        c.execute_batch(
            "CREATE TABLE \"coordinator$state\" (tx_id TEXT, tx_state INT NOT NULL, tx_created_at BIGINT NOT NULL, tx_child_ids TEXT, PRIMARY KEY (tx_id));",
        )
        .unwrap();
    }
    c
}

/// Storage "a": the coordinator and bank.accounts (10 committed rows).
/// Storage "b": audit.transfers, with records of transactions the
/// coordinator in "a" decided: `t-cross` committed, `t-abort` aborted.
fn two_files(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (a, b) = (dir.join("a.sqlite"), dir.join("b.sqlite"));
    let ca = sqlite_storage(&a, "bank", "accounts", true);
    for i in 0..10 {
        ca.execute(
            "INSERT INTO \"bank$accounts\" (id, v, tx_id, tx_state, tx_version, tx_prepared_at, tx_committed_at) VALUES (?1, 100, ?2, 3, 1, 1, 1)",
            rusqlite::params![i, format!("load-{i}")],
        )
        .unwrap();
        ca.execute("INSERT INTO \"coordinator$state\" VALUES (?1, 3, 1, NULL)", [format!("load-{i}")]).unwrap();
    }
    ca.execute_batch("INSERT INTO \"coordinator$state\" VALUES ('t-cross', 3, 2, NULL), ('t-abort', 4, 2, NULL);")
        .unwrap();
    let cb = sqlite_storage(&b, "audit", "transfers", false);
    cb.execute_batch(
        "INSERT INTO \"audit$transfers\" (id, v, tx_id, tx_state, tx_version, tx_prepared_at, tx_committed_at) VALUES
           (1, 5, 't-cross', 1, 1, 2, NULL),
           (2, 7, 't-abort', 1, 1, 2, NULL),
           (3, 9, 'load-0', 3, 1, 1, 1);",
    )
    .unwrap();
    (a, b)
}

fn lite(env: &Env, name: &str, path: &Path) -> String {
    let input =
        ProfileInput { kind: Some(DbKind::Sqlite), path: Some(path.display().to_string()), ..Default::default() };
    env.profile(name, input, None)
}

fn never() -> CancellationToken {
    CancellationToken::new()
}

#[tokio::test]
async fn two_sqlite_units_backed_up_unit_by_unit_restored_one_target_each_and_audited_across() {
    let env = Env::new();
    let src = env.dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let (a, b) = two_files(&src);
    let (pa, pb) = (lite(&env, "lite-a", &a), lite(&env, "lite-b", &b));
    let d = env.deployment(
        "two",
        &[("a", &pa), ("b", &pb)],
        &[("bank", "a"), ("coordinator", "a"), ("audit", "b")],
        &Layout::standard(),
    );
    // The live deployment verified: each database counted, then one audit
    // across both (the coordinator in "a" decides the records in "b").
    let dep = env.ds.get(&d).unwrap();
    let what = verify::Verification::Deployment { deployment: &dep, against: None };
    let live = verify::run(&env.ds, what, quiet(), &never()).await.unwrap();
    assert!(live.passed, "{live:#?}");
    assert_eq!(live.tables.iter().filter(|t| t.exists).count(), 5, "{:#?}", live.tables);
    let across = live.audit.unwrap();
    let rec = |id: &str| across.transactions.iter().find(|t| t.tx_id == id).map(|t| t.recovery);
    assert_eq!(rec("t-cross"), Some(Recovery::RollForward), "{across:#?}");
    assert_eq!(rec("t-abort"), Some(Recovery::RollBack), "{across:#?}");
    assert_eq!(across.torn, 0, "{across:#?}");

    let out = env.dir.path().join("backups");
    let opts = BackupOptions {
        format: DumpFormat::Default,
        jobs: None,
        out: Some(out.display().to_string()),
        ..Default::default()
    };

    // The plan pauses ScalarDB; without a Scalar Admin endpoint the backup is
    // refused by its checks, before anything is written.
    let e = backup::run(&env.ds, &d, &opts, quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput, "{}", e.message);
    assert!(e.message.contains("no Scalar Admin endpoint") && e.message.contains("--admin-endpoint"), "{}", e.message);
    assert!(!out.exists() || catalog::list(&out).is_empty(), "a refused backup writes nothing");

    // The engine's steps, which the pause drives (here without one).
    let prepared = Prepared::new(&env.ds, &d, &opts, &never()).await.unwrap();
    assert_eq!(prepared.plan().units.len(), 2);
    let mut job = prepared.start(&quiet()).unwrap();
    assert_eq!(job.units().len(), 2);
    for i in 0..2 {
        job.dump_unit(i, &quiet(), &never()).await.unwrap();
    }
    let (dir, m) = job.seal(&quiet()).await.unwrap();
    // No unit has a log position (no pause): written as schema 2, which the release before reads.
    assert_eq!(m.schema_version, 2);
    assert_eq!(m.units.iter().map(|u| u.storages.clone()).collect::<Vec<_>>(), vec![vec!["a"], vec!["b"]]);
    assert_eq!(m.coordinator_unit().map(|u| u.id.as_str()), Some("u1"));
    assert_eq!(m.namespace_mapping.len(), 3);
    for u in &m.units {
        assert_eq!(u.files.len(), 1);
        assert!(u.files[0].name.starts_with(&format!("{}/", u.id)), "{}", u.files[0].name);
        assert!(dir.join(&u.files[0].name).is_file());
    }
    let entry = catalog::list(&out).into_iter().find(|e| e.id == m.id).unwrap();
    assert_eq!((entry.units.len(), entry.status), (2, CatalogStatus::Unverified));

    // The backup verified in place: one audit across both files.
    let (integ, live) = verify::verify_backup(&out, &m.id, &never()).await.unwrap();
    assert!(integ.problems.is_empty(), "{:?}", integ.problems);
    let across = live.unwrap().audit.unwrap();
    let rec = |id: &str| across.transactions.iter().find(|t| t.tx_id == id).map(|t| t.recovery);
    assert_eq!(rec("t-cross"), Some(Recovery::RollForward), "{across:#?}");
    assert_eq!(rec("t-abort"), Some(Recovery::RollBack), "{across:#?}");

    // One target per unit, named by a storage of it.
    let tgt = env.dir.path().join("tgt");
    std::fs::create_dir_all(&tgt).unwrap();
    let (ta, tb) = (tgt.join("a.sqlite"), tgt.join("b.sqlite"));
    lite(&env, "tgt-a", &ta);
    lite(&env, "tgt-b", &tb);
    let t = |u: &str, p: &str| UnitTarget { unit: u.into(), profile: p.into() };
    // A unit without a target is named, with what to add.
    let missing = RestoreOptions { targets: vec![t("a", "tgt-a")], ..Default::default() };
    let e = restore::dry_run(&env.ds, &out, &m.id, &missing, &never()).await.unwrap_err();
    assert!(e.message.contains("Unit u2") && e.message.contains("--to b=PROFILE"), "{}", e.message);
    // Two units never go to one profile (by name or by id).
    let same = RestoreOptions {
        targets: vec![t("a", "tgt-a"), t("b", &env.ds.profiles().get("tgt-a").unwrap().id)],
        ..Default::default()
    };
    let e = restore::run(&env.ds, &out, &m.id, &same, quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(e.message.contains("Units u1 and u2") && e.message.contains("tgt-a"), "{}", e.message);
    // --to PROFILE alone is for a backup of one unit.
    let one = RestoreOptions { targets: vec![UnitTarget::only("tgt-a")], ..Default::default() };
    let e = restore::dry_run(&env.ds, &out, &m.id, &one, &never()).await.unwrap_err();
    assert!(e.message.contains("2 units"), "{}", e.message);

    let opts = RestoreOptions { targets: vec![t("b", "tgt-b"), t("u1", "tgt-a")], ..Default::default() };
    let pf = restore::dry_run(&env.ds, &out, &m.id, &opts, &never()).await.unwrap();
    assert!(pf.ok(), "{:#?}", pf.checks);
    assert_eq!(pf.units.iter().map(|u| u.target_profile.as_str()).collect::<Vec<_>>(), ["tgt-a", "tgt-b"]);
    assert!(pf.checks.iter().any(|c| c.name == "u2 empty"), "checks are named by unit: {:#?}", pf.checks);
    assert!(!ta.exists() && !tb.exists(), "a dry run touches nothing");

    let r = restore::run(&env.ds, &out, &m.id, &opts, quiet(), &never()).await.unwrap();
    assert_eq!(r.targets, vec![t("u1", "tgt-a"), t("u2", "tgt-b")]);
    let v = r.verify.unwrap();
    assert!(v.passed, "{v:#?}");
    assert_eq!(v.tables.iter().filter(|t| t.exists).count(), 5, "{:#?}", v.tables);
    let a = v.audit.unwrap();
    assert_eq!(a.coordinator_table, "coordinator$state");
    assert_eq!((a.roll_forward, a.roll_back, a.torn), (1, 1, 0), "{a:#?}");
    let n: i64 = rusqlite::Connection::open(&tb)
        .unwrap()
        .query_row("SELECT count(*) FROM \"audit$transfers\"", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 3);

    // Unit "b" alone cannot decide its records: its coordinator is elsewhere.
    let alone = verify::verify_profile(&env.ds, "tgt-b", Some((&m, Some("b"))), None, &never()).await.unwrap();
    assert!(alone.audit.is_none(), "{alone:#?}");
    assert!(!alone.findings.iter().any(|f| f.code == "no_coordinator"), "b is not expected to hold the coordinator");
    // The catalog shows the restore's verification.
    let entry = catalog::list(&out).into_iter().find(|e| e.id == m.id).unwrap();
    assert_eq!(entry.status, CatalogStatus::Ok);
}

#[tokio::test]
async fn a_unit_whose_check_fails_stops_the_restore_before_any_target_is_touched() {
    let env = Env::new();
    let src = env.dir.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    let (a, b) = two_files(&src);
    let (pa, pb) = (lite(&env, "lite-a", &a), lite(&env, "lite-b", &b));
    let d = env.deployment("two", &[("a", &pa), ("b", &pb)], &[("audit", "b")], &Layout::standard());
    let out = env.dir.path().join("backups");
    let opts = BackupOptions {
        format: DumpFormat::Default,
        jobs: None,
        out: Some(out.display().to_string()),
        ..Default::default()
    };
    let mut job = Prepared::new(&env.ds, &d, &opts, &never()).await.unwrap().start(&quiet()).unwrap();
    for i in 0..2 {
        job.dump_unit(i, &quiet(), &never()).await.unwrap();
    }
    let (_, m) = job.seal(&quiet()).await.unwrap();
    let ta = env.dir.path().join("ok.sqlite");
    lite(&env, "tgt-a", &ta);
    // The second target's folder does not exist.
    lite(&env, "tgt-b", &env.dir.path().join("no-such-dir/b.sqlite"));
    let t = |u: &str, p: &str| UnitTarget { unit: u.into(), profile: p.into() };
    let opts = RestoreOptions { targets: vec![t("a", "tgt-a"), t("b", "tgt-b")], ..Default::default() };
    let e = restore::run(&env.ds, &out, &m.id, &opts, quiet(), &never()).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::FileNotFound, "{}", e.message);
    assert!(e.message.contains("u2 output") && e.message.contains("nothing was touched"), "{}", e.message);
    assert!(!ta.exists(), "the first unit's target was not created");
    assert!(
        !std::fs::read_dir(env.dir.path())
            .unwrap()
            .flatten()
            .any(|f| f.file_name().to_string_lossy().contains("quiesce-restore")),
        "no temporary copy is left"
    );
}
