//! The CLI test harness shared by the test binaries: the real `quiesce`
//! binary with a private QUIESCE_HOME.
#![allow(dead_code)]

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub struct Cli {
    pub home: tempfile::TempDir,
}

impl Cli {
    pub fn new() -> Cli {
        Cli { home: tempfile::tempdir().unwrap() }
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_quiesce"));
        c.env("QUIESCE_HOME", self.home.path()).env_remove("QUIESCE_LOG");
        c
    }

    pub fn run(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
        let mut c = self.cmd();
        c.args(args).envs(env.iter().copied()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        let mut sin = child.stdin.take().unwrap();
        if let Some(s) = stdin {
            sin.write_all(s.as_bytes()).unwrap();
        }
        drop(sin);
        child.wait_with_output().unwrap()
    }

    pub fn json(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> (i32, Value) {
        let mut a = args.to_vec();
        a.push("--json");
        let out = self.run(&a, stdin, env);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("not JSON ({e}): {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
        });
        (out.status.code().unwrap(), v)
    }

    pub fn expect_error(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)], code: &str) -> Value {
        let (status, v) = self.json(args, stdin, env);
        assert_eq!(v["error"]["code"], code, "{v}");
        assert_ne!(status, 0);
        // The same error printed for humans carries the code too.
        let human = self.run(args, stdin, env);
        assert_eq!(human.status.code().unwrap(), status);
        let stderr = String::from_utf8_lossy(&human.stderr);
        assert!(stderr.contains(&format!("error[{code}]")), "{stderr}");
        v
    }

    pub fn profiles_file(&self) -> PathBuf {
        self.home.path().join("config/profiles.json")
    }

    /// Its state directory made a copy of the one the release before these
    /// changes wrote (tests/fixtures/state-v1, made by its own binary; see its ORIGIN).
    pub fn with_state_v1(&self) {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/state-v1");
        let out = Command::new("cp")
            .arg("-a")
            .arg(fixture.join("config"))
            .arg(fixture.join("data"))
            .arg(self.home.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

/// An executable shell script `name` in `dir` (created) running `body`: a hook, a stand-in tool.
pub fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    p
}

pub fn all_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                out.extend(all_files(&p));
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out
}

pub fn assert_not_in_files(dir: &Path, secret: &str) {
    for f in all_files(dir) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "the secret was written to {}",
            f.display()
        );
    }
}
