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
    let _lock = lock_retrying(ds, &d).await?;
    // Refused before anything is created: no folder, no heartbeat, no slot.
    let tools: Vec<String> = dbs.iter().map(receiver_tool).collect::<Result<_>>()?;
    // A damaged index refuses the start (its message says what to do): the
    // archiver must not rebuild it and forget what was lost.
    let indexes: Vec<Index> = dbs.iter().map(|db| Index::read(&db.dir)).collect::<Result<_>>()?;
    check(ds, &dbs).await?;
    if stop.is_cancelled() {
        return Err(Error::cancelled_job());
    }
    let base = super::archive_dir(ds, &d);
    crate::paths::create_private_dir(&base)?;
    // From here the heartbeat names this process.
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
    crate::store::write_json(&base.join(HEARTBEAT), &beat)?;
    let r = run_locked(ds, &d, &dbs, (tools, indexes), (&mut beat, &base), say, stop).await;
    if let Err(e) = &r {
        beat.ended = Some(format!("failed: {}", e.message));
        beat.updated_at = chrono::Utc::now();
        let _ = crate::store::write_json(&base.join(HEARTBEAT), &beat);
    }
    r
}

/// The lock, tried for a moment: `status` and `stop` take it for an instant
/// to learn whether an archiver runs.
async fn lock_retrying(ds: &Deployments, d: &crate::deployment::Deployment) -> Result<std::fs::File> {
    let mut tries = 0;
    loop {
        match take_lock(ds, d) {
            Err(e) if e.code == crate::ErrorCode::Busy && tries < 10 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            r => return r,
        }
    }
}

