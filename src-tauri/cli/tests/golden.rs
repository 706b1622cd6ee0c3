//! The `--json` output of every command, byte for byte, against golden files
//! (tests/golden/cli) made by the binary before the CLI's printers moved into
//! its commands: users' scripts read this output, so a refactor must not
//! change a byte of it. Only what differs by machine or by the clock is
//! blanked on both sides (the state directory's path, "now", who and where).
//! The text output of the same commands is held to `.txt` files the same way
//! (made by the same older binary), with every timestamp blanked.
//!
//! Remake them only for a deliberate change of the output:
//! `UPDATE_GOLDEN=1 cargo test -p quiesce-cli --test golden` (and say so in
//! the commit). `QUIESCE_GOLDEN_BIN` runs another binary (an older release's)
//! instead of this build's.

mod common;

use std::path::{Path, PathBuf};

/// In order: each runs on the state the ones before it left (a verification
/// shows in the list and the history after it).
const CASES: &[(&str, &[&str])] = &[
    ("profile-list", &["profile", "list"]),
    ("profile-show", &["profile", "show", "pg"]),
    ("profile-show-missing", &["profile", "show", "nope"]),
    ("deployment-list", &["deployment", "list"]),
    ("deployment-show", &["deployment", "show", "pg-single"]),
    ("deployment-show-multi", &["deployment", "show", "multi"]),
    ("deployment-show-imported", &["deployment", "show", "leaky"]),
    ("deployment-show-missing", &["deployment", "show", "nope"]),
    ("plan-single", &["plan", "pg-single"]),
    ("plan-multi", &["plan", "multi"]),
    ("plan-sqlite", &["plan", "lite-single"]),
    ("backups-list", &["backups", "list"]),
    ("backups-show", &["backups", "show", "20261201T000252Z-604783"]),
    ("backups-show-missing", &["backups", "show", "nope"]),
    ("points-single", &["points", "pg-single"]),
    ("points-multi", &["points", "multi"]),
    ("runbook-backup", &["runbook", "pg-single", "--at", "20261201T000252Z-604783"]),
    ("runbook-no-window", &["runbook", "multi", "--at", "2026-12-01T00:00:00Z"]),
    ("backup-dry-run", &["backup", "lite-single", "--dry-run"]),
    ("backup-invalid-name", &["backup", ".."]),
    ("nodes-no-endpoint", &["nodes", "lite-single"]),
    ("verify-sqlite", &["verify", "20261201T000252Z-56817e"]),
    ("backups-list-verified", &["backups", "list"]),
    ("history", &["history"]),
    ("restore-missing", &["restore", "nope", "--to", "lite"]),
    ("verify-missing", &["verify", "nope"]),
];

/// Values that differ by run: blanked wherever the key appears. (Who ran a
/// job is set, USER=golden; where, this machine's name, is blanked by value.)
const VOLATILE: &[&str] = &[
    "now_ms",
    "latest_ms",
    "generated_at",
    "verified_at",
    "at",
    "discovery_taken_at",
    "audited_at",
    "free_bytes",
    // The first command moves a leaked password into the keyring, which
    // touches that profile.
    "updated_at",
];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/cli")
}

/// The end of the JSON value starting at `s[0]`.
fn value_end(s: &str) -> usize {
    let b = s.as_bytes();
    if b.first() == Some(&b'"') {
        let mut i = 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        return b.len();
    }
    s.find([',', '}', ']']).unwrap_or(s.len())
}

fn normalize(out: &str, home: &Path) -> String {
    let mut s = out.replace(&home.display().to_string(), "$HOME");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    if !host.trim().is_empty() {
        s = s.replace(&format!("\"host\":\"{}\"", host.trim()), "\"host\":\"<this machine>\"");
    }
    // The free space a dry run reports ("65.9 GB free at …").
    s = normalize_free(&s);
    for key in VOLATILE {
        let pat = format!("\"{key}\":");
        let mut from = 0;
        while let Some(i) = s[from..].find(&pat) {
            let start = from + i + pat.len();
            let end = start + value_end(&s[start..]);
            if &s[start..end] != "null" {
                s.replace_range(start..end, "\"<volatile>\"");
            }
            from = start;
        }
    }
    s
}

