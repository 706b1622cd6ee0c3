//! Test support: throwaway database servers started from Debian's packages on a
//! temp dir and a free port, TLS material, and helpers to run the built CLI.
//!
//! Servers never outlive their test process: each one gets a detached watchdog
//! that stops it and deletes its directory once the owning process is gone
//! (statics are never dropped, and an aborted run skips every destructor), and
//! every start first reaps servers left behind by runs whose owner is dead.

pub mod admin;
pub mod layout;
pub mod mariadb;
pub mod migration;
pub mod postgres;
pub mod scalardb;
pub mod tls;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub fn is_root() -> bool {
    unsafe { libc::geteuid() == 0 }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A short directory under /tmp (Unix socket paths are limited to ~100 bytes).
pub fn short_tempdir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new().prefix(prefix).tempdir_in("/tmp").expect("create a temp dir under /tmp")
}

pub fn random_suffix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!("{:x}{:x}{n}", std::process::id(), nanos)
}

pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?} failed ({}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn wait_until(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !ok() {
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn registry_dir() -> PathBuf {
    let d = std::env::temp_dir().join("quiesce-test-servers");
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn pid_alive(pid: i32) -> bool {
    pid > 0 && unsafe { libc::kill(pid, 0) == 0 || *libc::__errno_location() == libc::EPERM }
}

/// The record of a running server, and its watchdog.
pub(crate) struct Registration {
    entry: PathBuf,
}

impl Registration {
    /// `pid_file`: where the server writes its pid (first line). `signal`: how to stop it.
    pub(crate) fn new(name: &str, dir: &Path, pid_file: &Path, signal: i32) -> Registration {
        reap_stale();
        let entry = registry_dir().join(format!("{name}-{}", random_suffix()));
        std::fs::write(
            &entry,
            format!("{}\n{}\n{}\n{}\n", std::process::id(), dir.display(), pid_file.display(), signal),
        )
        .unwrap();
        // Detached (own session) so that it outlives the test process it watches.
        let script = format!(
            "while kill -0 {owner} 2>/dev/null; do sleep 1; done; \
             p=$(head -n1 '{pidf}' 2>/dev/null); \
             if [ -n \"$p\" ]; then kill -{sig} \"$p\" 2>/dev/null; i=0; while kill -0 \"$p\" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; kill -9 \"$p\" 2>/dev/null; fi; \
             rm -rf '{dir}' '{entry}'",
            owner = std::process::id(),
            pidf = pid_file.display(),
            sig = signal,
            dir = dir.display(),
            entry = entry.display(),
        );
        use std::os::unix::process::CommandExt;
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        unsafe {
            cmd.pre_exec(|| {
                libc::setsid();
                Ok(())
            });
        }
        // Deliberately not waited for: it must outlive this process.
        #[allow(clippy::zombie_processes)]
        cmd.spawn().expect("start the server watchdog");
        Registration { entry }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.entry);
    }
}

/// Stops servers whose owning test process is gone (a run killed before its
/// watchdog could act, e.g. by a reboot-less SIGKILL of the whole group).
pub fn reap_stale() {
    let Ok(entries) = std::fs::read_dir(registry_dir()) else { return };
    for e in entries.flatten() {
        let Ok(text) = std::fs::read_to_string(e.path()) else { continue };
        let lines: Vec<&str> = text.lines().collect();
        if lines.len() < 4 {
            continue;
        }
        let owner: i32 = lines[0].parse().unwrap_or(0);
        if pid_alive(owner) {
            continue;
        }
        let sig: i32 = lines[3].parse().unwrap_or(libc::SIGTERM);
        if let Some(pid) = std::fs::read_to_string(lines[2])
            .ok()
            .and_then(|s| s.lines().next().and_then(|l| l.trim().parse::<i32>().ok()))
        {
            unsafe { libc::kill(pid, sig) };
            let deadline = Instant::now() + Duration::from_secs(10);
            while pid_alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        let _ = std::fs::remove_dir_all(lines[1]);
        let _ = std::fs::remove_file(e.path());
    }
}

/// Finds a program in the given directories, then on PATH.
pub fn find_program(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    dirs.iter().cloned().chain(std::env::split_paths(&path)).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The path of a binary built by this workspace (target/debug/NAME), for
/// end-to-end tests that run the real CLI or app.
pub fn workspace_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let p = target.join("debug").join(name);
    assert!(p.is_file(), "{} is not built; run `cargo build --workspace` first", p.display());
    p
}

/// Secret Service availability for keyring tests. The tests must run inside
/// `dbus-run-session` with an unlocked gnome-keyring (scripts/test.sh does this);
/// a keyring test that finds none fails instead of passing vacuously.
pub fn require_secret_service() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "keyring tests need a Secret Service: run them through scripts/test.sh (dbus-run-session + gnome-keyring-daemon)"
    );
}
