//! Continuous archiving of each storage's log (PostgreSQL's WAL,
//! MySQL/MariaDB's binary log), so that a pause window's recorded position
//! can later be reached by replay (issue 31).
//!
//! `archive run` is one long-running process per deployment and state
//! directory (a lock in `<data>/locks` makes a second one refuse): it checks
//! what each server must allow before anything starts, creates a physical
//! replication slot per database (so no WAL is lost while it is down), and
//! supervises one `pg_receivewal` per database into
//! `<root>/<deployment>/archive/<storage>/`, restarting it with backoff. Every
//! [`HEARTBEAT_EVERY`] it indexes the completed segments (size and SHA-256,
//! `index.json`) and writes `archiver.json`: its pid and each receiver's
//! state. `archive start` runs it detached; `stop` signals it; `status`
//! reads the heartbeat, the folders, the index (gaps) and each slot.
//!
//! MySQL/MariaDB storages are archived the same way, without a slot: their
//! binary logs are read as a replica would (`my.rs`).

pub mod base;
pub mod index;
pub mod my;
pub mod pg;
mod run;

pub use run::run;

use crate::deployment::{Deployment, Deployments};
use crate::error::{Error, ErrorCode, Result};
use crate::profile::{DbKind, Profile};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use ts_rs::TS;

pub const HEARTBEAT: &str = "archiver.json";
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// A heartbeat older than this, with the lock still held, is a frozen archiver.
pub const STALE_AFTER: Duration = Duration::from_secs(15);

/// What the archiver writes every [`HEARTBEAT_EVERY`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Heartbeat {
    pub schema_version: u32,
    pub deployment: String,
    pub pid: u32,
    pub host: String,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub receivers: Vec<Receiver>,
    /// Why it ended (stopped, or the error), once it did.
    pub ended: Option<String>,
}

/// One database's receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Receiver {
    /// The deployment's storages on this database.
    pub storages: Vec<String>,
    pub profile: String,
    /// The folder, under the deployment's archive folder.
    pub dir: String,
    pub slot: String,
    /// `streaming`, `restarting` (after it ended; `last_error` says why) or `stopped`.
    pub state: String,
    pub restarts: u32,
    pub last_error: Option<String>,
    #[ts(type = "string | null")]
    pub last_error_at: Option<DateTime<Utc>>,
    /// The newest completed segment, and the one being written.
    pub last_segment: Option<String>,
    pub partial: Option<String>,
    #[ts(type = "number")]
    pub segments: u64,
}

/// What `archive status` reports.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ArchiveStatus {
    pub deployment: String,
    /// An archiver holds the deployment's lock now.
    pub running: bool,
    /// Its heartbeat is older than [`STALE_AFTER`] although it holds the lock.
    pub frozen: bool,
    pub heartbeat: Option<Heartbeat>,
    /// What the overview would flag (died, frozen, a receiver failing).
    pub trouble: Option<String>,
    pub databases: Vec<DatabaseArchive>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct DatabaseArchive {
    pub storages: Vec<String>,
    pub profile: String,
    pub dir: String,
    #[ts(type = "number")]
    pub segments: u64,
    #[ts(type = "number")]
    pub bytes: u64,
    pub first: Option<String>,
    pub last: Option<String>,
    pub partial: Option<String>,
    pub gaps: Vec<index::Gap>,
    pub slot: Option<pg::SlotInfo>,
    /// Why the slot could not be read, when it could not.
    pub slot_error: Option<String>,
    /// Its base backups, oldest first.
    pub bases: Vec<base::BaseBackup>,
}

/// A database of the deployment with a log (PostgreSQL, MySQL/MariaDB) and
/// the storages on it.
pub(crate) struct Db {
    pub storages: Vec<String>,
    pub profile: Profile,
    pub dir: PathBuf,
    /// PostgreSQL: its replication slot.
    pub slot: String,
    /// MySQL/MariaDB: the replica id its receiver reads as.
    pub server_id: u32,
}

impl Db {
    pub fn is_pg(&self) -> bool {
        self.profile.kind == DbKind::Postgresql
    }
}

