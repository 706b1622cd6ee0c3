//! Every IPC command, in one place. Blocking work (state files, keyring) runs
//! on the blocking pool so the UI thread never waits on it.

use quiesce_engine::api::{AppEvent, AppInfo};
use quiesce_engine::backup::{self, BackupOptions, Preflight};
use quiesce_engine::catalog::{self, CatalogEntry};
use quiesce_engine::connect::{self, ConnectionReport};
use quiesce_engine::deployment::import::{self, ImportPreview};
use quiesce_engine::deployment::{Deployment, DeploymentInput};
use quiesce_engine::history::Operation;
use quiesce_engine::job::{JobEvent, Sink};
use quiesce_engine::migrate::job::{self as migrate, MigrateOptions, MigrationPlan, MigrationResult};
use quiesce_engine::pause::{self, window::PauseWindow, NodeState};
use quiesce_engine::plan::{self, PlanView};
use quiesce_engine::points::{self, Pick, PickAt, Timeline};
use quiesce_engine::profile::{self, Profile, ProfileInput};
use quiesce_engine::restore::{self, RestoreOptions, RestorePreflight, RestoreResult};
use quiesce_engine::runbook::{self, schema::SchemaAttachment, ticks::Ticks, Runbook};
use quiesce_engine::verify::{self, IntegrityReport, VerifyReport};
use quiesce_engine::{Error, FieldError, IpcError};

