//! Every IPC command, in one place: each an adapter over one use case of
//! `quiesce_engine::usecases` (the CLI's commands are adapters over the same
//! functions). Blocking work (state files, keyring) runs on the blocking pool
//! so the UI thread never waits on it.

use quiesce_engine::api::{AppEvent, AppInfo};
use quiesce_engine::backup::{BackupOptions, Preflight};
use quiesce_engine::catalog::window::PauseWindow;
use quiesce_engine::catalog::CatalogEntry;
use quiesce_engine::connect::ConnectionReport;
use quiesce_engine::deployment::import::ImportPreview;
use quiesce_engine::deployment::{Deployment, DeploymentInput};
use quiesce_engine::history::Operation;
use quiesce_engine::job::{JobEvent, Sink};
use quiesce_engine::migrate::job::{MigrateOptions, MigrationPlan, MigrationResult};
use quiesce_engine::pause::{self, NodeState};
use quiesce_engine::plan::PlanView;
use quiesce_engine::points::columns::TimelineColumns;
use quiesce_engine::points::{Pick, PickAt};
use quiesce_engine::profile::{Profile, ProfileInput};
use quiesce_engine::restore::{RestoreOptions, RestorePreflight, RestoreResult};
use quiesce_engine::runbook::{schema::SchemaAttachment, ticks::Ticks, Runbook};
use quiesce_engine::usecases::{self as uc, points::RunbookFormat, Engine};
use quiesce_engine::verify::{IntegrityReport, VerifyReport};
use quiesce_engine::{Error, FieldError, IpcError};
use std::path::Path;

type Res<T> = Result<T, IpcError>;

/// Runs a use case on the blocking pool with a clone of the engine.
async fn blocking<T: Send + 'static>(
    state: &crate::AppState,
    f: impl FnOnce(&Engine) -> quiesce_engine::Result<T> + Send + 'static,
) -> Res<T> {
    let engine = state.engine.clone();
    tokio::task::spawn_blocking(move || f(&engine))
        .await
        .map_err(|e| Error::internal(format!("a background task failed: {e}")))
        .and_then(|r| r)
        .map_err(|e| {
            tracing::warn!(code = %e.code, "{}", e.message);
            e.to_ipc()
        })
}

/// A long job behind an IPC command: registered for cancel by id, its events
/// streamed to `on_event`, its failure logged and made an IPC error. (The
/// job runner records it and announces its end.)
async fn job<T, F: std::future::Future<Output = quiesce_engine::Result<T>>>(
    state: &crate::AppState,
    job_id: &str,
    on_event: Option<tauri::ipc::Channel<JobEvent>>,
    what: &str,
    body: impl FnOnce(Sink, tokio_util::sync::CancellationToken) -> F,
) -> Res<T> {
    let guard = state.jobs.register(job_id).map_err(|e| e.to_ipc())?;
    let sink: Sink = match on_event {
        Some(ch) => std::sync::Arc::new(move |e| {
            let _ = ch.send(e);
        }),
        None => std::sync::Arc::new(|_| {}),
    };
    body(sink, guard.token().clone()).await.map_err(|e| {
        tracing::warn!(code = %e.code, "{what} failed: {}", e.message);
        e.to_ipc()
    })
}

/// A short job: cancellable by id, its failure an IPC error.
async fn cancellable<T, F: std::future::Future<Output = quiesce_engine::Result<T>>>(
    state: &crate::AppState,
    job_id: &str,
    body: impl FnOnce(tokio_util::sync::CancellationToken) -> F,
) -> Res<T> {
    let guard = state.jobs.register(job_id).map_err(|e| e.to_ipc())?;
    body(guard.token().clone()).await.map_err(|e| e.to_ipc())
}

