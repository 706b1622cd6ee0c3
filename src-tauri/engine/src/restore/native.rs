//! A unit restored by the native tools (PostgreSQL, MySQL/MariaDB): its
//! commands, and its run — fed by Quiesce (for progress), optionally held
//! before the end of its input so its single transaction stays open.

use super::ownerless;
use super::prepare::{maintenance, Mode, Prepared, UnitPlan};
use super::RestoreOptions;
use crate::error::{Error, ErrorCode, Result};
use crate::job::{JobEvent, Journal, Live, Sink};
use crate::live::{quote_ident, Dialect, LiveConn};
use crate::plan::commands::{self, CommandLine, Runtime};
use crate::profile::DbKind;
use crate::tools::creds;
use crate::tools::pipeline::{self, Hold, Run, Stall};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Drops one of the deployment's namespaces: a schema on PostgreSQL, a database on MySQL.
pub(super) fn drop_namespace(d: Dialect, ns: &str) -> String {
    match d {
        Dialect::Mysql => format!("DROP DATABASE IF EXISTS {}", quote_ident(d, ns)),
        _ => format!("DROP SCHEMA IF EXISTS {} CASCADE", quote_ident(d, ns)),
    }
}

/// The commands of a unit's restore. `pass` is the pass file and `session`
/// the tools' `application_name` (placeholders in the preflight).
pub(super) fn chain_for(u: &UnitPlan, opts: &RestoreOptions, pass: &str, session: &str) -> Vec<CommandLine> {
    let rt = Runtime { pass_file: pass, snapshot: "", output: "", session };
    let file = |name: &str| u.dir.join(name).display().to_string();
    let t = &u.target;
    let replace = u.replaces(opts);
    let drops: Vec<String> = u.present.iter().map(|n| drop_namespace(Dialect::Postgres, n)).collect();
    let pg_restore = u.pg_restore.clone().unwrap_or("pg_restore".into());
    let psql = u.psql.clone().unwrap_or("psql".into());
    match (u.mode, u.unit.format.as_str()) {
        (Mode::PgSingle, "plain") => {
            vec![commands::psql_single_transaction(t, &psql, if replace { &drops } else { &[] }, &rt)
                .stdin_file(file(fed_input("plain").expect("a plain dump is fed")))]
        }
        (Mode::PgSingle, f) => {
            let input = fed_input(f).map(file);
            let archive_arg = input.is_none().then(|| file("postgresql.dir"));
            let mut chain = Vec::new();
            if f == "default" {
                chain.push(commands::zstd_decompress());
            }
            if replace {
                chain.push(commands::pg_restore_to_sql(&pg_restore, archive_arg.as_deref()));
                chain.push(commands::psql_single_transaction(t, &psql, &drops, &rt));
            } else {
                chain.push(commands::pg_restore_into(t, &pg_restore, archive_arg.as_deref(), None, &rt));
            }
            if let Some(i) = input {
                chain[0].stdin_file = Some(i.into());
            }
            chain
        }
        (Mode::PgParallel, _) => {
            vec![commands::pg_restore_into(t, &pg_restore, Some(&file("postgresql.dir")), opts.jobs, &rt)]
        }
        (Mode::MyFresh, "directory") => vec![commands::myloader(
            t,
            u.myloader.as_deref().unwrap_or("myloader"),
            &file("mysql.dir"),
            opts.jobs.unwrap_or(2),
            &rt,
        )],
        (Mode::MyFresh, f) => {
            let client = commands::mysql_client(t, u.mysql.as_deref().unwrap_or("mariadb"), &rt);
            if f == "default" {
                vec![commands::zstd_decompress().stdin_file(file("mysql.sql.zst")), client]
            } else {
                vec![client.stdin_file(file("mysql.sql"))]
            }
        }
        (Mode::Lite, _) => vec![],
    }
}

/// The file of a PostgreSQL unit that Quiesce reads and feeds the tools, by
/// the backup's format (none: pg_restore opens the directory itself).
pub(super) fn fed_input(format: &str) -> Option<&'static str> {
    match format {
        "default" => Some("postgresql.dump.zst"),
        "custom" => Some("postgresql.dump"),
        "plain" => Some("postgresql.sql"),
        _ => None,
    }
}

/// What the preflight shows for a unit: its pipeline, or the parallel load.
pub(super) fn render_unit(u: &UnitPlan, opts: &RestoreOptions, pass: &str, session: &str) -> Vec<String> {
    match super::myparallel::jobs(u, opts.jobs) {
        Some(n) => vec![super::myparallel::describe(u, n)],
        None => render_chain(&chain_for(u, opts, pass, session)),
    }
}

/// The pipeline as one shell-like line.
pub(super) fn render_chain(chain: &[CommandLine]) -> Vec<String> {
    if chain.is_empty() {
        return vec![];
    }
    vec![chain.iter().map(|c| c.render()).collect::<Vec<_>>().join(" | ")]
}

/// The tool's log lines to the sink; pg_restore -v's "processing data for
/// table" and myloader's "restoring `db`.`t`" count a table done.
fn log_to(sink: &Sink, live: &Arc<Live>) -> pipeline::LogFn {
    let (sink, live) = (sink.clone(), live.clone());
    Arc::new(move |line: String| {
        if line.contains("processing data for table") || line.contains("restoring `") || line.contains("Restoring `") {
            live.tables_done.fetch_add(1, Ordering::Relaxed);
        }
        sink(JobEvent::Log { line });
    })
}

