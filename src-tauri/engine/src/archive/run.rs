//! The archiver itself: checks, slots, then one supervised `pg_receivewal`
//! per database until it is told to stop.

use super::{databases, index::Index, partial_of, pg, take_lock, Db, Heartbeat, Receiver, HEARTBEAT, HEARTBEAT_EVERY};
use crate::deployment::Deployments;
use crate::error::{Error, Result};
use crate::job::Journal;
use crate::tools::creds;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// The longest wait between two starts of a receiver that keeps failing.
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// A receiver that streamed this long before it ended starts again at once.
const HEALTHY_AFTER: Duration = Duration::from_secs(60);

/// Runs the archiver of a deployment until `stop` (SIGTERM, SIGINT): every
/// check and every slot before the first receiver starts; then the
/// receivers, the index and the heartbeat. `say` gets one line per event
/// (the CLI prints them; `archive start` sends them to its log).
pub async fn run(
    ds: &Deployments,
    deployment: &str,
    say: &(dyn Fn(String) + Sync),
    stop: &CancellationToken,
) -> Result<()> {
    let d = ds.get(deployment)?;
    let dbs = databases(ds, &d)?;
    let _lock = take_lock(ds, &d)?;
    let tool = crate::discovery::tools::find_all(&dbs[0].profile, "pg_receivewal")
        .first()
        .map(|t| t.path.display().to_string())
        .ok_or_else(|| {
            Error::new(
                crate::ErrorCode::FileNotFound,
                "pg_receivewal was not found: install the PostgreSQL client package of the server's major version (postgresql-client-NN), or set the profile's client tools directory.",
            )
        })?;
    // Checks and slots: all of them before anything streams.
    check(ds, &dbs).await?;
    let mut passwords = Vec::new();
    for db in &dbs {
        let pw = ds.secret_of(&db.profile).await?;
        let mut c = pg::connect(&db.profile, pw.as_ref()).await.map_err(|e| named(db, e))?;
        let created = pg::create_slot(&mut c, &db.slot).await;
        c.close().await;
        if created.map_err(|e| named(db, e))? {
            say(format!("{}: created the replication slot {} (it keeps WAL on the server until the archive has it; `quiesce archive drop-slot` removes it)", db.profile.name, db.slot));
        }
        crate::paths::create_private_dir(&db.dir)?;
        passwords.push(pw);
    }
    let journal = Journal::begin(ds.home(), "archive", format!("archive of deployment {}", d.name))?;
    let base = super::archive_dir(ds, &d);
    let state: Arc<Mutex<Vec<Receiver>>> = Arc::new(Mutex::new(
        dbs.iter()
            .map(|db| Receiver {
                storages: db.storages.clone(),
                profile: db.profile.name.clone(),
                dir: db.dir.strip_prefix(&base).unwrap_or(&db.dir).display().to_string(),
                slot: db.slot.clone(),
                state: "streaming".into(),
                restarts: 0,
                last_error: None,
                last_segment: None,
                partial: None,
                segments: 0,
            })
            .collect(),
    ));
    let mut beat = Heartbeat {
        schema_version: 1,
        deployment: d.name.clone(),
        pid: std::process::id(),
        host: crate::paths::host_name(),
        started_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
        receivers: vec![],
        ended: None,
    };
    let mut receivers = Vec::new();
    for (i, (db, pw)) in dbs.iter().zip(&passwords).enumerate() {
        let p = &db.profile;
        let to = creds::PgTarget {
            host: p.host.as_deref(),
            port: p.port.unwrap_or(5432),
            user: p.user.as_deref().unwrap_or(""),
        };
        let db_name = p.database.clone().unwrap_or_default();
        let pass = journal.cred_file(
            "pgpass",
            &creds::pgpass(
                &to,
                &[db_name.as_str(), "replication"],
                pw.as_ref().map(|s| s.expose().as_str()).unwrap_or(""),
            ),
        )?;
        let cmd = pg::receivewal(p, &tool, &db.dir.display().to_string(), &db.slot, &pass.path_str());
        say(format!("{}: {}", p.name, cmd.render()));
        receivers.push(supervise(i, cmd, pass, state.clone(), say, stop.clone()));
    }
    let indexing = async {
        let mut indexes: Vec<Index> = dbs.iter().map(|db| Index::read(&db.dir).unwrap_or_default()).collect();
        loop {
            write_beat(&dbs, &mut indexes, &state, &mut beat, &base, say);
            tokio::select! {
                _ = tokio::time::sleep(HEARTBEAT_EVERY) => {}
                _ = stop.cancelled() => break,
            }
        }
        indexes
    };
    let (mut indexes, _) = tokio::join!(indexing, futures_util::future::join_all(receivers));
    // Stopped: what the receivers completed last is indexed too.
    for r in state.lock().unwrap().iter_mut() {
        r.state = "stopped".into();
    }
    beat.ended = Some("stopped".into());
    write_beat(&dbs, &mut indexes, &state, &mut beat, &base, say);
    drop(journal);
    say("stopped".into());
    Ok(())
}

