//! Consistent backups that really run (a single transactional database, the
//! guide's "back up without explicit pausing"): PostgreSQL with pg_dump in a
//! snapshot Quiesce exported and counted in, MySQL/MariaDB with one
//! --single-transaction dump of every ScalarDB database, SQLite with the
//! online backup API inside one read transaction.
//!
//! A backup is written into `<root>/<deployment>/<id>.partial`, every file
//! hashed as it is written and fsynced, the manifest last; only then is the
//! folder renamed to `<id>`. Any failure or cancel removes the partial folder,
//! so nothing that looks complete is ever left behind. One backup per
//! deployment at a time, across the app and any CLI (a lock file).

pub mod grants;
pub mod manifest;
pub mod pgarchive;
pub mod sqlcount;
mod sqlite;

use crate::deployment::{DeploymentStorage, Deployments};
use crate::discovery::{self, Discovery, Severity, StorageDiscovery};
use crate::error::{Error, ErrorCode, Result};
use crate::job::{Journal, Owned};
use crate::plan::commands::{self, DumpFormat, Runtime};
use crate::plan::{self, Method, Plan};
use crate::profile::{DbKind, Flavor, Profile};
use crate::sensitive::Sensitive;
use crate::tools::creds;
use crate::tools::pipeline::{self, Counters, Run, Stall};
use manifest::*;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct BackupOptions {
    #[serde(default)]
    pub format: DumpFormat,
    /// pg_dump -j for the directory format.
    pub jobs: Option<u32>,
    /// Root folder for this backup (default: the catalog's root).
    pub out: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub message: String,
    /// The error code a failed check stops the backup with.
    pub code: Option<ErrorCode>,
}

/// What `--dry-run` prints and what a backup checks before it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Preflight {
    pub deployment: String,
    pub plan: Plan,
    pub checks: Vec<Check>,
    /// The commands that will run (secrets never in them).
    pub commands: Vec<String>,
    pub out_dir: String,
    #[ts(type = "number")]
    pub estimated_bytes: u64,
    #[ts(type = "number | null")]
    pub free_bytes: Option<u64>,
}

impl Preflight {
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Progress {
    pub phase: String,
    #[ts(type = "number")]
    pub raw_bytes: u64,
    #[ts(type = "number")]
    pub written_bytes: u64,
    pub tables_done: u32,
    pub tables_total: u32,
    #[ts(type = "number")]
    pub pages_done: u64,
    #[ts(type = "number")]
    pub pages_total: u64,
    pub elapsed_secs: f64,
    /// Bytes per second of the dump (uncompressed).
    pub rate_bps: f64,
    pub eta_secs: Option<f64>,
}

/// What a running backup streams to the GUI and the CLI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BackupEvent {
    Phase { phase: String, message: String },
    Progress(Progress),
    Log { line: String },
}

pub type Sink = Arc<dyn Fn(BackupEvent) + Send + Sync>;

/// The state a backup job shares with its progress reporter.
struct Live {
    counters: Arc<Counters>,
    tables_done: std::sync::atomic::AtomicU32,
    tables_total: std::sync::atomic::AtomicU32,
    pages_done: std::sync::atomic::AtomicU64,
    pages_total: std::sync::atomic::AtomicU64,
    /// Bytes of tables done, to estimate the time left from table sizes.
    est_total: u64,
    est_done: std::sync::atomic::AtomicU64,
    sizes: Mutex<Vec<(String, u64)>>,
    phase: Mutex<String>,
    started: Instant,
}

impl Live {
    fn snapshot(&self) -> Progress {
        let elapsed = self.started.elapsed().as_secs_f64();
        let raw = self.counters.raw.load(Ordering::Relaxed);
        let pages_done = self.pages_done.load(Ordering::Relaxed);
        let pages_total = self.pages_total.load(Ordering::Relaxed);
        let frac = if pages_total > 0 {
            pages_done as f64 / pages_total as f64
        } else if self.est_total > 0 {
            (self.est_done.load(Ordering::Relaxed) as f64 / self.est_total as f64).min(1.0)
        } else {
            0.0
        };
        let eta = (frac > 0.02 && frac < 1.0).then(|| elapsed * (1.0 - frac) / frac);
        Progress {
            phase: self.phase.lock().unwrap().clone(),
            raw_bytes: raw,
            written_bytes: self.counters.written.load(Ordering::Relaxed),
            tables_done: self.tables_done.load(Ordering::Relaxed),
            tables_total: self.tables_total.load(Ordering::Relaxed),
            pages_done,
            pages_total,
            elapsed_secs: elapsed,
            rate_bps: if elapsed > 0.0 { raw as f64 / elapsed } else { 0.0 },
            eta_secs: eta,
        }
    }

    /// A tool's log line says it started on a table: count it as done (the
    /// estimate moves by that table's size). Lines name `db.table` (pg_dump,
    /// mydumper) or only the table (mysqldump).
    fn table_started(&self, line: &str) {
        let line = line.replace(['`', '"'], "");
        let mut sizes = self.sizes.lock().unwrap();
        let hit = sizes.iter().position(|(n, _)| line.contains(n.as_str())).or_else(|| {
            sizes.iter().position(|(n, _)| {
                let t = n.rsplit(['.', '$']).next().unwrap_or(n);
                line.contains(&format!(" {t}.")) || line.ends_with(&format!(" {t}"))
            })
        });
        if let Some(i) = hit {
            let (_, size) = sizes.remove(i);
            self.est_done.fetch_add(size, Ordering::Relaxed);
            self.tables_done.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Held while a backup of a deployment runs; other processes get `busy`.
fn lock_deployment(home: &crate::paths::Home, d: &crate::deployment::Deployment) -> Result<std::fs::File> {
    crate::paths::try_lock(home, &format!("backup-{}", d.id), || {
        format!(
            "A backup of deployment \"{}\" is already running (in the app or a CLI). Wait for it to finish.",
            d.name
        )
    })
}

fn free_bytes(dir: &Path) -> Option<u64> {
    let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).ok()?;
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &mut s) } == 0).then(|| s.f_bavail as u64 * s.f_frsize as u64)
}

