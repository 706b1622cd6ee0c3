//! Jobs: the registry of running jobs (cancel by id), each job's journal of
//! what it owns on disk, and the start-up recovery of what killed jobs left.

pub mod journal;
pub mod recovery;
mod registry;

pub use journal::{Journal, Owned};
pub use registry::{JobGuard, JobRegistry};
