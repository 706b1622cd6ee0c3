//! mydumper: a parallel dump into a directory in one consistent snapshot,
//! refused when its snapshot was not consistent (without RELOAD it says so
//! only in its log and exit status), stopped when it stalls.

use super::dump::{dir_bytes, hash_dir, Done, Dump};
use crate::catalog::manifest::{ConsistencyBasis, ManifestTool};
use crate::error::{Error, ErrorCode, Result};
use crate::job::JobEvent;
use crate::plan::commands::{self, DumpFormat, Runtime};
use crate::tools::creds;
use crate::tools::pipeline::{self, Run, Stall};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// mydumper's parallel dump into a directory, refused when its snapshot was
/// not consistent (no RELOAD: it says so only in its log and exit status).
pub(super) async fn dump(job: &Dump<'_>) -> Result<Done> {
    let tables = super::mysql::count_all(job).await?;
    let Dump { opts, dir, live, sink, cancel, .. } = *job;
    let p = &job.unit.profile;
    // mydumper reads its own group; the client group keeps other tools happy.
    let cnf = job.journal.cred_file("my.cnf", &creds::my_cnf(job.pw(), &["client", "mydumper"]))?;
    let out = dir.join(DumpFormat::Directory.mysql_output());
    crate::paths::create_private_dir(&out)?;
    // mydumper opens its snapshots inside its own run, after the start line;
    // its password file and folder exist before it (nothing left to fail here).
    job.ready_then_go().await?;
    let found = crate::discovery::tools::find_all(p, "mydumper");
    let tool = found.first().map(|t| t.path.display().to_string()).unwrap_or("mydumper".into());
    let ns = job.unit.namespaces();
    let (cnf_path, out_s) = (cnf.path_str(), out.display().to_string());
    let cmd = commands::mydumper(
        p,
        &tool,
        &ns,
        opts.jobs.unwrap_or(2),
        &Runtime { pass_file: &cnf_path, snapshot: "", output: &out_s, session: "" },
    )?;
    sink(JobEvent::Phase { phase: "dumping".into(), message: cmd.render() });
    fn inconsistent(text: &str) -> bool {
        text.contains("snapshots will not be consistent") || text.contains("Couldn't acquire global lock")
    }
    let refuse = || {
        Error::new(
            ErrorCode::PermissionDenied,
            format!(
                "mydumper could not take its global lock (FLUSH TABLES WITH READ LOCK), so its threads' snapshots would not be consistent; the dump was discarded. Grant the user RELOAD (GRANT RELOAD ON *.* TO {}), or use the default format (one mysqldump --single-transaction, which needs no RELOAD).",
                p.user.as_deref().unwrap_or("?")
            ),
        )
    };
    // The moment mydumper says its snapshots will not be consistent, the dump
    // is worthless: stop it then (mydumper 0.10 can also hang after that line).
    let stop = cancel.child_token();
    let flagged = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let inner = job.log_sink("dumping data for");
    // In a pause, the pause can end once every thread's transaction is open:
    // mydumper says so (every release since 0.9) before releasing its lock.
    let opened_said = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let log: pipeline::LogFn = {
        let (stop, flagged, said, opened) = (stop.clone(), flagged.clone(), opened_said.clone(), job.opened.clone());
        Arc::new(move |line: String| {
            if inconsistent(&line) {
                flagged.store(true, Ordering::Relaxed);
                stop.cancel();
            } else if line.contains(SNAPSHOTS_OPEN) && !flagged.load(Ordering::Relaxed) {
                said.store(true, Ordering::Relaxed);
                if let Some(f) = &opened {
                    f();
                }
            }
            inner(line)
        })
    };
    // mydumper is known to hang now and then, and its global lock can wait
    // (blocking every write) behind a long statement: a dump that neither
    // logs nor writes for MYDUMPER_STALL is stopped rather than left running.
    let out_dir = out.clone();
    let run = Run {
        counters: live.counters.clone(),
        log,
        cancel: &stop,
        stall: Stall {
            limit: MYDUMPER_STALL,
            progress: Some(Arc::new(move || dir_bytes(&out_dir))),
            server: None,
            advice: "mydumper was waiting for its global read lock (FLUSH TABLES WITH READ LOCK waits behind long-running statements and blocks every write meanwhile), or it hung (an intermittent fault of mydumper). Run the backup again, or use the default format (one mysqldump --single-transaction, no global lock).".into(),
        },
    };
    let said = match pipeline::run_tool(&cmd, &run).await {
        Ok(s) => s,
        Err(_) if flagged.load(Ordering::Relaxed) => return Err(refuse()),
        Err(e) if inconsistent(&e.message) => return Err(refuse()),
        Err(e) => return Err(e),
    };
    drop(cnf);
    if said.iter().any(|l| inconsistent(l)) {
        return Err(refuse());
    }
    let meta = std::fs::read_to_string(out.join("metadata")).unwrap_or_default();
    if !meta.contains("Finished dump at") {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            "mydumper's metadata file lacks \"Finished dump at\": the dump is incomplete.",
        ));
    }
    let files = hash_dir(&out, DumpFormat::Directory.mysql_output())?;
    live.counters.written.store(files.iter().map(|f| f.bytes).sum(), Ordering::Relaxed);
    live.all_tables_done();
    Ok(Done {
        tool: found.first().map(|t| ManifestTool { name: "mydumper".into(), path: t.path.display().to_string(), version: t.version.clone() }),
        consistency: ConsistencyBasis {
            kind: "mydumper_consistent_snapshot".into(),
            snapshot: meta.lines().find(|l| l.contains("Log:") || l.contains("Pos:")).map(|l| l.trim().to_string()),
            note: format!(
                "mydumper with {} threads opened its consistent-snapshot transactions under FLUSH TABLES WITH READ LOCK (checked: the lock was taken). Row counts come from a separate snapshot just before, so they are estimates.",
                opts.jobs.unwrap_or(2)
            ),
        },
        tables,
        files,
        restore_hint: commands::mysql_restore_hint(DumpFormat::Directory),
        notes: if job.gate.is_some() && !opened_said.load(Ordering::Relaxed) {
            vec![format!("mydumper never said \"{SNAPSHOTS_OPEN}\", so ScalarDB stayed paused until its dump ended.")]
        } else {
            vec![]
        },
        writers_blocked_ms: None,
        log: None,
    })
}

/// mydumper's line once every thread's consistent-snapshot transaction is open.
const SNAPSHOTS_OPEN: &str = "Transactions started, unlocking tables";

/// How long mydumper may go without a log line or a written byte.
const MYDUMPER_STALL: std::time::Duration = std::time::Duration::from_secs(30);