/// The nearest existing ancestor of a path (for free space and permissions).
fn existing_ancestor(p: &Path) -> PathBuf {
    let mut cur = p.to_path_buf();
    while !cur.exists() {
        match cur.parent() {
            Some(parent) => cur = parent.to_path_buf(),
            None => break,
        }
    }
    cur
}

struct Context {
    deployment: crate::deployment::Deployment,
    storage: DeploymentStorage,
    profile: Profile,
    found: StorageDiscovery,
    plan: Plan,
    root: PathBuf,
}

/// Discovers, plans and checks; the same for `--dry-run` and a real run.
async fn prepare(
    ds: &Deployments,
    deployment: &str,
    opts: &BackupOptions,
    cancel: &CancellationToken,
) -> Result<(Context, Preflight, Discovery)> {
    let d = {
        let ds = ds.clone();
        let n = deployment.to_string();
        tokio::task::spawn_blocking(move || ds.get(&n)).await.map_err(|e| Error::internal(e.to_string()))??
    };
    let disc = discovery::discover_for_backup(ds, &d, cancel).await?;
    let storages = {
        let ds = ds.clone();
        let d2 = d.clone();
        tokio::task::spawn_blocking(move || ds.storage_profiles(&d2))
            .await
            .map_err(|e| Error::internal(e.to_string()))??
    };
    let plan = plan::evaluate(&d, &storages, Some(&disc));
    match plan.method {
        Method::Unknown => {
            return Err(Error::invalid(format!(
                "Deployment \"{}\" has unknown storages: attach them (quiesce deployment import <server file> --attach-to {}) before backing up.",
                d.name, d.name
            )))
        }
        Method::Pause => {
            return Err(Error::new(
                ErrorCode::Unsupported,
                format!(
                    "Deployment \"{}\" needs a backup with explicit pausing ({}). Quiesce does not pause through Scalar Admin yet; follow the plan's runbook (`quiesce plan {}`) with the Scalar Admin client tool.",
                    d.name, plan.path[0].reason, d.name
                ),
            ))
        }
        Method::NoPause => {}
    }
    let (storage, profile) =
        storages.into_iter().next().ok_or_else(|| Error::internal("a no-pause plan without a storage"))?;
    if !matches!(profile.kind, DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite)
        || profile.flavor == Flavor::YugabyteManaged
    {
        return Err(Error::new(
            ErrorCode::Unsupported,
            format!("{} is backed up through its own service, not by Quiesce: follow the plan's runbook (`quiesce plan {}`).", profile.target(), d.name),
        ));
    }
    let parallel_mysql = profile.kind == DbKind::Mysql && opts.format == DumpFormat::Directory;
    if opts.format == DumpFormat::Custom && profile.kind != DbKind::Postgresql
        || opts.format == DumpFormat::Directory && !matches!(profile.kind, DbKind::Postgresql | DbKind::Mysql)
    {
        return Err(Error::invalid(format!(
            "The {} format does not exist for {}; use default or plain.",
            opts.format.as_str(),
            profile.kind.label()
        )));
    }
    if opts.jobs.is_some() && opts.format != DumpFormat::Directory {
        return Err(Error::invalid(
            "--jobs needs the directory format (pg_dump -j works with -Fd only; mydumper writes a directory): add --format directory.",
        ));
    }
    let found = disc.storage(&storage.name).cloned().ok_or_else(|| Error::internal("discovery lost a storage"))?;
    let root = match &opts.out {
        Some(o) => PathBuf::from(o),
        None => default_root(ds.profiles().home()),
    };
    let out_dir = crate::paths::inside(&root, &[&d.name])?;

    let mut checks: Vec<Check> = Vec::new();
    if let Some(e) = &found.error {
        checks.push(Check { name: "connect".into(), ok: false, message: e.message.clone(), code: Some(e.code) });
    }
    let mut check = |name: &str, ok: bool, message: String| {
        let code = match name {
            "tool" if message.contains("older than the server") => ErrorCode::Unsupported,
            "not_innodb" => ErrorCode::Unsupported,
            "tool" | "zstd" => ErrorCode::FileNotFound,
            "free_space" => ErrorCode::IoError,
            "namespace_unreadable" => ErrorCode::PermissionDenied,
            _ => ErrorCode::InvalidInput,
        };
        checks.push(Check { name: name.into(), ok, message, code: (!ok).then_some(code) })
    };
    if found.error.is_none() {
        check(
            "connect",
            true,
            format!(
                "{} {}",
                found.product.clone().unwrap_or_default(),
                found.server_version.clone().unwrap_or_default()
            ),
        );
    }
    if found.reachable {
        check(
            "metadata",
            found.metadata_found,
            if found.metadata_found {
                format!(
                    "{} ScalarDB table(s) in namespaces {}",
                    found.tables.iter().filter(|t| t.in_metadata).count(),
                    found.namespaces.join(", ")
                )
            } else {
                "ScalarDB's metadata table was not found: Quiesce cannot tell what to back up.".into()
            },
        );
        let uses = d.transaction_manager != crate::deployment::TransactionManager::Jdbc;
        if uses {
            check(
                "coordinator",
                found.coordinator_found,
                if found.coordinator_found {
                    format!("{}.state found", d.coordinator_namespace)
                } else {
                    format!("The coordinator table {}.state is missing.", d.coordinator_namespace)
                },
            );
        }
        for f in found.findings.iter().filter(|f| {
            f.severity == Severity::Error
                && f.code != "tool_too_old"
                && f.code != "tool_missing"
                && f.code != "no_metadata"
                && f.code != "no_coordinator"
                && f.code != "unreachable"
        }) {
            check(&f.code, false, f.message.clone());
        }
        for t in &found.tools {
            if t.tool != "pg_restore" {
                check("tool", t.ok, t.message.clone());
            }
        }
        if parallel_mysql {
            let m = crate::discovery::tools::find_all(&profile, "mydumper");
            check(
                "tool",
                !m.is_empty(),
                m.first()
                    .map(|t| format!("{} at {} (needs SELECT, LOCK TABLES, SHOW VIEW, TRIGGER and RELOAD for its consistent snapshot)", t.version, t.path.display()))
                    .unwrap_or_else(|| "mydumper was not found: install the mydumper package, or use the default format (one mysqldump --single-transaction).".into()),
            );
        }
        if matches!(profile.kind, DbKind::Postgresql | DbKind::Mysql) && opts.format == DumpFormat::Default {
            let z = crate::discovery::tools::find_all(&profile, "zstd");
            check(
                "zstd",
                !z.is_empty(),
                z.first().map(|t| format!("zstd at {}", t.path.display())).unwrap_or_else(|| {
                    "zstd was not found: install the zstd package, or choose --format plain.".into()
                }),
            );
        }
    }
    let raw: u64 = match profile.kind {
        DbKind::Sqlite => std::fs::metadata(profile.path.as_deref().unwrap_or("")).map(|m| m.len()).unwrap_or(0),
        _ => found.tables.iter().map(|t| t.size_bytes.unwrap_or(0).max(0) as u64).sum(),
    };
    // Compressed dumps of ScalarDB tables come out well under their on-disk
    // size; a SQLite backup is a page-for-page copy of the file.
    let compressed = matches!(opts.format, DumpFormat::Default | DumpFormat::Custom) && profile.kind != DbKind::Sqlite;
    let estimated = if compressed { raw / 2 } else { raw };
    let anc = existing_ancestor(&out_dir);
    let free = free_bytes(&anc);
    // A margin over the estimate: dumps of some data compress worse than the
    // table sizes suggest, and a disk filled to its last byte hurts more than
    // the backup.
    let needed = estimated + estimated / 10 + (1 << 20);
    match free {
        Some(f) if f < needed => check(
            "free_space",
            false,
            format!(
                "{} has {} free; the backup needs about {} (estimated from the tables' size) plus a margin of 10 % and 1 MB, so {}. Free space or choose another folder (--out).",
                anc.display(),
                human(f),
                human(estimated),
                human(needed)
            ),
        ),
        Some(f) => check("free_space", true, format!("{} free at {}, about {} needed", human(f), anc.display(), human(estimated))),
        None => {}
    }
    match writable(&anc) {
        Ok(()) => check("output", true, format!("backups go to {}", out_dir.display())),
        Err(e) => {
            checks.push(Check { name: "output".into(), ok: false, message: e.message.clone(), code: Some(e.code) })
        }
    }

    let unit = &plan.units[0];
    let ns = plan::dump_namespaces(unit);
    // The commands as they will run, checked by the rule every run applies:
    // a name a tool would read as anything but a name fails here, by name.
    let built: Result<Option<commands::CommandLine>> = match profile.kind {
        DbKind::Postgresql => Ok(Some(commands::pg_dump(
            &profile,
            &plan::tool_for(Some(&disc), unit, "pg_dump"),
            &ns,
            opts.format,
            opts.jobs,
            &Runtime::placeholders(&format!("<backup folder>/{}", opts.format.pg_output())),
        ))),
        DbKind::Mysql if parallel_mysql => commands::mydumper(
            &profile,
            &crate::discovery::tools::find_all(&profile, "mydumper")
                .first()
                .map(|t| t.path.display().to_string())
                .unwrap_or("mydumper".into()),
            &ns,
            opts.jobs.unwrap_or(2),
            &Runtime::placeholders("<backup folder>/mysql.dir"),
        )
        .map(Some),
        DbKind::Mysql => Ok(Some(commands::mysql_dump(
            &profile,
            &plan::tool_for(Some(&disc), unit, "mysqldump"),
            &ns,
            opts.format,
            &Runtime::placeholders(&format!("<backup folder>/{}", opts.format.mysql_output())),
        ))),
        _ => Ok(None),
    };
    let shown: Vec<String> = match built.and_then(|c| c.map(|c| c.check().map(|_| c)).transpose()) {
        Ok(Some(c)) => vec![c.render()],
        Ok(None) => vec![format!(
            "(in-process) SQLite online backup of {} in one read transaction",
            profile.path.as_deref().unwrap_or("?")
        )],
        Err(e) => {
            checks.push(Check { name: "names".into(), ok: false, message: e.message, code: Some(e.code) });
            vec![]
        }
    };
    let pre = Preflight {
        deployment: d.name.clone(),
        plan: plan.clone(),
        checks,
        commands: shown,
        out_dir: out_dir.display().to_string(),
        estimated_bytes: estimated,
        free_bytes: free,
    };
    Ok((Context { deployment: d, storage, profile, found, plan, root }, pre, disc))
}

