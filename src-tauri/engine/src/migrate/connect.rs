//! Connecting a migration's sources and targets, and opening the sources'
//! snapshots (inside one pause when the source spans several databases).

use super::from_backup::FromBackup;
use super::io::Col;
use super::layout::{Engine, KeyKind, MetaRow, MetaTable};
use super::plan::MigrateOptions;
use super::sql::{binary_collation, collation_folds, register_fold};
use crate::deployment::{Deployment, Deployments};
use crate::error::{Error, ErrorCode, Result};
use crate::job::{self};
use crate::live::{Dialect, LiveConn};
use crate::profile::{DbKind, Profile};
use std::collections::BTreeMap;

/// A source database: its storages' tables, read inside one snapshot.
pub(super) struct Source {
    pub(super) storages: Vec<String>,
    pub(super) conn: LiveConn,
    pub(super) tables: Vec<MetaTable>,
    /// Tables of its namespaces the metadata does not list (copied as they are).
    pub(super) unlisted: Vec<MetaTable>,
}

/// A target database.
pub(super) struct Target {
    pub(super) storage: String,
    pub(super) profile: Profile,
    pub(super) engine: Engine,
    pub(super) conn: LiveConn,
    pub(super) collation: Option<String>,
    /// Case-insensitive, trailing-space-insensitive (PAD SPACE) under that collation.
    pub(super) folds: (bool, bool),
    /// The server's default character set, where namespaces take it (MySQL/MariaDB).
    pub(super) charset: Option<String>,
    /// What this migration created on it (also in the job's journal).
    pub(super) created: Vec<crate::job::journal::Owned>,
}

/// One table's move.
pub(super) struct Move {
    pub(super) table: MetaTable,
    pub(super) source: usize,
    pub(super) target: usize,
    pub(super) rows: u64,
    /// Listed in the source's metadata (else copied as it is, no metadata rows).
    pub(super) listed: bool,
}

pub(super) fn engine_label(e: Engine) -> &'static str {
    match e {
        Engine::Postgresql => "PostgreSQL",
        Engine::Mysql { .. } => "MySQL",
        Engine::Mariadb => "MariaDB",
        Engine::Sqlite => "SQLite",
    }
}

pub(super) fn cols_of(t: &MetaTable) -> Vec<Col> {
    t.columns.iter().map(|c| Col { name: c.name.clone(), ty: c.data_type }).collect()
}

/// Partition keys, then clustering keys, each in metadata order.
pub(super) fn keys_of(t: &MetaTable) -> Vec<Col> {
    t.columns
        .iter()
        .filter(|c| c.key == KeyKind::Partition)
        .chain(t.columns.iter().filter(|c| matches!(c.key, KeyKind::Clustering { .. })))
        .map(|c| Col { name: c.name.clone(), ty: c.data_type })
        .collect()
}

pub(super) fn full(t: &MetaTable) -> String {
    format!("{}.{}", t.namespace, t.table)
}

/// Opens the snapshot a whole migration reads from.
pub(super) async fn begin_snapshot(c: &mut LiveConn) -> Result<()> {
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
pub(super) async fn read_metadata(c: &mut LiveConn, sys: &str) -> Result<Vec<MetaTable>> {
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
pub(super) async fn engine_of(c: &mut LiveConn, p: &Profile, key_size: u32) -> Result<Engine> {
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

/// The deployment's storages, and the target profile of each (every storage
/// has one; none is a source).
pub(super) type Storages = Vec<(crate::deployment::DeploymentStorage, Profile)>;

pub(super) fn targets_of(
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
pub(super) async fn connect_sources(
    ds: &Deployments,
    storages: &Storages,
    from: Option<&FromBackup>,
) -> Result<Vec<Source>> {
    let mut sources: Vec<Source> = Vec::new();
    for (p, names) in crate::deployment::by_profile(storages) {
        let conn = if from.is_some_and(|f| f.is_file(&p)) {
            LiveConn::open_backup_file(&p)?
        } else {
            let pw = ds.secret_of(&p).await?;
            LiveConn::open(&p, pw.as_ref(), false).await?
        };
        register_fold(&conn)?;
        sources.push(Source { storages: names, conn, tables: vec![], unlisted: vec![] });
    }
    Ok(sources)
}

/// Targets: one per profile, named after its first storage (`default` when alone).
pub(super) async fn connect_targets(
    ds: &Deployments,
    _d: &Deployment,
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
        targets.push(Target {
            storage: u.clone(),
            profile: p.clone(),
            engine,
            conn,
            collation,
            folds,
            charset,
            created: vec![],
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
pub(super) async fn open_snapshots(
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
