//! Discovery on PostgreSQL (and YugabyteDB YSQL): a namespace is a schema of
//! the profile's database.

use super::*;
use crate::connect::postgres::{connect, map_error};
use crate::sensitive::Sensitive;
use tokio_postgres::error::SqlState;

/// Exact counts below this size; estimates (pg_class.reltuples) above.
const EXACT_COUNT_BELOW_BYTES: i64 = 64 << 20;

pub(crate) fn qi(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub(super) async fn discover(
    p: &Profile,
    password: Option<&Sensitive<String>>,
    e: &Expect<'_>,
    out: &mut StorageDiscovery,
) -> Result<()> {
    // The client tools are probed while the connection is made.
    let probe = {
        let p = p.clone();
        tokio::task::spawn_blocking(move || tools::find_each(&p, &["pg_dump", "pg_restore"]))
    };
    let conn = connect(p, password).await?;
    let c = &conn.client;
    let me = |err: tokio_postgres::Error| map_error(err, p, password.is_some(), STATEMENT_TIMEOUT);
    c.batch_execute(&format!(
        "SET statement_timeout = {}; SET default_transaction_read_only = on",
        STATEMENT_TIMEOUT.as_millis()
    ))
    .await
    .map_err(me)?;
    out.reachable = true;
    let row = c
        .query_one("SELECT current_setting('server_version'), current_user::text, current_database()::text", &[])
        .await
        .map_err(me)?;
    let version: String = row.get(0);
    let user: String = row.get(1);
    let database: String = row.get(2);
    out.product = Some(if version.contains("-YB-") { "YugabyteDB".into() } else { "PostgreSQL".into() });
    out.server_major = major_of(&version);
    out.server_version = Some(version);

    // The tools for this server.
    let found = probe.await.map_err(|e| Error::internal(format!("a background task failed: {e}")))?;
    let dump = tools::check_pg_tool("pg_dump", &found[0], out.server_major);
    if !dump.ok {
        let code = if dump.path.is_some() { "tool_too_old" } else { "tool_missing" };
        out.blocking(
            code,
            if dump.path.is_some() { ErrorCode::Unsupported } else { ErrorCode::FileNotFound },
            dump.message.clone(),
        );
    }
    out.tools.push(dump);
    out.tools.push(tools::check_pg_tool("pg_restore", &found[1], out.server_major));

    let listed = read_metadata(c, e, &user, &database, out, &me).await?;
    read_listed(c, e, &user, &listed, out, &me).await?;
    if e.uses_coordinator {
        read_coordinator(c, e, &user, &listed, out, &me).await?;
    }

    // Tables with Consensus Commit columns that the metadata does not list.
    let rows = c
        .query(
            "SELECT n.nspname::text, c.relname::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid \
             WHERE c.relkind IN ('r','p') AND NOT a.attisdropped \
               AND a.attname IN ('tx_id','tx_state','tx_version','tx_prepared_at') \
             GROUP BY 1, 2 HAVING count(*) = 4 ORDER BY 1, 2",
            &[],
        )
        .await
        .map_err(me)?;
    report_unlisted(out, &listed, rows.iter().map(|r| (r.get(0), r.get(1))).collect());

    out.settle_namespaces(e.system_namespace);
    Ok(())
}

/// ScalarDB's metadata table: the tables it lists, as (namespace, table).
async fn read_metadata(
    c: &tokio_postgres::Client,
    e: &Expect<'_>,
    user: &str,
    database: &str,
    out: &mut StorageDiscovery,
    me: &(dyn Fn(tokio_postgres::Error) -> Error + Sync),
) -> Result<Vec<(String, String)>> {
    Ok(match relation(c, e.system_namespace, "metadata").await.map_err(me)? {
        None => {
            out.blocking(
                "no_metadata",
                ErrorCode::InvalidInput,
                format!(
                    "Database \"{database}\" has no ScalarDB metadata table {}.metadata: Quiesce cannot tell which schemas are ScalarDB's. Is this the database of ScalarDB's JDBC URL, and is the system namespace right?",
                    e.system_namespace
                ),
            );
            Vec::new()
        }
        Some(r) if !r.readable => {
            out.blocking(
                "namespace_unreadable",
                ErrorCode::PermissionDenied,
                format!(
                    "User \"{user}\" may not read {}.metadata. Grant it: GRANT USAGE ON SCHEMA {ns} TO {user}; GRANT SELECT ON ALL TABLES IN SCHEMA {ns} TO {user};",
                    e.system_namespace,
                    ns = qi(e.system_namespace)
                ),
            );
            Vec::new()
        }
        Some(r) => {
            out.metadata_found = true;
            let rows = c
                .query(
                    &format!("SELECT DISTINCT full_table_name FROM {}.metadata ORDER BY 1", qi(e.system_namespace)),
                    &[],
                )
                .await
                .map_err(me)?;
            let n: i64 = c
                .query_one(&format!("SELECT count(*) FROM {}.metadata", qi(e.system_namespace)), &[])
                .await
                .map_err(me)?
                .get(0);
            out.tables.push(metadata_table(
                e.system_namespace,
                format!("{}.metadata", e.system_namespace),
                Some(n),
                Some(r.size),
            ));
            rows.iter().filter_map(|r| split_full_name(&r.get::<_, String>(0))).collect()
        }
    })
}

/// The tables the metadata lists: present, readable, their sizes and in-flight records.
async fn read_listed(
    c: &tokio_postgres::Client,
    e: &Expect<'_>,
    user: &str,
    listed: &[(String, String)],
    out: &mut StorageDiscovery,
    me: &(dyn Fn(tokio_postgres::Error) -> Error + Sync),
) -> Result<()> {
    let mut unreadable_reported = std::collections::HashSet::new();
    for (ns, t) in listed {
        let mut info = TableInfo { in_metadata: true, ..TableInfo::named(ns, t, format!("{ns}.{t}")) };
        match relation(c, ns, t).await.map_err(me)? {
            None => out.finding(
                Severity::Warning,
                "missing_table",
                format!(
                    "ScalarDB's metadata lists {ns}.{t}, but the table does not exist (dropped outside ScalarDB?)."
                ),
            ),
            Some(r) => {
                info.size_bytes = Some(r.size);
                info.rows = (r.reltuples >= 0).then_some(r.reltuples);
                if !r.readable {
                    if unreadable_reported.insert(ns.clone()) {
                        out.blocking(
                            "namespace_unreadable",
                            ErrorCode::PermissionDenied,
                            format!(
                                "User \"{user}\" may not read namespace {ns}: a backup as this user would miss it. Grant it: GRANT USAGE ON SCHEMA {q} TO {user}; GRANT SELECT ON ALL TABLES IN SCHEMA {q} TO {user};",
                                q = qi(ns)
                            ),
                        );
                    }
                } else {
                    if e.count_rows {
                        count_in_flight(c, &mut info, r.size, out).await?;
                    }
                }
                out.tables.push(info);
            }
        }
    }
    Ok(())
}

/// The coordinator table, counted exactly when small.
async fn read_coordinator(
    c: &tokio_postgres::Client,
    e: &Expect<'_>,
    user: &str,
    listed: &[(String, String)],
    out: &mut StorageDiscovery,
    me: &(dyn Fn(tokio_postgres::Error) -> Error + Sync),
) -> Result<()> {
    if let Some(r) = relation(c, e.coordinator_namespace, "state").await.map_err(me)? {
        out.coordinator_found = true;
        let mut info = TableInfo {
            in_metadata: listed.iter().any(|(n, t)| n == e.coordinator_namespace && t == "state"),
            is_coordinator: true,
            rows: (r.reltuples >= 0).then_some(r.reltuples),
            size_bytes: Some(r.size),
            ..TableInfo::named(e.coordinator_namespace, "state", format!("{}.state", e.coordinator_namespace))
        };
        if r.readable && r.size < EXACT_COUNT_BELOW_BYTES && e.count_rows {
            if let Ok(row) =
                c.query_one(&format!("SELECT count(*) FROM {}.state", qi(e.coordinator_namespace)), &[]).await
            {
                info.rows = Some(row.get(0));
                info.rows_exact = true;
            }
        } else if !r.readable {
            out.blocking(
                    "namespace_unreadable",
                    ErrorCode::PermissionDenied,
                    format!("User \"{user}\" may not read the coordinator table {}.state: a backup without it cannot be recovered.", e.coordinator_namespace),
                );
        }
        out.tables.retain(|t| !(t.namespace == info.namespace && t.table == "state"));
        out.tables.push(info);
    }
    Ok(())
}

struct Rel {
    readable: bool,
    size: i64,
    reltuples: i64,
}

/// A table's catalog facts, without reading it (visible whatever the privileges).
async fn relation(
    c: &tokio_postgres::Client,
    ns: &str,
    t: &str,
) -> std::result::Result<Option<Rel>, tokio_postgres::Error> {
    let row = c
        .query_opt(
            "SELECT has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(c.oid, 'SELECT'), \
                    pg_total_relation_size(c.oid), c.reltuples::bigint \
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r','p')",
            &[&ns, &t],
        )
        .await?;
    Ok(row.map(|r| Rel { readable: r.get(0), size: r.get(1), reltuples: r.get(2) }))
}

/// PREPARED/DELETED records now; exact row count for small tables. A table
/// too big for the statement timeout gets a finding, not a failure.
async fn count_in_flight(
    c: &tokio_postgres::Client,
    info: &mut TableInfo,
    size: i64,
    out: &mut StorageDiscovery,
) -> Result<()> {
    let q = format!(
        "SELECT count(*) FILTER (WHERE tx_state = 1), count(*) FILTER (WHERE tx_state = 2){} FROM {}.{}",
        if size < EXACT_COUNT_BELOW_BYTES { ", count(*)" } else { "" },
        qi(&info.namespace),
        qi(&info.table)
    );
    let q = if size < EXACT_COUNT_BELOW_BYTES { q } else { format!("{q} WHERE tx_state IN (1, 2)") };
    match c.query_one(&q, &[]).await {
        Ok(r) => {
            info.prepared = Some(r.get(0));
            info.deleted = Some(r.get(1));
            if size < EXACT_COUNT_BELOW_BYTES {
                info.rows = Some(r.get(2));
                info.rows_exact = true;
            }
        }
        Err(err) if err.code() == Some(&SqlState::QUERY_CANCELED) => out.finding(
            Severity::Warning,
            "count_timed_out",
            format!(
                "Counting in-flight records of {}.{} took longer than {} s and was stopped; the table is large. The backup is not affected.",
                info.namespace,
                info.table,
                STATEMENT_TIMEOUT.as_secs()
            ),
        ),
        Err(err) if err.code() == Some(&SqlState::UNDEFINED_COLUMN) => out.finding(
            Severity::Warning,
            "not_consensus_commit",
            format!("{}.{} has no tx_state column: it is not a Consensus Commit table.", info.namespace, info.table),
        ),
        Err(err) => {
            return Err(Error::new(
                crate::ErrorCode::DatabaseError,
                format!("Reading {}.{} failed: {}", info.namespace, info.table, crate::connect::chain(&err)),
            ))
        }
    }
    Ok(())
}
