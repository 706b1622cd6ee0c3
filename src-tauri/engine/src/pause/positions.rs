//! Each database's own log position, read inside a pause: PostgreSQL's WAL
//! insert position and timeline, MySQL/MariaDB's binary log file and position
//! (and the GTID position of that very point). While every ScalarDB node is
//! paused nothing of ScalarDB commits, so the position separates "before the
//! pause" from "after" exactly, whatever the clocks say.
//!
//! Nothing here may lengthen a pause: the connections are opened, and the
//! statement each needs is chosen, before it; inside, each database gets one
//! statement, all at once, within [`READ_LIMIT`], beside whatever the pause is
//! for; MariaDB's GTID of the position read (`BINLOG_GTID_POS` scans the
//! binlog file) is asked after the pause, and the connections closed then.

use crate::catalog::window::{LogAt, LogPosition};
use crate::deployment::{Deployment, Deployments};
use crate::live::{Dialect, LiveConn};
use crate::profile::DbKind;
use futures_util::future::join_all;
use std::time::Duration;

/// The longest the positions may take inside a pause, whatever is left of it.
pub const READ_LIMIT: Duration = Duration::from_secs(1);
/// The longest the work after the pause (the GTID, closing) may take per database.
const AFTER_LIMIT: Duration = Duration::from_secs(5);

/// One database of the deployment with a log: its storages, its open
/// connection and the statement that reads its position, or why there is none.
struct Reader {
    storages: Vec<String>,
    profile: String,
    conn: std::result::Result<(LiveConn, &'static str), String>,
}

/// The deployment's databases with a log (PostgreSQL, MySQL/MariaDB), connected.
pub struct Readers(Vec<Reader>);

/// PostgreSQL's insert position and its segment, in one statement.
pub const PG_POSITION: &str =
    "WITH p AS (SELECT pg_current_wal_insert_lsn() AS l) SELECT l::text, pg_walfile_name(l) FROM p";
/// MySQL 8.4 renamed it; MariaDB and older MySQL know the first.
const BINLOG: [&str; 2] = ["SHOW MASTER STATUS", "SHOW BINARY LOG STATUS"];

impl Readers {
    /// Connects to every PostgreSQL and MySQL/MariaDB database of the
    /// deployment (once per profile, all at once) and finds the statement
    /// each answers. A database that cannot be read is kept with the reason:
    /// its position is "not read", and the pause goes on (the window still
    /// restores it by time).
    pub async fn open(ds: &Deployments, d: &Deployment) -> Readers {
        let mut dbs: Vec<(Vec<String>, crate::profile::Profile)> = Vec::new();
        for (s, p) in ds.storage_profiles(d).unwrap_or_default() {
            if !matches!(p.kind, DbKind::Postgresql | DbKind::Mysql) {
                continue;
            }
            match dbs.iter_mut().find(|(_, q)| q.id == p.id) {
                Some((storages, _)) => storages.push(s.name),
                None => dbs.push((vec![s.name], p)),
            }
        }
        let opened = join_all(dbs.into_iter().map(|(storages, p)| async move {
            let conn = match ds.secret_of(&p).await {
                Ok(pw) => match LiveConn::open(&p, pw.as_ref(), false).await {
                    Ok(c) => statement(c).await,
                    Err(e) => Err(e.message),
                },
                Err(e) => Err(e.message),
            };
            Reader { storages, profile: p.name.clone(), conn: conn.map_err(|e| text(&e)) }
        }))
        .await;
        Readers(opened)
    }

    /// Reads every position at once, within `limit` (at most [`READ_LIMIT`]).
    pub async fn read(&mut self, limit: Duration) -> Vec<LogPosition> {
        let limit = limit.min(READ_LIMIT);
        join_all(self.0.iter_mut().map(|r| async move {
            let at = match &mut r.conn {
                Err(why) => LogAt::Unread { reason: format!("no connection: {why}") },
                Ok((c, sql)) => match tokio::time::timeout(limit, read_one(c, sql)).await {
                    Ok(at) => at,
                    Err(_) => LogAt::Unread { reason: format!("no answer within {} ms", limit.as_millis()) },
                },
            };
            LogPosition { storages: r.storages.clone(), profile: r.profile.clone(), at }
        }))
        .await
    }

