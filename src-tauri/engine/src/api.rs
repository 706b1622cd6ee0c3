//! IPC payloads that are not owned by a domain module, and the TypeScript
//! bindings of every type that crosses IPC (generated, committed in `ui/`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct AppInfo {
    pub version: String,
    pub config_dir: String,
    pub data_dir: String,
    pub keyring: KeyringStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct KeyringStatus {
    pub available: bool,
    pub message: Option<String>,
}

/// What the app's shell tells the window outside any command's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppEvent {
    /// The window is being closed while jobs run: ask before cancelling them.
    CloseRequested { running: u32 },
    /// Quiesce is quitting (confirmed, or SIGTERM): the running jobs are
    /// cancelled and waited for, at most `limit_secs`.
    Quitting { running: u32, limit_secs: u32 },
}

/// The deployments' IPC types.
fn deployment_decls(cfg: &ts_rs::Config) -> Vec<String> {
    use crate::deployment;
    use ts_rs::TS;
    vec![
        deployment::TransactionManager::decl(cfg),
        deployment::DeploymentStorage::decl(cfg),
        deployment::NamespaceMapping::decl(cfg),
        deployment::EndpointKind::decl(cfg),
        deployment::AdminEndpoint::decl(cfg),
        deployment::PauseLimits::decl(cfg),
        deployment::ImportSource::decl(cfg),
        deployment::Deployment::decl(cfg),
        deployment::DeploymentInput::decl(cfg),
        deployment::import::ConfigKind::decl(cfg),
        deployment::import::KeyLine::decl(cfg),
        deployment::import::ImportedStorage::decl(cfg),
        deployment::import::ImportPreview::decl(cfg),
    ]
}

