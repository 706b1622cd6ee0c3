//! Checking a profile's input: every problem at once, each against its
//! field, before anything is saved or connected to.

use super::{
    restores_by_pitr, DbKind, Flavor, PasswordChange, Profile, ProfileInput, RestoreSettings, SecretRef, SslMode,
};
use crate::error::FieldError;
use chrono::{DateTime, Utc};

pub const DEFAULT_CONNECT_TIMEOUT_SECS: u32 = 10;

fn clean(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Checks an input and returns the normalised fields, or every problem at once
/// (the GUI shows each next to its field).
pub fn validate(input: &ProfileInput) -> std::result::Result<ValidProfile, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut err = |field: &str, message: String| errs.push(FieldError { field: field.into(), message });
    let name = input.name.trim().to_string();
    if let Some(why) = crate::paths::name_problem(&name) {
        err("name", format!("{why} The CLI refers to profiles by name, e.g. \"prod-postgres\"."));
    }
    let kind = match input.kind {
        Some(k) => k,
        None => {
            err("kind", "Choose the database kind: postgresql, mysql or sqlite.".into());
            return Err(errs);
        }
    };
    let flavor = input.flavor.unwrap_or(kind.flavors()[0]);
    if !kind.flavors().contains(&flavor) {
        err(
            "flavor",
            format!(
                "{} does not come as {}; choose one of {}.",
                kind.label(),
                flavor.as_str(),
                kind.flavors().iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
            ),
        );
    }
    // The normalised profile first, so every check reads what would be saved;
    // its restore settings are checked in their turn below.
    let list =
        |v: &[String]| -> Vec<String> { v.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect() };
    let mut f = ValidProfile {
        name,
        kind,
        flavor,
        host: clean(&input.host),
        port: if kind.is_networked() || kind == DbKind::Cassandra { input.port.or(kind.default_port()) } else { None },
        database: clean(&input.database),
        user: clean(&input.user),
        ssl_mode: if kind.is_networked() { input.ssl_mode.unwrap_or_default() } else { SslMode::Disable },
        ssl_ca_file: clean(&input.ssl_ca_file),
        connect_timeout_secs: input.connect_timeout_secs.unwrap_or(DEFAULT_CONNECT_TIMEOUT_SECS),
        client_bin_dir: clean(&input.client_bin_dir),
        path: clean(&input.path),
        nodes: list(&input.nodes),
        data_dirs: list(&input.data_dirs),
        region: clean(&input.region),
        endpoint: clean(&input.endpoint),
        table_prefix: clean(&input.table_prefix),
        instance_id: clean(&input.instance_id),
        restore: RestoreSettings::default(),
    };
    check_bounds(&f, &mut err);
    f.restore = validate_restore(kind, flavor, &input.restore, &mut err);
    if !(1..=600).contains(&f.connect_timeout_secs) {
        err("connect_timeout_secs", "Choose a connect timeout between 1 and 600 seconds.".into());
    }
    check_fields_of_kind(kind, flavor, &f, &mut err);
    match kind {
        DbKind::Sqlite => check_sqlite(&f, &input.password, &mut err),
        DbKind::Cassandra => {
            if f.nodes.is_empty() {
                err("nodes", "Give the Cassandra nodes (ScalarDB's contact points), e.g. cass-1,cass-2,cass-3.".into());
            }
        }
        DbKind::Cosmos | DbKind::Dynamo => check_cloud_service(kind, &f, &mut err),
        // Kinds reached by host and port: their port and TLS mode are the input's.
        DbKind::Postgresql | DbKind::Mysql | DbKind::Oracle | DbKind::Sqlserver | DbKind::Db2 => {
            check_server(kind, &f, &mut err)
        }
    }
    if let Some(dir) = &f.client_bin_dir {
        if !std::path::Path::new(dir).is_dir() {
            err("client_bin_dir", format!("No directory at {dir}. Point it at the folder holding pg_dump/mysqldump, or leave it empty to search PATH."));
        }
    }
    if !errs.is_empty() {
        return Err(errs);
    }
    Ok(f)
}

