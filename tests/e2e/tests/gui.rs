//! The real app, driven like a user would: add a PostgreSQL profile against a
//! throwaway server, test the connection, see the success; then check the
//! password is in the keyring and in no file the app wrote (WebKit storage too).

use fantoccini::{key::Key, Client, ClientBuilder, Locator};
use quiesce_testsupport::postgres::{PgServer, SUPERUSER};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tauri_driver() -> PathBuf {
    quiesce_testsupport::find_program(
        "tauri-driver",
        &[Path::new(&std::env::var("HOME").unwrap_or_default()).join(".cargo/bin")],
    )
    .or_else(|| {
        std::env::var_os("CARGO_HOME").map(|h| PathBuf::from(h).join("bin/tauri-driver")).filter(|p| p.is_file())
    })
    .expect("tauri-driver not found: scripts/setup.sh --test installs it (cargo install tauri-driver --locked)")
}

/// Starts tauri-driver on free ports with the environment the app must see.
fn start_driver(home: &Path, quiesce_home: &Path) -> Driver {
    assert!(
        std::env::var_os("DISPLAY").is_some(),
        "the GUI tests need an X display: run them through scripts/test.sh (Xvfb)"
    );
    quiesce_testsupport::require_secret_service();
    let port = quiesce_testsupport::free_port();
    let native = quiesce_testsupport::free_port();
    let child = Command::new(tauri_driver())
        .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
        .env("HOME", home)
        .env("QUIESCE_HOME", quiesce_home)
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_CACHE_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tauri-driver");
    Driver { child, port }
}

async fn connect(driver: &Driver) -> Client {
    let app = quiesce_testsupport::workspace_binary("quiesce-app");
    let mut caps = serde_json::Map::new();
    caps.insert("tauri:options".into(), serde_json::json!({ "application": app }));
    let url = format!("http://127.0.0.1:{}", driver.port);
    // The driver accepts connections before WebKitWebDriver is ready: retry.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match ClientBuilder::native().capabilities(caps.clone()).connect(&url).await {
            Ok(c) => return c,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("no WebDriver session: {e}"),
        }
    }
}

async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

/// Replaces a field's text the way a user does (erase, type): WebDriver's
/// clear() changes the DOM value behind React's back, so React keeps the old one.
async fn fill(c: &Client, css: &str, value: &str) {
    let el = wait_for(c, css).await;
    let old = el.prop("value").await.unwrap().unwrap_or_default();
    let end: char = Key::End.into();
    let backspace: char = Key::Backspace.into();
    let keys: String = std::iter::once(end).chain(std::iter::repeat_n(backspace, old.chars().count())).collect();
    el.send_keys(&format!("{keys}{value}")).await.unwrap();
    let now = el.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(now, value, "{css} did not take the typed value");
}

async fn screenshot(c: &Client, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    if let Ok(png) = c.screenshot().await {
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else { return hits };
    for e in rd.flatten() {
        let p = e.path();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            hits.extend(files_containing(&p, needle));
        } else if ft.is_file() {
            if let Ok(bytes) = std::fs::read(&p) {
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    hits.push(p);
                }
            }
        }
    }
    hits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_postgres_profile_test_connection_and_keep_the_password_in_the_keyring_only() {
    let pg = PgServer::shared();
    let db = pg.create_database();
    let sandbox = tempfile::tempdir().unwrap();
    let home = sandbox.path().join("home");
    let qhome = sandbox.path().join("quiesce");
    std::fs::create_dir_all(&home).unwrap();
    let driver = start_driver(&home, &qhome);
    let c = connect(&driver).await;

    // Run the steps in a task so that a failed assertion still closes the
    // session (and with it WebKitWebDriver and the app) before re-panicking.
    let steps = c.clone();
    let db2 = db.clone();
    let result = tokio::spawn(async move {
        let (c, db) = (steps, db2);
        // First start: the demo profile exists and the window shows the profile list.
        wait_for(&c, "[data-testid='profile-item-demo-sqlite']").await;
        screenshot(&c, "01-first-start").await;

        wait_for(&c, "[data-testid='new-profile']").await.click().await.unwrap();
        fill(&c, "#f-name", "gui-pg").await;
        c.find(Locator::Css("#f-kind")).await.unwrap().select_by_value("postgresql").await.unwrap();
        fill(&c, "#f-host", "127.0.0.1").await;
        fill(&c, "#f-port", &pg.port.to_string()).await;
        fill(&c, "#f-database", &db).await;
        fill(&c, "#f-user", SUPERUSER).await;
        fill(&c, "#f-password", &pg.password).await;
        wait_for(&c, "[data-testid='save-profile']").await.click().await.unwrap();
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
    let _ = c.close().await;
    drop(driver);
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }

    // The password is in the keyring, under the profile's reference...
    let profiles: serde_json::Value =
        serde_json::from_slice(&std::fs::read(qhome.join("config/profiles.json")).unwrap()).unwrap();
    let p =
        profiles["profiles"].as_array().unwrap().iter().find(|p| p["name"] == "gui-pg").expect("profile saved").clone();
    let account = p["secret"]["account"].as_str().unwrap();
    let stored = quiesce_engine::secrets::SecretStore::new().get(account).unwrap().expect("password in the keyring");
    assert_eq!(stored.expose(), &pg.password);
    // ...and in no file: profiles, logs, demo data, WebKit's local storage and caches.
    let hits = files_containing(sandbox.path(), pg.password.as_bytes());
    assert!(hits.is_empty(), "the password was found in {hits:?}");
    assert!(
        home.join(".local/share").exists() || home.join(".cache").exists(),
        "WebKit wrote nothing under HOME: is the app really using this HOME?"
    );
    quiesce_engine::secrets::SecretStore::new().delete(account).unwrap();
}
