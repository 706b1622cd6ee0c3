//! Discovery against real throwaway servers (PostgreSQL 15, PostgreSQL 18,
//! MariaDB 10.11) and SQLite files carrying a ScalarDB layout made by the test
//! fixture: metadata, coordinator, Consensus Commit columns, in-flight
//! records, a missing coordinator, an unreadable namespace, an unlisted table,
//! and Debian's pg_dump 15 facing a PostgreSQL 18 server. Then the plan built
//! on that discovery.

mod common;
use common::Env;
use quiesce_engine::discovery::{self, Severity, StorageDiscovery};
use quiesce_engine::plan::{self, Method};
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_testsupport::mariadb::{self, MariaDbServer};
use quiesce_testsupport::postgres::{PgServer, SUPERUSER};
use quiesce_testsupport::scalardb::{Engine, Layout, DELETED, PREPARED};

fn has(s: &StorageDiscovery, code: &str, needle: &str) -> bool {
    s.findings.iter().any(|f| f.code == code && f.message.contains(needle))
}

fn codes(s: &StorageDiscovery) -> Vec<String> {
    s.findings.iter().map(|f| format!("{}: {}", f.code, f.message)).collect()
}

#[tokio::test]
async fn postgres_layout_with_in_flight_records_and_an_unlisted_table() {
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, 10, 100));
    s.psql(&db, &l.prepare_sql(Engine::Postgres, &[1, 2], PREPARED, "tx-in-flight"));
    s.psql(&db, &l.prepare_sql(Engine::Postgres, &[3], DELETED, "tx-deleting"));
    s.psql(&db, &l.unlisted_sql(Engine::Postgres, "bank", "shadow"));
    s.psql(&db, "CREATE SCHEMA legacy;");
    s.psql(&db, &l.unlisted_sql(Engine::Postgres, "legacy", "old"));
    let env = Env::new();
    let p = env.pg("pg", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("d", &[("default", &p)], &[], &l);
    let disc = env.discover(&d).await;
    let st = &disc.storages[0];
    assert!(st.reachable && st.metadata_found && st.coordinator_found, "{:?}", codes(st));
    assert_eq!(st.product.as_deref(), Some("PostgreSQL"));
    assert_eq!(st.server_major, Some(15));
    assert_eq!(st.namespaces, vec!["audit", "bank", "coordinator", "scalardb"]);
    let acc = st.tables.iter().find(|t| t.physical_name == "bank.accounts").unwrap();
    assert_eq!((acc.rows, acc.prepared, acc.deleted, acc.rows_exact), (Some(10), Some(2), Some(1), true));
    assert!(acc.size_bytes.unwrap() > 0);
    assert!(st.tables.iter().any(|t| t.is_coordinator && t.physical_name == "coordinator.state"));
    assert!(
        has(st, "unlisted_table", "bank.shadow") && has(st, "unlisted_table", "will be backed up"),
        "{:?}",
        codes(st)
    );
    assert!(has(st, "unlisted_table", "legacy.old") && has(st, "unlisted_table", "not backed up"), "{:?}", codes(st));
    assert!(has(st, "in_flight", "3 record(s)"), "{:?}", codes(st));
    let dump = st.tools.iter().find(|t| t.tool == "pg_dump").unwrap();
    assert!(dump.ok && dump.major >= Some(15), "{dump:?}");

    // The plan built on it: a single PostgreSQL database -> no pause, and the
    // command dumps exactly the discovered schemas.
    let dep = env.ds.get(&d).unwrap();
    let plan = plan::evaluate(&dep, &env.ds.storage_profiles(&dep).unwrap(), Some(&disc));
    assert_eq!(plan.method, Method::NoPause);
    assert!(plan.units[0].namespaces_discovered);
    let cmd = plan.steps[0].backup.command.clone().unwrap();
    assert!(cmd.contains("--schema=audit --schema=bank --schema=coordinator --schema=scalardb"), "{cmd}");
    assert!(!cmd.contains("legacy") && !cmd.contains(&s.password), "{cmd}");
    assert!(plan.warnings.iter().any(|w| w.code == "unlisted_table"));

    // Kept with the time it was taken; read back as it was.
    discovery::save(env.ds.home(), &disc).unwrap();
    assert_eq!(discovery::load(env.ds.home(), &d).unwrap(), Some(disc));
}

