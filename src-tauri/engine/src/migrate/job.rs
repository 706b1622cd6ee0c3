//! The migration job: one consistent read of the source deployment (one
//! snapshot per database, opened inside a pause when there are several), the
//! target layout built from `<sys>.metadata` (layout.rs), the checks that stop
//! it before anything is written (names, key sizes, collisions, a target that
//! already holds the namespaces), the copy of every row with its Consensus
//! Commit columns, and the proof: per table the row count and a fingerprint
//! over the canonical key order on both sides, and the consistency audit on
//! the target giving what it gave on the source.
//!
//! Everything created on a target is written to a ledger first
//! (`<data>/migrations/<profile id>.json`); a failed or cancelled migration
//! drops it, and when the target could not be reached for that, the next run
//! (or `--cleanup`) does.

use super::from_backup::FromBackup;
use super::io::{self, Col};
use super::layout::{self, Engine, KeyKind, MetaRow, MetaTable, ScalarType, Version};
use super::values::Val;
use crate::deployment::{Deployment, Deployments, NamespaceMapping};
use crate::error::{Error, ErrorCode, Result};
use crate::job::{self, Check, Live, Sink, Ticker};
use crate::live::{Dialect, Inner, LiveConn};
use crate::profile::{DbKind, Profile};
use crate::restore::UnitTarget;
use crate::verify::audit::{self, AuditPart, AuditReport, AuditTable};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
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

fn yes() -> bool {
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

/// The TypeScript declarations of the migration's IPC types (for api.rs).
pub fn ts_decls(cfg: &ts_rs::Config) -> Vec<String> {
    vec![
        MigrateOptions::decl(cfg),
        ColumnPlan::decl(cfg),
        TablePlan::decl(cfg),
        TargetPlan::decl(cfg),
        MigrationPlan::decl(cfg),
        TableProof::decl(cfg),
        MigrationResult::decl(cfg),
    ]
}

/// What a migration created on one target, written before it is created.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Ledger {
    profile_id: String,
    profile_name: String,
    deployment: String,
    /// (kind, name): `schema` (PostgreSQL schema, MySQL database) or `table` (SQLite).
    objects: Vec<(String, String)>,
}

fn ledger_path(home: &crate::paths::Home, profile_id: &str) -> PathBuf {
    home.data_dir.join("migrations").join(format!("{profile_id}.json"))
}

/// A source database: its storages' tables, read inside one snapshot.
struct Source {
    storages: Vec<String>,
    conn: LiveConn,
    tables: Vec<MetaTable>,
    /// Tables of its namespaces the metadata does not list (copied as they are).
    unlisted: Vec<MetaTable>,
}

/// A target database.
struct Target {
    storage: String,
    profile: Profile,
    engine: Engine,
    conn: LiveConn,
    collation: Option<String>,
    /// Case-insensitive, trailing-space-insensitive (PAD SPACE) under that collation.
    folds: (bool, bool),
    /// The server's default character set, where namespaces take it (MySQL/MariaDB).
    charset: Option<String>,
    ledger: Ledger,
}

/// One table's move.
struct Move {
    table: MetaTable,
    source: usize,
    target: usize,
    rows: u64,
    /// Listed in the source's metadata (else copied as it is, no metadata rows).
    listed: bool,
}

fn engine_label(e: Engine) -> &'static str {
    match e {
        Engine::Postgresql => "PostgreSQL",
        Engine::Mysql { .. } => "MySQL",
        Engine::Mariadb => "MariaDB",
        Engine::Sqlite => "SQLite",
    }
}

fn cols_of(t: &MetaTable) -> Vec<Col> {
    t.columns.iter().map(|c| Col { name: c.name.clone(), ty: c.data_type }).collect()
}

/// Partition keys, then clustering keys, each in metadata order.
fn keys_of(t: &MetaTable) -> Vec<Col> {
    t.columns
        .iter()
        .filter(|c| c.key == KeyKind::Partition)
        .chain(t.columns.iter().filter(|c| matches!(c.key, KeyKind::Clustering { .. })))
        .map(|c| Col { name: c.name.clone(), ty: c.data_type })
        .collect()
}

fn full(t: &MetaTable) -> String {
    format!("{}.{}", t.namespace, t.table)
}

/// Opens the snapshot a whole migration reads from.
async fn begin_snapshot(c: &mut LiveConn) -> Result<()> {
    match c.dialect() {
        Dialect::Postgres => {
            c.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
            c.rows("SELECT 1").await?;
        }
        Dialect::Mysql => {
            c.exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ").await?;
            c.exec("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY").await?;
        }
        Dialect::Sqlite => {
            c.exec("BEGIN").await?;
            c.rows("SELECT count(*) FROM sqlite_master").await?;
        }
    }
    Ok(())
}

/// The tables `<sys>.metadata` lists on one source database.
async fn read_metadata(c: &mut LiveConn, sys: &str) -> Result<Vec<MetaTable>> {
    let sql = format!(
        "SELECT full_table_name, column_name, data_type, key_type, clustering_order, indexed, ordinal_position FROM {}",
        c.table(sys, "metadata")
    );
    let rows = c.rows(&sql).await.map_err(|e| {
        Error::new(
            e.code,
            format!("Could not read ScalarDB's metadata ({sys}.metadata) on the source: {}. A migration copies what the metadata lists; check the system namespace of the deployment.", e.message),
        )
    })?;
    let mut by_table: BTreeMap<String, Vec<MetaRow>> = BTreeMap::new();
    for r in rows {
        let get = |i: usize| r.get(i).cloned().flatten();
        let indexed = matches!(get(5).as_deref().map(str::to_ascii_lowercase).as_deref(), Some("t" | "true" | "1"));
        let ordinal = get(6).and_then(|v| v.trim().parse().ok()).unwrap_or(0);
        by_table.entry(get(0).unwrap_or_default()).or_default().push((
            get(1).unwrap_or_default(),
            get(2).unwrap_or_default(),
            get(3),
            get(4),
            indexed,
            ordinal,
        ));
    }
    by_table.iter().map(|(name, rows)| MetaTable::from_rows(name, rows)).collect()
}

/// The target engine: MariaDB and MySQL told apart by the server.
async fn engine_of(c: &mut LiveConn, p: &Profile, key_size: u32) -> Result<Engine> {
    Ok(match p.kind {
        DbKind::Postgresql => Engine::Postgresql,
        DbKind::Sqlite => Engine::Sqlite,
        DbKind::Mysql => {
            let v = c.rows("SELECT VERSION()").await?;
            let v = v.first().and_then(|r| r.first().cloned().flatten()).unwrap_or_default();
            if v.contains("MariaDB") {
                Engine::Mariadb
            } else {
                Engine::Mysql { key_size }
            }
        }
        k => {
            return Err(Error::new(
                ErrorCode::Unsupported,
                format!(
                    "{} is not a migration target: Quiesce migrates between PostgreSQL, MySQL/MariaDB and SQLite.",
                    k.label()
                ),
            ))
        }
    })
}

/// A namespace exists on the target (SQLite: any table with its prefix).
async fn namespace_exists(t: &mut Target, ns: &str) -> Result<bool> {
    let sql = match t.engine {
        Engine::Sqlite => format!(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND substr(name, 1, {}) = {}",
            ns.chars().count() + 1,
            t.conn.lit(&format!("{ns}$"))
        ),
        _ => format!("SELECT count(*) FROM information_schema.schemata WHERE schema_name = {}", t.conn.lit(ns)),
    };
    Ok(t.conn.scalar_i64(&sql).await?.unwrap_or(0) > 0)
}

pub(super) async fn drop_object(conn: &mut LiveConn, kind: &str, name: &str) -> Result<()> {
    let q = crate::live::quote_ident(conn.dialect(), name);
    let sql = match (conn.dialect(), kind) {
        (Dialect::Postgres, _) => format!("DROP SCHEMA IF EXISTS {q} CASCADE"),
        (Dialect::Mysql, _) => format!("DROP DATABASE IF EXISTS {q}"),
        (Dialect::Sqlite, _) => format!("DROP TABLE IF EXISTS {q}"),
    };
    conn.exec(&sql).await
}

/// Drops what a ledger lists; the ledger goes once all is gone.
async fn drop_ledger(home: &crate::paths::Home, conn: &mut LiveConn, l: &Ledger) -> Result<()> {
    if conn.dialect() == Dialect::Postgres {
        // A failed statement leaves an open transaction aborted.
        let _ = conn.exec("ROLLBACK").await;
    }
    for (kind, name) in l.objects.iter().rev() {
        drop_object(conn, kind, name).await?;
    }
    let p = ledger_path(home, &l.profile_id);
    match std::fs::remove_file(&p) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io("remove the migration ledger", &p, e)),
        _ => Ok(()),
    }
}

