//! What ScalarDB manages in each live storage of a deployment, read from the
//! database itself: namespaces and tables from ScalarDB's metadata, the
//! coordinator table, tables that look like ScalarDB's but are not listed,
//! per-table size, row estimate and in-flight (PREPARED/DELETED) records, the
//! server's version and whether the native tools here are new enough for it.
//!
//! A problem in one place (no metadata, no coordinator, a namespace the user
//! may not read, an unreachable storage) is a finding, never a failure of the
//! whole discovery. Every query runs under a statement timeout. Discovery is
//! taken on request and kept (`data/discovery/<deployment id>.json`) with the
//! time it was taken, so nothing scans tables on every click.

mod mysql;
mod postgres;
mod sqlite;
pub mod tools;

use crate::deployment::{Deployment, Deployments};
use crate::error::{Error, ErrorCode, IpcError, Result};
use crate::profile::{DbKind, Flavor, Profile};
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

/// Every discovery query is cut off after this long.
pub const STATEMENT_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Finding {
    pub severity: Severity,
    /// Stable: `no_metadata`, `no_coordinator`, `namespace_unreadable`, `unlisted_table`,
    /// `missing_table`, `in_flight`, `not_innodb`, `tool_too_old`, `tool_missing`,
    /// `unreachable`, `count_timed_out`, `descriptive`.
    pub code: String,
    pub message: String,
    /// For an error: the code a job that needs this storage stops with.
    #[serde(default)]
    pub stops_with: Option<crate::error::ErrorCode>,
}

impl Finding {
    pub fn new(severity: Severity, code: &str, message: impl Into<String>) -> Self {
        Finding { severity, code: code.into(), message: message.into(), stops_with: None }
    }

    /// An error finding, and the code a job stops with while it stands.
    pub fn blocking(code: &str, stops_with: crate::error::ErrorCode, message: impl Into<String>) -> Self {
        Finding { severity: Severity::Error, code: code.into(), message: message.into(), stops_with: Some(stops_with) }
    }
}

/// What a kind of storage can do for backups (guide: the per-database tabs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Capabilities {
    /// Multi-table transactions, so one native snapshot is consistent.
    pub transactional: bool,
    /// Point-in-time restore by the service (RDS/Azure automated backups, Cosmos continuous, DynamoDB PITR).
    pub pitr: bool,
    /// A backup Quiesce takes itself with the database's own tools.
    pub native_dump: bool,
    pub notes: Vec<String>,
}