/// The refusal of a server whose prerequisites are missing, each named with
/// its fix; Ok when none is.
pub(crate) fn refuse(missing: Vec<String>) -> Result<()> {
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::InvalidInput,
        format!("The server cannot be archived yet:\n- {}\nNothing was started.", missing.join("\n- ")),
    ))
}

/// `<root>/<deployment>/archive`.
pub fn archive_dir(ds: &Deployments, d: &Deployment) -> PathBuf {
    crate::catalog::default_root(ds.home()).join(&d.name).join("archive")
}

/// A storage name as a folder name: only names that cannot leave the folder.
fn folder_name(storage: &str) -> Result<&str> {
    let ok = !storage.is_empty()
        && !storage.starts_with('.')
        && storage.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(storage)
    } else {
        Err(Error::invalid(format!(
            "The storage name {storage:?} cannot name an archive folder (letters, digits, '-', '_' and '.' only, not first): rename the storage."
        )))
    }
}

/// The deployment's PostgreSQL databases (one per profile), each with its
/// folder and slot; refused when there is none to archive.
pub(crate) fn databases(ds: &Deployments, d: &Deployment) -> Result<Vec<Db>> {
    let base = archive_dir(ds, d);
    let mut dbs: Vec<Db> = Vec::new();
    let mut others = Vec::new();
    for (s, p) in ds.storage_profiles(d)? {
        if !matches!(p.kind, DbKind::Postgresql | DbKind::Mysql) {
            others.push(format!("{} ({})", s.name, p.kind.label()));
            continue;
        }
        match dbs.iter_mut().find(|db| db.profile.id == p.id) {
            Some(db) => db.storages.push(s.name),
            None => dbs.push(Db {
                dir: base.join(folder_name(&s.name)?),
                slot: pg::slot_name(&d.id, &d.name, &s.name),
                server_id: my::server_id(&d.id, &s.name),
                storages: vec![s.name],
                profile: p,
            }),
        }
    }
    if dbs.is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidInput,
            format!(
                "{} has no PostgreSQL or MySQL/MariaDB storage to archive{}: the others have no log Quiesce can keep.",
                d.name,
                if others.is_empty() { String::new() } else { format!(" (it has {})", others.join(", ")) }
            ),
        ));
    }
    Ok(dbs)
}

fn lock_name(d: &Deployment) -> String {
    format!("archive-{}", d.id)
}

/// The archiver's lock, taken (by `run`) or refused, naming the holder.
pub(crate) fn take_lock(ds: &Deployments, d: &Deployment) -> Result<std::fs::File> {
    let beat = read_heartbeat(&archive_dir(ds, d));
    crate::paths::try_lock(ds.home(), &lock_name(d), || {
        format!(
            "An archiver already runs for {}{}: only one may. `quiesce archive status {}` shows it; `quiesce archive stop {}` ends it.",
            d.name,
            beat.map(|b| format!(" (pid {} on {}, since {})", b.pid, b.host, b.started_at.format("%Y-%m-%d %H:%M:%S UTC")))
                .unwrap_or_default(),
            d.name,
            d.name
        )
    })
}

/// Whether an archiver holds the lock (taken and dropped at once when free).
fn running(ds: &Deployments, d: &Deployment) -> Result<bool> {
    match crate::paths::try_lock(ds.home(), &lock_name(d), String::new) {
        Ok(_) => Ok(false),
        Err(e) if e.code == ErrorCode::Busy => Ok(true),
        Err(e) => Err(e),
    }
}

