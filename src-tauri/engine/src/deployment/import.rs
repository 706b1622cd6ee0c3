//! Importing a ScalarDB configuration file (`database.properties`, a ScalarDB
//! Cluster client file, or a Cluster node's server-side file) into a
//! deployment. The keys are ScalarDB's own (scalar-labs/scalardb
//! `core/src/main/java/com/scalar/db/config/DatabaseConfig.java`,
//! `storage/multistorage/MultiStorageConfig.java`, `storage/jdbc/JdbcConfig.java`).
//!
//! Two steps: `preview` reads the file and says what it found — storages,
//! namespace mapping, coordinator, endpoints, keys it did not understand —
//! without changing anything and without any secret in its result; `import`
//! saves it, moving passwords into the keyring. `import` is given the preview's
//! SHA-256 and refuses a file that changed in between.

use super::*;
use crate::profile::{validate as validate_profile, DbKind, PasswordChange, ProfileInput};
use crate::properties::{self, Prop};
use crate::sensitive::Sensitive;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ConfigKind {
    /// One storage (`scalar.db.storage` = jdbc, cassandra, cosmos or dynamo).
    SingleStorage,
    MultiStorage,
    /// A ScalarDB Cluster client: names the Cluster, not its storages.
    ClusterClient,
    /// A ScalarDB Cluster node's own configuration: storages, no endpoints.
    ClusterServer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct KeyLine {
    pub key: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportedStorage {
    /// `default` for a single storage, else the multi-storage name.
    pub name: String,
    /// `scalar.db.storage` of this storage: jdbc, cassandra, cosmos, dynamo.
    pub storage: String,
    /// The JDBC URL as written, less any password parameter.
    pub jdbc_url: Option<String>,
    /// The profile that will be created (the password is never included).
    pub profile: ProfileInput,
    pub password_present: bool,
    /// An existing profile with the same target, which will be reused.
    pub existing_profile: Option<String>,
    /// What keeps this storage from being saved as it is.
    pub problems: Vec<FieldError>,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ImportPreview {
    pub file: String,
    pub sha256: String,
    pub config_kind: ConfigKind,
    pub suggested_name: String,
    pub transaction_manager: TransactionManager,
    pub storages: Vec<ImportedStorage>,
    pub namespace_mapping: Vec<NamespaceMapping>,
    pub default_storage: Option<String>,
    pub coordinator_namespace: String,
    pub system_namespace: String,
    pub admin_endpoints: Vec<AdminEndpoint>,
    pub admin_tls: bool,
    pub storages_known: bool,
    /// Keys Quiesce does not know: listed, not fatal.
    pub unknown_keys: Vec<KeyLine>,
    /// ScalarDB keys understood but not needed for backups (pool sizes, isolation, ...).
    pub ignored_keys: Vec<KeyLine>,
    pub notes: Vec<String>,
}

/// A preview plus the secrets it does not show, in storage order.
pub struct Interpreted {
    pub preview: ImportPreview,
    secrets: Vec<Option<Sensitive<String>>>,
}

pub fn read(path: &Path) -> Result<(String, String)> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let sha = format!("{:x}", Sha256::digest(&bytes));
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::invalid(format!("{} is not a text file (not UTF-8). Give ScalarDB's .properties file.", path.display()))
    })?;
    Ok((text, sha))
}

/// Reads a file and shows what an import would save. Changes nothing.
pub fn preview(deployments: &Deployments, path: &Path) -> Result<ImportPreview> {
    let (text, sha) = read(path)?;
    let profiles = deployments.profiles().list()?;
    Ok(interpret(path, &text, &sha, &profiles)?.preview)
}

