//! The restore wizard of the real app: pick a backup from the history, pick a
//! profile on a second throwaway PostgreSQL server, read the checks, restore,
//! and see the verification pass; then the same backup again, now over a
//! non-empty target, which needs the target's name typed.

mod common;
use common::*;
use quiesce_engine::backup::{self, BackupOptions};
use quiesce_engine::deployment::{DeploymentInput, DeploymentStorage};
use quiesce_engine::secrets::SecretStore;
use quiesce_testsupport::postgres::{PgOptions, PgServer};
use quiesce_testsupport::scalardb::{Engine, Layout};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_through_the_wizard_into_a_second_server_and_see_verification_pass() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    let l = Layout::standard();
    pg.psql(&db, &l.sql(Engine::Postgres, 30, 100));
    // One transfer caught in flight: the audit has something to say.
    pg.psql(&db, &l.prepare_sql(Engine::Postgres, &[1, 2], 1, "tx-inflight"));
    pg.psql(&db, "INSERT INTO coordinator.state VALUES ('tx-inflight', 3, 0, NULL)");
    let sandbox = Sandbox::new();
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let ds = sandbox.deployments();
    let src = pg_profile(&ds, "bank-pg", pg, &db);
    let d = ds
        .create(
            &DeploymentInput {
                name: "a-bank".into(),
                storages: vec![DeploymentStorage { name: "default".into(), profile_id: src.id.clone() }],
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let sink: quiesce_engine::job::Sink = std::sync::Arc::new(|_| {});
    let (_, m) = backup::run(&ds, &d.id, &BackupOptions::default(), sink, &CancellationToken::new()).await.unwrap();
    // The target: another server, a database Quiesce will create.
    let second = PgServer::start(PgOptions::default());
    let tgt = pg_profile(&ds, "restore-target", &second, "restored");

    let driver = start_driver(&home, &qhome);
    let client = connect(&driver).await;
    let id = m.id.clone();
    drive(&client, move |c| async move {
        wait_for(&c, "[data-testid='nav-restore']").await.click().await.unwrap();
        select_when_ready(&c, "[data-testid='restore-target']", "restore-target (postgresql)").await;
        let chosen = value_when_ready(&c, "[data-testid='restore-backup']", &id).await;
        assert_eq!(chosen.as_deref(), Some(id.as_str()), "the newest backup is preselected");
        click_when_ready(&c, "[data-testid='restore-check']").await;
        let checks = wait_for(&c, "[data-testid='restore-checks']").await.text().await.unwrap();
        assert!(checks.contains("match the manifest") && checks.contains("Quiesce creates it"), "{checks}");
        screenshot(&c, "40-restore-checks").await;
        click_when_ready(&c, "[data-testid='start-restore']").await;
        let done = wait_for(&c, "[data-testid='restore-done']").await;
        assert!(done.text().await.unwrap().contains("found no errors"));
        let report = wait_for(&c, "[data-testid='verify-report']").await;
        assert_eq!(report.attr("data-passed").await.unwrap().as_deref(), Some("true"));
        let audit = wait_for(&c, "[data-testid='audit']").await.text().await.unwrap();
        assert!(audit.contains("1 roll forward"), "{audit}");
        screenshot(&c, "41-restore-verified").await;

        // Again, into the now non-empty target: shown, and the name must be typed.
        click_when_ready(&c, "[data-testid='restore-replace']").await;
        click_when_ready(&c, "[data-testid='restore-check']").await;
        let existing = wait_for(&c, "[data-testid='restore-existing']").await.text().await.unwrap();
        assert!(existing.contains("accounts") && existing.contains("30"), "{existing}");
        let start = wait_for(&c, "[data-testid='start-restore']").await;
        assert!(!start.is_enabled().await.unwrap(), "replacing needs the typed name");
        fill(&c, "[data-testid='restore-confirm']", "restore-target").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        screenshot(&c, "42-restore-replace-confirm").await;
        click_when_ready(&c, "[data-testid='start-restore']").await;
        let done = wait_for(&c, "[data-testid='restore-done']").await.text().await.unwrap();
        assert!(done.contains("found no errors"), "{done}");
    })
    .await;
    drop(driver);
    assert_eq!(second.psql("restored", "SELECT sum(balance) FROM bank.accounts"), "3000");
    for p in [src, tgt] {
        SecretStore::new().delete(&p.secret.unwrap().account).unwrap();
    }
}
