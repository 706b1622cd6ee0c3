//! Quiesce's engine: everything but the window. No Tauri dependency, so the
//! CLI, the app and the tests share exactly this code.

#![warn(clippy::too_many_lines)]

pub mod admin;
pub mod api;
pub mod archive;
pub mod backup;
pub mod catalog;
pub mod connect;
pub mod demo;
pub mod deployment;
pub mod discovery;
pub mod duration;
pub mod error;
pub mod grants;
pub mod history;
pub mod job;
pub mod live;
pub mod logging;
pub mod migrate;
pub mod overview;
pub mod paths;
pub mod pause;
pub mod plan;
pub mod points;
pub mod profile;
pub mod properties;
pub mod recovery;
pub mod restore;
pub mod runbook;
pub mod scalardb;
pub mod secrets;
pub mod sensitive;
pub mod size;
pub mod startup;
pub mod state_audit;
pub mod store;
pub mod subject;
pub mod text;
pub mod tools;
pub mod usecases;
pub mod verify;

pub use error::{Error, ErrorCode, FieldError, IpcError, Result};
pub use sensitive::Sensitive;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the app shows in its status bar and About box.
pub fn app_info(home: &paths::Home, secrets: &secrets::SecretStore) -> api::AppInfo {
    let keyring = match secrets.probe() {
        Ok(()) => api::KeyringStatus { available: true, message: None },
        Err(e) => api::KeyringStatus { available: false, message: Some(e.message) },
    };
    api::AppInfo {
        version: VERSION.into(),
        config_dir: home.config_dir.display().to_string(),
        data_dir: home.data_dir.display().to_string(),
        keyring,
    }
}
