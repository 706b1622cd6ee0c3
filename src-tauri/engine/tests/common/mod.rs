//! Shared by the engine's integration tests: a private state dir with
//! profiles (secrets in the session keyring) and deployments.
#![allow(dead_code)]

use quiesce_engine::backup::BackupOptions;
use quiesce_engine::deployment::{DeploymentInput, DeploymentStorage, Deployments, NamespaceMapping};
use quiesce_engine::discovery::{self, Discovery};
use quiesce_engine::plan::commands::DumpFormat;
use quiesce_engine::profile::{DbKind, PasswordChange, ProfileInput, Profiles};
use quiesce_engine::{paths::Home, secrets::SecretStore, Sensitive};
use quiesce_testsupport::mariadb::{self, MariaDbServer};
use quiesce_testsupport::postgres::PgServer;
use quiesce_testsupport::scalardb::Layout;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// A MariaDB profile's fields for a test server, connecting as `user`.
pub fn my_input(s: &MariaDbServer, user: &str) -> ProfileInput {
    ProfileInput {
        kind: Some(DbKind::Mysql),
        host: Some("127.0.0.1".into()),
        port: Some(s.port),
        user: Some(user.into()),
        ..Default::default()
    }
}

/// An executable `name` in `dir` running `body` (a stand-in for a tool),
/// which answers `--version` like the real one.
pub fn fake_tool(dir: &Path, name: &str, version: &str, body: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n[ \"$1\" = --version ] && {{ echo '{version}'; exit 0; }}\n{body}\n"))
        .unwrap();
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    p
}

pub fn quiet() -> quiesce_engine::job::Sink {
    Arc::new(|_| {})
}

pub fn opts(format: DumpFormat, out: &Path) -> BackupOptions {
    BackupOptions { format, jobs: None, out: Some(out.display().to_string()), ..Default::default() }
}

/// Every folder under a backup root (complete or partial).
pub fn folders(root: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in std::fs::read_dir(root).into_iter().flatten().flatten() {
        for b in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
            v.push(b.path());
        }
    }
    v
}

pub fn sh(script: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    assert!(out.status.success(), "{script}\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A tmpfs mounted for a fault test (a disk that fills, a read-only one).
pub struct Tmpfs(pub PathBuf);

impl Tmpfs {
    pub fn mount(dir: &Path, opts: &str) -> Tmpfs {
        assert!(quiesce_testsupport::is_root(), "this fault test mounts a tmpfs and must run as root (CI does)");
        std::fs::create_dir_all(dir).unwrap();
        sh(&format!("mount -t tmpfs -o {opts} tmpfs '{}'", dir.display()));
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub ds: Deployments,
}

impl Env {
    pub fn new() -> Env {
        quiesce_testsupport::require_secret_service();
        let dir = tempfile::tempdir().unwrap();
        let ds = Deployments::new(Profiles::new(Home::at(dir.path()), SecretStore::new()));
        Env { dir, ds }
    }

    pub fn profile(&self, name: &str, mut input: ProfileInput, pw: Option<&str>) -> String {
        input.name = name.into();
        if let Some(pw) = pw {
            input.password = PasswordChange::Set(Sensitive::new(pw.into()));
        }
        self.ds.profiles().create(&input).unwrap().id
    }

    pub fn pg(&self, name: &str, s: &PgServer, db: &str, user: &str, pw: &str) -> String {
        self.profile(
            name,
            ProfileInput {
                kind: Some(DbKind::Postgresql),
                host: Some("127.0.0.1".into()),
                port: Some(s.port),
                database: Some(db.into()),
                user: Some(user.into()),
                ..Default::default()
            },
            Some(pw),
        )
    }

    /// A MariaDB profile on a test server as its own user.
    pub fn my(&self, name: &str, s: &MariaDbServer) -> String {
        self.profile(name, my_input(s, mariadb::USER), Some(&s.password))
    }

    pub fn deployment(&self, name: &str, storages: &[(&str, &str)], mapping: &[(&str, &str)], l: &Layout) -> String {
        self.ds
            .create(
                &DeploymentInput {
                    name: name.into(),
                    storages: storages
                        .iter()
                        .map(|(n, p)| DeploymentStorage { name: n.to_string(), profile_id: p.to_string() })
                        .collect(),
                    namespace_mapping: mapping
                        .iter()
                        .map(|(n, s)| NamespaceMapping { namespace: n.to_string(), storage: s.to_string() })
                        .collect(),
                    default_storage: storages.first().map(|s| s.0.to_string()),
                    coordinator_namespace: Some(l.coordinator.clone()),
                    system_namespace: Some(l.system.clone()),
                    ..Default::default()
                },
                None,
            )
            .unwrap()
            .id
    }

    /// A deployment of two storages `a` and `b` (profiles given) on a pair's
    /// layouts (`Layout::pair`; the coordinator on `b`), paused through `endpoint`.
    pub fn pair_deployment(&self, name: &str, profiles: (&str, &str), l: (&Layout, &Layout), endpoint: &str) -> String {
        let map = |ns: &str, s: &str| NamespaceMapping { namespace: ns.into(), storage: s.into() };
        let (la, lb) = l;
        self.ds
            .create(
                &DeploymentInput {
                    name: name.into(),
                    storages: vec![
                        DeploymentStorage { name: "a".into(), profile_id: profiles.0.into() },
                        DeploymentStorage { name: "b".into(), profile_id: profiles.1.into() },
                    ],
                    namespace_mapping: vec![
                        map(&la.bank, "a"),
                        map(&la.audit, "a"),
                        map(&lb.bank, "b"),
                        map(&lb.audit, "b"),
                        map(&lb.coordinator, "b"),
                    ],
                    default_storage: Some("a".into()),
                    coordinator_namespace: Some(lb.coordinator.clone()),
                    system_namespace: Some(la.system.clone()),
                    admin_endpoints: vec![endpoint.into()],
                    ..Default::default()
                },
                None,
            )
            .unwrap()
            .id
    }

    pub async fn discover(&self, deployment: &str) -> Discovery {
        let d = self.ds.get(deployment).unwrap();
        discovery::discover(&self.ds, &d, &CancellationToken::new()).await.unwrap()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // Keep the session keyring clean: every secret this test stored goes.
        for d in self.ds.list().unwrap_or_default() {
            let _ = self.ds.remove(&d.id);
        }
        for p in self.ds.profiles().list().unwrap_or_default() {
            let _ = self.ds.remove_profile(&p.id);
        }
    }
}
