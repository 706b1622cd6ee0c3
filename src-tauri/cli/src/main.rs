//! `quiesce`: the command line for scripts and cron. Every command takes
//! `--json`; the exit status is 0 only on success and otherwise tells the
//! error code (see ErrorCode::exit_code); errors print with their code.

use clap::{Args, Parser, Subcommand, ValueEnum};
use quiesce_engine::backup::{self, BackupOptions};
use quiesce_engine::catalog::manifest::Manifest;
use quiesce_engine::catalog::{self, CatalogEntry};
use quiesce_engine::connect::{self, ConnectionReport};
use quiesce_engine::deployment::import::{self, ImportPreview};
use quiesce_engine::deployment::{Deployment, Deployments};
use quiesce_engine::job::{JobEvent, Sink};
use quiesce_engine::plan::commands::DumpFormat;
use quiesce_engine::plan::{self, PlanView};
use quiesce_engine::profile::{DbKind, Flavor, PasswordChange, Profile, ProfileInput, Profiles, SslMode};
use quiesce_engine::{paths::Home, secrets::SecretStore, Error, Result, Sensitive};
use quiesce_engine::{restore, verify};
use std::io::{IsTerminal, Read};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "quiesce",
    version,
    about = "Transactionally consistent backups of ScalarDB deployments",
    after_help = "First steps:\n  1. A profile per database (the password goes to the keyring):\n       quiesce profile add --name prod-pg --kind postgresql --host db.internal --user scalar --database app --password-stdin < pwfile\n  2. The deployment, from ScalarDB's own configuration (or from profiles: quiesce deployment create):\n       quiesce deployment import /etc/scalardb/database.properties --name prod\n  3. Its backup plan, after reading the databases:\n       quiesce plan prod --discover\n  4. The checks and commands, then the backup:\n       quiesce backup prod --dry-run && quiesce backup prod\n\nEach command explains itself: quiesce <command> --help (e.g. quiesce restore --help)."
)]
struct Cli {
    /// Print machine-readable JSON on stdout (errors too: {"error": {...}}).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Connection profiles (secrets live in the OS keyring).
    #[command(subcommand)]
    Profile(Box<ProfileCmd>),
    /// Deployments: one ScalarDB installation each (storages, mapping, admin endpoints).
    #[command(subcommand)]
    Deployment(DeploymentCmd),
    /// The backup plan of a deployment: the guide's decision tree evaluated,
    /// with the reason for every branch and the exact steps.
    Plan {
        /// The deployment (name or id).
        deployment: String,
        /// Discover the storages now (connects to them) instead of using the last discovery.
        #[arg(long)]
        discover: bool,
        #[command(flatten)]
        secrets: JobSecrets,
    },
    /// Take a consistent backup of a deployment (a single transactional database).
    Backup {
        /// The deployment to back up (name or id).
        deployment: String,
        /// default (zstd-compressed custom format / SQL), plain, custom, directory (PostgreSQL).
        #[arg(long, value_enum, default_value = "default")]
        format: FormatArg,
        /// pg_dump -j workers (directory format).
        #[arg(long, value_name = "N")]
        jobs: Option<u32>,
        /// Root folder for this backup (default: the catalog, <data>/backups or $QUIESCE_BACKUP_DIR).
        #[arg(long, value_name = "DIR")]
        out: Option<String>,
        /// Print the plan, the checks and the commands; run nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        secrets: JobSecrets,
    },
    /// The backup catalog (the backup folders are the truth).
    #[command(subcommand)]
    Backups(BackupsCmd),
    /// Restore a whole backup into a profile (the one it came from, or another
    /// of the same database family: a migration). Checks everything first;
    /// verifies the result. Exit status 30 when the verification finds errors.
    Restore {
        /// Backup id (see `quiesce backups list`) or folder.
        backup: String,
        /// Target profile; for a backup of several units one per unit,
        /// `--to UNIT=PROFILE` (UNIT: the unit's id or one of its storages).
        #[arg(long, value_name = "PROFILE|UNIT=PROFILE", required = true)]
        to: Vec<String>,
        /// Replace the backup's namespaces where the target already has them.
        #[arg(long)]
        replace: bool,
        /// Parallel workers: pg_restore -j (directory-format backups) or myloader threads.
        #[arg(long, value_name = "N")]
        jobs: Option<u32>,
        /// Re-apply the ScalarDB user's privileges recorded with the backup.
        #[arg(long)]
        grants: bool,
        /// Give those privileges to this role/user instead of the recorded one.
        #[arg(long, value_name = "ROLE", requires = "grants")]
        grant_to: Option<String>,
        /// Skip the verification after the restore (the checks before it always run).
        #[arg(long)]
        no_verify: bool,
        /// Catalog folder to find the backup id in.
        #[arg(long, value_name = "DIR")]
        root: Option<String>,
        /// Print the checks, what the target holds and the commands; touch nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        secrets: JobSecrets,
    },
    /// Verify a live database (a profile or a deployment: tables, row counts,
    /// the ScalarDB consistency audit), or a backup (its files against the
    /// manifest; SQLite backups are also audited in place). Exit status 30
    /// when it finds errors.
    Verify {
        /// A backup id or folder, a deployment, or a profile.
        target: String,
        /// Compare a live target with this backup's manifest (its tables and row counts).
        #[arg(long, value_name = "ID")]
        backup: Option<String>,
        /// With --backup of several units: the unit to compare with (its id or one of its storages).
        #[arg(long, value_name = "UNIT", requires = "backup")]
        unit: Option<String>,
        /// Catalog folder to find backup ids in (default: the catalog).
        #[arg(long, value_name = "DIR")]
        root: Option<String>,
        #[command(flatten)]
        secrets: JobSecrets,
    },
}

/// Passwords for a command that connects, instead of the keyring (cron on a
/// server has none). Never in argv: the variable's name is, not its value.
#[derive(Args, Default)]
struct JobSecrets {
    /// Take the password of PROFILE from the environment variable VAR instead of the keyring. Repeat it for each profile the command connects to.
    #[arg(long = "password-env", value_name = "PROFILE=VAR")]
    password_env: Vec<String>,
    /// Read the password from standard input instead of the keyring; only when the command connects to one profile.
    #[arg(long = "password-stdin")]
    password_stdin: bool,
}

