//! The tools layer: every child process Quiesce starts is described by one
//! [`CommandLine`] and started here, so one place enforces the rule that **no
//! value from a database, a file or a user can change what a tool does**:
//!
//! - options are `&'static str` literals written in Quiesce's code, never data;
//! - a value goes glued to its option (`--schema=<value>`), where no tool can
//!   read it as an option of its own, or as an operand after `--`; an operand
//!   that starts with `-` anywhere else is refused before anything runs;
//! - connection targets of the PostgreSQL tools are one quoted conninfo
//!   (`dbname='…'`), so a database name holding `host=` or a URI is only a
//!   name; their password file holds lines for the exact host, port and
//!   database, never `*`;
//! - nothing goes through a shell.
//!
//! Child processes run in their own process group (cancel and failure kill
//! the whole group) and, in a pipeline, a stage that fails or stalls ends the
//! whole job (`pipeline`).

pub mod creds;
pub mod digest;
pub mod env;
pub mod pipeline;

use crate::error::{Error, ErrorCode, Result};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// One argument, typed by where its text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Arg {
    /// An option written in Quiesce's code (`--single-transaction`, `-c`).
    Flag(&'static str),
    /// `--name=value`: the value is glued, so it is never an option itself.
    Opt(&'static str, String),
    /// A value standing alone (a database name, a file).
    Operand(String),
    /// `--`: what follows is operands only.
    EndOfOptions,
    /// An argument of a command the user wrote (an in-pause hook): passed
    /// as written, option or not — the command line is theirs.
    User(String),
}

/// A command as it will run: program, typed arguments, environment (never a
/// secret: a pass *file* path at most), what it reads and where its output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandLine {
    pub program: String,
    args: Vec<Arg>,
    /// Environment for the child.
    pub env: Vec<(String, String)>,
    /// A file fed to the first command's stdin by Quiesce (for progress).
    pub stdin_file: Option<PathBuf>,
    /// The next command of a pipeline, fed this one's stdout.
    pub pipe_to: Option<Box<CommandLine>>,
    /// Where the last command's stdout goes, if to a file (Quiesce writes it).
    pub stdout_file: Option<String>,
    /// Variables of Quiesce's own environment it may inherit beyond the
    /// base allow-list (`env::HOOK` for a hook).
    pub inherit: &'static [&'static str],
}

impl CommandLine {
    pub fn new(program: impl Into<String>) -> Self {
        CommandLine {
            program: program.into(),
            args: Vec::new(),
            env: Vec::new(),
            stdin_file: None,
            pipe_to: None,
            stdout_file: None,
            inherit: &[],
        }
    }

    /// An option of Quiesce's own.
    pub fn flag(mut self, f: &'static str) -> Self {
        self.args.push(Arg::Flag(f));
        self
    }

    /// `--name=value`.
    pub fn opt(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push(Arg::Opt(name, value.into()));
        self
    }

    /// A value standing alone. Put [`CommandLine::end_of_options`] before
    /// values that come from outside Quiesce.
    pub fn operand(mut self, v: impl Into<String>) -> Self {
        self.args.push(Arg::Operand(v.into()));
        self
    }

    /// An argument of the user's own command (an in-pause hook).
    pub fn user_arg(mut self, v: impl Into<String>) -> Self {
        self.args.push(Arg::User(v.into()));
        self
    }

    /// `--`: every later argument is an operand.
    pub fn end_of_options(mut self) -> Self {
        self.args.push(Arg::EndOfOptions);
        self
    }

