//! Before a backup writes anything: the deployment discovered, its plan
//! evaluated, and every unit Quiesce dumps checked — reachable, ScalarDB's
//! tables there, the tools able to dump it, the names safe to pass — with
//! the space and the output folder. The same for `--dry-run` and a run.

use super::{BackupOptions, Check, Preflight};
use crate::deployment::{Deployment, DeploymentStorage, Deployments, TransactionManager};
use crate::discovery::{self, Discovery, Severity, StorageDiscovery};
use crate::error::{Error, ErrorCode, Result};
use crate::plan::commands::{self, CommandLine, DumpFormat, Runtime};
use crate::plan::{self, BackupUnit, Method, Plan};
use crate::profile::{DbKind, Flavor, Profile};
use crate::size::human;
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// A unit Quiesce dumps: one database, with the storages it holds.
pub struct UnitCtx {
    pub unit: BackupUnit,
    pub storages: Vec<DeploymentStorage>,
    /// The profile it is read through (its first storage's).
    pub profile: Profile,
    pub found: StorageDiscovery,
}

impl UnitCtx {
    /// The namespaces to dump (the plan's "(every unmapped namespace)" left out).
    pub fn namespaces(&self) -> Vec<String> {
        self.unit.namespaces.iter().filter(|n| !n.starts_with('(')).cloned().collect()
    }
}

pub struct Context {
    pub deployment: Deployment,
    pub plan: Plan,
    pub root: PathBuf,
    /// The units Quiesce dumps (managed services and NoSQL storages are
    /// restored by their own means: the plan's runbooks).
    pub units: Vec<UnitCtx>,
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Error::internal(e.to_string()))?
}

/// Whether Quiesce dumps this kind of database itself.
fn dumpable(p: &Profile) -> bool {
    matches!(p.kind, DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite) && p.flavor != Flavor::YugabyteManaged
}

/// Discovers, plans and checks; the same for `--dry-run` and a real run.
pub async fn prepare(
    ds: &Deployments,
    deployment: &str,
    opts: &BackupOptions,
    cancel: &CancellationToken,
) -> Result<(Context, Preflight)> {
    let d = {
        let (ds, n) = (ds.clone(), deployment.to_string());
        blocking(move || ds.get(&n)).await?
    };
    let disc = discovery::discover_for_backup(ds, &d, cancel).await?;
    let storages = {
        let (ds, d2) = (ds.clone(), d.clone());
        blocking(move || ds.storage_profiles(&d2)).await?
    };
    let plan = plan::evaluate(&d, &storages, Some(&disc));
    if plan.method == Method::Unknown {
        return Err(Error::invalid(format!(
            "Deployment \"{}\" has unknown storages: attach them (quiesce deployment import <server file> --attach-to {}) before backing up.",
            d.name, d.name
        )));
    }
    let units = units_of(&plan, &storages, &disc)?;
    if units.is_empty() {
        let target = storages.first().map(|(_, p)| p.target()).unwrap_or_default();
        return Err(Error::new(
            ErrorCode::Unsupported,
            format!("{target} is backed up through its own service, not by Quiesce: follow the plan's runbook (`quiesce plan {}`).", d.name),
        ));
    }
    check_options(opts, &units)?;
    let root = match &opts.out {
        Some(o) => PathBuf::from(o),
        None => crate::catalog::default_root(ds.home()),
    };
    let out_dir = crate::paths::inside(&root, &[&d.name])?;
    let several = units.len() > 1;
    let mut checks = Vec::new();
    let mut shown = Vec::new();
    for u in &units {
        let named = |mut c: Check| {
            if several {
                c.name = format!("{} {}", u.unit.id, c.name);
            }
            c
        };
        checks.extend(unit_checks(&d, u, opts).into_iter().map(named));
        match unit_command(u, opts, &disc) {
            Ok(line) => shown.push(line),
            Err(e) => checks.push(named(Check::fail("names", e.code, e.message))),
        }
    }
    let estimated: u64 = units.iter().map(|u| estimate(u, opts)).sum();
    let anc = existing_ancestor(&out_dir);
    let free = free_bytes(&anc);
    checks.extend(space_checks(&anc, free, estimated));
    checks.push(match writable(&anc) {
        Ok(()) => Check::pass("output", format!("backups go to {}", out_dir.display())),
        Err(e) => Check::fail("output", e.code, e.message),
    });
    if plan.method == Method::Pause {
        checks.push(pause_check(&d));
    }
    let pre = Preflight {
        deployment: d.name.clone(),
        plan: plan.clone(),
        checks,
        commands: shown,
        out_dir: out_dir.display().to_string(),
        estimated_bytes: estimated,
        free_bytes: free,
    };
    Ok((Context { deployment: d, plan, root, units }, pre))
}

