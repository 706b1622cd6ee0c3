//! SQLite through the online backup API, inside one read transaction that
//! Quiesce holds on the source: the copy is that transaction's snapshot, so
//! it never restarts when another connection commits (the guide's sqlite3
//! `.backup` restarts after every foreign commit and never finishes under a
//! steady writer). What that costs writers is measured and recorded: in
//! rollback-journal mode the read lock blocks their commits for as long as it
//! is held; in WAL mode it does not block them.

use super::dump::{Done, Dump};
use crate::catalog::manifest::{sha256_file, ConsistencyBasis, ManifestFile, ManifestTable, ManifestTool};
use crate::error::{Error, ErrorCode, Result};
use crate::job::{JobEvent, Live};
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

const PAGES_PER_STEP: i32 = 1024;

pub(super) async fn dump(job: &Dump<'_>) -> Result<Done> {
    let Dump { dir, live, sink, cancel, .. } = *job;
    let (p, found) = (&job.unit.profile, &job.unit.found);
    let src_path = PathBuf::from(p.path.clone().unwrap_or_default());
    let out = dir.join("scalardb.sqlite");
    let tables: Vec<(String, String, String, bool)> = found
        .tables
        .iter()
        .map(|t| (t.namespace.clone(), t.table.clone(), t.physical_name.clone(), t.is_coordinator))
        .collect();
    let (cancel2, out2, live2) = (cancel.clone(), out.clone(), live.clone());
    sink(JobEvent::Phase {
        phase: "dumping".into(),
        message: format!("SQLite online backup of {} in one read transaction", src_path.display()),
    });
    let joined = |e: tokio::task::JoinError| Error::internal(format!("the SQLite backup stopped unexpectedly: {e}"));
    let start = Start { opened: job.opened.clone(), gate: job.gate.clone() };
    let (journal, blocked_ms, hashed_in_copy) =
        tokio::task::spawn_blocking(move || copy(&src_path, &out2, &live2, &cancel2, start))
            .await
            .map_err(joined)??;
    live.counters.written.store(std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0), Ordering::Relaxed);
    // The copy is the snapshot: its rows are counted there (and it is hashed,
    // unless that happened while copying) once the source's lock is gone, so
    // writers are not kept waiting. The copy reaches the disk meanwhile (the
    // manifest is written after it).
    let (synced, hashed, counted) = {
        let (o1, o2, o3) = (out.clone(), out.clone(), out.clone());
        tokio::join!(
            tokio::task::spawn_blocking(move || {
                std::fs::File::open(&o3).and_then(|f| f.sync_all()).map_err(|e| Error::io("sync", &o3, e))
            }),
            tokio::task::spawn_blocking(move || match hashed_in_copy {
                Some(h) => Ok(h),
                None => sha256_file(&o1),
            }),
            tokio::task::spawn_blocking(move || count_rows(&o2, &tables)),
        )
    };
    synced.map_err(joined)??;
    let (sha, bytes) = hashed.map_err(joined)??;
    let counts = counted.map_err(joined)??;
    live.tables_done.fetch_add(counts.len() as u32, Ordering::Relaxed);
    let blocks = !journal.eq_ignore_ascii_case("wal");
    let note = if blocks {
        format!("Journal mode {journal}: Quiesce held a read lock for {blocked_ms:.0} ms; writers could not commit during that time (they waited up to their busy timeout).")
    } else {
        format!(
            "Journal mode WAL: Quiesce read one snapshot for {blocked_ms:.0} ms; writers kept committing meanwhile."
        )
    };
    sink(JobEvent::Log { line: note.clone() });
    Ok(Done {
        tool: Some(ManifestTool {
            name: "SQLite online backup (rusqlite)".into(),
            path: "(in-process)".into(),
            version: rusqlite::version().into(),
        }),
        consistency: ConsistencyBasis {
            kind: "sqlite_read_transaction".into(),
            snapshot: None,
            note: "The copy comes from one read transaction on the source file; the row counts are the copy's own."
                .into(),
        },
        tables: counts,
        files: vec![ManifestFile { name: "scalardb.sqlite".into(), bytes, sha256: sha }],
        restore_hint: "sqlite3 TARGET.db \".restore scalardb.sqlite\"   (with no other process using TARGET.db)".into(),
        notes: vec![note],
        writers_blocked_ms: Some(if blocks { blocked_ms.round() } else { 0.0 }),
        log: None,
    })
}

/// The source's journal mode, how long Quiesce held its read lock (ms), and
/// the copy's SHA-256 and size when they were computed while copying.
type Copied = (String, f64, Option<(String, u64)>);