#[tokio::test]
async fn postgres_missing_coordinator_missing_metadata_and_an_unreadable_namespace() {
    let s = PgServer::shared();
    let env = Env::new();

    let db = s.create_database();
    let l = Layout { with_coordinator: false, ..Layout::standard() };
    s.psql(&db, &l.sql(Engine::Postgres, 3, 100));
    let p = env.pg("nocoord", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("nocoord", &[("default", &p)], &[], &l);
    let st = env.discover(&d).await.storages.remove(0);
    assert!(!st.coordinator_found);
    assert!(
        st.findings.iter().any(|f| f.code == "no_coordinator" && f.severity == Severity::Error),
        "{:?}",
        codes(&st)
    );

    let db = s.create_database();
    let p = env.pg("nometa", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("nometa", &[("default", &p)], &[], &Layout::standard());
    let st = env.discover(&d).await.storages.remove(0);
    assert!(st.reachable && !st.metadata_found);
    assert!(has(&st, "no_metadata", "scalardb.metadata"), "{:?}", codes(&st));

    // A user who may read bank but not audit.
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, 3, 100));
    let role = format!("reader_{}", quiesce_testsupport::random_suffix());
    s.create_role(&role, "reader-pw");
    s.psql(
        &db,
        &format!(
            "GRANT USAGE ON SCHEMA bank, coordinator, scalardb TO {role}; \
             GRANT SELECT ON ALL TABLES IN SCHEMA bank, coordinator, scalardb TO {role};"
        ),
    );
    let p = env.pg("reader", s, &db, &role, "reader-pw");
    let d = env.deployment("reader", &[("default", &p)], &[], &l);
    let st = env.discover(&d).await.storages.remove(0);
    assert!(st.reachable, "{:?}", codes(&st));
    assert!(has(&st, "namespace_unreadable", "namespace audit"), "{:?}", codes(&st));
    assert!(!has(&st, "namespace_unreadable", "namespace bank"), "{:?}", codes(&st));
    let bank = st.tables.iter().find(|t| t.namespace == "bank").unwrap();
    assert_eq!(bank.rows, Some(3), "the readable namespace is still counted");
}

#[tokio::test]
async fn an_unreachable_storage_is_a_finding_and_the_others_are_still_discovered() {
    let s = PgServer::shared();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, 2, 100));
    let env = Env::new();
    let good = env.pg("good", s, &db, SUPERUSER, &s.password);
    let closed = quiesce_testsupport::free_port();
    let bad = env.profile(
        "bad",
        ProfileInput {
            kind: Some(DbKind::Postgresql),
            host: Some("127.0.0.1".into()),
            port: Some(closed),
            database: Some("x".into()),
            user: Some("u".into()),
            ..Default::default()
        },
        Some("pw"),
    );
    let d = env.deployment("two", &[("a", &good), ("b", &bad)], &[("events", "b")], &l);
    let disc = env.discover(&d).await;
    let (a, b) = (disc.storage("a").unwrap(), disc.storage("b").unwrap());
    assert!(a.reachable && a.metadata_found);
    assert!(!b.reachable);
    assert_eq!(b.error.as_ref().map(|e| e.code), Some(quiesce_engine::ErrorCode::ConnectionRefused));
    assert!(has(b, "unreachable", "refused the connection"), "{:?}", codes(b));
    let dep = env.ds.get(&d).unwrap();
    let plan = plan::evaluate(&dep, &env.ds.storage_profiles(&dep).unwrap(), Some(&disc));
    assert_eq!(plan.method, Method::Pause, "two databases need a pause whatever discovery found");
}

#[tokio::test]
async fn debian_pg_dump_15_is_too_old_for_a_postgresql_18_server() {
    let s = PgServer::shared_pg18();
    let db = s.create_database();
    let l = Layout::standard();
    s.psql(&db, &l.sql(Engine::Postgres, 2, 100));
    let env = Env::new();
    let p = env.pg("pg18", s, &db, SUPERUSER, &s.password);
    let d = env.deployment("pg18", &[("default", &p)], &[], &l);
    let st = env.discover(&d).await.storages.remove(0);
    assert_eq!(st.server_major, Some(18), "{:?}", st.server_version);
    assert!(st.metadata_found && st.coordinator_found);
    let dump = st.tools.iter().find(|t| t.tool == "pg_dump").unwrap();
    assert!(!dump.ok, "{dump:?}");
    assert_eq!(dump.major, Some(15));
    assert!(has(&st, "tool_too_old", "older than the server (18)"), "{:?}", codes(&st));
    // The plan carries it as an error the user sees before anything runs.
    let dep = env.ds.get(&d).unwrap();
    let disc = discovery::Discovery { storages: vec![st], ..env.discover(&d).await };
    let plan = plan::evaluate(&dep, &env.ds.storage_profiles(&dep).unwrap(), Some(&disc));
    assert!(plan.warnings.iter().any(|w| w.code == "tool_too_old" && w.severity == Severity::Error));
}

