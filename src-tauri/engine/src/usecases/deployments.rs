//! Deployments: one ScalarDB installation each (storages, mapping, admin
//! endpoints), imported from its own configuration or built from profiles;
//! its plan; the schema file of the storages Quiesce cannot list.

use super::Engine;
use crate::deployment::import::{self, ImportPreview};
use crate::deployment::{Deployment, DeploymentInput};
use crate::plan::{self, PlanView};
use crate::profile::Profile;
use crate::runbook::schema::{self, SchemaAttachment};
use crate::{Error, FieldError, Result};
use serde::Serialize;
use std::path::Path;
use tokio_util::sync::CancellationToken;

/// A deployment with the profile of each of its storages (in its order).
#[derive(Debug, Clone, Serialize)]
pub struct Shown {
    pub deployment: Deployment,
    pub profiles: Vec<Profile>,
}

pub fn list(e: &Engine) -> Result<Vec<Deployment>> {
    e.deployments().list()
}

pub fn get(e: &Engine, name_or_id: &str) -> Result<Deployment> {
    e.deployments().get(name_or_id)
}

/// A deployment and its storages' profiles.
pub fn show(e: &Engine, name_or_id: &str) -> Result<Shown> {
    with_profiles(e, e.deployments().get(name_or_id)?)
}

fn with_profiles(e: &Engine, d: Deployment) -> Result<Shown> {
    let profiles = e.deployments().storage_profiles(&d)?.into_iter().map(|(_, p)| p).collect();
    Ok(Shown { deployment: d, profiles })
}

pub fn validate(e: &Engine, input: &DeploymentInput) -> Result<Vec<FieldError>> {
    e.deployments().validate(input)
}

/// A new deployment (`existing` None) or the edit of one; with the notes a
/// user should read (two endpoints that are one node).
pub fn save(e: &Engine, existing: Option<&str>, input: &DeploymentInput) -> Result<(Shown, Vec<String>)> {
    let d = match existing {
        Some(id) => e.deployments().update(id, input)?,
        None => e.deployments().create(input, None)?,
    };
    let notes = crate::admin::same_nodes(&d.admin_endpoints);
    Ok((with_profiles(e, d)?, notes))
}

/// Removes a deployment (its profiles stay).
pub fn remove(e: &Engine, name_or_id: &str) -> Result<Deployment> {
    e.deployments().remove(name_or_id)
}

/// What importing a ScalarDB configuration file would save, as `name`
/// when given. Carries no secret: passwords stay in the engine until import.
pub fn preview_import(e: &Engine, path: &Path, name: Option<&str>) -> Result<ImportPreview> {
    let mut preview = import::preview(e.deployments(), path)?;
    if let Some(n) = name.map(str::trim).filter(|n| !n.is_empty()) {
        if let Some(why) = crate::paths::name_problem(n) {
            return Err(Error::invalid(format!("\"{n}\" cannot name a deployment. {why}")));
        }
        preview.suggested_name = n.to_string();
    }
    Ok(preview)
}

/// Where an import goes: a new deployment, or the storages of an existing one
/// (a ScalarDB Cluster client's deployment, given the server's properties).
pub enum ImportInto<'a> {
    New { name: Option<&'a str> },
    AttachTo { deployment: &'a str },
}

/// Saves the file exactly as previewed: a file whose SHA-256 is no longer
/// `sha256` (changed since the preview) is refused.
pub fn import(e: &Engine, path: &Path, into: ImportInto<'_>, sha256: &str) -> Result<Shown> {
    let d = match into {
        ImportInto::New { name } => import::import(e.deployments(), path, name, Some(sha256))?,
        ImportInto::AttachTo { deployment } => import::attach(e.deployments(), deployment, path, Some(sha256))?,
    };
    with_profiles(e, d)
}

/// The plan with the last discovery kept on disk: no database is touched.
pub fn plan(e: &Engine, deployment: &str) -> Result<PlanView> {
    plan::view(e.deployments(), deployment)
}

/// Discovers the deployment's storages now (connects to them), keeps the
/// discovery, and plans on it.
pub async fn discover(e: &Engine, deployment: &str, cancel: &CancellationToken) -> Result<PlanView> {
    let r = plan::discover_and_view(e.deployments(), deployment, cancel).await;
    if let Err(err) = &r {
        tracing::info!(code = %err.code, "discovery failed: {}", err.message);
    }
    r
}

/// Attaches the ScalarDB schema file (the table list of DynamoDB, Cosmos DB, Cassandra).
pub fn attach_schema(e: &Engine, deployment: &str, path: &Path) -> Result<(Deployment, SchemaAttachment)> {
    let d = e.deployments().get(deployment)?;
    let s = schema::attach(e.home(), &d, path)?;
    Ok((d, s))
}

/// The schema attached to a deployment, if any.
pub fn schema(e: &Engine, deployment: &str) -> Result<Option<SchemaAttachment>> {
    let d = e.deployments().get(deployment)?;
    schema::load(e.home(), &d)
}
