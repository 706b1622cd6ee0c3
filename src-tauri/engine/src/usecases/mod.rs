//! The use cases: one function per thing a user does, with typed arguments
//! and a typed result. The app's IPC commands (`quiesce-app` `commands.rs`)
//! and the CLI's commands (`quiesce-cli` `cmd/`) are thin adapters over
//! these, so both surfaces do exactly the same thing for the same request:
//! the adapters only turn their input (IPC arguments, argv) into these
//! arguments and the result into their output (an IPC payload, text or JSON).
//!
//! Everything starts from an [`Engine`]: the state directory, the keyring and
//! the passwords given to this process. The layer below (`backup`, `restore`,
//! `pause`, …) takes the pieces it needs.

pub mod archive;
pub mod backups;
pub mod deployments;
pub mod migrations;
pub mod pauses;
pub mod points;
pub mod profiles;
pub mod restores;
pub mod verify;

use crate::deployment::Deployments;
use crate::paths::Home;
use crate::profile::Profiles;
use crate::secrets::SecretStore;
use crate::{Result, Sensitive};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The root context of every use case.
#[derive(Debug, Clone)]
pub struct Engine {
    deployments: Deployments,
}

impl Engine {
    pub fn new(home: Home, secrets: SecretStore) -> Engine {
        Engine { deployments: Deployments::new(Profiles::new(home, secrets)) }
    }

    /// The state directory.
    pub fn home(&self) -> &Home {
        self.deployments.home()
    }

    pub fn profiles(&self) -> &Profiles {
        self.deployments.profiles()
    }

    pub fn deployments(&self) -> &Deployments {
        &self.deployments
    }

    pub fn secrets(&self) -> &SecretStore {
        self.profiles().secrets()
    }

    /// This engine with passwords given to the process (by profile id), used
    /// before the keyring: a CLI on a server without one.
    pub fn with_given_secrets(&self, given: HashMap<String, Sensitive<String>>) -> Engine {
        Engine { deployments: Deployments::new(self.profiles().clone().with_given_secrets(given)) }
    }

    /// The catalog folder: the one given (another machine's backups), or the
    /// default one.
    pub fn catalog_root(&self, given: Option<&Path>) -> PathBuf {
        given.map(Path::to_path_buf).unwrap_or_else(|| crate::catalog::default_root(self.home()))
    }
}

/// What the status bar and the About box show.
pub fn app_info(e: &Engine) -> crate::api::AppInfo {
    crate::app_info(e.home(), e.secrets())
}

/// What killed jobs left behind is removed (never a live job's), and the
/// state audited: the first step of every start.
pub fn startup(e: &Engine) -> crate::recovery::RecoveryReport {
    crate::startup::check(e.deployments())
}

/// The home screen: every deployment's method, last backup, last window,
/// latest safe point and what needs attention (state files and catalog only).
pub fn overview(e: &Engine) -> Result<crate::overview::Overview> {
    crate::overview::build(e.deployments())
}

/// The operations history, oldest first.
pub fn history(e: &Engine) -> Vec<crate::history::Operation> {
    crate::history::read(e.home())
}
