//! Explicit pausing through Scalar Admin (the guide's "Back up with explicit
//! pausing"): every node of a deployment paused at once so that no
//! transaction is outstanding, each pause confirmed, and every node unpaused
//! on every path — success, error, cancel, a signal, a closed window; a
//! killed pauser's watchdog unpauses without waiting for anyone.
//!
//! Before pausing: every node is asked CheckPaused (a node someone else
//! paused is refused, named, and never unpaused), one pauser per node on
//! this machine (a lock, with who holds it), the job's journal names the
//! nodes, and the watchdog is running. A failed pause unpauses every node
//! that did pause — except one whose error says an earlier request still
//! holds its pause (`TIMED_OUT_STILL_PAUSED`). While paused the nodes are
//! polled: one found unpaused before Quiesce unpaused it makes the window
//! unsafe.

pub mod clock;
pub mod hooks;
pub mod positions;
pub mod watchdog;

use crate::admin::TlsFiles;
use crate::admin::{self, proto::reason, Client, Node, NodeError, Tls};
use crate::catalog::window::{self, NodeOutcome, PauseEnd};
use crate::deployment::Deployment;
use crate::error::{Error, ErrorCode, Result};
use crate::history::OpKind;
use crate::job::{self, Journal, Owned, Sink};
use crate::paths::Home;
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;
use watchdog::{Brief, Watchdog};

/// How a pause is held.
#[derive(Debug, Clone, Copy)]
pub struct PauseOptions {
    /// Pause's `max_pause_wait_time`: how long a node may drain its requests.
    pub max_wait: Duration,
    /// The shortest window (PITR restore points need one, e.g. 5 s).
    pub min_hold: Duration,
    /// The clock bound of services Quiesce cannot ask the time (DynamoDB, Cosmos DB).
    pub clock_bound: Duration,
    /// The longest pause, for this run (`--max-pause`); else the deployment's.
    pub max_pause: Option<Duration>,
}

impl Default for PauseOptions {
    fn default() -> Self {
        PauseOptions {
            max_wait: Duration::from_secs(30),
            min_hold: Duration::ZERO,
            clock_bound: Duration::from_secs(1),
            max_pause: None,
        }
    }
}

/// The longest `max_pause_wait_time` Quiesce asks for: while a node drains,
/// its gate is closed already (new transactions are refused).
pub const MAX_WAIT_CEILING: Duration = Duration::from_secs(300);

/// A pause's bounds for one deployment and run.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    pub max_pause: Duration,
    pub hook_limit: Duration,
}

impl PauseOptions {
    /// The bounds of a pause of `d` with these options.
    pub fn bounds(&self, d: &Deployment) -> Bounds {
        let max_pause = self.max_pause.unwrap_or_else(|| d.pause_limits.max_pause());
        Bounds { max_pause, hook_limit: d.pause_limits.hook_limit().min(max_pause) }
    }

    /// Refuses, before anything is paused, a pause that cannot stay within
    /// its bounds: the drain asked of each node, the minimum hold and the
    /// hooks against the longest pause, saying which setting to change.
    pub fn check(&self, d: &Deployment) -> Result<Bounds> {
        let b = self.bounds(d);
        let secs = |x: Duration| format!("{:.1} s", x.as_secs_f64());
        let raise = format!(
            "raise the deployment's maximum pause (quiesce deployment edit {} --max-pause DURATION, or the Deployments view), or give --max-pause for this run",
            d.name
        );
        if self.max_wait.is_zero() || self.max_wait > MAX_WAIT_CEILING {
            return Err(Error::invalid(format!(
                "--max-wait {} is outside 1 ms to {}: while a node drains its requests its gate is closed already.",
                secs(self.max_wait),
                secs(MAX_WAIT_CEILING)
            )));
        }
        if b.max_pause > crate::deployment::PauseLimits::CEILING || b.max_pause < Duration::from_millis(100) {
            return Err(Error::invalid(format!(
                "The maximum pause {} is outside 100 ms to 1 h: nothing was paused.",
                secs(b.max_pause)
            )));
        }
        if self.min_hold > b.max_pause {
            return Err(Error::invalid(format!(
                "The pause must hold at least {} but may last at most {} (the maximum pause): nothing was paused. Hold less, or {raise}.",
                secs(self.min_hold),
                secs(b.max_pause)
            )));
        }
        if !d.pause_hooks.is_empty() && self.min_hold + b.hook_limit > b.max_pause {
            return Err(Error::invalid(format!(
                "The pause would hold {} and then give the in-pause hooks up to {} (the hook limit), over the maximum pause of {}: nothing was paused. Lower the hook limit (--hook-limit), or {raise}.",
                secs(self.min_hold),
                secs(b.hook_limit),
                secs(b.max_pause)
            )));
        }
        Ok(b)
    }
}

