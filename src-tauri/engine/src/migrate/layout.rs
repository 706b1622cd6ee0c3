//! What ScalarDB's JDBC adapter and Schema Loader of a given version create
//! on each engine for a table described by `<sys>.metadata` rows: column
//! types, primary key, clustering-order index, secondary indexes and their
//! names, the metadata table, the coordinator table. Built from metadata,
//! never by translating one engine's DDL into another's. Every rule cites
//! the ScalarDB 3.19 source it comes from, in scalar-labs/scalardb (`J/` =
//! `core/src/main/java/com/scalar/db/storage/jdbc/`, `CC/` =
//! `core/src/main/java/com/scalar/db/transaction/consensuscommit/`).

use crate::error::{Error, Result};
use sha2::{Digest, Sha256};

/// A ScalarDB data type (`metadata.data_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarType {
    Boolean,
    Int,
    Bigint,
    Float,
    Double,
    Text,
    Blob,
    Date,
    Time,
    Timestamp,
    Timestamptz,
}

impl ScalarType {
    pub fn parse(s: &str) -> Option<ScalarType> {
        Some(match s.to_ascii_uppercase().as_str() {
            "BOOLEAN" => ScalarType::Boolean,
            "INT" => ScalarType::Int,
            "BIGINT" => ScalarType::Bigint,
            "FLOAT" => ScalarType::Float,
            "DOUBLE" => ScalarType::Double,
            "TEXT" => ScalarType::Text,
            "BLOB" => ScalarType::Blob,
            "DATE" => ScalarType::Date,
            "TIME" => ScalarType::Time,
            "TIMESTAMP" => ScalarType::Timestamp,
            "TIMESTAMPTZ" => ScalarType::Timestamptz,
            _ => return None,
        })
    }
}

/// The target engine, as ScalarDB's `RdbEngineFactory` picks it from the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Postgresql,
    /// `jdbc:mysql:`; `key_size` is `scalar.db.jdbc.mysql.variable_key_column_size` (default 128, minimum 64).
    Mysql {
        key_size: u32,
    },
    /// `jdbc:mariadb:`: `new RdbEngineMariaDB()`, so the key size is always 128 (`J/RdbEngineFactory.java`).
    Mariadb,
    Sqlite,
}

impl Engine {
    fn key_size(self) -> u32 {
        match self {
            Engine::Mysql { key_size } => key_size,
            _ => 128,
        }
    }

    /// The longest identifier the engine takes, in bytes.
    pub fn max_identifier(self) -> usize {
        match self {
            Engine::Postgresql => 63,
            Engine::Mysql { .. } | Engine::Mariadb => 64,
            Engine::Sqlite => usize::MAX,
        }
    }

    pub fn quote(self, name: &str) -> String {
        match self {
            Engine::Mysql { .. } | Engine::Mariadb => format!("`{}`", name.replace('`', "``")),
            _ => format!("\"{}\"", name.replace('"', "\"\"")),
        }
    }

    /// A table's physical name (`J/RdbEngineSqlite.java:42,318`: `ns$tbl` on SQLite).
    pub fn table(self, ns: &str, tbl: &str) -> String {
        match self {
            Engine::Sqlite => self.quote(&format!("{ns}${tbl}")),
            _ => format!("{}.{}", self.quote(ns), self.quote(tbl)),
        }
    }
}

/// A ScalarDB release (`3.19`, `3.16.5`): the layout changed between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(pub u32, pub u32, pub u32);

impl Version {
    pub const DEFAULT: Version = Version(3, 19, 0);

    pub fn parse(s: &str) -> Result<Version> {
        let bad = || {
            Error::invalid(format!(
                "\"{s}\" is not a ScalarDB version: give it as 3.19 or 3.16.5 (3.13 or later; the layout of older releases is not known to Quiesce)."
            ))
        };
        let parts: Vec<u32> = s.trim().split('.').map(|p| p.parse().map_err(|_| bad())).collect::<Result<_>>()?;
        let v = match parts.as_slice() {
            [a, b] => Version(*a, *b, 0),
            [a, b, c] => Version(*a, *b, *c),
            _ => return Err(bad()),
        };
        if v < Version(3, 13, 0) || v.0 != 3 {
            return Err(bad());
        }
        Ok(v)
    }

    /// Long index names are hashed in 3.15.8+, 3.16.5+, 3.17.3+ and 3.18.0+ (`J/JdbcUtils.java:20,184`).
    fn hashes_index_names(self) -> bool {
        self.patched(&[(15, 8), (16, 5), (17, 3)], 18)
    }

