//! Everything a restore checks before it touches a target, and how each unit
//! will be restored. Touches nothing. Per unit, six steps:
//! the target's family and the mode; what the target is and holds, and who
//! is connected; the tools; empty or replaced on request; nobody connected —
//! and once for the backup, its files against the manifest.

use super::{cleanup, native, ExistingTable, RestoreOptions, RestorePreflight, Session, UnitPreflight};
use crate::catalog::manifest::{Manifest, ManifestUnit};
use crate::deployment::Deployments;
use crate::discovery::{major_of, tools};
use crate::error::{Error, ErrorCode, Result};
use crate::job::Check;
use crate::live::{Dialect, LiveConn};
use crate::profile::{DbKind, Flavor, Profile};
use crate::sensitive::Sensitive;
use crate::size::human;
use crate::verify;
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// The hashing of a backup's files, still running.
pub(super) type PendingIntegrity = tokio::task::JoinHandle<Result<verify::IntegrityReport>>;

/// How a unit is restored, decided once for the preflight and the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// PostgreSQL: one transaction (pg_restore --single-transaction, or psql -1).
    PgSingle,
    /// PostgreSQL: pg_restore -j into fresh schemas.
    PgParallel,
    /// MySQL/MariaDB client or myloader: into fresh databases.
    MyFresh,
    /// SQLite: the backup file copied beside the target, then renamed over it.
    Lite,
}

/// One unit of the backup, its target and how it is restored.
pub(super) struct UnitPlan {
    pub unit: ManifestUnit,
    /// The unit's folder in the backup.
    pub dir: PathBuf,
    pub target: Profile,
    pub mode: Mode,
    /// PostgreSQL: the target database does not exist yet and will be created.
    pub create_db: bool,
    /// Namespaces of the unit present on the target.
    pub present: Vec<String>,
    /// The target's password, read once.
    pub pw: Option<Sensitive<String>>,
    pub pg_restore: Option<String>,
    pub psql: Option<String>,
    pub mysql: Option<String>,
    pub myloader: Option<String>,
}

impl UnitPlan {
    /// Restored in one transaction that can be held open before its end
    /// (fed by Quiesce; pg_restore reading a directory commits by itself).
    pub fn holdable(&self) -> bool {
        self.mode == Mode::PgSingle && self.unit.format != "directory"
    }

    /// Whether what the target holds is replaced.
    pub fn replaces(&self, opts: &RestoreOptions) -> bool {
        opts.replace && !self.present.is_empty()
    }

    /// The bytes Quiesce feeds the tools (files of the unit's folder itself).
    pub fn input_bytes(&self) -> u64 {
        let prefix = format!("{}/", self.unit.id);
        self.unit
            .files
            .iter()
            .filter(|f| !f.name.strip_prefix(&prefix).unwrap_or(&f.name).contains('/'))
            .map(|f| f.bytes)
            .sum()
    }
}

/// What a restore decided.
pub(super) struct Prepared {
    pub folder: PathBuf,
    pub m: Manifest,
    pub units: Vec<UnitPlan>,
    /// Inputs hashed as they are fed rather than before (see `streamed_inputs`).
    pub streamed: Vec<String>,
}

/// The files hashed while they are fed instead of before the restore: every
/// unit's input when every unit restores in one held PostgreSQL transaction
/// (a mismatch found at the end still rolls everything back). Where a
/// failure could not be undone (MySQL, parallel pg_restore, SQLite next to
/// PostgreSQL), the whole backup is checked first.
pub(super) fn streamed_inputs(m: &Manifest, opts: &RestoreOptions) -> Vec<String> {
    let input = |u: &ManifestUnit| native::fed_input(&u.format);
    let held = |u: &ManifestUnit| u.kind == DbKind::Postgresql && input(u).is_some();
    if opts.jobs.is_some() || m.units.is_empty() || !m.units.iter().all(held) {
        return vec![];
    }
    m.units
        .iter()
        .filter_map(|u| {
            let name = input(u)?;
            u.files.iter().find(|f| f.name == name || f.name == format!("{}/{name}", u.id)).map(|f| f.name.clone())
        })
        .collect()
}

