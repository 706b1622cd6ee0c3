//! One SQL connection to a live PostgreSQL, MySQL/MariaDB or SQLite target,
//! returning rows as text, so that the checks of a restore and the
//! verification (counts, the consistency audit) are written once with the
//! engine's quoting and table naming (a namespace is a PostgreSQL schema, a
//! MySQL database, or a SQLite table-name prefix `ns$table`) instead of once per driver.

use crate::connect::postgres::PgConn;
use crate::discovery::STATEMENT_TIMEOUT;
use crate::error::{Error, ErrorCode, Result};
use crate::profile::{DbKind, Profile};
use crate::sensitive::Sensitive;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Mysql,
    Sqlite,
}

pub type Row = Vec<Option<String>>;

pub(crate) enum Inner {
    Pg(PgConn),
    My(mysql_async::Conn),
    Lite(Arc<Mutex<rusqlite::Connection>>),
}

pub struct LiveConn {
    pub(crate) inner: Inner,
    pub(crate) profile: Profile,
    had_password: bool,
}

impl LiveConn {
    /// Connects to the profile's target. SQLite files are opened read-write
    /// only when `write` (verification never writes).
    pub async fn open(p: &Profile, password: Option<&Sensitive<String>>, write: bool) -> Result<LiveConn> {
        let inner = match p.kind {
            DbKind::Postgresql => Inner::Pg(crate::connect::postgres::connect(p, password).await?),
            DbKind::Mysql => Inner::My(crate::connect::mysql::connect_profile(p, password).await?),
            DbKind::Sqlite => {
                let path = p.path.clone().unwrap_or_default();
                if !write && !std::path::Path::new(&path).is_file() {
                    return Err(Error::new(ErrorCode::FileNotFound, format!("The SQLite file {path} does not exist.")));
                }
                let flags = if write {
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_CREATE
                } else {
                    rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                };
                let c = rusqlite::Connection::open_with_flags(&path, flags)
                    .map_err(|e| Error::new(ErrorCode::IoError, format!("Could not open {path}: {e}")))?;
                c.busy_timeout(std::time::Duration::from_secs(5)).ok();
                Inner::Lite(Arc::new(Mutex::new(c)))
            }
            k => {
                return Err(Error::new(
                    ErrorCode::Unsupported,
                    format!("{} has no SQL connection in Quiesce.", k.label()),
                ))
            }
        };
        Ok(LiveConn { inner, profile: p.clone(), had_password: password.is_some() })
    }

    /// A SQLite file of a backup, opened immutable: SQLite then takes no lock
    /// and creates nothing beside it (no `-shm`, no `-wal`, whatever journal
    /// mode the file records), so verifying a backup never changes its folder.
    pub fn open_backup_file(p: &Profile) -> Result<LiveConn> {
        let path = p.path.clone().unwrap_or_default();
        let c = crate::connect::sqlite::open_immutable(std::path::Path::new(&path))?;
        Ok(LiveConn { inner: Inner::Lite(Arc::new(Mutex::new(c))), profile: p.clone(), had_password: false })
    }

    pub fn dialect(&self) -> Dialect {
        match self.inner {
            Inner::Pg(_) => Dialect::Postgres,
            Inner::My(_) => Dialect::Mysql,
            Inner::Lite(_) => Dialect::Sqlite,
        }
    }

    /// A table of a ScalarDB namespace, quoted for this engine.
    pub fn table(&self, ns: &str, t: &str) -> String {
        table_name(self.dialect(), ns, t)
    }

    /// A string literal.
    pub fn lit(&self, s: &str) -> String {
        match self.dialect() {
            Dialect::Mysql => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "''")),
            _ => format!("'{}'", s.replace('\'', "''")),
        }
    }

    pub async fn rows(&mut self, sql: &str) -> Result<Vec<Row>> {
        let p = &self.profile;
        match &mut self.inner {
            Inner::Pg(c) => {
                let msgs = c
                    .client
                    .simple_query(sql)
                    .await
                    .map_err(|e| crate::connect::postgres::map_error(e, p, self.had_password, STATEMENT_TIMEOUT))?;
                Ok(msgs
                    .into_iter()
                    .filter_map(|m| match m {
                        tokio_postgres::SimpleQueryMessage::Row(r) => {
                            Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
                        }
                        _ => None,
                    })
                    .collect())
            }
            Inner::My(c) => {
                use mysql_async::prelude::Queryable;
                let rows: Vec<mysql_async::Row> =
                    c.query(sql).await.map_err(|e| crate::connect::mysql::map_error(e, p, STATEMENT_TIMEOUT))?;
                Ok(rows.into_iter().map(|r| r.unwrap().into_iter().map(my_text).collect()).collect())
            }
            Inner::Lite(c) => {
                let (c, sql) = (c.clone(), sql.to_string());
                tokio::task::spawn_blocking(move || lite_rows(&c.lock().unwrap(), &sql))
                    .await
                    .map_err(|e| Error::internal(e.to_string()))?
            }
        }
    }

    /// Runs statements that return nothing.
    pub async fn exec(&mut self, sql: &str) -> Result<()> {
        match &mut self.inner {
            Inner::Lite(c) => {
                let (c, sql) = (c.clone(), sql.to_string());
                tokio::task::spawn_blocking(move || {
                    c.lock()
                        .unwrap()
                        .execute_batch(&sql)
                        .map_err(|e| Error::new(ErrorCode::DatabaseError, format!("SQLite: {e}")))
                })
                .await
                .map_err(|e| Error::internal(e.to_string()))?
            }
            _ => self.rows(sql).await.map(|_| ()),
        }
    }

    /// One value, parsed.
    pub async fn scalar_i64(&mut self, sql: &str) -> Result<Option<i64>> {
        let rows = self.rows(sql).await?;
        Ok(rows.first().and_then(|r| r.first().cloned().flatten()).and_then(|v| v.trim().parse().ok()))
    }

    /// A table's columns, from the catalog (empty when the table does not exist).
    pub async fn columns(&mut self, ns: &str, t: &str) -> Result<Vec<String>> {
        let sql = match self.dialect() {
            Dialect::Sqlite => format!("SELECT name FROM pragma_table_info({}) ORDER BY cid", self.lit(&format!("{ns}${t}"))),
            _ => format!(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = {} AND table_name = {} ORDER BY ordinal_position",
                self.lit(ns),
                self.lit(t)
            ),
        };
        Ok(self.rows(&sql).await?.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect())
    }

    /// Whether a table of a namespace has a column, from the catalog.
    pub async fn has_column(&mut self, ns: &str, t: &str, col: &str) -> Result<bool> {
        let sql = match self.dialect() {
            Dialect::Sqlite => format!(
                "SELECT count(*) FROM pragma_table_info({}) WHERE name = {}",
                self.lit(&format!("{ns}${t}")),
                self.lit(col)
            ),
            _ => format!(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = {} AND table_name = {} AND column_name = {}",
                self.lit(ns),
                self.lit(t),
                self.lit(col)
            ),
        };
        Ok(self.scalar_i64(&sql).await?.unwrap_or(0) > 0)
    }

    pub async fn close(self) {
        if let Inner::My(c) = self.inner {
            let _ = c.disconnect().await;
        }
    }
}

