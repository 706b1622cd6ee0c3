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
pub mod watchdog;
pub mod window;

use crate::admin::{self, proto::reason, Client, Node, NodeError, Tls};
use crate::deployment::Deployment;
use crate::error::{Error, ErrorCode, Result};
use crate::job::{self, Journal, Owned, Sink};
use crate::paths::Home;
use chrono::{DateTime, Utc};
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;
use watchdog::{Brief, TlsFiles, Watchdog};

/// How a pause is held.
#[derive(Debug, Clone, Copy)]
pub struct PauseOptions {
    /// Pause's `max_pause_wait_time`: how long a node may drain its requests.
    pub max_wait: Duration,
    /// The shortest window (PITR restore points need one, e.g. 5 s).
    pub min_hold: Duration,
    /// The clock bound of services Quiesce cannot ask the time (DynamoDB, Cosmos DB).
    pub clock_bound: Duration,
}

impl Default for PauseOptions {
    fn default() -> Self {
        PauseOptions {
            max_wait: Duration::from_secs(30),
            min_hold: Duration::ZERO,
            clock_bound: Duration::from_secs(1),
        }
    }
}

/// What happened on one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct NodeOutcome {
    pub node: Node,
    /// Quiesce's Pause succeeded and CheckPaused confirmed it.
    pub paused: bool,
    /// Quiesce's Unpause succeeded (or the node was found unpaused).
    pub unpaused: bool,
    /// Pause attempts (ABORTED is retried).
    pub attempts: u32,
    pub error: Option<NodeError>,
    /// What Quiesce did or did not do, in a sentence.
    pub note: Option<String>,
}

impl NodeOutcome {
    fn new(node: Node) -> NodeOutcome {
        NodeOutcome { node, paused: false, unpaused: false, attempts: 0, error: None, note: None }
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

/// Pauses one node: ABORTED (a pause that lost a race) is retried, bounded.
async fn pause_one(mut c: Client, max_wait: Duration) -> (u32, std::result::Result<(), NodeError>) {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match c.pause(max_wait).await {
            Err(e) if e.retryable() && attempts < 4 => {
                tokio::time::sleep(Duration::from_millis(100 << attempts)).await;
            }
            r => return (attempts, r),
        }
    }
}

/// Unpauses one node, retrying with backoff (bounded); the outcome is the
/// node's state after it, checked.
async fn unpause_one(mut c: Client) -> std::result::Result<(), NodeError> {
    let mut last = None;
    for attempt in 0..5u32 {
        match c.unpause().await {
            Ok(()) => match c.check_paused().await {
                Ok(false) => return Ok(()),
                Ok(true) => {
                    last = Some(NodeError {
                        status: "still_paused".into(),
                        reason: None,
                        message: "Unpause returned but the node is still paused".into(),
                    })
                }
                Err(e) => last = Some(e),
            },
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
    }
    Err(last.expect("at least one attempt"))
}

/// Nodes left paused by a killed pauser: checked, unpaused if still paused.
/// (Runs on a thread of its own: the start-up step is not async.)
pub fn unpause_left(nodes: &[Node], tls: Option<&TlsFiles>) -> Vec<String> {
    let (nodes, tls) = (nodes.to_vec(), tls.cloned());
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
            return vec!["no runtime to reach the nodes".to_string()];
        };
        let tls = tls.and_then(|t| t.load().ok());
        rt.block_on(watchdog::unpause_nodes(&nodes, tls.as_ref()))
    })
    .join()
    .unwrap_or_else(|_| vec!["the check of the nodes failed".into()])
}

/// A deployment whose every node Quiesce paused.
pub struct Paused {
    clients: Vec<Client>,
    pub outcomes: Vec<NodeOutcome>,
    watchdog: Option<Watchdog>,
    _locks: Vec<std::fs::File>,
    /// After the last node confirmed its pause.
    pub started_at: DateTime<Utc>,
    started: Instant,
    /// Nodes the poller found unpaused before Quiesce unpaused them.
    early: Arc<Mutex<Vec<String>>>,
    poller: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
}

