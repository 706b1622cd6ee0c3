//! `quiesce archive run|start|stop|status|base|drop-slot`: the continuous log
//! archive of a deployment's PostgreSQL and MySQL/MariaDB storages.

use super::{password_profiles, Ctx, JobSecrets};
use crate::print::{done, Printed, Report};
use clap::{Args, Subcommand};
use quiesce_engine::archive::{pg::SlotInfo, ArchiveStatus};
use quiesce_engine::usecases::archive;
use quiesce_engine::Result;
use serde::Serialize;

#[derive(Subcommand)]
pub enum ArchiveCmd {
    /// Run the archiver in the foreground until SIGINT/SIGTERM: checks what
    /// each server must allow, creates a replication slot per PostgreSQL
    /// database, then streams each database's log (pg_receivewal,
    /// mariadb-binlog), restarting a receiver when it ends.
    Run(ArchiveArgs),
    /// Start the archiver detached (its output in Quiesce's log folder); returns once it runs.
    Start(ArchiveArgs),
    /// Stop the running archiver.
    Stop(Deployment),
    /// The archiver's heartbeat, each database's archived segments, gaps and replication slot.
    Status(StatusArgs),
    /// Take a base backup of each PostgreSQL database (pg_basebackup: tar, gzip, WAL streamed with it, each file's SHA-256 kept): where a replay to a window starts.
    Base(ArchiveArgs),
    /// Drop the replication slots (the archiver must be stopped): the server may then remove WAL the archive does not have.
    DropSlot(Deployment),
}

#[derive(Args)]
pub struct ArchiveArgs {
    /// The deployment (name or id).
    deployment: String,
    #[command(flatten)]
    secrets: JobSecrets,
}

#[derive(Args)]
pub struct Deployment {
    /// The deployment (name or id).
    deployment: String,
}

#[derive(Args)]
pub struct StatusArgs {
    /// The deployment (name or id).
    deployment: String,
    /// Check every archived segment's SHA-256 again (reads the whole archive).
    #[arg(long)]
    verify: bool,
}

pub async fn run(ctx: &Ctx, c: ArchiveCmd) -> Result<Printed> {
    match c {
        ArchiveCmd::Run(a) => {
            let needs = password_profiles(&ctx.engine, &a.deployment)?;
            let e = a.secrets.apply(&ctx.engine, &needs)?;
            let say = |l: String| ctx.events.note("archive", &l);
            archive::run(&e, &a.deployment, &say, &ctx.cancel).await?;
            done(Stopped { deployment: a.deployment, pid: None })
        }
        ArchiveCmd::Start(a) => {
            if a.secrets.password_stdin() {
                return Err(quiesce_engine::Error::invalid(
                    "archive start runs the archiver detached, which cannot be handed standard input: give --password-env PROFILE=VAR (or use the keyring), or run `quiesce archive run` in the foreground.",
                ));
            }
            let needs = password_profiles(&ctx.engine, &a.deployment)?;
            // With the passwords given: the checks run here, now, with them.
            let e = a.secrets.apply(&ctx.engine, &needs)?;
            let exe = std::env::current_exe()
                .map_err(|e| quiesce_engine::Error::internal(format!("cannot find this program: {e}")))?;
            let mut args = vec!["archive".to_string(), "run".to_string(), a.deployment.clone()];
            let mut inherit: Vec<String> = [
                quiesce_engine::paths::HOME_ENV,
                "XDG_CONFIG_HOME",
                "XDG_DATA_HOME",
                "DBUS_SESSION_BUS_ADDRESS",
                "QUIESCE_LOG",
            ]
            .map(String::from)
            .to_vec();
            for pair in a.secrets.password_env() {
                args.push(format!("--password-env={pair}"));
                if let Some((_, var)) = pair.split_once('=') {
                    inherit.push(var.to_string());
                }
            }
            let pid = archive::start(&e, &a.deployment, &exe, &args, &inherit).await?;
            done(Started { deployment: a.deployment, pid })
        }
        ArchiveCmd::Base(a) => {
            let needs = password_profiles(&ctx.engine, &a.deployment)?;
            let e = a.secrets.apply(&ctx.engine, &needs)?;
            let say = |l: String| ctx.events.note("base", &l);
            let bases = archive::base(&e, &a.deployment, &say, &ctx.cancel).await?;
            done(Bases { bases })
        }
        ArchiveCmd::Stop(a) => {
            let pid = archive::stop(&ctx.engine, &a.deployment).await?;
            done(Stopped { deployment: a.deployment, pid })
        }
        ArchiveCmd::Status(a) => done(Status(archive::status(&ctx.engine, &a.deployment, a.verify).await?)),
        ArchiveCmd::DropSlot(a) => {
            let dropped = archive::drop_slots(&ctx.engine, &a.deployment).await?;
            done(Dropped { slots: dropped.into_iter().map(|(profile, slot)| DroppedSlot { profile, slot }).collect() })
        }
    }
}

#[derive(Serialize)]
struct Started {
    deployment: String,
    pid: u32,
}

impl Report for Started {
    fn text(&self) {
        println!(
            "The archiver of {} runs (pid {}). `quiesce archive status {}` shows it.",
            self.deployment, self.pid, self.deployment
        );
    }
}