pub fn read_heartbeat(dir: &Path) -> Option<Heartbeat> {
    std::fs::read(dir.join(HEARTBEAT)).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

/// The archive of every PostgreSQL database of the deployment: the
/// archiver's heartbeat, what each folder holds, its gaps (with `rehash`,
/// every segment's SHA-256 checked again) and its slot on the server.
pub async fn status(ds: &Deployments, deployment: &str, rehash: bool) -> Result<ArchiveStatus> {
    let d = ds.get(deployment)?;
    let dbs = databases(ds, &d)?;
    let running = running(ds, &d)?;
    let heartbeat = read_heartbeat(&archive_dir(ds, &d));
    let frozen = running
        && heartbeat.as_ref().is_none_or(|h| {
            (Utc::now() - h.updated_at).to_std().unwrap_or_default() > STALE_AFTER || h.ended.is_some()
        });
    let mut databases = Vec::new();
    for db in dbs {
        let (idx, mut gaps) = match index::Index::read(&db.dir) {
            Ok(i) if db.dir.exists() => {
                let g = i.gaps(&db.dir, rehash);
                (i, g)
            }
            Ok(i) => (i, vec![]),
            // Nothing it held can be vouched for: the whole archive is in doubt.
            Err(e) => (
                index::Index::default(),
                vec![index::Gap { from: index::INDEX.into(), to: index::INDEX.into(), reason: e.message }],
            ),
        };
        let segs: Vec<&index::Indexed> = idx.logs().collect();
        let partial = if db.is_pg() { partial_of(&db.dir) } else { index::open_binlog(&db.dir) };
        let (slot, slot_error) = match db.is_pg() {
            false => (None, None),
            true => match read_slot(ds, &db).await {
                Ok(s) => (s, None),
                Err(e) => (None, Some(e.message)),
            },
        };
        let (bases, unreadable) = base::list(&db.dir);
        for (name, why) in unreadable {
            gaps.push(index::Gap {
                from: name.clone(),
                to: name,
                reason: format!("a base backup whose base.json cannot be read: {why}"),
            });
        }
        if rehash {
            for b in &bases {
                let problems = base::verify(&db.dir.join("base").join(&b.id)).unwrap_or_else(|e| vec![e.message]);
                if !problems.is_empty() {
                    gaps.push(index::Gap {
                        from: b.id.clone(),
                        to: b.id.clone(),
                        reason: format!("base backup {} is damaged: {}", b.id, problems.join("; ")),
                    });
                }
            }
        }
        if db.is_pg() && slot.is_none() && slot_error.is_none() && !segs.is_empty() {
            gaps.push(index::Gap {
                from: segs.last().map(|f| f.name.clone()).unwrap_or_default(),
                to: "(now)".into(),
                reason: format!("the slot {} is not on the server (dropped, or a failover to a standby): WAL written since the archiver last streamed may be gone; the next start creates a new slot from now", db.slot),
            });
        }
        if let Some(s) = &slot {
            if s.wal_status.as_deref() == Some("lost") {
                gaps.push(index::Gap {
                    from: segs.last().map(|f| f.name.clone()).unwrap_or_default(),
                    to: "(now)".into(),
                    reason: format!("the slot {} lost WAL the archive did not have yet (max_slot_wal_keep_size): drop it (quiesce archive drop-slot) and take a new base backup", s.name),
                });
            }
        }
        databases.push(DatabaseArchive {
            storages: db.storages.clone(),
            profile: db.profile.name.clone(),
            dir: db.dir.display().to_string(),
            segments: segs.len() as u64,
            bytes: segs.iter().map(|f| f.bytes).sum(),
            first: segs.first().map(|f| f.name.clone()),
            last: segs.last().map(|f| f.name.clone()),
            partial,
            gaps,
            slot,
            slot_error,
            bases,
        });
    }
    let trouble = trouble(ds, &d);
    Ok(ArchiveStatus { deployment: d.name, running, frozen, heartbeat, trouble, databases })
}

/// What is wrong with a deployment's archiver, for the overview, from its
/// heartbeat and lock alone (no server is asked): it died without being
/// stopped, it is frozen, or a receiver keeps ending. None when it was never
/// started, was stopped, or runs well.
pub fn trouble(ds: &Deployments, d: &Deployment) -> Option<String> {
    let beat = read_heartbeat(&archive_dir(ds, d))?;
    let running = running(ds, d).ok()?;
    let start = format!("quiesce archive start {}", d.name);
    match (&beat.ended, running) {
        (Some(e), false) if e == "stopped" => None,
        (Some(e), false) => Some(format!("The WAL archiver ended: {e}. Start it again: {start}.")),
        (None, false) => Some(format!(
            "The WAL archiver stopped without being stopped (killed, or the machine restarted) at {}: the server keeps WAL in its slot meanwhile, and its disk fills. Start it again: {start}.",
            beat.updated_at.format("%Y-%m-%d %H:%M:%S UTC")
        )),
        // A receiver that ended in the last two minutes (it streams again
        // between failures, so its state alone would come and go); said
        // before staleness: a full disk also stops the heartbeat's writes.
        (_, true) if failing(&beat).is_some() => {
            let r = failing(&beat)?;
            Some(format!(
                "The WAL archive of {} keeps failing ({} restart(s)): {}",
                r.storages.join(", "),
                r.restarts,
                r.last_error.as_deref().unwrap_or("no reason given")
            ))
        }
        (_, true) if (Utc::now() - beat.updated_at).to_std().unwrap_or_default() > STALE_AFTER => Some(format!(
            "The WAL archiver (pid {}) has written no heartbeat since {}: it is frozen. Stop it (quiesce archive stop {}) and start it again.",
            beat.pid,
            beat.updated_at.format("%H:%M:%S UTC"),
            d.name
        )),
        (_, true) => None,
    }
}

fn failing(beat: &Heartbeat) -> Option<&Receiver> {
    beat.receivers.iter().find(|r| r.last_error_at.is_some_and(|t| Utc::now() - t < chrono::Duration::minutes(2)))
}

/// The segment being written (`….partial`), if any.
pub(crate) fn partial_of(dir: &Path) -> Option<String> {
    let mut p: Vec<String> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.strip_suffix(".partial").is_some_and(index::is_segment))
        .collect();
    p.sort();
    p.pop()
}