    /// Lets the child inherit these variables too (see `env`).
    pub fn inherit(mut self, names: &'static [&'static str]) -> Self {
        self.inherit = names;
        self
    }

    pub fn env(mut self, k: &str, v: impl Into<String>) -> Self {
        self.env.push((k.into(), v.into()));
        self
    }

    pub fn stdin_file(mut self, p: impl Into<PathBuf>) -> Self {
        self.stdin_file = Some(p.into());
        self
    }

    /// The arguments exactly as the program receives them.
    pub fn argv(&self) -> Vec<String> {
        self.args
            .iter()
            .map(|a| match a {
                Arg::Flag(f) => (*f).to_string(),
                Arg::Opt(n, v) => format!("{n}={v}"),
                Arg::Operand(v) | Arg::User(v) => v.clone(),
                Arg::EndOfOptions => "--".into(),
            })
            .collect()
    }

    /// Refuses what could be read other than as meant: an operand that looks
    /// like an option without `--` before it, a NUL (the OS would cut the
    /// argument there), and the same for every command of the pipeline.
    pub fn check(&self) -> Result<()> {
        let mut only_operands = false;
        let nul = |s: &str| s.contains('\0');
        for a in &self.args {
            match a {
                Arg::EndOfOptions => only_operands = true,
                Arg::Operand(v) if !only_operands && v.starts_with('-') => {
                    return Err(Error::invalid(format!(
                        "\"{v}\" would be read by {} as an option; Quiesce refuses to pass it. Rename it.",
                        short(&self.program)
                    )))
                }
                Arg::Operand(v) | Arg::Opt(_, v) | Arg::User(v) if nul(v) => {
                    return Err(Error::invalid(format!(
                        "A value for {} holds a NUL character, which no command line can carry: {}",
                        short(&self.program),
                        v.replace('\0', "\\0")
                    )))
                }
                _ => {}
            }
        }
        if self.env.iter().any(|(k, v)| nul(k) || nul(v)) || nul(&self.program) {
            return Err(Error::invalid(format!("The command {} holds a NUL character.", short(&self.program))));
        }
        match &self.pipe_to {
            Some(n) => n.check(),
            None => Ok(()),
        }
    }

    /// One shell-like line, quoted where needed: what the user reads is what
    /// runs (`< file` and `> file` are done by Quiesce, not a shell).
    pub fn render(&self) -> String {
        let mut parts: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={}", quote(v))).collect();
        parts.push(quote(&self.program));
        parts.extend(self.argv().iter().map(|a| quote(a)));
        let mut s = parts.join(" ");
        if let Some(i) = &self.stdin_file {
            s.push_str(" < ");
            s.push_str(&quote(&i.display().to_string()));
        }
        if let Some(next) = &self.pipe_to {
            s.push_str(" | ");
            s.push_str(&next.render());
        }
        if let Some(f) = &self.stdout_file {
            s.push_str(" > ");
            s.push_str(&quote(f));
        }
        s
    }

    /// The process to spawn: own process group (cancel reaches the tool's own
    /// children), killed if dropped, stdin closed unless the caller pipes it.
    pub(crate) fn command(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.program);
        env::restrict(&mut cmd, self.inherit);
        cmd.args(self.argv()).envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        cmd.process_group(0).kill_on_drop(true).stdin(Stdio::null());
        cmd
    }
}