/// Bounded fields: a 5 MB user name is a mistake (or an attack on every
/// screen and file that shows it), never a user.
fn check_bounds(f: &ValidProfile, err: &mut impl FnMut(&str, String)) {
    for (field, v, max) in [
        ("host", &f.host, 255),
        ("user", &f.user, 256),
        ("database", &f.database, 256),
        ("path", &f.path, 4096),
        ("ssl_ca_file", &f.ssl_ca_file, 4096),
        ("client_bin_dir", &f.client_bin_dir, 4096),
        ("region", &f.region, 64),
        ("endpoint", &f.endpoint, 2048),
        ("table_prefix", &f.table_prefix, 255),
        ("instance_id", &f.instance_id, 255),
    ] {
        match v {
            Some(v) if v.len() > max => err(field, format!("Use at most {max} bytes ({} given).", v.len())),
            Some(v) if v.chars().any(char::is_control) => {
                err(field, "Remove the control characters (a newline, a tab) from it.".into())
            }
            _ => {}
        }
    }
    for (field, list, max) in [("nodes", &f.nodes, 255), ("data_dirs", &f.data_dirs, 4096)] {
        if list.len() > 256 || list.iter().any(|v| v.len() > max || v.chars().any(char::is_control)) {
            err(field, format!("Give at most 256 entries of at most {max} bytes each, without control characters."));
        }
    }
    // A node is an ssh destination in the runbooks: `-oProxyCommand=…` would be an option.
    if let Some(n) = f.nodes.iter().find(|n| n.starts_with('-')) {
        err(
            "nodes",
            format!(
                "\"{n}\" begins with '-', which ssh would read as an option: give the node's host name or address."
            ),
        );
    }
}

/// Fields that belong to other kinds are refused, so that a profile never
/// carries a setting nobody will read.
fn check_fields_of_kind(kind: DbKind, flavor: Flavor, f: &ValidProfile, err: &mut impl FnMut(&str, String)) {
    let mut not_for = |field: &str, set: bool| {
        if set {
            err(field, format!("Not used for {}; leave it empty.", kind.label()));
        }
    };
    not_for("path", kind != DbKind::Sqlite && f.path.is_some());
    not_for("nodes", kind != DbKind::Cassandra && !f.nodes.is_empty());
    not_for("data_dirs", kind != DbKind::Cassandra && !f.data_dirs.is_empty());
    not_for("table_prefix", kind != DbKind::Dynamo && f.table_prefix.is_some());
    not_for("endpoint", !matches!(kind, DbKind::Cosmos | DbKind::Dynamo) && f.endpoint.is_some());
    not_for("host", !kind.is_networked() && f.host.is_some());
    not_for("ssl_ca_file", !kind.is_networked() && f.ssl_ca_file.is_some());
    let needs_instance = flavor.is_managed() && flavor != Flavor::Cloud;
    not_for("instance_id", !needs_instance && f.instance_id.is_some());
    not_for(
        "region",
        !(matches!(kind, DbKind::Dynamo | DbKind::Cosmos) || matches!(flavor, Flavor::AmazonRds | Flavor::Azure))
            && f.region.is_some(),
    );
    if flavor == Flavor::YugabyteManaged && f.instance_id.is_none() {
        err("instance_id", "Give the YugabyteDB Managed cluster id (its restore runbook needs it).".into());
    }
}

fn check_sqlite(f: &ValidProfile, password: &PasswordChange, err: &mut impl FnMut(&str, String)) {
    match &f.path {
        None => err("path", "Give the path of the SQLite database file.".into()),
        Some(p) if !std::path::Path::new(p).is_absolute() => {
            err("path", "Use an absolute path (the app and the CLI may run from different directories).".into())
        }
        _ => {}
    }
    for (field, v) in [("user", &f.user), ("database", &f.database)] {
        if v.is_some() {
            err(field, "Not used for SQLite; leave it empty.".into());
        }
    }
    if matches!(password, PasswordChange::Set(_)) {
        err("password", "SQLite files have no password; leave it empty.".into());
    }
}

/// Cosmos DB's account URI, DynamoDB's region and endpoint override.
fn check_cloud_service(kind: DbKind, f: &ValidProfile, err: &mut impl FnMut(&str, String)) {
    if kind == DbKind::Cosmos {
        match &f.endpoint {
            None => err(
                "endpoint",
                "Give the Cosmos DB account URI, e.g. https://myaccount.documents.azure.com:443/.".into(),
            ),
            Some(e) if !e.starts_with("https://") && !e.starts_with("http://") => err(
                "endpoint",
                "The account URI starts with https://, e.g. https://myaccount.documents.azure.com:443/.".into(),
            ),
            _ => {}
        }
        return;
    }
    if f.region.is_none() {
        err("region", "Give the AWS region of the tables, e.g. us-east-1 (ScalarDB's contact point).".into());
    }
    if let Some(e) = &f.endpoint {
        if !e.starts_with("https://") && !e.starts_with("http://") {
            err("endpoint", "An endpoint override is a URL, e.g. http://localhost:8000.".into());
        }
    }
}