pub fn capabilities(kind: DbKind, flavor: Flavor) -> Capabilities {
    let (transactional, pitr, native_dump, note): (bool, bool, bool, Option<&str>) = match (kind, flavor) {
        (DbKind::Postgresql | DbKind::Mysql, Flavor::AmazonRds | Flavor::Azure) => (
            true,
            true,
            true,
            Some("Managed service: automated backups restore to any point within the retention period."),
        ),
        (DbKind::Postgresql, Flavor::YugabyteManaged) => {
            (true, true, false, Some("YugabyteDB Managed: scheduled and on-demand backups in its console."))
        }
        (DbKind::Postgresql, Flavor::YugabyteYsql) => {
            (true, false, true, Some("YugabyteDB through YSQL: dumped like PostgreSQL."))
        }
        (DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite, _) => (true, false, true, None),
        (DbKind::Cassandra, _) => (
            false,
            false,
            false,
            Some("No multi-partition transactions: snapshots per node (nodetool snapshot) during a pause."),
        ),
        (DbKind::Cosmos, _) => (false, true, false, Some("Continuous backup (PITR) must be enabled on the account.")),
        (DbKind::Dynamo, _) => {
            (false, true, false, Some("PITR must be enabled on every table (Schema Loader enables it)."))
        }
        (DbKind::Oracle | DbKind::Sqlserver | DbKind::Db2, f) => {
            (true, f.is_managed(), false, Some("Backed up with the database's own tools; Quiesce does not run them."))
        }
    };
    Capabilities { transactional, pitr, native_dump, notes: note.map(|n| vec![n.to_string()]).unwrap_or_default() }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TableInfo {
    pub namespace: String,
    pub table: String,
    /// ScalarDB's own metadata table (`<system>.metadata`).
    #[serde(default)]
    pub is_metadata: bool,
    /// The name in the database: `ns.table`, or `ns$table` on SQLite.
    pub physical_name: String,
    pub in_metadata: bool,
    pub is_coordinator: bool,
    /// Estimated rows (exact on SQLite); None when it could not be read.
    // JSON numbers: counts and sizes stay far below 2^53.
    #[ts(type = "number | null")]
    pub rows: Option<i64>,
    pub rows_exact: bool,
    // JSON numbers: counts and sizes stay far below 2^53.
    #[ts(type = "number | null")]
    pub size_bytes: Option<i64>,
    /// Records in PREPARED (1) and DELETED (2) state now: in-flight transactions.
    // JSON numbers: counts and sizes stay far below 2^53.
    #[ts(type = "number | null")]
    pub prepared: Option<i64>,
    // JSON numbers: counts and sizes stay far below 2^53.
    #[ts(type = "number | null")]
    pub deleted: Option<i64>,
    /// MySQL/MariaDB storage engine.
    pub engine: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ToolCheck {
    pub tool: String,
    pub path: Option<String>,
    pub version: Option<String>,
    pub major: Option<u32>,
    pub ok: bool,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct StorageDiscovery {
    pub storage: String,
    pub profile: String,
    pub kind: DbKind,
    pub flavor: Flavor,
    /// Whether Quiesce connects to this kind at all.
    pub live: bool,
    pub reachable: bool,
    pub error: Option<IpcError>,
    pub product: Option<String>,
    pub server_version: Option<String>,
    pub server_major: Option<u32>,
    pub capabilities: Capabilities,
    pub tools: Vec<ToolCheck>,
    /// ScalarDB namespaces found here (from the metadata), coordinator and system namespace included.
    pub namespaces: Vec<String>,
    pub tables: Vec<TableInfo>,
    pub metadata_found: bool,
    pub coordinator_found: bool,
    pub findings: Vec<Finding>,
    /// MySQL/MariaDB: whether the server writes a binary log (`@@log_bin`),
    /// which decides whether a dump can record its binlog coordinates.
    #[serde(skip)]
    #[ts(skip)]
    pub binlog: Option<bool>,
}

impl StorageDiscovery {
    fn new(storage: &str, p: &Profile) -> Self {
        StorageDiscovery {
            storage: storage.into(),
            profile: p.name.clone(),
            kind: p.kind,
            flavor: p.flavor,
            live: p.kind.is_live(),
            reachable: false,
            error: None,
            product: None,
            server_version: None,
            server_major: None,
            capabilities: capabilities(p.kind, p.flavor),
            tools: Vec::new(),
            namespaces: Vec::new(),
            tables: Vec::new(),
            metadata_found: false,
            coordinator_found: false,
            binlog: None,
            findings: Vec::new(),
        }
    }

    pub fn finding(&mut self, severity: Severity, code: &str, message: impl Into<String>) {
        self.findings.push(Finding::new(severity, code, message));
    }

    /// An error finding that stops a job needing this storage, with `stops_with`.
    pub fn blocking(&mut self, code: &str, stops_with: crate::error::ErrorCode, message: impl Into<String>) {
        self.findings.push(Finding::blocking(code, stops_with, message));
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Discovery {
    pub deployment_id: String,
    pub deployment: String,
    #[ts(type = "string")]
    pub taken_at: DateTime<Utc>,
    pub duration_ms: f64,
    pub storages: Vec<StorageDiscovery>,
}

impl Discovery {
    pub fn storage(&self, name: &str) -> Option<&StorageDiscovery> {
        self.storages.iter().find(|s| s.storage == name)
    }
}

/// What a storage is expected to hold, from the deployment's configuration.
pub(crate) struct Expect<'a> {
    pub coordinator_namespace: &'a str,
    pub system_namespace: &'a str,
    /// Whether the coordinator namespace maps to this storage.
    pub coordinator_here: bool,
    pub uses_coordinator: bool,
    /// Count rows and in-flight records (full scans of small tables). A
    /// backup does not need them: it counts in its own snapshot.
    pub count_rows: bool,
}

/// Discovers every storage of a deployment; one storage's failure is a finding.
pub async fn discover(deployments: &Deployments, d: &Deployment, cancel: &CancellationToken) -> Result<Discovery> {
    discover_with(deployments, d, cancel, true).await
}

/// Discovery without row counts: what a backup checks before it starts.
pub async fn discover_for_backup(
    deployments: &Deployments,
    d: &Deployment,
    cancel: &CancellationToken,
) -> Result<Discovery> {
    discover_with(deployments, d, cancel, false).await
}

async fn discover_with(
    deployments: &Deployments,
    d: &Deployment,
    cancel: &CancellationToken,
    count_rows: bool,
) -> Result<Discovery> {
    let started = Instant::now();
    let pairs = {
        let ds = deployments.clone();
        let d2 = d.clone();
        tokio::task::spawn_blocking(move || ds.storage_profiles(&d2))
            .await
            .map_err(|e| Error::internal(format!("a background task failed: {e}")))??
    };
    let mut storages = Vec::new();
    for (s, p) in pairs {
        let mut out = StorageDiscovery::new(&s.name, &p);
        if !p.kind.is_live() {
            out.finding(
                Severity::Info,
                "descriptive",
                format!("{} is described, not connected to: its backup is a runbook step.", p.kind.label()),
            );
            storages.push(out);
            continue;
        }
        let expect = Expect {
            coordinator_namespace: &d.coordinator_namespace,
            system_namespace: &d.system_namespace,
            coordinator_here: d.coordinator_storage() == Some(s.name.as_str()),
            uses_coordinator: d.transaction_manager != crate::deployment::TransactionManager::Jdbc,
            count_rows,
        };
        let password = {
            let profiles = deployments.profiles().clone();
            let p2 = p.clone();
            tokio::task::spawn_blocking(move || profiles.secret(&p2))
                .await
                .map_err(|e| Error::internal(format!("a background task failed: {e}")))?
        };
        let work = async {
            let password = password?;
            match p.kind {
                DbKind::Postgresql => postgres::discover(&p, password.as_ref(), &expect, &mut out).await,
                DbKind::Mysql => mysql::discover(&p, password.as_ref(), &expect, &mut out).await,
                DbKind::Sqlite => sqlite::discover(&p, &expect, &mut out).await,
                _ => Ok(()),
            }
        };
        let r = tokio::select! {
            r = work => r,
            _ = cancel.cancelled() => return Err(Error::cancelled()),
        };
        if let Err(e) = r {
            out.blocking("unreachable", e.code, e.message.clone());
            out.error = Some(e.to_ipc());
        }
        check_expectations(&expect, &mut out);
        storages.push(out);
    }
    Ok(Discovery {
        deployment_id: d.id.clone(),
        deployment: d.name.clone(),
        taken_at: Utc::now(),
        duration_ms: (started.elapsed().as_secs_f64() * 10_000.0).round() / 10.0,
        storages,
    })
}

/// Findings that follow from what was (not) found, the same for every engine.
fn check_expectations(e: &Expect, out: &mut StorageDiscovery) {
    if !out.reachable {
        return;
    }
    if e.coordinator_here && e.uses_coordinator && !out.coordinator_found {
        out.blocking(
            "no_coordinator",
            ErrorCode::InvalidInput,
            format!(
                "The coordinator table {}.state is not here, although the coordinator namespace maps to this storage. Without it, restored data cannot be recovered (lazy recovery needs it). Check the coordinator namespace, or create it with ScalarDB's Schema Loader (--coordinator).",
                e.coordinator_namespace
            ),
        );
    }
    let in_flight: i64 =
        out.tables.iter().filter(|t| !t.is_coordinator).map(|t| t.prepared.unwrap_or(0) + t.deleted.unwrap_or(0)).sum();
    if in_flight > 0 {
        out.finding(
            Severity::Info,
            "in_flight",
            format!("{in_flight} record(s) are PREPARED or DELETED right now (transactions in flight). A consistent backup keeps them with the coordinator; lazy recovery settles them after a restore."),
        );
    }
}

/// Where the last discovery of a deployment is kept.
fn cache_path(home: &crate::paths::Home, deployment_id: &str) -> std::path::PathBuf {
    home.data_dir.join("discovery").join(format!("{deployment_id}.json"))
}

pub fn save(home: &crate::paths::Home, d: &Discovery) -> Result<()> {
    let path = cache_path(home, &d.deployment_id);
    crate::paths::create_private_dir(path.parent().unwrap())?;
    store::write_json(&path, d)
}

/// The last discovery taken for a deployment, if any.
pub fn load(home: &crate::paths::Home, deployment_id: &str) -> Result<Option<Discovery>> {
    // A cache that no longer parses (an older format) is as good as none.
    let d: Option<Discovery> = store::read_json::<Option<Discovery>>(&cache_path(home, deployment_id)).unwrap_or(None);
    Ok(d)
}

/// `ns.table` -> (ns, table).
pub(crate) fn split_full_name(full: &str) -> Option<(String, String)> {
    let (ns, t) = full.split_once('.')?;
    (!ns.is_empty() && !t.is_empty()).then(|| (ns.to_string(), t.to_string()))
}

/// Tables with Consensus Commit columns that ScalarDB's metadata does not list.
pub(crate) fn report_unlisted(out: &mut StorageDiscovery, listed: &[(String, String)], found: Vec<(String, String)>) {
    for (ns, t) in found {
        if listed.iter().any(|(n, x)| *n == ns && *x == t) {
            continue;
        }
        let fate = if listed.iter().any(|(n, _)| *n == ns) {
            "it is in a ScalarDB namespace and will be backed up, but ScalarDB will not see it after a restore."
        } else {
            "it is not in a ScalarDB namespace, so it is not backed up. Add it with the Schema Loader if ScalarDB uses it."
        };
        out.finding(
            Severity::Warning,
            "unlisted_table",
            format!("{ns}.{t} has Consensus Commit columns but ScalarDB's metadata does not list it: {fate}"),
        );
    }
}

/// The metadata table as a table of the backup (it has no Consensus Commit columns).
pub(crate) fn metadata_table(
    system: &str,
    physical_name: String,
    rows: Option<i64>,
    size_bytes: Option<i64>,
) -> TableInfo {
    TableInfo {
        is_metadata: true,
        rows,
        rows_exact: rows.is_some(),
        size_bytes,
        ..TableInfo::named(system, "metadata", physical_name)
    }
}

impl TableInfo {
    /// A table by its names; what it holds is unknown until read.
    pub(crate) fn named(namespace: &str, table: &str, physical_name: String) -> TableInfo {
        TableInfo {
            namespace: namespace.into(),
            table: table.into(),
            is_metadata: false,
            physical_name,
            in_metadata: false,
            is_coordinator: false,
            rows: None,
            rows_exact: false,
            size_bytes: None,
            prepared: None,
            deleted: None,
            engine: None,
        }
    }
}

impl StorageDiscovery {
    /// The namespaces found (sorted, once each): the tables', and the system
    /// namespace when its metadata was read.
    pub(crate) fn settle_namespaces(&mut self, system: &str) {
        let mut v: Vec<String> = self.tables.iter().map(|t| t.namespace.clone()).collect();
        if self.metadata_found {
            v.push(system.to_string());
        }
        v.sort();
        v.dedup();
        self.namespaces = v;
    }
}

/// The major version of a "15.19 (Debian ...)" / "18.4" / "10.11.19-MariaDB" string.
pub fn major_of(version: &str) -> Option<u32> {
    version.trim().split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty())?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_follow_the_guide() {
        assert!(capabilities(DbKind::Postgresql, Flavor::SelfHosted).transactional);
        assert!(!capabilities(DbKind::Postgresql, Flavor::SelfHosted).pitr);
        assert!(capabilities(DbKind::Mysql, Flavor::AmazonRds).pitr);
        for k in [DbKind::Cassandra, DbKind::Cosmos, DbKind::Dynamo] {
            assert!(!capabilities(k, k.flavors()[0]).transactional, "{k:?}");
        }
        assert!(capabilities(DbKind::Dynamo, Flavor::Cloud).pitr);
    }

    #[test]
    fn majors() {
        assert_eq!(major_of("15.19 (Debian 15.19-0+deb12u1)"), Some(15));
        assert_eq!(major_of("10.11.19-MariaDB-0+deb12u1"), Some(10));
        assert_eq!(major_of("pg_dump (PostgreSQL) 18.4"), Some(18));
        assert_eq!(major_of(""), None);
    }
}
