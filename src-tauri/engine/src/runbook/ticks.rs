//! The ticks of a runbook's checklist, kept per deployment and point in
//! `<data>/runbooks/<deployment id>/<key>.json`, so that a runbook reopened
//! (after a crash, by the next person on call) shows what was done.

use crate::error::{Error, Result};
use crate::paths::Home;
use crate::points::Pick;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
pub struct Ticks {
    /// The keys of the steps ticked, in the order they were ticked.
    pub done: Vec<String>,
}

/// What a runbook's ticks are kept under: the deployment and the exact point.
pub fn key(deployment_id: &str, p: &Pick) -> String {
    let h = Sha256::digest(
        format!(
            "{deployment_id}\n{}\n{}\n{}",
            p.point_ms,
            p.window_id.as_deref().unwrap_or(""),
            p.backup_id.as_deref().unwrap_or("")
        )
        .as_bytes(),
    );
    format!("{:x}", h)[..16].to_string()
}

fn path(home: &Home, deployment_id: &str, key: &str) -> Result<PathBuf> {
    if key.len() != 16 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(format!("\"{key}\" is not a runbook key (16 hex digits).")));
    }
    crate::paths::inside(&home.data_dir.join("runbooks"), &[deployment_id, &format!("{key}.json")])
}

pub fn load(home: &Home, deployment_id: &str, key: &str) -> Result<Ticks> {
    crate::store::read_json(&path(home, deployment_id, key)?)
}

/// Ticks or unticks one step; returns every tick.
pub fn set(home: &Home, deployment_id: &str, key: &str, step: &str, done: bool) -> Result<Ticks> {
    let p = path(home, deployment_id, key)?;
    if step.is_empty() || step.len() > 512 {
        return Err(Error::invalid("A step key is 1 to 512 bytes."));
    }
    if let Some(dir) = p.parent() {
        crate::paths::create_private_dir(dir)?;
    }
    let _lock = crate::store::lock_exclusive(&home.lock_file())?;
    let mut t: Ticks = crate::store::read_json(&p)?;
    t.done.retain(|s| s != step);
    if done {
        t.done.push(step.to_string());
    }
    crate::store::write_json(&p, &t)?;
    Ok(t)
}
