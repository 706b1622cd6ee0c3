//! Jobs outlive their view, and quitting cleans up after them, in the real
//! app: a backup keeps its progress and log while the user visits Profiles,
//! is cancelled from the jobs indicator driven by the keyboard alone (a whole
//! backup and restore by keyboard is `keyboard.rs`); SIGTERM to the app
//! cancels a running backup and waits for its cleanup before the app exits.

mod common;
use common::*;
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use quiesce_engine::deployment::{DeploymentInput, DeploymentStorage};
use quiesce_engine::secrets::SecretStore;
use quiesce_testsupport::postgres::PgServer;
use quiesce_testsupport::scalardb::{Engine, Layout};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A PostgreSQL deployment whose dump takes several seconds.
fn slow_deployment(sandbox: &Sandbox, name: &str) -> (String, quiesce_engine::profile::Profile) {
    let pg = PgServer::shared();
    let db = pg.create_database();
    pg.psql(&db, &Layout::standard().sql(Engine::Postgres, 20, 100));
    pg.psql(&db, "INSERT INTO audit.transfers (transfer_id, amount, tx_id, tx_state) SELECT 'x' || g, g, repeat(md5(g::text), 6), 3 FROM generate_series(1, 1500000) g");
    let ds = sandbox.deployments();
    let p = pg_profile(&ds, &format!("{name}-pg"), pg, &db);
    ds.create(
        &DeploymentInput {
            name: name.into(),
            storages: vec![DeploymentStorage { name: "default".into(), profile_id: p.id.clone() }],
            ..Default::default()
        },
        None,
    )
    .unwrap();
    (db, p)
}

/// Processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle) && !c.contains("psql"))
        .collect()
}

