//! `quiesce deployment`: ScalarDB installations (storages, mapping, admin endpoints).

use super::{absolute, Ctx};
use crate::print::{done, Printed, Report};
use clap::Subcommand;
use quiesce_engine::deployment::import::ImportPreview;
use quiesce_engine::deployment::{Deployment, DeploymentInput, DeploymentStorage, NamespaceMapping};
use quiesce_engine::duration::parse as parse_duration;
use quiesce_engine::profile::Profile;
use quiesce_engine::runbook::schema::SchemaAttachment;
use quiesce_engine::usecases::deployments::{self, ImportInto};
use quiesce_engine::usecases::Engine;
use quiesce_engine::{Error, Result};
use serde::Serialize;
use std::path::PathBuf;

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
    fn apply(self, i: &mut DeploymentInput) -> Result<()> {
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
pub fn run(ctx: &Ctx, cmd: DeploymentCmd) -> Result<Printed> {
    let e = &ctx.engine;
    let shown = |s: deployments::Shown, verb: &'static str| {
        done(Shown { deployment: s.deployment, profiles: s.profiles, verb })
    };
    match cmd {
        DeploymentCmd::Import { file, name, dry_run, attach_to } => {
            let path = PathBuf::from(absolute(file));
            // A dry run shows what would be saved: as --name says, when it says something.
            let preview = deployments::preview_import(e, &path, name.as_deref().filter(|_| dry_run))?;
            if dry_run {
                return done(Preview { preview: Box::new(preview) });
            }
            // Saved exactly as previewed: a file changed in between is refused.
            let into = match &attach_to {
                Some(target) => ImportInto::AttachTo { deployment: target },
                None => ImportInto::New { name: name.as_deref() },
            };
            let s = deployments::import(e, &path, into, &preview.sha256)?;
            // Notes go to stderr so that --json stdout stays one document.
            for n in &preview.notes {
                ctx.events.note("note", n);
            }
            for k in &preview.unknown_keys {
                ctx.events
                    .note("note", &format!("line {}: unknown key {} (kept out of the deployment)", k.line, k.key));
            }
            shown(s, "imported")
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
            let mut input = DeploymentInput {
                name,
                storages: storage_args(e, &storages)?,
                namespace_mapping: mapping_args(&mapping)?,
                default_storage,
                coordinator_namespace,
                admin_endpoints,
                ..Default::default()
            };
            admin.apply(&mut input)?;
            let (s, notes) = deployments::save(e, None, &input)?;
            notes.iter().for_each(|n| ctx.events.note("note", n));
            shown(s, "created")
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
            let existing = deployments::get(e, &deployment)?;
            let mut input = existing.to_input();
            if let Some(n) = name {
                input.name = n;
            }
            if !storages.is_empty() {
                input.storages = storage_args(e, &storages)?;
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
            let (s, notes) = deployments::save(e, Some(&existing.id), &input)?;
            notes.iter().for_each(|n| ctx.events.note("note", n));
            shown(s, "updated")
        }
        DeploymentCmd::AttachSchema { deployment, file } => {
            let (d, schema) = deployments::attach_schema(e, &deployment, &PathBuf::from(absolute(file)))?;
            done(SchemaAttached { deployment: d.name, schema })
        }
        DeploymentCmd::List => done(List { deployments: deployments::list(e)? }),
        DeploymentCmd::Show { name } => shown(deployments::show(e, &name)?, ""),
        DeploymentCmd::Remove { name } => done(Removed { removed: deployments::remove(e, &name)? }),
    }
}

fn storage_args(e: &Engine, args: &[String]) -> Result<Vec<DeploymentStorage>> {
    args.iter()
        .map(|s| {
            let (sname, pname) = s.split_once('=').unwrap_or(("default", s.as_str()));
            Ok(DeploymentStorage { name: sname.to_string(), profile_id: e.profiles().get(pname)?.id })
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

#[derive(Serialize)]
struct Preview {
    preview: Box<ImportPreview>,
}

impl Report for Preview {
    fn text(&self) {
        print_preview(&self.preview);
    }
}

#[derive(Serialize)]
struct List {
    deployments: Vec<Deployment>,
}

impl Report for List {
    fn text(&self) {
        if self.deployments.is_empty() {
            println!("No deployments yet. Import one with `quiesce deployment import /path/to/database.properties`.");
            return;
        }
        println!("{:<24} {:<20} {:<9} {:<12} ADMIN ENDPOINTS", "NAME", "TRANSACTIONS", "STORAGES", "COORDINATOR");
        for d in &self.deployments {
            println!(
                "{:<24} {:<20} {:<9} {:<12} {}",
                d.name,
                d.transaction_manager.as_str(),
                if d.storages_known { d.storages.len().to_string() } else { "unknown".into() },
                d.coordinator_storage().unwrap_or("-"),
                if d.admin_endpoints.is_empty() {
                    "-".into()
                } else {
                    d.admin_endpoints.iter().map(|e| e.address.clone()).collect::<Vec<_>>().join(",")
                }
            );
        }
    }
}

#[derive(Serialize)]
struct Shown {
    deployment: Deployment,
    profiles: Vec<Profile>,
    #[serde(skip)]
    verb: &'static str,
}

impl Report for Shown {
    fn text(&self) {
        if !self.verb.is_empty() {
            println!("Deployment \"{}\" {}.", self.deployment.name, self.verb);
        }
        print_deployment(&self.deployment, &self.profiles);
    }
}

#[derive(Serialize)]
struct Removed {
    removed: Deployment,
}

impl Report for Removed {
    fn text(&self) {
        println!(
            "Deployment \"{}\" removed. Its profiles ({}) are kept; remove them with `quiesce profile remove` if no longer needed.",
            self.removed.name,
            self.removed.storages.len()
        );
    }
}

#[derive(Serialize)]
struct SchemaAttached {
    deployment: String,
    schema: SchemaAttachment,
}

impl Report for SchemaAttached {
    fn text(&self) {
        let s = &self.schema;
        println!(
            "Schema {} attached to {}: {} tables, SHA-256 {} (copy {}).",
            s.file,
            self.deployment,
            s.tables.len(),
            s.sha256,
            s.copy
        );
    }
}

fn print_preview(p: &ImportPreview) {
    println!("{} ({:?}, sha256 {})", p.file, p.config_kind, &p.sha256[..12]);
    println!("  would be saved as deployment \"{}\" (--name chooses another)", p.suggested_name);
    println!("  transaction manager  {}", p.transaction_manager.as_str());
    if p.storages_known {
        for s in &p.storages {
            let kind = s.profile.kind.map(|k| k.label()).unwrap_or("?");
            let target = s
                .jdbc_url
                .clone()
                .or(s.profile.region.clone())
                .or(s.profile.endpoint.clone())
                .unwrap_or_else(|| s.profile.nodes.join(","));
            println!(
                "  storage {:<12} {kind} {target} (line {}){}{}",
                s.name,
                s.line,
                if s.password_present { " · password -> keyring" } else { "" },
                s.existing_profile.as_ref().map(|e| format!(" · reuses profile {e}")).unwrap_or_default()
            );
            for f in &s.problems {
                println!("      problem: {}: {}", f.field, f.message);
            }
        }
    } else {
        println!("  storages             unknown (attach them later)");
    }
    for m in &p.namespace_mapping {
        println!("  namespace {:<20} -> {}", m.namespace, m.storage);
    }
    if let Some(d) = &p.default_storage {
        println!("  default storage      {d}");
    }
    println!("  coordinator          {}.state", p.coordinator_namespace);
    println!("  metadata             {}.metadata", p.system_namespace);
    for e in &p.admin_endpoints {
        println!(
            "  scalar admin         {} (port {}){}",
            e.address,
            e.port,
            if e.needs_address { " · needs an address" } else { "" }
        );
    }
    for k in &p.unknown_keys {
        println!("  unknown key          {} (line {})", k.key, k.line);
    }
    if !p.ignored_keys.is_empty() {
        println!("  not needed           {} ScalarDB settings (pools, isolation, ...)", p.ignored_keys.len());
    }
    for n in &p.notes {
        println!("  note: {n}");
    }
}

fn print_deployment(d: &Deployment, profiles: &[Profile]) {
    println!("  name                 {}", d.name);
    println!("  id                   {}", d.id);
    println!("  transaction manager  {}", d.transaction_manager.as_str());
    if !d.storages_known {
        println!("  storages             unknown (a Cluster client: attach the Cluster's server-side properties)");
    }
    for (s, p) in d.storages.iter().zip(profiles) {
        println!("  storage {:<12} profile {} · {}", s.name, p.name, p.target());
    }
    for m in &d.namespace_mapping {
        println!("  namespace {:<20} -> {}", m.namespace, m.storage);
    }
    if let Some(s) = &d.default_storage {
        println!("  default storage      {s}");
    }
    println!(
        "  coordinator          {}.state on {}",
        d.coordinator_namespace,
        if d.storages_known { d.coordinator_storage().unwrap_or("?") } else { "unknown" }
    );
    println!("  metadata             {}.metadata", d.system_namespace);
    for e in &d.admin_endpoints {
        println!(
            "  scalar admin         {} (port {}{}){}",
            e.address,
            e.port,
            if d.admin_tls { ", TLS" } else { "" },
            if e.needs_address { " · needs an address" } else { "" }
        );
    }
    for h in &d.pause_hooks {
        println!("  in-pause hook        {}: {}", h.storage, h.render());
    }
    if let Some(src) = &d.source {
        println!("  imported from        {} ({})", src.file, src.imported_at.format("%Y-%m-%d %H:%M UTC"));
    }
}
