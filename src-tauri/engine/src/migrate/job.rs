//! The migration job: one consistent read of the source deployment (one
//! snapshot per database, opened inside a pause when there are several), the
//! target layout built from `<sys>.metadata` (layout.rs), the checks that stop
//! it before anything is written (names, key sizes, collisions, a target that
//! already holds the namespaces), the copy of every row with its Consensus
//! Commit columns, and the proof: per table the row count and a fingerprint
//! over the canonical key order on both sides, and the consistency audit on
//! the target giving what it gave on the source.
//!
//! Everything created on a target is owned through the job's journal
//! (owned.rs): a failed or cancelled migration drops it, and when the target
//! could not be reached for that, the next run (or `--cleanup`) does.
//!
//! The phases, each in its file: connect.rs (targets, sources, snapshots),
//! checks.rs (everything that must hold before a write), copy.rs (copy,
//! proof, audit), properties.rs (the new database.properties), sql.rs (what
//! differs per engine), plan.rs (what the CLI prints and the app receives).

use super::checks::{check_all, empty_plan};
use super::connect::{Move, Source, Target};
use super::copy::copy_and_prove;
use super::from_backup::FromBackup;
use super::layout::{Engine, Version};
pub use super::owned::cleanup;
use super::owned::drop_created;
pub use super::plan::{ColumnPlan, MigrateOptions, MigrationPlan, MigrationResult, TablePlan, TableProof, TargetPlan};
use super::properties::key_size_in_properties;
use crate::deployment::{Deployment, Deployments};
use crate::error::{Error, Result};
use crate::job::journal::Owned;
use crate::job::{self, Sink};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// Everything opened and checked: what `run` copies, or what `--dry-run` shows.
pub struct Prepared {
    pub(super) plan: MigrationPlan,
    pub(super) d: Deployment,
    pub(super) home: crate::paths::Home,
    pub(super) sources: Vec<Source>,
    pub(super) targets: Vec<Target>,
    pub(super) moves: Vec<Move>,
    pub(super) version: Version,
    pub(super) paused_ms: Option<f64>,
    pub(super) started: Instant,
    /// Reading from a backup: its scratch databases are emptied when this ends.
    pub(super) from: Option<(FromBackup, Deployments)>,
    /// SQLite files that did not exist before this migration opened them: gone
    /// again unless it completes (a refusal, a dry run or a failure leaves no
    /// empty file where it said nothing was written).
    pub(super) new_files: Vec<PathBuf>,
    /// The migration completed: its new files stay.
    pub(super) keep_new_files: bool,
    /// The targets' locks (profile id, lock), held while the job writes.
    pub(super) locks: Vec<(String, std::fs::File)>,
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

/// Connects, opens the snapshots (inside a pause when the source spans
/// several databases), reads the metadata and makes every check. In a `job`
/// (not a dry run), what an earlier run left on the targets is dropped first
/// and a pause is taken where one is needed.
pub(super) async fn prepare(
    ds: &Deployments,
    deployment: &str,
    opts: &MigrateOptions,
    job: Option<&job::JobCtx>,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<Prepared> {
    let started = Instant::now();
    let d = ds.get(deployment)?;
    let home = ds.home().clone();
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
            let (d2, st, fb) = super::from_backup::open(ds, &d, b, opts, job, sink, cancel).await?;
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
        locks: vec![],
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
            outcome: crate::history::Outcome::Ok,
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
    let spec =
        job::JobSpec::new(crate::history::OpKind::Migrate, &d.name, format!("migration of deployment {}", d.name));
    job::run(ds.home(), spec, sink.clone(), cancel, async |ctx| {
        let p = prepare(ds, deployment, opts, Some(ctx), sink, cancel).await?;
        run(ds, p, ctx).await
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
async fn run(ds: &Deployments, p: Prepared, ctx: &job::JobCtx) -> Result<MigrationResult> {
    if let Some(e) = job::cannot_start(
        &format!("The migration of \"{}\"", p.plan.deployment),
        "; nothing was written",
        &p.plan.checks,
    ) {
        p.close().await;
        return Err(e);
    }
    let mut p = p;
    let live = ctx.progress("copying");
    live.rows_total.store(p.moves.iter().map(|m| m.rows).sum(), Ordering::Relaxed);
    live.tables_total.store(p.moves.len() as u32, Ordering::Relaxed);
    let r = tokio::select! {
        r = copy_and_prove(&mut p, ctx, &live) => r,
        _ = ctx.cancel.cancelled() => Err(Error::cancelled_job()),
    };
    match r {
        Ok((proofs, source_audit, target_audit)) => {
            // Completed: what it created is the migrated deployment's now.
            if let Err(e) = ctx.journal.release_entry(|o| matches!(o, Owned::TargetObject { .. })) {
                // The data is migrated. The entries are gone from the journal
                // in memory already, so it is removed when the job ends.
                tracing::warn!("{}", e.message);
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
            live.set_phase("cleanup");
            job::phase(&ctx.sink, "cleanup", "Dropping what the migration created on the target…");
            let left = drop_created(ds, &ctx.journal, std::mem::take(&mut p.targets)).await;
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