/// An identifier (schema, database, table, role) quoted for this engine.
pub fn quote_ident(d: Dialect, s: &str) -> String {
    match d {
        Dialect::Mysql => format!("`{}`", s.replace('`', "``")),
        _ => format!("\"{}\"", s.replace('"', "\"\"")),
    }
}

pub fn table_name(d: Dialect, ns: &str, t: &str) -> String {
    match d {
        // SQLite: a namespace is a table-name prefix (`ns$table`).
        Dialect::Sqlite => quote_ident(d, &format!("{ns}${t}")),
        _ => format!("{}.{}", quote_ident(d, ns), quote_ident(d, t)),
    }
}

fn my_text(v: mysql_async::Value) -> Option<String> {
    use mysql_async::Value;
    match v {
        Value::NULL => None,
        Value::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        Value::Int(i) => Some(i.to_string()),
        Value::UInt(u) => Some(u.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Double(f) => Some(f.to_string()),
        other => Some(other.as_sql(true).trim_matches('\'').to_string()),
    }
}

fn lite_rows(c: &rusqlite::Connection, sql: &str) -> Result<Vec<Row>> {
    let err = |e: rusqlite::Error| Error::new(ErrorCode::DatabaseError, format!("SQLite: {e}"));
    let mut st = c.prepare(sql).map_err(err)?;
    let n = st.column_count();
    let mut rows = st.query([]).map_err(err)?;
    let mut out = Vec::new();
    while let Some(r) = rows.next().map_err(err)? {
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            use rusqlite::types::ValueRef;
            row.push(match r.get_ref(i).map_err(err)? {
                ValueRef::Null => None,
                ValueRef::Integer(i) => Some(i.to_string()),
                ValueRef::Real(f) => Some(f.to_string()),
                ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
            });
        }
        out.push(row);
    }
    Ok(out)
}

/// Whether the server is working for a job right now, for the stall
/// watchdog: on PostgreSQL, a session of the job's tools (its
/// `application_name`) running a statement that is not waiting on the
/// client or on a lock; on MySQL/MariaDB, a session of the profile's user in
/// one of `databases` doing the same. Each probe is a short connection of its
/// own (a probe runs only after a long silence): the job's own connection may
/// sit in a transaction whose view of the activity tables is frozen.
pub fn server_probe(
    profile: &Profile,
    password: Option<&Sensitive<String>>,
    session: &str,
    databases: &[String],
) -> Option<crate::tools::pipeline::ServerProbe> {
    let dialect = match profile.kind {
        DbKind::Postgresql => Dialect::Postgres,
        DbKind::Mysql => Dialect::Mysql,
        _ => return None,
    };
    let (profile, password, session, databases) =
        (profile.clone(), password.cloned(), session.to_string(), databases.to_vec());
    Some(Arc::new(move || {
        let (profile, password, session, databases) =
            (profile.clone(), password.clone(), session.clone(), databases.clone());
        Box::pin(async move {
            let Ok(mut c) = LiveConn::open(&profile, password.as_ref(), false).await else { return false };
            let sql = match dialect {
                Dialect::Postgres => format!(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = {} AND state = 'active' AND coalesce(wait_event_type, '') NOT IN ('Client', 'Lock')",
                    c.lit(&session)
                ),
                _ => format!(
                    "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = {} AND ID <> CONNECTION_ID() AND COMMAND = 'Query' AND COALESCE(STATE, '') NOT LIKE 'Writing to net%' AND COALESCE(STATE, '') NOT LIKE 'Sending to client%' AND COALESCE(STATE, '') NOT LIKE '%lock%'{}",
                    c.lit(profile.user.as_deref().unwrap_or("")),
                    if databases.is_empty() {
                        String::new()
                    } else {
                        format!(" AND DB IN ({})", databases.iter().map(|d| c.lit(d)).collect::<Vec<_>>().join(","))
                    }
                ),
            };
            let busy = c.scalar_i64(&sql).await.ok().flatten().unwrap_or(0) > 0;
            c.close().await;
            busy
        })
    }))
}
