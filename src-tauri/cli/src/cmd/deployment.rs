//! `quiesce deployment`: ScalarDB installations (storages, mapping, admin endpoints).

use super::{absolute, Ctx};
use crate::output::Output;
use clap::Subcommand;
use quiesce_engine::deployment::import;
use quiesce_engine::deployment::{Deployment, DeploymentStorage, Deployments, NamespaceMapping};
use quiesce_engine::duration::parse as parse_duration;
use quiesce_engine::{Error, Result};

#[derive(Subcommand)]
pub enum DeploymentCmd {
    /// Attach the ScalarDB schema file (Schema Loader's -f file): the table
    /// list of storages Quiesce cannot read (DynamoDB, Cosmos DB, Cassandra)
    /// for restore runbooks. A copy is kept with its SHA-256 and date.
    AttachSchema {
        /// The deployment (name or id).
        deployment: String,
        /// The schema file (JSON).
        file: String,
    },
    /// Import a ScalarDB database.properties (or Cluster client/server file).
    Import {
        /// ScalarDB's database.properties (or a Cluster client or node file).
        file: String,
        /// Name of the new deployment (default: from the file).
        #[arg(long)]
        name: Option<String>,
        /// Show what the file holds and what would be saved; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Give this existing deployment (a Cluster client) the storages of FILE.
        #[arg(long, value_name = "DEPLOYMENT", conflicts_with = "name")]
        attach_to: Option<String>,
    },
    /// Create a deployment from existing profiles.
    Create {
        /// The new deployment's name.
        name: String,
        /// A storage: NAME=PROFILE, or PROFILE alone for a single storage named "default". Repeat for multi-storage.
        #[arg(long = "storage", value_name = "NAME=PROFILE", required = true)]
        storages: Vec<String>,
        /// Namespace mapping: NAMESPACE=STORAGE (repeat).
        #[arg(long = "map", value_name = "NS=STORAGE")]
        mapping: Vec<String>,
        /// The storage of namespaces the mapping does not list (default: the first).
        #[arg(long)]
        default_storage: Option<String>,
        /// The coordinator's namespace, if renamed (scalar.db.consensus_commit.coordinator.namespace).
        #[arg(long)]
        coordinator_namespace: Option<String>,
        /// A Scalar Admin endpoint: host:port, indirect:host, direct-kubernetes:ns/ep (repeat).
        #[arg(long = "admin-endpoint", value_name = "ADDRESS")]
        admin_endpoints: Vec<String>,
        #[command(flatten)]
        admin: AdminTlsArgs,
    },
    /// Change a deployment: only the options given change (`--storage`,
    /// `--map` and `--admin-endpoint` replace their whole list when given).
    Edit {
        /// The deployment to change (name or id).
        deployment: String,
        /// A new name.
        #[arg(long)]
        name: Option<String>,
        /// A storage: NAME=PROFILE, or PROFILE alone for a single storage named "default". Repeat for multi-storage.
        #[arg(long = "storage", value_name = "NAME=PROFILE")]
        storages: Vec<String>,
        /// Namespace mapping: NAMESPACE=STORAGE (repeat).
        #[arg(long = "map", value_name = "NS=STORAGE")]
        mapping: Vec<String>,
        /// The storage of namespaces the mapping does not list.
        #[arg(long)]
        default_storage: Option<String>,
        /// The coordinator's namespace (scalar.db.consensus_commit.coordinator.namespace).
        #[arg(long)]
        coordinator_namespace: Option<String>,
        /// A Scalar Admin endpoint: host:port, indirect:host, direct-kubernetes:ns/ep (repeat).
        #[arg(long = "admin-endpoint", value_name = "ADDRESS")]
        admin_endpoints: Vec<String>,
        #[command(flatten)]
        admin: AdminTlsArgs,
    },
    /// List deployments.
    List,
    /// Show one deployment with its storages' profiles.
    Show {
        /// The deployment (name or id).
        name: String,
    },
    /// Remove a deployment (its profiles and their passwords are kept).
    Remove {
        /// The deployment (name or id).
        name: String,
    },
}

