//! Verification of a live database (after a restore, or on demand): every
//! table of the backup's manifest exists with the recorded row count,
//! ScalarDB's metadata and coordinator tables are there, and the consistency
//! audit says what lazy recovery will do. Also the integrity of a backup's
//! files against its manifest.

pub mod audit;

use crate::catalog::manifest::{self, Manifest, ManifestTable, ManifestUnit};
use crate::deployment::Deployments;
use crate::discovery::{Finding, Severity};
use crate::error::{Error, ErrorCode, Result};
use crate::live::{Dialect, LiveConn};
use crate::profile::{DbKind, Profile};
use crate::sensitive::Sensitive;
use audit::{AuditReport, AuditTable};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TableCheck {
    pub namespace: String,
    pub table: String,
    pub exists: bool,
    #[ts(type = "number | null")]
    pub expected_rows: Option<i64>,
    /// False when the manifest's count is an estimate (MySQL: a separate snapshot).
    pub expected_exact: bool,
    #[ts(type = "number | null")]
    pub rows: Option<i64>,
    pub severity: Severity,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct VerifyReport {
    /// host:port/db or the file.
    pub target: String,
    pub profile: String,
    pub verified_at: String,
    /// The backup whose manifest the counts were compared with.
    pub backup_id: Option<String>,
    pub tables: Vec<TableCheck>,
    pub findings: Vec<Finding>,
    pub audit: Option<AuditReport>,
    /// No error among the findings and the audit's findings. Never a
    /// certificate of consistency: see the audit's limits.
    pub passed: bool,
}

fn finding(sev: Severity, code: &str, msg: impl Into<String>) -> Finding {
    Finding::new(sev, code, msg)
}

/// What the verification of one database compares against.
pub struct Expect<'a> {
    /// The backup's id, when compared with one.
    pub backup_id: Option<String>,
    /// The unit's tables with their recorded row counts; None: what the metadata lists now.
    pub tables: Option<&'a [ManifestTable]>,
    pub system_ns: String,
    pub coordinator_ns: String,
    /// Whether the coordinator table is expected in this database.
    pub coordinator_here: bool,
}

impl<'a> Expect<'a> {
    /// One unit of a backup.
    pub fn unit(m: &Manifest, u: &'a ManifestUnit) -> Self {
        let coordinator_ns = m.coordinator_ns();
        Expect {
            backup_id: Some(m.id.clone()),
            tables: Some(&u.tables),
            coordinator_here: u.tables.iter().any(|t| t.is_coordinator) || u.namespaces.contains(&coordinator_ns),
            system_ns: m.system_ns(),
            coordinator_ns,
        }
    }

    /// A live database and what its metadata lists, the coordinator expected in it.
    pub fn live(system_ns: &str, coordinator_ns: &str) -> Self {
        Expect {
            backup_id: None,
            tables: None,
            system_ns: system_ns.into(),
            coordinator_ns: coordinator_ns.into(),
            coordinator_here: true,
        }
    }
}

fn label(d: Dialect, ns: &str, t: &str) -> String {
    match d {
        Dialect::Sqlite => format!("{ns}${t}"),
        _ => format!("{ns}.{t}"),
    }
}

/// Whether a table exists (one cheap probe that fails when it does not).
async fn exists(conn: &mut LiveConn, ns: &str, t: &str) -> bool {
    let q = conn.table(ns, t);
    conn.rows(&format!("SELECT 1 FROM {q} WHERE 1 = 0")).await.is_ok()
}

/// The ScalarDB tables the metadata lists, as (namespace, table).
pub async fn listed_tables(conn: &mut LiveConn, system_ns: &str) -> Result<Vec<(String, String)>> {
    let meta = conn.table(system_ns, "metadata");
    let rows = conn.rows(&format!("SELECT DISTINCT full_table_name FROM {meta} ORDER BY 1")).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| r[0].clone())
        .filter_map(|n| n.split_once('.').map(|(a, b)| (a.to_string(), b.to_string())))
        .collect())
}

/// One database's tables checked: what was found, and what its part of
/// the audit reads.
struct Checked {
    tables: Vec<TableCheck>,
    findings: Vec<Finding>,
    audit_tables: Vec<AuditTable>,
    /// The coordinator table is here and readable.
    coordinator: bool,
}