/// Restores one unit with its native tools. With `hold`, the end of the
/// input waits for the go-ahead (its single transaction open meanwhile).
#[allow(clippy::too_many_arguments)]
pub(super) async fn restore(
    u: &UnitPlan,
    prep: &Prepared,
    opts: &RestoreOptions,
    hold: Option<Hold>,
    journal: &Journal,
    live: &Arc<Live>,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<()> {
    let pw = u.pw.as_ref();
    // Before the tool runs: the database to restore into, and for restores
    // that cannot be one transaction, the replaced namespaces dropped.
    if u.create_db {
        let db = u.target.database.clone().unwrap_or_default();
        // Recorded first: a restore killed outright is reported at the next start.
        journal.own(crate::job::Owned::Database { profile: u.target.name.clone(), database: db.clone() })?;
        let mut c = LiveConn::open(&maintenance(&u.target), pw, false).await?;
        c.exec(&format!("CREATE DATABASE {}", quote_ident(Dialect::Postgres, &db))).await?;
        c.close().await;
        sink(JobEvent::Log { line: format!("quiesce: created database {db}") });
    }
    if u.replaces(opts) && matches!(u.mode, Mode::PgParallel | Mode::MyFresh) {
        let mut c = LiveConn::open(&u.target, pw, false).await?;
        for ns in &u.present {
            c.exec(&drop_namespace(c.dialect(), ns)).await?;
            sink(JobEvent::Log { line: format!("quiesce: dropped {ns} (replaced)") });
        }
        c.close().await;
    }
    let several = if prep.units.len() > 1 { format!("{}: ", u.unit.id) } else { String::new() };
    if let Some(n) = super::myparallel::jobs(u, opts.jobs) {
        let line = super::myparallel::describe(u, n);
        sink(JobEvent::Phase { phase: "restoring".into(), message: format!("{several}{line}") });
        return super::myparallel::restore(u, n, live, sink, cancel).await;
    }
    let secret = pw.map(|s| s.expose().as_str()).unwrap_or("");
    let pass = match u.target.kind {
        DbKind::Postgresql => {
            let db = u.target.database.clone().unwrap_or_default();
            journal.cred_file(
                &format!("pgpass-{}", u.unit.id),
                &creds::pgpass(&u.target.pg_target(), &[db.as_str()], secret),
            )?
        }
        // myloader reads its own group; the client group serves the others.
        _ => journal.cred_file(&format!("my-{}.cnf", u.unit.id), &creds::my_cnf(secret, &["client", "myloader"]))?,
    };
    let session = format!("quiesce-{}", journal.id());
    let chain = chain_for(u, opts, &pass.path_str(), &session);
    sink(JobEvent::Phase { phase: "restoring".into(), message: format!("{several}{}", render_chain(&chain).join("")) });
    let run = Run {
        counters: live.counters.clone(),
        log: log_to(sink, live),
        cancel,
        stall: Stall::default_policy().with_server(crate::live::server_probe(
            &u.target,
            pw,
            &session,
            &u.unit.namespaces,
        )),
    };
    // A plain script carries the source's owners and grants; the target's
    // roles may differ, so they are left out as the other formats' --no-owner does.
    let mut ownerless = ownerless::OwnerlessSql::new();
    let filter: Option<&mut dyn pipeline::FeedFilter> =
        if u.unit.format == "plain" && u.mode == Mode::PgSingle { Some(&mut ownerless) } else { None };
    let expect = hold.as_ref().and_then(|h| h.expect.clone());
    let stderr = match pipeline::run_chain(&chain, filter, hold, &run).await {
        Ok(s) => s,
        Err(e) => return Err(corrupt_first(e, expect, &prep.folder).await),
    };
    if ownerless.dropped > 0 {
        sink(JobEvent::Log {
            line: format!(
                "quiesce: left out {} owner and privilege statement(s) of the plain script",
                ownerless.dropped
            ),
        });
    }
    drop(pass);
    let errs: Vec<String> = pipeline::error_lines(&stderr)
        .into_iter()
        // pg_restore -v names tables like "error_log"; only its own error lines count.
        .filter(|l| !l.contains("processing data for table") && !l.contains("creating TABLE"))
        .collect();
    if !errs.is_empty() {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!("The restore reported errors although its tools exited 0:\n{}", errs.join("\n")),
        ));
    }
    Ok(())
}

/// A tool that stopped on a streamed input before its end was checked (zstd
/// on a damaged frame, pg_restore on a bad block): the real cause is the
/// backup not matching its manifest, so the rest of the file is hashed to say so.
async fn corrupt_first(e: Error, expect: Option<crate::tools::digest::FileDigest>, folder: &std::path::Path) -> Error {
    let Some(f) = expect.filter(|_| !matches!(e.code, ErrorCode::Corrupt | ErrorCode::Cancelled)) else { return e };
    let path = folder.join(&f.name);
    let hashed = tokio::task::spawn_blocking(move || crate::catalog::manifest::sha256_file(&path)).await;
    match hashed {
        Ok(Ok((sha, n))) => match f.problem(n, &sha) {
            Some(p) => Error::new(
                ErrorCode::Corrupt,
                format!(
                    "The backup does not match its manifest, so its transaction rolled back:\n  {p}\n(the tools had stopped on it: {})",
                    e.message.lines().next().unwrap_or_default()
                ),
            ),
            None => e,
        },
        _ => e,
    }
}
