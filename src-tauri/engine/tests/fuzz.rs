//! Fuzzing on stable Rust: every parser of outside input — ScalarDB
//! properties files (and the JDBC URLs in them), backup manifests, durations
//! — fed inputs made by mutating a checked-in corpus of real ones (so they
//! get past the first bytes of the grammar), with a fixed seed and case
//! count, failures kept in `fuzz.proptest-regressions` beside this file.
//! Each parser must never panic, and must reject with `invalid_input`
//! naming the line (or the value) at fault. Later issues add their parsers.

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence, RngAlgorithm, TestRng, TestRunner};
use quiesce_engine::deployment::import;
use quiesce_engine::ErrorCode;
use std::path::{Path, PathBuf};

/// One edit of a seed input.
#[derive(Debug, Clone)]
enum Edit {
    Insert(usize, String),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

/// What the parsers look for, and what breaks them.
const TOKENS: &[&str] = &[
    "=",
    ":",
    "\\",
    "\\u",
    "\\u00",
    "%",
    "%2",
    "%zz",
    "[",
    "]",
    "[::1]",
    "(",
    ")",
    "address=(host=",
    "@",
    ":@",
    "//",
    "/",
    "?",
    "&",
    ";",
    ",",
    "#",
    "!",
    "\n",
    "\r\n",
    "\\\n",
    "\t",
    " ",
    "\0",
    "'",
    "\"",
    "jdbc:",
    "jdbc:mysql:",
    "jdbc:postgresql:",
    "jdbc:mariadb:loadbalance:",
    "sslmode=",
    "sslMode=",
    "password=",
    "user=",
    "scalar.db.",
    "storage=",
    "multi-storage",
    "contact_points=",
    "namespace_mapping=",
    "ns:x,",
    "65536",
    "0",
    "-1",
    "99999999999999999999",
    "é",
    "\u{fffd}",
    "ms",
    "s",
    "1m",
    "{",
    "}",
    "[]",
    "null",
    "\"schema_version\": 2",
    "\"files\": [",
    "\"name\": \"../x\"",
    "999999999999",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), prop::sample::select(TOKENS).prop_map(str::to_string)).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<usize>(), prop::string::string_regex("[ -~]{1,8}").unwrap()).prop_map(|(i, t)| Edit::Insert(i, t)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<usize>(), 1usize..60).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

/// A byte position of `s` on a char boundary.
fn at(s: &str, i: usize) -> usize {
    let mut p = if s.is_empty() { 0 } else { i % (s.len() + 1) };
    while !s.is_char_boundary(p) {
        p -= 1;
    }
    p
}

fn apply(mut s: String, edits: &[Edit]) -> String {
    for e in edits {
        match e {
            Edit::Insert(i, t) => {
                let p = at(&s, *i);
                s.insert_str(p, t);
            }
            Edit::Delete(i, n) => {
                let a = at(&s, *i);
                let b = at(&s, a + n);
                if b > a {
                    s.replace_range(a..b, "");
                }
            }
            Edit::Duplicate(i, n) => {
                let a = at(&s, *i);
                let b = at(&s, a + n);
                if b > a {
                    let piece = s[a..b].to_string();
                    s.insert_str(b, &piece);
                }
            }
            Edit::Truncate(i) => {
                let p = at(&s, *i);
                s.truncate(p);
            }
        }
    }
    s
}

/// Seeds mutated by 1 to 6 edits.
fn mutated(seeds: Vec<String>) -> impl Strategy<Value = String> {
    (prop::sample::select(seeds), prop::collection::vec(edit(), 1..6)).prop_map(|(s, e)| apply(s, &e))
}

/// A fixed seed and case count: the same inputs on every run and machine;
/// what fails is kept in the regressions file and replayed first.
fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fuzz.proptest-regressions"
        )))),
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7u8; 32]))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn properties_corpus() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures().join("properties"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "properties"))
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    v.sort();
    assert!(v.len() >= 20, "the properties corpus went missing");
    v
}

