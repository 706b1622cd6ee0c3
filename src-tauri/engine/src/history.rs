//! The operations history: every job (backup, restore, verification,
//! migration, pause, unpause, recoveries too; written by `job::run`), appended as one JSON line to `history.jsonl`
//! beside the catalog — who (the OS user), on which host, what, when, and
//! how it ended. On-call staff read it for the postmortem.

use crate::paths::Home;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;
use ts_rs::TS;

/// What kind of job an operation was. Written as the same snake_case words
/// earlier releases wrote; a word this release does not know is kept as it is.
#[derive(Debug, Clone, PartialEq, Eq, TS)]
#[ts(
    type = "\"pause\" | \"unpause\" | \"unpause_recovery\" | \"backup\" | \"restore\" | \"verify\" | \"migrate\" | string"
)]
pub enum OpKind {
    Pause,
    Unpause,
    UnpauseRecovery,
    Backup,
    Restore,
    Verify,
    Migrate,
    /// Written by another release.
    Other(String),
}

impl OpKind {
    pub fn as_str(&self) -> &str {
        match self {
            OpKind::Pause => "pause",
            OpKind::Unpause => "unpause",
            OpKind::UnpauseRecovery => "unpause_recovery",
            OpKind::Backup => "backup",
            OpKind::Restore => "restore",
            OpKind::Verify => "verify",
            OpKind::Migrate => "migrate",
            OpKind::Other(s) => s,
        }
    }
}

impl From<String> for OpKind {
    fn from(s: String) -> OpKind {
        match s.as_str() {
            "pause" => OpKind::Pause,
            "unpause" => OpKind::Unpause,
            "unpause_recovery" => OpKind::UnpauseRecovery,
            "backup" => OpKind::Backup,
            "restore" => OpKind::Restore,
            "verify" => OpKind::Verify,
            "migrate" => OpKind::Migrate,
            _ => OpKind::Other(s),
        }
    }
}

impl From<OpKind> for String {
    fn from(o: OpKind) -> String {
        o.as_str().to_string()
    }
}

impl std::fmt::Display for OpKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an operation ended (the words earlier releases wrote; others kept).
#[derive(Debug, Clone, PartialEq, Eq, TS)]
#[ts(type = "\"ok\" | \"failed\" | \"cancelled\" | \"unsafe\" | string")]
pub enum Outcome {
    Ok,
    Failed,
    Cancelled,
    /// A pause window that cannot be trusted (a node unpaused early, clocks).
    Unsafe,
    Other(String),
}

impl Outcome {
    pub fn as_str(&self) -> &str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Unsafe => "unsafe",
            Outcome::Other(s) => s,
        }
    }

    /// The outcome a job's error means.
    pub fn of_error(e: &crate::Error) -> Outcome {
        if e.code == crate::ErrorCode::Cancelled {
            Outcome::Cancelled
        } else {
            Outcome::Failed
        }
    }
}

impl From<String> for Outcome {
    fn from(s: String) -> Outcome {
        match s.as_str() {
            "ok" => Outcome::Ok,
            "failed" => Outcome::Failed,
            "cancelled" => Outcome::Cancelled,
            "unsafe" => Outcome::Unsafe,
            _ => Outcome::Other(s),
        }
    }
}

impl From<Outcome> for String {
    fn from(o: Outcome) -> String {
        o.as_str().to_string()
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Both are written as their words (what earlier releases wrote).
macro_rules! as_words {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok(<$t>::from(String::deserialize(d)?))
            }
        }
    };
}
as_words!(OpKind);
as_words!(Outcome);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Operation {
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    pub user: String,
    pub host: String,
    pub op: OpKind,
    /// The deployment (or, for a verification of a profile, the profile).
    pub deployment: String,
    /// What was done, in a sentence.
    pub what: String,
    pub outcome: Outcome,
    /// The catalog entry it made (a backup id, a window id), if any.
    pub entry: Option<String>,
}

pub fn path(home: &Home) -> PathBuf {
    home.default_backup_root().join("history.jsonl")
}

fn user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| format!("uid {}", unsafe { libc::geteuid() }))
}

/// Appends one operation (never fails the operation itself: a history that
/// cannot be written is logged).
pub fn record(
    home: &Home,
    op: OpKind,
    deployment: &str,
    what: impl Into<String>,
    outcome: Outcome,
    entry: Option<String>,
) {
    let o = Operation {
        at: Utc::now(),
        user: user(),
        host: crate::paths::host_name(),
        op,
        deployment: deployment.into(),
        what: what.into(),
        outcome,
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
        use super::{OpKind, Outcome};
        super::record(&home, OpKind::Pause, "prod", "paused 3 nodes", Outcome::Ok, Some("w1".into()));
        super::record(&home, OpKind::Unpause, "prod", "unpaused 3 nodes", Outcome::Ok, None);
        std::fs::OpenOptions::new()
            .append(true)
            .open(super::path(&home))
            .and_then(|mut f| {
                // A line of a later release: a kind and an outcome this one does not know are kept.
                std::io::Write::write_all(&mut f, b"garbage\n{\"at\":\"2027-01-01T00:00:00Z\",\"user\":\"u\",\"host\":\"h\",\"op\":\"archive\",\"deployment\":\"prod\",\"what\":\"x\",\"outcome\":\"partial\",\"entry\":null}\n")
            })
            .unwrap();
        let ops = super::read(&home);
        assert_eq!(ops.iter().map(|o| o.op.as_str()).collect::<Vec<_>>(), ["pause", "unpause", "archive"]);
        assert_eq!((&ops[1].op, &ops[1].outcome), (&OpKind::Unpause, &Outcome::Ok));
        assert_eq!(
            (&ops[2].op, &ops[2].outcome),
            (&OpKind::Other("archive".into()), &Outcome::Other("partial".into()))
        );
        assert!(!ops[0].user.is_empty() && ops[0].entry.as_deref() == Some("w1"));
    }
}
