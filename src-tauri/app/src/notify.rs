//! A desktop notification when a long job ends while the window is not
//! focused. Sent by the back end straight over the session bus
//! (org.freedesktop.Notifications, through libdbus, which the keyring already
//! links), so the webview needs no notification permission. The call runs on
//! a thread of its own with a bounded timeout: with no notification server a
//! call can hang for ~25 s, and no job or command waits for it.

use std::time::Duration;

/// Jobs shorter than this end while the user is still looking.
pub const AFTER: Duration = Duration::from_secs(10);
/// The longest a Notify call may take before it is given up.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// Whether a job that took `elapsed` should be announced.
pub fn wanted(elapsed: Duration, window_focused: bool) -> bool {
    elapsed >= AFTER && !window_focused
}

/// What a job's end says: its title and, on failure, the error's code.
pub fn text(title: &str, error: Option<&quiesce_engine::Error>) -> (String, String, bool) {
    match error {
        None => (format!("{title} finished"), "Completed.".into(), false),
        Some(e) if e.code == quiesce_engine::ErrorCode::Cancelled => {
            (format!("{title} cancelled"), "Cancelled; nothing partial was kept.".into(), false)
        }
        Some(e) => (format!("{title} failed"), format!("[{}] {}", e.code, first_line(&e.message)), true),
    }
}

fn first_line(s: &str) -> &str {
    let l = s.lines().next().unwrap_or("");
    match l.char_indices().nth(200) {
        Some((i, _)) => &l[..i],
        None => l,
    }
}

/// The job runner's end hook: announces a job's end if it ran long and the
/// window is not focused (every job kind, by construction).
pub fn job_ended(app: &tauri::AppHandle, e: &quiesce_engine::job::run::Ended) {
    use tauri::Manager;
    let focused = app.get_webview_window("main").and_then(|w| w.is_focused().ok()).unwrap_or(false);
    if !wanted(e.elapsed, focused) {
        return;
    }
    let mut title = e.what.clone();
    if let Some(c) = title.get(..1).map(str::to_uppercase) {
        title.replace_range(..1, &c);
    }
    let (summary, body, urgent) = text(&title, e.error.as_ref());
    send_detached(summary, body, urgent);
}

/// Sends on its own thread; a failure is logged, never shown.
pub fn send_detached(summary: String, body: String, urgent: bool) -> std::thread::JoinHandle<Result<u32, String>> {
    std::thread::spawn(move || {
        let r = send(&summary, &body, urgent);
        if let Err(e) = &r {
            tracing::info!("no desktop notification ({e})");
        }
        r
    })
}

/// One Notify call on the session bus; its id, or why not.
#[cfg(not(target_os = "linux"))]
pub fn send(_: &str, _: &str, _: bool) -> Result<u32, String> {
    Err("desktop notifications are sent on Linux only".into())
}

/// One Notify call on the session bus; its id, or why not.
#[cfg(target_os = "linux")]
pub fn send(summary: &str, body: &str, urgent: bool) -> Result<u32, String> {
    use dbus::arg::{PropMap, Variant};
    let c = dbus::blocking::Connection::new_session().map_err(|e| format!("no session bus: {e}"))?;
    let p = c.with_proxy("org.freedesktop.Notifications", "/org/freedesktop/Notifications", TIMEOUT);
    let mut hints = PropMap::new();
    // 2 = critical: a failure stays until it is seen.
    hints.insert("urgency".into(), Variant(Box::new(if urgent { 2u8 } else { 1u8 })));
    hints.insert("desktop-entry".into(), Variant(Box::new("Quiesce".to_string())));
    let (id,): (u32,) = p
        .method_call(
            "org.freedesktop.Notifications",
            "Notify",
            ("Quiesce", 0u32, "quiesce-app", summary, body, Vec::<String>::new(), hints, -1i32),
        )
        .map_err(|e| e.message().unwrap_or("no answer").to_string())?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_long_jobs_that_end_unseen_are_announced() {
        assert!(wanted(Duration::from_secs(11), false));
        assert!(!wanted(Duration::from_secs(11), true), "the user is looking");
        assert!(!wanted(Duration::from_secs(9), false), "a short job ends while the user waits for it");
    }

    #[test]
    fn the_text_says_how_it_ended_with_the_error_code() {
        assert_eq!(text("Backup of demo", None).0, "Backup of demo finished");
        let e = quiesce_engine::Error::new(quiesce_engine::ErrorCode::IoError, "The disk is full.\nmore");
        let (s, b, urgent) = text("Restore of x", Some(&e));
        assert_eq!((s.as_str(), b.as_str(), urgent), ("Restore of x failed", "[io_error] The disk is full.", true));
        let c = quiesce_engine::Error::cancelled_job();
        assert_eq!(text("Backup of demo", Some(&c)).0, "Backup of demo cancelled");
    }

    /// On the test's private session bus (test.sh runs the tests in
    /// dbus-run-session), with no notification server: the call is on the bus
    /// (dbus-monitor sees it) and the sender gives up within its timeout.
    #[test]
    fn a_notification_goes_out_on_the_session_bus_and_never_hangs() {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            panic!("run inside dbus-run-session (scripts/test.sh does)");
        }
        let mut mon = std::process::Command::new("dbus-monitor")
            .args(["--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("dbus-monitor (package dbus-bin)");
        std::thread::sleep(Duration::from_millis(500));
        let t = std::time::Instant::now();
        let r = send_detached("Backup of demo finished".into(), "Completed.".into(), false).join().unwrap();
        let took = t.elapsed();
        std::thread::sleep(Duration::from_millis(300));
        let _ = mon.kill();
        let out = mon.wait_with_output().unwrap();
        let seen = String::from_utf8_lossy(&out.stdout);
        assert!(seen.contains("member=Notify") && seen.contains("Backup of demo finished"), "dbus-monitor saw: {seen}");
        // No server here: the call fails (or times out), bounded either way.
        assert!(took < TIMEOUT + Duration::from_secs(2), "the Notify call took {took:?}");
        let _ = r;
    }
}
