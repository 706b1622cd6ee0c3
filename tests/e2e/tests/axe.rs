//! axe-core run inside the real app's webview (injected over WebDriver, which
//! the page's strict CSP does not govern) on every view populated from
//! fixtures, the restore wizard's steps and the dialogs open: no serious or
//! critical violation.

mod common;
use common::*;
use fantoccini::{key::Key, Client};
use quiesce_engine::backup::{self, BackupOptions};
use quiesce_engine::deployment::{DeploymentInput, DeploymentStorage};
use quiesce_engine::profile::{DbKind, ProfileInput};
use quiesce_testsupport::admin::AdminServer;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn axe_source() -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (npm ci in ui/ installs axe-core, a devDependency)", p.display()))
}

/// Runs axe on the page as it is now; the serious and critical violations
/// as "where: rule (impact) on selector — help", the rest counted.
async fn audit(c: &Client, axe: &str, place: &str, serious: &mut Vec<String>, minor: &mut usize) {
    // Let the view settle (data loaded, transitions done).
    tokio::time::sleep(Duration::from_millis(400)).await;
    let loaded = c.execute("return typeof window.axe", vec![]).await.unwrap();
    if loaded.as_str() != Some("object") {
        c.execute(axe, vec![]).await.unwrap();
        let now = c.execute("return typeof window.axe", vec![]).await.unwrap();
        assert_eq!(now.as_str(), Some("object"), "axe-core could not be injected into the webview");
    }
    let js = "const done = arguments[arguments.length - 1];
        window.axe.run(document, { resultTypes: ['violations'] }).then(
          (r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                 nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ') + (v.id === 'color-contrast' ? ' ' + JSON.stringify(n.any[0]?.data ?? {}) : '')) }))),
          (e) => done({ error: String(e) }));";
    let r = c.execute_async(js, vec![]).await.unwrap();
    assert!(r.get("error").is_none(), "axe failed on {place}: {r}");
    let list = r.as_array().unwrap();
    assert!(list.iter().all(|v| v["id"].is_string()), "{place}: {r}");
    for v in list {
        let impact = v["impact"].as_str().unwrap_or("");
        if impact == "serious" || impact == "critical" {
            serious.push(format!("{place}: {} ({impact}) on {} — {}", v["id"], v["nodes"], v["help"]));
        } else {
            *minor += 1;
            eprintln!("{place}: {} ({impact}) on {}", v["id"], v["nodes"]);
        }
    }
}

async fn go(c: &Client, view: &str) {
    click_when_ready(c, &format!("[data-testid='nav-{view}']")).await;
    wait_for(c, &format!("[data-testid='nav-{view}'][aria-current='page']")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_wizard_step_and_dialog_has_no_serious_accessibility_violation() {
    let axe = axe_source();
    let sandbox = Sandbox::new();
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let ds = sandbox.deployments();
    quiesce_engine::demo::ensure_demo(ds.profiles()).unwrap();
    // A second deployment on SQLite with a Scalar Admin node (Pause lists it).
    let file = sandbox.dir.path().join("orders.sqlite");
    quiesce_engine::demo::create_demo_database(&file).unwrap();
    let p = ds
        .profiles()
        .create(&ProfileInput {
            name: "orders-db".into(),
            kind: Some(DbKind::Sqlite),
            path: Some(file.display().to_string()),
            ..Default::default()
        })
        .unwrap();
    let admin = AdminServer::start(None);
    ds.create(
        &DeploymentInput {
            name: "orders".into(),
            storages: vec![DeploymentStorage { name: "default".into(), profile_id: p.id }],
            admin_endpoints: vec![admin.endpoint()],
            ..Default::default()
        },
        None,
    )
    .unwrap();
    let quiet: quiesce_engine::job::Sink = Arc::new(|_| {});
    for name in ["demo", "orders"] {
        backup::run(&ds, name, &BackupOptions::default(), quiet.clone(), &CancellationToken::new()).await.unwrap();
    }

    let driver = start_driver(&home, &qhome);
    let c = connect(&driver).await;
    drive(&c, move |c| async move {
        let (mut serious, mut minor) = (Vec::new(), 0usize);
        wait_for(&c, "[data-testid='overview-orders']").await;
        audit(&c, &axe, "overview", &mut serious, &mut minor).await;

        go(&c, "deployments").await;
        audit(&c, &axe, "deployments", &mut serious, &mut minor).await;
        click_when_ready(&c, "[data-testid='new-deployment']").await;
        audit(&c, &axe, "deployments: new deployment", &mut serious, &mut minor).await;

        go(&c, "plan").await;
        audit(&c, &axe, "plan", &mut serious, &mut minor).await;

        go(&c, "profiles").await;
        audit(&c, &axe, "profiles", &mut serious, &mut minor).await;
        click_when_ready(&c, "[data-testid='new-profile']").await;
        audit(&c, &axe, "profiles: new profile", &mut serious, &mut minor).await;

        go(&c, "backups").await;
        audit(&c, &axe, "backups", &mut serious, &mut minor).await;

        // The restore wizard: choices, checks, outcome with its verification.
        go(&c, "restore").await;
        select_when_ready(&c, "[data-testid='restore-target']", "demo-restored (sqlite)").await;
        audit(&c, &axe, "restore: choices", &mut serious, &mut minor).await;
        click_when_ready(&c, "[data-testid='restore-check']").await;
        wait_for(&c, "[data-testid='restore-checks']").await;
        audit(&c, &axe, "restore: checks", &mut serious, &mut minor).await;
        click_when_ready(&c, "[data-testid='start-restore']").await;
        wait_for(&c, "[data-testid='verify-report']").await;
        audit(&c, &axe, "restore: outcome", &mut serious, &mut minor).await;

        go(&c, "pause").await;
        select_when_ready(&c, "[data-testid='pause-deployment']", "orders").await;
        wait_for(&c, "[data-testid='nodes-table']").await;
        audit(&c, &axe, "pause", &mut serious, &mut minor).await;
        click_when_ready(&c, "[data-testid='unpause-all']").await;
        wait_for(&c, "[data-testid='unpause-dialog']").await;
        audit(&c, &axe, "pause: unpause dialog", &mut serious, &mut minor).await;
        c.active_element().await.unwrap().send_keys(&char::from(Key::Escape).to_string()).await.unwrap();

        go(&c, "restore-points").await;
        audit(&c, &axe, "restore points", &mut serious, &mut minor).await;

        go(&c, "migrate").await;
        audit(&c, &axe, "migrate", &mut serious, &mut minor).await;

        click_when_ready(&c, "[data-testid='jobs-indicator']").await;
        wait_for(&c, "[data-testid='jobs-dialog']").await;
        audit(&c, &axe, "jobs dialog", &mut serious, &mut minor).await;

        eprintln!("axe: {} serious or critical, {minor} moderate or minor", serious.len());
        assert!(serious.is_empty(), "serious accessibility violations:\n{}", serious.join("\n"));
    })
    .await;
}
