//! The ScalarDB user's privileges on the deployment's namespaces, recorded
//! with a backup so that a restore into another server (where Quiesce
//! restores without owners or grants, as the target's roles may differ) can
//! re-apply them on request, to the same user or to another one.

use crate::error::{Error, ErrorCode, Result};
use crate::live::{Dialect, LiveConn};
use crate::profile::Profile;
use crate::sensitive::Sensitive;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Where a statement names the grantee.
pub const GRANTEE: &str = "{grantee}";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RecordedGrants {
    /// The user the statements were read for (PostgreSQL role, or MySQL 'user'@'host').
    pub grantee: String,
    /// GRANT statements with `{grantee}` in place of the user.
    pub statements: Vec<String>,
}

/// Reads the profile user's privileges on `namespaces`. Never fails a
/// backup: what cannot be read is simply not recorded (None).
pub async fn record(p: &Profile, pw: Option<&Sensitive<String>>, namespaces: &[String]) -> Option<RecordedGrants> {
    let mut c = LiveConn::open(p, pw, false).await.ok()?;
    let r = read(&mut c, namespaces).await;
    c.close().await;
    match r {
        Ok(g) => Some(g),
        Err(e) => {
            tracing::info!("grants not recorded: {}", e.message);
            None
        }
    }
}

async fn read(c: &mut LiveConn, namespaces: &[String]) -> Result<RecordedGrants> {
    let list = namespaces.iter().map(|n| c.lit(n)).collect::<Vec<_>>().join(",");
    match c.dialect() {
        Dialect::Postgres => {
            let me = c.rows("SELECT current_user").await?.first().and_then(|r| r[0].clone()).unwrap_or_default();
            let mut statements = Vec::new();
            for r in c
                .rows(&format!(
                    "SELECT nspname, has_schema_privilege(current_user, oid, 'USAGE'), has_schema_privilege(current_user, oid, 'CREATE') FROM pg_namespace WHERE nspname IN ({list}) ORDER BY 1"
                ))
                .await?
            {
                let ns = qi(r[0].as_deref().unwrap_or(""));
                let privs: Vec<&str> = [(r[1].as_deref() == Some("t"), "USAGE"), (r[2].as_deref() == Some("t"), "CREATE")]
                    .iter()
                    .filter(|(ok, _)| *ok)
                    .map(|(_, p)| *p)
                    .collect();
                if !privs.is_empty() {
                    statements.push(format!("GRANT {} ON SCHEMA {ns} TO {GRANTEE}", privs.join(", ")));
                }
            }
            for r in c
                .rows(&format!(
                    "SELECT table_schema, table_name, string_agg(privilege_type, ', ' ORDER BY privilege_type) FROM information_schema.role_table_grants WHERE grantee = current_user AND table_schema IN ({list}) GROUP BY 1, 2 ORDER BY 1, 2"
                ))
                .await?
            {
                statements.push(format!(
                    "GRANT {} ON TABLE {}.{} TO {GRANTEE}",
                    r[2].as_deref().unwrap_or(""),
                    qi(r[0].as_deref().unwrap_or("")),
                    qi(r[1].as_deref().unwrap_or(""))
                ));
            }
            Ok(RecordedGrants { grantee: me, statements })
        }
        Dialect::Mysql => {
            let me = c.rows("SELECT CURRENT_USER()").await?.first().and_then(|r| r[0].clone()).unwrap_or_default();
            let (user, host) = me.rsplit_once('@').unwrap_or((&me, "%"));
            let grantee = format!("'{}'@'{}'", user.replace('\'', "''"), host.replace('\'', "''"));
            let mut statements = Vec::new();
            for r in c.rows("SHOW GRANTS FOR CURRENT_USER()").await? {
                let line = r[0].clone().unwrap_or_default();
                // Only grants on the deployment's databases: global ones are the server's business.
                let on_ns = namespaces.iter().any(|n| line.contains(&format!(" ON `{}`.", n.replace('`', "``"))));
                if let (true, Some((head, _))) = (on_ns, line.split_once(" TO ")) {
                    statements.push(format!("{head} TO {GRANTEE}"));
                }
            }
            Ok(RecordedGrants { grantee, statements })
        }
        Dialect::Sqlite => Ok(RecordedGrants { grantee: String::new(), statements: vec![] }),
    }
}

fn qi(s: &str) -> String {
    crate::live::quote_ident(Dialect::Postgres, s)
}

/// The grantee written into the statements: a PostgreSQL role is quoted as
/// an identifier; a MySQL account is given as 'user'@'host' (or user alone).
pub fn grantee_sql(d: Dialect, who: &str) -> String {
    match d {
        Dialect::Postgres => qi(who),
        _ if who.contains('@') => who.to_string(),
        _ => format!("'{}'@'%'", who.replace('\'', "''")),
    }
}

/// Whether the grantee exists on the target (so the grants can be applied).
pub async fn grantee_exists(c: &mut LiveConn, who: &str) -> Result<bool> {
    match c.dialect() {
        Dialect::Postgres => {
            Ok(c.scalar_i64(&format!("SELECT count(*) FROM pg_roles WHERE rolname = {}", c.lit(who))).await? == Some(1))
        }
        Dialect::Mysql => {
            let g = grantee_sql(Dialect::Mysql, who);
            let (u, h) = g.trim_matches('\'').split_once("'@'").unwrap_or((&g, "%"));
            let q = format!("SELECT COUNT(*) FROM mysql.user WHERE User = {} AND Host = {}", c.lit(u), c.lit(h));
            Ok(c.scalar_i64(&q).await? == Some(1))
        }
        Dialect::Sqlite => Ok(true),
    }
}

/// Applies the recorded grants to `who`; returns the statements run.
pub async fn apply(c: &mut LiveConn, g: &RecordedGrants, who: &str) -> Result<Vec<String>> {
    let target = grantee_sql(c.dialect(), who);
    let mut done = Vec::new();
    for s in &g.statements {
        let sql = s.replace(GRANTEE, &target);
        c.exec(&sql).await.map_err(|e| Error::new(ErrorCode::DatabaseError, format!("{sql}: {}", e.message)))?;
        done.push(sql);
    }
    Ok(done)
}
