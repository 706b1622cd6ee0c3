//! What a restore says and leaves: how each unit runs and what a failure
//! leaves (decided up front, shown in the preflight), the order of the
//! units, the cleanup after a failure — which depends on how far each unit
//! got — and what follows a success (grants, restarting ScalarDB).

use super::native::drop_namespace;
use super::prepare::{maintenance, Mode, Prepared, UnitPlan};
use super::RestoreOptions;
use crate::error::{ErrorCode, Result};
use crate::job::{JobEvent, Sink};
use crate::live::{quote_ident, Dialect, LiveConn};
use crate::profile::DbKind;

/// How far a unit of a restore got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    NotStarted,
    Running,
    /// SQLite: the checked copy lies beside the target, not yet in place.
    Copied,
    /// PostgreSQL: the go-ahead to commit was given.
    Committing,
    Committed,
    Failed,
}

/// How a unit is restored, and what a failure leaves on its target.
pub(super) fn describe(u: &UnitPlan, opts: &RestoreOptions) -> (String, String) {
    let replace = u.replaces(opts);
    let db = u.target.database.as_deref().unwrap_or("?");
    let created = if u.create_db {
        format!(" The database {db} is created first and dropped again on failure.")
    } else {
        String::new()
    };
    match u.mode {
        Mode::PgSingle => {
            let how = if u.unit.format == "plain" {
                format!(
                    "psql runs the plain script in one transaction{}, its owner and privilege statements left out (the target's roles may differ).",
                    if replace { ", after dropping the replaced schemas inside that same transaction" } else { "" }
                )
            } else if replace {
                "psql runs the archive in one transaction, after dropping the replaced schemas inside that same transaction.".into()
            } else {
                "pg_restore in one transaction (--single-transaction), without owners or grants.".into()
            };
            (
                how + &created,
                if u.create_db {
                    "Nothing: the transaction rolls back and the database Quiesce created is dropped.".into()
                } else {
                    "The target exactly as it was: the transaction rolls back (replaced schemas included).".into()
                },
            )
        }
        Mode::PgParallel => (
            format!(
                "pg_restore -j {} into freshly created schemas (parallel workers cannot share one transaction).{created}",
                opts.jobs.unwrap_or(2)
            ),
            if replace {
                "Quiesce drops the schemas it was restoring: the target holds none of the deployment's namespaces, and what it held before was dropped at the start.".into()
            } else {
                "Quiesce drops the schemas it was restoring: the target holds none of the deployment's namespaces, as before.".into()
            },
        ),
        Mode::MyFresh => (
            format!(
                "{} into freshly created databases (MySQL cannot roll back DDL, so a restore is never one transaction).",
                match (u.unit.format.as_str(), super::myparallel::jobs(u, opts.jobs)) {
                    ("directory", _) => "myloader".to_string(),
                    (_, Some(n)) => format!(
                        "Quiesce loads the dump over {} connections (tables in order on one, rows on {n}; --jobs 1 runs the mariadb/mysql client alone)",
                        n + 1
                    ),
                    _ => "The mariadb/mysql client".to_string(),
                }
            ),
            if replace {
                "Quiesce drops the databases it was restoring: the target holds none of the deployment's databases, and what it held before was dropped at the start.".into()
            } else {
                "Quiesce drops the databases it was restoring: the target holds none of the deployment's databases, as before.".into()
            },
        ),
        Mode::Lite => (
            "The backup (a complete SQLite database) is copied into a temporary file beside the target while it is checked against its manifest; the checked copy then replaces the target by an atomic rename.".into(),
            "The target file exactly as it was (the temporary copy is removed).".into(),
        ),
    }
}

/// In which order the units are restored, and why.
pub(super) fn order(prep: &Prepared) -> String {
    if prep.units.len() == 1 {
        return "One unit.".into();
    }
    let names = |f: &dyn Fn(&UnitPlan) -> bool| {
        prep.units.iter().filter(|u| f(u)).map(|u| format!("{} ({})", u.unit.id, u.target.name)).collect::<Vec<_>>()
    };
    let groups = [
        (
            names(&|u| u.mode != Mode::Lite && !u.holdable()),
            "which commit as they go (dropped again if a later unit fails)",
        ),
        (names(&|u| u.mode == Mode::Lite), "copied beside their targets, not yet in place"),
        (names(&|u| u.holdable()), "each in one transaction held open before its end"),
    ];
    let parts: Vec<String> = groups
        .iter()
        .filter(|(units, _)| !units.is_empty())
        .enumerate()
        .map(|(k, (units, how))| format!("{} {} {how}", if k == 0 { "first" } else { "then" }, units.join(", ")))
        .collect();
    format!(
        "What can be rolled back waits for what cannot: {}; only when every unit got that far are the transactions committed and the copies renamed into place.",
        parts.join("; ")
    )
}

/// What to do after a successful restore.
pub(super) fn after_steps(prep: &Prepared, opts: &RestoreOptions) -> Vec<String> {
    let targets = prep.units.iter().map(|u| u.target.target()).collect::<Vec<_>>().join(", ");
    let mut v = vec![format!(
        "Start ScalarDB only now; if it ran against other databases, point scalar.db.contact_points (or each storage's JDBC URL) at {targets} and restart every ScalarDB node: its metadata cache and connections belong to the old databases."
    )];
    for u in prep.units.iter().filter(|u| u.mode != Mode::Lite && !opts.grants) {
        v.push(match &u.unit.grants {
            Some(g) if !g.statements.is_empty() => format!(
                "Owners and grants were not restored on {} (its roles may differ). The backup recorded {} privilege(s) of {}: re-apply them with a restore option (CLI: --grants [--grant-to ROLE]) or grant them by hand.",
                u.target.name,
                g.statements.len(),
                g.grantee
            ),
            _ => format!("Owners and grants were not restored on {} (its roles may differ): grant the ScalarDB user its privileges on the restored namespaces.", u.target.name),
        });
    }
    v
}

