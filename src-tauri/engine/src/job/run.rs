//! The one way a job runs: [`run`] owns what every job kind — backup,
//! restore, verify, pause, unpause, migrate, and the kinds later issues add —
//! would otherwise wire by hand: its journal (what it owns on disk, for the
//! start-up recovery), its progress ticker, its typed history entry (every job is recorded, by
//! construction), its final phase, and the end hook (the app's desktop
//! notification). The body gets a [`JobCtx`] and returns its result, which
//! says what the history records of it ([`Recorded`]).

use super::{Journal, Live, Sink, Ticker};
use crate::error::{Error, ErrorCode, Result};
use crate::history::{self, OpKind, Outcome};
use crate::paths::Home;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// What a job is.
#[derive(Debug, Clone)]
pub struct JobSpec {
    pub op: OpKind,
    /// Whom it is about, for the history: a deployment's name (a profile's,
    /// for a verification of a profile).
    pub subject: String,
    /// What it does, in words ("backup of deployment prod"): its journal's
    /// and, when it fails, its history's.
    pub what: String,
}

impl JobSpec {
    pub fn new(op: OpKind, subject: impl Into<String>, what: impl Into<String>) -> JobSpec {
        JobSpec { op, subject: subject.into(), what: what.into() }
    }
}

/// What the history keeps of a job that ended well.
#[derive(Debug, Clone)]
pub struct Record {
    /// The history's sentence.
    pub what: String,
    /// Ok, or what a successful job still has to say (an unsafe window).
    pub outcome: Outcome,
    /// The catalog entry it made (a backup's id, a window's).
    pub entry: Option<String>,
    /// The last phase the job says (`done`).
    pub done: String,
}

/// A job's result, as the history records it.
pub trait Recorded {
    fn record(&self) -> Record;
}

/// What a job body gets.
pub struct JobCtx {
    pub home: Home,
    pub journal: Arc<Journal>,
    pub sink: Sink,
    pub cancel: CancellationToken,
    /// The catalog entry a failure leaves (a failed pause window).
    left: Mutex<Option<String>>,
    ticker: Mutex<Option<Ticker>>,
}

impl JobCtx {
    /// The job's live progress, sent to its sink four times a second until
    /// the job ends, then once more (a later call starts a new one).
    pub fn progress(&self, phase: &str) -> Arc<Live> {
        let live = Arc::new(Live::new(phase));
        let old = self.ticker.lock().unwrap().replace(Ticker::start(&live, &self.sink));
        if let Some(t) = old {
            t.finish();
        }
        live
    }

    /// A failure of this job leaves `id` in the catalog: its history line names it.
    pub fn leaves(&self, id: impl Into<String>) {
        *self.left.lock().unwrap() = Some(id.into());
    }
}

/// How a job ended, for the end hook.
#[derive(Debug)]
pub struct Ended {
    pub op: OpKind,
    pub what: String,
    pub elapsed: Duration,
    /// None when it succeeded.
    pub error: Option<Error>,
}

pub type EndHook = Arc<dyn Fn(&Ended) + Send + Sync>;

static END_HOOK: OnceLock<EndHook> = OnceLock::new();

/// Called after every job that ends in this process (the app sets its
/// desktop notification here, once, at start).
pub fn set_end_hook(hook: EndHook) {
    let _ = END_HOOK.set(hook);
}

/// The first line of a message.
fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("")
}

/// Runs `body` as a job: its journal begun before it and cleaned up after
/// it (what it still owns goes), its history line written and its final
/// phase said whatever the outcome, the end hook called.
pub async fn run<T: Recorded>(
    home: &Home,
    spec: JobSpec,
    sink: Sink,
    cancel: &CancellationToken,
    body: impl AsyncFnOnce(&JobCtx) -> Result<T>,
) -> Result<T> {
    let started = Instant::now();
    let journal = Arc::new(Journal::begin(home, spec.op.as_str(), spec.what.clone())?);
    let ctx = JobCtx {
        home: home.clone(),
        journal,
        sink: sink.clone(),
        cancel: cancel.clone(),
        left: Mutex::new(None),
        ticker: Mutex::new(None),
    };
    let r = body(&ctx).await;
    let JobCtx { journal, left, ticker, .. } = ctx;
    if let Some(t) = ticker.into_inner().unwrap_or_else(|p| p.into_inner()) {
        t.finish();
    }
    // What the job still owns goes before anyone hears it ended.
    drop(journal);
    match &r {
        Ok(t) => {
            let rec = t.record();
            history::record(home, spec.op.clone(), &spec.subject, rec.what, rec.outcome, rec.entry);
            super::phase(&sink, "done", rec.done);
        }
        Err(e) => {
            let outcome = Outcome::of_error(e);
            let word = if outcome == Outcome::Cancelled { "cancelled" } else { "failed" };
            let entry = left.into_inner().unwrap_or_else(|p| p.into_inner());
            history::record(
                home,
                spec.op.clone(),
                &spec.subject,
                format!("{} {word}: {}", spec.what, first_line(&e.message)),
                outcome,
                entry,
            );
            super::phase(&sink, word, first_line(&e.message).to_string());
        }
    }
    if let Some(hook) = END_HOOK.get() {
        hook(&Ended {
            op: spec.op,
            what: spec.what,
            elapsed: started.elapsed(),
            error: r.as_ref().err().map(|e| Error::new(e.code, e.message.clone())),
        });
    }
    r
}