/// Shell quoting for display.
pub fn quote(s: &str) -> String {
    let plain = !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_=./:,@+%<>".contains(c));
    let placeholder = s.starts_with('<') && s.ends_with('>');
    if plain || placeholder {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// A libpq conninfo value, always quoted: `'` and `\` escaped, so a value
/// holding `=`, spaces or a URI stays one value (libpq reads an unquoted
/// `--dbname` holding `=` or `postgresql://` as a whole connection string).
pub fn conninfo_value(v: &str) -> String {
    format!("'{}'", v.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// The program's file name, for messages.
pub fn short(program: &str) -> String {
    Path::new(program).file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| program.into())
}

pub(crate) fn spawn_err(program: &str, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::new(
            ErrorCode::FileNotFound,
            format!("{} was not found. Install it or set the profile's client tools directory.", short(program)),
        )
    } else {
        Error::new(ErrorCode::IoError, format!("Could not start {}: {e}", short(program)))
    }
}

/// Kills a child's whole process group (SIGTERM, then SIGKILL after 3 s).
pub async fn kill_group(child: &mut tokio::process::Child) {
    if let Some(pid) = child.id() {
        let pgid = pid as i32;
        unsafe { libc::killpg(pgid, libc::SIGTERM) };
        if tokio::time::timeout(Duration::from_secs(3), child.wait()).await.is_err() {
            unsafe { libc::killpg(pgid, libc::SIGKILL) };
            let _ = child.wait().await;
        }
    }
}

/// What a short-lived tool printed.
#[derive(Debug)]
pub struct Captured {
    pub status: std::process::ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs a short pipeline to its end (`--version`, `zstd -dc < f | pg_restore
/// --list`): the first command reads `input` when given, else its
/// `stdin_file`; the last one's stdout is captured, every stderr kept. Gives
/// up after `limit`: a tool that hangs must not hang discovery or a check.
/// The status is the last command's (an upstream one may die of a closed
/// pipe when the last stops reading early, which is its success).
pub async fn capture(chain: &[CommandLine], input: Option<Vec<u8>>, limit: Duration) -> Result<Captured> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (Some(first), Some(last)) = (chain.first(), chain.last()) else {
        return Err(Error::internal("an empty pipeline"));
    };
    for c in chain {
        c.check()?;
    }
    let mut children = Vec::new();
    let mut errs = Vec::new();
    let mut prev: Option<tokio::process::ChildStdout> = None;
    for (i, c) in chain.iter().enumerate() {
        let mut cmd = c.command();
        if i == 0 {
            if input.is_some() {
                cmd.stdin(Stdio::piped());
            } else if let Some(f) = &first.stdin_file {
                cmd.stdin(std::fs::File::open(f).map_err(|e| Error::io("read", f, e))?);
            }
        } else {
            let out = prev.take().expect("piped");
            let s: Stdio = out.try_into().map_err(|e| Error::new(ErrorCode::IoError, format!("pipe: {e}")))?;
            cmd.stdin(s);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| spawn_err(&c.program, e))?;
        errs.push(child.stderr.take().expect("piped"));
        prev = child.stdout.take();
        children.push(child);
    }
    let mut out = prev.take().expect("piped");
    let stdin = children[0].stdin.take();
    let run = async {
        let feed = async {
            if let (Some(bytes), Some(mut w)) = (input, stdin) {
                // A reader that stops once it has what it needs (pg_restore
                // --list after the table of contents) closes the pipe: fine.
                let _ = w.write_all(&bytes).await;
            }
        };
        let read_errs = async {
            let mut all = Vec::new();
            for mut e in errs {
                let _ = e.read_to_end(&mut all).await;
            }
            all
        };
        let mut o = Vec::new();
        let (_, r, e) = tokio::join!(feed, out.read_to_end(&mut o), read_errs);
        r.map_err(|e| Error::new(ErrorCode::IoError, format!("Reading {} failed: {e}", short(&last.program))))?;
        let mut status = None;
        for ch in children.iter_mut() {
            status = Some(ch.wait().await.map_err(|e| {
                Error::new(ErrorCode::IoError, format!("Waiting for {} failed: {e}", short(&last.program)))
            })?);
        }
        Ok::<_, Error>(Captured { status: status.expect("one command at least"), stdout: o, stderr: e })
    };
    let r = tokio::time::timeout(limit, run).await;
    match r {
        Ok(r) => r,
        Err(_) => {
            for ch in children.iter_mut() {
                kill_group(ch).await;
            }
            Err(Error::new(
                ErrorCode::Timeout,
                format!("{} did not finish within {} s and was stopped.", short(&last.program), limit.as_secs()),
            ))
        }
    }
}

/// One command run to its end without an async runtime (tool discovery,
/// which runs on plain threads), given `limit`; output is read by threads so
/// a chatty tool cannot fill its pipe and stall.
pub fn capture_blocking(cmd: &CommandLine, limit: Duration) -> Result<Captured> {
    use std::io::Read;
    use std::os::unix::process::CommandExt;
    cmd.check()?;
    let mut std_cmd = std::process::Command::new(&cmd.program);
    env::restrict_std(&mut std_cmd, cmd.inherit);
    let mut child = std_cmd
        .args(cmd.argv())
        .envs(cmd.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_err(&cmd.program, e))?;
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = r.read_to_end(&mut v);
            v
        })
    };
    let out = read(Box::new(child.stdout.take().expect("piped")));
    let err = read(Box::new(child.stderr.take().expect("piped")));
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        match child.try_wait().map_err(|e| Error::new(ErrorCode::IoError, format!("{}: {e}", short(&cmd.program))))? {
            Some(s) => break s,
            None if std::time::Instant::now() >= deadline => {
                unsafe { libc::killpg(child.id() as i32, libc::SIGKILL) };
                let _ = child.wait();
                return Err(Error::new(
                    ErrorCode::Timeout,
                    format!("{} did not finish within {} s and was stopped.", short(&cmd.program), limit.as_secs()),
                ));
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    Ok(Captured { status, stdout: out.join().unwrap_or_default(), stderr: err.join().unwrap_or_default() })
}

/// Starts a program that outlives the call (a file manager), detached.
pub fn spawn_detached(cmd: &CommandLine) -> Result<()> {
    cmd.check()?;
    let mut c = std::process::Command::new(&cmd.program);
    env::restrict_std(&mut c, env::DESKTOP);
    c.args(cmd.argv())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(|_| ())
        .map_err(|e| spawn_err(&cmd.program, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_never_become_options() {
        let c = CommandLine::new("mariadb-dump")
            .opt("--host", "-h")
            .flag("--databases")
            .end_of_options()
            .operand("--result-file=/tmp/x")
            .operand("-n");
        c.check().unwrap();
        assert_eq!(c.argv(), vec!["--host=-h", "--databases", "--", "--result-file=/tmp/x", "-n"]);
        let bad = CommandLine::new("tool").operand("-n");
        let e = bad.check().unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.contains("\"-n\""), "{}", e.message);
        let nested = CommandLine { pipe_to: Some(Box::new(bad)), ..CommandLine::new("zstd") };
        assert!(nested.check().is_err(), "a pipeline's later command is checked too");
        assert!(CommandLine::new("t").opt("--x", "a\0b").check().is_err());
    }

    #[test]
    fn conninfo_values_are_always_one_quoted_value() {
        assert_eq!(conninfo_value("host=elsewhere dbname=x"), "'host=elsewhere dbname=x'");
        assert_eq!(conninfo_value(r"it's\"), r"'it\'s\\'");
    }

    #[test]
    fn rendering_shows_input_pipe_and_output() {
        let mut z = CommandLine::new("zstd").flag("-dc").stdin_file("/b/a b.zst");
        z.pipe_to = Some(Box::new(CommandLine::new("pg_restore").flag("--list")));
        assert_eq!(z.render(), "zstd -dc < '/b/a b.zst' | pg_restore --list");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("<0600 pass file>"), "<0600 pass file>");
    }

    #[tokio::test]
    async fn capture_stops_a_tool_that_hangs() {
        let c = CommandLine::new("sleep").operand("30");
        let t = std::time::Instant::now();
        let e = capture(&[c], None, Duration::from_millis(300)).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Timeout);
        assert!(t.elapsed() < Duration::from_secs(5));
    }
}
