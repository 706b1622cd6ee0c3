//! A mariadb-dump/mysqldump script loaded over several connections: one
//! reads the script in order and runs everything but the rows (databases,
//! tables, session settings), the others run its `INSERT` statements as they
//! come, each with the script's session settings. The single `mariadb`
//! client feeds one statement at a time and leaves the server's other cores
//! idle; this is the same script run by the same server, in parallel.
//!
//! Each INSERT's rows go as a `LOAD DATA LOCAL` stream (`infile`), which the
//! server parses for a fraction of the CPU of SQL; a server with
//! local_infile=OFF gets the INSERTs themselves.
//!
//! A statement that is neither an INSERT nor plain DDL (a trigger, a
//! routine, a view) waits until every row read before it is in, so it
//! sees the tables exactly as the single stream would. The first error in
//! any connection stops them all; the restore's cleanup then drops the
//! databases it was creating.

use super::infile;
use super::prepare::UnitPlan;
use crate::error::{Error, ErrorCode, Result};
use crate::job::{JobEvent, Live, Sink};
use crate::profile::Profile;
use crate::sensitive::Sensitive;
use mysql_async::prelude::Queryable;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

/// Connections loading rows when `--jobs` is not given.
pub(super) fn default_jobs() -> u32 {
    std::thread::available_parallelism().map(|n| n.get() as u32).unwrap_or(2).clamp(2, 4)
}

/// Whether the unit is loaded here, and over how many row connections.
pub(super) fn jobs(u: &UnitPlan, jobs: Option<u32>) -> Option<u32> {
    let script = matches!(u.unit.format.as_str(), "default" | "plain");
    let n = jobs.unwrap_or_else(default_jobs);
    (u.mode == super::prepare::Mode::MyFresh && script && n > 1).then_some(n)
}

/// The line the preflight shows for it.
pub(super) fn describe(u: &UnitPlan, n: u32) -> String {
    let input = if u.unit.format == "default" { "zstd -dc mysql.sql.zst" } else { "mysql.sql" };
    format!(
        "{input} | quiesce: tables in order on one connection, INSERTs over {n} connections to {} as LOAD DATA LOCAL streams (--jobs 1: the mariadb client alone)",
        u.target.target()
    )
}

/// One statement of the script, split off by its delimiter.
struct Splitter {
    delim: Vec<u8>,
    stmt: Vec<u8>,
}

impl Splitter {
    fn new() -> Splitter {
        Splitter { delim: b";".to_vec(), stmt: Vec::new() }
    }

    /// Feeds one line (without its newline); a finished statement comes
    /// back. mariadb-dump escapes newlines inside values, so a statement
    /// ends where a line ends with the delimiter.
    fn line(&mut self, line: &[u8]) -> Option<Vec<u8>> {
        let t = line.trim_ascii_end();
        if self.stmt.is_empty() {
            let s = t.trim_ascii_start();
            if s.is_empty() || s.starts_with(b"--") {
                return None;
            }
            if let Some(d) = strip_prefix_ci(s, b"DELIMITER ") {
                self.delim = d.trim_ascii().to_vec();
                return None;
            }
            // A comment on its own line with no delimiter (the sandbox-mode
            // marker mariadb-dump writes first) is for the client only.
            if s.starts_with(b"/*") && s.ends_with(b"*/") {
                return None;
            }
        } else {
            self.stmt.push(b'\n');
        }
        self.stmt.extend_from_slice(t);
        if self.stmt.ends_with(&self.delim) {
            let n = self.stmt.len() - self.delim.len();
            self.stmt.truncate(n);
            return Some(std::mem::take(&mut self.stmt));
        }
        None
    }

    /// What is left when the script ends: a statement cut off is an error.
    fn finish(&self) -> Option<String> {
        let s = self.stmt.trim_ascii();
        (!s.is_empty()).then(|| String::from_utf8_lossy(&s[..s.len().min(80)]).into_owned())
    }
}