fn writable(dir: &Path) -> Result<()> {
    let probe = dir.join(format!(".quiesce-write-test-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => Err(Error::io("write into", dir, e)),
    }
}

pub fn human(b: u64) -> String {
    let u = ["B", "KB", "MB", "GB", "TB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < u.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{v:.1} {}", u[i])
}

/// The checks and the commands, without running anything.
pub async fn dry_run(
    ds: &Deployments,
    deployment: &str,
    opts: &BackupOptions,
    cancel: &CancellationToken,
) -> Result<Preflight> {
    Ok(prepare(ds, deployment, opts, cancel).await?.1)
}

/// Runs a backup. Events stream to `sink`; the result is the manifest of a
/// complete backup, or an error with nothing left behind.
pub async fn run(
    ds: &Deployments,
    deployment: &str,
    opts: &BackupOptions,
    sink: Sink,
    cancel: &CancellationToken,
) -> Result<(PathBuf, Manifest)> {
    let phase = |p: &str, m: String| sink(BackupEvent::Phase { phase: p.into(), message: m });
    phase("checks", format!("Discovering {deployment} and checking tools, space and output…"));
    let d0 = ds.get(deployment)?;
    let _lock = lock_deployment(ds.profiles().home(), &d0)?;
    let (ctx, pre, _disc) = prepare(ds, deployment, opts, cancel).await?;
    if !pre.ok() {
        let failed: Vec<String> =
            pre.checks.iter().filter(|c| !c.ok).map(|c| format!("{}: {}", c.name, c.message)).collect();
        let code = pre.checks.iter().find(|c| !c.ok).and_then(|c| c.code).unwrap_or(ErrorCode::InvalidInput);
        return Err(Error::new(
            code,
            format!("The backup of \"{}\" cannot start:\n  {}", ctx.deployment.name, failed.join("\n  ")),
        ));
    }
    let started_at = chrono::Utc::now();
    let id = format!("{}-{}", started_at.format("%Y%m%dT%H%M%SZ"), &uuid::Uuid::new_v4().simple().to_string()[..6]);
    let final_dir = crate::paths::inside(&ctx.root, &[&ctx.deployment.name, &id])?;
    let partial = crate::paths::inside(&ctx.root, &[&ctx.deployment.name, &format!("{id}{PARTIAL_SUFFIX}")])?;
    // The journal owns the partial folder from before it exists: a failed or
    // cancelled backup removes it, a killed one leaves it to the recovery.
    let journal =
        Journal::begin(ds.profiles().home(), "backup", format!("backup of deployment {}", ctx.deployment.name))?;
    crate::backup::manifest::remember_root(ds.profiles().home(), &ctx.root)?;
    journal.own(Owned::Partial { path: partial.clone() })?;
    crate::paths::create_private_dir(&partial)?;

    let sizes: Vec<(String, u64)> =
        ctx.found.tables.iter().map(|t| (t.physical_name.clone(), t.size_bytes.unwrap_or(1).max(1) as u64)).collect();
    let live = Arc::new(Live {
        counters: Arc::new(Counters::default()),
        tables_done: Default::default(),
        tables_total: (sizes.len() as u32).into(),
        pages_done: Default::default(),
        pages_total: Default::default(),
        est_total: sizes.iter().map(|s| s.1).sum(),
        est_done: Default::default(),
        sizes: Mutex::new(sizes),
        phase: Mutex::new("dumping".into()),
        started: Instant::now(),
    });
    // Progress every 250 ms while the job runs.
    let ticker = {
        let (live, sink) = (live.clone(), sink.clone());
        let stop = CancellationToken::new();
        let s2 = stop.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = s2.cancelled() => break,
                    _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => sink(BackupEvent::Progress(live.snapshot())),
                }
            }
        });
        stop
    };
    let result = async {
        let password = ds.secret_of(&ctx.profile).await?;
        let job = Dump {
            ctx: &ctx,
            opts,
            password: password.as_ref(),
            dir: &partial,
            live: &live,
            sink: &sink,
            cancel,
            journal: &journal,
        };
        let engine = async {
            match ctx.profile.kind {
                DbKind::Postgresql => postgres_backup(&job).await,
                DbKind::Mysql => mysql_backup(&job).await,
                DbKind::Sqlite => sqlite::backup(&ctx.profile, &ctx.found, &partial, live.clone(), &sink, cancel).await,
                _ => unreachable!("checked in prepare"),
            }
        };
        // The user's grants, read beside the dump (for a restore elsewhere to re-apply).
        let grants = async {
            match ctx.profile.kind {
                DbKind::Sqlite => None,
                _ => grants::record(&ctx.profile, password.as_ref(), &ctx.found.namespaces).await,
            }
        };
        let (done, grants) = tokio::join!(engine, grants);
        done.map(|d| (d, grants))
    }
    .await;
    ticker.cancel();
    let (done, grants) = result?;

    *live.phase.lock().unwrap() = "finishing".into();
    phase("finishing", "Writing the manifest and sealing the backup…".into());
    let finished_at = chrono::Utc::now();
    let m = Manifest {
        schema_version: SCHEMA_VERSION,
        id: id.clone(),
        deployment_id: ctx.deployment.id.clone(),
        deployment: ctx.deployment.name.clone(),
        storages: vec![ManifestStorage {
            name: ctx.storage.name.clone(),
            profile: ctx.profile.name.clone(),
            kind: ctx.profile.kind,
            flavor: ctx.profile.flavor,
            target: ctx.profile.target(),
            product: ctx.found.product.clone(),
            server_version: ctx.found.server_version.clone(),
            file_owner: (ctx.profile.kind == DbKind::Sqlite)
                .then(|| FileOwner::of(Path::new(ctx.profile.path.as_deref().unwrap_or(""))))
                .flatten(),
        }],
        method: ctx.plan.method,
        decision_path: ctx.plan.path.clone(),
        format: if ctx.profile.kind == DbKind::Sqlite { "sqlite".into() } else { opts.format.as_str().into() },
        tool: done.tool,
        started_at: started_at.to_rfc3339(),
        finished_at: finished_at.to_rfc3339(),
        duration_ms: (finished_at - started_at).num_milliseconds() as f64,
        consistency: done.consistency,
        namespaces: ctx.found.namespaces.clone(),
        system_namespace: Some(ctx.deployment.system_namespace.clone()),
        grants,
        coordinator_namespace: Some(ctx.deployment.coordinator_namespace.clone()),
        tables: done.tables,
        files: done.files,
        writers_blocked_ms: done.writers_blocked_ms,
        restore_hint: done.restore_hint,
        notes: done.notes,
    };
    let bytes = serde_json::to_vec_pretty(&m).map_err(|e| Error::internal(e.to_string()))?;
    // Private whatever the tools chose (pg_dump -Fd and mydumper create their files).
    crate::paths::make_private(&partial)?;
    crate::store::write_atomic(&partial.join(MANIFEST), &bytes)?;
    std::fs::rename(&partial, &final_dir).map_err(|e| Error::io("seal", &final_dir, e))?;
    journal.release(&partial)?;
    if let Some(parent) = final_dir.parent() {
        let _ = std::fs::File::open(parent).and_then(|d| d.sync_all());
    }
    sink(BackupEvent::Progress(live.snapshot()));
    phase("done", format!("Backup {id} complete: {} in {}", human(m.total_bytes()), final_dir.display()));
    tracing::info!(deployment = %m.deployment, id = %m.id, bytes = m.total_bytes(), "backup complete");
    Ok((final_dir, m))
}

