//! A backup inside a pause: every node paused, every unit's snapshot opened
//! (PostgreSQL's exported snapshot, the MySQL dump's consistent snapshot,
//! SQLite's read transaction), and the pause ended as soon as the last one is
//! open — nothing changes while every node is paused, so snapshots opened at
//! different instants inside it are one state. The dumps then go on from
//! their snapshots while ScalarDB runs again: the pause lasts milliseconds,
//! not the backup's duration. Storages restored by point-in-time recovery
//! (RDS/Azure, DynamoDB, Cosmos DB) keep the pause at least 5 s and take the
//! window as their restore point. A window that turns out unsafe (a node
//! unpaused early) fails the backup; the window is kept, marked.

use super::dump::{Gate, Go, Opened};
use super::{Backed, Backup, Prepared};
use crate::catalog::manifest::ManifestPause;
use crate::catalog::window::PauseWindow;
use crate::deployment::Deployments;
use crate::error::{Error, ErrorCode, Result};
use crate::job::{self, JobCtx};
use crate::pause::{self, PauseOptions};
use crate::profile::{DbKind, Flavor};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The shortest pause for storages restored by point-in-time recovery.
pub const PITR_MIN_HOLD: Duration = Duration::from_secs(5);

/// Whether some storage of the plan is restored to a point in time by its service.
fn needs_pitr_hold(prepared: &Prepared, ds: &Deployments) -> bool {
    ds.storage_profiles(&prepared.ctx.deployment)
        .map(|v| {
            v.iter().any(|(_, p)| {
                matches!(p.kind, DbKind::Dynamo | DbKind::Cosmos)
                    || matches!(p.flavor, Flavor::AmazonRds | Flavor::Azure)
            })
        })
        .unwrap_or(false)
}

/// Counts units that reached a point (ready, snapshot open); `all` waits for the last.
struct Count {
    n: usize,
    at: AtomicUsize,
    wake: tokio::sync::Notify,
}

impl Count {
    fn done(&self) -> usize {
        self.at.load(Ordering::SeqCst)
    }

    async fn all(&self) {
        loop {
            let w = self.wake.notified();
            if self.at.load(Ordering::SeqCst) >= self.n {
                return;
            }
            w.await;
        }
    }
}

/// A count and one signal per unit (each counts once).
fn counters(n: usize) -> (Arc<Count>, Vec<Opened>) {
    let c = Arc::new(Count { n, at: AtomicUsize::new(0), wake: tokio::sync::Notify::new() });
    let signals = (0..n)
        .map(|_| {
            let (c, once) = (c.clone(), Arc::new(AtomicBool::new(false)));
            Arc::new(move || {
                if !once.swap(true, Ordering::SeqCst) {
                    c.at.fetch_add(1, Ordering::SeqCst);
                    c.wake.notify_waiters();
                }
            }) as Opened
        })
        .collect();
    (c, signals)
}

/// Whether the backup is kept: its pause held (not aborted, the window
/// safe) and every dump succeeded; else the error that says why not.
fn outcome(
    d: &crate::deployment::Deployment,
    aborted: Option<&str>,
    dumped: &Result<()>,
    w: &PauseWindow,
) -> Result<()> {
    match (dumped, w.safe) {
        _ if aborted.is_some() => Err(Error::new(
            ErrorCode::Timeout,
            format!(
                "The pause was aborted ({}): every node was unpaused and the backup discarded. If the databases are slow to open a snapshot, raise the maximum pause (quiesce deployment edit {} --max-pause DURATION).",
                aborted.unwrap_or(""),
                d.name
            ),
        )),
        (Err(e), _) => Err(Error::new(e.code, e.message.clone())),
        (Ok(()), false) => Err(Error::new(
            ErrorCode::DatabaseError,
            format!(
                "The pause window is unsafe ({}): the snapshots may not be one state, so the backup is not kept.",
                w.problems.join("; ")
            ),
        )),
        (Ok(()), true) => Ok(()),
    }
}

