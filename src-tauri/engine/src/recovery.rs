//! The start-up recovery step, run by the GUI (after its first paint) and by
//! every CLI command before it does anything else: it removes what jobs that
//! were killed outright left behind — only where it can take the job's lock,
//! so a live job (in the app, in another CLI) is never touched — and says
//! what it removed. Later issues add their own journals here (the pause
//! journal's nodes to unpause).

use crate::job::journal::{cred_base, jobs_dir, Entry, Owned};
use crate::job::journals::take_lock;
use crate::paths::Home;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use ts_rs::TS;

/// What the recovery step did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
pub struct RecoveryReport {
    /// What was removed, one sentence each.
    pub removed: Vec<String>,
    /// What could not be removed, with the reason.
    pub failed: Vec<String>,
    /// What was repaired in the state an earlier release wrote.
    pub repaired: Vec<String>,
    /// Problems in the state files found at start (flagged, never dropped).
    pub flagged: Vec<String>,
}

impl RecoveryReport {
    pub fn is_empty(&self) -> bool {
        self.removed.is_empty() && self.failed.is_empty() && self.flagged.is_empty() && self.repaired.is_empty()
    }
}

/// A path a journal may name: only the shapes Quiesce creates, so a damaged
/// or planted journal cannot make recovery delete anything else.
fn plausible(o: &Owned, home: &Home) -> bool {
    let name = o.path().file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    match o {
        Owned::Partial { path } => path.is_absolute() && name.ends_with(crate::catalog::manifest::PARTIAL_SUFFIX),
        Owned::TempFile { path } => path.is_absolute() && name.contains(".quiesce-"),
        Owned::CredDir { path } => {
            path.parent().is_some_and(|p| p == cred_base(home) || p == home.data_dir.join("run"))
        }
        Owned::Database { .. } | Owned::Pause { .. } | Owned::TargetObject { .. } => false,
    }
}

/// Removes what dead jobs left behind (see the module's doc).
pub fn recover(home: &Home) -> RecoveryReport {
    let mut report = RecoveryReport::default();
    let dir = jobs_dir(home);
    let mut journaled = std::collections::HashSet::new();
    for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = f.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let id = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        journaled.insert(id.clone());
        let lock_path = dir.join(format!("{id}.lock"));
        let Some(lock) = take_lock(&lock_path) else { continue }; // a live job
        let bytes = match std::fs::read(&path) {
            // Gone since it was listed (its job, or a cleanup, removed it).
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let _ = std::fs::remove_file(&lock_path);
                continue;
            }
            r => r.ok(),
        };
        let Some(entry) = bytes.and_then(|b| serde_json::from_slice::<Entry>(&b).ok()) else {
            report.failed.push(format!("The job journal {} cannot be read; it was left in place.", path.display()));
            continue;
        };
        let mut left = Vec::new();
        for o in &entry.owned {
            if let Owned::Pause { deployment, nodes, tls, watchdog, settled, hands_off } = o {
                // Nodes a killed pauser left: its watchdog normally unpaused
                // them already (and says so). Otherwise they are checked and
                // unpaused now, within a few seconds whatever they do.
                let by = match watchdog {
                    Some(w) => format!("its watchdog ended it ({w})"),
                    None => "its watchdog left no note".to_string(),
                };
                use crate::history::{OpKind, Outcome};
                let (now, outcome) = if *settled {
                    (String::new(), Outcome::Ok)
                } else {
                    let said = crate::pause::unpause_left(nodes, tls.as_ref(), hands_off);
                    let (line, ok) = crate::pause::watchdog::summary(&said);
                    (format!("; now: {line}"), if ok { Outcome::Ok } else { Outcome::Failed })
                };
                report.removed.push(format!(
                    "the pause of deployment {deployment} left by the {} started {} on {} by process {}, which was killed: {by}{now}",
                    entry.what,
                    entry.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    entry.host,
                    entry.pid,
                ));
                crate::history::record(home, OpKind::UnpauseRecovery, deployment, format!("{by}{now}"), outcome, None);
                continue;
            }
            if let Owned::Database { profile, database } = o {
                // On a server: reported, never dropped from a start-up step.
                report.failed.push(format!(
                    "The {} (started {}) was killed after creating the database \"{database}\" on profile {profile}: it may be left there, empty or partly restored. Drop it (DROP DATABASE \"{database}\";) or restore into it again.",
                    entry.what,
                    entry.started_at.format("%Y-%m-%d %H:%M:%S UTC")
                ));
                continue;
            }
            if let Owned::TargetObject { .. } = o {
                // On a server: kept for the next migration to that profile
                // (the state audit and the overview name it meanwhile).
                left.push(o.clone());
                continue;
            }
            if !plausible(o, home) {
                report.failed.push(format!(
                    "The journal of {} names {}, which is not something Quiesce creates; it was left alone.",
                    entry.what,
                    o.path().display()
                ));
                continue;
            }
            let existed = o.path().exists();
            match o.remove() {
                Ok(()) if existed => report.removed.push(format!(
                    "{} (left by the {} started {} on {} by process {}, which ended without cleaning up)",
                    o.describe(),
                    entry.what,
                    entry.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    entry.host,
                    entry.pid
                )),
                Ok(()) => {}
                Err(e) => {
                    report.failed.push(format!("Could not remove {}: {e}", o.describe()));
                    left.push(o.clone());
                }
            }
        }
        if left.is_empty() {
            let _ = std::fs::remove_file(&path);
            let _ = std::fs::remove_file(&lock_path);
        } else if left.len() < entry.owned.len() {
            // Only what is still there is named again.
            let _ = crate::store::write_json(&path, &Entry { owned: left, ..entry });
        }
        drop(lock);
    }
    // Credential directories whose job left no journal (killed between the two).
    let base = cred_base(home);
    for d in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        let name = d.file_name().to_string_lossy().into_owned();
        if journaled.contains(&name) || !d.path().is_dir() {
            continue;
        }
        if take_lock(&dir.join(format!("{name}.lock"))).is_some() {
            if std::fs::remove_dir_all(d.path()).is_ok() {
                report.removed.push(format!("the credential files in {}", d.path().display()));
            }
            let _ = std::fs::remove_file(dir.join(format!("{name}.lock")));
        }
    }
    legacy_cred_files(&mut report);
    report
}

