//! Where Quiesce keeps its state. GUI and CLI resolve the same place, so both
//! see the same profiles; `QUIESCE_HOME` moves everything (tests use it).

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

pub const HOME_ENV: &str = "QUIESCE_HOME";

#[derive(Debug, Clone)]
pub struct Home {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
}

impl Home {
    /// Where backups (and the history beside them) go unless a backup names
    /// another folder: `QUIESCE_BACKUP_DIR`, or `<data>/backups`.
    pub fn default_backup_root(&self) -> PathBuf {
        std::env::var_os("QUIESCE_BACKUP_DIR").map(PathBuf::from).unwrap_or_else(|| self.data_dir.join("backups"))
    }

    /// `QUIESCE_HOME` if set, else the XDG config and data dirs (`~/.config/quiesce`,
    /// `~/.local/share/quiesce`).
    pub fn resolve() -> Result<Home> {
        if let Some(root) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Home::at(PathBuf::from(root)));
        }
        let dirs = directories::ProjectDirs::from("", "", "quiesce").ok_or_else(|| {
            Error::invalid(format!(
                "Cannot find your home directory to keep Quiesce's state. Set HOME, or set {HOME_ENV} to a directory."
            ))
        })?;
        Ok(Home { config_dir: dirs.config_dir().to_path_buf(), data_dir: dirs.data_dir().to_path_buf() })
    }

    pub fn at(root: impl AsRef<Path>) -> Home {
        let root = root.as_ref();
        Home { config_dir: root.join("config"), data_dir: root.join("data") }
    }

    /// Creates the directories (mode 0700: profile files name hosts and users).
    pub fn ensure(&self) -> Result<()> {
        for dir in [&self.config_dir, &self.data_dir, &self.logs_dir()] {
            create_private_dir(dir)?;
        }
        Ok(())
    }

    pub fn profiles_file(&self) -> PathBuf {
        self.config_dir.join("profiles.json")
    }

    pub fn deployments_file(&self) -> PathBuf {
        self.config_dir.join("deployments.json")
    }

    pub fn lock_file(&self) -> PathBuf {
        self.config_dir.join(".state.lock")
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.data_dir.join("logs")
    }

    pub fn demo_dir(&self) -> PathBuf {
        self.data_dir.join("demo")
    }
}

pub fn create_private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| Error::io("create the directory", dir, e))
}

/// An exclusive lock file under `<data>/locks`, held while the returned file
/// lives (the OS drops it if the process dies). Another holder, in this or
/// any process (the app and a CLI started by cron), means `busy` with `busy`.
pub fn try_lock(home: &Home, name: &str, busy: impl FnOnce() -> String) -> crate::Result<std::fs::File> {
    let dir = home.data_dir.join("locks");
    create_private_dir(&dir)?;
    let path = dir.join(format!("{name}.lock"));
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| crate::Error::io("open", &path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(crate::Error::new(crate::ErrorCode::Busy, busy())),
        Err(std::fs::TryLockError::Error(e)) => Err(crate::Error::io("lock", &path, e)),
    }
}

/// The process's file-creation mask: 077, so that everything Quiesce and
/// the tools it runs create (dumps, mydumper's files, logs) is the user's
/// alone. Both binaries call it first; the engine does not rely on it
/// (`make_private` seals backups whatever the mask).
pub fn private_umask() {
    unsafe { libc::umask(0o077) };
}

/// Makes a tree private: directories 0700, files 0600 (symbolic links are
/// neither followed nor changed). A backup folder goes through it before it
/// is sealed, whatever the tools that wrote it chose.
pub fn make_private(dir: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(dir).map_err(|e| Error::io("read", dir, e))?;
    if meta.is_dir() {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io("set the mode of", dir, e))?;
        for e in std::fs::read_dir(dir).map_err(|e| Error::io("read", dir, e))? {
            make_private(&e.map_err(|e| Error::io("read", dir, e))?.path())?;
        }
    } else if meta.is_file() {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io("set the mode of", dir, e))?;
    }
    Ok(())
}

/// The names of profiles and deployments: the CLI refers to them, and they
/// name folders and files (a deployment's backup folder). At most 64
/// letters, digits, '-', '_' or '.', starting with a letter or digit (so
/// never "." or "..").
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("A name is required.")
    } else if name.chars().count() > 64 {
        Some("Use at most 64 characters.")
    } else if !name.chars().all(|c| c.is_alphanumeric() || "-_.".contains(c)) {
        Some("Use letters, digits, '-', '_' or '.'.")
    } else if !name.chars().next().is_some_and(char::is_alphanumeric) {
        Some("Start with a letter or a digit (a name like \".\" or \"..\" would name a folder outside Quiesce's own).")
    } else {
        None
    }
}

/// Why `name` cannot be one component of a path Quiesce writes (a
/// deployment's folder, a backup id, a file in a backup), or None if it can.
pub fn component_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name == "." || name == ".." {
        Some("\".\" and \"..\" name directories, not a folder of its own")
    } else if name.contains('/') || name.contains('\0') {
        Some("it holds a '/' or a NUL character")
    } else if name.len() > 255 {
        Some("it is longer than a file name can be (255 bytes)")
    } else {
        None
    }
}

/// `root` joined with `parts`, each one plain name: every path Quiesce writes
/// under one of its roots (the catalog, a backup's folder) is built here, so
/// none can point outside it, whatever a deployment or a manifest is called.
pub fn inside(root: &Path, parts: &[&str]) -> Result<PathBuf> {
    let mut p = root.to_path_buf();
    for part in parts {
        if let Some(why) = component_problem(part) {
            return Err(Error::invalid(format!(
                "\"{}\" cannot be a folder or file name under {}: {why}. Rename it.",
                part.escape_debug(),
                root.display()
            )));
        }
        p.push(part);
    }
    Ok(p)
}

/// This machine's name, as recorded beside what a job did (journals, history,
/// windows) so another machine sharing the state directory can tell them apart.
pub fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_start_with_a_letter_or_digit() {
        for ok in ["prod", "prod-pg.1", "Ωmega", "1st"] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in [".hidden", "-x", "a b", &"x".repeat(65)] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn nothing_joined_under_a_root_leaves_it() {
        let root = Path::new("/srv/backups");
        assert_eq!(inside(root, &["prod", "20261201T000000Z-abc"]).unwrap(), root.join("prod/20261201T000000Z-abc"));
        for bad in ["..", ".", "", "a/b", "../x", "a\0b"] {
            let e = inside(root, &["prod", bad]).unwrap_err();
            assert_eq!(e.code, crate::ErrorCode::InvalidInput, "{bad:?}");
        }
    }
}
