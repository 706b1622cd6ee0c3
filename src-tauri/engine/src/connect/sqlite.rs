use super::*;
use rusqlite::{ErrorCode as SqliteCode, OpenFlags};

pub(super) async fn test(p: &Profile) -> Result<ConnectionReport> {
    let path = std::path::PathBuf::from(p.path.clone().unwrap_or_default());
    let timeout = Duration::from_secs(p.connect_timeout_secs as u64);
    tokio::task::spawn_blocking(move || test_blocking(&path, timeout))
        .await
        .map_err(|e| Error::internal(format!("the SQLite check stopped unexpectedly: {e}")))?
}

fn test_blocking(path: &std::path::Path, timeout: Duration) -> Result<ConnectionReport> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io("open the SQLite database", path, e))?;
    if meta.is_dir() {
        return Err(Error::invalid(format!(
            "{} is a directory; give the path of the SQLite database file.",
            path.display()
        )));
    }
    // Opening for read is what a permission problem shows up on; rusqlite would
    // only say "unable to open database file".
    std::fs::File::open(path).map_err(|e| Error::io("open the SQLite database", path, e))?;
    let started = Instant::now();
    let conn =
        rusqlite::Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| map_error(e, path, timeout))?;
    conn.busy_timeout(timeout).map_err(|e| map_error(e, path, timeout))?;
    let q = || -> rusqlite::Result<(String, Vec<Duration>, String, i64)> {
        // Reading the schema touches the file header: "not a database" and
        // "locked" surface here rather than at open.
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        let version: String = conn.query_row("SELECT sqlite_version()", [], |r| r.get(0))?;
        let mut rtts = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0))?;
            rtts.push(t.elapsed());
        }
        let journal: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        Ok((version, rtts, journal, tables))
    };
    let (version, rtts, journal, tables) = q().map_err(|e| map_error(e, path, timeout))?;
    Ok(ConnectionReport {
        kind: DbKind::Sqlite,
        product: "SQLite".into(),
        server_version: version,
        rtt_ms: median_ms(rtts),
        connect_ms: ms_since(started),
        tls: None,
        notes: vec![format!("journal_mode={journal}"), format!("{tables} schema objects")],
    })
}

fn map_error(e: rusqlite::Error, path: &std::path::Path, timeout: Duration) -> Error {
    let p = path.display();
    let code = e.sqlite_error_code();
    let err = match code {
        Some(SqliteCode::NotADatabase) => Error::invalid(format!("{p} is not a SQLite database (or it is encrypted). Check the path.")),
        Some(SqliteCode::DatabaseBusy) | Some(SqliteCode::DatabaseLocked) => Error::new(
            ErrorCode::Busy,
            format!("{p} is locked by another connection and stayed locked for {} s. Try again when the writer has finished, or raise the timeout.", timeout.as_secs()),
        ),
        Some(SqliteCode::PermissionDenied) | Some(SqliteCode::ReadOnly) => {
            Error::new(ErrorCode::PermissionDenied, format!("No permission to read {p}. Check the file's owner and mode."))
        }
        Some(SqliteCode::CannotOpen) => Error::new(
            ErrorCode::PermissionDenied,
            format!("{p} cannot be opened ({e}). Check that the file and its directory are readable (SQLite also needs the directory for its journal)."),
        ),
        Some(SqliteCode::DatabaseCorrupt) => Error::new(ErrorCode::DatabaseError, format!("{p} is damaged: {e}.")),
        _ => Error::new(ErrorCode::DatabaseError, format!("SQLite error on {p}: {e}.")),
    };
    err.with_source(e)
}

/// Opens a file that nothing writes (a backup's copy) read-only and
/// immutable: no locks, no `-shm`/`-wal`/journal created beside it, even for
/// a copy of a WAL-mode database (its header says WAL).
pub fn open_immutable(path: &std::path::Path) -> crate::Result<rusqlite::Connection> {
    use std::fmt::Write;
    let abs = std::path::absolute(path).map_err(|e| crate::Error::io("open", path, e))?;
    // A URI: the path percent-encoded byte by byte where it is not plain.
    let mut uri = String::from("file:");
    for b in abs.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-_.~".contains(b) {
            uri.push(*b as char);
        } else {
            let _ = write!(uri, "%{b:02X}");
        }
    }
    uri.push_str("?immutable=1");
    rusqlite::Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| crate::Error::new(crate::ErrorCode::IoError, format!("Could not open {}: {e}", path.display())))
}
