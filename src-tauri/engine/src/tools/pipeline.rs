//! Runs the native tools with Quiesce in the middle of their pipes.
//!
//! - `run_to_file`: a dump tool's stdout is counted (uncompressed bytes, for
//!   progress), tapped (rows counted as they pass) and its tail kept (to check
//!   the dump's trailer) on its way into the compressor, whose output is
//!   hashed (SHA-256) and counted on its way to the file.
//! - `run_chain`: a restore's tools, each one's stdout into the next through
//!   the kernel, fed with a backup file Quiesce reads itself (for progress).
//! - `run_tool`: a tool that writes its own files (pg_dump -Fd, mydumper).
//!
//! In all three, **a stage that fails ends the whole job at once**: a full
//! disk, a compressor that stops reading or a tool that exits non-zero stops
//! every other stage (their process groups are killed) and the job fails
//! with that stage's own cause, so no tool is left blocked on a full pipe and
//! no server session waits on it. A stage that **stalls** — no byte moved, no
//! log line and no server-side work for [`Stall::limit`] — ends the job with
//! `timeout` the same way. Buffers are fixed, so memory stays flat.

use super::{kill_group, short, spawn_err, CommandLine};
use crate::error::{Error, ErrorCode, Result};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::process::{ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::Child;
use tokio_util::sync::CancellationToken;

const BUF: usize = 1024 * 1024;
const TAIL: usize = 4096;

/// Live counters a progress reporter and the stall watchdog sample.
#[derive(Debug, Default)]
pub struct Counters {
    /// Bytes the dump tool produced, or the restore fed (uncompressed).
    pub raw: AtomicU64,
    /// Bytes written to the output file.
    pub written: AtomicU64,
    /// Log lines the tools printed.
    pub lines: AtomicU64,
    /// The last of them (what a stalled tool said last).
    pub last_line: Mutex<String>,
    /// The first line that said the disk is full: a tool that said so and
    /// then went quiet is ended at once rather than after the stall limit
    /// (mydumper's threads can hang after a write fails).
    pub disk_full: Mutex<Option<String>>,
}

/// How long a tool that said the disk is full may stay quiet before it is
/// stopped: long enough for it to exit with its own error.
const DISK_FULL_GRACE: Duration = Duration::from_secs(2);

fn says_disk_full(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.contains("no space left") || l.contains("disk full") || l.contains("disk is full")
}

pub type LogFn = Arc<dyn Fn(String) + Send + Sync>;

/// Whether the server is doing work for this job right now (a query, an
/// index build): a stage that moves no bytes but keeps the server busy is
/// not stalled.
pub type ServerProbe = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send + Sync>;

/// When a job counts as stalled, and what it says then.
#[derive(Clone)]
pub struct Stall {
    pub limit: Duration,
    /// The bytes of files a tool writes itself (pg_dump -Fd, mydumper):
    /// watched for progress and reported as the bytes written.
    pub progress: Option<Arc<dyn Fn() -> u64 + Send + Sync>>,
    pub server: Option<ServerProbe>,
    /// Said after "<tool> made no progress for N s": what may have happened, what to do.
    pub advice: String,
}

/// The environment variable that changes the stall limit (e.g. `300s`, `5m`).
pub const STALL_ENV: &str = "QUIESCE_STALL_TIMEOUT";

impl Stall {
    /// The default policy: [`STALL_ENV`] or 120 s, no server probe.
    pub fn default_policy() -> Stall {
        let limit = std::env::var(STALL_ENV)
            .ok()
            .and_then(|v| crate::duration::parse(&v).ok())
            .unwrap_or(Duration::from_secs(120));
        Stall { limit, progress: None, server: None, advice: String::new() }
    }

    pub fn with_server(mut self, probe: Option<ServerProbe>) -> Stall {
        self.server = probe;
        self
    }
}

/// What every run shares with its caller.
pub struct Run<'a> {
    pub counters: Arc<Counters>,
    pub log: LogFn,
    pub cancel: &'a CancellationToken,
    pub stall: Stall,
}

