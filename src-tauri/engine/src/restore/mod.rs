//! Restore of a catalog backup — every unit of it — into the profiles it
//! came from or others of the same database family (a migration: another
//! host, another server version). Always whole units: restoring one table or
//! namespace of a ScalarDB deployment would break its consistency, so there
//! is no option for it.
//!
//! Before any target is touched, every unit is checked: the backup's files
//! match the manifest; the target is reachable and of the unit's family; the
//! tools can read the archive; the target is empty (or the user chose to
//! replace what is shown there); no other client is connected (restoring
//! under a running ScalarDB corrupts it). Then the units are restored so that
//! what can be rolled back waits for what cannot: MySQL/MariaDB units (whose
//! DDL cannot be rolled back; restored into fresh databases, dropped if a
//! later unit fails) and PostgreSQL units that cannot be one held transaction
//! first; then SQLite units, copied into temporary files beside their
//! targets; then the PostgreSQL units, each fed up to its last block so its
//! single transaction stays open — committed together once everything else
//! succeeded, and only then the SQLite copies renamed into place. The result
//! is verified across units (tables, row counts, the consistency audit with
//! the coordinator in whichever database holds it).

mod cleanup;
mod infile;
mod myparallel;
mod native;
pub mod ownerless;
mod prepare;
mod sessions;
mod sqlite;

use crate::catalog::manifest::Manifest;
use crate::deployment::Deployments;
use crate::error::{Error, Result};
use crate::job::{self, Check, Journal, Live, Sink};
use crate::verify::{self, VerifyReport};
use chrono::{DateTime, Utc};
use prepare::{Mode, UnitPlan};
use serde::{Deserialize, Serialize};
pub use sessions::Session;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct RestoreOptions {
    /// Where each unit goes (`--to UNIT=PROFILE`, one per unit); a backup of
    /// one unit may name its profile alone (`--to PROFILE`: `UnitTarget::only`).
    #[serde(default)]
    pub targets: Vec<UnitTarget>,
    /// Replace what the targets hold (shown by the preflight).
    #[serde(default)]
    pub replace: bool,
    /// Parallel workers: pg_restore -j (directory-format backups), myloader
    /// threads, or the connections loading a MySQL dump's rows (1: the
    /// mariadb/mysql client alone; default: the cores, 2 to 4).
    pub jobs: Option<u32>,
    /// The GUI's typed confirmation: when given, it must be the preflight's `confirm_name`.
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

/// A unit of the backup (its id, or any storage it holds) and the profile it goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UnitTarget {
    pub unit: String,
    pub profile: String,
}

impl UnitTarget {
    /// The only unit of a backup, into `profile` (`--to PROFILE`): the unit left empty.
    pub fn only(profile: impl Into<String>) -> UnitTarget {
        UnitTarget { unit: String::new(), profile: profile.into() }
    }