impl JobSecrets {
    /// `profiles` with the passwords given here, for a command that connects
    /// to `needs` (the profiles with a password to give).
    fn apply(&self, profiles: Profiles, needs: &[Profile]) -> Result<Profiles> {
        let mut given = std::collections::HashMap::new();
        let names = || needs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ");
        for pair in &self.password_env {
            let (name, var) = pair.split_once('=').ok_or_else(|| {
                Error::invalid(format!(
                    "--password-env {pair}: write PROFILE=VAR, e.g. --password-env prod-pg=PROD_PG_PASSWORD (this command connects to: {})",
                    names()
                ))
            })?;
            let p = needs.iter().find(|p| p.name == name || p.id == name).ok_or_else(|| {
                Error::invalid(format!(
                    "--password-env {name}=…: this command does not connect to a profile \"{name}\" with a password; it connects to: {}.",
                    if needs.is_empty() { "none".to_string() } else { names() }
                ))
            })?;
            let value = std::env::var(var).map_err(|_| {
                Error::invalid(format!("The environment variable {var} (for profile {name}) is not set, or not UTF-8."))
            })?;
            if value.is_empty() {
                return Err(Error::invalid(format!("The environment variable {var} (for profile {name}) is empty.")));
            }
            given.insert(p.id.clone(), Sensitive::new(value));
        }
        if self.password_stdin {
            let [p] = needs else {
                return Err(Error::invalid(format!(
                    "--password-stdin gives one password, but this command connects to {} profile(s) with a password ({}): use --password-env PROFILE=VAR for each.",
                    needs.len(),
                    names()
                )));
            };
            let pw = read_secret(true, None, false)?.expect("read from stdin");
            given.insert(p.id.clone(), pw);
        }
        Ok(profiles.with_given_secrets(given))
    }
}

/// The profiles of a deployment's storages that a job connects to with a password.
fn password_profiles(profiles: &Profiles, deployment: &str) -> Result<Vec<Profile>> {
    let ds = Deployments::new(profiles.clone());
    let d = ds.get(deployment)?;
    Ok(ds
        .storage_profiles(&d)?
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| p.kind.is_live() && p.kind != DbKind::Sqlite)
        .collect())
}

/// Exit status when a verification ran and found errors.
const EXIT_VERIFY_FAILED: i32 = 30;

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Default,
    Plain,
    Custom,
    Directory,
}

#[derive(Subcommand)]
enum BackupsCmd {
    /// List complete backups, newest first.
    List {
        /// Another catalog folder (e.g. backups copied from another machine).
        #[arg(long, value_name = "DIR")]
        root: Option<String>,
    },
    /// Show a backup's manifest.
    Show {
        /// The backup's id (see `quiesce backups list`).
        id: String,
        /// Catalog folder to find it in (default: the catalog).
        #[arg(long, value_name = "DIR")]
        root: Option<String>,
    },
    /// Delete a backup's folder.
    Remove {
        /// The backup's id (see `quiesce backups list`).
        id: String,
        /// Catalog folder to find it in (default: the catalog).
        #[arg(long, value_name = "DIR")]
        root: Option<String>,
    },
}

#[derive(Subcommand)]
enum DeploymentCmd {
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

#[derive(Subcommand)]
enum ProfileCmd {
    /// Add a profile.
    Add {
        #[command(flatten)]
        fields: Fields,
        #[command(flatten)]
        secret: SecretArgs,
    },
    /// List profiles.
    List,
    /// Show one profile.
    Show {
        /// The profile (name or id).
        #[arg(value_name = "PROFILE")]
        name: String,
    },
    /// Change a profile: only the options given change.
    Edit {
        /// The profile to change (`--name` renames it).
        #[arg(value_name = "PROFILE")]
        profile: String,
        #[command(flatten)]
        fields: Fields,
        #[command(flatten)]
        secret: SecretArgs,
        /// Remove the stored password.
        #[arg(long, conflicts_with_all = ["password_stdin", "password_env", "ask_password"])]
        clear_password: bool,
    },
    /// Remove a profile and its secret.
    Remove {
        /// The profile (name or id).
        name: String,
    },
    /// Connect with the profile's settings and report version and round-trip time.
    Test {
        /// The profile (name or id).
        name: String,
        /// Use this password instead of the stored one (read from stdin).
        #[arg(long)]
        password_stdin: bool,
        /// Use the password in this environment variable instead of the stored one.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
}

#[derive(Args, Default)]
struct Fields {
    /// Profile name (letters, digits, - _ .).
    #[arg(long)]
    name: Option<String>,
    /// The database kind.
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Where it runs: self-hosted (default), amazon-rds, azure, yugabyte-ysql, yugabyte-managed, cloud.
    #[arg(long, value_enum)]
    flavor: Option<FlavorArg>,
    /// Server host name or IP address (a directory starting with / for a Unix socket).
    #[arg(long)]
    host: Option<String>,
    /// Server port (default: the kind's, e.g. 5432 or 3306).
    #[arg(long)]
    port: Option<u16>,
    /// PostgreSQL: the database holding the ScalarDB schemas (the one in ScalarDB's JDBC URL).
    #[arg(long)]
    database: Option<String>,
    /// The database user Quiesce connects as.
    #[arg(long)]
    user: Option<String>,
    /// disable, prefer, require, verify-ca or verify-full (libpq semantics).
    #[arg(long, value_parser = parse_ssl_mode)]
    ssl_mode: Option<SslMode>,
    /// CA certificate (PEM) for verify-ca / verify-full. Empty string removes it.
    #[arg(long, value_name = "FILE")]
    ssl_ca: Option<String>,
    /// Seconds to wait for a connection (1 to 600; default 10).
    #[arg(long, value_name = "SECONDS")]
    connect_timeout: Option<u32>,
    /// Directory of the native client tools (pg_dump, mysqldump). Empty string removes it.
    #[arg(long, value_name = "DIR")]
    client_bin_dir: Option<String>,
    /// SQLite database file.
    #[arg(long, value_name = "FILE")]
    path: Option<String>,
    /// Cassandra nodes, comma-separated.
    #[arg(long, value_delimiter = ',')]
    nodes: Option<Vec<String>>,
    /// Cassandra data directories, comma-separated (for the restore runbook).
    #[arg(long, value_delimiter = ',')]
    data_dir: Option<Vec<String>>,
    /// DynamoDB / Amazon RDS / Azure region.
    #[arg(long)]
    region: Option<String>,
    /// Cosmos DB account URI, or a DynamoDB endpoint override.
    #[arg(long)]
    endpoint: Option<String>,
    /// DynamoDB table-name prefix (scalar.db.dynamo.namespace.prefix).
    #[arg(long)]
    table_prefix: Option<String>,
    /// RDS/Azure instance name, or YugabyteDB Managed cluster id.
    #[arg(long)]
    instance_id: Option<String>,
}

#[derive(Args, Default)]
struct SecretArgs {
    /// Read the password from standard input (for scripts: never put it in argv).
    #[arg(long, conflicts_with_all = ["password_env", "ask_password"])]
    password_stdin: bool,
    /// Read the password from this environment variable.
    #[arg(long, value_name = "VAR", conflicts_with = "ask_password")]
    password_env: Option<String>,
    /// Prompt for the password on the terminal.
    #[arg(long)]
    ask_password: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Postgresql,
    Mysql,
    Sqlite,
    Cassandra,
    Cosmos,
    Dynamo,
    Oracle,
    Sqlserver,
    Db2,
}

#[derive(Clone, Copy, ValueEnum)]
enum FlavorArg {
    SelfHosted,
    AmazonRds,
    Azure,
    YugabyteYsql,
    YugabyteManaged,
    Cloud,
}

fn parse_ssl_mode(s: &str) -> std::result::Result<SslMode, String> {
    SslMode::parse(s)
        .ok_or_else(|| format!("'{s}' is not an SSL mode: use disable, prefer, require, verify-ca or verify-full"))
}

impl Fields {
    fn apply(self, i: &mut ProfileInput) {
        let opt = |v: Option<String>, into: &mut Option<String>| {
            if let Some(v) = v {
                *into = if v.is_empty() { None } else { Some(v) };
            }
        };
        if let Some(n) = self.name {
            i.name = n;
        }
        if let Some(k) = self.kind {
            i.kind = Some(match k {
                KindArg::Postgresql => DbKind::Postgresql,
                KindArg::Mysql => DbKind::Mysql,
                KindArg::Sqlite => DbKind::Sqlite,
                KindArg::Cassandra => DbKind::Cassandra,
                KindArg::Cosmos => DbKind::Cosmos,
                KindArg::Dynamo => DbKind::Dynamo,
                KindArg::Oracle => DbKind::Oracle,
                KindArg::Sqlserver => DbKind::Sqlserver,
                KindArg::Db2 => DbKind::Db2,
            });
        }
        if let Some(f) = self.flavor {
            i.flavor = Some(match f {
                FlavorArg::SelfHosted => Flavor::SelfHosted,
                FlavorArg::AmazonRds => Flavor::AmazonRds,
                FlavorArg::Azure => Flavor::Azure,
                FlavorArg::YugabyteYsql => Flavor::YugabyteYsql,
                FlavorArg::YugabyteManaged => Flavor::YugabyteManaged,
                FlavorArg::Cloud => Flavor::Cloud,
            });
        }
        opt(self.host, &mut i.host);
        if self.port.is_some() {
            i.port = self.port;
        }
        opt(self.database, &mut i.database);
        opt(self.user, &mut i.user);
        if self.ssl_mode.is_some() {
            i.ssl_mode = self.ssl_mode;
        }
        opt(self.ssl_ca.map(absolute), &mut i.ssl_ca_file);
        if self.connect_timeout.is_some() {
            i.connect_timeout_secs = self.connect_timeout;
        }
        opt(self.client_bin_dir.map(absolute), &mut i.client_bin_dir);
        opt(self.path.map(absolute), &mut i.path);
        if let Some(n) = self.nodes {
            i.nodes = n;
        }
        if let Some(d) = self.data_dir {
            i.data_dirs = d;
        }
        opt(self.region, &mut i.region);
        opt(self.endpoint, &mut i.endpoint);
        opt(self.table_prefix, &mut i.table_prefix);
        opt(self.instance_id, &mut i.instance_id);
    }
}

/// Paths typed on the command line are relative to where the user is.
fn absolute(p: String) -> String {
    if p.is_empty() {
        return p;
    }
    std::path::absolute(&p).map(|a| a.display().to_string()).unwrap_or(p)
}

impl SecretArgs {
    fn read(&self) -> Result<Option<Sensitive<String>>> {
        read_secret(self.password_stdin, self.password_env.as_deref(), self.ask_password)
    }
}

fn read_secret(stdin: bool, env: Option<&str>, ask: bool) -> Result<Option<Sensitive<String>>> {
    let value = if stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::invalid(format!("Could not read the password from standard input: {e}")))?;
        // A trailing newline from `echo` is not part of the password.
        s.truncate(s.trim_end_matches(['\n', '\r']).len());
        s
    } else if let Some(var) = env {
        std::env::var(var).map_err(|_| {
            Error::invalid(format!(
                "The environment variable {var} is not set (or not UTF-8). Export it, or use --password-stdin."
            ))
        })?
    } else if ask {
        if !std::io::stdin().is_terminal() {
            return Err(Error::invalid(
                "--ask-password needs a terminal; use --password-stdin or --password-env VAR in scripts.",
            ));
        }
        rpassword::prompt_password("Password: ")
            .map_err(|e| Error::invalid(format!("Could not read the password: {e}")))?
    } else {
        return Ok(None);
    };
    if value.is_empty() {
        return Err(Error::invalid("The password given is empty. Give the real password, or leave the option out."));
    }
    Ok(Some(Sensitive::new(value)))
}