impl Run<'_> {
    /// Watches for a stall; returns (the error to end the job with) only
    /// when there was no progress of any kind for the limit.
    async fn watchdog(&self, what: &str) -> Error {
        let c = &self.counters;
        let sample = || {
            if let Some(p) = &self.stall.progress {
                c.written.store(p(), Ordering::Relaxed);
            }
            (c.raw.load(Ordering::Relaxed), c.written.load(Ordering::Relaxed), c.lines.load(Ordering::Relaxed))
        };
        let tick = (self.stall.limit / 10).clamp(Duration::from_millis(50), Duration::from_millis(250));
        let (mut last, mut since) = (sample(), Instant::now());
        loop {
            tokio::time::sleep(tick).await;
            let now = sample();
            if now != last {
                (last, since) = (now, Instant::now());
                continue;
            }
            if since.elapsed() >= DISK_FULL_GRACE {
                if let Some(said) = c.disk_full.lock().unwrap().clone() {
                    return Error::new(
                        ErrorCode::IoError,
                        format!(
                            "{what} stopped: the disk is full. It said \"{said}\" and did nothing more, so it was stopped and its partial output removed. Free some space where the backup is written and run it again."
                        ),
                    );
                }
            }
            if since.elapsed() < self.stall.limit {
                continue;
            }
            if let Some(probe) = &self.stall.server {
                if tokio::time::timeout(Duration::from_secs(5), probe()).await.unwrap_or(false) {
                    since = Instant::now();
                    continue;
                }
            }
            let said = c.last_line.lock().unwrap().clone();
            return Error::new(
                ErrorCode::Timeout,
                format!(
                    "{what} neither logged nor wrote anything for {} s{}, so it was stopped and its partial output removed.{}{} The limit is set by {STALL_ENV} (e.g. 300s).",
                    self.stall.limit.as_secs_f64().round(),
                    if self.stall.server.is_some() { ", and the server did no work for it" } else { "" },
                    if self.stall.advice.is_empty() { String::new() } else { format!(" {}", self.stall.advice) },
                    if said.is_empty() { String::new() } else { format!(" Its last message: \"{said}\".") },
                ),
            );
        }
    }
}

#[derive(Debug)]
pub struct PipeResult {
    pub sha256: String,
    pub bytes: u64,
    pub raw_bytes: u64,
    /// The last bytes the tool wrote (uncompressed).
    pub tail: Vec<u8>,
    /// What the tools printed (stderr, and stdout where it is not the data).
    pub stderr: Vec<String>,
}

/// Larger pipes mean fewer, larger reads and writes through the relay.
/// Returns the size the pipe has (the system may refuse the change).
fn widen_pipe(fd: std::os::fd::RawFd) -> usize {
    unsafe {
        libc::fcntl(fd, libc::F_SETPIPE_SZ, 1 << 20);
        libc::fcntl(fd, libc::F_GETPIPE_SZ).max(0) as usize
    }
}

/// After a short read, lets the tool fill its pipe for a moment. Dump tools
/// write 4 to 8 KB at a time, and a relay that takes each write as it comes
/// wakes (and wakes the compressor) hundreds of thousands of times per GB;
/// in a pipe of 1 MB a millisecond's wait never stalls the tool, and the
/// reads after it are large. In a pipe the system kept small it could, so
/// there is no wait.
struct Pacer {
    wait: bool,
}

impl Pacer {
    fn for_pipe(size: usize) -> Pacer {
        Pacer { wait: size >= 1 << 20 }
    }

    async fn after_read(&self, n: usize) {
        if self.wait && n < 64 * 1024 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Sees every byte a tool writes (e.g. to count rows as they pass).
pub type Tap<'a> = Option<&'a mut (dyn FnMut(&[u8]) + Send)>;

/// What every chunk a tool writes goes through: counted, tapped, and its end
/// kept (only the last TAIL bytes are copied, never the whole chunk).
fn observe(chunk: &[u8], counters: &Counters, tail: &mut Vec<u8>, tap: &mut Tap) {
    counters.raw.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    tail.extend_from_slice(&chunk[chunk.len().saturating_sub(TAIL)..]);
    if tail.len() > TAIL {
        tail.drain(..tail.len() - TAIL);
    }
    if let Some(t) = tap.as_mut() {
        t(chunk);
    }
}

/// What every chunk of the output goes through on its way to the file.
async fn store(
    chunk: &[u8],
    file: &mut tokio::fs::File,
    hasher: &mut Sha256,
    counters: &Counters,
    path: &Path,
) -> Result<()> {
    hasher.update(chunk);
    file.write_all(chunk).await.map_err(|e| Error::io("write", path, e))?;
    counters.written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    Ok(())
}

/// Forwards a tool's text output (stderr, or a stdout that is not the data)
/// to the log line by line, and keeps the lines.
fn lines_task<R>(stream: R, name: String, run: &Run<'_>) -> tokio::task::JoinHandle<Vec<String>>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    let (log, counters) = (run.log.clone(), run.counters.clone());
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        let mut kept = Vec::new();
        let mut withhold = Withhold::default();
        while let Ok(Some(l)) = lines.next_line().await {
            let Some(l) = withhold.line(&l) else { continue };
            // Tools prefix their own name; add it only where they do not.
            let l = l.trim_end();
            let l = if l.starts_with(&format!("{name}:")) { l.to_string() } else { format!("{name}: {l}") };
            counters.lines.fetch_add(1, Ordering::Relaxed);
            l.clone_into(&mut counters.last_line.lock().unwrap());
            if says_disk_full(&l) {
                counters.disk_full.lock().unwrap().get_or_insert_with(|| l.clone());
            }
            log(l.clone());
            // Enough to report the tool's own message; verbose runs are long.
            if kept.len() < 2000 {
                kept.push(l);
            }
        }
        kept
    })
}

/// Collects a lines task's lines, waiting at most 5 s (a grandchild may
/// still hold the pipe open).
async fn collect(t: tokio::task::JoinHandle<Vec<String>>) -> Vec<String> {
    tokio::time::timeout(Duration::from_secs(5), t).await.ok().and_then(|r| r.ok()).unwrap_or_default()
}

