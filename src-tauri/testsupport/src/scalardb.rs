//! A ScalarDB layout for tests, written from ScalarDB's own definitions and
//! not from the engine's code, so that an engine mistake cannot be mirrored
//! here: namespaces with Consensus Commit columns, the coordinator table, and
//! the metadata table listing every table, as SQL for PostgreSQL and MySQL.
//! Sources, in scalar-labs/scalardb `core/src/main/java/com/scalar/db/`:
//! `transaction/consensuscommit/ConsensusCommitUtils.java` (the columns),
//! `transaction/consensuscommit/Coordinator.java` (the coordinator table),
//! `storage/jdbc/TableMetadataService.java` (the metadata table).

/// Consensus Commit bookkeeping columns, which every transactional table carries
/// beside its own (tx_id, tx_state, tx_version, tx_prepared_at, tx_committed_at
/// and their before_ images), with a SQL type per engine.
const TX_COLUMNS: &[(&str, &str, &str)] = &[
    ("tx_id", "TEXT", "VARCHAR(128)"),
    ("tx_state", "INT", "INT"),
    ("tx_version", "INT", "INT"),
    ("tx_prepared_at", "BIGINT", "BIGINT"),
    ("tx_committed_at", "BIGINT", "BIGINT"),
    ("before_tx_id", "TEXT", "VARCHAR(128)"),
    ("before_tx_state", "INT", "INT"),
    ("before_tx_version", "INT", "INT"),
    ("before_tx_prepared_at", "BIGINT", "BIGINT"),
    ("before_tx_committed_at", "BIGINT", "BIGINT"),
];

pub const PREPARED: i32 = 1;
pub const DELETED: i32 = 2;
pub const COMMITTED: i32 = 3;

#[derive(Clone, Copy, PartialEq)]
pub enum Engine {
    Postgres,
    Mysql,
}

/// A deployment's layout: where metadata and coordinator live, and the bank.
#[derive(Clone)]
pub struct Layout {
    pub system: String,
    pub coordinator: String,
    /// Namespace of `accounts` (account_id INT, balance BIGINT).
    pub bank: String,
    /// Namespace of `transfers` (transfer_id TEXT, amount BIGINT).
    pub audit: String,
    pub with_coordinator: bool,
    pub with_metadata: bool,
}

impl Layout {
    /// The default names of ScalarDB.
    pub fn standard() -> Layout {
        Layout {
            system: "scalardb".into(),
            coordinator: "coordinator".into(),
            bank: "bank".into(),
            audit: "audit".into(),
            with_coordinator: true,
            with_metadata: true,
        }
    }

    /// Unique names, for a server shared by several tests (MySQL namespaces are databases).
    pub fn unique(suffix: &str) -> Layout {
        Layout {
            system: format!("sdb_{suffix}"),
            coordinator: format!("coord_{suffix}"),
            bank: format!("bank_{suffix}"),
            audit: format!("audit_{suffix}"),
            with_coordinator: true,
            with_metadata: true,
        }
    }

    fn q(e: Engine, s: &str) -> String {
        match e {
            Engine::Postgres => format!("\"{s}\""),
            Engine::Mysql => format!("`{s}`"),
        }
    }

    fn table_ddl(e: Engine, ns: &str, t: &str, key: (&str, &str), cols: &[(&str, &str)]) -> String {
        let ty = |pg: &str| -> String {
            match (e, pg) {
                (Engine::Mysql, "TEXT") => "VARCHAR(128)".into(),
                (_, x) => x.into(),
            }
        };
        let mut c = vec![format!("{} {} NOT NULL", key.0, ty(key.1))];
        c.extend(cols.iter().map(|(n, t)| format!("{n} {}", ty(t))));
        c.extend(TX_COLUMNS.iter().map(|(n, pg, my)| format!("{n} {}", if e == Engine::Postgres { *pg } else { *my })));
        c.extend(cols.iter().map(|(n, t)| format!("before_{n} {}", ty(t))));
        format!("CREATE TABLE {}.{} ({}, PRIMARY KEY ({}))", Self::q(e, ns), Self::q(e, t), c.join(", "), key.0)
    }

