//! The native commands a backup or restore runs. One function builds each
//! command; the plan shows it with placeholders and the backup job runs it
//! with real values, so what the user reads is what runs. Secrets never go
//! into a command line: PostgreSQL tools read a 0600 PGPASSFILE, MySQL tools a
//! 0600 `--defaults-extra-file`.

use crate::profile::{Profile, SslMode};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CommandLine {
    pub program: String,
    pub args: Vec<String>,
    /// Environment for the child (never a secret: a pass *file* path at most).
    pub env: Vec<(String, String)>,
    /// The next command of a pipeline, fed this one's stdout.
    pub pipe_to: Option<Box<CommandLine>>,
    /// Where the last command's stdout goes, if to a file.
    pub stdout_file: Option<String>,
}

impl CommandLine {
    fn new(program: impl Into<String>) -> Self {
        CommandLine { program: program.into(), args: Vec::new(), env: Vec::new(), pipe_to: None, stdout_file: None }
    }
    fn arg(mut self, a: impl Into<String>) -> Self {
        self.args.push(a.into());
        self
    }
    fn env(mut self, k: &str, v: impl Into<String>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    /// One shell-like line, quoted where needed.
    pub fn render(&self) -> String {
        let mut parts: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={}", quote(v))).collect();
        parts.push(quote(&self.program));
        parts.extend(self.args.iter().map(|a| quote(a)));
        let mut s = parts.join(" ");
        if let Some(next) = &self.pipe_to {
            s.push_str(" | ");
            s.push_str(&next.render());
        }
        if let Some(f) = &self.stdout_file {
            s.push_str(" > ");
            s.push_str(&quote(f));
        }
        s
    }
}

pub fn quote(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_=./:,@+%<>".contains(c));
    let placeholder = s.starts_with('<') && s.ends_with('>');
    if plain || placeholder {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The values a command needs that exist only when it runs.
#[derive(Debug, Clone)]
pub struct Runtime<'a> {
    /// The 0600 file holding the password (PGPASSFILE / --defaults-extra-file).
    pub pass_file: &'a str,
    /// PostgreSQL: the snapshot Quiesce exported at the start.
    pub snapshot: &'a str,
    /// Output file (compressed) or directory.
    pub output: &'a str,
}

impl<'a> Runtime<'a> {
    /// What the plan shows before anything runs.
    pub fn placeholders(output: &'a str) -> Runtime<'a> {
        Runtime { pass_file: "<0600 pass file>", snapshot: "<snapshot exported at start>", output }
    }
}

/// `zstd` for the streaming compression of the default format. Level 1: on
/// 2 cores the dump, the server and the compressor share the CPU, and -1 kept
/// the pipeline ~20 % faster than -3 on the benchmark's ScalarDB-shaped data
/// (with a smaller output there; usually a few % larger).
pub const ZSTD_LEVEL: &str = "-1";

/// A pattern for pg_dump's --schema that matches exactly this name.
fn pg_schema_pattern(ns: &str) -> String {
    if ns.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        ns.to_string()
    } else {
        format!("\"{}\"", ns.replace('"', "\"\""))
    }
}

fn pg_sslmode(m: SslMode) -> &'static str {
    m.as_str()
}

/// The dump formats. `Default`: an uncompressed custom-format archive (or SQL
/// for MySQL) compressed by multi-threaded zstd as it streams — faster than
/// pg_dump's own single-threaded gzip and no larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, Default)]
#[serde(rename_all = "snake_case")]
pub enum DumpFormat {
    #[default]
    Default,
    /// Plain SQL, uncompressed.
    Plain,
    /// pg_dump's custom format with its own (gzip) compression.
    Custom,
    /// pg_dump's directory format, uncompressed, `-j N` workers.
    Directory,
}

impl DumpFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            DumpFormat::Default => "default",
            DumpFormat::Plain => "plain",
            DumpFormat::Custom => "custom",
            DumpFormat::Directory => "directory",
        }
    }

    /// The output's name in the backup folder.
    pub fn pg_output(self) -> &'static str {
        match self {
            DumpFormat::Default => "postgresql.dump.zst",
            DumpFormat::Plain => "postgresql.sql",
            DumpFormat::Custom => "postgresql.dump",
            DumpFormat::Directory => "postgresql.dir",
        }
    }

    pub fn mysql_output(self) -> &'static str {
        match self {
            DumpFormat::Plain => "mysql.sql",
            DumpFormat::Directory => "mysql.dir",
            _ => "mysql.sql.zst",
        }
    }
}