/// What an engine's backup produced.
pub(crate) struct Done {
    tool: Option<ManifestTool>,
    consistency: ConsistencyBasis,
    tables: Vec<ManifestTable>,
    files: Vec<ManifestFile>,
    restore_hint: String,
    notes: Vec<String>,
    writers_blocked_ms: Option<f64>,
}

/// What the engine backups share: the decided context and the running job.
struct Dump<'a> {
    ctx: &'a Context,
    opts: &'a BackupOptions,
    password: Option<&'a Sensitive<String>>,
    /// The partial folder the output goes into.
    dir: &'a Path,
    live: &'a Arc<Live>,
    sink: &'a Sink,
    cancel: &'a CancellationToken,
    journal: &'a Journal,
}

impl Dump<'_> {
    /// The password, for a credential file (empty without one).
    fn pw(&self) -> &str {
        self.password.map(|s| s.expose().as_str()).unwrap_or("")
    }

    /// The tools' `application_name`: the job, so their sessions can be watched.
    fn session(&self) -> String {
        format!("quiesce-{}", self.journal.id())
    }

    /// A run of the native tools: progress counters, the log, cancel, and a
    /// stall policy that asks the server whether the tools' sessions work.
    fn run(&self, log: pipeline::LogFn, namespaces: &[String]) -> Run<'_> {
        let p = &self.ctx.profile;
        Run {
            counters: self.live.counters.clone(),
            log,
            cancel: self.cancel,
            stall: Stall::default_policy().with_server(crate::live::server_probe(
                p,
                self.password,
                &self.session(),
                namespaces,
            )),
        }
    }
}

