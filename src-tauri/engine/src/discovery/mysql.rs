//! Discovery on MySQL/MariaDB: a namespace is a database of the server, so
//! one server holds the whole deployment's storage (one consistent dump).

use super::*;
use crate::connect::mysql::{connect_profile, map_error};
use crate::sensitive::Sensitive;
use mysql_async::prelude::Queryable;

const EXACT_COUNT_BELOW_BYTES: i64 = 64 << 20;

pub(crate) fn qi(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

fn server_code(e: &mysql_async::Error) -> Option<u16> {
    match e {
        mysql_async::Error::Server(se) => Some(se.code),
        _ => None,
    }
}

/// Statement timeout errors: MariaDB 1969, MySQL 3024.
fn timed_out(e: &mysql_async::Error) -> bool {
    matches!(server_code(e), Some(1969 | 3024))
}

fn denied(e: &mysql_async::Error) -> bool {
    matches!(server_code(e), Some(1142 | 1044 | 1143))
}

fn missing(e: &mysql_async::Error) -> bool {
    matches!(server_code(e), Some(1146 | 1049))
}

/// ScalarDB's metadata table: the tables it lists, as (namespace, table).
async fn read_metadata(
    conn: &mut mysql_async::Conn,
    e: &Expect<'_>,
    user: &str,
    out: &mut StorageDiscovery,
    me: &(dyn Fn(mysql_async::Error) -> Error + Sync),
) -> Result<Vec<(String, String)>> {
    Ok(
        match conn
            .query::<String, _>(format!(
                "SELECT DISTINCT full_table_name FROM {}.metadata ORDER BY 1",
                qi(e.system_namespace)
            ))
            .await
        {
            Ok(rows) => {
                out.metadata_found = true;
                let n: Option<i64> = conn
                    .query_first(format!("SELECT COUNT(*) FROM {}.metadata", qi(e.system_namespace)))
                    .await
                    .map_err(me)?;
                let size: Option<Option<i64>> = conn
                .exec_first(
                    "SELECT CAST(data_length + index_length AS SIGNED) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'metadata'",
                    (e.system_namespace,),
                )
                .await
                .map_err(me)?;
                out.tables.push(metadata_table(
                    e.system_namespace,
                    format!("{}.metadata", e.system_namespace),
                    n,
                    size.flatten(),
                ));
                rows.iter().filter_map(|r| split_full_name(r)).collect()
            }
            Err(err) if missing(&err) => {
                out.blocking(
                "no_metadata",
                ErrorCode::InvalidInput,
                format!(
                    "The server has no ScalarDB metadata table {}.metadata: Quiesce cannot tell which databases are ScalarDB's. Is this the server of ScalarDB's JDBC URL, and is the system namespace right?",
                    e.system_namespace
                ),
            );
                Vec::new()
            }
            Err(err) if denied(&err) => {
                out.blocking(
                    "namespace_unreadable",
                    ErrorCode::PermissionDenied,
                    format!(
                        "User {user} may not read {}.metadata. Grant it: GRANT SELECT ON {}.* TO {user};",
                        e.system_namespace,
                        qi(e.system_namespace)
                    ),
                );
                Vec::new()
            }
            Err(err) => return Err(me(err)),
        },
    )
}

/// One table (or the coordinator when the metadata does not list it):
/// present, readable, its engine, rows and in-flight records.
async fn read_table(
    conn: &mut mysql_async::Conn,
    e: &Expect<'_>,
    user: &str,
    (ns, t, coordinator_only): (&str, &str, bool),
    unreadable: &mut std::collections::HashSet<String>,
    out: &mut StorageDiscovery,
    me: &(dyn Fn(mysql_async::Error) -> Error + Sync),
) -> Result<()> {
    let (ns, t) = (ns.to_string(), t.to_string());
    let is_coordinator = ns == e.coordinator_namespace && t == "state";
    let stats: Option<(Option<i64>, Option<i64>, Option<String>)> = conn
        .exec_first(
            "SELECT CAST(table_rows AS SIGNED), CAST(data_length + index_length AS SIGNED), engine \
             FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            (ns.as_str(), t.as_str()),
        )
        .await
        .map_err(me)?;
    let (rows, size, engine) = stats.unwrap_or((None, None, None));
    let mut info = TableInfo {
        in_metadata: !coordinator_only,
        is_coordinator,
        rows,
        size_bytes: size,
        engine: engine.clone(),
        ..TableInfo::named(&ns, &t, format!("{ns}.{t}"))
    };
    let small = size.unwrap_or(0) < EXACT_COUNT_BELOW_BYTES;
    // Without counts, one row proves the table is there and readable.
    let q = if !e.count_rows {
        format!("SELECT CAST(0 AS SIGNED), CAST(0 AS SIGNED), CAST(NULL AS SIGNED) FROM {}.{} LIMIT 1", qi(&ns), qi(&t))
    } else if is_coordinator {
        format!("SELECT CAST(0 AS SIGNED), CAST(0 AS SIGNED), COUNT(*) FROM {}.{}", qi(&ns), qi(&t))
    } else if small {
        format!(
            "SELECT CAST(COALESCE(SUM(tx_state = 1), 0) AS SIGNED), CAST(COALESCE(SUM(tx_state = 2), 0) AS SIGNED), COUNT(*) FROM {}.{}",
            qi(&ns),
            qi(&t)
        )
    } else {
        format!(
            "SELECT CAST(COALESCE(SUM(tx_state = 1), 0) AS SIGNED), CAST(COALESCE(SUM(tx_state = 2), 0) AS SIGNED), NULL FROM {}.{} WHERE tx_state IN (1, 2)",
            qi(&ns),
            qi(&t)
        )
    };
    match conn.query_first::<(i64, i64, Option<i64>), _>(q).await {
        Ok(Some((prep, del, count))) => {
            if !is_coordinator && e.count_rows {
                info.prepared = Some(prep);
                info.deleted = Some(del);
            }
            if let Some(n) = count {
                info.rows = Some(n);
                info.rows_exact = true;
            }
        }
        Ok(None) => {}
        Err(err) if missing(&err) => {
            if !coordinator_only {
                out.finding(
                    Severity::Warning,
                    "missing_table",
                    format!(
                        "ScalarDB's metadata lists {ns}.{t}, but the table does not exist (dropped outside ScalarDB?)."
                    ),
                );
            }
            return Ok(());
        }
        Err(err) if denied(&err) => {
            if unreadable.insert(ns.clone()) {
                out.blocking(
                    "namespace_unreadable",
                    ErrorCode::PermissionDenied,
                    format!(
                        "User {user} may not read namespace {ns} (database {ns}): a backup as this user would miss it. Grant it: GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES ON {}.* TO {user};",
                        qi(&ns)
                    ),
                );
            }
        }
        Err(err) if timed_out(&err) => out.finding(
            Severity::Warning,
            "count_timed_out",
            format!(
                "Counting in-flight records of {ns}.{t} took longer than {} s and was stopped; the table is large.",
                STATEMENT_TIMEOUT.as_secs()
            ),
        ),
        Err(err) => return Err(me(err)),
    }
    if let Some(eng) = &engine {
        if !eng.eq_ignore_ascii_case("InnoDB") {
            out.blocking(
                "not_innodb",
                ErrorCode::Unsupported,
                format!(
                    "{ns}.{t} uses the {eng} engine: --single-transaction gives a consistent snapshot of InnoDB tables only, so a dump would silently be inconsistent. Convert it: ALTER TABLE {}.{} ENGINE=InnoDB;",
                    qi(&ns),
                    qi(&t)
                ),
            );
        }
    }
    if is_coordinator {
        out.coordinator_found = true;
    }
    out.tables.push(info);
    Ok(())
}

pub(super) async fn discover(
    p: &Profile,
    password: Option<&Sensitive<String>>,
    e: &Expect<'_>,
    out: &mut StorageDiscovery,
) -> Result<()> {
    let mut conn = connect_profile(p, password).await?;
    let me = |err: mysql_async::Error| map_error(err, p, STATEMENT_TIMEOUT);
    out.reachable = true;
    let version: String = conn.query_first("SELECT VERSION()").await.map_err(me)?.unwrap_or_default();
    let (user, log_bin): (String, Option<i64>) =
        conn.query_first("SELECT CURRENT_USER(), @@log_bin").await.map_err(me)?.unwrap_or_default();
    out.binlog = log_bin.map(|b| b == 1);
    let mariadb = version.to_ascii_lowercase().contains("mariadb");
    let timeout_sql = if mariadb {
        format!("SET SESSION max_statement_time = {}", STATEMENT_TIMEOUT.as_secs())
    } else {
        format!("SET SESSION max_execution_time = {}", STATEMENT_TIMEOUT.as_millis())
    };
    conn.query_drop(timeout_sql).await.map_err(me)?;
    out.product = Some(if mariadb { "MariaDB".into() } else { "MySQL".into() });
    out.server_major = major_of(&version);
    out.server_version = Some(version);
    let dump = tools::check_mysql_dump(p, mariadb);
    if !dump.ok {
        out.blocking("tool_missing", ErrorCode::FileNotFound, dump.message.clone());
    }
    out.tools.push(dump);

    let listed = read_metadata(&mut conn, e, &user, out, &me).await?;

    let mut unreadable = std::collections::HashSet::new();
    let mut targets: Vec<(String, String, bool)> = listed.iter().map(|(n, t)| (n.clone(), t.clone(), false)).collect();
    if e.uses_coordinator && !listed.iter().any(|(n, t)| n == e.coordinator_namespace && t == "state") {
        targets.push((e.coordinator_namespace.to_string(), "state".into(), true));
    }
    for (ns, t, coordinator_only) in targets {
        read_table(&mut conn, e, &user, (&ns, &t, coordinator_only), &mut unreadable, out, &me).await?;
    }

    let rows: Vec<(String, String)> = conn
        .query(
            "SELECT table_schema, table_name FROM information_schema.columns \
             WHERE column_name IN ('tx_id','tx_state','tx_version','tx_prepared_at') \
             GROUP BY table_schema, table_name HAVING COUNT(*) = 4 ORDER BY 1, 2",
        )
        .await
        .map_err(me)?;
    report_unlisted(out, &listed, rows);
    let _ = conn.disconnect().await;

    out.settle_namespaces(e.system_namespace);
    Ok(())
}
