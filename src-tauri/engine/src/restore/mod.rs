//! Restore of a catalog backup into the profile it came from or another
//! profile of the same database family (a migration: another host, another
//! server version). Always the whole deployment: restoring one table or
//! namespace of a ScalarDB deployment would break its consistency, so there
//! is no option for it.
//!
//! Before the target is touched: the manifest is complete and every file
//! matches its size and SHA-256; the tools are found and can read the
//! archive; the target is empty (or the user chose to replace what is shown
//! there); no other client is connected (restoring under a running ScalarDB
//! corrupts it). Then the native tool runs as a job with progress, log and
//! cancel, and the result is verified (tables, row counts, the audit).
//!
//! What a failure leaves is decided up front and said in the error:
//! PostgreSQL restores run in one transaction (the target is left as it was);
//! a parallel PostgreSQL restore, or any MySQL restore (its DDL cannot be
//! rolled back), goes into freshly created schemas/databases that Quiesce
//! drops again; SQLite is written in one write transaction of the online
//! backup API.

pub mod ownerless;
mod sessions;
mod sqlite;

use crate::backup::grants;
use crate::backup::manifest::{self, Manifest};
use crate::backup::{human, BackupEvent, Check, Progress, Sink};
use crate::deployment::Deployments;
use crate::discovery::{major_of, tools};
use crate::error::{Error, ErrorCode, Result};
use crate::job::Journal;
use crate::live::{quote_ident, Dialect, LiveConn};
use crate::plan::commands::{self, CommandLine, Runtime};
use crate::profile::{DbKind, Flavor, Profile};
use crate::sensitive::Sensitive;
use crate::tools::creds;
use crate::tools::pipeline::{self, Counters, Run, Stall};
use crate::verify::{self, Expect, VerifyReport};
use serde::{Deserialize, Serialize};
pub use sessions::Session;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct RestoreOptions {
    /// The target profile (name or id).
    pub to: String,
    /// Replace what the target holds (shown by the preflight).
    #[serde(default)]
    pub replace: bool,
    /// Parallel workers: pg_restore -j (directory-format backups) or myloader threads.
    pub jobs: Option<u32>,
    /// The GUI's typed confirmation: when given, it must be the target profile's name.
    pub confirm: Option<String>,
    /// Re-apply the ScalarDB user's grants recorded with the backup.
    #[serde(default)]
    pub grants: bool,
    /// Give those grants to this role/user instead of the recorded one.
    #[serde(default)]
    pub grant_to: Option<String>,
    /// Skip the verification after the restore (counts and audit read every
    /// table once more); the checks before it always run.
    #[serde(default)]
    pub skip_verify: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExistingTable {
    pub namespace: String,
    pub table: String,
    #[ts(type = "number | null")]
    pub rows: Option<i64>,
}

/// What a restore will do and what it checked, before anything is touched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RestorePreflight {
    pub backup_id: String,
    pub backup_folder: String,
    pub deployment: String,
    pub backup_started_at: String,
    pub format: String,
    pub source: String,
    pub source_version: Option<String>,
    pub target: String,
    pub target_profile: String,
    pub target_version: Option<String>,
    /// What the user types to confirm a replacement (the target profile's name).
    pub confirm_name: String,
    pub checks: Vec<Check>,
    /// ScalarDB namespaces of the backup that already exist on the target.
    pub existing: Vec<ExistingTable>,
    pub sessions: Vec<Session>,
    pub will_replace: bool,
    /// How the restore runs.
    pub mode: String,
    /// What a failed or cancelled restore leaves on the target.
    pub on_failure: String,
    pub commands: Vec<String>,
    /// What to do after a successful restore.
    pub after: Vec<String>,
    pub tables: usize,
    #[ts(type = "number")]
    pub bytes: u64,
}

impl RestorePreflight {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RestoreResult {
    pub backup_id: String,
    pub target: String,
    pub target_profile: String,
    pub duration_ms: f64,
    /// None when skipped on request.
    pub verify: Option<VerifyReport>,
    /// Where the verification report was stored with the backup.
    pub report_path: Option<String>,
    /// The GRANT statements re-applied (when asked for).
    pub grants_applied: Vec<String>,
    pub after: Vec<String>,
}

/// How the restore runs, decided once for the preflight and the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// PostgreSQL: one transaction (pg_restore --single-transaction, or psql -1).
    PgSingle,
    /// PostgreSQL: pg_restore -j into fresh schemas.
    PgParallel,
    /// MySQL/MariaDB client or myloader: into fresh databases.
    MyFresh,
    /// SQLite online backup API into the target file.
    Lite,
}

struct Ctx {
    folder: PathBuf,
    m: Manifest,
    target: Profile,
    mode: Mode,
    /// PostgreSQL: the target database does not exist yet and will be created.
    create_db: bool,
    /// Namespaces of the backup present on the target.
    present: Vec<String>,
    /// The target's password, read from the keyring once.
    pw: Option<Sensitive<String>>,
    pg_restore: Option<String>,
    psql: Option<String>,
    mysql: Option<String>,
    myloader: Option<String>,
}

fn family(k: DbKind) -> &'static str {
    match k {
        DbKind::Postgresql => "PostgreSQL",
        DbKind::Mysql => "MySQL/MariaDB",
        DbKind::Sqlite => "SQLite",
        _ => "other",
    }
}

