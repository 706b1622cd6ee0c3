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
}