enum Output {
    Profiles(Vec<Profile>),
    Profile(Profile, &'static str),
    Removed(Profile),
    Report(Profile, ConnectionReport),
    Preview(ImportPreview),
    Deployments(Vec<Deployment>),
    Deployment(Deployment, Vec<Profile>, &'static str),
    DeploymentRemoved(Deployment),
    Plan(Box<PlanView>),
    Preflight(Box<backup::Preflight>),
    BackupDone(std::path::PathBuf, Box<Manifest>),
    /// Backups (complete and damaged), and leftovers Quiesce did not remove.
    Catalog(Vec<CatalogEntry>, Vec<CatalogEntry>),
    Manifest(std::path::PathBuf, Box<Manifest>),
    BackupRemoved(Box<Manifest>),
    RestorePreflight(Box<restore::RestorePreflight>),
    Restored(Box<restore::RestoreResult>),
    Verified(Box<verify::VerifyReport>),
    BackupVerified(Box<verify::IntegrityReport>, Option<Box<verify::VerifyReport>>),
}

impl Output {
    /// The exit status of what printed: a verification that found errors is
    /// not a success, and neither is a dry run with a failed check (its
    /// check's code), so `quiesce backup D --dry-run && quiesce backup D`
    /// goes no further than the checks would.
    fn exit_status(&self) -> i32 {
        let failed_check = |checks: &[backup::Check]| {
            checks.iter().find(|c| !c.ok).map(|c| c.code.unwrap_or(quiesce_engine::ErrorCode::InvalidInput).exit_code())
        };
        match self {
            Output::Restored(r) if r.verify.as_ref().is_some_and(|v| !v.passed) => EXIT_VERIFY_FAILED,
            Output::Verified(v) if !v.passed => EXIT_VERIFY_FAILED,
            Output::BackupVerified(i, v) if !i.problems.is_empty() || v.as_ref().is_some_and(|v| !v.passed) => {
                EXIT_VERIFY_FAILED
            }
            Output::Preflight(p) => failed_check(&p.checks).unwrap_or(0),
            Output::RestorePreflight(p) => failed_check(&p.checks).unwrap_or(0),
            _ => 0,
        }
    }
}

fn main() {
    quiesce_engine::paths::private_umask();
    quiesce_engine::logging::init_cli();
    let cli = Cli::parse();
    let json = cli.json;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().worker_threads(2).build().expect("tokio runtime");
    let result = rt.block_on(run(cli.command));
    match result {
        Ok(out) => {
            let status = out.exit_status();
            print_output(out, json);
            if status != 0 {
                std::process::exit(status);
            }
        }
        Err(e) => {
            tracing::debug!(error = ?e, "command failed");
            if json {
                println!("{}", serde_json::json!({ "error": e.to_ipc() }));
            } else {
                eprintln!("error[{}]: {}", e.code, e.message);
                for f in &e.fields {
                    eprintln!("  --{}: {}", f.field.replace('_', "-"), f.message);
                }
            }
            std::process::exit(e.code.exit_code());
        }
    }
}

async fn run(cmd: Command) -> Result<Output> {
    let home = Home::resolve()?;
    let profiles = Profiles::new(home, SecretStore::new());
    // What killed jobs left behind is removed first (never a live job's), and
    // the state audited; said on stderr so --json output stays one document.
    let started = quiesce_engine::startup::check(&Deployments::new(profiles.clone()));
    for r in &started.removed {
        eprintln!("note: removed {r}");
    }
    for r in &started.repaired {
        eprintln!("note: {r}");
    }
    for f in started.failed.iter().chain(&started.flagged) {
        eprintln!("warning: {f}");
    }
    match cmd {
        Command::Profile(p) => profile_cmd(&profiles, *p).await,
        Command::Deployment(d) => deployment_cmd(&Deployments::new(profiles), d),
        Command::Plan { deployment, discover, secrets } => {
            let needs = if discover { password_profiles(&profiles, &deployment)? } else { vec![] };
            let ds = Deployments::new(secrets.apply(profiles, &needs)?);
            let view = if discover {
                let cancel = ctrl_c_token();
                plan::discover_and_view(&ds, &deployment, &cancel).await?
            } else {
                plan::view(&ds, &deployment)?
            };
            Ok(Output::Plan(Box::new(view)))
        }
        Command::Backup { deployment, format, jobs, out, dry_run, secrets } => {
            let needs = password_profiles(&profiles, &deployment)?;
            let ds = Deployments::new(secrets.apply(profiles, &needs)?);
            let opts = BackupOptions {
                format: match format {
                    FormatArg::Default => DumpFormat::Default,
                    FormatArg::Plain => DumpFormat::Plain,
                    FormatArg::Custom => DumpFormat::Custom,
                    FormatArg::Directory => DumpFormat::Directory,
                },
                jobs,
                out: out.map(absolute),
            };
            let cancel = ctrl_c_token();
            if dry_run {
                return Ok(Output::Preflight(Box::new(backup::dry_run(&ds, &deployment, &opts, &cancel).await?)));
            }
            let (dir, m) = backup::run(&ds, &deployment, &opts, progress_printer(), &cancel).await?;
            Ok(Output::BackupDone(dir, Box::new(m)))
        }
        Command::Backups(b) => {
            let home = profiles.home().clone();
            let root = |r: Option<String>| {
                r.map(|r| std::path::PathBuf::from(absolute(r))).unwrap_or_else(|| catalog::default_root(&home))
            };
            match b {
                BackupsCmd::List { root: r } => {
                    let listed = root(r);
                    let mut roots = catalog::known_roots(&home);
                    if !roots.contains(&listed) {
                        roots.insert(0, listed.clone());
                    }
                    Ok(Output::Catalog(catalog::list(&listed), catalog::leftovers(&home, &roots)))
                }
                BackupsCmd::Show { id, root: r } => {
                    let (dir, m) = catalog::find(&root(r), &id)?;
                    Ok(Output::Manifest(dir, Box::new(m)))
                }
                BackupsCmd::Remove { id, root: r } => {
                    Ok(Output::BackupRemoved(Box::new(catalog::delete(&root(r), &id)?)))
                }
            }
        }
        Command::Restore { backup: b, to, replace, jobs, grants, grant_to, no_verify, root: r, dry_run, secrets } => {
            let root = r
                .map(|r| std::path::PathBuf::from(absolute(r)))
                .unwrap_or_else(|| catalog::default_root(profiles.home()));
            let b = if std::path::Path::new(&b).exists() { absolute(b) } else { b };
            let (one, targets) = restore_targets(&profiles, &to)?;
            let named: Vec<&str> = targets.iter().map(|t| t.profile.as_str()).chain(one.as_deref()).collect();
            let needs: Vec<Profile> = named
                .iter()
                .filter_map(|n| profiles.get(n).ok())
                .filter(|p| p.kind.is_live() && p.kind != DbKind::Sqlite)
                .collect();
            let ds = Deployments::new(secrets.apply(profiles, &needs)?);
            let opts = restore::RestoreOptions {
                to: one.unwrap_or_default(),
                targets,
                replace,
                jobs,
                confirm: None,
                grants,
                grant_to,
                skip_verify: no_verify,
            };
            let cancel = ctrl_c_token();
            if dry_run {
                return Ok(Output::RestorePreflight(Box::new(restore::dry_run(&ds, &root, &b, &opts, &cancel).await?)));
            }
            Ok(Output::Restored(Box::new(restore::run(&ds, &root, &b, &opts, progress_printer(), &cancel).await?)))
        }
        Command::Verify { target, backup: against, unit, root: r, secrets } => {
            let root = r
                .map(|r| std::path::PathBuf::from(absolute(r)))
                .unwrap_or_else(|| catalog::default_root(profiles.home()));
            let needs: Vec<Profile> = match password_profiles(&profiles, &target) {
                Ok(v) => v,
                Err(_) => {
                    profiles.get(&target).into_iter().filter(|p| p.kind.is_live() && p.kind != DbKind::Sqlite).collect()
                }
            };
            let ds = Deployments::new(secrets.apply(profiles, &needs)?);
            let cancel = ctrl_c_token();
            let as_path = std::path::Path::new(&target);
            let is_backup =
                as_path.join(catalog::manifest::MANIFEST).is_file() || catalog::is_backup_id(&root, &target);
            if is_backup && against.is_none() {
                let t = if as_path.exists() { absolute(target) } else { target };
                let (i, v) = verify::verify_backup(&root, &t, &cancel).await?;
                return Ok(Output::BackupVerified(Box::new(i), v.map(Box::new)));
            }
            let manifest = match &against {
                Some(id) => Some(restore::find_backup(&root, id)?.1),
                None => None,
            };
            let (profile, deployment) = match ds.get(&target) {
                Ok(d) => {
                    let storages = ds.storage_profiles(&d)?;
                    let p = storages.first().map(|(_, p)| p.id.clone()).ok_or_else(|| {
                        quiesce_engine::Error::invalid(format!("Deployment \"{}\" has no storage to verify.", d.name))
                    })?;
                    if storages.len() > 1 {
                        return Err(quiesce_engine::Error::invalid(format!(
                            "Deployment \"{}\" has several storages; verify each profile: quiesce verify <profile>.",
                            d.name
                        )));
                    }
                    (p, Some(d))
                }
                Err(_) => (target.clone(), None),
            };
            let against = manifest.as_ref().map(|m| (m, unit.as_deref()));
            let r = verify::verify_profile(&ds, &profile, against, deployment.as_ref(), &cancel).await?;
            Ok(Output::Verified(Box::new(r)))
        }
    }
}

fn deployment_cmd(deployments: &Deployments, cmd: DeploymentCmd) -> Result<Output> {
    let with_profiles = |d: Deployment, verb: &'static str| -> Result<Output> {
        let profiles = deployments.storage_profiles(&d)?.into_iter().map(|(_, p)| p).collect();
        Ok(Output::Deployment(d, profiles, verb))
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
                return Ok(Output::Preview(preview));
            }
            // Saved exactly as previewed: a file changed in between is refused.
            let d = match attach_to {
                Some(target) => import::attach(deployments, &target, &path, Some(&preview.sha256))?,
                None => import::import(deployments, &path, name.as_deref(), Some(&preview.sha256))?,
            };
            if !preview.notes.is_empty() || !preview.unknown_keys.is_empty() {
                print_preview_notes(&preview);
            }
            with_profiles(d, "imported")
        }
        DeploymentCmd::Create { name, storages, mapping, default_storage, coordinator_namespace, admin_endpoints } => {
            let st = storage_args(deployments, &storages)?;
            let map = mapping_args(&mapping)?;
            let input = quiesce_engine::deployment::DeploymentInput {
                name,
                storages: st,
                namespace_mapping: map,
                default_storage,
                coordinator_namespace,
                admin_endpoints,
                ..Default::default()
            };
            with_profiles(deployments.create(&input, None)?, "created")
        }
        DeploymentCmd::Edit {
            deployment,
            name,
            storages,
            mapping,
            default_storage,
            coordinator_namespace,
            admin_endpoints,
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
            with_profiles(deployments.update(&existing.id, &input)?, "updated")
        }
        DeploymentCmd::List => Ok(Output::Deployments(deployments.list()?)),
        DeploymentCmd::Show { name } => with_profiles(deployments.get(&name)?, ""),
        DeploymentCmd::Remove { name } => Ok(Output::DeploymentRemoved(deployments.remove(&name)?)),
    }
}