/// `cmd` (with `pipe_to` a compressor, or none) -> `out`, hashed.
/// `tap` sees every byte the tool writes (e.g. to count rows as they pass).
#[allow(
    clippy::too_many_lines,
    reason = "the stages are supervised by one select loop whose branches share their state"
)]
pub async fn run_to_file(cmd: &CommandLine, out: &Path, run: &Run<'_>, mut tap: Tap<'_>) -> Result<PipeResult> {
    cmd.check()?;
    let mut producer = cmd.command();
    producer.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut p = producer.spawn().map_err(|e| spawn_err(&cmd.program, e))?;
    let mut z = match &cmd.pipe_to {
        Some(next) => {
            let mut c = next.command();
            c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
            match c.spawn() {
                Ok(z) => Some(z),
                Err(e) => {
                    kill_group(&mut p).await;
                    return Err(spawn_err(&next.program, e));
                }
            }
        }
        None => None,
    };
    let p_err = lines_task(p.stderr.take().expect("piped"), short(&cmd.program), run);
    let z_err = z
        .as_mut()
        .map(|z| lines_task(z.stderr.take().expect("piped"), short(&cmd.pipe_to.as_ref().unwrap().program), run));

    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(out)
        .await
        .map_err(|e| Error::io("create", out, e))?;
    let mut p_out = p.stdout.take().unwrap();
    let pacer = {
        use std::os::fd::AsRawFd;
        let pacer = Pacer::for_pipe(widen_pipe(p_out.as_raw_fd()));
        if let Some(zc) = z.as_ref() {
            if let Some(i) = zc.stdin.as_ref() {
                widen_pipe(i.as_raw_fd());
            }
            if let Some(o) = zc.stdout.as_ref() {
                widen_pipe(o.as_raw_fd());
            }
        }
        pacer
    };
    let c2 = run.counters.clone();
    let out_path = out.to_path_buf();
    let next_name = cmd.pipe_to.as_ref().map(|n| short(&n.program)).unwrap_or_default();
    let next_name = next_name.as_str();
    let read_err = |e: std::io::Error| Error::new(ErrorCode::IoError, format!("Reading the dump failed: {e}"));
    // This run's own bytes (the job's counters add up every unit's).
    let fed = AtomicU64::new(0);

    let work = async {
        let mut tail: Vec<u8> = Vec::with_capacity(TAIL * 2);
        let mut hasher = Sha256::new();
        match z.as_mut() {
            Some(zc) => {
                let mut z_in = zc.stdin.take().unwrap();
                let mut z_out = zc.stdout.take().unwrap();
                // tool -> (count, tail) -> compressor
                let feed = async {
                    let mut buf = vec![0u8; BUF];
                    loop {
                        let n = p_out.read(&mut buf).await.map_err(read_err)?;
                        if n == 0 {
                            break;
                        }
                        observe(&buf[..n], &c2, &mut tail, &mut tap);
                        fed.fetch_add(n as u64, Ordering::Relaxed);
                        z_in.write_all(&buf[..n]).await.map_err(|e| relay_failed(e, next_name))?;
                        pacer.after_read(n).await;
                    }
                    drop(z_in);
                    Ok::<_, Error>(())
                };
                // compressor -> (hash, count) -> file
                let drain = async {
                    let mut buf = vec![0u8; BUF];
                    loop {
                        let n = z_out.read(&mut buf).await.map_err(|e| {
                            Error::new(ErrorCode::IoError, format!("Reading the compressor failed: {e}"))
                        })?;
                        if n == 0 {
                            break;
                        }
                        store(&buf[..n], &mut file, &mut hasher, &c2, &out_path).await?;
                    }
                    Ok::<_, Error>(())
                };
                // The first stage to fail ends both: a full disk must not
                // leave the relay blocked on a compressor nobody reads.
                tokio::try_join!(feed, drain)?;
            }
            None => {
                let mut buf = vec![0u8; BUF];
                loop {
                    let n = p_out.read(&mut buf).await.map_err(read_err)?;
                    if n == 0 {
                        break;
                    }
                    observe(&buf[..n], &c2, &mut tail, &mut tap);
                    fed.fetch_add(n as u64, Ordering::Relaxed);
                    store(&buf[..n], &mut file, &mut hasher, &c2, &out_path).await?;
                    pacer.after_read(n).await;
                }
            }
        }
        file.flush().await.map_err(|e| Error::io("write", &out_path, e))?;
        file.sync_all().await.map_err(|e| Error::io("sync", &out_path, e))?;
        let written = file.metadata().await.map_err(|e| Error::io("read", &out_path, e))?.len();
        let p_status =
            p.wait().await.map_err(|e| Error::new(ErrorCode::IoError, format!("Waiting for the dump failed: {e}")))?;
        let z_status = match z.as_mut() {
            Some(zc) => Some(
                zc.wait()
                    .await
                    .map_err(|e| Error::new(ErrorCode::IoError, format!("Waiting for the compressor failed: {e}")))?,
            ),
            None => None,
        };
        Ok::<_, Error>((format!("{:x}", hasher.finalize()), tail, p_status, z_status, written))
    };

    let name = short(&cmd.program);
    let r = tokio::select! {
        r = work => r,
        e = run.watchdog(&name) => Err(e),
        _ = run.cancel.cancelled() => Err(Error::cancelled_job()),
    };
    // On failure the tools may still be running (blocked on a full pipe):
    // stop them before waiting for their output to close.
    if r.is_err() {
        kill_group(&mut p).await;
        if let Some(zc) = z.as_mut() {
            kill_group(zc).await;
        }
    }
    let mut stderr = collect(p_err).await;
    if let Some(t) = z_err {
        stderr.extend(collect(t).await);
    }
    let (sha256, tail, p_status, z_status, written) = r?;
    if !p_status.success() {
        return Err(tool_failed(&cmd.program, p_status, &stderr));
    }
    if let Some(s) = z_status {
        if !s.success() {
            return Err(tool_failed(&cmd.pipe_to.as_ref().unwrap().program, s, &stderr));
        }
    }
    Ok(PipeResult { sha256, bytes: written, raw_bytes: fed.load(Ordering::Relaxed), tail, stderr })
}