fn wait_gone(needle: &str) {
    let t = Instant::now();
    while !processes_mentioning(needle).is_empty() && t.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(processes_mentioning(needle).is_empty(), "{:?}", processes_mentioning(needle));
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.push(p.clone());
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

async fn raw_bytes(c: &Client) -> u64 {
    match c.find(Locator::Css("[data-testid='backup-progress']")).await {
        Ok(el) => el.attr("data-raw-bytes").await.ok().flatten().and_then(|v| v.parse().ok()).unwrap_or(0),
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_keeps_its_progress_across_views_and_is_cancelled_from_the_jobs_indicator_by_keyboard() {
    let sandbox = Sandbox::new();
    let (db, p) = slow_deployment(&sandbox, "a-slow");
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let driver = start_driver(&home, &qhome);
    let client = connect(&driver).await;
    drive(&client, move |c| async move {
        wait_for(&c, "[data-testid='nav-backups']").await.click().await.unwrap();
        select_when_ready(&c, "[data-testid='backup-deployment']", "a-slow").await;
        wait_for(&c, "[data-testid='start-backup']").await.click().await.unwrap();
        let t = Instant::now();
        while raw_bytes(&c).await == 0 {
            assert!(t.elapsed() < Duration::from_secs(60), "the backup never reported progress");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Away to Profiles, and back: the job and its log are still there, still moving.
        wait_for(&c, "[data-testid='nav-profiles']").await.click().await.unwrap();
        wait_for(&c, "[data-testid='profile-list']").await;
        assert!(c.find(Locator::Css("[data-testid='backup-running']")).await.is_err());
        let before = {
            wait_for(&c, "[data-testid='nav-backups']").await.click().await.unwrap();
            wait_for(&c, "[data-testid='backup-running']").await;
            raw_bytes(&c).await
        };
        assert!(before > 0, "the progress came back with the view");
        let log = wait_for(&c, "[data-testid='backup-log']").await.text().await.unwrap();
        assert!(log.contains("[dumping]") || log.contains("pg_dump"), "the log came back: {log}");
        screenshot(&c, "40-job-back-from-profiles").await;
        // From here on, the keyboard only: the focus is on the Backups entry.
        assert_eq!(focused(&c).await, "nav-backups");
        tab_to(&c, "jobs-indicator", false).await;
        press(&c, Key::Enter).await;
        wait_for(&c, "[data-testid='jobs-dialog']").await;
        assert_eq!(focused(&c).await, "job-show-backup", "the dialog takes the focus");
        press(&c, Key::Tab).await;
        assert_eq!(focused(&c).await, "job-cancel-backup");
        screenshot(&c, "41-jobs-dialog").await;
        press(&c, Key::Enter).await;
        // The dialog shows the job ending; Escape closes it and gives the focus back.
        let t = Instant::now();
        loop {
            let state = wait_for(&c, "[data-testid='job-backup']").await.attr("data-state").await.unwrap();
            if state.as_deref() == Some("failed") {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(60), "the cancelled backup never ended ({state:?})");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        press(&c, Key::Escape).await;
        assert_eq!(focused(&c).await, "jobs-indicator", "the focus went back to the indicator");
        let err = wait_for(&c, "[data-testid='backup-error']").await.text().await.unwrap();
        assert!(err.contains("cancelled"), "{err}");
    })
    .await;
    drop(driver);
    let left: Vec<PathBuf> = files_under(&qhome.join("data/backups"));
    assert!(left.iter().all(|f| !f.to_string_lossy().contains(".partial")), "{left:?}");
    wait_gone(&db);
    SecretStore::new().delete(&p.secret.unwrap().account).unwrap();
}

/// The app's process for this sandbox (its environment names the state dir).
fn app_pid(qhome: &Path) -> Option<u32> {
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
async fn sigterm_to_the_app_cancels_a_running_backup_and_waits_for_its_cleanup_before_exiting() {
    let sandbox = Sandbox::new();
    let (db, p) = slow_deployment(&sandbox, "a-term");
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let driver = start_driver(&home, &qhome);
    let client = connect(&driver).await;
    let q2 = qhome.clone();
    let db2 = db.clone();
    drive(&client, move |c| async move {
        wait_for(&c, "[data-testid='nav-backups']").await.click().await.unwrap();
        select_when_ready(&c, "[data-testid='backup-deployment']", "a-term").await;
        wait_for(&c, "[data-testid='start-backup']").await.click().await.unwrap();
        let t = Instant::now();
        while raw_bytes(&c).await == 0 {
            assert!(t.elapsed() < Duration::from_secs(60), "the backup never reported progress");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let partial =
            files_under(&q2.join("data/backups")).into_iter().any(|f| f.to_string_lossy().ends_with(".partial"));
        assert!(partial, "the backup is writing its partial folder");
        assert!(!processes_mentioning(&db2).is_empty(), "pg_dump runs");
        let pid = app_pid(&q2).expect("the app's process");
        assert!(std::process::Command::new("kill").arg("-TERM").arg(pid.to_string()).status().unwrap().success());
        // The app is gone once the job cleaned up (the window says so meanwhile,
        // unless the cleanup is quicker than a look at it).
        let t = Instant::now();
        while std::path::Path::new(&format!("/proc/{pid}")).exists() {
            assert!(t.elapsed() < Duration::from_secs(70), "the app did not exit after SIGTERM");
            if let Ok(el) = c.find(Locator::Css("[data-testid='quitting']")).await {
                if let Ok(said) = el.text().await {
                    assert!(said.contains("Cancelling 1 job"), "{said}");
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    drop(driver);
    let left: Vec<PathBuf> = files_under(&qhome.join("data/backups"));
    assert!(left.iter().all(|f| !f.to_string_lossy().contains(".partial")), "a partial folder was left: {left:?}");
    assert!(files_under(&qhome.join("data/jobs")).iter().all(|f| f.is_dir()), "the journal was left");
    wait_gone(&db);
    SecretStore::new().delete(&p.secret.unwrap().account).unwrap();
}
