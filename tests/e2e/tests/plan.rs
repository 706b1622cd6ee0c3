//! The Plan view of the real app: a single-PostgreSQL deployment takes the
//! no-pause path, a two-storage one the pause path; discovery reads the real
//! server and the step card shows the exact pg_dump command.

mod common;
use common::*;
use quiesce_engine::deployment::{DeploymentInput, DeploymentStorage, NamespaceMapping};
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_engine::secrets::SecretStore;
use quiesce_testsupport::postgres::PgServer;
use quiesce_testsupport::scalardb::{Engine, Layout};

async fn attr(c: &fantoccini::Client, css: &str, name: &str) -> String {
    wait_for(c, css).await.attr(name).await.unwrap().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_view_highlights_the_path_of_each_deployment() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    pg.psql(&db, &Layout::standard().sql(Engine::Postgres, 5, 100));
    let sandbox = Sandbox::new();
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());

    // State made with the engine before the app starts, as the CLI would.
    let ds = sandbox.deployments();
    let p = pg_profile(&ds, "bank-pg", pg, &db);
    let c = ds
        .profiles()
        .create(&ProfileInput {
            name: "events-cassandra".into(),
            kind: Some(DbKind::Cassandra),
            nodes: vec!["cass-1".into()],
            ..Default::default()
        })
        .unwrap();
    let storage = |n: &str, id: &str| DeploymentStorage { name: n.into(), profile_id: id.into() };
    ds.create(
        &DeploymentInput {
            name: "a-single-pg".into(),
            storages: vec![storage("default", &p.id)],
            ..Default::default()
        },
        None,
    )
    .unwrap();
    ds.create(
        &DeploymentInput {
            name: "b-two-storages".into(),
            storages: vec![storage("pg", &p.id), storage("cass", &c.id)],
            namespace_mapping: vec![NamespaceMapping { namespace: "events".into(), storage: "cass".into() }],
            default_storage: Some("pg".into()),
            ..Default::default()
        },
        None,
    )
    .unwrap();

    let driver = start_driver(&home, &qhome);
    let client = connect(&driver).await;
    drive(&client, move |c| async move {
        wait_for(&c, "[data-testid='nav-plan']").await.click().await.unwrap();
        // The first deployment (single PostgreSQL) is planned at once.
        assert_eq!(attr(&c, "[data-testid='plan-method']", "data-method").await, "no_pause");
        let no_pause = "[data-testid='tree-node-back-up-without-explicit-pausing']";
        let pause = "[data-testid='tree-node-back-up-with-explicit-pausing']";
        assert_eq!(attr(&c, no_pause, "data-on-path").await, "true");
        assert_eq!(attr(&c, pause, "data-on-path").await, "false");
        let path = wait_for(&c, "[data-testid='plan-path']").await.text().await.unwrap();
        assert!(path.contains("One storage, \"default\": the PostgreSQL database"), "{path}");

        // Discovery reads the real server; the step's command names its schemas.
        wait_for(&c, "[data-testid='discover']").await.click().await.unwrap();
        let found = wait_for(&c, "[data-testid='found-default']").await.text().await.unwrap();
        assert!(found.contains("bank.accounts") && found.contains("coordinator.state"), "{found}");
        let cmd = wait_for(&c, "[data-testid='plan-step-1'] [data-testid='step-command']").await.text().await.unwrap();
        assert!(cmd.contains("--schema=audit --schema=bank --schema=coordinator --schema=scalardb"), "{cmd}");
        assert!(cmd.contains("PGPASSFILE=<0600 pass file>"), "{cmd}");
        screenshot(&c, "20-plan-single-pg").await;

        // Switching deployments re-evaluates: two storages take the pause path.
        select_when_ready(&c, "[data-testid='plan-deployment']", "b-two-storages").await;
        c.wait()
            .at_most(std::time::Duration::from_secs(20))
            .for_element(fantoccini::Locator::Css("[data-testid='plan-method'][data-method='pause']"))
            .await
            .expect("the two-storage deployment takes the pause path");
        assert_eq!(attr(&c, pause, "data-on-path").await, "true");
        assert_eq!(attr(&c, no_pause, "data-on-path").await, "false");
        let path = wait_for(&c, "[data-testid='plan-path']").await.text().await.unwrap();
        assert!(path.contains("multi-storage") && path.contains("-> 2 databases"), "{path}");
        let warnings = wait_for(&c, "[data-testid='plan-warnings']").await.text().await.unwrap();
        assert!(warnings.contains("Scalar Admin endpoints"), "{warnings}");
        // Hovering a node shows its reason.
        click_when_ready(&c, pause).await;
        let detail = wait_for(&c, "[data-testid='node-detail']").await.text().await.unwrap();
        assert!(detail.contains("Here:"), "{detail}");
        screenshot(&c, "21-plan-two-storages").await;
    })
    .await;
    drop(driver);
    for p in ds.profiles().list().unwrap() {
        if let Some(s) = p.secret {
            SecretStore::new().delete(&s.account).unwrap();
        }
    }
}
