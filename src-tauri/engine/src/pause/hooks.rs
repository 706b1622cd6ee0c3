//! In-pause hooks: commands that must run while every node is paused, one
//! per storage that is not dumped by Quiesce but snapshotted by its own tool
//! — Cassandra's `nodetool snapshot -t <tag>` on every node (over the user's
//! own ssh), YugabyteDB Managed's `ybm backup create`. Each runs inside the
//! window with `{tag}` in its arguments replaced by the window's tag; its
//! exit status, output and tag are kept in the window. A failing hook fails
//! the window (it is still unpaused, and marked).

use crate::tools::CommandLine;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

/// A command the user configured for a storage: argv, no shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PauseHook {
    pub storage: String,
    pub argv: Vec<String>,
}

impl PauseHook {
    /// `STORAGE=program arg arg` (arguments split on spaces; `{tag}` is the window's tag).
    pub fn parse(s: &str) -> std::result::Result<PauseHook, String> {
        let (storage, cmd) = s.split_once('=').ok_or_else(|| {
            format!("\"{s}\": write STORAGE=PROGRAM ARGS…, e.g. cassandra=/usr/local/bin/snapshot-all {{tag}}")
        })?;
        let argv: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
        if storage.trim().is_empty() || argv.is_empty() {
            return Err(format!("\"{s}\": a hook names its storage and a program"));
        }
        Ok(PauseHook { storage: storage.trim().into(), argv })
    }

    pub fn render(&self) -> String {
        self.argv.join(" ")
    }
}

/// What a hook did in a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct HookRun {
    pub storage: String,
    pub command: String,
    /// The window's tag, as the hook was given it (a snapshot's name).
    pub tag: String,
    pub ok: bool,
    pub exit_status: Option<i32>,
    /// The end of what it printed (a backup id, a snapshot name, its error).
    pub output: String,
    pub duration_ms: f64,
}

fn tail(bytes: &[u8], keep: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    let s = s.trim();
    let start = s.char_indices().rev().nth(keep.saturating_sub(1)).map(|(i, _)| i).unwrap_or(0);
    s[start..].to_string()
}

/// Runs every hook (in parallel), each within `limit`; a cancel stops them.
pub async fn run_all(hooks: &[PauseHook], tag: &str, limit: Duration, cancel: &CancellationToken) -> Vec<HookRun> {
    let runs = hooks.iter().map(|h| async move {
        let argv: Vec<String> = h.argv.iter().map(|a| a.replace("{tag}", tag)).collect();
        let mut cmd = CommandLine::new(argv[0].clone());
        for a in &argv[1..] {
            // The user's own command line: passed as written.
            cmd = cmd.user_arg(a.clone());
        }
        let started = Instant::now();
        let r = tokio::select! {
            r = crate::tools::capture(std::slice::from_ref(&cmd), None, limit) => r,
            _ = cancel.cancelled() => Err(crate::Error::cancelled_job()),
        };
        let (ok, exit_status, output) = match r {
            Ok(c) => {
                let mut all = c.stdout.clone();
                all.extend_from_slice(&c.stderr);
                (c.status.success(), c.status.code(), tail(&all, 2000))
            }
            Err(e) => (false, None, e.message),
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
        let runs = run_all(&hooks, "quiesce-w1", Duration::from_secs(5), &CancellationToken::new()).await;
        assert!(runs[0].ok && runs[0].output == "snapshot quiesce-w1", "{:?}", runs[0]);
        assert!(!runs[1].ok && runs[1].exit_status == Some(1));
    }
}
