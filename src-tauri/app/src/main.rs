// The desktop shell. Thin on purpose: state and command wiring only; every
// decision lives in quiesce-engine, which the CLI shares.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod ipc;
mod notify;
mod shutdown;

use quiesce_engine::{demo, logging, paths::Home, secrets::SecretStore, usecases::Engine};

pub struct AppState {
    /// The use cases' context (state directory, keyring).
    pub engine: Engine,
    pub jobs: quiesce_engine::job::JobRegistry,
    /// The start-up step's report, once it has run (after the first paint).
    pub startup: tokio::sync::watch::Receiver<Option<quiesce_engine::recovery::RecoveryReport>>,
    /// The window's channel for what the shell tells it (watch_app).
    pub events: std::sync::Mutex<Option<tauri::ipc::Channel<quiesce_engine::api::AppEvent>>>,
    /// Set once quitting began: the window may close then.
    pub quitting: std::sync::atomic::AtomicBool,
    /// The running app, for the commands that quit it.
    pub handle: std::sync::OnceLock<tauri::AppHandle>,
}

/// When main() began: the cold-start clock of `first_paint`.
pub static STARTED: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// With QUIESCE_STARTUP_PROBE set (the benchmark's start-up case), prints
/// `<milestone>-ms N`: the time since main() began, so the benchmark can say
/// where a cold start goes.
fn probe(milestone: &str) {
    if std::env::var_os("QUIESCE_STARTUP_PROBE").is_some() {
        let ms = STARTED.get().map(|t| t.elapsed().as_secs_f64() * 1000.0).unwrap_or(0.0);
        println!("{milestone}-ms {ms:.0}");
    }
}

fn main() {
    let _ = STARTED.set(std::time::Instant::now());
    quiesce_engine::paths::private_umask();
    let home = match Home::resolve().and_then(|h| h.ensure().map(|_| h)) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error[{}]: {}", e.code, e.message);
            std::process::exit(e.code.exit_code());
        }
    };
    let _log_guard = logging::init_app(&home);
    let engine = Engine::new(home.clone(), SecretStore::new());
    match demo::ensure_demo(engine.profiles()) {
        Ok(Some(p)) => tracing::info!(profile = %p.name, "created the demo deployment's database and profile"),
        Ok(None) => {}
        Err(e) => tracing::warn!("could not create the demo database: {}", e.message),
    }
    probe("state-ready");
    tracing::info!(config = %home.config_dir.display(), data = %home.data_dir.display(), "Quiesce {} starting", quiesce_engine::VERSION);
    // Recovery and the state audit run beside the window's start, never before it.
    let (startup_tx, startup) = tokio::sync::watch::channel(None);
    {
        let engine = engine.clone();
        std::thread::spawn(move || {
            let r = quiesce_engine::usecases::startup(&engine);
            for line in r.removed.iter().chain(&r.repaired).chain(&r.failed).chain(&r.flagged) {
                tracing::warn!("start-up: {line}");
            }
            let _ = startup_tx.send(Some(r));
        });
    }
    let state = AppState {
        engine,
        jobs: Default::default(),
        startup,
        events: Default::default(),
        quitting: Default::default(),
        handle: Default::default(),
    };
    tauri::Builder::default()
        .manage(state)
        .invoke_handler(commands::handler())
        .setup(|app| {
            use tauri::Manager;
            let _ = app.state::<AppState>().handle.set(app.handle().clone());
            // Every job that ends is announced (when long and unseen) by the job runner.
            let h = app.handle().clone();
            quiesce_engine::job::run::set_end_hook(std::sync::Arc::new(move |e| notify::job_ended(&h, e)));
            shutdown::on_signals(app.handle().clone());
            // Runs once the configured window and its webview exist.
            probe("window-created");
            Ok(())
        })
        .on_page_load(|_, p| {
            probe(if p.event() == tauri::webview::PageLoadEvent::Started { "page-started" } else { "page-loaded" })
        })
        .on_window_event(shutdown::on_window_event)
        .run(tauri::generate_context!())
        .expect("error while running Quiesce");
}
