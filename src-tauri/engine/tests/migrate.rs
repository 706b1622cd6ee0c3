//! Migrations between PostgreSQL, MariaDB and SQLite in all six directions,
//! and a consolidation of two storages into one PostgreSQL, on real servers.
//! The source is written and the target read back with each engine's own
//! client (psql, mariadb, sqlite3), never with Quiesce's decoder; the
//! expected layout comes from test support (written from the reference).
//! After each hop: every value as written, the layout ScalarDB 3.19 would
//! create, money conserved with lazy recovery applied, the audit unchanged.

mod common;
use common::{quiet, Env};
use quiesce_engine::deployment::{DeploymentInput, DeploymentStorage, NamespaceMapping};
use quiesce_engine::migrate::job::{self, MigrateOptions, MigrationResult};
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_engine::restore::UnitTarget;
use quiesce_engine::{Error, ErrorCode};
use quiesce_testsupport::mariadb::MariaDbServer;
use quiesce_testsupport::migration::*;
use quiesce_testsupport::postgres::{PgServer, SUPERUSER};
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// One database of a test: where it is and its profile.
struct Side {
    eng: Eng,
    pg_db: String,
    lite: PathBuf,
    profile: String,
}

impl Side {
    fn db(&self) -> Db<'_> {
        match self.eng {
            Eng::Pg => Db::Pg(PgServer::shared(), self.pg_db.clone()),
            Eng::Maria => Db::Maria(MariaDbServer::shared()),
            Eng::Lite => Db::Lite(&self.lite),
        }
    }
}

/// A fresh database of kind `eng` with a profile `name` (PostgreSQL: a new
/// database; MariaDB: the shared server, namespaces made unique by the test).
fn side(env: &Env, name: &str, eng: Eng) -> Side {
    let (mut pg_db, lite) = (String::new(), env.dir.path().join(format!("{name}.db")));
    let profile = match eng {
        Eng::Pg => {
            let s = PgServer::shared();
            pg_db = s.create_database();
            env.pg(name, s, &pg_db, SUPERUSER, &s.password)
        }
        Eng::Maria => env.my(name, MariaDbServer::shared()),
        Eng::Lite => env.profile(
            name,
            ProfileInput { kind: Some(DbKind::Sqlite), path: Some(lite.display().to_string()), ..Default::default() },
            None,
        ),
    };
    Side { eng, pg_db, lite, profile }
}

fn deployment(env: &Env, n: &Names, storages: &[(&str, &str)], mapping: &[(&str, &str)], admin: Option<String>) {
    env.ds
        .create(
            &DeploymentInput {
                name: "d".into(),
                storages: storages
                    .iter()
                    .map(|(s, p)| DeploymentStorage { name: s.to_string(), profile_id: p.to_string() })
                    .collect(),
                namespace_mapping: mapping
                    .iter()
                    .map(|(ns, s)| NamespaceMapping { namespace: ns.to_string(), storage: s.to_string() })
                    .collect(),
                default_storage: Some(storages[0].0.into()),
                coordinator_namespace: Some(n.coord.clone()),
                system_namespace: Some(n.sys.clone()),
                admin_endpoints: admin.into_iter().collect(),
                ..Default::default()
            },
            None,
        )
        .unwrap();
}

fn to(pairs: &[(&str, &str)]) -> MigrateOptions {
    MigrateOptions {
        to: pairs.iter().map(|(u, p)| UnitTarget { unit: u.to_string(), profile: p.to_string() }).collect(),
        ..Default::default()
    }
}

async fn migrate(env: &Env, opts: &MigrateOptions) -> Result<MigrationResult, Error> {
    let cancel = CancellationToken::new();
    job::migrate(&env.ds, "d", opts, &quiet(), &cancel).await
}