impl Prepared {
    /// Each unit with its target and password, for the verification.
    pub fn targets(&self) -> Vec<(&ManifestUnit, &Profile, Option<&Sensitive<String>>)> {
        self.units.iter().map(|u| (&u.unit, &u.target, u.pw.as_ref())).collect()
    }
}

/// Which profile each unit goes to: one `--to UNIT=PROFILE` per unit (UNIT:
/// the unit's id or any storage it holds), or the profile alone for a
/// backup of one unit.
pub fn targets_for(m: &Manifest, opts: &RestoreOptions) -> Result<Vec<(usize, String)>> {
    let units = || {
        m.units.iter().map(|u| format!("{} (storages {})", u.id, u.storages.join(", "))).collect::<Vec<_>>().join("; ")
    };
    let several = |n: usize| {
        Error::invalid(format!(
            "This backup has {n} units, restored each into its own profile: give one --to UNIT=PROFILE for each of {}.",
            units()
        ))
    };
    match opts.targets.as_slice() {
        [] => {
            return Err(match m.units.len() {
                1 => Error::invalid("Give the profile to restore into (--to PROFILE)."),
                n => several(n),
            })
        }
        [t] if t.unit.trim().is_empty() => {
            return match (m.units.len(), t.profile.trim()) {
                (1, "") => Err(Error::invalid("Give the profile to restore into (--to PROFILE).")),
                (1, to) => Ok(vec![(0, to.to_string())]),
                (n, _) => Err(several(n)),
            };
        }
        _ => {}
    }
    let mut out: Vec<(usize, String)> = Vec::new();
    for t in &opts.targets {
        let i = m.units.iter().position(|u| u.is_named(&t.unit)).ok_or_else(|| {
            Error::invalid(format!("\"{}\" is no unit or storage of this backup; its units are {}.", t.unit, units()))
        })?;
        if out.iter().any(|(j, _)| *j == i) {
            return Err(Error::invalid(format!("Unit {} is given two targets; give it one.", m.units[i].id)));
        }
        out.push((i, t.profile.clone()));
    }
    if let Some(u) = m.units.iter().enumerate().find(|(i, _)| !out.iter().any(|(j, _)| j == i)) {
        return Err(Error::invalid(format!(
            "Unit {} (storages {}) has no target: add --to {}=PROFILE.",
            u.1.id,
            u.1.storages.join(", "),
            u.1.storages.first().unwrap_or(&u.1.id)
        )));
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out)
}

/// Each unit's target profile, read; two units never share one (each unit
/// is a database of its own, restored into a database of its own).
pub fn target_profiles(ds: &Deployments, m: &Manifest, opts: &RestoreOptions) -> Result<Vec<(usize, Profile)>> {
    let mut out: Vec<(usize, Profile)> = Vec::new();
    for (i, name) in targets_for(m, opts)? {
        let p = ds.profiles().get(&name)?;
        if let Some((j, _)) = out.iter().find(|(_, q)| q.id == p.id) {
            return Err(Error::invalid(format!(
                "Units {} and {} are both given profile \"{}\": each unit is a database of its own and goes to a profile of its own.",
                m.units[*j].id, m.units[i].id, p.name
            )));
        }
        out.push((i, p));
    }
    Ok(out)
}

