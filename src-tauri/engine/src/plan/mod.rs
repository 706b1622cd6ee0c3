//! The guide's decision tree ("the guide" is ScalarDB's "How to Back Up and
//! Restore Databases Used Through ScalarDB", scalar-labs/docs-scalardb
//! `docs/backup-restore.mdx`), encoded once as data, and its evaluation for a
//! deployment: the method (no pause / pause / cannot decide), the reason for
//! every branch taken, and per database the backup and restore step from the
//! guide's tabs — a command Quiesce runs, or a runbook for a managed service —
//! with the guide's warnings that apply. The GUI draws the same tree and the
//! CLI prints the same path.

pub mod commands;

use crate::deployment::{Deployment, DeploymentStorage, TransactionManager};
use crate::discovery::{capabilities, Discovery, Severity, StorageDiscovery};
use crate::profile::{DbKind, Flavor, Profile};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum TreeNodeKind {
    Question,
    Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TreeNode {
    pub id: String,
    pub label: String,
    pub kind: TreeNodeKind,
    /// What the guide says at this node, for the hover/click detail.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TreeEdge {
    pub from: String,
    pub to: String,
    /// The answer this edge stands for: "yes", "no" or "unknown".
    pub answer: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DecisionTree {
    pub nodes: Vec<TreeNode>,
    pub edges: Vec<TreeEdge>,
}

pub const N_SINGLE: &str = "single_database";
pub const N_TRANSACTIONAL: &str = "transactional";
pub const N_NO_PAUSE: &str = "no_pause";
pub const N_PAUSE: &str = "pause";
pub const N_UNKNOWN: &str = "unknown";

/// The guide's flowchart (`docs/backup-restore.mdx`), plus the one
/// outcome the guide leaves implicit: storages that are not known.
pub fn decision_tree() -> DecisionTree {
    let n = |id: &str, label: &str, kind, detail: &str| TreeNode {
        id: id.into(),
        label: label.into(),
        kind,
        detail: detail.into(),
    };
    let e = |from: &str, to: &str, answer: &str| TreeEdge { from: from.into(), to: to.into(), answer: answer.into() };
    DecisionTree {
        nodes: vec![
            n(N_SINGLE, "Are you using a single database with ScalarDB?", TreeNodeKind::Question,
              "One unit that one native consistent snapshot can cover: one PostgreSQL database, one MySQL/MariaDB server (all its ScalarDB databases in one --single-transaction dump), one SQLite file. Two PostgreSQL databases, even on one server, are two."),
            n(N_TRANSACTIONAL, "Does the database have transaction support?", TreeNodeKind::Question,
              "A transactional database can dump every ScalarDB table, the coordinator included, in one transaction while ScalarDB keeps running."),
            n(N_NO_PAUSE, "Back up without explicit pausing", TreeNodeKind::Outcome,
              "Dump all ScalarDB-managed tables, the coordinator table included, in a single transaction: pg_dump, mysqldump --single-transaction, SQLite's backup, or the managed service's automated backups."),
            n(N_PAUSE, "Back up with explicit pausing", TreeNodeKind::Outcome,
              "Pause every ScalarDB node through Scalar Admin so no transaction is outstanding, take each database's backup (or note the time for PITR) inside the pause, use its mid-time as the restore point, then unpause."),
            n(N_UNKNOWN, "Cannot decide yet", TreeNodeKind::Outcome,
              "The deployment's storages are not known (a ScalarDB Cluster whose storages were not attached). Quiesce does not guess."),
        ],
        // Listed in drawing order (left to right): "no" first, "unknown" last.
        edges: vec![
            e(N_SINGLE, N_PAUSE, "no"),
            e(N_SINGLE, N_TRANSACTIONAL, "yes"),
            e(N_SINGLE, N_UNKNOWN, "unknown"),
            e(N_TRANSACTIONAL, N_PAUSE, "no"),
            e(N_TRANSACTIONAL, N_NO_PAUSE, "yes"),
        ],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    NoPause,
    Pause,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PathStep {
    pub node: String,
    /// The answer given at a question ("yes"/"no"/"unknown"); None at the outcome.
    pub answer: Option<String>,
    pub reason: String,
}

/// What one native consistent snapshot covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BackupUnit {
    pub id: String,
    pub label: String,
    pub kind: DbKind,
    pub flavor: Flavor,
    pub storages: Vec<String>,
    /// Namespaces (coordinator and metadata included) this unit holds.
    pub namespaces: Vec<String>,
    /// Whether `namespaces` comes from discovery (true) or the configuration only.
    pub namespaces_discovered: bool,
    pub transactional: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Quiesce runs it.
    Quiesce,
    /// The user does it (a managed service's console, a node's shell).
    Runbook,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Action {
    pub kind: ActionKind,
    pub summary: String,
    /// The exact command (secrets never in it), when Quiesce runs a tool.
    pub command: Option<String>,
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanStep {
    pub unit: String,
    pub title: String,
    pub backup: Action,
    pub restore: Action,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PlanWarning {
    pub severity: Severity,
    pub code: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Plan {
    pub deployment: String,
    pub deployment_id: String,
    pub method: Method,
    pub path: Vec<PathStep>,
    pub units: Vec<BackupUnit>,
    pub steps: Vec<PlanStep>,
    pub warnings: Vec<PlanWarning>,
    /// When the discovery the plan used was taken (None: configuration only).
    pub discovery_taken_at: Option<String>,
}

/// The identity of what one snapshot covers.
fn unit_key(p: &Profile) -> String {
    let host = p.host.as_deref().unwrap_or("").to_ascii_lowercase();
    let port = p.port.map(|x| x.to_string()).unwrap_or_default();
    match p.kind {
        DbKind::Postgresql | DbKind::Oracle | DbKind::Sqlserver | DbKind::Db2 => {
            format!("{:?}:{host}:{port}/{}", p.kind, p.database.as_deref().unwrap_or(""))
        }
        DbKind::Mysql => format!("mysql:{host}:{port}"),
        DbKind::Sqlite => format!(
            "sqlite:{}",
            p.path
                .as_ref()
                .map(|x| std::fs::canonicalize(x).map(|c| c.display().to_string()).unwrap_or(x.clone()))
                .unwrap_or_default()
        ),
        DbKind::Cassandra => {
            let mut n = p.nodes.clone();
            n.sort();
            format!("cassandra:{}", n.join(","))
        }
        DbKind::Cosmos => format!("cosmos:{}", p.endpoint.as_deref().unwrap_or("")),
        DbKind::Dynamo => format!(
            "dynamo:{}:{}:{}",
            p.region.as_deref().unwrap_or(""),
            p.endpoint.as_deref().unwrap_or(""),
            p.table_prefix.as_deref().unwrap_or("")
        ),
    }
}

fn unit_label(p: &Profile) -> String {
    let hp = || format!("{}:{}", p.host.as_deref().unwrap_or("?"), p.port.unwrap_or(0));
    match p.kind {
        DbKind::Postgresql => format!(
            "{} database {} on {}",
            if matches!(p.flavor, Flavor::YugabyteYsql | Flavor::YugabyteManaged) {
                "YugabyteDB"
            } else {
                "PostgreSQL"
            },
            p.database.as_deref().unwrap_or("?"),
            hp()
        ),
        DbKind::Mysql => format!("MySQL/MariaDB server {}", hp()),
        DbKind::Sqlite => format!("SQLite file {}", p.path.as_deref().unwrap_or("?")),
        DbKind::Oracle | DbKind::Sqlserver | DbKind::Db2 => {
            format!("{} database {} on {}", p.kind.label(), p.database.as_deref().unwrap_or("?"), hp())
        }
        _ => p.target(),
    }
}

fn flavor_note(f: Flavor) -> &'static str {
    match f {
        Flavor::AmazonRds => " (Amazon RDS)",
        Flavor::Azure => " (Azure)",
        Flavor::YugabyteManaged => " (YugabyteDB Managed)",
        _ => "",
    }
}

/// Storages grouped into the databases they are in: several storages can
/// point at one database. (key, profile, storage names).
type Grouped = Vec<(String, Profile, Vec<String>)>;

fn group_storages(storages: &[(DeploymentStorage, Profile)]) -> Grouped {
    let mut units: Grouped = Vec::new();
    for (s, p) in storages {
        let key = unit_key(p);
        match units.iter_mut().find(|u| u.0 == key) {
            Some(u) => u.2.push(s.name.clone()),
            None => units.push((key, p.clone(), vec![s.name.clone()])),
        }
    }
    units
}

/// The snapshot units, their namespaces discovered or else from the configuration.
fn build_units(
    d: &Deployment,
    storages: &[(DeploymentStorage, Profile)],
    units: &Grouped,
    discovery: Option<&Discovery>,
) -> Vec<BackupUnit> {
    let disc = |name: &str| discovery.and_then(|x| x.storage(name)).filter(|s| s.reachable);
    let namespaces_on = |storage: &str| -> Vec<String> {
        let mut v: Vec<String> =
            d.namespace_mapping.iter().filter(|m| m.storage == storage).map(|m| m.namespace.clone()).collect();
        if d.default_storage.as_deref() == Some(storage) || storages.len() == 1 {
            v.push("(every unmapped namespace)".into());
        }
        v
    };
    units
        .iter()
        .enumerate()
        .map(|(i, (_, p, names))| {
            let found: Vec<&StorageDiscovery> = names.iter().filter_map(|n| disc(n)).collect();
            let discovered = !found.is_empty() && found.iter().all(|f| f.metadata_found);
            let mut namespaces: Vec<String> = if discovered {
                found.iter().flat_map(|f| f.namespaces.clone()).collect()
            } else {
                let mut v: Vec<String> = names.iter().flat_map(|n| namespaces_on(n)).collect();
                if names.iter().any(|n| d.coordinator_storage() == Some(n.as_str()))
                    && d.transaction_manager != TransactionManager::Jdbc
                {
                    v.push(d.coordinator_namespace.clone());
                }
                v.push(d.system_namespace.clone());
                v
            };
            namespaces.sort();
            namespaces.dedup();
            BackupUnit {
                id: format!("u{}", i + 1),
                label: unit_label(p),
                kind: p.kind,
                flavor: p.flavor,
                storages: names.clone(),
                namespaces,
                namespaces_discovered: discovered,
                transactional: capabilities(p.kind, p.flavor).transactional,
            }
        })
        .collect()
}

/// The guide's tree walked for the deployment: the path and the method.
fn decide(
    d: &Deployment,
    storages: &[(DeploymentStorage, Profile)],
    built_units: &[BackupUnit],
    units: &Grouped,
) -> (Vec<PathStep>, Method) {
    // The tree.
    let mut path = Vec::new();
    let method;
    if !d.storages_known || storages.is_empty() {
        path.push(PathStep {
            node: N_SINGLE.into(),
            answer: Some("unknown".into()),
            reason: "The deployment's storages are unknown (a ScalarDB Cluster client file names the Cluster, not its databases). Attach the Cluster's server-side properties or add the storages to decide.".into(),
        });
        path.push(PathStep {
            node: N_UNKNOWN.into(),
            answer: None,
            reason: "Quiesce does not guess the method.".into(),
        });
        method = Method::Unknown;
    } else if built_units.len() == 1 {
        let u = &built_units[0];
        let reason = if d.storages.len() == 1 {
            format!(
                "One storage, \"{}\": the {}{} -> a single database.",
                u.storages[0],
                u.label,
                flavor_note(u.flavor)
            )
        } else {
            format!(
                "multi-storage, but storages {} are all the {} -> a single database, one snapshot covers them.",
                u.storages.join(", "),
                u.label
            )
        };
        path.push(PathStep { node: N_SINGLE.into(), answer: Some("yes".into()), reason });
        let kind = units[0].1.kind;
        if u.transactional {
            path.push(PathStep {
                node: N_TRANSACTIONAL.into(),
                answer: Some("yes".into()),
                reason: format!("{} has transactions: one transaction reads every ScalarDB table, the coordinator included, at one instant.", kind.label()),
            });
            path.push(PathStep {
                node: N_NO_PAUSE.into(),
                answer: None,
                reason: "A single transactional database: back up while ScalarDB keeps running, no pause needed."
                    .into(),
            });
            method = Method::NoPause;
        } else {
            path.push(PathStep {
                node: N_TRANSACTIONAL.into(),
                answer: Some("no".into()),
                reason: format!("{} has no transactions across tables (ScalarDB adds them), so a snapshot can catch a transaction half-written.", kind.label()),
            });
            path.push(PathStep {
                node: N_PAUSE.into(),
                answer: None,
                reason: "Pause ScalarDB so no transaction is outstanding, and back up inside the pause.".into(),
            });
            method = Method::Pause;
        }
    } else {
        let parts: Vec<String> = built_units
            .iter()
            .map(|u| {
                let ns: Vec<String> = u.namespaces.iter().filter(|n| !n.starts_with('(')).cloned().collect();
                format!(
                    "{}on {} ({}{})",
                    if ns.is_empty() { String::new() } else { format!("namespaces {} ", ns.join(", ")) },
                    u.storages.join("+"),
                    u.label,
                    flavor_note(u.flavor)
                )
            })
            .collect();
        let same_server = units
            .iter()
            .filter(|u| u.1.kind == DbKind::Postgresql)
            .map(|u| (u.1.host.clone(), u.1.port))
            .collect::<Vec<_>>();
        let mut dup = same_server.clone();
        dup.sort();
        dup.dedup();
        let extra = if dup.len() < same_server.len() {
            " Two PostgreSQL databases on one server are still two: pg_dump's snapshot covers one database."
        } else {
            ""
        };
        path.push(PathStep {
            node: N_SINGLE.into(),
            answer: Some("no".into()),
            reason: format!(
                "{}: {} -> {} databases.{extra}",
                if d.storages.len() > 1 { "multi-storage" } else { "storages" },
                parts.join("; "),
                built_units.len()
            ),
        });
        path.push(PathStep {
            node: N_PAUSE.into(),
            answer: None,
            reason: "No single transaction spans several databases: pause ScalarDB so none is outstanding, and back up every database inside the pause.".into(),
        });
        method = Method::Pause;
    }
    (path, method)
}

/// The guide's warnings that apply to the deployment and its method.
fn guide_warnings(
    d: &Deployment,
    storages: &[(DeploymentStorage, Profile)],
    units: &Grouped,
    method: Method,
    discovery: Option<&Discovery>,
) -> Vec<PlanWarning> {
    let mut warnings = Vec::new();
    let mut warn =
        |severity, code: &str, text: String| warnings.push(PlanWarning { severity, code: code.into(), text });
    // The guide's warnings that apply.
    if method == Method::Pause {
        warn(
            Severity::Info,
            "pause_window",
            "Pause for a sufficient time (at least 5 s) and use the mid-time of the pause as the restore point; keep the clocks of ScalarDB nodes and databases in sync (NTP).".into(),
        );
        if d.admin_endpoints.is_empty() {
            warn(
                Severity::Error,
                "no_admin_endpoints",
                "Explicit pausing needs the Scalar Admin endpoints of every ScalarDB node (or the ScalarDB Cluster's): add them to the deployment.".into(),
            );
        }
        for e in d.admin_endpoints.iter().filter(|e| e.needs_address) {
            warn(
                Severity::Warning,
                "endpoint_needs_address",
                format!(
                    "{} is found through Kubernetes: give its address (port {}) before pausing.",
                    e.address, e.port
                ),
            );
        }
    }
    let kinds: Vec<(DbKind, Flavor)> = units.iter().map(|u| (u.1.kind, u.1.flavor)).collect();
    if kinds.iter().any(|(_, f)| matches!(f, Flavor::AmazonRds | Flavor::Azure)) {
        warn(
            Severity::Info,
            "managed_automated_backups",
            "Amazon RDS / Azure Database: automated backups restore to any point within the retention period; a PITR restore lands in a new instance — point ScalarDB's contact_points at it and restart ScalarDB.".into(),
        );
    }
    if kinds.iter().any(|(k, _)| *k == DbKind::Cosmos) {
        warn(
            Severity::Warning,
            "cosmos_after_restore",
            "Cosmos DB: after a restore set the default consistency level of the restored account to STRONG, and re-install ScalarDB's stored procedures (Schema Loader --repair-all): PITR does not restore them.".into(),
        );
    }
    if kinds.iter().any(|(k, _)| *k == DbKind::Dynamo) {
        warn(
            Severity::Warning,
            "dynamo_alias_restore",
            "DynamoDB restores one table at a time through an alias (PITR A->B, back up B, delete B, delete A, restore A from that backup), for every ScalarDB table including the metadata and coordinator tables, all to the same instant; PITR and auto-scaling settings must be set again afterwards.".into(),
        );
    }
    if kinds.iter().any(|(k, _)| *k == DbKind::Cassandra) {
        warn(
            Severity::Info,
            "cassandra_replication",
            "Cassandra: with replication (e.g. factor 3) one lost node is repaired from its replicas without a consistent backup; a consistent cluster-wide snapshot is needed when a quorum of nodes loses its data.".into(),
        );
    }
    for h in &d.pause_hooks {
        warn(
            Severity::Info,
            "pause_hook",
            format!(
                "Inside every pause window, storage \"{}\" runs its own snapshot: {} ({{tag}} is the window's tag).",
                h.storage,
                h.render()
            ),
        );
    }
    if d.transaction_manager == TransactionManager::Jdbc {
        warn(
            Severity::Info,
            "jdbc_transactions",
            "Transaction manager jdbc: ScalarDB uses the database's own transactions; there is no coordinator table."
                .into(),
        );
    }
    if let Some(disc) = discovery {
        for s in &disc.storages {
            for f in s.findings.iter().filter(|f| f.severity != Severity::Info) {
                warn(f.severity, &f.code, format!("Storage \"{}\": {}", s.storage, f.message));
            }
        }
    } else if storages.iter().any(|(_, p)| p.kind.is_live()) {
        warn(
            Severity::Info,
            "no_discovery",
            "Not discovered yet: the namespaces come from the configuration only. Run discovery to read them from the databases and check the tools.".into(),
        );
    }
    warnings
}

/// Evaluates the tree for a deployment. `storages` are its storages with
/// their profiles (Deployments::storage_profiles); `discovery` is optional.
pub fn evaluate(d: &Deployment, storages: &[(DeploymentStorage, Profile)], discovery: Option<&Discovery>) -> Plan {
    let units = group_storages(storages);
    let built_units = build_units(d, storages, &units, discovery);
    let (path, method) = decide(d, storages, &built_units, &units);
    let steps = built_units
        .iter()
        .zip(&units)
        .map(|(u, (_, p, _))| {
            let (backup, restore) = unit_actions(d, u, p, method, discovery);
            PlanStep { unit: u.id.clone(), title: format!("{}{}", u.label, flavor_note(u.flavor)), backup, restore }
        })
        .collect();
    Plan {
        deployment: d.name.clone(),
        deployment_id: d.id.clone(),
        method,
        path,
        units: built_units,
        steps,
        warnings: guide_warnings(d, storages, &units, method, discovery),
        discovery_taken_at: discovery.map(|x| x.taken_at.to_rfc3339()),
    }
}

/// The plan and the discovery it used, as the app and the CLI show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct PlanView {
    pub plan: Plan,
    pub discovery: Option<Discovery>,
    pub tree: DecisionTree,
}

/// The plan of a deployment with its last discovery (taken on request, kept on disk).
pub fn view(deployments: &crate::deployment::Deployments, name_or_id: &str) -> crate::Result<PlanView> {
    let d = deployments.get(name_or_id)?;
    let discovery = crate::discovery::load(deployments.home(), &d.id)?;
    let storages = deployments.storage_profiles(&d)?;
    Ok(PlanView { plan: evaluate(&d, &storages, discovery.as_ref()), discovery, tree: decision_tree() })
}

/// Discovers the deployment's storages now, keeps the result, and plans on it.
pub async fn discover_and_view(
    deployments: &crate::deployment::Deployments,
    name_or_id: &str,
    cancel: &tokio_util::sync::CancellationToken,
) -> crate::Result<PlanView> {
    let d = {
        let ds = deployments.clone();
        let n = name_or_id.to_string();
        tokio::task::spawn_blocking(move || ds.get(&n))
            .await
            .map_err(|e| crate::Error::internal(format!("a background task failed: {e}")))??
    };
    let disc = crate::discovery::discover(deployments, &d, cancel).await?;
    let ds = deployments.clone();
    let id = d.id.clone();
    tokio::task::spawn_blocking(move || {
        crate::discovery::save(ds.home(), &disc)?;
        view(&ds, &id)
    })
    .await
    .map_err(|e| crate::Error::internal(format!("a background task failed: {e}")))?
}

fn runbook(summary: impl Into<String>, steps: Vec<String>) -> Action {
    Action { kind: ActionKind::Runbook, summary: summary.into(), command: None, steps }
}

/// The namespaces a native dump names (the "(every unmapped namespace)" marker dropped).
pub fn dump_namespaces(u: &BackupUnit) -> Vec<String> {
    u.namespaces.iter().filter(|n| !n.starts_with('(')).cloned().collect()
}

/// The tool a unit's dump would use: discovery's choice, else the plain name.
pub fn tool_for(discovery: Option<&Discovery>, u: &BackupUnit, name: &str) -> String {
    discovery
        .and_then(|x| u.storages.iter().find_map(|s| x.storage(s)))
        .and_then(|s| s.tools.iter().find(|t| t.tool == name || (name == "mysqldump" && t.tool == "mariadb-dump")))
        .and_then(|t| t.path.clone())
        .unwrap_or_else(|| name.to_string())
}

/// The backup command of a live unit, with placeholders: the plan shows
/// exactly what `commands::*` builds, and the backup job calls the same function.
pub fn backup_command(p: &Profile, u: &BackupUnit, discovery: Option<&Discovery>) -> Option<commands::CommandLine> {
    let ns = dump_namespaces(u);
    match p.kind {
        DbKind::Postgresql => Some(commands::pg_dump(
            p,
            &tool_for(discovery, u, "pg_dump"),
            &ns,
            commands::DumpFormat::Default,
            None,
            &commands::Runtime::placeholders("<backup folder>/postgresql.dump.zst"),
        )),
        DbKind::Mysql => Some({
            let tool = tool_for(discovery, u, "mysqldump");
            let found = discovery.and_then(|x| u.storages.iter().find_map(|s| x.storage(s)));
            let coordinates =
                found.is_some_and(|s| commands::binlog_coordinates(s.product.as_deref(), s.binlog, &tool));
            commands::mysql_dump(
                p,
                &tool,
                &ns,
                commands::DumpFormat::Default,
                coordinates,
                &commands::Runtime::placeholders("<backup folder>/mysql.sql.zst"),
            )
        }),
        _ => None,
    }
}

#[allow(clippy::too_many_lines, reason = "one arm per engine, each the guide's backup and restore steps for it")]
fn unit_actions(
    d: &Deployment,
    u: &BackupUnit,
    p: &Profile,
    method: Method,
    discovery: Option<&Discovery>,
) -> (Action, Action) {
    let inside = if method == Method::Pause { " inside the pause window" } else { "" };
    let ns_note = if u.namespaces_discovered {
        ""
    } else {
        " (namespaces from the configuration; discovery lists the real ones)"
    };
    let live_dump =
        matches!(p.kind, DbKind::Postgresql | DbKind::Mysql) && !matches!(p.flavor, Flavor::YugabyteManaged);
    let cmd = if live_dump { backup_command(p, u, discovery).map(|c| c.render()) } else { None };
    match (p.kind, p.flavor) {
        (DbKind::Postgresql, Flavor::YugabyteManaged) => (
            runbook(
                format!("YugabyteDB Managed backup{inside}"),
                vec![
                    format!("In the YugabyteDB Managed console open cluster {} > Backups.", p.instance_id.as_deref().unwrap_or("?")),
                    if method == Method::Pause {
                        "While ScalarDB is paused, take an on-demand backup, and note the pause window.".into()
                    } else {
                        "Scheduled backups run by the backup policy; take an on-demand backup for a known point.".into()
                    },
                ],
            ),
            runbook("Restore from the backup in the console", vec![
                "Restore the scheduled or on-demand backup within the retention period (YugabyteDB Managed: Back up and restore clusters).".into(),
                "Point ScalarDB at the restored cluster and restart ScalarDB.".into(),
            ]),
        ),
        (DbKind::Postgresql, f) => (
            Action {
                kind: ActionKind::Quiesce,
                summary: format!(
                    "pg_dump of schemas {}{ns_note} in one exported snapshot{inside}, compressed by zstd as it streams{}",
                    dump_namespaces(u).join(", "),
                    if f.is_managed() { "; the service's automated backups/PITR remain available too" } else { "" }
                ),
                command: cmd,
                steps: vec![],
            },
            Action {
                kind: ActionKind::Quiesce,
                summary: "pg_restore into an empty database, in one transaction, without owners".into(),
                command: Some(
                    commands::pg_restore(p, "pg_restore", "<backup folder>/postgresql.dump.zst", &commands::Runtime::placeholders(""))
                        .render(),
                ),
                steps: if f.is_managed() {
                    vec!["Or: restore the instance to the chosen point with the service's automated backups (it lands in a new instance: update ScalarDB's contact_points and restart ScalarDB).".into()]
                } else {
                    vec![]
                },
            },
        ),
        (DbKind::Mysql, f) => (
            Action {
                kind: ActionKind::Quiesce,
                summary: format!(
                    "One --single-transaction dump of databases {}{ns_note}{inside} (one invocation: per-database dumps would not be consistent){}",
                    dump_namespaces(u).join(", "),
                    if f.is_managed() { "; the service's automated backups/PITR remain available too" } else { "" }
                ),
                command: cmd,
                steps: vec![],
            },
            Action {
                kind: ActionKind::Quiesce,
                summary: "Load the dump with the mysql/mariadb client into a server without these databases".into(),
                command: Some(commands::mysql_restore(p, "mariadb", "<backup folder>/mysql.sql.zst", &commands::Runtime::placeholders("")).render()),
                steps: vec![],
            },
        ),
        (DbKind::Sqlite, _) => (
            Action {
                kind: ActionKind::Quiesce,
                summary: format!(
                    "Copy {} with SQLite's online backup API in one read transaction{inside} (the guide's sqlite3 .backup restarts under a steady writer; this does not)",
                    p.path.as_deref().unwrap_or("?")
                ),
                command: None,
                steps: vec![],
            },
            Action {
                kind: ActionKind::Quiesce,
                summary: "Write the copy into the target file with the online backup API (sqlite3 .restore), refused while another process holds the target".into(),
                command: None,
                steps: vec![],
            },
        ),
        (DbKind::Cassandra, _) => (
            runbook(
                format!("Snapshot every node{inside}"),
                vec![
                    format!("On each node ({}) while ScalarDB is paused: nodetool snapshot -t <restore point>.", p.nodes.join(", ")),
                    "Or stop the whole cluster, copy every node's data, and start it again.".into(),
                ],
            ),
            runbook(
                "Restore every node from its snapshot",
                vec![
                    "Stop all nodes of the Cassandra cluster.".into(),
                    format!(
                        "Clean the data, commitlog and hints directories{}.",
                        if p.data_dirs.is_empty() { String::new() } else { format!(" ({})", p.data_dirs.join(", ")) }
                    ),
                    "Place each node's snapshot in its data directory.".into(),
                    "Start all nodes.".into(),
                ],
            ),
        ),
        (DbKind::Cosmos, _) => (
            runbook(
                "Continuous backup (PITR) with the pause mid-time as restore point",
                vec![
                    format!("Check that account {} has a continuous backup policy (PITR).", p.endpoint.as_deref().unwrap_or("?")),
                    "Record the pause window; its mid-time is the restore point.".into(),
                ],
            ),
            runbook(
                "Restore the account in the Azure portal",
                vec![
                    "Restore the account to the pause mid-time (Azure: restore an account by using the Azure portal).".into(),
                    "Set the default consistency level of the restored account to STRONG.".into(),
                    "Re-install the stored procedures: ScalarDB Schema Loader --repair-all.".into(),
                    "Point ScalarDB's contact_points at the restored account and restart ScalarDB.".into(),
                ],
            ),
        ),
        (DbKind::Dynamo, _) => {
            let prefix = p.table_prefix.clone().unwrap_or_default();
            (
                runbook(
                    "PITR on every table with the pause mid-time as restore point",
                    vec![
                        format!("Check that PITR is enabled on every ScalarDB table in {} (Schema Loader enables it).", p.region.as_deref().unwrap_or("?")),
                        "Record the pause window; its mid-time is the restore point.".into(),
                    ],
                ),
                runbook(
                    "Restore each table through an alias",
                    vec![
                        format!(
                            "For every ScalarDB table, including {prefix}{}.metadata and {prefix}{}.state: restore table A by PITR to the mid-time as table B.",
                            d.system_namespace, d.coordinator_namespace
                        ),
                        "Create an on-demand backup of B, then delete B.".into(),
                        "Delete A and restore A from B's backup.".into(),
                        "Set PITR and auto-scaling again on every restored table.".into(),
                    ],
                ),
            )
        }
        (DbKind::Oracle | DbKind::Sqlserver | DbKind::Db2, _) => (
            runbook(
                format!("Back up with {}'s own tools{inside}", p.kind.label()),
                vec![format!("Take a consistent backup of {} (e.g. the service's snapshot or the database's backup tool).", u.label)],
            ),
            runbook("Restore with the same tools", vec![format!("Restore {} to the backup, then restart ScalarDB.", u.label)]),
        ),
    }
}

#[cfg(test)]
mod tests;