/// Verifies the database behind `conn`.
pub async fn verify_conn(
    conn: &mut LiveConn,
    profile: &Profile,
    expect: &Expect<'_>,
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    let c = check_tables(conn, expect, cancel).await?;
    let audit = match c.coordinator {
        true => Some(audit::run(conn, &c.audit_tables, &expect.coordinator_ns, cancel).await?),
        false => None,
    };
    Ok(report(profile.target(), profile.name.clone(), expect.backup_id.clone(), c.tables, c.findings, audit))
}

fn report(
    target: String,
    profile: String,
    backup_id: Option<String>,
    tables: Vec<TableCheck>,
    findings: Vec<Finding>,
    audit: Option<AuditReport>,
) -> VerifyReport {
    let passed =
        !findings.iter().any(|f| f.severity == Severity::Error) && !audit.as_ref().is_some_and(|a| a.has_errors());
    VerifyReport {
        target,
        profile,
        verified_at: chrono::Utc::now().to_rfc3339(),
        backup_id,
        tables,
        findings,
        audit,
        passed,
    }
}

/// Metadata and coordinator present (the coordinator only where expected).
async fn check_system_tables(conn: &mut LiveConn, expect: &Expect<'_>, findings: &mut Vec<Finding>) -> (bool, bool) {
    let d = conn.dialect();
    let meta_ok = exists(conn, &expect.system_ns, "metadata").await;
    findings.push(if meta_ok {
        finding(Severity::Info, "metadata", format!("{} is present", label(d, &expect.system_ns, "metadata")))
    } else {
        finding(
            Severity::Error,
            "no_metadata",
            format!(
                "ScalarDB's metadata table {} is missing: ScalarDB cannot use this database.",
                label(d, &expect.system_ns, "metadata")
            ),
        )
    });
    let coord_ok = expect.coordinator_here && exists(conn, &expect.coordinator_ns, "state").await;
    if expect.coordinator_here {
        findings.push(if coord_ok {
            finding(Severity::Info, "coordinator", format!("{} is present", label(d, &expect.coordinator_ns, "state")))
        } else {
            finding(
                Severity::Error,
                "no_coordinator",
                format!(
                    "The coordinator table {} is missing: in-flight transactions cannot be recovered.",
                    label(d, &expect.coordinator_ns, "state")
                ),
            )
        });
    }
    (meta_ok, coord_ok)
}

/// The tables to check: the unit's, or what the metadata lists now.
async fn wanted_tables(
    conn: &mut LiveConn,
    expect: &Expect<'_>,
    meta_ok: bool,
    coord_ok: bool,
) -> Result<Vec<(String, String, Option<i64>, bool)>> {
    Ok(match expect.tables {
        Some(ts) => ts.iter().map(|t| (t.namespace.clone(), t.table.clone(), t.rows, t.rows_exact)).collect(),
        None if meta_ok => {
            let mut v: Vec<_> =
                listed_tables(conn, &expect.system_ns).await?.into_iter().map(|(n, t)| (n, t, None, false)).collect();
            v.push((expect.system_ns.clone(), "metadata".into(), None, false));
            if coord_ok {
                v.push((expect.coordinator_ns.clone(), "state".into(), None, false));
            }
            v
        }
        None => vec![],
    })
}