/// A backup inside one pause (see the module's doc), in the job `ctx`.
pub async fn run(ds: &Deployments, prepared: Prepared, opts: &PauseOptions, ctx: &JobCtx) -> Result<Backed> {
    let (sink, cancel) = (ctx.sink.clone(), &ctx.cancel);
    let d = prepared.ctx.deployment.clone();
    let root = prepared.ctx.root.clone();
    let mut opts = *opts;
    if needs_pitr_hold(&prepared, ds) {
        opts.min_hold = opts.min_hold.max(PITR_MIN_HOLD);
    }
    // A pause that cannot stay within its bounds fails here, before a unit connects.
    opts.check(&d)?;
    let mut b: Backup = prepared.checked()?.start_in(ctx)?;
    let n = b.units().len();
    let (opening, signals) = counters(n);
    let (readying, ready_signals) = counters(n);
    let go = Go::new();
    let gates: Vec<Option<Gate>> = ready_signals.into_iter().map(|r| Some(Gate { ready: r, go: go.clone() })).collect();
    let dump_cancel = cancel.child_token();
    let (dumped, aborted, mut w) = {
        let dumps = b.dump_all(signals, gates, &sink, &dump_cancel);
        tokio::pin!(dumps);
        // Every unit connected and waiting at the start line before anything is paused.
        job::phase(&sink, "snapshots", format!("Connecting to {n} database(s) before pausing…"));
        tokio::select! {
            _ = readying.all() => {}
            r = &mut dumps => {
                // A unit failed before any node was paused.
                return Err(r.err().unwrap_or_else(|| Error::internal("a unit ended before the pause")));
            }
        }
        let dumps_ref = &mut dumps;
        let inside = pause::around(ds, &d, "backup", &opts, &root, ctx, async |paused| {
            go.release();
            job::phase(&sink, "snapshots", format!("Opening the snapshots of {n} database(s) inside the pause…"));
            // The pause ends when every snapshot is open (and the minimum held),
            // at once when a dump fails, and at the latest at the maximum pause:
            // a snapshot that has not opened by then fails the backup.
            let (mut finished, mut aborted) = (None, None);
            tokio::select! {
                _ = opening.all() => {}
                r = &mut *dumps_ref => finished = Some(r),
                _ = tokio::time::sleep_until(paused.deadline()) => {
                    aborted = Some(format!(
                        "{} of {n} snapshot(s) had not opened when the pause reached its maximum of {:.1} s",
                        n - opening.done(),
                        paused.bounds().max_pause.as_secs_f64()
                    ));
                    dump_cancel.cancel();
                }
            }
            if finished.is_none() && aborted.is_none() {
                let left = opts.min_hold.saturating_sub(paused.elapsed());
                if !left.is_zero() {
                    job::phase(
                        &sink,
                        "holding",
                        format!(
                            "Holding the pause {:.1} s more (a point-in-time restore point needs a window)…",
                            left.as_secs_f64()
                        ),
                    );
                    tokio::select! {
                        _ = tokio::time::sleep(left) => {}
                        r = &mut *dumps_ref => finished = Some(r),
                    }
                }
            }
            // Hooks run inside the window too (a Cassandra snapshot beside the dumps).
            let hooks = finished.is_none() && aborted.is_none();
            Ok(pause::Inside { value: (finished, aborted.clone()), aborted, hooks })
        })
        .await;
        let ((finished, aborted), w) = match inside {
            Ok(x) => x,
            Err(e) => {
                dump_cancel.cancel();
                let _ = dumps.await;
                return Err(e);
            }
        };
        let dumped = match finished {
            Some(r) => r,
            None => dumps.await,
        };
        (dumped, aborted, w)
    };
    if let Err(e) = outcome(&d, aborted.as_deref(), &dumped, &w) {
        if w.status == "ok" {
            w.fail(&format!("the backup failed: {}", e.message.lines().next().unwrap_or("")));
        }
        let _ = w.save(&root);
        ctx.leaves(w.id.clone());
        return Err(e);
    }
    let (Some(started_at), Some(ended_at)) = (w.started_at, w.ended_at) else {
        return Err(Error::internal("a window that held has its times"));
    };
    let pause = ManifestPause { window_id: w.id.clone(), started_at, ended_at };
    let (dir, manifest) = b.seal_in(Some(pause), &w.positions, &sink).await?;
    w.backup_id = Some(manifest.id.clone());
    w.save(&root)?;
    Ok(Backed { dir, manifest, paused: Some((w.paused_ms.unwrap_or(0.0), w.nodes.len())) })
}