// Inside the macro rustfmt does not reach: keep its usual layout by hand.
crate::ipc::ipc! {
    /// Registers the window's channel for what the shell tells it (a close
    /// with jobs running, quitting).
    fn watch_app(state; on_event: AppEvent) -> () {
        *state.events.lock().unwrap() = Some(on_event);
        Ok(())
    }

    /// Quits after cancelling every job and waiting for its cleanup (bounded).
    fn quit(state) -> () {
        let app = state.handle.get().cloned().ok_or_else(|| Error::internal("the app is not started").to_ipc())?;
        crate::shutdown::quit(app);
        Ok(())
    }

    fn app_info(state) -> AppInfo {
        blocking(&state, |e| Ok(uc::app_info(e))).await
    }

    /// What the start-up step removed and flagged (waits for it to finish).
    fn startup_report(state) -> quiesce_engine::recovery::RecoveryReport {
        let mut rx = state.startup.clone();
        let r =
            rx.wait_for(|r| r.is_some()).await.map_err(|_| Error::internal("the start-up step did not finish").to_ipc())?;
        Ok(r.clone().unwrap_or_default())
    }

    /// The UI's first frame is on screen: logged with the time since the app's
    /// main() began; with QUIESCE_STARTUP_PROBE set (the benchmark's start-up
    /// case) printed as `first-paint-ms N`, and the app quits.
    fn first_paint(state) -> () {
        let ms = crate::STARTED.get().map(|t| t.elapsed().as_secs_f64() * 1000.0).unwrap_or(0.0);
        tracing::info!("first paint {ms:.0} ms after start");
        if std::env::var_os("QUIESCE_STARTUP_PROBE").is_some() {
            println!("first-paint-ms {ms:.0}");
            if let Some(app) = state.handle.get() {
                app.exit(0);
            }
        }
        Ok(())
    }

    /// The home screen: every deployment's method, last backup, last window,
    /// latest safe point and what needs attention (state files and catalog only).
    fn overview(state) -> quiesce_engine::overview::Overview {
        blocking(&state, uc::overview).await
    }

    fn list_profiles(state) -> Vec<Profile> {
        blocking(&state, uc::profiles::list).await
    }

    fn validate_profile(_state, input: ProfileInput) -> Vec<FieldError> {
        Ok(uc::profiles::validate(&input))
    }

    fn save_profile(state, id: Option<String>, input: ProfileInput) -> Profile {
        blocking(&state, move |e| uc::profiles::save(e, id.as_deref(), &input)).await
    }

    fn delete_profile(state, id: String) -> () {
        blocking(&state, move |e| uc::profiles::remove(e, &id).map(|_| ())).await
    }

    fn test_connection(state, input: ProfileInput, existing_id: Option<String>, job_id: String) -> ConnectionReport {
        let what = uc::profiles::Tested::Draft { input: &input, existing: existing_id.as_deref() };
        let engine = &state.engine;
        cancellable(&state, &job_id, |c| async move { uc::profiles::test(engine, what, &c).await.map(|(_, r)| r) }).await
    }

    fn cancel_job(state, job_id: String) -> bool {
        Ok({
            state.jobs.cancel(&job_id)
        })
    }

    fn list_deployments(state) -> Vec<Deployment> {
        blocking(&state, uc::deployments::list).await
    }

    fn validate_deployment(state, input: DeploymentInput) -> Vec<FieldError> {
        blocking(&state, move |e| uc::deployments::validate(e, &input)).await
    }

    fn save_deployment(state, id: Option<String>, input: DeploymentInput) -> Deployment {
        blocking(&state, move |e| uc::deployments::save(e, id.as_deref(), &input).map(|(s, _)| s.deployment)).await
    }

    fn delete_deployment(state, id: String) -> () {
        blocking(&state, move |e| uc::deployments::remove(e, &id).map(|_| ())).await
    }

    /// The preview carries no secret: passwords stay in the engine until import.
    fn preview_import(state, path: String) -> ImportPreview {
        blocking(&state, move |e| uc::deployments::preview_import(e, Path::new(&path), None)).await
    }

    fn import_deployment(state, path: String, name: String, sha256: String) -> Deployment {
        blocking(&state, move |e| {
            let into = uc::deployments::ImportInto::New { name: Some(&name) };
            uc::deployments::import(e, Path::new(&path), into, &sha256).map(|s| s.deployment)
        })
        .await
    }

    fn attach_storages(state, deployment_id: String, path: String, sha256: String) -> Deployment {
        blocking(&state, move |e| {
            let into = uc::deployments::ImportInto::AttachTo { deployment: &deployment_id };
            uc::deployments::import(e, Path::new(&path), into, &sha256).map(|s| s.deployment)
        })
        .await
    }

    /// The plan with the last discovery kept on disk: cheap, no database is touched.
    fn get_plan(state, deployment_id: String) -> PlanView {
        blocking(&state, move |e| uc::deployments::plan(e, &deployment_id)).await
    }

    /// Discovers the deployment's storages now (cancellable by job id), keeps it, plans on it.
    fn discover_deployment(state, deployment_id: String, job_id: String) -> PlanView {
        let engine = &state.engine;
        cancellable(&state, &job_id, |c| async move { uc::deployments::discover(engine, &deployment_id, &c).await }).await
    }

    fn backup_dry_run(state, deployment_id: String, options: BackupOptions, job_id: String) -> Preflight {
        let engine = &state.engine;
        cancellable(&state, &job_id, |c| async move { uc::backups::dry_run(engine, &deployment_id, &options, &c).await }).await
    }

    /// Runs a backup; progress, phases and the tool's log stream over `on_event`.
    /// Cancel with cancel_job(job_id). Returns the catalog entry of the backup.
    fn start_backup(state, deployment_id: String, options: BackupOptions, job_id: String; on_event: JobEvent) -> CatalogEntry {
        let engine = &state.engine;
        job(&state, &job_id, Some(on_event), "backup", |sink, cancel| async move {
            let (dir, m) = uc::backups::run(engine, &deployment_id, &options, sink, &cancel).await?;
            Ok(CatalogEntry::of(&dir, &m))
        })
        .await
    }

    /// The catalog: backups (complete and damaged) and pause windows, then
    /// leftovers Quiesce did not remove.
    fn list_backups(state) -> Vec<CatalogEntry> {
        blocking(&state, |e| {
            let l = uc::backups::list(e, None)?;
            Ok(l.entries.into_iter().chain(l.leftovers).collect())
        })
        .await
    }

    fn delete_backup(state, id: String) -> () {
        blocking(&state, move |e| uc::backups::remove(e, &id, None).map(|_| ())).await
    }

    /// Opens the backup's folder in the desktop's file manager.
    fn open_backup_folder(state, id: String) -> () {
        blocking(&state, move |e| uc::backups::open_folder(e, &id)).await
    }

    /// What a restore would do: the backup's integrity, the target's contents and
    /// sessions, the mode and what a failure leaves. Touches nothing.
    fn restore_dry_run(state, backup: String, options: RestoreOptions, job_id: String) -> RestorePreflight {
        let engine = &state.engine;
        cancellable(&state, &job_id, |c| async move { uc::restores::dry_run(engine, &backup, None, &options, &c).await }).await
    }

    /// Runs a restore (progress, phases and the tools' log over `on_event`;
    /// cancel with cancel_job(job_id)) and returns its verification.
    fn start_restore(state, backup: String, options: RestoreOptions, job_id: String; on_event: JobEvent) -> RestoreResult {
        let engine = &state.engine;
        job(&state, &job_id, Some(on_event), "restore", |sink, cancel| async move {
            uc::restores::run(engine, &backup, None, &options, sink, &cancel).await
        })
        .await
    }

    /// Verifies a profile's live database, against a backup's manifest if given
    /// (one unit of it: `unit`, or the one the profile fits).
    fn verify_profile(state, profile_id: String, backup: Option<String>, unit: Option<String>, job_id: String) -> VerifyReport {
        let engine = &state.engine;
        job(&state, &job_id, None, "verification", |sink, cancel| async move {
            let against = backup.as_deref().map(|b| (b, unit.as_deref()));
            uc::verify::profile(engine, &profile_id, against, None, sink, &cancel).await
        })
        .await
    }

    /// Each Scalar Admin node of a deployment and whether it is paused.
    fn nodes_state(state, deployment_id: String) -> Vec<NodeState> {
        uc::pauses::nodes(&state.engine, &deployment_id).await.map(|(_, n)| n).map_err(|e| e.to_ipc())
    }

    /// Pauses every node, holds at least `min_ms`, unpauses, and keeps the
    /// window (its restore point) in the catalog. Cancel ends the hold early
    /// (the nodes are unpaused, the window is marked).
    fn start_pause(state, deployment_id: String, min_ms: u32, max_wait_ms: u32, job_id: String; on_event: JobEvent) -> PauseWindow {
        let opts = pause::PauseOptions {
            min_hold: std::time::Duration::from_millis(min_ms as u64),
            max_wait: std::time::Duration::from_millis(max_wait_ms.max(1) as u64),
            ..Default::default()
        };
        let engine = &state.engine;
        job(&state, &job_id, Some(on_event), "pause", |sink, cancel| async move {
            uc::pauses::hold(engine, &deployment_id, &opts, &sink, &cancel).await
        })
        .await
    }

    /// Unpauses every node of a deployment (a pause someone left behind).
    fn unpause_deployment(state, deployment_id: String) -> Vec<NodeState> {
        uc::pauses::unpause(&state.engine, &deployment_id).await.map(|(_, n)| n).map_err(|e| e.to_ipc())
    }

    /// The operations history (pauses, unpauses, backups, restores, verifications), oldest first.
    fn list_history(state) -> Vec<Operation> {
        blocking(&state, |e| Ok(uc::history(e))).await
    }

    /// A backup's files against its manifest (and, for SQLite, the audit in place).
    fn verify_backup(state, backup: String, job_id: String) -> (IntegrityReport, Option<VerifyReport>) {
        let engine = &state.engine;
        job(&state, &job_id, None, "verification", |sink, cancel| async move {
            uc::verify::backup(engine, &backup, None, sink, &cancel).await
        })
        .await
    }

    /// The restore-point timeline of a deployment: lanes per storage (how each
    /// restores, the PITR range, the log archive), every pause window (as
    /// columns: ~10 000 of them in a month) and backup.
    fn get_timeline(state, deployment_id: String) -> TimelineColumns {
        blocking(&state, move |e| {
            uc::points::timeline(e, &deployment_id, None, &Default::default()).map(TimelineColumns::of)
        })
        .await
    }

    /// Picks a point (a window, a backup or a typed time), or refuses with the reason.
    fn pick_point(state, deployment_id: String, at: PickAt) -> Pick {
        blocking(&state, move |e| uc::points::pick(e, &deployment_id, &at)).await
    }

    /// The restore runbook for a point, with the ticks kept for it.
    fn get_runbook(state, deployment_id: String, at: PickAt) -> (Runbook, Ticks) {
        blocking(&state, move |e| uc::points::runbook_with_ticks(e, &deployment_id, &at)).await
    }

    /// Ticks or unticks a runbook step (kept across restarts).
    fn set_runbook_tick(state, deployment_id: String, key: String, step: String, done: bool) -> Ticks {
        blocking(&state, move |e| uc::points::set_tick(e, &deployment_id, &key, &step, done)).await
    }

    /// A runbook as Markdown, a bash script or JSON; written to `path` (the
    /// absolute path of a new file) when given. Returns the text.
    fn export_runbook(state, deployment_id: String, at: PickAt, format: RunbookFormat, path: Option<String>) -> String {
        blocking(&state, move |e| {
            let out = path.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(Path::new);
            let at = uc::points::At::Picked(&at);
            uc::points::export_runbook(e, &deployment_id, at, None, format, out).map(|x| x.text)
        })
        .await
    }

    /// Attaches the ScalarDB schema file (the table list of DynamoDB, Cosmos DB, Cassandra).
    fn attach_schema(state, deployment_id: String, path: String) -> SchemaAttachment {
        blocking(&state, move |e| uc::deployments::attach_schema(e, &deployment_id, Path::new(&path)).map(|(_, s)| s)).await
    }

    /// The schema attached to a deployment, if any.
    fn get_schema(state, deployment_id: String) -> Option<SchemaAttachment> {
        blocking(&state, move |e| uc::deployments::schema(e, &deployment_id)).await
    }

    /// What a migration would do: the target layout per table, the checks
    /// (names, key sizes, collisions, empty targets), the new properties and
    /// what an earlier run left. Writes nothing and pauses nothing.
    fn migrate_dry_run(state, deployment_id: String, options: MigrateOptions, job_id: String) -> MigrationPlan {
        let sink: Sink = std::sync::Arc::new(|_| {});
        let engine = &state.engine;
        cancellable(&state, &job_id, |c| async move { uc::migrations::dry_run(engine, &deployment_id, &options, &sink, &c).await }).await
    }

    /// Runs a migration (phases and rows per table over `on_event`; cancel with
    /// cancel_job(job_id), which drops what it created) and returns its proof.
    fn start_migration(state, deployment_id: String, options: MigrateOptions, job_id: String; on_event: JobEvent) -> MigrationResult {
        let engine = &state.engine;
        job(&state, &job_id, Some(on_event), "migration", |sink, cancel| async move {
            uc::migrations::run(engine, &deployment_id, &options, None, &sink, &cancel).await
        })
        .await
    }

    /// Drops what an earlier, failed migration left on these profiles. Returns what it dropped.
    fn migrate_cleanup(state, profiles: Vec<String>) -> Vec<String> {
        uc::migrations::cleanup(&state.engine, &profiles).await.map_err(|e| e.to_ipc())
    }

    /// Writes a migration's new database.properties to `path` (absolute, a new file).
    fn save_properties(state, path: String, text: String) -> () {
        blocking(&state, move |_| uc::migrations::save_properties(Path::new(path.trim()), &text)).await
    }
}