/// Every wanted table present with its row count; the in-flight records
/// counted in the same scan, so the audit reads again only the tables that have some.
async fn check_tables(conn: &mut LiveConn, expect: &Expect<'_>, cancel: &CancellationToken) -> Result<Checked> {
    let d = conn.dialect();
    let mut findings = Vec::new();
    let mut tables = Vec::new();
    let (meta_ok, coord_ok) = check_system_tables(conn, expect, &mut findings).await;
    let wanted = wanted_tables(conn, expect, meta_ok, coord_ok).await?;
    let system = |ns: &String, t: &str| {
        ns == &expect.coordinator_ns && t == "state" || ns == &expect.system_ns && t == "metadata"
    };
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    let mut estimate_off = Vec::new();
    let mut audit_tables = Vec::new();
    for (ns, t, expected, exact) in &wanted {
        if cancel.is_cancelled() {
            return Err(Error::cancelled_job());
        }
        let q = conn.table(ns, t);
        let both = if system(ns, t) {
            None
        } else {
            conn.rows(&format!("SELECT COUNT(*), SUM(CASE WHEN tx_state IN (1, 2) THEN 1 ELSE 0 END) FROM {q}"))
                .await
                .ok()
                .and_then(|r| r.into_iter().next())
        };
        let rows = match &both {
            Some(r) => r[0].as_deref().and_then(|v| v.trim().parse().ok()),
            None => conn.scalar_i64(&format!("SELECT COUNT(*) FROM {q}")).await.ok().flatten(),
        };
        if rows.is_some() && !system(ns, t) {
            let in_flight = both.as_ref().map(|r| r[1].as_deref().and_then(|v| v.trim().parse().ok()).unwrap_or(0));
            audit_tables.push(AuditTable { namespace: ns.clone(), table: t.clone(), in_flight });
        }
        let sev = match (rows, expected) {
            (None, _) => {
                missing.push(label(d, ns, t));
                Severity::Error
            }
            (Some(r), Some(e)) if r != *e && *exact => {
                wrong.push(format!("{} has {r} rows, the backup recorded {e}", label(d, ns, t)));
                Severity::Error
            }
            (Some(r), Some(e)) if r != *e => {
                estimate_off.push(format!("{} has {r} rows, the backup estimated {e}", label(d, ns, t)));
                Severity::Warning
            }
            _ => Severity::Info,
        };
        tables.push(TableCheck {
            namespace: ns.clone(),
            table: t.clone(),
            exists: rows.is_some(),
            expected_rows: *expected,
            expected_exact: *exact,
            rows,
            severity: sev,
        });
    }
    if !missing.is_empty() {
        findings.push(finding(Severity::Error, "missing_table", format!("Missing: {}.", missing.join(", "))));
    }
    if !wrong.is_empty() {
        findings.push(finding(
            Severity::Error,
            "row_count",
            format!("Row counts differ from the backup: {}.", wrong.join("; ")),
        ));
    }
    if !estimate_off.is_empty() {
        findings.push(finding(
            Severity::Warning,
            "row_count_estimate",
            format!(
                "Row counts differ from the backup's estimates (taken in a separate snapshot just before the dump): {}.",
                estimate_off.join("; ")
            ),
        ));
    }
    if expect.tables.is_some() && missing.is_empty() && wrong.is_empty() {
        findings.push(finding(
            Severity::Info,
            "row_count",
            format!("All {} tables of the backup are present with the recorded row counts.", wanted.len()),
        ));
    }
    Ok(Checked { tables, findings, audit_tables, coordinator: coord_ok })
}

/// Verifies the targets of a restore, one per unit of `m`: each unit's
/// tables on its target, and one audit across them all with the coordinator
/// wherever it was restored. One report: findings of a backup of several
/// units are prefixed by the profile they were found on.
pub async fn verify_restored(
    m: &Manifest,
    targets: &[(&ManifestUnit, &Profile, Option<&Sensitive<String>>)],
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    let mut conns = Vec::new();
    for (_, p, pw) in targets {
        conns.push(LiveConn::open(p, *pw, false).await?);
    }
    verify_on(m, targets, conns, cancel).await
}

async fn verify_on(
    m: &Manifest,
    targets: &[(&ManifestUnit, &Profile, Option<&Sensitive<String>>)],
    mut conns: Vec<LiveConn>,
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    let r = verify_across(m, targets, &mut conns, cancel).await;
    for c in conns {
        c.close().await;
    }
    r
}

async fn verify_across(
    m: &Manifest,
    targets: &[(&ManifestUnit, &Profile, Option<&Sensitive<String>>)],
    conns: &mut [LiveConn],
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    let parts: Vec<(Expect, &Profile)> = targets.iter().map(|(u, p, _)| (Expect::unit(m, u), *p)).collect();
    verify_parts(&parts, conns, Some(m.id.clone()), &m.coordinator_ns(), cancel).await
}