/// A database server's host, port, user, database and TLS files.
fn check_server(kind: DbKind, f: &ValidProfile, err: &mut impl FnMut(&str, String)) {
    match &f.host {
        None => err("host", "Give the server's host name or IP address.".into()),
        Some(h) if h.contains(char::is_whitespace) || h.contains('/') && !h.starts_with('/') => {
            err("host", "A host name has no spaces or slashes (a Unix socket directory starts with '/').".into())
        }
        Some(h) if h.contains('@') && !h.starts_with('/') => err(
            "host",
            "A host name has no '@': a user (and a password) before it belongs in the user field and the keyring."
                .into(),
        ),
        _ => {}
    }
    if f.port == Some(0) {
        err("port", "Choose a port between 1 and 65535.".into());
    }
    if f.user.is_none() && kind.is_live() {
        err("user", "Give the database user Quiesce connects as.".into());
    }
    if kind == DbKind::Postgresql && f.database.is_none() {
        err("database", "Give the database that holds the ScalarDB schemas (the one in ScalarDB's JDBC URL).".into());
    }
    if let Some(ca) = &f.ssl_ca_file {
        if !std::path::Path::new(ca).is_absolute() {
            err("ssl_ca_file", "Use an absolute path to the CA certificate (PEM).".into());
        } else if !std::path::Path::new(ca).is_file() {
            err(
                "ssl_ca_file",
                format!("No file at {ca}. Give the PEM file of the CA that signed the server's certificate."),
            );
        }
        if f.ssl_mode == SslMode::Disable {
            err("ssl_mode", "A CA file is set but TLS is disabled; choose verify-full or remove the CA file.".into());
        }
    }
}

/// The restore settings, checked against the kind's provider limits.
fn validate_restore(
    kind: DbKind,
    flavor: Flavor,
    r: &RestoreSettings,
    err: &mut impl FnMut(&str, String),
) -> RestoreSettings {
    let rg = clean(&r.resource_group);
    if !restores_by_pitr(kind, flavor) {
        if r.is_set() {
            err(
                "restore",
                format!("{} is not restored to a point in time; leave the restore settings empty.", kind.label()),
            );
        }
        return RestoreSettings::default();
    }
    if let Some(days) = r.retention_days {
        let (ok, range) = match kind {
            DbKind::Cosmos => (days == 7 || days == 30, "7 or 30 (continuous backup tiers)"),
            _ => ((1..=35).contains(&days), "1 to 35"),
        };
        if !ok {
            err(
                "restore.retention_days",
                format!("{} keeps {range} days of point-in-time restore; {days} is not one of them.", kind.label()),
            );
        }
    }
    if let Some(lag) = r.lag_secs {
        if lag > 86_400 {
            err(
                "restore.lag_secs",
                "Give the provider's lag in seconds, at most 86400 (a day); RDS and DynamoDB lag about 300.".into(),
            );
        }
    }
    if let Some(e) = r.earliest {
        if e > Utc::now() {
            err(
                "restore.earliest",
                "The earliest restorable time is in the future; give the time PITR was enabled, in UTC.".into(),
            );
        }
    }
    let azure = kind == DbKind::Cosmos || flavor == Flavor::Azure;
    match &rg {
        Some(_) if !azure => err("restore.resource_group", format!("Not used for {}; leave it empty.", kind.label())),
        Some(g) if g.len() > 90 || g.chars().any(char::is_control) => err(
            "restore.resource_group",
            "An Azure resource group name has at most 90 characters and no control characters.".into(),
        ),
        _ => {}
    }
    RestoreSettings { resource_group: rg, ..r.clone() }
}

#[derive(Debug, Clone)]
pub struct ValidProfile {
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
    pub path: Option<String>,
    pub nodes: Vec<String>,
    pub data_dirs: Vec<String>,
    pub region: Option<String>,
    pub endpoint: Option<String>,
    pub table_prefix: Option<String>,
    pub instance_id: Option<String>,
    pub restore: RestoreSettings,
}

impl ValidProfile {
    pub(super) fn into_profile(self, id: String, secret: Option<SecretRef>, created_at: DateTime<Utc>) -> Profile {
        Profile {
            id,
            name: self.name,
            kind: self.kind,
            flavor: self.flavor,
            host: self.host,
            port: self.port,
            database: self.database,
            user: self.user,
            ssl_mode: self.ssl_mode,
            ssl_ca_file: self.ssl_ca_file,
            connect_timeout_secs: self.connect_timeout_secs,
            client_bin_dir: self.client_bin_dir,
            path: self.path,
            nodes: self.nodes,
            data_dirs: self.data_dirs,
            region: self.region,
            endpoint: self.endpoint,
            table_prefix: self.table_prefix,
            instance_id: self.instance_id,
            restore: self.restore,
            secret,
            created_at,
            updated_at: Utc::now(),
        }
    }