/// Imports a file as a new deployment. `expected_sha256`: the preview's hash.
pub fn import(
    deployments: &Deployments,
    path: &Path,
    name: Option<&str>,
    expected_sha256: Option<&str>,
) -> Result<Deployment> {
    let it = load_checked(deployments, path, expected_sha256)?;
    let p = &it.preview;
    let name = name.map(str::trim).filter(|n| !n.is_empty()).unwrap_or(&p.suggested_name).to_string();
    // Checked before any profile is created, so a bad name leaves nothing behind.
    if let Some(why) = crate::paths::name_problem(&name) {
        return Err(Error::invalid(format!("\"{name}\" cannot name a deployment. {why} Choose another with --name.")));
    }
    if deployments.list()?.iter().any(|d| d.name == name) {
        return Err(Error::new(
            ErrorCode::AlreadyExists,
            format!("A deployment named \"{name}\" exists already. Choose another name (--name) or remove that one."),
        ));
    }
    let mut created = Vec::new();
    let result = (|| {
        let storages = save_storage_profiles(deployments, &it, &name, &mut created)?;
        let input = DeploymentInput {
            name: name.clone(),
            transaction_manager: Some(p.transaction_manager),
            storages,
            namespace_mapping: p.namespace_mapping.clone(),
            default_storage: p.default_storage.clone(),
            coordinator_namespace: Some(p.coordinator_namespace.clone()),
            system_namespace: Some(p.system_namespace.clone()),
            admin_endpoints: p.admin_endpoints.iter().map(|e| e.address.clone()).collect(),
            admin_tls: p.admin_tls,
            // (ScalarDB's own CA and authority settings are not read yet: set them with `deployment edit`.)
            admin_ca_file: None,
            admin_authority: None,
            pause_hooks: vec![],
            pause_limits: Default::default(),
            storages_known: Some(p.storages_known),
        };
        deployments.create(&input, Some(source(p)))
    })();
    if result.is_err() {
        // Nothing half-imported: the profiles this import created go again.
        for id in created {
            let _ = deployments.remove_profile(&id);
        }
    }
    result
}

/// Gives a Cluster-client deployment its storages from the Cluster's
/// server-side properties file (or any storage configuration).
pub fn attach(
    deployments: &Deployments,
    deployment: &str,
    path: &Path,
    expected_sha256: Option<&str>,
) -> Result<Deployment> {
    let d = deployments.get(deployment)?;
    let it = load_checked(deployments, path, expected_sha256)?;
    let p = &it.preview;
    if p.config_kind == ConfigKind::ClusterClient {
        return Err(Error::invalid(format!(
            "{} is a Cluster client file: it names no storages. Attach the Cluster's server-side properties (the one with scalar.db.storage).",
            p.file
        )));
    }
    let mut created = Vec::new();
    let result = (|| {
        let storages = save_storage_profiles(deployments, &it, &d.name, &mut created)?;
        let mut input = d.to_input();
        input.storages = storages;
        input.namespace_mapping = p.namespace_mapping.clone();
        input.default_storage = p.default_storage.clone();
        input.coordinator_namespace = Some(p.coordinator_namespace.clone());
        input.system_namespace = Some(p.system_namespace.clone());
        input.storages_known = Some(true);
        deployments.update(&d.id, &input)
    })();
    if result.is_err() {
        for id in created {
            let _ = deployments.remove_profile(&id);
        }
    }
    result
}

fn load_checked(deployments: &Deployments, path: &Path, expected_sha256: Option<&str>) -> Result<Interpreted> {
    let (text, sha) = read(path)?;
    if let Some(want) = expected_sha256 {
        if want != sha {
            return Err(Error::invalid(format!(
                "{} changed since it was previewed. Preview it again and check what it says now.",
                path.display()
            )));
        }
    }
    let profiles = deployments.profiles().list()?;
    let it = interpret(path, &text, &sha, &profiles)?;
    let problems: Vec<String> = it
        .preview
        .storages
        .iter()
        .flat_map(|s| {
            s.problems
                .iter()
                .map(move |f| format!("storage \"{}\" (line {}): {}: {}", s.name, s.line, f.field, f.message))
        })
        .collect();
    if !problems.is_empty() {
        return Err(Error::invalid(format!(
            "{} cannot be imported as it is: {}. Fix the file, or create the deployment by hand.",
            it.preview.file,
            problems.join("; ")
        )));
    }
    Ok(it)
}

fn source(p: &ImportPreview) -> ImportSource {
    ImportSource { file: p.file.clone(), sha256: p.sha256.clone(), imported_at: Utc::now() }
}