/// The JDBC URLs of the corpus, and more of the drivers' forms.
fn url_corpus() -> Vec<String> {
    let mut v: Vec<String> = properties_corpus()
        .iter()
        .flat_map(|t| t.lines().filter_map(|l| l.split_once("contact_points=").map(|x| x.1.trim().to_string())))
        .filter(|u| u.starts_with("jdbc:"))
        .collect();
    v.extend(
        [
            "jdbc:postgresql://[::1]:5432/app?sslmode=verify-full&sslrootcert=/etc/ca.pem",
            "jdbc:postgresql:app",
            "jdbc:postgresql://h1:5432,h2:5433/db?user=u&password=p",
            "jdbc:mysql://u:p@(host=db,port=3307)/my%20db?sslMode=VERIFY_IDENTITY",
            "jdbc:mysql:replication://address=(host=a)(port=1),address=(host=b)(port=2)/",
            "jdbc:mariadb:loadbalance://a,b/db?useSsl=true&connectTimeout=5000",
            "jdbc:sqlserver://h:1433;databaseName=x;password=p",
            "jdbc:oracle:thin:@//ora:1521/SVC",
            "jdbc:sqlite:/var/lib/scalardb.sqlite?busy_timeout=1000",
        ]
        .map(String::from),
    );
    v
}

/// A rejection must be invalid_input and say where: a line of the file, or
/// (for what the whole file lacks) the key.
fn assert_rejection_names_its_line(e: &quiesce_engine::Error, input: &str) {
    assert_eq!(e.code, ErrorCode::InvalidInput, "{:?} for {input:?}: {}", e.code, e.message);
    assert!(
        e.message.contains("line ") || e.message.contains("scalar.db."),
        "the rejection names no line and no key: {} (input {input:?})",
        e.message
    );
}