/// Runs every case on a fresh copy of the state, as JSON (`--json`) or text;
/// returns the names whose output differs from its golden file, and the
/// exit statuses.
fn run_cases(json: bool) -> (Vec<String>, String) {
    let cli = common::Cli::new();
    cli.with_state_v1();
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let bin = std::env::var_os("QUIESCE_GOLDEN_BIN");
    let dir = golden_dir();
    let mut codes = String::new();
    let mut differ = Vec::new();
    let ext = if json { "json" } else { "txt" };
    for (name, args) in CASES {
        let mut c = cli.cmd();
        if let Some(b) = &bin {
            c = std::process::Command::new(b);
            c.env("QUIESCE_HOME", cli.home.path()).env_remove("QUIESCE_LOG");
        }
        c.args(*args);
        if json {
            c.arg("--json");
        }
        let out = c.env("TZ", "UTC").env("USER", "golden").stdin(std::process::Stdio::null()).output().unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        let got = if json { normalize(&stdout, cli.home.path()) } else { normalize_text(&stdout, cli.home.path()) };
        codes.push_str(&format!("{name} {}\n", out.status.code().unwrap_or(-1)));
        let file = dir.join(format!("{name}.{ext}"));
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&file, &got).unwrap();
        } else if std::fs::read_to_string(&file).ok().as_deref() != Some(got.as_str()) {
            let seen = Path::new(env!("CARGO_TARGET_TMPDIR")).join("golden-now");
            std::fs::create_dir_all(&seen).unwrap();
            std::fs::write(seen.join(format!("{name}.{ext}")), &got).unwrap();
            differ.push(format!("{name}: diff {} {}", file.display(), seen.join(format!("{name}.{ext}")).display()));
        }
    }
    (differ, codes)
}

#[test]
fn every_commands_json_output_is_byte_identical_to_its_golden_file() {
    let (differ, codes) = run_cases(true);
    let codes_file = golden_dir().join("exit-codes.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&codes_file, &codes).unwrap();
        return;
    }
    assert!(differ.is_empty(), "output differs from its golden file:\n{}", differ.join("\n"));
    assert_eq!(std::fs::read_to_string(codes_file).unwrap(), codes, "exit statuses");
}

#[test]
fn every_commands_text_output_is_identical_to_its_golden_file_but_for_timestamps() {
    let (differ, codes) = run_cases(false);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        return;
    }
    assert!(differ.is_empty(), "text output differs from its golden file:\n{}", differ.join("\n"));
    // The exit status does not depend on how the output is printed.
    assert_eq!(std::fs::read_to_string(golden_dir().join("exit-codes.txt")).unwrap(), codes, "exit statuses");
}

/// Text output with the state directory's path, this machine's name, every
/// timestamp (`2026-12-07 13:47:51 UTC`, `2026-12-07T13:47:51.123+00:00`, …)
/// and free disk space blanked.
fn normalize_text(out: &str, home: &Path) -> String {
    let mut s = out.replace(&home.display().to_string(), "$HOME");
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    if !host.trim().is_empty() {
        s = s.replace(host.trim(), "<this machine>");
    }
    let b = s.as_bytes();
    let shape = |i: usize, pat: &str| {
        pat.bytes()
            .enumerate()
            .all(|(k, p)| b.get(i + k).is_some_and(|&c| if p == b'9' { c.is_ascii_digit() } else { c == p }))
    };
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < b.len() {
        if shape(i, "9999-99-99") && (shape(i + 10, "T99:99:99") || shape(i + 10, " 99:99:99")) {
            let mut j = i + 19;
            if b.get(j) == Some(&b'.') {
                j += 1;
                while b.get(j).is_some_and(u8::is_ascii_digit) {
                    j += 1;
                }
            }
            if b.get(j) == Some(&b'Z') {
                j += 1;
            } else if shape(j, "+99:99") || shape(j, "-99:99") {
                j += 6;
            } else if s[j..].starts_with(" UTC") {
                j += 4;
            }
            out.push_str("<time>");
            i = j;
        } else {
            let c = s[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    normalize_free(&out)
}

/// "65.9 GB free at" → "<free> at".
fn normalize_free(s: &str) -> String {
    let mut s = s.to_string();
    for unit in ["B", "KB", "MB", "GB", "TB"] {
        let pat = format!(" {unit} free at ");
        let mut from = 0;
        while let Some(i) = s[from..].find(&pat) {
            let end = from + i;
            let start = s[..end].trim_end_matches(|c: char| c.is_ascii_digit() || c == '.').len();
            s.replace_range(start..end + pat.len(), "<free> at ");
            from = start + "<free> at ".len();
        }
    }
    s
}

#[test]
fn text_blanking_takes_timestamps_and_paths_only() {
    let home = Path::new("/tmp/h");
    let s = "2026-12-07 13:47:51 UTC  backup ok /tmp/h/x at 2026-12-07T13:47:51.123+01:00, epoch ms 1790000000000; 1.5 GB free at /x; 2026-12-07 kept\n";
    assert_eq!(
        normalize_text(s, home),
        "<time>  backup ok $HOME/x at <time>, epoch ms 1790000000000; <free> at /x; 2026-12-07 kept\n"
    );
}

#[test]
fn blanking_leaves_everything_else_as_it_was() {
    let home = Path::new("/tmp/h");
    let s = r#"{"at":"2026-12-07T13:47:51Z","what":"a \"quoted\" at","n":{"now_ms":17966,"x":[1]},"folder":"/tmp/h/data","verified_at":null,"m":"65.9 GB free at /tmp/h/b"}"#;
    assert_eq!(
        normalize(s, home),
        r#"{"at":"<volatile>","what":"a \"quoted\" at","n":{"now_ms":"<volatile>","x":[1]},"folder":"$HOME/data","verified_at":null,"m":"<free> at $HOME/b"}"#
    );
}
