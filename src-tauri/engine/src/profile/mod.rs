//! Connection profiles: what Quiesce needs to reach one database.
//!
//! The profile file holds everything but the secret; the secret lives in the
//! keyring under the profile's id (see `secrets.rs`), and the file only records
//! where (`secret`).

use crate::error::{Error, ErrorCode, Result};
use crate::paths::Home;
use crate::secrets::SecretStore;
use crate::sensitive::Sensitive;
use crate::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
pub enum DbKind {
    #[default]
    Postgresql,
    Mysql,
    Sqlite,
    // Descriptive storages: Quiesce does not connect to them; it keeps what
    // the guide's runbooks need (nodes, accounts, regions, identifiers).
    Cassandra,
    Cosmos,
    Dynamo,
    Oracle,
    Sqlserver,
    Db2,
}

impl DbKind {
    pub fn label(self) -> &'static str {
        match self {
            DbKind::Postgresql => "PostgreSQL",
            DbKind::Mysql => "MySQL/MariaDB",
            DbKind::Sqlite => "SQLite",
            DbKind::Cassandra => "Cassandra",
            DbKind::Cosmos => "Cosmos DB for NoSQL",
            DbKind::Dynamo => "DynamoDB",
            DbKind::Oracle => "Oracle",
            DbKind::Sqlserver => "SQL Server",
            DbKind::Db2 => "Db2",
        }
    }

    pub const ALL: &'static [DbKind] = &[
        DbKind::Postgresql,
        DbKind::Mysql,
        DbKind::Sqlite,
        DbKind::Cassandra,
        DbKind::Cosmos,
        DbKind::Dynamo,
        DbKind::Oracle,
        DbKind::Sqlserver,
        DbKind::Db2,
    ];

    /// Kinds Quiesce connects to, discovers and backs up itself.
    pub fn is_live(self) -> bool {
        matches!(self, DbKind::Postgresql | DbKind::Mysql | DbKind::Sqlite)
    }

    /// Kinds reached by host and port.
    pub fn is_networked(self) -> bool {
        matches!(self, DbKind::Postgresql | DbKind::Mysql | DbKind::Oracle | DbKind::Sqlserver | DbKind::Db2)
    }

    pub fn default_port(self) -> Option<u16> {
        match self {
            DbKind::Postgresql => Some(5432),
            DbKind::Mysql => Some(3306),
            DbKind::Cassandra => Some(9042),
            DbKind::Oracle => Some(1521),
            DbKind::Sqlserver => Some(1433),
            DbKind::Db2 => Some(50000),
            DbKind::Sqlite | DbKind::Cosmos | DbKind::Dynamo => None,
        }
    }

    /// The first one is the default.
    pub fn flavors(self) -> &'static [Flavor] {
        match self {
            DbKind::Postgresql => {
                &[Flavor::SelfHosted, Flavor::AmazonRds, Flavor::Azure, Flavor::YugabyteYsql, Flavor::YugabyteManaged]
            }
            DbKind::Mysql => &[Flavor::SelfHosted, Flavor::AmazonRds, Flavor::Azure],
            DbKind::Cosmos | DbKind::Dynamo => &[Flavor::Cloud],
            DbKind::Oracle | DbKind::Sqlserver => &[Flavor::SelfHosted, Flavor::AmazonRds, Flavor::Azure],
            DbKind::Sqlite | DbKind::Cassandra | DbKind::Db2 => &[Flavor::SelfHosted],
        }
    }
}

/// Where the server runs; it decides which backup features exist (PITR on the
/// managed ones) and is used by the plan in later steps.
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
pub enum Flavor {
    #[default]
    SelfHosted,
    AmazonRds,
    Azure,
    /// Self-managed YugabyteDB through its PostgreSQL API (YSQL).
    YugabyteYsql,
    /// YugabyteDB Managed (Aeon): YSQL plus a cluster id for its backup console.
    YugabyteManaged,
    /// A cloud service with no server of its own (Cosmos DB, DynamoDB).
    Cloud,
}

