//! Explicit pausing: the pause-and-hold that makes a restore point, and the
//! nodes' state and unpause for operators.

use super::Engine;
use crate::catalog::window::PauseWindow;
use crate::deployment::Deployment;
use crate::job::Sink;
use crate::pause::{self, NodeState, PauseOptions};
use crate::Result;
use tokio_util::sync::CancellationToken;

/// Pauses every node, holds at least `opts.min_hold`, unpauses, and keeps the
/// window (its restore point) in the catalog. Cancel ends the hold early.
pub async fn hold(
    e: &Engine,
    deployment: &str,
    opts: &PauseOptions,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<PauseWindow> {
    pause::hold(e.deployments(), deployment, opts, sink, cancel).await
}

/// Each Scalar Admin node of a deployment and whether it is paused.
pub async fn nodes(e: &Engine, deployment: &str) -> Result<(Deployment, Vec<NodeState>)> {
    let d = e.deployments().get(deployment)?;
    let nodes = pause::nodes_state(&d).await?;
    Ok((d, nodes))
}

/// Unpauses every node of a deployment (a pause someone left behind).
pub async fn unpause(e: &Engine, deployment: &str) -> Result<(Deployment, Vec<NodeState>)> {
    let d = e.deployments().get(deployment)?;
    let nodes = pause::unpause_deployment(e.home(), &d).await?;
    Ok((d, nodes))
}
