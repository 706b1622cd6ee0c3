//! ScalarDB's storage layout (the Consensus Commit columns of scalar-labs/scalardb
//! `transaction/consensuscommit/ConsensusCommitUtils.java`, the JDBC metadata table of
//! `storage/jdbc/TableMetadataService.java`), enough to create the demo
//! database and test fixtures that look like a real deployment.

/// Consensus Commit bookkeeping columns on every transactional table.
pub const TX_COLUMNS: &[(&str, &str)] = &[
    ("tx_id", "TEXT"),
    ("tx_state", "INT"),
    ("tx_version", "INT"),
    ("tx_prepared_at", "BIGINT"),
    ("tx_committed_at", "BIGINT"),
    ("before_tx_id", "TEXT"),
    ("before_tx_state", "INT"),
    ("before_tx_version", "INT"),
    ("before_tx_prepared_at", "BIGINT"),
    ("before_tx_committed_at", "BIGINT"),
];

pub const TX_PREPARED: i32 = 1;
pub const TX_DELETED: i32 = 2;
pub const TX_COMMITTED: i32 = 3;
pub const TX_ABORTED: i32 = 4;

/// A user table: partition key columns first, then the other columns.
pub struct TableDef<'a> {
    pub namespace: &'a str,
    pub name: &'a str,
    pub keys: &'a [(&'a str, &'a str)],
    pub columns: &'a [(&'a str, &'a str)],
}

/// SQLite maps a namespace to a table-name prefix: `ns$table`.
pub fn sqlite_table_name(namespace: &str, table: &str) -> String {
    format!("{namespace}${table}")
}

fn sqlite_type(t: &str) -> &'static str {
    match t {
        "INT" | "BIGINT" | "BOOLEAN" => "INTEGER",
        "FLOAT" | "DOUBLE" => "REAL",
        "BLOB" => "BLOB",
        _ => "TEXT",
    }
}

pub fn sqlite_metadata_ddl() -> String {
    "CREATE TABLE IF NOT EXISTS \"scalardb$metadata\" (\
     full_table_name TEXT, column_name TEXT, data_type TEXT NOT NULL, key_type TEXT, \
     clustering_order TEXT, indexed BOOLEAN NOT NULL, ordinal_position INTEGER NOT NULL, \
     PRIMARY KEY (full_table_name, column_name))"
        .into()
}

pub fn sqlite_coordinator_ddl(coordinator_ns: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS \"{}\" (tx_id TEXT PRIMARY KEY, tx_state INTEGER NOT NULL, tx_created_at INTEGER NOT NULL)",
        sqlite_table_name(coordinator_ns, "state")
    )
}

/// DDL for a transactional table plus the metadata rows ScalarDB keeps for it.
pub fn sqlite_table_ddl(t: &TableDef) -> (String, Vec<String>) {
    let mut cols = Vec::new();
    for (n, ty) in t.keys.iter().chain(t.columns.iter()) {
        cols.push(format!("\"{n}\" {}", sqlite_type(ty)));
    }
    for (n, ty) in TX_COLUMNS {
        cols.push(format!("\"{n}\" {}", sqlite_type(ty)));
    }
    for (n, ty) in t.columns {
        cols.push(format!("\"before_{n}\" {}", sqlite_type(ty)));
    }
    let keys: Vec<_> = t.keys.iter().map(|(n, _)| format!("\"{n}\"")).collect();
    let ddl = format!(
        "CREATE TABLE IF NOT EXISTS \"{}\" ({}, PRIMARY KEY ({}))",
        sqlite_table_name(t.namespace, t.name),
        cols.join(", "),
        keys.join(", ")
    );
    let full = format!("{}.{}", t.namespace, t.name);
    let mut meta = Vec::new();
    // ScalarDB lists every column, the transaction and before_ columns too,
    // in the table's order (their `ordinal_position` in the metadata table; a
    // migration refuses a table whose metadata leaves any out).
    let before: Vec<(String, &str)> = t.columns.iter().map(|(n, ty)| (format!("before_{n}"), *ty)).collect();
    let all = t
        .keys
        .iter()
        .chain(t.columns.iter())
        .chain(TX_COLUMNS.iter())
        .map(|(n, ty)| (n.to_string(), *ty))
        .chain(before);
    for (i, (n, ty)) in all.enumerate() {
        let key_type = if i < t.keys.len() { "'PARTITION'" } else { "NULL" };
        meta.push(format!(
            "INSERT OR REPLACE INTO \"scalardb$metadata\" VALUES ('{full}', '{n}', '{ty}', {key_type}, NULL, 0, {})",
            i + 1
        ));
    }
    (ddl, meta)
}