    /// After the pause: the GTID position of each binlog position read
    /// without one (MariaDB's `BINLOG_GTID_POS`; MySQL gave its executed set
    /// with the position), then the connections closed, each bounded.
    pub async fn finish(self, positions: &mut [LogPosition]) {
        let mut readers = self.0;
        let mut work: Vec<(Reader, Option<&mut LogAt>)> = Vec::new();
        for p in positions.iter_mut() {
            if let Some(i) = readers.iter().position(|r| r.profile == p.profile) {
                work.push((readers.swap_remove(i), Some(&mut p.at)));
            }
        }
        work.extend(readers.into_iter().map(|r| (r, None)));
        join_all(work.into_iter().map(|(r, at)| async move {
            let Ok((mut c, _)) = r.conn else { return };
            if let Some(LogAt::Binlog { file, position, gtid: gtid @ None }) = at {
                let sql = format!("SELECT BINLOG_GTID_POS({}, {position})", c.lit(file));
                if let Ok(Ok(rows)) = tokio::time::timeout(AFTER_LIMIT, c.rows(&sql)).await {
                    *gtid = rows
                        .first()
                        .and_then(|r| r.first().cloned().flatten())
                        .map(|g| text(&g))
                        .filter(|g| !g.is_empty());
                }
            }
            let _ = tokio::time::timeout(AFTER_LIMIT, c.close()).await;
        }))
        .await;
    }
}

/// Server text as a window keeps it: a GTID set spans lines on MySQL, an
/// error may too, and a window holding a control character reads as damaged.
fn text(s: &str) -> String {
    s.split(char::is_control).filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" ").trim().to_string()
}

/// The statement that reads this database's position, tried once before the
/// pause (which also proves the privilege it needs).
async fn statement(mut c: LiveConn) -> std::result::Result<(LiveConn, &'static str), String> {
    match c.dialect() {
        Dialect::Postgres => match c.rows(PG_POSITION).await {
            Ok(_) => Ok((c, PG_POSITION)),
            Err(e) => Err(format!("{} (a server in recovery has no WAL position of its own)", e.message)),
        },
        Dialect::Mysql => {
            let mut last = String::new();
            for sql in BINLOG {
                match c.rows(sql).await {
                    Ok(_) => return Ok((c, sql)),
                    Err(e) => last = e.message,
                }
            }
            Err(format!(
                "{last} (reading the binary log position needs BINLOG MONITOR on MariaDB, REPLICATION CLIENT on MySQL)"
            ))
        }
        Dialect::Sqlite => Err("SQLite has no log to replay".into()),
    }
}

async fn read_one(c: &mut LiveConn, sql: &str) -> LogAt {
    let r = match c.dialect() {
        Dialect::Postgres => wal(c, sql).await,
        _ => binlog(c, sql).await,
    };
    r.unwrap_or_else(|reason| LogAt::Unread { reason: text(&reason) })
}

/// The insert position, not the write position: with `synchronous_commit =
/// off` a commit ScalarDB was told of can lie beyond what was written. One
/// statement, so the segment is that of the very position read.
async fn wal(c: &mut LiveConn, sql: &str) -> std::result::Result<LogAt, String> {
    let rows = c.rows(sql).await.map_err(|e| e.message)?;
    let row = rows.first().ok_or("no row")?;
    let (Some(lsn), Some(segment)) = (row.first().cloned().flatten(), row.get(1).cloned().flatten()) else {
        return Err("no WAL position in the answer".into());
    };
    wal_at(&lsn, &segment)
}

/// The WAL position of an answer to [`PG_POSITION`] (the LSN and its segment).
pub fn wal_at(lsn: &str, segment: &str) -> std::result::Result<LogAt, String> {
    let timeline = timeline_of(segment).ok_or_else(|| format!("{segment:?} is not a WAL segment name"))?;
    Ok(LogAt::Wal { lsn: text(lsn), segment: segment.to_string(), timeline })
}

/// A WAL segment name is 24 hex digits, the first eight the timeline.
fn timeline_of(segment: &str) -> Option<u32> {
    if segment.len() != 24 || !segment.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(&segment[..8], 16).ok()
}

/// File, position and, on MySQL, the executed GTID set of the same answer
/// (MariaDB's comes after the pause).
async fn binlog(c: &mut LiveConn, sql: &str) -> std::result::Result<LogAt, String> {
    let rows = c.rows(sql).await.map_err(|e| e.message)?;
    let Some(row) = rows.first() else {
        return Err("binary logging is off (log_bin): the log cannot be replayed".into());
    };
    let file = row.first().cloned().flatten().map(|f| text(&f)).ok_or("no binary log file")?;
    let position: u64 =
        row.get(1).cloned().flatten().and_then(|p| p.trim().parse().ok()).ok_or("no binary log position")?;
    let gtid = row.get(4).cloned().flatten().map(|g| text(&g)).filter(|g| !g.is_empty());
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

    #[test]
    fn server_text_is_kept_on_one_line() {
        assert_eq!(super::text("3E11FA47-71CA:1-5,\n4F22:1-9"), "3E11FA47-71CA:1-5, 4F22:1-9");
        assert_eq!(super::text("bad\r\nthing\t"), "bad thing");
    }
}
