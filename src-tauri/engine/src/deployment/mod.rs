//! Deployments: one ScalarDB installation — the storages it uses (each a
//! profile), how its namespaces map onto them, its coordinator namespace, and
//! the Scalar Admin endpoints that can pause it. Plans, backups, pause
//! windows and restore points hang off a deployment (by its id).
//!
//! Profiles may be shared by several deployments; deleting a deployment keeps
//! its profiles, and a profile still used by a deployment cannot be deleted.

pub mod hooks;
pub mod import;
mod jdbc;

use crate::error::{Error, ErrorCode, FieldError, Result};
use crate::paths::Home;
use crate::profile::{Profile, Profiles};
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub const DEFAULT_COORDINATOR_NAMESPACE: &str = "coordinator";
pub const DEFAULT_SYSTEM_NAMESPACE: &str = "scalardb";
/// ScalarDB Cluster's Scalar Admin port: the Cluster's own gRPC port, unless
/// `scalar.db.cluster.node.admin.port` (3.18+) moves the admin service to another
/// (scalar-labs/docs-scalardb `docs/scalardb-cluster/scalardb-cluster-configurations.mdx`).
pub const CLUSTER_ADMIN_PORT: u16 = 60053;

/// `scalar.db.transaction_manager`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TransactionManager {
    #[default]
    ConsensusCommit,
    /// The JDBC database's own transactions: no coordinator table.
    Jdbc,
    SingleCrudOperation,
    /// A ScalarDB Cluster client: the storages sit behind the Cluster.
    Cluster,
}

impl TransactionManager {
    pub fn parse(s: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(s.trim().to_string())).ok()
    }
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionManager::ConsensusCommit => "consensus-commit",
            TransactionManager::Jdbc => "jdbc",
            TransactionManager::SingleCrudOperation => "single-crud-operation",
            TransactionManager::Cluster => "cluster",
        }
    }
}

/// One storage of the deployment, backed by a profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeploymentStorage {
    /// The storage's name in ScalarDB's configuration (`default` for a single storage).
    pub name: String,
    pub profile_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NamespaceMapping {
    pub namespace: String,
    pub storage: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    /// `host:port`.
    Direct,
    /// `indirect:host` (a load balancer in front of ScalarDB Cluster).
    Indirect,
    /// `direct-kubernetes:<namespace>/<endpoint>`: pods found through the
    /// Kubernetes API, which Quiesce cannot reach; an address must be given.
    DirectKubernetes,
}

/// A Scalar Admin endpoint (gRPC) that can pause the deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AdminEndpoint {
    /// As written in the configuration or by the user.
    pub address: String,
    pub kind: EndpointKind,
    pub host: Option<String>,
    pub port: u16,
    /// True when Quiesce cannot reach it as written (direct-kubernetes).
    pub needs_address: bool,
}

impl AdminEndpoint {
    /// Parses `host[:port]`, `indirect:host[:port]` or `direct-kubernetes:ns/ep`.
    pub fn parse(address: &str, default_port: u16) -> std::result::Result<AdminEndpoint, String> {
        let a = address.trim();
        if a.is_empty() {
            return Err("an endpoint is empty".into());
        }
        if let Some(rest) = a.strip_prefix("direct-kubernetes:") {
            if rest.trim().is_empty() {
                return Err(format!("\"{a}\" names no Kubernetes endpoint (direct-kubernetes:<namespace>/<endpoint>)"));
            }
            return Ok(AdminEndpoint {
                address: a.into(),
                kind: EndpointKind::DirectKubernetes,
                host: None,
                port: default_port,
                needs_address: true,
            });
        }
        let (kind, hostport) = match a.strip_prefix("indirect:") {
            Some(r) => (EndpointKind::Indirect, r.trim()),
            None => (EndpointKind::Direct, a),
        };
        let (host, port) = crate::profile::split_host_port(hostport, default_port)?;
        Ok(AdminEndpoint { address: a.into(), kind, host: Some(host), port, needs_address: false })
    }
}

