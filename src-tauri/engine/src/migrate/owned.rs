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
use crate::job::recovery;
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

/// Drops objects on one server, the last created first.
pub(super) async fn drop_all(conn: &mut LiveConn, objects: &[Owned]) -> Result<()> {
    if conn.dialect() == Dialect::Postgres {
        // A failed statement leaves an open transaction aborted.
        let _ = conn.exec("ROLLBACK").await;
    }
    for o in objects.iter().rev() {
        if let Owned::TargetObject { object, name, .. } = o {
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
    recovery::left_on_servers(home, |o| on_profile(o, id)).into_iter().map(|e| (e.id, e.owned)).collect()
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
                recovery::forget(home, &journal, &objects)?;
            }
        }
    }
    Ok(leftovers)
}

/// Drops what ended migrations left on the given profiles (`--cleanup`).
pub async fn cleanup(ds: &Deployments, profiles: &[String]) -> Result<Vec<String>> {
    let home = ds.profiles().home().clone();
    let mut done = Vec::new();
    for name in profiles {
        let p = ds.profiles().get(name)?;
        let left = left_on(&home, &p.id);
        if left.is_empty() {
            continue;
        }
        let pw = ds.secret_of(&p).await?;
        let mut c = LiveConn::open(&p, pw.as_ref(), true).await?;
        for (journal, objects) in left {
            drop_all(&mut c, &objects).await?;
            recovery::forget(&home, &journal, &objects)?;
            done.extend(objects.iter().map(Owned::describe));
        }
        c.close().await;
    }
    Ok(done)
}

/// One message per ended migration that left objects on a server, with the fix.
pub fn flagged(home: &Home) -> Vec<String> {
    recovery::left_on_servers(home, |o| matches!(o, Owned::TargetObject { .. }))
        .iter()
        .map(|e| {
            let (mut deployment, mut profiles) = ("", Vec::<&str>::new());
            for o in &e.owned {
                if let Owned::TargetObject { deployment: d, profile, .. } = o {
                    deployment = d;
                    if !profiles.contains(&profile.as_str()) {
                        profiles.push(profile);
                    }
                }
            }
            let to: Vec<String> = profiles.iter().map(|p| format!("--to STORAGE={p}")).collect();
            format!(
                "The {} started {} could not drop what it created on its target: {}. The next migration to {} drops {} first; to drop {} now: quiesce migrate {deployment} --cleanup {} (in the app: check a migration to it in Migrate, then Drop them now).",
                e.what,
                e.started_at.format("%Y-%m-%d %H:%M:%S UTC"),
                e.owned.iter().map(Owned::describe).collect::<Vec<_>>().join(", "),
                if profiles.len() == 1 { "that profile" } else { "those profiles" },
                if e.owned.len() == 1 { "it" } else { "them" },
                if e.owned.len() == 1 { "it" } else { "them" },
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
/// not be read (left in place).
pub fn carry_over(home: &Home) -> (Vec<String>, Vec<String>) {
    let (mut moved, mut flagged) = (Vec::new(), Vec::new());
    let dir = home.data_dir.join("migrations");
    let mut files: Vec<_> = std::fs::read_dir(&dir).into_iter().flatten().flatten().map(|f| f.path()).collect();
    files.sort();
    for path in files.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let l: Ledger = match crate::store::read_json(&path) {
            Ok(l) => l,
            Err(e) => {
                flagged.push(format!("The migration ledger {} cannot be read ({}); it was left in place. It names what a failed migration left on a target: check that profile's namespaces, then remove the file.", path.display(), e.message));
                continue;
            }
        };
        match journal_of(home, &path, &l) {
            Ok(what) => moved.push(what),
            Err(e) => flagged.push(format!(
                "The migration ledger {} could not be carried over: {}",
                path.display(),
                e.message
            )),
        }
    }
    if std::fs::read_dir(&dir).is_ok_and(|mut d| d.next().is_none()) {
        let _ = std::fs::remove_dir(&dir);
    }
    (moved, flagged)
}

fn journal_of(home: &Home, path: &std::path::Path, l: &Ledger) -> Result<String> {
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
    if !owned.is_empty() {
        let dir = jobs_dir(home);
        crate::paths::create_private_dir(&dir)?;
        // Named after the ledger's profile: carrying it over twice writes one journal.
        let id = format!("migrate-{}-ledger-{}", started_at.format("%Y%m%dT%H%M%S%.3fZ"), sanitized(&l.profile_id));
        let entry = Entry {
            id: id.clone(),
            kind: "migrate".into(),
            what: format!("migration of deployment {}", l.deployment),
            host: crate::job::journal::host_name(),
            pid: 0,
            started_at,
            owned,
        };
        crate::store::write_json(&dir.join(format!("{id}.json")), &entry)?;
    }
    std::fs::remove_file(path).map_err(|e| Error::io("remove the migration ledger", path, e))?;
    Ok(if said.is_empty() {
        format!("An empty migration ledger of an earlier release ({}) was removed.", path.display())
    } else {
        format!("The migration ledger {} of an earlier release was moved into the job journal: {said}.", path.display())
    })
}

/// A profile id as part of a file name (ids are UUIDs; a planted one is not trusted).
fn sanitized(id: &str) -> String {
    id.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').take(64).collect()
}
