//! Runs a dump tool the way its `CommandLine` says, with Quiesce in the
//! middle of the pipe: the tool's stdout is counted (uncompressed bytes, for
//! progress) and its tail kept (to check the dump's trailer) on its way into
//! the compressor, and the compressor's output is hashed (SHA-256) and
//! counted on its way to the file. Buffers are fixed, so memory stays flat
//! whatever the size of the database. Every child runs in its own process
//! group: cancel kills the whole group. stderr lines go to the log as they come.

use crate::error::{Error, ErrorCode, Result};
use crate::plan::commands::CommandLine;
use sha2::{Digest, Sha256};
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

const BUF: usize = 1024 * 1024;
const TAIL: usize = 4096;

/// Live counters a progress reporter samples.
#[derive(Debug, Default)]
pub struct Counters {
    /// Bytes the dump tool produced (uncompressed).
    pub raw: AtomicU64,
    /// Bytes written to the output file.
    pub written: AtomicU64,
}

#[derive(Debug)]
pub struct PipeResult {
    pub sha256: String,
    pub bytes: u64,
    pub raw_bytes: u64,
    /// The last bytes the tool wrote (uncompressed).
    pub tail: Vec<u8>,
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
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }
}

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

fn command(c: &CommandLine) -> Command {
    let mut cmd = Command::new(&c.program);
    cmd.args(&c.args).envs(c.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    // Own process group, so cancel reaches the tool's own children too.
    cmd.process_group(0).kill_on_drop(true).stdin(Stdio::null());
    cmd
}

/// Kills a child's whole process group (SIGTERM, then SIGKILL).
pub async fn kill_group(child: &mut Child) {
    if let Some(pid) = child.id() {
        let pgid = pid as i32;
        unsafe { libc::killpg(pgid, libc::SIGTERM) };
        if tokio::time::timeout(std::time::Duration::from_secs(3), child.wait()).await.is_err() {
            unsafe { libc::killpg(pgid, libc::SIGKILL) };
            let _ = child.wait().await;
        }
    }
}

fn spawn_err(program: &str, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::new(
            ErrorCode::FileNotFound,
            format!("{program} was not found. Install it or set the profile's client tools directory."),
        )
    } else {
        Error::new(ErrorCode::IoError, format!("Could not start {program}: {e}"))
    }
}

/// Forwards stderr lines to `log` and keeps them.
fn stderr_task(
    child: &mut Child,
    name: String,
    log: Arc<dyn Fn(String) + Send + Sync>,
) -> tokio::task::JoinHandle<Vec<String>> {
    let err = child.stderr.take().expect("stderr piped");
    tokio::spawn(async move {
        let mut lines = BufReader::new(err).lines();
        let mut kept = Vec::new();
        while let Ok(Some(l)) = lines.next_line().await {
            // Tools prefix their own name; add it only where they do not.
            let l = l.trim_end();
            let l = if l.starts_with(&format!("{name}:")) { l.to_string() } else { format!("{name}: {l}") };
            log(l.clone());
            // Enough to report the tool's own message; verbose runs are long.
            if kept.len() < 2000 {
                kept.push(l);
            }
        }
        kept
    })
}

/// `cmd` (with `pipe_to` a compressor, or none) -> `out`, hashed.
/// Sees every byte a tool writes (e.g. to count rows as they pass).
pub type Tap<'a> = Option<&'a mut (dyn FnMut(&[u8]) + Send)>;

