//! A running job's journal: what the job owns outside its own memory (a
//! backup folder being written, a temporary file beside a restore target, its
//! private directory of credential files), written and fsynced *before* each
//! of them is created, and owned through a lock held for the job's life.
//!
//! A job that ends, whatever the way short of being killed, removes what it
//! still owns (a failed or cancelled job leaves nothing that looks complete).
//! A job killed outright (kill -9, power loss) leaves its journal with the
//! lock free: the start-up recovery of the next Quiesce process (GUI or any
//! CLI command) takes the lock and removes what the journal lists. A live
//! job's lock cannot be taken, so recovery never touches it; the lock is the
//! kernel's, so a reused PID cannot fool it.

use crate::error::{Error, Result};
use crate::paths::{create_private_dir, Home};
use crate::tools::creds::{self, CredFile};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Something a job owns on disk until it completes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owned {
    /// A backup folder being written (`<root>/<deployment>/<id>.partial`).
    Partial { path: PathBuf },
    /// A temporary file (a SQLite restore's copy beside its target).
    TempFile { path: PathBuf },
    /// The job's private directory of credential files.
    CredDir { path: PathBuf },
    /// A database a restore created on a server (dropped by the restore's
    /// own cleanup; a killed restore's is reported, never dropped blindly).
    Database { profile: String, database: String },
    /// ScalarDB nodes this job paused (or is about to pause): written before
    /// the first Pause. The job unpauses them itself; if it is killed, its
    /// watchdog does (and notes it here), and the next start checks them.
    Pause {
        deployment: String,
        nodes: Vec<crate::admin::Node>,
        #[serde(default)]
        tls: Option<crate::admin::TlsFiles>,
        /// What the watchdog did, when it had to act.
        #[serde(default)]
        watchdog: Option<String>,
        /// The watchdog knows every node is unpaused (or was not paused).
        #[serde(default)]
        settled: bool,
        /// Nodes an earlier request holds (TIMED_OUT_STILL_PAUSED): never unpaused.
        #[serde(default)]
        hands_off: Vec<String>,
    },
    /// What a migration created on a target (a PostgreSQL schema, a MySQL
    /// database, a SQLite table), recorded before it is created. A migration
    /// that completes releases it; one that fails drops it. What could not be
    /// dropped stays in the journal after the job: on a server, so only the
    /// next migration to that profile or `migrate --cleanup` drops it.
    TargetObject {
        profile_id: String,
        /// The profile's name when it was created (for messages).
        profile: String,
        deployment: String,
        /// `schema` (a namespace) or `table` (SQLite).
        object: String,
        name: String,
    },
}

impl Owned {
    /// Where it is on this machine (a database is on a server: none).
    pub fn path(&self) -> &Path {
        match self {
            Owned::Partial { path } | Owned::TempFile { path } | Owned::CredDir { path } => path,
            Owned::Database { .. } | Owned::Pause { .. } | Owned::TargetObject { .. } => Path::new(""),
        }
    }

    /// What a user reads about it.
    pub fn describe(&self) -> String {
        match self {
            Owned::Partial { path } => format!("the unfinished backup folder {}", path.display()),
            Owned::TempFile { path } => format!("the temporary file {}", path.display()),
            Owned::CredDir { path } => format!("the credential files in {}", path.display()),
            Owned::Database { profile, database } => format!("the database \"{database}\" on profile {profile}"),
            Owned::Pause { deployment, nodes, .. } => {
                format!("the pause of {} node(s) of deployment {deployment}", nodes.len())
            }
            Owned::TargetObject { profile, object, name, .. } => {
                format!("{} \"{name}\" on profile {profile}", if object == "table" { "table" } else { "namespace" })
            }
        }
    }

    /// Removes it; what is already gone is fine.
    pub(crate) fn remove(&self) -> std::io::Result<()> {
        let r = match self {
            Owned::Partial { path } | Owned::CredDir { path } => std::fs::remove_dir_all(path),
            Owned::TempFile { path } => std::fs::remove_file(path),
            // The job's own cleanup (on a server) decides what happens to it;
            // a pause is ended by the job, or its watchdog.
            Owned::Database { .. } | Owned::Pause { .. } => Ok(()),
            // Kept: the journal stays for the next migration to that profile.
            Owned::TargetObject { .. } => Err(std::io::Error::other(
                "it is on a database server: the next migration to that profile drops it, or `quiesce migrate … --cleanup`",
            )),
        };
        match r {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            r => r,
        }
    }
}

/// The journal file's contents.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    /// backup, restore, …
    pub kind: String,
    /// What the job does, for the user ("backup of deployment prod").
    pub what: String,
    pub host: String,
    pub pid: u32,
    pub started_at: DateTime<Utc>,
    #[serde(default)]
    pub owned: Vec<Owned>,
}

pub fn jobs_dir(home: &Home) -> PathBuf {
    home.data_dir.join("jobs")
}

/// Where jobs keep credential files: `$XDG_RUNTIME_DIR/quiesce/<state>` (a
/// private tmpfs of the user's session; `<state>` names this state directory,
/// so the recovery of one never touches another's live jobs) when there is
/// one, else `<data>/run`. Both are 0700 and Quiesce's own.
pub fn cred_base(home: &Home) -> PathBuf {
    use sha2::{Digest, Sha256};
    let key = format!("{:x}", Sha256::digest(home.data_dir.as_os_str().as_encoded_bytes()));
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute() && d.is_dir())
        .map(|d| d.join("quiesce").join(&key[..12]))
        .unwrap_or_else(|| home.data_dir.join("run"))
}