/// What every hop must give on the target.
fn assert_target(target: &Db, n: &Names, r: &MigrationResult) {
    let e = target.eng();
    for (t, ns, cols, values) in [
        ("items", &n.sales, item_columns(), item_values()),
        ("accounts", &n.bank, account_columns(), account_values()),
        ("state", &n.coord, state_columns(), state_values()),
    ] {
        assert_rows(&format!("{t} on {e:?}"), &cols, &target.canonical_rows(ns, t, &cols), &expected_rows(&values));
    }
    for (t, ns, cols) in [
        ("items", &n.sales, item_columns()),
        ("accounts", &n.bank, account_columns()),
        ("state", &n.coord, state_columns()),
    ] {
        assert_eq!(layout_of(target, ns, t), expected_layout(e, ns, t, &cols), "layout of {ns}.{t} on {e:?}");
    }
    assert_eq!(recovered_money(target, target, n), ACCOUNTS * BALANCE, "money with lazy recovery applied");
    // The metadata lists every column of the three tables, before_note indexed.
    let meta = target.sql(&format!(
        "SELECT count(*) FROM {} WHERE full_table_name IN ('{}.items', '{}.accounts', '{}.state')",
        phys(e, &n.sys, "metadata"),
        n.sales,
        n.bank,
        n.coord
    ));
    assert_eq!(meta[0][0], (item_columns().len() + account_columns().len() + state_columns().len()).to_string());
    let (sa, ta) = (r.source_audit.as_ref().unwrap(), r.target_audit.as_ref().unwrap());
    assert!(!ta.has_errors(), "{:?}", ta.findings);
    // TX_COMMIT rolls forward (3 records), TX_ABORT and TX_DELETE roll back (2 + 1).
    assert_eq!((ta.in_flight_records, ta.roll_forward, ta.roll_back + ta.not_yet_expired), (6, 1, 2), "{ta:?}");
    assert_eq!((sa.in_flight_records, sa.roll_forward, sa.torn), (ta.in_flight_records, ta.roll_forward, ta.torn));
    assert_eq!(r.plan.tables.iter().filter(|t| t.in_metadata).count(), 3);
    assert_eq!(r.proofs.len(), r.plan.tables.len(), "every table copied has its proof");
    for p in &r.proofs {
        assert_eq!((p.source_rows, &p.source_fingerprint), (p.target_rows, &p.target_fingerprint), "{}", p.table);
    }
}

/// One hop: the whole deployment on `from` to a fresh `to`.
async fn hop(from: Eng, to_eng: Eng) {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let src = side(&env, "src", from);
    src.db().exec(&fixture_sql(from, &n, &Part::ALL));
    let dst = side(&env, "dst", to_eng);
    deployment(&env, &n, &[("default", &src.profile)], &[], None);
    let r = migrate(&env, &to(&[("default", "dst")])).await.unwrap();
    assert_target(&dst.db(), &n, &r);
    // The source is untouched, and the new properties point at the target.
    let cols = item_columns();
    assert_rows(
        "items on the source",
        &cols,
        &src.db().canonical_rows(&n.sales, "items", &cols),
        &expected_rows(&item_values()),
    );
    let url = match to_eng {
        Eng::Pg => "jdbc:postgresql://127.0.0.1:",
        Eng::Maria => "jdbc:mariadb://127.0.0.1:",
        Eng::Lite => "jdbc:sqlite:",
    };
    assert!(r.plan.properties.contains(&format!("scalar.db.contact_points={url}")), "{}", r.plan.properties);
    assert!(r.plan.properties.contains("scalar.db.storage=jdbc"), "{}", r.plan.properties);
    // No password: only a commented line says where it goes.
    assert!(r.plan.properties.lines().all(|l| l.starts_with('#') || !l.contains("password")), "{}", r.plan.properties);
    assert!(r.plan.properties.contains(&format!("scalar.db.consensus_commit.coordinator.namespace={}", n.coord)));
    if to_eng == Eng::Maria {
        for ns in [&n.sales, &n.bank, &n.coord, &n.sys] {
            MariaDbServer::shared().sql(&format!("DROP DATABASE IF EXISTS `{ns}`"));
        }
    }
}

/// Backs up deployment "d" into the catalog; returns the backup's id.
async fn backup_of_d(env: &Env) -> String {
    let never = CancellationToken::new();
    let d = env.ds.get("d").unwrap();
    let opts = quiesce_engine::backup::BackupOptions::default();
    quiesce_engine::backup::run(&env.ds, &d.id, &opts, quiet(), &never).await.unwrap().1.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_sqlite_backup_read_in_place_not_the_live_database() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let src = side(&env, "src", Eng::Lite);
    src.db().exec(&fixture_sql(Eng::Lite, &n, &Part::ALL));
    deployment(&env, &n, &[("default", &src.profile)], &[], None);
    let id = backup_of_d(&env).await;
    // The live database moves on after the backup: the migration must not see it.
    src.db().exec(&format!("UPDATE \"{}$accounts\" SET balance = balance + 1000", n.bank));
    let dst = side(&env, "dst", Eng::Pg);
    let opts = MigrateOptions { from_backup: Some(id.clone()), ..to(&[("default", "dst")]) };
    let r = migrate(&env, &opts).await.unwrap();
    assert_target(&dst.db(), &n, &r);
    assert!(r.paused_ms.is_none(), "a backup needs no pause");
    assert!(r.plan.notes[0].contains(&format!("Read from backup {id}")), "{:?}", r.plan.notes);
    // The backup's folder is as it was: the file was opened immutable.
    let folder = env.ds.home().data_dir.join("backups");
    let extra: Vec<String> = walk(&folder)
        .into_iter()
        .filter(|f| f.ends_with("-wal") || f.ends_with("-shm") || f.ends_with("-journal"))
        .collect();
    assert!(extra.is_empty(), "{extra:?}");
}

