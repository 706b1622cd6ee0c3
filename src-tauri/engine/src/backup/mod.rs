//! Consistent backups that really run. A backup covers every snapshot unit
//! (database) of a deployment's plan: PostgreSQL with pg_dump in a snapshot
//! Quiesce exported and counted in, MySQL/MariaDB with one
//! --single-transaction dump of every ScalarDB database (or mydumper),
//! SQLite with the online backup API inside one read transaction.
//!
//! A backup is [`Prepared`] (the deployment's lock taken, every unit
//! discovered and checked), [`Backup::start`]ed (its folder
//! `<root>/<deployment>/<id>.partial`, owned by the job's journal), each
//! unit dumped ([`Backup::dump_unit`]: every file hashed as it is written and
//! fsynced), then sealed once ([`Backup::seal`]: the manifest last, then the
//! folder renamed to `<id>`). Any failure or cancel removes the partial
//! folder, so nothing that looks complete is ever left behind. [`run`] does
//! all of it for deployments that need no pause; a deployment whose plan
//! needs explicit pausing is refused there (the pause job wraps these steps).

mod dump;
mod mydumper;
mod mysql;
mod paused;
pub mod pgarchive;
mod postgres;
mod prepare;
mod seal;
pub mod sqlcount;
mod sqlite;

/// Bytes of the files in a folder a tool writes itself (progress, the stall watch).
pub(crate) use dump::dir_bytes;

use crate::catalog::{
    self,
    manifest::{self, Manifest, PARTIAL_SUFFIX},
    window::LogBasis,
};
use crate::deployment::Deployments;
use crate::error::{Error, Result};
use crate::history::OpKind;
use crate::job::{self, Journal, Live, Owned, Sink, Ticker};
use crate::pause::PauseOptions;
use crate::plan::commands::DumpFormat;
use crate::plan::{Method, Plan};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

pub use crate::job::{Check, JobEvent, Progress};
pub use prepare::UnitCtx;

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
pub struct BackupOptions {
    #[serde(default)]
    pub format: DumpFormat,
    /// pg_dump -j for the directory format.
    pub jobs: Option<u32>,
    /// Root folder for this backup (default: the catalog's root).
    pub out: Option<String>,
    /// The longest pause for this backup, in ms (default: the deployment's).
    #[serde(default)]
    #[ts(type = "number | null")]
    pub max_pause_ms: Option<u64>,
}

/// What `--dry-run` prints and what a backup checks before it starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Preflight {
    pub deployment: String,
    pub plan: Plan,
    /// Every unit's checks (named `<unit>: <check>` when there are several).
    pub checks: Vec<Check>,
    /// The commands that will run, one per unit (secrets never in them).
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

/// The checks and the commands, without running anything.
pub async fn dry_run(
    ds: &Deployments,
    deployment: &str,
    opts: &BackupOptions,
    cancel: &CancellationToken,
) -> Result<Preflight> {
    Ok(prepare::prepare(ds, deployment, opts, cancel).await?.1)
}

/// A backup whose checks passed, the deployment's lock held; nothing written yet.
pub struct Prepared {
    ds: Deployments,
    opts: BackupOptions,
    ctx: prepare::Context,
    preflight: Preflight,
    lock: std::fs::File,
}

impl Prepared {
    /// Takes the deployment's lock (one backup per deployment, across the
    /// app and any CLI), discovers and checks every unit Quiesce dumps.
    pub async fn new(
        ds: &Deployments,
        deployment: &str,
        opts: &BackupOptions,
        cancel: &CancellationToken,
    ) -> Result<Prepared> {
        let d = ds.get(deployment)?;
        let lock = crate::paths::try_lock(ds.home(), &format!("backup-{}", d.id), || {
            format!(
                "A backup of deployment \"{}\" is already running (in the app or a CLI). Wait for it to finish.",
                d.name
            )
        })?;
        let (ctx, preflight) = prepare::prepare(ds, deployment, opts, cancel).await?;
        Ok(Prepared { ds: ds.clone(), opts: opts.clone(), ctx, preflight, lock })
    }