/// Checks everything and decides how each unit is restored; touches
/// nothing. With `defer_integrity` the hashing of the backup is returned
/// still running, for the run to await before the target is replaced.
pub(super) async fn prepare(
    ds: &Deployments,
    root: &Path,
    backup: &str,
    opts: &RestoreOptions,
    cancel: &CancellationToken,
    defer_integrity: bool,
    streamed: Vec<String>,
) -> Result<(Prepared, RestorePreflight, Option<PendingIntegrity>)> {
    let (folder, m) = crate::catalog::find(root, backup)?;
    let assigned = target_profiles(ds, &m, opts)?;
    // The backup itself: hashed on the blocking pool while the targets are
    // inspected (read-only), and reported first.
    let integrity = {
        let (f, m2, c, st) = (folder.clone(), m.clone(), cancel.clone(), streamed.clone());
        tokio::task::spawn_blocking(move || verify::check_integrity_except(&f, &m2, &st, &|_| {}, &c))
    };
    let several = m.units.len() > 1;
    let mut units = Vec::new();
    let mut previews = Vec::new();
    for (i, target) in assigned {
        let unit = m.units[i].clone();
        let dir = if several { folder.join(&unit.id) } else { folder.clone() };
        let (plan, preview) = prepare_unit(ds, unit, dir, target, opts).await?;
        units.push(plan);
        previews.push(preview);
    }
    let confirm_name = units.iter().map(|u| u.target.name.clone()).collect::<Vec<_>>().join(", ");
    let will_replace = units.iter().any(|u| u.replaces(opts));
    if let (true, Some(typed)) = (will_replace, &opts.confirm) {
        if typed != &confirm_name {
            let c = Check::fail(
                "confirm",
                ErrorCode::InvalidInput,
                format!("The typed name \"{typed}\" is not the target's name \"{confirm_name}\"."),
            );
            previews[0].checks.insert(0, c);
        }
    }
    let (mut integrity_check, pending) = step_integrity(integrity, defer_integrity).await?;
    if integrity_check.ok && !streamed.is_empty() {
        integrity_check.message.push_str(&format!(
            "; {} hashed as fed, the transaction committing only if it matches",
            streamed.join(", ")
        ));
    }
    let mut checks = vec![integrity_check];
    for p in &previews {
        checks.extend(p.checks.iter().cloned().map(|mut c| {
            if several {
                c.name = format!("{} {}", p.unit, c.name);
            }
            c
        }));
    }
    let prepared = Prepared { folder: folder.clone(), m: m.clone(), units, streamed };
    let pf = RestorePreflight {
        backup_id: m.id.clone(),
        backup_folder: folder.display().to_string(),
        deployment: m.deployment.clone(),
        backup_started_at: m.started_at,
        units: previews,
        checks,
        will_replace,
        confirm_name,
        order: cleanup::order(&prepared),
        after: cleanup::after_steps(&prepared, opts),
        tables: m.tables().count(),
        bytes: m.total_bytes(),
    };
    Ok((prepared, pf, pending))
}

/// The backup's files against its manifest: awaited, or left running.
async fn step_integrity(integrity: PendingIntegrity, defer: bool) -> Result<(Check, Option<PendingIntegrity>)> {
    if defer {
        return Ok((
            Check::pass(
                "integrity",
                "The backup's files are being checked against the manifest; the target is not touched before they match",
            ),
            Some(integrity),
        ));
    }
    let integ = integrity.await.map_err(|e| Error::internal(e.to_string()))??;
    Ok((
        Check::of(
            "integrity",
            integ.problems.is_empty(),
            ErrorCode::Corrupt,
            if integ.problems.is_empty() {
                format!(
                    "{} file(s), {} match the manifest's sizes and SHA-256",
                    integ.files_checked,
                    human(integ.bytes_checked)
                )
            } else {
                format!("The backup does not match its manifest: {}", integ.problems.join("; "))
            },
        ),
        None,
    ))
}

/// One unit's six steps.
async fn prepare_unit(
    ds: &Deployments,
    unit: ManifestUnit,
    dir: PathBuf,
    target: Profile,
    opts: &RestoreOptions,
) -> Result<(UnitPlan, UnitPreflight)> {
    let (mut checks, mode) = step_family(&unit, &target, opts);
    let mut plan = UnitPlan {
        unit,
        dir,
        target,
        mode,
        create_db: false,
        present: vec![],
        pw: None,
        pg_restore: None,
        psql: None,
        mysql: None,
        myloader: None,
    };
    let same_family = checks.iter().all(|c| c.ok || c.name != "target_kind");
    let mut seen = Inspected::default();
    if same_family {
        plan.pw = ds.secret_of(&plan.target).await?;
        seen = step_target(&mut plan, opts).await?;
        checks.append(&mut seen.checks);
        checks.extend(step_tools(&mut plan, opts));
    }
    checks.extend(step_empty(&plan, &seen.existing, opts));
    checks.push(step_sessions(&seen.sessions));
    let (mode_text, on_failure) = cleanup::describe(&plan, opts);
    let u = &plan.unit;
    let preview = UnitPreflight {
        unit: u.id.clone(),
        storages: u.storages.clone(),
        format: u.format.clone(),
        source: u.target.clone(),
        source_version: u.server_version.clone(),
        target: plan.target.target(),
        target_profile: plan.target.name.clone(),
        target_version: seen.version,
        checks,
        existing: seen.existing,
        sessions: seen.sessions,
        will_replace: plan.replaces(opts),
        mode: mode_text,
        on_failure,
        commands: native::render_unit(&plan, opts, "<0600 pass file>", "quiesce"),
        tables: u.tables.len(),
        bytes: u.bytes(),
    };
    Ok((plan, preview))
}