/// Password files of releases before job journals (`.quiesce-*` in
/// `$XDG_RUNTIME_DIR` or /tmp): removed when they are this user's and no
/// process holds them open (their job kept them open while it ran).
fn legacy_cred_files(report: &mut RecoveryReport) {
    use std::os::unix::fs::MetadataExt;
    let uid = unsafe { libc::geteuid() };
    let mut dirs: Vec<PathBuf> = vec![std::env::temp_dir()];
    dirs.extend(std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from));
    let mut candidates = Vec::new();
    for d in dirs {
        for f in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let name = f.file_name().to_string_lossy().into_owned();
            let Ok(m) = f.path().symlink_metadata() else { continue };
            if name.starts_with(".quiesce-") && m.is_file() && m.uid() == uid {
                candidates.push(f.path());
            }
        }
    }
    if candidates.is_empty() {
        return;
    }
    let held = open_files();
    for c in candidates {
        if !held.contains(&c) && std::fs::remove_file(&c).is_ok() {
            report.removed.push(format!("a password file left by an earlier Quiesce: {}", c.display()));
        }
    }
}

/// Every file some process has open (read from /proc; others' processes
/// may be unreadable, which only keeps more files).
pub fn open_files() -> std::collections::HashSet<PathBuf> {
    let mut out = std::collections::HashSet::new();
    for p in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        if !p.file_name().to_string_lossy().chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        for fd in std::fs::read_dir(p.path().join("fd")).into_iter().flatten().flatten() {
            if let Ok(t) = std::fs::read_link(fd.path()) {
                out.insert(t);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::journal::Journal;

    #[test]
    fn recovery_removes_a_dead_jobs_leftovers_and_spares_a_live_one() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        // A dead job: its journal on disk, its lock free (as after kill -9).
        let dead = Journal::begin(&home, "backup", "backup of dead").unwrap();
        let partial = dir.path().join("out/d/1.partial");
        dead.own(Owned::Partial { path: partial.clone() }).unwrap();
        std::fs::create_dir_all(&partial).unwrap();
        dead.own(Owned::Database { profile: "pg".into(), database: "new_db".into() }).unwrap();
        let cred = dead.cred_file("pgpass", "pw").unwrap();
        let cred_path = cred.path().to_path_buf();
        std::mem::forget(cred);
        let dead_id = dead.id();
        dead.simulate_kill();
        // A live job.
        let live = Journal::begin(&home, "backup", "backup of live").unwrap();
        let live_partial = dir.path().join("out/d/2.partial");
        live.own(Owned::Partial { path: live_partial.clone() }).unwrap();
        std::fs::create_dir_all(&live_partial).unwrap();

        let r = recover(&home);
        assert!(!partial.exists() && !cred_path.exists(), "{r:?}");
        assert!(r.removed.iter().any(|m| m.contains("1.partial") && m.contains("backup of dead")), "{r:?}");
        assert!(r.failed.iter().any(|m| m.contains("DROP DATABASE \"new_db\"")), "a database is reported: {r:?}");
        assert!(live_partial.exists(), "a live job is never touched");
        assert!(jobs_dir(&home).join(format!("{}.json", live.id())).exists());
        assert!(!jobs_dir(&home).join(format!("{dead_id}.json")).exists());
        assert!(recover(&home).removed.is_empty(), "a second run finds nothing");
    }
}