/// How a pause ended.
#[derive(Debug, Clone)]
pub struct PauseEnd {
    pub started_at: DateTime<Utc>,
    /// Just before the first Unpause was sent.
    pub ended_at: DateTime<Utc>,
    pub paused_ms: f64,
    pub outcomes: Vec<NodeOutcome>,
    /// Why the window cannot be trusted (a node unpaused early, one still paused).
    pub problems: Vec<String>,
}

impl Paused {
    /// Pauses every node of `d` (see the module's doc). Nothing stays paused
    /// when it fails.
    pub async fn begin(
        home: &Home,
        d: &Deployment,
        journal: &Journal,
        opts: &PauseOptions,
        sink: &Sink,
        cancel: &CancellationToken,
    ) -> Result<Paused> {
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
        })?;
        let watchdog = Watchdog::start(&Brief {
            nodes: nodes.clone(),
            tls: tls.as_ref().map(|t| t.0.clone()),
            journal: file,
            journal_lock: lock,
            what: journal.what(),
        })?;
        let mut p = Paused {
            clients,
            outcomes: nodes.into_iter().map(NodeOutcome::new).collect(),
            watchdog: Some(watchdog),
            _locks: locks,
            started_at: Utc::now(),
            started: Instant::now(),
            early: Default::default(),
            poller: None,
        };
        job::phase(
            sink,
            "pause",
            format!(
                "Pausing {} node(s) (waiting up to {} s for their in-flight transactions)…",
                p.clients.len(),
                opts.max_wait.as_secs()
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
                // Some releases reported a pause that did not happen (facts §1).
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

    /// After a failed pause: every node that did (or may have) paused is
    /// unpaused, except one an earlier request still holds. Says what it did.
    async fn unwind(mut self) -> String {
        let mut lines = Vec::new();
        let work: Vec<_> = self
            .outcomes
            .iter()
            .zip(&self.clients)
            .map(|(o, c)| {
                let still_held = o.error.as_ref().is_some_and(|e| e.is(reason::TIMED_OUT_STILL_PAUSED));
                let (o, mut c) = (o.clone(), c.clone());
                async move {
                    if still_held {
                        return (false, format!("{}: left paused — an earlier request still holds its pause (TIMED_OUT_STILL_PAUSED); Quiesce does not unpause it", o.node.label()));
                    }
                    let maybe = o.paused || o.error.as_ref().is_some_and(NodeError::uncertain) || o.note.is_some();
                    if !maybe {
                        // Refused outright: check it all the same.
                        if let Ok(false) = c.check_paused().await {
                            return (true, format!("{}: not paused", o.node.label()));
                        }
                    }
                    match unpause_one(c).await {
                        Ok(()) => (true, format!("{}: unpaused", o.node.label())),
                        Err(e) => (false, format!("{}: COULD NOT BE UNPAUSED ({e}) — unpause it now: quiesce unpause <deployment>, or restart that node", o.node.label())),
                    }
                }
            })
            .collect();
        let mut all_done = true;
        for (o, (ok, line)) in self.outcomes.iter_mut().zip(join_all(work).await) {
            o.unpaused = ok;
            all_done &= ok;
            lines.push(line);
        }
        let held_elsewhere =
            self.outcomes.iter().any(|o| o.error.as_ref().is_some_and(|e| e.is(reason::TIMED_OUT_STILL_PAUSED)));
        if let Some(w) = self.watchdog.take() {
            if all_done || held_elsewhere {
                w.done();
            } // else dropped: the watchdog keeps trying
        }
        format!("Nodes: {}", lines.join("; "))
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
                for (c, st) in clients.iter().zip(check_all(&clients).await) {
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

    /// Nodes found unpaused so far.
    pub fn problems(&self) -> Vec<String> {
        self.early.lock().unwrap().clone()
    }

    /// Unpauses every node (retries, bounded) and ends the pause; the window's
    /// end is taken just before the first Unpause.
    pub async fn end(mut self, journal: &Journal, sink: &Sink) -> PauseEnd {
        if let Some((stop, h)) = self.poller.take() {
            stop.cancel();
            let _ = h.await;
        }
        let ended_at = Utc::now();
        let paused_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        let results = join_all(self.clients.iter().cloned().map(unpause_one)).await;
        let mut problems = self.early.lock().unwrap().clone();
        for (o, r) in self.outcomes.iter_mut().zip(results) {
            match r {
                Ok(()) => o.unpaused = true,
                Err(e) => {
                    problems.push(format!("{}: COULD NOT BE UNPAUSED ({e}) — unpause it now: quiesce unpause <deployment>, or restart that node", o.node.label()));
                    o.error = Some(e);
                }
            }
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
        PauseEnd { started_at: self.started_at, ended_at, paused_ms, outcomes: self.outcomes.clone(), problems }
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

/// Unpauses every node of a deployment (`quiesce unpause D`, for operators).
pub async fn unpause_deployment(home: &Home, d: &Deployment) -> Result<Vec<NodeState>> {
    let tls = tls_of(d)?;
    let nodes = admin::resolve(&d.admin_endpoints).await?;
    let _locks = lock_nodes(home, &nodes, &format!("unpause of deployment {}", d.name))?;
    let said = watchdog::unpause_nodes(&nodes, tls.as_ref().map(|t| &t.1)).await;
    crate::catalog::history::record(home, "unpause", &d.name, said.join("; "), "ok", None);
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

/// The deployment's in-pause hooks, run while every node is paused.
pub async fn run_hooks(
    d: &Deployment,
    started: DateTime<Utc>,
    opts: &PauseOptions,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Vec<hooks::HookRun> {
    if d.pause_hooks.is_empty() {
        return vec![];
    }
    job::phase(sink, "hooks", format!("Running {} in-pause hook(s)…", d.pause_hooks.len()));
    let limit = opts.max_wait.max(Duration::from_secs(60));
    hooks::run_all(&d.pause_hooks, &window::PauseWindow::tag_of(started), limit, cancel).await
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
    let home = ds.profiles().home();
    let root = crate::catalog::default_root(home);
    let journal = Journal::begin(home, "pause", format!("pause of deployment {}", d.name))?;
    let p = match Paused::begin(home, &d, &journal, opts, sink, cancel).await {
        Ok(p) => p,
        Err(e) => {
            let w = window::PauseWindow::failed(&d, "pause", &e.message);
            let _ = w.save(&root);
            crate::catalog::history::record(
                home,
                "pause",
                &d.name,
                format!("pause of {} failed", d.name),
                "failed",
                Some(w.id),
            );
            return Err(e);
        }
    };
    // Held at least the minimum; cancel (a signal, the window closed) ends it early.
    let left = opts.min_hold.saturating_sub(p.elapsed());
    if !left.is_zero() {
        job::phase(sink, "holding", format!("Holding the pause {:.1} s…", left.as_secs_f64()));
        tokio::select! {
            _ = tokio::time::sleep(left) => {}
            _ = cancel.cancelled() => {}
        }
    }
    let cancelled = cancel.is_cancelled();
    let runs = run_hooks(&d, p.started_at, opts, sink, cancel).await;
    let end = p.end(&journal, sink).await;
    let mut w = window::PauseWindow::of(&d, "pause", &end, offsets(ds, &d, opts).await).with_hooks(runs);
    if cancelled && end.paused_ms < opts.min_hold.as_secs_f64() * 1000.0 {
        w.safe = false;
        w.status = "unsafe".into();
        w.problems.push("cancelled before the minimum hold".into());
        w.restore_point = None;
        w.restore_point_ms = None;
    }
    w.save(&root)?;
    crate::catalog::history::record(
        home,
        "pause",
        &d.name,
        format!("paused {} node(s) for {:.0} ms", w.nodes.len(), end.paused_ms),
        &w.status,
        Some(w.id.clone()),
    );
    Ok(w)
}