/// `--storage NAME=PROFILE` (or PROFILE alone: the storage "default").
fn storage_args(
    deployments: &Deployments,
    args: &[String],
) -> Result<Vec<quiesce_engine::deployment::DeploymentStorage>> {
    args.iter()
        .map(|s| {
            let (sname, pname) = s.split_once('=').unwrap_or(("default", s.as_str()));
            Ok(quiesce_engine::deployment::DeploymentStorage {
                name: sname.to_string(),
                profile_id: deployments.profiles().get(pname)?.id,
            })
        })
        .collect()
}

/// `--map NAMESPACE=STORAGE`.
fn mapping_args(args: &[String]) -> Result<Vec<quiesce_engine::deployment::NamespaceMapping>> {
    args.iter()
        .map(|m| {
            let (ns, s) = m.split_once('=').ok_or_else(|| {
                Error::invalid(format!("--map {m}: write NAMESPACE=STORAGE, e.g. --map coordinator=mysql"))
            })?;
            Ok(quiesce_engine::deployment::NamespaceMapping { namespace: ns.into(), storage: s.into() })
        })
        .collect()
}

/// Notes go to stderr so that --json stdout stays one document.
fn print_preview_notes(p: &ImportPreview) {
    for n in &p.notes {
        eprintln!("note: {n}");
    }
    for k in &p.unknown_keys {
        eprintln!("note: line {}: unknown key {} (kept out of the deployment)", k.line, k.key);
    }
}