    /// `before_<c>` of an indexed column gets its own index in 3.16.5, 3.17.3 and 3.18.0+ (PR #3419).
    fn indexes_before_columns(self) -> bool {
        self.patched(&[(16, 5), (17, 3)], 18)
    }

    /// True from the given patch of a minor, or from `from_minor` on.
    fn patched(self, patches: &[(u32, u32)], from_minor: u32) -> bool {
        self.1 >= from_minor || patches.iter().any(|(minor, patch)| self.1 == *minor && self.2 >= *patch)
    }
}

/// An ordinary column's type (`J/RdbEngineMysql.java:240`, `J/RdbEnginePostgresql.java:215`, `J/RdbEngineSqlite.java:97`).
pub fn column_type(e: Engine, t: ScalarType) -> &'static str {
    use ScalarType::*;
    match (e, t) {
        (_, Boolean) => "BOOLEAN",
        (_, Int) => "INT",
        (_, Bigint) => "BIGINT",
        (Engine::Sqlite, Float) => "FLOAT",
        (_, Float) => "REAL",
        (Engine::Postgresql, Double) => "DOUBLE PRECISION",
        (_, Double) => "DOUBLE",
        (Engine::Mysql { .. } | Engine::Mariadb, Text) => "LONGTEXT",
        (_, Text) => "TEXT",
        (Engine::Mysql { .. } | Engine::Mariadb, Blob) => "LONGBLOB",
        (Engine::Postgresql, Blob) => "BYTEA",
        (Engine::Sqlite, Blob) => "BLOB",
        (Engine::Sqlite, Date) => "INT",
        (_, Date) => "DATE",
        (Engine::Mysql { .. } | Engine::Mariadb, Time) => "TIME(6)",
        (Engine::Postgresql, Time) => "TIME",
        (Engine::Sqlite, Time | Timestamp | Timestamptz) => "BIGINT",
        (Engine::Mysql { .. } | Engine::Mariadb, Timestamp | Timestamptz) => "DATETIME(3)",
        (Engine::Postgresql, Timestamp) => "TIMESTAMP",
        (Engine::Postgresql, Timestamptz) => "TIMESTAMP WITH TIME ZONE",
    }
}

/// A key or secondary-index column's type (`J/RdbEngineMysql.java:270`,
/// `J/RdbEnginePostgresql.java:246`, `J/RdbEngineSqlite.java:124`): TEXT and
/// BLOB become bounded on MySQL and VARCHAR on PostgreSQL.
pub fn key_type(e: Engine, t: ScalarType) -> String {
    match (e, t) {
        (Engine::Mysql { .. } | Engine::Mariadb, ScalarType::Text) => format!("VARCHAR({})", e.key_size()),
        (Engine::Mysql { .. } | Engine::Mariadb, ScalarType::Blob) => format!("VARBINARY({})", e.key_size()),
        (Engine::Postgresql, ScalarType::Text) => "VARCHAR(10485760)".into(),
        _ => column_type(e, t).into(),
    }
}

/// A secondary index's name (`J/JdbcAdmin.java:1167 getIndexName`): hashed
/// past 63 characters in the versions that hash.
pub fn index_name(prefix: &str, ns: &str, tbl: &str, col: Option<&str>, v: Version) -> String {
    let full = match col {
        Some(c) => format!("{prefix}{ns}_{tbl}_{c}"),
        None => format!("{prefix}{ns}_{tbl}"),
    };
    if full.len() > 63 && v.hashes_index_names() {
        let h = format!("{:x}", Sha256::digest(full.as_bytes()));
        format!("{prefix}{}", &h[..32])
    } else {
        full
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyKind {
    Partition,
    Clustering { desc: bool },
    None,
}

/// One column as `<sys>.metadata` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaColumn {
    pub name: String,
    pub data_type: ScalarType,
    pub key: KeyKind,
    pub indexed: bool,
    pub ordinal: i64,
}

/// One `<sys>.metadata` row of a table: column_name, data_type, key_type,
/// clustering_order, indexed, ordinal_position.
pub type MetaRow = (String, String, Option<String>, Option<String>, bool, i64);

/// A `<sys>.metadata` row as the target gets it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataRow {
    pub full_table_name: String,
    pub column_name: String,
    pub data_type: String,
    pub key_type: Option<String>,
    pub clustering_order: Option<String>,
    pub indexed: bool,
    pub ordinal_position: i64,
}