/// Step 1: the same database family (moving between engines is a
/// migration, not a restore), and how the unit is restored.
fn step_family(u: &ManifestUnit, target: &Profile, opts: &RestoreOptions) -> (Vec<Check>, Mode) {
    let mut checks = Vec::new();
    // Only the families Quiesce restores itself.
    let same = target.kind == u.kind && matches!(u.kind, DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite);
    checks.push(Check::of(
        "target_kind",
        same,
        ErrorCode::InvalidInput,
        if same {
            format!("{} backup into a {} profile", u.kind.label(), target.kind.label())
        } else {
            format!(
                "The backup is of {} but profile \"{}\" is {}: a restore stays within one database family. Pick a {} profile.",
                u.kind.label(),
                target.name,
                target.kind.label(),
                u.kind.label()
            )
        },
    ));
    if same && target.flavor == Flavor::YugabyteManaged {
        checks.push(Check::fail(
            "target_kind",
            ErrorCode::Unsupported,
            "YugabyteDB Managed is restored through its own console; follow the plan's runbook.",
        ));
    }
    let mode = match u.kind {
        DbKind::Postgresql if u.format == "directory" && opts.jobs.is_some() => Mode::PgParallel,
        DbKind::Postgresql => Mode::PgSingle,
        DbKind::Mysql => Mode::MyFresh,
        _ => Mode::Lite,
    };
    if opts.jobs.is_some() && u.kind == DbKind::Postgresql && u.format != "directory" {
        checks.push(Check::fail(
            "jobs",
            ErrorCode::InvalidInput,
            format!("--jobs needs a directory-format backup (pg_restore -j reads a directory); this one is {}. Restore without --jobs.", u.format),
        ));
    }
    (checks, mode)
}

#[derive(Default)]
struct Inspected {
    checks: Vec<Check>,
    version: Option<String>,
    existing: Vec<ExistingTable>,
    sessions: Vec<Session>,
}

/// The same server's `postgres` database (to create or drop the target).
pub(super) fn maintenance(p: &Profile) -> Profile {
    let mut m = p.clone();
    m.database = Some("postgres".into());
    m
}

