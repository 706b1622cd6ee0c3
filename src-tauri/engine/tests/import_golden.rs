//! Golden tests over a corpus of real-world-shaped ScalarDB properties files
//! (tests/fixtures/properties): what the import preview finds in each, or the
//! error a malformed one gets. `UPDATE_GOLDEN=1 cargo test -p quiesce-engine
//! --test import_golden` rewrites the .golden.json files; review the diff.

use quiesce_engine::deployment::import;
use std::path::{Path, PathBuf};

fn corpus() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/properties");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "properties"))
        .collect();
    v.sort();
    assert!(v.len() >= 15, "the corpus went missing from {}", dir.display());
    v
}

/// The preview (or error) as stable JSON: the absolute path is reduced to the file name.
fn golden_json(path: &Path) -> String {
    let (text, sha) = import::read(path).unwrap();
    let value = match import::interpret(path, &text, &sha, &[]) {
        Ok(it) => {
            let mut v = serde_json::to_value(&it.preview).expect("a preview serializes (it holds no secret)");
            v["file"] = path.file_name().unwrap().to_string_lossy().into_owned().into();
            serde_json::json!({ "preview": v })
        }
        Err(e) => serde_json::json!({ "error": { "code": e.code, "message": e.message } }),
    };
    serde_json::to_string_pretty(&value).unwrap() + "\n"
}

#[test]
fn every_corpus_file_matches_its_golden_output() {
    let mut stale = Vec::new();
    for p in corpus() {
        let got = golden_json(&p);
        let golden = p.with_extension("golden.json");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &got).unwrap();
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if want != got {
            stale.push(format!("{}:\n{got}", golden.display()));
        }
    }
    assert!(stale.is_empty(), "golden outputs differ (UPDATE_GOLDEN=1 to accept):\n{}", stale.join("\n"));
}

#[test]
fn no_secret_of_any_file_reaches_its_preview() {
    for p in corpus() {
        let text = std::fs::read_to_string(&p).unwrap();
        let out = golden_json(&p);
        for line in text.lines() {
            // Secrets inside URLs (userinfo, parameters) are named by a comment.
            if let Some(secret) = line.strip_prefix("# secret: ") {
                assert!(!out.contains(secret.trim()), "{}: {secret} is in the preview or the error", p.display());
            }
            if let Some((k, v)) = line.split_once('=') {
                let v = v.trim();
                if k.trim().ends_with("password") && !v.is_empty() {
                    assert!(!out.contains(v), "{}: the password of {k} is in the preview", p.display());
                }
            }
        }
        assert!(
            !out.contains("golden-url-secret"),
            "{}: a password inside a JDBC URL reached the preview",
            p.display()
        );
    }
}

#[test]
fn malformed_files_are_errors_with_line_numbers_and_unknown_keys_are_listed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/properties");
    let err = |name: &str| {
        let p = dir.join(name);
        let (text, sha) = import::read(&p).unwrap();
        import::interpret(&p, &text, &sha, &[]).err().unwrap_or_else(|| panic!("{name} was accepted"))
    };
    assert!(err("bad-malformed.properties").message.contains("line 3"));
    assert!(err("bad-storage.properties").message.contains("line 2"));
    assert!(err("bad-mapping.properties").message.contains("line 5"));
    assert!(err("bad-no-storage.properties").message.contains("scalar.db.storage"));

    let p = dir.join("unknown-keys.properties");
    let (text, sha) = import::read(&p).unwrap();
    let pv = import::interpret(&p, &text, &sha, &[]).unwrap().preview;
    let unknown: Vec<(&str, usize)> = pv.unknown_keys.iter().map(|k| (k.key.as_str(), k.line)).collect();
    assert_eq!(
        unknown,
        vec![
            ("scalar.db.frobnicate", 4),
            ("log4j.rootLogger", 5),
            ("scalar.db.multi_storage.storages.ghost.storage", 6)
        ]
    );
    assert!(pv.notes.iter().any(|n| n.contains("lines 1 and 3")), "{:?}", pv.notes);
}