/// What every server must allow, checked for all of them before anything
/// is created on any.
pub(crate) async fn check(ds: &Deployments, dbs: &[Db]) -> Result<()> {
    for db in dbs {
        let pw = ds.secret_of(&db.profile).await?;
        let mut c = pg::connect(&db.profile, pw.as_ref()).await.map_err(|e| named(db, e))?;
        let checked = pg::prerequisites(&mut c, &db.slot).await;
        c.close().await;
        checked.map_err(|e| named(db, e))?;
    }
    Ok(())
}

/// An error of one database, named by its profile and storages.
fn named(db: &Db, e: Error) -> Error {
    Error::new(e.code, format!("{} ({}): {}", db.profile.name, db.storages.join(", "), e.message))
}

/// Indexes what each receiver completed and writes the heartbeat.
fn write_beat(
    dbs: &[Db],
    indexes: &mut [Index],
    state: &Mutex<Vec<Receiver>>,
    beat: &mut Heartbeat,
    base: &std::path::Path,
    say: &(dyn Fn(String) + Sync),
) {
    for (i, (db, idx)) in dbs.iter().zip(indexes.iter_mut()).enumerate() {
        match idx.update(&db.dir) {
            Ok(0) => {}
            Ok(n) => tracing::debug!("{}: indexed {n} segment(s)", db.profile.name),
            Err(e) => say(format!("{}: could not index the archive: {}", db.profile.name, e.message)),
        }
        let mut s = state.lock().unwrap();
        s[i].segments = idx.segments().count() as u64;
        s[i].last_segment = idx.segments().last().map(|f| f.name.clone());
        s[i].partial = partial_of(&db.dir);
    }
    beat.receivers = state.lock().unwrap().clone();
    beat.updated_at = chrono::Utc::now();
    if let Err(e) = crate::store::write_json(&base.join(HEARTBEAT), beat) {
        say(format!("could not write the heartbeat: {}", e.message));
    }
}

/// Runs one receiver until `stop`, starting it again after it ends: at once
/// if it had streamed a while, else after a backoff doubling to 30 s. Each
/// end is said with the tool's last words.
async fn supervise(
    i: usize,
    cmd: crate::tools::CommandLine,
    _pass: creds::CredFile,
    state: Arc<Mutex<Vec<Receiver>>>,
    say: &(dyn Fn(String) + Sync),
    stop: CancellationToken,
) {
    use tokio::io::AsyncBufReadExt;
    let mut backoff = Duration::from_secs(1);
    let name = state.lock().unwrap()[i].profile.clone();
    while !stop.is_cancelled() {
        let began = Instant::now();
        let mut c = cmd.command();
        c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
        // An archiver killed outright (kill -9) takes its receivers with it:
        // one left streaming would hold the slot against the next archiver.
        unsafe {
            c.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
        let why = match c.spawn() {
            Err(e) => format!("could not start {}: {e}", cmd.program),
            Ok(mut child) => {
                state.lock().unwrap()[i].state = "streaming".into();
                let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("piped")).lines();
                let mut last: std::collections::VecDeque<String> = Default::default();
                let ended = loop {
                    tokio::select! {
                        l = lines.next_line() => match l {
                            Ok(Some(l)) => {
                                tracing::info!("{name}: {l}");
                                if last.len() == 4 { last.pop_front(); }
                                last.push_back(l);
                            }
                            _ => break None,
                        },
                        _ = stop.cancelled() => break Some(()),
                    }
                };
                if ended.is_some() {
                    crate::tools::kill_group(&mut child).await;
                    break;
                }
                let status = tokio::select! {
                    s = child.wait() => s.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
                    _ = stop.cancelled() => { crate::tools::kill_group(&mut child).await; break; }
                };
                let words: Vec<String> = last
                    .into_iter()
                    .filter(|l| l.contains("error") || l.contains("FATAL") || l.contains("could not"))
                    .collect();
                format!(
                    "pg_receivewal ended ({status}){}",
                    if words.is_empty() { String::new() } else { format!(": {}", words.join(" / ")) }
                )
            }
        };
        if began.elapsed() > HEALTHY_AFTER {
            backoff = Duration::from_secs(1);
        }
        {
            let mut s = state.lock().unwrap();
            s[i].state = "restarting".into();
            s[i].restarts += 1;
            s[i].last_error = Some(why.clone());
        }
        say(format!("{name}: {why}; starting it again in {} s", backoff.as_secs()));
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.cancelled() => break,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}
