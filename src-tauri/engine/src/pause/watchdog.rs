//! The pause's watchdog: a small detached process (`quiesce-watchdog`) that
//! the pauser starts before its first Pause and that holds a pipe from it.
//! The pauser writes the brief first, then renews a lease (`renew`, every
//! quarter of it), says which nodes an earlier request holds (`skip ADDR`:
//! never unpaused), and `done` once it has unpaused them. The watchdog
//! unpauses every node itself, without waiting for anyone to start Quiesce
//! again, when
//! - the pipe closes without `done` (the pauser was killed or crashed),
//! - the lease lapses (the pauser is stopped — Ctrl+Z, SIGSTOP — or frozen:
//!   a frozen pauser is treated as a dead one), or
//! - the pause's hard bound passes (the deployment's maximum pause, from the
//!   brief), whatever the pauser is doing.
//!
//! It says so on its stdout (`acted REASON`) for a pauser that resumes, and
//! notes it in the pauser's journal when that lock is free (the pauser is
//! gone) for the next start to report. Nodes are unpaused in parallel, each
//! with its own short deadlines and retries, so one hung node never holds
//! the others paused.

use crate::admin::{Client, Node, Tls, TlsFiles};
use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The environment variable naming the watchdog binary (tests; otherwise it
/// is the `quiesce-watchdog` beside the running binary).
pub const ENV: &str = "QUIESCE_WATCHDOG";
pub const BINARY: &str = "quiesce-watchdog";
/// How long the pauser may go silent before the watchdog treats it as dead.
pub const LEASE: Duration = Duration::from_secs(3);

/// What the watchdog is told first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Brief {
    pub nodes: Vec<Node>,
    pub tls: Option<TlsFiles>,
    /// The pauser's journal (file and lock), to note what the watchdog did.
    pub journal: PathBuf,
    pub journal_lock: PathBuf,
    pub what: String,
    /// The lease: no line from the pauser for this long and the nodes are
    /// unpaused. None (a pauser of an earlier release): no lease.
    #[serde(default)]
    pub lease_ms: Option<u64>,
    /// The hard bound of the pause's start, from the brief on (every Pause's
    /// drain and retries, the confirmation, a margin); the pauser's `paused
    /// MS` line then sets the bound of the pause itself (its maximum and a
    /// margin). The nodes are unpaused at the bound, whatever happens. None: no bound.
    #[serde(default)]
    pub bound_ms: Option<u64>,
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

/// The pauser's view of its own lease: when it last renewed, and the longest
/// silence so far (a process stopped by SIGSTOP sees it on resuming: the
/// monotonic clock runs on while it is stopped).
struct Lease {
    length: Duration,
    /// (last renewal, longest silence so far): one lock, so no two orders.
    seen: Mutex<(Instant, Duration)>,
}

/// A running watchdog: dropping it without `done` makes it unpause.
pub struct Watchdog {
    child: Child,
    stdin: Arc<Mutex<Option<ChildStdin>>>,
    lease: Arc<Lease>,
    stop: Arc<AtomicBool>,
    renewer: Option<std::thread::JoinHandle<()>>,
    /// What the watchdog said it did (`acted …`), read from its stdout.
    acted: Arc<Mutex<Option<String>>>,
}

impl Watchdog {
    /// Starts the watchdog in a session of its own (Ctrl+C and the pauser's
    /// death do not reach it), with only the environment it needs, briefs it
    /// (it answers `ready`) and starts renewing the lease from a thread of its
    /// own (an async runtime busy elsewhere does not let it lapse).
    ///
    /// `locks` (the pauser's node locks) are inherited: the watchdog holds them
    /// with the pauser, and alone once the pauser is gone, so nobody pauses
    /// these nodes again while it may still unpause them.
    pub fn start(brief: &Brief, locks: &[std::fs::File]) -> Result<Watchdog> {
        use std::os::fd::AsRawFd;
        use std::os::unix::process::CommandExt;
        let bin = binary()?;
        let mut cmd = Command::new(&bin);
        crate::tools::env::restrict_std(&mut cmd, &[]);
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null());
        let fds: Vec<i32> = locks.iter().map(|f| f.as_raw_fd()).collect();
        unsafe {
            cmd.pre_exec(move || {
                libc::setsid();
                // The same open files (so the same flock) across the exec.
                for fd in &fds {
                    libc::fcntl(*fd, libc::F_SETFD, 0);
                }
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
            let _ = child.wait();
            return Err(Error::internal(format!("{BINARY} did not start: {}", ready.trim())));
        }
        let acted = Arc::new(Mutex::new(None));
        {
            let acted = acted.clone();
            std::thread::spawn(move || {
                for line in out.lines().map_while(std::result::Result::ok) {
                    if let Some(r) = line.strip_prefix("acted ") {
                        *acted.lock().unwrap() = Some(r.to_string());
                    }
                }
            });
        }
        let length = Duration::from_millis(brief.lease_ms.unwrap_or(LEASE.as_millis() as u64));
        let lease = Arc::new(Lease { length, seen: Mutex::new((Instant::now(), Duration::ZERO)) });
        let stdin = Arc::new(Mutex::new(Some(stdin)));
        let stop = Arc::new(AtomicBool::new(false));
        let every = length / 4;
        let renewer = {
            let (stdin, lease, stop) = (stdin.clone(), lease.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    // Woken early by `stop_renewing`.
                    std::thread::park_timeout(every);
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let now = Instant::now();
                    {
                        let mut seen = lease.seen.lock().unwrap();
                        seen.1 = seen.1.max(now - seen.0);
                        seen.0 = now;
                    }
                    let mut w = stdin.lock().unwrap();
                    let ok = w.as_mut().is_some_and(|s| writeln!(s, "renew").and_then(|_| s.flush()).is_ok());
                    if !ok {
                        return;
                    }
                }
            })
        };
        Ok(Watchdog { child, stdin, lease, stop, renewer: Some(renewer), acted })
    }

    fn say(&self, line: &str) {
        if let Some(s) = self.stdin.lock().unwrap().as_mut() {
            let _ = writeln!(s, "{line}").and_then(|_| s.flush());
        }
    }

    /// Still there and not acted: a pauser pauses nothing without it.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None)) && self.acted.lock().unwrap().is_none()
    }

    /// Every node is paused: from now the bound is the pause's own, `max`
    /// (its maximum) and a margin for the pauser's own unpause.
    pub fn paused(&self, max: Duration) {
        self.say(&format!("paused {}", (max + Duration::from_secs(5)).as_millis()));
    }

    /// A node an earlier request still holds (`TIMED_OUT_STILL_PAUSED`): the
    /// watchdog never unpauses it.
    pub fn skip(&self, addr: &str) {
        self.say(&format!("skip {addr}"));
    }

    /// The lease lapsed at some point (the pauser was stopped or frozen that
    /// long), or the watchdog acted: the longest silence, and what it said.
    pub fn lapsed(&self) -> Option<(Duration, Option<String>)> {
        let (last, longest) = *self.lease.seen.lock().unwrap();
        let silence = longest.max(last.elapsed());
        let acted = self.acted.lock().unwrap().clone();
        (silence > self.lease.length || acted.is_some()).then_some((silence, acted))
    }

    fn stop_renewing(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.renewer.take() {
            h.thread().unpark();
            let _ = h.join();
        }
    }

    /// Every node was unpaused: the watchdog leaves without acting.
    pub fn done(mut self) {
        self.stop_renewing();
        self.say("done");
        drop(self.stdin.lock().unwrap().take());
        let _ = self.child.wait();
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // Closing the pipe without `done`: the watchdog unpauses. Reaped so no zombie stays.
        self.stop_renewing();
        drop(self.stdin.lock().unwrap().take());
        let _ = self.child.try_wait();
    }
}

