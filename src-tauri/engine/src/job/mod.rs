//! The job core every long job shares — backup, restore, verification, and
//! next the pause and migration jobs: the events a job streams to the GUI and
//! the CLI, its progress and the one reporter that samples it, the checks a
//! job makes before it starts (each with the error code it stops with), the
//! registry of running jobs (cancel by id), each job's journal of what it owns
//! on disk, and the start-up recovery of what killed jobs left.

pub mod journal;
pub mod journals;
mod progress;
mod registry;
pub mod run;

use crate::error::{Error, ErrorCode};
pub use journal::{Journal, Owned};
pub use progress::{Live, Ticker};
pub use registry::{JobGuard, JobRegistry};
pub use run::{first_real_error, run, JobCtx, JobSpec, Record, Recorded};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use ts_rs::TS;

/// A job's progress, sampled every 250 ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Progress {
    pub phase: String,
    /// Bytes the tools produced (a dump) or were fed (a restore), uncompressed.
    #[ts(type = "number")]
    pub raw_bytes: u64,
    #[ts(type = "number")]
    pub written_bytes: u64,
    pub tables_done: u32,
    pub tables_total: u32,
    #[ts(type = "number")]
    pub pages_done: u64,
    #[ts(type = "number")]
    pub pages_total: u64,
    /// Rows a migration wrote, of `rows_total`.
    #[serde(default)]
    #[ts(type = "number")]
    pub rows_done: u64,
    #[serde(default)]
    #[ts(type = "number")]
    pub rows_total: u64,
    #[serde(default)]
    pub rows_per_sec: f64,
    pub elapsed_secs: f64,
    /// Bytes per second of `raw_bytes`.
    pub rate_bps: f64,
    pub eta_secs: Option<f64>,
}

/// What a running job streams to the GUI (a Channel) and the CLI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobEvent {
    Phase { phase: String, message: String },
    Progress(Progress),
    Log { line: String },
}

pub type Sink = Arc<dyn Fn(JobEvent) + Send + Sync>;

/// Says a phase on the sink.
pub fn phase(sink: &Sink, phase: &str, message: impl Into<String>) {
    sink(JobEvent::Phase { phase: phase.into(), message: message.into() });
}

/// One check a job makes before it starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub message: String,
    /// The error code a failed check stops the job with.
    pub code: Option<ErrorCode>,
}

impl Check {
    pub fn pass(name: &str, message: impl Into<String>) -> Check {
        Check { name: name.into(), ok: true, message: message.into(), code: None }
    }

    /// A failed check and the code the job stops with.
    pub fn fail(name: &str, code: ErrorCode, message: impl Into<String>) -> Check {
        Check { name: name.into(), ok: false, message: message.into(), code: Some(code) }
    }

    /// Passed or failed as `ok` says; `code` applies when it failed.
    pub fn of(name: &str, ok: bool, code: ErrorCode, message: impl Into<String>) -> Check {
        if ok {
            Check::pass(name, message)
        } else {
            Check::fail(name, code, message)
        }
    }
}

/// The error a job stops with when its checks failed: the first failed
/// check's code, and every failed check said. `what` names the job ("The
/// backup of \"prod\""); `note` follows "cannot start" (e.g. "; nothing was touched").
pub fn cannot_start(what: &str, note: &str, checks: &[Check]) -> Option<Error> {
    let failed: Vec<&Check> = checks.iter().filter(|c| !c.ok).collect();
    let first = failed.first()?;
    Some(Error::new(
        first.code.unwrap_or(ErrorCode::InvalidInput),
        format!(
            "{what} cannot start{note}:\n  {}",
            failed.iter().map(|c| format!("{}: {}", c.name, c.message)).collect::<Vec<_>>().join("\n  ")
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_failed_check_gives_the_code_and_every_failure_is_said() {
        let checks = vec![
            Check::pass("connect", "PostgreSQL 15"),
            Check::fail("free_space", ErrorCode::IoError, "too little"),
            Check::fail("tool", ErrorCode::FileNotFound, "no pg_dump"),
        ];
        let e = cannot_start("The backup of \"d\"", "", &checks).unwrap();
        assert_eq!(e.code, ErrorCode::IoError);
        assert!(e.message.starts_with("The backup of \"d\" cannot start:") && e.message.contains("tool: no pg_dump"));
        assert!(cannot_start("x", "", &checks[..1]).is_none());
    }
}
