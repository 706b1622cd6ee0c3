//! The commands a user configures to run inside a pause, per storage (a
//! snapshot of a database Quiesce cannot pause itself): configuration only;
//! `pause::hooks` runs them.

use serde::{Deserialize, Serialize};
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