/// TLS to the Scalar Admin endpoints.
#[derive(clap::Args, Default)]
pub struct AdminTlsArgs {
    /// Whether the Scalar Admin endpoints speak TLS (ScalarDB Cluster with TLS): true or false.
    #[arg(long, value_name = "BOOL")]
    admin_tls: Option<bool>,
    /// The CA (PEM file) that signed their certificates (default: the system's roots). Empty string removes it.
    #[arg(long, value_name = "FILE")]
    admin_ca: Option<String>,
    /// The host name their certificates carry, when it is not the endpoints' own. Empty string removes it.
    #[arg(long, value_name = "HOST")]
    admin_authority: Option<String>,
    /// A command run inside every pause window for a storage snapshotted by its own tool: STORAGE=PROGRAM ARGS… (split on spaces, no shell; {tag} is the window's tag). Repeat; on edit the list is replaced.
    #[arg(long = "pause-hook", value_name = "STORAGE=COMMAND")]
    pause_hooks: Vec<String>,
    /// The longest Quiesce may hold the deployment paused (default 60s): when it is reached the pause is aborted, the nodes unpaused and the window marked failed. Raise it for storages copied inside the pause.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    max_pause: Option<std::time::Duration>,
    /// The longest an in-pause hook may run (default 30s, at most the maximum pause).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    hook_limit: Option<std::time::Duration>,
}

impl AdminTlsArgs {
    fn apply(self, i: &mut quiesce_engine::deployment::DeploymentInput) -> Result<()> {
        if !self.pause_hooks.is_empty() {
            i.pause_hooks = self
                .pause_hooks
                .iter()
                .map(|h| {
                    quiesce_engine::pause::hooks::PauseHook::parse(h)
                        .map_err(|m| Error::invalid(format!("--pause-hook {m}")))
                })
                .collect::<Result<_>>()?;
        }
        if let Some(d) = self.max_pause {
            i.pause_limits.max_pause_ms = Some(d.as_millis() as u64);
        }
        if let Some(d) = self.hook_limit {
            i.pause_limits.hook_limit_ms = Some(d.as_millis() as u64);
        }
        if let Some(on) = self.admin_tls {
            i.admin_tls = on;
        }
        if let Some(ca) = self.admin_ca {
            i.admin_ca_file = (!ca.is_empty()).then(|| absolute(ca));
        }
        if let Some(a) = self.admin_authority {
            i.admin_authority = (!a.is_empty()).then_some(a);
        }
        Ok(())
    }
}

/// Endpoints that are one node, said on stderr after saving.
fn say_same_nodes(ctx: &Ctx, d: &Deployment) {
    for n in quiesce_engine::admin::same_nodes(&d.admin_endpoints) {
        ctx.events.note("note", &n);
    }
}

