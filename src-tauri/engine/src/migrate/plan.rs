//! What a migration plans and proves: the types the CLI prints and the app
//! receives over IPC.

use crate::deployment::NamespaceMapping;
use crate::job::Check;
use crate::restore::UnitTarget;
use crate::verify::audit::AuditReport;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct MigrateOptions {
    /// Source storage → target profile (`UNIT=PROFILE`); several storages may name one profile.
    pub to: Vec<UnitTarget>,
    /// The ScalarDB release the target is laid out for (default 3.19).
    pub scalardb_version: Option<String>,
    /// `scalar.db.jdbc.mysql.variable_key_column_size` for a MySQL target (default 128).
    pub mysql_key_size: Option<u32>,
    /// Create MySQL/MariaDB namespaces with a binary NO PAD collation (a
    /// deviation from Schema Loader, which keeps the server's default).
    pub binary_collation: bool,
    /// ScalarDB is stopped: read several databases without pausing.
    pub no_pause: bool,
    /// Read a catalog backup (its id or folder) instead of the live databases.
    #[serde(default)]
    pub from_backup: Option<String>,
    /// With `from_backup`: an empty profile per PostgreSQL/MySQL unit
    /// (`UNIT=PROFILE`) the backup is restored into to be read, and emptied after.
    #[serde(default)]
    pub scratch: Vec<UnitTarget>,
    /// The longest pause for this migration, in ms (default: the deployment's).
    #[serde(default)]
    #[ts(type = "number | null")]
    pub max_pause_ms: Option<u64>,
}

/// One column of a table as the target gets it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ColumnPlan {
    pub name: String,
    pub scalar_type: String,
    pub target_type: String,
    /// PARTITION, CLUSTERING ASC/DESC, INDEX, or empty.
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TablePlan {
    pub namespace: String,
    pub table: String,
    pub source_storage: String,
    pub target_storage: String,
    #[ts(type = "number")]
    pub rows: u64,
    pub columns: Vec<ColumnPlan>,
    /// The DDL run on the target (table, then its indexes).
    pub ddl: Vec<String>,
    /// Listed in `<sys>.metadata`; false for a table copied as it is (a
    /// ScalarDB Cluster table of the system namespace, say), whose rows are
    /// proven like the others but which gets no metadata rows.
    #[serde(default = "yes")]
    pub in_metadata: bool,
}

pub(super) fn yes() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TargetPlan {
    /// The storage's name in the new configuration.
    pub storage: String,
    pub profile: String,
    /// PostgreSQL, MySQL, MariaDB, SQLite.
    pub engine: String,
    pub units: Vec<String>,
    /// The namespaces' collation on MySQL/MariaDB (the server's default unless the binary option).
    pub collation: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MigrationPlan {
    pub deployment: String,
    pub scalardb_version: String,
    pub targets: Vec<TargetPlan>,
    pub tables: Vec<TablePlan>,
    pub checks: Vec<Check>,
    /// The new namespace → storage mapping.
    pub mapping: Vec<NamespaceMapping>,
    /// A ready `database.properties` for the target (no password).
    pub properties: String,
    /// What changes for ScalarDB, and deviations from Schema Loader.
    pub notes: Vec<String>,
    /// Objects an earlier migration left on a target (dropped before this one starts).
    pub leftovers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct TableProof {
    pub table: String,
    #[ts(type = "number")]
    pub source_rows: u64,
    #[ts(type = "number")]
    pub target_rows: u64,
    pub source_fingerprint: String,
    pub target_fingerprint: String,
    pub secs: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct MigrationResult {
    pub plan: MigrationPlan,
    pub proofs: Vec<TableProof>,
    pub source_audit: Option<AuditReport>,
    pub target_audit: Option<AuditReport>,
    pub paused_ms: Option<f64>,
    pub elapsed_secs: f64,
    /// Where the properties file was written, when asked.
    pub properties_file: Option<String>,
}
