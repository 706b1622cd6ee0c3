//! The Deployments view of the real app: import a ScalarDB properties file,
//! read the preview, save it, and use the imported storage's password (now in
//! the keyring) for a real connection test. Nothing of the password may land
//! in a file.

mod common;
use common::*;
use quiesce_testsupport::postgres::{PgServer, SUPERUSER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_preview_save_and_connect_with_the_imported_password() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    let sandbox = Sandbox::new();
    let (home, qhome) = (sandbox.home.clone(), sandbox.qhome.clone());
    let props = sandbox.dir.path().join("bank-prod.properties");
    std::fs::write(
        &props,
        format!(
            "# two storages: the bank on PostgreSQL, events on Cassandra\n\
             scalar.db.storage=multi-storage\n\
             scalar.db.multi_storage.storages=pg,cass\n\
             scalar.db.multi_storage.storages.pg.storage=jdbc\n\
             scalar.db.multi_storage.storages.pg.contact_points=jdbc:postgresql://127.0.0.1:{port}/{db}\n\
             scalar.db.multi_storage.storages.pg.username={SUPERUSER}\n\
             scalar.db.multi_storage.storages.pg.password={pw}\n\
             scalar.db.multi_storage.storages.cass.storage=cassandra\n\
             scalar.db.multi_storage.storages.cass.contact_points=cass-1,cass-2\n\
             scalar.db.multi_storage.namespace_mapping=bank:pg,coordinator:pg,events:cass\n\
             scalar.db.multi_storage.default_storage=cass\n\
             scalar.db.frobnicate=1\n",
            port = pg.port,
            pw = pg.password
        ),
    )
    .unwrap();

    let driver = start_driver(&home, &qhome);
    let c = connect(&driver).await;
    let path = props.display().to_string();
    drive(&c, move |c| async move {
        wait_for(&c, "[data-testid='nav-deployments']").await.click().await.unwrap();
        // The demo deployment is there from the first start.
        wait_for(&c, "[data-testid='deployment-item-demo']").await;
        wait_for(&c, "[data-testid='import-deployment']").await.click().await.unwrap();
        fill(&c, "#import-path", &path).await;
        wait_for(&c, "[data-testid='import-read']").await.click().await.unwrap();
        wait_for(&c, "[data-testid='import-preview']").await;
        let pgrow = wait_for(&c, "[data-testid='preview-storage-pg']").await.text().await.unwrap();
        assert!(pgrow.contains("PostgreSQL") && pgrow.contains("→ keyring"), "{pgrow}");
        let cass = wait_for(&c, "[data-testid='preview-storage-cass']").await.text().await.unwrap();
        assert!(cass.contains("Cassandra") && cass.contains("cass-1, cass-2"), "{cass}");
        let coord = wait_for(&c, "[data-testid='preview-coordinator']").await.text().await.unwrap();
        assert!(coord.contains("coordinator.state") && coord.contains("“pg”"), "{coord}");
        let unknown = wait_for(&c, "[data-testid='preview-unknown-key']").await.text().await.unwrap();
        assert!(unknown.contains("Line 12") && unknown.contains("scalar.db.frobnicate"), "{unknown}");
        let name = wait_for(&c, "#import-name").await.prop("value").await.unwrap().unwrap_or_default();
        assert_eq!(name, "bank-prod", "the suggested name comes from the file name");
        screenshot(&c, "10-import-preview").await;

        wait_for(&c, "[data-testid='import-save']").await.click().await.unwrap();
        let notice = wait_for(&c, "[data-testid='notice']").await.text().await.unwrap();
        assert!(notice.contains("Imported “bank-prod”") && notice.contains("1 password(s)"), "{notice}");
        wait_for(&c, "[data-testid='deployment-item-bank-prod']").await;
        let title = wait_for(&c, "[data-testid='deployment-title']").await.text().await.unwrap();
        assert_eq!(title, "bank-prod");
        screenshot(&c, "11-imported-deployment").await;
        // The pause's bounds: a hook limit over the maximum pause is refused by field, then saved.
        fill(&c, "[data-testid='max-pause']", "90").await;
        fill(&c, "[data-testid='hook-limit']", "120").await;
        wait_for(&c, "[data-testid='save-deployment']").await.click().await.unwrap();
        let err = wait_for(&c, "[data-testid='error-d-hook-limit']").await.text().await.unwrap();
        assert!(err.contains("longer than the maximum pause"), "{err}");
        fill(&c, "[data-testid='hook-limit']", "45").await;
        // The refusal above the button goes once the field is checked again.
        click_settled(&c, "[data-testid='save-deployment']").await;
        wait_for_text(&c, "[data-testid='notice']", "Saved").await;
        let limit = wait_for(&c, "[data-testid='max-pause']").await;
        limit.click().await.unwrap();
        screenshot(&c, "13-pause-limits").await;

        // The imported profile connects with the password the import put in the keyring.
        wait_for(&c, "[data-testid='nav-profiles']").await.click().await.unwrap();
        click_settled(&c, "[data-testid='profile-item-bank-prod-pg']").await;
        wait_for_text(&c, "[data-testid='editor-title']", "bank-prod-pg").await;
        click_settled(&c, "[data-testid='test-connection']").await;
        let ok = wait_for(&c, "[data-testid='test-result-ok']").await.text().await.unwrap();
        assert!(ok.contains("PostgreSQL"), "{ok}");
        // The Cassandra storage became a descriptive profile: nothing to test.
        wait_for(&c, "[data-testid='profile-item-bank-prod-cass']").await.click().await.unwrap();
        wait_for(&c, "[data-testid='descriptive-note']").await;
        screenshot(&c, "12-descriptive-profile").await;
    })
    .await;
    drop(driver);

    let deployments: serde_json::Value =
        serde_json::from_slice(&std::fs::read(qhome.join("config/deployments.json")).unwrap()).unwrap();
    let d = deployments["deployments"].as_array().unwrap().iter().find(|d| d["name"] == "bank-prod").expect("saved");
    assert_eq!(d["namespace_mapping"].as_array().unwrap().len(), 3);
    assert_eq!(d["default_storage"], "cass");
    assert_eq!(
        (d["pause_limits"]["max_pause_ms"].as_u64(), d["pause_limits"]["hook_limit_ms"].as_u64()),
        (Some(90_000), Some(45_000))
    );
    let hits = files_containing(sandbox.dir.path(), pg.password.as_bytes());
    assert_eq!(hits, vec![props.clone()], "the password must be only in the user's own properties file");
    // Clean this test's secret out of the session keyring.
    let profiles: serde_json::Value =
        serde_json::from_slice(&std::fs::read(qhome.join("config/profiles.json")).unwrap()).unwrap();
    for p in profiles["profiles"].as_array().unwrap() {
        if let Some(a) = p["secret"]["account"].as_str() {
            quiesce_engine::secrets::SecretStore::new().delete(a).unwrap();
        }
    }
}
