//! The real app, driven like a user would: add a PostgreSQL profile against a
//! throwaway server, test the connection, see the success; then check the
//! password is in the keyring and in no file the app wrote (WebKit storage too).

mod common;
use common::*;
use fantoccini::Locator;
use quiesce_testsupport::postgres::{PgServer, SUPERUSER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_postgres_profile_test_connection_and_keep_the_password_in_the_keyring_only() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    let sandbox = Sandbox::new();
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let driver = start_driver(&home, &qhome);
    let c = connect(&driver).await;

    let db2 = db.clone();
    drive(&c, move |c| async move {
        let db = db2;
        // First start: the window opens on the overview with the demo; its
        // profile is in the profile list.
        wait_for(&c, "[data-testid='first-steps']").await;
        screenshot(&c, "01-first-start").await;
        wait_for(&c, "[data-testid='nav-profiles']").await.click().await.unwrap();
        wait_for(&c, "[data-testid='profile-item-demo-sqlite']").await;

        wait_for(&c, "[data-testid='new-profile']").await.click().await.unwrap();
        fill(&c, "#f-name", "gui-pg").await;
        c.find(Locator::Css("#f-kind")).await.unwrap().select_by_value("postgresql").await.unwrap();
        fill(&c, "#f-host", "127.0.0.1").await;
        fill(&c, "#f-port", &pg.port.to_string()).await;
        fill(&c, "#f-database", &db).await;
        fill(&c, "#f-user", SUPERUSER).await;
        fill(&c, "#f-password", &pg.password).await;
        click_settled(&c, "[data-testid='save-profile']").await;
        let notice = wait_for(&c, "[data-testid='notice']").await.text().await.unwrap();
        assert!(notice.contains("Saved"), "{notice}");
        wait_for(&c, "[data-testid='profile-item-gui-pg']").await;

        wait_for(&c, "[data-testid='test-connection']").await.click().await.unwrap();
        let ok = wait_for(&c, "[data-testid='test-result-ok']").await.text().await.unwrap();
        assert!(ok.contains("PostgreSQL"), "{ok}");
        screenshot(&c, "02-connected").await;

        // A wrong password typed in the editor gives the auth_failed result, shown with its code.
        fill(&c, "#f-password", "definitely-wrong").await;
        wait_for(&c, "[data-testid='test-connection']").await.click().await.unwrap();
        let failed = wait_for(&c, "[data-testid='test-result-failed']").await.text().await.unwrap();
        assert!(failed.contains("auth_failed"), "{failed}");
        screenshot(&c, "03-auth-failed").await;
    })
    .await;
    drop(driver);

    // The password is in the keyring, under the profile's reference...
    let profiles: serde_json::Value =
        serde_json::from_slice(&std::fs::read(qhome.join("config/profiles.json")).unwrap()).unwrap();
    let p =
        profiles["profiles"].as_array().unwrap().iter().find(|p| p["name"] == "gui-pg").expect("profile saved").clone();
    let account = p["secret"]["account"].as_str().unwrap();
    let stored = quiesce_engine::secrets::SecretStore::new().get(account).unwrap().expect("password in the keyring");
    assert_eq!(stored.expose(), &pg.password);
    // ...and in no file: profiles, logs, demo data, WebKit's local storage and caches.
    let hits = files_containing(sandbox.dir.path(), pg.password.as_bytes());
    assert!(hits.is_empty(), "the password was found in {hits:?}");
    assert!(
        home.join(".local/share").exists() || home.join(".cache").exists(),
        "WebKit wrote nothing under HOME: is the app really using this HOME?"
    );
    quiesce_engine::secrets::SecretStore::new().delete(account).unwrap();
}
