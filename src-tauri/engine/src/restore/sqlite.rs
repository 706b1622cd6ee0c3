//! SQLite restore through the online backup API in the restore direction
//! (what sqlite3's `.restore` does), into a temporary file beside the target
//! while the backup's SHA-256 is checked; only a copy of a backup that
//! matches its manifest replaces the target, by an atomic rename. A cancelled
//! or failed restore therefore leaves the target exactly as it was. Refused
//! while another process holds the target (checked again just before the
//! rename), since its connection would keep writing to the replaced file.

use super::{Live, PendingIntegrity};
use crate::backup::manifest::Manifest;
use crate::backup::{BackupEvent, Sink};
use crate::error::{Error, ErrorCode, Result};
use crate::profile::Profile;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

const PAGES_PER_STEP: i32 = 4096;

fn held(target: &Path, who: &str) -> Error {
    Error::new(
        ErrorCode::InUse,
        format!(
            "{} is in use ({who}). Stop ScalarDB and every other program using the file, then restore again.",
            target.display()
        ),
    )
}

/// Removes the temporary copy on every path but success.
struct TempGuard(PathBuf);

impl Drop for TempGuard {
    fn drop(&mut self) {
        for s in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", self.0.display()));
        }
    }
}

pub(super) async fn restore(
    folder: &Path,
    m: &Manifest,
    target: &Profile,
    live: Arc<Live>,
    integrity: Option<PendingIntegrity>,
    cancel: &CancellationToken,
    sink: &Sink,
) -> Result<()> {
    let src = folder
        .join(&m.files.first().ok_or_else(|| Error::new(ErrorCode::Corrupt, "The manifest lists no file."))?.name);
    let dst = PathBuf::from(target.path.clone().unwrap_or_default());
    let name = dst.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "target".into());
    let tmp = dst.with_file_name(format!(".{name}.quiesce-restore-{}", std::process::id()));
    let _guard = TempGuard(tmp.clone());
    sink(BackupEvent::Phase {
        phase: "restoring".into(),
        message: format!(
            "SQLite online backup API: {} -> {} (then renamed over {})",
            src.display(),
            tmp.display(),
            dst.display()
        ),
    });
    // Its own token: a backup that fails its check stops the copy, not the job.
    let stop = cancel.child_token();
    let (c2, t2) = (stop.clone(), tmp.clone());
    let copy = tokio::task::spawn_blocking(move || copy(&src, &t2, &live, &c2));
    // The check of the backup runs beside the copy; the target waits for both.
    if let Some(h) = integrity {
        let checked = h.await.map_err(|e| Error::internal(e.to_string()))?;
        match checked.and_then(|r| r.into_result()) {
            Ok(_) => {}
            Err(e) => {
                stop.cancel();
                let _ = copy.await;
                return Err(e);
            }
        }
    }
    copy.await.map_err(|e| Error::internal(format!("the SQLite restore stopped unexpectedly: {e}")))??;
    replace(&tmp, &dst)
}

/// Makes the checked copy the target: nobody may hold the old file, its
/// journal/WAL files are gone with it, and the rename is made durable.
fn replace(tmp: &Path, dst: &Path) -> Result<()> {
    let holders = super::sessions::sqlite_holders(dst);
    if let Some(h) = holders.first() {
        return Err(held(dst, &format!("process {} ({}) opened it meanwhile", h.id, h.application)));
    }
    if dst.exists() {
        // A lock held by a connection of this process, which /proc cannot tell apart.
        let probe = Connection::open(dst)
            .map_err(|e| Error::new(ErrorCode::IoError, format!("open {}: {e}", dst.display())))?;
        probe.busy_timeout(std::time::Duration::from_millis(0)).ok();
        if probe.execute_batch("BEGIN IMMEDIATE; ROLLBACK;").is_err() {
            return Err(held(dst, "a connection holds a lock on it"));
        }
        drop(probe);
    }
    // The old file's rollback journal or WAL belongs to the old content.
    for s in ["-journal", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", dst.display()));
    }
    std::fs::File::open(tmp).and_then(|f| f.sync_all()).map_err(|e| Error::io("sync", tmp, e))?;
    std::fs::rename(tmp, dst).map_err(|e| Error::io("replace", dst, e))?;
    if let Some(dir) = dst.parent() {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

fn copy(src: &Path, tmp: &Path, live: &Live, cancel: &CancellationToken) -> Result<()> {
    let e = |what: &str, e: rusqlite::Error| Error::new(ErrorCode::IoError, format!("{what}: {e}"));
    let from =
        Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|x| e("open the backup", x))?;
    let mut to = Connection::open(tmp).map_err(|x| e(&format!("create {}", tmp.display()), x))?;
    let b = Backup::new(&from, &mut to).map_err(|x| e("start the online backup", x))?;
    loop {
        if cancel.is_cancelled() {
            return Err(Error::cancelled_job());
        }
        let step = b.step(PAGES_PER_STEP).map_err(|x| e("copy pages", x))?;
        let p = b.progress();
        live.pages_total.store(p.pagecount.max(0) as u64, Ordering::Relaxed);
        live.pages_done.store((p.pagecount - p.remaining).max(0) as u64, Ordering::Relaxed);
        match step {
            StepResult::Done => break,
            StepResult::More => {}
            // Nobody else knows the temporary file: busy here is unexpected.
            _ => return Err(Error::new(ErrorCode::IoError, format!("{} was locked during the copy.", tmp.display()))),
        }
    }
    Ok(())
}