/// A backup by id or folder; a folder without a manifest is named as such.
pub fn find_backup(root: &Path, id: &str) -> Result<(PathBuf, Manifest)> {
    let p = Path::new(id);
    if p.is_dir() && !p.join(manifest::MANIFEST).is_file() {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "{} has no {}: it is not a complete backup (an interrupted one, or a folder copied without its manifest). Nothing was restored.",
                p.display(),
                manifest::MANIFEST
            ),
        ));
    }
    manifest::find(root, id)
}

fn pg_archive_major(m: &Manifest) -> Option<u32> {
    let v = &m.tool.as_ref()?.version;
    let num = v.split_once(')').map(|(_, r)| r).unwrap_or(v);
    major_of(num).or_else(|| major_of(v))
}

/// Drops one of the deployment's namespaces: a schema on PostgreSQL, a database on MySQL.
fn drop_namespace(d: Dialect, ns: &str) -> String {
    match d {
        Dialect::Mysql => format!("DROP DATABASE IF EXISTS {}", quote_ident(d, ns)),
        _ => format!("DROP SCHEMA IF EXISTS {} CASCADE", quote_ident(d, ns)),
    }
}

fn maintenance(p: &Profile) -> Profile {
    let mut m = p.clone();
    m.database = Some("postgres".into());
    m
}

async fn existing_tables(conn: &mut LiveConn, namespaces: &[String]) -> Result<(Vec<String>, Vec<ExistingTable>)> {
    let lits: Vec<String> = namespaces.iter().map(|n| conn.lit(n)).collect();
    let list = lits.join(",");
    let rows = match conn.dialect() {
        Dialect::Postgres => {
            conn.rows(&format!(
                "SELECT n.nspname, c.relname FROM pg_namespace n LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r','p','v','m') WHERE n.nspname IN ({list}) ORDER BY 1, 2"
            ))
            .await?
        }
        Dialect::Mysql => {
            conn.rows(&format!(
                "SELECT s.SCHEMA_NAME, t.TABLE_NAME FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME WHERE s.SCHEMA_NAME IN ({list}) ORDER BY 1, 2"
            ))
            .await?
        }
        Dialect::Sqlite => conn
            .rows("SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY 1")
            .await?
            .into_iter()
            .map(|r| {
                let n = r[0].clone().unwrap_or_default();
                let (ns, t) = n.split_once('$').map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or((String::new(), n));
                vec![Some(ns), Some(t)]
            })
            .collect(),
    };
    let mut present = Vec::new();
    let mut tables = Vec::new();
    for r in rows {
        let ns = r[0].clone().unwrap_or_default();
        if !present.contains(&ns) {
            present.push(ns.clone());
        }
        if let Some(t) = r[1].clone() {
            let q = if conn.dialect() == Dialect::Sqlite && ns.is_empty() {
                format!("\"{}\"", t.replace('"', "\"\""))
            } else {
                conn.table(&ns, &t)
            };
            let rows = conn.scalar_i64(&format!("SELECT COUNT(*) FROM {q}")).await.ok().flatten();
            tables.push(ExistingTable { namespace: ns, table: t, rows });
        }
    }
    Ok((present, tables))
}

/// The hashing of a backup's files, still running.
type PendingIntegrity = tokio::task::JoinHandle<Result<verify::IntegrityReport>>;

