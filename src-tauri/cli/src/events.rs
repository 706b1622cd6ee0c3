//! What a command says on stderr while it runs: a job's events (progress,
//! phases, the tools' log), notes and warnings — for people, or with
//! `--events json` one JSON object per line for scripts (stdout keeps the one
//! result document). And the signals: SIGINT or SIGTERM cancel the running
//! job and wait for its cleanup, bounded, before the process exits.

use quiesce_engine::job::{JobEvent, Sink};
use quiesce_engine::text::printable;
use quiesce_engine::Error;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long a cancelled job may take to clean up before the process exits
/// anyway (what is left is removed by the next start's recovery).
pub const CLEANUP_LIMIT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum EventsMode {
    /// Progress, phases and notes as text (a bar on a terminal).
    #[default]
    Human,
    /// One JSON object per line: job events as the app receives them, and notes.
    Json,
}

#[derive(Clone, Copy)]
pub struct Events {
    pub mode: EventsMode,
}

/// One line of `--events json` that is not a job event.
#[derive(serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line<'a> {
    /// `level`: note or warning.
    Note {
        level: &'a str,
        message: &'a str,
    },
    Error {
        error: quiesce_engine::IpcError,
    },
}

fn json_line(v: &impl serde::Serialize) {
    let mut err = std::io::stderr().lock();
    let _ = serde_json::to_writer(&mut err, v);
    let _ = err.write_all(b"\n");
}

impl Events {
    /// A note ("note") or warning ("warning") on stderr.
    pub fn note(&self, level: &str, message: &str) {
        match self.mode {
            EventsMode::Human => eprintln!("{level}: {}", printable(message)),
            EventsMode::Json => json_line(&Line::Note { level, message }),
        }
    }

    /// An error, when stdout does not carry it (`--json` puts it there).
    pub fn error(&self, e: &Error) {
        match self.mode {
            EventsMode::Json => json_line(&Line::Error { error: e.to_ipc() }),
            EventsMode::Human => {
                eprintln!("error[{}]: {}", e.code, printable(&e.message));
                for f in &e.fields {
                    eprintln!("  --{}: {}", f.field.replace('_', "-"), printable(&f.message));
                }
            }
        }
    }

    /// Where a job's events go.
    pub fn sink(&self) -> Sink {
        match self.mode {
            EventsMode::Json => std::sync::Arc::new(|e: JobEvent| json_line(&e)),
            EventsMode::Human => progress_printer(),
        }
    }
}

/// Progress on stderr: a bar redrawn in place on a terminal, plain lines
/// (every few seconds, and every phase) otherwise. The tool's own log lines
/// are shown with QUIESCE_LOG=debug only, to keep a terminal readable.
fn progress_printer() -> Sink {
    let tty = std::io::stderr().is_terminal();
    let verbose = std::env::var("QUIESCE_LOG").is_ok_and(|v| v.contains("debug"));
    let last = std::sync::Mutex::new(Instant::now() - Duration::from_secs(60));
    let started = Instant::now();
    std::sync::Arc::new(move |e: JobEvent| match e {
        JobEvent::Phase { phase, message } => {
            if tty {
                eprint!("\r\x1b[2K");
                eprintln!("[{phase}] {}", printable(&message));
            } else {
                // Logs (cron) get the time each phase began.
                eprintln!("[{:>7.2}s {phase}] {}", started.elapsed().as_secs_f64(), printable(&message));
            }
        }
        JobEvent::Log { line } if verbose => {
            if tty {
                eprint!("\r\x1b[2K");
            }
            eprintln!("  {}", printable(&line));
        }
        JobEvent::Log { .. } => {}
        JobEvent::Progress(p) => {
            let frac = if p.rows_total > 0 {
                p.rows_done as f64 / p.rows_total as f64
            } else if p.pages_total > 0 {
                p.pages_done as f64 / p.pages_total as f64
            } else if p.tables_total > 0 {
                p.tables_done as f64 / p.tables_total as f64
            } else {
                0.0
            };
            let human = quiesce_engine::size::human;
            let eta = p.eta_secs.map(|s| format!(" ETA {s:.0}s")).unwrap_or_default();
            let text = if p.rows_total > 0 {
                format!(
                    "{} of {} rows · tables {}/{} · {:.0} rows/s{eta}",
                    p.rows_done, p.rows_total, p.tables_done, p.tables_total, p.rows_per_sec
                )
            } else {
                format!(
                    "{} read · {} written · tables {}/{} · {}/s{eta}",
                    human(p.raw_bytes),
                    human(p.written_bytes),
                    p.tables_done,
                    p.tables_total,
                    human(p.rate_bps as u64)
                )
            };
            if tty {
                let width = 24;
                let filled = (frac.clamp(0.0, 1.0) * width as f64) as usize;
                eprint!(
                    "\r\x1b[2K[{}{}] {:>3.0}% {text}",
                    "#".repeat(filled),
                    "-".repeat(width - filled),
                    frac * 100.0
                );
            } else {
                let mut l = last.lock().unwrap();
                if l.elapsed() >= Duration::from_secs(5) {
                    *l = Instant::now();
                    eprintln!("progress: {text}");
                }
            }
        }
    })
}

/// The first SIGINT or SIGTERM cancels `cancel` (the running job cleans up
/// and the command returns `cancelled`); a second one exits at once.
pub fn on_signals(cancel: CancellationToken, events: Events) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        tracing::warn!("cannot watch SIGINT/SIGTERM: a signal will stop Quiesce without cleaning up");
        return;
    };
    tokio::spawn(async move {
        let name = tokio::select! { _ = int.recv() => "SIGINT", _ = term.recv() => "SIGTERM" };
        events.note(
            "note",
            &format!(
                "{name}: cancelling; waiting up to {} s for the job to clean up (send it again to exit at once)",
                CLEANUP_LIMIT.as_secs()
            ),
        );
        cancel.cancel();
        tokio::select! { _ = int.recv() => {}, _ = term.recv() => {} }
        events.note("warning", "exiting before the cleanup finished; the next start of Quiesce removes what is left");
        std::process::exit(quiesce_engine::ErrorCode::Cancelled.exit_code());
    });
}
