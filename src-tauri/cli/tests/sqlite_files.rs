//! A backup folder holds exactly its manifest's files: a SQLite source in WAL
//! mode (as ScalarDB users set it) and one in rollback-journal mode, backed up
//! and verified twice through the real binary — no `-shm`/`-wal` appears,
//! nothing changes (size, SHA-256, mtime), and a file put there by hand is
//! reported by `quiesce verify`.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `dir`, relative, with its size, SHA-256 and mtime.
fn snapshot(dir: &Path) -> BTreeMap<String, (u64, String, std::time::SystemTime)> {
    all_files(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            let md = std::fs::metadata(&p).unwrap();
            let (sha, _) = quiesce_engine::catalog::manifest::sha256_file(&p).unwrap();
            (rel, (md.len(), sha, md.modified().unwrap()))
        })
        .collect()
}

fn backup(cli: &Cli, journal: &str) -> (PathBuf, serde_json::Value) {
    let file = cli.home.path().join(format!("bank-{journal}.sqlite"));
    quiesce_engine::demo::create_demo_database(&file).unwrap();
    let c = rusqlite::Connection::open(&file).unwrap();
    let mode: String = c.query_row(&format!("PRAGMA journal_mode={journal}"), [], |r| r.get(0)).unwrap();
    assert_eq!(mode, journal);
    drop(c);
    let name = format!("lite-{journal}");
    let out = cli.run(
        &["profile", "add", "--name", &name, "--kind", "sqlite", "--path", &file.display().to_string()],
        None,
        &[],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = cli.run(&["deployment", "create", &format!("d-{journal}"), "--storage", &name], None, &[]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (code, v) = cli.json(&["backup", &format!("d-{journal}")], None, &[]);
    assert_eq!(code, 0, "{v}");
    (PathBuf::from(v["folder"].as_str().unwrap()), v["backup"].clone())
}

#[test]
fn wal_and_rollback_sources_leave_exactly_the_manifests_files_and_verifying_twice_changes_nothing() {
    let cli = Cli::new();
    for journal in ["wal", "delete"] {
        let (folder, m) = backup(&cli, journal);
        let mut want: Vec<String> = m["units"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|u| u["files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap().to_string()))
            .collect();
        want.push("manifest.json".into());
        want.sort();
        let before = snapshot(&folder);
        assert_eq!(before.keys().cloned().collect::<Vec<_>>(), want, "{journal}: the sealed folder");
        let id = m["id"].as_str().unwrap();
        for round in 0..2 {
            let (code, v) = cli.json(&["verify", id], None, &[]);
            assert_eq!(code, 0, "{journal} round {round}: {v}");
            assert_eq!(v["integrity"]["problems"], serde_json::json!([]));
            assert_eq!(v["integrity"]["unlisted"], serde_json::json!([]), "{journal} round {round}");
            assert_eq!(v["verify"]["passed"], true, "the audit ran on the copy: {v}");
        }
        let after = snapshot(&folder);
        // The backup's own files are byte for byte, and mtime, as sealed; only verifications/ was added.
        for (f, s) in &before {
            assert_eq!(after.get(f), Some(s), "{journal}: {f} changed");
        }
        let added: Vec<&String> = after.keys().filter(|f| !before.contains_key(*f)).collect();
        assert!(!added.is_empty() && added.iter().all(|f| f.starts_with("verifications/")), "{journal}: {added:?}");
    }
}

#[test]
fn verify_reports_files_the_manifest_does_not_list() {
    let cli = Cli::new();
    let (folder, m) = backup(&cli, "wal");
    // What an earlier release left beside a WAL-mode copy, and a file put there by hand.
    std::fs::write(folder.join("scalardb.sqlite-shm"), vec![0u8; 32768]).unwrap();
    std::fs::write(folder.join("notes.txt"), "copied from prod").unwrap();
    let (code, v) = cli.json(&["verify", m["id"].as_str().unwrap()], None, &[]);
    assert_eq!(code, 0, "the backup's own files still match: {v}");
    assert_eq!(v["integrity"]["unlisted"], serde_json::json!(["notes.txt", "scalardb.sqlite-shm"]));
    let human = cli.run(&["verify", m["id"].as_str().unwrap()], None, &[]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("does not list") && text.contains("notes.txt"), "{text}");
    // Reported, never deleted.
    assert!(folder.join("notes.txt").exists() && folder.join("scalardb.sqlite-shm").exists());
}