fn db_err(path: &Path, e: rusqlite::Error) -> Error {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
        return Error::new(
            ErrorCode::IoError,
            format!(
                "The SQLite backup of {} stopped: the disk is full ({e}). Free some space and try again.",
                path.display()
            ),
        );
    }
    let busy =
        matches!(e.sqlite_error_code(), Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked));
    Error::new(
        if busy { ErrorCode::Busy } else { ErrorCode::DatabaseError },
        format!(
            "SQLite backup of {} failed: {e}{}",
            path.display(),
            if busy { ". Another process holds the file exclusively; try again." } else { "" }
        ),
    )
}

/// What a copy inside a pause waits for and says.
struct Start {
    opened: Option<super::dump::Opened>,
    gate: Option<super::dump::Gate>,
}

fn copy(src_path: &Path, out: &Path, live: &Live, cancel: &CancellationToken, start: Start) -> Result<Copied> {
    std::fs::File::open(src_path).map_err(|e| Error::io("open the SQLite database", src_path, e))?;
    let src = Connection::open_with_flags(src_path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| db_err(src_path, e))?;
    src.busy_timeout(std::time::Duration::from_secs(30)).map_err(|e| db_err(src_path, e))?;
    let journal: String = src.query_row("PRAGMA journal_mode", [], |r| r.get(0)).map_err(|e| db_err(src_path, e))?;
    let page_size: i64 = src.query_row("PRAGMA page_size", [], |r| r.get(0)).map_err(|e| db_err(src_path, e))?;
    if let Some(g) = &start.gate {
        (g.ready)();
        g.go.wait_blocking(cancel)?;
    }
    // The read transaction: from here the source is one snapshot. The clock
    // starts before BEGIN so that the reported hold is never shorter than
    // what a writer saw (the SHARED lock is taken by the first read).
    let locked_at = Instant::now();
    src.execute_batch("BEGIN").map_err(|e| db_err(src_path, e))?;
    src.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get::<_, i64>(0)).map_err(|e| db_err(src_path, e))?;
    if let Some(f) = start.opened {
        f();
    }
    // Outside WAL mode the read lock freezes the file itself (a writer needs
    // an exclusive lock to change it), so its pages are copied as bytes,
    // hashed on the way: no page-by-page pager work, no second read to hash.
    // In WAL mode the snapshot is the file plus part of the WAL: the backup
    // API assembles it.
    let hashed = if journal.eq_ignore_ascii_case("wal") {
        api_copy(&src, src_path, out, page_size, live, cancel)?;
        None
    } else {
        let pages: i64 = src.query_row("PRAGMA page_count", [], |r| r.get(0)).map_err(|e| db_err(src_path, e))?;
        Some(raw_copy(src_path, out, pages as u64, page_size as u64, live, cancel)?)
    };
    src.execute_batch("COMMIT").map_err(|e| db_err(src_path, e))?;
    let blocked_ms = locked_at.elapsed().as_secs_f64() * 1000.0;
    Ok((journal, blocked_ms, hashed))
}

/// The file's first `pages` pages into `out` (the source's read lock held by
/// the caller, so its bytes cannot change). The kernel copies them page cache
/// to page cache (`copy_file_range`, as `cp` does) while a second thread
/// reads the same bytes and hashes them: the copy never passes through this
/// process, and the hash costs no pass over the copy afterwards.
fn raw_copy(
    src_path: &Path,
    out: &Path,
    pages: u64,
    page_size: u64,
    live: &Live,
    cancel: &CancellationToken,
) -> Result<(String, u64)> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    const CHUNK: u64 = 8 << 20;
    let f = std::fs::File::open(src_path).map_err(|e| Error::io("read", src_path, e))?;
    let mut to_hash = std::fs::File::open(src_path).map_err(|e| Error::io("read", src_path, e))?;
    let mut o = std::fs::File::create(out).map_err(|e| Error::io("write", out, e))?;
    let len = pages * page_size;
    live.pages_total.store(pages, Ordering::Relaxed);
    // Either side failing stops the other at its next chunk; the first
    // failure is the one reported.
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|sc| {
        let stop = &stop;
        let hasher = sc.spawn(move || -> Result<String> {
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            let mut left = len;
            while left > 0 {
                if stop.load(Ordering::Relaxed) {
                    return Err(Error::cancelled_job());
                }
                let n = (buf.len() as u64).min(left) as usize;
                if let Err(e) = to_hash.read_exact(&mut buf[..n]) {
                    stop.store(true, Ordering::Relaxed);
                    return Err(Error::io("read", src_path, e));
                }
                h.update(&buf[..n]);
                left -= n as u64;
            }
            Ok(format!("{:x}", h.finalize()))
        });
        let copied = (|| {
            let mut done = 0u64;
            while done < len {
                if cancel.is_cancelled() {
                    return Err(Error::cancelled_job());
                }
                if stop.load(Ordering::Relaxed) {
                    // The hasher failed: its error is the one to report.
                    return Ok(done);
                }
                let want = CHUNK.min(len - done);
                // std::io::copy between files is copy_file_range (with a
                // read/write fallback where the kernel cannot).
                let n = std::io::copy(&mut (&f).take(want), &mut o).map_err(|e| Error::io("write", out, e))?;
                if n < want {
                    return Err(Error::io(
                        "read",
                        src_path,
                        std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the file ended before its last page"),
                    ));
                }
                start_writeback(&o, done, n);
                done += n;
                live.counters.raw.store(done, Ordering::Relaxed);
                live.counters.written.store(done, Ordering::Relaxed);
                live.pages_done.store(done / page_size.max(1), Ordering::Relaxed);
            }
            Ok(done)
        })();
        if copied.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        let sha = hasher.join().map_err(|_| Error::internal("the hashing thread panicked"))?;
        // The copy's own failure first; a copy cut short by the hasher's
        // failure reports the hasher's.
        let done = copied?;
        Ok((sha?, done))
    })
}