fn tool_of(found: &StorageDiscovery, name: &str) -> Option<ManifestTool> {
    found.tools.iter().find(|t| t.tool == name).map(|t| ManifestTool {
        name: t.tool.clone(),
        path: t.path.clone().unwrap_or_default(),
        version: t.version.clone().unwrap_or_default(),
    })
}

fn log_sink(sink: &Sink, live: &Arc<Live>, marker: &'static str) -> Arc<dyn Fn(String) + Send + Sync> {
    let (sink, live) = (sink.clone(), live.clone());
    Arc::new(move |line: String| {
        if line.contains(marker) {
            live.table_started(&line);
        }
        sink(BackupEvent::Log { line });
    })
}

/// Hashes every file of a directory output (pg_dump -Fd).
fn hash_dir(dir: &Path, prefix: &str) -> Result<Vec<ManifestFile>> {
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))?.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    entries
        .iter()
        .map(|e| {
            let (sha256, bytes) = sha256_file(&e.path())?;
            Ok(ManifestFile { name: format!("{prefix}/{}", e.file_name().to_string_lossy()), bytes, sha256 })
        })
        .collect()
}

async fn postgres_backup(job: &Dump<'_>) -> Result<Done> {
    let Dump { ctx, opts, password, dir, live, sink, cancel, .. } = *job;
    let p = &ctx.profile;
    // Quiesce's own transaction: its snapshot is exported to pg_dump, and the
    // row counts of the manifest are taken in it, so both describe one instant.
    let conn = crate::connect::postgres::connect(p, password).await?;
    let me = |e: tokio_postgres::Error| {
        crate::connect::postgres::map_error(e, p, password.is_some(), discovery::STATEMENT_TIMEOUT)
    };
    conn.client.batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await.map_err(me)?;
    let snapshot: String = conn.client.query_one("SELECT pg_export_snapshot()", &[]).await.map_err(me)?.get(0);
    sink(BackupEvent::Phase {
        phase: "snapshot".into(),
        message: format!(
            "Exported snapshot {snapshot}; pg_dump runs in it, and the manifest's row counts come from it"
        ),
    });
    // The counts run beside pg_dump (same snapshot, so same instant): they cost
    // a second scan of each table, not extra wall time on top of the dump.
    let client = &conn.client;
    let count_all = async {
        let mut tables = Vec::new();
        for t in &ctx.found.tables {
            let q = format!(
                "SELECT count(*) FROM {}",
                crate::live::table_name(crate::live::Dialect::Postgres, &t.namespace, &t.table)
            );
            let n: i64 = tokio::select! {
                r = client.query_one(&q, &[]) => r.map_err(me)?.get(0),
                _ = cancel.cancelled() => return Err(Error::cancelled_job()),
            };
            tables.push(ManifestTable::counted(t, Some(n), true));
        }
        Ok::<_, Error>(tables)
    };
    let db = p.database.clone().unwrap_or_default();
    let pass = job.journal.cred_file("pgpass", &creds::pgpass(p, &[db.as_str()], job.pw()))?;
    let out_name = opts.format.pg_output();
    let out = dir.join(out_name);
    let tool =
        ctx.found.tools.iter().find(|t| t.tool == "pg_dump").and_then(|t| t.path.clone()).unwrap_or("pg_dump".into());
    let (pass_path, out_s, session) = (pass.path_str(), out.display().to_string(), job.session());
    let namespaces: Vec<String> =
        ctx.plan.units[0].namespaces.iter().filter(|n| !n.starts_with('(')).cloned().collect();
    let cmd = commands::pg_dump(
        p,
        &tool,
        &namespaces,
        opts.format,
        opts.jobs,
        &Runtime { pass_file: &pass_path, snapshot: &snapshot, output: &out_s, session: &session },
    );
    sink(BackupEvent::Phase { phase: "dumping".into(), message: cmd.render() });
    let run = job.run(log_sink(sink, live, "dumping contents of table"), &namespaces);
    // The default format's archive streams through Quiesce uncompressed: its
    // rows are counted as they pass (no second scan). Other formats are
    // counted with SQL beside the dump, in the same snapshot.
    let stream_counts = opts.format == DumpFormat::Default;
    let mut counter = pgarchive::ArchiveCounter::new();
    let counter_ref = &mut counter;
    let restore_tool = pg_restore_of(&ctx.found, &tool);
    // The archive's first bytes go to `pg_restore --list` as soon as its table
    // of contents has passed, so that check runs during the dump, not after.
    let (toc_tx, toc_rx) = tokio::sync::oneshot::channel::<Vec<u8>>();
    let mut toc_tx = stream_counts.then_some(toc_tx);
    let mut prefix: Vec<u8> = Vec::new();
    let toc_early = async {
        match toc_rx.await {
            Ok(bytes) => Some(list_toc(&restore_tool, TocSource::Prefix(bytes)).await),
            Err(_) => None, // not streamed, or the counter gave up: the file is listed after the dump
        }
    };
    let dump = async {
        let mut files = Vec::new();
        let stderr = if opts.format == DumpFormat::Directory {
            let dir_out = out.clone();
            let run = Run {
                stall: Stall { progress: Some(Arc::new(move || dir_bytes(&dir_out))), ..run.stall.clone() },
                ..run
            };
            let r = pipeline::run_tool(&cmd, &run).await?;
            files = hash_dir(&out, out_name)?;
            live.counters.written.store(files.iter().map(|f| f.bytes).sum(), Ordering::Relaxed);
            r
        } else {
            // Owns the sender: when the dump ends, so does the wait for the contents.
            let mut tap = move |b: &[u8]| {
                counter_ref.feed(b);
                if toc_tx.is_some() {
                    prefix.extend_from_slice(b);
                    if counter_ref.toc_read() {
                        let _ = toc_tx.take().map(|tx| tx.send(std::mem::take(&mut prefix)));
                    } else if counter_ref.failed().is_some() || prefix.len() > TOC_PREFIX_MAX {
                        (toc_tx, prefix) = (None, Vec::new());
                    }
                }
            };
            let tap: pipeline::Tap = if stream_counts { Some(&mut tap) } else { None };
            let r = pipeline::run_to_file(&cmd, &out, &run, tap).await?;
            files.push(ManifestFile { name: out_name.into(), bytes: r.bytes, sha256: r.sha256.clone() });
            if opts.format == DumpFormat::Plain
                && !String::from_utf8_lossy(&r.tail).contains("PostgreSQL database dump complete")
            {
                return Err(Error::new(ErrorCode::DatabaseError, "pg_dump's output ends without its trailer (\"PostgreSQL database dump complete\"): the dump is incomplete."));
            }
            r.stderr
        };
        Ok::<_, Error>((files, stderr))
    };
    let mut early_toc = None;
    let (tables, files, stderr) = if stream_counts {
        // Owned here, so the count query (and its borrow of the connection) ends with this block.
        let count_all = count_all;
        let (dumped, toc) = tokio::join!(dump, toc_early);
        let (files, stderr) = dumped?;
        early_toc = toc;
        let tables = match counter.counts() {
            Some(counts) => streamed_counts(&ctx.found, &counts, "The archive holds no complete data for")?,
            None => {
                // The snapshot is still open: count in it instead.
                tracing::info!("archive row counter gave up ({:?}); counting with SQL", counter.failed());
                count_all.await?
            }
        };
        (tables, files, stderr)
    } else {
        let (tables, (files, stderr)) = dump_error_first(tokio::join!(count_all, dump))?;
        (tables, files, stderr)
    };
    drop(pass);
    let errs = pipeline::error_lines(&stderr);
    if !errs.is_empty() {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!("pg_dump reported errors although it exited 0:\n{}", errs.join("\n")),
        ));
    }
    // The snapshot had to live until pg_dump had imported it; now it can go.
    let _ = conn.client.batch_execute("COMMIT").await;
    drop(conn);
    *live.phase.lock().unwrap() = "verifying".into();
    sink(BackupEvent::Phase {
        phase: "verifying".into(),
        message: "Reading the archive's table of contents with pg_restore --list".into(),
    });
    match early_toc {
        Some(listed) => check_toc(&listed?, &tables)?,
        None if opts.format != DumpFormat::Plain => {
            verify_pg_toc(&restore_tool, TocSource::File(&out, opts.format), &tables).await?
        }
        None => {}
    }
    live.tables_done.store(live.tables_total.load(Ordering::Relaxed), Ordering::Relaxed);
    Ok(Done {
        tool: tool_of(&ctx.found, "pg_dump"),
        consistency: ConsistencyBasis {
            kind: "pg_exported_snapshot".into(),
            snapshot: Some(snapshot),
            note: if stream_counts {
                "pg_dump ran in the snapshot Quiesce exported from its REPEATABLE READ transaction; the row counts are the rows in the archive itself, counted as it was written.".into()
            } else {
                "pg_dump ran in the snapshot Quiesce exported from its REPEATABLE READ transaction; the row counts were taken with SQL in that same snapshot.".into()
            },
        },
        tables,
        files,
        restore_hint: commands::pg_restore_hint(opts.format, opts.jobs),
        notes: vec![],
        writers_blocked_ms: None,
    })
}