/// Checks everything and decides how the restore runs; touches nothing. With
/// `defer_integrity` the hashing of the backup is returned still running, for
/// the run to await before it touches the target (SQLite: while it copies
/// into a temporary file beside the target).
async fn prepare(
    ds: &Deployments,
    root: &Path,
    backup: &str,
    opts: &RestoreOptions,
    cancel: &CancellationToken,
    defer_integrity: bool,
) -> Result<(Ctx, RestorePreflight, Option<PendingIntegrity>)> {
    let (folder, m) = find_backup(root, backup)?;
    let target = ds.profiles().get(&opts.to)?;
    let mut checks: Vec<Check> = Vec::new();
    let mut check = |name: &str, ok: bool, message: String, code: ErrorCode| {
        checks.push(Check { name: name.into(), ok, message, code: (!ok).then_some(code) })
    };
    let src = m.storages.first().cloned().ok_or_else(|| {
        Error::new(ErrorCode::Corrupt, format!("The manifest of {} names no storage: it is incomplete.", m.id))
    })?;
    if m.storages.len() > 1 {
        return Err(Error::new(
            ErrorCode::Unsupported,
            "This backup spans several storages; Quiesce restores single-database backups.",
        ));
    }
    // 1. The backup itself: hashed on the blocking pool while the target is
    // inspected (read-only), and reported first.
    let integrity = {
        let (f, m2, c) = (folder.clone(), m.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || verify::check_integrity(&f, &m2, &|_| {}, &c))
    };
    // 2. Same family of database (moving between engines is out of scope).
    let same = family(target.kind) == family(src.kind) && family(src.kind) != "other";
    check(
        "target_kind",
        same,
        if same {
            format!("{} backup into a {} profile", family(src.kind), family(target.kind))
        } else {
            format!(
                "The backup is of {} but profile \"{}\" is {}: a restore stays within one database family. Pick a {} profile.",
                family(src.kind),
                target.name,
                target.kind.label(),
                family(src.kind)
            )
        },
        ErrorCode::InvalidInput,
    );
    if same && target.flavor == Flavor::YugabyteManaged {
        check(
            "target_kind",
            false,
            "YugabyteDB Managed is restored through its own console; follow the plan's runbook.".into(),
            ErrorCode::Unsupported,
        );
    }
    let mode = match src.kind {
        DbKind::Postgresql if m.format == "directory" && opts.jobs.is_some() => Mode::PgParallel,
        DbKind::Postgresql => Mode::PgSingle,
        DbKind::Mysql => Mode::MyFresh,
        _ => Mode::Lite,
    };
    if opts.jobs.is_some() && src.kind == DbKind::Postgresql && m.format != "directory" {
        check(
            "jobs",
            false,
            format!("--jobs needs a directory-format backup (pg_restore -j reads a directory); this one is {}. Restore without --jobs.", m.format),
            ErrorCode::InvalidInput,
        );
    }
    let mut ctx = Ctx {
        folder: folder.clone(),
        m: m.clone(),
        target: target.clone(),
        mode,
        create_db: false,
        present: vec![],
        pw: None,
        pg_restore: None,
        psql: None,
        mysql: None,
        myloader: None,
    };
    let mut existing = Vec::new();
    let mut sessions_found = Vec::new();
    let mut target_version = None;
    if same {
        let pw = ds.secret_of(&target).await?;
        ctx.pw = pw.clone();
        // 3. The target: reachable, its version, what it holds, who is connected.
        let conn = match target.kind {
            DbKind::Postgresql => match LiveConn::open(&target, pw.as_ref(), false).await {
                Err(e) if e.code == ErrorCode::DatabaseNotFound => {
                    ctx.create_db = true;
                    Some(LiveConn::open(&maintenance(&target), pw.as_ref(), false).await)
                }
                r => Some(r),
            },
            DbKind::Sqlite => {
                let path = PathBuf::from(target.path.clone().unwrap_or_default());
                if path.is_file() {
                    Some(LiveConn::open(&target, None, false).await)
                } else {
                    None
                }
            }
            _ => Some(LiveConn::open(&target, pw.as_ref(), false).await),
        };
        match conn {
            Some(Err(e)) => check("connect", false, e.message.clone(), e.code),
            Some(Ok(mut c)) => {
                target_version = match c.dialect() {
                    Dialect::Postgres => c.rows("SHOW server_version").await.ok(),
                    Dialect::Mysql => c.rows("SELECT VERSION()").await.ok(),
                    Dialect::Sqlite => c.rows("SELECT sqlite_version()").await.ok(),
                }
                .and_then(|r| r.first().and_then(|r| r[0].clone()));
                check(
                    "connect",
                    true,
                    format!(
                        "{} {}{}",
                        target.target(),
                        target_version.clone().unwrap_or_default(),
                        if ctx.create_db { " (the database does not exist yet: Quiesce creates it)" } else { "" }
                    ),
                    ErrorCode::ConnectionRefused,
                );
                if !ctx.create_db {
                    let (present, tables) = existing_tables(&mut c, &m.namespaces).await?;
                    ctx.present = if target.kind == DbKind::Sqlite {
                        if tables.is_empty() {
                            vec![]
                        } else {
                            vec![target.path.clone().unwrap_or_default()]
                        }
                    } else {
                        present
                    };
                    existing = tables;
                    sessions_found = sessions::list(&mut c, &target, &m.namespaces).await?;
                }
                if opts.grants {
                    match &m.grants {
                        None => check("grants", false, "This backup recorded no grants (it was made by an older Quiesce, or they could not be read). Restore without re-applying grants.".into(), ErrorCode::InvalidInput),
                        Some(g) => {
                            let who = opts.grant_to.clone().unwrap_or_else(|| g.grantee.clone());
                            let shown = grants::grantee_sql(c.dialect(), &who);
                            if grants::grantee_exists(&mut c, &who).await.unwrap_or(false) {
                                check("grants", true, format!("{} recorded privilege(s) of {} will be granted to {shown}", g.statements.len(), g.grantee), ErrorCode::InvalidInput);
                            } else {
                                check("grants", false, format!("{shown} does not exist on the target: create it first, or give the grants to another role (--grant-to)."), ErrorCode::NotFound);
                            }
                        }
                    }
                }
                c.close().await;
            }
            None => check(
                "connect",
                true,
                format!("{} does not exist yet: Quiesce creates it", target.target()),
                ErrorCode::FileNotFound,
            ),
        }
        if target.kind == DbKind::Sqlite {
            sessions_found = sessions::sqlite_holders(Path::new(target.path.as_deref().unwrap_or("")));
            let dir =
                Path::new(target.path.as_deref().unwrap_or("")).parent().map(Path::to_path_buf).unwrap_or_default();
            if !dir.is_dir() {
                check(
                    "output",
                    false,
                    format!("The folder {} does not exist: create it or fix the profile's path.", dir.display()),
                    ErrorCode::FileNotFound,
                );
            }
        }
        if let (Some(a), Some(b)) = (src.server_version.as_deref(), target_version.as_deref()) {
            let (ma, mb) = (major_of(a), major_of(b));
            if ma != mb {
                check(
                    "server_version",
                    true,
                    format!("A migration: the backup comes from server {a}, the target runs {b}."),
                    ErrorCode::Unsupported,
                );
            }
        }
        // 4. The tools, able to read the archive and talk to the target.
        match src.kind {
            DbKind::Postgresql => {
                let need_psql = m.format == "plain" || (opts.replace && mode == Mode::PgSingle);
                if m.format != "plain" {
                    let all = tools::find_all(&target, "pg_restore");
                    let want = pg_archive_major(&m);
                    match all.first() {
                        None => check("tool", false, "pg_restore was not found: install postgresql-client, or set the profile's client tools directory.".into(), ErrorCode::FileNotFound),
                        Some(t) if want.is_some_and(|w| t.major.is_some_and(|h| h < w)) => check(
                            "tool",
                            false,
                            format!("pg_restore {} ({}) cannot read an archive written by pg_dump {}: install postgresql-client {} or newer and set the profile's client tools directory.", t.major.unwrap_or(0), t.path.display(), want.unwrap_or(0), want.unwrap_or(0)),
                            ErrorCode::Unsupported,
                        ),
                        Some(t) => {
                            ctx.pg_restore = Some(t.path.display().to_string());
                            check("tool", true, format!("pg_restore {} at {}", t.major.map(|m| m.to_string()).unwrap_or("?".into()), t.path.display()), ErrorCode::FileNotFound)
                        }
                    }
                }
                if need_psql {
                    match tools::find_all(&target, "psql").first() {
                        None => check("tool", false, "psql was not found: install postgresql-client, or set the profile's client tools directory.".into(), ErrorCode::FileNotFound),
                        Some(t) => {
                            ctx.psql = Some(t.path.display().to_string());
                            check("tool", true, format!("psql {} at {}", t.major.map(|m| m.to_string()).unwrap_or("?".into()), t.path.display()), ErrorCode::FileNotFound)
                        }
                    }
                }
            }
            DbKind::Mysql if m.format == "directory" => match tools::find_all(&target, "myloader").first() {
                None => check(
                    "tool",
                    false,
                    "myloader was not found: install the mydumper package (it restores mydumper's directory backups)."
                        .into(),
                    ErrorCode::FileNotFound,
                ),
                Some(t) => {
                    ctx.myloader = Some(t.path.display().to_string());
                    check("tool", true, format!("myloader at {}", t.path.display()), ErrorCode::FileNotFound)
                }
            },
            DbKind::Mysql => {
                let found =
                    tools::find_all(&target, "mariadb").into_iter().chain(tools::find_all(&target, "mysql")).next();
                match found {
                    None => check(
                        "tool",
                        false,
                        "Neither mariadb nor mysql (the client) was found: install mariadb-client.".into(),
                        ErrorCode::FileNotFound,
                    ),
                    Some(t) => {
                        ctx.mysql = Some(t.path.display().to_string());
                        check("tool", true, format!("{} at {}", t.version, t.path.display()), ErrorCode::FileNotFound)
                    }
                }
            }
            _ => {}
        }
        if m.format == "default" && tools::find_all(&target, "zstd").is_empty() {
            check("zstd", false, "zstd was not found: install the zstd package.".into(), ErrorCode::FileNotFound);
        }
    }
    // 5. Empty, or replaced on request — after showing what is there.
    let nonempty = !ctx.present.is_empty();
    if nonempty && !opts.replace {
        let shown: Vec<String> = existing
            .iter()
            .take(12)
            .map(|t| {
                format!("{}.{} ({} rows)", t.namespace, t.table, t.rows.map(|r| r.to_string()).unwrap_or("?".into()))
            })
            .collect();
        check(
            "empty",
            false,
            format!(
                "The target already holds {} of the backup's namespaces ({}){}. Restore into an empty target, or replace them explicitly (--replace; in the app, type the profile's name).",
                ctx.present.len(),
                ctx.present.join(", "),
                if shown.is_empty() { String::new() } else { format!(": {}", shown.join(", ")) }
            ),
            ErrorCode::NotEmpty,
        );
    } else if nonempty {
        if let Some(c) = &opts.confirm {
            if c != &target.name {
                check(
                    "confirm",
                    false,
                    format!("The typed name \"{c}\" is not the target's name \"{}\".", target.name),
                    ErrorCode::InvalidInput,
                );
            }
        }
        check(
            "empty",
            true,
            format!("Will replace {} ({} tables)", ctx.present.join(", "), existing.len()),
            ErrorCode::NotEmpty,
        );
    } else {
        check("empty", true, "The target holds none of the backup's namespaces".into(), ErrorCode::NotEmpty);
    }
    // 6. Nobody else connected: restoring under a running ScalarDB corrupts it.
    check(
        "sessions",
        sessions_found.is_empty(),
        if sessions_found.is_empty() {
            "No other client is connected to the target".into()
        } else {
            format!(
                "{} other client(s) are connected to the target ({}). Stop ScalarDB and every other client of it first: restoring under a running ScalarDB corrupts it.",
                sessions_found.len(),
                sessions_found.iter().take(5).map(|s| s.describe()).collect::<Vec<_>>().join("; ")
            )
        },
        ErrorCode::InUse,
    );

    let pending = if defer_integrity {
        checks.insert(
            0,
            Check {
                name: "integrity".into(),
                ok: true,
                message: "The backup's files are being checked against the manifest; the target is not touched before they match".into(),
                code: None,
            },
        );
        Some(integrity)
    } else {
        let integ = integrity.await.map_err(|e| Error::internal(e.to_string()))??;
        checks.insert(
            0,
            Check {
                name: "integrity".into(),
                ok: integ.problems.is_empty(),
                message: if integ.problems.is_empty() {
                    format!(
                        "{} file(s), {} match the manifest's sizes and SHA-256",
                        integ.files_checked,
                        human(integ.bytes_checked)
                    )
                } else {
                    format!("The backup does not match its manifest: {}", integ.problems.join("; "))
                },
                code: (!integ.problems.is_empty()).then_some(ErrorCode::Corrupt),
            },
        );
        None
    };
    let (mode_text, on_failure) = describe(&ctx, opts);
    let pf = RestorePreflight {
        backup_id: m.id.clone(),
        backup_folder: folder.display().to_string(),
        deployment: m.deployment.clone(),
        backup_started_at: m.started_at.clone(),
        format: m.format.clone(),
        source: src.target.clone(),
        source_version: src.server_version.clone(),
        target: target.target(),
        target_profile: target.name.clone(),
        target_version,
        confirm_name: target.name.clone(),
        checks,
        existing,
        sessions: sessions_found,
        will_replace: nonempty && opts.replace,
        mode: mode_text,
        on_failure,
        commands: render_chain(&chain_for(&ctx, opts, "<0600 pass file>", "quiesce")),
        after: after_steps(&ctx, opts),
        tables: m.tables.len(),
        bytes: m.total_bytes(),
    };
    Ok((ctx, pf, pending))
}

