//! Continuous WAL archiving of a deployment's PostgreSQL storages: the
//! long-running archiver, started in the foreground or detached, its status
//! (heartbeat, segments, gaps, slots), stopping it, dropping its slots.

use super::Engine;
use crate::archive::{self, pg::SlotInfo, ArchiveStatus};
use crate::Result;
use std::path::Path;
use tokio_util::sync::CancellationToken;

/// Runs the archiver until `stop`.
pub async fn run(e: &Engine, deployment: &str, say: &(dyn Fn(String) + Sync), stop: &CancellationToken) -> Result<()> {
    archive::run(e.deployments(), deployment, say, stop).await
}

/// Starts `program args` (this binary's `archive run`) detached; its pid.
pub async fn start(e: &Engine, deployment: &str, program: &Path, args: &[String], inherit: &[String]) -> Result<u32> {
    let d = e.deployments().get(deployment)?;
    let log = e.home().logs_dir().join(format!("archive-{}.log", d.id));
    archive::start_detached(e.deployments(), deployment, program, args, inherit, &log).await
}

pub async fn stop(e: &Engine, deployment: &str) -> Result<Option<u32>> {
    archive::stop(e.deployments(), deployment).await
}

pub async fn status(e: &Engine, deployment: &str, rehash: bool) -> Result<ArchiveStatus> {
    archive::status(e.deployments(), deployment, rehash).await
}

pub async fn drop_slots(e: &Engine, deployment: &str) -> Result<Vec<(String, Option<SlotInfo>)>> {
    archive::drop_slots(e.deployments(), deployment).await
}

/// A base backup of every PostgreSQL database of the deployment.
pub async fn base(
    e: &Engine,
    deployment: &str,
    say: &(dyn Fn(String) + Sync),
    cancel: &CancellationToken,
) -> Result<Vec<archive::base::BaseBackup>> {
    archive::base::take(e.deployments(), deployment, say, cancel).await
}