/// How long Quiesce may hold this deployment paused, and how long its
/// in-pause hooks may run: the pause's hard bound. A plan whose in-pause work
/// (the minimum hold, the hooks) cannot fit is refused before pausing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
pub struct PauseLimits {
    /// The longest pause, in milliseconds (default 60 s).
    #[ts(type = "number | null")]
    pub max_pause_ms: Option<u64>,
    /// The longest an in-pause hook may run, in milliseconds (default 30 s,
    /// never more than the longest pause).
    #[ts(type = "number | null")]
    pub hook_limit_ms: Option<u64>,
}

impl PauseLimits {
    pub const DEFAULT_MAX_PAUSE: std::time::Duration = std::time::Duration::from_secs(60);
    pub const DEFAULT_HOOK_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);
    /// Longer than this is not a pause but an outage.
    pub const CEILING: std::time::Duration = std::time::Duration::from_secs(3600);

    pub fn max_pause(&self) -> std::time::Duration {
        self.max_pause_ms.map(std::time::Duration::from_millis).unwrap_or(Self::DEFAULT_MAX_PAUSE)
    }

    pub fn hook_limit(&self) -> std::time::Duration {
        self.hook_limit_ms
            .map(std::time::Duration::from_millis)
            .unwrap_or(Self::DEFAULT_HOOK_LIMIT)
            .min(self.max_pause())
    }

    /// What is wrong with them, field by field.
    fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let ceiling = Self::CEILING.as_millis() as u64;
        if let Some(ms) = self.max_pause_ms {
            if !(100..=ceiling).contains(&ms) {
                out.push(("max_pause_ms", format!("The maximum pause must be between 100 ms and 1 h (is {ms} ms).")));
            }
        }
        if let Some(ms) = self.hook_limit_ms {
            if !(100..=ceiling).contains(&ms) {
                out.push(("hook_limit_ms", format!("The hook limit must be between 100 ms and 1 h (is {ms} ms).")));
            } else if ms > self.max_pause().as_millis() as u64 {
                out.push((
                    "hook_limit_ms",
                    format!(
                        "The hook limit ({ms} ms) is longer than the maximum pause ({} ms): hooks run inside the pause. Raise the maximum pause, or lower the hook limit.",
                        self.max_pause().as_millis()
                    ),
                ));
            }
        }
        out
    }
}