fn describe(ctx: &Ctx, opts: &RestoreOptions) -> (String, String) {
    let replace = opts.replace && !ctx.present.is_empty();
    let created = if ctx.create_db {
        format!(
            " The database {} is created first and dropped again on failure.",
            ctx.target.database.as_deref().unwrap_or("?")
        )
    } else {
        String::new()
    };
    match ctx.mode {
        Mode::PgSingle => {
            let how = if ctx.m.format == "plain" {
                format!(
                    "psql runs the plain script in one transaction{}, its owner and privilege statements left out (the target's roles may differ).",
                    if replace { ", after dropping the replaced schemas inside that same transaction" } else { "" }
                )
            } else if replace {
                "psql runs the archive in one transaction, after dropping the replaced schemas inside that same transaction.".into()
            } else {
                "pg_restore in one transaction (--single-transaction), without owners or grants.".into()
            };
            (
                how + &created,
                if ctx.create_db {
                    "Nothing: the transaction rolls back and the database Quiesce created is dropped.".into()
                } else {
                    "The target exactly as it was: the transaction rolls back (replaced schemas included).".into()
                },
            )
        }
        Mode::PgParallel => (
            format!(
                "pg_restore -j {} into freshly created schemas (parallel workers cannot share one transaction).{created}",
                opts.jobs.unwrap_or(2)
            ),
            if replace {
                "Quiesce drops the schemas it was restoring: the target holds none of the deployment's namespaces, and what it held before was dropped at the start.".into()
            } else {
                "Quiesce drops the schemas it was restoring: the target holds none of the deployment's namespaces, as before.".into()
            },
        ),
        Mode::MyFresh => (
            format!(
                "{} into freshly created databases (MySQL cannot roll back DDL, so a restore is never one transaction).",
                if ctx.m.format == "directory" { "myloader" } else { "The mariadb/mysql client" }
            ),
            if replace {
                "Quiesce drops the databases it was restoring: the target holds none of the deployment's databases, and what it held before was dropped at the start.".into()
            } else {
                "Quiesce drops the databases it was restoring: the target holds none of the deployment's databases, as before.".into()
            },
        ),
        Mode::Lite => (
            "The backup (a complete SQLite database) is copied into a temporary file beside the target while it is checked against its manifest; the checked copy then replaces the target by an atomic rename.".into(),
            "The target file exactly as it was (the temporary copy is removed).".into(),
        ),
    }
}

