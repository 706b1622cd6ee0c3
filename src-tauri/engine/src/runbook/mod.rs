//! Restore runbooks: for one picked point, the steps that bring every storage
//! of a deployment back to it, following the guide's restore tabs, with the
//! real names, tables and time. A runbook is data (sections, steps, commands
//! as argv with typed arguments) rendered three ways: Markdown for people, a
//! shell script (one function per step, a confirmation before each
//! destructive or manual one, every name single-quoted) and JSON. Secrets are
//! never part of it: commands read them from the tools' own configuration.

mod build;
pub mod render;
pub mod schema;
pub mod ticks;

use crate::deployment::Deployments;
use crate::error::Result;
use crate::points::{self, Pick, PickAt, RestoresBy};
use serde::{Deserialize, Serialize};
use std::path::Path;
use ts_rs::TS;

/// One argument of a command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "t", content = "v", rename_all = "snake_case")]
pub enum Arg {
    /// Literal text (a name from a database, a profile or a file: always quoted).
    Lit(String),
    /// `--name=value` with a literal value: a value that starts with `-` is never read as an option.
    Opt(String, String),
    /// `--name=$VAR`: a value captured by an earlier command.
    OptVar(String, String),
    /// A value captured by an earlier command.
    Var(String),
    /// Every word of an array captured by an earlier command (security group ids).
    Array(String),
    /// A variable the person running the runbook sets (a jar's path).
    Env(String),
}

/// One command: argv (never a shell string), what it captures, how it waits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Command {
    pub argv: Vec<Arg>,
    /// Keep its output (trimmed) in this variable, for later commands.
    pub capture: Option<String>,
    /// Keep its output's words in this array.
    pub capture_array: Option<String>,
    /// Run it again every 10 s until it prints exactly this (no CLI waiter exists).
    pub until: Option<String>,
    /// Text fed to its standard input, never expanded locally (a remote script).
    pub stdin: Option<String>,
    /// How the script writes it (filled from the fields above when the runbook is built).
    #[serde(default)]
    pub line: String,
}

impl Command {
    pub fn new(argv: Vec<Arg>) -> Command {
        Command { argv, capture: None, capture_array: None, until: None, stdin: None, line: String::new() }
    }
    fn capture(mut self, var: &str) -> Command {
        self.capture = Some(var.into());
        self
    }
    fn capture_array(mut self, var: &str) -> Command {
        self.capture_array = Some(var.into());
        self
    }
    fn until(mut self, value: &str) -> Command {
        self.until = Some(value.into());
        self
    }
    fn stdin(mut self, text: String) -> Command {
        self.stdin = Some(text);
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Step {
    /// Stable within a runbook: what a tick is kept under.
    pub key: String,
    pub title: String,
    pub detail: String,
    pub commands: Vec<Command>,
    /// It deletes or replaces data: the script asks first.
    pub destructive: bool,
    /// Done by hand (a console, a Helm release, an edit): the script waits for "yes".
    pub manual: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Section {
    pub id: String,
    pub title: String,
    pub storage: Option<String>,
    pub restores_by: Option<RestoresBy>,
    /// The ScalarDB tables it brings back (physical names).
    pub tables: Vec<String>,
    /// Where the table list comes from (discovery, the backup's manifest, the schema file) and when.
    pub tables_source: String,
    pub steps: Vec<Step>,
}

/// A variable the person sets before running the script.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EnvVar {
    pub name: String,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct Runbook {
    pub deployment: String,
    pub deployment_id: String,
    /// What its ticks are kept under (the deployment and the point).
    pub key: String,
    pub point: Pick,
    pub generated_at: String,
    pub schema: Option<schema::SchemaAttachment>,
    pub env: Vec<EnvVar>,
    pub sections: Vec<Section>,
}

impl Runbook {
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.sections.iter().flat_map(|s| s.steps.iter())
    }
}

/// The runbook of a deployment for a point picked by window, backup or time.
pub fn for_point(deployments: &Deployments, root: &Path, deployment: &str, at: &PickAt) -> Result<Runbook> {
    for_pick(deployments, root, deployment, |_| at.clone())
}

/// The runbook for `--at`: a window id, a backup id or a time, told apart on
/// the same timeline the point is picked on (the catalog is read once).
pub fn for_text(deployments: &Deployments, root: &Path, deployment: &str, at: &str) -> Result<Runbook> {
    for_pick(deployments, root, deployment, |t| PickAt::classify(t, at))
}

fn for_pick(
    deployments: &Deployments,
    root: &Path,
    deployment: &str,
    at: impl FnOnce(&points::Timeline) -> PickAt,
) -> Result<Runbook> {
    let d = deployments.get(deployment)?;
    let storages = deployments.storage_profiles(&d)?;
    let t = points::timeline(&d, &storages, root);
    let pick = points::pick(&t, &at(&t))?;
    let home = deployments.home();
    let discovery = crate::discovery::load(home, &d.id)?;
    let schema = schema::load(home, &d)?;
    let window = match &pick.window_id {
        Some(id) => Some(find_window(root, &d.name, id)?),
        None => None,
    };
    let manifest = match &pick.backup_id {
        Some(id) => Some(crate::catalog::find(root, id)?.1),
        None => None,
    };
    build::build(&build::Inputs {
        d: &d,
        storages: &storages,
        pick,
        discovery: discovery.as_ref(),
        schema: schema.as_ref(),
        window: window.as_ref(),
        manifest: manifest.as_ref(),
    })
}

fn find_window(root: &Path, deployment: &str, id: &str) -> Result<crate::catalog::window::PauseWindow> {
    let p = crate::paths::inside(root, &[deployment, &format!("{id}{}", crate::catalog::window::SUFFIX)])?;
    crate::catalog::window::PauseWindow::read(&p)
}

pub use build::{build, Inputs};

#[cfg(test)]
mod tests;

/// Writes an exported runbook to a new file (never over an existing one:
/// an older runbook may be the one being followed); a script is executable.
pub fn write_new(path: &Path, text: &str, executable: bool) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if executable { 0o700 } else { 0o600 })
        .open(path)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                crate::Error::new(
                    crate::ErrorCode::AlreadyExists,
                    format!(
                        "{} exists already; give a new file name (an older runbook is never overwritten).",
                        path.display()
                    ),
                )
            } else {
                crate::Error::io("write", path, e)
            }
        })?;
    f.write_all(text.as_bytes()).map_err(|e| crate::Error::io("write", path, e))?;
    f.sync_all().map_err(|e| crate::Error::io("write", path, e))
}