/// After a failure: each target cleaned up as far as its state allows, and
/// what it holds now ("Target: …", or one line per unit).
pub(super) async fn after_failure(prep: &Prepared, opts: &RestoreOptions, states: &[State]) -> String {
    let mut lines = Vec::new();
    for (u, s) in prep.units.iter().zip(states) {
        lines.push((u, unit_after_failure(u, opts, *s).await));
    }
    if let [(_, said)] = lines.as_slice() {
        return format!("Target: {said}");
    }
    let mut out = String::from("Targets:");
    for (u, said) in lines {
        out.push_str(&format!("\n  {} ({}): {said}", u.unit.id, u.target.name));
    }
    out
}

async fn unit_after_failure(u: &UnitPlan, opts: &RestoreOptions, state: State) -> String {
    match (u.mode, state) {
        (_, State::NotStarted) => "untouched (the restore stopped before this unit).".into(),
        (Mode::PgSingle, State::Committed) => format!(
            "holds the backup's data, committed before another unit failed: drop its namespaces ({}) or keep it.",
            u.unit.namespaces.join(", ")
        ),
        (Mode::Lite, State::Committed) => "replaced by the backup's copy before another unit failed.".into(),
        (Mode::Lite, _) => describe(u, opts).1,
        _ => drop_what_was_restored(u, opts).await,
    }
}

/// Drops what a failed restore of `u` created or was restoring, and says
/// what the target holds now.
async fn drop_what_was_restored(u: &UnitPlan, opts: &RestoreOptions) -> String {
    let (_, said) = describe(u, opts);
    let pw = u.pw.as_ref();
    let r: Result<()> = async {
        match u.mode {
            Mode::PgSingle | Mode::PgParallel if u.create_db => {
                let mut c = LiveConn::open(&maintenance(&u.target), pw, false).await?;
                let db = quote_ident(Dialect::Postgres, u.target.database.as_deref().unwrap_or_default());
                c.exec(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await?;
                c.close().await;
            }
            Mode::PgParallel | Mode::MyFresh => {
                let mut c = LiveConn::open(&u.target, pw, false).await?;
                for ns in &u.unit.namespaces {
                    c.exec(&drop_namespace(c.dialect(), ns)).await?;
                }
                c.close().await;
            }
            _ => {}
        }
        Ok(())
    }
    .await;
    let Err(e) = r else { return said };
    // The restore's own failure is already said; here what stops the cleanup.
    let why = match e.code {
        ErrorCode::ConnectionRefused | ErrorCode::Timeout | ErrorCode::HostNotFound => format!(
            "the server no longer answers ({})",
            e.message.split(" (").nth(1).map(|r| r.trim_end_matches(['.', ')'])).unwrap_or("no connection")
        ),
        _ => e.message.clone(),
    };
    let db = u.target.database.clone().unwrap_or_default();
    match u.mode {
        // One transaction: the server rolled it back when the session ended.
        Mode::PgSingle if u.create_db => format!(
            "the restore's single transaction was rolled back, so the database \"{db}\" that Quiesce created for it holds nothing; Quiesce could not drop it because {why}. When the server is back, drop it (DROP DATABASE {};) or restore into it again.",
            quote_ident(Dialect::Postgres, &db)
        ),
        Mode::PgSingle => format!("exactly as it was: the restore's single transaction was rolled back (Quiesce could not confirm it because {why})."),
        Mode::PgParallel if u.create_db => format!(
            "Quiesce could not drop the database \"{db}\" it created, which may hold part of the restore, because {why}. When the server is back, drop it (DROP DATABASE {};).",
            quote_ident(Dialect::Postgres, &db)
        ),
        _ => format!(
            "Quiesce could not drop what it was restoring because {why}: the target may hold part of {}. Drop those {} before using it.",
            u.unit.namespaces.join(", "),
            if u.target.kind == DbKind::Mysql { "databases" } else { "schemas" }
        ),
    }
}

/// Re-applies the grants recorded with each unit, when asked for.
pub(super) async fn apply_grants(prep: &Prepared, opts: &RestoreOptions, sink: &Sink) -> Result<Vec<String>> {
    let mut applied = Vec::new();
    if !opts.grants {
        return Ok(applied);
    }
    for u in &prep.units {
        let Some(g) = &u.unit.grants else { continue };
        let who = opts.grant_to.clone().unwrap_or_else(|| g.grantee.clone());
        sink(JobEvent::Phase {
            phase: "grants".into(),
            message: format!("Granting the recorded privileges to {who} on {}…", u.target.name),
        });
        let mut conn = LiveConn::open(&u.target, u.pw.as_ref(), false).await?;
        let r = crate::grants::apply(&mut conn, g, &who).await;
        conn.close().await;
        applied.extend(r.map_err(|e| {
            crate::Error::new(
                e.code,
                format!("The restore completed and was verified, but re-applying the grants failed: {}. Grant them by hand.", e.message),
            )
        })?);
    }
    Ok(applied)
}