fn after_steps(ctx: &Ctx, opts: &RestoreOptions) -> Vec<String> {
    let t = ctx.target.target();
    let mut v = vec![format!(
        "Start ScalarDB only now; if it ran against another database, point scalar.db.contact_points (or the storage's JDBC URL) at {t} and restart every ScalarDB node: its metadata cache and connections belong to the old database."
    )];
    if ctx.mode != Mode::Lite && !opts.grants {
        v.push(match &ctx.m.grants {
            Some(g) if !g.statements.is_empty() => format!(
                "Owners and grants were not restored (the target's roles may differ). The backup recorded {} privilege(s) of {}: re-apply them with a restore option (CLI: --grants [--grant-to ROLE]) or grant them by hand.",
                g.statements.len(),
                g.grantee
            ),
            _ => "Owners and grants were not restored (the target's roles may differ): grant the ScalarDB user its privileges on the restored namespaces.".into(),
        });
    }
    v
}

/// The commands of the restore. `pass` is the pass file and `session` the
/// tools' `application_name` (placeholders in the preflight).
fn chain_for(ctx: &Ctx, opts: &RestoreOptions, pass: &str, session: &str) -> Vec<CommandLine> {
    let rt = Runtime { pass_file: pass, snapshot: "", output: "", session };
    let file = |name: &str| ctx.folder.join(name).display().to_string();
    let t = &ctx.target;
    let replace = opts.replace && !ctx.present.is_empty();
    let drops: Vec<String> = ctx.present.iter().map(|n| drop_namespace(Dialect::Postgres, n)).collect();
    let pg_restore = ctx.pg_restore.clone().unwrap_or("pg_restore".into());
    let psql = ctx.psql.clone().unwrap_or("psql".into());
    match (ctx.mode, ctx.m.format.as_str()) {
        (Mode::PgSingle, "plain") => {
            vec![commands::psql_single_transaction(t, &psql, if replace { &drops } else { &[] }, &rt)
                .stdin_file(file("postgresql.sql"))]
        }
        (Mode::PgSingle, f) => {
            let (archive_arg, input) = match f {
                "default" => (None, Some(file("postgresql.dump.zst"))),
                "custom" => (None, Some(file("postgresql.dump"))),
                _ => (Some(file("postgresql.dir")), None),
            };
            let mut chain = Vec::new();
            if f == "default" {
                chain.push(commands::zstd_decompress());
            }
            if replace {
                chain.push(commands::pg_restore_to_sql(&pg_restore, archive_arg.as_deref()));
                chain.push(commands::psql_single_transaction(t, &psql, &drops, &rt));
            } else {
                chain.push(commands::pg_restore_into(t, &pg_restore, archive_arg.as_deref(), None, &rt));
            }
            if let Some(i) = input {
                chain[0].stdin_file = Some(i.into());
            }
            chain
        }
        (Mode::PgParallel, _) => {
            vec![commands::pg_restore_into(t, &pg_restore, Some(&file("postgresql.dir")), opts.jobs, &rt)]
        }
        (Mode::MyFresh, "directory") => vec![commands::myloader(
            t,
            ctx.myloader.as_deref().unwrap_or("myloader"),
            &file("mysql.dir"),
            opts.jobs.unwrap_or(2),
            &rt,
        )],
        (Mode::MyFresh, f) => {
            let client = commands::mysql_client(t, ctx.mysql.as_deref().unwrap_or("mariadb"), &rt);
            if f == "default" {
                vec![commands::zstd_decompress().stdin_file(file("mysql.sql.zst")), client]
            } else {
                vec![client.stdin_file(file("mysql.sql"))]
            }
        }
        (Mode::Lite, _) => vec![],
    }
}