pub(super) fn strip_prefix_ci<'a>(s: &'a [u8], p: &[u8]) -> Option<&'a [u8]> {
    (s.len() >= p.len() && s[..p.len()].eq_ignore_ascii_case(p)).then(|| &s[p.len()..])
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    /// Rows: any connection.
    Insert,
    /// Session settings before the first database: every connection runs them.
    Header,
    /// Locks the single stream takes around a table's rows; pointless here
    /// (the table is new) and would block the row connections.
    Skip,
    /// DDL the row connections need first: run in order, at once.
    Schema,
    /// Anything else: run in order once every earlier row is in.
    AfterRows,
}

fn kind(stmt: &[u8], header_done: bool) -> Kind {
    let s = stmt.trim_ascii_start();
    let starts = |p: &[u8]| strip_prefix_ci(s, p).is_some();
    if starts(b"INSERT ") {
        Kind::Insert
    } else if starts(b"LOCK TABLES ") || starts(b"UNLOCK TABLES") {
        Kind::Skip
    } else if !header_done && starts(b"/*!4") {
        Kind::Header
    } else if starts(b"/*!4")
        || starts(b"SET ")
        || starts(b"USE ")
        || starts(b"CREATE DATABASE ")
        || starts(b"CREATE TABLE ")
        || starts(b"DROP TABLE ")
    {
        // `/*!40xxx … */`: session settings and (MyISAM) DISABLE/ENABLE KEYS.
        Kind::Schema
    } else {
        Kind::AfterRows
    }
}

/// The table an INSERT names, for an error message only.
fn insert_table(stmt: &[u8]) -> String {
    let s = String::from_utf8_lossy(&stmt[..stmt.len().min(300)]).into_owned();
    let Some(rest) = s.split_once('`').map(|(_, r)| r) else { return "?".into() };
    // A backtick inside the name is doubled.
    let mut name = String::new();
    let mut it = rest.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '`' if it.peek() == Some(&'`') => {
                it.next();
                name.push('`');
            }
            '`' => break,
            c => name.push(c),
        }
    }
    name
}

struct Shared {
    /// Statements handed out and not yet done.
    pending: AtomicU64,
    /// INSERTs sent as LOAD DATA streams, and sent as SQL.
    as_infile: AtomicU64,
    as_sql: AtomicU64,
    /// Cleared when the server refuses LOAD DATA LOCAL (local_infile=OFF).
    infile_ok: AtomicBool,
    done: Notify,
    first_error: Mutex<Option<Error>>,
    stop: CancellationToken,
}

impl Shared {
    fn fail(&self, e: Error) {
        let mut f = self.first_error.lock().unwrap();
        if f.is_none() {
            *f = Some(e);
        }
        self.stop.cancel();
    }
}

type Rows = (Arc<Vec<u8>>, Vec<u8>);

async fn connect(p: &Profile, pw: Option<&Sensitive<String>>, header: &[Vec<u8>]) -> Result<mysql_async::Conn> {
    let mut c = crate::connect::mysql::connect_profile(p, pw).await?;
    for h in header {
        c.query_drop(&h[..]).await.map_err(|e| query_error(e, p, "a session setting of the dump"))?;
    }
    Ok(c)
}

fn query_error(e: mysql_async::Error, p: &Profile, what: &str) -> Error {
    if let mysql_async::Error::Server(se) = &e {
        // The server quotes the statement near a syntax error and the values
        // of a duplicate key: rows of the backup, which never reach a message.
        return Error::new(
            ErrorCode::DatabaseError,
            format!("{} reported error {} loading {what}: {}", p.target(), se.code, unquoted(&se.message)),
        );
    }
    let e = crate::connect::mysql::map_error(e, p, Duration::from_secs(0));
    Error::new(e.code, format!("Loading {what}: {}", e.message))
}

/// A server message up to what it quotes (quotes nest in the statement it
/// shows, so nothing after the first is kept).
fn unquoted(msg: &str) -> String {
    match msg.split_once('\'') {
        Some((head, _)) => format!("{head}'…' (the server's quote is left out: it may hold rows)"),
        None => msg.to_string(),
    }
}

