//! The native client tools on this machine: where they are, which version,
//! and whether that version can dump a given server.
//!
//! Search order: the profile's client directory, then /usr/lib/postgresql/*/bin
//! (Debian keeps one directory per major version there), then PATH. For
//! PostgreSQL the newest pg_dump wins, since pg_dump refuses servers newer
//! than itself and dumps older ones fine.

use super::{major_of, ToolCheck};
use crate::profile::Profile;
use std::path::{Path, PathBuf};

/// A found tool and its reported version.
#[derive(Debug, Clone)]
pub struct FoundTool {
    pub path: PathBuf,
    pub version: String,
    pub major: Option<u32>,
}

/// `tool --version`, given 10 s: a binary that hangs there is not a tool.
fn version_of(path: &Path) -> Option<String> {
    let cmd = crate::tools::CommandLine::new(path.display().to_string()).flag("--version");
    let out = crate::tools::capture_blocking(&cmd, std::time::Duration::from_secs(10)).ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn search_dirs(profile: &Profile) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(d) = &profile.client_bin_dir {
        dirs.push(PathBuf::from(d));
    }
    let mut pg: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .collect();
    pg.sort_by_key(|x| std::cmp::Reverse(x.0));
    dirs.extend(pg.into_iter().map(|(_, p)| p));
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs
}

/// Every copy of `name` found, newest major first (the profile's directory
/// first when it has one: the user chose it).
pub fn find_all(profile: &Profile, name: &str) -> Vec<FoundTool> {
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    for d in search_dirs(profile) {
        let p = d.join(name);
        if !p.is_file() {
            continue;
        }
        let canon = std::fs::canonicalize(&p).unwrap_or(p.clone());
        // Debian's /usr/bin/pg_* are pg_wrapper, a Perl script choosing among the
        // /usr/lib/postgresql/*/bin we already search: slow to start, and it
        // would hide which real version runs.
        if canon.ends_with("pg_wrapper") || !seen.insert(canon) {
            continue;
        }
        if let Some(v) = version_of(&p) {
            // "pg_dump (PostgreSQL) 15.19 (Debian ...)": the version follows the product.
            let num = v.split_once(')').map(|(_, r)| r).unwrap_or(&v);
            let major = major_of(num).or_else(|| major_of(&v));
            found.push(FoundTool { path: p, version: v, major });
        }
    }
    let chosen_dir = profile.client_bin_dir.as_ref().map(PathBuf::from);
    found.sort_by(|a, b| {
        let ours = |t: &FoundTool| chosen_dir.as_deref().is_some_and(|d| t.path.starts_with(d));
        ours(b).cmp(&ours(a)).then(b.major.cmp(&a.major))
    });
    found
}

/// Finds several tools at once: each `--version` probe is a process start
/// (about 4 ms for pg_dump), and a backup waits for all of them.
pub fn find_each(profile: &Profile, names: &[&str]) -> Vec<Vec<FoundTool>> {
    std::thread::scope(|s| {
        let probes: Vec<_> = names.iter().map(|n| s.spawn(move || find_all(profile, n))).collect();
        probes.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// pg_dump or pg_restore for a server of `server_major`, from the copies
/// `find_all` found: the newest; too old is not ok.
pub fn check_pg_tool(name: &str, found: &[FoundTool], server_major: Option<u32>) -> ToolCheck {
    pick(found, name, server_major, "postgresql-client")
}

fn pick(all: &[FoundTool], name: &str, server_major: Option<u32>, package: &str) -> ToolCheck {
    let Some(best) = all.first() else {
        return ToolCheck {
            tool: name.into(),
            path: None,
            version: None,
            major: None,
            ok: false,
            message: format!(
                "{name} was not found (profile's client directory, /usr/lib/postgresql/*/bin, PATH). Install {package} {} or set the profile's client tools directory.",
                server_major.map(|m| format!("{m} or newer")).unwrap_or_default()
            ),
        };
    };
    let ok = match (best.major, server_major) {
        (Some(t), Some(s)) => t >= s,
        _ => true,
    };
    let message = if ok {
        format!("{name} {} at {}", best.major.map(|m| m.to_string()).unwrap_or("?".into()), best.path.display())
    } else {
        format!(
            "{name} {} ({}) is older than the server ({}): it refuses to dump it. Install {package} {} or newer and point the profile's client tools directory at it.",
            best.major.unwrap_or(0),
            best.path.display(),
            server_major.unwrap_or(0),
            server_major.unwrap_or(0)
        )
    };
    ToolCheck {
        tool: name.into(),
        path: Some(best.path.display().to_string()),
        version: Some(best.version.clone()),
        major: best.major,
        ok,
        message,
    }
}

/// mariadb-dump or mysqldump (the one matching the server first).
pub fn check_mysql_dump(profile: &Profile, mariadb_server: bool) -> ToolCheck {
    let order = if mariadb_server { ["mariadb-dump", "mysqldump"] } else { ["mysqldump", "mariadb-dump"] };
    for name in order {
        if let Some(t) = find_all(profile, name).into_iter().next() {
            let mariadb_tool = t.version.to_ascii_lowercase().contains("mariadb");
            let (ok, message) = if mariadb_server == mariadb_tool {
                (true, format!("{name} at {} ({})", t.path.display(), t.version))
            } else {
                (
                    true,
                    format!(
                        "{name} at {} is the {} client but the server is {}: it works for plain dumps; install the matching client if a dump fails.",
                        t.path.display(),
                        if mariadb_tool { "MariaDB" } else { "MySQL" },
                        if mariadb_server { "MariaDB" } else { "MySQL" }
                    ),
                )
            };
            return ToolCheck {
                tool: name.into(),
                path: Some(t.path.display().to_string()),
                version: Some(t.version.clone()),
                major: t.major,
                ok,
                message,
            };
        }
    }
    ToolCheck {
        tool: "mysqldump".into(),
        path: None,
        version: None,
        major: None,
        ok: false,
        message: "Neither mariadb-dump nor mysqldump was found. Install mariadb-client (or mysql-client) or set the profile's client tools directory.".into(),
    }
}