impl Flavor {
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::SelfHosted => "self_hosted",
            Flavor::AmazonRds => "amazon_rds",
            Flavor::Azure => "azure",
            Flavor::YugabyteYsql => "yugabyte_ysql",
            Flavor::YugabyteManaged => "yugabyte_managed",
            Flavor::Cloud => "cloud",
        }
    }

    /// Managed services restore through their console (automated backups/PITR).
    pub fn is_managed(self) -> bool {
        matches!(self, Flavor::AmazonRds | Flavor::Azure | Flavor::YugabyteManaged | Flavor::Cloud)
    }
}

/// libpq's sslmode semantics, applied to PostgreSQL and MySQL alike.
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn parse(s: &str) -> Option<SslMode> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }
    pub fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where the secret of a profile is kept. Never the secret itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SecretRef {
    pub store: String,
    pub service: String,
    pub account: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, Default)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub kind: DbKind,
    pub flavor: Flavor,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub ssl_mode: SslMode,
    pub ssl_ca_file: Option<String>,
    pub connect_timeout_secs: u32,
    pub client_bin_dir: Option<String>,
    /// SQLite: the database file.
    pub path: Option<String>,
    /// Cassandra: the nodes (host or host:port).
    #[serde(default)]
    pub nodes: Vec<String>,
    /// Cassandra: each node's data directory (for the restore runbook).
    #[serde(default)]
    pub data_dirs: Vec<String>,
    /// DynamoDB, Amazon RDS, Azure: the region.
    #[serde(default)]
    pub region: Option<String>,
    /// Cosmos DB: the account URI; DynamoDB: an endpoint override.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// DynamoDB: ScalarDB's namespace prefix of table names.
    #[serde(default)]
    pub table_prefix: Option<String>,
    /// Amazon RDS / Azure: the instance (server) name; YugabyteDB Managed: the cluster id.
    #[serde(default)]
    pub instance_id: Option<String>,
    /// What a point-in-time restore runbook needs (RDS/Azure, DynamoDB, Cosmos DB).
    #[serde(default)]
    pub restore: RestoreSettings,
    pub secret: Option<SecretRef>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string")]
    pub updated_at: DateTime<Utc>,
}

impl Profile {
    /// A one-line target description for messages: never contains the secret.
    pub fn target(&self) -> String {
        match self.kind {
            DbKind::Sqlite => format!("SQLite file {}", self.path.as_deref().unwrap_or("?")),
            DbKind::Cassandra => format!("Cassandra nodes {}", self.nodes.join(",")),
            DbKind::Cosmos => format!("Cosmos DB account {}", self.endpoint.as_deref().unwrap_or("?")),
            DbKind::Dynamo => format!(
                "DynamoDB in {}{}",
                self.region.as_deref().unwrap_or("?"),
                self.table_prefix.as_deref().map(|p| format!(" (table prefix {p})")).unwrap_or_default()
            ),
            k => format!(
                "{} at {}:{}",
                k.label(),
                self.host.as_deref().unwrap_or("?"),
                self.port.or(k.default_port()).unwrap_or(0)
            ),
        }
    }
}

/// The point-in-time-restore range of a managed storage and what its
/// provider's restore command needs besides the profile's own fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
pub struct RestoreSettings {
    /// How many days back the provider can restore (RDS/Azure and DynamoDB
    /// 1–35, Cosmos DB continuous 7 or 30).
    #[serde(default)]
    pub retention_days: Option<u32>,
    /// The earliest restorable time, when it is later than now minus the
    /// retention (PITR enabled recently).
    #[serde(default)]
    #[ts(type = "string | null")]
    pub earliest: Option<DateTime<Utc>>,
    /// How far behind now the latest restorable time is (default 300 s).
    #[serde(default)]
    pub lag_secs: Option<u32>,
    /// Azure and Cosmos DB: the resource group.
    #[serde(default)]
    pub resource_group: Option<String>,
}