/// Creates (or reuses) a profile per storage; passwords go to the keyring.
fn save_storage_profiles(
    deployments: &Deployments,
    it: &Interpreted,
    deployment_name: &str,
    created: &mut Vec<String>,
) -> Result<Vec<DeploymentStorage>> {
    let profiles = deployments.profiles();
    let mut out = Vec::new();
    for (s, secret) in it.preview.storages.iter().zip(&it.secrets) {
        let password = match secret {
            Some(pw) => PasswordChange::Set(pw.clone()),
            None => PasswordChange::Keep,
        };
        let id = match &s.existing_profile {
            Some(existing) => {
                let p = profiles.get(existing)?;
                if secret.is_some() {
                    let mut input = p.to_input();
                    input.password = password;
                    profiles.update(&p.id, &input)?;
                }
                p.id
            }
            None => {
                let base = if it.preview.storages.len() == 1 {
                    format!("{deployment_name}-{}", kind_slug(s.profile.kind))
                } else {
                    format!("{deployment_name}-{}", s.name)
                };
                let taken: Vec<String> = profiles.list()?.into_iter().map(|p| p.name).collect();
                let name = unique_name(&base, &taken);
                let mut input = s.profile.clone();
                input.name = name;
                input.password = password;
                let p = profiles.create(&input)?;
                created.push(p.id.clone());
                p.id
            }
        };
        out.push(DeploymentStorage { name: s.name.clone(), profile_id: id });
    }
    Ok(out)
}

fn kind_slug(k: Option<DbKind>) -> &'static str {
    match k {
        Some(DbKind::Postgresql) => "postgresql",
        Some(DbKind::Mysql) => "mysql",
        Some(DbKind::Sqlite) => "sqlite",
        Some(DbKind::Cassandra) => "cassandra",
        Some(DbKind::Cosmos) => "cosmos",
        Some(DbKind::Dynamo) => "dynamo",
        Some(DbKind::Oracle) => "oracle",
        Some(DbKind::Sqlserver) => "sqlserver",
        Some(DbKind::Db2) => "db2",
        None => "storage",
    }
}

fn unique_name(base: &str, taken: &[String]) -> String {
    let base: String = base.chars().filter(|c| c.is_alphanumeric() || "-_.".contains(*c)).take(56).collect();
    if !taken.contains(&base) {
        return base;
    }
    (2..).map(|i| format!("{base}-{i}")).find(|n| !taken.contains(n)).unwrap()
}

/// Keys ScalarDB has that Quiesce reads.
const USED: &[&str] = &[
    "scalar.db.storage",
    "scalar.db.contact_points",
    "scalar.db.contact_port",
    "scalar.db.username",
    "scalar.db.password",
    "scalar.db.transaction_manager",
    "scalar.db.consensus_commit.coordinator.namespace",
    "scalar.db.multi_storage.storages",
    "scalar.db.multi_storage.namespace_mapping",
    "scalar.db.multi_storage.default_storage",
    "scalar.db.dynamo.endpoint_override",
    "scalar.db.dynamo.namespace.prefix",
    "scalar.db.system_namespace_name",
    "scalar.db.jdbc.table_metadata.schema",
    "scalar.db.cluster.tls.enabled",
    "scalar.db.sql.connection_mode",
    "scalar.db.sql.cluster_mode.contact_points",
    "scalar.db.sql.cluster_mode.contact_port",
];

/// Families of ScalarDB keys that exist but do not matter for backups.
const KNOWN_PREFIXES: &[&str] = &[
    "scalar.db.consensus_commit.",
    "scalar.db.jdbc.",
    "scalar.db.cassandra.",
    "scalar.db.cosmos.",
    "scalar.db.dynamo.",
    "scalar.db.cluster.",
    "scalar.db.sql.",
    "scalar.db.cross_partition_scan.",
    "scalar.db.metadata.",
    "scalar.db.active_transaction_management.",
    "scalar.db.default_namespace_name",
    "scalar.db.auth.",
    "scalar.db.graphql.",
    "scalar.db.server.",
    "scalar.db.tls.",
    "scalar.db.scan_fetch_size",
];

/// Per-storage keys of a multi-storage entry that Quiesce reads.
const STORAGE_USED: &[&str] = &[
    "storage",
    "contact_points",
    "contact_port",
    "username",
    "password",
    "dynamo.endpoint_override",
    "dynamo.namespace.prefix",
];