/// The outcome of units run side by side (a backup's dumps, a restore's
/// loads): their values in order, or the error that explains the failure —
/// the real cause, not the "cancelled" of the units it stopped.
pub fn first_real_error<T>(results: Vec<Result<T>>) -> Result<Vec<T>> {
    let mut first: Option<Error> = None;
    let mut done = Vec::new();
    for r in results {
        match r {
            Ok(v) => done.push(v),
            Err(e) => {
                if first.as_ref().is_none_or(|f| f.code == ErrorCode::Cancelled && e.code != ErrorCode::Cancelled) {
                    first = Some(e);
                }
            }
        }
    }
    match first {
        Some(e) => Err(e),
        None => Ok(done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Done;
    impl Recorded for Done {
        fn record(&self) -> Record {
            Record { what: "did it".into(), outcome: Outcome::Ok, entry: Some("e1".into()), done: "all done".into() }
        }
    }

    #[tokio::test]
    async fn every_job_is_recorded_and_says_its_final_phase_and_its_journal_goes() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        let phases = Arc::new(Mutex::new(Vec::new()));
        let sink: Sink = {
            let p = phases.clone();
            Arc::new(move |e| {
                if let super::super::JobEvent::Phase { phase, message } = e {
                    p.lock().unwrap().push(format!("{phase}: {message}"));
                }
            })
        };
        let never = CancellationToken::new();
        let spec = JobSpec::new(OpKind::Backup, "prod", "backup of deployment prod");
        run(&home, spec.clone(), sink.clone(), &never, async |_ctx| Ok(Done)).await.unwrap();
        let r: Result<Done> = run(&home, spec.clone(), sink.clone(), &never, async |ctx| {
            ctx.leaves("w9");
            Err(Error::new(ErrorCode::Timeout, "the pause was aborted\nmore"))
        })
        .await;
        assert_eq!(r.err().unwrap().code, ErrorCode::Timeout);
        let _: Result<Done> = run(&home, spec, sink, &never, async |_ctx| Err(Error::cancelled_job())).await;
        let ops = history::read(&home);
        let got: Vec<(&str, &str, Option<&str>)> =
            ops.iter().map(|o| (o.what.as_str(), o.outcome.as_str(), o.entry.as_deref())).collect();
        assert_eq!(got[0], ("did it", "ok", Some("e1")));
        assert_eq!(got[1], ("backup of deployment prod failed: the pause was aborted", "failed", Some("w9")));
        assert_eq!(got[2].1, "cancelled");
        assert!(ops.iter().all(|o| o.op == OpKind::Backup && o.deployment == "prod"));
        let p = phases.lock().unwrap();
        assert_eq!(p[0], "done: all done");
        assert!(p[1].starts_with("failed: the pause was aborted") && p[2].starts_with("cancelled"));
        // Every journal went with its job.
        let jobs: Vec<_> = std::fs::read_dir(super::super::journal::jobs_dir(&home)).unwrap().flatten().collect();
        assert!(jobs.iter().all(|f| !f.path().to_string_lossy().ends_with(".json")), "{jobs:?}");
    }

    #[test]
    fn the_real_error_wins_over_the_cancels_it_caused() {
        let r = first_real_error::<u8>(vec![
            Err(Error::cancelled_job()),
            Err(Error::new(ErrorCode::IoError, "disk full")),
            Ok(1),
        ]);
        assert_eq!(r.unwrap_err().code, ErrorCode::IoError);
        assert_eq!(first_real_error(vec![Ok(1), Ok(2)]).unwrap(), vec![1, 2]);
        assert_eq!(first_real_error::<u8>(vec![Err(Error::cancelled_job())]).unwrap_err().code, ErrorCode::Cancelled);
    }
}