/// Every IPC type, in one TypeScript module.
pub fn typescript_bindings() -> String {
    use crate::*;
    let cfg = ts_rs::Config::default();
    let mut decls = vec![
        ErrorCode::decl(&cfg),
        FieldError::decl(&cfg),
        IpcError::decl(&cfg),
        profile::DbKind::decl(&cfg),
        profile::Flavor::decl(&cfg),
        profile::SslMode::decl(&cfg),
        profile::SecretRef::decl(&cfg),
        profile::Profile::decl(&cfg),
        profile::ProfileInput::decl(&cfg),
        profile::PasswordChange::decl(&cfg),
        profile::RestoreSettings::decl(&cfg),
        connect::ConnectionReport::decl(&cfg),
    ];
    decls.extend(deployment_decls(&cfg));
    decls.extend([
        discovery::Severity::decl(&cfg),
        discovery::Finding::decl(&cfg),
        discovery::Capabilities::decl(&cfg),
        discovery::TableInfo::decl(&cfg),
        discovery::ToolCheck::decl(&cfg),
        discovery::StorageDiscovery::decl(&cfg),
        discovery::Discovery::decl(&cfg),
        plan::TreeNodeKind::decl(&cfg),
        plan::TreeNode::decl(&cfg),
        plan::TreeEdge::decl(&cfg),
        plan::DecisionTree::decl(&cfg),
        plan::Method::decl(&cfg),
        plan::PathStep::decl(&cfg),
        plan::BackupUnit::decl(&cfg),
        plan::ActionKind::decl(&cfg),
        plan::Action::decl(&cfg),
        plan::PlanStep::decl(&cfg),
        plan::PlanWarning::decl(&cfg),
        plan::Plan::decl(&cfg),
        plan::PlanView::decl(&cfg),
        plan::commands::DumpFormat::decl(&cfg),
        backup::BackupOptions::decl(&cfg),
        job::Check::decl(&cfg),
        backup::Preflight::decl(&cfg),
        job::Progress::decl(&cfg),
        job::JobEvent::decl(&cfg),
        catalog::manifest::ManifestFile::decl(&cfg),
        catalog::manifest::ManifestTable::decl(&cfg),
        catalog::manifest::ConsistencyBasis::decl(&cfg),
        catalog::manifest::FileOwner::decl(&cfg),
        catalog::manifest::ManifestUnit::decl(&cfg),
        catalog::manifest::ManifestPause::decl(&cfg),
        catalog::manifest::ManifestTool::decl(&cfg),
        catalog::manifest::Manifest::decl(&cfg),
        admin::Node::decl(&cfg),
        admin::NodeError::decl(&cfg),
        pause::NodeOutcome::decl(&cfg),
        pause::NodeState::decl(&cfg),
        pause::clock::ClockOffset::decl(&cfg),
        pause::hooks::PauseHook::decl(&cfg),
        pause::hooks::HookRun::decl(&cfg),
        catalog::window::PauseWindow::decl(&cfg),
        crate::history::OpKind::decl(&cfg),
        crate::history::Outcome::decl(&cfg),
        crate::history::Operation::decl(&cfg),
        catalog::CatalogStatus::decl(&cfg),
        catalog::CatalogUnit::decl(&cfg),
        catalog::CatalogEntry::decl(&cfg),
        crate::recovery::RecoveryReport::decl(&cfg),
        grants::RecordedGrants::decl(&cfg),
        verify::audit::Recovery::decl(&cfg),
        verify::audit::TxRecords::decl(&cfg),
        verify::audit::InFlightTx::decl(&cfg),
        verify::audit::AuditReport::decl(&cfg),
        verify::TableCheck::decl(&cfg),
        verify::VerifyReport::decl(&cfg),
        verify::IntegrityReport::decl(&cfg),
        restore::UnitTarget::decl(&cfg),
        restore::RestoreOptions::decl(&cfg),
        restore::ExistingTable::decl(&cfg),
        restore::Session::decl(&cfg),
        restore::UnitPreflight::decl(&cfg),
        restore::RestorePreflight::decl(&cfg),
        restore::RestoreResult::decl(&cfg),
        points::RestoresBy::decl(&cfg),
        points::PitrRange::decl(&cfg),
        points::Lane::decl(&cfg),
        points::WindowMark::decl(&cfg),
        points::BackupMark::decl(&cfg),
        points::Timeline::decl(&cfg),
        points::PickAt::decl(&cfg),
        points::PickSource::decl(&cfg),
        points::Pick::decl(&cfg),
        runbook::Arg::decl(&cfg),
        runbook::Command::decl(&cfg),
        runbook::Step::decl(&cfg),
        runbook::Section::decl(&cfg),
        runbook::EnvVar::decl(&cfg),
        runbook::Runbook::decl(&cfg),
        runbook::schema::SchemaAttachment::decl(&cfg),
        runbook::ticks::Ticks::decl(&cfg),
        AppInfo::decl(&cfg),
        KeyringStatus::decl(&cfg),
        AppEvent::decl(&cfg),
    ]);
    decls.extend(migrate::job::ts_decls(&cfg).into_iter().chain(overview::ts_decls(&cfg)));
    let mut out = String::from(
        "// Generated from the Rust types by quiesce-engine (src-tauri/engine/src/api.rs).\n\
         // Do not edit: run `UPDATE_BINDINGS=1 cargo test -p quiesce-engine bindings` instead.\n\n",
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(d.trim());
        out.push_str("\n\n");
    }
    out.trim_end().to_string() + "\n"
}

#[cfg(test)]
mod tests {
    #[test]
    fn bindings_are_up_to_date() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings.ts");
        let fresh = super::typescript_bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
        }
        // Every type a binding names is declared (the list above is kept by hand).
        let declared: std::collections::HashSet<&str> = fresh
            .lines()
            .filter_map(|l| l.strip_prefix("export type "))
            .filter_map(|l| l.split([' ', '<']).next())
            .collect();
        let mut undeclared: Vec<&str> = fresh
            .lines()
            .map(str::trim_start)
            .filter(|l| !l.starts_with("//") && !l.starts_with("/*") && !l.starts_with('*'))
            // Words outside string literals (enum values are "quoted").
            .flat_map(|l| l.split('"').step_by(2))
            .flat_map(|l| l.split(|c: char| !c.is_ascii_alphanumeric() && c != '_'))
            .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()) && !declared.contains(w))
            .filter(|w| !["Array", "Record", "Partial"].contains(w))
            .collect();
        undeclared.sort();
        undeclared.dedup();
        assert!(undeclared.is_empty(), "bindings name types not declared in typescript_bindings(): {undeclared:?}");
        // serde_json sends 64-bit integers as JSON numbers, never as BigInt.
        assert!(!fresh.contains("bigint"), "an i64/u64 field needs #[ts(type = \"number\")]: JSON has no bigint");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/bindings.ts is stale: run `UPDATE_BINDINGS=1 cargo test -p quiesce-engine bindings` and commit it"
        );
    }
}
