//! `quiesce profile`: connection profiles (secrets in the OS keyring).

use super::{absolute, read_secret, Ctx};
use crate::print::{done, Printed, Report};
use clap::{Args, Subcommand};
use quiesce_engine::connect::ConnectionReport;
use quiesce_engine::profile::{DbKind, Flavor, PasswordChange, Profile, ProfileInput, SslMode};
use quiesce_engine::usecases::profiles;
use quiesce_engine::{Result, Sensitive};
use serde::Serialize;

#[derive(Subcommand)]
pub enum ProfileCmd {
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
pub struct Fields {
    /// Profile name (letters, digits, - _ .).
    #[arg(long)]
    name: Option<String>,
    /// The database kind.
    #[arg(long, value_enum)]
    kind: Option<DbKind>,
    /// Where it runs (default: self-hosted).
    #[arg(long, value_enum)]
    flavor: Option<Flavor>,
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
    /// libpq's semantics.
    #[arg(long, value_enum)]
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
    /// RDS/Azure instance name (an Aurora cluster's identifier), or YugabyteDB Managed cluster name.
    #[arg(long)]
    instance_id: Option<String>,
    /// Point-in-time restore: days the provider keeps (RDS/Azure, DynamoDB 1–35; Cosmos DB 7 or 30). Empty string removes it.
    #[arg(long, value_name = "DAYS")]
    pitr_retention_days: Option<String>,
    /// Point-in-time restore: the earliest restorable time, when PITR was enabled recently (UTC with Z, an offset, epoch ms or local time). Empty string removes it.
    #[arg(long, value_name = "TIME")]
    pitr_earliest: Option<String>,
    /// Point-in-time restore: seconds the latest restorable time lags behind now (default 300). Empty string removes it.
    #[arg(long, value_name = "SECONDS")]
    pitr_lag: Option<String>,
    /// Azure flexible server / Cosmos DB: the resource group (for the restore runbook). Empty string removes it.
    #[arg(long, value_name = "NAME")]
    resource_group: Option<String>,
}

#[derive(Args, Default)]
pub struct SecretArgs {
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

/// A number option where an empty string removes the setting.
fn number(flag: &str, v: &str) -> Result<Option<u32>> {
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| {
        quiesce_engine::Error::invalid(format!("--{flag} {v}: give a whole number (or \"\" to remove it)."))
    })
}

impl Fields {
    fn apply(self, i: &mut ProfileInput) -> Result<()> {
        let opt = |v: Option<String>, into: &mut Option<String>| {
            if let Some(v) = v {
                *into = if v.is_empty() { None } else { Some(v) };
            }
        };
        if let Some(n) = self.name {
            i.name = n;
        }
        if self.kind.is_some() {
            i.kind = self.kind;
        }
        if self.flavor.is_some() {
            i.flavor = self.flavor;
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
        if let Some(v) = self.pitr_retention_days {
            i.restore.retention_days = number("pitr-retention-days", &v)?;
        }
        if let Some(v) = self.pitr_lag {
            i.restore.lag_secs = number("pitr-lag", &v)?;
        }
        if let Some(v) = self.pitr_earliest {
            i.restore.earliest = if v.is_empty() { None } else { Some(quiesce_engine::points::time::parse(&v)?) };
        }
        opt(self.resource_group, &mut i.restore.resource_group);
        Ok(())
    }
}

impl SecretArgs {
    fn read(&self) -> Result<Option<Sensitive<String>>> {
        read_secret(self.password_stdin, self.password_env.as_deref(), self.ask_password)
    }
}

pub async fn run(ctx: &Ctx, cmd: ProfileCmd) -> Result<Printed> {
    let e = &ctx.engine;
    match cmd {
        ProfileCmd::Add { fields, secret } => {
            let mut input = ProfileInput::default();
            fields.apply(&mut input)?;
            if let Some(pw) = secret.read()? {
                input.password = PasswordChange::Set(pw);
            }
            done(Shown { profile: profiles::save(e, None, &input)?, verb: "added" })
        }
        ProfileCmd::List => done(List { profiles: profiles::list(e)? }),
        ProfileCmd::Show { name } => done(Shown { profile: profiles::get(e, &name)?, verb: "" }),
        ProfileCmd::Edit { profile, fields, secret, clear_password } => {
            let existing = profiles::get(e, &profile)?;
            let mut input = existing.to_input();
            fields.apply(&mut input)?;
            input.password = match secret.read()? {
                Some(pw) => PasswordChange::Set(pw),
                None if clear_password => PasswordChange::Clear,
                None => PasswordChange::Keep,
            };
            done(Shown { profile: profiles::save(e, Some(&existing.id), &input)?, verb: "updated" })
        }
        ProfileCmd::Remove { name } => done(Removed { removed: profiles::remove(e, &name)? }),
        ProfileCmd::Test { name, password_stdin, password_env } => {
            // A profile that does not exist is said before any password is read.
            let id = profiles::get(e, &name)?.id;
            let password = read_secret(password_stdin, password_env.as_deref(), false)?;
            let what = profiles::Tested::Saved { name_or_id: &id, password };
            let (profile, report) = profiles::test(e, what, &ctx.cancel).await?;
            done(Tested { profile: profile.name, ok: true, report })
        }
    }
}

#[derive(Serialize)]
struct List {
    profiles: Vec<Profile>,
}

impl Report for List {
    fn text(&self) {
        if self.profiles.is_empty() {
            println!("No profiles yet. Add one with `quiesce profile add --name NAME --kind postgresql ...`.");
            return;
        }
        println!("{:<24} {:<12} {:<14} {:<40} PASSWORD", "NAME", "KIND", "FLAVOR", "TARGET");
        for p in &self.profiles {
            println!(
                "{:<24} {:<12} {:<14} {:<40} {}",
                p.name,
                format!("{:?}", p.kind).to_lowercase(),
                serde_json::to_value(p.flavor).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
                target_short(p),
                if p.secret.is_some() { "keyring" } else { "-" }
            );
        }
    }
}

#[derive(Serialize)]
struct Shown {
    profile: Profile,
    /// "added", "updated", or "" when only shown.
    #[serde(skip)]
    verb: &'static str,
}

impl Report for Shown {
    fn text(&self) {
        if !self.verb.is_empty() {
            println!("Profile \"{}\" {}.", self.profile.name, self.verb);
        }
        print_profile(&self.profile);
    }
}

#[derive(Serialize)]
struct Removed {
    removed: Profile,
}

impl Report for Removed {
    fn text(&self) {
        println!(
            "Profile \"{}\" removed{}.",
            self.removed.name,
            if self.removed.secret.is_some() { ", and its password deleted from the keyring" } else { "" }
        );
    }
}

#[derive(Serialize)]
struct Tested {
    profile: String,
    ok: bool,
    report: ConnectionReport,
}

impl Report for Tested {
    fn text(&self) {
        let r = &self.report;
        let tls = match r.tls {
            Some(true) => " · TLS",
            Some(false) => " · not encrypted",
            None => "",
        };
        println!(
            "OK  {}: {} {}{tls} · connect {:.1} ms · round trip {:.2} ms",
            self.profile, r.product, r.server_version, r.connect_ms, r.rtt_ms
        );
        for n in &r.notes {
            println!("    {n}");
        }
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