#[derive(Serialize)]
struct Stopped {
    deployment: String,
    pid: Option<u32>,
}

impl Report for Stopped {
    fn text(&self) {
        match self.pid {
            Some(pid) => println!("The archiver of {} (pid {pid}) stopped.", self.deployment),
            None => println!("The archiver of {} is not running.", self.deployment),
        }
    }
}

#[derive(Serialize)]
struct Status(ArchiveStatus);

impl Report for Status {
    fn text(&self) {
        let s = &self.0;
        let state = match (&s.heartbeat, s.running, s.frozen) {
            (Some(h), true, false) => {
                format!("running (pid {} on {}, since {})", h.pid, h.host, h.started_at.format("%Y-%m-%d %H:%M:%S UTC"))
            }
            (Some(h), true, true) => format!(
                "FROZEN: holds its lock, but its heartbeat is from {} (pid {})",
                h.updated_at.format("%H:%M:%S UTC"),
                h.pid
            ),
            (None, true, _) => "running, no heartbeat yet".into(),
            (Some(h), false, _) => format!(
                "not running (last heartbeat {}{})",
                h.updated_at.format("%Y-%m-%d %H:%M:%S UTC"),
                h.ended.as_deref().map(|e| format!(", {e}")).unwrap_or_default()
            ),
            (None, false, _) => "not running (never started)".into(),
        };
        println!("archive of {}: {state}", s.deployment);
        if let Some(t) = &s.trouble {
            println!("  ! {t}");
        }
        for db in &s.databases {
            println!("  {} ({}): {}", db.storages.join(", "), db.profile, db.dir);
            match (&db.first, &db.last) {
                (Some(f), Some(l)) => {
                    println!("    {} segment(s), {}: {f} … {l}", db.segments, quiesce_engine::size::human(db.bytes))
                }
                _ => println!("    no completed segment yet"),
            }
            if let Some(p) = &db.partial {
                println!("    writing {p}");
            }
            if let Some(r) = s.heartbeat.as_ref().and_then(|h| h.receivers.iter().find(|r| r.profile == db.profile)) {
                println!(
                    "    receiver: {}, {} restart(s){}",
                    r.state,
                    r.restarts,
                    r.last_error.as_deref().map(|e| format!("; last: {e}")).unwrap_or_default()
                );
            }
            match (&db.slot, &db.slot_error) {
                (Some(sl), _) => println!(
                    "    slot {}: {}, wal_status {}, holds {}{}",
                    sl.name,
                    if sl.active { "active" } else { "inactive" },
                    sl.wal_status.as_deref().unwrap_or("?"),
                    sl.retained_bytes.map(|b| quiesce_engine::size::human(b.max(0) as u64)).unwrap_or("?".into()),
                    sl.safe_wal_size
                        .map(|b| format!(", {} before it is lost", quiesce_engine::size::human(b.max(0) as u64)))
                        .unwrap_or_default()
                ),
                (None, Some(e)) => println!("    slot: not read ({e})"),
                (None, None) => println!("    slot: none on the server"),
            }
            match db.bases.last() {
                Some(b) => println!(
                    "    base backups: {} (newest {}, WAL from {} on timeline {})",
                    db.bases.len(),
                    b.id,
                    b.start_lsn,
                    b.timeline
                ),
                None => println!("    base backups: none (quiesce archive base {})", s.deployment),
            }
            if db.gaps.is_empty() {
                println!("    gaps: none");
            }
            for g in &db.gaps {
                println!("    GAP {} … {}: {}", g.from, g.to, g.reason);
            }
        }
    }

    /// Gaps, or an archiver that died, froze or keeps failing, are not a healthy archive.
    fn exit_status(&self) -> i32 {
        if self.0.frozen || self.0.trouble.is_some() || self.0.databases.iter().any(|d| !d.gaps.is_empty()) {
            quiesce_engine::ErrorCode::Corrupt.exit_code()
        } else {
            0
        }
    }
}

#[derive(Serialize)]
struct Bases {
    bases: Vec<quiesce_engine::archive::base::BaseBackup>,
}

impl Report for Bases {
    fn text(&self) {
        for b in &self.bases {
            println!(
                "{} ({}): base backup {}, {} file(s), {}; WAL {} … {} on timeline {}",
                b.storages.join(", "),
                b.profile,
                b.id,
                b.files.len(),
                quiesce_engine::size::human(b.files.iter().map(|f| f.bytes).sum()),
                b.start_lsn,
                b.end_lsn,
                b.timeline
            );
        }
    }
}

#[derive(Serialize)]
struct DroppedSlot {
    profile: String,
    slot: Option<SlotInfo>,
}

#[derive(Serialize)]
struct Dropped {
    slots: Vec<DroppedSlot>,
}

impl Report for Dropped {
    fn text(&self) {
        for d in &self.slots {
            match &d.slot {
                Some(s) => println!(
                    "{}: dropped the slot {} (it held WAL from {}; the server may now remove it)",
                    d.profile,
                    s.name,
                    s.restart_lsn.as_deref().unwrap_or("?")
                ),
                None => println!("{}: no slot to drop", d.profile),
            }
        }
    }
}