/// The compressor stopped reading: its own messages are in the log. The
/// caller stops the tool, which would otherwise wait on a full pipe.
fn relay_failed(e: std::io::Error, compressor: &str) -> Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Error::new(ErrorCode::IoError, format!("{compressor} stopped reading the dump (see its messages in the log)."))
    } else {
        Error::new(ErrorCode::IoError, format!("Passing the dump to {compressor} failed: {e}"))
    }
}

/// The tool's own words, classified where they say what went wrong.
pub fn tool_failed(program: &str, status: ExitStatus, stderr: &[String]) -> Error {
    let errors: Vec<&String> = stderr
        .iter()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("error")
                || l.contains("fatal")
                || l.contains("failed")
                || l.contains("denied")
                || l.contains("no space")
                || l.contains("critical")
        })
        .collect();
    let shown: Vec<&String> = if errors.is_empty() {
        stderr.iter().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect()
    } else {
        errors.into_iter().take(8).collect()
    };
    let text = shown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n");
    let lower = text.to_ascii_lowercase();
    let code = if lower.contains("password authentication failed") || lower.contains("access denied for user") {
        ErrorCode::AuthFailed
    } else if lower.contains("server version mismatch") || lower.contains("aborting because of server version") {
        ErrorCode::Unsupported
    } else if lower.contains("no space left") {
        ErrorCode::IoError
    } else if lower.contains("connection refused")
        || lower.contains("terminating connection")
        || lower.contains("server closed the connection")
        || lower.contains("lost connection")
        || lower.contains("gone away")
    {
        ErrorCode::ConnectionRefused
    } else if lower.contains("permission denied") {
        ErrorCode::PermissionDenied
    } else {
        ErrorCode::DatabaseError
    };
    let how = match status.code() {
        Some(c) => format!("exited with status {c}"),
        None => "was killed".into(),
    };
    Error::new(
        code,
        format!("{} {how}. It said:\n{}", short(program), if text.is_empty() { "(nothing)".into() } else { text }),
    )
}

const WITHHELD: &str = "<withheld: it holds data>";

/// Takes out the data a tool's messages quote, line by line as they come:
/// MySQL clients quote the failing statement "near '…' at line N" — in a
/// restore the backup's rows, one per line when the dump writes them so —,
/// the key of a "Duplicate entry '…'" and a bad "value: '…'". The error's
/// number, its line and the names of tables and keys stay. Every tool line
/// passes here before it is logged or kept, so no row reaches a log, an
/// error message or the app.
#[derive(Default)]
pub struct Withhold {
    /// Inside a quoted statement that goes on over several lines.
    quoting: bool,
    /// Inside a client's echo of the failing statement (between lines of dashes).
    echo: bool,
}

impl Withhold {
    /// The line as it may be shown, or None for a line inside a quote.
    pub fn line(&mut self, line: &str) -> Option<String> {
        if line.trim_end() == "--------------" {
            self.echo = !self.echo;
            return self.echo.then(|| format!("(the failing statement, {WITHHELD})"));
        }
        if self.echo {
            return None;
        }
        if self.quoting {
            let end = line.find("' at line ")?;
            self.quoting = false;
            return Some(format!("  (the statement{}", &line[end + 1..]).replace("at line", "ends at line") + ")");
        }
        let mut out = line.to_string();
        if let Some(start) = out.find(" near '") {
            match out[start + 7..].rfind("' at line ") {
                Some(end) => out = format!("{} near {WITHHELD}{}", &out[..start], &out[start + 7 + end + 1..]),
                None => {
                    self.quoting = true;
                    out = format!("{} near {WITHHELD}", &out[..start]);
                }
            }
        }
        for (open, close) in [("Duplicate entry '", "' for key "), ("value: '", "' for column ")] {
            if let Some(start) = out.find(open) {
                let from = start + open.len();
                let end = out[from..].rfind(close).map(|e| from + e + 1).unwrap_or(out.len());
                out = format!("{}{WITHHELD}{}", &out[..start + open.len() - 1], &out[end..]);
            }
        }
        Some(out)
    }
}

