//! MySQL/MariaDB: one `mariadb-dump`/`mysqldump --single-transaction` of
//! every ScalarDB database at once (one per database would not be
//! consistent), compressed as it streams, its rows counted in the dump's own
//! SQL as it passes.

use super::dump::{streamed_counts, Done, Dump};
use super::prepare::format_of;
use super::sqlcount;
use crate::catalog::manifest::{ConsistencyBasis, ManifestFile, ManifestTable, ManifestTool};
use crate::catalog::window::{LogAt, LogBasis};
use crate::discovery;
use crate::error::{Error, ErrorCode, Result};
use crate::job::JobEvent;
use crate::plan::commands::{self, Runtime};
use crate::tools::creds;
use crate::tools::pipeline;
use std::path::Path;

/// Counts with SQL in a consistent-snapshot transaction of Quiesce's own:
/// for mydumper (before it starts), or when the dump stream could not be
/// counted (after it ended). That snapshot is not the dump's, so these
/// counts are marked as estimates.
pub(super) async fn count_all(job: &Dump<'_>) -> Result<Vec<ManifestTable>> {
    use mysql_async::prelude::Queryable;
    let p = &job.unit.profile;
    let mut conn = crate::connect::mysql::connect_profile(p, job.password).await?;
    let me = |e: mysql_async::Error| crate::connect::mysql::map_error(e, p, discovery::STATEMENT_TIMEOUT);
    conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY").await.map_err(me)?;
    let mut tables = Vec::new();
    for t in &job.unit.found.tables {
        let q = format!(
            "SELECT COUNT(*) FROM {}",
            crate::live::table_name(crate::live::Dialect::Mysql, &t.namespace, &t.table)
        );
        let n: Option<i64> = tokio::select! {
            r = conn.query_first(q) => r.map_err(me)?,
            _ = job.cancel.cancelled() => return Err(Error::cancelled_job()),
        };
        tables.push(ManifestTable::counted(t, n, false));
    }
    let _ = conn.query_drop("COMMIT").await;
    let _ = conn.disconnect().await;
    Ok(tables)
}

pub(super) async fn dump(job: &Dump<'_>) -> Result<Done> {
    let Dump { opts, dir, live, sink, .. } = *job;
    let (p, found) = (&job.unit.profile, &job.unit.found);
    let format = format_of(opts, p.kind);
    let cnf = job.journal.cred_file("my.cnf", &creds::my_cnf(job.pw(), &["client"]))?;
    let out_name = format.mysql_output();
    let out = dir.join(out_name);
    let tool = found
        .tools
        .iter()
        .find(|t| t.tool == "mariadb-dump" || t.tool == "mysqldump")
        .and_then(|t| t.path.clone())
        .unwrap_or("mysqldump".into());
    let (cnf_path, out_s) = (cnf.path_str(), out.display().to_string());
    let ns = job.unit.namespaces();
    let coordinates = commands::binlog_coordinates(found.product.as_deref(), found.binlog, &tool);
    let cmd = commands::mysql_dump(
        p,
        &tool,
        &ns,
        format,
        coordinates,
        &Runtime { pass_file: &cnf_path, snapshot: "", output: &out_s, session: "" },
    );
    sink(JobEvent::Phase { phase: "dumping".into(), message: cmd.render() });
    // The tool says when its consistent snapshot is open: after "-- Starting
    // transaction...", its next line (a savepoint, a table) comes from inside it.
    let log = job.log_sink("Retrieving table structure for table");
    let log: pipeline::LogFn = match job.opened.clone() {
        Some(opened) => std::sync::Arc::new(move |line: String| {
            if line.contains("Setting savepoint") || line.contains("Retrieving table structure") {
                opened();
            }
            log(line)
        }),
        None => log,
    };
    let run = job.run(log, &ns);
    // The rows are counted in the dump as it streams past: exactly the dump's
    // snapshot, and no second scan of the database beside it.
    let mut counter = sqlcount::SqlDumpCounter::new();
    // The coordinates come before the first database, in the dump's head.
    let mut head: Vec<u8> = Vec::new();
    job.ready_then_go().await?;
    let r = {
        let mut tap = |b: &[u8]| {
            if head.len() < HEAD {
                head.extend_from_slice(&b[..b.len().min(HEAD - head.len())]);
            }
            counter.feed(b)
        };
        pipeline::run_to_file(&cmd, &out, &run, Some(&mut tap)).await?
    };
    drop(cnf);
    let errs = pipeline::error_lines(&r.stderr);
    if !errs.is_empty() {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!("{} reported errors although it exited 0:\n{}", tool, errs.join("\n")),
        ));
    }
    if !String::from_utf8_lossy(&r.tail).contains("-- Dump completed") {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            "The dump ends without its trailer (\"-- Dump completed\"): it is incomplete.",
        ));
    }
    let (tables, exact) = match counter.counts() {
        Some(counts) => (streamed_counts(&job.unit.found, counts, "The dump holds no table")?, true),
        None => {
            tracing::info!(
                "the dump's rows could not be counted as it streamed ({:?}); counting with SQL",
                counter.failed()
            );
            (count_all(job).await?, false)
        }
    };
    live.all_tables_done();
    let log = coordinates.then(|| {
        let at = snapshot_position(&head, &r.tail).unwrap_or_else(|| LogAt::Unread {
            reason: format!("{tool} wrote no binary log coordinates although --master-data was given"),
        });
        (at, LogBasis::Snapshot)
    });
    let mut notes = Vec::new();
    if found.binlog == Some(false) {
        notes.push("The server writes no binary log (log_bin is off): this backup has no binlog coordinates, so no later point can be reached from it by replaying the log.".to_string());
    }
    Ok(Done {
        tool: found.tools.iter().find(|t| t.tool == "mariadb-dump" || t.tool == "mysqldump").map(|t| ManifestTool {
            name: t.tool.clone(),
            path: t.path.clone().unwrap_or_default(),
            version: t.version.clone().unwrap_or_default(),
        }),
        consistency: ConsistencyBasis {
            kind: "mysql_single_transaction".into(),
            snapshot: None,
            note: format!(
                "One {} --single-transaction over databases {} (InnoDB, checked): one consistent snapshot. {}",
                Path::new(&tool).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
                ns.join(", "),
                if exact {
                    "The row counts are the rows in the dump itself, counted as it was written."
                } else {
                    "The row counts were taken with SQL in a separate snapshot after the dump, so they are estimates of the dump's."
                }
            ),
        },
        tables,
        files: vec![ManifestFile { name: out_name.into(), bytes: r.bytes, sha256: r.sha256 }],
        restore_hint: commands::mysql_restore_hint(format),
        notes,
        writers_blocked_ms: None,
        log,
    })
}

