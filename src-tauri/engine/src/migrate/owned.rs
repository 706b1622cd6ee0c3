//! What a migration creates on its targets, owned through its job journal:
//! each namespace (a PostgreSQL schema, a MySQL database) or SQLite table is
//! recorded as `Owned::TargetObject` before it is created. A completed
//! migration releases them; a failed or cancelled one drops them. What it
//! could not drop (the target was unreachable) stays in its journal after the
//! job, where the state audit flags it, the overview shows it, and the next
//! migration to that profile, or `quiesce migrate … --cleanup`, drops it.
//!
//! Releases before the job journal kept a ledger per target profile
//! (`<data>/migrations/<profile id>.json`); `carry_over` moves each into a
//! journal once, at start-up.

use super::connect::Target;
use crate::deployment::Deployments;
use crate::error::{Error, Result};
use crate::job::journal::{jobs_dir, Entry, Journal, Owned};
use crate::job::journals;
use crate::job::{self, Sink};
use crate::live::{Dialect, LiveConn};
use crate::paths::Home;
use serde::Deserialize;

/// Records an object in the job's journal, then creates it (`sql` empty: the
/// caller creates it next).
pub(super) async fn create_owned(
    journal: &Journal,
    deployment: &str,
    t: &mut Target,
    kind: &str,
    name: &str,
    sql: &str,
) -> Result<()> {
    let o = Owned::TargetObject {
        profile_id: t.profile.id.clone(),
        profile: t.profile.name.clone(),
        deployment: deployment.into(),
        object: kind.into(),
        name: name.into(),
    };
    journal.own(o.clone())?;
    t.created.push(o);
    if !sql.is_empty() {
        t.conn.exec(sql).await?;
    }
    Ok(())
}

/// Something a migration can have created: a namespace or a SQLite table,
/// never a system schema (a damaged or planted journal cannot name one).
fn droppable(object: &str, name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let system = ["public", "information_schema", "mysql", "performance_schema", "sys"].contains(&lower.as_str())
        || lower.starts_with("pg_")
        || lower.starts_with("sqlite_");
    matches!(object, "schema" | "table") && !name.is_empty() && !system
}

/// Drops objects on one server, the last created first.
pub(super) async fn drop_all(conn: &mut LiveConn, objects: &[Owned]) -> Result<()> {
    if conn.dialect() == Dialect::Postgres {
        // A failed statement leaves an open transaction aborted.
        let _ = conn.exec("ROLLBACK").await;
    }
    for o in objects.iter().rev() {
        if let Owned::TargetObject { object, name, .. } = o {
            if !droppable(object, name) {
                return Err(Error::invalid(format!(
                    "Refusing to drop {}: a migration never creates it. The job journal naming it is damaged; remove it from {}.",
                    o.describe(),
                    "<data>/jobs"
                )));
            }
            super::sql::drop_object(conn, object, name).await?;
        }
    }
    Ok(())
}

/// After a failure: drops what each target got, on a fresh connection (one
/// in the middle of a statement, a COPY cancelled, holds locks the drops
/// would wait for). What could not be dropped stays owned; it is named.
pub(super) async fn drop_created(ds: &Deployments, journal: &Journal, targets: Vec<Target>) -> Vec<String> {
    let mut left = Vec::new();
    for t in targets {
        t.conn.close().await;
        if t.created.is_empty() {
            continue;
        }
        let dropped = async {
            let pw = ds.secret_of(&t.profile).await?;
            let mut c = LiveConn::open(&t.profile, pw.as_ref(), true).await?;
            let r = drop_all(&mut c, &t.created).await;
            c.close().await;
            r
        };
        match dropped.await {
            Ok(()) => {
                if let Err(e) = journal.release_entry(|o| t.created.contains(o)) {
                    tracing::warn!("{}", e.message);
                }
            }
            Err(_) => left.extend(t.created.iter().map(Owned::describe)),
        }
    }
    left
}

fn on_profile(o: &Owned, id: &str) -> bool {
    matches!(o, Owned::TargetObject { profile_id, .. } if profile_id == id)
}

