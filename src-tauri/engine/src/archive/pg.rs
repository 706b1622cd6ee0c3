//! PostgreSQL's side of the archive: what the server must allow (checked
//! before anything starts), the physical replication slot that keeps WAL
//! until the archive has it, and `pg_receivewal` streaming into the folder.

use crate::error::{Error, ErrorCode, Result};
use crate::live::LiveConn;
use crate::plan::commands::{self, Runtime};
use crate::profile::Profile;
use crate::sensitive::Sensitive;
use crate::tools::CommandLine;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A slot as the server reports it (`pg_replication_slots`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SlotInfo {
    pub name: String,
    pub active: bool,
    /// `reserved`, `extended`, `unreserved` or `lost` (PostgreSQL 13+).
    pub wal_status: Option<String>,
    pub restart_lsn: Option<String>,
    /// Bytes of WAL the server can still write before the slot is lost
    /// (`safe_wal_size`; none while `max_slot_wal_keep_size` is unlimited).
    #[ts(type = "number | null")]
    pub safe_wal_size: Option<i64>,
    /// Bytes of WAL the slot holds on the server now.
    #[ts(type = "number | null")]
    pub retained_bytes: Option<i64>,
}

/// The slot's name for a deployment's storage: lower-case letters, digits
/// and `_` only, at most 63 bytes (PostgreSQL's rule), unique by a hash of
/// the deployment's id and the storage, readable by its names.
pub fn slot_name(deployment_id: &str, deployment: &str, storage: &str) -> String {
    use sha2::{Digest, Sha256};
    let clean = |s: &str, n: usize| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '_' }).take(n).collect()
    };
    let h = format!("{:x}", Sha256::digest(format!("{deployment_id}\0{storage}").as_bytes()));
    format!("quiesce_{}_{}_{}", clean(deployment, 20), clean(storage, 20), &h[..8])
}

/// Everything the server must allow, each missing one named with the exact
/// setting or grant and what it costs; nothing is created before they pass.
pub async fn prerequisites(c: &mut LiveConn, slot: &str) -> Result<()> {
    let rows = c
        .rows(&format!(
            "SELECT current_setting('wal_level'), current_setting('max_wal_senders'), \
             current_setting('max_replication_slots'), \
             (SELECT count(*) FROM pg_replication_slots WHERE slot_name <> {slot})::text, \
             (SELECT count(*) FROM pg_stat_replication)::text, \
             (SELECT (rolreplication OR rolsuper)::text FROM pg_roles WHERE rolname = current_user), \
             current_user::text",
            slot = c.lit(slot)
        ))
        .await?;
    let row = rows.into_iter().next().unwrap_or_default();
    let get = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    let num = |i: usize| get(i).trim().parse::<i64>().unwrap_or(0);
    let mut missing = Vec::new();
    if get(0) == "minimal" {
        missing.push("wal_level is minimal: set wal_level = replica in postgresql.conf and restart the server (the WAL then carries enough to rebuild any state; it grows by roughly the size of the pages first touched after each checkpoint).".to_string());
    }
    if num(1) <= num(4) {
        missing.push(format!("max_wal_senders is {} and {} in use: raise it by one per archiver (and two more for a base backup with -X stream) and restart the server (each costs one idle backend).", num(1), num(4)));
    }
    if num(2) <= num(3) {
        missing.push(format!("max_replication_slots is {} and {} in use: raise it by one and restart the server (a slot keeps WAL on the server until the archive has it).", num(2), num(3)));
    }
    if get(5) != "true" {
        let user = get(6);
        missing.push(format!(
            "{user} may not stream WAL: ALTER ROLE {} REPLICATION; (and a `replication` line for it in pg_hba.conf).",
            crate::live::quote_ident(crate::live::Dialect::Postgres, &user)
        ));
    }
    super::refuse(missing)
}

/// The slot, when it exists.
pub async fn slot(c: &mut LiveConn, name: &str) -> Result<Option<SlotInfo>> {
    let rows = c
        .rows(&format!(
            "SELECT slot_name::text, active::text, wal_status, restart_lsn::text, safe_wal_size::text, \
             (pg_current_wal_insert_lsn() - restart_lsn)::bigint::text \
             FROM pg_replication_slots WHERE slot_name = {}",
            c.lit(name)
        ))
        .await?;
    Ok(rows.into_iter().next().map(|r| {
        let get = |i: usize| r.get(i).cloned().flatten();
        SlotInfo {
            name: get(0).unwrap_or_default(),
            active: get(1).as_deref() == Some("true"),
            wal_status: get(2),
            restart_lsn: get(3),
            safe_wal_size: get(4).and_then(|s| s.parse().ok()),
            retained_bytes: get(5).and_then(|s| s.parse().ok()),
        }
    }))
}

/// Creates the slot (reserving WAL from now on) unless it exists.
pub async fn create_slot(c: &mut LiveConn, name: &str) -> Result<bool> {
    if slot(c, name).await?.is_some() {
        return Ok(false);
    }
    c.rows(&format!("SELECT pg_create_physical_replication_slot({}, true)", c.lit(name))).await?;
    Ok(true)
}

/// Drops the slot; refused while a receiver streams from it.
pub async fn drop_slot(c: &mut LiveConn, name: &str) -> Result<Option<SlotInfo>> {
    let Some(s) = slot(c, name).await? else { return Ok(None) };
    if s.active {
        return Err(Error::new(
            ErrorCode::Busy,
            format!("The slot {name} is in use by a running archiver: stop it first (quiesce archive stop)."),
        ));
    }
    c.rows(&format!("SELECT pg_drop_replication_slot({})", c.lit(name))).await?;
    Ok(Some(s))
}

/// Opens a connection for the checks and the slot.
pub async fn connect(p: &Profile, password: Option<&Sensitive<String>>) -> Result<LiveConn> {
    LiveConn::open(p, password, false).await
}

/// `pg_receivewal` into `dir` from `slot`, exiting (not looping) when the
/// connection ends so that the archiver restarts it and says why.
pub fn receivewal(p: &Profile, tool: &str, dir: &str, slot: &str, pass_file: &str) -> CommandLine {
    let c = CommandLine::new(tool).opt("--directory", dir).opt("--slot", slot).flag("--no-loop").flag("--verbose");
    commands::pg_connect(c, p, &Runtime { pass_file, snapshot: "", output: "", session: "quiesce-archive" })
}

#[cfg(test)]
mod tests {
    #[test]
    fn slot_names_follow_postgresql_s_rule_and_differ_per_storage() {
        let a = super::slot_name("d-1", "Payments Prod", "ledger");
        assert!(a.starts_with("quiesce_payments_prod_ledger_"), "{a}");
        assert!(a.len() <= 63 && a.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
        assert_ne!(a, super::slot_name("d-2", "Payments Prod", "ledger"), "another deployment of the same name");
        let long = super::slot_name("x", &"é".repeat(80), &"s".repeat(80));
        assert!(long.len() <= 63, "{long}");
    }
}