/// Marks of a ScalarDB Cluster node's own configuration.
const CLUSTER_SERVER_PREFIXES: &[&str] = &["scalar.db.cluster.node.", "scalar.db.cluster.membership."];

/// A properties file's entries by key (the last one of a key counts).
struct Keys<'a> {
    label: String,
    map: BTreeMap<&'a str, &'a Prop>,
}

impl<'a> Keys<'a> {
    /// Later keys win, as in java.util.Properties; a note says so when it happens.
    fn new(label: String, props: &'a [Prop], notes: &mut Vec<String>) -> Self {
        let mut map: BTreeMap<&str, &Prop> = BTreeMap::new();
        for p in props {
            if let Some(old) = map.insert(p.key.as_str(), p) {
                notes.push(format!(
                    "{} is set on lines {} and {}; the last one counts, as in ScalarDB.",
                    p.key, old.line, p.line
                ));
            }
        }
        Keys { label, map }
    }

    fn get(&self, k: &str) -> Option<&'a Prop> {
        self.map.get(k).copied()
    }

    fn val(&self, k: &str) -> Option<&'a str> {
        self.get(k).map(|p| p.value.trim()).filter(|v| !v.is_empty())
    }

    fn err_at(&self, line: usize, m: String) -> Error {
        Error::invalid(format!("{} line {line}: {m}", self.label))
    }
}

/// What the storage settings of a file say.
#[derive(Default)]
struct StoragesRead {
    storages: Vec<ImportedStorage>,
    secrets: Vec<Option<Sensitive<String>>>,
    mapping: Vec<NamespaceMapping>,
    default_storage: Option<String>,
    /// The names a multi-storage file lists.
    multi_names: Vec<String>,
}

fn transaction_manager(k: &Keys) -> Result<TransactionManager> {
    let tm = match k.get("scalar.db.transaction_manager") {
        Some(p) => TransactionManager::parse(&p.value).ok_or_else(|| {
            k.err_at(
                p.line,
                format!(
                    "scalar.db.transaction_manager={} is not a ScalarDB transaction manager: use consensus-commit, jdbc, single-crud-operation or cluster.",
                    p.value.trim()
                ),
            )
        })?,
        None => TransactionManager::ConsensusCommit,
    };
    Ok(if k.val("scalar.db.sql.connection_mode") == Some("cluster") { TransactionManager::Cluster } else { tm })
}

/// The coordinator's and the system namespace, with notes when renamed.
fn namespaces(k: &Keys, tm: TransactionManager, notes: &mut Vec<String>) -> (String, String) {
    let coordinator_namespace =
        k.val("scalar.db.consensus_commit.coordinator.namespace").unwrap_or(DEFAULT_COORDINATOR_NAMESPACE).to_string();
    if coordinator_namespace != DEFAULT_COORDINATOR_NAMESPACE {
        notes.push(format!(
            "The coordinator namespace is \"{coordinator_namespace}\" (scalar.db.consensus_commit.coordinator.namespace): backups include it instead of \"coordinator\"."
        ));
    }
    let system_namespace =
        match (k.val("scalar.db.system_namespace_name"), k.val("scalar.db.jdbc.table_metadata.schema")) {
            (Some(n), _) => n.to_string(),
            (None, Some(n)) => {
                notes.push(format!(
                    "scalar.db.jdbc.table_metadata.schema (older name of the system namespace) is \"{n}\"."
                ));
                n.to_string()
            }
            (None, None) => DEFAULT_SYSTEM_NAMESPACE.to_string(),
        };
    if tm == TransactionManager::Jdbc {
        notes.push("Transaction manager jdbc: ScalarDB uses the database's own transactions, so there is no coordinator table and no Consensus Commit columns.".into());
    }
    (coordinator_namespace, system_namespace)
}

