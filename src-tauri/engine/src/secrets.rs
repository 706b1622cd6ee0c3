//! Secrets live only in the OS keyring (Secret Service on Linux).
//!
//! The credential type is named explicitly (`SsCredential`) instead of going
//! through keyring's default builder: a keyring built without a platform
//! feature silently falls back to an in-memory mock, and naming the type makes
//! such a build fail to compile instead.

use crate::error::{Error, ErrorCode, Result};
use crate::sensitive::Sensitive;
use keyring::secret_service::SsCredential;
use keyring::Entry;
use std::time::Duration;

pub const SERVICE: &str = "quiesce";

const FIX: &str = "Start and unlock your desktop keyring (GNOME Keyring, KWallet or another Secret Service provider). On a server or in cron, give each command the passwords it needs instead: --password-env PROFILE=VAR (repeat it for each profile the command connects to) or --password-stdin (when it connects to one profile); `quiesce profile test` takes --password-env VAR.";

#[derive(Debug, Clone, Default)]
pub struct SecretStore {
    _private: (),
}

impl SecretStore {
    pub fn new() -> Self {
        SecretStore { _private: () }
    }

    fn entry(account: &str) -> Result<Entry> {
        let cred = SsCredential::new_with_target(None, SERVICE, account).map_err(map_err)?;
        Ok(Entry::new_with_credential(Box::new(cred)))
    }

    /// Fails with `keyring_unavailable` unless a Secret Service answers.
    pub fn probe(&self) -> Result<()> {
        self.get("quiesce-probe").map(|_| ())
    }

    pub fn set(&self, account: &str, secret: &Sensitive<String>) -> Result<()> {
        let account = account.to_string();
        let value = secret.clone();
        with_deadline(move || Self::entry(&account)?.set_password(value.expose()).map_err(map_err))
    }

    pub fn get(&self, account: &str) -> Result<Option<Sensitive<String>>> {
        let account = account.to_string();
        with_deadline(move || match Self::entry(&account)?.get_password() {
            Ok(v) => Ok(Some(Sensitive::new(v))),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        })
    }

    /// Returns whether a secret existed.
    pub fn delete(&self, account: &str) -> Result<bool> {
        let account = account.to_string();
        with_deadline(move || match Self::entry(&account)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(map_err(e)),
        })
    }
}

/// A locked keyring can sit waiting for a prompt nobody sees; never hang on it.
fn with_deadline<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| {
        Err(Error::new(
            ErrorCode::KeyringUnavailable,
            format!("The keyring did not answer within 20 s (is it locked and waiting for a password prompt?). {FIX}"),
        ))
    })
}

fn map_err(e: keyring::Error) -> Error {
    match e {
        keyring::Error::PlatformFailure(_) | keyring::Error::NoStorageAccess(_) => {
            Error::new(ErrorCode::KeyringUnavailable, format!("No Secret Service keyring is reachable ({e}). {FIX}"))
        }
        keyring::Error::NoEntry => Error::not_found("No secret is stored for this profile."),
        other => Error::new(ErrorCode::KeyringUnavailable, format!("The keyring refused the request: {other}. {FIX}")),
    }
}
