//! The migration's target layout against the layouts written out by hand in
//! test support (from ScalarDB 3.19's JDBC adapter source, not from this code).

use quiesce_engine::migrate::layout::{create_table, index_name, name_problems, Engine, MetaTable, Version};
use quiesce_testsupport::layout::*;

fn orders() -> MetaTable {
    let rows: Vec<_> = ORDERS
        .iter()
        .enumerate()
        .map(|(i, (c, t, k, o, ix))| {
            (c.to_string(), t.to_string(), k.map(String::from), o.map(String::from), *ix, i as i64 + 1)
        })
        .collect();
    MetaTable::from_rows("sales.orders", &rows).unwrap()
}

#[test]
fn every_type_key_and_index_is_what_scalardb_creates_on_each_engine_and_version() {
    let v319 = Version::parse("3.19").unwrap();
    assert_eq!(create_table(Engine::Postgresql, &orders(), v319), ORDERS_POSTGRESQL_3_19);
    assert_eq!(create_table(Engine::Mariadb, &orders(), v319), ORDERS_MARIADB_3_19);
    assert_eq!(create_table(Engine::Sqlite, &orders(), Version::parse("3.15.0").unwrap()), ORDERS_SQLITE_3_15);
    // jdbc:mysql: honours the configured key size; jdbc:mariadb: never does.
    let my = create_table(Engine::Mysql { key_size: 256 }, &orders(), v319);
    assert!(my[0].contains("`id` VARCHAR(256)") && my[0].contains("`note` VARCHAR(256)"), "{}", my[0]);
}

#[test]
fn long_index_names_are_hashed_only_by_the_versions_that_hash_them() {
    let ns = "a_namespace_with_a_long_name";
    let tbl = "and_a_table_with_a_long_name";
    let full = format!("index_{ns}_{tbl}_col");
    assert!(full.len() > 63);
    // sha256(full)[..32], computed apart from the engine's code.
    let hashed = {
        use sha2::{Digest, Sha256};
        format!("index_{}", &format!("{:x}", Sha256::digest(full.as_bytes()))[..32])
    };
    for (v, want) in [
        ("3.15.7", &full),
        ("3.15.8", &hashed),
        ("3.16.4", &full),
        ("3.16.5", &hashed),
        ("3.17.2", &full),
        ("3.17.3", &hashed),
        ("3.18", &hashed),
        ("3.19", &hashed),
    ] {
        assert_eq!(&index_name("index_", ns, tbl, Some("col"), Version::parse(v).unwrap()), want, "{v}");
    }
    // Unhashed, it is over PostgreSQL's 63 bytes: refused before anything is written.
    let t = MetaTable::from_rows(
        &format!("{ns}.{tbl}"),
        &[("col".into(), "TEXT".into(), Some("PARTITION".into()), None, true, 1)],
    )
    .unwrap();
    let p = name_problems(Engine::Postgresql, &t, Version::parse("3.15.7").unwrap());
    assert!(p.iter().any(|m| m.contains(&full) && m.contains("at most 63")), "{p:?}");
    assert!(name_problems(Engine::Postgresql, &t, Version::parse("3.19").unwrap()).is_empty());
    let dollar =
        MetaTable::from_rows("pay$ments.t", &[("k".into(), "INT".into(), Some("PARTITION".into()), None, false, 1)])
            .unwrap();
    assert!(name_problems(Engine::Sqlite, &dollar, Version::DEFAULT)[0].contains("'$'"));
    for bad in ["3", "2.9", "3.12", "x.y", "3.19.1.2"] {
        assert!(Version::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn the_target_metadata_marks_before_columns_indexed_where_the_version_indexes_them() {
    use quiesce_engine::migrate::layout::{create_metadata_table, metadata_rows};
    let idx = |v: &str| {
        metadata_rows(&orders(), Version::parse(v).unwrap())
            .into_iter()
            .find(|r| r.column_name == "before_note")
            .map(|r| (r.full_table_name, r.indexed))
    };
    assert_eq!(idx("3.19"), Some(("sales.orders".into(), true)));
    assert_eq!(idx("3.16.4"), Some(("sales.orders".into(), false)));
    let rows = metadata_rows(&orders(), Version::DEFAULT);
    let seq = rows.iter().find(|r| r.column_name == "seq").unwrap();
    assert_eq!(
        (seq.key_type.as_deref(), seq.clustering_order.as_deref(), seq.ordinal_position),
        (Some("CLUSTERING"), Some("DESC"), 2)
    );
    assert_eq!(
        create_metadata_table(Engine::Sqlite, "scalardb"),
        "CREATE TABLE IF NOT EXISTS \"scalardb$metadata\"(\"full_table_name\" TEXT,\"column_name\" TEXT,\"data_type\" TEXT NOT NULL,\"key_type\" TEXT,\"clustering_order\" TEXT,\"indexed\" BOOLEAN NOT NULL,\"ordinal_position\" INTEGER NOT NULL, PRIMARY KEY (\"full_table_name\", \"column_name\"))"
    );
    assert!(create_metadata_table(Engine::Mariadb, "scalardb").starts_with("CREATE TABLE IF NOT EXISTS `scalardb`.`metadata`(`full_table_name` VARCHAR(128),`column_name` VARCHAR(128),`data_type` VARCHAR(20) NOT NULL"));
}