/// A table from its metadata rows, columns in `ordinal_position` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaTable {
    pub namespace: String,
    pub table: String,
    pub columns: Vec<MetaColumn>,
}

impl MetaTable {
    /// From rows of (column_name, data_type, key_type, clustering_order, indexed, ordinal_position).
    pub fn from_rows(full_table_name: &str, rows: &[MetaRow]) -> Result<MetaTable> {
        let (ns, tbl) = full_table_name.split_once('.').ok_or_else(|| {
            Error::invalid(format!("scalardb.metadata names a table \"{full_table_name}\" without a namespace."))
        })?;
        let mut columns = rows
            .iter()
            .map(|(name, ty, key, order, indexed, ordinal)| {
                let data_type = ScalarType::parse(ty).ok_or_else(|| {
                    Error::invalid(format!(
                        "{full_table_name}.{name}: \"{ty}\" is not a ScalarDB data type this release of Quiesce knows."
                    ))
                })?;
                let key = match key.as_deref().map(str::to_ascii_uppercase).as_deref() {
                    Some("PARTITION") => KeyKind::Partition,
                    Some("CLUSTERING") => {
                        KeyKind::Clustering { desc: order.as_deref().is_some_and(|o| o.eq_ignore_ascii_case("DESC")) }
                    }
                    None | Some("") => KeyKind::None,
                    Some(k) => {
                        return Err(Error::invalid(format!("{full_table_name}.{name}: unknown key type \"{k}\".")))
                    }
                };
                Ok(MetaColumn { name: name.clone(), data_type, key, indexed: *indexed, ordinal: *ordinal })
            })
            .collect::<Result<Vec<_>>>()?;
        columns.sort_by_key(|c| c.ordinal);
        if !columns.iter().any(|c| c.key == KeyKind::Partition) {
            return Err(Error::invalid(format!("{full_table_name} has no partition key in scalardb.metadata.")));
        }
        Ok(MetaTable { namespace: ns.into(), table: tbl.into(), columns })
    }

    fn is_key(c: &MetaColumn) -> bool {
        c.key != KeyKind::None
    }
}

/// The DDL ScalarDB of version `v` runs on `e` for a table (`J/JdbcAdmin.java:196`
/// createTableInternal; the namespace itself is created apart).
pub fn create_table(e: Engine, t: &MetaTable, v: Version) -> Vec<String> {
    let q = |n: &str| e.quote(n);
    let phys = e.table(&t.namespace, &t.table);
    // Partition keys, then clustering keys, then the rest, each in metadata order.
    let ordered: Vec<&MetaColumn> = t
        .columns
        .iter()
        .filter(|c| c.key == KeyKind::Partition)
        .chain(t.columns.iter().filter(|c| matches!(c.key, KeyKind::Clustering { .. })))
        .chain(t.columns.iter().filter(|c| c.key == KeyKind::None))
        .collect();
    let cols: Vec<String> = ordered
        .iter()
        .map(|c| {
            let ty = if MetaTable::is_key(c) || indexed(t, c, v) {
                key_type(e, c.data_type)
            } else {
                column_type(e, c.data_type).into()
            };
            format!("{} {ty}", q(&c.name))
        })
        .collect();
    let keys: Vec<&&MetaColumn> = ordered.iter().filter(|c| MetaTable::is_key(c)).collect();
    let any_desc = keys.iter().any(|c| matches!(c.key, KeyKind::Clustering { desc: true }));
    let mixed = any_desc && keys.iter().any(|c| matches!(c.key, KeyKind::Clustering { desc: false }));
    // MySQL writes ASC/DESC inside the PRIMARY KEY when any clustering key is DESC (`J/RdbEngineMysql.java:55`).
    let pk: Vec<String> = keys
        .iter()
        .map(|c| match (e, &c.key) {
            (Engine::Mysql { .. } | Engine::Mariadb, KeyKind::Clustering { desc }) if any_desc => {
                format!("{} {}", q(&c.name), if *desc { "DESC" } else { "ASC" })
            }
            (Engine::Mysql { .. } | Engine::Mariadb, _) if any_desc => format!("{} ASC", q(&c.name)),
            _ => q(&c.name),
        })
        .collect();
    let mut out = vec![format!("CREATE TABLE {phys}({}, PRIMARY KEY ({}))", cols.join(","), pk.join(","))];
    // PostgreSQL: a unique index in the clustering order, only for mixed orders (`J/RdbEnginePostgresql.java:62`).
    if e == Engine::Postgresql && mixed {
        let name = index_name("index_clustering_order_", &t.namespace, &t.table, None, v);
        let parts: Vec<String> = keys
            .iter()
            .map(|c| {
                format!(
                    "{} {}",
                    q(&c.name),
                    if matches!(c.key, KeyKind::Clustering { desc: true }) { "DESC" } else { "ASC" }
                )
            })
            .collect();
        out.push(format!("CREATE UNIQUE INDEX {} ON {phys} ({})", q(&name), parts.join(",")));
    }
    for c in t.columns.iter().filter(|c| indexed(t, c, v)) {
        let name = index_name("index_", &t.namespace, &t.table, Some(&c.name), v);
        out.push(format!("CREATE INDEX {} ON {phys} ({})", q(&name), q(&c.name)));
    }
    out
}