type Res<T> = Result<T, IpcError>;

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
        let (home, secrets) = (state.home.clone(), state.secrets.clone());
        blocking(move || Ok(quiesce_engine::app_info(&home, &secrets))).await
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
        let ds = state.deployments.clone();
        blocking(move || quiesce_engine::overview::build(&ds)).await
    }

    fn list_profiles(state) -> Vec<Profile> {
        let p = state.profiles.clone();
        blocking(move || p.list()).await
    }

    fn validate_profile(_state, input: ProfileInput) -> Vec<FieldError> {
        Ok(profile::validate(&input).err().unwrap_or_default())
    }

    fn save_profile(state, id: Option<String>, input: ProfileInput) -> Profile {
        let p = state.profiles.clone();
        blocking(move || match id {
            Some(id) => p.update(&id, &input),
            None => p.create(&input),
        })
        .await
    }

    fn delete_profile(state, id: String) -> () {
        let ds = state.deployments.clone();
        blocking(move || ds.remove_profile(&id).map(|_| ())).await
    }

    fn test_connection(state, input: ProfileInput, existing_id: Option<String>, job_id: String) -> ConnectionReport {
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

    fn cancel_job(state, job_id: String) -> bool {
        Ok({
            state.jobs.cancel(&job_id)
        })
    }

    fn list_deployments(state) -> Vec<Deployment> {
        let d = state.deployments.clone();
        blocking(move || d.list()).await
    }

    fn validate_deployment(state, input: DeploymentInput) -> Vec<FieldError> {
        let d = state.deployments.clone();
        blocking(move || d.validate(&input)).await
    }

    fn save_deployment(state, id: Option<String>, input: DeploymentInput) -> Deployment {
        let d = state.deployments.clone();
        blocking(move || match id {
            Some(id) => d.update(&id, &input),
            None => d.create(&input, None),
        })
        .await
    }

    fn delete_deployment(state, id: String) -> () {
        let d = state.deployments.clone();
        blocking(move || d.remove(&id).map(|_| ())).await
    }

    /// The preview carries no secret: passwords stay in the engine until import.
    fn preview_import(state, path: String) -> ImportPreview {
        let d = state.deployments.clone();
        blocking(move || import::preview(&d, std::path::Path::new(&path))).await
    }

    fn import_deployment(state, path: String, name: String, sha256: String) -> Deployment {
        let d = state.deployments.clone();
        blocking(move || import::import(&d, std::path::Path::new(&path), Some(&name), Some(&sha256))).await
    }

    fn attach_storages(state, deployment_id: String, path: String, sha256: String) -> Deployment {
        let d = state.deployments.clone();
        blocking(move || import::attach(&d, &deployment_id, std::path::Path::new(&path), Some(&sha256))).await
    }

    /// The plan with the last discovery kept on disk: cheap, no database is touched.
    fn get_plan(state, deployment_id: String) -> PlanView {
        let d = state.deployments.clone();
        blocking(move || plan::view(&d, &deployment_id)).await
    }

    /// Discovers the deployment's storages now (cancellable by job id), keeps it, plans on it.
    fn discover_deployment(state, deployment_id: String, job_id: String) -> PlanView {
        let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
        let r = plan::discover_and_view(&state.deployments, &deployment_id, guard.token()).await;
        if let Err(e) = &r {
            tracing::info!(code = %e.code, "discovery failed: {}", e.message);
        }
        r.map_err(|e| e.to_ipc())
    }

    fn backup_dry_run(state, deployment_id: String, options: BackupOptions, job_id: String) -> Preflight {
        let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
        backup::dry_run(&state.deployments, &deployment_id, &options, guard.token()).await.map_err(|e| e.to_ipc())
    }

    /// Runs a backup; progress, phases and the tool's log stream over `on_event`.
    /// Cancel with cancel_job(job_id). Returns the catalog entry of the backup.
    fn start_backup(state, deployment_id: String, options: BackupOptions, job_id: String; on_event: JobEvent) -> CatalogEntry {
        let ds = &state.deployments;
        job(&state, &job_id, Some(on_event), "backup", |sink, cancel| async move {
            let (dir, m) = backup::run(ds, &deployment_id, &options, sink, &cancel).await?;
            Ok(CatalogEntry::of(&dir, &m))
        })
        .await
    }

    /// The catalog: backups (complete and damaged), then leftovers Quiesce did not remove.
    fn list_backups(state) -> Vec<CatalogEntry> {
        let root = backup::catalog_root(&state.deployments);
        let home = state.home.clone();
        blocking(move || {
            let mut v = catalog::list(&root);
            v.extend(catalog::leftovers(&home, &catalog::known_roots(&home)));
            Ok(v)
        })
        .await
    }

    fn delete_backup(state, id: String) -> () {
        let root = backup::catalog_root(&state.deployments);
        blocking(move || catalog::delete(&root, &id).map(|_| ())).await
    }

    /// Opens the backup's folder in the desktop's file manager.
    fn open_backup_folder(state, id: String) -> () {
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
    fn restore_dry_run(state, backup: String, options: RestoreOptions, job_id: String) -> RestorePreflight {
        let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
        let root = backup::catalog_root(&state.deployments);
        restore::dry_run(&state.deployments, &root, &backup, &options, guard.token()).await.map_err(|e| e.to_ipc())
    }

    /// Runs a restore (progress, phases and the tools' log over `on_event`;
    /// cancel with cancel_job(job_id)) and returns its verification.
    fn start_restore(state, backup: String, options: RestoreOptions, job_id: String; on_event: JobEvent) -> RestoreResult {
        let root = backup::catalog_root(&state.deployments);
        let ds = &state.deployments;
        job(&state, &job_id, Some(on_event), "restore", |sink, cancel| async move {
            restore::run(ds, &root, &backup, &options, sink, &cancel).await
        })
        .await
    }

    /// Verifies a profile's live database, against a backup's manifest if given
    /// (one unit of it: `unit`, or the one the profile fits).
    fn verify_profile(state, profile_id: String, backup: Option<String>, unit: Option<String>, job_id: String) -> VerifyReport {
        let root = backup::catalog_root(&state.deployments);
        let ds = &state.deployments;
        job(&state, &job_id, None, "verification", |sink, cancel| async move {
            let m = match &backup {
                Some(b) => Some(catalog::find(&root, b)?.1),
                None => None,
            };
            let against = m.as_ref().map(|m| (m, unit.as_deref()));
            let v = verify::Verification::Profile { profile: &profile_id, against, deployment: None };
            verify::run(ds, v, sink, &cancel).await
        })
        .await
    }

    /// Each Scalar Admin node of a deployment and whether it is paused.
    fn nodes_state(state, deployment_id: String) -> Vec<NodeState> {
        let d = state.deployments.get(&deployment_id).map_err(|e| e.to_ipc())?;
        pause::nodes_state(&d).await.map_err(|e| e.to_ipc())
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
        let ds = &state.deployments;
        job(&state, &job_id, Some(on_event), "pause", |sink, cancel| async move {
            pause::hold(ds, &deployment_id, &opts, &sink, &cancel).await
        })
        .await
    }

    /// Unpauses every node of a deployment (a pause someone left behind).
    fn unpause_deployment(state, deployment_id: String) -> Vec<NodeState> {
        let d = state.deployments.get(&deployment_id).map_err(|e| e.to_ipc())?;
        pause::unpause_deployment(&state.home, &d).await.map_err(|e| e.to_ipc())
    }

    /// The operations history (pauses, unpauses, backups, restores, verifications), oldest first.
    fn list_history(state) -> Vec<Operation> {
        let home = state.home.clone();
        blocking(move || Ok(quiesce_engine::history::read(&home))).await
    }

    /// A backup's files against its manifest (and, for SQLite, the audit in place).
    fn verify_backup(state, backup: String, job_id: String) -> (IntegrityReport, Option<VerifyReport>) {
        let root = backup::catalog_root(&state.deployments);
        let home = &state.home;
        job(&state, &job_id, None, "verification", |sink, cancel| async move {
            verify::run_backup(home, &root, &backup, sink, &cancel).await
        })
        .await
    }

    /// The restore-point timeline of a deployment: lanes per storage (how each
    /// restores, the PITR range), every pause window and backup.
    fn get_timeline(state, deployment_id: String) -> Timeline {
        let ds = state.deployments.clone();
        blocking(move || {
            let d = ds.get(&deployment_id)?;
            let storages = ds.storage_profiles(&d)?;
            Ok(points::timeline(&d, &storages, &backup::catalog_root(&ds)))
        })
        .await
    }

    /// Picks a point (a window, a backup or a typed time), or refuses with the reason.
    fn pick_point(state, deployment_id: String, at: PickAt) -> Pick {
        let ds = state.deployments.clone();
        blocking(move || {
            let d = ds.get(&deployment_id)?;
            let storages = ds.storage_profiles(&d)?;
            points::pick(&points::timeline(&d, &storages, &backup::catalog_root(&ds)), &at)
        })
        .await
    }

    /// The restore runbook for a point, with the ticks kept for it.
    fn get_runbook(state, deployment_id: String, at: PickAt) -> (Runbook, Ticks) {
        let ds = state.deployments.clone();
        blocking(move || {
            let rb = runbook::for_point(&ds, &backup::catalog_root(&ds), &deployment_id, &at)?;
            let ticks = runbook::ticks::load(ds.profiles().home(), &rb.deployment_id, &rb.key)?;
            Ok((rb, ticks))
        })
        .await
    }

    /// Ticks or unticks a runbook step (kept across restarts).
    fn set_runbook_tick(state, deployment_id: String, key: String, step: String, done: bool) -> Ticks {
        let ds = state.deployments.clone();
        blocking(move || {
            let d = ds.get(&deployment_id)?;
            runbook::ticks::set(ds.profiles().home(), &d.id, &key, &step, done)
        })
        .await
    }

    /// A runbook as Markdown ("md") or a bash script ("sh"); written to `path`
    /// (a new file) when given. Returns the text.
    fn export_runbook(state, deployment_id: String, at: PickAt, format: String, path: Option<String>) -> String {
        let ds = state.deployments.clone();
        blocking(move || {
            let rb = runbook::for_point(&ds, &backup::catalog_root(&ds), &deployment_id, &at)?;
            let text = match format.as_str() {
                "md" => runbook::render::markdown(&rb),
                "sh" => runbook::render::shell(&rb),
                f => return Err(Error::invalid(format!("\"{f}\" is not a runbook format: md or sh."))),
            };
            if let Some(p) = path.filter(|p| !p.trim().is_empty()) {
                let p = std::path::PathBuf::from(p.trim());
                if !p.is_absolute() {
                    return Err(Error::invalid(format!("{} is not an absolute path; give the whole path of a new file.", p.display())));
                }
                runbook::write_new(&p, &text, format == "sh")?;
            }
            Ok(text)
        })
        .await
    }

    /// Attaches the ScalarDB schema file (the table list of DynamoDB, Cosmos DB, Cassandra).
    fn attach_schema(state, deployment_id: String, path: String) -> SchemaAttachment {
        let ds = state.deployments.clone();
        blocking(move || {
            let d = ds.get(&deployment_id)?;
            runbook::schema::attach(ds.profiles().home(), &d, std::path::Path::new(&path))
        })
        .await
    }

    /// The schema attached to a deployment, if any.
    fn get_schema(state, deployment_id: String) -> Option<SchemaAttachment> {
        let ds = state.deployments.clone();
        blocking(move || {
            let d = ds.get(&deployment_id)?;
            runbook::schema::load(ds.profiles().home(), &d)
        })
        .await
    }

    /// What a migration would do: the target layout per table, the checks
    /// (names, key sizes, collisions, empty targets), the new properties and
    /// what an earlier run left. Writes nothing and pauses nothing.
    fn migrate_dry_run(state, deployment_id: String, options: MigrateOptions, job_id: String) -> MigrationPlan {
        let guard = state.jobs.register(&job_id).map_err(|e| e.to_ipc())?;
        let sink: Sink = std::sync::Arc::new(|_| {});
        migrate::dry_run(&state.deployments, &deployment_id, &options, &sink, guard.token()).await.map_err(|e| e.to_ipc())
    }

    /// Runs a migration (phases and rows per table over `on_event`; cancel with
    /// cancel_job(job_id), which drops what it created) and returns its proof.
    fn start_migration(state, deployment_id: String, options: MigrateOptions, job_id: String; on_event: JobEvent) -> MigrationResult {
        let ds = &state.deployments;
        job(&state, &job_id, Some(on_event), "migration", |sink, cancel| async move {
            migrate::migrate(ds, &deployment_id, &options, &sink, &cancel).await
        })
        .await
    }

    /// Drops what an earlier, failed migration left on these profiles. Returns what it dropped.
    fn migrate_cleanup(state, profiles: Vec<String>) -> Vec<String> {
        migrate::cleanup(&state.deployments, &profiles).await.map_err(|e| e.to_ipc())
    }

    /// Writes a migration's new database.properties to `path` (absolute, a new file).
    fn save_properties(_state, path: String, text: String) -> () {
        blocking(move || {
            let p = std::path::PathBuf::from(path.trim());
            if !p.is_absolute() {
                return Err(Error::invalid(format!("{} is not an absolute path; give the whole path of a new file.", p.display())));
            }
            runbook::write_new(&p, &text, false)
        })
        .await
    }
}
