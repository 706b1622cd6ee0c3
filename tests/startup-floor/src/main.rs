//! A blank page in a Tauri window, nothing else: what a cold start to first
//! paint costs on this machine before any of Quiesce's own work. The
//! benchmark's start-up case runs it beside the app (`first-paint-ms N`,
//! counted from main() as the app counts).

use std::sync::OnceLock;
use std::time::Instant;

static STARTED: OnceLock<Instant> = OnceLock::new();

#[tauri::command]
fn painted() {
    let ms = STARTED.get().map(|t| t.elapsed().as_secs_f64() * 1000.0).unwrap_or(0.0);
    println!("first-paint-ms {ms:.0}");
    std::process::exit(0);
}

fn main() {
    let _ = STARTED.set(Instant::now());
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![painted])
        .run(tauri::generate_context!())
        .expect("the floor app did not start");
}
