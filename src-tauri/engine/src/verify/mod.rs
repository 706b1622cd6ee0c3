//! Verification of a live database (after a restore, or on demand): every
//! table of the backup's manifest exists with the recorded row count,
//! ScalarDB's metadata and coordinator tables are there, and the consistency
//! audit says what lazy recovery will do. Also the integrity of a backup's
//! files against its manifest.

pub mod audit;

use crate::backup::manifest::{self, Manifest};
use crate::deployment::Deployments;
use crate::discovery::{Finding, Severity};
use crate::error::{Error, ErrorCode, Result};
use crate::live::{Dialect, LiveConn};
use crate::profile::{DbKind, Profile};
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

/// What a verification compares against.
pub struct Expect<'a> {
    pub manifest: Option<&'a Manifest>,
    pub system_ns: String,
    pub coordinator_ns: String,
}

impl<'a> Expect<'a> {
    pub fn of(m: &'a Manifest) -> Self {
        Expect { manifest: Some(m), system_ns: m.system_ns(), coordinator_ns: m.coordinator_ns() }
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

/// Verifies the database behind `conn`.
pub async fn verify_conn(
    conn: &mut LiveConn,
    profile: &Profile,
    expect: &Expect<'_>,
    cancel: &CancellationToken,
) -> Result<VerifyReport> {
    let d = conn.dialect();
    let mut findings = Vec::new();
    let mut tables = Vec::new();
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
    let coord_ok = exists(conn, &expect.coordinator_ns, "state").await;
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
    // The tables to check: the manifest's, or what the metadata lists now.
    let wanted: Vec<(String, String, Option<i64>, bool)> = match expect.manifest {
        Some(m) => m.tables.iter().map(|t| (t.namespace.clone(), t.table.clone(), t.rows, t.rows_exact)).collect(),
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
    };
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    let mut estimate_off = Vec::new();
    let mut in_flight: std::collections::HashMap<(String, String), u64> = std::collections::HashMap::new();
    for (ns, t, expected, exact) in &wanted {
        if cancel.is_cancelled() {
            return Err(Error::cancelled_job());
        }
        let q = conn.table(ns, t);
        let system = ns == &expect.coordinator_ns && t == "state" || ns == &expect.system_ns && t == "metadata";
        // Transactional tables: the in-flight records are counted in the same scan,
        // so the audit reads again only the tables that have some.
        let both = if system {
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
        if let Some(r) = &both {
            in_flight.insert((ns.clone(), t.clone()), r[1].as_deref().and_then(|v| v.trim().parse().ok()).unwrap_or(0));
        }
        let exists = rows.is_some();
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
            exists,
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
    if expect.manifest.is_some() && missing.is_empty() && wrong.is_empty() {
        findings.push(finding(
            Severity::Info,
            "row_count",
            format!("All {} tables of the backup are present with the recorded row counts.", wanted.len()),
        ));
    }
    let audit = if coord_ok {
        let at: Vec<AuditTable> = wanted
            .iter()
            .filter(|(ns, t, _, _)| {
                let system = ns == &expect.coordinator_ns && t == "state" || ns == &expect.system_ns && t == "metadata";
                !system
            })
            .filter(|(ns, t, _, _)| !missing.contains(&label(d, ns, t)))
            .map(|(ns, t, _, _)| AuditTable {
                namespace: ns.clone(),
                table: t.clone(),
                in_flight: in_flight.get(&(ns.clone(), t.clone())).copied(),
            })
            .collect();
        Some(audit::run(conn, &at, &expect.coordinator_ns, cancel).await?)
    } else {
        None
    };
    let passed =
        !findings.iter().any(|f| f.severity == Severity::Error) && !audit.as_ref().is_some_and(|a| a.has_errors());
    Ok(VerifyReport {
        target: profile.target(),
        profile: profile.name.clone(),
        verified_at: chrono::Utc::now().to_rfc3339(),
        backup_id: expect.manifest.map(|m| m.id.clone()),
        tables,
        findings,
        audit,
        passed,
    })
}

/// Verifies a profile's live database, against a backup's manifest when given.
pub async fn verify_profile(
    ds: &Deployments,
    profile: &str,
    against: Option<&Manifest>,
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
    let pw = ds.secret_of(&p).await?;
    let mut conn = LiveConn::open(&p, pw.as_ref(), false).await?;
    let expect = match (against, deployment) {
        (Some(m), _) => Expect::of(m),
        (None, Some(d)) => Expect {
            manifest: None,
            system_ns: d.system_namespace.clone(),
            coordinator_ns: d.coordinator_namespace.clone(),
        },
        (None, None) => Expect {
            manifest: None,
            system_ns: crate::deployment::DEFAULT_SYSTEM_NAMESPACE.into(),
            coordinator_ns: crate::deployment::DEFAULT_COORDINATOR_NAMESPACE.into(),
        },
    };
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
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::Mutex;
    let mut problems = Vec::new();
    if m.files.is_empty() {
        problems.push("the manifest lists no files".to_string());
    }
    if m.tables.is_empty() {
        problems.push("the manifest lists no tables".to_string());
    }
    let done = AtomicU64::new(0);
    let next = AtomicUsize::new(0);
    let found: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    let failed: Mutex<Option<Error>> = Mutex::new(None);
    let workers =
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).clamp(1, 4).min(m.files.len().max(1));
    std::thread::scope(|sc| {
        for _ in 0..workers {
            sc.spawn(|| {
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(f) = m.files.get(i) else { break };
                    match hash_one(folder, f, &mut buf, &done, progress, cancel) {
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
    Ok(IntegrityReport {
        backup_id: m.id.clone(),
        folder: folder.display().to_string(),
        files_checked: m.files.len(),
        bytes_checked: done.load(Ordering::Relaxed),
        problems,
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
    if f.name.split('/').any(|c| c == ".." || c.is_empty()) || Path::new(&f.name).is_absolute() {
        return Ok(Some(format!("{}: not a file inside the backup folder", f.name)));
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
    Ok(if n != f.bytes {
        Some(format!("{}: {n} bytes, the manifest says {} (truncated or changed)", f.name, f.bytes))
    } else if sha != f.sha256 {
        Some(format!("{}: SHA-256 differs from the manifest (the file was changed or corrupted)", f.name))
    } else {
        None
    })
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

/// Where verification reports of a backup are kept, beside its manifest
/// (not among its files: they are written after the backup was sealed).
pub fn reports_dir(folder: &Path) -> PathBuf {
    folder.join("verifications")
}

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

/// `quiesce verify <backup>`: the files against the manifest; for a SQLite
/// backup (a database file) also the tables and the audit, read in place.
pub async fn verify_backup(
    root: &Path,
    id: &str,
    cancel: &CancellationToken,
) -> Result<(IntegrityReport, Option<VerifyReport>)> {
    let (folder, m) = manifest::find(root, id)?;
    let integ = {
        let (folder, m, c) = (folder.clone(), m.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || check_integrity(&folder, &m, &|_| {}, &c))
            .await
            .map_err(|e| Error::internal(e.to_string()))??
    };
    let live = if m.format == "sqlite" && integ.problems.is_empty() {
        let file = folder.join(&m.files[0].name);
        let p = Profile {
            name: format!("backup {}", m.id),
            kind: DbKind::Sqlite,
            path: Some(file.display().to_string()),
            ..Default::default()
        };
        let mut conn = LiveConn::open(&p, None, false).await?;
        let r = verify_conn(&mut conn, &p, &Expect::of(&m), cancel).await?;
        conn.close().await;
        Some(r)
    } else {
        None
    };
    Ok((integ, live))
}