/// What ended migrations left on the profile `id`: (journal id, objects).
fn left_on(home: &Home, id: &str) -> Vec<(String, Vec<Owned>)> {
    journals::left_on_servers(home, |o| on_profile(o, id)).into_iter().map(|e| (e.id, e.owned)).collect()
}

/// What ended migrations left on the targets, by name; dropped (and
/// forgotten) when `really` (a dry run only says so).
pub(super) async fn drop_leftovers(
    home: &Home,
    targets: &mut [Target],
    really: bool,
    sink: &Sink,
) -> Result<Vec<String>> {
    let mut leftovers = Vec::new();
    for t in targets.iter_mut() {
        for (journal, objects) in left_on(home, &t.profile.id) {
            leftovers.extend(objects.iter().map(Owned::describe));
            if really {
                job::phase(sink, "cleanup", format!("Dropping what an earlier migration left on {}…", t.profile.name));
                drop_all(&mut t.conn, &objects).await?;
                journals::forget(home, &journal, &objects)?;
            }
        }
    }
    Ok(leftovers)
}

/// Drops what ended migrations left on the given profiles (`--cleanup`).
pub async fn cleanup(ds: &Deployments, profiles: &[String]) -> Result<Vec<String>> {
    let home = ds.home().clone();
    let mut done = Vec::new();
    for name in profiles {
        let p = ds.profiles().get(name)?;
        // Not while a migration or restore writes there (it may own the same names).
        let _lock = crate::restore::lock_target(&home, &p)?;
        let left = left_on(&home, &p.id);
        if left.is_empty() {
            continue;
        }
        let pw = ds.secret_of(&p).await?;
        let mut c = LiveConn::open(&p, pw.as_ref(), true).await?;
        for (journal, objects) in left {
            drop_all(&mut c, &objects).await?;
            journals::forget(&home, &journal, &objects)?;
            done.extend(objects.iter().map(Owned::describe));
        }
        c.close().await;
    }
    Ok(done)
}

/// One message per ended migration that left objects on a server, with the fix.
pub fn flagged(ds: &Deployments) -> Vec<String> {
    let home = ds.home();
    let profiles = ds.profiles().list().unwrap_or_default();
    journals::left_on_servers(home, |o| matches!(o, Owned::TargetObject { .. }))
        .iter()
        .map(|e| {
            let (mut deployment, mut ids) = ("", Vec::<(&str, &str)>::new());
            for o in &e.owned {
                if let Owned::TargetObject { deployment: d, profile_id, profile, .. } = o {
                    deployment = d;
                    if !ids.iter().any(|(i, _)| i == profile_id) {
                        ids.push((profile_id, profile));
                    }
                }
            }
            let what = e.owned.iter().map(Owned::describe).collect::<Vec<_>>().join(", ");
            let when = e.started_at.format("%Y-%m-%d %H:%M:%S UTC");
            // Named as the profiles are named now (one may have been renamed or removed).
            let now: Vec<Option<&str>> = ids
                .iter()
                .map(|(id, _)| profiles.iter().find(|p| p.id == *id).map(|p| p.name.as_str()))
                .collect();
            if let Some(((_, gone), _)) = ids.iter().zip(&now).find(|(_, n)| n.is_none()) {
                let file = crate::job::journal::jobs_dir(home).join(format!("{}.json", e.id));
                return format!(
                    "The {} started {when} left on its target what it created: {what}. Profile \"{gone}\" no longer exists, so Quiesce cannot drop them: drop them on that database yourself, then remove {}.",
                    e.what,
                    file.display()
                );
            }
            let to: Vec<String> = now.iter().flatten().map(|p| format!("--to STORAGE={p}")).collect();
            let them = if e.owned.len() == 1 { "it" } else { "them" };
            format!(
                "The {} started {when} left on its target what it created: {what}. The next migration to {} drops {them} first; to drop {them} now: quiesce migrate {deployment} --cleanup {} (in the app: check a migration to it in Migrate, then Drop them now).",
                e.what,
                if ids.len() == 1 { "that profile" } else { "those profiles" },
                to.join(" ")
            )
        })
        .collect()
}

/// A ledger as releases before the job journal wrote it.
#[derive(Default, Deserialize)]
struct Ledger {
    profile_id: String,
    profile_name: String,
    deployment: String,
    /// (kind, name): `schema` or `table`.
    objects: Vec<(String, String)>,
}

