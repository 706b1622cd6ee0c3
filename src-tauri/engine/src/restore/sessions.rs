//! Who else is connected to a restore target: server sessions on PostgreSQL
//! and MySQL, processes holding the file open on SQLite (which has no
//! sessions to list; /proc shows every process with the file open).

use crate::error::Result;
use crate::live::{Dialect, LiveConn};
use crate::profile::Profile;
use serde::{Deserialize, Serialize};
use std::path::Path;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Session {
    /// Backend pid / connection id / process id.
    pub id: String,
    pub user: String,
    pub client: String,
    pub application: String,
    pub state: String,
}

impl Session {
    pub fn describe(&self) -> String {
        let mut s = format!("#{} {}", self.id, self.user);
        if !self.client.is_empty() {
            s.push_str(&format!(" from {}", self.client));
        }
        if !self.application.is_empty() {
            s.push_str(&format!(" ({})", self.application));
        }
        if !self.state.is_empty() {
            s.push_str(&format!(", {}", self.state));
        }
        s
    }
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// Other client sessions on the target (our own connection excluded).
pub async fn list(conn: &mut LiveConn, p: &Profile, namespaces: &[String]) -> Result<Vec<Session>> {
    let rows = match conn.dialect() {
        Dialect::Postgres => {
            conn.rows(
                "SELECT pid::text, usename, coalesce(client_addr::text, 'local'), application_name, coalesce(state, '') FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' ORDER BY pid",
            )
            .await?
        }
        Dialect::Mysql => {
            // ScalarDB connects without a default database, so its sessions are
            // found by user as well as by the namespaces they use.
            let dbs: Vec<String> = namespaces.iter().map(|n| conn.lit(n)).collect();
            let user = conn.lit(p.user.as_deref().unwrap_or(""));
            conn.rows(&format!(
                "SELECT ID, USER, HOST, COALESCE(DB, ''), CONCAT(COMMAND, ' ', COALESCE(STATE, '')) FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN ('Daemon', 'Binlog Dump') AND USER NOT IN ('system user', 'event_scheduler') AND (USER = {user}{}) ORDER BY ID",
                if dbs.is_empty() { String::new() } else { format!(" OR DB IN ({})", dbs.join(",")) }
            ))
            .await?
        }
        Dialect::Sqlite => return Ok(vec![]),
    };
    Ok(rows
        .iter()
        .map(|r| Session {
            id: text(&r[0]),
            user: text(&r[1]),
            client: text(&r[2]),
            application: text(&r[3]),
            state: text(&r[4]).trim().to_string(),
        })
        .collect())
}

/// Processes other than this one holding the SQLite file (or its journal,
/// WAL or shared-memory file) open.
pub fn sqlite_holders(file: &Path) -> Vec<Session> {
    let Ok(canon) = std::fs::canonicalize(file) else { return vec![] };
    let names: Vec<std::path::PathBuf> = ["", "-journal", "-wal", "-shm"]
        .iter()
        .map(|s| std::path::PathBuf::from(format!("{}{s}", canon.display())))
        .collect();
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for proc_dir in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = proc_dir.file_name().to_string_lossy().into_owned();
        if !pid.chars().all(|c| c.is_ascii_digit()) || pid == me {
            continue;
        }
        let holds = std::fs::read_dir(proc_dir.path().join("fd"))
            .into_iter()
            .flatten()
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| names.contains(&t)));
        if holds {
            let cmd = std::fs::read(proc_dir.path().join("cmdline"))
                .map(|b| String::from_utf8_lossy(&b).replace('\0', " ").trim().to_string())
                .unwrap_or_default();
            out.push(Session {
                id: pid,
                user: String::new(),
                client: "local process".into(),
                application: cmd.chars().take(80).collect(),
                state: "has the file open".into(),
            });
        }
    }
    out
}