/// A pause needs every node's Scalar Admin endpoint, each reachable as written.
fn pause_check(d: &crate::deployment::Deployment) -> Check {
    let unusable: Vec<&str> =
        d.admin_endpoints.iter().filter(|e| e.needs_address).map(|e| e.address.as_str()).collect();
    if d.admin_endpoints.is_empty() {
        Check::fail("pause", ErrorCode::InvalidInput, format!("The plan pauses ScalarDB, but deployment \"{}\" has no Scalar Admin endpoint: add one for every ScalarDB node, or the Cluster's (quiesce deployment edit {} --admin-endpoint host:60053).", d.name, d.name))
    } else if !unusable.is_empty() {
        Check::fail("pause", ErrorCode::InvalidInput, format!("{} is found through the Kubernetes API, which Quiesce does not use: give the address of its Scalar Admin service instead.", unusable.join(", ")))
    } else {
        Check::pass("pause", format!("every node is paused through {} Scalar Admin endpoint(s), and unpaused as soon as every snapshot is open", d.admin_endpoints.len()))
    }
}

/// The plan's units Quiesce dumps, each with its storages and discovery.
fn units_of(plan: &Plan, storages: &[(DeploymentStorage, Profile)], disc: &Discovery) -> Result<Vec<UnitCtx>> {
    let mut out = Vec::new();
    for u in &plan.units {
        let mine: Vec<&(DeploymentStorage, Profile)> =
            storages.iter().filter(|(s, _)| u.storages.contains(&s.name)).collect();
        let Some((first, profile)) = mine.first().map(|(s, p)| (s, p)) else { continue };
        if !dumpable(profile) {
            continue;
        }
        let found = disc.storage(&first.name).cloned().ok_or_else(|| Error::internal("discovery lost a storage"))?;
        out.push(UnitCtx {
            unit: u.clone(),
            storages: mine.iter().map(|(s, _)| s.clone()).collect(),
            profile: profile.clone(),
            found,
        });
    }
    Ok(out)
}

/// Formats and --jobs that fit the units.
fn check_options(opts: &BackupOptions, units: &[UnitCtx]) -> Result<()> {
    let has = |f: DumpFormat, k: DbKind| match f {
        DumpFormat::Custom => k == DbKind::Postgresql,
        DumpFormat::Directory => matches!(k, DbKind::Postgresql | DbKind::Mysql),
        _ => true,
    };
    if !units.iter().any(|u| has(opts.format, u.profile.kind)) {
        return Err(Error::invalid(format!(
            "The {} format does not exist for {}; use default or plain.",
            opts.format.as_str(),
            units[0].profile.kind.label()
        )));
    }
    if opts.jobs.is_some() && opts.format != DumpFormat::Directory {
        return Err(Error::invalid(
            "--jobs needs the directory format (pg_dump -j works with -Fd only; mydumper writes a directory): add --format directory.",
        ));
    }
    Ok(())
}

/// The format a unit is dumped in: the one asked for where its engine has
/// it (a SQLite unit is always a copy of the file).
pub fn format_of(opts: &BackupOptions, kind: DbKind) -> DumpFormat {
    match (opts.format, kind) {
        (DumpFormat::Custom, k) if k != DbKind::Postgresql => DumpFormat::Default,
        (DumpFormat::Directory, DbKind::Sqlite) => DumpFormat::Default,
        (f, _) => f,
    }
}

/// Whether a MySQL unit is dumped by mydumper (the directory format).
pub fn parallel_mysql(opts: &BackupOptions, p: &Profile) -> bool {
    p.kind == DbKind::Mysql && format_of(opts, p.kind) == DumpFormat::Directory
}

/// A unit's checks: reachable, ScalarDB's tables there, the tools.
fn unit_checks(d: &Deployment, u: &UnitCtx, opts: &BackupOptions) -> Vec<Check> {
    let (found, profile) = (&u.found, &u.profile);
    let mut checks = Vec::new();
    match &found.error {
        Some(e) => checks.push(Check::fail("connect", e.code, e.message.clone())),
        None => checks.push(Check::pass(
            "connect",
            format!(
                "{} {}",
                found.product.clone().unwrap_or_default(),
                found.server_version.clone().unwrap_or_default()
            ),
        )),
    }
    if !found.reachable {
        return checks;
    }
    checks.push(if found.metadata_found {
        Check::pass(
            "metadata",
            format!(
                "{} ScalarDB table(s) in namespaces {}",
                found.tables.iter().filter(|t| t.in_metadata).count(),
                found.namespaces.join(", ")
            ),
        )
    } else {
        Check::fail(
            "metadata",
            ErrorCode::InvalidInput,
            "ScalarDB's metadata table was not found: Quiesce cannot tell what to back up.",
        )
    });
    let holds_coordinator = u.storages.iter().any(|s| d.coordinator_storage() == Some(s.name.as_str()));
    if d.transaction_manager != TransactionManager::Jdbc && holds_coordinator {
        checks.push(Check::of(
            "coordinator",
            found.coordinator_found,
            ErrorCode::InvalidInput,
            if found.coordinator_found {
                format!("{}.state found", d.coordinator_namespace)
            } else {
                format!("The coordinator table {}.state is missing.", d.coordinator_namespace)
            },
        ));
    }
    // What discovery found that stops a backup, with the code it gave it.
    let handled = ["tool_too_old", "tool_missing", "no_metadata", "no_coordinator", "unreachable"];
    for f in found.findings.iter().filter(|f| f.severity == Severity::Error && !handled.contains(&f.code.as_str())) {
        checks.push(Check::fail(&f.code, f.stops_with.unwrap_or(ErrorCode::InvalidInput), f.message.clone()));
    }
    for t in found.tools.iter().filter(|t| t.tool != "pg_restore") {
        // Found but too old for the server, or not found at all.
        let code = if t.path.is_some() { ErrorCode::Unsupported } else { ErrorCode::FileNotFound };
        checks.push(Check::of("tool", t.ok, code, t.message.clone()));
    }
    if parallel_mysql(opts, profile) {
        let m = crate::discovery::tools::find_all(profile, "mydumper");
        checks.push(match m.first() {
            Some(t) => Check::pass("tool", format!("{} at {} (needs SELECT, LOCK TABLES, SHOW VIEW, TRIGGER and RELOAD for its consistent snapshot)", t.version, t.path.display())),
            None => Check::fail("tool", ErrorCode::FileNotFound, "mydumper was not found: install the mydumper package, or use the default format (one mysqldump --single-transaction)."),
        });
    }
    if matches!(profile.kind, DbKind::Postgresql | DbKind::Mysql)
        && format_of(opts, profile.kind) == DumpFormat::Default
    {
        let z = crate::discovery::tools::find_all(profile, "zstd");
        checks.push(match z.first() {
            Some(t) => Check::pass("zstd", format!("zstd at {}", t.path.display())),
            None => Check::fail(
                "zstd",
                ErrorCode::FileNotFound,
                "zstd was not found: install the zstd package, or choose --format plain.",
            ),
        });
    }
    checks
}

