//! Connection profiles (secrets in the OS keyring).

use super::Engine;
use crate::connect::{self, ConnectionReport};
use crate::profile::{self, Profile, ProfileInput};
use crate::{FieldError, Result, Sensitive};
use tokio_util::sync::CancellationToken;

pub fn list(e: &Engine) -> Result<Vec<Profile>> {
    e.profiles().list()
}

pub fn get(e: &Engine, name_or_id: &str) -> Result<Profile> {
    e.profiles().get(name_or_id)
}

/// The fields' problems, empty when the input is valid.
pub fn validate(input: &ProfileInput) -> Vec<FieldError> {
    profile::validate(input).err().unwrap_or_default()
}

/// A new profile (`existing` None) or the edit of one.
pub fn save(e: &Engine, existing: Option<&str>, input: &ProfileInput) -> Result<Profile> {
    match existing {
        Some(id) => e.profiles().update(id, input),
        None => e.profiles().create(input),
    }
}

/// Removes a profile no deployment uses, and its password from the keyring.
pub fn remove(e: &Engine, name_or_id: &str) -> Result<Profile> {
    e.deployments().remove_profile(name_or_id)
}

/// What a connection test connects with: a saved profile (with a password
/// given for this test, or its own), or a draft being edited.
pub enum Tested<'a> {
    Saved { name_or_id: &'a str, password: Option<Sensitive<String>> },
    Draft { input: &'a ProfileInput, existing: Option<&'a str> },
}

/// Connects, reads the server's version and measures the round trip.
/// Returns the profile tested (a draft's as it would be saved) and the report.
pub async fn test(e: &Engine, what: Tested<'_>, cancel: &CancellationToken) -> Result<(Profile, ConnectionReport)> {
    let (profile, password) = match what {
        Tested::Saved { name_or_id, password } => {
            let p = e.profiles().get(name_or_id)?;
            let pw = match password {
                Some(pw) => Some(pw),
                None => e.deployments().secret_of(&p).await?,
            };
            (p, pw)
        }
        Tested::Draft { input, existing } => {
            let (ps, input, existing) = (e.profiles().clone(), input.clone(), existing.map(String::from));
            tokio::task::spawn_blocking(move || ps.for_test(&input, existing.as_deref()))
                .await
                .map_err(|err| crate::Error::internal(format!("a background task failed: {err}")))?
                .inspect_err(|err| tracing::warn!(code = %err.code, "{}", err.message))?
        }
    };
    let r = connect::test_connection(&profile, password.as_ref(), cancel).await;
    match &r {
        Ok(rep) => tracing::info!(target = %profile.target(), version = %rep.server_version, "connection test passed"),
        Err(err) => tracing::info!(target = %profile.target(), code = %err.code, "connection test failed"),
    }
    Ok((profile, r?))
}
