//! Tables of the deployment's namespaces that `<sys>.metadata` does not
//! list: ScalarDB Cluster keeps its users, privileges, tokens, encrypted
//! columns and ABAC policies in the system namespace (`scalardb.users`,
//! `scalardb.auth_tokens`, `scalardb.abac_*`; docs `design.mdx`, "Metadata
//! tables"), 3.17+ keeps `<sys>.virtual_tables` there, and an operator may
//! have created others. A migration that left them out would lock every
//! Cluster user out after the switch, so each one is described from the
//! source's catalog (columns, types, primary key) and copied as it is, with
//! the same row count and fingerprint proof as the listed tables; one that
//! cannot be copied exactly is refused by name before anything is written.

use super::layout::{KeyKind, MetaColumn, MetaTable, ScalarType};
use crate::error::{ErrorCode, Result};
use crate::job::Check;
use crate::live::{Dialect, LiveConn};

/// What the catalog holds beyond the metadata: the tables to copy as they
/// are, and a failed check for each table that cannot be.
#[derive(Default)]
pub struct Found {
    pub tables: Vec<MetaTable>,
    pub refused: Vec<Check>,
}

/// Every base table of `namespaces` on the source that the metadata does not
/// list (the metadata table itself is written apart).
pub async fn find(c: &mut LiveConn, namespaces: &[String], listed: &[MetaTable], sys: &str) -> Result<Found> {
    let mut found = Found::default();
    for ns in namespaces {
        for t in base_tables(c, ns).await? {
            let known = listed.iter().any(|m| m.namespace == *ns && m.table == t);
            if known || (ns == sys && t == "metadata") {
                continue;
            }
            match describe(c, ns, &t).await? {
                Ok(mt) => found.tables.push(mt),
                Err(why) => found.refused.push(Check::fail(
                    "unlisted",
                    ErrorCode::Unsupported,
                    format!(
                        "{ns}.{t} is not listed in {sys}.metadata, so it is copied as it is, but {why}. Nothing was written: drop or change that table on the source, or migrate with the native tools."
                    ),
                )),
            }
        }
    }
    Ok(found)
}

