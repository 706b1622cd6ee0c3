//! PostgreSQL: pg_dump in a snapshot Quiesce exported from its own
//! REPEATABLE READ transaction, the manifest's row counts from that same
//! snapshot (for the default format, counted in the archive as it streams
//! past), and `pg_restore --list` reading back the archive's contents.

use super::dump::{dir_bytes, hash_dir, streamed_counts, tool_of, Done, Dump};
use super::pgarchive;
use super::prepare::format_of;
use crate::catalog::manifest::{ConsistencyBasis, ManifestFile, ManifestTable};
use crate::catalog::window::{LogAt, LogBasis};
use crate::discovery::{self, StorageDiscovery};
use crate::error::{Error, ErrorCode, Result};
use crate::job::JobEvent;
use crate::plan::commands::{self, DumpFormat, Runtime};
use crate::tools::creds;
use crate::tools::pipeline::{self, Run, Stall};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Quiesce's own REPEATABLE READ transaction and the snapshot it exported:
/// pg_dump runs in it, and the manifest's row counts are taken in it, so both
/// describe one instant. Open until the dump has imported it.
pub(super) struct Snapshot {
    conn: crate::connect::postgres::PgConn,
    id: String,
    /// pg_dump's password file, written before the start line.
    pass: creds::CredFile,
}

pub(super) async fn open_snapshot(job: &Dump<'_>) -> Result<Snapshot> {
    let (p, password) = (&job.unit.profile, job.password);
    let conn = crate::connect::postgres::connect(p, password).await?;
    let me = |e: tokio_postgres::Error| {
        crate::connect::postgres::map_error(e, p, password.is_some(), discovery::STATEMENT_TIMEOUT)
    };
    // Everything that can fail on this machine happens before the unit says
    // it is ready: inside a pause only the snapshot is left to open.
    let db = p.database.clone().unwrap_or_default();
    let to = creds::PgTarget {
        host: p.host.as_deref(),
        port: p.port.unwrap_or(5432),
        user: p.user.as_deref().unwrap_or(""),
    };
    let pass = job.journal.cred_file("pgpass", &creds::pgpass(&to, &[db.as_str()], job.pw()))?;
    job.ready_then_go().await?;
    conn.client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(me)?;
    let id: String = conn.client.query_one("SELECT pg_export_snapshot()", &[]).await.map_err(me)?.get(0);
    (job.sink)(JobEvent::Phase {
        phase: "snapshot".into(),
        message: format!("Exported snapshot {id}; pg_dump runs in it, and the manifest's row counts come from it"),
    });
    Ok(Snapshot { conn, id, pass })
}

pub(super) async fn dump(job: &Dump<'_>) -> Result<Done> {
    let snap = open_snapshot(job).await?;
    // The exported snapshot holds the database's state from here: a pause can end.
    job.snapshot_open();
    let approximate = approximate_position(&snap.conn.client).await;
    let mut done = dump_in(job, snap).await?;
    done.log = approximate.map(|at| (at, LogBasis::Approximate));
    Ok(done)
}

/// The WAL insert position read in the snapshot's transaction, just after it
/// was exported: close to the snapshot, but a commit in flight then may lie
/// on either side of it, so it is kept as approximate and never replayed to.
/// Inside a pause the window's exact position replaces it. None on a
/// standby (no WAL position of its own) or an older server.
async fn approximate_position(client: &tokio_postgres::Client) -> Option<LogAt> {
    let row = client.query_one(crate::pause::positions::PG_POSITION, &[]).await.ok()?;
    let (lsn, segment): (Option<String>, Option<String>) = (row.get(0), row.get(1));
    crate::pause::positions::wal_at(&lsn?, &segment?).ok()
}