/// Step 2: the target — reachable, its version, what it holds (a
/// PostgreSQL database that does not exist yet is created), who is
/// connected, and whether the recorded grants can be given.
async fn step_target(plan: &mut UnitPlan, opts: &RestoreOptions) -> Result<Inspected> {
    let mut out = Inspected::default();
    let target = plan.target.clone();
    let pw = plan.pw.clone();
    let conn = match target.kind {
        DbKind::Postgresql => match LiveConn::open(&target, pw.as_ref(), false).await {
            Err(e) if e.code == ErrorCode::DatabaseNotFound => {
                plan.create_db = true;
                Some(LiveConn::open(&maintenance(&target), pw.as_ref(), false).await)
            }
            r => Some(r),
        },
        DbKind::Sqlite if !Path::new(target.path.as_deref().unwrap_or("")).is_file() => None,
        _ => Some(LiveConn::open(&target, pw.as_ref(), false).await),
    };
    match conn {
        Some(Err(e)) => out.checks.push(Check::fail("connect", e.code, e.message.clone())),
        Some(Ok(mut c)) => {
            out.version = match c.dialect() {
                Dialect::Postgres => c.rows("SHOW server_version").await.ok(),
                Dialect::Mysql => c.rows("SELECT VERSION()").await.ok(),
                Dialect::Sqlite => c.rows("SELECT sqlite_version()").await.ok(),
            }
            .and_then(|r| r.first().and_then(|r| r[0].clone()));
            out.checks.push(Check::pass(
                "connect",
                format!(
                    "{} {}{}",
                    target.target(),
                    out.version.clone().unwrap_or_default(),
                    if plan.create_db { " (the database does not exist yet: Quiesce creates it)" } else { "" }
                ),
            ));
            if !plan.create_db {
                let (present, tables) = existing_tables(&mut c, &plan.unit.namespaces).await?;
                plan.present = match target.kind {
                    DbKind::Sqlite if tables.is_empty() => vec![],
                    DbKind::Sqlite => vec![target.path.clone().unwrap_or_default()],
                    _ => present,
                };
                out.existing = tables;
                out.sessions = super::sessions::list(&mut c, &target, &plan.unit.namespaces).await?;
            }
            if opts.grants {
                out.checks.push(grants_check(&mut c, &plan.unit, opts).await);
            }
            c.close().await;
        }
        None => out
            .checks
            .push(Check::pass("connect", format!("{} does not exist yet: Quiesce creates it", target.target()))),
    }
    if target.kind == DbKind::Sqlite {
        out.sessions = super::sessions::sqlite_holders(Path::new(target.path.as_deref().unwrap_or("")));
        let dir = Path::new(target.path.as_deref().unwrap_or("")).parent().map(Path::to_path_buf).unwrap_or_default();
        if !dir.is_dir() {
            out.checks.push(Check::fail(
                "output",
                ErrorCode::FileNotFound,
                format!("The folder {} does not exist: create it or fix the profile's path.", dir.display()),
            ));
        }
    }
    if let (Some(a), Some(b)) = (plan.unit.server_version.as_deref(), out.version.as_deref()) {
        if major_of(a) != major_of(b) {
            out.checks.push(Check::pass(
                "server_version",
                format!("A migration: the backup comes from server {a}, the target runs {b}."),
            ));
        }
    }
    Ok(out)
}

/// The recorded grants can be given to their grantee (or `--grant-to`).
async fn grants_check(c: &mut LiveConn, u: &ManifestUnit, opts: &RestoreOptions) -> Check {
    match &u.grants {
        None => Check::fail("grants", ErrorCode::InvalidInput, "This backup recorded no grants (it was made by an older Quiesce, or they could not be read). Restore without re-applying grants."),
        Some(g) => {
            let who = opts.grant_to.clone().unwrap_or_else(|| g.grantee.clone());
            let shown = crate::grants::grantee_sql(c.dialect(), &who);
            if crate::grants::grantee_exists(c, &who).await.unwrap_or(false) {
                Check::pass("grants", format!("{} recorded privilege(s) of {} will be granted to {shown}", g.statements.len(), g.grantee))
            } else {
                Check::fail("grants", ErrorCode::NotFound, format!("{shown} does not exist on the target: create it first, or give the grants to another role (--grant-to)."))
            }
        }
    }
}