fn describe(l: &Ledger) -> Vec<String> {
    l.objects
        .iter()
        .map(|(k, n)| {
            format!("{} \"{n}\" on profile {}", if k == "table" { "table" } else { "namespace" }, l.profile_name)
        })
        .collect()
}

/// The length that bounds a key column on MySQL: characters for TEXT, bytes for BLOB.
fn length_sql(d: Dialect, col: &str, ty: ScalarType) -> String {
    let q = crate::live::quote_ident(d, col);
    match (d, ty) {
        (Dialect::Postgres, ScalarType::Text) => format!("char_length({q})"),
        (Dialect::Postgres, _) => format!("octet_length({q})"),
        (Dialect::Mysql, ScalarType::Text) => format!("CHAR_LENGTH({q})"),
        (Dialect::Mysql, _) => format!("LENGTH({q})"),
        (Dialect::Sqlite, _) => format!("length({q})"),
    }
}

/// A TEXT key folded the way a collation compares it (lower case, trailing spaces cut).
fn fold_sql(d: Dialect, col: &str, (ci, pad): (bool, bool)) -> String {
    let q = crate::live::quote_ident(d, col);
    match d {
        Dialect::Postgres => {
            let mut e = q;
            if pad {
                e = format!("rtrim({e}, ' ')");
            }
            if ci {
                e = format!("lower({e})");
            }
            format!("{e} COLLATE \"C\"")
        }
        Dialect::Mysql => {
            let mut e = q;
            if pad {
                e = format!("TRIM(TRAILING ' ' FROM {e})");
            }
            if ci {
                e = format!("LOWER({e})");
            }
            format!("CAST({e} AS BINARY)")
        }
        Dialect::Sqlite => format!("quiesce_fold({q}, {}, {})", ci as i32, pad as i32),
    }
}

/// SQLite's `lower` knows ASCII only: the fold is Rust's, on the source's connection.
fn register_fold(c: &LiveConn) -> Result<()> {
    if let Inner::Lite(conn) = &c.inner {
        use rusqlite::functions::FunctionFlags;
        conn.lock()
            .unwrap()
            .create_scalar_function(
                "quiesce_fold",
                3,
                FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_UTF8,
                |ctx| {
                    let s: Option<String> = ctx.get(0)?;
                    let (ci, pad): (bool, bool) = (ctx.get(1)?, ctx.get(2)?);
                    Ok(s.map(|s| {
                        let s = if pad { s.trim_end_matches(' ').to_string() } else { s };
                        if ci {
                            s.to_lowercase()
                        } else {
                            s
                        }
                    }))
                },
            )
            .map_err(|e| Error::new(ErrorCode::DatabaseError, format!("SQLite: {e}")))?;
    }
    Ok(())
}

/// How a MySQL/MariaDB collation compares: (case-insensitive, PAD SPACE).
/// MariaDB's `_nopad_` and MySQL 8's `_0900_` collations do not pad.
fn collation_folds(collation: &str) -> (bool, bool) {
    let c = collation.to_ascii_lowercase();
    (c.ends_with("_ci"), !(c.contains("nopad") || c.contains("_0900_") || c == "binary"))
}

/// The binary NO PAD collation of the option, per server.
fn binary_collation(e: Engine) -> &'static str {
    match e {
        Engine::Mariadb => "utf8mb4_nopad_bin",
        _ => "utf8mb4_0900_bin",
    }
}

/// `database.properties` for the target: one storage or multi-storage (no password).
fn properties(
    d: &Deployment,
    targets: &[TargetPlan],
    profiles: &[&Profile],
    mapping: &[NamespaceMapping],
    engines: &[Engine],
) -> String {
    let url = |p: &Profile, e: Engine| -> String {
        match e {
            Engine::Postgresql => format!(
                "jdbc:postgresql://{}:{}/{}",
                p.host.as_deref().unwrap_or("localhost"),
                p.port.unwrap_or(5432),
                p.database.as_deref().unwrap_or("postgres")
            ),
            Engine::Mariadb => {
                format!("jdbc:mariadb://{}:{}/", p.host.as_deref().unwrap_or("localhost"), p.port.unwrap_or(3306))
            }
            Engine::Mysql { .. } => {
                format!("jdbc:mysql://{}:{}/", p.host.as_deref().unwrap_or("localhost"), p.port.unwrap_or(3306))
            }
            Engine::Sqlite => format!("jdbc:sqlite:{}?busy_timeout=50000", p.path.as_deref().unwrap_or("")),
        }
    };
    let mut out = vec![
        format!("# database.properties for deployment \"{}\" after its migration by Quiesce.", d.name),
        "# Set the password(s) where marked; Quiesce never writes one.".to_string(),
        format!("scalar.db.transaction_manager={}", d.transaction_manager.as_str()),
    ];
    let key_size = |e: Engine, prefix: &str| match e {
        Engine::Mysql { key_size } if key_size != 128 => {
            vec![format!("{prefix}jdbc.mysql.variable_key_column_size={key_size}")]
        }
        _ => vec![],
    };
    if targets.len() == 1 {
        let (p, e) = (profiles[0], engines[0]);
        out.push("scalar.db.storage=jdbc".into());
        out.push(format!("scalar.db.contact_points={}", url(p, e)));
        if e != Engine::Sqlite {
            out.push(format!("scalar.db.username={}", p.user.as_deref().unwrap_or("")));
            out.push("# scalar.db.password=<the password of this user>".into());
        }
        out.extend(key_size(e, "scalar.db."));
    } else {
        out.push("scalar.db.storage=multi-storage".into());
        out.push(format!(
            "scalar.db.multi_storage.storages={}",
            targets.iter().map(|t| t.storage.as_str()).collect::<Vec<_>>().join(",")
        ));
        for ((t, p), e) in targets.iter().zip(profiles).zip(engines) {
            let pre = format!("scalar.db.multi_storage.storages.{}.", t.storage);
            out.push(format!("{pre}storage=jdbc"));
            out.push(format!("{pre}contact_points={}", url(p, *e)));
            if *e != Engine::Sqlite {
                out.push(format!("{pre}username={}", p.user.as_deref().unwrap_or("")));
                out.push(format!("# {pre}password=<the password of this user>"));
            }
            out.extend(key_size(*e, &pre));
        }
        out.push(format!(
            "scalar.db.multi_storage.namespace_mapping={}",
            mapping.iter().map(|m| format!("{}:{}", m.namespace, m.storage)).collect::<Vec<_>>().join(",")
        ));
        out.push(format!("scalar.db.multi_storage.default_storage={}", targets[0].storage));
    }
    if d.coordinator_namespace != crate::deployment::DEFAULT_COORDINATOR_NAMESPACE {
        out.push(format!("scalar.db.consensus_commit.coordinator.namespace={}", d.coordinator_namespace));
    }
    if d.system_namespace != crate::deployment::DEFAULT_SYSTEM_NAMESPACE {
        out.push(format!("scalar.db.jdbc.table_metadata.schema={}", d.system_namespace));
    }
    out.join("\n") + "\n"
}

/// Everything opened and checked: what `run` copies, or what `--dry-run` shows.
pub struct Prepared {
    plan: MigrationPlan,
    d: Deployment,
    home: crate::paths::Home,
    sources: Vec<Source>,
    targets: Vec<Target>,
    moves: Vec<Move>,
    version: Version,
    paused_ms: Option<f64>,
    started: Instant,
    /// Reading from a backup: its scratch databases are emptied when this ends.
    from: Option<(FromBackup, Deployments)>,
    /// SQLite files that did not exist before this migration opened them: gone
    /// again unless it completes (a refusal, a dry run or a failure leaves no
    /// empty file where it said nothing was written).
    new_files: Vec<PathBuf>,
    /// The migration completed: its new files stay.
    keep_new_files: bool,
}

impl Prepared {
    pub fn plan(&self) -> &MigrationPlan {
        &self.plan
    }

    /// Empties the scratch databases a backup was restored into; what could not be dropped.
    async fn empty_scratch(&mut self) -> Vec<String> {
        match self.from.take() {
            Some((fb, ds)) => {
                // The snapshots on the scratch hold locks the drops would wait for.
                for s in std::mem::take(&mut self.sources) {
                    s.conn.close().await;
                }
                fb.empty_scratch(&ds).await
            }
            None => vec![],
        }
    }

    /// Ends the snapshots, empties any scratch, and removes the SQLite files it
    /// created unless the migration completed.
    pub async fn close(mut self) {
        for problem in self.empty_scratch().await {
            tracing::warn!("{problem}");
        }
        for s in self.sources {
            s.conn.close().await;
        }
        for t in self.targets {
            t.conn.close().await;
        }
        if !self.keep_new_files {
            for f in &self.new_files {
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let p = PathBuf::from(format!("{}{suffix}", f.display()));
                    if let Err(e) = std::fs::remove_file(&p) {
                        if e.kind() != std::io::ErrorKind::NotFound {
                            tracing::warn!("could not remove {}: {e}", p.display());
                        }
                    }
                }
            }
        }
    }
}

