//! In-pause hooks: commands that must run while every node is paused, one
//! per storage that is not dumped by Quiesce but snapshotted by its own tool
//! — Cassandra's `nodetool snapshot -t <tag>` on every node (over the user's
//! own ssh), YugabyteDB Managed's `ybm backup create`. Each runs inside the
//! window with `{tag}` in its arguments replaced by the window's tag; its
//! exit status, output and tag are kept in the window. A failing hook fails
//! the window (it is still unpaused, and marked).

pub use crate::catalog::window::HookRun;
pub use crate::deployment::hooks::PauseHook;
use crate::tools::CommandLine;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Names of further variables the user gives their hooks (comma-separated):
/// hooks start with the base allow-list and `tools::env::HOOK` only.
pub const HOOK_ENV: &str = "QUIESCE_HOOK_ENV";

fn tail(bytes: &[u8], keep: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s = s.trim();
    let start = s.char_indices().rev().nth(keep.saturating_sub(1)).map(|(i, _)| i).unwrap_or(0);
    s[start..].to_string()
}

/// What a hook printed, with every known secret cut out.
fn redacted(mut s: String, secrets: &[crate::Sensitive<String>]) -> String {
    for x in secrets.iter().map(|x| x.expose()).filter(|x| !x.is_empty()) {
        s = s.replace(x.as_str(), "[redacted]");
    }
    s
}

/// Runs every hook (in parallel), each within `limit`; a cancel stops them.
/// What they print is kept with `secrets` cut out.
pub async fn run_all(
    hooks: &[PauseHook],
    tag: &str,
    limit: Duration,
    secrets: &[crate::Sensitive<String>],
    cancel: &CancellationToken,
) -> Vec<HookRun> {
    let runs = hooks.iter().map(|h| async move {
        let argv: Vec<String> = h.argv.iter().map(|a| a.replace("{tag}", tag)).collect();
        let started = Instant::now();
        // Secrets are cut before the tail is taken (one cut in half would leave a part).
        let (ok, exit_status, output) = match run_one(&argv, limit, cancel).await {
            Ok((status, out)) => {
                let text = redacted(String::from_utf8_lossy(&out).into_owned(), secrets);
                (status.success(), status.code(), tail(text.as_bytes(), 2000))
            }
            Err(e) => (false, None, redacted(e.message, secrets)),
        };
        HookRun {
            storage: h.storage.clone(),
            command: argv.join(" "),
            tag: tag.to_string(),
            ok,
            exit_status,
            output,
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        }
    });
    futures_util::future::join_all(runs).await
}

/// One hook in a process group of its own, with the hook allow-list of the
/// environment. What ends it is the hook's own exit, not its pipes closing
/// (a background child it left would hold them open, and the pause with
/// them): then, or at `limit`, or on cancel, its whole group is killed, and
/// what it printed until then is kept.
async fn run_one(
    argv: &[String],
    limit: Duration,
    cancel: &CancellationToken,
) -> crate::Result<(std::process::ExitStatus, Vec<u8>)> {
    use std::sync::{Arc, Mutex};
    use tokio::io::AsyncReadExt;
    let mut cmd = CommandLine::new(argv[0].clone()).inherit(crate::tools::env::HOOK);
    for a in &argv[1..] {
        // The user's own command line: passed as written.
        cmd = cmd.user_arg(a.clone());
    }
    cmd.check()?;
    let mut c = cmd.command();
    // Variables the user chose to give their hooks (a cloud CLI's key, KUBECONFIG).
    for name in std::env::var(HOOK_ENV).unwrap_or_default().split(',').map(str::trim).filter(|n| !n.is_empty()) {
        if let Some(v) = std::env::var_os(name) {
            c.env(name, v);
        }
    }
    c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = c.spawn().map_err(|e| crate::tools::spawn_err(&cmd.program, e))?;
    // Its group's id: still the group's once the hook itself has exited.
    let group = child.id().map(|p| p as i32);
    let printed = Arc::new(Mutex::new(Vec::new()));
    let readers: Vec<_> = [
        child.stdout.take().map(|r| Box::new(r) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
        child.stderr.take().map(|r| Box::new(r) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut r| {
        let printed = printed.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                let mut p = printed.lock().unwrap();
                p.extend_from_slice(&buf[..n]);
                // Only the end is kept (a chatty hook cannot grow this).
                if p.len() > 64 << 10 {
                    let cut = p.len() - (32 << 10);
                    p.drain(..cut);
                }
            }
        })
    })
    .collect();
    let status = tokio::select! {
        s = child.wait() => Some(s),
        _ = tokio::time::sleep(limit) => None,
        _ = cancel.cancelled() => None,
    };
    // The hook's group goes now, whatever it left running (a pid is not
    // handed out again while a group of that id has members).
    if let Some(g) = group {
        if unsafe { libc::killpg(g, libc::SIGTERM) } == 0 {
            for _ in 0..10 {
                tokio::time::sleep(Duration::from_millis(10)).await;
                if unsafe { libc::killpg(g, 0) } != 0 {
                    break;
                }
            }
            unsafe { libc::killpg(g, libc::SIGKILL) };
        }
    }
    let _ = child.wait().await;
    for r in readers {
        // A process that left the group (setsid) could keep a pipe open: not waited for.
        let _ = tokio::time::timeout(Duration::from_millis(300), r).await;
    }
    let out = std::mem::take(&mut *printed.lock().unwrap());
    match status {
        Some(Ok(s)) => Ok((s, out)),
        Some(Err(e)) => Err(crate::Error::new(crate::ErrorCode::IoError, format!("waiting for the hook: {e}"))),
        None if cancel.is_cancelled() => Err(crate::Error::cancelled_job()),
        None => Err(crate::Error::new(
            crate::ErrorCode::Timeout,
            format!(
                "it did not finish within its limit of {:.1} s and was stopped{}",
                limit.as_secs_f64(),
                String::from_utf8_lossy(&out)
                    .trim()
                    .lines()
                    .last()
                    .map(|l| format!(" (last said: {l})"))
                    .unwrap_or_default()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_parse_as_storage_and_argv() {
        let h = PauseHook::parse("cass=/usr/bin/nodetool snapshot -t {tag}").unwrap();
        assert_eq!(h.storage, "cass");
        assert_eq!(h.argv, ["/usr/bin/nodetool", "snapshot", "-t", "{tag}"]);
        assert!(PauseHook::parse("no-equals").is_err());
        assert!(PauseHook::parse("s=").is_err());
    }

    #[tokio::test]
    async fn a_hook_gets_the_tag_and_its_output_and_status_are_kept() {
        let hooks = vec![
            PauseHook { storage: "a".into(), argv: vec!["echo".into(), "snapshot".into(), "{tag}".into()] },
            PauseHook { storage: "b".into(), argv: vec!["false".into()] },
        ];
        let runs = run_all(&hooks, "quiesce-w1", Duration::from_secs(5), &[], &CancellationToken::new()).await;
        assert!(runs[0].ok && runs[0].output == "snapshot quiesce-w1", "{:?}", runs[0]);
        assert!(!runs[1].ok && runs[1].exit_status == Some(1));
    }
}