/// The base tables of one namespace (SQLite: `<ns>$<table>`), by name.
async fn base_tables(c: &mut LiveConn, ns: &str) -> Result<Vec<String>> {
    let sql = match c.dialect() {
        Dialect::Sqlite => format!(
            "SELECT substr(name, {}) FROM sqlite_master WHERE type = 'table' AND substr(name, 1, {}) = {} ORDER BY name",
            ns.chars().count() + 2,
            ns.chars().count() + 1,
            c.lit(&format!("{ns}$"))
        ),
        _ => format!(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = {} AND table_type = 'BASE TABLE' ORDER BY table_name",
            c.lit(ns)
        ),
    };
    Ok(c.rows(&sql).await?.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
}

/// A table as a `MetaTable` (its primary key as the partition key, no
/// index), or why it cannot be copied exactly.
async fn describe(c: &mut LiveConn, ns: &str, t: &str) -> Result<std::result::Result<MetaTable, String>> {
    let d = c.dialect();
    let (cols_sql, key_sql) = match d {
        Dialect::Sqlite => {
            let phys = c.lit(&format!("{ns}${t}"));
            (
                format!("SELECT name, type, '' FROM pragma_table_info({phys}) ORDER BY cid"),
                format!("SELECT name FROM pragma_table_info({phys}) WHERE pk > 0 ORDER BY pk"),
            )
        }
        _ => {
            let (n, tl) = (c.lit(ns), c.lit(t));
            let column_type = if d == Dialect::Mysql { "column_type" } else { "''" };
            (
                format!("SELECT column_name, data_type, {column_type} FROM information_schema.columns WHERE table_schema = {n} AND table_name = {tl} ORDER BY ordinal_position"),
                format!(
                    "SELECT k.column_name FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k \
                     ON k.constraint_name = c.constraint_name AND k.table_schema = c.table_schema AND k.table_name = c.table_name \
                     WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = {n} AND c.table_name = {tl} ORDER BY k.ordinal_position"
                ),
            )
        }
    };
    let keys: Vec<String> =
        c.rows(&key_sql).await?.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect();
    if keys.is_empty() {
        return Ok(Err("it has no primary key, so its rows cannot be compared one by one for the proof".into()));
    }
    let mut columns = Vec::new();
    for (i, r) in c.rows(&cols_sql).await?.into_iter().enumerate() {
        let get = |k: usize| r.get(k).cloned().flatten().unwrap_or_default();
        let (name, data_type, column_type) = (get(0), get(1), get(2));
        let Some(ty) = scalar_of(d, &data_type, &column_type) else {
            let shown = if column_type.is_empty() { data_type } else { column_type };
            return Ok(Err(format!("its column {name} is of type {shown}, which Quiesce cannot copy exactly")));
        };
        let key = if keys.contains(&name) { KeyKind::Partition } else { KeyKind::None };
        columns.push(MetaColumn { name, data_type: ty, key, indexed: false, ordinal: i as i64 + 1 });
    }
    // The primary key in its own order (a composite key's order is the index's).
    columns.sort_by_key(|c| keys.iter().position(|k| *k == c.name).unwrap_or(usize::MAX));
    Ok(Ok(MetaTable { namespace: ns.into(), table: t.into(), columns }))
}

/// The ScalarDB type whose target column holds every value of a source
/// column exactly; None for types that would round, widen or lose a part
/// (NUMERIC, ENUM, JSON, arrays…).
fn scalar_of(d: Dialect, data_type: &str, column_type: &str) -> Option<ScalarType> {
    let ty = data_type.trim().to_ascii_lowercase();
    Some(match d {
        Dialect::Postgres => match ty.as_str() {
            "boolean" => ScalarType::Boolean,
            "smallint" | "integer" => ScalarType::Int,
            "bigint" => ScalarType::Bigint,
            "real" => ScalarType::Float,
            "double precision" => ScalarType::Double,
            "text" | "character varying" => ScalarType::Text,
            "bytea" => ScalarType::Blob,
            "date" => ScalarType::Date,
            "time without time zone" => ScalarType::Time,
            "timestamp without time zone" => ScalarType::Timestamp,
            "timestamp with time zone" => ScalarType::Timestamptz,
            _ => return None,
        },
        Dialect::Mysql => match ty.as_str() {
            // BOOLEAN is TINYINT(1); other TINYINTs are numbers.
            "tinyint" if column_type.to_ascii_lowercase().starts_with("tinyint(1)") => ScalarType::Boolean,
            "tinyint" | "smallint" | "mediumint" | "int" | "integer"
                if !column_type.to_ascii_lowercase().contains("unsigned") || ty != "int" =>
            {
                ScalarType::Int
            }
            "bigint" if !column_type.to_ascii_lowercase().contains("unsigned") => ScalarType::Bigint,
            "float" => ScalarType::Float,
            "double" => ScalarType::Double,
            "varchar" | "text" | "tinytext" | "mediumtext" | "longtext" => ScalarType::Text,
            "varbinary" | "blob" | "tinyblob" | "mediumblob" | "longblob" => ScalarType::Blob,
            "date" => ScalarType::Date,
            "time" => ScalarType::Time,
            "datetime" => ScalarType::Timestamp,
            _ => return None,
        },
        // SQLite keeps whatever a column's declared type says; these are the
        // declarations ScalarDB's SQLite adapter writes and their usual spellings.
        Dialect::Sqlite => match ty.as_str() {
            "boolean" => ScalarType::Boolean,
            "int" => ScalarType::Int,
            "integer" | "bigint" => ScalarType::Bigint,
            "float" => ScalarType::Float,
            "double" | "real" => ScalarType::Double,
            "text" => ScalarType::Text,
            t if t.starts_with("varchar") => ScalarType::Text,
            "blob" => ScalarType::Blob,
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_types_copied_exactly_are_taken() {
        assert_eq!(scalar_of(Dialect::Postgres, "character varying", ""), Some(ScalarType::Text));
        assert_eq!(scalar_of(Dialect::Postgres, "numeric", ""), None);
        assert_eq!(scalar_of(Dialect::Mysql, "tinyint", "tinyint(1)"), Some(ScalarType::Boolean));
        assert_eq!(scalar_of(Dialect::Mysql, "tinyint", "tinyint(4)"), Some(ScalarType::Int));
        // An unsigned INT can exceed a signed one; an unsigned BIGINT any BIGINT.
        assert_eq!(scalar_of(Dialect::Mysql, "int", "int(10) unsigned"), None);
        assert_eq!(scalar_of(Dialect::Mysql, "smallint", "smallint(5) unsigned"), Some(ScalarType::Int));
        assert_eq!(scalar_of(Dialect::Mysql, "bigint", "bigint(20) unsigned"), None);
        assert_eq!(scalar_of(Dialect::Mysql, "enum", "enum('a')"), None);
        assert_eq!(scalar_of(Dialect::Sqlite, "INTEGER", ""), Some(ScalarType::Bigint));
        assert_eq!(scalar_of(Dialect::Sqlite, "VARCHAR(40)", ""), Some(ScalarType::Text));
        assert_eq!(scalar_of(Dialect::Sqlite, "", ""), None);
    }
}
