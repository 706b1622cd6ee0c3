//! The target layouts the migration tests expect, written out by hand from
//! ScalarDB 3.19's own source (scalar-labs/scalardb, in
//! `core/src/main/java/com/scalar/db/`: column types from
//! `storage/jdbc/JdbcAdmin.java` `getVendorDbColumnType` and each
//! `storage/jdbc/RdbEngine*.java`, keys and index names from `JdbcAdmin.java`,
//! the Consensus Commit columns from
//! `transaction/consensuscommit/ConsensusCommitUtils.java`) — never produced by
//! the engine's code they check.

/// (column, data_type, key_type, clustering_order, indexed).
pub type Col = (&'static str, &'static str, Option<&'static str>, Option<&'static str>, bool);

/// `sales.orders` as `scalardb.metadata` lists it: (column, type, key, order, indexed).
/// `id` partition key, `seq` DESC and `at` ASC clustering keys (mixed orders),
/// `note` indexed, one column of every other type, the Consensus Commit
/// columns; `before_note` not indexed (a table created before 3.16.5).
pub const ORDERS: &[Col] = &[
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
    ("tx_id", "TEXT", None, None, false),
    ("tx_state", "INT", None, None, false),
    ("before_note", "TEXT", None, None, false),
];

/// What ScalarDB 3.19 creates for ORDERS on PostgreSQL.
pub const ORDERS_POSTGRESQL_3_19: &[&str] = &[
    "CREATE TABLE \"sales\".\"orders\"(\"id\" VARCHAR(10485760),\"seq\" INT,\"at\" BIGINT,\"note\" VARCHAR(10485760),\"paid\" BOOLEAN,\"f\" REAL,\"amount\" DOUBLE PRECISION,\"photo\" BYTEA,\"d\" DATE,\"t\" TIME,\"ts\" TIMESTAMP,\"tz\" TIMESTAMP WITH TIME ZONE,\"tx_id\" TEXT,\"tx_state\" INT,\"before_note\" VARCHAR(10485760), PRIMARY KEY (\"id\",\"seq\",\"at\"))",
    "CREATE UNIQUE INDEX \"index_clustering_order_sales_orders\" ON \"sales\".\"orders\" (\"id\" ASC,\"seq\" DESC,\"at\" ASC)",
    "CREATE INDEX \"index_sales_orders_note\" ON \"sales\".\"orders\" (\"note\")",
    "CREATE INDEX \"index_sales_orders_before_note\" ON \"sales\".\"orders\" (\"before_note\")",
];

/// What ScalarDB 3.19 creates for ORDERS through a `jdbc:mariadb:` URL (key size always 128).
pub const ORDERS_MARIADB_3_19: &[&str] = &[
    "CREATE TABLE `sales`.`orders`(`id` VARCHAR(128),`seq` INT,`at` BIGINT,`note` VARCHAR(128),`paid` BOOLEAN,`f` REAL,`amount` DOUBLE,`photo` LONGBLOB,`d` DATE,`t` TIME(6),`ts` DATETIME(3),`tz` DATETIME(3),`tx_id` LONGTEXT,`tx_state` INT,`before_note` VARCHAR(128), PRIMARY KEY (`id` ASC,`seq` DESC,`at` ASC))",
    "CREATE INDEX `index_sales_orders_note` ON `sales`.`orders` (`note`)",
    "CREATE INDEX `index_sales_orders_before_note` ON `sales`.`orders` (`before_note`)",
];

/// What ScalarDB 3.15.0 creates for ORDERS on SQLite: no clustering order,
/// no index on before_note (it came with 3.16.5), `ns$tbl`.
pub const ORDERS_SQLITE_3_15: &[&str] = &[
    "CREATE TABLE \"sales$orders\"(\"id\" TEXT,\"seq\" INT,\"at\" BIGINT,\"note\" TEXT,\"paid\" BOOLEAN,\"f\" FLOAT,\"amount\" DOUBLE,\"photo\" BLOB,\"d\" INT,\"t\" BIGINT,\"ts\" BIGINT,\"tz\" BIGINT,\"tx_id\" TEXT,\"tx_state\" INT,\"before_note\" TEXT, PRIMARY KEY (\"id\",\"seq\",\"at\"))",
    "CREATE INDEX \"index_sales_orders_note\" ON \"sales$orders\" (\"note\")",
];
