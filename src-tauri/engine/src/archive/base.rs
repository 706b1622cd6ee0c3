//! Base backups for the archive: a physical copy of each PostgreSQL database
//! (`pg_basebackup`, tar, gzip, with its WAL streamed beside it and its own
//! `backup_manifest`), because replaying WAL needs a physical start, not a
//! logical dump. Each file is hashed into Quiesce's `base.json`; the
//! folder is `<id>.partial` (owned by the job's journal) until that is
//! written, so a failed or killed one never looks complete. PostgreSQL 15's
//! `pg_verifybackup` cannot read the tar format, so the SHA-256 here is what
//! is checked until a restore extracts it (and checks its backup_manifest).

use super::{databases, Db};
use crate::catalog::manifest::{sha256_file, ManifestFile};
use crate::deployment::Deployments;
use crate::error::{Error, ErrorCode, Result};
use crate::job::{Journal, Owned};
use crate::plan::commands::{self, Runtime};
use crate::tools::{creds, pipeline, CommandLine};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

pub const BASE_MANIFEST: &str = "base.json";

/// What `base.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct BaseBackup {
    pub schema_version: u32,
    pub id: String,
    pub deployment: String,
    pub storages: Vec<String>,
    pub profile: String,
    #[ts(type = "string")]
    pub started_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub ended_at: DateTime<Utc>,
    /// Where its WAL starts and ends, and on which timeline (its
    /// `backup_manifest`'s `WAL-Ranges`): a replay to a window needs the
    /// archive from `end_lsn` to the window's position.
    pub timeline: u32,
    pub start_lsn: String,
    pub end_lsn: String,
    pub tool: String,
    pub files: Vec<ManifestFile>,
}

/// A database's complete base backups (in its archive folder), oldest
/// first, and the folders whose `base.json` cannot be read (flagged, never
/// dropped).
pub fn list(dir: &Path) -> (Vec<BaseBackup>, Vec<(String, String)>) {
    let (mut v, mut bad) = (Vec::new(), Vec::new());
    for e in std::fs::read_dir(dir.join("base")).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".partial") {
            continue;
        }
        let path = e.path().join(BASE_MANIFEST);
        match std::fs::read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice::<BaseBackup>(&b).map_err(|e| e.to_string()))
        {
            Ok(b) => v.push(b),
            Err(why) => bad.push((name, format!("{}: {why}", path.display()))),
        }
    }
    v.sort_by_key(|b| b.started_at);
    (v, bad)
}

/// Takes a base backup of every PostgreSQL database of the deployment, one
/// after the other; each is complete, or not there.
pub async fn take(
    ds: &Deployments,
    deployment: &str,
    say: &(dyn Fn(String) + Sync),
    cancel: &CancellationToken,
) -> Result<Vec<BaseBackup>> {
    let d = ds.get(deployment)?;
    let dbs: Vec<Db> = databases(ds, &d)?.into_iter().filter(Db::is_pg).collect();
    if dbs.is_empty() {
        return Err(Error::new(
            ErrorCode::InvalidInput,
            format!("{} has no PostgreSQL storage: a MySQL/MariaDB storage's base is a backup (quiesce backup), which records its binlog coordinates.", d.name),
        ));
    }
    super::run::check(ds, &dbs).await?;
    let journal = Journal::begin(ds.home(), "base", format!("base backup of deployment {}", d.name))?;
    let mut out = Vec::new();
    for db in &dbs {
        out.push(one(ds, &d.name, db, &journal, say, cancel).await?);
    }
    Ok(out)
}

