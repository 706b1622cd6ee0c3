//! The operations history: every pause, unpause (recoveries too), backup,
//! restore and verification, appended as one JSON line to `history.jsonl`
//! beside the catalog — who (the OS user), on which host, what, when, and
//! how it ended. On-call staff read it for the postmortem.

use crate::paths::Home;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Operation {
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub user: String,
    pub host: String,
    /// pause, unpause, unpause_recovery, backup, restore, verify.
    pub op: String,
    pub deployment: String,
    /// What was done, in a sentence.
    pub what: String,
    /// ok, failed, cancelled, unsafe.
    pub outcome: String,
    /// The catalog entry it made (a backup id, a window id), if any.
    pub entry: Option<String>,
}

pub fn path(home: &Home) -> PathBuf {
    super::default_root(home).join("history.jsonl")
}

fn user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("uid {}", unsafe { libc::geteuid() }))
}

/// Appends one operation (never fails the operation itself: a history that
/// cannot be written is logged).
pub fn record(home: &Home, op: &str, deployment: &str, what: impl Into<String>, outcome: &str, entry: Option<String>) {
    let o = Operation {
        at: Utc::now(),
        user: user(),
        host: crate::job::journal::host_name(),
        op: op.into(),
        deployment: deployment.into(),
        what: what.into(),
        outcome: outcome.into(),
        entry,
    };
    let p = path(home);
    let write = || -> std::io::Result<()> {
        if let Some(dir) = p.parent() {
            crate::paths::create_private_dir(dir).map_err(|e| std::io::Error::other(e.message))?;
        }
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&p)?;
        let mut line = serde_json::to_vec(&o).map_err(std::io::Error::other)?;
        line.push(b'\n');
        // One write per line: concurrent writers (the app, a CLI) never interleave.
        f.write_all(&line)?;
        f.sync_data()
    };
    if let Err(e) = write() {
        tracing::warn!("could not append to the operations history {}: {e}", p.display());
    }
}

/// The history, oldest first; lines that do not parse are skipped (said in the log).
pub fn read(home: &Home) -> Vec<Operation> {
    let p = path(home);
    let Ok(text) = std::fs::read_to_string(&p) else { return vec![] };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| match serde_json::from_str(l) {
            Ok(o) => Some(o),
            Err(e) => {
                tracing::warn!("{}: a line that is not an operation ({e})", p.display());
                None
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn operations_are_appended_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let home = crate::paths::Home::at(dir.path());
        super::record(&home, "pause", "prod", "paused 3 nodes", "ok", Some("w1".into()));
        super::record(&home, "unpause", "prod", "unpaused 3 nodes", "ok", None);
        std::fs::OpenOptions::new()
            .append(true)
            .open(super::path(&home))
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"garbage\n"))
            .unwrap();
        let ops = super::read(&home);
        assert_eq!(ops.iter().map(|o| o.op.as_str()).collect::<Vec<_>>(), ["pause", "unpause"]);
        assert!(!ops[0].user.is_empty() && ops[0].entry.as_deref() == Some("w1"));
    }
}