pub const DEFAULT_PITR_LAG_SECS: u32 = 300;

impl RestoreSettings {
    pub fn lag_secs(&self) -> u32 {
        self.lag_secs.unwrap_or(DEFAULT_PITR_LAG_SECS)
    }

    /// Whether any field is set.
    pub fn is_set(&self) -> bool {
        self.retention_days.is_some()
            || self.earliest.is_some()
            || self.lag_secs.is_some()
            || self.resource_group.is_some()
    }
}

/// Whether a storage of this kind and flavor restores by point-in-time recovery.
pub fn restores_by_pitr(kind: DbKind, flavor: Flavor) -> bool {
    matches!(kind, DbKind::Dynamo | DbKind::Cosmos) || matches!(flavor, Flavor::AmazonRds | Flavor::Azure)
}

/// What the user edits. The password is write-only: it goes to the keyring and
/// never comes back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, Default)]
pub struct ProfileInput {
    pub name: String,
    pub kind: Option<DbKind>,
    pub flavor: Option<Flavor>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub user: Option<String>,
    pub ssl_mode: Option<SslMode>,
    pub ssl_ca_file: Option<String>,
    pub connect_timeout_secs: Option<u32>,
    pub client_bin_dir: Option<String>,
    pub path: Option<String>,
    #[serde(default)]
    pub nodes: Vec<String>,
    #[serde(default)]
    pub data_dirs: Vec<String>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub table_prefix: Option<String>,
    #[serde(default)]
    pub instance_id: Option<String>,
    #[serde(default)]
    pub restore: RestoreSettings,
    #[serde(default)]
    pub password: PasswordChange,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, Default)]
#[serde(tag = "action", content = "value", rename_all = "snake_case")]
pub enum PasswordChange {
    #[default]
    Keep,
    Set(#[ts(type = "string")] Sensitive<String>),
    Clear,
}

mod validate;
pub use validate::{validate, ValidProfile, DEFAULT_CONNECT_TIMEOUT_SECS};

#[derive(Debug, Default, Serialize, Deserialize)]
struct ProfilesFile {
    version: u32,
    profiles: Vec<Profile>,
}

const FILE_VERSION: u32 = 1;

/// `user[:password]@host` (not a socket path): what an earlier release's
/// import left in a host from a JDBC URL's userinfo.
/// Masks a password an earlier release left in the host (see `load`).
fn mask_host_secret(p: &mut Profile) {
    if let Some((user, Some(_), host)) = p.host.as_deref().and_then(split_userinfo) {
        p.host = Some(format!("{user}:****@{host}"));
    }
}

fn split_userinfo(h: &str) -> Option<(String, Option<String>, String)> {
    if h.starts_with('/') {
        return None;
    }
    let (info, host) = h.rsplit_once('@')?;
    let (user, pw) = match info.split_once(':') {
        Some((u, p)) => (u.to_string(), Some(p.to_string())),
        None => (info.to_string(), None),
    };
    Some((user, pw.filter(|p| p != "****"), host.to_string()))
}

fn secret_ref(id: &str) -> SecretRef {
    SecretRef {
        store: "secret-service".into(),
        service: crate::secrets::SERVICE.into(),
        account: format!("profile/{id}"),
    }
}

/// Profiles on disk plus their secrets in the keyring.
#[derive(Debug, Clone)]
pub struct Profiles {
    home: Home,
    secrets: SecretStore,
    /// Passwords given to this process for a profile (by id): a CLI on a
    /// server without a keyring (`--password-env PROFILE=VAR`). Used before
    /// the keyring, which is then never asked.
    given: std::sync::Arc<std::collections::HashMap<String, Sensitive<String>>>,
}

impl Profiles {
    pub fn new(home: Home, secrets: SecretStore) -> Self {
        Profiles { home, secrets, given: Default::default() }
    }