/// The pipeline as one shell-like line.
fn render_chain(chain: &[CommandLine]) -> Vec<String> {
    if chain.is_empty() {
        return vec![];
    }
    vec![chain.iter().map(|c| c.render()).collect::<Vec<_>>().join(" | ")]
}

/// The checks and the commands, without touching the target.
pub async fn dry_run(
    ds: &Deployments,
    root: &Path,
    backup: &str,
    opts: &RestoreOptions,
    cancel: &CancellationToken,
) -> Result<RestorePreflight> {
    Ok(prepare(ds, root, backup, opts, cancel, false).await?.1)
}

/// One restore per target at a time, across the app and any CLI.
fn lock_target(home: &crate::paths::Home, p: &Profile) -> Result<std::fs::File> {
    crate::paths::try_lock(home, &format!("restore-{}", p.id), || {
        format!("A restore into \"{}\" is already running (in the app or a CLI). Wait for it to finish.", p.name)
    })
}

struct Live {
    counters: Arc<Counters>,
    input_total: u64,
    tables_done: AtomicU32,
    tables_total: u32,
    pages_done: AtomicU64,
    pages_total: AtomicU64,
    phase: Mutex<String>,
    started: Instant,
}

impl Live {
    fn snapshot(&self) -> Progress {
        let elapsed = self.started.elapsed().as_secs_f64();
        let raw = self.counters.raw.load(Ordering::Relaxed);
        let (pd, pt) = (self.pages_done.load(Ordering::Relaxed), self.pages_total.load(Ordering::Relaxed));
        let td = self.tables_done.load(Ordering::Relaxed);
        let frac = if pt > 0 {
            pd as f64 / pt as f64
        } else if self.input_total > 0 {
            raw as f64 / self.input_total as f64
        } else if self.tables_total > 0 {
            td as f64 / self.tables_total as f64
        } else {
            0.0
        };
        Progress {
            phase: self.phase.lock().unwrap().clone(),
            raw_bytes: raw,
            written_bytes: raw,
            tables_done: td.min(self.tables_total),
            tables_total: self.tables_total,
            pages_done: pd,
            pages_total: pt,
            elapsed_secs: elapsed,
            rate_bps: if elapsed > 0.0 { raw as f64 / elapsed } else { 0.0 },
            eta_secs: (frac > 0.02 && frac < 1.0).then(|| elapsed * (1.0 - frac) / frac),
        }
    }
}