/// The server's error codes for a LOAD DATA LOCAL it does not allow:
/// ER_NOT_ALLOWED_COMMAND (MySQL 5.x, MariaDB before 10.5), MariaDB's
/// ER_LOAD_INFILE_CAPABILITY_DISABLED, MySQL 8's ER_CLIENT_LOCAL_FILES_DISABLED.
const INFILE_REFUSED: [u16; 3] = [1148, 4166, 3948];

/// Runs one converted INSERT (`stmt`, named in errors only) as a LOAD DATA
/// LOCAL stream. `Ok(false)`: the server does not allow it, nothing was loaded.
async fn load_infile(c: &mut mysql_async::Conn, f: infile::Infile, p: &Profile, stmt: &[u8]) -> Result<bool> {
    let (rows, data) = (f.rows, bytes::Bytes::from(f.data));
    // This connection's handler answers only the request this statement makes:
    // a server can name any file in its request, and none is ever read.
    c.set_infile_handler(async move {
        use futures_util::StreamExt;
        Ok(futures_util::stream::once(async move { Ok(data) }).boxed())
    });
    match c.query_drop(&f.statement[..]).await {
        Err(mysql_async::Error::Server(se)) if INFILE_REFUSED.contains(&se.code) => return Ok(false),
        r => r.map_err(|e| query_error(e, p, &format!("rows of table {}", insert_table(stmt))))?,
    }
    // With LOCAL the server turns what would be errors (a duplicate key, a
    // value that does not fit) into warnings and goes on: Quiesce does not.
    let (warnings, loaded) = (c.get_warnings(), c.affected_rows());
    if warnings > 0 || loaded != rows {
        let first: Option<(String, u32, String)> = c.query_first("SHOW WARNINGS LIMIT 1").await.ok().flatten();
        let first = first.map(|(_, code, m)| format!(" (first: {code} {})", unquoted(&m))).unwrap_or_default();
        return Err(Error::new(
            ErrorCode::DatabaseError,
            format!(
                "{} loaded {loaded} of {rows} rows of table {} with {warnings} warning(s){first}: Quiesce stops rather than keep rows the server skipped or changed.",
                p.target(),
                insert_table(stmt)
            ),
        ));
    }
    Ok(true)
}

/// One row connection: statements until the queue closes or the job stops.
async fn rows_worker(
    p: Profile,
    pw: Option<Sensitive<String>>,
    header: Arc<Vec<Vec<u8>>>,
    charset: Option<Arc<str>>,
    rx: Arc<tokio::sync::Mutex<mpsc::Receiver<Rows>>>,
    sh: Arc<Shared>,
) {
    let run = async {
        let mut c = connect(&p, pw.as_ref(), &header).await?;
        let mut db: Option<Arc<Vec<u8>>> = None;
        loop {
            let next = { rx.lock().await.recv().await };
            let Some((use_db, stmt)) = next else { break };
            if db.as_ref().is_none_or(|d| !Arc::ptr_eq(d, &use_db)) {
                if !use_db.is_empty() {
                    c.query_drop(&use_db[..]).await.map_err(|e| query_error(e, &p, "the dump's USE"))?;
                }
                db = Some(use_db);
            }
            let conv = match &charset {
                Some(cs) if sh.infile_ok.load(Ordering::Relaxed) => infile::convert(&stmt, cs),
                _ => None,
            };
            let sent = match conv {
                Some(f) => {
                    let sent = load_infile(&mut c, f, &p, &stmt).await?;
                    if !sent {
                        // Refused: every connection sends SQL from now on.
                        sh.infile_ok.store(false, Ordering::Relaxed);
                    }
                    sent
                }
                None => false,
            };
            if sent {
                sh.as_infile.fetch_add(1, Ordering::Relaxed);
            } else {
                let r = c.query_drop(&stmt[..]).await;
                r.map_err(|e| query_error(e, &p, &format!("rows of table {}", insert_table(&stmt))))?;
                sh.as_sql.fetch_add(1, Ordering::Relaxed);
            }
            if sh.pending.fetch_sub(1, Ordering::AcqRel) == 1 {
                sh.done.notify_waiters();
            }
        }
        let _ = c.disconnect().await;
        Ok::<_, Error>(())
    };
    tokio::select! {
        _ = sh.stop.cancelled() => {}
        r = run => if let Err(e) = r { sh.fail(e) },
    }
    sh.done.notify_waiters();
}