async fn read_slot(ds: &Deployments, db: &Db) -> Result<Option<pg::SlotInfo>> {
    let pw = ds.secret_of(&db.profile).await?;
    let mut c = pg::connect(&db.profile, pw.as_ref()).await?;
    let s = pg::slot(&mut c, &db.slot).await;
    c.close().await;
    s
}

/// Drops each database's slot (the archiver must be stopped), saying what
/// each held: WAL the server may now remove, which the archive may not have.
pub async fn drop_slots(ds: &Deployments, deployment: &str) -> Result<Vec<(String, Option<pg::SlotInfo>)>> {
    let d = ds.get(deployment)?;
    let dbs = databases(ds, &d)?;
    if running(ds, &d)? {
        return Err(Error::new(
            ErrorCode::Busy,
            format!("The archiver of {} is running: stop it first (quiesce archive stop {}).", d.name, d.name),
        ));
    }
    let mut out = Vec::new();
    for db in dbs.into_iter().filter(Db::is_pg) {
        let pw = ds.secret_of(&db.profile).await?;
        let mut c = pg::connect(&db.profile, pw.as_ref()).await?;
        let r = pg::drop_slot(&mut c, &db.slot).await;
        c.close().await;
        out.push((db.profile.name.clone(), r?));
    }
    Ok(out)
}