/// Starts writing a range just written to the disk without waiting for it,
/// so that the sync after the copy finds little left to write: the disk
/// works while the rest is copied and hashed, not after.
#[cfg(target_os = "linux")]
fn start_writeback(f: &std::fs::File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    // Advisory: a failure only means the final sync does all the work.
    unsafe { libc::sync_file_range(f.as_raw_fd(), offset as i64, len as i64, libc::SYNC_FILE_RANGE_WRITE) };
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &std::fs::File, _: u64, _: u64) {}

/// The online backup API, page by page, into `out`.
fn api_copy(
    src: &Connection,
    src_path: &Path,
    out: &Path,
    page_size: i64,
    live: &Live,
    cancel: &CancellationToken,
) -> Result<()> {
    {
        let mut dst = Connection::open(out).map_err(|e| db_err(out, e))?;
        // A partial file that is thrown away on failure and synced once at the
        // end needs neither a rollback journal nor syncs of its own.
        dst.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF").map_err(|e| db_err(out, e))?;
        let b = Backup::new(src, &mut dst).map_err(|e| db_err(src_path, e))?;
        loop {
            if cancel.is_cancelled() {
                return Err(Error::cancelled_job());
            }
            match b.step(PAGES_PER_STEP).map_err(|e| db_err(src_path, e))? {
                StepResult::Done => break,
                StepResult::More => {}
                StepResult::Busy | StepResult::Locked => std::thread::sleep(std::time::Duration::from_millis(5)),
                _ => std::thread::sleep(std::time::Duration::from_millis(5)),
            }
            let pr = b.progress();
            let done = (pr.pagecount - pr.remaining).max(0) as u64;
            live.pages_total.store(pr.pagecount.max(0) as u64, Ordering::Relaxed);
            live.pages_done.store(done, Ordering::Relaxed);
            // The pages a step copied are in the file (unsynced) once it returns.
            live.counters.raw.store(done * page_size as u64, Ordering::Relaxed);
            live.counters.written.store(done * page_size as u64, Ordering::Relaxed);
        }
        let pr = b.progress();
        live.pages_total.store(pr.pagecount.max(0) as u64, Ordering::Relaxed);
        live.pages_done.store(pr.pagecount.max(0) as u64, Ordering::Relaxed);
        live.counters.raw.store(pr.pagecount.max(0) as u64 * page_size as u64, Ordering::Relaxed);
    }
    Ok(())
}

/// Rows of every ScalarDB table in the copy (read-only: the copy is sealed).
fn count_rows(copy: &Path, tables: &[(String, String, String, bool)]) -> Result<Vec<ManifestTable>> {
    // Immutable: a copy of a WAL-mode database says WAL in its header, and a
    // plain read-only open would create `-shm` and `-wal` beside it.
    let c = crate::connect::sqlite::open_immutable(copy)?;
    tables
        .iter()
        .map(|(ns, t, phys, coord)| {
            let n: i64 = c
                .query_row(&format!("SELECT count(*) FROM \"{}\"", phys.replace('"', "\"\"")), [], |r| r.get(0))
                .map_err(|e| db_err(copy, e))?;
            Ok(ManifestTable {
                namespace: ns.clone(),
                table: t.clone(),
                physical_name: phys.clone(),
                rows: Some(n),
                rows_exact: true,
                is_coordinator: *coord,
            })
        })
        .collect()
}