/// Runs a restore; the result carries the verification of the target.
pub async fn run(
    ds: &Deployments,
    root: &Path,
    backup: &str,
    opts: &RestoreOptions,
    sink: Sink,
    cancel: &CancellationToken,
) -> Result<RestoreResult> {
    let phase = |p: &str, m: String| sink(BackupEvent::Phase { phase: p.into(), message: m });
    phase("checks", "Checking the backup's files against its manifest, the tools and the target…".into());
    // The backup named first is checked first: a damaged or missing one is
    // said before anything about the target.
    find_backup(root, backup)?;
    let target0 = ds.profiles().get(&opts.to)?;
    let _lock = lock_target(ds.profiles().home(), &target0)?;
    let (ctx, pf, pending) = prepare(ds, root, backup, opts, cancel, true).await?;
    let journal = Journal::begin(
        ds.profiles().home(),
        "restore",
        format!("restore of backup {} into {}", pf.backup_id, pf.target_profile),
    )?;
    if !pf.ok() {
        let failed: Vec<String> =
            pf.checks.iter().filter(|c| !c.ok).map(|c| format!("{}: {}", c.name, c.message)).collect();
        let code = pf.checks.iter().find(|c| !c.ok).and_then(|c| c.code).unwrap_or(ErrorCode::InvalidInput);
        return Err(Error::new(
            code,
            format!(
                "The restore of {} into \"{}\" cannot start; nothing was touched:\n  {}",
                pf.backup_id,
                pf.target_profile,
                failed.join("\n  ")
            ),
        ));
    }
    // The backup must match its manifest before the target is touched. SQLite
    // copies into a temporary file meanwhile and checks before replacing.
    let pending = match (ctx.mode, pending) {
        (Mode::Lite, p) => p,
        (_, Some(h)) => {
            h.await.map_err(|e| Error::internal(e.to_string()))??.into_result()?;
            None
        }
        (_, None) => None,
    };
    let started = Instant::now();
    let pw = ctx.pw.clone();
    let input_total = ctx.m.files.iter().filter(|f| !f.name.contains('/')).map(|f| f.bytes).sum();
    let live = Arc::new(Live {
        counters: Arc::new(Counters::default()),
        input_total,
        tables_done: AtomicU32::new(0),
        tables_total: ctx.m.tables.len() as u32,
        pages_done: AtomicU64::new(0),
        pages_total: AtomicU64::new(0),
        phase: Mutex::new("restoring".into()),
        started,
    });
    let ticker = CancellationToken::new();
    {
        let (live, sink, stop) = (live.clone(), sink.clone(), ticker.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => sink(BackupEvent::Progress(live.snapshot())),
                }
            }
        });
    }
    let r = match ctx.mode {
        Mode::Lite => sqlite::restore(&ctx, live.clone(), pending, &journal, cancel, &sink).await,
        _ => native(&ctx, opts, pw.as_ref(), &journal, &live, &sink, cancel).await,
    };
    ticker.cancel();
    if let Err(e) = r {
        let state = cleanup(&ctx, opts, pw.as_ref()).await;
        phase("failed", state.clone());
        return Err(Error::new(e.code, format!("{}\nTarget: {state}", e.message)));
    }
    let report = if opts.skip_verify {
        None
    } else {
        *live.phase.lock().unwrap() = "verifying".into();
        live.tables_done.store(live.tables_total, Ordering::Relaxed);
        sink(BackupEvent::Progress(live.snapshot()));
        phase("verifying", "Checking tables, row counts and the ScalarDB consistency audit on the target…".into());
        let mut conn = LiveConn::open(&ctx.target, pw.as_ref(), false).await?;
        let r = verify::verify_conn(&mut conn, &ctx.target, &Expect::of(&ctx.m), cancel).await;
        conn.close().await;
        Some(r?)
    };
    let report_path =
        report.as_ref().and_then(|r| verify::store_report(&ctx.folder, r).ok()).map(|p| p.display().to_string());
    let mut grants_applied = Vec::new();
    if let (true, Some(g)) = (opts.grants, &ctx.m.grants) {
        let who = opts.grant_to.clone().unwrap_or_else(|| g.grantee.clone());
        phase("grants", format!("Granting the recorded privileges to {who}…"));
        let mut conn = LiveConn::open(&ctx.target, pw.as_ref(), false).await?;
        let r = grants::apply(&mut conn, g, &who).await;
        conn.close().await;
        grants_applied = r.map_err(|e| {
            Error::new(
                e.code,
                format!("The restore completed and was verified, but re-applying the grants failed: {}. Grant them by hand.", e.message),
            )
        })?;
    }
    phase(
        "done",
        format!(
            "Restored {} into {} in {:.1} s; {}",
            ctx.m.id,
            ctx.target.target(),
            started.elapsed().as_secs_f64(),
            match &report {
                None => "not verified (skipped on request)",
                Some(r) if r.passed => "verification found no errors",
                Some(_) => "verification found errors",
            }
        ),
    );
    tracing::info!(backup = %ctx.m.id, target = %ctx.target.name, verified = report.is_some(), "restore complete");
    Ok(RestoreResult {
        backup_id: ctx.m.id.clone(),
        target: ctx.target.target(),
        target_profile: ctx.target.name.clone(),
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        verify: report,
        report_path,
        grants_applied,
        after: after_steps(&ctx, opts),
    })
}

