//! Discovery on SQLite: a namespace is a table-name prefix (`ns$table`), and
//! the metadata table is `<system>$metadata`. One file, one consistent copy.

use super::*;
use crate::scalardb::sqlite_table_name;
use rusqlite::{Connection, OpenFlags};

pub(super) async fn discover(p: &Profile, e: &Expect<'_>, out: &mut StorageDiscovery) -> Result<()> {
    let count_rows = e.count_rows;
    let path = std::path::PathBuf::from(p.path.clone().unwrap_or_default());
    let (coord, system, uses_coordinator) =
        (e.coordinator_namespace.to_string(), e.system_namespace.to_string(), e.uses_coordinator);
    let mut local = std::mem::replace(out, StorageDiscovery::new(&out.storage, p));
    let r = tokio::task::spawn_blocking(move || {
        let r = blocking(&path, &coord, &system, uses_coordinator, count_rows, &mut local);
        (r, local)
    })
    .await
    .map_err(|e| Error::internal(format!("the SQLite discovery stopped unexpectedly: {e}")))?;
    *out = r.1;
    r.0
}

fn db_err(path: &std::path::Path, e: rusqlite::Error) -> Error {
    Error::new(crate::ErrorCode::DatabaseError, format!("Reading {} failed: {e}", path.display()))
}

#[allow(clippy::too_many_lines, reason = "the SQLite discovery's steps run in order on one read-only connection")]
fn blocking(
    path: &std::path::Path,
    coord: &str,
    system: &str,
    uses_coordinator: bool,
    count_rows: bool,
    out: &mut StorageDiscovery,
) -> Result<()> {
    std::fs::File::open(path).map_err(|e| Error::io("open the SQLite database", path, e))?;
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
        .map_err(|e| db_err(path, e))?;
    c.busy_timeout(STATEMENT_TIMEOUT).map_err(|e| db_err(path, e))?;
    let version: String = c.query_row("SELECT sqlite_version()", [], |r| r.get(0)).map_err(|e| db_err(path, e))?;
    out.reachable = true;
    out.product = Some("SQLite".into());
    out.server_major = major_of(&version);
    out.server_version = Some(version);
    out.tools.push(ToolCheck {
        tool: "SQLite online backup".into(),
        path: None,
        version: Some(rusqlite::version().to_string()),
        major: major_of(rusqlite::version()),
        ok: true,
        message: "Built into Quiesce (rusqlite): no external tool needed.".into(),
    });
    let journal: String = c.query_row("PRAGMA journal_mode", [], |r| r.get(0)).map_err(|e| db_err(path, e))?;
    out.capabilities.notes.push(format!("Journal mode {journal}."));

    let exists = |name: &str| -> Result<bool> {
        c.query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1", [name], |r| {
            r.get::<_, i64>(0)
        })
        .map(|n| n > 0)
        .map_err(|e| db_err(path, e))
    };
    let meta = sqlite_table_name(system, "metadata");
    let listed: Vec<(String, String)> = if exists(&meta)? {
        out.metadata_found = true;
        let mut st = c
            .prepare(&format!("SELECT DISTINCT full_table_name FROM \"{meta}\" ORDER BY 1"))
            .map_err(|e| db_err(path, e))?;
        let names: Vec<String> =
            st.query_map([], |r| r.get(0)).map_err(|e| db_err(path, e))?.filter_map(|r| r.ok()).collect();
        let n: i64 =
            c.query_row(&format!("SELECT count(*) FROM \"{meta}\""), [], |r| r.get(0)).map_err(|e| db_err(path, e))?;
        out.tables.push(metadata_table(system, meta.clone(), Some(n), None));
        names.iter().filter_map(|n| split_full_name(n)).collect()
    } else {
        out.blocking(
            "no_metadata",
            ErrorCode::InvalidInput,
            format!("{} has no ScalarDB metadata table \"{meta}\": Quiesce cannot tell which tables are ScalarDB's. Is this the file of ScalarDB's jdbc:sqlite: URL?", path.display()),
        );
        Vec::new()
    };

    let mut targets: Vec<(String, String)> = listed.clone();
    if uses_coordinator && !targets.iter().any(|(n, t)| n == coord && t == "state") {
        targets.push((coord.to_string(), "state".into()));
    }
    for (ns, t) in targets {
        let phys = sqlite_table_name(&ns, &t);
        let is_coordinator = ns == coord && t == "state";
        if !exists(&phys)? {
            if !is_coordinator {
                out.finding(
                    Severity::Warning,
                    "missing_table",
                    format!("ScalarDB's metadata lists {ns}.{t}, but \"{phys}\" does not exist (dropped outside ScalarDB?)."),
                );
            }
            continue;
        }
        let q = if !count_rows {
            format!("SELECT 0, 0, 0 FROM \"{phys}\" LIMIT 1")
        } else if is_coordinator {
            format!("SELECT 0, 0, count(*) FROM \"{phys}\"")
        } else {
            format!("SELECT coalesce(sum(tx_state = 1), 0), coalesce(sum(tx_state = 2), 0), count(*) FROM \"{phys}\"")
        };
        let (prepared, deleted, rows): (i64, i64, i64) =
            match c.query_row(&q, [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))) {
                Err(rusqlite::Error::QueryReturnedNoRows) => (0, 0, 0),
                r => r.map_err(|e| db_err(path, e))?,
            };
        out.tables.push(TableInfo {
            in_metadata: listed.iter().any(|(n, x)| *n == ns && *x == t),
            is_coordinator,
            rows: count_rows.then_some(rows),
            rows_exact: count_rows,
            prepared: (!is_coordinator && count_rows).then_some(prepared),
            deleted: (!is_coordinator && count_rows).then_some(deleted),
            ..TableInfo::named(&ns, &t, phys)
        });
        if is_coordinator {
            out.coordinator_found = true;
        }
    }

    // `ns$table` tables with Consensus Commit columns that the metadata does not list.
    let mut st = c
        .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '%$%' ORDER BY 1")
        .map_err(|e| db_err(path, e))?;
    let names: Vec<String> =
        st.query_map([], |r| r.get(0)).map_err(|e| db_err(path, e))?.filter_map(|r| r.ok()).collect();
    for name in names {
        let cols: i64 = c
            .query_row(
                "SELECT count(*) FROM pragma_table_info(?1) WHERE name IN ('tx_id','tx_state','tx_version','tx_prepared_at')",
                [&name],
                |r| r.get(0),
            )
            .map_err(|e| db_err(path, e))?;
        let listed_here = listed.iter().any(|(n, t)| sqlite_table_name(n, t) == name);
        if cols == 4 && !listed_here {
            out.finding(
                Severity::Warning,
                "unlisted_table",
                format!("\"{name}\" has Consensus Commit columns but ScalarDB's metadata does not list it: the file is copied whole, but ScalarDB will not see the table after a restore."),
            );
        }
    }
    let page: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0)).map_err(|e| db_err(path, e))?;
    let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0)).map_err(|e| db_err(path, e))?;
    out.capabilities
        .notes
        .push(format!("The file is {} bytes ({pages} pages of {page}); the backup copies all of it.", page * pages));

    out.settle_namespaces(system);
    Ok(())
}