/// A table of contents larger than this is listed from the file instead.
const TOC_PREFIX_MAX: usize = 64 << 20;

/// The pg_restore that goes with the pg_dump used.
fn pg_restore_of(found: &StorageDiscovery, pg_dump_tool: &str) -> String {
    found
        .tools
        .iter()
        .find(|t| t.tool == "pg_restore")
        .and_then(|t| t.path.clone())
        .unwrap_or_else(|| Path::new(pg_dump_tool).with_file_name("pg_restore").display().to_string())
}

/// What `pg_restore --list` is given: the archive's first bytes as they
/// passed (header and table of contents, all it reads), or the file written.
enum TocSource<'a> {
    Prefix(Vec<u8>),
    File(&'a Path, DumpFormat),
}

/// pg_restore reads the archive's table of contents: it must list the data of
/// every table counted.
async fn verify_pg_toc(restore: &str, source: TocSource<'_>, tables: &[ManifestTable]) -> Result<()> {
    check_toc(&list_toc(restore, source).await?, tables)
}

/// `pg_restore --list` of an archive.
async fn list_toc(restore: &str, source: TocSource<'_>) -> Result<String> {
    let (chain, input) = match source {
        TocSource::Prefix(bytes) => (vec![commands::pg_restore_list(restore, None)], Some(bytes)),
        TocSource::File(out, DumpFormat::Default) => {
            (vec![commands::zstd_decompress().stdin_file(out), commands::pg_restore_list(restore, None)], None)
        }
        TocSource::File(out, _) => (vec![commands::pg_restore_list(restore, Some(&out.display().to_string()))], None),
    };
    let o = crate::tools::capture(&chain, input, std::time::Duration::from_secs(300)).await?;
    let toc = String::from_utf8_lossy(&o.stdout).into_owned();
    if !o.status.success() && toc.is_empty() {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!(
                "pg_restore could not read the archive just written: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
        ));
    }
    Ok(toc)
}