/// `tap` sees every byte the tool writes (e.g. to count rows as they pass).
pub async fn run_to_file(
    cmd: &CommandLine,
    out: &Path,
    counters: Arc<Counters>,
    log: Arc<dyn Fn(String) + Send + Sync>,
    mut tap: Tap<'_>,
    cancel: &CancellationToken,
) -> Result<PipeResult> {
    let mut producer = command(cmd);
    producer.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut p = producer.spawn().map_err(|e| spawn_err(&cmd.program, e))?;
    let mut z = match &cmd.pipe_to {
        Some(next) => {
            let mut c = command(next);
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
    let p_err = stderr_task(&mut p, short(&cmd.program), log.clone());
    let z_err = z.as_mut().map(|z| stderr_task(z, short(&cmd.pipe_to.as_ref().unwrap().program), log.clone()));

    let mut file = tokio::fs::File::create(out).await.map_err(|e| Error::io("create", out, e))?;
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
    let c2 = counters.clone();
    let out_path = out.to_path_buf();
    let next_name = cmd.pipe_to.as_ref().map(|n| short(&n.program)).unwrap_or_default();
    let next_name = next_name.as_str();

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
                        let n = p_out
                            .read(&mut buf)
                            .await
                            .map_err(|e| Error::new(ErrorCode::IoError, format!("Reading the dump failed: {e}")))?;
                        if n == 0 {
                            break;
                        }
                        observe(&buf[..n], &c2, &mut tail, &mut tap);
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
                let (a, b) = tokio::join!(feed, drain);
                a?;
                b?;
            }
            None => {
                let mut buf = vec![0u8; BUF];
                loop {
                    let n = p_out
                        .read(&mut buf)
                        .await
                        .map_err(|e| Error::new(ErrorCode::IoError, format!("Reading the dump failed: {e}")))?;
                    if n == 0 {
                        break;
                    }
                    observe(&buf[..n], &c2, &mut tail, &mut tap);
                    store(&buf[..n], &mut file, &mut hasher, &c2, &out_path).await?;
                    pacer.after_read(n).await;
                }
            }
        }
        file.flush().await.map_err(|e| Error::io("write", &out_path, e))?;
        file.sync_all().await.map_err(|e| Error::io("sync", &out_path, e))?;
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
        Ok::<_, Error>((format!("{:x}", hasher.finalize()), tail, p_status, z_status))
    };

    let r = tokio::select! {
        r = work => r,
        _ = cancel.cancelled() => {
            kill_group(&mut p).await;
            if let Some(zc) = z.as_mut() { kill_group(zc).await; }
            return Err(Error::cancelled_job());
        }
    };
    // On failure the tools may still be running (blocked on a full pipe): stop
    // them before waiting for their stderr to close.
    if r.is_err() {
        kill_group(&mut p).await;
        if let Some(zc) = z.as_mut() {
            kill_group(zc).await;
        }
    }
    let collect = |t: tokio::task::JoinHandle<Vec<String>>| async move {
        tokio::time::timeout(std::time::Duration::from_secs(5), t).await.ok().and_then(|r| r.ok()).unwrap_or_default()
    };
    let mut stderr = collect(p_err).await;
    if let Some(t) = z_err {
        stderr.extend(collect(t).await);
    }
    let (sha256, tail, p_status, z_status) = r?;
    if !p_status.success() {
        return Err(tool_failed(&cmd.program, p_status, &stderr));
    }
    if let Some(s) = z_status {
        if !s.success() {
            return Err(tool_failed(&cmd.pipe_to.as_ref().unwrap().program, s, &stderr));
        }
    }
    Ok(PipeResult {
        sha256,
        bytes: counters.written.load(Ordering::Relaxed),
        raw_bytes: counters.raw.load(Ordering::Relaxed),
        tail,
        stderr,
    })
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

fn short(program: &str) -> String {
    Path::new(program).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| program.into())
}

/// The tool's own words, classified where they say what went wrong.
pub fn tool_failed(program: &str, status: std::process::ExitStatus, stderr: &[String]) -> Error {
    let errors: Vec<&String> = stderr
        .iter()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("error")
                || l.contains("fatal")
                || l.contains("failed")
                || l.contains("denied")
                || l.contains("no space")
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
/// stderr to the log, the process group killed on cancel.
pub async fn run_without_stdout(
    cmd: &CommandLine,
    log: Arc<dyn Fn(String) + Send + Sync>,
    cancel: &CancellationToken,
) -> Result<Vec<String>> {
    let mut c = command(cmd);
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    let mut child = c.spawn().map_err(|e| spawn_err(&cmd.program, e))?;
    let err = stderr_task(&mut child, short(&cmd.program), log);
    let status = tokio::select! {
        s = child.wait() => s.map_err(|e| Error::new(ErrorCode::IoError, format!("Waiting for {} failed: {e}", cmd.program)))?,
        _ = cancel.cancelled() => {
            kill_group(&mut child).await;
            return Err(Error::cancelled_job());
        }
    };
    let stderr = err.await.unwrap_or_default();
    if !status.success() {
        return Err(tool_failed(&cmd.program, status, &stderr));
    }
    Ok(stderr)
}

/// Runs `chain` (each command's stdout into the next one's stdin, through
/// the kernel, not through Quiesce) fed with the bytes of `input`, which
/// Quiesce reads itself so that `counters.raw` tells how far the restore is.
/// With no input the first command reads nothing (it opens its own files).
/// The last command's stdout is discarded. On failure the error of the last
/// failing command wins: downstream tools (psql, pg_restore, mariadb) say
/// what went wrong, upstream ones only see a broken pipe.
/// Rewrites the fed bytes on their way in (`finish` gets the end of input).
pub trait FeedFilter: Send {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>);
    fn finish(&mut self, out: &mut Vec<u8>);
}