/// The deployment's admin TLS, as files (journal, watchdog) and loaded.
pub fn tls_of(d: &Deployment) -> Result<Option<(TlsFiles, Tls)>> {
    if !d.admin_tls {
        return Ok(None);
    }
    let files = TlsFiles { ca_file: d.admin_ca_file.clone(), authority: d.admin_authority.clone() };
    let loaded = files.load()?;
    Ok(Some((files, loaded)))
}

/// One pauser per node on this machine, across the app and every CLI.
fn lock_nodes(home: &Home, nodes: &[Node], what: &str) -> Result<Vec<std::fs::File>> {
    let mut locks = Vec::new();
    for n in nodes {
        let key: String = n.addr.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        let holder = home.data_dir.join("locks").join(format!("pause-{key}.holder"));
        let lock = crate::paths::try_lock(home, &format!("pause-{key}"), || {
            let who = std::fs::read_to_string(&holder).unwrap_or_else(|_| "another Quiesce process".into());
            format!("{} is being paused by {} on this machine. Wait for it to end.", n.label(), who.trim())
        })?;
        let _ = std::fs::write(&holder, format!("{what} (process {})", std::process::id()));
        locks.push(lock);
    }
    Ok(locks)
}

async fn check_all(clients: &[Client]) -> Vec<std::result::Result<bool, NodeError>> {
    join_all(clients.iter().cloned().map(|mut c| async move { c.check_paused().await })).await
}

/// Pause attempts per node (ABORTED, a pause that lost a race, is retried).
const PAUSE_ATTEMPTS: u32 = 4;

/// Pauses one node: ABORTED (a pause that lost a race) is retried, bounded.
async fn pause_one(mut c: Client, max_wait: Duration) -> (u32, std::result::Result<(), NodeError>) {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match c.pause(max_wait).await {
            Err(e) if e.retryable() && attempts < PAUSE_ATTEMPTS => {
                tokio::time::sleep(Duration::from_millis(100 << attempts)).await;
            }
            r => return (attempts, r),
        }
    }
}

/// Nodes left paused by a killed pauser, but for those an earlier request
/// holds: checked and unpaused (in parallel, within the recovery's short
/// budget, so a hung node cannot hold up the command that runs it).
/// (Runs on a thread of its own: the start-up step is not async.)
pub fn unpause_left(nodes: &[Node], tls: Option<&TlsFiles>, skip: &[String]) -> Vec<watchdog::NodeUnpause> {
    let (nodes, tls, skip) = (nodes.to_vec(), tls.cloned(), skip.to_vec());
    let labels: Vec<String> = nodes.iter().map(Node::label).collect();
    let unknown = move |why: &str| {
        labels
            .iter()
            .map(|l| watchdog::NodeUnpause { node: l.clone(), outcome: watchdog::Unpaused::Unknown(why.into()) })
            .collect::<Vec<_>>()
    };
    let u2 = unknown.clone();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return u2("no runtime to reach the nodes");
        };
        let tls = tls.and_then(|t| t.load().ok());
        rt.block_on(watchdog::unpause_nodes(&nodes, tls.as_ref(), &skip, watchdog::Budget::RECOVERY, false))
    })
    .join()
    .unwrap_or_else(|_| unknown("the check of the nodes failed"))
}