async fn profile_cmd(profiles: &Profiles, cmd: ProfileCmd) -> Result<Output> {
    match cmd {
        ProfileCmd::Add { fields, secret } => {
            let mut input = ProfileInput::default();
            fields.apply(&mut input);
            if let Some(pw) = secret.read()? {
                input.password = PasswordChange::Set(pw);
            }
            Ok(Output::Profile(profiles.create(&input)?, "added"))
        }
        ProfileCmd::List => Ok(Output::Profiles(profiles.list()?)),
        ProfileCmd::Show { name } => Ok(Output::Profile(profiles.get(&name)?, "")),
        ProfileCmd::Edit { profile, fields, secret, clear_password } => {
            let existing = profiles.get(&profile)?;
            let mut input = existing.to_input();
            fields.apply(&mut input);
            input.password = match secret.read()? {
                Some(pw) => PasswordChange::Set(pw),
                None if clear_password => PasswordChange::Clear,
                None => PasswordChange::Keep,
            };
            Ok(Output::Profile(profiles.update(&existing.id, &input)?, "updated"))
        }
        ProfileCmd::Remove { name } => Ok(Output::Removed(profiles.remove(&name)?)),
        ProfileCmd::Test { name, password_stdin, password_env } => {
            let profile = profiles.get(&name)?;
            let password = match read_secret(password_stdin, password_env.as_deref(), false)? {
                Some(pw) => Some(pw),
                None => profiles.secret(&profile)?,
            };
            let cancel = ctrl_c_token();
            let report = connect::test_connection(&profile, password.as_ref(), &cancel).await?;
            Ok(Output::Report(profile, report))
        }
    }
}

/// Progress on stderr: a bar redrawn in place on a terminal, plain lines
/// (every few seconds, and every phase) otherwise. The tool's own log lines
/// are shown with QUIESCE_LOG=debug only, to keep a terminal readable.
/// `--to` values: one PROFILE (a backup of one unit), or UNIT=PROFILE per
/// unit. A value that is itself a profile's name is that profile, even with a `=`.
fn restore_targets(profiles: &Profiles, to: &[String]) -> Result<(Option<String>, Vec<restore::UnitTarget>)> {
    let mut targets = Vec::new();
    let mut one = None;
    for v in to {
        if profiles.get(v).is_ok() || !v.contains('=') {
            if one.is_some() || to.len() > 1 {
                return Err(Error::invalid(format!(
                    "--to {v}: with several --to, give each as UNIT=PROFILE (UNIT: a unit id or one of its storages, see `quiesce backups show`)."
                )));
            }
            one = Some(v.clone());
        } else {
            targets.push(restore::UnitTarget::parse(v)?);
        }
    }
    Ok((one, targets))
}