/// A Cluster client file: the Cluster's Scalar Admin endpoints.
fn cluster_endpoints(k: &Keys, notes: &mut Vec<String>) -> Result<Vec<AdminEndpoint>> {
    let cp = k.get("scalar.db.sql.cluster_mode.contact_points").or(k.get("scalar.db.contact_points"));
    let port_key = if k.get("scalar.db.sql.cluster_mode.contact_points").is_some() {
        "scalar.db.sql.cluster_mode.contact_port"
    } else {
        "scalar.db.contact_port"
    };
    let port = match k.get(port_key) {
        Some(p) => p
            .value
            .trim()
            .parse::<u16>()
            .map_err(|_| k.err_at(p.line, format!("{port_key}={} is not a port number.", p.value.trim())))?,
        None => CLUSTER_ADMIN_PORT,
    };
    let cp = cp.ok_or_else(|| {
        Error::invalid(format!(
            "{}: a Cluster client file (scalar.db.transaction_manager=cluster) needs scalar.db.contact_points, e.g. indirect:scalardb-cluster.internal.",
            k.label
        ))
    })?;
    let mut endpoints = Vec::new();
    for a in cp.value.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        let e = AdminEndpoint::parse(a, port).map_err(|m| k.err_at(cp.line, format!("{m}.")))?;
        if e.needs_address {
            notes.push(format!(
                "{a}: the Cluster is found through the Kubernetes API, which Quiesce does not use. Give the address of its Scalar Admin endpoint (port {port}) before pausing."
            ));
        }
        endpoints.push(e);
    }
    notes.push("A Cluster client file names the Cluster, not its storages: they are unknown until you attach them (the Cluster's server-side properties file, or by hand).".into());
    if k.val("scalar.db.username").is_some() || k.val("scalar.db.password").is_some() {
        notes.push("scalar.db.username/password here are the Cluster's own credentials; Quiesce does not need them and did not keep them.".into());
    }
    Ok(endpoints)
}

/// A multi-storage file: its storages, namespace mapping and default storage.
fn multi_storage(
    k: &Keys,
    storage: &Prop,
    path: &Path,
    existing: &[Profile],
    notes: &mut Vec<String>,
) -> Result<StoragesRead> {
    let mut out = StoragesRead::default();
    let list = k.get("scalar.db.multi_storage.storages").ok_or_else(|| {
        k.err_at(storage.line, "multi-storage needs scalar.db.multi_storage.storages=a,b naming the storages.".into())
    })?;
    out.multi_names = list.value.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    if out.multi_names.is_empty() {
        return Err(k.err_at(list.line, "scalar.db.multi_storage.storages names no storage.".into()));
    }
    for n in &out.multi_names {
        let prefix = format!("scalar.db.multi_storage.storages.{n}.");
        let kind_prop = k.get(&format!("{prefix}storage")).ok_or_else(|| {
            k.err_at(list.line, format!("storage \"{n}\" has no {prefix}storage (jdbc, cassandra, cosmos or dynamo)."))
        })?;
        let (s, secret) = read_storage(n, kind_prop, &|x| k.get(&format!("{prefix}{x}")), path, existing, notes)
            .map_err(|m| k.err_at(m.0, m.1))?;
        out.storages.push(s);
        out.secrets.push(secret);
    }
    if let Some(m) = k.get("scalar.db.multi_storage.namespace_mapping") {
        for pair in m.value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (ns, st) = pair.split_once(':').ok_or_else(|| {
                k.err_at(
                    m.line,
                    format!("\"{pair}\" in scalar.db.multi_storage.namespace_mapping is not namespace:storage."),
                )
            })?;
            let (ns, st) = (ns.trim().to_string(), st.trim().to_string());
            if !out.multi_names.contains(&st) {
                return Err(k.err_at(
                    m.line,
                    format!("namespace \"{ns}\" maps to storage \"{st}\", which scalar.db.multi_storage.storages does not list."),
                ));
            }
            out.mapping.push(NamespaceMapping { namespace: ns, storage: st });
        }
    }
    out.default_storage = match k.get("scalar.db.multi_storage.default_storage") {
        Some(d) if !out.multi_names.contains(&d.value.trim().to_string()) => {
            return Err(k.err_at(
                d.line,
                format!(
                    "the default storage \"{}\" is not listed in scalar.db.multi_storage.storages.",
                    d.value.trim()
                ),
            ))
        }
        Some(d) => Some(d.value.trim().to_string()),
        None => {
            return Err(k.err_at(
                storage.line,
                "multi-storage needs scalar.db.multi_storage.default_storage (where unmapped namespaces live).".into(),
            ))
        }
    };
    Ok(out)
}

