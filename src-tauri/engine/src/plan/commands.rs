//! The native commands a backup or restore runs. One function builds each
//! command; the plan shows it with placeholders and the backup job runs it
//! with real values, so what the user reads is what runs. Secrets never go
//! into a command line: PostgreSQL tools read a 0600 PGPASSFILE, MySQL tools a
//! 0600 `--defaults-extra-file`. Names from databases and profiles only ever
//! go in forms a tool cannot read as options or connection strings (see
//! `crate::tools`).

use crate::error::{Error, Result};
use crate::profile::{Profile, SslMode};
use crate::tools::conninfo_value;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use crate::tools::{quote, CommandLine};

/// The values a command needs that exist only when it runs.
#[derive(Debug, Clone)]
pub struct Runtime<'a> {
    /// The 0600 file holding the password (PGPASSFILE / --defaults-extra-file).
    pub pass_file: &'a str,
    /// PostgreSQL: the snapshot Quiesce exported at the start.
    pub snapshot: &'a str,
    /// Output file (compressed) or directory.
    pub output: &'a str,
    /// The PostgreSQL tools' `application_name`: the job, so that its server
    /// sessions can be told apart (stall detection, the sessions a restore lists).
    pub session: &'a str,
}

impl<'a> Runtime<'a> {
    /// What the plan shows before anything runs.
    pub fn placeholders(output: &'a str) -> Runtime<'a> {
        Runtime { pass_file: "<0600 pass file>", snapshot: "<snapshot exported at start>", output, session: "quiesce" }
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

/// The connection of a PostgreSQL tool as one conninfo, every value quoted:
/// libpq reads a `--dbname` holding `=` or `postgresql://` as a whole
/// connection string, so a database named `host=elsewhere dbname=x` passed
/// bare would send the tool (and the password file's password) elsewhere.
pub fn pg_conninfo(profile: &Profile, database: &str, session: &str) -> String {
    let mut parts = vec![
        format!("host={}", conninfo_value(profile.host.as_deref().unwrap_or(""))),
        format!("port={}", conninfo_value(&profile.port.unwrap_or(5432).to_string())),
        format!("user={}", conninfo_value(profile.user.as_deref().unwrap_or(""))),
        format!("dbname={}", conninfo_value(database)),
        format!("sslmode={}", conninfo_value(profile.ssl_mode.as_str())),
    ];
    if let Some(ca) = &profile.ssl_ca_file {
        parts.push(format!("sslrootcert={}", conninfo_value(ca)));
    }
    parts.push(format!("connect_timeout={}", conninfo_value(&profile.connect_timeout_secs.max(2).to_string())));
    parts.push(format!("application_name={}", conninfo_value(session)));
    parts.join(" ")
}

/// The connection options of every PostgreSQL tool: the password file and
/// one conninfo naming the profile's database.
pub(crate) fn pg_connect(c: CommandLine, profile: &Profile, rt: &Runtime) -> CommandLine {
    c.env("PGPASSFILE", rt.pass_file)
        .opt("--dbname", pg_conninfo(profile, profile.database.as_deref().unwrap_or(""), rt.session))
        .flag("--no-password")
}

/// The dump formats. `Default`: an uncompressed custom-format archive (or SQL
/// for MySQL) compressed by multi-threaded zstd as it streams — faster than
/// pg_dump's own single-threaded gzip and no larger.
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
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
    let mut c = pg_connect(CommandLine::new(pg_dump), profile, rt).flag("--verbose");
    c = match format {
        DumpFormat::Default => c.flag("--format=custom").flag("--compress=0"),
        DumpFormat::Plain => c.flag("--format=plain"),
        DumpFormat::Custom => c.flag("--format=custom"),
        DumpFormat::Directory => c
            .flag("--format=directory")
            .flag("--compress=0")
            .opt("--jobs", jobs.unwrap_or(1).max(1).to_string())
            .opt("--file", rt.output),
    };
    c = c.opt("--snapshot", rt.snapshot);
    for ns in namespaces {
        c = c.opt("--schema", pg_schema_pattern(ns));
    }
    match format {
        DumpFormat::Default => {
            let mut z = zstd_compress();
            z.stdout_file = Some(rt.output.to_string());
            c.pipe_to = Some(Box::new(z));
        }
        DumpFormat::Plain | DumpFormat::Custom => c.stdout_file = Some(rt.output.to_string()),
        DumpFormat::Directory => {}
    }
    c
}

/// `zstd` compressing stdin to stdout, on every core.
pub fn zstd_compress() -> CommandLine {
    CommandLine::new("zstd").flag("-T0").flag(ZSTD_LEVEL).flag("-q").flag("-c")
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
    let mut z = zstd_decompress().stdin_file(archive);
    z.pipe_to = Some(Box::new(pg_restore_into(profile, pg_restore, None, None, rt)));
    z
}

/// `zstd -dc`: stdin to stdout.
pub fn zstd_decompress() -> CommandLine {
    CommandLine::new("zstd").flag("-dc").flag("-q")
}

/// `pg_restore --list` of an archive file (`None`: the archive on stdin).
pub fn pg_restore_list(tool: &str, archive: Option<&str>) -> CommandLine {
    let c = CommandLine::new(tool).flag("--list");
    match archive {
        Some(a) => c.end_of_options().operand(a),
        None => c,
    }
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
    let mut c = pg_connect(CommandLine::new(tool), profile, rt)
        .flag("--no-owner")
        .flag("--no-privileges")
        .flag("--exit-on-error")
        .flag("--verbose");
    c = match jobs {
        Some(j) => c.opt("--jobs", j.max(1).to_string()),
        None => c.flag("--single-transaction"),
    };
    if let Some(a) = archive {
        c = c.end_of_options().operand(a);
    }
    c
}

/// pg_restore writing the archive as SQL to stdout (for psql to run it in
/// one transaction together with the replacement's DROP SCHEMA statements).
pub fn pg_restore_to_sql(tool: &str, archive: Option<&str>) -> CommandLine {
    let c = CommandLine::new(tool).flag("--no-owner").flag("--no-privileges").flag("--file=-");
    match archive {
        Some(a) => c.end_of_options().operand(a),
        None => c,
    }
}

/// psql running stdin in one transaction, after `first` statements, stopping
/// at the first error (so a failure rolls everything back).
pub fn psql_single_transaction(profile: &Profile, tool: &str, first: &[String], rt: &Runtime) -> CommandLine {
    let mut c = pg_connect(CommandLine::new(tool), profile, rt)
        .flag("--quiet")
        .flag("--no-psqlrc")
        .flag("--set=ON_ERROR_STOP=1")
        .flag("--single-transaction")
        .flag("--output=/dev/null");
    for s in first {
        c = c.opt("--command", s.clone());
    }
    c.flag("--file=-")
}

/// Whether a dump records its snapshot's binlog coordinates: MariaDB's dump
/// against a MariaDB server that writes a binary log (`--master-data` fails
/// with binary logging off, and MySQL's takes a global read lock for it).
pub fn binlog_coordinates(product: Option<&str>, binlog: Option<bool>, tool: &str) -> bool {
    product == Some("MariaDB") && binlog == Some(true) && is_mariadb_tool(tool)
}

/// Whether a dump tool is MariaDB's (its TLS options differ from MySQL's).
pub fn is_mariadb_tool(tool: &str) -> bool {
    tool.contains("mariadb")
}

/// The connection options of the mysql/mariadb tools; the option file
/// must come first (the clients refuse it anywhere else).
pub(crate) fn mysql_connect(profile: &Profile, tool: &str, rt: &Runtime) -> CommandLine {
    let mut c = CommandLine::new(tool)
        .opt("--defaults-extra-file", rt.pass_file)
        .opt("--host", profile.host.as_deref().unwrap_or(""))
        .opt("--port", profile.port.unwrap_or(3306).to_string())
        .opt("--user", profile.user.as_deref().unwrap_or(""));
    c = mysql_tls_args(c, profile, tool);
    c
}

/// One `--single-transaction` dump of every ScalarDB database at once (one
/// invocation per database would not be consistent), compressed as it
/// streams. The database names follow `--`: a database named
/// `--result-file=…` or `-n` is dumped, never obeyed.
///
/// With `coordinates`, the dump also writes the binary log coordinates of its
/// own snapshot (`--master-data=2`, as a comment): MariaDB's dump reads them
/// from `Binlog_snapshot_file`/`_position` inside `--single-transaction`,
/// without `FLUSH TABLES WITH READ LOCK` (client/mysqldump.c, MariaDB 10.11:
/// `check_consistent_binlog_pos`). MySQL's mysqldump takes that global lock
/// for them, so Quiesce asks only MariaDB's (see [`binlog_coordinates`]).
pub fn mysql_dump(
    profile: &Profile,
    tool: &str,
    databases: &[String],
    format: DumpFormat,
    coordinates: bool,
    rt: &Runtime,
) -> CommandLine {
    let mut c = mysql_connect(profile, tool, rt).flag("--single-transaction");
    if coordinates {
        c = c.flag("--master-data=2");
    }
    c = c
        .flag("--quick")
        .flag("--routines")
        .flag("--triggers")
        .flag("--hex-blob")
        .flag("--verbose")
        .flag("--databases")
        .end_of_options();
    for d in databases {
        c = c.operand(d.clone());
    }
    if format == DumpFormat::Plain {
        c.stdout_file = Some(rt.output.to_string());
    } else {
        let mut z = zstd_compress();
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

/// Names mydumper 0.10 cannot dump: it writes them into SQL between
/// backticks without escaping, and into file names.
pub fn mydumper_refuses(databases: &[String]) -> Result<()> {
    for d in databases {
        if d.contains('`') || d.chars().any(|c| c.is_control()) || d.contains('/') {
            return Err(Error::invalid(format!(
                "mydumper cannot dump the database \"{}\" (a backtick, a slash or a control character in its name breaks its SQL and file names). Use the default format (one mysqldump --single-transaction), which can.",
                d.escape_debug()
            )));
        }
    }
    Ok(())
}

/// mydumper: a parallel dump in one consistent snapshot. Its threads open
/// their snapshots under FLUSH TABLES WITH READ LOCK, which needs RELOAD;
/// without it mydumper dumps anyway, inconsistently, and only says so in its
/// log and exit status (Quiesce checks both).
pub fn mydumper(
    profile: &Profile,
    tool: &str,
    databases: &[String],
    threads: u32,
    rt: &Runtime,
) -> Result<CommandLine> {
    mydumper_refuses(databases)?;
    Ok(mydumper_family(profile, tool, threads, rt)
        .flag("--trx-consistency-only")
        .opt("--regex", db_regex(databases))
        .flag("--triggers")
        .flag("--routines")
        .flag("--verbose=3")
        .opt("--outputdir", rt.output))
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
    let mut z = zstd_decompress().stdin_file(archive);
    z.pipe_to = Some(Box::new(mysql_client(profile, client, rt)));
    z
}

/// The mysql/mariadb client running the SQL on its stdin. MariaDB's client
/// would echo the whole failing statement — in a restore, the backup's rows
/// — on an error; it is told not to.
pub fn mysql_client(profile: &Profile, client: &str, rt: &Runtime) -> CommandLine {
    let c = mysql_connect(profile, client, rt).flag("--batch");
    if is_mariadb_tool(client) {
        c.flag("--skip-print-query-on-error")
    } else {
        c
    }
}

/// myloader: the parallel loader of a mydumper directory, into the
/// databases the dump names.
pub fn myloader(profile: &Profile, tool: &str, dir: &str, threads: u32, rt: &Runtime) -> CommandLine {
    mydumper_family(profile, tool, threads, rt).flag("--verbose=3").opt("--directory", dir)
}

/// What mydumper and myloader share: the option file (they read their own
/// group of it), the server, TLS (they only know `--ssl`) and the threads.
fn mydumper_family(profile: &Profile, tool: &str, threads: u32, rt: &Runtime) -> CommandLine {
    let mut c = CommandLine::new(tool)
        .opt("--defaults-file", rt.pass_file)
        .opt("--host", profile.host.as_deref().unwrap_or(""))
        .opt("--port", profile.port.unwrap_or(3306).to_string())
        .opt("--user", profile.user.as_deref().unwrap_or(""));
    if matches!(profile.ssl_mode, SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull) {
        c = c.flag("--ssl");
    }
    c.opt("--threads", threads.max(1).to_string())
}

/// libpq's sslmode mapped onto the client's own options.
fn mysql_tls_args(mut c: CommandLine, profile: &Profile, tool: &str) -> CommandLine {
    if is_mariadb_tool(tool) {
        c = match profile.ssl_mode {
            SslMode::Disable => c.flag("--skip-ssl"),
            SslMode::Prefer => c,
            SslMode::Require => c.flag("--ssl"),
            SslMode::VerifyCa | SslMode::VerifyFull => c.flag("--ssl").flag("--ssl-verify-server-cert"),
        };
    } else {
        c = c.flag(match profile.ssl_mode {
            SslMode::Disable => "--ssl-mode=DISABLED",
            SslMode::Prefer => "--ssl-mode=PREFERRED",
            SslMode::Require => "--ssl-mode=REQUIRED",
            SslMode::VerifyCa => "--ssl-mode=VERIFY_CA",
            SslMode::VerifyFull => "--ssl-mode=VERIFY_IDENTITY",
        });
    }
    match &profile.ssl_ca_file {
        Some(ca) if profile.ssl_mode != SslMode::Disable => c.opt("--ssl-ca", ca.clone()),
        _ => c,
    }
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
        let argv = c.argv();
        assert_eq!(
            argv[0],
            "--dbname=host='db' port='5433' user='scalar' dbname='app' sslmode='verify-full' sslrootcert='/etc/ca.pem' connect_timeout='2' application_name='quiesce'"
        );
        assert_eq!(
            &argv[1..],
            [
                "--no-password",
                "--verbose",
                "--format=custom",
                "--compress=0",
                "--snapshot=<snapshot exported at start>",
                "--schema=bank",
                "--schema=\"Audit\""
            ]
        );
        assert_eq!(c.env, vec![("PGPASSFILE".to_string(), "<0600 pass file>".to_string())]);
        assert!(c.render().ends_with("| zstd -T0 -1 -q -c > <out>/app.dump.zst"), "{}", c.render());
    }

    #[test]
    fn a_database_name_is_never_a_connection_string() {
        let mut p = pg();
        p.database = Some("host=elsewhere dbname=x".into());
        let c = pg_dump(&p, "pg_dump", &[], DumpFormat::Plain, None, &Runtime::placeholders("o"));
        let dbname = c.argv().into_iter().find(|a| a.starts_with("--dbname=")).unwrap();
        assert!(dbname.contains("host='db'") && dbname.contains("dbname='host=elsewhere dbname=x'"), "{dbname}");
        p.database = Some("postgresql://evil/x' host='evil".into());
        let c = pg_dump(&p, "pg_dump", &[], DumpFormat::Plain, None, &Runtime::placeholders("o"));
        let dbname = c.argv().into_iter().find(|a| a.starts_with("--dbname=")).unwrap();
        assert!(dbname.contains(r"dbname='postgresql://evil/x\' host=\'evil'"), "{dbname}");
    }

    #[test]
    fn mysql_dump_is_one_invocation_over_every_database() {
        let mut p = pg();
        p.kind = DbKind::Mysql;
        p.port = Some(3306);
        let dbs: Vec<String> = ["bank", "audit", "coordinator", "scalardb"].map(String::from).to_vec();
        let c = mysql_dump(
            &p,
            "mariadb-dump",
            &dbs,
            DumpFormat::Default,
            true,
            &Runtime::placeholders("<out>/all.sql.zst"),
        );
        let argv = c.argv();
        assert_eq!(argv[0], "--defaults-extra-file=<0600 pass file>");
        assert!(argv.contains(&"--single-transaction".to_string()));
        assert!(argv.contains(&"--ssl-verify-server-cert".to_string()));
        let i = argv.iter().position(|a| a == "--databases").unwrap();
        assert_eq!(argv[i + 1], "--", "database names are operands, never options");
        assert_eq!(&argv[i + 2..], dbs.as_slice());
        let m = mysql_dump(&p, "/usr/bin/mysqldump", &dbs, DumpFormat::Default, false, &Runtime::placeholders("x"));
        let d = pg_dump(&pg(), "pg_dump", &dbs, DumpFormat::Directory, Some(2), &Runtime::placeholders("<out>/d"));
        assert!(
            d.pipe_to.is_none()
                && d.argv().contains(&"--jobs=2".to_string())
                && d.argv().contains(&"--file=<out>/d".to_string())
        );
        assert!(m.argv().contains(&"--ssl-mode=VERIFY_IDENTITY".to_string()));
        assert!(
            argv.contains(&"--master-data=2".to_string()) && !m.argv().iter().any(|a| a.starts_with("--master-data"))
        );
        assert!(binlog_coordinates(Some("MariaDB"), Some(true), "/usr/bin/mariadb-dump"));
        assert!(!binlog_coordinates(Some("MariaDB"), Some(false), "mariadb-dump"), "fails with binary logging off");
        assert!(!binlog_coordinates(Some("MySQL"), Some(true), "mysqldump"), "MySQL's takes a global read lock");
        let hostile = vec!["--result-file=/tmp/x".to_string(), "-n".to_string()];
        let h = mysql_dump(&p, "mariadb-dump", &hostile, DumpFormat::Plain, false, &Runtime::placeholders("x"));
        h.check().unwrap();
        assert!(h.argv().ends_with(&["--".into(), "--result-file=/tmp/x".into(), "-n".into()]));
    }

    #[test]
    fn mydumper_selects_exactly_the_scalardb_databases() {
        let p = Profile { host: Some("h".into()), user: Some("u".into()), ..Default::default() };
        let c =
            mydumper(&p, "mydumper", &["bank".into(), "a.b".into(), "-n".into()], 2, &Runtime::placeholders("<out>"))
                .unwrap();
        assert!(c.argv().contains(&"--regex=^(bank|a\\.b|\\-n)\\.".to_string()), "{:?}", c.argv());
        assert!(
            c.argv().contains(&"--trx-consistency-only".to_string()) && c.argv().contains(&"--threads=2".to_string())
        );
        assert_eq!(c.argv()[0], "--defaults-file=<0600 pass file>");
        let e = mydumper(&p, "mydumper", &["a`b".into()], 2, &Runtime::placeholders("o")).unwrap_err();
        assert!(e.message.contains("a`b") && e.message.contains("default format"), "{}", e.message);
    }
}
