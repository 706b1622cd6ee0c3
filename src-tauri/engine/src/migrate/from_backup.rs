//! `--from-backup`: a migration's source is a catalog backup instead of the
//! live deployment. A SQLite unit is read in the backup's own file (opened
//! immutable); a PostgreSQL or MySQL unit is restored first into a scratch
//! profile the user names (`--scratch UNIT=PROFILE`), read there, and the
//! scratch is emptied again when the migration ends, however it ends.
//! A backup is one consistent point already: no pause is taken.

use crate::catalog::manifest::Manifest;
use crate::deployment::{Deployment, DeploymentStorage, Deployments};
use crate::job::Sink;
use crate::live::LiveConn;
use crate::profile::{DbKind, Profile};
use crate::restore::{self, RestoreOptions, UnitTarget};
use crate::{Error, ErrorCode, Result};
use tokio_util::sync::CancellationToken;

/// What reading from a backup needs afterwards.
pub struct FromBackup {
    pub backup_id: String,
    pub taken_at: String,
    /// Profiles opened as backup files (immutable), by id.
    pub files: Vec<String>,
    /// Scratch databases the backup was restored into, and what to drop there.
    pub scratch: Vec<Scratch>,
}

pub struct Scratch {
    pub profile: Profile,
    /// (kind, name) as the migration ledger has them: "namespace" or "table".
    pub objects: Vec<(String, String)>,
}

/// The scratch profile given for a unit, checked: its family, and never a live
/// source or a migration target (a scratch is replaced, then emptied).
fn scratch_for(
    ds: &Deployments,
    m: &Manifest,
    u: &crate::catalog::manifest::ManifestUnit,
    scratch: &[UnitTarget],
    forbidden: &[(String, &str)],
) -> Result<Option<Profile>> {
    let Some(t) = scratch.iter().find(|t| u.is_named(&t.unit)) else {
        return Ok(None);
    };
    let p = ds.profiles().get(&t.profile)?;
    if p.kind != u.kind {
        return Err(Error::invalid(format!(
            "--scratch {}={}: unit {} of backup {} is {}, the profile is {}. Give an empty {} profile.",
            t.unit,
            t.profile,
            u.id,
            m.id,
            u.kind.label(),
            p.kind.label(),
            u.kind.label()
        )));
    }
    if let Some((_, what)) = forbidden.iter().find(|(id, _)| *id == p.id) {
        return Err(Error::invalid(format!(
            "--scratch {}={}: that profile is {what}. A scratch is replaced by the backup and emptied afterwards: give a database of its own.",
            t.unit, t.profile
        )));
    }
    Ok(Some(p))
}