/// Where an imported deployment came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ImportSource {
    pub file: String,
    pub sha256: String,
    #[ts(type = "string")]
    pub imported_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Deployment {
    pub id: String,
    pub name: String,
    pub transaction_manager: TransactionManager,
    pub storages: Vec<DeploymentStorage>,
    /// Namespace -> storage; namespaces not listed go to `default_storage`.
    pub namespace_mapping: Vec<NamespaceMapping>,
    pub default_storage: Option<String>,
    pub coordinator_namespace: String,
    /// Where ScalarDB keeps its metadata (`scalardb` unless overridden).
    pub system_namespace: String,
    pub admin_endpoints: Vec<AdminEndpoint>,
    /// Whether the Scalar Admin endpoints speak TLS (ScalarDB Cluster with TLS).
    pub admin_tls: bool,
    /// The CA (PEM file) that signed the admin endpoints' certificates; the
    /// system's roots when none.
    #[serde(default)]
    pub admin_ca_file: Option<String>,
    /// The host name their certificates carry, when it is not the endpoints' own.
    #[serde(default)]
    pub admin_authority: Option<String>,
    /// Commands that run inside every pause window (a storage's own snapshot).
    #[serde(default)]
    pub pause_hooks: Vec<hooks::PauseHook>,
    /// The pause's hard bounds (earlier releases wrote none: the defaults).
    #[serde(default)]
    pub pause_limits: PauseLimits,
    /// False for a Cluster client whose storages were not given: every later
    /// step says "unknown" rather than guessing.
    pub storages_known: bool,
    pub source: Option<ImportSource>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

impl Deployment {
    /// The storage a namespace lives on (after mapping), if known.
    pub fn storage_of(&self, namespace: &str) -> Option<&str> {
        self.namespace_mapping
            .iter()
            .find(|m| m.namespace == namespace)
            .map(|m| m.storage.as_str())
            .or(self.default_storage.as_deref())
            .or_else(|| (self.storages.len() == 1).then(|| self.storages[0].name.as_str()))
    }

    pub fn coordinator_storage(&self) -> Option<&str> {
        self.storage_of(&self.coordinator_namespace)
    }

    pub fn to_input(&self) -> DeploymentInput {
        DeploymentInput {
            name: self.name.clone(),
            transaction_manager: Some(self.transaction_manager),
            storages: self.storages.clone(),
            namespace_mapping: self.namespace_mapping.clone(),
            default_storage: self.default_storage.clone(),
            coordinator_namespace: Some(self.coordinator_namespace.clone()),
            system_namespace: Some(self.system_namespace.clone()),
            admin_endpoints: self.admin_endpoints.iter().map(|e| e.address.clone()).collect(),
            admin_tls: self.admin_tls,
            admin_ca_file: self.admin_ca_file.clone(),
            admin_authority: self.admin_authority.clone(),
            pause_hooks: self.pause_hooks.clone(),
            pause_limits: self.pause_limits,
            storages_known: Some(self.storages_known),
        }
    }
}

/// What the user edits (the GUI's form, the import's result).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, Default)]
pub struct DeploymentInput {
    pub name: String,
    pub transaction_manager: Option<TransactionManager>,
    #[serde(default)]
    pub storages: Vec<DeploymentStorage>,
    #[serde(default)]
    pub namespace_mapping: Vec<NamespaceMapping>,
    pub default_storage: Option<String>,
    pub coordinator_namespace: Option<String>,
    pub system_namespace: Option<String>,
    /// One address per entry: `host[:port]`, `indirect:host`, `direct-kubernetes:ns/ep`.
    #[serde(default)]
    pub admin_endpoints: Vec<String>,
    #[serde(default)]
    pub admin_tls: bool,
    #[serde(default)]
    pub admin_ca_file: Option<String>,
    #[serde(default)]
    pub admin_authority: Option<String>,
    #[serde(default)]
    pub pause_hooks: Vec<hooks::PauseHook>,
    #[serde(default)]
    pub pause_limits: PauseLimits,
    /// None: known when storages are given, unknown for a Cluster client without them.
    pub storages_known: Option<bool>,
}

/// Deployment and storage names: see `paths::name_problem`.
fn valid_name(s: &str) -> bool {
    crate::paths::name_problem(s).is_none()
}

fn valid_namespace(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_')
}

struct Checked {
    name: String,
    transaction_manager: TransactionManager,
    storages: Vec<DeploymentStorage>,
    namespace_mapping: Vec<NamespaceMapping>,
    default_storage: Option<String>,
    coordinator_namespace: String,
    system_namespace: String,
    admin_endpoints: Vec<AdminEndpoint>,
    admin_tls: bool,
    admin_ca_file: Option<String>,
    admin_authority: Option<String>,
    pause_hooks: Vec<hooks::PauseHook>,
    pause_limits: PauseLimits,
    storages_known: bool,
}

/// The admin endpoints' TLS settings, cleaned; problems said through `err`.
fn check_admin_tls(input: &DeploymentInput, err: &mut impl FnMut(&str, String)) -> (Option<String>, Option<String>) {
    let clean = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let admin_ca_file = clean(&input.admin_ca_file);
    let admin_authority = clean(&input.admin_authority);
    if let Some(ca) = &admin_ca_file {
        if !std::path::Path::new(ca).is_absolute() || !std::path::Path::new(ca).is_file() {
            err("admin_ca_file", format!("No file at {ca}: give the absolute path of the PEM file of the CA that signed the admin endpoints' certificates."));
        }
    }
    if let Some(a) = &admin_authority {
        if a.contains(|c: char| c.is_whitespace() || c == '/' || c == ':') {
            err(
                "admin_authority",
                format!(
                    "\"{a}\" is not a host name (the name the certificates carry, e.g. scalardb-cluster.internal)."
                ),
            );
        }
    }
    if (admin_ca_file.is_some() || admin_authority.is_some()) && !input.admin_tls {
        err("admin_tls", "A CA file or an authority is set but TLS is off: turn TLS on, or remove them.".into());
    }
    (admin_ca_file, admin_authority)
}

/// The in-pause hooks (a storage of the deployment, a program, no control
/// character) and the pause's bounds.
fn check_pausing(input: &DeploymentInput, err: &mut impl FnMut(&str, String)) {
    for h in &input.pause_hooks {
        if !input.storages.iter().any(|s| s.name == h.storage) {
            err("pause_hooks", format!("The in-pause hook for \"{}\" names no storage of this deployment.", h.storage));
        }
        if h.argv.is_empty() || h.argv.iter().any(|a| a.chars().any(char::is_control)) {
            err(
                "pause_hooks",
                format!(
                    "The in-pause hook for \"{}\" has no program, or a control character (a tab, a newline) in it.",
                    h.storage
                ),
            );
        }
    }
    for (field, m) in input.pause_limits.problems() {
        err(field, m);
    }
}

/// Checks an input against the profiles that exist; every problem at once.
pub fn validate(input: &DeploymentInput, profiles: &[Profile]) -> std::result::Result<(), Vec<FieldError>> {
    check(input, profiles).map(|_| ())
}

fn check(input: &DeploymentInput, profiles: &[Profile]) -> std::result::Result<Checked, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut err = |field: &str, message: String| errs.push(FieldError { field: field.into(), message });
    let name = input.name.trim().to_string();
    if let Some(why) = crate::paths::name_problem(&name) {
        err("name", format!("{why} The CLI refers to deployments by name, and backups go into a folder of that name, e.g. \"prod\"."));
    }
    let tm = input.transaction_manager.unwrap_or_default();
    let storages: Vec<DeploymentStorage> = input
        .storages
        .iter()
        .map(|s| DeploymentStorage { name: s.name.trim().to_string(), profile_id: s.profile_id.trim().to_string() })
        .collect();
    for (i, s) in storages.iter().enumerate() {
        if !valid_name(&s.name) {
            err("storages", format!("Storage #{}: give it a name of letters, digits, '-', '_' or '.'.", i + 1));
        } else if storages[..i].iter().any(|o| o.name == s.name) {
            err("storages", format!("The storage name \"{}\" is used twice.", s.name));
        }
        if !profiles.iter().any(|p| p.id == s.profile_id) {
            err(
                "storages",
                format!(
                    "Storage \"{}\": choose an existing profile (no profile with id \"{}\").",
                    s.name, s.profile_id
                ),
            );
        }
    }
    let storages_known = input.storages_known.unwrap_or(!storages.is_empty() || tm != TransactionManager::Cluster);
    if storages.is_empty() && tm != TransactionManager::Cluster {
        err("storages", "Add the storage (a profile) this deployment keeps its data in.".into());
    }
    if storages_known && storages.is_empty() && tm == TransactionManager::Cluster {
        err("storages", "Storages are marked known but none is given: add them, or leave them unknown.".into());
    }
    let has = |n: &str| storages.iter().any(|s| s.name == n);
    let mut mapping = Vec::new();
    for m in &input.namespace_mapping {
        let (ns, st) = (m.namespace.trim().to_string(), m.storage.trim().to_string());
        if ns.is_empty() && st.is_empty() {
            continue;
        }
        if !valid_namespace(&ns) {
            err("namespace_mapping", format!("\"{ns}\" is not a namespace name (letters, digits and '_')."));
        } else if mapping.iter().any(|x: &NamespaceMapping| x.namespace == ns) {
            err("namespace_mapping", format!("The namespace \"{ns}\" is mapped twice."));
        }
        if !has(&st) {
            err("namespace_mapping", format!("Namespace \"{ns}\" maps to \"{st}\", which is not one of the storages."));
        }
        mapping.push(NamespaceMapping { namespace: ns, storage: st });
    }
    let default_storage = input.default_storage.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    match &default_storage {
        Some(d) if !has(d) => err("default_storage", format!("\"{d}\" is not one of the storages.")),
        None if storages.len() > 1 => err(
            "default_storage",
            "With several storages, choose the default storage (scalar.db.multi_storage.default_storage).".into(),
        ),
        _ => {}
    }
    let ns_or = |v: &Option<String>, d: &str| {
        v.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).unwrap_or(d.into())
    };
    let coordinator_namespace = ns_or(&input.coordinator_namespace, DEFAULT_COORDINATOR_NAMESPACE);
    if !valid_namespace(&coordinator_namespace) {
        err("coordinator_namespace", "Use letters, digits and '_' (ScalarDB's default is \"coordinator\").".into());
    }
    let system_namespace = ns_or(&input.system_namespace, DEFAULT_SYSTEM_NAMESPACE);
    if !valid_namespace(&system_namespace) {
        err("system_namespace", "Use letters, digits and '_' (ScalarDB's default is \"scalardb\").".into());
    }
    let mut admin_endpoints = Vec::new();
    for a in input.admin_endpoints.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
        match AdminEndpoint::parse(a, CLUSTER_ADMIN_PORT) {
            Ok(e) if admin_endpoints.iter().any(|x: &AdminEndpoint| x.address == e.address) => {
                err("admin_endpoints", format!("{a} is listed twice."))
            }
            Ok(e) => admin_endpoints.push(e),
            Err(m) => {
                err("admin_endpoints", format!("{m}; write host:port, indirect:host or direct-kubernetes:ns/endpoint."))
            }
        }
    }
    let (admin_ca_file, admin_authority) = check_admin_tls(input, &mut err);
    check_pausing(input, &mut err);
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(Checked {
        name,
        transaction_manager: tm,
        storages,
        namespace_mapping: mapping,
        default_storage: default_storage.or_else(|| {
            input.storages.first().filter(|_| input.storages.len() == 1).map(|s| s.name.trim().to_string())
        }),
        coordinator_namespace,
        system_namespace,
        admin_endpoints,
        admin_tls: input.admin_tls,
        admin_ca_file,
        admin_authority,
        pause_hooks: input.pause_hooks.clone(),
        pause_limits: input.pause_limits,
        storages_known,
    })
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct DeploymentsFile {
    version: u32,
    deployments: Vec<Deployment>,
}