/// Every table counted has its data in the listing.
fn check_toc(toc: &str, tables: &[ManifestTable]) -> Result<()> {
    let missing: Vec<String> = tables
        .iter()
        .filter(|t| {
            !toc.lines().any(|l| l.contains("TABLE DATA") && l.contains(&format!(" {} {} ", t.namespace, t.table)))
        })
        .map(|t| t.physical_name.clone())
        .collect();
    if !missing.is_empty() {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!(
                "The archive's table of contents lacks the data of {}: the dump is incomplete.",
                missing.join(", ")
            ),
        ));
    }
    Ok(())
}

async fn mysql_backup(job: &Dump<'_>) -> Result<Done> {
    use mysql_async::prelude::Queryable;
    let Dump { ctx, opts, password, dir, live, sink, cancel, .. } = *job;
    let p = &ctx.profile;
    // Counts with SQL in a consistent-snapshot transaction of our own: for
    // mydumper (before it starts), or when the dump stream could not be
    // counted (after it ended). That snapshot is not the dump's, so these
    // counts are marked as estimates.
    let count_all = async {
        let mut conn = crate::connect::mysql::connect_profile(p, password).await?;
        let me = |e: mysql_async::Error| crate::connect::mysql::map_error(e, p, discovery::STATEMENT_TIMEOUT);
        conn.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY").await.map_err(me)?;
        let mut tables = Vec::new();
        for t in &ctx.found.tables {
            let q = format!(
                "SELECT COUNT(*) FROM {}",
                crate::live::table_name(crate::live::Dialect::Mysql, &t.namespace, &t.table)
            );
            let n: Option<i64> = tokio::select! {
                r = conn.query_first(q) => r.map_err(me)?,
                _ = cancel.cancelled() => return Err(Error::cancelled_job()),
            };
            tables.push(ManifestTable::counted(t, n, false));
        }
        let _ = conn.query_drop("COMMIT").await;
        let _ = conn.disconnect().await;
        Ok::<_, Error>(tables)
    };
    if opts.format == DumpFormat::Directory {
        let tables = count_all.await?;
        return mydumper_backup(job, tables).await;
    }
    let cnf = job.journal.cred_file("my.cnf", &creds::my_cnf(job.pw(), &["client"]))?;
    let out_name = opts.format.mysql_output();
    let out = dir.join(out_name);
    let tool = ctx
        .found
        .tools
        .iter()
        .find(|t| t.tool == "mariadb-dump" || t.tool == "mysqldump")
        .and_then(|t| t.path.clone())
        .unwrap_or("mysqldump".into());
    let (cnf_path, out_s) = (cnf.path_str(), out.display().to_string());
    let ns: Vec<String> = ctx.plan.units[0].namespaces.iter().filter(|n| !n.starts_with('(')).cloned().collect();
    let cmd = commands::mysql_dump(
        p,
        &tool,
        &ns,
        opts.format,
        &Runtime { pass_file: &cnf_path, snapshot: "", output: &out_s, session: "" },
    );
    sink(BackupEvent::Phase { phase: "dumping".into(), message: cmd.render() });
    let run = job.run(log_sink(sink, live, "Retrieving table structure for table"), &ns);
    // The rows are counted in the dump as it streams past: exactly the dump's
    // snapshot, and no second scan of the database beside it.
    let mut counter = sqlcount::SqlDumpCounter::new();
    let r = {
        let mut tap = |b: &[u8]| counter.feed(b);
        pipeline::run_to_file(&cmd, &out, &run, Some(&mut tap)).await?
    };
    drop(cnf);
    let errs = pipeline::error_lines(&r.stderr);
    if !errs.is_empty() {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!("{} reported errors although it exited 0:\n{}", tool, errs.join("\n")),
        ));
    }
    if !String::from_utf8_lossy(&r.tail).contains("-- Dump completed") {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            "The dump ends without its trailer (\"-- Dump completed\"): it is incomplete.",
        ));
    }
    let (tables, exact) = match counter.counts() {
        Some(counts) => (streamed_counts(&ctx.found, counts, "The dump holds no table")?, true),
        None => {
            tracing::info!(
                "the dump's rows could not be counted as it streamed ({:?}); counting with SQL",
                counter.failed()
            );
            (count_all.await?, false)
        }
    };
    live.tables_done.store(live.tables_total.load(Ordering::Relaxed), Ordering::Relaxed);
    Ok(Done {
        tool: ctx.found.tools.iter().find(|t| t.tool == "mariadb-dump" || t.tool == "mysqldump").map(|t| {
            ManifestTool {
                name: t.tool.clone(),
                path: t.path.clone().unwrap_or_default(),
                version: t.version.clone().unwrap_or_default(),
            }
        }),
        consistency: ConsistencyBasis {
            kind: "mysql_single_transaction".into(),
            snapshot: None,
            note: format!(
                "One {} --single-transaction over databases {} (InnoDB, checked): one consistent snapshot. {}",
                Path::new(&tool).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default(),
                ns.join(", "),
                if exact {
                    "The row counts are the rows in the dump itself, counted as it was written."
                } else {
                    "The row counts were taken with SQL in a separate snapshot after the dump, so they are estimates of the dump's."
                }
            ),
        },
        tables,
        files: vec![ManifestFile { name: out_name.into(), bytes: r.bytes, sha256: r.sha256 }],
        restore_hint: commands::mysql_restore_hint(opts.format),
        notes: vec![],
        writers_blocked_ms: None,
    })
}