async fn run_locked(
    ds: &Deployments,
    d: &crate::deployment::Deployment,
    dbs: &[Db],
    (tools, mut indexes): (Vec<String>, Vec<Index>),
    (beat, base): (&mut Heartbeat, &std::path::Path),
    say: &(dyn Fn(String) + Sync),
    stop: &CancellationToken,
) -> Result<()> {
    let mut passwords = Vec::new();
    for db in dbs {
        if stop.is_cancelled() {
            return Err(Error::cancelled_job());
        }
        let pw = ds.secret_of(&db.profile).await?;
        let created = if db.is_pg() {
            let mut c = pg::connect(&db.profile, pw.as_ref()).await.map_err(|e| named(db, e))?;
            let created = pg::create_slot(&mut c, &db.slot).await;
            c.close().await;
            created
        } else {
            Ok(false)
        };
        if created.map_err(|e| named(db, e))? {
            say(format!("{}: created the replication slot {} (it keeps WAL on the server until the archive has it; `quiesce archive drop-slot` removes it)", db.profile.name, db.slot));
        }
        crate::paths::create_private_dir(&db.dir)?;
        // Its own even when it already existed (a mount point, say).
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&db.dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| Error::io("make private", &db.dir, e))?;
        }
        passwords.push(pw);
    }
    let journal = Journal::begin(ds.home(), "archive", format!("archive of deployment {}", d.name))?;
    let state: Arc<Mutex<Vec<Receiver>>> = Arc::new(Mutex::new(
        dbs.iter()
            .map(|db| Receiver {
                storages: db.storages.clone(),
                profile: db.profile.name.clone(),
                dir: db.dir.strip_prefix(base).unwrap_or(&db.dir).display().to_string(),
                slot: db.slot.clone(),
                state: "starting".into(),
                restarts: 0,
                last_error: None,
                last_error_at: None,
                last_segment: None,
                partial: None,
                segments: 0,
            })
            .collect(),
    ));
    let mut receivers = Vec::new();
    for (i, ((db, pw), tool)) in dbs.iter().zip(&passwords).zip(&tools).enumerate() {
        let p = &db.profile;
        let secret = pw.as_ref().map(|s| s.expose().as_str()).unwrap_or("");
        let dir = db.dir.display().to_string();
        let make: Make = if db.is_pg() {
            let to = creds::PgTarget {
                host: p.host.as_deref(),
                port: p.port.unwrap_or(5432),
                user: p.user.as_deref().unwrap_or(""),
            };
            let db_name = p.database.clone().unwrap_or_default();
            let shown = pg::receivewal(p, tool, &dir, &db.slot, "<0600 pass file>");
            say(format!("{}: {}", p.name, shown.render()));
            let (p, tool, slot) = (p.clone(), tool.clone(), db.slot.clone());
            Make {
                pass: ("pgpass", crate::Sensitive::new(creds::pgpass(&to, &[db_name.as_str(), "replication"], secret))),
                build: Box::new(move |pass: String| {
                    let cmd = pg::receivewal(&p, &tool, &dir, &slot, &pass);
                    Box::pin(async move { Ok(cmd) })
                }),
            }
        } else {
            let (p, tool, pw, id, folder) = (p.clone(), tool.clone(), pw.clone(), db.server_id, db.dir.clone());
            Make {
                pass: ("my.cnf", crate::Sensitive::new(creds::my_cnf(secret, &["client"]))),
                build: Box::new(move |pass: String| {
                    let (p, tool, pw, dir, folder) = (p.clone(), tool.clone(), pw.clone(), dir.clone(), folder.clone());
                    Box::pin(async move {
                        let mut c = crate::live::LiveConn::open(&p, pw.as_ref(), false).await?;
                        let files = super::my::server_files(&mut c).await;
                        c.close().await;
                        let (server, current) = files?;
                        let here = super::index::open_binlog(&folder);
                        // The file it was writing, purged before it had all of
                        // it: set aside (never indexed as whole), so the index
                        // shows it in the gap.
                        if let Some(h) = here.as_ref().filter(|h| !server.contains(h)) {
                            let _ = std::fs::rename(folder.join(h), folder.join(format!("{h}.incomplete")));
                        }
                        let file =
                            super::my::start_file(here.as_deref(), &server, current.as_deref()).ok_or_else(|| {
                                Error::new(crate::ErrorCode::DatabaseError, "the server lists no binary log file")
                            })?;
                        Ok(super::my::binlog_reader(&p, &tool, &dir, &file, id, &pass))
                    })
                }),
            }
        };
        receivers.push(supervise(i, make, &journal, db.dir.clone(), state.clone(), say, stop.clone()));
    }
    let indexing = async {
        loop {
            write_beat(dbs, &mut indexes, &state, beat, base, say).await;
            tokio::select! {
                _ = tokio::time::sleep(HEARTBEAT_EVERY) => {}
                _ = stop.cancelled() => break,
            }
        }
    };
    tokio::join!(indexing, futures_util::future::join_all(receivers));
    // Stopped: what the receivers completed last is indexed too.
    for r in state.lock().unwrap().iter_mut() {
        r.state = "stopped".into();
    }
    beat.ended = Some("stopped".into());
    write_beat(dbs, &mut indexes, &state, beat, base, say).await;
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
        let checked =
            if db.is_pg() { pg::prerequisites(&mut c, &db.slot).await } else { super::my::prerequisites(&mut c).await };
        c.close().await;
        checked.map_err(|e| named(db, e))?;
    }
    Ok(())
}

/// An error of one database, named by its profile and storages.
fn named(db: &Db, e: Error) -> Error {
    Error::new(e.code, format!("{} ({}): {}", db.profile.name, db.storages.join(", "), e.message))
}

