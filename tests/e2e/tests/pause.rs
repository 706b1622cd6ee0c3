//! Pausing in the real app against a test Scalar Admin node: pause-and-hold
//! with its countdown and restore point, and a backup of a two-database
//! deployment taken inside a pause that ends once the snapshots are open.

mod common;
use common::*;
use quiesce_engine::deployment::{DeploymentInput, DeploymentStorage, NamespaceMapping};
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_testsupport::admin::AdminServer;
use quiesce_testsupport::mariadb::MariaDbServer;
use quiesce_testsupport::postgres::PgServer;
use quiesce_testsupport::scalardb::{Engine, Layout};
use std::time::{Duration, Instant};

/// A deployment on two SQLite files (two databases: its plan pauses) whose node is `node`.
fn deployment(sandbox: &Sandbox, node: &AdminServer) {
    let ds = sandbox.deployments();
    let mut storages = Vec::new();
    for n in ["ledger", "audit"] {
        let f = sandbox.dir.path().join(format!("{n}.sqlite"));
        let c = rusqlite::Connection::open(&f).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE \"scalardb$metadata\" (full_table_name TEXT, column_name TEXT, data_type TEXT NOT NULL, key_type TEXT, clustering_order TEXT, indexed BOOLEAN NOT NULL, ordinal_position INTEGER NOT NULL, PRIMARY KEY (full_table_name, column_name));
             CREATE TABLE \"{n}$t\" (id INT, tx_id TEXT, tx_state INT, tx_version INT, tx_prepared_at BIGINT, tx_committed_at BIGINT, PRIMARY KEY (id));
             INSERT INTO \"scalardb$metadata\" VALUES ('{n}.t', 'id', 'INT', 'PARTITION', NULL, FALSE, 1);"
        ))
        .unwrap();
        if n == "ledger" {
            c.execute_batch("CREATE TABLE \"coordinator$state\" (tx_id TEXT, tx_state INT NOT NULL, tx_created_at BIGINT NOT NULL, tx_child_ids TEXT, PRIMARY KEY (tx_id));").unwrap();
        }
        let p = ds
            .profiles()
            .create(&ProfileInput {
                name: format!("{n}-lite"),
                kind: Some(DbKind::Sqlite),
                path: Some(f.display().to_string()),
                ..Default::default()
            })
            .unwrap();
        storages.push(DeploymentStorage { name: n.into(), profile_id: p.id });
    }
    ds.create(
        &DeploymentInput {
            name: "payments".into(),
            storages,
            namespace_mapping: vec![
                NamespaceMapping { namespace: "ledger".into(), storage: "ledger".into() },
                NamespaceMapping { namespace: "coordinator".into(), storage: "ledger".into() },
                NamespaceMapping { namespace: "audit".into(), storage: "audit".into() },
            ],
            default_storage: Some("ledger".into()),
            admin_endpoints: vec![node.endpoint()],
            ..Default::default()
        },
        None,
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_and_hold_shows_the_nodes_a_countdown_and_the_restore_point() {
    let node = AdminServer::start(None);
    let sandbox = Sandbox::new();
    deployment(&sandbox, &node);
    let driver = start_driver(&sandbox.home, &sandbox.qhome);
    let client = connect(&driver).await;
    let n2 = node.node.clone();
    let addr = node.endpoint();
    drive(&client, move |c| async move {
        wait_for(&c, "[data-testid='nav-pause']").await.click().await.unwrap();
        let row = wait_for(&c, &format!("[data-testid='node-{addr}']")).await;
        assert!(row.text().await.unwrap().contains("running"));
        fill(&c, "[data-testid='pause-min']", "2").await;
        wait_for(&c, "[data-testid='start-pause']").await.click().await.unwrap();
        let (failed, said) = (["[data-testid='pause-failed']"], ["[data-testid='pause-phase']"]);
        let timer = wait_for_job(&c, "[data-testid='pause-countdown']", &failed, &said, 90).await.text().await.unwrap();
        assert!(timer.contains("left to hold"), "{timer}");
        assert!(n2.is_paused(), "the node is paused while the countdown runs");
        screenshot(&c, "50-pause-holding").await;
        let report = wait_for(&c, "[data-testid='window-report']").await;
        assert_eq!(report.attr("data-status").await.unwrap().as_deref(), Some("ok"));
        let utc = wait_for(&c, "[data-testid='restore-point-utc']").await.prop("value").await.unwrap().unwrap();
        assert!(utc.ends_with('Z'), "{utc}");
        screenshot(&c, "51-pause-restore-point").await;
        let history = wait_for(&c, "[data-testid='history']").await.text().await.unwrap();
        assert!(history.contains("pause") && history.contains("ok"), "{history}");
    })
    .await;
    drop(driver);
    assert_eq!(node.node.count("pause"), 1);
    assert!(!node.node.is_paused());
    let iv = node.node.intervals();
    let held = iv[0].1.unwrap() - iv[0].0;
    assert!(held >= Duration::from_secs(2), "held {held:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_plan_backup_shows_its_nodes_and_the_measured_pause() {
    let node = AdminServer::start(None);
    let sandbox = Sandbox::new();
    deployment(&sandbox, &node);
    let driver = start_driver(&sandbox.home, &sandbox.qhome);
    let client = connect(&driver).await;
    let addr = node.endpoint();
    drive(&client, move |c| async move {
        wait_for(&c, "[data-testid='nav-backups']").await.click().await.unwrap();
        select_when_ready(&c, "[data-testid='backup-deployment']", "payments").await;
        let plan = wait_for(&c, "[data-testid='backup-pause-plan']").await;
        assert!(plan.text().await.unwrap().contains("inside a pause"));
        wait_for(&c, &format!("[data-testid='node-{addr}']")).await;
        wait_for(&c, "[data-testid='start-backup']").await.click().await.unwrap();
        let done = wait_for(&c, "[data-testid='backup-done']").await.text().await.unwrap();
        assert!(done.contains("was paused") && done.contains("ms"), "{done}");
        screenshot(&c, "52-backup-inside-a-pause").await;
        let t = Instant::now();
        loop {
            let h = wait_for(&c, "[data-testid='backup-history']").await.text().await.unwrap();
            if h.contains("pause window") {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(10), "the window is listed with the backups: {h}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    drop(driver);
    assert_eq!(node.node.count("pause"), 1);
    assert!(!node.node.is_paused());
}

/// A deployment of two storages of one family (`pa`, `pb`: profile ids) on
/// the pair's layouts, paused through `node`.
fn pair(sandbox: &Sandbox, name: &str, pa: &str, pb: &str, la: &Layout, lb: &Layout, node: &AdminServer) {
    let map = |ns: &str, s: &str| NamespaceMapping { namespace: ns.into(), storage: s.into() };
    sandbox
        .deployments()
        .create(
            &DeploymentInput {
                name: name.into(),
                storages: vec![
                    DeploymentStorage { name: "a".into(), profile_id: pa.into() },
                    DeploymentStorage { name: "b".into(), profile_id: pb.into() },
                ],
                namespace_mapping: vec![
                    map(&la.bank, "a"),
                    map(&la.audit, "a"),
                    map(&lb.bank, "b"),
                    map(&lb.audit, "b"),
                    map(&lb.coordinator, "b"),
                ],
                default_storage: Some("a".into()),
                coordinator_namespace: Some(lb.coordinator.clone()),
                system_namespace: Some(la.system.clone()),
                admin_endpoints: vec![node.endpoint()],
                ..Default::default()
            },
            None,
        )
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_postgresql_and_two_mariadb_storages_are_backed_up_inside_a_pause_from_the_app() {
    // Each unit of one family writes its own password file in the same job.
    let (pg, my_a, my_b) = (PgServer::shared(), MariaDbServer::shared(), MariaDbServer::start());
    let sandbox = Sandbox::new();
    let ds = sandbox.deployments();
    let (pl_a, pl_b) = Layout::pair(&quiesce_testsupport::random_suffix());
    let (da, db) = (pg.create_database(), pg.create_database());
    pg.psql(&da, &pl_a.sql(Engine::Postgres, 5, 100));
    pg.psql(&db, &pl_b.sql(Engine::Postgres, 5, 100));
    let (ml_a, ml_b) = Layout::pair(&quiesce_testsupport::random_suffix());
    my_a.sql(&ml_a.sql(Engine::Mysql, 5, 100));
    my_b.sql(&ml_b.sql(Engine::Mysql, 5, 100));
    let (pn, mn) = (AdminServer::start(None), AdminServer::start(None));
    let (p1, p2) = (pg_profile(&ds, "p1", pg, &da), pg_profile(&ds, "p2", pg, &db));
    pair(&sandbox, "pg-pair", &p1.id, &p2.id, &pl_a, &pl_b, &pn);
    let (m1, m2) = (my_profile(&ds, "m1", my_a), my_profile(&ds, "m2", &my_b));
    pair(&sandbox, "maria-pair", &m1.id, &m2.id, &ml_a, &ml_b, &mn);
    let driver = start_driver(&sandbox.home, &sandbox.qhome);
    let client = connect(&driver).await;
    drive(&client, move |c| async move {
        wait_for(&c, "[data-testid='nav-backups']").await.click().await.unwrap();
        let mut before = String::new();
        for d in ["pg-pair", "maria-pair"] {
            select_when_ready(&c, "[data-testid='backup-deployment']", d).await;
            let plan = wait_for(&c, "[data-testid='backup-pause-plan']").await;
            assert!(plan.text().await.unwrap().contains("inside a pause"));
            click_when_ready(&c, "[data-testid='start-backup']").await;
            let t = Instant::now();
            let done = loop {
                // (The banner of the previous deployment's backup stays until this one starts.)
                if let Ok(e) = c.find(fantoccini::Locator::Css("[data-testid='backup-done']")).await {
                    match e.text().await {
                        Ok(t) if t != before => break t,
                        _ => {}
                    }
                }
                if let Ok(e) = c.find(fantoccini::Locator::Css("[data-testid='backup-error']")).await {
                    panic!("the backup of {d} failed: {}", e.text().await.unwrap());
                }
                assert!(t.elapsed() < Duration::from_secs(60), "the backup of {d} did not end");
                tokio::time::sleep(Duration::from_millis(200)).await;
            };
            assert!(done.contains("was paused"), "{d}: {done}");
            before = done;
            screenshot(&c, &format!("53-backup-{d}-inside-a-pause")).await;
        }
    })
    .await;
    drop(driver);
    for n in [&pn, &mn] {
        assert_eq!(n.node.count("pause"), 1);
        assert!(!n.node.is_paused());
    }
}

/// The app's process for this sandbox (its environment names the state dir).
fn app_pid(qhome: &std::path::Path) -> Option<u32> {
    let want = format!("QUIESCE_HOME={}", qhome.display());
    std::fs::read_dir("/proc").unwrap().flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let exe = std::fs::read_link(e.path().join("exe")).ok()?;
        let env = std::fs::read(e.path().join("environ")).ok()?;
        (exe.file_name()?.to_str()? == "quiesce-app" && env.split(|b| *b == 0).any(|v| v == want.as_bytes()))
            .then_some(pid)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_to_the_app_mid_pause_unpauses_before_it_exits_and_marks_the_window() {
    let node = AdminServer::start(None);
    let sandbox = Sandbox::new();
    deployment(&sandbox, &node);
    let driver = start_driver(&sandbox.home, &sandbox.qhome);
    let client = connect(&driver).await;
    let (n2, q2, addr) = (node.node.clone(), sandbox.qhome.clone(), node.endpoint());
    drive(&client, move |c| async move {
        wait_for(&c, "[data-testid='nav-pause']").await.click().await.unwrap();
        // The nodes table pushes the button down when it loads: a click
        // aimed before that lands beside it (as it would for a user).
        wait_for(&c, &format!("[data-testid='node-{addr}']")).await;
        fill(&c, "[data-testid='pause-min']", "50").await;
        wait_for(&c, "[data-testid='start-pause']").await.click().await.unwrap();
        // CI builds the release package beside the tests: a slow start is not a failure.
        let (failed, said) =
            (["[data-testid='pause-failed']"], ["[data-testid='pause-phase']", "[data-testid='pause-running']"]);
        wait_for_job(&c, "[data-testid='pause-countdown']", &failed, &said, 90).await;
        assert!(n2.is_paused());
        let pid = app_pid(&q2).expect("the app's process");
        assert!(std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status().unwrap().success());
        let t = Instant::now();
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            assert!(t.elapsed() < Duration::from_secs(30), "the app did not exit after SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // Unpaused by the app itself before it exited, not later by its watchdog.
        assert!(!n2.is_paused(), "the app exited with the node paused");
    })
    .await;
    drop(driver);
    assert_eq!((node.node.count("pause"), node.node.count("unpause")), (1, 1));
    // The app ended the window itself: kept, marked, never a restore point.
    let dir = sandbox.qhome.join("data/backups/payments");
    let w: serde_json::Value = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(".window.json"))
        .map(|e| serde_json::from_slice(&std::fs::read(e.path()).unwrap()).unwrap())
        .expect("the window was saved");
    assert_eq!(w["status"], "unsafe", "{w}");
    assert!(w["restore_point"].is_null() && w["problems"].to_string().contains("cancelled"), "{w}");
}