    pub fn home(&self) -> &Home {
        &self.home
    }

    pub fn secrets(&self) -> &SecretStore {
        &self.secrets
    }

    /// The profiles as every caller sees them: a password that an earlier
    /// release left inside a host (`user:password@host`) is masked here, so
    /// no list, message, log or IPC payload can carry it; only the start-up
    /// scrub reads the file raw, to move it into the keyring.
    fn load(&self) -> Result<ProfilesFile> {
        let mut f = self.load_raw()?;
        f.profiles.iter_mut().for_each(mask_host_secret);
        Ok(f)
    }

    /// The file as it is on disk: for the writers (create, update, remove),
    /// which must never write a masked copy back over a secret the start-up
    /// scrub has yet to move, and for the scrub itself.
    fn load_raw(&self) -> Result<ProfilesFile> {
        let f: ProfilesFile = store::read_json(&self.home.profiles_file())?;
        if f.version > FILE_VERSION {
            return Err(Error::invalid(format!(
                "{} was written by a newer Quiesce (format {}); upgrade Quiesce to read it.",
                self.home.profiles_file().display(),
                f.version
            )));
        }
        Ok(f)
    }

    fn save(&self, mut f: ProfilesFile) -> Result<()> {
        f.version = FILE_VERSION;
        f.profiles.sort_by(|a, b| a.name.cmp(&b.name));
        store::write_json(&self.home.profiles_file(), &f)
    }

    /// Moves passwords that an earlier release's import kept inside a
    /// profile's host (a MySQL JDBC URL's `user:password@host`) into the
    /// keyring. Returns what it moved, and what it could not move with why
    /// (then the password stays masked, and the message says how to fix the
    /// profile by hand).
    pub fn scrub_host_secrets(&self) -> Result<(Vec<String>, Vec<String>)> {
        if !self.home.profiles_file().exists() {
            return Ok(Default::default());
        }
        let raw = self.load_raw()?;
        if !raw.profiles.iter().any(|p| p.host.as_deref().and_then(split_userinfo).is_some_and(|u| u.1.is_some())) {
            return Ok(Default::default());
        }
        let _lock = store::lock_exclusive(&self.home.lock_file())?;
        let mut file = self.load_raw()?;
        let (mut moved, mut not_moved) = (Vec::new(), Vec::new());
        let mut changed = false;
        for p in &mut file.profiles {
            let Some((user, Some(pw), host)) = p.host.as_deref().and_then(split_userinfo) else { continue };
            let r = p.secret.clone().unwrap_or_else(|| secret_ref(&p.id));
            match self.secrets.set(&r.account, &Sensitive::new(pw)) {
                Ok(()) => {
                    // That release's parser also left the port in the host.
                    let (host, port) = split_host_port(&host, p.port.unwrap_or(3306))
                        .unwrap_or((host.clone(), p.port.unwrap_or(3306)));
                    p.host = Some(host.clone());
                    p.port = Some(port);
                    if p.user.is_none() && !user.is_empty() {
                        p.user = Some(user);
                    }
                    p.secret = Some(r);
                    p.updated_at = Utc::now();
                    changed = true;
                    moved.push(format!(
                        "Profile \"{}\" kept a password inside its host (an import by an earlier release of a JDBC URL with user:password@): it was moved into the keyring, and the host is now {host}.",
                        p.name
                    ));
                }
                Err(e) => not_moved.push(format!(
                    "Profile \"{}\" keeps a password inside its host (an import by an earlier release of a JDBC URL with user:password@), and it cannot be moved into the keyring now ({}). It is masked wherever Quiesce shows the profile. Start Quiesce where the keyring is available, or fix it by hand: quiesce profile edit {} --host {host} --password-stdin",
                    p.name, e.message, p.name
                )),
            }
        }
        if changed {
            self.save(file)?;
        }
        Ok((moved, not_moved))
    }