/// The command a unit's dump runs, as the user reads it; refused (by the
/// rule every run applies) when a name could be read as anything but a name.
fn unit_command(u: &UnitCtx, opts: &BackupOptions, disc: &Discovery) -> Result<String> {
    let (profile, ns) = (&u.profile, plan::dump_namespaces(&u.unit));
    let format = format_of(opts, profile.kind);
    let built: Option<CommandLine> = match profile.kind {
        DbKind::Postgresql => Some(commands::pg_dump(
            profile,
            &plan::tool_for(Some(disc), &u.unit, "pg_dump"),
            &ns,
            format,
            opts.jobs,
            &Runtime::placeholders(&format!("<backup folder>/{}", format.pg_output())),
        )),
        DbKind::Mysql if parallel_mysql(opts, profile) => Some(commands::mydumper(
            profile,
            &crate::discovery::tools::find_all(profile, "mydumper")
                .first()
                .map(|t| t.path.display().to_string())
                .unwrap_or("mydumper".into()),
            &ns,
            opts.jobs.unwrap_or(2),
            &Runtime::placeholders("<backup folder>/mysql.dir"),
        )?),
        DbKind::Mysql => Some({
            let tool = plan::tool_for(Some(disc), &u.unit, "mysqldump");
            let coordinates = commands::binlog_coordinates(u.found.product.as_deref(), u.found.binlog, &tool);
            commands::mysql_dump(
                profile,
                &tool,
                &ns,
                format,
                coordinates,
                &Runtime::placeholders(&format!("<backup folder>/{}", format.mysql_output())),
            )
        }),
        _ => None,
    };
    match built {
        Some(c) => c.check().map(|_| c.render()),
        None => Ok(format!(
            "(in-process) SQLite online backup of {} in one read transaction",
            profile.path.as_deref().unwrap_or("?")
        )),
    }
}

/// A unit's expected output size.
fn estimate(u: &UnitCtx, opts: &BackupOptions) -> u64 {
    let p = &u.profile;
    let raw: u64 = match p.kind {
        DbKind::Sqlite => std::fs::metadata(p.path.as_deref().unwrap_or("")).map(|m| m.len()).unwrap_or(0),
        _ => u.found.tables.iter().map(|t| t.size_bytes.unwrap_or(0).max(0) as u64).sum(),
    };
    // Compressed dumps of ScalarDB tables come out well under their on-disk
    // size; a SQLite backup is a page-for-page copy of the file.
    let compressed =
        matches!(format_of(opts, p.kind), DumpFormat::Default | DumpFormat::Custom) && p.kind != DbKind::Sqlite;
    if compressed {
        raw / 2
    } else {
        raw
    }
}

fn space_checks(anc: &Path, free: Option<u64>, estimated: u64) -> Option<Check> {
    // A margin over the estimate: dumps of some data compress worse than the
    // table sizes suggest, and a disk filled to its last byte hurts more than
    // the backup.
    let needed = estimated + estimated / 10 + (1 << 20);
    match free? {
        f if f < needed => Some(Check::fail(
            "free_space",
            ErrorCode::IoError,
            format!(
                "{} has {} free; the backup needs about {} (estimated from the tables' size) plus a margin of 10 % and 1 MB, so {}. Free space or choose another folder (--out).",
                anc.display(),
                human(f),
                human(estimated),
                human(needed)
            ),
        )),
        f => Some(Check::pass("free_space", format!("{} free at {}, about {} needed", human(f), anc.display(), human(estimated)))),
    }
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
