//! A ScalarDB deployment for the migration tests, written by hand from
//! ScalarDB 3.19's JDBC adapter (scalar-labs/scalardb
//! `core/src/main/java/com/scalar/db/storage/jdbc/`; never from the engine's
//! code): `items` with every ScalarDB type (NULLs, empty strings, extreme
//! numbers, dates before 1970, non-ASCII text, every byte in a BLOB,
//! clustering keys DESC and ASC, an indexed column), `accounts` holding
//! money, the coordinator and the metadata table; records in flight
//! (PREPARED whose transaction the coordinator committed, PREPARED and
//! DELETED whose transaction it never saw). Written and read back with each
//! engine's own client (psql, mariadb, sqlite3), values compared in a
//! canonical text form. (Doubles stay within what SQLite 3.40's own
//! decimal conversions round-trip: 2^1023, not f64::MAX.)

use crate::mariadb::MariaDbServer;
use crate::postgres::PgServer;
use std::path::Path;
use std::process::Command;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eng {
    Pg,
    Maria,
    Lite,
}

/// A value the test writes.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Null,
    B(bool),
    I(i32),
    L(i64),
    F(f32),
    D(f64),
    S(&'static str),
    X(Vec<u8>),
    Date(&'static str),
    Time(&'static str),
    Ts(&'static str),
    Tz(&'static str),
}

/// One test's namespaces (unique: MariaDB namespaces are server-wide).
#[derive(Clone, Debug)]
pub struct Names {
    pub sales: String,
    pub bank: String,
    pub coord: String,
    pub sys: String,
}

impl Names {
    pub fn new(sfx: &str) -> Names {
        Names {
            sales: format!("sales_{sfx}"),
            bank: format!("bank_{sfx}"),
            coord: format!("coord_{sfx}"),
            sys: format!("sdb_{sfx}"),
        }
    }
}

/// (column, ScalarDB type, key type, clustering order, indexed).
pub type Col = (String, &'static str, Option<&'static str>, Option<&'static str>, bool);
/// The same, for the constant lists.
pub type StaticCol = (&'static str, &'static str, Option<&'static str>, Option<&'static str>, bool);

const ITEM_USER: &[StaticCol] = &[
    ("id", "TEXT", Some("PARTITION"), None, false),
    ("seq", "INT", Some("CLUSTERING"), Some("DESC"), false),
    ("at", "BIGINT", Some("CLUSTERING"), Some("ASC"), false),
    ("note", "TEXT", None, None, true),
    ("paid", "BOOLEAN", None, None, false),
    ("f", "FLOAT", None, None, false),
    ("amount", "DOUBLE", None, None, false),
    ("photo", "BLOB", None, None, false),
    ("d", "DATE", None, None, false),
    ("t", "TIME", None, None, false),
    ("ts", "TIMESTAMP", None, None, false),
    ("tz", "TIMESTAMPTZ", None, None, false),
    ("n", "INT", None, None, false),
    ("big", "BIGINT", None, None, false),
];

/// Consensus Commit columns (ScalarDB's `ConsensusCommitUtils.java`), before the `before_<c>` ones.
const TX: &[(&str, &str)] = &[
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

/// A transactional table's columns: user columns, tx columns, then
/// `before_<c>` of every non-key column (indexed where c is, as 3.19 does).
pub fn with_tx(user: &[StaticCol]) -> Vec<Col> {
    let mut v: Vec<Col> = user.iter().map(|(c, t, k, o, i)| (c.to_string(), *t, *k, *o, *i)).collect();
    v.extend(TX.iter().map(|(c, t)| (c.to_string(), *t, None, None, false)));
    for (c, t, k, _, i) in user {
        if k.is_none() {
            v.push((format!("before_{c}"), *t, None, None, *i));
        }
    }
    v
}

pub fn item_columns() -> Vec<Col> {
    with_tx(ITEM_USER)
}

pub fn account_columns() -> Vec<Col> {
    with_tx(&[("account_id", "INT", Some("PARTITION"), None, false), ("balance", "BIGINT", None, None, false)])
}

/// The coordinator table: created through the plain storage admin, so without tx columns
/// (ScalarDB's `CoordinatorStateAccessor.java`); group commit off, so no `tx_child_ids`.
pub fn state_columns() -> Vec<Col> {
    vec![
        ("tx_id".into(), "TEXT", Some("PARTITION"), None, false),
        ("tx_state".into(), "INT", None, None, false),
        ("tx_created_at".into(), "BIGINT", None, None, false),
    ]
}

/// The SQL type ScalarDB 3.19 gives a column (`JdbcAdmin.getVendorDbColumnType` and each
/// `RdbEngine*.java`; MariaDB through `jdbc:mariadb:`).
pub fn sql_type(e: Eng, ty: &str, key_or_index: bool) -> &'static str {
    match (e, ty, key_or_index) {
        (Eng::Pg, "TEXT", true) => "VARCHAR(10485760)",
        (Eng::Maria, "TEXT", true) => "VARCHAR(128)",
        (Eng::Maria, "BLOB", true) => "VARBINARY(128)",
        (_, "BOOLEAN", _) => "BOOLEAN",
        (_, "INT", _) => "INT",
        (_, "BIGINT", _) => "BIGINT",
        (Eng::Lite, "FLOAT", _) => "FLOAT",
        (_, "FLOAT", _) => "REAL",
        (Eng::Pg, "DOUBLE", _) => "DOUBLE PRECISION",
        (_, "DOUBLE", _) => "DOUBLE",
        (Eng::Maria, "TEXT", _) => "LONGTEXT",
        (_, "TEXT", _) => "TEXT",
        (Eng::Maria, "BLOB", _) => "LONGBLOB",
        (Eng::Pg, "BLOB", _) => "BYTEA",
        (Eng::Lite, "BLOB", _) => "BLOB",
        (Eng::Lite, "DATE", _) => "INT",
        (_, "DATE", _) => "DATE",
        (Eng::Maria, "TIME", _) => "TIME(6)",
        (Eng::Pg, "TIME", _) => "TIME",
        (Eng::Lite, _, _) => "BIGINT",
        (Eng::Maria, _, _) => "DATETIME(3)",
        (Eng::Pg, "TIMESTAMP", _) => "TIMESTAMP",
        (Eng::Pg, _, _) => "TIMESTAMP WITH TIME ZONE",
    }
}

/// How the engine's catalog names that type (PostgreSQL `format_type`,
/// MariaDB `COLUMN_TYPE`, SQLite's declared type).
pub fn introspected(e: Eng, sql: &str) -> String {
    match e {
        Eng::Lite => sql.to_string(),
        Eng::Pg => match sql {
            "VARCHAR(10485760)" => "character varying(10485760)".into(),
            "BOOLEAN" => "boolean".into(),
            "INT" => "integer".into(),
            "BIGINT" => "bigint".into(),
            "REAL" => "real".into(),
            "DOUBLE PRECISION" => "double precision".into(),
            "TEXT" => "text".into(),
            "BYTEA" => "bytea".into(),
            "DATE" => "date".into(),
            "TIME" => "time without time zone".into(),
            "TIMESTAMP" => "timestamp without time zone".into(),
            _ => "timestamp with time zone".into(),
        },
        Eng::Maria => match sql {
            "BOOLEAN" => "tinyint(1)".into(),
            "INT" => "int(11)".into(),
            "BIGINT" => "bigint(20)".into(),
            "REAL" | "DOUBLE" => "double".into(),
            s => s.to_ascii_lowercase(),
        },
    }
}

fn q(e: Eng, s: &str) -> String {
    match e {
        Eng::Maria => format!("`{s}`"),
        _ => format!("\"{s}\""),
    }
}

pub fn phys(e: Eng, ns: &str, t: &str) -> String {
    match e {
        Eng::Lite => format!("\"{ns}${t}\""),
        _ => format!("{}.{}", q(e, ns), q(e, t)),
    }
}

/// The DDL of a table as ScalarDB 3.19 creates it (`JdbcAdmin.java`: keys first, then the other
/// columns in metadata order, the primary key, the clustering-order and secondary indexes).
pub fn create_table(e: Eng, ns: &str, t: &str, cols: &[Col]) -> Vec<String> {
    let p = phys(e, ns, t);
    let keys: Vec<&Col> = cols
        .iter()
        .filter(|c| c.2 == Some("PARTITION"))
        .chain(cols.iter().filter(|c| c.2 == Some("CLUSTERING")))
        .collect();
    let rest = cols.iter().filter(|c| c.2.is_none());
    let defs: Vec<String> = keys
        .iter()
        .copied()
        .chain(rest)
        .map(|(c, ty, k, _, ix)| format!("{} {}", q(e, c), sql_type(e, ty, k.is_some() || *ix)))
        .collect();
    let desc = keys.iter().any(|c| c.3 == Some("DESC"));
    let asc = keys.iter().any(|c| c.3 == Some("ASC"));
    let pk: Vec<String> = keys
        .iter()
        .map(|c| match (e, desc) {
            (Eng::Maria, true) => format!("{} {}", q(e, &c.0), c.3.unwrap_or("ASC")),
            _ => q(e, &c.0),
        })
        .collect();
    let mut out = vec![format!("CREATE TABLE {p}({}, PRIMARY KEY ({}))", defs.join(","), pk.join(","))];
    if e == Eng::Pg && desc && asc {
        let parts: Vec<String> = keys.iter().map(|c| format!("{} {}", q(e, &c.0), c.3.unwrap_or("ASC"))).collect();
        out.push(format!(
            "CREATE UNIQUE INDEX {} ON {p} ({})",
            q(e, &format!("index_clustering_order_{ns}_{t}")),
            parts.join(",")
        ));
    }
    for c in cols.iter().filter(|c| c.4) {
        out.push(format!("CREATE INDEX {} ON {p} ({})", q(e, &format!("index_{ns}_{t}_{}", c.0)), q(e, &c.0)));
    }
    out
}

/// The index names ScalarDB 3.19 gives a table's indexes (short names: not hashed).
pub fn index_names(e: Eng, ns: &str, t: &str, cols: &[Col]) -> Vec<String> {
    let mut v: Vec<String> = cols.iter().filter(|c| c.4).map(|c| format!("index_{ns}_{t}_{}", c.0)).collect();
    let desc = cols.iter().any(|c| c.3 == Some("DESC"));
    let asc = cols.iter().any(|c| c.3 == Some("ASC"));
    if e == Eng::Pg && desc && asc {
        v.push(format!("index_clustering_order_{ns}_{t}"));
    }
    v.sort();
    v
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn epoch_day(s: &str) -> i64 {
    let d = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap()).num_days()
}

fn nano_of_day(s: &str) -> i64 {
    use chrono::Timelike;
    let t = chrono::NaiveTime::parse_from_str(s, "%H:%M:%S%.f").unwrap();
    t.num_seconds_from_midnight() as i64 * 1_000_000_000 + t.nanosecond() as i64
}

/// ScalarDB's SQLite TIMESTAMP encoding (`util/TimeRelatedColumnEncodingUtils.java`):
/// `sec*1000 + milli` from 1970, `sec*1000 - (999 - milli)` before.
pub fn sqlite_ts(s: &str) -> i64 {
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap().and_utc();
    let (sec, milli) = (t.timestamp(), t.timestamp_subsec_millis() as i64);
    if sec >= 0 {
        sec * 1000 + milli
    } else {
        sec * 1000 - (999 - milli)
    }
}

fn sqlite_ts_decode(v: i64) -> String {
    let (sec, milli) = if v >= 0 {
        (v.div_euclid(1000), v.rem_euclid(1000))
    } else {
        ((v + 999).div_euclid(1000), (v + 999).rem_euclid(1000))
    };
    chrono::DateTime::from_timestamp(sec, milli as u32 * 1_000_000)
        .unwrap()
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S%.3f")
        .to_string()
}

/// A value as a SQL literal of the engine, stored the way ScalarDB stores it
/// (`storage/jdbc/query/PreparedStatementBinder.java`, `util/TimeRelatedColumnEncodingUtils.java`).
pub fn lit(e: Eng, v: &V) -> String {
    match (e, v) {
        (_, V::Null) => "NULL".into(),
        (Eng::Pg, V::B(b)) => b.to_string(),
        (_, V::B(b)) => (*b as i32).to_string(),
        (_, V::I(i)) => i.to_string(),
        (_, V::L(i)) => i.to_string(),
        (Eng::Pg, V::F(f)) => format!("'{f:e}'::real"),
        (_, V::F(f)) => format!("{:e}", *f as f64),
        (Eng::Pg, V::D(d)) => format!("'{d:e}'::float8"),
        (_, V::D(d)) => format!("{d:e}"),
        (Eng::Pg, V::S(s)) => format!("convert_from('\\x{}'::bytea, 'UTF8')", hex(s.as_bytes())),
        (Eng::Maria, V::S(s)) => format!("CONVERT(X'{}' USING utf8mb4)", hex(s.as_bytes())),
        (Eng::Lite, V::S(s)) => format!("CAST(X'{}' AS TEXT)", hex(s.as_bytes())),
        (Eng::Pg, V::X(b)) => format!("'\\x{}'::bytea", hex(b)),
        (_, V::X(b)) => format!("X'{}'", hex(b)),
        (Eng::Lite, V::Date(s)) => epoch_day(s).to_string(),
        (_, V::Date(s)) => format!("DATE '{s}'"),
        (Eng::Lite, V::Time(s)) => nano_of_day(s).to_string(),
        (_, V::Time(s)) => format!("TIME '{s}'"),
        (Eng::Lite, V::Ts(s) | V::Tz(s)) => sqlite_ts(s).to_string(),
        (Eng::Pg, V::Tz(s)) => format!("TIMESTAMPTZ '{s}+00'"),
        (_, V::Ts(s) | V::Tz(s)) => format!("TIMESTAMP '{s}'"),
    }
}

pub const PREPARED: i32 = 1;
pub const DELETED: i32 = 2;
pub const COMMITTED: i32 = 3;

/// The transaction the coordinator committed (its records roll forward),
/// one it never saw (roll back), and a deletion it never saw.
pub const TX_COMMIT: &str = "tx-commit-0001";
pub const TX_ABORT: &str = "tx-abort-0002";
pub const TX_DELETE: &str = "tx-delete-0003";
pub const ACCOUNTS: i64 = 10;
pub const BALANCE: i64 = 100;

fn all_bytes() -> Vec<u8> {
    (0..=255u8).collect()
}

/// The user columns of each `items` row (id … big), and its tx state and id.
pub fn item_rows() -> Vec<(Vec<V>, i32, &'static str)> {
    use V::*;
    vec![
        (
            vec![
                S("alpha"),
                I(2),
                L(10),
                S("first note"),
                B(true),
                F(1.5),
                D(2.25),
                X(vec![0, 1, 2, 255]),
                Date("2026-11-30"),
                Time("12:34:56.123456"),
                Ts("2026-11-30 12:34:56.789"),
                Tz("2026-11-30 12:34:56.789"),
                I(42),
                L(9_007_199_254_740_991),
            ],
            COMMITTED,
            "load-1",
        ),
        (
            vec![S("alpha"), I(1), L(10), Null, Null, Null, Null, Null, Null, Null, Null, Null, Null, Null],
            COMMITTED,
            "load-2",
        ),
        (
            vec![
                S("beta"),
                I(0),
                L(-5),
                S(""),
                B(false),
                F(f32::MIN),
                D(-8.98846567431158e307),
                X(vec![]),
                Date("1000-01-01"),
                Time("00:00:00"),
                Ts("1969-12-31 23:59:59.001"),
                Tz("1000-01-01 00:00:00.000"),
                I(i32::MIN),
                L(-9_007_199_254_740_991),
            ],
            COMMITTED,
            "load-3",
        ),
        (
            vec![
                S("Grüße 日本語 🎉"),
                I(-1),
                L(-1),
                S("ünïcödé ✓ 'quoted' \"double\" \\ back"),
                B(true),
                F(f32::MIN_POSITIVE),
                D(f64::MIN_POSITIVE),
                X(all_bytes()),
                Date("1969-12-31"),
                Time("23:59:59.999999"),
                Ts("9999-12-31 23:59:59.999"),
                Tz("1969-07-20 20:17:40.000"),
                I(i32::MAX),
                L(0),
            ],
            PREPARED,
            TX_COMMIT,
        ),
        (
            vec![
                S("delta"),
                I(3),
                L(0),
                S("gone"),
                B(false),
                F(-0.5),
                D(-1e-300),
                X(vec![0xde, 0xad]),
                Date("1970-01-01"),
                Time("00:00:00.000001"),
                Ts("1970-01-01 00:00:00.000"),
                Tz("1969-12-31 23:59:59.999"),
                I(-7),
                L(7),
            ],
            DELETED,
            TX_DELETE,
        ),
    ]
}

/// The full row of every column of `items` (tx and before-images filled).
pub fn item_values() -> Vec<Vec<V>> {
    let rows = item_rows();
    let first = rows[0].0.clone();
    rows.into_iter()
        .map(|(user, state, tx)| {
            let in_flight = state != COMMITTED;
            let mut v = user.clone();
            v.extend([
                V::S(tx),
                V::I(state),
                V::I(if in_flight { 2 } else { 1 }),
                V::L(1_700_000_000_000),
                if in_flight { V::Null } else { V::L(1_700_000_000_001) },
            ]);
            if in_flight {
                v.extend([V::S("load-1"), V::I(COMMITTED), V::I(1), V::L(1_600_000_000_000), V::L(1_600_000_000_001)]);
                // Before-image: the first row's values of the non-key columns.
                v.extend(first[3..].iter().cloned());
            } else {
                v.extend(std::iter::repeat_n(V::Null, 5 + ITEM_USER.len() - 3));
            }
            v
        })
        .collect()
}

/// Accounts: every balance 100; 1 and 2 PREPARED by TX_COMMIT (−5/+5), 3 and 4 by TX_ABORT (−10/+10).
pub fn account_values() -> Vec<Vec<V>> {
    (0..ACCOUNTS)
        .map(|i| {
            let (bal, state, tx) = match i {
                1 => (BALANCE - 5, PREPARED, TX_COMMIT),
                2 => (BALANCE + 5, PREPARED, TX_COMMIT),
                3 => (BALANCE - 10, PREPARED, TX_ABORT),
                4 => (BALANCE + 10, PREPARED, TX_ABORT),
                _ => (BALANCE, COMMITTED, "load"),
            };
            let f = state != COMMITTED;
            vec![
                V::I(i as i32),
                V::L(bal),
                V::S(tx),
                V::I(state),
                V::I(if f { 2 } else { 1 }),
                V::L(1_700_000_000_000),
                if f { V::Null } else { V::L(1_700_000_000_001) },
                if f { V::S("load") } else { V::Null },
                if f { V::I(COMMITTED) } else { V::Null },
                if f { V::I(1) } else { V::Null },
                if f { V::L(1_600_000_000_000) } else { V::Null },
                if f { V::L(1_600_000_000_001) } else { V::Null },
                if f { V::L(BALANCE) } else { V::Null },
            ]
        })
        .collect()
}

/// The coordinator: TX_COMMIT committed (recently: a real coordinator row).
pub fn state_values() -> Vec<Vec<V>> {
    vec![
        vec![V::S(TX_COMMIT), V::I(COMMITTED), V::L(1_700_000_000_002)],
        vec![V::S("load-1"), V::I(COMMITTED), V::L(1_600_000_000_002)],
    ]
}

fn insert(e: Eng, p: &str, cols: &[Col], rows: &[Vec<V>]) -> String {
    let names: Vec<String> = cols.iter().map(|c| q(e, &c.0)).collect();
    rows.iter()
        .map(|r| {
            format!(
                "INSERT INTO {p} ({}) VALUES ({});",
                names.join(","),
                r.iter().map(|v| lit(e, v)).collect::<Vec<_>>().join(",")
            )
        })
        .collect()
}

/// `<sys>.metadata` as ScalarDB 3.19 creates it, with a table's rows.
fn metadata(e: Eng, sys: &str, tables: &[(String, Vec<Col>)]) -> String {
    let text = |n: u32| if e == Eng::Lite { "TEXT".to_string() } else { format!("VARCHAR({n})") };
    let p = phys(e, sys, "metadata");
    let mut s = format!(
        "CREATE TABLE IF NOT EXISTS {p}({} {},{} {},{} {} NOT NULL,{} {},{} {},{} BOOLEAN NOT NULL,{} INTEGER NOT NULL, PRIMARY KEY ({}, {}));",
        q(e, "full_table_name"), text(128), q(e, "column_name"), text(128), q(e, "data_type"), text(20), q(e, "key_type"), text(20),
        q(e, "clustering_order"), text(10), q(e, "indexed"), q(e, "ordinal_position"), q(e, "full_table_name"), q(e, "column_name")
    );
    for (full, cols) in tables {
        for (i, (c, ty, k, o, ix)) in cols.iter().enumerate() {
            let opt = |x: &Option<&str>| x.map(|x| format!("'{x}'")).unwrap_or("NULL".into());
            let b = match (e, ix) {
                (Eng::Lite, true) => "TRUE",
                (Eng::Lite, false) => "FALSE",
                (_, true) => "true",
                (_, false) => "false",
            };
            s.push_str(&format!("INSERT INTO {p} VALUES ('{full}','{c}','{ty}',{},{},{b},{});", opt(k), opt(o), i + 1));
        }
    }
    s
}

/// What to create on one source database.
pub struct Part {
    pub items: bool,
    pub accounts: bool,
    pub coordinator: bool,
}

impl Part {
    pub const ALL: Part = Part { items: true, accounts: true, coordinator: true };
}

/// A table to create, with its rows.
pub struct Table {
    pub ns: String,
    pub name: String,
    pub cols: Vec<Col>,
    pub rows: Vec<Vec<V>>,
}

/// The SQL creating tables (their namespaces first) and `<sys>.metadata` listing them.
pub fn tables_sql(e: Eng, sys: &str, tables: &[Table]) -> String {
    let schema = |ns: &str| match e {
        Eng::Pg => format!("CREATE SCHEMA IF NOT EXISTS {};", q(e, ns)),
        Eng::Maria => format!("CREATE DATABASE IF NOT EXISTS {} CHARACTER SET utf8mb4;", q(e, ns)),
        Eng::Lite => String::new(),
    };
    let mut s = String::new();
    for t in tables {
        s.push_str(&schema(&t.ns));
        for d in create_table(e, &t.ns, &t.name, &t.cols) {
            s.push_str(&d);
            s.push(';');
        }
        s.push_str(&insert(e, &phys(e, &t.ns, &t.name), &t.cols, &t.rows));
    }
    s.push_str(&schema(sys));
    let meta: Vec<(String, Vec<Col>)> =
        tables.iter().map(|t| (format!("{}.{}", t.ns, t.name), t.cols.clone())).collect();
    s.push_str(&metadata(e, sys, &meta));
    s
}

/// The SQL creating a part of the deployment on one engine.
pub fn fixture_sql(e: Eng, n: &Names, part: &Part) -> String {
    let mut tables = Vec::new();
    if part.items {
        tables.push(Table { ns: n.sales.clone(), name: "items".into(), cols: item_columns(), rows: item_values() });
    }
    if part.accounts {
        tables.push(Table {
            ns: n.bank.clone(),
            name: "accounts".into(),
            cols: account_columns(),
            rows: account_values(),
        });
    }
    if part.coordinator {
        tables.push(Table { ns: n.coord.clone(), name: "state".into(), cols: state_columns(), rows: state_values() });
    }
    tables_sql(e, &n.sys, &tables)
}

/// Where a database is, for its own client.
#[derive(Clone)]
pub enum Db<'a> {
    Pg(&'a PgServer, String),
    Maria(&'a MariaDbServer),
    Lite(&'a Path),
}

impl Db<'_> {
    pub fn eng(&self) -> Eng {
        match self {
            Db::Pg(..) => Eng::Pg,
            Db::Maria(_) => Eng::Maria,
            Db::Lite(_) => Eng::Lite,
        }
    }

    /// Runs SQL with the engine's own client; rows with fields split.
    pub fn sql(&self, sql: &str) -> Vec<Vec<String>> {
        let (out, sep) = match self {
            Db::Pg(s, db) => (s.psql(db, &format!("SET TIME ZONE 'UTC'; {sql}")), '|'),
            Db::Maria(s) => (s.sql(sql), '\t'),
            Db::Lite(p) => {
                let o = Command::new("sqlite3")
                    .args(["-batch", "-bail", "-separator", "|", "-nullvalue", "NULL"])
                    .arg(p)
                    .arg(sql)
                    .output()
                    .expect("sqlite3 (package sqlite3)");
                assert!(o.status.success(), "sqlite3: {sql}\n{}", String::from_utf8_lossy(&o.stderr));
                (String::from_utf8_lossy(&o.stdout).trim().to_string(), '|')
            }
        };
        out.lines().filter(|l| !l.is_empty()).map(|l| l.split(sep).map(str::to_string).collect()).collect()
    }

    pub fn exec(&self, sql: &str) {
        self.sql(sql);
    }

    /// A column's value as canonical text, selected with the engine's own functions.
    fn select_expr(&self, c: &str, ty: &str) -> String {
        let e = self.eng();
        let col = q(e, c);
        let x = match (e, ty) {
            (Eng::Pg, "BOOLEAN") => format!("({col})::int::text"),
            (Eng::Pg, "TEXT") => format!("encode(convert_to({col}, 'UTF8'), 'hex')"),
            (Eng::Pg, "BLOB") => format!("encode({col}, 'hex')"),
            (Eng::Pg, "FLOAT") => format!("({col})::float8::text"),
            (Eng::Pg, "TIMESTAMPTZ") => format!("to_char({col} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')"),
            (Eng::Pg, _) => format!("({col})::text"),
            (Eng::Maria, "TEXT" | "BLOB") => format!("HEX({col})"),
            (Eng::Lite, "TEXT" | "BLOB") => format!("hex({col})"),
            (Eng::Lite, "FLOAT" | "DOUBLE") => format!("printf('%!.17g', {col})"),
            _ => col.clone(),
        };
        match e {
            Eng::Pg => format!("coalesce({x}, 'NULL')"),
            // SQLite's hex() and printf() turn NULL into '' and 0.0.
            Eng::Lite => format!("CASE WHEN {col} IS NULL THEN 'NULL' ELSE {x} END"),
            Eng::Maria => x,
        }
    }

    /// Every row of a table as canonical text, sorted.
    pub fn canonical_rows(&self, ns: &str, t: &str, cols: &[Col]) -> Vec<Vec<String>> {
        let e = self.eng();
        let exprs: Vec<String> = cols.iter().map(|c| self.select_expr(&c.0, c.1)).collect();
        let mut rows: Vec<Vec<String>> = self
            .sql(&format!("SELECT {} FROM {}", exprs.join(", "), phys(e, ns, t)))
            .into_iter()
            .map(|r| r.iter().zip(cols).map(|(v, c)| canon_read(e, c.1, v)).collect())
            .collect();
        rows.sort();
        rows
    }
}

/// A written value as canonical text.
pub fn canon(v: &V) -> String {
    match v {
        V::Null => "NULL".into(),
        V::B(b) => (*b as i32).to_string(),
        V::I(i) => i.to_string(),
        V::L(i) => i.to_string(),
        V::F(f) => format!("f32:{:08x}", f.to_bits()),
        V::D(d) => format!("f64:{:016x}", d.to_bits()),
        V::S(s) => hex(s.as_bytes()),
        V::X(b) => hex(b),
        V::Date(s) => s.to_string(),
        V::Time(s) => chrono::NaiveTime::parse_from_str(s, "%H:%M:%S%.f").unwrap().format("%H:%M:%S%.6f").to_string(),
        V::Ts(s) | V::Tz(s) => chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string(),
    }
}

/// A value a client printed, as canonical text (SQLite's encodings decoded here, from the reference).
fn canon_read(e: Eng, ty: &str, raw: &str) -> String {
    if raw == "NULL" {
        return raw.into();
    }
    let int = || raw.trim().parse::<i64>().unwrap_or_else(|_| panic!("{ty} {raw:?}"));
    match (e, ty) {
        (_, "BOOLEAN") => if int() != 0 { "1" } else { "0" }.into(),
        (_, "INT" | "BIGINT") => int().to_string(),
        (_, "FLOAT") => format!("f32:{:08x}", (raw.trim().parse::<f64>().unwrap() as f32).to_bits()),
        (_, "DOUBLE") => format!("f64:{:016x}", raw.trim().parse::<f64>().unwrap().to_bits()),
        (_, "TEXT" | "BLOB") => raw.to_ascii_lowercase(),
        (Eng::Lite, "DATE") => {
            (chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap() + chrono::Duration::days(int())).to_string()
        }
        (Eng::Lite, "TIME") => {
            let n = int();
            chrono::NaiveTime::from_num_seconds_from_midnight_opt(
                (n / 1_000_000_000) as u32,
                (n % 1_000_000_000) as u32,
            )
            .unwrap()
            .format("%H:%M:%S%.6f")
            .to_string()
        }
        (Eng::Lite, _) => sqlite_ts_decode(int()),
        (_, "DATE") => raw.into(),
        (_, "TIME") => {
            chrono::NaiveTime::parse_from_str(raw, "%H:%M:%S%.f").unwrap().format("%H:%M:%S%.6f").to_string()
        }
        _ => chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f")
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S%.3f")
            .to_string(),
    }
}

/// The rows the test wrote, as canonical text, sorted.
pub fn expected_rows(values: &[Vec<V>]) -> Vec<Vec<String>> {
    let mut v: Vec<Vec<String>> = values.iter().map(|r| r.iter().map(canon).collect()).collect();
    v.sort();
    v
}

/// The money with lazy recovery applied, from the accounts and the
/// coordinator as the clients read them (ScalarDB's lazy recovery: a PREPARED
/// or DELETED record whose transaction the coordinator does not call
/// COMMITTED goes back to its before-image).
pub fn recovered_money(accounts: &Db, coord: &Db, n: &Names) -> i64 {
    let committed: Vec<String> = coord
        .sql(&format!(
            "SELECT {} FROM {} WHERE tx_state = 3",
            coord.select_expr("tx_id", "TEXT"),
            phys(coord.eng(), &n.coord, "state")
        ))
        .into_iter()
        .map(|r| r[0].to_ascii_lowercase())
        .collect();
    let e = accounts.eng();
    accounts
        .sql(&format!(
            "SELECT balance, {}, tx_state, {} FROM {}",
            accounts.select_expr("before_balance", "BIGINT"),
            accounts.select_expr("tx_id", "TEXT"),
            phys(e, &n.bank, "accounts")
        ))
        .into_iter()
        .map(|r| {
            let state: i32 = r[2].parse().unwrap();
            let committed = committed.contains(&r[3].to_ascii_lowercase());
            match (state, committed) {
                (1 | 2, false) => r[1].parse::<i64>().unwrap_or(0),
                (2, true) => 0,
                _ => r[0].parse().unwrap(),
            }
        })
        .sum()
}

/// Each column's type and the index names on the target, from its catalog.
pub fn layout_of(db: &Db, ns: &str, t: &str) -> (Vec<(String, String)>, Vec<String>) {
    let (cols, idx) = match db {
        Db::Pg(..) => (
            format!("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace s ON s.oid = c.relnamespace WHERE s.nspname = '{ns}' AND c.relname = '{t}' AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"),
            format!("SELECT indexname FROM pg_indexes WHERE schemaname = '{ns}' AND tablename = '{t}' AND indexname NOT LIKE '%_pkey' ORDER BY 1"),
        ),
        Db::Maria(_) => (
            format!("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{ns}' AND TABLE_NAME = '{t}' ORDER BY ORDINAL_POSITION"),
            format!("SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{ns}' AND TABLE_NAME = '{t}' AND INDEX_NAME <> 'PRIMARY' ORDER BY 1"),
        ),
        Db::Lite(_) => (
            format!("SELECT name, type FROM pragma_table_info('{ns}${t}') ORDER BY cid"),
            format!("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{ns}${t}' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY 1"),
        ),
    };
    let c = db.sql(&cols).into_iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let i = db.sql(&idx).into_iter().map(|r| r[0].clone()).collect();
    (c, i)
}

/// What the target's catalog must say for a table: columns (keys first, as
/// the DDL orders them) with their types, and its index names.
pub fn expected_layout(e: Eng, ns: &str, t: &str, cols: &[Col]) -> (Vec<(String, String)>, Vec<String>) {
    let keys =
        cols.iter().filter(|c| c.2 == Some("PARTITION")).chain(cols.iter().filter(|c| c.2 == Some("CLUSTERING")));
    let c = keys
        .chain(cols.iter().filter(|c| c.2.is_none()))
        .map(|(c, ty, k, _, ix)| (c.clone(), introspected(e, sql_type(e, ty, k.is_some() || *ix))))
        .collect();
    (c, index_names(e, ns, t, cols))
}

/// Asserts two sets of canonical rows are equal, naming the first differing row and column.
pub fn assert_rows(what: &str, cols: &[Col], got: &[Vec<String>], want: &[Vec<String>]) {
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        for (j, (a, b)) in g.iter().zip(w).enumerate() {
            assert_eq!(a, b, "{what}: row {i} (key {:?}), column {}", &g[..3.min(g.len())], cols[j].0);
        }
    }
    assert_eq!(got.len(), want.len(), "{what}: row count");
}