#[tokio::test]
async fn mariadb_layout_with_myisam_in_flight_records_and_an_unreadable_database() {
    let s = MariaDbServer::shared();
    let sfx = quiesce_testsupport::random_suffix();
    let l = Layout::unique(&sfx);
    s.sql(&l.sql(Engine::Mysql, 5, 100));
    s.sql(&l.prepare_sql(Engine::Mysql, &[0], PREPARED, "tx-a"));
    s.sql(&format!("ALTER TABLE `{}`.transfers ENGINE=MyISAM", l.audit));
    let env = Env::new();
    let mut input = ProfileInput {
        kind: Some(DbKind::Mysql),
        host: Some("127.0.0.1".into()),
        port: Some(s.port),
        user: Some(mariadb::USER.into()),
        ..Default::default()
    };
    let p = env.profile("my", input.clone(), Some(&s.password));
    let d = env.deployment("my", &[("default", &p)], &[], &l);
    let disc = env.discover(&d).await;
    let st = &disc.storages[0];
    assert!(st.reachable && st.metadata_found && st.coordinator_found, "{:?}", codes(st));
    assert_eq!(st.product.as_deref(), Some("MariaDB"));
    let mut want = vec![l.audit.clone(), l.bank.clone(), l.coordinator.clone(), l.system.clone()];
    want.sort();
    assert_eq!(st.namespaces, want);
    let acc = st.tables.iter().find(|t| t.namespace == l.bank).unwrap();
    assert_eq!((acc.rows, acc.prepared, acc.deleted), (Some(5), Some(1), Some(0)));
    assert_eq!(acc.engine.as_deref(), Some("InnoDB"));
    assert!(has(st, "not_innodb", &format!("{}.transfers uses the MyISAM engine", l.audit)), "{:?}", codes(st));
    assert!(st.tools.iter().any(|t| t.ok && (t.tool == "mariadb-dump" || t.tool == "mysqldump")));
    let dep = env.ds.get(&d).unwrap();
    let plan = plan::evaluate(&dep, &env.ds.storage_profiles(&dep).unwrap(), Some(&disc));
    assert_eq!(plan.method, Method::NoPause);
    let cmd = plan.steps[0].backup.command.clone().unwrap();
    let dbs = format!("--databases -- {} {} {} {}", want[0], want[1], want[2], want[3]);
    assert!(cmd.contains("--single-transaction") && cmd.contains(&dbs), "{cmd}");
    assert!(plan.warnings.iter().any(|w| w.code == "not_innodb" && w.severity == Severity::Error));

    // A user who may not read the audit database.
    let user = format!("r{sfx}");
    s.sql(&format!(
        "CREATE USER '{user}'@'%' IDENTIFIED BY 'rpw'; GRANT SELECT ON `{}`.* TO '{user}'@'%'; GRANT SELECT ON `{}`.* TO '{user}'@'%'; GRANT SELECT ON `{}`.* TO '{user}'@'%';",
        l.bank, l.coordinator, l.system
    ));
    input.user = Some(user.clone());
    let p = env.profile("reader", input, Some("rpw"));
    let d = env.deployment("reader", &[("default", &p)], &[], &l);
    let st = env.discover(&d).await.storages.remove(0);
    assert!(has(&st, "namespace_unreadable", &format!("namespace {}", l.audit)), "{:?}", codes(&st));
    assert!(!has(&st, "namespace_unreadable", &format!("namespace {}", l.bank)), "{:?}", codes(&st));
}

#[tokio::test]
async fn sqlite_layout_with_in_flight_records_unlisted_table_and_missing_coordinator() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.sqlite");
    quiesce_engine::demo::create_demo_database(&file).unwrap();
    {
        let c = rusqlite::Connection::open(&file).unwrap();
        c.execute_batch(
            "UPDATE \"bank$accounts\" SET tx_state = 1, tx_id = 'in-flight' WHERE account_id IN (1, 2, 3);\
             CREATE TABLE \"bank$shadow\" (id INTEGER PRIMARY KEY, tx_id TEXT, tx_state INTEGER, tx_version INTEGER, tx_prepared_at INTEGER);",
        )
        .unwrap();
    }
    let env = Env::new();
    let input =
        ProfileInput { kind: Some(DbKind::Sqlite), path: Some(file.display().to_string()), ..Default::default() };
    let p = env.profile("lite", input, None);
    let d = env.deployment("lite", &[("default", &p)], &[], &Layout::standard());
    let st = env.discover(&d).await.storages.remove(0);
    assert!(st.reachable && st.metadata_found && st.coordinator_found, "{:?}", codes(&st));
    assert_eq!(st.namespaces, vec!["audit", "bank", "coordinator", "scalardb"]);
    let acc = st.tables.iter().find(|t| t.physical_name == "bank$accounts").unwrap();
    assert_eq!((acc.rows, acc.prepared), (Some(100), Some(3)));
    assert!(has(&st, "unlisted_table", "bank$shadow"), "{:?}", codes(&st));
    assert!(has(&st, "in_flight", "3 record(s)"), "{:?}", codes(&st));

    rusqlite::Connection::open(&file).unwrap().execute_batch("DROP TABLE \"coordinator$state\"").unwrap();
    let st = env.discover(&d).await.storages.remove(0);
    assert!(has(&st, "no_coordinator", "coordinator.state"), "{:?}", codes(&st));
}