/// The storages of a file that is not a Cluster client's: one, or several (multi-storage).
fn storages_of(k: &Keys, path: &Path, existing: &[Profile], notes: &mut Vec<String>) -> Result<StoragesRead> {
    let storage = k.get("scalar.db.storage").ok_or_else(|| {
        Error::invalid(format!(
            "{} sets no scalar.db.storage, so it does not say where ScalarDB keeps its data. Is this ScalarDB's database.properties? Add scalar.db.storage=jdbc (or cassandra, cosmos, dynamo, multi-storage).",
            k.label
        ))
    })?;
    if storage.value.trim() == "multi-storage" {
        return multi_storage(k, storage, path, existing, notes);
    }
    let (s, secret) = read_storage("default", storage, &|x| k.get(&format!("scalar.db.{x}")), path, existing, notes)
        .map_err(|m| k.err_at(m.0, m.1))?;
    Ok(StoragesRead {
        storages: vec![s],
        secrets: vec![secret],
        default_storage: Some("default".into()),
        ..Default::default()
    })
}

/// Every key Quiesce did not use: understood-but-unneeded, or unknown.
fn unused_keys(props: &[Prop], multi_names: &[String]) -> (Vec<KeyLine>, Vec<KeyLine>) {
    let mut unknown_keys = Vec::new();
    let mut ignored_keys = Vec::new();
    for p in props {
        let k = p.key.as_str();
        if USED.contains(&k) {
            continue;
        }
        let line = KeyLine { key: p.key.clone(), line: p.line };
        if let Some(rest) = k.strip_prefix("scalar.db.multi_storage.storages.") {
            if let Some(n) = multi_names.iter().find(|n| rest.starts_with(&format!("{n}."))) {
                let sub = &rest[n.len() + 1..];
                if STORAGE_USED.contains(&sub) {
                    continue;
                }
                if KNOWN_PREFIXES.iter().any(|x| format!("scalar.db.{sub}").starts_with(x)) {
                    ignored_keys.push(line);
                    continue;
                }
            }
            unknown_keys.push(line);
        } else if KNOWN_PREFIXES.iter().any(|x| k.starts_with(x)) {
            ignored_keys.push(line);
        } else {
            unknown_keys.push(line);
        }
    }
    (unknown_keys, ignored_keys)
}

/// The heart of the import: properties -> preview + secrets.
pub fn interpret(path: &Path, text: &str, sha256: &str, existing: &[Profile]) -> Result<Interpreted> {
    let label =
        path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| path.display().to_string());
    let props = properties::parse(&label, text)?;
    let mut notes = Vec::new();
    let k = Keys::new(label, &props, &mut notes);
    let tm = transaction_manager(&k)?;
    let is_cluster_server = props.iter().any(|p| CLUSTER_SERVER_PREFIXES.iter().any(|x| p.key.starts_with(x)));
    if is_cluster_server && tm == TransactionManager::Cluster {
        notes.push("The file has both Cluster client and Cluster node settings; it is read as a client file.".into());
    }
    let (coordinator_namespace, system_namespace) = namespaces(&k, tm, &mut notes);
    let admin_tls = k.val("scalar.db.cluster.tls.enabled").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let (config_kind, admin_endpoints, read) = if tm == TransactionManager::Cluster {
        (ConfigKind::ClusterClient, cluster_endpoints(&k, &mut notes)?, StoragesRead::default())
    } else {
        let read = storages_of(&k, path, existing, &mut notes)?;
        let kind = match (is_cluster_server, read.multi_names.is_empty()) {
            (true, _) => ConfigKind::ClusterServer,
            (false, true) => ConfigKind::SingleStorage,
            (false, false) => ConfigKind::MultiStorage,
        };
        (kind, Vec::new(), read)
    };
    if config_kind == ConfigKind::ClusterServer {
        notes.push(format!(
            "This is a ScalarDB Cluster node's configuration: add the Cluster's Scalar Admin endpoints (port {CLUSTER_ADMIN_PORT}), or attach this file to the deployment imported from the Cluster client file."
        ));
    }
    let (unknown_keys, ignored_keys) = unused_keys(&props, &read.multi_names);
    let StoragesRead { storages, secrets, mapping, default_storage, .. } = read;
    if mapping.iter().any(|m| m.namespace == coordinator_namespace) || storages.len() > 1 {
        let on = mapping
            .iter()
            .find(|m| m.namespace == coordinator_namespace)
            .map(|m| m.storage.clone())
            .or(default_storage.clone());
        if let Some(on) = on {
            notes.push(format!("The coordinator table ({coordinator_namespace}.state) is on storage \"{on}\"."));
        }
    }
    let suggested_name = suggest_name(path, &storages);
    let storages_known = config_kind != ConfigKind::ClusterClient;
    Ok(Interpreted {
        preview: ImportPreview {
            file: path.display().to_string(),
            sha256: sha256.to_string(),
            config_kind,
            suggested_name,
            transaction_manager: tm,
            storages,
            namespace_mapping: mapping,
            default_storage,
            coordinator_namespace,
            system_namespace,
            admin_endpoints,
            admin_tls,
            storages_known,
            unknown_keys,
            ignored_keys,
            notes,
        },
        secrets,
    })
}