/// A job's journal, held for the job's life.
#[derive(Debug)]
pub struct Journal {
    file: PathBuf,
    lock_path: PathBuf,
    lock: Option<std::fs::File>,
    entry: Mutex<Entry>,
    cred_dir: PathBuf,
    /// Numbers every credential file of the job: two units of one family
    /// (two PostgreSQL storages) never ask for the same name.
    cred_seq: std::sync::atomic::AtomicU32,
}

impl Journal {
    /// Opens a journal for a new job: its lock taken, its entry on disk, its
    /// private credential directory created.
    pub fn begin(home: &Home, kind: &str, what: impl Into<String>) -> Result<Journal> {
        let dir = jobs_dir(home);
        create_private_dir(&dir)?;
        let id = format!(
            "{kind}-{}-{}",
            Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let lock_path = dir.join(format!("{id}.lock"));
        let lock = std::fs::OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io("create the job lock", &lock_path, e))?;
        lock.try_lock().map_err(|e| Error::internal(format!("a new job lock was taken already: {e}")))?;
        let base = cred_base(home);
        create_private_dir(&base)?;
        let cred_dir = base.join(&id);
        let j = Journal {
            file: dir.join(format!("{id}.json")),
            lock_path,
            lock: Some(lock),
            entry: Mutex::new(Entry {
                id,
                kind: kind.into(),
                what: what.into(),
                host: crate::paths::host_name(),
                pid: std::process::id(),
                started_at: Utc::now(),
                owned: Vec::new(),
            }),
            cred_dir: cred_dir.clone(),
            cred_seq: Default::default(),
        };
        j.own(Owned::CredDir { path: cred_dir.clone() })?;
        create_private_dir(&cred_dir)?;
        Ok(j)
    }

    pub fn id(&self) -> String {
        self.entry.lock().unwrap().id.clone()
    }

    /// The journal's file and its lock (for a pause's watchdog).
    pub fn paths(&self) -> (PathBuf, PathBuf) {
        (self.file.clone(), self.lock_path.clone())
    }

    /// What the job does, as said to the user.
    pub fn what(&self) -> String {
        self.entry.lock().unwrap().what.clone()
    }

    /// Forgets an owned entry that is not a path (a pause that ended).
    pub fn release_entry(&self, f: impl Fn(&Owned) -> bool) -> Result<()> {
        let mut e = self.entry.lock().unwrap();
        e.owned.retain(|o| !f(o));
        crate::store::write_json(&self.file, &*e)
    }

    /// Records that the job is about to create `o`: fsynced before it exists,
    /// so a job killed at any instant leaves nothing unrecorded.
    pub fn own(&self, o: Owned) -> Result<()> {
        let mut e = self.entry.lock().unwrap();
        if !e.owned.contains(&o) {
            e.owned.push(o);
        }
        crate::store::write_json(&self.file, &*e)
    }

    /// The job completed `path` (a backup sealed, a temporary file renamed
    /// into place): it is no longer removed when the job ends.
    pub fn release(&self, path: &Path) -> Result<()> {
        let mut e = self.entry.lock().unwrap();
        e.owned.retain(|o| o.path() != path);
        crate::store::write_json(&self.file, &*e)
    }

    /// A new 0600 credential file in the job's private directory, its name
    /// numbered (`03-pgpass`) so that no two calls of a job collide.
    pub fn cred_file(&self, name: &str, contents: &str) -> Result<CredFile> {
        let n = self.cred_seq.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        creds::write(&self.cred_dir, &format!("{n:02}-{name}"), contents)
    }

    pub fn cred_dir(&self) -> &Path {
        &self.cred_dir
    }

    /// What a killed process leaves: its lock released by the kernel, its
    /// journal and everything it owns still there.
    #[cfg(test)]
    pub(crate) fn simulate_kill(mut self) {
        drop(self.lock.take());
        std::mem::forget(self);
    }
}

impl Drop for Journal {
    /// The job ended (success, error or cancel): what it still owns goes,
    /// then the journal, then the lock.
    fn drop(&mut self) {
        let owned = std::mem::take(&mut self.entry.lock().unwrap().owned);
        let mut left = Vec::new();
        for o in owned {
            if let Err(e) = o.remove() {
                tracing::warn!("could not remove {}: {e}", o.describe());
                left.push(o);
            }
        }
        if left.is_empty() {
            let _ = std::fs::remove_file(&self.file);
            let _ = std::fs::remove_file(&self.lock_path);
        } else {
            // Kept for the next start-up recovery to try again.
            self.entry.lock().unwrap().owned = left;
            let _ = crate::store::write_json(&self.file, &*self.entry.lock().unwrap());
        }
        drop(self.lock.take());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_journal_removes_what_its_job_still_owns_and_itself() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        let j = Journal::begin(&home, "backup", "backup of test").unwrap();
        let partial = dir.path().join("root/d/x.partial");
        let sealed = dir.path().join("root/d/y.partial");
        for p in [&partial, &sealed] {
            j.own(Owned::Partial { path: p.clone() }).unwrap();
            std::fs::create_dir_all(p).unwrap();
        }
        let cred = j.cred_file("pgpass", "pw").unwrap();
        assert!(cred.path().starts_with(cred_base(&home)));
        let cred_dir = j.cred_dir().to_path_buf();
        let text = std::fs::read_to_string(jobs_dir(&home).join(format!("{}.json", j.id()))).unwrap();
        assert!(text.contains("x.partial") && text.contains("cred_dir"), "{text}");
        j.release(&sealed).unwrap();
        drop(cred);
        drop(j);
        assert!(!partial.exists(), "an owned partial folder is removed");
        assert!(sealed.exists(), "a released one is kept");
        assert_eq!(std::fs::read_dir(jobs_dir(&home)).unwrap().count(), 0, "journal and lock gone");
        assert!(!cred_dir.exists(), "credential dir gone");
    }
}