/// Lines of a tool's stderr that are errors even when it exits 0.
pub fn error_lines(stderr: &[String]) -> Vec<String> {
    stderr
        .iter()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            (l.contains("error") && !l.contains("--log-error")) || l.contains("fatal")
        })
        .cloned()
        .collect()
}

/// Runs a tool that writes its own output files (pg_dump -Fd, mydumper):
/// stderr and stdout to the log (mydumper reports its errors on stdout),
/// the process group killed on cancel, failure or stall.
pub async fn run_tool(cmd: &CommandLine, run: &Run<'_>) -> Result<Vec<String>> {
    cmd.check()?;
    let mut c = cmd.command();
    c.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().map_err(|e| spawn_err(&cmd.program, e))?;
    let name = short(&cmd.program);
    let err = lines_task(child.stderr.take().expect("piped"), name.clone(), run);
    let out = lines_task(child.stdout.take().expect("piped"), name.clone(), run);
    let r = tokio::select! {
        s = child.wait() => s.map_err(|e| Error::new(ErrorCode::IoError, format!("Waiting for {name} failed: {e}"))),
        e = run.watchdog(&name) => Err(e),
        _ = run.cancel.cancelled() => Err(Error::cancelled_job()),
    };
    if r.is_err() {
        kill_group(&mut child).await;
    }
    let mut said = collect(err).await;
    said.extend(collect(out).await);
    let status = r?;
    if !status.success() {
        return Err(tool_failed(&cmd.program, status, &said));
    }
    Ok(said)
}

/// Holds back the end of a chain's input: the tools get every block but the
/// last, `ready` says so, and the last is given only when `go` says true
/// (false, or dropped: the tools are stopped, so a single transaction they
/// hold open rolls back).
pub struct Hold {
    pub ready: tokio::sync::oneshot::Sender<()>,
    pub go: tokio::sync::oneshot::Receiver<bool>,
    /// The input's manifest entry: hashed as it is fed, and the end given
    /// only if it matches, so a corrupt backup rolls back instead of committing.
    pub expect: Option<super::digest::FileDigest>,
}

impl Hold {
    /// A hold, the receiver of its `ready` and the sender of its `go`.
    pub fn new() -> (Hold, tokio::sync::oneshot::Receiver<()>, tokio::sync::oneshot::Sender<bool>) {
        let (ready, ready_rx) = tokio::sync::oneshot::channel();
        let (go_tx, go) = tokio::sync::oneshot::channel();
        (Hold { ready, go, expect: None }, ready_rx, go_tx)
    }
}

/// Rewrites the fed bytes on their way in (`finish` gets the end of input).
pub trait FeedFilter: Send {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>);
    fn finish(&mut self, out: &mut Vec<u8>);
}