fn suggest_name(path: &Path, storages: &[ImportedStorage]) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let generic =
        ["database", "scalardb", "scalardb-cluster-client", "client", "server", "scalardb-cluster", "properties", ""];
    let clean: String = stem.chars().filter(|c| c.is_alphanumeric() || "-_.".contains(*c)).take(48).collect();
    if !generic.contains(&clean.as_str()) {
        return clean;
    }
    let first = storages.first().and_then(|s| {
        s.profile.host.clone().or(s.profile.region.clone()).or(s.profile.nodes.first().cloned()).or(s
            .profile
            .path
            .as_ref()
            .and_then(|p| Path::new(p).file_stem().map(|f| f.to_string_lossy().into_owned())))
    });
    match first {
        Some(h) => {
            let label: String = h
                .split('.')
                .next()
                .unwrap_or("")
                .chars()
                .filter(|c| c.is_alphanumeric() || "-_".contains(*c))
                .collect();
            if label.is_empty() {
                "scalardb".into()
            } else {
                format!("scalardb-{label}")
            }
        }
        None => "scalardb-cluster".into(),
    }
}

type AtErr = (usize, String);

/// One storage's settings -> a profile draft.
#[allow(clippy::too_many_lines, reason = "the keys of one storage, read in the order ScalarDB documents them")]
fn read_storage<'a>(
    name: &str,
    kind_prop: &Prop,
    get: &dyn Fn(&str) -> Option<&'a Prop>,
    file: &Path,
    existing: &[Profile],
    notes: &mut Vec<String>,
) -> std::result::Result<(ImportedStorage, Option<Sensitive<String>>), AtErr> {
    let storage = kind_prop.value.trim().to_string();
    let line = kind_prop.line;
    let cp = get("contact_points");
    let cp_val = cp.map(|p| p.value.trim().to_string()).filter(|v| !v.is_empty());
    let cp_line = cp.map(|p| p.line).unwrap_or(line);
    let need_cp = |what: &str| -> std::result::Result<String, AtErr> {
        cp_val.clone().ok_or_else(|| (line, format!("storage \"{name}\" ({storage}) needs contact_points: {what}.")))
    };
    let username = get("username").map(|p| p.value.trim().to_string()).filter(|v| !v.is_empty());
    let mut password = get("password").filter(|p| !p.value.is_empty()).map(|p| p.secret());
    let port = match get("contact_port") {
        Some(p) => Some(
            p.value
                .trim()
                .parse::<u16>()
                .map_err(|_| (p.line, format!("contact_port={} is not a port number.", p.value.trim())))?,
        ),
        None => None,
    };
    let mut input = ProfileInput { user: username.clone(), ..Default::default() };
    let mut jdbc_url = None;
    match storage.as_str() {
        "jdbc" => {
            let url = need_cp("the JDBC URL, e.g. jdbc:postgresql://db:5432/app")?;
            let parsed = super::jdbc::parse(&url, file).map_err(|m| (cp_line, m))?;
            input.kind = Some(parsed.kind);
            input.flavor = parsed.flavor;
            input.host = parsed.host;
            input.port = parsed.port;
            input.database = parsed.database;
            input.path = parsed.path;
            input.ssl_mode = parsed.ssl_mode;
            input.ssl_ca_file = match parsed.ssl_ca_file {
                // The file names a path on ScalarDB's host; this machine may not have it.
                Some(ca) if !Path::new(&ca).is_file() => {
                    notes.push(format!(
                        "Storage \"{name}\": the CA certificate {ca} is not on this machine; the profile was saved without it. Copy it here and set it in the profile for verify-ca/verify-full."
                    ));
                    None
                }
                other => other,
            };
            input.connect_timeout_secs = parsed.connect_timeout_secs;
            input.instance_id = parsed.instance_id;
            input.region = parsed.region;
            if input.user.is_none() {
                input.user = parsed.user;
            }
            if parsed.password.is_some() {
                if password.is_none() {
                    password = parsed.password;
                }
                notes.push(format!("Storage \"{name}\": the JDBC URL carries a password; it goes to the keyring and the URL is kept without it."));
            }
            for n in parsed.notes {
                notes.push(format!("Storage \"{name}\": {n}"));
            }
            jdbc_url = Some(parsed.url_without_password);
        }
        "cassandra" => {
            input.kind = Some(DbKind::Cassandra);
            input.nodes = need_cp("the Cassandra hosts, e.g. cass-1,cass-2,cass-3")?
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
            input.port = port;
        }
        "cosmos" => {
            input.kind = Some(DbKind::Cosmos);
            input.endpoint = Some(need_cp("the Cosmos DB account URI")?);
            input.user = None;
        }
        "dynamo" => {
            input.kind = Some(DbKind::Dynamo);
            input.region = Some(need_cp("the AWS region, e.g. us-east-1")?);
            input.endpoint =
                get("dynamo.endpoint_override").map(|p| p.value.trim().to_string()).filter(|v| !v.is_empty());
            input.table_prefix =
                get("dynamo.namespace.prefix").map(|p| p.value.trim().to_string()).filter(|v| !v.is_empty());
        }
        "s3" | "blob-storage" | "cloud-storage" => {
            return Err((
                line,
                format!(
                "storage \"{name}\" is an object storage ({storage}); Quiesce does not support object storages yet."
            ),
            ))
        }
        other => {
            return Err((
                line,
                format!("\"{other}\" is not a ScalarDB storage: use jdbc, cassandra, cosmos, dynamo or multi-storage."),
            ))
        }
    }
    // Profile validation wants a name; the real one is chosen at save time.
    let mut probe = input.clone();
    probe.name = "import-preview".into();
    if password.is_some() && probe.kind != Some(DbKind::Sqlite) {
        probe.password = PasswordChange::Set(Sensitive::new("x".into()));
    }
    let (problems, existing_profile) = match validate_profile(&probe) {
        Err(f) => (f, None),
        Ok(v) => {
            let draft = v.draft();
            // Show what will be saved: defaults filled in.
            input.port = draft.port;
            input.flavor = Some(draft.flavor);
            let same = existing.iter().find(|p| same_target(p, &draft)).map(|p| p.name.clone());
            (Vec::new(), same)
        }
    };
    if let Some(e) = &existing_profile {
        notes.push(format!(
            "Storage \"{name}\" reaches the same target as the existing profile \"{e}\", which will be shared{}.",
            if password.is_some() { " (its stored password is replaced by the file's)" } else { "" }
        ));
    }
    let password = if input.kind == Some(DbKind::Sqlite) { None } else { password };
    Ok((
        ImportedStorage {
            name: name.into(),
            storage,
            jdbc_url,
            profile: input,
            password_present: password.is_some(),
            existing_profile,
            problems,
            line,
        },
        password,
    ))
}

/// Two profiles reach the same thing with the same identity.
fn same_target(a: &Profile, b: &Profile) -> bool {
    a.kind == b.kind
        && a.host == b.host
        && a.port == b.port
        && a.database == b.database
        && a.user == b.user
        && a.path == b.path
        && a.nodes == b.nodes
        && a.region == b.region
        && a.endpoint == b.endpoint
        && a.table_prefix == b.table_prefix
}
