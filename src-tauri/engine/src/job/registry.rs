//! Running jobs, cancellable by id from another IPC call or a signal handler.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Default)]
pub struct JobRegistry {
    jobs: Arc<Mutex<HashMap<String, CancellationToken>>>,
}

/// Unregisters the job when dropped, on every path.
pub struct JobGuard {
    id: String,
    token: CancellationToken,
    registry: JobRegistry,
}

impl JobGuard {
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl Drop for JobGuard {
    fn drop(&mut self) {
        self.registry.jobs.lock().unwrap().remove(&self.id);
    }
}

impl JobRegistry {
    pub fn register(&self, id: &str) -> crate::Result<JobGuard> {
        let mut jobs = self.jobs.lock().unwrap();
        if jobs.contains_key(id) {
            return Err(crate::Error::new(crate::ErrorCode::Busy, format!("A job with id {id} is already running.")));
        }
        let token = CancellationToken::new();
        jobs.insert(id.to_string(), token.clone());
        Ok(JobGuard { id: id.to_string(), token, registry: self.clone() })
    }

    /// Returns whether a job with that id was running.
    pub fn cancel(&self, id: &str) -> bool {
        match self.jobs.lock().unwrap().get(id) {
            Some(t) => {
                t.cancel();
                true
            }
            None => false,
        }
    }

    pub fn running(&self) -> Vec<String> {
        self.jobs.lock().unwrap().keys().cloned().collect()
    }

    /// Cancels every running job (quitting); returns how many there were.
    pub fn cancel_all(&self) -> usize {
        let jobs = self.jobs.lock().unwrap();
        jobs.values().for_each(CancellationToken::cancel);
        jobs.len()
    }

    /// Waits until no job runs (each unregisters when its cleanup is done),
    /// at most `limit`; returns whether they all finished.
    pub async fn wait_idle(&self, limit: std::time::Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        while !self.jobs.lock().unwrap().is_empty() {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_reaches_the_token_and_guard_unregisters() {
        let reg = JobRegistry::default();
        let g = reg.register("a").unwrap();
        assert!(reg.register("a").is_err());
        assert!(reg.cancel("a"));
        assert!(g.token().is_cancelled());
        drop(g);
        assert!(!reg.cancel("a"));
        assert!(reg.running().is_empty());
    }

    #[tokio::test]
    async fn quitting_cancels_every_job_and_waits_for_each_to_finish_its_cleanup() {
        let reg = JobRegistry::default();
        let (a, b) = (reg.register("a").unwrap(), reg.register("b").unwrap());
        let cleanup = tokio::spawn(async move {
            a.token().cancelled().await;
            b.token().cancelled().await;
            tokio::time::sleep(std::time::Duration::from_millis(200)).await; // cleaning up
            drop((a, b));
        });
        assert_eq!(reg.cancel_all(), 2);
        let t0 = std::time::Instant::now();
        assert!(reg.wait_idle(std::time::Duration::from_secs(5)).await);
        assert!(t0.elapsed() >= std::time::Duration::from_millis(150), "it waited for the cleanup");
        cleanup.await.unwrap();
        let _stuck = reg.register("c").unwrap();
        assert!(!reg.wait_idle(std::time::Duration::from_millis(100)).await, "bounded");
    }
}