/// Whether the target version indexes a column: as the metadata says, and
/// (3.16.5, 3.17.3, 3.18+) `before_<c>` of every indexed non-key column c,
/// which a table created by an older release lacks (`CC/ConsensusCommitAdmin`, PR #3419).
pub fn indexed(t: &MetaTable, c: &MetaColumn, v: Version) -> bool {
    c.indexed
        || (v.indexes_before_columns()
            && c.name
                .strip_prefix("before_")
                .is_some_and(|base| t.columns.iter().any(|o| o.name == base && o.indexed && o.key == KeyKind::None)))
}

/// Names the target cannot hold, before anything is written: identifiers over
/// its limit, `$` on SQLite (its namespace separator).
pub fn name_problems(e: Engine, t: &MetaTable, v: Version) -> Vec<String> {
    let mut out = Vec::new();
    let max = e.max_identifier();
    let mut check = |what: String, name: &str| {
        if name.len() > max {
            out.push(format!("{what} \"{name}\" is {} bytes; the target takes at most {max}", name.len()));
        }
        if e == Engine::Sqlite && name.contains('$') {
            out.push(format!("{what} \"{name}\" contains '$', ScalarDB's namespace separator on SQLite"));
        }
    };
    check("namespace".into(), &t.namespace);
    check(format!("table {}.", t.namespace), &t.table);
    for c in &t.columns {
        check(format!("column {}.{}.", t.namespace, t.table), &c.name);
    }
    for c in t.columns.iter().filter(|c| indexed(t, c, v)) {
        let n = index_name("index_", &t.namespace, &t.table, Some(&c.name), v);
        if n.len() > max {
            out.push(format!(
                "index \"{n}\" is {} bytes (ScalarDB {}.{}.{} does not hash long index names); the target takes at most {max}",
                n.len(),
                v.0,
                v.1,
                v.2
            ));
        }
    }
    out
}

/// The metadata table ScalarDB creates on the target (`J/TableMetadataService.java:68`).
pub fn create_metadata_table(e: Engine, sys: &str) -> String {
    let text = |n: u32| if e == Engine::Sqlite { "TEXT".to_string() } else { format!("VARCHAR({n})") };
    let q = |n: &str| e.quote(n);
    format!(
        "CREATE TABLE IF NOT EXISTS {}({} {},{} {},{} {} NOT NULL,{} {},{} {},{} BOOLEAN NOT NULL,{} INTEGER NOT NULL, PRIMARY KEY ({}, {}))",
        e.table(sys, "metadata"),
        q("full_table_name"),
        text(128),
        q("column_name"),
        text(128),
        q("data_type"),
        text(20),
        q("key_type"),
        text(20),
        q("clustering_order"),
        text(10),
        q("indexed"),
        q("ordinal_position"),
        q("full_table_name"),
        q("column_name"),
    )
}

/// A table's metadata rows as the target version records them: the
/// source's, with `indexed` set where that version indexes (`before_` columns).
pub fn metadata_rows(t: &MetaTable, v: Version) -> Vec<MetadataRow> {
    t.columns
        .iter()
        .map(|c| {
            let (key_type, clustering_order) = match c.key {
                KeyKind::Partition => (Some("PARTITION".to_string()), None),
                KeyKind::Clustering { desc } => {
                    (Some("CLUSTERING".to_string()), Some(if desc { "DESC" } else { "ASC" }.to_string()))
                }
                KeyKind::None => (None, None),
            };
            MetadataRow {
                full_table_name: format!("{}.{}", t.namespace, t.table),
                column_name: c.name.clone(),
                data_type: format!("{:?}", c.data_type).to_ascii_uppercase(),
                key_type,
                clustering_order,
                indexed: indexed(t, c, v),
                ordinal_position: c.ordinal,
            }
        })
        .collect()
}
