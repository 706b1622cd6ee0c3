//! A job's live progress, shared with the tools' pipelines (byte and line
//! counters), and the one reporter that samples it every 250 ms.

use super::{JobEvent, Progress, Sink};
use crate::tools::pipeline::Counters;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// What a job's reporter samples. The fraction done comes from the best
/// measure the job has: pages (SQLite), bytes fed of a known total (a
/// restore), bytes of tables done (a dump's tables by their size), tables.
#[derive(Debug)]
pub struct Live {
    pub counters: Arc<Counters>,
    pub tables_done: AtomicU32,
    pub tables_total: AtomicU32,
    pub pages_done: AtomicU64,
    pub pages_total: AtomicU64,
    /// Rows a migration wrote, and will write in all.
    pub rows_done: Arc<AtomicU64>,
    pub rows_total: AtomicU64,
    /// Bytes of input a restore feeds, in all.
    pub input_total: AtomicU64,
    /// A dump's tables and their size, to estimate the time left: a tool's
    /// log line naming a table counts it done.
    sizes: Mutex<Vec<(String, u64)>>,
    est_total: AtomicU64,
    est_done: AtomicU64,
    phase: Mutex<String>,
    started: Instant,
}

impl Live {
    pub fn new(phase: &str) -> Live {
        Live {
            counters: Arc::new(Counters::default()),
            tables_done: Default::default(),
            tables_total: Default::default(),
            pages_done: Default::default(),
            pages_total: Default::default(),
            rows_done: Default::default(),
            rows_total: Default::default(),
            input_total: Default::default(),
            sizes: Mutex::new(Vec::new()),
            est_total: Default::default(),
            est_done: Default::default(),
            phase: Mutex::new(phase.into()),
            started: Instant::now(),
        }
    }

    /// More tables to do (a unit's), with their sizes for the estimate.
    pub fn add_tables(&self, tables: impl IntoIterator<Item = (String, u64)>) {
        let mut sizes = self.sizes.lock().unwrap();
        for (name, size) in tables {
            self.tables_total.fetch_add(1, Ordering::Relaxed);
            self.est_total.fetch_add(size, Ordering::Relaxed);
            sizes.push((name, size));
        }
    }

    pub fn set_phase(&self, phase: &str) {
        phase.clone_into(&mut self.phase.lock().unwrap());
    }

    /// Every table counted done (the job's end).
    pub fn all_tables_done(&self) {
        self.tables_done.store(self.tables_total.load(Ordering::Relaxed), Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Progress {
        let elapsed = self.started.elapsed().as_secs_f64();
        let raw = self.counters.raw.load(Ordering::Relaxed);
        let (pages_done, pages_total) =
            (self.pages_done.load(Ordering::Relaxed), self.pages_total.load(Ordering::Relaxed));
        let (tables_done, tables_total) =
            (self.tables_done.load(Ordering::Relaxed), self.tables_total.load(Ordering::Relaxed));
        let (input, est_total) = (self.input_total.load(Ordering::Relaxed), self.est_total.load(Ordering::Relaxed));
        let (rows_done, rows_total) = (self.rows_done.load(Ordering::Relaxed), self.rows_total.load(Ordering::Relaxed));
        let frac = if rows_total > 0 {
            rows_done as f64 / rows_total as f64
        } else if pages_total > 0 {
            pages_done as f64 / pages_total as f64
        } else if input > 0 {
            raw as f64 / input as f64
        } else if est_total > 0 {
            self.est_done.load(Ordering::Relaxed) as f64 / est_total as f64
        } else if tables_total > 0 {
            tables_done as f64 / tables_total as f64
        } else {
            0.0
        }
        .min(1.0);
        Progress {
            phase: self.phase.lock().unwrap().clone(),
            raw_bytes: raw,
            written_bytes: self.counters.written.load(Ordering::Relaxed),
            tables_done: tables_done.min(tables_total),
            tables_total,
            pages_done,
            pages_total,
            rows_done,
            rows_total,
            rows_per_sec: if elapsed > 0.0 { rows_done as f64 / elapsed } else { 0.0 },
            elapsed_secs: elapsed,
            rate_bps: if elapsed > 0.0 { raw as f64 / elapsed } else { 0.0 },
            eta_secs: (frac > 0.02 && frac < 1.0).then(|| elapsed * (1.0 - frac) / frac),
        }
    }

    /// A tool's log line says it started on a table: count it done (the
    /// estimate moves by that table's size). Lines name `db.table` (pg_dump,
    /// mydumper) or only the table (mysqldump).
    pub fn table_started(&self, line: &str) {
        let line = line.replace(['`', '"'], "");
        let mut sizes = self.sizes.lock().unwrap();
        let hit = sizes.iter().position(|(n, _)| line.contains(n.as_str())).or_else(|| {
            sizes.iter().position(|(n, _)| {
                let t = n.rsplit(['.', '$']).next().unwrap_or(n);
                line.contains(&format!(" {t}.")) || line.ends_with(&format!(" {t}"))
            })
        });
        if let Some(i) = hit {
            let (_, size) = sizes.remove(i);
            self.est_done.fetch_add(size, Ordering::Relaxed);
            self.tables_done.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Sends a job's progress every 250 ms until dropped (and once more then).
pub struct Ticker {
    stop: CancellationToken,
    live: Arc<Live>,
    sink: Sink,
}

impl Ticker {
    pub fn start(live: &Arc<Live>, sink: &Sink) -> Ticker {
        let stop = CancellationToken::new();
        let (live2, sink2, s2) = (live.clone(), sink.clone(), stop.clone());
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = s2.cancelled() => break,
                    _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => sink2(JobEvent::Progress(live2.snapshot())),
                }
            }
        });
        Ticker { stop, live: live.clone(), sink: sink.clone() }
    }

    /// Stops the reports; a last one says where the job ended.
    pub fn finish(self) {
        self.stop.cancel();
        (self.sink)(JobEvent::Progress(self.live.snapshot()));
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_best_measure_gives_the_fraction() {
        let l = Live::new("dumping");
        l.add_tables([("bank.accounts".into(), 300), ("audit.transfers".into(), 100)]);
        l.table_started("pg_dump: dumping contents of table \"bank.accounts\"");
        let p = l.snapshot();
        assert_eq!((p.tables_done, p.tables_total), (1, 2));
        // 300 of 400 bytes of tables.
        assert!(p.eta_secs.is_none() || p.eta_secs.unwrap() >= 0.0);
        l.input_total.store(1000, Ordering::Relaxed);
        l.counters.raw.store(500, Ordering::Relaxed);
        assert_eq!(l.snapshot().raw_bytes, 500);
        l.pages_total.store(10, Ordering::Relaxed);
        l.pages_done.store(10, Ordering::Relaxed);
        assert_eq!(l.snapshot().eta_secs, None, "done");
    }
}