pub async fn run_chain(
    chain: &[CommandLine],
    input: Option<&Path>,
    mut filter: Option<&mut dyn FeedFilter>,
    counters: Arc<Counters>,
    log: Arc<dyn Fn(String) + Send + Sync>,
    cancel: &CancellationToken,
) -> Result<Vec<String>> {
    let mut children: Vec<Child> = Vec::new();
    let mut errs = Vec::new();
    let mut prev_out: Option<tokio::process::ChildStdout> = None;
    for (i, c) in chain.iter().enumerate() {
        let mut cmd = command(c);
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
        errs.push(stderr_task(&mut child, short(&c.program), log.clone()));
        prev_out = child.stdout.take();
        children.push(child);
    }
    let stdin = children.first_mut().and_then(|c| c.stdin.take());
    let feed = async {
        let (Some(path), Some(mut stdin)) = (input, stdin) else { return Ok::<_, Error>(()) };
        {
            use std::os::fd::AsRawFd;
            widen_pipe(stdin.as_raw_fd());
        }
        let mut f = tokio::fs::File::open(path).await.map_err(|e| Error::io("read", path, e))?;
        let mut buf = vec![0u8; BUF];
        let mut out = Vec::new();
        loop {
            let n = f.read(&mut buf).await.map_err(|e| Error::io("read", path, e))?;
            let data: &[u8] = match filter.as_mut() {
                Some(flt) => {
                    out.clear();
                    if n == 0 {
                        flt.finish(&mut out);
                    } else {
                        flt.feed(&buf[..n], &mut out);
                    }
                    &out
                }
                None => &buf[..n],
            };
            if !data.is_empty() && stdin.write_all(data).await.is_err() {
                break; // the reader died; its exit status says why
            }
            if n == 0 {
                break;
            }
            counters.raw.fetch_add(n as u64, Ordering::Relaxed);
        }
        drop(stdin);
        Ok(())
    };
    let work = async {
        feed.await?;
        let mut statuses = Vec::new();
        for ch in children.iter_mut() {
            statuses.push(
                ch.wait()
                    .await
                    .map_err(|e| Error::new(ErrorCode::IoError, format!("Waiting for a tool failed: {e}")))?,
            );
        }
        Ok::<_, Error>(statuses)
    };
    let r = tokio::select! {
        r = work => r,
        _ = cancel.cancelled() => {
            for ch in children.iter_mut() { kill_group(ch).await; }
            return Err(Error::cancelled_job());
        }
    };
    if r.is_err() {
        for ch in children.iter_mut() {
            kill_group(ch).await;
        }
    }
    let mut per_tool = Vec::new();
    for t in errs {
        per_tool.push(
            tokio::time::timeout(std::time::Duration::from_secs(5), t)
                .await
                .ok()
                .and_then(|r| r.ok())
                .unwrap_or_default(),
        );
    }
    let statuses = r?;
    for (i, s) in statuses.iter().enumerate().rev() {
        if !s.success() {
            return Err(tool_failed(&chain[i].program, *s, &per_tool[i]));
        }
    }
    Ok(per_tool.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> CommandLine {
        CommandLine {
            program: "sh".into(),
            args: vec!["-c".into(), script.into()],
            env: vec![],
            pipe_to: None,
            stdout_file: None,
        }
    }

    fn no_log() -> Arc<dyn Fn(String) + Send + Sync> {
        Arc::new(|_| {})
    }

    #[tokio::test]
    async fn the_relay_passes_every_byte_in_small_writes_and_hashes_the_output() {
        // 4 KB writes with pauses, as dump tools write: the paced relay must
        // still pass every byte, in order.
        let mut cmd = sh("i=0; while [ $i -lt 300 ]; do head -c 4096 /dev/urandom; i=$((i+1)); done | tee \"$0.in\"");
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("src");
        cmd.args.push(input.display().to_string());
        cmd.pipe_to = Some(Box::new(sh("cat")));
        let out = dir.path().join("out");
        let mut seen = 0usize;
        let mut tap = |b: &[u8]| seen += b.len();
        let cancel = CancellationToken::new();
        let r =
            run_to_file(&cmd, &out, Arc::new(Counters::default()), no_log(), Some(&mut tap), &cancel).await.unwrap();
        let sent = std::fs::read(dir.path().join("src.in")).unwrap();
        let got = std::fs::read(&out).unwrap();
        assert_eq!(sent.len(), 300 * 4096);
        assert!(sent == got, "the output differs from what the tool wrote");
        assert_eq!(seen, sent.len());
        assert_eq!(r.raw_bytes as usize, sent.len());
        assert_eq!(r.sha256, crate::backup::manifest::sha256_file(&out).unwrap().0);
    }

    #[tokio::test]
    async fn a_compressor_that_stops_reading_fails_the_job_instead_of_hanging() {
        // The tool writes far more than the pipes hold; the "compressor" exits at once.
        let mut cmd = sh("head -c 200000000 /dev/zero");
        cmd.pipe_to = Some(Box::new(sh("exit 3")));
        let dir = tempfile::tempdir().unwrap();
        let (out, cancel) = (dir.path().join("out"), CancellationToken::new());
        let run = run_to_file(&cmd, &out, Arc::new(Counters::default()), no_log(), None, &cancel);
        let r = tokio::time::timeout(std::time::Duration::from_secs(30), run).await.expect("the relay hung");
        let e = r.unwrap_err();
        assert_eq!(e.code, ErrorCode::IoError, "{}", e.message);
        assert!(e.message.contains("sh stopped reading"), "{}", e.message);
    }
}