/// Several databases of one deployment: each one's tables against what it
/// is expected to hold, and one audit across them all with the coordinator
/// wherever it is. Findings are prefixed by the profile when there are several.
async fn verify_parts(
    parts: &[(Expect<'_>, &Profile)],
    conns: &mut [LiveConn],
    backup_id: Option<String>,
    coordinator_ns: &str,
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    let several = parts.len() > 1;
    let (mut tables, mut findings, mut parts_tables) = (Vec::new(), Vec::new(), Vec::new());
    let mut coordinator = None;
    for (i, ((expect, p), conn)) in parts.iter().zip(conns.iter_mut()).enumerate() {
        let c = check_tables(conn, expect, cancel).await?;
        tables.extend(c.tables);
        findings.extend(c.findings.into_iter().map(|mut f| {
            if several {
                f.message = format!("{}: {}", p.name, f.message);
            }
            f
        }));
        if c.coordinator {
            coordinator = Some(i);
        }
        parts_tables.push(c.audit_tables);
    }
    let audit = match coordinator {
        Some(k) => {
            let mut audit_parts: Vec<audit::AuditPart> =
                conns.iter_mut().zip(parts_tables).map(|(conn, tables)| audit::AuditPart { conn, tables }).collect();
            Some(audit::run_across(&mut audit_parts, k, coordinator_ns, cancel).await?)
        }
        None => None,
    };
    let join = |f: &dyn Fn(&Profile) -> String| parts.iter().map(|(_, p)| f(p)).collect::<Vec<_>>().join(", ");
    Ok(report(join(&|p| p.target()), join(&|p| p.name.clone()), backup_id, tables, findings, audit))
}

/// A live deployment, every database of it at once (storages that share a
/// profile are one): its tables against what its metadata lists — or, with
/// `against`, against the backup's units, each on the database its storages
/// live in — and one consistency audit across them all, the coordinator read
/// wherever it lives.
pub async fn verify_deployment(
    ds: &Deployments,
    d: &crate::deployment::Deployment,
    against: Option<&Manifest>,
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    let storages = ds.storage_profiles(d)?;
    if storages.is_empty() {
        return Err(Error::invalid(format!("Deployment \"{}\" has no storage to verify.", d.name)));
    }
    // One part per database, with the storages it holds.
    let dbs = crate::deployment::by_profile(&storages);
    if let Some((p, _)) =
        dbs.iter().find(|(p, _)| !matches!(p.kind, DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite))
    {
        return Err(Error::new(
            ErrorCode::Unsupported,
            format!(
                "Storage on {} ({}) is verified through its own service; Quiesce verifies PostgreSQL, MySQL/MariaDB and SQLite.",
                p.name,
                p.kind.label()
            ),
        ));
    }
    let coord_storage = d.coordinator_storage().unwrap_or_default().to_string();
    let mut parts = Vec::new();
    for (p, names) in &dbs {
        let expect = match against {
            Some(m) => {
                let u = m.units.iter().find(|u| u.storages.iter().any(|s| names.contains(s))).ok_or_else(|| {
                    Error::invalid(format!(
                        "Backup {} has no unit for storage(s) {} of deployment \"{}\": it is a backup of another deployment, or of an earlier layout.",
                        m.id,
                        names.join(", "),
                        d.name
                    ))
                })?;
                Expect::unit(m, u)
            }
            None => Expect {
                coordinator_here: names.contains(&coord_storage),
                ..Expect::live(&d.system_namespace, &d.coordinator_namespace)
            },
        };
        parts.push((expect, p));
    }
    let mut conns = Vec::new();
    for (p, _) in &dbs {
        let pw = ds.secret_of(p).await?;
        match LiveConn::open(p, pw.as_ref(), false).await {
            Ok(c) => conns.push(c),
            Err(e) => {
                for c in conns {
                    c.close().await;
                }
                return Err(e);
            }
        }
    }
    let coordinator_ns = against.map(Manifest::coordinator_ns).unwrap_or_else(|| d.coordinator_namespace.clone());
    let r = verify_parts(&parts, &mut conns, against.map(|m| m.id.clone()), &coordinator_ns, cancel).await;
    for c in conns {
        c.close().await;
    }
    r
}

/// The unit of `m` a profile is compared with: the one named (its id or a
/// storage), the only one, or the one read through that profile.
fn unit_for<'a>(m: &'a Manifest, p: &Profile, unit: Option<&str>) -> Result<&'a ManifestUnit> {
    if let Some(name) = unit {
        return m.unit(name).ok_or_else(|| {
            Error::invalid(format!(
                "\"{name}\" is no unit or storage of backup {}; its units are {}.",
                m.id,
                m.units
                    .iter()
                    .map(|u| format!("{} (storages {})", u.id, u.storages.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        });
    }
    if let [only] = m.units.as_slice() {
        return Ok(only);
    }
    m.units.iter().find(|u| u.profile == p.name || u.profile == p.id).ok_or_else(|| {
        Error::invalid(format!(
            "Backup {} has {} units ({}) and none was read through profile \"{}\": name the unit to compare it with (--unit).",
            m.id,
            m.units.len(),
            m.units.iter().map(|u| format!("{} from {}", u.id, u.profile)).collect::<Vec<_>>().join(", "),
            p.name
        ))
    })
}

/// Verifies a profile's live database, against a backup's manifest when
/// given (against one unit of it: `unit`, or the one that profile fits).
pub async fn verify_profile(
    ds: &Deployments,
    profile: &str,
    against: Option<(&Manifest, Option<&str>)>,
    deployment: Option<&crate::deployment::Deployment>,
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    let p = ds.profiles().get(profile)?;
    if !matches!(p.kind, DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite) {
        return Err(Error::new(
            ErrorCode::Unsupported,
            format!(
                "{} is verified through its own service; Quiesce verifies PostgreSQL, MySQL/MariaDB and SQLite.",
                p.kind.label()
            ),
        ));
    }
    let expect = match (against, deployment) {
        (Some((m, unit)), _) => Expect::unit(m, unit_for(m, &p, unit)?),
        (None, Some(d)) => Expect::live(&d.system_namespace, &d.coordinator_namespace),
        (None, None) => {
            Expect::live(crate::deployment::DEFAULT_SYSTEM_NAMESPACE, crate::deployment::DEFAULT_COORDINATOR_NAMESPACE)
        }
    };
    let pw = ds.secret_of(&p).await?;
    let mut conn = LiveConn::open(&p, pw.as_ref(), false).await?;
    let r = verify_conn(&mut conn, &p, &expect, cancel).await;
    conn.close().await;
    r
}

/// A backup's files checked against its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct IntegrityReport {
    pub backup_id: String,
    pub folder: String,
    pub files_checked: usize,
    #[ts(type = "number")]
    pub bytes_checked: u64,
    pub problems: Vec<String>,
    /// Files in the folder the manifest does not list (not part of the
    /// backup: left by an earlier release, or put there by hand).
    #[serde(default)]
    pub unlisted: Vec<String>,
}

/// Hashes every file of the backup and compares size and SHA-256 with the
/// manifest; also refuses a manifest that lists no files or files outside
/// the folder. Files are hashed on several threads (a directory-format
/// backup has one file per table). `progress` gets bytes hashed so far.
pub fn check_integrity(
    folder: &Path,
    m: &Manifest,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &CancellationToken,
) -> Result<IntegrityReport> {
    check_integrity_except(folder, m, &[], progress, cancel)
}

/// `check_integrity`, but the files named in `streamed` only have their size
/// checked: their SHA-256 is computed by whoever reads them next (a restore
/// that feeds them to its tools and holds back the end until they match).
pub fn check_integrity_except(
    folder: &Path,
    m: &Manifest,
    streamed: &[String],
    progress: &(dyn Fn(u64) + Sync),
    cancel: &CancellationToken,
) -> Result<IntegrityReport> {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::Mutex;
    let mut problems = Vec::new();
    let files: Vec<&manifest::ManifestFile> = m.files().collect();
    if files.is_empty() {
        problems.push("the manifest lists no files".to_string());
    }
    if m.tables().next().is_none() {
        problems.push("the manifest lists no tables".to_string());
    }
    let done = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let found: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    let failed: Mutex<Option<Error>> = Mutex::new(None);
    let workers =
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 4).min(files.len().max(1));
    std::thread::scope(|sc| {
        for _ in 0..workers {
            sc.spawn(|| {
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    let r = if streamed.contains(&f.name) {
                        Ok(size_only(folder, f))
                    } else {
                        hash_one(folder, f, &mut buf, &done, progress, cancel)
                    };
                    match r {
                        Ok(Some(p)) => found.lock().unwrap().push((i, p)),
                        Ok(None) => {}
                        Err(e) => {
                            *failed.lock().unwrap() = Some(e);
                            break;
                        }
                    }
                }
            });
        }
    });
    if let Some(e) = failed.into_inner().unwrap() {
        return Err(e);
    }
    let mut found = found.into_inner().unwrap();
    found.sort();
    problems.extend(found.into_iter().map(|(_, p)| p));
    let listed: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    Ok(IntegrityReport {
        backup_id: m.id.clone(),
        folder: folder.display().to_string(),
        files_checked: files.len(),
        bytes_checked: done.load(Ordering::Relaxed),
        problems,
        unlisted: manifest::unlisted_files(folder, &listed),
    })
}

/// One file against its manifest entry: None when it matches, else the problem.
fn hash_one(
    folder: &Path,
    f: &manifest::ManifestFile,
    buf: &mut [u8],
    done: &std::sync::atomic::AtomicU64,
    progress: &(dyn Fn(u64) + Sync),
    cancel: &CancellationToken,
) -> Result<Option<String>> {
    use std::sync::atomic::Ordering;
    if let Some(p) = outside(f) {
        return Ok(Some(p));
    }
    let p = folder.join(&f.name);
    let mut file = match std::fs::File::open(&p) {
        Ok(x) => x,
        Err(e) => return Ok(Some(format!("{}: {e}", f.name))),
    };
    let (sha, n) = manifest::sha256_of(&mut file, &p, buf, &mut |k| {
        if cancel.is_cancelled() {
            return Err(Error::cancelled_job());
        }
        progress(done.fetch_add(k, Ordering::Relaxed) + k);
        Ok(())
    })?;
    Ok(file_problem(f, n, &sha))
}

/// A file read in full (`n` bytes hashing to `sha`) against its manifest entry.
pub fn file_problem(f: &manifest::ManifestFile, n: u64, sha: &str) -> Option<String> {
    f.digest().problem(n, sha)
}

/// A manifest entry naming a path outside the backup's folder.
fn outside(f: &manifest::ManifestFile) -> Option<String> {
    (f.name.split('/').any(|c| c == ".." || c.is_empty()) || Path::new(&f.name).is_absolute())
        .then(|| format!("{}: not a file inside the backup folder", f.name))
}

/// A streamed file's size, before it is read (a truncated file is refused up front).
fn size_only(folder: &Path, f: &manifest::ManifestFile) -> Option<String> {
    if let Some(p) = outside(f) {
        return Some(p);
    }
    match std::fs::metadata(folder.join(&f.name)) {
        Err(e) => Some(format!("{}: {e}", f.name)),
        // Its hash is checked as it is read: only the size is compared here.
        Ok(md) => file_problem(f, md.len(), &f.sha256),
    }
}

impl IntegrityReport {
    pub fn into_result(self) -> Result<IntegrityReport> {
        if self.problems.is_empty() {
            Ok(self)
        } else {
            Err(Error::new(
                ErrorCode::Corrupt,
                format!(
                    "Backup {} does not match its manifest, so it is not restored:\n  {}",
                    self.backup_id,
                    self.problems.join("\n  ")
                ),
            ))
        }
    }
}

use crate::catalog::reports_dir;

/// Stores a report with the backup; returns its path.
pub fn store_report(folder: &Path, r: &VerifyReport) -> Result<PathBuf> {
    let dir = reports_dir(folder);
    crate::paths::create_private_dir(&dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let p = dir.join(format!("{stamp}-{}.json", sanitize(&r.profile)));
    let bytes = serde_json::to_vec_pretty(r).map_err(|e| Error::internal(e.to_string()))?;
    crate::store::write_atomic(&p, &bytes)?;
    Ok(p)
}

/// The latest report stored with a backup (reports are named by their time).
pub fn latest_report(folder: &Path) -> Option<VerifyReport> {
    std::fs::read(crate::catalog::latest_report_file(folder)?).ok().and_then(|b| serde_json::from_slice(&b).ok())
}

/// The reports stored with a backup, oldest first.
pub fn stored_reports(folder: &Path) -> Vec<VerifyReport> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(reports_dir(folder))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).filter_map(|b| serde_json::from_slice(&b).ok()).collect()
}

fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).collect()
}

/// `quiesce verify <backup>`: the files against the manifest; for a backup
/// of SQLite units only (database files) also the tables and the audit,
/// read in place, read-only.
pub async fn verify_backup(
    root: &Path,
    id: &str,
    cancel: &CancellationToken,
) -> Result<(IntegrityReport, Option<VerifyReport>)> {
    let (folder, m) = crate::catalog::find(root, id)?;
    let integ = {
        let (folder, m, c) = (folder.clone(), m.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || check_integrity(&folder, &m, &|_| {}, &c))
            .await
            .map_err(|e| Error::internal(e.to_string()))??
    };
    let all_files = m.units.iter().all(|u| u.format == "sqlite" && u.files.len() == 1);
    if !all_files || !integ.problems.is_empty() {
        return Ok((integ, None));
    }
    let profiles: Vec<Profile> = m
        .units
        .iter()
        .map(|u| Profile {
            name: format!("backup {} {}", m.id, u.id),
            kind: DbKind::Sqlite,
            path: Some(folder.join(&u.files[0].name).display().to_string()),
            ..Default::default()
        })
        .collect();
    let targets: Vec<_> = m.units.iter().zip(&profiles).map(|(u, p)| (u, p, None)).collect();
    // Immutable: auditing the files in place creates nothing in the folder.
    let conns = profiles.iter().map(LiveConn::open_backup_file).collect::<Result<Vec<_>>>()?;
    let r = verify_on(&m, &targets, conns, cancel).await?;
    // Kept with the backup (in verifications/, outside its files), so the catalog shows it verified.
    store_report(&folder, &r)?;
    Ok((integ, Some(r)))
}