fn progress_printer() -> Sink {
    let tty = std::io::stderr().is_terminal();
    let verbose = std::env::var("QUIESCE_LOG").is_ok_and(|v| v.contains("debug"));
    let last = std::sync::Mutex::new(std::time::Instant::now() - std::time::Duration::from_secs(60));
    let started = std::time::Instant::now();
    std::sync::Arc::new(move |e: JobEvent| match e {
        JobEvent::Phase { phase, message } => {
            if tty {
                eprint!("\r\x1b[2K");
                eprintln!("[{phase}] {message}");
            } else {
                // Logs (cron) get the time each phase began.
                eprintln!("[{:>7.2}s {phase}] {message}", started.elapsed().as_secs_f64());
            }
        }
        JobEvent::Log { line } if verbose => {
            if tty {
                eprint!("\r\x1b[2K");
            }
            eprintln!("  {line}");
        }
        JobEvent::Log { .. } => {}
        JobEvent::Progress(p) => {
            let frac = if p.pages_total > 0 {
                p.pages_done as f64 / p.pages_total as f64
            } else if p.tables_total > 0 {
                p.tables_done as f64 / p.tables_total as f64
            } else {
                0.0
            };
            let eta = p.eta_secs.map(|s| format!(" ETA {:.0}s", s)).unwrap_or_default();
            let text = format!(
                "{} read · {} written · tables {}/{} · {}/s{eta}",
                quiesce_engine::size::human(p.raw_bytes),
                quiesce_engine::size::human(p.written_bytes),
                p.tables_done,
                p.tables_total,
                quiesce_engine::size::human(p.rate_bps as u64)
            );
            if tty {
                let width = 24;
                let filled = (frac.clamp(0.0, 1.0) * width as f64) as usize;
                eprint!(
                    "\r\x1b[2K[{}{}] {:>3.0}% {text}",
                    "#".repeat(filled),
                    "-".repeat(width - filled),
                    frac * 100.0
                );
            } else {
                let mut l = last.lock().unwrap();
                if l.elapsed() >= std::time::Duration::from_secs(5) {
                    *l = std::time::Instant::now();
                    eprintln!("progress: {text}");
                }
            }
        }
    })
}

/// Cancelled by Ctrl+C, so a long call stops cleanly instead of dying mid-way.
fn ctrl_c_token() -> CancellationToken {
    let cancel = CancellationToken::new();
    let on_ctrl_c = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_ctrl_c.cancel();
        }
    });
    cancel
}

