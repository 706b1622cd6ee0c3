//! SQLite restore. The backup is itself a complete SQLite database (written
//! by the online backup API), so restoring it means making the target that
//! database: the file is copied by the kernel (copy_file_range) into a
//! temporary file beside the target while its SHA-256 is checked against the
//! manifest; only a copy of a backup that matches replaces the target, by an
//! atomic rename. A cancelled or failed restore leaves the target exactly as
//! it was. Refused while another process holds the target (checked again just
//! before the rename), since its connection would keep writing to the
//! replaced file.

use super::prepare::{PendingIntegrity, UnitPlan};
use crate::catalog::manifest::FileOwner;
use crate::error::{Error, ErrorCode, Result};
use crate::job::{self, Journal, Live, Owned, Sink};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Bytes per copy step: progress and cancel between steps.
const CHUNK: usize = 64 << 20;

fn held(target: &Path, who: &str) -> Error {
    Error::new(
        ErrorCode::InUse,
        format!(
            "{} is in use ({who}). Stop ScalarDB and every other program using the file, then restore again.",
            target.display()
        ),
    )
}

fn target_of(u: &UnitPlan) -> PathBuf {
    PathBuf::from(u.target.path.clone().unwrap_or_default())
}

/// Copies the unit's backup file into a temporary file beside its target
/// (owned by the job: removed if anything later fails) and returns it. With
/// `integrity`, the backup's hashing runs beside the copy and a mismatch
/// stops it.
pub(super) async fn copy(
    u: &UnitPlan,
    live: Arc<Live>,
    integrity: Option<PendingIntegrity>,
    journal: &Journal,
    cancel: &CancellationToken,
    sink: &Sink,
) -> Result<PathBuf> {
    let file = u.unit.files.first().ok_or_else(|| Error::new(ErrorCode::Corrupt, "The manifest lists no file."))?;
    let name_in_dir = file.name.rsplit('/').next().unwrap_or(&file.name);
    let src = u.dir.join(name_in_dir);
    let dst = target_of(u);
    let name = dst.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "target".into());
    let tmp = dst.with_file_name(format!(".{name}.quiesce-restore-{}", journal.id()));
    // Owned by the job from before it exists: removed if the restore fails,
    // is cancelled, or (by the next start's recovery) if it is killed.
    journal.own(Owned::TempFile { path: tmp.clone() })?;
    job::phase(
        sink,
        "restoring",
        format!(
            "Copying the SQLite backup {} -> {} (then renamed over {})",
            src.display(),
            tmp.display(),
            dst.display()
        ),
    );
    // Its own token: a backup that fails its check stops the copy, not the job.
    let stop = cancel.child_token();
    let (c2, t2) = (stop.clone(), tmp.clone());
    let copying = tokio::task::spawn_blocking(move || copy_file(&src, &t2, &live, &c2));
    // The check of the backup runs beside the copy; the target waits for both.
    if let Some(h) = integrity {
        let checked = h.await.map_err(|e| Error::internal(e.to_string()))?;
        if let Err(e) = checked.and_then(|r| r.into_result()) {
            stop.cancel();
            let _ = copying.await;
            return Err(e);
        }
    }
    copying.await.map_err(|e| Error::internal(format!("the SQLite restore stopped unexpectedly: {e}")))??;
    Ok(tmp)
}

/// Makes the checked copy the unit's target: its owner and mode, nobody
/// holding the old file, an atomic rename.
pub(super) fn commit(u: &UnitPlan, tmp: &Path, journal: &Journal) -> Result<()> {
    let dst = target_of(u);
    // The file it becomes: the replaced file's owner and mode, or for a new
    // file the source's (recorded with the backup), so ScalarDB can open it.
    let owner = FileOwner::of(&dst).or(u.unit.file_owner);
    give(tmp, owner, &dst)?;
    replace(tmp, &dst)?;
    journal.release(tmp)
}

/// Gives the copy the owner, group and mode the target should have. The
/// owner can only be changed by root (or kept when it is ours): otherwise the
/// restore stops before replacing anything, rather than leave a file the
/// database's user cannot open.
fn give(tmp: &Path, owner: Option<FileOwner>, dst: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Some(o) = owner else { return Ok(()) };
    let me = unsafe { (libc::geteuid(), libc::getegid()) };
    if (o.uid, o.gid) != me {
        let c = std::ffi::CString::new(tmp.as_os_str().as_encoded_bytes())
            .map_err(|_| Error::invalid("a path with a NUL"))?;
        if unsafe { libc::chown(c.as_ptr(), o.uid, o.gid) } != 0 {
            let e = std::io::Error::last_os_error();
            return Err(Error::new(
                ErrorCode::PermissionDenied,
                format!(
                    "{} belongs to user {} (group {}), and this process cannot give the restored file that owner ({e}). Restore as that user or as root; the target was not touched.",
                    dst.display(),
                    o.uid,
                    o.gid
                ),
            ));
        }
    }
    std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(o.mode))
        .map_err(|e| Error::io("set the mode of", tmp, e))
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
    std::fs::rename(tmp, dst).map_err(|e| Error::io("replace", dst, e))?;
    if let Some(dir) = dst.parent() {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    Ok(())
}

fn copy_file(src: &Path, tmp: &Path, live: &Live, cancel: &CancellationToken) -> Result<()> {
    use std::io::{Read, Write};
    use std::os::fd::AsRawFd;
    let mut from = std::fs::File::open(src).map_err(|e| Error::io("read", src, e))?;
    let mut to =
        std::fs::OpenOptions::new().write(true).create_new(true).open(tmp).map_err(|e| Error::io("create", tmp, e))?;
    let total = from.metadata().map_err(|e| Error::io("read", src, e))?.len();
    let mut done: u64 = 0;
    let mut kernel = true;
    let mut buf = Vec::new();
    while done < total {
        if cancel.is_cancelled() {
            return Err(Error::cancelled_job());
        }
        let want = (total - done).min(CHUNK as u64) as usize;
        let n = if kernel {
            // Advances both files' offsets; no copy through user space.
            let r = unsafe {
                libc::copy_file_range(
                    from.as_raw_fd(),
                    std::ptr::null_mut(),
                    to.as_raw_fd(),
                    std::ptr::null_mut(),
                    want,
                    0,
                )
            };
            if r < 0 {
                let err = std::io::Error::last_os_error();
                // Not supported for these files (another file system, an old kernel): copy through a buffer.
                if done == 0
                    && matches!(
                        err.raw_os_error(),
                        Some(libc::EXDEV) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP) | Some(libc::EINVAL)
                    )
                {
                    kernel = false;
                    continue;
                }
                return Err(Error::io("copy into", tmp, err));
            }
            r as usize
        } else {
            buf.resize(want.min(4 << 20), 0);
            let k = from.read(&mut buf).map_err(|e| Error::io("read", src, e))?;
            to.write_all(&buf[..k]).map_err(|e| Error::io("write", tmp, e))?;
            k
        };
        if n == 0 {
            return Err(Error::new(
                ErrorCode::Corrupt,
                format!("{} ended after {done} of {total} bytes.", src.display()),
            ));
        }
        done += n as u64;
        live.counters.raw.store(done, Ordering::Relaxed);
    }
    to.sync_all().map_err(|e| Error::io("sync", tmp, e))?;
    Ok(())
}
