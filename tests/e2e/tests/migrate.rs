//! The Migrate wizard of the real app: a PostgreSQL deployment with a
//! transaction in flight, into a new SQLite file. The checks and the layout
//! per table are shown before anything is written; the proof and the new
//! properties after. The target is then read with SQLite itself.

mod common;
use common::*;
use quiesce_engine::deployment::{DeploymentInput, DeploymentStorage};
use quiesce_engine::secrets::SecretStore;
use quiesce_testsupport::migration::{fixture_sql, Eng, Names, Part, ACCOUNTS, PREPARED};
use quiesce_testsupport::postgres::PgServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_postgres_into_a_new_sqlite_file_through_the_wizard() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    // Every ScalarDB type, records in flight, the coordinator and the metadata, as ScalarDB lays them out.
    let n = Names::new("gui");
    pg.psql(&db, &fixture_sql(Eng::Pg, &n, &Part::ALL));
    let sandbox = Sandbox::new();
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let ds = sandbox.deployments();
    let src = pg_profile(&ds, "bank-pg", pg, &db);
    ds.create(
        &DeploymentInput {
            name: "a-bank".into(),
            storages: vec![DeploymentStorage { name: "default".into(), profile_id: src.id.clone() }],
            coordinator_namespace: Some(n.coord.clone()),
            system_namespace: Some(n.sys.clone()),
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let file = qhome.join("migrated.sqlite");
    ds.profiles()
        .create(&quiesce_engine::profile::ProfileInput {
            name: "new-sqlite".into(),
            kind: Some(quiesce_engine::profile::DbKind::Sqlite),
            path: Some(file.display().to_string()),
            ..Default::default()
        })
        .unwrap();
    let props = qhome.join("new-database.properties");

    let driver = start_driver(&home, &qhome);
    let client = connect(&driver).await;
    let props_path = props.display().to_string();
    let accounts_table = format!("{}.accounts", n.bank);
    drive(&client, move |c| async move {
        wait_for(&c, "[data-testid='nav-migrate']").await.click().await.unwrap();
        select_when_ready(&c, "[data-testid='migrate-deployment']", "a-bank").await;
        select_when_ready(&c, "[data-testid='migrate-target-default']", "new-sqlite (sqlite)").await;
        click_when_ready(&c, "[data-testid='migrate-check']").await;
        let checks = wait_for(&c, "[data-testid='migrate-checks']").await.text().await.unwrap();
        assert!(!checks.contains('✗'), "{checks}");
        let accounts = wait_for(&c, &format!("[data-testid='migrate-table-{accounts_table}']")).await;
        // The plan scrolls smoothly into view as it appears.
        click_settled(&c, &format!("[data-testid='migrate-table-{accounts_table}'] summary")).await;
        let layout = accounts.text().await.unwrap();
        assert!(layout.contains(&format!("{ACCOUNTS} rows")) && layout.contains("tx_state"), "{layout}");
        screenshot(&c, "60-migrate-checks").await;
        click_when_ready(&c, "[data-testid='start-migration']").await;
        let done = wait_for(&c, "[data-testid='migrate-done']").await.text().await.unwrap();
        assert!(done.contains("every row count and fingerprint matches") && done.contains("✓ same"), "{done}");
        assert!(!done.contains("✗"), "{done}");
        let audit = wait_for(&c, "[data-testid='migrate-audit']").await.text().await.unwrap();
        assert!(audit.contains("Target"), "{audit}");
        let properties = wait_for(&c, "[data-testid='migrate-properties']").await.text().await.unwrap();
        assert!(properties.contains("jdbc:sqlite:") && !properties.contains("password="), "{properties}");
        fill(&c, "[data-testid='migrate-props-path']", &props_path).await;
        click_when_ready(&c, "[data-testid='migrate-props-save']").await;
        screenshot(&c, "61-migrate-proof").await;
    })
    .await;
    drop(driver);
    // The copy, read by SQLite itself: every account, the in-flight records still PREPARED.
    let conn = rusqlite::Connection::open(&file).unwrap();
    let sql = format!("SELECT count(*), sum(tx_state = {PREPARED}) FROM \"{}$accounts\"", n.bank);
    let (rows, prepared): (i64, i64) = conn.query_row(&sql, [], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
    let src_prepared = pg.psql(&db, &format!("SELECT count(*) FROM {}.accounts WHERE tx_state = {PREPARED}", n.bank));
    assert_eq!((rows, prepared.to_string()), (ACCOUNTS, src_prepared));
    assert!(prepared > 0, "the fixture has records in flight");
    let saved = std::fs::read_to_string(&props).expect("the properties file was saved");
    assert!(saved.contains("jdbc:sqlite:"), "{saved}");
    SecretStore::new().delete(&src.secret.unwrap().account).unwrap();
}