/// How hard an unpause of many nodes tries: each call's deadline, and how
/// long one node is retried in all (every node has its own, in parallel).
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    pub call: Duration,
    pub total: Duration,
}

impl Budget {
    /// The watchdog, a detached process: keeps at a node that does not answer for half a minute.
    pub const WATCHDOG: Budget = Budget { call: Duration::from_secs(2), total: Duration::from_secs(30) };
    /// A pauser's own unpause, or an operator's: a hung node is given up soon.
    pub const OPERATOR: Budget = Budget { call: Duration::from_secs(2), total: Duration::from_secs(8) };
    /// The start-up recovery, which must not hold up the command it runs before.
    pub const RECOVERY: Budget = Budget { call: Duration::from_millis(1500), total: Duration::from_secs(3) };
}

/// How an unpause of one node ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "detail", rename_all = "snake_case")]
pub enum Unpaused {
    /// Found paused, unpaused, and confirmed unpaused.
    Done,
    /// Found unpaused: nothing to do.
    WasNotPaused,
    /// Held by an earlier request (TIMED_OUT_STILL_PAUSED): left alone.
    Skipped,
    /// Still paused after every Unpause.
    StillPaused,
    /// Its state could not be read; Unpause was sent (or could not be).
    Unknown(String),
}

/// One node's unpause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeUnpause {
    pub node: String,
    pub outcome: Unpaused,
}

