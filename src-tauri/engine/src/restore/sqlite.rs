//! SQLite restore through the online backup API in the restore direction
//! (what sqlite3's `.restore` does): the destination is written under one
//! exclusive lock held from the first step to the last, so a cancelled or
//! failed restore leaves the target file as it was. Refused while another
//! connection holds a lock on the target.

use super::Live;
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

const PAGES_PER_STEP: i32 = 1024;

fn held(target: &Path) -> Error {
    Error::new(
        ErrorCode::InUse,
        format!(
            "{} is locked by another connection (a writer, or a reader in a transaction). Stop ScalarDB and every other program using the file, then restore again.",
            target.display()
        ),
    )
}

pub(super) async fn restore(
    folder: &Path,
    m: &Manifest,
    target: &Profile,
    live: Arc<Live>,
    cancel: &CancellationToken,
    sink: &Sink,
) -> Result<()> {
    let src = folder
        .join(&m.files.first().ok_or_else(|| Error::new(ErrorCode::Corrupt, "The manifest lists no file."))?.name);
    let dst = PathBuf::from(target.path.clone().unwrap_or_default());
    let existed = dst.exists();
    sink(BackupEvent::Phase {
        phase: "restoring".into(),
        message: format!("SQLite online backup API: {} -> {}", src.display(), dst.display()),
    });
    let (c2, d2) = (cancel.clone(), dst.clone());
    let r = tokio::task::spawn_blocking(move || copy(&src, &d2, &live, &c2))
        .await
        .map_err(|e| Error::internal(format!("the SQLite restore stopped unexpectedly: {e}")))?;
    if r.is_err() && !existed {
        for s in ["", "-journal", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", dst.display()));
        }
    }
    r
}

fn copy(src: &Path, dst: &Path, live: &Live, cancel: &CancellationToken) -> Result<()> {
    let e = |what: &str, e: rusqlite::Error| Error::new(ErrorCode::IoError, format!("{what}: {e}"));
    let from =
        Connection::open_with_flags(src, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|x| e("open the backup", x))?;
    let mut to = Connection::open(dst).map_err(|x| e(&format!("open {}", dst.display()), x))?;
    // No waiting: a lock held by someone else is a refusal, not a queue.
    to.busy_timeout(std::time::Duration::from_millis(0)).ok();
    match to.execute_batch("BEGIN IMMEDIATE; ROLLBACK;") {
        Ok(()) => {}
        Err(rusqlite::Error::SqliteFailure(f, _))
            if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
        {
            return Err(held(dst))
        }
        Err(x) => return Err(e(&format!("lock {}", dst.display()), x)),
    }
    let b = Backup::new(&from, &mut to).map_err(|x| e("start the online backup", x))?;
    loop {
        if cancel.is_cancelled() {
            // Dropping the backup before it is done rolls the target back.
            drop(b);
            return Err(Error::cancelled_job());
        }
        let step = b.step(PAGES_PER_STEP).map_err(|x| e("copy pages", x))?;
        let p = b.progress();
        live.pages_total.store(p.pagecount.max(0) as u64, Ordering::Relaxed);
        live.pages_done.store((p.pagecount - p.remaining).max(0) as u64, Ordering::Relaxed);
        match step {
            StepResult::Done => break,
            StepResult::More => {}
            StepResult::Busy | StepResult::Locked => return Err(held(dst)),
            _ => {}
        }
    }
    Ok(())
}