/// Step 3: the tools, able to read the archive and talk to the target.
fn step_tools(plan: &mut UnitPlan, opts: &RestoreOptions) -> Vec<Check> {
    let mut checks = Vec::new();
    let (u, target) = (&plan.unit, &plan.target);
    let found = |name: &str| tools::find_all(target, name);
    match u.kind {
        DbKind::Postgresql => {
            if u.format != "plain" {
                let want = u.tool.as_ref().and_then(|t| {
                    let num = t.version.split_once(')').map(|(_, r)| r).unwrap_or(&t.version);
                    major_of(num).or_else(|| major_of(&t.version))
                });
                checks.push(match found("pg_restore").first() {
                    None => Check::fail("tool", ErrorCode::FileNotFound, "pg_restore was not found: install postgresql-client, or set the profile's client tools directory."),
                    Some(t) if want.is_some_and(|w| t.major.is_some_and(|h| h < w)) => Check::fail(
                        "tool",
                        ErrorCode::Unsupported,
                        format!("pg_restore {} ({}) cannot read an archive written by pg_dump {}: install postgresql-client {} or newer and set the profile's client tools directory.", t.major.unwrap_or(0), t.path.display(), want.unwrap_or(0), want.unwrap_or(0)),
                    ),
                    Some(t) => {
                        plan.pg_restore = Some(t.path.display().to_string());
                        Check::pass("tool", format!("pg_restore {} at {}", t.major.map(|m| m.to_string()).unwrap_or("?".into()), t.path.display()))
                    }
                });
            }
            let replace = opts.replace && !plan.present.is_empty();
            if u.format == "plain" || (replace && plan.mode == Mode::PgSingle) {
                checks.push(match found("psql").first() {
                    None => Check::fail(
                        "tool",
                        ErrorCode::FileNotFound,
                        "psql was not found: install postgresql-client, or set the profile's client tools directory.",
                    ),
                    Some(t) => {
                        plan.psql = Some(t.path.display().to_string());
                        Check::pass(
                            "tool",
                            format!(
                                "psql {} at {}",
                                t.major.map(|m| m.to_string()).unwrap_or("?".into()),
                                t.path.display()
                            ),
                        )
                    }
                });
            }
        }
        DbKind::Mysql if u.format == "directory" => checks.push(match found("myloader").first() {
            None => Check::fail(
                "tool",
                ErrorCode::FileNotFound,
                "myloader was not found: install the mydumper package (it restores mydumper's directory backups).",
            ),
            Some(t) => {
                plan.myloader = Some(t.path.display().to_string());
                Check::pass("tool", format!("myloader at {}", t.path.display()))
            }
        }),
        DbKind::Mysql => checks.push(match found("mariadb").into_iter().chain(found("mysql")).next() {
            None => Check::fail(
                "tool",
                ErrorCode::FileNotFound,
                "Neither mariadb nor mysql (the client) was found: install mariadb-client.",
            ),
            Some(t) => {
                plan.mysql = Some(t.path.display().to_string());
                Check::pass("tool", format!("{} at {}", t.version, t.path.display()))
            }
        }),
        _ => {}
    }
    if u.format == "default" && found("zstd").is_empty() {
        checks.push(Check::fail("zstd", ErrorCode::FileNotFound, "zstd was not found: install the zstd package."));
    }
    checks
}

/// Step 4: empty, or replaced on request — after showing what is there.
fn step_empty(plan: &UnitPlan, existing: &[ExistingTable], opts: &RestoreOptions) -> Vec<Check> {
    if plan.present.is_empty() {
        return vec![Check::pass("empty", "The target holds none of the backup's namespaces")];
    }
    if opts.replace {
        return vec![Check::pass(
            "empty",
            format!("Will replace {} ({} tables)", plan.present.join(", "), existing.len()),
        )];
    }
    let shown: Vec<String> = existing
        .iter()
        .take(12)
        .map(|t| format!("{}.{} ({} rows)", t.namespace, t.table, t.rows.map(|r| r.to_string()).unwrap_or("?".into())))
        .collect();
    let what = match plan.target.kind {
        DbKind::Sqlite => format!("The target file {} already holds tables", plan.present.join(", ")),
        _ => format!(
            "The target already holds {} of the backup's namespaces ({})",
            plan.present.len(),
            plan.present.join(", ")
        ),
    };
    vec![Check::fail(
        "empty",
        ErrorCode::NotEmpty,
        format!(
            "{what}{}. Restore into an empty target, or replace them explicitly (--replace; in the app, type the profile's name).",
            if shown.is_empty() { String::new() } else { format!(": {}", shown.join(", ")) }
        ),
    )]
}

/// Step 5: nobody else connected: restoring under a running ScalarDB corrupts it.
fn step_sessions(sessions: &[Session]) -> Check {
    if sessions.is_empty() {
        return Check::pass("sessions", "No other client is connected to the target");
    }
    Check::fail(
        "sessions",
        ErrorCode::InUse,
        format!(
            "{} other client(s) are connected to the target ({}). Stop ScalarDB and every other client of it first: restoring under a running ScalarDB corrupts it.",
            sessions.len(),
            sessions.iter().take(5).map(|s| s.describe()).collect::<Vec<_>>().join("; ")
        ),
    )
}

/// The unit's namespaces present on the target, and their tables with rows.
async fn existing_tables(conn: &mut LiveConn, namespaces: &[String]) -> Result<(Vec<String>, Vec<ExistingTable>)> {
    let list = namespaces.iter().map(|n| conn.lit(n)).collect::<Vec<_>>().join(",");
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