    /// The SQL creating the layout (and `accounts` rows, each committed).
    pub fn sql(&self, e: Engine, accounts: i64, balance: i64) -> String {
        let q = |s: &str| Self::q(e, s);
        let schema = |ns: &str| match e {
            Engine::Postgres => format!("CREATE SCHEMA {};", q(ns)),
            Engine::Mysql => format!("CREATE DATABASE {};", q(ns)),
        };
        let mut s = String::new();
        for ns in [&self.bank, &self.audit] {
            s.push_str(&schema(ns));
        }
        s.push_str(&Self::table_ddl(e, &self.bank, "accounts", ("account_id", "INT"), &[("balance", "BIGINT")]));
        s.push(';');
        s.push_str(&Self::table_ddl(e, &self.audit, "transfers", ("transfer_id", "TEXT"), &[("amount", "BIGINT")]));
        s.push(';');
        if self.with_coordinator {
            s.push_str(&schema(&self.coordinator));
            let id = if e == Engine::Postgres { "TEXT" } else { "VARCHAR(128)" };
            s.push_str(&format!(
                "CREATE TABLE {}.{} (tx_id {id} NOT NULL, tx_state INT NOT NULL, tx_created_at BIGINT NOT NULL, tx_child_ids TEXT, PRIMARY KEY (tx_id));",
                q(&self.coordinator),
                q("state")
            ));
        }
        if self.with_metadata {
            s.push_str(&schema(&self.system));
            let txt = if e == Engine::Postgres { "TEXT" } else { "VARCHAR(128)" };
            s.push_str(&format!(
                "CREATE TABLE {}.{} (full_table_name {txt} NOT NULL, column_name {txt} NOT NULL, data_type {txt} NOT NULL, key_type {txt}, clustering_order {txt}, indexed BOOLEAN NOT NULL, ordinal_position INT NOT NULL, PRIMARY KEY (full_table_name, column_name));",
                q(&self.system),
                q("metadata")
            ));
            let meta = format!("{}.{}", q(&self.system), q("metadata"));
            for (full, cols) in [
                (
                    format!("{}.accounts", self.bank),
                    [("account_id", "INT", "'PARTITION'"), ("balance", "BIGINT", "NULL")],
                ),
                (
                    format!("{}.transfers", self.audit),
                    [("transfer_id", "TEXT", "'PARTITION'"), ("amount", "BIGINT", "NULL")],
                ),
            ] {
                for (i, (c, t, k)) in cols.iter().enumerate() {
                    s.push_str(&format!(
                        "INSERT INTO {meta} VALUES ('{full}', '{c}', '{t}', {k}, NULL, false, {});",
                        i + 1
                    ));
                }
            }
        }
        for i in 0..accounts {
            s.push_str(&format!(
                "INSERT INTO {}.{} (account_id, balance, tx_id, tx_state, tx_version, tx_prepared_at, tx_committed_at) VALUES ({i}, {balance}, 'load-{i}', {COMMITTED}, 1, 1, 1);",
                q(&self.bank),
                q("accounts")
            ));
        }
        s
    }

    /// Two storages of one deployment: `a` holds a bank and ScalarDB's
    /// metadata, `b` another bank, the coordinator and its own metadata (each
    /// JDBC storage keeps its own metadata table). Names unique per `suffix`.
    pub fn pair(suffix: &str) -> (Layout, Layout) {
        let u = Layout::unique(suffix);
        let a = Layout {
            bank: format!("{}_a", u.bank),
            audit: format!("{}_a", u.audit),
            with_coordinator: false,
            ..u.clone()
        };
        let b = Layout { bank: format!("{}_b", u.bank), audit: format!("{}_b", u.audit), ..u };
        (a, b)
    }

    /// Marks accounts as PREPARED (a transaction in flight, before image kept).
    pub fn prepare_sql(&self, e: Engine, ids: &[i64], state: i32, tx: &str) -> String {
        let list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        format!(
            "UPDATE {}.{} SET before_balance = balance, before_tx_id = tx_id, before_tx_state = tx_state, before_tx_version = tx_version, tx_id = '{tx}', tx_state = {state}, tx_version = tx_version + 1, tx_prepared_at = 2 WHERE account_id IN ({list});",
            Self::q(e, &self.bank),
            Self::q(e, "accounts")
        )
    }

    /// A table with Consensus Commit columns that the metadata does not list.
    pub fn unlisted_sql(&self, e: Engine, ns: &str, t: &str) -> String {
        Self::table_ddl(e, ns, t, ("id", "INT"), &[("v", "BIGINT")]) + ";"
    }
}