/// Moves every ledger of an earlier release into an ended job's journal
/// (the state-upgrade rule: what it names is kept, and dropped only where a
/// migration would have dropped it). What was carried over, and what could
/// not be (left in place, flagged).
pub fn carry_over(home: &Home) -> (Vec<String>, Vec<String>) {
    let (mut moved, mut flagged) = (Vec::new(), Vec::new());
    let dir = home.data_dir.join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|f| f.path()).collect();
    files.sort();
    for path in files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let l: Ledger = match std::fs::read(&path) {
            // Carried over by another process starting at the same time.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                flagged.push(format!(
                    "The migration ledger {} cannot be read ({e}); it was left in place.",
                    path.display()
                ));
                continue;
            }
            Ok(b) => match serde_json::from_slice(&b) {
                Ok(l) => l,
                Err(e) => {
                    flagged.push(format!("The migration ledger {} cannot be read ({e}); it was left in place. It names what a failed migration left on a target: check that profile's namespaces, then remove the file.", path.display()));
                    continue;
                }
            },
        };
        match journal_of(home, &path, &l) {
            Ok(what) => moved.push(what),
            Err(e) => flagged.push(format!("The migration ledger {} was left in place: {}", path.display(), e.message)),
        }
    }
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_none()) {
        let _ = std::fs::remove_dir(&dir);
    }
    (moved, flagged)
}

fn journal_of(home: &Home, path: &std::path::Path, l: &Ledger) -> Result<String> {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    // The shape Quiesce wrote: named after its profile, naming only what a migration creates.
    if stem != l.profile_id || sanitized(&stem) != stem {
        return Err(Error::invalid("its name is not its profile's id, so it was not written by Quiesce."));
    }
    if let Some((k, n)) = l.objects.iter().find(|(k, n)| !droppable(k, n)) {
        return Err(Error::invalid(format!("it names {k} \"{n}\", which a migration never creates.")));
    }
    let started_at = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(chrono::DateTime::<chrono::Utc>::from)
        .unwrap_or_else(|_| chrono::Utc::now());
    let owned: Vec<Owned> = l
        .objects
        .iter()
        .map(|(kind, name)| Owned::TargetObject {
            profile_id: l.profile_id.clone(),
            profile: l.profile_name.clone(),
            deployment: l.deployment.clone(),
            object: kind.clone(),
            name: name.clone(),
        })
        .collect();
    let said = owned.iter().map(Owned::describe).collect::<Vec<_>>().join(", ");
    // Set aside first: a ledger that cannot be moved is never carried over,
    // so a journal is written at most once however often a start retries
    // (written again after a cleanup forgot it, it would bring back names a
    // later migration may have created anew).
    let aside = path.with_file_name(format!(".{stem}.carried"));
    std::fs::rename(path, &aside).map_err(|e| Error::io("move the migration ledger aside", path, e))?;
    let written = write_journal(home, &stem, l, started_at, owned);
    if written.is_err() {
        let _ = std::fs::rename(&aside, path);
    }
    written?;
    let _ = std::fs::remove_file(&aside);
    Ok(if said.is_empty() {
        format!("An empty migration ledger of an earlier release ({}) was removed.", path.display())
    } else {
        format!("The migration ledger {} of an earlier release was moved into the job journal: {said}.", path.display())
    })
}

fn write_journal(
    home: &Home,
    stem: &str,
    l: &Ledger,
    started_at: chrono::DateTime<chrono::Utc>,
    owned: Vec<Owned>,
) -> Result<()> {
    if !owned.is_empty() {
        let dir = jobs_dir(home);
        crate::paths::create_private_dir(&dir)?;
        // One journal per ledger: written once, never over one a cleanup has since emptied.
        let id = format!("migrate-ledger-{stem}");
        let entry = Entry {
            id: id.clone(),
            kind: "migrate".into(),
            what: format!("migration of deployment {}", l.deployment),
            host: crate::paths::host_name(),
            pid: 0,
            started_at,
            owned,
        };
        let file = dir.join(format!("{id}.json"));
        let bytes = serde_json::to_vec_pretty(&entry).map_err(|e| Error::internal(e.to_string()))?;
        match std::fs::OpenOptions::new().write(true).create_new(true).open(&file) {
            Ok(mut f) => {
                use std::io::Write;
                f.write_all(&bytes).and_then(|()| f.sync_all()).map_err(|e| Error::io("write", &file, e))?;
            }
            // Carried over before (the ledger's removal failed then): not again.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("write", &file, e)),
        }
    }
    Ok(())
}