/// mydumper's parallel dump into a directory, refused when its snapshot was
/// not consistent (no RELOAD: it says so only in its log and exit status).
async fn mydumper_backup(job: &Dump<'_>, tables: Vec<ManifestTable>) -> Result<Done> {
    let Dump { ctx, opts, dir, live, sink, cancel, .. } = *job;
    let p = &ctx.profile;
    // mydumper reads its own group; the client group keeps other tools happy.
    let cnf = job.journal.cred_file("my.cnf", &creds::my_cnf(job.pw(), &["client", "mydumper"]))?;
    let out = dir.join(DumpFormat::Directory.mysql_output());
    crate::paths::create_private_dir(&out)?;
    let found = crate::discovery::tools::find_all(p, "mydumper");
    let tool = found.first().map(|t| t.path.display().to_string()).unwrap_or("mydumper".into());
    let ns: Vec<String> = ctx.plan.units[0].namespaces.iter().filter(|n| !n.starts_with('(')).cloned().collect();
    let (cnf_path, out_s) = (cnf.path_str(), out.display().to_string());
    let cmd = commands::mydumper(
        p,
        &tool,
        &ns,
        opts.jobs.unwrap_or(2),
        &Runtime { pass_file: &cnf_path, snapshot: "", output: &out_s, session: "" },
    )?;
    sink(BackupEvent::Phase { phase: "dumping".into(), message: cmd.render() });
    fn inconsistent(text: &str) -> bool {
        text.contains("snapshots will not be consistent") || text.contains("Couldn't acquire global lock")
    }
    let refuse = || {
        Error::new(
            ErrorCode::PermissionDenied,
            format!(
                "mydumper could not take its global lock (FLUSH TABLES WITH READ LOCK), so its threads' snapshots would not be consistent; the dump was discarded. Grant the user RELOAD (GRANT RELOAD ON *.* TO {}), or use the default format (one mysqldump --single-transaction, which needs no RELOAD).",
                p.user.as_deref().unwrap_or("?")
            ),
        )
    };
    // The moment mydumper says its snapshots will not be consistent, the dump
    // is worthless: stop it then (mydumper 0.10 can also hang after that line).
    let stop = cancel.child_token();
    let flagged = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let inner = log_sink(sink, live, "dumping data for");
    let log: pipeline::LogFn = {
        let (stop, flagged) = (stop.clone(), flagged.clone());
        Arc::new(move |line: String| {
            if inconsistent(&line) {
                flagged.store(true, Ordering::Relaxed);
                stop.cancel();
            }
            inner(line)
        })
    };
    // mydumper is known to hang now and then, and its global lock can wait
    // (blocking every write) behind a long statement: a dump that neither
    // logs nor writes for MYDUMPER_STALL is stopped rather than left running.
    let out_dir = out.clone();
    let run = Run {
        counters: live.counters.clone(),
        log,
        cancel: &stop,
        stall: Stall {
            limit: MYDUMPER_STALL,
            progress: Some(Arc::new(move || dir_bytes(&out_dir))),
            server: None,
            advice: "mydumper was waiting for its global read lock (FLUSH TABLES WITH READ LOCK waits behind long-running statements and blocks every write meanwhile), or it hung (an intermittent fault of mydumper). Run the backup again, or use the default format (one mysqldump --single-transaction, no global lock).".into(),
        },
    };
    let said = match pipeline::run_tool(&cmd, &run).await {
        Ok(s) => s,
        Err(_) if flagged.load(Ordering::Relaxed) => return Err(refuse()),
        Err(e) if inconsistent(&e.message) => return Err(refuse()),
        Err(e) => return Err(e),
    };
    drop(cnf);
    if said.iter().any(|l| inconsistent(l)) {
        return Err(refuse());
    }
    let meta = std::fs::read_to_string(out.join("metadata")).unwrap_or_default();
    if !meta.contains("Finished dump at") {
        return Err(Error::new(
            ErrorCode::DatabaseError,
            "mydumper's metadata file lacks \"Finished dump at\": the dump is incomplete.",
        ));
    }
    let files = hash_dir(&out, DumpFormat::Directory.mysql_output())?;
    live.counters.written.store(files.iter().map(|f| f.bytes).sum(), Ordering::Relaxed);
    live.tables_done.store(live.tables_total.load(Ordering::Relaxed), Ordering::Relaxed);
    Ok(Done {
        tool: found.first().map(|t| ManifestTool { name: "mydumper".into(), path: t.path.display().to_string(), version: t.version.clone() }),
        consistency: ConsistencyBasis {
            kind: "mydumper_consistent_snapshot".into(),
            snapshot: meta.lines().find(|l| l.contains("Log:") || l.contains("Pos:")).map(|l| l.trim().to_string()),
            note: format!(
                "mydumper with {} threads opened its consistent-snapshot transactions under FLUSH TABLES WITH READ LOCK (checked: the lock was taken). Row counts come from a separate snapshot just before, so they are estimates.",
                opts.jobs.unwrap_or(2)
            ),
        },
        tables,
        files,
        restore_hint: commands::mysql_restore_hint(DumpFormat::Directory),
        notes: vec![],
        writers_blocked_ms: None,
    })
}

/// How long mydumper may go without a log line or a written byte.
const MYDUMPER_STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// Bytes of the files in a directory (mydumper's output, for its watchdog).
fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir).into_iter().flatten().flatten().filter_map(|e| e.metadata().ok()).map(|m| m.len()).sum()
}

/// The manifest's tables from rows counted in the dump stream itself (exact);
/// a ScalarDB table the stream did not hold means the dump is incomplete.
fn streamed_counts(
    found: &StorageDiscovery,
    counts: &std::collections::HashMap<(String, String), i64>,
    missing: &str,
) -> Result<Vec<ManifestTable>> {
    found
        .tables
        .iter()
        .map(|t| {
            let rows = counts.get(&(t.namespace.clone(), t.table.clone())).copied().ok_or_else(|| {
                Error::new(ErrorCode::DatabaseError, format!("{missing} {}: the dump is incomplete.", t.physical_name))
            })?;
            Ok(ManifestTable::counted(t, Some(rows), true))
        })
        .collect()
}

/// Counts run beside the dump; when both fail (a server killed mid-dump), the
/// dump tool's own message is the one the user needs, not our count query's.
fn dump_error_first<T, U>(r: (Result<T>, Result<U>)) -> Result<(T, U)> {
    match r {
        (_, Err(e)) | (Err(e), Ok(_)) => Err(e),
        (Ok(a), Ok(b)) => Ok((a, b)),
    }
}

/// The catalog root for listing (the default one).
pub fn catalog_root(ds: &Deployments) -> PathBuf {
    default_root(ds.profiles().home())
}
