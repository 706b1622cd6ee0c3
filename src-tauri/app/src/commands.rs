//! Every IPC command, in one place. Blocking work (state files, keyring) runs
//! on the blocking pool so the UI thread never waits on it.

use crate::AppState;
use quiesce_engine::api::AppInfo;
use quiesce_engine::backup::{self, BackupOptions, Preflight};
use quiesce_engine::catalog::{self, CatalogEntry};
use quiesce_engine::connect::{self, ConnectionReport};
use quiesce_engine::deployment::import::{self, ImportPreview};
use quiesce_engine::deployment::{Deployment, DeploymentInput};
use quiesce_engine::job::{JobEvent, Sink};
use quiesce_engine::plan::{self, PlanView};
use quiesce_engine::profile::{self, Profile, ProfileInput};
use quiesce_engine::restore::{self, RestoreOptions, RestorePreflight, RestoreResult};
use quiesce_engine::verify::{self, IntegrityReport, VerifyReport};
use quiesce_engine::{Error, FieldError, IpcError};
use tauri::ipc::Channel;
use tauri::State;

type Res<T> = Result<T, IpcError>;

pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        app_info,
        startup_report,
        list_profiles,
        validate_profile,
        save_profile,
        delete_profile,
        test_connection,
        cancel_job,
        list_deployments,
        validate_deployment,
        save_deployment,
        delete_deployment,
        preview_import,
        import_deployment,
        attach_storages,
        get_plan,
        discover_deployment,
        backup_dry_run,
        start_backup,
        list_backups,
        delete_backup,
        open_backup_folder,
        restore_dry_run,
        start_restore,
        verify_profile,
        verify_backup
    ]
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> quiesce_engine::Result<T> + Send + 'static) -> Res<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::internal(format!("a background task failed: {e}")))
        .and_then(|r| r)
        .map_err(|e| {
            tracing::warn!(code = %e.code, "{}", e.message);
            e.to_ipc()
        })
}

#[tauri::command(rename_all = "snake_case")]
async fn app_info(state: State<'_, AppState>) -> Res<AppInfo> {
    let (home, secrets) = (state.home.clone(), state.secrets.clone());
    blocking(move || Ok(quiesce_engine::app_info(&home, &secrets))).await
}

/// What the start-up step removed and flagged (waits for it to finish).
#[tauri::command(rename_all = "snake_case")]
async fn startup_report(state: State<'_, AppState>) -> Res<quiesce_engine::job::recovery::RecoveryReport> {
    let mut rx = state.startup.clone();
    let r =
        rx.wait_for(|r| r.is_some()).await.map_err(|_| Error::internal("the start-up step did not finish").to_ipc())?;
    Ok(r.clone().unwrap_or_default())
}

#[tauri::command(rename_all = "snake_case")]
async fn list_profiles(state: State<'_, AppState>) -> Res<Vec<Profile>> {
    let p = state.profiles.clone();
    blocking(move || p.list()).await
}

#[tauri::command(rename_all = "snake_case")]
fn validate_profile(input: ProfileInput) -> Vec<FieldError> {
    profile::validate(&input).err().unwrap_or_default()
}