impl NodeUnpause {
    /// Quiesce knows the node is not paused by it any more.
    pub fn settled(&self) -> bool {
        matches!(self.outcome, Unpaused::Done | Unpaused::WasNotPaused | Unpaused::Skipped)
    }

    pub fn line(&self) -> String {
        let what = match &self.outcome {
            Unpaused::Done => "unpaused".to_string(),
            Unpaused::WasNotPaused => "was not paused".to_string(),
            Unpaused::Skipped => "left paused: an earlier request holds its pause (TIMED_OUT_STILL_PAUSED)".to_string(),
            Unpaused::StillPaused => "STILL PAUSED after every Unpause: restart that node".to_string(),
            Unpaused::Unknown(why) => format!("state UNKNOWN ({why}): check it (quiesce nodes), or restart it"),
        };
        format!("{}: {what}", self.node)
    }
}

/// Every outcome as one sentence, and whether all are settled.
pub fn summary(said: &[NodeUnpause]) -> (String, bool) {
    (said.iter().map(NodeUnpause::line).collect::<Vec<_>>().join("; "), said.iter().all(NodeUnpause::settled))
}

/// Unpauses every node of `nodes` but those in `skip` (by address), all at
/// once, each within `budget`.
///
/// `force`: a Pause may still be on its way to a node (its pauser was
/// killed, cancelled, or gave up waiting for it): every node gets an Unpause
/// even when it answers unpaused, and is asked again a moment later, so a
/// Pause that lands after the first answer is undone too.
pub async fn unpause_nodes(
    nodes: &[Node],
    tls: Option<&Tls>,
    skip: &[String],
    budget: Budget,
    force: bool,
) -> Vec<NodeUnpause> {
    let work = nodes.iter().map(|n| async move {
        let outcome =
            if skip.contains(&n.addr) { Unpaused::Skipped } else { unpause_node(n, tls, budget, force).await };
        NodeUnpause { node: n.label(), outcome }
    });
    futures_util::future::join_all(work).await
}

/// One node: asked, unpaused when paused *or when its state cannot be read*,
/// and asked again, until it answers unpaused or the budget is spent.
///
/// Sending Unpause to a node that is not paused is harmless: ScalarDB's
/// admin service opens its gate unconditionally (`AdminService.unpause` calls
/// `gateKeeper.open()`, which sets `isOpen = true`, and returns OK:
/// scalar-labs/scalardb `server/src/main/java/com/scalar/db/server/AdminService.java`
/// and `SynchronizedGateKeeper.java`, branch 3.13, commit 44ff6d0). So a node
/// whose CheckPaused hangs or fails still gets its Unpause.
async fn unpause_node(n: &Node, tls: Option<&Tls>, budget: Budget, force: bool) -> Unpaused {
    let mut c = match Client::new(n, tls) {
        Ok(c) => c,
        Err(e) => return Unpaused::Unknown(format!("cannot build a connection: {e}")),
    };
    let end = Instant::now() + budget.total;
    let left = || end.saturating_duration_since(Instant::now()).min(budget.call).max(Duration::from_millis(100));
    let (mut sent, mut forced) = (false, false);
    let mut wait = Duration::from_millis(50);
    loop {
        let state = c.check_paused_within(left()).await;
        let outcome = match state {
            Ok(false) if force && !forced && !sent => {
                forced = true;
                let _ = c.unpause_within(left()).await;
                tokio::time::sleep(SETTLE.min(end.saturating_duration_since(Instant::now()))).await;
                continue;
            }
            Ok(false) => return if sent { Unpaused::Done } else { Unpaused::WasNotPaused },
            Ok(true) => Unpaused::StillPaused,
            // Its Unpause was answered and it still cannot say its state: that
            // is all that can be known (asking again only keeps it longer).
            Err(e) if sent => return Unpaused::Unknown(format!("Unpause was answered, but CheckPaused: {e}")),
            Err(e) => Unpaused::Unknown(format!("CheckPaused: {e}")),
        };
        if Instant::now() >= end {
            return outcome;
        }
        match c.unpause_within(left()).await {
            Ok(()) => sent = true,
            Err(e) if Instant::now() >= end => {
                return Unpaused::Unknown(format!(
                    "Unpause: {e}{}",
                    if sent { " (an earlier one was sent)" } else { "" }
                ))
            }
            Err(_) => {}
        }
        if Instant::now() >= end {
            return match outcome {
                Unpaused::Unknown(_) if sent => {
                    Unpaused::Unknown("Unpause was sent but its state cannot be read".into())
                }
                o => o,
            };
        }
        tokio::time::sleep(wait.min(end.saturating_duration_since(Instant::now()))).await;
        wait = (wait * 2).min(Duration::from_secs(1));
    }
}