impl crate::job::Recorded for VerifyReport {
    fn record(&self) -> crate::job::Record {
        use crate::history::Outcome;
        let said = format!(
            "verification of {}{}: {}",
            self.profile,
            self.backup_id.as_ref().map(|b| format!(" against backup {b}")).unwrap_or_default(),
            if self.passed { "no errors found" } else { "errors found" }
        );
        crate::job::Record {
            what: said.clone(),
            outcome: if self.passed { Outcome::Ok } else { Outcome::Failed },
            entry: self.backup_id.clone(),
            done: said,
        }
    }
}

/// A backup's own verification (its files, and what could be read in place).
pub struct BackupVerified(pub IntegrityReport, pub Option<VerifyReport>);

impl crate::job::Recorded for BackupVerified {
    fn record(&self) -> crate::job::Record {
        use crate::history::Outcome;
        let ok = self.0.problems.is_empty() && self.1.as_ref().is_none_or(|r| r.passed);
        let said = format!(
            "verification of backup {}: {} file(s) {}",
            self.0.backup_id,
            self.0.files_checked,
            if ok { "as the manifest says" } else { "with problems" }
        );
        crate::job::Record {
            what: said.clone(),
            outcome: if ok { Outcome::Ok } else { Outcome::Failed },
            entry: Some(self.0.backup_id.clone()),
            done: said,
        }
    }
}

