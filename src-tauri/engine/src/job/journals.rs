//! Reading every job's journal: what running jobs own, what ended ones
//! left on a server, and forgetting what was cleaned up.

use super::journal::{jobs_dir, Entry, Owned};
use crate::paths::Home;
use std::path::{Path, PathBuf};

/// A journal's lock, taken if its job is gone.
pub(crate) fn take_lock(path: &Path) -> Option<std::fs::File> {
    let f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path).ok()?;
    f.try_lock().ok().map(|_| f)
}

/// The journals of running jobs (`live`: their locks are held) or of ended
/// ones, readable.
pub(crate) fn entries(home: &Home, live: bool) -> Vec<Entry> {
    let dir = jobs_dir(home);
    let mut v = Vec::new();
    for f in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
        let path = f.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let id = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let lock = take_lock(&dir.join(format!("{id}.lock")));
        if lock.is_some() == live {
            continue;
        }
        let entry = std::fs::read(&path).ok().and_then(|b| serde_json::from_slice::<Entry>(&b).ok());
        // Its file names it: an id inside that says otherwise is not trusted.
        v.extend(entry.map(|e| Entry { id, ..e }));
    }
    v
}

/// What running jobs of this machine own.
pub fn live_owned(home: &Home) -> Vec<PathBuf> {
    entries(home, true).into_iter().flat_map(|e| e.owned).map(|o| o.path().to_path_buf()).collect()
}

/// The journals of jobs that ended (or were killed) leaving something they
/// own on a database server, each with those entries (`keep` picks them).
pub fn left_on_servers(home: &Home, keep: impl Fn(&Owned) -> bool) -> Vec<Entry> {
    let mut v: Vec<Entry> = entries(home, false)
        .into_iter()
        .filter_map(|mut e| {
            e.owned.retain(&keep);
            (!e.owned.is_empty()).then_some(e)
        })
        .collect();
    v.sort_by_key(|e| e.started_at);
    v
}

/// Forgets `gone` (dropped from its server) in the ended job `id`'s journal;
/// the journal goes with its last entry. Readers (a start-up, the overview)
/// hold an ended journal's lock for an instant: waited for, briefly.
pub fn forget(home: &Home, id: &str, gone: &[Owned]) -> crate::Result<()> {
    let dir = jobs_dir(home);
    let (path, lock_path) = (dir.join(format!("{id}.json")), dir.join(format!("{id}.lock")));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let lock = loop {
        match take_lock(&lock_path) {
            Some(l) => break l,
            None if std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_millis(20)),
            None => return Err(crate::Error::internal(format!("the job journal {} stays locked", path.display()))),
        }
    };
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        // Forgotten already (by a recovery, or another cleanup).
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let _ = std::fs::remove_file(&lock_path);
            return Ok(());
        }
        Err(e) => return Err(crate::Error::io("read the job journal", &path, e)),
    };
    let mut e: Entry = serde_json::from_slice(&bytes)
        .map_err(|err| crate::Error::internal(format!("the job journal {} cannot be read: {err}", path.display())))?;
    e.owned.retain(|o| !gone.contains(o));
    if e.owned.is_empty() {
        std::fs::remove_file(&path).map_err(|err| crate::Error::io("remove the job journal", &path, err))?;
        let _ = std::fs::remove_file(&lock_path);
    } else {
        crate::store::write_json(&path, &e)?;
    }
    drop(lock);
    Ok(())
}
