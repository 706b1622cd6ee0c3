//! The overview, the app's home screen, in the real app: the first start's
//! two steps done from it, and several deployments in different states with
//! each attention item leading to the view that fixes it.

mod common;
use common::*;
use fantoccini::Locator;
use quiesce_engine::backup::{self, BackupOptions};
use quiesce_engine::deployment::{AdminEndpoint, DeploymentInput, DeploymentStorage};
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_testsupport::admin::AdminServer;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

async fn text(c: &fantoccini::Client, css: &str) -> String {
    wait_for(c, css).await.text().await.unwrap()
}

/// Waits until an element's text contains `want` (the overview reloads after jobs).
async fn text_when(c: &fantoccini::Client, css: &str, want: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let t = text(c, css).await;
        if t.contains(want) || std::time::Instant::now() > deadline {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_start_backs_the_demo_up_and_restores_it_from_the_overview() {
    let sandbox = Sandbox::new();
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let ds = sandbox.deployments();
    let root = backup::catalog_root(&ds);
    let driver = start_driver(&home, &qhome);
    let c = connect(&driver).await;
    drive(&c, move |c| async move {
        // The app opens on the overview, with the demo and the first two steps.
        wait_for(&c, "[data-testid='first-steps']").await;
        assert_eq!(
            wait_for(&c, "[data-testid='nav-overview']").await.attr("aria-current").await.unwrap().as_deref(),
            Some("page")
        );
        assert_eq!(text(&c, "[data-testid='overview-demo-backup']").await, "none");
        let restore = wait_for(&c, "[data-testid='first-restore']").await;
        assert!(!restore.is_enabled().await.unwrap(), "restoring is offered only once there is a backup");
        screenshot(&c, "overview-first-start").await;

        // Step one: the backup runs from the overview's button.
        wait_for(&c, "[data-testid='first-backup']").await.click().await.unwrap();
        wait_for(&c, "[data-testid='backup-done']").await;
        wait_for(&c, "[data-testid='nav-overview']").await.click().await.unwrap();
        let b = text_when(&c, "[data-testid='overview-demo-backup']", "ago").await;
        assert!(b.contains("ago") && b.contains("KB"), "the demo's last backup: {b}");
        assert!(text(&c, "[data-testid='overview-demo-point']").await.contains("(backup)"));
        assert_eq!(text(&c, "[data-testid='overview-demo-state']").await, "✓ OK");

        // Step two: the restore wizard opens on that backup.
        let id = quiesce_engine::catalog::list(&root).into_iter().find(|e| e.deployment == "demo").unwrap().id;
        click_when_ready(&c, "[data-testid='first-restore']").await;
        let chosen = value_when_ready(&c, "[data-testid='restore-backup']", &id).await;
        assert_eq!(chosen.as_deref(), Some(id.as_str()), "the wizard starts on the demo's backup");
    })
    .await;
    // The backup the overview started is in the catalog.
    let entries = quiesce_engine::catalog::list(&backup::catalog_root(&ds));
    assert_eq!(entries.iter().filter(|e| e.deployment == "demo" && e.kind == "backup").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_deployments_show_their_state_and_each_item_opens_the_view_that_fixes_it() {
    let sandbox = Sandbox::new();
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let ds = sandbox.deployments();
    quiesce_engine::demo::ensure_demo(ds.profiles()).unwrap();
    let sqlite = |name: &str| {
        let file = sandbox.dir.path().join(format!("{name}.sqlite"));
        quiesce_engine::demo::create_demo_database(&file).unwrap();
        let p = ds
            .profiles()
            .create(&ProfileInput {
                name: format!("{name}-db"),
                kind: Some(DbKind::Sqlite),
                path: Some(file.display().to_string()),
                ..Default::default()
            })
            .unwrap();
        DeploymentStorage { name: "default".into(), profile_id: p.id }
    };
    // payments: backed up now (OK). ledger: backed up three days ago, and a
    // damaged backup folder. orders: never backed up, and one node of its
    // ScalarDB Cluster left paused.
    for name in ["payments", "ledger"] {
        ds.create(&DeploymentInput { name: name.into(), storages: vec![sqlite(name)], ..Default::default() }, None)
            .unwrap();
    }
    let admin = AdminServer::start(None);
    ds.create(
        &DeploymentInput {
            name: "orders".into(),
            storages: vec![sqlite("orders")],
            admin_endpoints: vec![admin.endpoint()],
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let quiet: quiesce_engine::job::Sink = Arc::new(|_| {});
    let opts = BackupOptions::default();
    for name in ["payments", "ledger", "demo"] {
        backup::run(&ds, name, &opts, quiet.clone(), &CancellationToken::new()).await.unwrap();
    }
    let root = backup::catalog_root(&ds);
    let ledger = quiesce_engine::catalog::list(&root).into_iter().find(|e| e.deployment == "ledger").unwrap();
    let manifest = std::path::Path::new(&ledger.folder).join("manifest.json");
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let old = chrono::Utc::now() - chrono::Duration::days(3);
    m["started_at"] = serde_json::json!(old.to_rfc3339());
    std::fs::write(&manifest, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let damaged = std::path::Path::new(&ledger.folder).with_file_name("20261101T000000Z-dmg");
    std::fs::create_dir_all(&damaged).unwrap();
    std::fs::write(damaged.join("manifest.json"), b"{ not json").unwrap();
    // A node paused by someone else (no job of the app holds it).
    let node =
        quiesce_engine::admin::resolve(&[AdminEndpoint::parse(&admin.endpoint(), 60053).unwrap()]).await.unwrap();
    let mut client = quiesce_engine::admin::Client::new(&node[0], None).unwrap();
    client.pause(Duration::from_secs(5)).await.unwrap();

    let driver = start_driver(&home, &qhome);
    let c = connect(&driver).await;
    drive(&c, move |c| async move {
        wait_for(&c, "[data-testid='overview-orders']").await;
        assert!(c.find(Locator::Css("[data-testid='first-steps']")).await.is_err(), "not a first start");
        assert_eq!(text(&c, "[data-testid='overview-payments-state']").await, "✓ OK");
        assert!(text(&c, "[data-testid='overview-ledger-backup']").await.starts_with("3 days ago"));
        assert_eq!(text(&c, "[data-testid='overview-orders-backup']").await, "none");
        // The paused node is learnt after the overview painted.
        assert_eq!(text_when(&c, "[data-testid='overview-orders-nodes']", "paused").await, "1 node, 1 paused");
        let ledger = wait_for(&c, "[data-testid='overview-ledger']").await;
        let kinds = ledger.find_all(Locator::Css("ul.attention li")).await.unwrap();
        let mut seen = Vec::new();
        for k in &kinds {
            seen.push(k.attr("data-kind").await.unwrap().unwrap_or_default());
        }
        assert!(seen.contains(&"stale_backup".to_string()) && seen.contains(&"damaged".to_string()), "{seen:?}");
        let orders = wait_for(&c, "[data-testid='overview-orders']").await;
        let text_orders = orders.text().await.unwrap();
        assert!(text_orders.contains("No backup yet") && text_orders.contains("1 of 1 node is paused"), "{text_orders}");
        assert_eq!(text(&c, "[data-testid='overview-orders-nodes']").await, "1 node, 1 paused");
        screenshot(&c, "overview-several-deployments").await;

        // "No backup yet" opens Backups on that deployment.
        let item = orders.find(Locator::Css("ul.attention li[data-kind='no_backup'] button")).await.unwrap();
        item.click().await.unwrap();
        let sel = wait_for(&c, "[data-testid='backup-deployment']").await;
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        loop {
            let v = sel.prop("value").await.unwrap().unwrap_or_default();
            let label = c
                .execute("return document.querySelector(\"[data-testid='backup-deployment']\").selectedOptions[0]?.textContent", vec![])
                .await
                .unwrap();
            if label.as_str() == Some("orders") || std::time::Instant::now() > deadline {
                assert_eq!(label.as_str(), Some("orders"), "Backups opened on {v}");
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
    .await;
    let mut client = quiesce_engine::admin::Client::new(&node[0], None).unwrap();
    client.unpause().await.unwrap();
}