/// A deployment whose every node Quiesce paused.
pub struct Paused {
    clients: Vec<Client>,
    tls: Option<Tls>,
    pub outcomes: Vec<NodeOutcome>,
    watchdog: Option<Watchdog>,
    _locks: Vec<std::fs::File>,
    /// The window's id (and the hooks' tag), chosen before the first Pause.
    pub window_id: String,
    /// After the last node confirmed its pause.
    pub started_at: DateTime<Utc>,
    started: Instant,
    bounds: Bounds,
    /// Nodes the poller found unpaused before Quiesce unpaused it.
    early: Arc<Mutex<Vec<String>>>,
    poller: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
}

impl Paused {
    /// Pauses every node of `d` (see the module's doc). Nothing stays paused
    /// when it fails; a pause that could not stay within its bounds is
    /// refused before any node is asked.
    pub async fn begin(
        home: &Home,
        d: &Deployment,
        journal: &Journal,
        opts: &PauseOptions,
        sink: &Sink,
        cancel: &CancellationToken,
    ) -> Result<Paused> {
        let bounds = opts.check(d)?;
        let tls = tls_of(d)?;
        let nodes = admin::resolve(&d.admin_endpoints).await?;
        let locks = lock_nodes(home, &nodes, &journal.what())?;
        let clients: Vec<Client> = nodes
            .iter()
            .map(|n| {
                Client::new(n, tls.as_ref().map(|t| &t.1))
                    .map_err(|e| Error::new(ErrorCode::ConnectionRefused, format!("{}: {e}", n.label())))
            })
            .collect::<Result<_>>()?;
        job::phase(sink, "pause", format!("Asking {} node(s) whether they are paused already…", nodes.len()));
        let states = check_all(&clients).await;
        let mut unreachable = Vec::new();
        let mut others = Vec::new();
        for (n, s) in nodes.iter().zip(&states) {
            match s {
                Ok(true) => others.push(n.label()),
                Ok(false) => {}
                Err(e) => unreachable.push(format!("{}: {e}", n.label())),
            }
        }
        if !unreachable.is_empty() {
            return Err(Error::new(
                ErrorCode::ConnectionRefused,
                format!("Cannot reach every Scalar Admin node, so nothing was paused:\n  {}", unreachable.join("\n  ")),
            ));
        }
        if !others.is_empty() {
            return Err(Error::new(
                ErrorCode::Busy,
                format!("{} is already paused by someone else (another workstation, a Kubernetes CronJob). Quiesce pauses nothing and does not unpause it: find who holds that pause.", others.join(", ")),
            ));
        }
        // The journal names the nodes and the watchdog runs before the first Pause.
        let (file, lock) = journal.paths();
        journal.own(Owned::Pause {
            deployment: d.name.clone(),
            nodes: nodes.clone(),
            tls: tls.as_ref().map(|t| t.0.clone()),
            watchdog: None,
            settled: false,
            hands_off: vec![],
        })?;
        // The watchdog's bound until every node is paused: every Pause's
        // drain and answer with its retries (ABORTED), the confirmation, a
        // margin. Once paused, `paused()` sets the pause's own.
        let bound = (opts.max_wait + admin::PAUSE_GRACE) * PAUSE_ATTEMPTS
            + Duration::from_millis(1500)
            + admin::CALL_TIMEOUT
            + Duration::from_secs(5);
        let mut watchdog = Watchdog::start(
            &Brief {
                nodes: nodes.clone(),
                tls: tls.as_ref().map(|t| t.0.clone()),
                journal: file,
                journal_lock: lock,
                what: journal.what(),
                lease_ms: Some(watchdog::LEASE.as_millis() as u64),
                bound_ms: Some(bound.as_millis() as u64),
            },
            &locks,
        )?;
        // Stopped between here and the first Pause, the watchdog may have acted already.
        if !watchdog.alive() {
            return Err(Error::internal("The watchdog ended before the first Pause, so nothing was paused."));
        }
        let now = Utc::now();
        let mut p = Paused {
            clients,
            tls: tls.as_ref().map(|t| t.1.clone()),
            outcomes: nodes.into_iter().map(NodeOutcome::new).collect(),
            watchdog: Some(watchdog),
            _locks: locks,
            window_id: window::PauseWindow::new_id(now),
            started_at: now,
            started: Instant::now(),
            bounds,
            early: Default::default(),
            poller: None,
        };
        job::phase(
            sink,
            "pause",
            format!(
                "Pausing {} node(s) (waiting up to {} s for their in-flight transactions; the pause may last {:.0} s at most)…",
                p.clients.len(),
                opts.max_wait.as_secs(),
                bounds.max_pause.as_secs_f64()
            ),
        );
        let pauses = join_all(p.clients.iter().cloned().map(|c| pause_one(c, opts.max_wait)));
        let results = tokio::select! {
            r = pauses => Some(r),
            _ = cancel.cancelled() => None,
        };
        let failed = match results {
            None => Some(Error::cancelled_job()),
            Some(results) => p.confirm(results).await,
        };
        if let Some(e) = failed {
            let said = p.unwind().await;
            return Err(Error::new(e.code, format!("{}\n{}", e.message, said)));
        }
        p.started_at = Utc::now();
        p.started = Instant::now();
        if let Some(w) = &p.watchdog {
            w.paused(bounds.max_pause);
        }
        p.poll();
        job::phase(
            sink,
            "paused",
            format!("Paused {} node(s) at {}", p.clients.len(), p.started_at.format("%H:%M:%S%.3f UTC")),
        );
        Ok(p)
    }