/// Until every row handed out is in (or the job stopped).
async fn drain(sh: &Shared) {
    loop {
        let n = sh.done.notified();
        if sh.pending.load(Ordering::Acquire) == 0 || sh.stop.is_cancelled() {
            return;
        }
        n.await;
    }
}

/// Loads the unit's script into its target over `n` row connections.
pub(super) async fn restore(
    u: &UnitPlan,
    n: u32,
    live: &Arc<Live>,
    sink: &Sink,
    cancel: &CancellationToken,
) -> Result<()> {
    let sh = Arc::new(Shared {
        pending: AtomicU64::new(0),
        as_infile: AtomicU64::new(0),
        as_sql: AtomicU64::new(0),
        infile_ok: AtomicBool::new(true),
        done: Notify::new(),
        first_error: Mutex::new(None),
        stop: cancel.child_token(),
    });
    let r = load(u, n, live, sink, &sh).await;
    sh.stop.cancel();
    let first = sh.first_error.lock().unwrap().take();
    match (first, r) {
        (Some(e), _) => Err(e),
        (None, Err(e)) => Err(e),
        (None, Ok(())) if cancel.is_cancelled() => Err(Error::cancelled_job()),
        (None, Ok(())) => Ok(()),
    }
}

/// The script as it is read: the file (its bytes counted for progress) and,
/// for the default format, zstd decompressing it as the single stream does.
struct Input {
    file: std::path::PathBuf,
    reader: Box<dyn tokio::io::AsyncRead + Unpin + Send>,
    feeder: Option<tokio::task::JoinHandle<Result<()>>>,
    zstd: Option<tokio::process::Child>,
}

async fn open_input(u: &UnitPlan, live: &Arc<Live>) -> Result<Input> {
    let file = u.dir.join(if u.unit.format == "default" { "mysql.sql.zst" } else { "mysql.sql" });
    let f = tokio::fs::File::open(&file).await.map_err(|e| Error::io("read", &file, e))?;
    if u.unit.format != "default" {
        let reader = Box::new(Counted { inner: f, counters: live.counters.clone() });
        return Ok(Input { file, reader, feeder: None, zstd: None });
    }
    let zstd = crate::plan::commands::zstd_decompress();
    let mut child = zstd
        .command()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| crate::tools::spawn_err(&zstd.program, e))?;
    let (mut stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
    let (counters, mut f, path) = (live.counters.clone(), f, file.clone());
    let feeder = tokio::spawn(async move {
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let k = f.read(&mut buf).await.map_err(|e| Error::io("read", &path, e))?;
            if k == 0 {
                return Ok::<_, Error>(());
            }
            counters.raw.fetch_add(k as u64, Ordering::Relaxed);
            // zstd gone: its own exit status says why.
            if stdin.write_all(&buf[..k]).await.is_err() {
                return Ok(());
            }
        }
    });
    Ok(Input { file, reader: Box::new(stdout), feeder: Some(feeder), zstd: Some(child) })
}

impl Input {
    /// The reading ended well: zstd's exit status says whether it did.
    async fn finish(self) -> Result<()> {
        if let Some(f) = self.feeder {
            f.await.map_err(|e| Error::internal(e.to_string()))??;
        }
        if let Some(mut c) = self.zstd {
            let mut err = String::new();
            if let Some(mut e) = c.stderr.take() {
                let _ = e.read_to_string(&mut err).await;
            }
            let st = c.wait().await.map_err(|e| Error::internal(e.to_string()))?;
            if !st.success() {
                return Err(Error::new(
                    ErrorCode::Corrupt,
                    format!("zstd could not decompress {}: {}", self.file.display(), err.trim()),
                ));
            }
        }
        Ok(())
    }
}