#[test]
fn properties_files_never_panic_and_rejections_name_their_line() {
    let path = Path::new("/etc/scalardb/database.properties");
    runner(3000)
        .run(&mutated(properties_corpus()), |text| {
            if let Err(e) = import::interpret(path, &text, "0", &[]) {
                assert_rejection_names_its_line(&e, &text);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn jdbc_urls_never_panic_and_rejections_name_their_line_and_mask_secrets() {
    let path = Path::new("/etc/scalardb/database.properties");
    runner(3000)
        .run(&mutated(url_corpus()), |url| {
            // A secret only this case holds: it must appear in no output.
            let text = format!("scalar.db.storage=jdbc\nscalar.db.contact_points={url}\nscalar.db.password=Fz-Pw-77\n");
            match import::interpret(path, &text, "0", &[]) {
                Ok(it) => {
                    let shown = serde_json::to_string(&it.preview).unwrap();
                    prop_assert!(!shown.contains("Fz-Pw-77"), "the password reached the preview: {shown}");
                }
                Err(e) => {
                    assert_rejection_names_its_line(&e, &url);
                    prop_assert!(!e.message.contains("Fz-Pw-77"));
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn manifests_never_panic_and_a_damaged_one_is_listed_with_its_line() {
    let mut seeds: Vec<String> = Vec::new();
    for d in ["pg-single", "maria-single", "lite-single"] {
        let dir = fixtures().join("../../../../tests/fixtures/state-v1/data/backups").join(d);
        for b in std::fs::read_dir(&dir).unwrap().flatten() {
            seeds.push(std::fs::read_to_string(b.path().join("manifest.json")).unwrap());
        }
    }
    assert_eq!(seeds.len(), 3, "the schema-1 fixture backups went missing");
    let root = tempfile::tempdir().unwrap();
    let folder = root.path().join("d/b1");
    std::fs::create_dir_all(&folder).unwrap();
    runner(1500)
        .run(&mutated(seeds), |text| {
            std::fs::write(folder.join("manifest.json"), &text).unwrap();
            match quiesce_engine::catalog::manifest::read_manifest(&folder) {
                Ok(m) => {
                    // A manifest that parses still never names a file outside its folder.
                    let problems = quiesce_engine::verify::check_integrity(
                        &folder,
                        &m,
                        &|_| {},
                        &tokio_util::sync::CancellationToken::new(),
                    )
                    .map(|r| r.problems)
                    .unwrap_or_default();
                    prop_assert!(!problems.iter().any(|p| p.contains("panicked")));
                }
                Err(e) => {
                    prop_assert_eq!(e.code, ErrorCode::InvalidInput, "{}", e.message);
                    prop_assert!(e.message.contains("manifest.json"), "{}", e.message);
                    let listed = quiesce_engine::catalog::list(root.path());
                    prop_assert!(listed.len() == 1 && listed[0].problem.is_some(), "a damaged manifest must be listed");
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn durations_never_panic_and_rejections_quote_the_value() {
    let seeds: Vec<String> = ["500ms", "5s", "1m", "2h", "1m30s", "30s", "366d", "0s"].map(String::from).to_vec();
    runner(3000)
        .run(&mutated(seeds), |text| {
            match quiesce_engine::duration::parse(&text) {
                Ok(d) => prop_assert!(d <= quiesce_engine::duration::MAX),
                Err(e) => {
                    prop_assert_eq!(e.code, ErrorCode::InvalidInput);
                    let quoted: String = text.chars().take(40).collect();
                    prop_assert!(e.message.contains(&quoted), "{} (for {text:?})", e.message);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn restore_times_never_panic_and_rejections_quote_the_value() {
    let seeds: Vec<String> = [
        "2026-11-30T14:02:11Z",
        "2026-11-30T14:02:11.500Z",
        "2026-11-30 15:02:11+01:00",
        "2026-11-30T15:02:11.5-08:00",
        "1796047331500",
        "2026-11-30 15:02",
        "2026-11-30T14:02Z",
        "2026-03-29 02:30:00",
    ]
    .map(String::from)
    .to_vec();
    let plus1 = chrono::FixedOffset::east_opt(3600).unwrap();
    runner(3000)
        .run(&mutated(seeds), |text| {
            match quiesce_engine::points::time::parse_in(&text, &plus1) {
                // Whatever is accepted prints back as UTC with Z and reads back as the same instant.
                Ok(t) => {
                    let utc = quiesce_engine::points::time::utc(t);
                    prop_assert!(utc.ends_with('Z'));
                    prop_assert_eq!(quiesce_engine::points::time::parse_in(&utc, &plus1).unwrap(), t);
                }
                Err(e) => {
                    prop_assert_eq!(e.code, ErrorCode::InvalidInput);
                    let quoted: String = text.chars().take(40).collect();
                    prop_assert!(
                        e.message.contains(quoted.trim_end()) || e.message.contains(&quoted),
                        "{} (for {text:?})",
                        e.message
                    );
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn schema_files_never_panic_and_rejections_name_the_file() {
    let seeds: Vec<String> = [
        r#"{"sales.orders": {"transaction": true, "partition-key": ["id"], "columns": {"id": "INT"}}}"#,
        r#"{"a.b": {}, "c.d": {"transaction": false}}"#,
        r#"{"coordinator.state": {"transaction": true}}"#,
    ]
    .map(String::from)
    .to_vec();
    runner(2000)
        .run(&mutated(seeds), |text| {
            match quiesce_engine::runbook::schema::parse(&text, "schema.json") {
                Ok(tables) => prop_assert!(tables.iter().all(|(n, t)| !n.is_empty() && !t.is_empty())),
                Err(e) => {
                    prop_assert_eq!(e.code, ErrorCode::InvalidInput);
                    prop_assert!(e.message.contains("schema.json"), "{}", e.message);
                }
            }
            Ok(())
        })
        .unwrap();
}