fn print_output(out: Output, json: bool) {
    if json {
        let v = match &out {
            Output::Profiles(p) => serde_json::json!({ "profiles": p }),
            Output::Profile(p, _) => serde_json::json!({ "profile": p }),
            Output::Removed(p) => serde_json::json!({ "removed": p }),
            Output::Report(p, r) => serde_json::json!({ "profile": p.name, "ok": true, "report": r }),
            Output::Preview(p) => serde_json::json!({ "preview": p }),
            Output::Deployments(d) => serde_json::json!({ "deployments": d }),
            Output::Deployment(d, p, _) => serde_json::json!({ "deployment": d, "profiles": p }),
            Output::DeploymentRemoved(d) => serde_json::json!({ "removed": d }),
            Output::Plan(v) => serde_json::json!({ "plan": v.plan, "discovery": v.discovery }),
            Output::Preflight(p) => serde_json::json!({ "dry_run": p }),
            Output::BackupDone(dir, m) => serde_json::json!({ "backup": m, "folder": dir }),
            Output::Catalog(c, l) => serde_json::json!({ "backups": c, "leftovers": l }),
            Output::Manifest(dir, m) => serde_json::json!({ "backup": m, "folder": dir }),
            Output::BackupRemoved(m) => serde_json::json!({ "removed": m }),
            Output::RestorePreflight(p) => serde_json::json!({ "dry_run": p }),
            Output::Restored(r) => serde_json::json!({ "restore": r }),
            Output::Verified(v) => serde_json::json!({ "verify": v }),
            Output::BackupVerified(i, v) => serde_json::json!({ "integrity": i, "verify": v }),
        };
        println!("{v}");
        return;
    }
    match out {
        Output::Profiles(ps) if ps.is_empty() => {
            println!("No profiles yet. Add one with `quiesce profile add --name NAME --kind postgresql ...`.")
        }
        Output::Profiles(ps) => {
            println!("{:<24} {:<12} {:<14} {:<40} PASSWORD", "NAME", "KIND", "FLAVOR", "TARGET");
            for p in ps {
                println!(
                    "{:<24} {:<12} {:<14} {:<40} {}",
                    p.name,
                    format!("{:?}", p.kind).to_lowercase(),
                    serde_json::to_value(p.flavor).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
                    target_short(&p),
                    if p.secret.is_some() { "keyring" } else { "-" }
                );
            }
        }
        Output::Profile(p, verb) => {
            if !verb.is_empty() {
                println!("Profile \"{}\" {verb}.", p.name);
            }
            print_profile(&p);
        }
        Output::Removed(p) => println!(
            "Profile \"{}\" removed{}.",
            p.name,
            if p.secret.is_some() { ", and its password deleted from the keyring" } else { "" }
        ),
        Output::Preview(p) => print_preview(&p),
        Output::Plan(v) => print_plan(&v),
        Output::Preflight(p) => {
            print_plan(&PlanView { plan: p.plan.clone(), discovery: None, tree: plan::decision_tree() });
            println!();
            println!("Checks (nothing was run):");
            for c in &p.checks {
                println!("  {} {:<12} {}", if c.ok { "ok " } else { "FAIL" }, c.name, c.message);
            }
            println!();
            println!("Would run:");
            for c in &p.commands {
                println!("  $ {c}");
            }
            println!("into {}/<id>", p.out_dir);
        }
        Output::BackupDone(dir, m) => {
            println!("Backup {} of \"{}\" complete.", m.id, m.deployment);
            print_manifest(&dir, &m);
        }
        Output::Catalog(c, l) => {
            print_catalog(&c);
            if !l.is_empty() {
                println!();
                println!("Left over, not removed by Quiesce:");
                for e in &l {
                    println!("  {}\n    {}", e.folder, e.problem.as_deref().unwrap_or(""));
                }
            }
        }
        Output::Manifest(dir, m) => print_manifest(&dir, &m),
        Output::BackupRemoved(m) => println!("Backup {} of \"{}\" deleted.", m.id, m.deployment),
        Output::RestorePreflight(p) => print_restore_preflight(&p),
        Output::Restored(r) => {
            let into = r.targets.iter().map(|t| format!("{} -> {}", t.unit, t.profile)).collect::<Vec<_>>().join(", ");
            println!("Restored {} ({into}) in {:.1} s.", r.backup_id, r.duration_ms / 1000.0);
            match &r.verify {
                Some(v) => print_verify(v),
                None => {
                    println!("Not verified (--no-verify). Verify each target with:");
                    for t in &r.targets {
                        println!("  quiesce verify {} --backup {}", t.profile, r.backup_id);
                    }
                }
            }
            if let Some(p) = &r.report_path {
                println!("Report stored with the backup: {p}");
            }
            for g in &r.grants_applied {
                println!("Granted: {g}");
            }
            println!();
            println!("Next:");
            for a in &r.after {
                println!("  - {a}");
            }
        }
        Output::Verified(v) => print_verify(&v),
        Output::BackupVerified(i, v) => {
            if i.problems.is_empty() {
                println!("Backup {}: {} file(s), {} match the manifest.", i.backup_id, i.files_checked, quiesce_engine::size::human(i.bytes_checked));
            } else {
                println!("Backup {} does NOT match its manifest:", i.backup_id);
                for p in &i.problems {
                    println!("  - {p}");
                }
            }
            if let Some(v) = v {
                println!();
                print_verify(&v);
            }
        }
        Output::Deployments(ds) if ds.is_empty() => {
            println!("No deployments yet. Import one with `quiesce deployment import /path/to/database.properties`.")
        }
        Output::Deployments(ds) => {
            println!("{:<24} {:<20} {:<9} {:<12} ADMIN ENDPOINTS", "NAME", "TRANSACTIONS", "STORAGES", "COORDINATOR");
            for d in ds {
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
        Output::Deployment(d, profiles, verb) => {
            if !verb.is_empty() {
                println!("Deployment \"{}\" {verb}.", d.name);
            }
            print_deployment(&d, &profiles);
        }
        Output::DeploymentRemoved(d) => println!(
            "Deployment \"{}\" removed. Its profiles ({}) are kept; remove them with `quiesce profile remove` if no longer needed.",
            d.name,
            d.storages.len()
        ),
        Output::Report(p, r) => {
            let tls = match r.tls {
                Some(true) => " · TLS",
                Some(false) => " · not encrypted",
                None => "",
            };
            println!(
                "OK  {}: {} {}{tls} · connect {:.1} ms · round trip {:.2} ms",
                p.name, r.product, r.server_version, r.connect_ms, r.rtt_ms
            );
            for n in r.notes {
                println!("    {n}");
            }
        }
    }
}

fn print_catalog(c: &[CatalogEntry]) {
    if c.is_empty() {
        println!("No backups yet. Take one with `quiesce backup <deployment>`.");
        return;
    }
    println!(
        "{:<28} {:<18} {:<10} {:>10} {:>9} {:<8} {:<8} FOLDER",
        "ID", "DEPLOYMENT", "FORMAT", "SIZE", "DURATION", "TABLES", "STATUS"
    );
    for b in c {
        let status = serde_json::to_value(b.status).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        println!(
            "{:<28} {:<18} {:<10} {:>10} {:>8.1}s {:<8} {:<8} {}",
            b.id,
            b.deployment,
            b.format,
            quiesce_engine::size::human(b.bytes),
            b.duration_ms / 1000.0,
            b.tables,
            status,
            b.folder
        );
        if let Some(p) = &b.problem {
            println!("    {p}");
        }
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

fn print_restore_preflight(p: &restore::RestorePreflight) {
    println!(
        "Restore {} of \"{}\" ({} unit(s), {} tables, {})",
        p.backup_id,
        p.deployment,
        p.units.len(),
        p.tables,
        quiesce_engine::size::human(p.bytes)
    );
    for u in &p.units {
        println!();
        println!(
            "Unit {} (storages {}; {}, {} tables, {}) from {}",
            u.unit,
            u.storages.join(", "),
            u.format,
            u.tables,
            quiesce_engine::size::human(u.bytes),
            u.source
        );
        println!(
            "  into {} ({}{})",
            u.target_profile,
            u.target,
            u.target_version.as_deref().map(|v| format!(", {v}")).unwrap_or_default()
        );
        if !u.existing.is_empty() {
            println!("  {} on the target:", if u.will_replace { "Will be replaced" } else { "Already" });
            for t in &u.existing {
                println!(
                    "    {}.{} ({} rows)",
                    t.namespace,
                    t.table,
                    t.rows.map(|r| r.to_string()).unwrap_or("?".into())
                );
            }
        }
        println!("  How: {}", u.mode);
        println!("  If it fails or is cancelled, the target holds: {}", u.on_failure);
        if !u.commands.is_empty() {
            println!("  Would run:");
            for c in &u.commands {
                println!("    $ {c}");
            }
        }
    }
    println!();
    println!("Checks (nothing was touched):");
    for c in &p.checks {
        println!("  {} {:<14} {}", if c.ok { "ok  " } else { "FAIL" }, c.name, c.message);
    }
    if p.units.len() > 1 {
        println!();
        println!("Order: {}", p.order);
    }
}

fn print_verify(v: &verify::VerifyReport) {
    println!(
        "Verification of {} ({}): {}",
        v.profile,
        v.target,
        if v.passed { "no errors found" } else { "ERRORS FOUND" }
    );
    if !v.tables.is_empty() {
        println!("  {:<40} {:>12} {:>12}", "TABLE", "ROWS", "BACKUP");
        for t in &v.tables {
            println!(
                "  {:<40} {:>12} {:>12}{}",
                format!("{}.{}", t.namespace, t.table),
                t.rows.map(|r| r.to_string()).unwrap_or("missing".into()),
                t.expected_rows
                    .map(|r| if t.expected_exact { r.to_string() } else { format!("~{r}") })
                    .unwrap_or("-".into()),
                match t.severity {
                    quiesce_engine::discovery::Severity::Error => "  ERROR",
                    quiesce_engine::discovery::Severity::Warning => "  warning",
                    _ => "",
                }
            );
        }
    }
    let sev = |s: quiesce_engine::discovery::Severity| match s {
        quiesce_engine::discovery::Severity::Error => "ERROR  ",
        quiesce_engine::discovery::Severity::Warning => "warning",
        _ => "ok     ",
    };
    for f in &v.findings {
        println!("  {} {}", sev(f.severity), f.message);
    }
    if let Some(a) = &v.audit {
        println!();
        println!(
            "ScalarDB consistency audit ({} tables, coordinator {} with {} rows): {} in-flight record(s), {} transaction(s): {} roll forward, {} roll back, {} not yet expired, {} torn",
            a.tables.len(),
            a.coordinator_table,
            a.coordinator_rows.map(|r| r.to_string()).unwrap_or("?".into()),
            a.in_flight_records,
            a.transactions_total,
            a.roll_forward,
            a.roll_back,
            a.not_yet_expired,
            a.torn
        );
        for f in &a.findings {
            println!("  {} {}", sev(f.severity), f.message);
        }
        for t in a.transactions.iter().take(10) {
            println!("  {:<24} {:?}: {}", t.tx_id, t.recovery, t.explanation);
        }
        println!("  What the audit cannot see:");
        for l in &a.limits {
            println!("    - {l}");
        }
    }
}

fn print_manifest(dir: &std::path::Path, m: &Manifest) {
    println!("  folder       {}", dir.display());
    println!("  deployment   {} · method {:?} · format {}", m.deployment, m.method, m.formats());
    println!("  started      {} · {:.1} s", m.started_at, m.duration_ms / 1000.0);
    if let Some(p) = &m.pause {
        println!("  pause        {} .. {} (window {})", p.started_at, p.ended_at, p.window_id);
    }
    for u in &m.units {
        println!(
            "  unit {:<7} storages {} · profile {} · {} {} · format {}",
            u.id,
            u.storages.join(", "),
            u.profile,
            u.product.as_deref().unwrap_or(""),
            u.server_version.as_deref().unwrap_or(""),
            u.format
        );
        if let Some(t) = &u.tool {
            println!("    tool         {} ({})", t.version, t.path);
        }
        println!(
            "    consistency  {}{}",
            u.consistency.kind,
            u.consistency.snapshot.as_ref().map(|s| format!(" (snapshot {s})")).unwrap_or_default()
        );
        for t in &u.tables {
            println!(
                "    table        {:<32} {}{} rows",
                t.physical_name,
                if t.rows_exact { "" } else { "~" },
                t.rows.map(|r| r.to_string()).unwrap_or("?".into())
            );
        }
        for f in &u.files {
            println!(
                "    file         {:<24} {:>10}  sha256 {}",
                f.name,
                quiesce_engine::size::human(f.bytes),
                f.sha256
            );
        }
        for n in &u.notes {
            println!("    note         {n}");
        }
        println!("    restore      {}", u.restore_hint);
    }
    for n in &m.notes {
        println!("  note         {n}");
    }
}

fn print_plan(v: &PlanView) {
    let p = &v.plan;
    let method = match p.method {
        plan::Method::NoPause => "back up without explicit pausing",
        plan::Method::Pause => "back up with explicit pausing",
        plan::Method::Unknown => "cannot decide: storages unknown",
    };
    println!("Plan for deployment \"{}\": {method}", p.deployment);
    match &p.discovery_taken_at {
        Some(t) => println!("  (discovery taken {t}; refresh with --discover)"),
        None => println!("  (configuration only; run with --discover to read the databases)"),
    }
    println!();
    for step in &p.path {
        let label = v.tree.nodes.iter().find(|n| n.id == step.node).map(|n| n.label.as_str()).unwrap_or(&step.node);
        match &step.answer {
            Some(a) => println!("  {label}  -> {}", a.to_uppercase()),
            None => println!("  => {label}"),
        }
        println!("       {}", step.reason);
    }
    for (i, s) in p.steps.iter().enumerate() {
        println!();
        println!("  {}. {}", i + 1, s.title);
        for (what, a) in [("backup", &s.backup), ("restore", &s.restore)] {
            let who = match a.kind {
                plan::ActionKind::Quiesce => "Quiesce runs",
                plan::ActionKind::Runbook => "runbook",
            };
            println!("     {what} ({who}): {}", a.summary);
            if let Some(c) = &a.command {
                println!("       $ {c}");
            }
            for st in &a.steps {
                println!("       - {st}");
            }
        }
    }
    if let Some(d) = &v.discovery {
        println!();
        for s in &d.storages {
            let tables = s.tables.len();
            let inflight: i64 = s.tables.iter().map(|t| t.prepared.unwrap_or(0) + t.deleted.unwrap_or(0)).sum();
            println!(
                "  storage {}: {} {} · {} tables in {} · {inflight} in-flight record(s)",
                s.storage,
                s.product.as_deref().unwrap_or(s.kind.label()),
                s.server_version.as_deref().unwrap_or(""),
                tables,
                if s.namespaces.is_empty() { "-".into() } else { s.namespaces.join(", ") }
            );
        }
    }
    if !p.warnings.is_empty() {
        println!();
        for w in &p.warnings {
            println!("  {:<7} {}", format!("{:?}", w.severity).to_lowercase(), w.text);
        }
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
    if let Some(src) = &d.source {
        println!("  imported from        {} ({})", src.file, src.imported_at.format("%Y-%m-%d %H:%M UTC"));
    }
}

fn target_short(p: &Profile) -> String {
    match p.kind {
        DbKind::Sqlite => p.path.clone().unwrap_or_default(),
        k if !k.is_networked() => p.target(),
        _ => format!(
            "{}@{}:{}/{}",
            p.user.as_deref().unwrap_or(""),
            p.host.as_deref().unwrap_or(""),
            p.port.map(|x| x.to_string()).unwrap_or_default(),
            p.database.as_deref().unwrap_or("")
        ),
    }
}

fn print_profile(p: &Profile) {
    let row = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            println!("  {k:<16} {v}");
        }
    };
    row("name", Some(p.name.clone()));
    row("id", Some(p.id.clone()));
    row("kind", Some(p.kind.label().into()));
    row("flavor", serde_json::to_value(p.flavor).ok().and_then(|v| v.as_str().map(String::from)));
    row("host", p.host.clone());
    row("port", p.port.map(|x| x.to_string()));
    row("database", p.database.clone());
    row("user", p.user.clone());
    row("path", p.path.clone());
    let list = |v: &[String]| (!v.is_empty()).then(|| v.join(", "));
    row("nodes", list(&p.nodes));
    row("data dirs", list(&p.data_dirs));
    row("region", p.region.clone());
    row("endpoint", p.endpoint.clone());
    row("table prefix", p.table_prefix.clone());
    row("instance id", p.instance_id.clone());
    if p.kind.is_networked() {
        row("ssl mode", Some(p.ssl_mode.as_str().into()));
    }
    row("ssl ca", p.ssl_ca_file.clone());
    row("connect timeout", Some(format!("{} s", p.connect_timeout_secs)));
    row("client tools", p.client_bin_dir.clone());
    row(
        "password",
        Some(match &p.secret {
            Some(r) => format!("in the keyring ({} / {})", r.service, r.account),
            None => "none stored".into(),
        }),
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn to_takes_one_profile_or_a_profile_per_unit() {
        use quiesce_engine::restore::UnitTarget;
        let dir = tempfile::tempdir().unwrap();
        let profiles = super::Profiles::new(super::Home::at(dir.path()), super::SecretStore::new());
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let t = |u: &str, p: &str| UnitTarget { unit: u.into(), profile: p.into() };
        assert_eq!(super::restore_targets(&profiles, &v(&["prod"])).unwrap(), (Some("prod".into()), vec![]));
        assert_eq!(
            super::restore_targets(&profiles, &v(&["coordinator=pg-new", "u2 = maria-new"])).unwrap(),
            (None, vec![t("coordinator", "pg-new"), t("u2", "maria-new")])
        );
        let e = super::restore_targets(&profiles, &v(&["a=x", "plain"])).unwrap_err();
        assert!(e.message.contains("--to plain") && e.message.contains("UNIT=PROFILE"), "{}", e.message);
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    #[test]
    fn every_command_and_option_has_help_and_the_top_level_shows_the_first_steps() {
        use clap::CommandFactory;
        fn walk(c: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in c.get_arguments() {
                let id = a.get_id().as_str();
                if a.get_help().is_none() && a.get_long_help().is_none() && id != "help" && id != "version" {
                    missing.push(format!(
                        "{path} {}",
                        a.get_long().map(|l| format!("--{l}")).unwrap_or_else(|| id.to_string())
                    ));
                }
            }
            for sub in c.get_subcommands() {
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(format!("{path} {} (the command)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut cmd = super::Cli::command();
        let mut missing = Vec::new();
        walk(&cmd, "quiesce", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:#?}");
        let help = cmd.render_help().to_string();
        for step in ["profile add", "deployment import", "plan prod --discover", "backup prod --dry-run", "--help"] {
            assert!(help.contains(step), "the top-level help lacks {step}:\n{help}");
        }
    }
}
