//! The demo deployment: a small ScalarDB-shaped SQLite database and a profile
//! for it, created on the first start so the app has something real to show.

use crate::error::{Error, Result};
use crate::paths::Home;
use crate::profile::{DbKind, Profile, ProfileInput, Profiles};
use crate::scalardb::{self, TableDef, TX_COMMITTED};
use rusqlite::params;

pub const DEMO_PROFILE: &str = "demo-sqlite";
pub const DEMO_DEPLOYMENT: &str = "demo";
pub const DEMO_FILE: &str = "scalardb-demo.sqlite";
/// Where the first start's "Restore it into a new file" goes: a profile for a
/// file that does not exist until that restore creates it.
pub const DEMO_RESTORE_PROFILE: &str = "demo-restored";
pub const DEMO_RESTORE_FILE: &str = "scalardb-demo-restored.sqlite";
const ACCOUNTS: i64 = 100;
const INITIAL_BALANCE: i64 = 1_000;

/// Creates the demo (database, its profile, a profile to restore it into,
/// deployment) once. A marker remembers it was offered, so a user who
/// deletes the demo profile does not get it back on the next start.
pub fn ensure_demo(profiles: &Profiles) -> Result<Option<Profile>> {
    let home: &Home = profiles.home();
    let dir = home.demo_dir();
    let marker = dir.join(".created");
    if marker.exists() {
        return Ok(None);
    }
    crate::paths::create_private_dir(&dir)?;
    let db = dir.join(DEMO_FILE);
    if !db.exists() {
        create_demo_database(&db)?;
    }
    let profile = match profiles.get(DEMO_PROFILE) {
        Ok(p) => p,
        Err(_) => profiles.create(&ProfileInput {
            name: DEMO_PROFILE.into(),
            kind: Some(DbKind::Sqlite),
            path: Some(db.to_string_lossy().into_owned()),
            ..Default::default()
        })?,
    };
    if profiles.get(DEMO_RESTORE_PROFILE).is_err() {
        profiles.create(&ProfileInput {
            name: DEMO_RESTORE_PROFILE.into(),
            kind: Some(DbKind::Sqlite),
            path: Some(dir.join(DEMO_RESTORE_FILE).to_string_lossy().into_owned()),
            ..Default::default()
        })?;
    }
    let deployments = crate::deployment::Deployments::new(profiles.clone());
    if deployments.get(DEMO_DEPLOYMENT).is_err() {
        deployments.create(
            &crate::deployment::DeploymentInput {
                name: DEMO_DEPLOYMENT.into(),
                storages: vec![crate::deployment::DeploymentStorage {
                    name: "default".into(),
                    profile_id: profile.id.clone(),
                }],
                ..Default::default()
            },
            None,
        )?;
    }
    std::fs::write(&marker, b"").map_err(|e| Error::io("write", &marker, e))?;
    Ok(Some(profile))
}

/// A bank with two namespaces (`bank`, `audit`), the coordinator and metadata,
/// every record COMMITTED: `sum(balance)` is ACCOUNTS * INITIAL_BALANCE.
pub fn create_demo_database(path: &std::path::Path) -> Result<()> {
    let tmp = path.with_extension("partial");
    let _ = std::fs::remove_file(&tmp);
    let build = || -> rusqlite::Result<()> {
        let mut c = rusqlite::Connection::open(&tmp)?;
        c.pragma_update(None, "journal_mode", "WAL")?;
        let tx = c.transaction()?;
        tx.execute(&scalardb::sqlite_metadata_ddl(), [])?;
        tx.execute(&scalardb::sqlite_coordinator_ddl("coordinator"), [])?;
        let tables = [
            TableDef {
                namespace: "bank",
                name: "accounts",
                keys: &[("account_id", "INT")],
                columns: &[("owner", "TEXT"), ("balance", "BIGINT")],
            },
            TableDef {
                namespace: "audit",
                name: "transfers",
                keys: &[("transfer_id", "TEXT")],
                columns: &[("from_id", "INT"), ("to_id", "INT"), ("amount", "BIGINT")],
            },
        ];
        for t in &tables {
            let (ddl, meta) = scalardb::sqlite_table_ddl(t);
            tx.execute(&ddl, [])?;
            for m in meta {
                tx.execute(&m, [])?;
            }
        }
        let now = chrono::Utc::now().timestamp_millis();
        for i in 0..ACCOUNTS {
            let txid = format!("demo-load-{i:04}");
            tx.execute(
                "INSERT INTO \"bank$accounts\" (account_id, owner, balance, tx_id, tx_state, tx_version, tx_prepared_at, tx_committed_at) VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6)",
                params![i, format!("customer-{i:03}"), INITIAL_BALANCE, txid, TX_COMMITTED, now],
            )?;
            tx.execute(
                "INSERT INTO \"coordinator$state\" (tx_id, tx_state, tx_created_at) VALUES (?1, ?2, ?3)",
                params![txid, TX_COMMITTED, now],
            )?;
        }
        tx.commit()?;
        c.pragma_update(None, "journal_mode", "DELETE")?;
        Ok(())
    };
    build().map_err(|e| {
        Error::new(
            crate::ErrorCode::DatabaseError,
            format!("Could not create the demo database at {}: {e}", tmp.display()),
        )
    })?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io("create", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_database_has_the_scalardb_layout() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("d.sqlite");
        create_demo_database(&p).unwrap();
        let c = rusqlite::Connection::open(&p).unwrap();
        let sum: i64 = c.query_row("SELECT sum(balance) FROM \"bank$accounts\"", [], |r| r.get(0)).unwrap();
        assert_eq!(sum, ACCOUNTS * INITIAL_BALANCE);
        let coord: i64 =
            c.query_row("SELECT count(*) FROM \"coordinator$state\" WHERE tx_state = 3", [], |r| r.get(0)).unwrap();
        assert_eq!(coord, ACCOUNTS);
        let meta: Vec<String> = c
            .prepare("SELECT DISTINCT full_table_name FROM \"scalardb$metadata\" ORDER BY 1")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(meta, vec!["audit.transfers", "bank.accounts"]);
        // Consensus Commit columns, including before_ images of non-key columns.
        for col in ["tx_prepared_at", "before_tx_committed_at", "before_balance"] {
            c.query_row(&format!("SELECT count(\"{col}\") FROM \"bank$accounts\""), [], |_| Ok(())).unwrap();
        }
        assert!(!p.with_extension("partial").exists());
    }
}