/// Opens the backup as the migration's source: the deployment as the backup
/// recorded it (storages, namespaces, mapping) and a profile per storage.
pub async fn open(
    ds: &Deployments,
    d: &Deployment,
    backup: &str,
    opts: &super::plan::MigrateOptions,
    job: Option<&crate::job::JobCtx>,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<(Deployment, Vec<(DeploymentStorage, Profile)>, FromBackup)> {
    let (scratch, targets) = (&opts.scratch, &opts.to);
    let root = crate::backup::catalog_root(ds);
    let (folder, m) = crate::catalog::find(&root, backup)?;
    if m.deployment_id != d.id && m.deployment != d.name {
        return Err(Error::invalid(format!(
            "Backup {} is of deployment \"{}\", not \"{}\": migrate that deployment, or pick one of its own backups.",
            m.id, m.deployment, d.name
        )));
    }
    crate::job::phase(sink, "checks", format!("Checking backup {}'s files against its manifest…", m.id));
    let (f2, m2, c2) = (folder.clone(), m.clone(), cancel.clone());
    tokio::task::spawn_blocking(move || crate::verify::check_integrity(&f2, &m2, &|_| {}, &c2))
        .await
        .map_err(|e| Error::internal(e.to_string()))??
        .into_result()?;

    let mut forbidden: Vec<(String, &str)> =
        ds.storage_profiles(d).unwrap_or_default().into_iter().map(|(_, p)| (p.id, "a live source")).collect();
    for t in targets {
        forbidden.push((ds.profiles().get(&t.profile)?.id, "a target of this migration"));
    }
    let mut storages = Vec::new();
    let mut fb =
        FromBackup { backup_id: m.id.clone(), taken_at: m.started_at.to_rfc3339(), files: vec![], scratch: vec![] };
    let mut restore_to = Vec::new();
    let needs_scratch = m.units.iter().any(|u| u.kind != DbKind::Sqlite);
    for u in &m.units {
        let p = match scratch_for(ds, &m, u, scratch, &forbidden)? {
            Some(p) => {
                let objects = match u.kind {
                    DbKind::Sqlite => u.tables.iter().map(|t| ("table".to_string(), t.physical_name.clone())).collect(),
                    _ => u.namespaces.iter().map(|n| ("namespace".to_string(), n.clone())).collect(),
                };
                restore_to.push(UnitTarget { unit: u.id.clone(), profile: p.id.clone() });
                fb.scratch.push(Scratch { profile: p.clone(), objects });
                p
            }
            None if u.kind == DbKind::Sqlite && !needs_scratch => {
                let file = u.files.first().map(|f| folder.join(&f.name)).ok_or_else(|| {
                    Error::new(ErrorCode::Corrupt, format!("Unit {} of backup {} lists no file.", u.id, m.id))
                })?;
                let p = Profile {
                    id: format!("backup:{}:{}", m.id, u.id),
                    name: format!("backup {} ({})", m.id, u.id),
                    kind: DbKind::Sqlite,
                    path: Some(file.display().to_string()),
                    ..Default::default()
                };
                fb.files.push(p.id.clone());
                p
            }
            None => {
                return Err(Error::invalid(format!(
                    "Unit {} ({}; storages {}) of backup {} is read through a restore into a scratch database: give --scratch {}=PROFILE, an empty {} profile Quiesce may fill and empty again.{}",
                    u.id,
                    u.kind.label(),
                    u.storages.join(", "),
                    m.id,
                    u.storages.first().unwrap_or(&u.id),
                    u.kind.label(),
                    if u.kind == DbKind::Sqlite {
                        " (The backup also holds a unit that needs a scratch, and a restore is of the whole backup, so this SQLite unit needs one too.)"
                    } else {
                        ""
                    }
                )));
            }
        };
        for s in &u.storages {
            storages.push((DeploymentStorage { name: s.clone(), profile_id: p.id.clone() }, p.clone()));
        }
    }
    if !restore_to.is_empty() {
        crate::job::phase(
            sink,
            "scratch",
            format!("Restoring backup {} into the scratch database(s) {}…", m.id, names(&fb.scratch)),
        );
        let opts = RestoreOptions { targets: restore_to, replace: true, skip_verify: true, ..Default::default() };
        match job {
            // Part of the migration's job (its journal, its history line).
            Some(ctx) => restore::run_in(ds, &root, &m.id, &opts, ctx).await?,
            // A dry run's read of the backup: a restore job of its own.
            None => restore::run(ds, &root, &m.id, &opts, sink.clone(), cancel).await?,
        };
    }
    let mut d2 = d.clone();
    d2.storages = storages.iter().map(|(s, _)| s.clone()).collect();
    d2.system_namespace = m.system_namespace.clone();
    d2.coordinator_namespace = m.coordinator_namespace.clone();
    d2.namespace_mapping = m.namespace_mapping.clone();
    Ok((d2, storages, fb))
}

fn names(s: &[Scratch]) -> String {
    s.iter().map(|x| x.profile.name.as_str()).collect::<Vec<_>>().join(", ")
}

impl FromBackup {
    /// Empties the scratch databases (best effort: a failure is reported, never hides the migration's own result).
    pub async fn empty_scratch(&self, ds: &Deployments) -> Vec<String> {
        let mut problems = Vec::new();
        for s in &self.scratch {
            let r = async {
                let pw = ds.secret_of(&s.profile).await?;
                let mut c = LiveConn::open(&s.profile, pw.as_ref(), true).await?;
                for (kind, name) in &s.objects {
                    super::sql::drop_object(&mut c, kind, name).await?;
                }
                c.close().await;
                Ok::<_, Error>(())
            }
            .await;
            if let Err(e) = r {
                problems.push(format!(
                    "scratch {} still holds the restored backup ({}); drop {} by hand",
                    s.profile.name,
                    e.message,
                    s.objects.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
        }
        problems
    }

    pub fn note(&self) -> String {
        let mut n = format!(
            "Read from backup {} (taken {}), not from the live databases: ScalarDB was not paused.",
            self.backup_id, self.taken_at
        );
        if !self.scratch.is_empty() {
            n.push_str(&format!(
                " It was restored into the scratch database(s) {} to be read, and they are emptied again when the migration ends.",
                names(&self.scratch)
            ));
        }
        n
    }

    /// Whether a source profile is a backup's file (opened immutable).
    pub fn is_file(&self, p: &Profile) -> bool {
        self.files.contains(&p.id)
    }
}