/// pg_dump of the ScalarDB schemas in the snapshot Quiesce exported. With the
/// default format, the archive is compressed by zstd as it streams.
/// Restorable without Quiesce (see `restore_hint`).
pub fn pg_dump(
    profile: &Profile,
    pg_dump: &str,
    namespaces: &[String],
    format: DumpFormat,
    jobs: Option<u32>,
    rt: &Runtime,
) -> CommandLine {
    let mut c =
        CommandLine::new(pg_dump).env("PGPASSFILE", rt.pass_file).env("PGSSLMODE", pg_sslmode(profile.ssl_mode));
    if let Some(ca) = &profile.ssl_ca_file {
        c = c.env("PGSSLROOTCERT", ca.clone());
    }
    c = c
        .arg(format!("--host={}", profile.host.as_deref().unwrap_or("")))
        .arg(format!("--port={}", profile.port.unwrap_or(5432)))
        .arg(format!("--username={}", profile.user.as_deref().unwrap_or("")))
        .arg(format!("--dbname={}", profile.database.as_deref().unwrap_or("")))
        .arg("--no-password")
        .arg("--verbose");
    c = match format {
        DumpFormat::Default => c.arg("--format=custom").arg("--compress=0"),
        DumpFormat::Plain => c.arg("--format=plain"),
        DumpFormat::Custom => c.arg("--format=custom"),
        DumpFormat::Directory => {
            let c = c.arg("--format=directory").arg("--compress=0").arg(format!("--jobs={}", jobs.unwrap_or(1).max(1)));
            c.arg(format!("--file={}", rt.output))
        }
    };
    c = c.arg(format!("--snapshot={}", rt.snapshot));
    for ns in namespaces {
        c = c.arg(format!("--schema={}", pg_schema_pattern(ns)));
    }
    match format {
        DumpFormat::Default => {
            let mut z = CommandLine::new("zstd").arg("-T0").arg(ZSTD_LEVEL).arg("-q").arg("-c");
            z.stdout_file = Some(rt.output.to_string());
            c.pipe_to = Some(Box::new(z));
        }
        DumpFormat::Plain | DumpFormat::Custom => c.stdout_file = Some(rt.output.to_string()),
        DumpFormat::Directory => {}
    }
    c
}

/// How to restore a PostgreSQL backup without Quiesce, in one line.
pub fn pg_restore_hint(format: DumpFormat, jobs: Option<u32>) -> String {
    match format {
        DumpFormat::Default => {
            "zstd -dc postgresql.dump.zst | pg_restore --no-owner --single-transaction -d TARGET_DB".into()
        }
        DumpFormat::Plain => "psql -v ON_ERROR_STOP=1 --single-transaction -d TARGET_DB -f postgresql.sql".into(),
        DumpFormat::Custom => "pg_restore --no-owner --single-transaction -d TARGET_DB postgresql.dump".into(),
        DumpFormat::Directory => {
            format!("pg_restore --no-owner -j {} -d TARGET_DB postgresql.dir", jobs.unwrap_or(2).max(1))
        }
    }
}

/// The restore of a `pg_dump` archive made above, as the plan shows it.
pub fn pg_restore(profile: &Profile, pg_restore: &str, archive: &str, rt: &Runtime) -> CommandLine {
    let mut z = zstd_decompress().arg(archive);
    z.pipe_to = Some(Box::new(pg_restore_into(profile, pg_restore, None, None, rt)));
    z
}

/// `zstd -dc`: stdin to stdout unless a file is added.
pub fn zstd_decompress() -> CommandLine {
    CommandLine::new("zstd").arg("-dc").arg("-q")
}