/// pg_dump in the snapshot, the rows counted in it, the archive's contents checked.
async fn dump_in(job: &Dump<'_>, snap: Snapshot) -> Result<Done> {
    let Dump { opts, password, dir, live, sink, cancel, .. } = *job;
    let p = &job.unit.profile;
    let format = format_of(opts, p.kind);
    let Snapshot { conn, id: snapshot, pass } = snap;
    let me = |e: tokio_postgres::Error| {
        crate::connect::postgres::map_error(e, p, password.is_some(), discovery::STATEMENT_TIMEOUT)
    };
    // The counts run beside pg_dump (same snapshot, so same instant): they cost
    // a second scan of each table, not extra wall time on top of the dump.
    let count_all = count_tables(&conn.client, &job.unit.found, cancel, &me);
    let out_name = format.pg_output();
    let out = dir.join(out_name);
    let tool = job.unit.found.tools.iter().find(|t| t.tool == "pg_dump").and_then(|t| t.path.clone());
    let tool = tool.unwrap_or("pg_dump".into());
    let (pass_path, out_s, session) = (pass.path_str(), out.display().to_string(), job.session());
    let namespaces = job.unit.namespaces();
    let cmd = commands::pg_dump(
        p,
        &tool,
        &namespaces,
        format,
        opts.jobs,
        &Runtime { pass_file: &pass_path, snapshot: &snapshot, output: &out_s, session: &session },
    );
    sink(JobEvent::Phase { phase: "dumping".into(), message: cmd.render() });
    let run = job.run(job.log_sink("dumping contents of table"), &namespaces);
    // The default format's archive streams through Quiesce uncompressed: its
    // rows are counted as they pass (no second scan). Other formats are
    // counted with SQL beside the dump, in the same snapshot.
    let stream_counts = format == DumpFormat::Default;
    let mut counter = pgarchive::ArchiveCounter::new();
    let counter_ref = &mut counter;
    let restore_tool = pg_restore_of(&job.unit.found, &tool);
    // The archive's first bytes go to `pg_restore --list` as soon as its table
    // of contents has passed, so that check runs during the dump, not after.
    let (toc_tx, toc_rx) = tokio::sync::oneshot::channel::<Vec<u8>>();
    let mut toc_tx = stream_counts.then_some(toc_tx);
    let mut prefix: Vec<u8> = Vec::new();
    let toc_early = async {
        match toc_rx.await {
            Ok(bytes) => Some(list_toc(&restore_tool, TocSource::Prefix(bytes)).await),
            Err(_) => None, // not streamed, or the counter gave up: the file is listed after the dump
        }
    };
    let dump = async {
        let mut files = Vec::new();
        let stderr = if format == DumpFormat::Directory {
            let dir_out = out.clone();
            let run = Run {
                stall: Stall { progress: Some(Arc::new(move || dir_bytes(&dir_out))), ..run.stall.clone() },
                ..run
            };
            let r = pipeline::run_tool(&cmd, &run).await?;
            files = hash_dir(&out, out_name)?;
            live.counters.written.store(files.iter().map(|f| f.bytes).sum(), Ordering::Relaxed);
            r
        } else {
            // Owns the sender: when the dump ends, so does the wait for the contents.
            let mut tap = move |b: &[u8]| {
                counter_ref.feed(b);
                if toc_tx.is_some() {
                    prefix.extend_from_slice(b);
                    if counter_ref.toc_read() {
                        let _ = toc_tx.take().map(|tx| tx.send(std::mem::take(&mut prefix)));
                    } else if counter_ref.failed().is_some() || prefix.len() > TOC_PREFIX_MAX {
                        (toc_tx, prefix) = (None, Vec::new());
                    }
                }
            };
            let tap: pipeline::Tap = if stream_counts { Some(&mut tap) } else { None };
            let r = pipeline::run_to_file(&cmd, &out, &run, tap).await?;
            files.push(ManifestFile { name: out_name.into(), bytes: r.bytes, sha256: r.sha256.clone() });
            if format == DumpFormat::Plain
                && !String::from_utf8_lossy(&r.tail).contains("PostgreSQL database dump complete")
            {
                return Err(Error::new(ErrorCode::DatabaseError, "pg_dump's output ends without its trailer (\"PostgreSQL database dump complete\"): the dump is incomplete."));
            }
            r.stderr
        };
        Ok::<_, Error>((files, stderr))
    };
    let mut early_toc = None;
    let (tables, files, stderr) = if stream_counts {
        // Owned here, so the count query (and its borrow of the connection) ends with this block.
        let count_all = count_all;
        let (dumped, toc) = tokio::join!(dump, toc_early);
        let (files, stderr) = dumped?;
        early_toc = toc;
        let tables = match counter.counts() {
            Some(counts) => streamed_counts(&job.unit.found, &counts, "The archive holds no complete data for")?,
            None => {
                // The snapshot is still open: count in it instead.
                tracing::info!("archive row counter gave up ({:?}); counting with SQL", counter.failed());
                count_all.await?
            }
        };
        (tables, files, stderr)
    } else {
        let (tables, (files, stderr)) = dump_error_first(tokio::join!(count_all, dump))?;
        (tables, files, stderr)
    };
    drop(pass);
    finish(job, conn, &stderr, early_toc, (&restore_tool, &out, format), &tables).await?;
    live.all_tables_done();
    Ok(Done {
        tool: tool_of(&job.unit.found, "pg_dump"),
        consistency: ConsistencyBasis {
            kind: "pg_exported_snapshot".into(),
            snapshot: Some(snapshot),
            note: if stream_counts {
                "pg_dump ran in the snapshot Quiesce exported from its REPEATABLE READ transaction; the row counts are the rows in the archive itself, counted as it was written.".into()
            } else {
                "pg_dump ran in the snapshot Quiesce exported from its REPEATABLE READ transaction; the row counts were taken with SQL in that same snapshot.".into()
            },
        },
        tables,
        files,
        restore_hint: commands::pg_restore_hint(format, opts.jobs),
        notes: vec![],
        writers_blocked_ms: None,
        log: None,
    })
}