/// Drops what a failed restore created or was restoring, and says what the
/// target holds now.
async fn cleanup(ctx: &Ctx, opts: &RestoreOptions, pw: Option<&Sensitive<String>>) -> String {
    let (_, said) = describe(ctx, opts);
    let r: Result<()> = async {
        match ctx.mode {
            Mode::PgSingle | Mode::PgParallel if ctx.create_db => {
                let mut c = LiveConn::open(&maintenance(&ctx.target), pw, false).await?;
                let db = quote_ident(Dialect::Postgres, ctx.target.database.as_deref().unwrap_or_default());
                c.exec(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await?;
                c.close().await;
            }
            Mode::PgParallel | Mode::MyFresh => {
                let mut c = LiveConn::open(&ctx.target, pw, false).await?;
                for ns in &ctx.m.namespaces {
                    c.exec(&drop_namespace(c.dialect(), ns)).await?;
                }
                c.close().await;
            }
            _ => {}
        }
        Ok(())
    }
    .await;
    let Err(e) = r else { return said };
    // The restore's own failure is already said; here what stops the cleanup.
    let why = match e.code {
        ErrorCode::ConnectionRefused | ErrorCode::Timeout | ErrorCode::HostNotFound => {
            format!(
                "the server no longer answers ({})",
                e.message.split(" (").nth(1).map(|r| r.trim_end_matches(['.', ')'])).unwrap_or("no connection")
            )
        }
        _ => e.message.clone(),
    };
    let db = ctx.target.database.clone().unwrap_or_default();
    match ctx.mode {
        // One transaction: the server rolled it back when the session ended.
        Mode::PgSingle if ctx.create_db => format!(
            "the restore's single transaction was rolled back, so the database \"{db}\" that Quiesce created for it holds nothing; Quiesce could not drop it because {why}. When the server is back, drop it (DROP DATABASE {};) or restore into it again."
            ,quote_ident(Dialect::Postgres, &db)
        ),
        Mode::PgSingle => format!("exactly as it was: the restore's single transaction was rolled back (Quiesce could not confirm it because {why})."),
        Mode::PgParallel if ctx.create_db => format!(
            "Quiesce could not drop the database \"{db}\" it created, which may hold part of the restore, because {why}. When the server is back, drop it (DROP DATABASE {};).",
            quote_ident(Dialect::Postgres, &db)
        ),
        _ => format!(
            "Quiesce could not drop what it was restoring because {why}: the target may hold part of {}. Drop those {} before using it.",
            ctx.m.namespaces.join(", "),
            if ctx.target.kind == DbKind::Mysql { "databases" } else { "schemas" }
        ),
    }
}

/// The native tools: PostgreSQL and MySQL/MariaDB.
async fn native(
    ctx: &Ctx,
    opts: &RestoreOptions,
    pw: Option<&Sensitive<String>>,
    journal: &Journal,
    live: &Arc<Live>,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<()> {
    let replace = opts.replace && !ctx.present.is_empty();
    // Before the tool runs: the database to restore into, and for restores
    // that cannot be one transaction, the replaced namespaces dropped.
    if ctx.create_db {
        let db = ctx.target.database.clone().unwrap_or_default();
        // Recorded first: a restore killed outright is reported at the next start.
        journal.own(crate::job::Owned::Database { profile: ctx.target.name.clone(), database: db.clone() })?;
        let mut c = LiveConn::open(&maintenance(&ctx.target), pw, false).await?;
        c.exec(&format!("CREATE DATABASE {}", quote_ident(Dialect::Postgres, &db))).await?;
        c.close().await;
        sink(BackupEvent::Log { line: format!("quiesce: created database {db}") });
    }
    if replace && matches!(ctx.mode, Mode::PgParallel | Mode::MyFresh) {
        let mut c = LiveConn::open(&ctx.target, pw, false).await?;
        for ns in &ctx.present {
            c.exec(&drop_namespace(c.dialect(), ns)).await?;
            sink(BackupEvent::Log { line: format!("quiesce: dropped {ns} (replaced)") });
        }
        c.close().await;
    }
    let secret = pw.map(|s| s.expose().as_str()).unwrap_or("");
    let pass = match ctx.target.kind {
        DbKind::Postgresql => {
            let db = ctx.target.database.clone().unwrap_or_default();
            journal.cred_file("pgpass", &creds::pgpass(&ctx.target, &[db.as_str()], secret))?
        }
        // myloader reads its own group; the client group serves the others.
        _ => journal.cred_file("my.cnf", &creds::my_cnf(secret, &["client", "myloader"]))?,
    };
    let session = format!("quiesce-{}", journal.id());
    let chain = chain_for(ctx, opts, &pass.path_str(), &session);
    sink(BackupEvent::Phase { phase: "restoring".into(), message: render_chain(&chain).join("") });
    let log: pipeline::LogFn = {
        let (sink, live) = (sink.clone(), live.clone());
        Arc::new(move |line: String| {
            // pg_restore -v: "processing data for table"; myloader: "Thread N restoring `db`.`t`".
            if line.contains("processing data for table")
                || line.contains("restoring `")
                || line.contains("Restoring `")
            {
                live.tables_done.fetch_add(1, Ordering::Relaxed);
            }
            sink(BackupEvent::Log { line });
        })
    };
    let run = Run {
        counters: live.counters.clone(),
        log,
        cancel,
        stall: Stall::default_policy().with_server(crate::live::server_probe(
            &ctx.target,
            pw,
            &session,
            &ctx.m.namespaces,
        )),
    };
    // A plain script carries the source's owners and grants; the target's
    // roles may differ, so they are left out as the other formats' --no-owner does.
    let mut ownerless = ownerless::OwnerlessSql::new();
    let filter: Option<&mut dyn pipeline::FeedFilter> =
        if ctx.m.format == "plain" && ctx.mode == Mode::PgSingle { Some(&mut ownerless) } else { None };
    let stderr = pipeline::run_chain(&chain, filter, &run).await?;
    if ownerless.dropped > 0 {
        sink(BackupEvent::Log {
            line: format!(
                "quiesce: left out {} owner and privilege statement(s) of the plain script",
                ownerless.dropped
            ),
        });
    }
    drop(pass);
    let errs: Vec<String> = pipeline::error_lines(&stderr)
        .into_iter()
        // pg_restore -v names tables like "error_log"; only its own error lines count.
        .filter(|l| !l.contains("processing data for table") && !l.contains("creating TABLE"))
        .collect();
    if !errs.is_empty() {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!("The restore reported errors although its tools exited 0:\n{}", errs.join("\n")),
        ));
    }
    Ok(())
}