/// The deployment's storages, and the target profile of each (every storage
/// has one; none is a source).
type Storages = Vec<(crate::deployment::DeploymentStorage, Profile)>;

fn targets_of(
    ds: &Deployments,
    d: &Deployment,
    storages: Storages,
    opts: &MigrateOptions,
) -> Result<(Storages, Vec<(String, Profile)>)> {
    let mut unit_target: Vec<(String, Profile)> = Vec::new();
    for t in &opts.to {
        if !storages.iter().any(|(s, _)| s.name == t.unit) {
            return Err(Error::invalid(format!(
                "Deployment \"{}\" has no storage \"{}\"; its storages are {}. Give --to STORAGE=PROFILE for each.",
                d.name,
                t.unit,
                storages.iter().map(|(s, _)| s.name.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
        unit_target.push((t.unit.clone(), ds.profiles().get(&t.profile)?));
    }
    let missing: Vec<&str> = storages
        .iter()
        .filter(|(s, _)| !opts.to.iter().any(|t| t.unit == s.name))
        .map(|(s, _)| s.name.as_str())
        .collect();
    if !missing.is_empty() || opts.to.is_empty() {
        return Err(Error::invalid(format!(
            "Give a target for every storage of deployment \"{}\": --to {}=PROFILE{}. Several storages may go to one profile (consolidation).",
            d.name,
            missing.first().copied().unwrap_or("default"),
            if missing.len() > 1 { format!(" (also {})", missing[1..].join(", ")) } else { String::new() }
        )));
    }
    if let Some((s, p)) =
        storages.iter().find(|(_, p)| !matches!(p.kind, DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite))
    {
        return Err(Error::new(
            ErrorCode::Unsupported,
            format!(
                "Storage \"{}\" is on {}: Quiesce migrates from PostgreSQL, MySQL/MariaDB and SQLite.",
                s.name,
                p.kind.label()
            ),
        ));
    }
    if let Some((u, p)) = unit_target.iter().find(|(_, p)| storages.iter().any(|(_, sp)| sp.id == p.id)) {
        return Err(Error::invalid(format!(
            "Storage \"{u}\" would go to profile {}, which is a source of deployment \"{}\": a migration goes to another database.",
            p.name, d.name
        )));
    }
    Ok((storages, unit_target))
}

/// Source databases: storages sharing a profile are one database, one snapshot.
async fn connect_sources(ds: &Deployments, storages: &Storages, from: Option<&FromBackup>) -> Result<Vec<Source>> {
    let mut sources: Vec<Source> = Vec::new();
    let mut ids: Vec<&str> = Vec::new();
    for (s, p) in storages {
        if let Some(i) = ids.iter().position(|x| *x == p.id) {
            sources[i].storages.push(s.name.clone());
            continue;
        }
        let conn = if from.is_some_and(|f| f.is_file(p)) {
            LiveConn::open_backup_file(p)?
        } else {
            let pw = ds.secret_of(p).await?;
            LiveConn::open(p, pw.as_ref(), false).await?
        };
        register_fold(&conn)?;
        sources.push(Source { storages: vec![s.name.clone()], conn, tables: vec![], unlisted: vec![] });
        ids.push(&p.id);
    }
    Ok(sources)
}

/// Targets: one per profile, named after its first storage (`default` when alone).
async fn connect_targets(
    ds: &Deployments,
    d: &Deployment,
    unit_target: &[(String, Profile)],
    opts: &MigrateOptions,
    key_size: u32,
) -> Result<Vec<Target>> {
    let mut targets: Vec<Target> = Vec::new();
    for (u, p) in unit_target {
        if targets.iter().any(|t| t.profile.id == p.id) {
            continue;
        }
        let pw = ds.secret_of(p).await?;
        let mut conn = LiveConn::open(p, pw.as_ref(), true).await?;
        let engine = engine_of(&mut conn, p, key_size).await?;
        let (collation, folds, charset) = match engine {
            Engine::Mysql { .. } | Engine::Mariadb => {
                let r = conn.rows("SELECT @@collation_server, @@character_set_server").await?;
                let get = |i: usize| r.first().and_then(|r| r.get(i).cloned().flatten()).unwrap_or_default();
                let (c, cs) = if opts.binary_collation {
                    (binary_collation(engine).to_string(), None)
                } else {
                    (get(0), Some(get(1)))
                };
                let f = collation_folds(&c);
                (Some(c), f, cs)
            }
            _ => (None, (false, false), None),
        };
        let ledger = Ledger {
            profile_id: p.id.clone(),
            profile_name: p.name.clone(),
            deployment: d.name.clone(),
            objects: vec![],
        };
        targets.push(Target {
            storage: u.clone(),
            profile: p.clone(),
            engine,
            conn,
            collation,
            folds,
            charset,
            ledger,
        });
    }
    if targets.len() == 1 {
        targets[0].storage = "default".into();
    }
    Ok(targets)
}

/// Opens every source's snapshot: inside one pause of the job when there
/// are several databases (the pause ends as soon as the last is open; its
/// window is kept in the catalog). The pause's length.
async fn open_snapshots(
    ds: &Deployments,
    d: &Deployment,
    sources: &mut [Source],
    job: Option<&job::JobCtx>,
    max_pause: Option<std::time::Duration>,
) -> Result<Option<f64>> {
    let Some(ctx) = job.filter(|_| sources.len() > 1) else {
        for s in sources.iter_mut() {
            begin_snapshot(&mut s.conn).await?;
        }
        return Ok(None);
    };
    if d.admin_endpoints.is_empty() {
        return Err(Error::invalid(format!(
            "Deployment \"{}\" spans {} databases: one consistent read of them needs a pause, and it has no Scalar Admin endpoint. Add one (quiesce deployment edit {} --admin-endpoint host:port), or stop ScalarDB and give --no-pause.",
            d.name,
            sources.len(),
            d.name
        )));
    }
    let opts = crate::pause::PauseOptions { max_pause, ..Default::default() };
    let root = crate::catalog::default_root(&ctx.home);
    let n = sources.len();
    let ((opened, early), w) = crate::pause::around(ds, d, "migration", &opts, &root, ctx, async |paused| {
        job::phase(&ctx.sink, "snapshots", format!("Opening the snapshots of {n} database(s) inside the pause…"));
        // Every snapshot opens within what is left of the maximum pause.
        let open_all = async {
            for s in sources.iter_mut() {
                begin_snapshot(&mut s.conn).await?;
            }
            Ok::<_, Error>(())
        };
        Ok(match tokio::time::timeout_at(paused.deadline(), open_all).await {
            Ok(r) => crate::pause::Inside { value: (r, paused.problems()), aborted: None, hooks: false },
            Err(_) => {
                let why = format!(
                    "the snapshots had not all opened when the pause reached its maximum of {:.1} s",
                    paused.bounds().max_pause.as_secs_f64()
                );
                let e = Error::new(ErrorCode::Timeout, format!("The pause was aborted: {why}; nothing was migrated. Raise the maximum pause (--max-pause) if the databases are slow to open a snapshot."));
                crate::pause::Inside { value: (Err(e), vec![]), aborted: Some(why), hooks: false }
            }
        })
    })
    .await?;
    if let Err(e) = opened {
        ctx.leaves(w.id.clone());
        return Err(e);
    }
    // Held means: not cut short, every node paused until Quiesce unpaused it.
    if w.status == "failed" || !early.is_empty() {
        ctx.leaves(w.id.clone());
        let why: Vec<String> = early.into_iter().chain(w.problems.iter().cloned()).collect();
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!(
                "The pause did not hold ({}): the snapshots may not be one state, so nothing was migrated. Run it again.",
                why.join("; ")
            ),
        ));
    }
    Ok(w.paused_ms)
}

/// What an earlier run left on the targets: dropped when `really` (a dry run only says so).
async fn drop_leftovers(
    home: &crate::paths::Home,
    targets: &mut [Target],
    really: bool,
    sink: &Sink,
) -> Result<Vec<String>> {
    let mut leftovers = Vec::new();
    for t in targets.iter_mut() {
        let p = ledger_path(home, &t.profile.id);
        if p.exists() {
            let old: Ledger = crate::store::read_json(&p)?;
            leftovers.extend(describe(&old));
            if really {
                job::phase(sink, "cleanup", format!("Dropping what an earlier migration left on {}…", t.profile.name));
                drop_ledger(home, &mut t.conn, &old).await?;
            }
        }
    }
    Ok(leftovers)
}

/// Key and indexed TEXT/BLOB values longer than a MySQL target's key columns hold.
async fn key_size_checks(s: &mut Source, mt: &MetaTable, e: Engine, version: Version) -> Result<Vec<Check>> {
    let n = match e {
        Engine::Mysql { key_size } => key_size,
        Engine::Mariadb => 128,
        _ => return Ok(vec![]),
    };
    let phys = s.conn.table(&mt.namespace, &mt.table);
    let keys = keys_of(mt);
    let d = s.conn.dialect();
    let key_list: Vec<String> = keys.iter().map(|k| crate::live::quote_ident(d, &k.name)).collect();
    let mut checks = Vec::new();
    for c in mt.columns.iter().filter(|c| matches!(c.data_type, ScalarType::Text | ScalarType::Blob)) {
        if c.key == KeyKind::None && !layout::indexed(mt, c, version) {
            continue;
        }
        let len = length_sql(d, &c.name, c.data_type);
        let r = s
            .conn
            .rows(&format!("SELECT {len}, {} FROM {phys} WHERE {len} > {n} LIMIT 1", key_list.join(", ")))
            .await?;
        let Some(r) = r.first() else { continue };
        let key: Vec<String> =
            keys.iter().zip(&r[1..]).map(|(k, v)| format!("{}={:?}", k.name, v.clone().unwrap_or_default())).collect();
        checks.push(Check::fail(
            "key_size",
            ErrorCode::KeyTooLong,
            format!(
                "{}: the row with key ({}) holds {} {} in {} column {}, over the {n} the target's {} key and index columns hold. Shorten it on the source{}.",
                full(mt),
                key.join(", "),
                r[0].clone().unwrap_or_default(),
                if c.data_type == ScalarType::Text { "characters" } else { "bytes" },
                if c.key == KeyKind::None { "indexed" } else { "key" },
                c.name,
                engine_label(e),
                if matches!(e, Engine::Mysql { .. }) {
                    ", or raise --mysql-key-size (scalar.db.jdbc.mysql.variable_key_column_size)"
                } else {
                    " (MariaDB's key columns are always 128 under ScalarDB)"
                }
            ),
        ));
    }
    Ok(checks)
}

/// Columns the source table has but the metadata does not list. The target is
/// built from the metadata (as ScalarDB lists every column there, the
/// transaction columns included), so such a column would be lost: refuse.
async fn unlisted_columns(s: &mut Source, mt: &MetaTable, sys: &str) -> Result<Vec<Check>> {
    let physical = s.conn.columns(&mt.namespace, &mt.table).await?;
    let extra: Vec<&String> = physical.iter().filter(|c| !mt.columns.iter().any(|m| &m.name == *c)).collect();
    if extra.is_empty() {
        return Ok(vec![]);
    }
    let list: Vec<&str> = extra.iter().map(|c| c.as_str()).collect();
    Ok(vec![Check::fail(
        "metadata",
        ErrorCode::Unsupported,
        format!(
            "{}: column(s) {} exist on the source but {sys}.metadata does not list them, so the migration would lose them. \
             ScalarDB lists every column there (the transaction columns too): restore the missing metadata rows, \
             or drop the columns if ScalarDB does not use them.",
            full(mt),
            list.join(", ")
        ),
    )])
}

/// TEXT values holding a NUL character, which PostgreSQL's text cannot hold
/// (it would fail mid-copy with only "invalid byte sequence"): refused before
/// anything is written, naming the table, the row's key and the column.
async fn nul_checks(s: &mut Source, mt: &MetaTable, e: Engine) -> Result<Vec<Check>> {
    let text: Vec<&str> =
        mt.columns.iter().filter(|c| c.data_type == ScalarType::Text).map(|c| c.name.as_str()).collect();
    let d = s.conn.dialect();
    if e != Engine::Postgresql || d == Dialect::Postgres || text.is_empty() {
        return Ok(vec![]);
    }
    let has_nul = |c: &str| {
        let q = crate::live::quote_ident(d, c);
        match d {
            Dialect::Sqlite => format!("instr(CAST({q} AS BLOB), X'00') > 0"),
            _ => format!("INSTR(CAST({q} AS BINARY), X'00') > 0"),
        }
    };
    let keys = keys_of(mt);
    let shown: Vec<String> = keys.iter().map(|k| crate::live::quote_ident(d, &k.name)).collect();
    let flags: Vec<String> = text.iter().map(|c| format!("CASE WHEN {} THEN 1 ELSE 0 END", has_nul(c))).collect();
    let sql = format!(
        "SELECT {}, {} FROM {} WHERE {} LIMIT 1",
        shown.join(", "),
        flags.join(", "),
        s.conn.table(&mt.namespace, &mt.table),
        text.iter().map(|c| has_nul(c)).collect::<Vec<_>>().join(" OR ")
    );
    let Some(row) = s.conn.rows(&sql).await?.into_iter().next() else { return Ok(vec![]) };
    let key: Vec<String> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            format!("{}={}", k.name, crate::text::one_line(&row.get(i).cloned().flatten().unwrap_or_default()))
        })
        .collect();
    let cols: Vec<&str> = text
        .iter()
        .enumerate()
        .filter(|(i, _)| row.get(keys.len() + i).cloned().flatten().as_deref() == Some("1"))
        .map(|(_, c)| *c)
        .collect();
    Ok(vec![Check::fail(
        "values",
        ErrorCode::Unsupported,
        format!(
            "{}: the row with key ({}) holds a NUL character in {} {}, which PostgreSQL's text cannot store. Remove it on the source (or store such values as BLOB), then migrate again.",
            full(mt),
            key.join(", "),
            if cols.len() == 1 { "column" } else { "columns" },
            cols.join(", ")
        ),
    )])
}

/// TEXT keys that would be one key under the target's collation (grouped on the source).
async fn collision_checks(s: &mut Source, mt: &MetaTable, t: &Target) -> Result<Vec<Check>> {
    let text_keys: Vec<Col> = keys_of(mt).into_iter().filter(|k| k.ty == ScalarType::Text).collect();
    if t.folds == (false, false) || text_keys.is_empty() {
        return Ok(vec![]);
    }
    let d = s.conn.dialect();
    let phys = s.conn.table(&mt.namespace, &mt.table);
    let group: Vec<String> = keys_of(mt)
        .iter()
        .map(|k| {
            if k.ty == ScalarType::Text {
                fold_sql(d, &k.name, t.folds)
            } else {
                crate::live::quote_ident(d, &k.name)
            }
        })
        .collect();
    let shown: Vec<String> = text_keys
        .iter()
        .flat_map(|k| {
            let q = crate::live::quote_ident(d, &k.name);
            [format!("min({q})"), format!("max({q})")]
        })
        .collect();
    let rows = s
        .conn
        .rows(&format!(
            "SELECT count(*), {} FROM {phys} GROUP BY {} HAVING count(*) > 1 LIMIT 5",
            shown.join(", "),
            group.join(", ")
        ))
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let cell = |i: usize| r.get(i).cloned().flatten().unwrap_or_default();
            let pairs: Vec<String> = text_keys
                .iter()
                .enumerate()
                .map(|(i, k)| format!("{} {:?} and {:?}", k.name, cell(1 + 2 * i), cell(2 + 2 * i)))
                .collect();
            Check::fail(
                "collisions",
                ErrorCode::KeyCollision,
                format!(
                    "{}: {} rows whose keys differ only in {} ({}) would be one key under the target's collation {}. Make them distinct on the source, or give --binary-collation to create the namespaces with {} (a deviation from Schema Loader).",
                    full(mt),
                    cell(0),
                    match t.folds {
                        (true, true) => "letter case or trailing spaces",
                        (true, false) => "letter case",
                        _ => "trailing spaces",
                    },
                    pairs.join("; "),
                    t.collation.as_deref().unwrap_or(""),
                    binary_collation(t.engine)
                ),
            )
        })
        .collect())
}