/// Stops the archiver (SIGTERM to the pid of its heartbeat, which ends its
/// receivers and writes a last heartbeat), waiting until its lock is free.
pub async fn stop(ds: &Deployments, deployment: &str) -> Result<Option<u32>> {
    let d = ds.get(deployment)?;
    if !running(ds, &d)? {
        return Ok(None);
    }
    let beat = read_heartbeat(&archive_dir(ds, &d)).ok_or_else(|| {
        Error::internal(format!(
            "An archiver holds the lock of {} but wrote no heartbeat: find it (ps) and stop it.",
            d.name
        ))
    })?;
    if beat.host != crate::paths::host_name() {
        return Err(Error::invalid(format!("The archiver of {} runs on {}: stop it there.", d.name, beat.host)));
    }
    // Only a live archiver's own pid: never one a heartbeat of an earlier run
    // names (now perhaps another process), never 0 or -1 (a whole group).
    if beat.ended.is_some() || !is_archiver(beat.pid, &[&d.name, &d.id]) {
        return Err(Error::internal(format!(
            "An archiver holds the lock of {} but its heartbeat names no running archiver (pid {}): find it (ps) and stop it.",
            d.name, beat.pid
        )));
    }
    unsafe { libc::kill(beat.pid as libc::pid_t, libc::SIGTERM) };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while running(ds, &d)? {
        if std::time::Instant::now() > deadline {
            return Err(Error::new(
                ErrorCode::Timeout,
                format!("The archiver of {} (pid {}) did not end within 20 s of SIGTERM.", d.name, beat.pid),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Some(beat.pid))
}

/// Whether `pid` is a running `… archive run D …` of this deployment
/// (`names`: its name and id, as either may have been given).
fn is_archiver(pid: u32, names: &[&str]) -> bool {
    if pid <= 1 || pid > i32::MAX as u32 {
        return false;
    }
    let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else { return false };
    let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
    args.windows(3).any(|w| w[0] == b"archive" && w[1] == b"run" && names.iter().any(|n| n.as_bytes() == w[2]))
}

/// Starts `program args…` (this binary's `archive run`) detached, in its own
/// session, its output appended to `log`; returns its pid once its first
/// heartbeat is written, or its error when it ended before (the checks).
pub async fn start_detached(
    ds: &Deployments,
    deployment: &str,
    program: &Path,
    args: &[String],
    inherit: &[String],
    log: &Path,
) -> Result<u32> {
    use std::os::unix::process::CommandExt;
    let d = ds.get(deployment)?;
    let dbs = databases(ds, &d)?;
    if running(ds, &d)? {
        return Err(take_lock(ds, &d).err().unwrap_or_else(|| Error::internal("the lock came free")));
    }
    // Refused here, with its own code, rather than in the detached one's log.
    run::check(ds, &dbs).await?;
    let dir = archive_dir(ds, &d);
    let before = read_heartbeat(&dir).map(|h| (h.pid, h.started_at));
    if let Some(parent) = log.parent() {
        crate::paths::create_private_dir(parent)?;
    }
    let out = std::fs::OpenOptions::new().create(true).append(true).open(log).map_err(|e| Error::io("open", log, e))?;
    let err = out.try_clone().map_err(|e| Error::io("open", log, e))?;
    let mut cmd = std::process::Command::new(program);
    let extra: Vec<&str> = inherit.iter().map(String::as_str).collect();
    crate::tools::env::restrict_std(&mut cmd, &extra);
    cmd.args(args).stdin(std::process::Stdio::null()).stdout(out).stderr(err).process_group(0);
    let mut child = cmd.spawn().map_err(|e| Error::io("start", program, e))?;
    let pid = child.id();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait().map_err(|e| Error::io("wait for", program, e))? {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let tail: Vec<&str> = text.lines().rev().take(12).collect::<Vec<_>>().into_iter().rev().collect();
            return Err(Error::new(
                ErrorCode::DatabaseError,
                format!("The archiver ended at once ({status}):\n{}", tail.join("\n")),
            ));
        }
        // Its own heartbeat, once its receivers run (the first one it writes
        // names it before the checks and the slots).
        // Its own heartbeat, once every receiver streams, and still does a
        // moment later (a refused replication connection ends at once).
        if let Some(h) = read_heartbeat(&dir).filter(|h| h.pid == pid && Some((h.pid, h.started_at)) != before) {
            if let Some(r) = h.receivers.iter().find(|r| r.restarts > 0) {
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
                let _ = child.wait();
                return Err(Error::new(
                    ErrorCode::DatabaseError,
                    format!(
                        "The archive of {} failed at once, so the archiver was stopped: {}",
                        r.storages.join(", "),
                        r.last_error.as_deref().unwrap_or("no reason given")
                    ),
                ));
            }
            let streaming = !h.receivers.is_empty() && h.receivers.iter().all(|r| r.state == "streaming");
            if streaming && (h.updated_at - h.started_at).to_std().unwrap_or_default() >= Duration::from_secs(3) {
                return Ok(pid);
            }
        }
        if std::time::Instant::now() > deadline {
            // Not left running behind an error.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
            let _ = child.wait();
            return Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "The archiver (pid {pid}) wrote no heartbeat within 60 s, so it was stopped; see {}",
                    log.display()
                ),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