/// Runs `chain` (each command's stdout into the next one's stdin, through
/// the kernel, not through Quiesce), the first fed with its `stdin_file`,
/// which Quiesce reads itself so that `counters.raw` tells how far the
/// restore is (no input: the first command opens its own files). The last
/// command's stdout is discarded.
///
/// Every stage is watched at once: when one fails, the others are stopped,
/// and the error is that of the last stage (in pipeline order) that failed
/// by itself — downstream tools (psql, pg_restore, mariadb) say what went
/// wrong, upstream ones only see a broken pipe.
#[allow(
    clippy::too_many_lines,
    reason = "the stages are supervised by one select loop whose branches share their state"
)]
pub async fn run_chain(
    chain: &[CommandLine],
    mut filter: Option<&mut dyn FeedFilter>,
    mut hold: Option<Hold>,
    run: &Run<'_>,
) -> Result<Vec<String>> {
    for c in chain {
        c.check()?;
    }
    let input = chain.first().and_then(|c| c.stdin_file.clone());
    let mut children: Vec<Child> = Vec::new();
    let mut said = Vec::new();
    let mut prev_out: Option<tokio::process::ChildStdout> = None;
    for (i, c) in chain.iter().enumerate() {
        let mut cmd = c.command();
        if i == 0 {
            cmd.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
        } else {
            let out = prev_out.take().expect("piped");
            let s: Stdio = out.try_into().map_err(|e| Error::new(ErrorCode::IoError, format!("pipe: {e}")))?;
            cmd.stdin(s);
        }
        cmd.stdout(if i + 1 < chain.len() { Stdio::piped() } else { Stdio::null() }).stderr(Stdio::piped());
        let mut child = match cmd.spawn() {
            Ok(ch) => ch,
            Err(e) => {
                for ch in children.iter_mut() {
                    kill_group(ch).await;
                }
                return Err(spawn_err(&c.program, e));
            }
        };
        said.push(lines_task(child.stderr.take().expect("piped"), short(&c.program), run));
        prev_out = child.stdout.take();
        children.push(child);
    }
    let stdin = children.first_mut().and_then(|c| c.stdin.take());
    let counters = run.counters.clone();
    let feed = async {
        let (Some(path), Some(mut stdin)) = (input.as_deref(), stdin) else { return Ok::<_, Error>(()) };
        {
            use std::os::fd::AsRawFd;
            widen_pipe(stdin.as_raw_fd());
        }
        let mut f = tokio::fs::File::open(path).await.map_err(|e| Error::io("read", path, e))?;
        let expect = hold.as_mut().and_then(|h| h.expect.take());
        let mut hashed = expect.as_ref().map(|_| (Sha256::new(), 0u64));
        let mut buf = vec![0u8; BUF];
        // One block read ahead: what is written is always the block before
        // the one just read, so the input's last block can be held back.
        let (mut pending, mut next) = (Vec::with_capacity(BUF), Vec::with_capacity(BUF));
        let mut broken = false;
        loop {
            let n = f.read(&mut buf).await.map_err(|e| Error::io("read", path, e))?;
            next.clear();
            match filter.as_mut() {
                Some(flt) if n == 0 => flt.finish(&mut next),
                Some(flt) => flt.feed(&buf[..n], &mut next),
                None => next.extend_from_slice(&buf[..n]),
            }
            if n == 0 {
                pending.extend_from_slice(&next);
                break;
            }
            counters.raw.fetch_add(n as u64, Ordering::Relaxed);
            if let Some((h, len)) = hashed.as_mut() {
                h.update(&buf[..n]);
                *len += n as u64;
            }
            if !pending.is_empty() && stdin.write_all(&pending).await.is_err() {
                broken = true; // the reader died; its exit status says why
                break;
            }
            std::mem::swap(&mut pending, &mut next);
        }
        if let (Some(e), Some((h, len)), false) = (&expect, hashed, broken) {
            if let Some(p) = e.problem(len, &format!("{:x}", h.finalize())) {
                return Err(Error::new(
                    ErrorCode::Corrupt,
                    format!("The backup does not match its manifest, so its end was never given to the tools and their transaction rolled back:\n  {p}"),
                ));
            }
        }
        if let (Some(h), false) = (hold, broken) {
            // The tools have everything but the end: a single transaction
            // stays open until the go-ahead, and rolls back without it.
            let _ = h.ready.send(());
            if !h.go.await.unwrap_or(false) {
                return Err(Error::new(
                    ErrorCode::Cancelled,
                    "Rolled back before its commit: another part of the job failed.",
                ));
            }
        }
        if !broken && !pending.is_empty() {
            let _ = stdin.write_all(&pending).await;
        }
        drop(stdin);
        Ok(())
    };
    let mut exited: Vec<Option<ExitStatus>> = vec![None; children.len()];
    let supervise = async {
        tokio::pin!(feed);
        let mut fed = false;
        loop {
            tokio::select! {
                r = &mut feed, if !fed => { r?; fed = true; }
                _ = tokio::time::sleep(Duration::from_millis(25)) => {}
            }
            for (i, ch) in children.iter_mut().enumerate() {
                if exited[i].is_none() {
                    exited[i] = ch
                        .try_wait()
                        .map_err(|e| Error::new(ErrorCode::IoError, format!("Waiting for a tool failed: {e}")))?;
                }
            }
            if exited.iter().any(|s| s.is_some_and(|s| !s.success())) {
                return Ok::<_, Error>(false);
            }
            if fed && exited.iter().all(|s| s.is_some()) {
                return Ok(true);
            }
        }
    };
    let r = tokio::select! {
        r = supervise => r,
        e = run.watchdog("The restore") => Err(e),
        _ = run.cancel.cancelled() => Err(Error::cancelled_job()),
    };
    if !matches!(r, Ok(true)) {
        for ch in children.iter_mut() {
            kill_group(ch).await;
        }
    }
    let mut per_tool = Vec::new();
    for t in said {
        per_tool.push(collect(t).await);
    }
    r?;
    for (i, s) in exited.iter().enumerate().rev() {
        if let Some(s) = s.filter(|s| !s.success()) {
            return Err(tool_failed(&chain[i].program, s, &per_tool[i]));
        }
    }
    Ok(per_tool.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> CommandLine {
        CommandLine::new("sh").flag("-c").operand(script)
    }

    fn run(cancel: &CancellationToken) -> Run<'_> {
        Run {
            counters: Arc::new(Counters::default()),
            log: Arc::new(|_| {}),
            cancel,
            stall: Stall { limit: Duration::from_secs(30), progress: None, server: None, advice: String::new() },
        }
    }

    #[tokio::test]
    async fn the_relay_passes_every_byte_in_small_writes_and_hashes_the_output() {
        // 4 KB writes with pauses, as dump tools write: the paced relay must
        // still pass every byte, in order.
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("src");
        let mut cmd = sh("i=0; while [ $i -lt 300 ]; do head -c 4096 /dev/urandom; i=$((i+1)); done | tee \"$0.in\"")
            .operand(input.display().to_string());
        cmd.pipe_to = Some(Box::new(sh("cat")));
        let out = dir.path().join("out");
        let mut seen = 0usize;
        let mut tap = |b: &[u8]| seen += b.len();
        let cancel = CancellationToken::new();
        let r = run_to_file(&cmd, &out, &run(&cancel), Some(&mut tap)).await.unwrap();
        let sent = std::fs::read(dir.path().join("src.in")).unwrap();
        let got = std::fs::read(&out).unwrap();
        assert_eq!(sent.len(), 300 * 4096);
        assert!(sent == got, "the output differs from what the tool wrote");
        assert_eq!(seen, sent.len());
        assert_eq!(r.raw_bytes as usize, sent.len());
        assert_eq!(r.sha256, format!("{:x}", Sha256::digest(&got)));
    }

    #[tokio::test]
    async fn a_compressor_that_stops_reading_fails_the_job_instead_of_hanging() {
        // The tool writes far more than the pipes hold; the "compressor" exits at once.
        let mut cmd = sh("head -c 200000000 /dev/zero");
        cmd.pipe_to = Some(Box::new(sh("exit 3")));
        let dir = tempfile::tempdir().unwrap();
        let (out, cancel) = (dir.path().join("out"), CancellationToken::new());
        let r = run(&cancel);
        let job = run_to_file(&cmd, &out, &r, None);
        let e = tokio::time::timeout(Duration::from_secs(30), job).await.expect("the relay hung").unwrap_err();
        assert_eq!(e.code, ErrorCode::IoError, "{}", e.message);
        assert!(e.message.contains("sh stopped reading"), "{}", e.message);
    }

    #[tokio::test]
    async fn a_stage_that_stalls_ends_the_job_with_timeout_and_no_tool_left() {
        let cancel = CancellationToken::new();
        let mut r = run(&cancel);
        r.stall.limit = Duration::from_millis(600);
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let cmd = sh("echo $$ > \"$0\"; echo about to hang >&2; exec sleep 600").operand(pidfile.display().to_string());
        let t = Instant::now();
        let e = run_tool(&cmd, &r).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Timeout, "{}", e.message);
        assert!(e.message.contains("about to hang"), "the last line is quoted: {}", e.message);
        assert!(t.elapsed() < Duration::from_secs(10));
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        assert!(unsafe { libc::kill(pid, 0) } != 0, "the stalled tool was killed");
    }

    #[tokio::test]
    async fn a_tool_that_says_the_disk_is_full_and_hangs_ends_at_once_with_the_cause() {
        // As mydumper now and then does: its write fails, a thread says so,
        // another says goodbye, and the process never exits.
        let cancel = CancellationToken::new();
        let r = run(&cancel);
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let cmd = sh("echo $$ > \"$0\"; echo 'Error writing x.sql: No space left on device' >&2; sleep 0.5; echo 'Thread 2 shutting down' >&2; exec sleep 600")
            .operand(pidfile.display().to_string());
        let t = Instant::now();
        let e = run_tool(&cmd, &r).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::IoError, "{}", e.message);
        assert!(e.message.contains("the disk is full") && e.message.contains("No space left"), "{}", e.message);
        assert!(t.elapsed() < Duration::from_secs(5), "ended after {:?}, not the 30 s stall limit", t.elapsed());
        let pid: i32 = std::fs::read_to_string(&pidfile).unwrap().trim().parse().unwrap();
        assert!(unsafe { libc::kill(pid, 0) } != 0, "the hung tool was killed");
    }

    #[tokio::test]
    async fn a_busy_server_is_not_a_stall() {
        let cancel = CancellationToken::new();
        let mut r = run(&cancel);
        r.stall.limit = Duration::from_millis(300);
        r.stall.server = Some(Arc::new(|| Box::pin(async { true })));
        // Silent for 1.5 s while the "server" works: it must finish, not be stopped.
        run_tool(&sh("sleep 1.5"), &r).await.unwrap();
    }

    #[tokio::test]
    async fn a_failing_stage_stops_the_others_and_its_own_error_wins() {
        // The first stage would run for ever; the last one fails at once.
        let chain =
            vec![sh("while :; do echo x; done"), sh("cat >/dev/null"), sh("echo 'ERROR 1050: boom' >&2; exit 4")];
        let cancel = CancellationToken::new();
        let t = Instant::now();
        let e = tokio::time::timeout(Duration::from_secs(20), run_chain(&chain, None, None, &run(&cancel)))
            .await
            .expect("the chain hung")
            .unwrap_err();
        assert!(e.message.contains("exited with status 4") && e.message.contains("boom"), "{}", e.message);
        assert!(t.elapsed() < Duration::from_secs(10));
    }

    #[tokio::test]
    async fn a_held_end_reaches_the_tool_only_on_the_go_ahead() {
        let dir = tempfile::tempdir().unwrap();
        let (input, got) = (dir.path().join("in"), dir.path().join("got"));
        let data: Vec<u8> = (0..(3 * BUF + 100)).map(|i| (i % 251) as u8).collect();
        std::fs::write(&input, &data).unwrap();
        let chain = vec![sh("cat > \"$0\"").operand(got.display().to_string()).stdin_file(&input)];
        let cancel = CancellationToken::new();
        let r = run(&cancel);
        let (hold, ready, go) = Hold::new();
        let job = run_chain(&chain, None, Some(hold), &r);
        let check = async {
            ready.await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let before = std::fs::metadata(&got).map(|m| m.len()).unwrap_or(0) as usize;
            go.send(true).unwrap();
            before
        };
        let (done, before) = tokio::join!(job, check);
        done.unwrap();
        assert!(before < data.len() && before >= data.len() - BUF, "held {before} of {}", data.len());
        assert_eq!(std::fs::read(&got).unwrap(), data, "everything arrives after the go-ahead");
        // Without it, the tool is stopped and the job says so.
        let (hold, ready, go) = Hold::new();
        let job = run_chain(&chain, None, Some(hold), &r);
        let refuse = async {
            ready.await.unwrap();
            drop(go);
        };
        let (e, _) = tokio::join!(job, refuse);
        assert_eq!(e.unwrap_err().code, ErrorCode::Cancelled);
    }

    #[tokio::test]
    async fn a_held_input_that_does_not_hash_as_its_manifest_says_never_reaches_its_end() {
        use sha2::Digest;
        let dir = tempfile::tempdir().unwrap();
        let (input, got) = (dir.path().join("in"), dir.path().join("got"));
        let data: Vec<u8> = (0..(3 * BUF + 100)).map(|i| (i % 251) as u8).collect();
        let entry = super::super::digest::FileDigest {
            name: "postgresql.dump.zst".into(),
            bytes: data.len() as u64,
            sha256: format!("{:x}", Sha256::digest(&data)),
        };
        let chain = vec![sh("cat > \"$0\"").operand(got.display().to_string()).stdin_file(&input)];
        let cancel = CancellationToken::new();
        let r = run(&cancel);
        // Intact: the go-ahead comes after the hash matched, and all arrives.
        std::fs::write(&input, &data).unwrap();
        let (mut hold, ready, go) = Hold::new();
        hold.expect = Some(entry.clone());
        let (done, _) = tokio::join!(run_chain(&chain, None, Some(hold), &r), async {
            ready.await.unwrap();
            go.send(true).unwrap();
        });
        done.unwrap();
        assert_eq!(std::fs::read(&got).unwrap(), data);
        // The last byte flipped: the tool never sees the last block, no gate opens.
        let mut bad = data.clone();
        *bad.last_mut().unwrap() ^= 0xff;
        std::fs::write(&input, &bad).unwrap();
        let (mut hold, ready, _go) = Hold::new();
        hold.expect = Some(entry);
        let e = run_chain(&chain, None, Some(hold), &r).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Corrupt, "{}", e.message);
        assert!(e.message.contains("postgresql.dump.zst: SHA-256 differs"), "{}", e.message);
        assert!(ready.await.is_err(), "the gate must not report ready");
        assert!(std::fs::read(&got).unwrap().len() < data.len(), "the end was given to the tool");
    }

    #[test]
    fn quoted_statements_are_withheld_also_over_several_lines() {
        let mut w = Withhold::default();
        let l = "ERROR 1064 (42000) at line 12: You have an error in your SQL syntax; check the manual near 'INSERT INTO `accounts` VALUES (1,\\'alice\\',100)' at line 1";
        let one = w.line(l).unwrap();
        assert!(!one.contains("alice") && one.contains("at line 12") && one.contains("at line 1"), "{one}");
        let d = w.line("ERROR 1062 (23000) at line 40: Duplicate entry 'alice@example.com' for key 'PRIMARY'").unwrap();
        assert!(!d.contains("alice") && d.contains("for key 'PRIMARY'") && d.contains("at line 40"), "{d}");
        // mariadb-dump writes a row per line: the quote goes on.
        let first = w.line("ERROR 1064 (42000) at line 58: … near 'VALUESS").unwrap();
        assert!(first.contains("at line 58") && !first.contains("VALUESS"), "{first}");
        assert_eq!(w.line("('alice-error-row',5,'t',3),"), None);
        assert_eq!(w.line("('bob',6,'t',3)' at line 1"), Some("  (the statement ends at line 1)".into()));
        assert_eq!(
            w.line("pg_restore: error: could not read input").unwrap(),
            "pg_restore: error: could not read input"
        );
        // A client's echo of the statement (mariadb without --skip-print-query-on-error).
        assert!(w.line("--------------").unwrap().contains("withheld"));
        assert_eq!(w.line("INSERT INTO `t` VALUES ('alice-error-row')"), None);
        assert_eq!(w.line("--------------"), None);
        assert_eq!(w.line("ERROR 1 (x) at line 2: boom").unwrap(), "ERROR 1 (x) at line 2: boom");
    }
}