fn pg_conn_env(c: CommandLine, profile: &Profile, rt: &Runtime) -> CommandLine {
    let mut c = c.env("PGPASSFILE", rt.pass_file).env("PGSSLMODE", pg_sslmode(profile.ssl_mode));
    if let Some(ca) = &profile.ssl_ca_file {
        c = c.env("PGSSLROOTCERT", ca.clone());
    }
    c.arg(format!("--host={}", profile.host.as_deref().unwrap_or("")))
        .arg(format!("--port={}", profile.port.unwrap_or(5432)))
        .arg(format!("--username={}", profile.user.as_deref().unwrap_or("")))
        .arg(format!("--dbname={}", profile.database.as_deref().unwrap_or("")))
        .arg("--no-password")
}

/// pg_restore straight into the target database, without owners or grants
/// (roles of the source need not exist on the target). One transaction
/// unless `jobs` (parallel workers cannot share one). `archive` None: stdin.
pub fn pg_restore_into(
    profile: &Profile,
    tool: &str,
    archive: Option<&str>,
    jobs: Option<u32>,
    rt: &Runtime,
) -> CommandLine {
    let mut c = pg_conn_env(CommandLine::new(tool), profile, rt)
        .arg("--no-owner")
        .arg("--no-privileges")
        .arg("--exit-on-error")
        .arg("--verbose");
    c = match jobs {
        Some(j) => c.arg(format!("--jobs={}", j.max(1))),
        None => c.arg("--single-transaction"),
    };
    if let Some(a) = archive {
        c = c.arg(a);
    }
    c
}

/// pg_restore writing the archive as SQL to stdout (for psql to run it in
/// one transaction together with the replacement's DROP SCHEMA statements).
pub fn pg_restore_to_sql(tool: &str, archive: Option<&str>) -> CommandLine {
    let mut c = CommandLine::new(tool).arg("--no-owner").arg("--no-privileges").arg("--file=-");
    if let Some(a) = archive {
        c = c.arg(a);
    }
    c
}

/// psql running stdin in one transaction, after `first` statements, stopping
/// at the first error (so a failure rolls everything back).
pub fn psql_single_transaction(profile: &Profile, tool: &str, first: &[String], rt: &Runtime) -> CommandLine {
    let mut c = pg_conn_env(CommandLine::new(tool), profile, rt)
        .arg("--quiet")
        .arg("--no-psqlrc")
        .arg("--set=ON_ERROR_STOP=1")
        .arg("--single-transaction")
        .arg("--output=/dev/null");
    for s in first {
        c = c.arg(format!("--command={s}"));
    }
    c.arg("--file=-")
}

/// Whether a dump tool is MariaDB's (its TLS options differ from MySQL's).
pub fn is_mariadb_tool(tool: &str) -> bool {
    tool.contains("mariadb")
}

/// One `--single-transaction` dump of every ScalarDB database at once (one
/// invocation per database would not be consistent), compressed as it streams.
pub fn mysql_dump(
    profile: &Profile,
    tool: &str,
    databases: &[String],
    format: DumpFormat,
    rt: &Runtime,
) -> CommandLine {
    let mut c = CommandLine::new(tool)
        .arg(format!("--defaults-extra-file={}", rt.pass_file))
        .arg(format!("--host={}", profile.host.as_deref().unwrap_or("")))
        .arg(format!("--port={}", profile.port.unwrap_or(3306)))
        .arg(format!("--user={}", profile.user.as_deref().unwrap_or("")));
    c.args.extend(mysql_tls_args(profile, tool));
    c = c
        .arg("--single-transaction")
        .arg("--quick")
        .arg("--routines")
        .arg("--triggers")
        .arg("--hex-blob")
        .arg("--verbose")
        .arg("--databases");
    c.args.extend(databases.iter().cloned());
    if format == DumpFormat::Plain {
        c.stdout_file = Some(rt.output.to_string());
    } else {
        let mut z = CommandLine::new("zstd").arg("-T0").arg(ZSTD_LEVEL).arg("-q").arg("-c");
        z.stdout_file = Some(rt.output.to_string());
        c.pipe_to = Some(Box::new(z));
    }
    c
}

