//! State files: written atomically (temp file + fsync + rename + directory
//! fsync) under an exclusive lock, so the GUI and a CLI started by cron can
//! change state at the same time without losing an update, and a reader never
//! sees half a file (rename is atomic; readers need no lock).

use crate::error::{Error, ErrorCode, Result};
use serde::{de::DeserializeOwned, Serialize};
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

pub const LOCK_TIMEOUT_ENV: &str = "QUIESCE_LOCK_TIMEOUT_MS";

/// Held for the duration of a read-modify-write of the state files.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

fn lock_timeout() -> Duration {
    std::env::var(LOCK_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(Duration::from_secs(10))
}

pub fn lock_exclusive(path: &Path) -> Result<StateLock> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io("open the lock file", path, e))?;
    let deadline = Instant::now() + lock_timeout();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(StateLock { _file: file }),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(25))
            }
            Err(TryLockError::WouldBlock) => {
                return Err(Error::new(
                    ErrorCode::Busy,
                    format!(
                        "Another Quiesce process (the app or a CLI) is changing the state in {} and did not finish in {} s. Wait for it and try again.",
                        path.parent().unwrap_or(path).display(),
                        lock_timeout().as_secs_f32()
                    ),
                ))
            }
            Err(TryLockError::Error(e)) => return Err(Error::io("lock", path, e)),
        }
    }
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().ok_or_else(|| Error::internal(format!("{} has no parent directory", path.display())))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    tmp.write_all(bytes).and_then(|_| tmp.as_file().sync_all()).map_err(|e| Error::io("write", tmp.path(), e))?;
    // The temp file is removed on every error path by NamedTempFile's drop.
    tmp.persist(path).map_err(|e| Error::io("replace", path, e.error))?;
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::io("sync the directory", dir, e))
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut bytes = serde_json::to_vec_pretty(value)
        .map_err(|e| Error::internal(format!("could not encode {}: {e}", path.display())))?;
    bytes.push(b'\n');
    write_atomic(path, &bytes)
}

/// Reads a JSON state file; a missing file is the default (empty) state.
pub fn read_json<T: DeserializeOwned + Default>(path: &Path) -> Result<T> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Error::invalid(format!(
                "{} is not valid Quiesce state ({e}). Restore it from a copy or move it aside to start fresh.",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        write_json(&p, &vec![1, 2, 3]).unwrap();
        write_json(&p, &vec![4]).unwrap();
        let v: Vec<i32> = read_json(&p).unwrap();
        assert_eq!(v, vec![4]);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from("s.json")]);
    }

    #[test]
    fn corrupt_state_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        std::fs::write(&p, b"{not json").unwrap();
        let e = read_json::<Vec<i32>>(&p).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.contains("s.json"));
    }
}
