//! What a name the user typed refers to — a backup (its id in a catalog, or
//! its folder), a deployment or a profile — decided once for the CLI and the
//! app. A backup is looked for first (a folder or an id is never a name the
//! user gave anything else), then a deployment, then a profile.

use crate::catalog::{self, manifest};
use crate::deployment::{Deployment, Deployments};
use crate::error::{Error, ErrorCode, Result};
use crate::profile::Profile;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub enum Subject {
    /// A backup: its id (or folder) as typed, resolved against the catalog.
    Backup {
        reference: String,
        folder: PathBuf,
    },
    Deployment(Deployment),
    Profile(Profile),
}

/// What `name` refers to. A folder holding a manifest is a backup wherever
/// it is; an id is looked up in `root`.
pub fn classify(ds: &Deployments, root: &Path, name: &str) -> Result<Subject> {
    let path = Path::new(name);
    if path.join(manifest::MANIFEST).is_file() {
        let folder = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        return Ok(Subject::Backup { reference: folder.display().to_string(), folder });
    }
    if catalog::is_backup_id(root, name) {
        let (folder, _) = catalog::find(root, name)?;
        return Ok(Subject::Backup { reference: name.to_string(), folder });
    }
    if let Ok(d) = ds.get(name) {
        return Ok(Subject::Deployment(d));
    }
    if let Ok(p) = ds.profiles().get(name) {
        return Ok(Subject::Profile(p));
    }
    Err(Error::new(
        ErrorCode::NotFound,
        format!(
            "\"{name}\" is no backup (in {}), deployment or profile. List them with `quiesce backups list`, `quiesce deployment list` and `quiesce profile list`.",
            root.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{DbKind, ProfileInput, Profiles};

    #[test]
    fn a_folder_with_a_manifest_is_a_backup_then_deployments_then_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let ds =
            Deployments::new(Profiles::new(crate::paths::Home::at(dir.path()), crate::secrets::SecretStore::new()));
        let file = dir.path().join("x.sqlite");
        let p = ds
            .profiles()
            .create(&ProfileInput {
                name: "prod".into(),
                kind: Some(DbKind::Sqlite),
                path: Some(file.display().to_string()),
                ..Default::default()
            })
            .unwrap();
        assert!(matches!(classify(&ds, dir.path(), "prod").unwrap(), Subject::Profile(q) if q.id == p.id));
        let e = classify(&ds, dir.path(), "nothing").unwrap_err();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert!(e.message.contains("\"nothing\" is no backup"), "{}", e.message);
        // A folder with a manifest wins over a profile of the same name.
        let folder = dir.path().join("prod");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(folder.join(manifest::MANIFEST), b"{}").unwrap();
        let cwd = std::env::current_dir().unwrap();
        let by_path = folder.display().to_string();
        assert!(matches!(classify(&ds, &cwd, &by_path).unwrap(), Subject::Backup { folder: f, .. } if f == folder));
    }
}