    /// `UNIT=PROFILE`.
    pub fn parse(s: &str) -> Result<UnitTarget> {
        let (u, p) = s.split_once('=').ok_or_else(|| {
            Error::invalid(format!(
                "--to {s}: give UNIT=PROFILE, the unit by one of its storages, e.g. --to coordinator=staging-pg"
            ))
        })?;
        Ok(UnitTarget { unit: u.trim().into(), profile: p.trim().into() })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ExistingTable {
    pub namespace: String,
    pub table: String,
    #[ts(type = "number | null")]
    pub rows: Option<i64>,
}

/// What the restore of one unit will do and what it checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct UnitPreflight {
    pub unit: String,
    pub storages: Vec<String>,
    pub format: String,
    pub source: String,
    pub source_version: Option<String>,
    pub target: String,
    pub target_profile: String,
    pub target_version: Option<String>,
    pub checks: Vec<Check>,
    /// ScalarDB namespaces of the unit that already exist on the target.
    pub existing: Vec<ExistingTable>,
    pub sessions: Vec<Session>,
    pub will_replace: bool,
    /// How the unit is restored.
    pub mode: String,
    /// What a failed or cancelled restore leaves on this target.
    pub on_failure: String,
    pub commands: Vec<String>,
    pub tables: usize,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// What a restore will do and what it checked, before anything is touched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct RestorePreflight {
    pub backup_id: String,
    pub backup_folder: String,
    pub deployment: String,
    #[ts(type = "string")]
    pub backup_started_at: DateTime<Utc>,
    pub units: Vec<UnitPreflight>,
    /// Every check: the backup's files first, then each unit's (named
    /// `<unit> <check>` when there are several).
    pub checks: Vec<Check>,
    pub will_replace: bool,
    /// What to type to confirm a replacement: the target profiles' names.
    pub confirm_name: String,
    /// In which order the units are restored, and why.
    pub order: String,
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
    /// The targets, one per unit.
    pub targets: Vec<UnitTarget>,
    pub duration_ms: f64,
    /// None when skipped on request.
    pub verify: Option<VerifyReport>,
    /// Where the verification report was stored with the backup.
    pub report_path: Option<String>,
    /// The GRANT statements re-applied (when asked for).
    pub grants_applied: Vec<String>,
    pub after: Vec<String>,
}

/// The checks and the commands, without touching any target.
pub async fn dry_run(
    ds: &Deployments,
    root: &Path,
    backup: &str,
    opts: &RestoreOptions,
    cancel: &CancellationToken,
) -> Result<RestorePreflight> {
    // The preflight reads every file: it promises nothing is wrong with the backup.
    Ok(prepare::prepare(ds, root, backup, opts, cancel, false, vec![]).await?.1)
}

/// One job writing into a target at a time (a restore or a migration),
/// across the app and any CLI.
pub(crate) fn lock_target(home: &crate::paths::Home, p: &crate::profile::Profile) -> Result<std::fs::File> {
    crate::paths::try_lock(home, &format!("target-{}", p.id), || {
        format!(
            "A restore or migration into \"{}\" is already running (in the app or a CLI). Wait for it to finish.",
            p.name
        )
    })
}

impl job::Recorded for RestoreResult {
    fn record(&self) -> job::Record {
        use crate::history::Outcome;
        let into = self.targets.iter().map(|t| t.profile.as_str()).collect::<Vec<_>>().join(", ");
        let (outcome, said) = match &self.verify {
            None => (Outcome::Ok, "not verified (skipped on request)"),
            Some(r) if r.passed => (Outcome::Ok, "verification found no errors"),
            Some(_) => (Outcome::Failed, "verification found errors"),
        };
        job::Record {
            what: format!("restore of backup {} into {into}: {said}", self.backup_id),
            outcome,
            entry: Some(self.backup_id.clone()),
            done: format!("Restored {} into {into} in {:.1} s; {said}", self.backup_id, self.duration_ms / 1000.0),
        }
    }
}

/// Runs a restore; the result carries the verification of the targets.
pub async fn run(
    ds: &Deployments,
    root: &Path,
    backup: &str,
    opts: &RestoreOptions,
    sink: Sink,
    cancel: &CancellationToken,
) -> Result<RestoreResult> {
    job::phase(&sink, "checks", "Checking the backup's files against its manifest, the tools and the targets…");
    // The backup named first is checked first: a damaged or missing one is
    // said before anything about the targets.
    let (_, m0) = crate::catalog::find(root, backup)?;
    let spec =
        job::JobSpec::new(crate::history::OpKind::Restore, &m0.deployment, format!("restore of backup {}", m0.id));
    job::run(ds.home(), spec, sink, cancel, async |ctx| restore_in(ds, root, backup, opts, &m0, ctx).await).await
}

/// A restore inside another job (a migration reading a backup through a
/// scratch database): that job's journal, progress and history line.
pub async fn run_in(
    ds: &Deployments,
    root: &Path,
    backup: &str,
    opts: &RestoreOptions,
    ctx: &job::JobCtx,
) -> Result<RestoreResult> {
    let (_, m0) = crate::catalog::find(root, backup)?;
    restore_in(ds, root, backup, opts, &m0, ctx).await
}

/// The restore's body, in its job.
async fn restore_in(
    ds: &Deployments,
    root: &Path,
    backup: &str,
    opts: &RestoreOptions,
    m0: &Manifest,
    ctx: &job::JobCtx,
) -> Result<RestoreResult> {
    let (sink, cancel, journal) = (ctx.sink.clone(), &ctx.cancel, &*ctx.journal);
    let home = ds.home();
    let _locks = prepare::target_profiles(ds, m0, opts)?
        .iter()
        .map(|(_, p)| lock_target(home, p))
        .collect::<Result<Vec<_>>>()?;
    // One SQLite unit is copied while the backup is hashed (it is checked
    // before the copy replaces anything); every other restore waits for the hash.
    let copy_while_hashing = m0.units.len() == 1 && m0.units[0].kind == crate::profile::DbKind::Sqlite;
    // A restore in held transactions only hashes its inputs as it feeds
    // them: the hash costs no time of its own.
    let streamed = prepare::streamed_inputs(m0, opts);
    let (prep, pf, pending) = prepare::prepare(ds, root, backup, opts, cancel, copy_while_hashing, streamed).await?;
    let names = prep.units.iter().map(|u| u.target.name.clone()).collect::<Vec<_>>().join(", ");
    if let Some(e) = job::cannot_start(
        &format!("The restore of {} into \"{names}\"", pf.backup_id),
        "; nothing was touched",
        &pf.checks,
    ) {
        return Err(e);
    }
    // The backup must match its manifest before a target is touched.
    let pending = match (copy_while_hashing, pending) {
        (false, Some(h)) => {
            h.await.map_err(|e| Error::internal(e.to_string()))??.into_result()?;
            None
        }
        (_, p) => p,
    };
    let started = std::time::Instant::now();
    let live = ctx.progress("restoring");
    live.input_total.store(prep.units.iter().map(UnitPlan::input_bytes).sum(), Ordering::Relaxed);
    live.tables_total.store(prep.m.tables().count() as u32, Ordering::Relaxed);
    let mut states = vec![cleanup::State::NotStarted; prep.units.len()];
    let r = execute(&prep, opts, journal, &live, &sink, cancel, pending, &mut states).await;
    if let Err(e) = r {
        live.set_phase("cleanup");
        let said = cleanup::after_failure(&prep, opts, &states).await;
        return Err(Error::new(e.code, format!("{}\n{said}", e.message)));
    }
    let report = if opts.skip_verify {
        None
    } else {
        live.set_phase("verifying");
        live.all_tables_done();
        job::phase(
            &sink,
            "verifying",
            "Checking tables, row counts and the ScalarDB consistency audit on the targets…",
        );
        Some(verify::verify_restored(&prep.m, &prep.targets(), cancel).await?)
    };
    let report_path =
        report.as_ref().and_then(|r| verify::store_report(&prep.folder, r).ok()).map(|p| p.display().to_string());
    let grants_applied = cleanup::apply_grants(&prep, opts, &sink).await?;
    let targets: Vec<UnitTarget> =
        prep.units.iter().map(|u| UnitTarget { unit: u.unit.id.clone(), profile: u.target.name.clone() }).collect();
    tracing::info!(backup = %prep.m.id, targets = %names, verified = report.is_some(), "restore complete");
    Ok(RestoreResult {
        backup_id: prep.m.id.clone(),
        targets,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        verify: report,
        report_path,
        grants_applied,
        after: cleanup::after_steps(&prep, opts),
    })
}

/// The units in the order that keeps what can be undone waiting for what
/// cannot (see the module's doc); `states` says where each one got to.
#[allow(clippy::too_many_arguments)]
async fn execute(
    prep: &prepare::Prepared,
    opts: &RestoreOptions,
    journal: &Journal,
    live: &Arc<Live>,
    sink: &Sink,
    cancel: &CancellationToken,
    mut pending: Option<prepare::PendingIntegrity>,
    states: &mut [cleanup::State],
) -> Result<()> {
    use cleanup::State;
    let idx = |f: &dyn Fn(&UnitPlan) -> bool| -> Vec<usize> {
        prep.units.iter().enumerate().filter(|(_, u)| f(u)).map(|(i, _)| i).collect()
    };
    // 1. What commits by itself.
    for i in idx(&|u| u.mode != Mode::Lite && !u.holdable()) {
        states[i] = State::Running;
        native::restore(&prep.units[i], prep, opts, None, journal, live, sink, cancel).await?;
        states[i] = State::Committed;
    }
    // 2. SQLite: copied beside the target, checked, not yet in place.
    let mut copies = Vec::new();
    for i in idx(&|u| u.mode == Mode::Lite) {
        states[i] = State::Running;
        let tmp = sqlite::copy(&prep.units[i], live.clone(), pending.take(), journal, cancel, sink).await?;
        states[i] = State::Copied;
        copies.push((i, tmp));
    }
    // 3. PostgreSQL in one transaction each, held open before its end.
    let held = idx(&|u| u.holdable());
    let mut gos = Vec::new();
    let mut runs = Vec::new();
    for &i in &held {
        let (mut hold, ready, go) = crate::tools::pipeline::Hold::new();
        hold.expect = prep.units[i].unit.files.iter().find(|f| prep.streamed.contains(&f.name)).map(|f| f.digest());
        gos.push(go);
        states[i] = State::Running;
        runs.push((ready, native::restore(&prep.units[i], prep, opts, Some(hold), journal, live, sink, cancel)));
    }
    if !runs.is_empty() {
        let (readies, futs): (Vec<_>, Vec<_>) = runs.into_iter().unzip();
        let all = futures_util::future::join_all(futs);
        tokio::pin!(all);
        // Every unit at its gate, or one ended before it (it failed).
        let gates = async {
            for r in readies {
                if r.await.is_err() {
                    return false;
                }
            }
            true
        };
        let mut ended = None;
        let reached = tokio::select! {
            reached = gates => reached,
            r = &mut all => { ended = Some(r); false }
        };
        if reached {
            job::phase(sink, "committing", "Every unit is restored; committing the PostgreSQL transactions…");
            for (k, go) in gos.into_iter().enumerate() {
                states[held[k]] = State::Committing;
                let _ = go.send(true);
            }
        } else {
            drop(gos); // the held transactions roll back
        }
        let results = match ended {
            Some(r) => r,
            None => all.await,
        };
        for (k, r) in results.iter().enumerate() {
            states[held[k]] = if r.is_ok() { State::Committed } else { State::Failed };
        }
        // The real cause wins over the "rolled back because another failed" of the others.
        job::first_real_error(results)?;
    }
    // 4. The SQLite copies into place.
    for (i, tmp) in copies {
        sqlite::commit(&prep.units[i], &tmp, journal)?;
        states[i] = State::Committed;
    }
    Ok(())
}
