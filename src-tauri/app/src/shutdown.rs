//! Quitting with jobs running: closing the window asks first (the window
//! shows what runs); once confirmed — or on SIGTERM/SIGINT — every job is
//! cancelled and awaited, each removing what it wrote, before the app exits.
//! A job that does not finish its cleanup in time is left to the next
//! start's recovery.

use crate::AppState;
use quiesce_engine::api::AppEvent;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tauri::{AppHandle, Manager, Window, WindowEvent};

/// How long quitting waits for the cancelled jobs' cleanup.
pub const CLEANUP_LIMIT: Duration = Duration::from_secs(60);

fn tell(state: &AppState, e: AppEvent) -> bool {
    state.events.lock().unwrap().as_ref().is_some_and(|ch| ch.send(e).is_ok())
}

/// Cancels every job, waits for them (bounded, the window told), exits.
pub fn quit(app: AppHandle) {
    let state = app.state::<AppState>();
    if state.quitting.swap(true, Ordering::SeqCst) {
        return;
    }
    let running = state.jobs.cancel_all();
    tracing::info!(running, "quitting: cancelling the running jobs");
    tell(&state, AppEvent::Quitting { running: running as u32, limit_secs: CLEANUP_LIMIT.as_secs() as u32 });
    let app2 = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app2.state::<AppState>();
        if !state.jobs.wait_idle(CLEANUP_LIMIT).await {
            tracing::warn!(left = ?state.jobs.running(), "quitting before every job finished its cleanup; the next start recovers");
        }
        app2.exit(0);
    });
}

pub fn on_window_event(window: &Window, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else { return };
    let app = window.app_handle().clone();
    let state = app.state::<AppState>();
    if state.quitting.load(Ordering::SeqCst) {
        return;
    }
    let running = state.jobs.running().len();
    if running == 0 {
        return;
    }
    api.prevent_close();
    // The window asks the user; without a window to ask, quitting cancels them.
    if !tell(&state, AppEvent::CloseRequested { running: running as u32 }) {
        quit(app);
    }
}

/// SIGTERM and SIGINT quit the same way as a confirmed close.
pub fn on_signals(app: AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
            tracing::warn!("cannot watch SIGTERM/SIGINT: a signal will stop Quiesce without cleaning up");
            return;
        };
        let name = tokio::select! { _ = term.recv() => "SIGTERM", _ = int.recv() => "SIGINT" };
        tracing::info!("{name}: quitting");
        quit(app);
    });
}