    /// Refuses when a check failed (the first failed check's code).
    pub fn checked(self) -> Result<Prepared> {
        match job::cannot_start(&format!("The backup of \"{}\"", self.ctx.deployment.name), "", &self.preflight.checks)
        {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    pub fn plan(&self) -> &Plan {
        &self.ctx.plan
    }

    pub fn preflight(&self) -> &Preflight {
        &self.preflight
    }

    /// Starts writing outside a job (with a journal and a progress ticker of
    /// its own): see [`Prepared::start_in`].
    pub fn start(self, sink: &Sink) -> Result<Backup> {
        let name = self.ctx.deployment.name.clone();
        let journal = Arc::new(Journal::begin(self.ds.home(), "backup", format!("backup of deployment {name}"))?);
        let live = Arc::new(Live::new("dumping"));
        let ticker = Ticker::start(&live, sink);
        self.begin(journal, live, Some(ticker))
    }

    /// Starts writing in a job: the backup's id, its partial folder (owned by
    /// the job's journal from before it exists), the job's progress.
    pub fn start_in(self, ctx: &job::JobCtx) -> Result<Backup> {
        let live = ctx.progress("dumping");
        self.begin(ctx.journal.clone(), live, None)
    }

    fn begin(self, journal: Arc<Journal>, live: Arc<Live>, ticker: Option<Ticker>) -> Result<Backup> {
        let home = self.ds.home();
        let started_at = chrono::Utc::now();
        let id = format!("{}-{}", started_at.format("%Y%m%dT%H%M%SZ"), &uuid::Uuid::new_v4().simple().to_string()[..6]);
        let name = self.ctx.deployment.name.clone();
        let final_dir = crate::paths::inside(&self.ctx.root, &[&name, &id])?;
        let partial = crate::paths::inside(&self.ctx.root, &[&name, &format!("{id}{PARTIAL_SUFFIX}")])?;
        catalog::remember_root(home, &self.ctx.root)?;
        journal.own(Owned::Partial { path: partial.clone() })?;
        crate::paths::create_private_dir(&partial)?;
        let units = self.ctx.units.len();
        Ok(Backup {
            prepared: self,
            id,
            started_at,
            partial,
            final_dir,
            journal,
            live,
            ticker,
            done: (0..units).map(|_| None).collect(),
        })
    }
}

/// A backup being written.
pub struct Backup {
    prepared: Prepared,
    id: String,
    started_at: chrono::DateTime<chrono::Utc>,
    partial: PathBuf,
    final_dir: PathBuf,
    journal: Arc<Journal>,
    live: Arc<Live>,
    ticker: Option<Ticker>,
    done: Vec<Option<manifest::ManifestUnit>>,
}

impl Backup {
    pub fn units(&self) -> &[UnitCtx] {
        &self.prepared.ctx.units
    }

    /// The job's journal (a pause taken for this backup is owned there too).
    pub fn journal(&self) -> &Arc<Journal> {
        &self.journal
    }

    /// Dumps unit `i` into the backup (its own folder when there are several).
    pub async fn dump_unit(&mut self, i: usize, sink: &Sink, cancel: &CancellationToken) -> Result<()> {
        self.done[i] = Some(self.dump_one(i, None, None, sink, cancel).await?);
        Ok(())
    }

    /// Dumps every unit at once; `opened[i]` is told when unit i's snapshot
    /// is open (a pause ends once every one is). The first failure ends them all.
    pub async fn dump_all(
        &mut self,
        opened: Vec<dump::Opened>,
        gates: Vec<Option<dump::Gate>>,
        sink: &Sink,
        cancel: &CancellationToken,
    ) -> Result<()> {
        let stop = cancel.child_token();
        let me = &*self;
        let runs = opened.into_iter().zip(gates).enumerate().map(|(i, (o, g))| {
            let stop = stop.clone();
            async move {
                let r = me.dump_one(i, Some(o), g, sink, &stop).await;
                if r.is_err() {
                    stop.cancel();
                }
                r
            }
        });
        let results = futures_util::future::join_all(runs).await;
        self.done = job::first_real_error(results)?.into_iter().map(Some).collect();
        Ok(())
    }

    async fn dump_one(
        &self,
        i: usize,
        opened: Option<dump::Opened>,
        gate: Option<dump::Gate>,
        sink: &Sink,
        cancel: &CancellationToken,
    ) -> Result<manifest::ManifestUnit> {
        let several = self.units().len() > 1;
        let unit = &self.prepared.ctx.units[i];
        let dir = if several { crate::paths::inside(&self.partial, &[&unit.unit.id])? } else { self.partial.clone() };
        crate::paths::create_private_dir(&dir)?;
        let password = self.prepared.ds.secret_of(&unit.profile).await?;
        let job = dump::Dump {
            unit,
            opts: &self.prepared.opts,
            password: password.as_ref(),
            dir: &dir,
            prefix: if several { format!("{}/", unit.unit.id) } else { String::new() },
            live: &self.live,
            sink,
            cancel,
            journal: &self.journal,
            opened,
            gate,
        };
        let r = dump::dump_unit(&job).await;
        // A tool that never said its snapshot was open held the pause to its end.
        job.snapshot_open();
        r
    }

    /// Writes the manifest and renames the folder: the backup is complete.
    pub async fn seal(self, sink: &Sink) -> Result<(PathBuf, Manifest)> {
        self.seal_in(None, &[], sink).await
    }

    /// Seals a backup taken inside a pause window (recorded in its manifest).
    /// Seals it; inside a pause, each unit keeps its database's log position.
    pub async fn seal_in(
        mut self,
        pause: Option<manifest::ManifestPause>,
        positions: &[crate::catalog::window::LogPosition],
        sink: &Sink,
    ) -> Result<(PathBuf, Manifest)> {
        if let Some(t) = self.ticker.take() {
            t.finish();
        }
        let units: Vec<manifest::ManifestUnit> = self
            .done
            .into_iter()
            .enumerate()
            .map(|(i, u)| u.ok_or_else(|| Error::internal(format!("unit {} was not dumped", i + 1))))
            .map(|u| {
                u.map(|mut u| {
                    // The dump's own snapshot position is exactly where its data
                    // ends; otherwise the pause's (nothing committed in it) beats
                    // one read beside the snapshot.
                    let paused = positions.iter().find(|p| p.profile == u.profile).map(|p| p.at.clone());
                    if u.log_basis != Some(LogBasis::Snapshot) {
                        if let Some(at) = paused {
                            (u.log_position, u.log_basis) = (Some(at), Some(LogBasis::Pause));
                        }
                    }
                    u
                })
            })
            .collect::<Result<_>>()?;
        let s = seal::Seal {
            ctx: &self.prepared.ctx,
            id: &self.id,
            started_at: self.started_at,
            partial: &self.partial,
            final_dir: &self.final_dir,
            journal: &self.journal,
            live: &self.live,
        };
        let m = s.seal(units, pause, sink)?;
        drop(self.prepared.lock);
        Ok((self.final_dir, m))
    }
}

/// A backup that completed, as the job runner records it.
pub struct Backed {
    pub dir: PathBuf,
    pub manifest: Manifest,
    /// Its pause, when one was taken: (milliseconds, nodes).
    pub paused: Option<(f64, usize)>,
}

impl job::Recorded for Backed {
    fn record(&self) -> job::Record {
        let m = &self.manifest;
        job::Record {
            what: match self.paused {
                Some((ms, nodes)) => {
                    format!("backup of {} inside a pause of {ms:.0} ms ({nodes} node(s))", m.deployment)
                }
                None => format!("backup of {} ({})", m.deployment, crate::size::human(m.total_bytes())),
            },
            outcome: crate::history::Outcome::Ok,
            entry: Some(m.id.clone()),
            done: format!(
                "Backup {} complete: {} in {}",
                m.id,
                crate::size::human(m.total_bytes()),
                self.dir.display()
            ),
        }
    }
}

/// Runs a backup of a deployment (inside a pause when its plan says so).
/// Events stream to `sink`; the result is the manifest of a complete
/// backup, or an error with nothing left behind.
pub async fn run(
    ds: &Deployments,
    deployment: &str,
    opts: &BackupOptions,
    sink: Sink,
    cancel: &CancellationToken,
) -> Result<(PathBuf, Manifest)> {
    let d = ds.get(deployment)?;
    let spec = job::JobSpec::new(OpKind::Backup, &d.name, format!("backup of deployment {}", d.name));
    let b = job::run(ds.home(), spec, sink, cancel, async |ctx| {
        let sink = ctx.sink.clone();
        job::phase(&sink, "checks", format!("Discovering {deployment} and checking tools, space and output…"));
        let prepared = Prepared::new(ds, deployment, opts, cancel).await?;
        // (Unknown storages were refused by the preparation.)
        if prepared.plan().method == Method::Pause {
            let pause = PauseOptions {
                max_pause: opts.max_pause_ms.map(std::time::Duration::from_millis),
                ..Default::default()
            };
            return paused::run(ds, prepared, &pause, ctx).await;
        }
        let mut b = prepared.checked()?.start_in(ctx)?;
        for i in 0..b.units().len() {
            b.dump_unit(i, &sink, cancel).await?;
        }
        let (dir, manifest) = b.seal(&sink).await?;
        Ok(Backed { dir, manifest, paused: None })
    })
    .await?;
    Ok((b.dir, b.manifest))
}

/// The catalog root for listing (the default one).
pub fn catalog_root(ds: &Deployments) -> PathBuf {
    catalog::default_root(ds.home())
}