    /// Records each Pause's result and confirms every success with CheckPaused.
    async fn confirm(&mut self, results: Vec<(u32, std::result::Result<(), NodeError>)>) -> Option<Error> {
        let mut problems = Vec::new();
        for (o, (attempts, r)) in self.outcomes.iter_mut().zip(results) {
            o.attempts = attempts;
            if let Err(e) = r {
                problems.push(format!("{}: {e}", o.node.label()));
                o.error = Some(e);
            }
        }
        let states = check_all(&self.clients).await;
        for (o, s) in self.outcomes.iter_mut().zip(states) {
            match (o.error.is_none(), s) {
                (true, Ok(true)) => o.paused = true,
                // Some ScalarDB Cluster releases reported a pause as done while the node
                // stayed unpaused (fixed in 3.15.9, 3.16.6, 3.17.4 and 3.18.1).
                (true, Ok(false)) => {
                    problems.push(format!("{}: Pause returned, but the node is not paused (a ScalarDB release with the pause bug: upgrade it)", o.node.label()));
                    o.note = Some("reported paused but was not".into());
                }
                (true, Err(e)) => problems.push(format!("{}: its pause cannot be confirmed ({e})", o.node.label())),
                (false, _) => {}
            }
        }
        (!problems.is_empty()).then(|| {
            let code = if self.outcomes.iter().any(|o| o.error.as_ref().is_some_and(|e| e.status == "deadline")) {
                ErrorCode::Timeout
            } else {
                ErrorCode::DatabaseError
            };
            Error::new(code, format!("The pause failed:\n  {}", problems.join("\n  ")))
        })
    }