/// A profile id as part of a file name (ids are UUIDs; a planted one is not trusted).
fn sanitized(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger(home: &Home, file: &str, profile_id: &str, objects: &[(&str, &str)]) -> std::path::PathBuf {
        let dir = home.data_dir.join("migrations");
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join(file);
        let v =
            serde_json::json!({"profile_id": profile_id, "profile_name": "t", "deployment": "d", "objects": objects});
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
        p
    }

    #[test]
    fn a_ledger_is_carried_over_once_and_a_planted_or_damaged_one_is_left_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let home = Home::at(dir.path());
        let good = ledger(&home, "p1.json", "p1", &[("schema", "sales")]);
        let renamed = ledger(&home, "p2.json", "../p9", &[("schema", "sales")]);
        let system = ledger(&home, "p3.json", "p3", &[("schema", "sales"), ("schema", "PUBLIC")]);
        let broken = home.data_dir.join("migrations/p4.json");
        std::fs::write(&broken, b"{ not json").unwrap();
        let (moved, flagged) = carry_over(&home);
        assert_eq!(moved.len(), 1, "{moved:?}");
        assert!(moved[0].contains("namespace \"sales\" on profile t"), "{moved:?}");
        assert!(!good.exists());
        assert_eq!(flagged.len(), 3, "{flagged:?}");
        assert!(flagged.iter().any(|f| f.contains("p2.json") && f.contains("not its profile's id")), "{flagged:?}");
        assert!(flagged.iter().any(|f| f.contains("p3.json") && f.contains("PUBLIC")), "{flagged:?}");
        assert!(flagged.iter().any(|f| f.contains("p4.json") && f.contains("cannot be read")), "{flagged:?}");
        assert!(renamed.exists() && system.exists() && broken.exists(), "never dropped");
        let left = journals::left_on_servers(&home, |_| true);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].owned.len(), 1);

        // A journal of that name already there is never overwritten.
        ledger(&home, "p1.json", "p1", &[("schema", "sales")]);
        let existing = jobs_dir(&home).join(format!("{}.json", left[0].id));
        std::fs::write(&existing, b"{}").unwrap();
        assert_eq!(carry_over(&home).0.len(), 1);
        assert_eq!(std::fs::read(&existing).unwrap(), b"{}");
        std::fs::remove_file(&existing).unwrap();
        // A ledger that cannot be moved aside is not carried over at all
        // (not once per start); a root-run test cannot make a folder read-only,
        // so the aside name is taken by a folder.
        let stuck = ledger(&home, "p5.json", "p5", &[("schema", "s5")]);
        std::fs::create_dir_all(home.data_dir.join("migrations/.p5.carried/x")).unwrap();
        let (moved, flagged) = carry_over(&home);
        assert!(moved.is_empty() && flagged.iter().any(|f| f.contains("p5.json")), "{moved:?} {flagged:?}");
        assert!(stuck.exists() && journals::left_on_servers(&home, |_| true).is_empty());
        // Forgetting what is already gone is fine.
        journals::forget(&home, "migrate-ledger-nothing", &[]).unwrap();
    }

    #[test]
    fn only_what_a_migration_creates_can_be_dropped() {
        for (k, n) in [("schema", "sales"), ("table", "bank$accounts"), ("schema", "publicity")] {
            assert!(droppable(k, n), "{k} {n}");
        }
        for (k, n) in [
            ("schema", "public"),
            ("schema", "pg_catalog"),
            ("schema", "information_schema"),
            ("schema", "MySQL"),
            ("schema", "performance_schema"),
            ("schema", "sys"),
            ("table", "sqlite_master"),
            ("schema", ""),
            ("database", "sales"),
        ] {
            assert!(!droppable(k, n), "{k} {n}");
        }
    }
}
