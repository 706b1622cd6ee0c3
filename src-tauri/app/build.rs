// Quiesce's commands are declared to Tauri's ACL, so each must be granted
// to a window by a capability (capabilities/default.json) to be callable:
// nothing the webview reaches is allowed by default.
fn main() {
    const COMMANDS: &[&str] = &[
        "watch_app",
        "quit",
        "app_info",
        "startup_report",
        "list_profiles",
        "validate_profile",
        "save_profile",
        "delete_profile",
        "test_connection",
        "cancel_job",
        "list_deployments",
        "validate_deployment",
        "save_deployment",
        "delete_deployment",
        "preview_import",
        "import_deployment",
        "attach_storages",
        "get_plan",
        "discover_deployment",
        "backup_dry_run",
        "start_backup",
        "list_backups",
        "delete_backup",
        "open_backup_folder",
        "restore_dry_run",
        "start_restore",
        "verify_profile",
        "verify_backup",
        "nodes_state",
        "start_pause",
        "unpause_deployment",
        "list_history",
        "get_timeline",
        "pick_point",
        "get_runbook",
        "set_runbook_tick",
        "export_runbook",
        "attach_schema",
        "get_schema",
        "migrate_dry_run",
        "start_migration",
        "migrate_cleanup",
        "save_properties",
    ];
    tauri_build::try_build(
        tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build");
}