    /// A profile that is not saved, for "Test connection" on the editor's fields.
    pub fn draft(self) -> Profile {
        self.into_profile("draft".into(), None, Utc::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitive::Sensitive;

    fn input(kind: DbKind) -> ProfileInput {
        ProfileInput { name: "p".into(), kind: Some(kind), ..Default::default() }
    }

    /// The fields with a problem, in the order they were found.
    fn fields(i: &ProfileInput) -> Vec<String> {
        validate(i).err().unwrap_or_default().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn each_kind_asks_for_what_it_needs() {
        assert_eq!(fields(&input(DbKind::Sqlite)), ["path"]);
        assert_eq!(fields(&ProfileInput { path: Some("rel/x.db".into()), ..input(DbKind::Sqlite) }), ["path"]);
        assert_eq!(fields(&input(DbKind::Cassandra)), ["nodes"]);
        assert_eq!(fields(&input(DbKind::Cosmos)), ["endpoint"]);
        assert_eq!(fields(&ProfileInput { endpoint: Some("ftp://x".into()), ..input(DbKind::Cosmos) }), ["endpoint"]);
        assert_eq!(fields(&input(DbKind::Dynamo)), ["region"]);
        let dynamo =
            ProfileInput { region: Some("us-east-1".into()), endpoint: Some("x".into()), ..input(DbKind::Dynamo) };
        assert_eq!(fields(&dynamo), ["endpoint"]);
        assert_eq!(fields(&input(DbKind::Postgresql)), ["host", "user", "database"]);
        assert_eq!(fields(&input(DbKind::Mysql)), ["host", "user"]);
        assert_eq!(fields(&ProfileInput { name: "".into(), kind: None, ..Default::default() }), ["name", "kind"]);
    }

    #[test]
    fn a_server_profile_is_checked_field_by_field_and_every_problem_is_reported_in_the_form_s_order() {
        let bad = ProfileInput {
            host: Some("scalar:pw@db".into()),
            port: Some(0),
            user: Some("u".into()),
            ssl_ca_file: Some("ca.pem".into()),
            ssl_mode: Some(SslMode::Disable),
            nodes: vec!["-oProxyCommand=x".into()],
            path: Some("/x.db".into()),
            connect_timeout_secs: Some(0),
            client_bin_dir: Some("/no/such/dir".into()),
            ..input(DbKind::Mysql)
        };
        assert_eq!(
            fields(&bad),
            [
                "nodes",
                "connect_timeout_secs",
                "path",
                "nodes",
                "host",
                "port",
                "ssl_ca_file",
                "ssl_mode",
                "client_bin_dir"
            ]
        );
        let msgs = validate(&bad).unwrap_err();
        assert!(msgs[0].message.contains("ssh would read as an option"), "{}", msgs[0].message);
        assert!(msgs[4].message.contains("no '@'"), "{}", msgs[4].message);
        let long = ProfileInput { user: Some("u".repeat(300)), host: Some("db\tx".into()), ..input(DbKind::Mysql) };
        let e = validate(&long).unwrap_err();
        assert_eq!(e[0].field, "host");
        assert!(e[0].message.contains("control characters"));
        assert!(e[1].field == "user" && e[1].message.contains("at most 256 bytes"), "{e:?}");
    }

    #[test]
    fn sqlite_takes_no_user_database_or_password_and_a_valid_profile_is_normalised() {
        let i = ProfileInput {
            path: Some(" /data/app.db ".into()),
            user: Some("u".into()),
            database: Some("d".into()),
            password: PasswordChange::Set(Sensitive::new("pw".into())),
            ..input(DbKind::Sqlite)
        };
        assert_eq!(fields(&i), ["user", "database", "password"]);
        let ok = validate(&ProfileInput { path: Some(" /data/app.db ".into()), ..input(DbKind::Sqlite) }).unwrap();
        assert_eq!(ok.path.as_deref(), Some("/data/app.db"));
        assert_eq!(
            (ok.port, ok.ssl_mode, ok.connect_timeout_secs),
            (None, SslMode::Disable, DEFAULT_CONNECT_TIMEOUT_SECS)
        );
        let pg = validate(&ProfileInput {
            host: Some("db".into()),
            user: Some("u".into()),
            database: Some("app".into()),
            ..input(DbKind::Postgresql)
        })
        .unwrap();
        assert_eq!(pg.port, Some(5432));
    }

    #[test]
    fn a_yugabyte_managed_profile_needs_its_cluster_id() {
        let y = ProfileInput {
            flavor: Some(Flavor::YugabyteManaged),
            host: Some("db".into()),
            user: Some("u".into()),
            database: Some("app".into()),
            ..input(DbKind::Postgresql)
        };
        assert_eq!(fields(&y), ["instance_id"]);
    }
}
