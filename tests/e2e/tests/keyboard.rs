//! The first start done with the keyboard alone, in the real app: every key
//! goes to the element that has the focus (no clicks, no element picked by
//! the test), and after each step the test asserts where the focus is.

mod common;
use common::*;
use fantoccini::{key::Key, Client};
use std::time::{Duration, Instant};

/// Waits until `f` (the focus) satisfies `ok`.
async fn focus_becomes(c: &Client, what: &str, ok: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let f = focused(c).await;
        if ok(&f) {
            return f;
        }
        assert!(Instant::now() < deadline, "the focus never went to {what}; it is on {f}");
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

async fn selected_label(c: &Client, css: &str) -> String {
    let js = format!("return document.querySelector(\"{css}\")?.selectedOptions[0]?.textContent ?? ''");
    c.execute(&js, vec![]).await.unwrap().as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_backup_and_restore_done_with_the_keyboard_alone() {
    let sandbox = Sandbox::new();
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let restored = quiesce_engine::paths::Home::at(&qhome).demo_dir().join(quiesce_engine::demo::DEMO_RESTORE_FILE);
    let driver = start_driver(&home, &qhome);
    let c = connect(&driver).await;
    drive(&c, move |c| async move {
        wait_for(&c, "[data-testid='first-steps']").await;

        // 1. "Back up the demo now": Backups opens on the running backup, and
        // its outcome takes the focus when it ends.
        tab_to(&c, "first-backup", false).await;
        press(&c, Key::Enter).await;
        wait_for(&c, "[data-testid='backup-done']").await;
        focus_becomes(&c, "the backup's outcome", |f| f == "backup-done").await;

        // 2. Back to the overview through the sidebar; the focus stays on its entry.
        tab_to(&c, "nav-overview", true).await;
        press(&c, Key::Enter).await;
        let restore = wait_for(&c, "[data-testid='first-restore']").await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while !restore.is_enabled().await.unwrap() {
            assert!(Instant::now() < deadline, "\"Restore it into a new file\" never became enabled");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        assert_eq!(focused(&c).await, "nav-overview");

        // 3. "Restore it into a new file": the wizard, on the backup and the new file's profile.
        tab_to(&c, "first-restore", false).await;
        press(&c, Key::Enter).await;
        focus_becomes(&c, "Restore's heading", |f| f == "h1:Restore").await;
        let deadline = Instant::now() + Duration::from_secs(20);
        while selected_label(&c, "[data-testid='restore-target']").await != "demo-restored (sqlite)" {
            assert!(
                Instant::now() < deadline,
                "the target is {}",
                selected_label(&c, "[data-testid='restore-target']").await
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }

        // 4. Check: the checks take the focus.
        tab_to(&c, "restore-check", false).await;
        press(&c, Key::Enter).await;
        wait_for(&c, "[data-testid='restore-checks']").await;
        focus_becomes(&c, "the checks", |f| f.starts_with("h2:3. Checks")).await;
        let checks = wait_for(&c, "[data-testid='restore-checks']").await.text().await.unwrap();
        assert!(checks.contains("Quiesce creates it") || checks.contains("does not exist"), "{checks}");

        // 5. Restore: the outcome takes the focus when it ends.
        tab_to(&c, "start-restore", false).await;
        press(&c, Key::Enter).await;
        let f = focus_becomes(&c, "the outcome", |f| f == "restore-done" || f == "restore-failed").await;
        assert_eq!(f, "restore-done", "{}", wait_for(&c, "[data-testid='restore-failed']").await.text().await.unwrap());
        let report = wait_for(&c, "[data-testid='verify-report']").await;
        assert_eq!(report.attr("data-passed").await.unwrap().as_deref(), Some("true"));
        screenshot(&c, "keyboard-restore-done").await;

        // 6. The jobs dialog: opened with Enter, Tab stays inside, Escape
        // closes it and gives the focus back to the button that opened it.
        tab_to(&c, "jobs-indicator", true).await;
        press(&c, Key::Enter).await;
        wait_for(&c, "[data-testid='jobs-dialog']").await;
        let inside = "return !!document.activeElement?.closest(\"[data-testid='jobs-dialog']\")";
        for _ in 0..6 {
            assert_eq!(c.execute(inside, vec![]).await.unwrap(), serde_json::json!(true), "on {}", focused(&c).await);
            press(&c, Key::Tab).await;
        }
        shift_tab(&c).await;
        assert_eq!(c.execute(inside, vec![]).await.unwrap(), serde_json::json!(true), "on {}", focused(&c).await);
        press(&c, Key::Escape).await;
        focus_becomes(&c, "the jobs button", |f| f == "jobs-indicator").await;
        assert!(c.find(fantoccini::Locator::Css("[data-testid='jobs-dialog']")).await.is_err(), "the dialog closed");
    })
    .await;
    drop(driver);
    // The restore made the new file, with the demo's 100 accounts.
    let db = rusqlite::Connection::open(&restored).unwrap();
    let n: i64 = db.query_row("SELECT COUNT(*) FROM \"bank$accounts\"", [], |r| r.get(0)).unwrap();
    assert_eq!(n, 100, "rows in {}", restored.display());
}