/// A regex matching exactly these databases' tables (mydumper --regex).
fn db_regex(databases: &[String]) -> String {
    let esc = |d: &str| {
        d.chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_string() } else { format!("\\{c}") })
            .collect::<String>()
    };
    format!("^({})\\.", databases.iter().map(|d| esc(d)).collect::<Vec<_>>().join("|"))
}

/// mydumper: a parallel dump in one consistent snapshot. Its threads open
/// their snapshots under FLUSH TABLES WITH READ LOCK, which needs RELOAD;
/// without it mydumper dumps anyway, inconsistently, and only says so in its
/// log and exit status (Quiesce checks both).
pub fn mydumper(profile: &Profile, tool: &str, databases: &[String], threads: u32, rt: &Runtime) -> CommandLine {
    mydumper_family(profile, tool, threads, rt)
        .arg("--trx-consistency-only")
        .arg(format!("--regex={}", db_regex(databases)))
        .arg("--triggers")
        .arg("--routines")
        .arg("--verbose=3")
        .arg(format!("--outputdir={}", rt.output))
}

pub fn mysql_restore_hint(format: DumpFormat) -> String {
    match format {
        DumpFormat::Directory => "myloader --user=USER --ask-password --threads=2 --directory=mysql.dir".into(),
        DumpFormat::Plain => "mariadb --user=USER -p < mysql.sql".into(),
        _ => "zstd -dc mysql.sql.zst | mariadb --user=USER -p".into(),
    }
}

/// The restore of a MySQL dump, as the plan shows it.
pub fn mysql_restore(profile: &Profile, client: &str, archive: &str, rt: &Runtime) -> CommandLine {
    let mut z = zstd_decompress().arg(archive);
    z.pipe_to = Some(Box::new(mysql_client(profile, client, rt)));
    z
}

/// The mysql/mariadb client running the SQL on its stdin.
pub fn mysql_client(profile: &Profile, client: &str, rt: &Runtime) -> CommandLine {
    let mut m = CommandLine::new(client)
        .arg(format!("--defaults-extra-file={}", rt.pass_file))
        .arg(format!("--host={}", profile.host.as_deref().unwrap_or("")))
        .arg(format!("--port={}", profile.port.unwrap_or(3306)))
        .arg(format!("--user={}", profile.user.as_deref().unwrap_or("")));
    m.args.extend(mysql_tls_args(profile, client));
    m.arg("--batch")
}

/// myloader: the parallel loader of a mydumper directory, into the
/// databases the dump names.
pub fn myloader(profile: &Profile, tool: &str, dir: &str, threads: u32, rt: &Runtime) -> CommandLine {
    mydumper_family(profile, tool, threads, rt).arg("--verbose=3").arg(format!("--directory={dir}"))
}

/// What mydumper and myloader share: the option file (they read their own
/// group of it), the server, TLS (they only know `--ssl`) and the threads.
fn mydumper_family(profile: &Profile, tool: &str, threads: u32, rt: &Runtime) -> CommandLine {
    let mut c = CommandLine::new(tool)
        .arg(format!("--defaults-file={}", rt.pass_file))
        .arg(format!("--host={}", profile.host.as_deref().unwrap_or("")))
        .arg(format!("--port={}", profile.port.unwrap_or(3306)))
        .arg(format!("--user={}", profile.user.as_deref().unwrap_or("")));
    if matches!(profile.ssl_mode, SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull) {
        c = c.arg("--ssl");
    }
    c.arg(format!("--threads={}", threads.max(1)))
}

