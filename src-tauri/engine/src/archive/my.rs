//! MySQL/MariaDB's side of the archive: what the server must allow, where a
//! receiver starts, and `mariadb-binlog`/`mysqlbinlog` reading the binary
//! log as a replica would (`--read-from-remote-server --raw --stop-never`),
//! file by file, into the folder under the server's own file names.
//!
//! There is no slot: the server keeps its binary logs by its own expiry
//! (`binlog_expire_logs_seconds` / `expire_logs_days`). A receiver that was
//! down longer than that finds its next file purged; it then starts from the
//! server's oldest file, and the index shows the files in between as a gap.

use crate::error::Result;
use crate::live::LiveConn;
use crate::plan::commands::{self, Runtime};
use crate::profile::Profile;
use crate::tools::CommandLine;

/// A replica server id for this archiver (`--stop-never-slave-server-id`):
/// it must differ from every real replica's and from other archivers' of the
/// same server, or the server drops one of the two connections. Derived from
/// the deployment and storage, in the upper range replicas rarely use.
pub fn server_id(deployment_id: &str, storage: &str) -> u32 {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{deployment_id}\0{storage}").as_bytes());
    0xC000_0000 | (u32::from_be_bytes([h[0], h[1], h[2], h[3]]) & 0x3FFF_FFFF)
}

/// Everything the server must allow, each missing one named with the exact
/// setting or grant and what it costs.
pub async fn prerequisites(c: &mut LiveConn) -> Result<()> {
    let rows = c.rows("SELECT @@log_bin, @@binlog_format, @@server_id, CURRENT_USER()").await?;
    let row = rows.into_iter().next().unwrap_or_default();
    let get = |i: usize| row.get(i).cloned().flatten().unwrap_or_default();
    let mut missing = Vec::new();
    if get(0) != "1" {
        missing.push("binary logging is off: start the server with log_bin (e.g. log_bin = binlog in my.cnf) and restart it (every commit is then written twice, and the files take disk until they expire).".to_string());
    }
    if !get(1).eq_ignore_ascii_case("ROW") {
        missing.push(format!("binlog_format is {}: set binlog_format = ROW (SET GLOBAL binlog_format = 'ROW' and in my.cnf) so that replay repeats each row exactly, whatever the statement did.", get(1)));
    }
    if get(2) == "0" {
        missing.push(
            "server_id is 0: give the server an id (server_id = 1 in my.cnf); a server with id 0 serves no replica."
                .to_string(),
        );
    }
    // Reading the files' list needs BINLOG MONITOR (MariaDB) / REPLICATION
    // CLIENT (MySQL); streaming them needs REPLICATION SLAVE (checked by its grants).
    if let Err(e) = c.rows("SHOW BINARY LOGS").await {
        if missing.is_empty() {
            missing.push(format!(
                "{} may not list the binary logs ({}): GRANT BINLOG MONITOR ON *.* TO {} (MySQL: REPLICATION CLIENT).",
                get(3),
                e.message,
                get(3)
            ));
        }
    }
    let grants = c.rows("SHOW GRANTS").await.unwrap_or_default();
    let text: String =
        grants.iter().flat_map(|r| r.iter().flatten()).map(|s| s.to_ascii_uppercase()).collect::<Vec<_>>().join("\n");
    if !(text.contains("REPLICATION SLAVE")
        || text.contains("REPLICATION REPLICA")
        || text.contains("ALL PRIVILEGES ON *.*"))
    {
        missing.push(format!(
            "{} may not read the binary log as a replica: GRANT REPLICATION SLAVE ON *.* TO {};",
            get(3),
            get(3)
        ));
    }
    super::refuse(missing)
}

/// The binary log files the server still has, oldest first, and the current one.
pub async fn server_files(c: &mut LiveConn) -> Result<(Vec<String>, Option<String>)> {
    let files: Vec<String> =
        c.rows("SHOW BINARY LOGS").await?.into_iter().filter_map(|r| r.into_iter().next().flatten()).collect();
    let current = c.rows("SHOW MASTER STATUS").await?.into_iter().next().and_then(|r| r.into_iter().next().flatten());
    Ok((files, current))
}

/// Where a receiver starts: the newest file it has (it may be cut short:
/// fetched again from its start, and overwritten) while the server still has
/// it; else the server's oldest (what lies between is a gap the index shows);
/// with nothing archived yet, the server's current file.
pub fn start_file(newest_here: Option<&str>, server: &[String], current: Option<&str>) -> Option<String> {
    match newest_here {
        Some(n) if server.iter().any(|f| f == n) => Some(n.to_string()),
        Some(_) => server.first().cloned(),
        None => current.map(str::to_string).or_else(|| server.last().cloned()),
    }
}

/// `mariadb-binlog` (or `mysqlbinlog`) streaming from `file` on into `dir`,
/// never stopping (`--stop-never`), as replica `server_id`.
pub fn binlog_reader(p: &Profile, tool: &str, dir: &str, file: &str, server_id: u32, cnf: &str) -> CommandLine {
    commands::mysql_connect(p, tool, &Runtime { pass_file: cnf, snapshot: "", output: "", session: "" })
        .flag("--read-from-remote-server")
        .flag("--raw")
        .flag("--stop-never")
        .opt("--stop-never-slave-server-id", server_id.to_string())
        .opt("--result-file", format!("{dir}/"))
        .end_of_options()
        .operand(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receiver_starts_from_what_it_has_while_the_server_has_it() {
        let server = vec!["b.000003".to_string(), "b.000004".into(), "b.000005".into()];
        assert_eq!(start_file(Some("b.000004"), &server, Some("b.000005")).as_deref(), Some("b.000004"));
        assert_eq!(
            start_file(Some("b.000001"), &server, Some("b.000005")).as_deref(),
            Some("b.000003"),
            "purged: the oldest, a gap between"
        );
        assert_eq!(start_file(None, &server, Some("b.000005")).as_deref(), Some("b.000005"));
    }

    #[test]
    fn server_ids_are_in_the_upper_range_and_differ_per_storage() {
        let a = server_id("d", "s1");
        assert!(a >= 0xC000_0000);
        assert_ne!(a, server_id("d", "s2"));
    }
}