/// A table as the target gets it: each column's type and role, the DDL.
fn table_plan(
    mt: &MetaTable,
    e: Engine,
    version: Version,
    (source, target): (&str, &str),
    rows: u64,
    listed: bool,
) -> TablePlan {
    let columns = mt
        .columns
        .iter()
        .map(|c| {
            let ix = layout::indexed(mt, c, version);
            ColumnPlan {
                name: c.name.clone(),
                scalar_type: format!("{:?}", c.data_type).to_ascii_uppercase(),
                target_type: if c.key != KeyKind::None || ix {
                    layout::key_type(e, c.data_type)
                } else {
                    layout::column_type(e, c.data_type).into()
                },
                role: match c.key {
                    KeyKind::Partition => "PARTITION".into(),
                    KeyKind::Clustering { desc } => format!("CLUSTERING {}", if desc { "DESC" } else { "ASC" }),
                    KeyKind::None if ix => "INDEX".into(),
                    KeyKind::None => String::new(),
                },
            }
        })
        .collect();
    TablePlan {
        namespace: mt.namespace.clone(),
        table: mt.table.clone(),
        source_storage: source.into(),
        target_storage: target.into(),
        rows,
        columns,
        ddl: layout::create_table(e, mt, version),
        in_metadata: listed,
    }
}