/// How much of the dump's start is kept to find its coordinates in.
const HEAD: usize = 64 * 1024;

/// The binlog coordinates of the dump's own snapshot, as `mariadb-dump
/// --master-data=2` writes them (client/mysqldump.c, MariaDB 10.11,
/// `do_show_master_status`): a commented `CHANGE MASTER TO` before the first
/// database, and the GTID position of that very point (`BINLOG_GTID_POS`),
/// deferred to the end as a commented `SET GLOBAL gtid_slave_pos`.
fn snapshot_position(head: &[u8], tail: &[u8]) -> Option<LogAt> {
    let head = String::from_utf8_lossy(head);
    let line = head.lines().find(|l| l.starts_with("-- CHANGE MASTER TO MASTER_LOG_FILE='"))?;
    let rest = &line["-- CHANGE MASTER TO MASTER_LOG_FILE='".len()..];
    let (file, rest) = rest.split_once("', MASTER_LOG_POS=")?;
    let position = rest.strip_suffix(';')?.trim().parse().ok()?;
    if file.is_empty() || file.chars().any(char::is_control) {
        return None;
    }
    let tail = String::from_utf8_lossy(tail);
    let gtid = tail
        .lines()
        .filter_map(|l| l.strip_prefix("-- SET GLOBAL gtid_slave_pos='")?.strip_suffix("';"))
        .next_back()
        .filter(|g| !g.is_empty() && !g.chars().any(char::is_control))
        .map(str::to_string);
    Some(LogAt::Binlog { file: file.to_string(), position, gtid })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snapshot_coordinates_are_read_from_the_dump_s_head_and_tail() {
        // As MariaDB 10.11's mariadb-dump writes them (its mysql-test results).
        let head = b"/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump 10.19\n--\n-- Alternately, following is the position of the binary logging from SHOW MASTER STATUS at point of backup.\n--\n\n-- CHANGE MASTER TO MASTER_LOG_FILE='mariadb-bin.000003', MASTER_LOG_POS=1234;\n\n-- A corresponding to the above master-data CHANGE-MASTER settings to the slave gtid state is printed as comments later in the file.\n\nCREATE DATABASE x;\n";
        let tail = b"-- The deferred gtid setting for slave corresponding to the master-data CHANGE-MASTER follows\n-- Preferably use GTID to start replication from GTID position:\n\n-- SET GLOBAL gtid_slave_pos='0-1-17';\n/*!40103 SET TIME_ZONE=@OLD_TIME_ZONE */;\n\n-- Dump completed on 2026-12-07 10:00:00\n";
        assert_eq!(
            snapshot_position(head, tail),
            Some(LogAt::Binlog { file: "mariadb-bin.000003".into(), position: 1234, gtid: Some("0-1-17".into()) })
        );
        assert_eq!(
            snapshot_position(head, b"-- Dump completed\n"),
            Some(LogAt::Binlog { file: "mariadb-bin.000003".into(), position: 1234, gtid: None })
        );
        assert_eq!(snapshot_position(b"CREATE DATABASE x;\n", tail), None);
        assert_eq!(snapshot_position(b"-- CHANGE MASTER TO MASTER_LOG_FILE='', MASTER_LOG_POS=4;\n", tail), None);
        assert_eq!(snapshot_position(b"-- CHANGE MASTER TO MASTER_LOG_FILE='f', MASTER_LOG_POS=x;\n", tail), None);
    }
}