/// Indexes what each receiver completed (hashing on the blocking pool, so the
/// receivers and a stop are never held up by it) and writes the heartbeat.
async fn write_beat(
    dbs: &[Db],
    indexes: &mut [Index],
    state: &Mutex<Vec<Receiver>>,
    beat: &mut Heartbeat,
    base: &std::path::Path,
    say: &(dyn Fn(String) + Sync),
) {
    // Said first: hashing a backlog must not make the archiver look frozen.
    beat.receivers = state.lock().unwrap().clone();
    beat.updated_at = chrono::Utc::now();
    if let Err(e) = crate::store::write_json(&base.join(HEARTBEAT), beat) {
        say(format!("could not write the heartbeat: {}", e.message));
    }
    for (i, (db, idx)) in dbs.iter().zip(indexes.iter_mut()).enumerate() {
        // A copy goes to the blocking pool: if it panics, what was indexed stays.
        let (dir, mut mine) = (db.dir.clone(), idx.clone());
        let (back, r) = match tokio::task::spawn_blocking(move || {
            let r = mine.update(&dir);
            (mine, r)
        })
        .await
        {
            Ok(x) => x,
            Err(e) => {
                say(format!("{}: indexing stopped: {e}", db.profile.name));
                return;
            }
        };
        *idx = back;
        match r {
            Ok(0) => {}
            Ok(n) => tracing::debug!("{}: indexed {n} segment(s)", db.profile.name),
            Err(e) => say(format!("{}: could not index the archive: {}", db.profile.name, e.message)),
        }
        let mut s = state.lock().unwrap();
        s[i].segments = idx.logs().count() as u64;
        s[i].last_segment = idx.logs().last().map(|f| f.name.clone());
        s[i].partial = if db.is_pg() { partial_of(&db.dir) } else { super::index::open_binlog(&db.dir) };
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
    make: Make,
    journal: &Journal,
    dir: std::path::PathBuf,
    state: Arc<Mutex<Vec<Receiver>>>,
    say: &(dyn Fn(String) + Sync),
    stop: CancellationToken,
) {
    let mut backoff = Duration::from_secs(1);
    let name = state.lock().unwrap()[i].profile.clone();
    while !stop.is_cancelled() {
        let segment = Index::read(&dir).map(|x| x.segment_bytes()).unwrap_or(16 * 1024 * 1024);
        if let Some(said) = remove_torn_partial(&dir, segment) {
            say(format!("{name}: {said}"));
        }
        let began = Instant::now();
        let Some(why) = once(i, &make, journal, &state, &name, &stop).await else { break };
        let why = match free_bytes(&dir) {
            Some(free) if free < segment => format!(
                "{why}; the archive's disk is full ({} free, a segment needs {}): free space there, or move the catalog",
                crate::size::human(free),
                crate::size::human(segment)
            ),
            _ => why,
        };
        if began.elapsed() > HEALTHY_AFTER {
            backoff = Duration::from_secs(1);
        }
        // At once, not at the next start: a full disk must not also stop the heartbeat.
        if let Some(said) = remove_torn_partial(&dir, segment) {
            say(format!("{name}: {said}"));
        }
        fail(i, &state, &why);
        say(format!("{name}: {why}; starting it again in {} s", backoff.as_secs()));
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.cancelled() => break,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// One start of a receiver, to its end: why it ended (it could not start,
/// or the tool exited), or None when `stop` ended it.
async fn once(
    i: usize,
    make: &Make,
    journal: &Journal,
    state: &Mutex<Vec<Receiver>>,
    name: &str,
    stop: &CancellationToken,
) -> Option<String> {
    use tokio::io::AsyncBufReadExt;
    // A new password file for every start: a session's runtime folder
    // may have been removed since (logout), and the tool reads it again
    // on every connect.
    let pass = match crate::paths::create_private_dir(journal.cred_dir())
        .and_then(|_| journal.cred_file(make.pass.0, make.pass.1.expose()))
    {
        Ok(p) => p,
        Err(e) => return Some(format!("could not write the password file: {}", e.message)),
    };
    let cmd = match (make.build)(pass.path_str()).await {
        Ok(c) => c,
        Err(e) => return Some(format!("could not prepare the receiver: {}", e.message)),
    };
    let mut c = cmd.command();
    c.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
    // An archiver killed outright (kill -9) takes its receivers with it:
    // one left streaming would hold the slot against the next archiver.
    // (Dead between the fork and the prctl: the parent is init already.)
    let parent = std::process::id() as libc::pid_t;
    unsafe {
        c.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
    let mut child = match c.spawn() {
        Ok(child) => child,
        Err(e) => return Some(format!("could not start {}: {e}", cmd.program)),
    };
    state.lock().unwrap()[i].state = "streaming".into();
    let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("piped")).lines();
    let mut last: std::collections::VecDeque<String> = Default::default();
    loop {
        tokio::select! {
            l = lines.next_line() => match l {
                Ok(Some(l)) => {
                    tracing::info!("{name}: {l}");
                    if last.len() == 4 { last.pop_front(); }
                    last.push_back(l);
                }
                _ => break,
            },
            _ = stop.cancelled() => {
                crate::tools::kill_group(&mut child).await;
                return None;
            }
        }
    }
    let status = tokio::select! {
        s = child.wait() => s.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
        _ = stop.cancelled() => {
            crate::tools::kill_group(&mut child).await;
            return None;
        }
    };
    let words: Vec<String> =
        last.into_iter().filter(|l| l.contains("error") || l.contains("FATAL") || l.contains("could not")).collect();
    Some(format!(
        "{} ended ({status}){}",
        crate::tools::short(&cmd.program),
        if words.is_empty() { String::new() } else { format!(": {}", words.join(" / ")) }
    ))
}

/// A receiver's command, given its password file's path.
type Build = Box<
    dyn Fn(String) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<crate::tools::CommandLine>> + Send>>
        + Send
        + Sync,
>;

/// How a receiver is started: the contents of its password file (written
/// anew for each start), and its command given that file's path (for
/// MySQL/MariaDB, after asking the server where to start).
struct Make {
    pass: (&'static str, crate::Sensitive<String>),
    build: Build,
}

/// The receiver's program for a database, found like the other client tools.
fn receiver_tool(db: &Db) -> Result<String> {
    let (names, package): (&[&str], &str) = if db.is_pg() {
        (&["pg_receivewal"], "the PostgreSQL client package of the server's major version (postgresql-client-NN)")
    } else {
        (&["mariadb-binlog", "mysqlbinlog"], "mariadb-client (or MySQL's mysql-client)")
    };
    names
        .iter()
        .find_map(|n| crate::discovery::tools::find_all(&db.profile, n).first().map(|t| t.path.display().to_string()))
        .ok_or_else(|| {
            Error::new(
                crate::ErrorCode::FileNotFound,
                format!(
                    "{} was not found for {}: install {package}, or set the profile's client tools directory.",
                    names.join(" or "),
                    db.profile.name
                ),
            )
        })
}

/// Records that receiver `i` ended, and why.
fn fail(i: usize, state: &Mutex<Vec<Receiver>>, why: &str) {
    let mut s = state.lock().unwrap();
    s[i].state = "restarting".into();
    s[i].restarts += 1;
    s[i].last_error = Some(why.to_string());
    s[i].last_error_at = Some(chrono::Utc::now());
}

/// pg_receivewal fills a new segment file with zeros before it writes into
/// it; when that fails (a full disk) the `.partial` keeps a size that is
/// neither 0 nor a segment's, and every later start refuses it. Nothing was
/// received into it (the slot still holds that WAL), so it is removed.
fn remove_torn_partial(dir: &std::path::Path, segment: u64) -> Option<String> {
    let p = super::partial_of(dir)?;
    let path = dir.join(&p);
    let len = std::fs::metadata(&path).ok()?.len();
    if len == 0 || len == segment {
        return None;
    }
    match std::fs::remove_file(&path) {
        Ok(()) => Some(format!("removed {p}: {len} bytes, its zero-filling was cut short (a full disk); the slot still holds that WAL, so it is received again")),
        Err(e) => Some(format!("could not remove {p} ({len} bytes, cut short): {e}")),
    }
}

/// Bytes free to this user on the file system of `dir`.
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &mut s) } == 0).then(|| s.f_bavail as u64 * s.f_frsize as u64)
}
