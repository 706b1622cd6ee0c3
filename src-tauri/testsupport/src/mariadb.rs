//! A throwaway MariaDB server: `mariadb-install-db` + `mariadbd` on a temp dir
//! and a free port. Admin over the socket as root; tests connect over TCP as
//! `quiesce` with a password.

use crate::*;
use std::sync::OnceLock;

pub const USER: &str = "quiesce";

pub struct MariaDbServer {
    pub port: u16,
    pub password: String,
    pub dir: PathBuf,
    child: std::sync::Mutex<std::process::Child>,
    _temp: tempfile::TempDir,
    _reg: Registration,
}

impl MariaDbServer {
    pub fn shared() -> &'static MariaDbServer {
        static S: OnceLock<MariaDbServer> = OnceLock::new();
        S.get_or_init(MariaDbServer::start)
    }

    pub fn start() -> MariaDbServer {
        MariaDbServer::start_with(&[])
    }

    /// A server with more options, e.g. the binary log
    /// (`--log-bin=binlog --server-id=1 --binlog-format=ROW`).
    pub fn start_with(extra: &[&str]) -> MariaDbServer {
        let temp = short_tempdir("qzmy");
        let dir = temp.path().to_path_buf();
        let data = dir.join("data");
        let root = is_root();
        let mut install =
            Command::new(find_program("mariadb-install-db", &[]).expect(
                "mariadb-install-db not found: install Debian's `mariadb-server` package (scripts/setup.sh does)",
            ));
        // Each server its own tmpdir: a mariadbd that starts deletes every
        // `#sql*` file in its tmpdir (`mysql_rm_tmp_tables`), which, in a
        // shared /tmp, are another server's or a bootstrap's temporary tables.
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp).expect("a tmpdir for the server");
        install.arg("--no-defaults").arg(format!("--datadir={}", data.display()));
        install.arg(format!("--tmpdir={}", tmp.display()));
        install.args(["--auth-root-authentication-method=normal", "--skip-test-db"]);
        if root {
            install.arg("--user=root");
        }
        {
            // Two mariadb-install-db at once in one process sometimes fail
            // ("Installation of system tables failed"): one at a time.
            static INSTALL: std::sync::Mutex<()> = std::sync::Mutex::new(());
            let _one = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
            run(&mut install);
        }
        let mariadbd = find_program("mariadbd", &[PathBuf::from("/usr/sbin")]).expect("mariadbd not found");
        let mut last = String::new();
        for _ in 0..3 {
            let port = free_port();
            let mut cmd = Command::new(&mariadbd);
            cmd.arg("--no-defaults")
                .arg(format!("--datadir={}", data.display()))
                .arg(format!("--socket={}", dir.join("sock").display()))
                .arg(format!("--port={port}"))
                .arg("--bind-address=127.0.0.1")
                .arg(format!("--pid-file={}", dir.join("mariadb.pid").display()))
                .arg(format!("--tmpdir={}", tmp.display()))
                .arg(format!("--log-error={}", dir.join("error.log").display()))
                .args(["--innodb-buffer-pool-size=64M", "--innodb-log-file-size=48M", "--skip-name-resolve"])
                // What Debian's server configuration sets (50-server.cnf): ScalarDB namespaces hold any Unicode.
                .args(["--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci"])
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if root {
                cmd.arg("--user=root");
            }
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
            let mut child = cmd.spawn().expect("start mariadbd");
            let ok = {
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    if let Ok(Some(_)) = child.try_wait() {
                        break false;
                    }
                    let ping = Command::new("mariadb-admin")
                        .arg("--no-defaults")
                        .arg(format!("--socket={}", dir.join("sock").display()))
                        .args(["-uroot", "ping"])
                        .output();
                    if matches!(ping, Ok(ref o) if o.status.success()) {
                        break true;
                    }
                    if Instant::now() > deadline {
                        let _ = child.kill();
                        break false;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            };
            if ok {
                let reg = Registration::new("mariadb", &dir, &dir.join("mariadb.pid"), libc::SIGTERM);
                let password = format!("my-{}", random_suffix());
                let s =
                    MariaDbServer { port, password, dir, child: std::sync::Mutex::new(child), _temp: temp, _reg: reg };
                s.sql(&format!(
                    "CREATE USER '{USER}'@'%' IDENTIFIED BY '{pw}'; GRANT ALL ON *.* TO '{USER}'@'%' WITH GRANT OPTION;",
                    pw = s.password
                ));
                return s;
            }
            last = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        }
        panic!("MariaDB did not start:\n{last}");
    }

    /// Runs SQL as root over the socket; returns tab-separated rows.
    /// The server process (its threads' CPU time is in its /proc stat).
    pub fn server_pid(&self) -> i32 {
        self.child.lock().unwrap().id() as i32
    }

    pub fn sql(&self, sql: &str) -> String {
        run(Command::new("mariadb")
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.dir.join("sock").display()))
            .args(["-uroot", "-N", "-B", "-e", sql]))
        .trim()
        .to_string()
    }

    pub fn create_database(&self) -> String {
        let name = format!("t_{}", random_suffix());
        self.sql(&format!("CREATE DATABASE {name}"));
        name
    }
}

impl Drop for MariaDbServer {
    fn drop(&mut self) {
        let mut c = self.child.lock().unwrap();
        unsafe { libc::kill(c.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = c.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = c.kill();
        let _ = c.wait();
    }
}