    /// After a failed pause: every node is unpaused (its state unknown or
    /// not: an Unpause of an unpaused node is harmless), except one an
    /// earlier request still holds (`TIMED_OUT_STILL_PAUSED`), which the
    /// watchdog is told to leave too. Says what it did.
    async fn unwind(mut self) -> String {
        let held: Vec<String> = self
            .outcomes
            .iter()
            .filter(|o| o.error.as_ref().is_some_and(|e| e.is(reason::TIMED_OUT_STILL_PAUSED)))
            .map(|o| o.node.addr.clone())
            .collect();
        if let Some(w) = &self.watchdog {
            for a in &held {
                w.skip(a);
            }
        }
        let nodes: Vec<Node> = self.outcomes.iter().map(|o| o.node.clone()).collect();
        // A Pause may still be on its way (cancelled, or given up at its deadline).
        let said = watchdog::unpause_nodes(&nodes, self.tls.as_ref(), &held, watchdog::Budget::OPERATOR, true).await;
        for (o, u) in self.outcomes.iter_mut().zip(&said) {
            o.unpaused = matches!(u.outcome, watchdog::Unpaused::Done | watchdog::Unpaused::WasNotPaused);
        }
        let (line, settled) = watchdog::summary(&said);
        if let Some(w) = self.watchdog.take() {
            if settled {
                w.done();
            } // else dropped: the watchdog keeps trying
        }
        format!("Nodes: {line}")
    }

    /// Polls every node while paused: one found unpaused makes the window unsafe.
    fn poll(&mut self) {
        let (clients, early, stop) = (self.clients.clone(), self.early.clone(), CancellationToken::new());
        let s2 = stop.clone();
        let h = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = s2.cancelled() => return,
                    _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                }
                let states = join_all(
                    clients
                        .iter()
                        .cloned()
                        .map(|mut c| async move { c.check_paused_within(Duration::from_secs(1)).await }),
                )
                .await;
                for (c, st) in clients.iter().zip(states) {
                    if let Ok(false) = st {
                        let mut e = early.lock().unwrap();
                        let line = format!("{} was found unpaused at {} before Quiesce unpaused it (restarted, or unpaused by another pauser)", c.node.label(), Utc::now().format("%H:%M:%S%.3f UTC"));
                        if !e.iter().any(|l| l.starts_with(&c.node.label())) {
                            e.push(line);
                        }
                    }
                }
            }
        });
        self.poller = Some((stop, h));
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    pub fn bounds(&self) -> Bounds {
        self.bounds
    }

    /// How long the pause may still last.
    pub fn remaining(&self) -> Duration {
        self.bounds.max_pause.saturating_sub(self.started.elapsed())
    }

    /// When the pause must end (the deployment's maximum pause).
    pub fn deadline(&self) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.started + self.bounds.max_pause)
    }

    /// Nodes found unpaused so far.
    pub fn problems(&self) -> Vec<String> {
        self.early.lock().unwrap().clone()
    }

    /// Unpauses every node (in parallel, bounded) and ends the pause; the
    /// window's end is taken just before the first Unpause. `aborted`: why the
    /// caller cut it short (its maximum reached while waiting).
    pub async fn end(mut self, journal: &Journal, sink: &Sink, aborted: Option<String>) -> PauseEnd {
        // The poller may be waiting on a node that does not answer: dropped, not waited for.
        if let Some((stop, h)) = self.poller.take() {
            stop.cancel();
            h.abort();
        }
        let ended_at = Utc::now();
        let paused_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let nodes: Vec<Node> = self.outcomes.iter().map(|o| o.node.clone()).collect();
        let said = watchdog::unpause_nodes(&nodes, self.tls.as_ref(), &[], watchdog::Budget::OPERATOR, false).await;
        let mut problems = self.early.lock().unwrap().clone();
        for (o, u) in self.outcomes.iter_mut().zip(&said) {
            match &u.outcome {
                watchdog::Unpaused::Done | watchdog::Unpaused::WasNotPaused => o.unpaused = true,
                other => {
                    problems.push(format!(
                        "{} — unpause it now: quiesce unpause <deployment>, or restart that node",
                        u.line()
                    ));
                    o.error = Some(NodeError {
                        status: "unpause".into(),
                        reason: None,
                        message: match other {
                            watchdog::Unpaused::Unknown(why) => why.clone(),
                            _ => "still paused after every Unpause".into(),
                        },
                    });
                }
            }
        }
        // A pauser that was stopped or frozen past its lease: its watchdog
        // unpaused the nodes meanwhile, so this was no single window.
        let mut aborted = aborted;
        if let Some((silence, acted)) = self.watchdog.as_ref().and_then(Watchdog::lapsed) {
            aborted.get_or_insert(format!(
                "Quiesce was stopped or frozen for {:.1} s while holding the pause (its lease is {:.0} s){}",
                silence.as_secs_f64(),
                watchdog::LEASE.as_secs_f64(),
                acted.map(|a| format!("; its watchdog acted: {a}")).unwrap_or_default()
            ));
        }
        if aborted.is_none() && paused_ms > self.bounds.max_pause.as_secs_f64() * 1000.0 + 1000.0 {
            aborted = Some(format!(
                "the pause lasted {:.1} s, over its maximum of {:.1} s",
                paused_ms / 1000.0,
                self.bounds.max_pause.as_secs_f64()
            ));
        }
        let all = self.outcomes.iter().all(|o| o.unpaused);
        if let Some(w) = self.watchdog.take() {
            if all {
                w.done();
                let _ = journal.release_entry(|o| matches!(o, Owned::Pause { .. }));
            } // else dropped: the watchdog keeps unpausing
        }
        job::phase(
            sink,
            "unpaused",
            format!("Unpaused after {paused_ms:.0} ms{}", if all { "" } else { " — NOT EVERY NODE" }),
        );
        PauseEnd {
            window_id: self.window_id.clone(),
            started_at: self.started_at,
            ended_at,
            paused_ms,
            outcomes: self.outcomes.clone(),
            problems,
            aborted,
        }
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        // Ended without `end` (a panic, a dropped future): the watchdog, told
        // nothing, unpauses every node as its pipe closes.
        if let Some((stop, _)) = self.poller.take() {
            stop.cancel();
        }
    }
}

