//! The command families, one file each: each parses its arguments, calls
//! one use case of `quiesce_engine::usecases` and returns its own value,
//! which prints itself as text or JSON (`crate::print::Report`).

pub mod archive;
pub mod backup;
pub mod backups;
pub mod deployment;
pub mod migrate;
pub mod pause;
pub mod plan;
pub mod points;
pub mod profile;
pub mod restore;
pub mod verify;

use crate::events::Events;
use clap::Args;
use quiesce_engine::profile::{DbKind, Profile};
use quiesce_engine::usecases::Engine;
use quiesce_engine::{Error, Result, Sensitive};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// What every command gets: the engine (the state directory, the keyring),
/// the cancel token SIGINT/SIGTERM trip, where events go.
pub struct Ctx {
    pub engine: Engine,
    pub cancel: CancellationToken,
    pub events: Events,
}

/// A catalog folder given on the command line (`--root`), made absolute.
pub fn root(given: Option<String>) -> Option<PathBuf> {
    given.map(|r| PathBuf::from(absolute(r)))
}

/// Passwords for a command that connects, instead of the keyring (cron on a
/// server has none). Never in argv: the variable's name is, not its value.
#[derive(Args, Default)]
pub struct JobSecrets {
    /// Take the password of PROFILE from the environment variable VAR instead of the keyring. Repeat it for each profile the command connects to.
    #[arg(long = "password-env", value_name = "PROFILE=VAR")]
    password_env: Vec<String>,
    /// Read the password from standard input instead of the keyring; only when the command connects to one profile.
    #[arg(long = "password-stdin")]
    password_stdin: bool,
}

impl JobSecrets {
    /// The `--password-env PROFILE=VAR` pairs as given (names, never values).
    pub fn password_env(&self) -> &[String] {
        &self.password_env
    }

    pub fn password_stdin(&self) -> bool {
        self.password_stdin
    }

    /// `engine` with the passwords given here, for a command that connects
    /// to `needs` (the profiles with a password to give).
    pub fn apply(&self, engine: &Engine, needs: &[Profile]) -> Result<Engine> {
        let mut given = std::collections::HashMap::new();
        let names = || needs.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ");
        for pair in &self.password_env {
            let (name, var) = pair.split_once('=').ok_or_else(|| {
                Error::invalid(format!(
                    "--password-env {pair}: write PROFILE=VAR, e.g. --password-env prod-pg=PROD_PG_PASSWORD (this command connects to: {})",
                    names()
                ))
            })?;
            let p = needs.iter().find(|p| p.name == name || p.id == name).ok_or_else(|| {
                Error::invalid(format!(
                    "--password-env {name}=…: this command does not connect to a profile \"{name}\" with a password; it connects to: {}.",
                    if needs.is_empty() { "none".to_string() } else { names() }
                ))
            })?;
            let value = std::env::var(var).map_err(|_| {
                Error::invalid(format!("The environment variable {var} (for profile {name}) is not set, or not UTF-8."))
            })?;
            if value.is_empty() {
                return Err(Error::invalid(format!("The environment variable {var} (for profile {name}) is empty.")));
            }
            given.insert(p.id.clone(), Sensitive::new(value));
        }
        if self.password_stdin {
            let [p] = needs else {
                return Err(Error::invalid(format!(
                    "--password-stdin gives one password, but this command connects to {} profile(s) with a password ({}): use --password-env PROFILE=VAR for each.",
                    needs.len(),
                    names()
                )));
            };
            let pw = read_secret(true, None, false)?.expect("read from stdin");
            given.insert(p.id.clone(), pw);
        }
        Ok(engine.with_given_secrets(given))
    }
}

/// The profiles of a deployment's storages that a job connects to with a password.
pub fn password_profiles(engine: &Engine, deployment: &str) -> Result<Vec<Profile>> {
    let ds = engine.deployments();
    let d = ds.get(deployment)?;
    let storages = ds.storage_profiles(&d)?;
    Ok(with_password(engine, storages.iter().map(|(_, p)| p.id.as_str())))
}

/// The profiles among `names` that a job connects to with a password.
pub fn with_password<'a>(engine: &Engine, names: impl IntoIterator<Item = &'a str>) -> Vec<Profile> {
    names
        .into_iter()
        .filter_map(|n| engine.profiles().get(n).ok())
        .filter(|p| p.kind.is_live() && p.kind != DbKind::Sqlite)
        .collect()
}

/// Paths typed on the command line are relative to where the user is.
pub fn absolute(p: String) -> String {
    if p.is_empty() {
        return p;
    }
    std::path::absolute(&p).map(|a| a.display().to_string()).unwrap_or(p)
}

pub fn read_secret(stdin: bool, env: Option<&str>, ask: bool) -> Result<Option<Sensitive<String>>> {
    let value = if stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::invalid(format!("Could not read the password from standard input: {e}")))?;
        // A trailing newline from `echo` is not part of the password.
        s.truncate(s.trim_end_matches(['\n', '\r']).len());
        s
    } else if let Some(var) = env {
        std::env::var(var).map_err(|_| {
            Error::invalid(format!(
                "The environment variable {var} is not set (or not UTF-8). Export it, or use --password-stdin."
            ))
        })?
    } else if ask {
        if !std::io::stdin().is_terminal() {
            return Err(Error::invalid(
                "--ask-password needs a terminal; use --password-stdin or --password-env VAR in scripts.",
            ));
        }
        rpassword::prompt_password("Password: ")
            .map_err(|e| Error::invalid(format!("Could not read the password: {e}")))?
    } else {
        return Ok(None);
    };
    if value.is_empty() {
        return Err(Error::invalid("The password given is empty. Give the real password, or leave the option out."));
    }
    Ok(Some(Sensitive::new(value)))
}