fn walk(p: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).into_iter().flatten().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path().display().to_string());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_a_postgres_backup_through_a_scratch_database_emptied_afterwards() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let src = side(&env, "src", Eng::Pg);
    src.db().exec(&fixture_sql(Eng::Pg, &n, &Part::ALL));
    deployment(&env, &n, &[("default", &src.profile)], &[], None);
    // ScalarDB Cluster's tables: the backup keeps them (pg_dump --schema), so the migration finds them.
    src.db().exec(&cluster_tables_sql(Eng::Pg, &n.sys));
    let id = backup_of_d(&env).await;
    src.db().exec(&format!("DELETE FROM {}.accounts", n.bank));
    let dst = side(&env, "dst", Eng::Lite);
    let scratch = side(&env, "scratch", Eng::Pg);
    let base = MigrateOptions { from_backup: Some(id.clone()), ..to(&[("default", "dst")]) };

    // Without a scratch: said, with the flag to add.
    let e = migrate(&env, &base).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidInput);
    assert!(e.message.contains("--scratch default=PROFILE") && e.message.contains("PostgreSQL"), "{}", e.message);
    // The live source as the scratch: refused, it would be replaced.
    let onto_live =
        MigrateOptions { scratch: vec![UnitTarget { unit: "default".into(), profile: "src".into() }], ..base.clone() };
    let e = migrate(&env, &onto_live).await.unwrap_err();
    assert!(e.message.contains("a live source"), "{}", e.message);
    assert_eq!(
        src.db().sql(&format!("SELECT count(*) FROM {}.items", n.sales))[0][0],
        "5",
        "the live source is untouched"
    );

    let opts =
        MigrateOptions { scratch: vec![UnitTarget { unit: "default".into(), profile: "scratch".into() }], ..base };
    let r = migrate(&env, &opts).await.unwrap();
    assert_target(&dst.db(), &n, &r);
    let users = dst
        .db()
        .sql(&format!("SELECT user_name, hex(password_hash) FROM \"{}$users\" ORDER BY created_at DESC", n.sys));
    assert_eq!(users, [["admin", "00FF0A27"], ["Zoë ☃", ""]], "Cluster's users came through the backup");
    assert!(r.plan.notes[0].contains("scratch"), "{:?}", r.plan.notes);
    let left = scratch.db().sql(&format!(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name IN ('{}', '{}', '{}', '{}')",
        n.sales, n.bank, n.coord, n.sys
    ));
    assert_eq!(left[0][0], "0", "the scratch is emptied again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_to_mariadb() {
    hop(Eng::Pg, Eng::Maria).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_to_postgres() {
    hop(Eng::Maria, Eng::Pg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_to_sqlite() {
    hop(Eng::Pg, Eng::Lite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_postgres() {
    hop(Eng::Lite, Eng::Pg).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mariadb_to_sqlite() {
    hop(Eng::Maria, Eng::Lite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_to_mariadb() {
    hop(Eng::Lite, Eng::Maria).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_and_sqlite_storages_consolidate_into_one_postgres_inside_a_pause() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let pg = side(&env, "pgsrc", Eng::Pg);
    pg.db().exec(&fixture_sql(Eng::Pg, &n, &Part { items: true, accounts: false, coordinator: true }));
    let lite = side(&env, "litesrc", Eng::Lite);
    lite.db().exec(&fixture_sql(Eng::Lite, &n, &Part { items: false, accounts: true, coordinator: false }));
    let dst = side(&env, "dst", Eng::Pg);
    std::env::set_var(quiesce_engine::pause::watchdog::ENV, quiesce_testsupport::workspace_binary("quiesce-watchdog"));
    let node = quiesce_testsupport::admin::AdminServer::start(None);
    deployment(
        &env,
        &n,
        &[("pg", &pg.profile), ("lite", &lite.profile)],
        &[(&n.sales, "pg"), (&n.coord, "pg"), (&n.bank, "lite")],
        Some(node.endpoint()),
    );
    let r = migrate(&env, &to(&[("pg", "dst"), ("lite", "dst")])).await.unwrap();
    assert_target(&dst.db(), &n, &r);
    // The snapshots were opened inside one pause, and ScalarDB runs again.
    assert_eq!(node.node.count("pause"), 1);
    assert!(!node.node.is_paused());
    assert!(r.paused_ms.is_some());
    // One storage now: no mapping needed in the properties, and the result says so.
    assert!(r.plan.properties.contains("scalar.db.storage=jdbc"), "{}", r.plan.properties);
    assert!(r.plan.mapping.iter().all(|m| m.storage == "default"), "{:?}", r.plan.mapping);
    assert!(r.plan.notes.iter().any(|x| x.contains("2 storages become 1")), "{:?}", r.plan.notes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_that_holds_a_namespace_is_refused_before_anything_is_written() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let src = side(&env, "src", Eng::Lite);
    src.db().exec(&fixture_sql(Eng::Lite, &n, &Part::ALL));
    let dst = side(&env, "dst", Eng::Pg);
    dst.db().exec(&format!(
        "CREATE SCHEMA \"{}\"; CREATE TABLE \"{}\".keep (x int); INSERT INTO \"{}\".keep VALUES (7)",
        n.bank, n.bank, n.bank
    ));
    deployment(&env, &n, &[("default", &src.profile)], &[], None);
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NotEmpty, "{}", e.message);
    assert!(e.message.contains(&n.bank) && e.message.contains("nothing was written"), "{}", e.message);
    // Nothing was created, and what was there stays.
    let schemas = dst.db().sql(&format!(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name IN ('{}', '{}', '{}')",
        n.sales, n.coord, n.sys
    ));
    assert_eq!(schemas[0][0], "0");
    assert_eq!(dst.db().sql(&format!("SELECT x FROM \"{}\".keep", n.bank))[0][0], "7");
}

/// A source with one table `<ns>.k` (TEXT key `id`, INT `v`) holding `ids`.
fn keyed_source(env: &Env, eng: Eng, n: &Names, ids: &[&'static str]) -> Side {
    let src = side(env, "src", eng);
    let cols: Vec<Col> =
        vec![("id".into(), "TEXT", Some("PARTITION"), None, false), ("v".into(), "INT", None, None, false)];
    let rows = ids.iter().enumerate().map(|(i, id)| vec![V::S(id), V::I(i as i32)]).collect();
    src.db().exec(&tables_sql(eng, &n.sys, &[Table { ns: n.sales.clone(), name: "k".into(), cols, rows }]));
    deployment(env, n, &[("default", &src.profile)], &[], None);
    src
}

fn maria_namespaces(n: &Names) -> String {
    MariaDbServer::shared().sql(&format!(
        "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('{}', '{}')",
        n.sales, n.sys
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_differing_only_in_case_or_trailing_spaces_are_refused_into_mariadb_then_kept_with_a_binary_collation() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    keyed_source(&env, Eng::Pg, &n, &["Alice", "alice", "Bob", "Bob  ", "carol"]);
    side(&env, "dst", Eng::Maria);
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::KeyCollision, "{}", e.message);
    for want in [
        "\"Alice\" and \"alice\"",
        "\"Bob\" and \"Bob  \"",
        "utf8mb4_general_ci",
        "--binary-collation",
        "nothing was written",
    ] {
        assert!(e.message.contains(want), "{want} in: {}", e.message);
    }
    assert_eq!(maria_namespaces(&n), "0", "nothing was created");
    // With the binary NO PAD collation, all five keys stay distinct.
    let r = migrate(&env, &MigrateOptions { binary_collation: true, ..to(&[("default", "dst")]) }).await.unwrap();
    assert!(
        r.plan.notes.iter().any(|x| x.contains("utf8mb4_nopad_bin") && x.contains("Schema Loader")),
        "{:?}",
        r.plan.notes
    );
    let my = MariaDbServer::shared();
    assert_eq!(
        my.sql(&format!(
            "SELECT DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{}'",
            n.sales
        )),
        "utf8mb4_nopad_bin"
    );
    assert_eq!(my.sql(&format!("SELECT COUNT(*) FROM `{}`.k", n.sales)), "5");
    assert_eq!(my.sql(&format!("SELECT HEX(id) FROM `{}`.k WHERE v = 3", n.sales)), "426F622020");
    for ns in [&n.sales, &n.sys] {
        my.sql(&format!("DROP DATABASE `{ns}`"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_over_long_key_and_an_over_long_name_are_refused_naming_table_key_and_column() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let long: &'static str = Box::leak("k".repeat(129).into_boxed_str());
    keyed_source(&env, Eng::Lite, &n, &["short", long]);
    side(&env, "dst", Eng::Maria);
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::KeyTooLong, "{}", e.message);
    for want in [&format!("{}.k", n.sales), "key column id", "129 characters", "128"] {
        assert!(e.message.contains(want), "{want} in: {}", e.message);
    }
    assert_eq!(maria_namespaces(&n), "0");

    // A 64-byte column name: SQLite and MariaDB take it, PostgreSQL does not (63).
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let src = side(&env, "src", Eng::Lite);
    let col = "c".repeat(64);
    let cols: Vec<Col> =
        vec![("id".into(), "INT", Some("PARTITION"), None, false), (col.clone(), "INT", None, None, false)];
    src.db().exec(&tables_sql(
        Eng::Lite,
        &n.sys,
        &[Table { ns: n.sales.clone(), name: "wide".into(), cols, rows: vec![vec![V::I(1), V::I(2)]] }],
    ));
    deployment(&env, &n, &[("default", &src.profile)], &[], None);
    let dst = side(&env, "dst", Eng::Pg);
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::NameTooLong, "{}", e.message);
    assert!(
        e.message.contains(&col) && e.message.contains("64 bytes") && e.message.contains("at most 63"),
        "{}",
        e.message
    );
    let there = dst.db().sql(&format!(
        "SELECT count(*) FROM information_schema.schemata WHERE schema_name IN ('{}', '{}')",
        n.sales, n.sys
    ));
    assert_eq!(there[0][0], "0");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_the_metadata_does_not_list_is_refused_rather_than_lost() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let src = side(&env, "src", Eng::Lite);
    let cols: Vec<Col> = vec![("id".into(), "INT", Some("PARTITION"), None, false)];
    let mut sql = tables_sql(
        Eng::Lite,
        &n.sys,
        &[Table { ns: n.sales.clone(), name: "t".into(), cols, rows: vec![vec![V::I(1)]] }],
    );
    sql.push_str(&format!("ALTER TABLE \"{}$t\" ADD COLUMN hidden INT;", n.sales));
    src.db().exec(&sql);
    deployment(&env, &n, &[("default", &src.profile)], &[], None);
    let dst = side(&env, "dst", Eng::Lite);
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{}", e.message);
    for want in [&format!("{}.t", n.sales), "hidden", &format!("{}.metadata does not list", n.sys)] {
        assert!(e.message.contains(want), "{want} in: {}", e.message);
    }
    let tables = dst.db().sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'");
    assert_eq!(tables[0][0], "0", "nothing was written");
}

/// A SQLite source whose `bulk` table takes a while to copy (no tx columns: a storage-only table).
fn bulk_source(env: &Env, n: &Names, rows: u32) -> Side {
    let src = side(env, "src", Eng::Lite);
    let cols: Vec<Col> =
        vec![("id".into(), "INT", Some("PARTITION"), None, false), ("v".into(), "TEXT", None, None, false)];
    let mut sql =
        tables_sql(Eng::Lite, &n.sys, &[Table { ns: n.sales.clone(), name: "bulk".into(), cols, rows: vec![] }]);
    sql.push_str(&format!(
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) INSERT INTO \"{}$bulk\" SELECT x, printf('%060d', x) FROM c;",
        n.sales
    ));
    src.db().exec(&sql);
    deployment(env, n, &[("default", &src.profile)], &[], None);
    src
}

/// Runs a migration in the background; `go` fires once rows are being written.
fn started(
    env: &Env,
    cancel: CancellationToken,
) -> (tokio::task::JoinHandle<Result<MigrationResult, Error>>, tokio::sync::watch::Receiver<bool>) {
    let (tx, rx) = tokio::sync::watch::channel(false);
    let sink: quiesce_engine::job::Sink = std::sync::Arc::new(move |e| {
        if let quiesce_engine::job::JobEvent::Progress(p) = e {
            if p.rows_done > 0 {
                let _ = tx.send(true);
            }
        }
    });
    let ds = env.ds.clone();
    let h = tokio::spawn(async move { job::migrate(&ds, "d", &to(&[("default", "dst")]), &sink, &cancel).await });
    (h, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_migration_drops_everything_it_created() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    bulk_source(&env, &n, 400_000);
    side(&env, "dst", Eng::Maria);
    let cancel = CancellationToken::new();
    let (h, mut go) = started(&env, cancel.clone());
    go.wait_for(|g| *g).await.unwrap();
    // Nothing else writes into its target meanwhile, nor drops what it creates there.
    let e = job::cleanup(&env.ds, &["dst".to_string()]).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Busy, "{}", e.message);
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    assert!(e.code == ErrorCode::Busy && e.message.contains("\"dst\""), "{:?}: {}", e.code, e.message);
    cancel.cancel();
    let e = h.await.unwrap().unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled, "{}", e.message);
    assert_eq!(maria_namespaces(&n), "0", "the cancelled migration's namespaces are dropped");
    assert_eq!(
        std::fs::read_dir(env.dir.path().join("data/jobs")).map(|d| d.count()).unwrap_or(0),
        0,
        "no journal left: everything it owned was dropped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_killed_mid_migration_names_what_it_left_and_the_next_run_drops_it() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    bulk_source(&env, &n, 400_000);
    let pg = PgServer::start(Default::default());
    let db = pg.create_database();
    env.pg("dst", &pg, &db, SUPERUSER, &pg.password);
    let (h, mut go) = started(&env, CancellationToken::new());
    go.wait_for(|g| *g).await.unwrap();
    pg.kill();
    let e = h.await.unwrap().unwrap_err();
    assert!(matches!(e.code, ErrorCode::ConnectionRefused | ErrorCode::DatabaseError), "{:?}: {}", e.code, e.message);
    for want in ["could not be cleaned up", &format!("namespace \"{}\" on profile dst", n.sales), "--cleanup"] {
        assert!(e.message.contains(want), "{want} in: {}", e.message);
    }
    // What it left is owned by its ended job: flagged at start, shown by the overview.
    let flagged = quiesce_engine::startup::check(&env.ds).flagged;
    assert!(flagged.iter().any(|f| f.contains(&n.sales) && f.contains("--cleanup")), "{flagged:?}");
    let o = quiesce_engine::overview::build(&env.ds).unwrap();
    let d = o.deployments.iter().find(|d| d.name == "d").unwrap();
    let a = d.attention.iter().find(|a| a.kind == quiesce_engine::overview::AttentionKind::MigrationLeftover);
    assert!(a.is_some_and(|a| a.message.contains(&n.sales) && a.view == "migrate"), "{:?}", d.attention);
    // Back up: the next run drops what the first left, then migrates.
    pg.restart();
    let r = migrate(&env, &to(&[("default", "dst")])).await.unwrap();
    assert!(r.plan.leftovers.iter().any(|l| l.contains(&n.sales)), "{:?}", r.plan.leftovers);
    assert_eq!(r.proofs[0].target_rows, 400_000);
    assert_eq!(pg.psql(&db, &format!("SELECT count(*) FROM \"{}\".bulk", n.sales)), "400000");
    assert!(quiesce_engine::startup::check(&env.ds).flagged.is_empty(), "nothing is left to flag");
}

/// ScalarDB Cluster's tables in the system namespace, which the metadata does
/// not list, with rows whose bytes must arrive exactly.
fn cluster_tables_sql(eng: Eng, sys: &str) -> String {
    let (t, b, users, tokens) = match eng {
        Eng::Lite => ("TEXT", "BLOB", format!("\"{sys}$users\""), format!("\"{sys}$auth_tokens\"")),
        Eng::Pg => ("TEXT", "BYTEA", format!("\"{sys}\".users"), format!("\"{sys}\".auth_tokens")),
        Eng::Maria => ("VARCHAR(128)", "LONGBLOB", format!("`{sys}`.users"), format!("`{sys}`.auth_tokens")),
    };
    let blob = |hex: &str| match eng {
        Eng::Pg => format!("'\\x{hex}'::bytea"),
        _ => format!("X'{hex}'"),
    };
    format!(
        "CREATE TABLE {users} (user_name {t} NOT NULL, password_hash {b}, is_superuser BOOLEAN, created_at BIGINT, PRIMARY KEY (user_name));
         CREATE TABLE {tokens} (token {t} NOT NULL, user_name {t}, expires_at BIGINT, PRIMARY KEY (token));
         INSERT INTO {users} VALUES ('admin', {}, TRUE, 1700000000000), ('Zoë ☃', {}, FALSE, -1);
         INSERT INTO {tokens} VALUES ('t-1', 'admin', 9223372036854775807);",
        blob("00ff0a27"),
        blob("")
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_tables_the_metadata_does_not_list_are_copied_and_proven_and_a_table_without_a_key_is_refused() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let src = side(&env, "src", Eng::Lite);
    src.db().exec(&fixture_sql(Eng::Lite, &n, &Part::ALL));
    src.db().exec(&cluster_tables_sql(Eng::Lite, &n.sys));
    // A table that cannot be compared row by row: refused by name, nothing written.
    src.db().exec(&format!("CREATE TABLE \"{}$audit_log\" (line TEXT)", n.sys));
    let dst = side(&env, "dst", Eng::Pg);
    deployment(&env, &n, &[("default", &src.profile)], &[], None);
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unsupported, "{}", e.message);
    for want in [&format!("{}.audit_log", n.sys), "no primary key", "nothing was written"] {
        assert!(e.message.contains(want), "{want} in: {}", e.message);
    }
    let schemas =
        dst.db().sql(&format!("SELECT count(*) FROM information_schema.schemata WHERE schema_name = '{}'", n.sys));
    assert_eq!(schemas[0][0], "0");

    src.db().exec(&format!("DROP TABLE \"{}$audit_log\"", n.sys));
    let r = migrate(&env, &to(&[("default", "dst")])).await.unwrap();
    assert_target(&dst.db(), &n, &r);
    let users = dst.db().sql(&format!(
        "SELECT user_name, encode(password_hash, 'hex'), is_superuser, created_at FROM \"{}\".users ORDER BY created_at DESC",
        n.sys
    ));
    assert_eq!(users, [["admin", "00ff0a27", "t", "1700000000000"], ["Zoë ☃", "", "f", "-1"]]);
    let tokens = dst.db().sql(&format!("SELECT token, user_name, expires_at FROM \"{}\".auth_tokens", n.sys));
    assert_eq!(tokens, [["t-1", "admin", "9223372036854775807"]]);
    // Proven like the listed tables, and still not listed on the target.
    for t in ["users", "auth_tokens"] {
        let name = format!("{}.{t}", n.sys);
        let p = r.proofs.iter().find(|p| p.table == name).unwrap_or_else(|| panic!("{name} has a proof"));
        assert_eq!((p.source_rows, &p.source_fingerprint), (p.target_rows, &p.target_fingerprint));
        assert!(r.plan.tables.iter().any(|x| x.table == t && !x.in_metadata));
    }
    let listed =
        dst.db().sql(&format!("SELECT count(*) FROM \"{}\".metadata WHERE full_table_name LIKE '{}.%'", n.sys, n.sys));
    assert_eq!(listed[0][0], "0", "the metadata lists what it listed on the source");
    assert!(
        r.plan.checks.iter().any(|c| c.name == "unlisted" && c.ok && c.message.contains("2 tables")),
        "{:?}",
        r.plan.checks
    );
}

/// A source of one table `<sales>.v` (INT key `id`, then `cols`) with `rows`, as one storage.
fn valued_source(env: &Env, eng: Eng, n: &Names, cols: Vec<Col>, rows: Vec<Vec<V>>) -> Side {
    let src = side(env, "src", eng);
    let mut all: Vec<Col> = vec![("id".into(), "INT", Some("PARTITION"), None, false)];
    all.extend(cols);
    src.db().exec(&tables_sql(eng, &n.sys, &[Table { ns: n.sales.clone(), name: "v".into(), cols: all, rows }]));
    deployment(env, n, &[("default", &src.profile)], &[], None);
    src
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_in_text_for_postgresql_is_refused_up_front_naming_table_key_and_column_and_leaves_no_new_file() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let src = valued_source(
        &env,
        Eng::Lite,
        &n,
        vec![("note".into(), "TEXT", None, None, false)],
        vec![vec![V::I(1), V::S("fine")], vec![V::I(7), V::S("x")]],
    );
    src.db().exec(&format!("UPDATE \"{}$v\" SET note = 'a' || char(0) || 'b' WHERE id = 7", n.sales));
    let dst = side(&env, "dst", Eng::Pg);
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    for want in [&format!("{}.v", n.sales), "key (id=7)", "column note", "NUL", "nothing was written"] {
        assert!(e.message.contains(want), "{want} in: {}", e.message);
    }
    let there =
        dst.db().sql(&format!("SELECT count(*) FROM information_schema.schemata WHERE schema_name = '{}'", n.sales));
    assert_eq!(there[0][0], "0");
    // A refused migration to a SQLite file that did not exist leaves none behind.
    let n2 = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let env2 = Env::new();
    let src2 = valued_source(
        &env2,
        Eng::Pg,
        &n2,
        vec![("note".into(), "TEXT", None, None, false)],
        vec![vec![V::I(1), V::S("x")]],
    );
    src2.db().exec(&format!("CREATE TABLE \"{}\".keyless (x int)", n2.sys));
    let new = side(&env2, "dst", Eng::Lite);
    assert!(!new.lite.exists());
    let e = migrate(&env2, &to(&[("default", "dst")])).await.unwrap_err();
    assert!(e.message.contains("no primary key"), "{}", e.message);
    assert!(!new.lite.exists(), "a refused migration left an empty {}", new.lite.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_spec_time_values_are_refused_and_signed_zero_is_one_value() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let cols = vec![("t".into(), "TIME", None, None, false), ("ts".into(), "TIMESTAMP", None, None, false)];
    let src = valued_source(&env, Eng::Lite, &n, cols, vec![vec![V::I(1), V::Null, V::Null]]);
    // 1 ns of the day: ScalarDB's TIME keeps microseconds, and would have written none like it.
    src.db().exec(&format!("UPDATE \"{}$v\" SET t = 1 WHERE id = 1", n.sales));
    side(&env, "dst", Eng::Pg);
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    assert!(e.message.contains(".t (Time) holds 1,") && e.message.contains("microseconds"), "{}", e.message);
    // A raw TIMESTAMP of -1 would read as 998 ms after the epoch: refused too.
    src.db().exec(&format!("UPDATE \"{}$v\" SET t = NULL, ts = -1 WHERE id = 1", n.sales));
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    assert!(e.message.contains(".ts (Timestamp) holds -1,"), "{}", e.message);

    // -0.0 from PostgreSQL into SQLite (which keeps it as 0): one value for the proof, the migration completes.
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let src =
        valued_source(&env, Eng::Pg, &n, vec![("d".into(), "DOUBLE", None, None, false)], vec![vec![V::I(1), V::Null]]);
    src.db().exec(&format!("UPDATE \"{}\".v SET d = '-0'::float8", n.sales));
    let dst = side(&env, "dst", Eng::Lite);
    let r = migrate(&env, &to(&[("default", "dst")])).await.unwrap();
    assert!(r.proofs.iter().all(|p| p.source_fingerprint == p.target_fingerprint));
    assert_eq!(dst.db().sql(&format!("SELECT d = 0 FROM \"{}$v\"", n.sales))[0][0], "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blob_over_the_targets_max_allowed_packet_names_the_setting_and_its_value() {
    let env = Env::new();
    let n = Names::new(&quiesce_testsupport::random_suffix().to_ascii_lowercase());
    let src =
        valued_source(&env, Eng::Lite, &n, vec![("b".into(), "BLOB", None, None, false)], vec![vec![V::I(1), V::Null]]);
    src.db().exec(&format!("UPDATE \"{}$v\" SET b = zeroblob(20 * 1024 * 1024)", n.sales));
    side(&env, "dst", Eng::Maria);
    let packet = MariaDbServer::shared().sql("SELECT @@max_allowed_packet");
    assert!(packet.parse::<u64>().unwrap() < 20 << 20, "the server takes 20 MB: the fault cannot happen ({packet})");
    let e = migrate(&env, &to(&[("default", "dst")])).await.unwrap_err();
    for want in ["max_allowed_packet", &format!("({packet} bytes)"), "column b", "SET GLOBAL max_allowed_packet"] {
        assert!(e.message.contains(want), "{want} in: {}", e.message);
    }
    assert_eq!(maria_namespaces(&n), "0", "undone");
}
