//! The pause's watchdog: a small detached process (`quiesce-watchdog`) that
//! the pauser starts before its first Pause and that holds a pipe from it.
//! The pauser writes the nodes first, and `done` once it has unpaused them.
//! When the pipe closes without `done` — the pauser was killed, crashed, or
//! dropped its pause — the watchdog unpauses every node that is still
//! paused, without waiting for anyone to start Quiesce again, and notes it in
//! the pauser's journal (when that lock is free) for the next start to report.

use crate::admin::{Client, Node, Tls};
use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

/// The environment variable naming the watchdog binary (tests; otherwise it
/// is the `quiesce-watchdog` beside the running binary).
pub const ENV: &str = "QUIESCE_WATCHDOG";
pub const BINARY: &str = "quiesce-watchdog";

/// What the watchdog is told first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Brief {
    pub nodes: Vec<Node>,
    pub tls: Option<TlsFiles>,
    /// The pauser's journal (file and lock), to note what the watchdog did.
    pub journal: PathBuf,
    pub journal_lock: PathBuf,
    pub what: String,
}

/// TLS settings by file, as the journal keeps them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsFiles {
    pub ca_file: Option<String>,
    pub authority: Option<String>,
}

impl TlsFiles {
    pub fn load(&self) -> Result<Tls> {
        let ca_pem = match &self.ca_file {
            Some(p) => Some(std::fs::read(p).map_err(|e| Error::io("read the admin CA", std::path::Path::new(p), e))?),
            None => None,
        };
        Ok(Tls { ca_pem, authority: self.authority.clone() })
    }
}

/// Where the watchdog binary is.
pub fn binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(ENV) {
        return Ok(PathBuf::from(p));
    }
    let beside = std::env::current_exe().ok().and_then(|e| e.parent().map(|d| d.join(BINARY)));
    match beside {
        Some(p) if p.is_file() => Ok(p),
        _ => Err(Error::new(
            ErrorCode::FileNotFound,
            format!("{BINARY} is not installed beside Quiesce: without it a crash could leave the deployment paused, so Quiesce does not pause. Reinstall Quiesce."),
        )),
    }
}

/// A running watchdog: dropping it without `done` makes it unpause.
pub struct Watchdog {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Watchdog {
    /// Starts the watchdog in a session of its own (Ctrl+C and the pauser's
    /// death do not reach it) and briefs it; it answers `ready`.
    pub fn start(brief: &Brief) -> Result<Watchdog> {
        use std::os::unix::process::CommandExt;
        let bin = binary()?;
        let mut cmd = Command::new(&bin);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(|e| Error::io("start", &bin, e))?;
        let mut stdin = child.stdin.take().expect("piped");
        let line = serde_json::to_string(brief).map_err(|e| Error::internal(e.to_string()))?;
        writeln!(stdin, "{line}").and_then(|_| stdin.flush()).map_err(|e| Error::io("brief", &bin, e))?;
        let mut ready = String::new();
        let mut out = std::io::BufReader::new(child.stdout.take().expect("piped"));
        out.read_line(&mut ready).map_err(|e| Error::io("hear from", &bin, e))?;
        if ready.trim() != "ready" {
            let _ = child.kill();
            return Err(Error::internal(format!("{BINARY} did not start: {}", ready.trim())));
        }
        Ok(Watchdog { child, stdin: Some(stdin) })
    }

    /// Every node was unpaused: the watchdog leaves without acting.
    pub fn done(mut self) {
        if let Some(mut s) = self.stdin.take() {
            let _ = writeln!(s, "done");
        }
        let _ = self.child.wait();
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Closing the pipe without `done`: the watchdog unpauses. Reaped so no zombie stays.
        drop(self.stdin.take());
        let _ = self.child.try_wait();
    }
}

/// Unpauses every node still paused, with retries; one line per node.
pub async fn unpause_nodes(nodes: &[Node], tls: Option<&Tls>) -> Vec<String> {
    let mut said = Vec::new();
    for n in nodes {
        let Ok(mut c) = Client::new(n, tls) else {
            said.push(format!("{}: cannot build a connection", n.label()));
            continue;
        };
        let mut outcome = format!("{}: still paused after every attempt", n.label());
        for attempt in 0..6u32 {
            match c.check_paused().await {
                Ok(false) if attempt == 0 => {
                    outcome = format!("{}: was not paused", n.label());
                    break;
                }
                Ok(false) => {
                    outcome = format!("{}: unpaused", n.label());
                    break;
                }
                Ok(true) => {
                    let _ = c.unpause().await;
                }
                Err(e) => outcome = format!("{}: {e}", n.label()),
            }
            tokio::time::sleep(Duration::from_millis(200 << attempt.min(4))).await;
        }
        said.push(outcome);
    }
    said
}

/// The watchdog's whole life (the `quiesce-watchdog` binary's main).
pub fn run() -> i32 {
    let stdin = std::io::stdin();
    let mut first = String::new();
    if stdin.lock().read_line(&mut first).is_err() {
        return 2;
    }
    let Ok(brief) = serde_json::from_str::<Brief>(first.trim()) else {
        println!("not a brief");
        return 2;
    };
    // Signals meant for the pauser's terminal are not the watchdog's business.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    println!("ready");
    let _ = std::io::stdout().flush();
    let mut rest = String::new();
    let mut done = false;
    while stdin.lock().read_line(&mut rest).map(|n| n > 0).unwrap_or(false) {
        if rest.trim() == "done" {
            done = true;
            break;
        }
        rest.clear();
    }
    if done {
        return 0;
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(_) => return 3,
    };
    let tls = brief.tls.as_ref().map(TlsFiles::load).transpose().unwrap_or_default();
    // The pauser's journal lock, once its process is gone: held while the
    // watchdog works, so a Quiesce starting meanwhile waits for its note.
    let lock = take_journal_lock(&brief);
    let said = rt.block_on(unpause_nodes(&brief.nodes, tls.as_ref()));
    if lock.is_some() {
        note_in_journal(&brief, &said);
    }
    0
}

/// The journal's lock, when the pauser is dead (its lock is released as it
/// exits, a moment after its pipe closed). None: the pauser lives.
fn take_journal_lock(brief: &Brief) -> Option<std::fs::File> {
    let lock = std::fs::OpenOptions::new().write(true).open(&brief.journal_lock).ok()?;
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while lock.try_lock().is_err() {
        if std::time::Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(lock)
}

/// Notes in the pauser's journal what the watchdog did, when the pauser is
/// gone (its lock free): the next start reports it and removes the entry.
fn note_in_journal(brief: &Brief, said: &[String]) {
    let Ok(bytes) = std::fs::read(&brief.journal) else { return };
    let Ok(mut entry) = serde_json::from_slice::<crate::job::journal::Entry>(&bytes) else { return };
    let at = chrono::Utc::now();
    for o in entry.owned.iter_mut() {
        if let crate::job::Owned::Pause { watchdog, .. } = o {
            *watchdog = Some(format!("{}: {}", at.format("%Y-%m-%d %H:%M:%S%.3f UTC"), said.join("; ")));
        }
    }
    let _ = crate::store::write_json(&brief.journal, &entry);
}