/// Each node's state (`quiesce nodes D`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NodeState {
    pub node: Node,
    pub paused: Option<bool>,
    pub error: Option<NodeError>,
}

pub async fn nodes_state(d: &Deployment) -> Result<Vec<NodeState>> {
    let tls = tls_of(d)?;
    let nodes = admin::resolve(&d.admin_endpoints).await?;
    let mut clients = Vec::new();
    for n in &nodes {
        clients.push(
            Client::new(n, tls.as_ref().map(|t| &t.1))
                .map_err(|e| Error::new(ErrorCode::ConnectionRefused, format!("{}: {e}", n.label())))?,
        );
    }
    Ok(nodes
        .into_iter()
        .zip(check_all(&clients).await)
        .map(|(node, r)| match r {
            Ok(p) => NodeState { node, paused: Some(p), error: None },
            Err(e) => NodeState { node, paused: None, error: Some(e) },
        })
        .collect())
}

/// Unpauses every node of a deployment (`quiesce unpause D`, for operators):
/// every node gets its Unpause, whether or not its state can be read, and the
/// history says "ok" only when every node answered unpaused.
pub async fn unpause_deployment(home: &Home, d: &Deployment) -> Result<Vec<NodeState>> {
    struct Unpause(String, bool);
    impl job::Recorded for Unpause {
        fn record(&self) -> job::Record {
            job::Record {
                what: self.0.clone(),
                outcome: if self.1 { crate::history::Outcome::Ok } else { crate::history::Outcome::Failed },
                entry: None,
                done: self.0.clone(),
            }
        }
    }
    let spec = job::JobSpec::new(OpKind::Unpause, &d.name, format!("unpause of deployment {}", d.name));
    let quiet: Sink = std::sync::Arc::new(|_| {});
    job::run(home, spec, quiet, &CancellationToken::new(), async |_ctx| {
        let tls = tls_of(d)?;
        let nodes = admin::resolve(&d.admin_endpoints).await?;
        let _locks = lock_nodes(home, &nodes, &format!("unpause of deployment {}", d.name))?;
        let said =
            watchdog::unpause_nodes(&nodes, tls.as_ref().map(|t| &t.1), &[], watchdog::Budget::OPERATOR, false).await;
        let (line, settled) = watchdog::summary(&said);
        Ok(Unpause(line, settled))
    })
    .await?;
    nodes_state(d).await
}