/// How long after a forced Unpause a node is asked again (a Pause on its way lands by then).
const SETTLE: Duration = Duration::from_secs(1);

/// What the pauser said, line by line, as the watchdog reads its stdin.
enum Heard {
    Line(String),
    /// The pipe closed: the pauser is gone.
    Closed,
    /// Nothing within the wait.
    Silence,
}

/// Reads stdin with a timeout (poll on fd 0; lines buffered here).
struct Ears {
    buf: Vec<u8>,
}

impl Ears {
    fn next(&mut self, within: Duration) -> Heard {
        loop {
            if let Some(i) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Heard::Line(String::from_utf8_lossy(&line).trim().to_string());
            }
            let mut fds = libc::pollfd { fd: 0, events: libc::POLLIN, revents: 0 };
            // Rounded up: woken before the deadline, the caller would misname why.
            let ms = within.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
            let r = unsafe { libc::poll(&mut fds, 1, ms) };
            if r == 0 {
                return Heard::Silence;
            }
            if r < 0 {
                // A signal: SIGTERM ends the wait (the caller sees why), any other does not.
                if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                    && !TERMINATED.load(Ordering::SeqCst)
                {
                    continue;
                }
                return Heard::Closed;
            }
            let mut chunk = [0u8; 512];
            let n = unsafe { libc::read(0, chunk.as_mut_ptr().cast(), chunk.len()) };
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            if n <= 0 {
                return Heard::Closed;
            }
            self.buf.extend_from_slice(&chunk[..n as usize]);
        }
    }
}

/// The watchdog's whole life (the `quiesce-watchdog` binary's main).
/// Set by SIGTERM (a desktop session ending kills its processes): the
/// watchdog then unpauses, as for a pauser that is gone.
static TERMINATED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn on_term(_: libc::c_int) {
    TERMINATED.store(true, Ordering::SeqCst);
}