/// libpq's sslmode mapped onto the client's own options.
fn mysql_tls_args(profile: &Profile, tool: &str) -> Vec<String> {
    let mut v = Vec::new();
    let ca = profile.ssl_ca_file.as_ref().map(|c| format!("--ssl-ca={c}"));
    if is_mariadb_tool(tool) {
        match profile.ssl_mode {
            SslMode::Disable => v.push("--skip-ssl".into()),
            SslMode::Prefer => {}
            SslMode::Require => v.push("--ssl".into()),
            SslMode::VerifyCa | SslMode::VerifyFull => {
                v.push("--ssl".into());
                v.push("--ssl-verify-server-cert".into());
            }
        }
    } else {
        let mode = match profile.ssl_mode {
            SslMode::Disable => "DISABLED",
            SslMode::Prefer => "PREFERRED",
            SslMode::Require => "REQUIRED",
            SslMode::VerifyCa => "VERIFY_CA",
            SslMode::VerifyFull => "VERIFY_IDENTITY",
        };
        v.push(format!("--ssl-mode={mode}"));
    }
    v.extend(ca.filter(|_| profile.ssl_mode != SslMode::Disable));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::DbKind;

    fn pg() -> Profile {
        Profile {
            kind: DbKind::Postgresql,
            host: Some("db".into()),
            port: Some(5433),
            user: Some("scalar".into()),
            database: Some("app".into()),
            ssl_mode: SslMode::VerifyFull,
            ssl_ca_file: Some("/etc/ca.pem".into()),
            ..Default::default()
        }
    }

    #[test]
    fn pg_dump_reads_the_password_from_a_file_and_streams_into_zstd() {
        let c = pg_dump(
            &pg(),
            "/usr/lib/postgresql/15/bin/pg_dump",
            &["bank".into(), "Audit".into()],
            DumpFormat::Default,
            None,
            &Runtime::placeholders("<out>/app.dump.zst"),
        );
        let s = c.render();
        assert_eq!(
            s,
            "PGPASSFILE=<0600 pass file> PGSSLMODE=verify-full PGSSLROOTCERT=/etc/ca.pem /usr/lib/postgresql/15/bin/pg_dump --host=db --port=5433 --username=scalar --dbname=app --no-password --verbose --format=custom --compress=0 '--snapshot=<snapshot exported at start>' --schema=bank '--schema=\"Audit\"' | zstd -T0 -1 -q -c > <out>/app.dump.zst"
        );
    }

    #[test]
    fn mysql_dump_is_one_invocation_over_every_database() {
        let mut p = pg();
        p.kind = DbKind::Mysql;
        p.port = Some(3306);
        let dbs: Vec<String> = ["bank", "audit", "coordinator", "scalardb"].map(String::from).to_vec();
        let c = mysql_dump(&p, "mariadb-dump", &dbs, DumpFormat::Default, &Runtime::placeholders("<out>/all.sql.zst"));
        assert_eq!(c.args[0], "--defaults-extra-file=<0600 pass file>");
        assert!(c.args.contains(&"--single-transaction".to_string()));
        assert!(c.args.contains(&"--ssl-verify-server-cert".to_string()));
        let i = c.args.iter().position(|a| a == "--databases").unwrap();
        assert_eq!(&c.args[i + 1..], dbs.as_slice());
        let m = mysql_dump(&p, "/usr/bin/mysqldump", &dbs, DumpFormat::Default, &Runtime::placeholders("x"));
        let d = pg_dump(&pg(), "pg_dump", &dbs, DumpFormat::Directory, Some(2), &Runtime::placeholders("<out>/d"));
        assert!(
            d.pipe_to.is_none()
                && d.args.contains(&"--jobs=2".to_string())
                && d.args.contains(&"--file=<out>/d".to_string())
        );
        assert!(m.args.contains(&"--ssl-mode=VERIFY_IDENTITY".to_string()));
    }

    #[test]
    fn mydumper_selects_exactly_the_scalardb_databases() {
        let p = Profile { host: Some("h".into()), user: Some("u".into()), ..Default::default() };
        let c = mydumper(&p, "mydumper", &["bank".into(), "a.b".into()], 2, &Runtime::placeholders("<out>"));
        assert!(c.args.contains(&"--regex=^(bank|a\\.b)\\.".to_string()), "{:?}", c.args);
        assert!(c.args.contains(&"--trx-consistency-only".to_string()) && c.args.contains(&"--threads=2".to_string()));
        assert_eq!(c.args[0], "--defaults-file=<0600 pass file>");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("<0600 pass file>"), "<0600 pass file>");
    }
}