#[tauri::command(rename_all = "snake_case")]
async fn save_profile(state: State<'_, AppState>, id: Option<String>, input: ProfileInput) -> Res<Profile> {
    let p = state.profiles.clone();
    blocking(move || match id {
        Some(id) => p.update(&id, &input),
        None => p.create(&input),
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
async fn delete_profile(state: State<'_, AppState>, id: String) -> Res<()> {
    let p = state.profiles.clone();
    blocking(move || p.remove(&id).map(|_| ())).await
}

#[tauri::command(rename_all = "snake_case")]
async fn test_connection(
    state: State<'_, AppState>,
    input: ProfileInput,
    existing_id: Option<String>,
    job_id: String,
) -> Res<ConnectionReport> {
    let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
    let p = state.profiles.clone();
    let (profile, password) = blocking(move || p.for_test(&input, existing_id.as_deref())).await?;
    let r = connect::test_connection(&profile, password.as_ref(), guard.token()).await;
    match &r {
        Ok(rep) => tracing::info!(target = %profile.target(), version = %rep.server_version, "connection test passed"),
        Err(e) => tracing::info!(target = %profile.target(), code = %e.code, "connection test failed"),
    }
    r.map_err(|e| e.to_ipc())
}

#[tauri::command(rename_all = "snake_case")]
fn cancel_job(state: State<'_, AppState>, job_id: String) -> bool {
    state.jobs.cancel(&job_id)
}

#[tauri::command(rename_all = "snake_case")]
async fn list_deployments(state: State<'_, AppState>) -> Res<Vec<Deployment>> {
    let d = state.deployments.clone();
    blocking(move || d.list()).await
}

#[tauri::command(rename_all = "snake_case")]
async fn validate_deployment(state: State<'_, AppState>, input: DeploymentInput) -> Res<Vec<FieldError>> {
    let d = state.deployments.clone();
    blocking(move || d.validate(&input)).await
}

#[tauri::command(rename_all = "snake_case")]
async fn save_deployment(state: State<'_, AppState>, id: Option<String>, input: DeploymentInput) -> Res<Deployment> {
    let d = state.deployments.clone();
    blocking(move || match id {
        Some(id) => d.update(&id, &input),
        None => d.create(&input, None),
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
async fn delete_deployment(state: State<'_, AppState>, id: String) -> Res<()> {
    let d = state.deployments.clone();
    blocking(move || d.remove(&id).map(|_| ())).await
}

/// The preview carries no secret: passwords stay in the engine until import.
#[tauri::command(rename_all = "snake_case")]
async fn preview_import(state: State<'_, AppState>, path: String) -> Res<ImportPreview> {
    let d = state.deployments.clone();
    blocking(move || import::preview(&d, std::path::Path::new(&path))).await
}

#[tauri::command(rename_all = "snake_case")]
async fn import_deployment(state: State<'_, AppState>, path: String, name: String, sha256: String) -> Res<Deployment> {
    let d = state.deployments.clone();
    blocking(move || import::import(&d, std::path::Path::new(&path), Some(&name), Some(&sha256))).await
}

#[tauri::command(rename_all = "snake_case")]
async fn attach_storages(
    state: State<'_, AppState>,
    deployment_id: String,
    path: String,
    sha256: String,
) -> Res<Deployment> {
    let d = state.deployments.clone();
    blocking(move || import::attach(&d, &deployment_id, std::path::Path::new(&path), Some(&sha256))).await
}

/// The plan with the last discovery kept on disk: cheap, no database is touched.
#[tauri::command(rename_all = "snake_case")]
async fn get_plan(state: State<'_, AppState>, deployment_id: String) -> Res<PlanView> {
    let d = state.deployments.clone();
    blocking(move || plan::view(&d, &deployment_id)).await
}

/// Discovers the deployment's storages now (cancellable by job id), keeps it, plans on it.
#[tauri::command(rename_all = "snake_case")]
async fn discover_deployment(state: State<'_, AppState>, deployment_id: String, job_id: String) -> Res<PlanView> {
    let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
    let r = plan::discover_and_view(&state.deployments, &deployment_id, guard.token()).await;
    if let Err(e) = &r {
        tracing::info!(code = %e.code, "discovery failed: {}", e.message);
    }
    r.map_err(|e| e.to_ipc())
}

#[tauri::command(rename_all = "snake_case")]
async fn backup_dry_run(
    state: State<'_, AppState>,
    deployment_id: String,
    options: BackupOptions,
    job_id: String,
) -> Res<Preflight> {
    let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
    backup::dry_run(&state.deployments, &deployment_id, &options, guard.token()).await.map_err(|e| e.to_ipc())
}

/// Runs a backup; progress, phases and the tool's log stream over `on_event`.
/// Cancel with cancel_job(job_id). Returns the catalog entry of the backup.
#[tauri::command(rename_all = "snake_case")]
async fn start_backup(
    state: State<'_, AppState>,
    deployment_id: String,
    options: BackupOptions,
    job_id: String,
    on_event: Channel<JobEvent>,
) -> Res<CatalogEntry> {
    let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
    let sink: Sink = std::sync::Arc::new(move |e| {
        let _ = on_event.send(e);
    });
    let r = backup::run(&state.deployments, &deployment_id, &options, sink, guard.token()).await;
    match r {
        Ok((dir, m)) => {
            tracing::info!(id = %m.id, "backup finished");
            Ok(CatalogEntry::of(&dir, &m))
        }
        Err(e) => {
            tracing::warn!(code = %e.code, "backup failed: {}", e.message);
            Err(e.to_ipc())
        }
    }
}

/// The catalog: backups (complete and damaged), then leftovers Quiesce did not remove.
#[tauri::command(rename_all = "snake_case")]
async fn list_backups(state: State<'_, AppState>) -> Res<Vec<CatalogEntry>> {
    let root = backup::catalog_root(&state.deployments);
    let home = state.home.clone();
    blocking(move || {
        let mut v = catalog::list(&root);
        v.extend(catalog::leftovers(&home, &catalog::known_roots(&home)));
        Ok(v)
    })
    .await
}

#[tauri::command(rename_all = "snake_case")]
async fn delete_backup(state: State<'_, AppState>, id: String) -> Res<()> {
    let root = backup::catalog_root(&state.deployments);
    blocking(move || catalog::delete(&root, &id).map(|_| ())).await
}

/// Opens the backup's folder in the desktop's file manager.
#[tauri::command(rename_all = "snake_case")]
async fn open_backup_folder(state: State<'_, AppState>, id: String) -> Res<()> {
    let root = backup::catalog_root(&state.deployments);
    blocking(move || {
        let (dir, _) = catalog::find(&root, &id)?;
        let cmd = quiesce_engine::tools::CommandLine::new("xdg-open").operand(dir.display().to_string());
        quiesce_engine::tools::spawn_detached(&cmd).map_err(|e| {
            quiesce_engine::Error::new(
                quiesce_engine::ErrorCode::Unsupported,
                format!("Could not open a file manager ({}). The folder is {}.", e.message, dir.display()),
            )
        })
    })
    .await
}

/// What a restore would do: the backup's integrity, the target's contents and
/// sessions, the mode and what a failure leaves. Touches nothing.
#[tauri::command(rename_all = "snake_case")]
async fn restore_dry_run(
    state: State<'_, AppState>,
    backup: String,
    options: RestoreOptions,
    job_id: String,
) -> Res<RestorePreflight> {
    let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
    let root = backup::catalog_root(&state.deployments);
    restore::dry_run(&state.deployments, &root, &backup, &options, guard.token()).await.map_err(|e| e.to_ipc())
}

/// Runs a restore (progress, phases and the tools' log over `on_event`;
/// cancel with cancel_job(job_id)) and returns its verification.
#[tauri::command(rename_all = "snake_case")]
async fn start_restore(
    state: State<'_, AppState>,
    backup: String,
    options: RestoreOptions,
    job_id: String,
    on_event: Channel<JobEvent>,
) -> Res<RestoreResult> {
    let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
    let sink: Sink = std::sync::Arc::new(move |e| {
        let _ = on_event.send(e);
    });
    let root = backup::catalog_root(&state.deployments);
    restore::run(&state.deployments, &root, &backup, &options, sink, guard.token()).await.map_err(|e| {
        tracing::warn!(code = %e.code, "restore failed: {}", e.message);
        e.to_ipc()
    })
}

/// Verifies a profile's live database, against a backup's manifest if given
/// (one unit of it: `unit`, or the one the profile fits).
#[tauri::command(rename_all = "snake_case")]
async fn verify_profile(
    state: State<'_, AppState>,
    profile_id: String,
    backup: Option<String>,
    unit: Option<String>,
    job_id: String,
) -> Res<VerifyReport> {
    let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
    let root = backup::catalog_root(&state.deployments);
    let m = match backup {
        Some(b) => Some(restore::find_backup(&root, &b).map_err(|e| e.to_ipc())?.1),
        None => None,
    };
    let against = m.as_ref().map(|m| (m, unit.as_deref()));
    verify::verify_profile(&state.deployments, &profile_id, against, None, guard.token()).await.map_err(|e| e.to_ipc())
}

/// A backup's files against its manifest (and, for SQLite, the audit in place).
#[tauri::command(rename_all = "snake_case")]
async fn verify_backup(
    state: State<'_, AppState>,
    backup: String,
    job_id: String,
) -> Res<(IntegrityReport, Option<VerifyReport>)> {
    let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
    let root = backup::catalog_root(&state.deployments);
    verify::verify_backup(&root, &backup, guard.token()).await.map_err(|e| e.to_ipc())
}
