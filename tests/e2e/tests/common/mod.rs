//! Shared by the GUI suites: tauri-driver on free ports, a WebDriver session
//! on the real built app, and helpers to act like a user.
#![allow(dead_code)]

use fantoccini::{key::Key, Client, ClientBuilder, Locator};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The app's private world under one temp dir, removed when dropped: a HOME
/// (WebKit's storage, the keyring's files) and Quiesce's state dir.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub qhome: PathBuf,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let qhome = dir.path().join("quiesce");
        std::fs::create_dir_all(&home).unwrap();
        Sandbox { dir, home, qhome }
    }

    /// The engine on the app's state, to set things up before the app starts.
    pub fn deployments(&self) -> quiesce_engine::deployment::Deployments {
        use quiesce_engine::{paths::Home, profile::Profiles, secrets::SecretStore};
        quiesce_engine::deployment::Deployments::new(Profiles::new(Home::at(&self.qhome), SecretStore::new()))
    }
}

pub struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn tauri_driver() -> PathBuf {
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
pub fn start_driver(home: &Path, quiesce_home: &Path) -> Driver {
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

pub async fn connect(driver: &Driver) -> Client {
    // The benchmark runs a release build (QUIESCE_APP_BIN); the tests, the debug one.
    let app = std::env::var_os("QUIESCE_APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| quiesce_testsupport::workspace_binary("quiesce-app"));
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

pub async fn wait_for(c: &Client, css: &str) -> fantoccini::elements::Element {
    c.wait()
        .at_most(Duration::from_secs(60))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} never appeared: {e}"))
}

/// Waits for `css` while a job runs: fails at once when one of `failed`
/// appears (with its text), and after `secs` with what the view showed
/// (the texts of `said`, and a screenshot), not just "never appeared".
pub async fn wait_for_job(
    c: &Client,
    css: &str,
    failed: &[&str],
    said: &[&str],
    secs: u64,
) -> fantoccini::elements::Element {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            return e;
        }
        for f in failed {
            if let Ok(e) = c.find(Locator::Css(f)).await {
                panic!("{f} instead of {css}: {}", e.text().await.unwrap_or_default());
            }
        }
        if Instant::now() >= deadline {
            let mut shown = Vec::new();
            for s in said {
                if let Ok(e) = c.find(Locator::Css(s)).await {
                    shown.push(format!("{s}: {}", e.text().await.unwrap_or_default()));
                }
            }
            screenshot(c, "never-appeared").await;
            panic!("{css} never appeared in {secs} s; the view showed: {shown:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Waits until an element's text contains `want` (a notice replaced by the
/// next one, a title once the view loaded), and returns that text.
pub async fn wait_for_text(c: &Client, css: &str, want: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = wait_for(c, css).await.text().await.unwrap_or_default();
        if text.contains(want) {
            return text;
        }
        if Instant::now() >= deadline {
            screenshot(c, "never-said").await;
            panic!("{css} never said {want:?}; it says {text:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks an element once it stands still, and checks the click reached it.
/// WebDriver aims at the element's centre and then clicks that point: when
/// content loading above it (a table, a message, a smooth scroll) moves it
/// in between, the click lands beside it and the test waits for nothing.
/// Here the element must keep its place for two frames first, and a click
/// that did not reach it (moved, or disabled) is tried once more, then fails
/// naming it.
pub async fn click_settled(c: &Client, css: &str) {
    const STILL: &str = "const [el, done] = arguments; let last = '', n = 0;
        const f = () => { const r = el.getBoundingClientRect(), k = [r.x, r.y, r.width, r.height].join();
          if (k === last && ++n >= 2) return done(true); if (k !== last) n = 0; last = k; requestAnimationFrame(f); };
        requestAnimationFrame(f);";
    const WATCH: &str = "const el = arguments[0]; window.__quiesceHit = null;
        document.addEventListener('click', (e) => { window.__quiesceHit = el.contains(e.target); }, { capture: true, once: true });";
    let mut hit = serde_json::Value::Null;
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut missed = 0;
    while missed < 2 {
        let el = wait_for(c, css).await;
        let arg = serde_json::to_value(&el).unwrap();
        c.execute_async(STILL, vec![arg.clone()]).await.unwrap();
        c.execute(WATCH, vec![arg]).await.unwrap();
        // Not clickable yet (React Flow hides nodes until it measured them).
        if let Err(e) = el.click().await {
            assert!(Instant::now() < deadline, "{css} never became clickable: {e}");
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        }
        missed += 1;
        let t = Instant::now();
        loop {
            hit = c.execute("return window.__quiesceHit", vec![]).await.unwrap();
            if hit != serde_json::Value::Null || t.elapsed() > Duration::from_millis(500) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if hit == serde_json::json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    screenshot(c, "lost-click").await;
    panic!("the click on {css} did not reach it ({hit}): it moved, or it is disabled");
}

/// Replaces a field's text the way a user does (erase, type): WebDriver's
/// clear() changes the DOM value behind React's back, so React keeps the old one.
pub async fn fill(c: &Client, css: &str, value: &str) {
    let el = wait_for(c, css).await;
    let old = el.prop("value").await.unwrap().unwrap_or_default();
    let end: char = Key::End.into();
    let backspace: char = Key::Backspace.into();
    let keys: String = std::iter::once(end).chain(std::iter::repeat_n(backspace, old.chars().count())).collect();
    el.send_keys(&format!("{keys}{value}")).await.unwrap();
    let now = el.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(now, value, "{css} did not take the typed value");
}

pub async fn screenshot(c: &Client, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.test-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    if let Ok(png) = c.screenshot().await {
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
}

pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
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

/// Runs the steps against the app; a failed step still closes the session
/// (and with it WebKitWebDriver and the app) before the panic goes on.
pub async fn drive<F, Fut>(c: &Client, steps: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let result = tokio::spawn(steps(c.clone())).await;
    let _ = c.clone().close().await;
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

/// Clicks once the element can take it: React Flow keeps nodes hidden until it
/// has measured them, which can lag on a busy machine ([`click_settled`]).
pub async fn click_when_ready(c: &Client, css: &str) {
    click_settled(c, css).await
}

/// A field's value once the view has loaded what sets it (a list read
/// from the back end): the value it settles on within 20 s.
pub async fn value_when_ready(c: &Client, css: &str, want: &str) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = wait_for(c, css).await.prop("value").await.unwrap();
        if v.as_deref() == Some(want) || Instant::now() >= deadline {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Selects an option by its label once the list has loaded it.
pub async fn select_when_ready(c: &Client, css: &str, label: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match wait_for(c, css).await.select_by_label(label).await {
            Ok(()) => return,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{css} never offered \"{label}\": {e}"),
        }
    }
}

/// A saved profile for a throwaway PostgreSQL database (superuser, password in
/// the session keyring), made with the engine before the app starts.
pub fn pg_profile(
    ds: &quiesce_engine::deployment::Deployments,
    name: &str,
    pg: &quiesce_testsupport::postgres::PgServer,
    db: &str,
) -> quiesce_engine::profile::Profile {
    use quiesce_engine::profile::{DbKind, PasswordChange, ProfileInput};
    ds.profiles()
        .create(&ProfileInput {
            name: name.into(),
            kind: Some(DbKind::Postgresql),
            host: Some("127.0.0.1".into()),
            port: Some(pg.port),
            database: Some(db.into()),
            user: Some(quiesce_testsupport::postgres::SUPERUSER.into()),
            password: PasswordChange::Set(quiesce_engine::Sensitive::new(pg.password.clone())),
            ..Default::default()
        })
        .unwrap()
}

/// A saved profile for a throwaway MariaDB server (its test user, password in
/// the session keyring), made with the engine before the app starts.
pub fn my_profile(
    ds: &quiesce_engine::deployment::Deployments,
    name: &str,
    my: &quiesce_testsupport::mariadb::MariaDbServer,
) -> quiesce_engine::profile::Profile {
    use quiesce_engine::profile::{DbKind, PasswordChange, ProfileInput};
    ds.profiles()
        .create(&ProfileInput {
            name: name.into(),
            kind: Some(DbKind::Mysql),
            host: Some("127.0.0.1".into()),
            port: Some(my.port),
            user: Some(quiesce_testsupport::mariadb::USER.into()),
            password: PasswordChange::Set(quiesce_engine::Sensitive::new(my.password.clone())),
            ..Default::default()
        })
        .unwrap()
}

/// What has the focus: its data-testid, else `tag:text`; `body` for none.
pub async fn focused(c: &Client) -> String {
    let js = "const e = document.activeElement;
        if (!e || e === document.body) return 'body';
        return e.getAttribute('data-testid') || (e.tagName.toLowerCase() + ':' + (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 40));";
    c.execute(js, vec![]).await.unwrap().as_str().unwrap_or_default().to_string()
}

/// Keys sent to the focused element, as a keyboard sends them.
pub async fn keys(c: &Client, k: &str) {
    c.active_element().await.unwrap().send_keys(k).await.unwrap();
}

pub async fn press(c: &Client, k: Key) {
    keys(c, &char::from(k).to_string()).await;
}

pub async fn shift_tab(c: &Client) {
    keys(c, &[char::from(Key::Shift), char::from(Key::Tab), char::from(Key::Null)].iter().collect::<String>()).await;
}

/// Tabs (or Shift+Tabs) until the element with `testid` has the focus.
pub async fn tab_to(c: &Client, testid: &str, back: bool) {
    let mut path = Vec::new();
    for _ in 0..40 {
        let f = focused(c).await;
        if f == testid {
            return;
        }
        path.push(f);
        if back {
            shift_tab(c).await;
        } else {
            press(c, Key::Tab).await;
        }
    }
    panic!("40 presses of {} never reached {testid}; the focus went: {path:?}", if back { "Shift+Tab" } else { "Tab" });
}