async fn load(u: &UnitPlan, n: u32, live: &Arc<Live>, sink: &Sink, sh: &Arc<Shared>) -> Result<()> {
    let mut input = open_input(u, live).await?;
    let file = input.file.clone();
    let reader = std::mem::replace(&mut input.reader, Box::new(tokio::io::empty()));
    let mut lines = BufReader::with_capacity(1 << 20, reader);
    let mut schema: Option<mysql_async::Conn> = None;
    let (p, pw) = (&u.target, u.pw.as_ref());
    let mut header: Vec<Vec<u8>> = Vec::new();
    let mut header_done = false;
    // The dump's client character set, which LOAD DATA must be told.
    let mut charset: Option<Arc<str>> = None;
    let mut use_db: Arc<Vec<u8>> = Arc::new(Vec::new());
    let mut queue: Option<mpsc::Sender<Rows>> = None;
    let mut workers = Vec::new();
    let mut split = Splitter::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        let k = tokio::select! {
            _ = sh.stop.cancelled() => return Ok(()),
            k = lines.read_until(b'\n', &mut line) => k.map_err(|e| Error::io("read", &file, e))?,
        };
        if k == 0 {
            break;
        }
        let body = line.strip_suffix(b"\n").unwrap_or(&line);
        let Some(stmt) = split.line(body) else { continue };
        let kd = kind(&stmt, header_done);
        if kd != Kind::Header {
            header_done = true;
        }
        match kd {
            Kind::Skip => {
                if strip_prefix_ci(stmt.trim_ascii_start(), b"UNLOCK").is_some() {
                    live.tables_done.fetch_add(1, Ordering::Relaxed);
                }
            }
            Kind::Insert => {
                if queue.is_none() {
                    // Bounded: the reader stays a few statements ahead of the rows.
                    let (tx, rx) = mpsc::channel::<Rows>(n as usize * 2);
                    let (rx, hd) = (Arc::new(tokio::sync::Mutex::new(rx)), Arc::new(header.clone()));
                    for _ in 0..n {
                        let cs = charset.clone();
                        let w = rows_worker(p.clone(), u.pw.clone(), hd.clone(), cs, rx.clone(), sh.clone());
                        workers.push(tokio::spawn(w));
                    }
                    queue = Some(tx);
                }
                sh.pending.fetch_add(1, Ordering::AcqRel);
                let q = queue.as_ref().unwrap();
                tokio::select! {
                    _ = sh.stop.cancelled() => return Ok(()),
                    r = q.send((use_db.clone(), stmt)) => if r.is_err() { return Ok(()) },
                }
            }
            Kind::Header | Kind::Schema | Kind::AfterRows => {
                if kd == Kind::AfterRows {
                    drain(sh).await;
                }
                if sh.stop.is_cancelled() {
                    return Ok(());
                }
                if schema.is_none() {
                    schema = Some(crate::connect::mysql::connect_profile(p, pw).await?);
                }
                let c = schema.as_mut().unwrap();
                let what = String::from_utf8_lossy(&stmt[..stmt.len().min(60)]).into_owned();
                tokio::select! {
                    _ = sh.stop.cancelled() => return Ok(()),
                    r = c.query_drop(&stmt[..]) => r.map_err(|e| query_error(e, p, &format!("the statement \"{what}…\"")))?,
                }
                if kd == Kind::Header {
                    if let Some(cs) = infile::set_names(&stmt) {
                        charset = Some(cs.into());
                    }
                    header.push(stmt);
                } else if strip_prefix_ci(stmt.trim_ascii_start(), b"USE ").is_some() {
                    use_db = Arc::new(stmt);
                }
            }
        }
    }
    if let Some(cut) = split.finish() {
        return Err(Error::new(
            ErrorCode::Corrupt,
            format!("The dump {} ends inside a statement (\"{cut}…\"): it is incomplete.", file.display()),
        ));
    }
    drop(queue);
    for w in workers {
        let _ = w.await;
    }
    input.finish().await?;
    if let Some(c) = schema {
        let _ = c.disconnect().await;
    }
    let (inf, sql) = (sh.as_infile.load(Ordering::Relaxed), sh.as_sql.load(Ordering::Relaxed));
    let how = if sh.infile_ok.load(Ordering::Relaxed) {
        format!("{inf} INSERT(s) sent as LOAD DATA LOCAL streams, {sql} as SQL")
    } else {
        format!("the server does not allow LOAD DATA LOCAL (local_infile=OFF): {sql} INSERT(s) sent as SQL, {inf} before it refused")
    };
    sink(JobEvent::Log { line: format!("quiesce: loaded {} over {n} row connection(s); {how}", file.display()) });
    Ok(())
}

