//! What a command returns: one value per command, serialized as the
//! `--json` document (its keys are the CLI's documented output) and rendered
//! as text by `render`.

use quiesce_engine::backup;
use quiesce_engine::catalog::manifest::Manifest;
use quiesce_engine::catalog::CatalogEntry;
use quiesce_engine::connect::ConnectionReport;
use quiesce_engine::deployment::import::ImportPreview;
use quiesce_engine::deployment::Deployment;
use quiesce_engine::discovery::Discovery;
use quiesce_engine::plan::{DecisionTree, Plan};
use quiesce_engine::profile::Profile;
use quiesce_engine::{restore, verify, ErrorCode};
use serde::Serialize;
use std::path::PathBuf;

/// Exit status when a verification ran and found errors.
pub const EXIT_VERIFY_FAILED: i32 = 30;
/// Exit status of a pause whose window is unsafe or failed (kept, but no restore point).
pub const EXIT_UNSAFE_WINDOW: i32 = 31;

#[derive(Serialize)]
#[serde(untagged)]
pub enum Output {
    Profiles {
        profiles: Vec<Profile>,
    },
    Profile {
        profile: Profile,
        /// "added", "updated", or "" when only shown.
        #[serde(skip)]
        verb: &'static str,
    },
    ProfileRemoved {
        removed: Profile,
    },
    Report {
        profile: String,
        ok: bool,
        report: ConnectionReport,
    },
    Preview {
        preview: Box<ImportPreview>,
    },
    Deployments {
        deployments: Vec<Deployment>,
    },
    Deployment {
        deployment: Deployment,
        profiles: Vec<Profile>,
        #[serde(skip)]
        verb: &'static str,
    },
    DeploymentRemoved {
        removed: Deployment,
    },
    Plan {
        plan: Box<Plan>,
        discovery: Option<Box<Discovery>>,
        #[serde(skip)]
        tree: Box<DecisionTree>,
    },
    Preflight {
        dry_run: Box<backup::Preflight>,
    },
    BackupDone {
        backup: Box<Manifest>,
        folder: PathBuf,
    },
    /// Backups (complete and damaged), and leftovers Quiesce did not remove.
    /// Pause windows are restore points, not backups: `quiesce points` lists them.
    Catalog {
        backups: Vec<CatalogEntry>,
        leftovers: Vec<CatalogEntry>,
        /// How many pause windows the catalog holds beside them.
        pause_windows: usize,
    },
    BackupShown {
        backup: Box<Manifest>,
        folder: PathBuf,
    },
    BackupRemoved {
        removed: Box<Manifest>,
    },
    RestorePreflight {
        dry_run: Box<restore::RestorePreflight>,
    },
    Restored {
        restore: Box<restore::RestoreResult>,
    },
    Verified {
        verify: Box<verify::VerifyReport>,
    },
    BackupVerified {
        integrity: Box<verify::IntegrityReport>,
        verify: Option<Box<verify::VerifyReport>>,
    },
    /// A pause window: flattened, so `--json` carries the Kubernetes pause
    /// tool's fields (`pause_start_timestamp_ms`, …) at the top level.
    Window {
        #[serde(flatten)]
        window: Box<quiesce_engine::catalog::window::PauseWindow>,
    },
    Nodes {
        deployment: String,
        nodes: Vec<quiesce_engine::pause::NodeState>,
    },
    History {
        operations: Vec<quiesce_engine::history::Operation>,
    },
    Points {
        timeline: Box<quiesce_engine::points::Timeline>,
    },
    Runbook {
        runbook: Box<quiesce_engine::runbook::Runbook>,
        /// The rendered text when it goes to stdout (not with --out).
        #[serde(skip)]
        text: Option<String>,
        /// The file it was written to.
        written: Option<String>,
    },
    MigratePlan {
        migration: Box<quiesce_engine::migrate::job::MigrationPlan>,
    },
    Migrated {
        migration: Box<quiesce_engine::migrate::job::MigrationResult>,
    },
    MigrateCleanup {
        dropped: Vec<String>,
    },
    SchemaAttached {
        deployment: String,
        schema: quiesce_engine::runbook::schema::SchemaAttachment,
    },
}

impl Output {
    /// The exit status of what printed: a verification that found errors is
    /// not a success, and neither is a dry run with a failed check (its
    /// check's code), so `quiesce backup D --dry-run && quiesce backup D`
    /// goes no further than the checks would.
    pub fn exit_status(&self) -> i32 {
        let failed_check = |checks: &[backup::Check]| {
            checks.iter().find(|c| !c.ok).map(|c| c.code.unwrap_or(ErrorCode::InvalidInput).exit_code())
        };
        match self {
            Output::Restored { restore } if restore.verify.as_ref().is_some_and(|v| !v.passed) => EXIT_VERIFY_FAILED,
            Output::Verified { verify } if !verify.passed => EXIT_VERIFY_FAILED,
            Output::BackupVerified { integrity, verify }
                if !integrity.problems.is_empty() || verify.as_ref().is_some_and(|v| !v.passed) =>
            {
                EXIT_VERIFY_FAILED
            }
            Output::Preflight { dry_run } => failed_check(&dry_run.checks).unwrap_or(0),
            // An unsafe or failed window is never a success: it is no restore point.
            Output::Window { window } if !window.safe => EXIT_UNSAFE_WINDOW,
            Output::Nodes { nodes, .. } if nodes.iter().any(|n| n.error.is_some()) => {
                ErrorCode::ConnectionRefused.exit_code()
            }
            Output::RestorePreflight { dry_run } => failed_check(&dry_run.checks).unwrap_or(0),
            Output::MigratePlan { migration } => failed_check(&migration.checks).unwrap_or(0),
            _ => 0,
        }
    }
}