/// The namespaces a target gets (its tables' and the system namespace).
fn namespaces_of(moves: &[Move], ti: usize, sys: &str) -> Vec<String> {
    let mut nss: Vec<String> = moves.iter().filter(|m| m.target == ti).map(|m| m.table.namespace.clone()).collect();
    nss.push(sys.to_string());
    nss.sort();
    nss.dedup();
    nss
}

/// Each target: empty of the namespaces, able to hold any text, its system namespace's name.
async fn target_checks(targets: &mut [Target], moves: &[Move], d: &Deployment, version: Version) -> Result<Vec<Check>> {
    let mut checks = Vec::new();
    for (ti, t) in targets.iter_mut().enumerate() {
        let nss = namespaces_of(moves, ti, &d.system_namespace);
        let mut there = Vec::new();
        for ns in &nss {
            if namespace_exists(t, ns).await? {
                there.push(ns.clone());
            }
        }
        checks.push(Check::of(
            "target",
            there.is_empty(),
            ErrorCode::NotEmpty,
            if there.is_empty() {
                format!("{} holds none of the {} namespace(s)", t.profile.name, nss.len())
            } else {
                format!("{} already holds namespace(s) {}: a migration only creates. Drop them there first, or migrate to another database.", t.profile.name, there.join(", "))
            },
        ));
        if let Some(cs) = t.charset.as_deref().filter(|cs| *cs != "utf8mb4") {
            checks.push(Check::fail(
                "charset",
                ErrorCode::InvalidInput,
                format!("{}'s default character set is {cs}: namespaces created there (as Schema Loader does) could not hold every text ScalarDB stores. Set character_set_server=utf8mb4 on that server (Debian's default), or give --binary-collation (utf8mb4 with a binary collation).", t.profile.name),
            ));
        }
        let sys = MetaTable { namespace: d.system_namespace.clone(), table: "metadata".into(), columns: vec![] };
        if let Some(n) = layout::name_problems(t.engine, &sys, version).first() {
            checks.push(Check::fail("names", ErrorCode::NameTooLong, format!("the system namespace: {n}")));
        }
    }
    Ok(checks)
}

/// What changes for ScalarDB, and what the migration did differently from Schema Loader.
fn notes_of(
    opts: &MigrateOptions,
    sources: usize,
    storages: usize,
    targets: &[Target],
    mapping: &[NamespaceMapping],
    paused_ms: Option<f64>,
) -> Vec<String> {
    let mut notes = vec![format!(
        "Point ScalarDB at the new properties and restart every node (and the Cluster) before it takes traffic: the old {} as before.",
        if sources > 1 { "databases stay" } else { "database stays" }
    )];
    if storages > targets.len() {
        notes.push(format!(
            "{storages} storages become {}: the namespace mapping is {}{}.",
            targets.len(),
            mapping.iter().map(|m| format!("{}→{}", m.namespace, m.storage)).collect::<Vec<_>>().join(", "),
            if targets.len() == 1 { "; one database needs no pause for a consistent backup" } else { "" }
        ));
    }
    if opts.binary_collation {
        for t in targets.iter().filter(|t| t.collation.is_some()) {
            notes.push(format!(
                "Namespaces on {} are created with COLLATE {} (--binary-collation): keys compare byte for byte, as on PostgreSQL and SQLite. Schema Loader would keep the server's default; recreate them with it and keys would compare by that collation again.",
                t.profile.name,
                t.collation.as_deref().unwrap_or("")
            ));
        }
    }
    if let Some(ms) = paused_ms {
        notes.push(format!("The source was read inside one pause of {ms:.0} ms, then from its snapshots."));
    }
    notes
}

/// A check that passed, where none of its kind failed.
fn passed(checks: &mut Vec<Check>, name: &str, applies: bool, message: &str) {
    if applies && !checks.iter().any(|c| c.name == name) {
        checks.push(Check::pass(name, message));
    }
}