async fn one(
    ds: &Deployments,
    deployment: &str,
    db: &Db,
    journal: &Journal,
    say: &(dyn Fn(String) + Sync),
    cancel: &CancellationToken,
) -> Result<BaseBackup> {
    let p = &db.profile;
    let tool = crate::discovery::tools::find_all(p, "pg_basebackup").first().map(|t| t.path.display().to_string()).ok_or_else(|| {
        Error::new(
            ErrorCode::FileNotFound,
            "pg_basebackup was not found: install the PostgreSQL client package of the server's major version (postgresql-client-NN).",
        )
    })?;
    let started_at = Utc::now();
    let id = format!("{}-{}", started_at.format("%Y%m%dT%H%M%SZ"), &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let base = db.dir.join("base");
    crate::paths::create_private_dir(&base)?;
    let partial = base.join(format!("{id}.partial"));
    let done = base.join(&id);
    journal.own(Owned::Partial { path: partial.clone() })?;
    let pw = ds.secret_of(p).await?;
    let to = creds::PgTarget {
        host: p.host.as_deref(),
        port: p.port.unwrap_or(5432),
        user: p.user.as_deref().unwrap_or(""),
    };
    let db_name = p.database.clone().unwrap_or_default();
    let pass = journal.cred_file(
        "pgpass",
        &creds::pgpass(&to, &[db_name.as_str(), "replication"], pw.as_ref().map(|s| s.expose().as_str()).unwrap_or("")),
    )?;
    let cmd = basebackup(p, &tool, &partial.display().to_string(), &id, &pass.path_str());
    say(format!("{}: {}", p.name, cmd.render()));
    let progress_dir = partial.clone();
    let run = pipeline::Run {
        counters: Arc::new(pipeline::Counters::default()),
        log: Arc::new(|l: String| tracing::info!("pg_basebackup: {l}")),
        cancel,
        stall: pipeline::Stall {
            progress: Some(Arc::new(move || crate::backup::dir_bytes(&progress_dir))),
            advice: "The server may be waiting for a checkpoint, or a replication connection is refused.".into(),
            ..pipeline::Stall::default_policy()
        },
    };
    let r = pipeline::run_tool(&cmd, &run).await;
    drop(pass);
    if let Err(e) = r {
        // Still owned by the journal if it cannot be removed now: the next
        // command's recovery tries again.
        if std::fs::remove_dir_all(&partial).is_ok() {
            journal.release(&partial)?;
        }
        return Err(Error::new(e.code, format!("{}: the base backup failed and was removed: {}", p.name, e.message)));
    }
    let (timeline, start_lsn, end_lsn) = wal_range(&partial.join("backup_manifest"))?;
    let mut names: Vec<String> = std::fs::read_dir(&partial)
        .map_err(|e| Error::io("read", &partial, e))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut files = Vec::new();
    for n in names {
        if cancel.is_cancelled() {
            if std::fs::remove_dir_all(&partial).is_ok() {
                journal.release(&partial)?;
            }
            return Err(Error::cancelled_job());
        }
        let path = partial.join(&n);
        let (sha256, bytes) = tokio::task::spawn_blocking(move || sha256_file(&path))
            .await
            .map_err(|e| Error::internal(e.to_string()))??;
        files.push(ManifestFile { name: n, bytes, sha256 });
    }
    let b = BaseBackup {
        schema_version: 1,
        id: id.clone(),
        deployment: deployment.to_string(),
        storages: db.storages.clone(),
        profile: p.name.clone(),
        started_at,
        ended_at: Utc::now(),
        timeline,
        start_lsn,
        end_lsn,
        tool,
        files,
    };
    crate::store::write_json(&partial.join(BASE_MANIFEST), &b)?;
    crate::paths::make_private(&partial)?;
    std::fs::rename(&partial, &done).map_err(|e| Error::io("complete", &done, e))?;
    journal.release(&partial)?;
    say(format!("{}: base backup {id} (WAL {} … {} on timeline {timeline})", p.name, b.start_lsn, b.end_lsn));
    Ok(b)
}

/// pg_basebackup as tar (one file per tablespace, and its own
/// `backup_manifest`), gzip-compressed, WAL streamed beside it (`-X
/// stream`: the backup restores on its own), a fast checkpoint, SHA-256 in
/// its manifest.
fn basebackup(p: &crate::profile::Profile, tool: &str, dir: &str, id: &str, pass: &str) -> CommandLine {
    let c = CommandLine::new(tool)
        .opt("--pgdata", dir)
        .flag("--format=tar")
        .flag("--gzip")
        .flag("--wal-method=stream")
        .flag("--checkpoint=fast")
        .flag("--manifest-checksums=SHA256")
        .opt("--label", format!("quiesce {id}"))
        .flag("--verbose");
    commands::pg_connect(c, p, &Runtime { pass_file: pass, snapshot: "", output: "", session: "quiesce-base" })
}

/// The WAL range of a base backup, from its `backup_manifest`.
fn wal_range(path: &Path) -> Result<(u32, String, String)> {
    let bad = |why: String| {
        Error::new(
            ErrorCode::Corrupt,
            format!("{}: {why}: the base backup cannot be placed in the WAL.", path.display()),
        )
    };
    let b = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let v: serde_json::Value = serde_json::from_slice(&b).map_err(|e| bad(e.to_string()))?;
    // One range per timeline the backup crossed (a standby promoted during
    // it): where it starts is the lowest start, its timeline that range's.
    let mut ranges = Vec::new();
    for r in v["WAL-Ranges"].as_array().into_iter().flatten() {
        let tli = r["Timeline"].as_u64().ok_or_else(|| bad("no Timeline".into()))? as u32;
        let s = r["Start-LSN"].as_str().ok_or_else(|| bad("no Start-LSN".into()))?;
        let e = r["End-LSN"].as_str().ok_or_else(|| bad("no End-LSN".into()))?;
        let (sn, en) = (
            lsn(s).ok_or_else(|| bad(format!("{s:?} is no LSN")))?,
            lsn(e).ok_or_else(|| bad(format!("{e:?} is no LSN")))?,
        );
        ranges.push((tli, sn, s.to_string(), en, e.to_string()));
    }
    let first = ranges.iter().min_by_key(|r| r.1).ok_or_else(|| bad("no WAL-Ranges".into()))?;
    let last = ranges.iter().max_by_key(|r| r.3).ok_or_else(|| bad("no WAL-Ranges".into()))?;
    Ok((first.0, first.2.clone(), last.4.clone()))
}

/// `X/Y` as a number.
pub(crate) fn lsn(s: &str) -> Option<u64> {
    let (hi, lo) = s.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

/// Checks a base backup's files against its `base.json`.
pub fn verify(dir: &Path) -> Result<Vec<String>> {
    let m: BaseBackup =
        serde_json::from_slice(&std::fs::read(dir.join(BASE_MANIFEST)).map_err(|e| Error::io("read", dir, e))?)
            .map_err(|e| Error::new(ErrorCode::Corrupt, format!("{}: {e}", dir.join(BASE_MANIFEST).display())))?;
    let mut problems = Vec::new();
    for f in &m.files {
        match sha256_file(&dir.join(&f.name)) {
            Ok((h, n)) if h == f.sha256 && n == f.bytes => {}
            Ok(_) => problems.push(format!("{} differs from the one backed up", f.name)),
            Err(e) => problems.push(e.message),
        }
    }
    Ok(problems)
}