const FILE_VERSION: u32 = 1;

/// Deployments on disk (`config/deployments.json`), written under the state lock.
#[derive(Debug, Clone)]
pub struct Deployments {
    profiles: Profiles,
}

impl Deployments {
    pub fn new(profiles: Profiles) -> Self {
        Deployments { profiles }
    }

    /// A profile's password from the keyring, on the blocking pool (the
    /// Secret Service is a D-Bus round trip).
    pub async fn secret_of(&self, p: &Profile) -> Result<Option<crate::Sensitive<String>>> {
        let (ds, p) = (self.clone(), p.clone());
        tokio::task::spawn_blocking(move || ds.profiles().secret(&p))
            .await
            .map_err(|e| crate::Error::internal(e.to_string()))?
    }

    pub fn profiles(&self) -> &Profiles {
        &self.profiles
    }

    /// The state directory.
    pub fn home(&self) -> &Home {
        self.profiles.home()
    }

    fn load(&self) -> Result<DeploymentsFile> {
        load_file(self.home())
    }

    fn save(&self, mut f: DeploymentsFile) -> Result<()> {
        f.version = FILE_VERSION;
        f.deployments.sort_by(|a, b| a.name.cmp(&b.name));
        store::write_json(&self.home().deployments_file(), &f)
    }