/// A file read that counts its bytes for the progress.
struct Counted {
    inner: tokio::fs::File,
    counters: Arc<crate::tools::pipeline::Counters>,
}

impl tokio::io::AsyncRead for Counted {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.counters.raw.fetch_add(n as u64, Ordering::Relaxed);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(script: &str) -> Vec<String> {
        let mut s = Splitter::new();
        let out: Vec<String> =
            script.lines().filter_map(|l| s.line(l.as_bytes())).map(|v| String::from_utf8(v).unwrap()).collect();
        assert_eq!(s.finish(), None);
        out
    }

    #[test]
    fn statements_split_at_their_delimiter_comments_and_client_lines_left_out() {
        let script = "/*M!999999\\- enable the sandbox mode */ \n-- MariaDB dump\n\n/*!40101 SET NAMES utf8mb4 */;\nCREATE TABLE `t` (\n  `a` int,\n  `b` varchar(10) COMMENT 'x;'\n) ENGINE=InnoDB;\nINSERT INTO `t` VALUES\n(1,'a;\\nb'),\n(2,'c');\nDELIMITER ;;\n/*!50003 CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN\n SET NEW.a = 1;\nEND */;;\nDELIMITER ;\nUNLOCK TABLES;\n";
        let s = split(script);
        assert_eq!(s.len(), 5, "{s:#?}");
        assert_eq!(s[0], "/*!40101 SET NAMES utf8mb4 */");
        assert!(s[1].starts_with("CREATE TABLE `t` (\n") && s[1].ends_with("ENGINE=InnoDB"));
        assert_eq!(s[2], "INSERT INTO `t` VALUES\n(1,'a;\\nb'),\n(2,'c')");
        assert!(s[3].contains("SET NEW.a = 1;\nEND */"), "{}", s[3]);
        assert_eq!(s[4], "UNLOCK TABLES");
    }

    #[test]
    fn a_script_cut_inside_a_statement_is_named() {
        let mut s = Splitter::new();
        assert!(s.line(b"INSERT INTO `t` VALUES").is_none());
        assert!(s.line(b"(1,'a'),").is_none());
        assert!(s.finish().unwrap().starts_with("INSERT INTO `t`"));
    }

    #[test]
    fn triggers_and_routines_wait_for_the_rows_locks_are_left_out() {
        assert_eq!(kind(b"/*!40101 SET NAMES utf8mb4 */", false), Kind::Header);
        assert_eq!(kind(b"/*!40101 SET character_set_client = utf8mb4 */", true), Kind::Schema);
        assert_eq!(kind(b"CREATE TABLE `t` (a int)", true), Kind::Schema);
        assert_eq!(kind(b"insert into `t` values (1)", true), Kind::Insert);
        assert_eq!(kind(b"LOCK TABLES `t` WRITE", true), Kind::Skip);
        assert_eq!(kind(b"/*!50003 CREATE*/ /*!50017 DEFINER=`r`@`%`*/ /*!50003 TRIGGER x */", true), Kind::AfterRows);
        assert_eq!(kind(b"CREATE VIEW v AS SELECT 1", true), Kind::AfterRows);
        let near = "syntax to use near 'VALUESS\n('alice''s',5,'t')' at line 1";
        assert_eq!(unquoted(near), "syntax to use near '…' (the server's quote is left out: it may hold rows)");
        assert_eq!(insert_table(b"INSERT INTO `my ``t` VALUES (1)"), "my `t");
    }
}