pub fn run() -> i32 {
    let mut ears = Ears { buf: Vec::new() };
    let brief = match ears.next(Duration::from_secs(30)) {
        Heard::Line(l) => match serde_json::from_str::<Brief>(&l) {
            Ok(b) => b,
            Err(_) => {
                println!("not a brief");
                return 2;
            }
        },
        _ => return 2,
    };
    // Signals meant for the pauser's terminal are not the watchdog's business;
    // a SIGTERM ends its wait (poll returns EINTR) and it unpauses.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGHUP, libc::SIG_IGN);
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        libc::signal(libc::SIGTSTP, libc::SIG_IGN);
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_term as *const () as usize;
        libc::sigaction(libc::SIGTERM, &sa, std::ptr::null_mut());
    }
    println!("ready");
    let _ = std::io::stdout().flush();
    // A pauser of an earlier release sends neither a lease nor a bound.
    let lease = brief.lease_ms.map(Duration::from_millis);
    let mut bound = brief.bound_ms.map(|ms| Instant::now() + Duration::from_millis(ms));
    let mut skip: Vec<String> = Vec::new();
    let mut last_heard = Instant::now();
    const BOUND: &str = "the pause reached its hard bound (the deployment's maximum pause)";
    let why = loop {
        if TERMINATED.load(Ordering::SeqCst) {
            break "the watchdog was asked to stop (SIGTERM)".to_string();
        }
        let until_bound = bound.map(|b| b.saturating_duration_since(Instant::now()));
        if until_bound.is_some_and(|d| d.is_zero()) {
            break BOUND.to_string();
        }
        // Waits for the nearer of the lease and the bound, a second at most (a
        // SIGTERM that lands just before the wait is seen at the next turn).
        let wait = [lease, until_bound].into_iter().flatten().fold(Duration::from_secs(1), Duration::min);
        match ears.next(wait) {
            Heard::Line(l) if l == "done" => return 0,
            Heard::Line(l) => {
                last_heard = Instant::now();
                if let Some(a) = l.strip_prefix("skip ") {
                    skip.push(a.to_string());
                } else if let Some(ms) = l.strip_prefix("paused ").and_then(|m| m.parse::<u64>().ok()) {
                    bound = Some(Instant::now() + Duration::from_millis(ms));
                }
            }
            Heard::Closed if TERMINATED.load(Ordering::SeqCst) => {
                break "the watchdog was asked to stop (SIGTERM)".to_string()
            }
            Heard::Closed => break "the pauser ended without unpausing".to_string(),
            Heard::Silence if bound.is_some_and(|b| Instant::now() >= b) => break BOUND.to_string(),
            Heard::Silence if lease.is_none_or(|l| last_heard.elapsed() < l) => {}
            Heard::Silence => {
                break format!(
                    "the pauser's lease lapsed (silent for {:.1} s: stopped or frozen)",
                    lease.unwrap_or_default().as_secs_f64()
                )
            }
        }
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(_) => return 3,
    };
    let tls = brief.tls.as_ref().map(TlsFiles::load).transpose().unwrap_or_default();
    // The pauser's journal lock, if it is free already (the pauser is gone):
    // held while the watchdog works, so a Quiesce starting meanwhile waits
    // for its note. Nodes are never kept paused waiting for it.
    let lock = std::fs::OpenOptions::new().write(true).open(&brief.journal_lock).ok().filter(|l| l.try_lock().is_ok());
    // The pauser may have died with a Pause on its way: every node gets its Unpause.
    let said = rt.block_on(unpause_nodes(&brief.nodes, tls.as_ref(), &skip, Budget::WATCHDOG, true));
    let (line, settled) = summary(&said);
    // A pauser that is only stopped reads this when it resumes (a dead one's
    // pipe is closed: the write fails, quietly).
    let mut out = std::io::stdout();
    let _ = writeln!(out, "acted {why}: {line}").and_then(|_| out.flush());
    if lock.or_else(|| take_journal_lock(&brief)).is_some() {
        note_in_journal(&brief, &format!("{why}: {line}"), settled, &skip);
    }
    0
}

/// The journal's lock, when the pauser is dead (its lock is released as it
/// exits, a moment after its pipe closed). None: the pauser lives.
fn take_journal_lock(brief: &Brief) -> Option<std::fs::File> {
    let lock = std::fs::OpenOptions::new().write(true).open(&brief.journal_lock).ok()?;
    let deadline = Instant::now() + Duration::from_secs(2);
    while lock.try_lock().is_err() {
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(lock)
}

/// Notes in the pauser's journal what the watchdog did, when the pauser is
/// gone (its lock free): the next start reports it and removes the entry.
fn note_in_journal(brief: &Brief, said: &str, all_settled: bool, skip: &[String]) {
    let Ok(bytes) = std::fs::read(&brief.journal) else { return };
    let Ok(mut entry) = serde_json::from_slice::<crate::job::journal::Entry>(&bytes) else { return };
    let at = chrono::Utc::now();
    for o in entry.owned.iter_mut() {
        if let crate::job::Owned::Pause { watchdog, settled, hands_off, .. } = o {
            *watchdog = Some(format!("{}: {said}", at.format("%Y-%m-%d %H:%M:%S%.3f UTC")));
            *settled = all_settled;
            hands_off.extend(skip.iter().cloned());
        }
    }
    let _ = crate::store::write_json(&brief.journal, &entry);
}