/// The clock offset of every database of a deployment Quiesce can ask; a
/// bound for the services it cannot (DynamoDB, Cosmos DB).
pub async fn offsets(
    ds: &crate::deployment::Deployments,
    d: &Deployment,
    opts: &PauseOptions,
) -> Vec<clock::ClockOffset> {
    let mut out = Vec::new();
    let Ok(storages) = ds.storage_profiles(d) else { return out };
    let mut seen = Vec::new();
    for (s, p) in storages {
        if seen.contains(&p.id) {
            continue;
        }
        seen.push(p.id.clone());
        use crate::profile::DbKind;
        match p.kind {
            DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite => {
                let pw = ds.secret_of(&p).await.ok().flatten();
                out.push(clock::measure(&p, pw.as_ref()).await);
            }
            DbKind::Dynamo | DbKind::Cosmos => out.push(clock::bounded(&s.name, opts.clock_bound)),
            // Cassandra and the others are restored from in-pause snapshots, not by time.
            _ => {}
        }
    }
    out
}

/// The passwords of the deployment's profiles, cut out of what its hooks
/// print; read before pausing (a keyring that prompts or hangs must not hold
/// a pause).
pub async fn hook_secrets(ds: &crate::deployment::Deployments, d: &Deployment) -> Vec<crate::Sensitive<String>> {
    let mut secrets = Vec::new();
    if d.pause_hooks.is_empty() {
        return secrets;
    }
    for (_, prof) in ds.storage_profiles(d).unwrap_or_default() {
        if let Ok(Some(s)) = ds.secret_of(&prof).await {
            secrets.push(s);
        }
    }
    secrets
}

/// The deployment's in-pause hooks, run while every node is paused, each
/// within the hook limit and what is left of the pause; `secrets` are cut out
/// of what they printed before it is kept.
pub async fn run_hooks(
    d: &Deployment,
    p: &Paused,
    secrets: &[crate::Sensitive<String>],
    sink: &Sink,
    cancel: &CancellationToken,
) -> Vec<hooks::HookRun> {
    if d.pause_hooks.is_empty() {
        return vec![];
    }
    let limit = p.bounds().hook_limit.min(p.remaining());
    job::phase(
        sink,
        "hooks",
        format!("Running {} in-pause hook(s) (at most {:.1} s)…", d.pause_hooks.len(), limit.as_secs_f64()),
    );
    hooks::run_all(&d.pause_hooks, &window::PauseWindow::tag_of(&p.window_id), limit, secrets, cancel).await
}

/// What a body run inside a pause says when it returns.
pub struct Inside<T> {
    pub value: T,
    /// Why it cut the pause short (its maximum reached): the window fails.
    pub aborted: Option<String>,
    /// Whether the deployment's in-pause hooks run before the pause ends (not
    /// when what the pause was for has failed already).
    pub hooks: bool,
}