    pub fn list(&self) -> Result<Vec<Profile>> {
        let mut p = self.load()?.profiles;
        p.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(p)
    }

    /// Finds a profile by name or id.
    pub fn get(&self, name_or_id: &str) -> Result<Profile> {
        self.load()?
            .profiles
            .into_iter()
            .find(|p| p.name == name_or_id || p.id == name_or_id)
            .ok_or_else(|| {
                Error::not_found(format!(
                    "No profile named \"{name_or_id}\". List them with `quiesce profile list`, or add one with `quiesce profile add`."
                ))
            })
    }

    pub fn create(&self, input: &ProfileInput) -> Result<Profile> {
        let valid = validate(input).map_err(Error::invalid_fields)?;
        self.home.ensure()?;
        let _lock = store::lock_exclusive(&self.home.lock_file())?;
        let mut file = self.load_raw()?;
        if file.profiles.iter().any(|p| p.name == valid.name) {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("A profile named \"{}\" exists already. Choose another name or edit that one.", valid.name),
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let secret = match &input.password {
            PasswordChange::Set(pw) => {
                let r = secret_ref(&id);
                self.secrets.set(&r.account, pw)?;
                Some(r)
            }
            _ => None,
        };
        let profile = valid.into_profile(id, secret.clone(), Utc::now());
        file.profiles.push(profile.clone());
        if let Err(e) = self.save(file) {
            // Do not leave an orphaned secret behind a profile that was never saved.
            if let Some(r) = secret {
                let _ = self.secrets.delete(&r.account);
            }
            return Err(e);
        }
        tracing::info!(profile = %profile.name, kind = ?profile.kind, "profile created");
        Ok(profile)
    }

    pub fn update(&self, name_or_id: &str, input: &ProfileInput) -> Result<Profile> {
        let valid = validate(input).map_err(Error::invalid_fields)?;
        self.home.ensure()?;
        let _lock = store::lock_exclusive(&self.home.lock_file())?;
        let mut file = self.load_raw()?;
        let idx = file.profiles.iter().position(|p| p.name == name_or_id || p.id == name_or_id).ok_or_else(|| {
            Error::not_found(format!("No profile named \"{name_or_id}\"; it may have been removed meanwhile."))
        })?;
        let old = file.profiles[idx].clone();
        if file.profiles.iter().any(|p| p.name == valid.name && p.id != old.id) {
            return Err(Error::new(
                ErrorCode::AlreadyExists,
                format!("A profile named \"{}\" exists already. Choose another name.", valid.name),
            ));
        }
        let secret = match &input.password {
            PasswordChange::Keep if valid.kind == DbKind::Sqlite => {
                if let Some(r) = &old.secret {
                    self.secrets.delete(&r.account)?;
                }
                None
            }
            PasswordChange::Keep => old.secret.clone(),
            PasswordChange::Set(pw) => {
                let r = secret_ref(&old.id);
                self.secrets.set(&r.account, pw)?;
                Some(r)
            }
            PasswordChange::Clear => {
                if let Some(r) = &old.secret {
                    self.secrets.delete(&r.account)?;
                }
                None
            }
        };
        let profile = valid.into_profile(old.id.clone(), secret, old.created_at);
        file.profiles[idx] = profile.clone();
        self.save(file)?;
        tracing::info!(profile = %profile.name, "profile updated");
        Ok(profile)
    }

    /// Deletes the profile and its secret. The secret goes first: if the keyring
    /// is unavailable nothing is changed, so no secret is ever orphaned.
    ///
    /// `users_of` names the deployments that use a profile (by id): one in
    /// use is refused. `Deployments::remove_profile` is the way in.
    pub(crate) fn remove(
        &self,
        name_or_id: &str,
        users_of: impl FnOnce(&Home, &str) -> Result<Vec<String>>,
    ) -> Result<Profile> {
        self.home.ensure()?;
        let _lock = store::lock_exclusive(&self.home.lock_file())?;
        let mut file = self.load_raw()?;
        let idx = file.profiles.iter().position(|p| p.name == name_or_id || p.id == name_or_id).ok_or_else(|| {
            Error::not_found(format!("No profile named \"{name_or_id}\". List them with `quiesce profile list`."))
        })?;
        let users = users_of(&self.home, &file.profiles[idx].id)?;
        if !users.is_empty() {
            return Err(Error::new(
                ErrorCode::InUse,
                format!(
                    "Profile \"{}\" is a storage of deployment(s) {}. Remove it from them (or remove those deployments) first.",
                    file.profiles[idx].name,
                    users.iter().map(|u| format!("\"{u}\"")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let mut profile = file.profiles.remove(idx);
        if let Some(r) = &profile.secret {
            self.secrets.delete(&r.account)?;
        }
        self.save(file)?;
        tracing::info!(profile = %profile.name, "profile removed");
        mask_host_secret(&mut profile);
        Ok(profile)
    }

    /// The profile and password for "Test connection" on an editor's fields:
    /// a typed password wins; otherwise the stored one of `existing`.
    pub fn for_test(
        &self,
        input: &ProfileInput,
        existing: Option<&str>,
    ) -> Result<(Profile, Option<Sensitive<String>>)> {
        let draft = validate(input).map_err(Error::invalid_fields)?.draft();
        let password = match (&input.password, existing) {
            (PasswordChange::Set(pw), _) => Some(pw.clone()),
            (PasswordChange::Keep, Some(id)) => {
                let saved = self.get(id)?;
                self.secret(&saved)?
            }
            _ => None,
        };
        Ok((draft, password))
    }

    /// The stored secret of a profile, if it has one.
    /// These passwords (by profile id) instead of the keyring's.
    pub fn with_given_secrets(mut self, given: std::collections::HashMap<String, Sensitive<String>>) -> Self {
        self.given = std::sync::Arc::new(given);
        self
    }

    pub fn secret(&self, profile: &Profile) -> Result<Option<Sensitive<String>>> {
        if let Some(s) = self.given.get(&profile.id) {
            return Ok(Some(s.clone()));
        }
        match &profile.secret {
            None => Ok(None),
            Some(r) => match self.secrets.get(&r.account)? {
                Some(s) => Ok(Some(s)),
                None => Err(Error::new(
                    ErrorCode::NotFound,
                    format!(
                        "The password of profile \"{}\" is missing from the keyring (it may have been deleted there). Set it again with Edit in the app or `quiesce profile edit {} --password-stdin`.",
                        profile.name, profile.name
                    ),
                )),
            },
        }
    }
}

impl Profile {
    /// The editable fields of a saved profile (password: keep).
    pub fn to_input(&self) -> ProfileInput {
        ProfileInput {
            name: self.name.clone(),
            kind: Some(self.kind),
            flavor: Some(self.flavor),
            host: self.host.clone(),
            port: self.port,
            database: self.database.clone(),
            user: self.user.clone(),
            ssl_mode: Some(self.ssl_mode),
            ssl_ca_file: self.ssl_ca_file.clone(),
            connect_timeout_secs: Some(self.connect_timeout_secs),
            client_bin_dir: self.client_bin_dir.clone(),
            path: self.path.clone(),
            nodes: self.nodes.clone(),
            data_dirs: self.data_dirs.clone(),
            region: self.region.clone(),
            endpoint: self.endpoint.clone(),
            table_prefix: self.table_prefix.clone(),
            instance_id: self.instance_id.clone(),
            restore: self.restore.clone(),
            password: PasswordChange::Keep,
        }
    }
}

impl Profile {
    /// Where a PostgreSQL tool connects, as its password file names it.
    pub fn pg_target(&self) -> crate::tools::creds::PgTarget<'_> {
        crate::tools::creds::PgTarget {
            host: self.host.as_deref(),
            port: self.port.unwrap_or(5432),
            user: self.user.as_deref().unwrap_or(""),
        }
    }
}

/// `host`, `host:port`, `[v6]:port`.
pub(crate) fn split_host_port(s: &str, default_port: u16) -> std::result::Result<(String, u16), String> {
    let bad = || format!("\"{s}\" is not host or host:port");
    if s.is_empty() || s.contains(char::is_whitespace) || s.contains('/') {
        return Err(bad());
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None if after.is_empty() => default_port,
            None => return Err(bad()),
        };
        return Ok((h.to_string(), port));
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => {
            let port: u16 = p.parse().map_err(|_| format!("\"{p}\" in \"{s}\" is not a port number"))?;
            if h.is_empty() || port == 0 {
                return Err(bad());
            }
            Ok((h.to_string(), port))
        }
        Some(_) => Ok((s.to_string(), default_port)), // a bare IPv6 address
        None => Ok((s.to_string(), default_port)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg() -> ProfileInput {
        ProfileInput {
            name: "prod-pg".into(),
            kind: Some(DbKind::Postgresql),
            host: Some(" db.example ".into()),
            user: Some("scalar".into()),
            database: Some("app".into()),
            ..Default::default()
        }
    }

    #[test]
    fn valid_postgres_profile_is_normalised() {
        let v = validate(&pg()).unwrap();
        assert_eq!(v.host.as_deref(), Some("db.example"));
        assert_eq!(v.port, Some(5432));
        assert_eq!(v.ssl_mode, SslMode::Prefer);
        assert_eq!(v.connect_timeout_secs, DEFAULT_CONNECT_TIMEOUT_SECS);
    }

    #[test]
    fn every_problem_is_reported_against_its_field() {
        let mut i = pg();
        i.name = "bad name!".into();
        i.host = None;
        i.user = None;
        i.database = None;
        i.connect_timeout_secs = Some(0);
        i.path = Some("/x".into());
        let errs = validate(&i).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field.as_str()).collect();
        for f in ["name", "host", "user", "database", "connect_timeout_secs", "path"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn sqlite_needs_an_absolute_path_and_no_password() {
        let i = ProfileInput {
            name: "s".into(),
            kind: Some(DbKind::Sqlite),
            path: Some("rel/file.db".into()),
            password: PasswordChange::Set(Sensitive::new("x".into())),
            ..Default::default()
        };
        let errs = validate(&i).unwrap_err();
        assert!(errs.iter().any(|e| e.field == "path"));
        assert!(errs.iter().any(|e| e.field == "password"));
    }

    #[test]
    fn flavor_must_fit_kind() {
        let mut i = pg();
        i.kind = Some(DbKind::Mysql);
        i.flavor = Some(Flavor::YugabyteYsql);
        assert!(validate(&i).unwrap_err().iter().any(|e| e.field == "flavor"));
    }

    #[test]
    fn ssl_modes_parse_in_libpq_spelling() {
        assert_eq!(SslMode::parse("verify-full"), Some(SslMode::VerifyFull));
        assert_eq!(SslMode::parse("verify_full"), None);
        assert_eq!(SslMode::VerifyCa.as_str(), "verify-ca");
    }

    #[test]
    fn input_password_never_serializes() {
        let mut i = pg();
        i.password = PasswordChange::Set(Sensitive::new("s3cret".into()));
        assert!(serde_json::to_string(&i).is_err());
        let parsed: ProfileInput =
            serde_json::from_str(r#"{"name":"a","kind":"postgresql","password":{"action":"set","value":"pw"}}"#)
                .unwrap();
        assert!(matches!(parsed.password, PasswordChange::Set(ref s) if s.expose() == "pw"));
    }
}
