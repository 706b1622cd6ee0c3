//! Each database's own log position, read inside a pause: PostgreSQL's WAL
//! insert position and timeline, MySQL/MariaDB's binary log file and position
//! (and MariaDB's GTID position of that very point). While every ScalarDB node
//! is paused nothing of ScalarDB commits, so the position separates "before
//! the pause" from "after" exactly, whatever the clocks say.
//!
//! The connections are opened before the pause (a connect and its
//! authentication must not lengthen it) and closed after it; inside, each
//! database gets one bounded round of queries.

use crate::catalog::window::{LogAt, LogPosition};
use crate::deployment::{Deployment, Deployments};
use crate::live::{Dialect, LiveConn};
use crate::profile::DbKind;
use std::time::Duration;

/// The longest the positions may take inside a pause, whatever is left of it.
pub const READ_LIMIT: Duration = Duration::from_secs(2);

/// One database of the deployment with a log: its storages, and its open
/// connection or why there is none.
struct Reader {
    storages: Vec<String>,
    profile: String,
    conn: std::result::Result<LiveConn, String>,
}

/// The deployment's databases with a log (PostgreSQL, MySQL/MariaDB), connected.
pub struct Readers(Vec<Reader>);

impl Readers {
    /// Connects to every PostgreSQL and MySQL/MariaDB database of the
    /// deployment, once per profile. A database that cannot be reached is
    /// kept with the reason: its position is "not read", and the pause goes on
    /// (the window still restores it by time).
    pub async fn open(ds: &Deployments, d: &Deployment) -> Readers {
        let mut out: Vec<Reader> = Vec::new();
        for (s, p) in ds.storage_profiles(d).unwrap_or_default() {
            if !matches!(p.kind, DbKind::Postgresql | DbKind::Mysql) {
                continue;
            }
            if let Some(r) = out.iter_mut().find(|r| r.profile == p.name) {
                r.storages.push(s.name);
                continue;
            }
            let conn = match ds.secret_of(&p).await {
                Ok(pw) => LiveConn::open(&p, pw.as_ref(), false).await.map_err(|e| e.message),
                Err(e) => Err(e.message),
            };
            out.push(Reader { storages: vec![s.name], profile: p.name.clone(), conn });
        }
        Readers(out)
    }

    /// Reads every position, within `limit` (at most [`READ_LIMIT`]) in all.
    pub async fn read(&mut self, limit: Duration) -> Vec<LogPosition> {
        let limit = limit.min(READ_LIMIT);
        let reads = self.0.iter_mut().map(|r| async move {
            let at = match &mut r.conn {
                Err(why) => LogAt::Unread { reason: format!("no connection: {why}") },
                Ok(c) => match tokio::time::timeout(limit, read_one(c)).await {
                    Ok(at) => at,
                    Err(_) => LogAt::Unread { reason: format!("no answer within {} ms", limit.as_millis()) },
                },
            };
            LogPosition { storages: r.storages.clone(), profile: r.profile.clone(), at }
        });
        futures_util::future::join_all(reads).await
    }

    /// Closes the connections (after the pause).
    pub async fn close(self) {
        for r in self.0 {
            if let Ok(c) = r.conn {
                c.close().await;
            }
        }
    }
}

async fn read_one(c: &mut LiveConn) -> LogAt {
    let r = match c.dialect() {
        Dialect::Postgres => wal(c).await,
        Dialect::Mysql => binlog(c).await,
        Dialect::Sqlite => Err("SQLite has no log to replay".into()),
    };
    r.unwrap_or_else(|reason| LogAt::Unread { reason })
}

/// The insert position, not the write position: with `synchronous_commit =
/// off` a commit ScalarDB was told of can lie beyond what was written. One
/// statement, so the segment is that of the very position read.
async fn wal(c: &mut LiveConn) -> std::result::Result<LogAt, String> {
    let rows = c
        .rows("WITH p AS (SELECT pg_current_wal_insert_lsn() AS l) SELECT l::text, pg_walfile_name(l) FROM p")
        .await
        .map_err(|e| e.message)?;
    let row = rows.first().ok_or("no row")?;
    let (Some(lsn), Some(segment)) = (row.first().cloned().flatten(), row.get(1).cloned().flatten()) else {
        return Err("no WAL position (a server in recovery has none of its own)".into());
    };
    let timeline = timeline_of(&segment).ok_or_else(|| format!("{segment:?} is not a WAL segment name"))?;
    Ok(LogAt::Wal { lsn, segment, timeline })
}

/// A WAL segment name is 24 hex digits, the first eight the timeline.
fn timeline_of(segment: &str) -> Option<u32> {
    if segment.len() != 24 || !segment.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(&segment[..8], 16).ok()
}

async fn binlog(c: &mut LiveConn) -> std::result::Result<LogAt, String> {
    // MySQL 8.4 renamed it; MariaDB and older MySQL know the first.
    let rows = match c.rows("SHOW MASTER STATUS").await {
        Ok(r) => r,
        Err(first) => c.rows("SHOW BINARY LOG STATUS").await.map_err(|_| {
            format!(
                "{} (reading the binary log position needs BINLOG MONITOR on MariaDB, REPLICATION CLIENT on MySQL)",
                first.message
            )
        })?,
    };
    let Some(row) = rows.first() else {
        return Err("binary logging is off (log_bin): the log cannot be replayed".into());
    };
    let file = row.first().cloned().flatten().ok_or("no binary log file")?;
    let position: u64 =
        row.get(1).cloned().flatten().and_then(|p| p.trim().parse().ok()).ok_or("no binary log position")?;
    // MariaDB: the GTID position of exactly this point. MySQL: its executed set.
    let sql = format!("SELECT BINLOG_GTID_POS({}, {position})", c.lit(&file));
    let gtid = match c.rows(&sql).await {
        Ok(r) => r.first().and_then(|r| r.first().cloned().flatten()),
        Err(_) => row.get(4).cloned().flatten(),
    }
    .filter(|g| !g.trim().is_empty());
    Ok(LogAt::Binlog { file, position, gtid })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_timeline_is_the_segment_name_s_first_eight_hex_digits() {
        assert_eq!(super::timeline_of("000000010000000000000003"), Some(1));
        assert_eq!(super::timeline_of("0000000A00000000000000FF"), Some(10));
        assert_eq!(super::timeline_of("00000001000000000000003"), None);
        assert_eq!(super::timeline_of("0000000100000000000000zz"), None);
    }
}
