//! Credential files for the native tools: a 0600 file in the running job's
//! private 0700 directory (never a shared /tmp name), removed when dropped; a
//! job killed before that leaves it to the start-up recovery, which owns it
//! through the job's journal.
//!
//! PostgreSQL's tools read a password file (PGPASSFILE) whose lines name the
//! exact host, port, database and user they are for, so a tool that is made
//! to connect elsewhere finds no password for it. MySQL's read an option file
//! (`--defaults-extra-file`).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// A 0600 file holding a secret; removed when dropped, on every path.
#[derive(Debug)]
pub struct CredFile {
    path: PathBuf,
}

impl CredFile {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn path_str(&self) -> String {
        self.path.display().to_string()
    }
}

impl Drop for CredFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Writes `contents` into a new 0600 file named `name` in `dir` (created
/// exclusively: an existing file, or a link planted there, is refused).
pub fn write(dir: &Path, name: &str, contents: &str) -> Result<CredFile> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join(name);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|e| Error::io("create the private file", &path, e))?;
    let cred = CredFile { path };
    f.write_all(contents.as_bytes()).and_then(|_| f.flush()).map_err(|e| Error::io("write", cred.path(), e))?;
    Ok(cred)
}

/// Debian's (and libpq's default) Unix socket directory: libpq matches it
/// against the password file's `localhost`.
const DEFAULT_PGSOCKET_DIRS: &[&str] = &["/var/run/postgresql", "/run/postgresql"];

/// Where a PostgreSQL client connects, as a password file names it.
#[derive(Clone, Copy)]
pub struct PgTarget<'a> {
    /// A host name or a socket directory; None: libpq's default.
    pub host: Option<&'a str>,
    pub port: u16,
    pub user: &'a str,
}

/// `.pgpass` lines for `to` on each of `databases`: exact host, port,
/// database and user, ':' and '\' escaped. libpq reads the host as given
/// (a socket directory as its path; none, or the default socket directory,
/// as `localhost`).
pub fn pgpass(to: &PgTarget, databases: &[&str], password: &str) -> String {
    let esc = |s: &str| s.replace('\\', "\\\\").replace(':', "\\:");
    let host = to.host.map(str::to_string).filter(|h| !h.is_empty());
    let mut hosts = vec![host.clone().unwrap_or_else(|| "localhost".into())];
    if host.as_deref().is_some_and(|h| DEFAULT_PGSOCKET_DIRS.contains(&h)) {
        hosts.push("localhost".into());
    }
    let (port, user) = (to.port.to_string(), to.user);
    let mut out = String::new();
    for h in &hosts {
        for db in databases {
            out.push_str(&format!("{}:{}:{}:{}:{}\n", esc(h), port, esc(db), esc(user), esc(password)));
        }
    }
    out
}

/// A MySQL option file giving the password to each of `groups` (`client`
/// serves mysqldump and the client; mydumper and myloader read their own).
pub fn my_cnf(password: &str, groups: &[&str]) -> String {
    let v = password
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
        .replace('\t', "\\t");
    groups.iter().map(|g| format!("[{g}]\npassword=\"{v}\"\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pgpass_names_the_exact_target() {
        let p = PgTarget { host: Some("db:1"), port: 6543, user: "u\\x" };
        assert_eq!(
            pgpass(&p, &["app", "postgres"], "p:w"),
            "db\\:1:6543:app:u\\\\x:p\\:w\ndb\\:1:6543:postgres:u\\\\x:p\\:w\n"
        );
        let sock = PgTarget { host: Some("/var/run/postgresql"), ..p };
        let lines = pgpass(&sock, &["app"], "pw");
        assert!(lines.contains("/var/run/postgresql:6543:app:") && lines.contains("\nlocalhost:6543:app:"), "{lines}");
        assert!(!lines.contains('*'), "never a wildcard: {lines}");
    }

    #[test]
    fn cred_files_are_private_exclusive_and_removed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let f = write(dir.path(), "pgpass", "secret").unwrap();
        assert_eq!(std::fs::metadata(f.path()).unwrap().permissions().mode() & 0o777, 0o600);
        assert!(write(dir.path(), "pgpass", "again").is_err(), "never overwrites or follows what is there");
        let p = f.path().to_path_buf();
        drop(f);
        assert!(!p.exists());
        assert_eq!(
            my_cnf("a\"b\\", &["client", "mydumper"]),
            "[client]\npassword=\"a\\\"b\\\\\"\n[mydumper]\npassword=\"a\\\"b\\\\\"\n"
        );
    }
}