/// What a verification is of, as a job of the history.
pub enum Verification<'a> {
    /// One profile's database, against one unit of a backup when given.
    Profile {
        profile: &'a str,
        against: Option<(&'a Manifest, Option<&'a str>)>,
        deployment: Option<&'a crate::deployment::Deployment>,
    },
    /// Every database of a deployment, against a backup when given.
    Deployment { deployment: &'a crate::deployment::Deployment, against: Option<&'a Manifest> },
}

/// Runs a verification of live databases as a job: recorded in the history.
pub async fn run(
    ds: &Deployments,
    what: Verification<'_>,
    sink: crate::job::Sink,
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    use crate::history::OpKind;
    let (subject, words) = match &what {
        Verification::Profile { profile, deployment, .. } => {
            let p = ds.profiles().get(profile)?;
            (
                deployment.map(|d| d.name.clone()).unwrap_or(p.name.clone()),
                format!("verification of profile {}", p.name),
            )
        }
        Verification::Deployment { deployment, .. } => {
            (deployment.name.clone(), format!("verification of deployment {}", deployment.name))
        }
    };
    let spec = crate::job::JobSpec::new(OpKind::Verify, subject, words);
    crate::job::run(ds.home(), spec, sink, cancel, async |ctx| match what {
        Verification::Profile { profile, against, deployment } => {
            verify_profile(ds, profile, against, deployment, &ctx.cancel).await
        }
        Verification::Deployment { deployment, against } => {
            verify_deployment(ds, deployment, against, &ctx.cancel).await
        }
    })
    .await
}

/// `quiesce verify <backup>` as a job: recorded in the history.
pub async fn run_backup(
    home: &crate::paths::Home,
    root: &Path,
    id: &str,
    sink: crate::job::Sink,
    cancel: &CancellationToken,
) -> Result<(IntegrityReport, Option<VerifyReport>)> {
    let (_, m) = crate::catalog::find(root, id)?;
    let spec = crate::job::JobSpec::new(
        crate::history::OpKind::Verify,
        &m.deployment,
        format!("verification of backup {}", m.id),
    );
    let r = crate::job::run(home, spec, sink, cancel, async |ctx| {
        let (i, v) = verify_backup(root, id, &ctx.cancel).await?;
        Ok(BackupVerified(i, v))
    })
    .await?;
    Ok((r.0, r.1))
}