pub fn run(ctx: &Ctx, cmd: DeploymentCmd) -> Result<Output> {
    let ds = Deployments::new(ctx.profiles.clone());
    let deployments = &ds;
    let with_profiles = |d: Deployment, verb: &'static str| -> Result<Output> {
        let profiles = deployments.storage_profiles(&d)?.into_iter().map(|(_, p)| p).collect();
        Ok(Output::Deployment { deployment: d, profiles, verb })
    };
    match cmd {
        DeploymentCmd::Import { file, name, dry_run, attach_to } => {
            let path = std::path::PathBuf::from(absolute(file));
            let mut preview = import::preview(deployments, &path)?;
            if dry_run {
                // What would be saved is what --name says, when it says something.
                if let Some(n) = name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
                    if let Some(why) = quiesce_engine::paths::name_problem(n) {
                        return Err(Error::invalid(format!("\"{n}\" cannot name a deployment. {why}")));
                    }
                    preview.suggested_name = n.to_string();
                }
                return Ok(Output::Preview { preview: Box::new(preview) });
            }
            // Saved exactly as previewed: a file changed in between is refused.
            let d = match attach_to {
                Some(target) => import::attach(deployments, &target, &path, Some(&preview.sha256))?,
                None => import::import(deployments, &path, name.as_deref(), Some(&preview.sha256))?,
            };
            // Notes go to stderr so that --json stdout stays one document.
            for n in &preview.notes {
                ctx.events.note("note", n);
            }
            for k in &preview.unknown_keys {
                ctx.events
                    .note("note", &format!("line {}: unknown key {} (kept out of the deployment)", k.line, k.key));
            }
            with_profiles(d, "imported")
        }
        DeploymentCmd::Create {
            name,
            storages,
            mapping,
            default_storage,
            coordinator_namespace,
            admin_endpoints,
            admin,
        } => {
            let st = storage_args(deployments, &storages)?;
            let map = mapping_args(&mapping)?;
            let mut input = quiesce_engine::deployment::DeploymentInput {
                name,
                storages: st,
                namespace_mapping: map,
                default_storage,
                coordinator_namespace,
                admin_endpoints,
                ..Default::default()
            };
            admin.apply(&mut input)?;
            let d = deployments.create(&input, None)?;
            say_same_nodes(ctx, &d);
            with_profiles(d, "created")
        }
        DeploymentCmd::Edit {
            deployment,
            name,
            storages,
            mapping,
            default_storage,
            coordinator_namespace,
            admin_endpoints,
            admin,
        } => {
            let existing = deployments.get(&deployment)?;
            let mut input = existing.to_input();
            if let Some(n) = name {
                input.name = n;
            }
            if !storages.is_empty() {
                input.storages = storage_args(deployments, &storages)?;
            }
            if !mapping.is_empty() {
                input.namespace_mapping = mapping_args(&mapping)?;
            }
            if default_storage.is_some() {
                input.default_storage = default_storage;
            }
            if coordinator_namespace.is_some() {
                input.coordinator_namespace = coordinator_namespace;
            }
            if !admin_endpoints.is_empty() {
                input.admin_endpoints = admin_endpoints;
            }
            admin.apply(&mut input)?;
            let d = deployments.update(&existing.id, &input)?;
            say_same_nodes(ctx, &d);
            with_profiles(d, "updated")
        }
        DeploymentCmd::AttachSchema { deployment, file } => {
            let d = deployments.get(&deployment)?;
            let schema = quiesce_engine::runbook::schema::attach(
                ctx.profiles.home(),
                &d,
                std::path::Path::new(&absolute(file)),
            )?;
            Ok(Output::SchemaAttached { deployment: d.name, schema })
        }
        DeploymentCmd::List => Ok(Output::Deployments { deployments: deployments.list()? }),
        DeploymentCmd::Show { name } => with_profiles(deployments.get(&name)?, ""),
        DeploymentCmd::Remove { name } => Ok(Output::DeploymentRemoved { removed: deployments.remove(&name)? }),
    }
}

/// `--storage NAME=PROFILE` (or PROFILE alone: the storage "default").
fn storage_args(deployments: &Deployments, args: &[String]) -> Result<Vec<DeploymentStorage>> {
    args.iter()
        .map(|s| {
            let (sname, pname) = s.split_once('=').unwrap_or(("default", s.as_str()));
            Ok(DeploymentStorage { name: sname.to_string(), profile_id: deployments.profiles().get(pname)?.id })
        })
        .collect()
}

/// `--map NAMESPACE=STORAGE`.
fn mapping_args(args: &[String]) -> Result<Vec<NamespaceMapping>> {
    args.iter()
        .map(|m| {
            let (ns, s) = m.split_once('=').ok_or_else(|| {
                Error::invalid(format!("--map {m}: write NAMESPACE=STORAGE, e.g. --map coordinator=mysql"))
            })?;
            Ok(NamespaceMapping { namespace: ns.into(), storage: s.into() })
        })
        .collect()
}