/// Every table counted in the snapshot's transaction (beside pg_dump: same
/// instant, a second scan of each table but no extra wall time).
async fn count_tables(
    client: &tokio_postgres::Client,
    found: &StorageDiscovery,
    cancel: &tokio_util::sync::CancellationToken,
    me: &(dyn Fn(tokio_postgres::Error) -> Error + Sync),
) -> Result<Vec<ManifestTable>> {
    let mut tables = Vec::new();
    for t in &found.tables {
        let q = format!(
            "SELECT count(*) FROM {}",
            crate::live::table_name(crate::live::Dialect::Postgres, &t.namespace, &t.table)
        );
        let n: i64 = tokio::select! {
            r = client.query_one(&q, &[]) => r.map_err(me)?.get(0),
            _ = cancel.cancelled() => return Err(Error::cancelled_job()),
        };
        tables.push(ManifestTable::counted(t, Some(n), true));
    }
    Ok(tables)
}

/// After pg_dump: no error it kept quiet about, the snapshot released, the
/// archive's table of contents read back against the counted tables.
async fn finish(
    job: &Dump<'_>,
    conn: crate::connect::postgres::PgConn,
    stderr: &[String],
    early_toc: Option<Result<String>>,
    (restore_tool, out, format): (&str, &Path, DumpFormat),
    tables: &[ManifestTable],
) -> Result<()> {
    let errs = pipeline::error_lines(stderr);
    if !errs.is_empty() {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!("pg_dump reported errors although it exited 0:\n{}", errs.join("\n")),
        ));
    }
    // The snapshot had to live until pg_dump had imported it; now it can go.
    let _ = conn.client.batch_execute("COMMIT").await;
    drop(conn);
    job.live.set_phase("verifying");
    (job.sink)(JobEvent::Phase {
        phase: "verifying".into(),
        message: "Reading the archive's table of contents with pg_restore --list".into(),
    });
    match early_toc {
        Some(listed) => check_toc(&listed?, tables)?,
        None if format != DumpFormat::Plain => {
            verify_pg_toc(restore_tool, TocSource::File(out, format), tables).await?
        }
        None => {}
    }
    Ok(())
}

/// A table of contents larger than this is listed from the file instead.
const TOC_PREFIX_MAX: usize = 64 << 20;

/// The pg_restore that goes with the pg_dump used.
fn pg_restore_of(found: &StorageDiscovery, pg_dump_tool: &str) -> String {
    found
        .tools
        .iter()
        .find(|t| t.tool == "pg_restore")
        .and_then(|t| t.path.clone())
        .unwrap_or_else(|| Path::new(pg_dump_tool).with_file_name("pg_restore").display().to_string())
}

/// What `pg_restore --list` is given: the archive's first bytes as they
/// passed (header and table of contents, all it reads), or the file written.
enum TocSource<'a> {
    Prefix(Vec<u8>),
    File(&'a Path, DumpFormat),
}

/// pg_restore reads the archive's table of contents: it must list the data of
/// every table counted.
async fn verify_pg_toc(restore: &str, source: TocSource<'_>, tables: &[ManifestTable]) -> Result<()> {
    check_toc(&list_toc(restore, source).await?, tables)
}

/// `pg_restore --list` of an archive.
async fn list_toc(restore: &str, source: TocSource<'_>) -> Result<String> {
    let (chain, input) = match source {
        TocSource::Prefix(bytes) => (vec![commands::pg_restore_list(restore, None)], Some(bytes)),
        TocSource::File(out, DumpFormat::Default) => {
            (vec![commands::zstd_decompress().stdin_file(out), commands::pg_restore_list(restore, None)], None)
        }
        TocSource::File(out, _) => (vec![commands::pg_restore_list(restore, Some(&out.display().to_string()))], None),
    };
    let o = crate::tools::capture(&chain, input, std::time::Duration::from_secs(300)).await?;
    let toc = String::from_utf8_lossy(&o.stdout).into_owned();
    if !o.status.success() && toc.is_empty() {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!(
                "pg_restore could not read the archive just written: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
        ));
    }
    Ok(toc)
}

/// Every table counted has its data in the listing.
fn check_toc(toc: &str, tables: &[ManifestTable]) -> Result<()> {
    let missing: Vec<String> = tables
        .iter()
        .filter(|t| {
            !toc.lines().any(|l| l.contains("TABLE DATA") && l.contains(&format!(" {} {} ", t.namespace, t.table)))
        })
        .map(|t| t.physical_name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!(
                "The archive's table of contents lacks the data of {}: the dump is incomplete.",
                missing.join(", ")
            ),
        ));
    }
    Ok(())
}

/// Counts run beside the dump; when both fail (a server killed mid-dump), the
/// dump tool's own message is the one the user needs, not our count query's.
fn dump_error_first<T, U>(r: (Result<T>, Result<U>)) -> Result<(T, U)> {
    match r {
        (_, Err(e)) | (Err(e), Ok(_)) => Err(e),
        (Ok(a), Ok(b)) => Ok((a, b)),
    }
}