    pub fn list(&self) -> Result<Vec<Deployment>> {
        Ok(self.load()?.deployments)
    }

    pub fn get(&self, name_or_id: &str) -> Result<Deployment> {
        self.load()?.deployments.into_iter().find(|d| d.name == name_or_id || d.id == name_or_id).ok_or_else(|| {
            Error::not_found(format!(
                "No deployment named \"{name_or_id}\". List them with `quiesce deployment list`, or import one with `quiesce deployment import database.properties`."
            ))
        })
    }

    pub fn validate(&self, input: &DeploymentInput) -> Result<Vec<FieldError>> {
        let profiles = self.profiles.list()?;
        Ok(validate(input, &profiles).err().unwrap_or_default())
    }

    pub fn create(&self, input: &DeploymentInput, source: Option<ImportSource>) -> Result<Deployment> {
        self.home().ensure()?;
        let _lock = store::lock_exclusive(&self.home().lock_file())?;
        let profiles = self.profiles.list()?;
        let c = check(input, &profiles).map_err(|f| invalid("deployment", f))?;
        let mut file = self.load()?;
        if file.deployments.iter().any(|d| d.name == c.name) {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                format!(
                    "A deployment named \"{}\" exists already. Choose another name (--name) or remove that one.",
                    c.name
                ),
            ));
        }
        let now = Utc::now();
        let d = build(uuid::Uuid::new_v4().to_string(), c, source, now, now);
        file.deployments.push(d.clone());
        self.save(file)?;
        tracing::info!(deployment = %d.name, storages = d.storages.len(), "deployment created");
        Ok(d)
    }

    pub fn update(&self, name_or_id: &str, input: &DeploymentInput) -> Result<Deployment> {
        self.home().ensure()?;
        let _lock = store::lock_exclusive(&self.home().lock_file())?;
        let profiles = self.profiles.list()?;
        let c = check(input, &profiles).map_err(|f| invalid("deployment", f))?;
        let mut file = self.load()?;
        let idx =
            file.deployments.iter().position(|d| d.name == name_or_id || d.id == name_or_id).ok_or_else(|| {
                Error::not_found(format!("No deployment named \"{name_or_id}\"; it may have been removed meanwhile."))
            })?;
        let old = file.deployments[idx].clone();
        if file.deployments.iter().any(|d| d.name == c.name && d.id != old.id) {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("A deployment named \"{}\" exists already.", c.name),
            ));
        }
        let d = build(old.id.clone(), c, old.source.clone(), old.created_at, Utc::now());
        file.deployments[idx] = d.clone();
        self.save(file)?;
        tracing::info!(deployment = %d.name, "deployment updated");
        Ok(d)
    }

    /// Deletes a profile and its secret, unless a deployment uses it.
    pub fn remove_profile(&self, name_or_id: &str) -> Result<Profile> {
        self.profiles.remove(name_or_id, deployments_using)
    }

    /// Removes the deployment; its profiles (and their secrets) stay.
    pub fn remove(&self, name_or_id: &str) -> Result<Deployment> {
        self.home().ensure()?;
        let _lock = store::lock_exclusive(&self.home().lock_file())?;
        let mut file = self.load()?;
        let idx =
            file.deployments.iter().position(|d| d.name == name_or_id || d.id == name_or_id).ok_or_else(|| {
                Error::not_found(format!(
                    "No deployment named \"{name_or_id}\". List them with `quiesce deployment list`."
                ))
            })?;
        let d = file.deployments.remove(idx);
        self.save(file)?;
        tracing::info!(deployment = %d.name, "deployment removed (its profiles are kept)");
        Ok(d)
    }

    /// The profile behind each storage, in the deployment's order.
    pub fn storage_profiles(&self, d: &Deployment) -> Result<Vec<(DeploymentStorage, Profile)>> {
        let all = self.profiles.list()?;
        d.storages
            .iter()
            .map(|s| {
                all.iter().find(|p| p.id == s.profile_id).cloned().map(|p| (s.clone(), p)).ok_or_else(|| {
                    Error::not_found(format!(
                        "Deployment \"{}\": the profile of storage \"{}\" no longer exists. Give it one: quiesce deployment edit <deployment> --storage <storage>=<profile> (or in the app, Deployments).",
                        d.name, s.name
                    ))
                })
            })
            .collect()
    }
}