/// Connects, opens the snapshots (inside a pause when the source spans
/// several databases), reads the metadata and makes every check. In a `job`
/// (not a dry run), what an earlier run left on the targets is dropped first
/// and a pause is taken where one is needed.
async fn prepare(
    ds: &Deployments,
    deployment: &str,
    opts: &MigrateOptions,
    job: Option<&job::JobCtx>,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<Prepared> {
    let started = Instant::now();
    let d = ds.get(deployment)?;
    let home = ds.profiles().home().clone();
    let version = match &opts.scalardb_version {
        Some(v) => Version::parse(v)?,
        None => Version::DEFAULT,
    };
    // The deployment's own setting carries over unless one is given.
    let from_props = if opts.mysql_key_size.is_none() { key_size_in_properties(&d)? } else { None };
    let key_size = opts.mysql_key_size.or(from_props.as_ref().map(|(n, _)| *n)).unwrap_or(128);
    if key_size < 64 {
        return Err(Error::invalid(format!(
            "MySQL key size {key_size} ({}) is below 64, which ScalarDB refuses (INVALID_VARIABLE_KEY_COLUMN_SIZE). Give --mysql-key-size 64 or more.",
            match (&opts.mysql_key_size, &from_props) {
                (None, Some((_, f))) => format!("scalar.db.jdbc.mysql.variable_key_column_size in {f}"),
                _ => "--mysql-key-size".into(),
            }
        )));
    }
    if opts.from_backup.is_none() && !opts.scratch.is_empty() {
        return Err(Error::invalid("--scratch is for reading a backup: give --from-backup ID with it."));
    }
    let (d, storages, from) = match &opts.from_backup {
        None => {
            let st = ds.storage_profiles(&d)?;
            (d, st, None)
        }
        Some(b) => {
            let (d2, st, fb) = super::from_backup::open(ds, &d, b, &opts.scratch, &opts.to, sink, cancel).await?;
            (d2, st, Some((fb, ds.clone())))
        }
    };
    let mut prepared = Prepared {
        plan: empty_plan(&d),
        d,
        home,
        sources: vec![],
        targets: vec![],
        moves: vec![],
        version,
        paused_ms: None,
        started,
        from,
        new_files: vec![],
        keep_new_files: false,
    };
    // Whatever fails from here still empties the scratch databases.
    match check_all(ds, &mut prepared, storages, opts, key_size, job, sink).await {
        Ok(()) => {
            let mysql = prepared.targets.iter().any(|t| matches!(t.engine, Engine::Mysql { .. }));
            if let (Some((n, file)), true) = (from_props, mysql) {
                prepared.plan.notes.push(format!(
                    "MySQL key columns are {n} characters, as the deployment's {file} sets (scalar.db.jdbc.mysql.variable_key_column_size); --mysql-key-size changes it."
                ));
            }
            Ok(prepared)
        }
        Err(e) => {
            prepared.close().await;
            Err(e)
        }
    }
}

/// `scalar.db.jdbc.mysql.variable_key_column_size` of the properties file the
/// deployment was imported from, if that file is still there and sets it. A
/// value ScalarDB could not read is an error, not a silent 128.
fn key_size_in_properties(d: &Deployment) -> Result<Option<(u32, String)>> {
    const KEY: &str = "scalar.db.jdbc.mysql.variable_key_column_size";
    let Some(file) = d.source.as_ref().map(|s| &s.file) else { return Ok(None) };
    let Ok(text) = std::fs::read_to_string(file) else { return Ok(None) };
    let Ok(props) = crate::properties::parse(file, &text) else { return Ok(None) };
    let Some(p) = props.iter().rev().find(|p| p.key == KEY) else { return Ok(None) };
    match p.value.trim().parse() {
        Ok(n) => Ok(Some((n, file.clone()))),
        Err(_) => Err(Error::invalid(format!(
            "{KEY} in {file} is {:?}, not a number of bytes. Fix it there, or give --mysql-key-size.",
            p.value
        ))),
    }
}

fn empty_plan(d: &Deployment) -> MigrationPlan {
    MigrationPlan {
        deployment: d.name.clone(),
        scalardb_version: String::new(),
        targets: vec![],
        tables: vec![],
        checks: vec![],
        mapping: vec![],
        properties: String::new(),
        notes: vec![],
        leftovers: vec![],
    }
}

/// The namespaces a source database holds: those of its listed tables, those
/// mapped to its storages (the coordinator's too), and the system namespace.
fn source_namespaces(d: &Deployment, storages: &[String], listed: &[MetaTable]) -> Vec<String> {
    let mine = |ns: &str| d.storage_of(ns).is_some_and(|s| storages.iter().any(|x| x == s));
    let mut nss: Vec<String> = listed.iter().map(|t| t.namespace.clone()).collect();
    nss.extend(d.namespace_mapping.iter().filter(|m| mine(&m.namespace)).map(|m| m.namespace.clone()));
    if mine(&d.coordinator_namespace) {
        nss.push(d.coordinator_namespace.clone());
    }
    nss.push(d.system_namespace.clone());
    nss.sort();
    nss.dedup();
    nss
}

/// Each source's tables: those its metadata lists, and those of its
/// namespaces it does not (copied as they are, or refused by a failed check).
async fn read_tables(sources: &mut [Source], d: &Deployment) -> Result<Vec<Check>> {
    let mut refused = Vec::new();
    for s in sources.iter_mut() {
        s.tables = read_metadata(&mut s.conn, &d.system_namespace).await?;
        let nss = source_namespaces(d, &s.storages, &s.tables);
        let found = super::unlisted::find(&mut s.conn, &nss, &s.tables, &d.system_namespace).await?;
        s.unlisted = found.tables;
        refused.extend(found.refused);
    }
    Ok(refused)
}

/// Says which tables are copied without being listed in the metadata.
fn copied_as_they_are(moves: &[Move], sys: &str) -> Option<Check> {
    let copied: Vec<String> = moves.iter().filter(|m| !m.listed).map(|m| full(&m.table)).collect();
    (!copied.is_empty()).then(|| {
        Check::pass(
            "unlisted",
            format!(
                "{} not listed in {sys}.metadata: copied as it is and proven like the others ({})",
                if copied.len() == 1 { "1 table is".to_string() } else { format!("{} tables are", copied.len()) },
                copied.join(", ")
            ),
        )
    })
}

/// The body of `prepare`: connects, snapshots, reads the metadata, checks, plans.
#[allow(clippy::too_many_arguments)]
async fn check_all(
    ds: &Deployments,
    p: &mut Prepared,
    storages: Storages,
    opts: &MigrateOptions,
    key_size: u32,
    job: Option<&job::JobCtx>,
    sink: &Sink,
) -> Result<()> {
    let really = job.is_some();
    let (d, home, version) = (p.d.clone(), p.home.clone(), p.version);
    let (storages, unit_target) = targets_of(ds, &d, storages, opts)?;
    p.sources = connect_sources(ds, &storages, p.from.as_ref().map(|f| &f.0)).await?;
    // A SQLite target that does not exist yet is created by opening it: noted, to go again if this stops.
    p.new_files = unit_target
        .iter()
        .filter(|(_, prof)| prof.kind == DbKind::Sqlite)
        .filter_map(|(_, prof)| prof.path.as_ref().map(PathBuf::from))
        .filter(|f| !f.exists())
        .collect();
    p.targets = connect_targets(ds, &d, &unit_target, opts, key_size).await?;
    // A backup is one point already: nothing to pause.
    let pausing = job.filter(|_| !opts.no_pause && p.from.is_none());
    let max_pause = opts.max_pause_ms.map(std::time::Duration::from_millis);
    p.paused_ms = open_snapshots(ds, &d, &mut p.sources, pausing, max_pause).await?;
    let (sources, targets) = (&mut p.sources, &mut p.targets);
    let mut checks = read_tables(sources, &d).await?;
    let leftovers = drop_leftovers(&home, targets, really, sink).await?;

    let (mut moves, mut tables, mut mapping) = (Vec::new(), Vec::new(), Vec::<NamespaceMapping>::new());
    for (si, s) in sources.iter_mut().enumerate() {
        let all: Vec<(MetaTable, bool)> =
            s.tables.iter().map(|t| (t.clone(), true)).chain(s.unlisted.iter().map(|t| (t.clone(), false))).collect();
        for (mt, listed) in all {
            let storage = d
                .storage_of(&mt.namespace)
                .filter(|st| s.storages.iter().any(|x| x == st))
                .unwrap_or(&s.storages[0])
                .to_string();
            let profile = &unit_target.iter().find(|(u, _)| *u == storage).unwrap_or(&unit_target[0]).1;
            let ti = targets.iter().position(|t| t.profile.id == profile.id).unwrap_or(0);
            let t = &targets[ti];
            let phys = s.conn.table(&mt.namespace, &mt.table);
            let rows = s.conn.scalar_i64(&format!("SELECT count(*) FROM {phys}")).await?.unwrap_or(0) as u64;
            // The system namespace is every storage's own, not mapped.
            if mt.namespace != d.system_namespace && !mapping.iter().any(|m| m.namespace == mt.namespace) {
                mapping.push(NamespaceMapping { namespace: mt.namespace.clone(), storage: t.storage.clone() });
            }
            if moves.iter().any(|m: &Move| m.target == ti && full(&m.table) == full(&mt)) {
                checks.push(Check::fail(
                    "tables",
                    ErrorCode::KeyCollision,
                    format!(
                        "{} exists in more than one source storage and they all go to {}, which can hold one: migrate them to different targets, or drop the copy ScalarDB does not use.",
                        full(&mt),
                        t.profile.name
                    ),
                ));
            }
            for p in layout::name_problems(t.engine, &mt, version) {
                checks.push(Check::fail(
                    "names",
                    ErrorCode::NameTooLong,
                    format!(
                        "{}: {p}. Rename it on the source (ScalarDB cannot use it on {} either).",
                        full(&mt),
                        engine_label(t.engine)
                    ),
                ));
            }
            if listed {
                checks.extend(unlisted_columns(s, &mt, &d.system_namespace).await?);
            }
            checks.extend(key_size_checks(s, &mt, t.engine, version).await?);
            checks.extend(collision_checks(s, &mt, t).await?);
            checks.extend(nul_checks(s, &mt, t.engine).await?);
            tables.push(table_plan(&mt, t.engine, version, (&storage, &t.storage), rows, listed));
            moves.push(Move { table: mt, source: si, target: ti, rows, listed });
        }
    }
    checks.extend(copied_as_they_are(&moves, &d.system_namespace));
    if !moves.iter().any(|m| m.listed) {
        checks.push(Check::fail(
            "tables",
            ErrorCode::NotFound,
            format!("{}.metadata lists no table on the source: there is nothing to migrate.", d.system_namespace),
        ));
    }
    checks.extend(target_checks(targets, &moves, &d, version).await?);
    let mysql = targets.iter().any(|t| t.collation.is_some());
    passed(&mut checks, "metadata", true, "every column of the source tables is listed in the metadata");
    passed(&mut checks, "names", true, "every namespace, table, column and index name fits the target");
    passed(&mut checks, "collisions", mysql, "no two keys become one under the target's collation");
    passed(&mut checks, "key_size", mysql, "every key and indexed value fits the target's key columns");

    let target_plans: Vec<TargetPlan> = targets
        .iter()
        .map(|t| TargetPlan {
            storage: t.storage.clone(),
            profile: t.profile.name.clone(),
            engine: engine_label(t.engine).into(),
            units: unit_target.iter().filter(|(_, p)| p.id == t.profile.id).map(|(u, _)| u.clone()).collect(),
            collation: t.collation.clone(),
        })
        .collect();
    if !mapping.iter().any(|m| m.namespace == d.coordinator_namespace) {
        mapping
            .push(NamespaceMapping { namespace: d.coordinator_namespace.clone(), storage: targets[0].storage.clone() });
    }
    let profs: Vec<&Profile> = targets.iter().map(|t| &t.profile).collect();
    let engines: Vec<Engine> = targets.iter().map(|t| t.engine).collect();
    let properties = properties(&d, &target_plans, &profs, &mapping, &engines);
    let mut notes = notes_of(opts, sources.len(), storages.len(), targets, &mapping, p.paused_ms);
    if let Some((fb, _)) = &p.from {
        notes.insert(0, fb.note());
    }
    let plan = MigrationPlan {
        deployment: d.name.clone(),
        scalardb_version: format!("{}.{}.{}", version.0, version.1, version.2),
        targets: target_plans,
        tables,
        checks,
        mapping,
        properties,
        notes,
        leftovers,
    };
    p.plan = plan;
    p.moves = moves;
    Ok(())
}

/// Records an object in the target's ledger, then creates it.
async fn create_owned(home: &crate::paths::Home, t: &mut Target, kind: &str, name: &str, sql: &str) -> Result<()> {
    t.ledger.objects.push((kind.into(), name.into()));
    let p = ledger_path(home, &t.profile.id);
    if let Some(dir) = p.parent() {
        crate::paths::create_private_dir(dir)?;
    }
    crate::store::write_json(&p, &t.ledger)?;
    if !sql.is_empty() {
        t.conn.exec(sql).await?;
    }
    Ok(())
}

impl job::Recorded for MigrationResult {
    fn record(&self) -> job::Record {
        let into =
            self.plan.targets.iter().map(|t| format!("{} ({})", t.profile, t.engine)).collect::<Vec<_>>().join(", ");
        let rows: u64 = self.proofs.iter().map(|p| p.target_rows).sum();
        job::Record {
            what: format!(
                "migration of {} into {into}: {} table(s), {rows} row(s), every fingerprint matching",
                self.plan.deployment,
                self.proofs.len()
            ),
            outcome: crate::catalog::history::Outcome::Ok,
            entry: None,
            done: format!(
                "Migrated {} into {into} in {:.1} s: {} table(s) proven",
                self.plan.deployment,
                self.elapsed_secs,
                self.proofs.len()
            ),
        }
    }
}

/// A migration as a job (recorded in the history; its pause kept as a
/// window): prepared, checked, copied, proven. Whatever fails or is
/// cancelled drops what was created.
pub async fn migrate(
    ds: &Deployments,
    deployment: &str,
    opts: &MigrateOptions,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<MigrationResult> {
    let d = ds.get(deployment)?;
    let spec = job::JobSpec::new(
        crate::catalog::history::OpKind::Migrate,
        &d.name,
        format!("migration of deployment {}", d.name),
    );
    job::run(ds.profiles().home(), spec, sink.clone(), cancel, async |ctx| {
        let p = prepare(ds, deployment, opts, Some(ctx), sink, cancel).await?;
        run(ds, p, sink, cancel).await
    })
    .await
}

/// What a migration would do, without writing or pausing anything (the
/// dry run): the layout per table, the checks, the properties.
pub async fn dry_run(
    ds: &Deployments,
    deployment: &str,
    opts: &MigrateOptions,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<MigrationPlan> {
    let p = prepare(ds, deployment, opts, None, sink, cancel).await?;
    let plan = p.plan().clone();
    p.close().await;
    Ok(plan)
}

/// Runs a prepared migration: copy, proof, audit. Whatever fails or is
/// cancelled drops what was created.
async fn run(ds: &Deployments, p: Prepared, sink: &Sink, cancel: &CancellationToken) -> Result<MigrationResult> {
    if let Some(e) = job::cannot_start(
        &format!("The migration of \"{}\"", p.plan.deployment),
        "; nothing was written",
        &p.plan.checks,
    ) {
        p.close().await;
        return Err(e);
    }
    let mut p = p;
    let live = Arc::new(Live::new("copying"));
    live.rows_total.store(p.moves.iter().map(|m| m.rows).sum(), Ordering::Relaxed);
    live.tables_total.store(p.moves.len() as u32, Ordering::Relaxed);
    let ticker = Ticker::start(&live, sink);
    let r = tokio::select! {
        r = copy_and_prove(&mut p, &live, sink, cancel) => r,
        _ = cancel.cancelled() => Err(Error::cancelled_job()),
    };
    ticker.finish();
    match r {
        Ok((proofs, source_audit, target_audit)) => {
            for t in &p.targets {
                let _ = std::fs::remove_file(ledger_path(&p.home, &t.profile.id));
            }
            let mut plan = p.plan.clone();
            plan.notes.extend(p.empty_scratch().await);
            p.keep_new_files = true;
            let result = MigrationResult {
                plan,
                proofs,
                source_audit,
                target_audit,
                paused_ms: p.paused_ms,
                elapsed_secs: p.started.elapsed().as_secs_f64(),
                properties_file: None,
            };
            p.close().await;
            Ok(result)
        }
        Err(e) => {
            job::phase(sink, "cleanup", "Dropping what the migration created on the target…");
            let mut left = Vec::new();
            let home = p.home.clone();
            for t in std::mem::take(&mut p.targets) {
                // A connection in the middle of a statement (a COPY cancelled)
                // holds locks the drops would wait for: it goes first.
                t.conn.close().await;
                let fresh = async {
                    let pw = ds.secret_of(&t.profile).await?;
                    LiveConn::open(&t.profile, pw.as_ref(), true).await
                };
                let dropped = match fresh.await {
                    Ok(mut c) => {
                        let r = drop_ledger(&home, &mut c, &t.ledger).await;
                        c.close().await;
                        r
                    }
                    Err(e) => Err(e),
                };
                if dropped.is_err() && !t.ledger.objects.is_empty() {
                    left.extend(describe(&t.ledger));
                }
            }
            let name = p.plan.deployment.clone();
            p.close().await;
            if left.is_empty() {
                Err(e)
            } else {
                Err(Error::new(
                    e.code,
                    format!(
                        "{}\nThe target could not be cleaned up; the migration created these and they are left: {}. The next migration to that profile drops them first, or now: quiesce migrate {name} --cleanup --to STORAGE=PROFILE.",
                        e.message,
                        left.join(", "),
                    ),
                ))
            }
        }
    }
}

type Proven = (Vec<TableProof>, Option<AuditReport>, Option<AuditReport>);

async fn copy_and_prove(p: &mut Prepared, live: &Arc<Live>, sink: &Sink, cancel: &CancellationToken) -> Result<Proven> {
    create_namespaces(p).await?;
    let mut proofs = Vec::new();
    for i in 0..p.moves.len() {
        proofs.push(copy_table(p, i, live, sink).await?);
    }
    // The metadata table last: a half-done target does not look like a ScalarDB deployment.
    live.set_phase("metadata");
    for ti in 0..p.targets.len() {
        write_metadata(p, ti).await?;
    }
    live.set_phase("proving");
    job::phase(sink, "proving", "Reading every table back on the target: row counts and fingerprints…");
    for (m, proof) in p.moves.iter().zip(proofs.iter_mut()) {
        if cancel.is_cancelled() {
            return Err(Error::cancelled_job());
        }
        prove(&mut p.sources[m.source], &mut p.targets[m.target], &m.table, proof).await?;
    }
    let (source_audit, target_audit) = audit_both(p, live, sink, cancel).await?;
    live.all_tables_done();
    Ok((proofs, source_audit, target_audit))
}

/// The namespaces first (PostgreSQL schemas, MySQL databases; SQLite has none).
async fn create_namespaces(p: &mut Prepared) -> Result<()> {
    let binary = p.plan.notes.iter().any(|n| n.contains("--binary-collation"));
    for ti in 0..p.targets.len() {
        let nss = namespaces_of(&p.moves, ti, &p.d.system_namespace);
        let t = &mut p.targets[ti];
        for ns in nss {
            let sql = match t.engine {
                Engine::Sqlite => continue,
                Engine::Postgresql => format!("CREATE SCHEMA {}", crate::live::quote_ident(Dialect::Postgres, &ns)),
                _ => {
                    let mut s = format!("CREATE SCHEMA {}", crate::live::quote_ident(Dialect::Mysql, &ns));
                    if binary {
                        s.push_str(&format!(
                            " CHARACTER SET utf8mb4 COLLATE {}",
                            t.collation.as_deref().unwrap_or("utf8mb4_bin")
                        ));
                    }
                    s
                }
            };
            create_owned(&p.home, t, "schema", &ns, &sql).await?;
        }
    }
    Ok(())
}

/// One table: created, its rows streamed from the snapshot (hashed on the
/// way: the source side of the proof), then its indexes.
async fn copy_table(p: &mut Prepared, i: usize, live: &Arc<Live>, sink: &Sink) -> Result<TableProof> {
    let (m, version, n) = (&p.moves[i], p.version, p.moves.len());
    let mt = &m.table;
    let t = &mut p.targets[m.target];
    let ddl = layout::create_table(t.engine, mt, version);
    let tphys = t.conn.table(&mt.namespace, &mt.table);
    if t.engine == Engine::Sqlite {
        create_owned(&p.home, t, "table", &format!("{}${}", mt.namespace, mt.table), &ddl[0]).await?;
    } else {
        t.conn.exec(&ddl[0]).await?;
    }
    live.set_phase(&format!("copying {}", full(mt)));
    job::phase(sink, "copying", format!("Copying {} ({} rows, table {} of {n})…", full(mt), m.rows, i + 1));
    let began = Instant::now();
    let s = &mut p.sources[m.source];
    let sphys = s.conn.table(&mt.namespace, &mt.table);
    let (cols, keys) = (cols_of(mt), keys_of(mt));
    let (tx1, rx1) = mpsc::channel(2);
    let (tx2, rx2) = mpsc::channel(2);
    let read = io::scan(&mut s.conn, &sphys, &cols, &keys, tx1);
    let hash = io::tee(rx1, tx2);
    let write = io::write(&mut t.conn, &tphys, &cols, rx2, live.rows_done.clone());
    let ((), fp, ()) = tokio::try_join!(read, hash, write)?;
    for stmt in &ddl[1..] {
        t.conn.exec(stmt).await?;
    }
    let secs = began.elapsed().as_secs_f64();
    live.tables_done.fetch_add(1, Ordering::Relaxed);
    sink(job::JobEvent::Log {
        line: format!("{}: {} rows in {secs:.2} s ({:.0} rows/s)", full(mt), fp.rows, fp.rows as f64 / secs.max(1e-6)),
    });
    Ok(TableProof {
        table: full(mt),
        source_rows: fp.rows,
        target_rows: 0,
        source_fingerprint: fp.hex(),
        target_fingerprint: String::new(),
        secs,
    })
}

/// `<sys>.metadata` on a target with the rows of its tables, as the target version records them.
async fn write_metadata(p: &mut Prepared, ti: usize) -> Result<()> {
    let sys = p.d.system_namespace.clone();
    let t = &mut p.targets[ti];
    if t.engine == Engine::Sqlite {
        create_owned(&p.home, t, "table", &format!("{sys}$metadata"), "").await?;
    }
    t.conn.exec(&layout::create_metadata_table(t.engine, &sys)).await?;
    let cols: Vec<Col> = [
        ("full_table_name", ScalarType::Text),
        ("column_name", ScalarType::Text),
        ("data_type", ScalarType::Text),
        ("key_type", ScalarType::Text),
        ("clustering_order", ScalarType::Text),
        ("indexed", ScalarType::Boolean),
        ("ordinal_position", ScalarType::Int),
    ]
    .iter()
    .map(|(n, ty)| Col { name: (*n).into(), ty: *ty })
    .collect();
    let text = |s: Option<String>| s.map(Val::Text).unwrap_or(Val::Null);
    let rows: Vec<Vec<Val>> = p
        .moves
        .iter()
        .filter(|m| m.target == ti && m.listed)
        .flat_map(|m| layout::metadata_rows(&m.table, p.version))
        .map(|r| {
            vec![
                Val::Text(r.full_table_name),
                Val::Text(r.column_name),
                Val::Text(r.data_type),
                text(r.key_type),
                text(r.clustering_order),
                Val::Bool(r.indexed),
                Val::Int(r.ordinal_position as i32),
            ]
        })
        .collect();
    let (tx, rx) = mpsc::channel(1);
    let meta = t.conn.table(&sys, "metadata");
    let send = async move {
        let _ = tx.send(rows).await;
        Ok(())
    };
    tokio::try_join!(send, io::write(&mut t.conn, &meta, &cols, rx, Default::default()))?;
    Ok(())
}

/// The proof of one table: read back on the target in the same order; a
/// mismatch names the first differing key (the source's snapshot is still open).
async fn prove(s: &mut Source, t: &mut Target, mt: &MetaTable, proof: &mut TableProof) -> Result<()> {
    let (cols, keys) = (cols_of(mt), keys_of(mt));
    let tphys = t.conn.table(&mt.namespace, &mt.table);
    // A PostgreSQL cursor lives in a transaction.
    let pg = t.conn.dialect() == Dialect::Postgres;
    if pg {
        t.conn.exec("BEGIN READ ONLY").await?;
    }
    let fp = io::fingerprint(&mut t.conn, &tphys, &cols, &keys).await;
    if pg {
        t.conn.exec("COMMIT").await?;
    }
    let fp = fp?;
    proof.target_rows = fp.rows;
    proof.target_fingerprint = fp.hex();
    if proof.target_rows == proof.source_rows && proof.target_fingerprint == proof.source_fingerprint {
        return Ok(());
    }
    let sphys = s.conn.table(&mt.namespace, &mt.table);
    if pg {
        t.conn.exec("BEGIN READ ONLY").await?;
    }
    let diff = io::first_difference(&mut s.conn, &sphys, &mut t.conn, &tphys, &cols, &keys).await?;
    Err(Error::new(
        ErrorCode::ProofFailed,
        format!(
            "The proof failed for {}: {} rows on the source, {} on the target; {}. The migration is undone.",
            proof.table,
            proof.source_rows,
            proof.target_rows,
            diff.unwrap_or_else(|| "the fingerprints differ".into())
        ),
    ))
}

/// The consistency audit on the source's snapshot and on the target: lazy
/// recovery must decide the same on both. None when there is no coordinator.
async fn audit_both(
    p: &mut Prepared,
    live: &Arc<Live>,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<(Option<AuditReport>, Option<AuditReport>)> {
    let coord = format!("{}.state", p.d.coordinator_namespace);
    let Some(cm) = p.moves.iter().find(|m| full(&m.table) == coord) else {
        return Ok((None, None));
    };
    live.set_phase("auditing");
    job::phase(sink, "auditing", "Running the consistency audit on the source snapshot and on the target…");
    let tables = |pick: &dyn Fn(&Move) -> bool| -> Vec<AuditTable> {
        p.moves
            .iter()
            // Tables without Consensus Commit columns (storage-only) have nothing to audit.
            .filter(|m| pick(m) && full(&m.table) != coord && m.table.columns.iter().any(|c| c.name == "tx_state"))
            .map(|m| AuditTable { namespace: m.table.namespace.clone(), table: m.table.table.clone(), in_flight: None })
            .collect()
    };
    let src: Vec<Vec<AuditTable>> = (0..p.sources.len()).map(|i| tables(&|m: &Move| m.source == i)).collect();
    let tgt: Vec<Vec<AuditTable>> = (0..p.targets.len()).map(|i| tables(&|m: &Move| m.target == i)).collect();
    let (cs, ct, ns) = (cm.source, cm.target, p.d.coordinator_namespace.clone());
    let mut parts: Vec<AuditPart> =
        p.sources.iter_mut().zip(src).map(|(s, tables)| AuditPart { conn: &mut s.conn, tables }).collect();
    let sa = audit::run_across(&mut parts, cs, &ns, cancel).await?;
    let mut parts: Vec<AuditPart> =
        p.targets.iter_mut().zip(tgt).map(|(t, tables)| AuditPart { conn: &mut t.conn, tables }).collect();
    let ta = audit::run_across(&mut parts, ct, &ns, cancel).await?;
    let sum = |a: &AuditReport| {
        (a.in_flight_records, a.transactions_total, a.roll_forward, a.roll_back + a.not_yet_expired, a.torn)
    };
    if sum(&sa) != sum(&ta) || (ta.has_errors() && !sa.has_errors()) {
        let say = |a: &AuditReport| {
            format!(
                "{} record(s) in flight, {} transaction(s) ({} roll forward, {} roll back, {} torn)",
                a.in_flight_records,
                a.transactions_total,
                a.roll_forward,
                a.roll_back + a.not_yet_expired,
                a.torn
            )
        };
        return Err(Error::new(
            ErrorCode::ProofFailed,
            format!(
                "The consistency audit differs: on the source {}; on the target {}. The migration is undone.",
                say(&sa),
                say(&ta)
            ),
        ));
    }
    Ok((Some(sa), Some(ta)))
}

/// Drops what earlier migrations left on the given profiles (`--cleanup`).
pub async fn cleanup(ds: &Deployments, profiles: &[String]) -> Result<Vec<String>> {
    let home = ds.profiles().home().clone();
    let mut done = Vec::new();
    for name in profiles {
        let p = ds.profiles().get(name)?;
        let path = ledger_path(&home, &p.id);
        if !path.exists() {
            continue;
        }
        let l: Ledger = crate::store::read_json(&path)?;
        let pw = ds.secret_of(&p).await?;
        let mut c = LiveConn::open(&p, pw.as_ref(), true).await?;
        drop_ledger(&home, &mut c, &l).await?;
        c.close().await;
        done.extend(describe(&l));
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collations_fold_as_their_servers_compare() {
        assert_eq!(collation_folds("utf8mb4_general_ci"), (true, true));
        assert_eq!(collation_folds("utf8mb4_0900_ai_ci"), (true, false));
        assert_eq!(collation_folds("utf8mb4_uca1400_ai_ci"), (true, true));
        assert_eq!(collation_folds("utf8mb4_nopad_bin"), (false, false));
        assert_eq!(collation_folds("utf8mb4_0900_bin"), (false, false));
        assert_eq!(collation_folds("utf8mb4_bin"), (false, true));
    }

    fn imported_from(text: &str) -> (tempfile::TempDir, Deployment) {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("database.properties");
        std::fs::write(&file, text).unwrap();
        let (mut d, _) = crate::deployment::test_deployment("d", &[], &[]);
        d.source = Some(crate::deployment::ImportSource {
            file: file.to_string_lossy().into(),
            sha256: String::new(),
            imported_at: Default::default(),
        });
        (dir, d)
    }

    #[test]
    fn mysql_key_size_comes_from_the_imported_properties_and_a_bad_one_is_named() {
        let (_dir, d) = imported_from(
            "scalar.db.storage=jdbc\nscalar.db.jdbc.mysql.variable_key_column_size=64\nscalar.db.jdbc.mysql.variable_key_column_size = 200\n",
        );
        assert_eq!(key_size_in_properties(&d).unwrap().map(|(n, _)| n), Some(200), "the last setting wins");
        let (_dir, d) = imported_from("scalar.db.storage=jdbc\n");
        assert_eq!(key_size_in_properties(&d).unwrap(), None);
        let (_dir, d) = imported_from("scalar.db.jdbc.mysql.variable_key_column_size=big\n");
        let e = key_size_in_properties(&d).unwrap_err().to_string();
        assert!(
            e.contains("variable_key_column_size") && e.contains("\"big\"") && e.contains("--mysql-key-size"),
            "{e}"
        );
        let (d, _) = crate::deployment::test_deployment("d", &[], &[]);
        assert_eq!(key_size_in_properties(&d).unwrap(), None, "not imported from a file");
    }
}