/// One pause around `body`, for every job that pauses (a backup, a
/// migration's snapshots, a pause held for a restore point): the bounds
/// checked before any node is asked, the hooks' secrets read before pausing,
/// every node paused (the job's journal and watchdog, see [`Paused`]), the
/// body run inside, the hooks, every node unpaused, and the window — its
/// clocks, hooks and outcome — kept in the catalog under `root`. A pause
/// that never held leaves a failed window, which the job's history names.
#[allow(clippy::too_many_arguments)]
pub async fn around<T>(
    ds: &crate::deployment::Deployments,
    d: &Deployment,
    purpose: &str,
    opts: &PauseOptions,
    root: &std::path::Path,
    ctx: &job::JobCtx,
    body: impl AsyncFnOnce(&Paused) -> Result<Inside<T>>,
) -> Result<(T, window::PauseWindow)> {
    opts.check(d)?;
    let secrets = hook_secrets(ds, d).await;
    // Connected before the pause; read once every node confirmed it.
    let mut logs = positions::Readers::open(ds, d).await;
    let p = match Paused::begin(&ctx.home, d, &ctx.journal, opts, &ctx.sink, &ctx.cancel).await {
        Ok(p) => p,
        Err(e) => {
            logs.finish(&mut []).await;
            let w = window::PauseWindow::failed(d, purpose, &e.message);
            let _ = w.save(root);
            ctx.leaves(w.id);
            return Err(e);
        }
    };
    // Beside the body, so a slow database never holds up what the pause is for.
    let (mut at, inside) = tokio::join!(logs.read(p.remaining()), body(&p));
    let runs = match &inside {
        Ok(i) if i.hooks && i.aborted.is_none() => run_hooks(d, &p, &secrets, &ctx.sink, &ctx.cancel).await,
        _ => vec![],
    };
    let aborted = inside.as_ref().ok().and_then(|i| i.aborted.clone());
    let end = p.end(&ctx.journal, &ctx.sink, aborted).await;
    logs.finish(&mut at).await;
    let mut w =
        window::PauseWindow::of(d, purpose, &end, offsets(ds, d, opts).await).with_hooks(runs).with_positions(at);
    let value = match inside {
        Ok(i) => i.value,
        Err(e) => {
            w.fail(&format!("the {purpose} failed: {}", e.message.lines().next().unwrap_or("")));
            let _ = w.save(root);
            ctx.leaves(w.id.clone());
            return Err(e);
        }
    };
    w.save(root)?;
    Ok((value, w))
}

/// A pause held for a restore point, as the job runner records it.
pub struct Held(pub window::PauseWindow);

impl job::Recorded for Held {
    fn record(&self) -> job::Record {
        let w = &self.0;
        job::Record {
            what: format!("paused {} node(s) for {:.0} ms", w.nodes.len(), w.paused_ms.unwrap_or(0.0)),
            outcome: crate::history::Outcome::from(w.status.clone()),
            entry: Some(w.id.clone()),
            done: match &w.restore_point {
                Some(t) => format!("Window {} kept: restore point {}", w.id, t.format("%Y-%m-%dT%H:%M:%S%.3fZ")),
                None => format!("Window {} kept, {}: not a restore point", w.id, w.status),
            },
        }
    }
}

/// `quiesce pause D`: pause every node, hold at least `min_hold`, unpause,
/// and keep the window in the catalog (for deployments restored by PITR).
pub async fn hold(
    ds: &crate::deployment::Deployments,
    deployment: &str,
    opts: &PauseOptions,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<window::PauseWindow> {
    let d = ds.get(deployment)?;
    let home = ds.home();
    let root = crate::catalog::default_root(home);
    let spec = job::JobSpec::new(OpKind::Pause, &d.name, format!("pause of deployment {}", d.name));
    let held = job::run(home, spec, sink.clone(), cancel, async |ctx| {
        let (cancelled, mut w) = around(ds, &d, "pause", opts, &root, ctx, async |p| {
            // Held at least the minimum; cancel (a signal, the window closed) ends it early.
            let left = opts.min_hold.saturating_sub(p.elapsed());
            if !left.is_zero() {
                job::phase(sink, "holding", format!("Holding the pause {:.1} s…", left.as_secs_f64()));
                tokio::select! {
                    _ = tokio::time::sleep(left) => {}
                    _ = cancel.cancelled() => {}
                }
            }
            Ok(Inside { value: cancel.is_cancelled() && p.elapsed() < opts.min_hold, aborted: None, hooks: true })
        })
        .await?;
        if cancelled {
            w.safe = false;
            w.status = "unsafe".into();
            w.problems.push("cancelled before the minimum hold".into());
            w.restore_point = None;
            w.restore_point_ms = None;
            w.save(&root)?;
        }
        Ok(Held(w))
    })
    .await?;
    Ok(held.0)
}
