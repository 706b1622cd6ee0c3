//! The Backups view of the real app: start a backup of a real PostgreSQL
//! deployment, watch the progress bar move, see the backup in the history,
//! and find a complete backup folder with its manifest on disk.

mod common;
use common::*;
use quiesce_engine::deployment::{DeploymentInput, DeploymentStorage};
use quiesce_engine::secrets::SecretStore;
use quiesce_testsupport::postgres::PgServer;
use quiesce_testsupport::scalardb::{Engine, Layout};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_a_backup_watch_the_progress_and_find_it_in_the_history() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    pg.psql(&db, &Layout::standard().sql(Engine::Postgres, 20, 100));
    // Enough data for the dump to take a couple of seconds: progress has to be seen moving.
    pg.psql(&db, "INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, g, repeat(md5(g::text), 6), 3 FROM generate_series(1, 600000) g");
    let sandbox = Sandbox::new();
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let ds = sandbox.deployments();
    let p = pg_profile(&ds, "bank-pg", pg, &db);
    ds.create(
        &DeploymentInput {
            name: "a-bank".into(),
            storages: vec![DeploymentStorage { name: "default".into(), profile_id: p.id.clone() }],
            ..Default::default()
        },
        None,
    )
    .unwrap();

    let driver = start_driver(&home, &qhome);
    let client = connect(&driver).await;
    drive(&client, move |c| async move {
        wait_for(&c, "[data-testid='nav-backups']").await.click().await.unwrap();
        select_when_ready(&c, "[data-testid='backup-deployment']", "a-bank").await;
        wait_for(&c, "[data-testid='start-backup']").await.click().await.unwrap();
        // The bar moves: two different readings while it runs.
        let mut seen = std::collections::BTreeSet::new();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(120) {
            if let Ok(el) = c.find(fantoccini::Locator::Css("[data-testid='backup-progress']")).await {
                if let Ok(Some(v)) = el.attr("data-raw-bytes").await {
                    if v != "0" {
                        seen.insert(v);
                    }
                }
                if seen.len() == 2 {
                    screenshot(&c, "30-backup-running").await;
                }
            } else if c
                .find(fantoccini::Locator::Css("[data-testid='backup-done'], [data-testid='backup-error']"))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(seen.len() >= 2, "the progress bar did not move: {seen:?}");
        let done = wait_for(&c, "[data-testid='backup-done']").await.text().await.unwrap();
        assert!(done.contains("complete"), "{done}");
        let log = wait_for(&c, "[data-testid='backup-log']").await.text().await.unwrap();
        assert!(log.contains("dumping contents of table"), "the tool's log is shown");
        let history = wait_for(&c, "[data-testid='backup-history']").await.text().await.unwrap();
        assert!(history.contains("a-bank") && history.contains("default"), "{history}");
        screenshot(&c, "31-backup-done").await;
        // "Restore…" in the history opens the wizard on that backup.
        let id = done.split_whitespace().nth(1).unwrap().to_string();
        click_when_ready(&c, &format!("[data-testid='restore-{id}']")).await;
        // The wizard reads the backups first; the choice follows.
        let chosen = value_when_ready(&c, "[data-testid='restore-backup']", &id).await;
        assert_eq!(chosen.as_deref(), Some(id.as_str()), "the wizard starts from the backup picked");
    })
    .await;
    drop(driver);

    let root = qhome.join("data/backups/a-bank");
    let backups: Vec<_> = std::fs::read_dir(&root).unwrap().flatten().map(|e| e.path()).collect();
    assert_eq!(backups.len(), 1, "{backups:?}");
    assert!(backups[0].join("manifest.json").is_file() && backups[0].join("postgresql.dump.zst").is_file());
    SecretStore::new().delete(&p.secret.unwrap().account).unwrap();
}