/// Storages grouped by their profile, in the deployment's order: each
/// profile is one database, holding the storages named with it.
pub fn by_profile(storages: &[(DeploymentStorage, Profile)]) -> Vec<(Profile, Vec<String>)> {
    let mut out: Vec<(Profile, Vec<String>)> = Vec::new();
    for (s, p) in storages {
        match out.iter_mut().find(|(q, _)| q.id == p.id) {
            Some((_, names)) => names.push(s.name.clone()),
            None => out.push((p.clone(), vec![s.name.clone()])),
        }
    }
    out
}

fn invalid(what: &str, fields: Vec<FieldError>) -> Error {
    let mut e = Error::invalid_fields(fields);
    e.message = e.message.replacen("The profile", &format!("The {what}"), 1);
    e
}

fn build(
    id: String,
    c: Checked,
    source: Option<ImportSource>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> Deployment {
    Deployment {
        id,
        name: c.name,
        transaction_manager: c.transaction_manager,
        storages: c.storages,
        namespace_mapping: c.namespace_mapping,
        default_storage: c.default_storage,
        coordinator_namespace: c.coordinator_namespace,
        system_namespace: c.system_namespace,
        admin_endpoints: c.admin_endpoints,
        admin_tls: c.admin_tls,
        admin_ca_file: c.admin_ca_file,
        admin_authority: c.admin_authority,
        pause_hooks: c.pause_hooks,
        pause_limits: c.pause_limits,
        storages_known: c.storages_known,
        source,
        created_at,
        updated_at,
    }
}

fn load_file(home: &Home) -> Result<DeploymentsFile> {
    let path = home.deployments_file();
    let f: DeploymentsFile = store::read_json(&path)?;
    if f.version > FILE_VERSION {
        return Err(Error::invalid(format!(
            "{} was written by a newer Quiesce (format {}); upgrade Quiesce to read it.",
            path.display(),
            f.version
        )));
    }
    Ok(f)
}

/// Names of the deployments that use a profile (profiles.rs refuses to delete it).
pub fn deployments_using(home: &Home, profile_id: &str) -> Result<Vec<String>> {
    Ok(load_file(home)?
        .deployments
        .into_iter()
        .filter(|d| d.storages.iter().any(|s| s.profile_id == profile_id))
        .map(|d| d.name)
        .collect())
}

/// A deployment named `name` (its id too) whose storages are `profiles`
/// (each storage named by its profile's id), for the engine's unit tests.
#[cfg(test)]
pub(crate) fn test_deployment(
    name: &str,
    profiles: &[&Profile],
    mapping: &[(&str, &str)],
) -> (Deployment, Vec<(DeploymentStorage, Profile)>) {
    let storages: Vec<DeploymentStorage> =
        profiles.iter().map(|p| DeploymentStorage { name: p.id.clone(), profile_id: p.id.clone() }).collect();
    let d = Deployment {
        id: name.into(),
        name: name.into(),
        transaction_manager: TransactionManager::ConsensusCommit,
        storages: storages.clone(),
        namespace_mapping: mapping
            .iter()
            .map(|(n, s)| NamespaceMapping { namespace: n.to_string(), storage: s.to_string() })
            .collect(),
        default_storage: storages.first().map(|s| s.name.clone()),
        coordinator_namespace: "coordinator".into(),
        system_namespace: "scalardb".into(),
        admin_endpoints: vec![],
        pause_limits: Default::default(),
        admin_tls: false,
        admin_ca_file: None,
        admin_authority: None,
        pause_hooks: vec![],
        storages_known: true,
        source: None,
        created_at: Default::default(),
        updated_at: Default::default(),
    };
    let pairs = storages.into_iter().zip(profiles.iter().map(|p| (*p).clone())).collect();
    (d, pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_in_every_form() {
        let e = AdminEndpoint::parse("indirect:lb.internal", CLUSTER_ADMIN_PORT).unwrap();
        assert_eq!(
            (e.kind, e.host.as_deref(), e.port, e.needs_address),
            (EndpointKind::Indirect, Some("lb.internal"), 60053, false)
        );
        let e = AdminEndpoint::parse("10.0.0.5:60051", CLUSTER_ADMIN_PORT).unwrap();
        assert_eq!((e.kind, e.host.as_deref(), e.port), (EndpointKind::Direct, Some("10.0.0.5"), 60051));
        let e = AdminEndpoint::parse("direct-kubernetes:prod/scalardb-cluster", CLUSTER_ADMIN_PORT).unwrap();
        assert!(e.needs_address && e.host.is_none());
        let e = AdminEndpoint::parse("[::1]:7000", 1).unwrap();
        assert_eq!((e.host.as_deref(), e.port), (Some("::1"), 7000));
        assert!(AdminEndpoint::parse("host:notaport", 1).is_err());
        assert!(AdminEndpoint::parse("direct-kubernetes:", 1).is_err());
    }

    fn profile(id: &str) -> Profile {
        Profile {
            id: id.into(),
            name: id.into(),
            kind: crate::profile::DbKind::Postgresql,
            flavor: crate::profile::Flavor::SelfHosted,
            host: Some("h".into()),
            port: Some(5432),
            database: Some("d".into()),
            user: Some("u".into()),
            ..Default::default()
        }
    }

    #[test]
    fn validation_reports_every_problem_against_its_field() {
        let profiles = vec![profile("p1")];
        let input = DeploymentInput {
            name: "bad name".into(),
            storages: vec![
                DeploymentStorage { name: "a".into(), profile_id: "p1".into() },
                DeploymentStorage { name: "a".into(), profile_id: "nope".into() },
            ],
            namespace_mapping: vec![NamespaceMapping { namespace: "bank".into(), storage: "zzz".into() }],
            coordinator_namespace: Some("co-ord".into()),
            admin_endpoints: vec!["x:y".into()],
            ..Default::default()
        };
        let errs = validate(&input, &profiles).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in
            ["name", "storages", "namespace_mapping", "default_storage", "coordinator_namespace", "admin_endpoints"]
        {
            assert!(fields.contains(&f), "{f} missing from {errs:?}");
        }
    }

    #[test]
    fn single_storage_is_the_default_and_cluster_may_leave_storages_unknown() {
        let profiles = vec![profile("p1")];
        let c = check(
            &DeploymentInput {
                name: "d".into(),
                storages: vec![DeploymentStorage { name: "default".into(), profile_id: "p1".into() }],
                ..Default::default()
            },
            &profiles,
        )
        .ok()
        .unwrap();
        assert_eq!(c.default_storage.as_deref(), Some("default"));
        assert!(c.storages_known);
        let c = check(
            &DeploymentInput {
                name: "c".into(),
                transaction_manager: Some(TransactionManager::Cluster),
                admin_endpoints: vec!["indirect:lb".into()],
                ..Default::default()
            },
            &profiles,
        )
        .ok()
        .unwrap();
        assert!(!c.storages_known && c.storages.is_empty());
    }
}
