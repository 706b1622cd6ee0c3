//! What every command's printer shares: a command returns a value that is
//! its `--json` document (its own serialization: the keys are the CLI's
//! documented output) and prints itself as text ([`Report`]); each command's
//! file owns its values and their text. Also the pieces several commands
//! print (checks, a verification, a manifest, a plan).
//!
//! Everything printed goes through `emit`: what a server, a file or a user
//! wrote reaches the terminal without its control characters, and a reader
//! that goes away (`| head`) ends the output quietly, as `cat` would.

use quiesce_engine::catalog::manifest::Manifest;
use quiesce_engine::discovery::Discovery;
use quiesce_engine::plan::{self, DecisionTree, Plan};
use quiesce_engine::{verify, ErrorCode};

/// Shadows std's: a line for people, through `emit`. (Declared before the
/// command modules, so it is the one they see.)
macro_rules! println {
    () => {
        $crate::print::emit("")
    };
    ($($t:tt)*) => {
        $crate::print::emit(&format!($($t)*))
    };
}

/// Exit status when a verification ran and found errors.
pub const EXIT_VERIFY_FAILED: i32 = 30;
/// Exit status of a pause whose window is unsafe or failed (kept, but no restore point).
pub const EXIT_UNSAFE_WINDOW: i32 = 31;

/// A command's result: serialized as the `--json` document, or printed for people.
pub trait Report: serde::Serialize {
    /// The text for people, through `println!`.
    fn text(&self);
    /// The exit status of what printed: a verification that found errors is
    /// not a success, and neither is a dry run with a failed check (its
    /// check's code), so `quiesce backup D --dry-run && quiesce backup D`
    /// goes no further than the checks would.
    fn exit_status(&self) -> i32 {
        0
    }
}

/// What `main` prints, whatever the command.
pub trait Printable {
    /// Prints as JSON or text; returns the exit status.
    fn print(&self, json: bool) -> i32;
}

impl<T: Report> Printable for T {
    fn print(&self, json: bool) -> i32 {
        if json {
            emit_raw(&json_line(self));
        } else {
            self.text();
        }
        self.exit_status()
    }
}

/// A command's answer, ready to print.
pub type Printed = Box<dyn Printable>;

/// `Ok(Box::new(r))`, for the commands' last line.
pub fn done(r: impl Report + 'static) -> quiesce_engine::Result<Printed> {
    Ok(Box::new(r))
}

pub fn emit(s: &str) {
    emit_raw(&format!("{}\n", quiesce_engine::text::printable(s)));
}

/// Text whose every byte matters (JSON, an exported runbook), as it is.
pub fn emit_raw(s: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if out.write_all(s.as_bytes()).and_then(|_| out.flush()).is_err() {
        // EPIPE: the reader has all it wanted. (128 + SIGPIPE, as a shell reports it.)
        std::process::exit(141);
    }
}

/// JSON text with the characters serde_json leaves raw that a terminal or a
/// reader would act on (DEL, C1 controls, bidirectional overrides) written as
/// `\uXXXX` escapes, which mean the same to any JSON reader.
pub fn json_line(v: &impl serde::Serialize) -> String {
    let raw = serde_json::to_string(v).expect("outputs serialize");
    let mut out = String::with_capacity(raw.len() + 1);
    for c in raw.chars() {
        if matches!(c, '\u{7f}'..='\u{9f}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out.push('\n');
    out
}

/// The exit status of a dry run: its first failed check's code, 0 when all passed.
pub fn failed_check(checks: &[quiesce_engine::job::Check]) -> i32 {
    checks.iter().find(|c| !c.ok).map(|c| c.code.unwrap_or(ErrorCode::InvalidInput).exit_code()).unwrap_or(0)
}

pub fn print_checks(checks: &[quiesce_engine::job::Check]) {
    for c in checks {
        println!("  {} {:<14} {}", if c.ok { "ok  " } else { "FAIL" }, c.name, c.message);
    }
}

pub fn print_verify(v: &verify::VerifyReport) {
    println!(
        "Verification of {} ({}): {}",
        v.profile,
        v.target,
        if v.passed { "no errors found" } else { "ERRORS FOUND" }
    );
    if !v.tables.is_empty() {
        println!("  {:<40} {:>12} {:>12}", "TABLE", "ROWS", "BACKUP");
        for t in &v.tables {
            println!(
                "  {:<40} {:>12} {:>12}{}",
                format!("{}.{}", t.namespace, t.table),
                t.rows.map(|r| r.to_string()).unwrap_or("missing".into()),
                t.expected_rows
                    .map(|r| if t.expected_exact { r.to_string() } else { format!("~{r}") })
                    .unwrap_or("-".into()),
                match t.severity {
                    quiesce_engine::discovery::Severity::Error => "  ERROR",
                    quiesce_engine::discovery::Severity::Warning => "  warning",
                    _ => "",
                }
            );
        }
    }
    let sev = |s: quiesce_engine::discovery::Severity| match s {
        quiesce_engine::discovery::Severity::Error => "ERROR  ",
        quiesce_engine::discovery::Severity::Warning => "warning",
        _ => "ok     ",
    };
    for f in &v.findings {
        println!("  {} {}", sev(f.severity), f.message);
    }
    if let Some(a) = &v.audit {
        println!();
        println!(
            "ScalarDB consistency audit ({} tables, coordinator {} with {} rows): {} in-flight record(s), {} transaction(s): {} roll forward, {} roll back, {} not yet expired, {} torn",
            a.tables.len(),
            a.coordinator_table,
            a.coordinator_rows.map(|r| r.to_string()).unwrap_or("?".into()),
            a.in_flight_records,
            a.transactions_total,
            a.roll_forward,
            a.roll_back,
            a.not_yet_expired,
            a.torn
        );
        for f in &a.findings {
            println!("  {} {}", sev(f.severity), f.message);
        }
        for t in a.transactions.iter().take(10) {
            println!("  {:<24} {:?}: {}", t.tx_id, t.recovery, t.explanation);
        }
        println!("  What the audit cannot see:");
        for l in &a.limits {
            println!("    - {l}");
        }
    }
}

pub fn print_manifest(dir: &std::path::Path, m: &Manifest) {
    println!("  folder       {}", dir.display());
    println!("  deployment   {} · method {:?} · format {}", m.deployment, m.method, m.formats());
    println!("  started      {} · {:.1} s", m.started_at, m.duration_ms / 1000.0);
    if let Some(p) = &m.pause {
        println!("  pause        {} .. {} (window {})", p.started_at, p.ended_at, p.window_id);
    }
    for u in &m.units {
        println!(
            "  unit {:<7} storages {} · profile {} · {} {} · format {}",
            u.id,
            u.storages.join(", "),
            u.profile,
            u.product.as_deref().unwrap_or(""),
            u.server_version.as_deref().unwrap_or(""),
            u.format
        );
        if let Some(t) = &u.tool {
            println!("    tool         {} ({})", t.version, t.path);
        }
        println!(
            "    consistency  {}{}",
            u.consistency.kind,
            u.consistency.snapshot.as_ref().map(|s| format!(" (snapshot {s})")).unwrap_or_default()
        );
        for t in &u.tables {
            println!(
                "    table        {:<32} {}{} rows",
                t.physical_name,
                if t.rows_exact { "" } else { "~" },
                t.rows.map(|r| r.to_string()).unwrap_or("?".into())
            );
        }
        for f in &u.files {
            println!(
                "    file         {:<24} {:>10}  sha256 {}",
                f.name,
                quiesce_engine::size::human(f.bytes),
                f.sha256
            );
        }
        for n in &u.notes {
            println!("    note         {n}");
        }
        println!("    restore      {}", u.restore_hint);
    }
    for n in &m.notes {
        println!("  note         {n}");
    }
}

pub fn print_plan(p: &Plan, tree: &DecisionTree, discovery: Option<&Discovery>) {
    let method = match p.method {
        plan::Method::NoPause => "back up without explicit pausing",
        plan::Method::Pause => "back up with explicit pausing",
        plan::Method::Unknown => "cannot decide: storages unknown",
    };
    println!("Plan for deployment \"{}\": {method}", p.deployment);
    match &p.discovery_taken_at {
        Some(t) => println!("  (discovery taken {t}; refresh with --discover)"),
        None => println!("  (configuration only; run with --discover to read the databases)"),
    }
    println!();
    for step in &p.path {
        let label = tree.nodes.iter().find(|n| n.id == step.node).map(|n| n.label.as_str()).unwrap_or(&step.node);
        match &step.answer {
            Some(a) => println!("  {label}  -> {}", a.to_uppercase()),
            None => println!("  => {label}"),
        }
        println!("       {}", step.reason);
    }
    for (i, s) in p.steps.iter().enumerate() {
        println!();
        println!("  {}. {}", i + 1, s.title);
        for (what, a) in [("backup", &s.backup), ("restore", &s.restore)] {
            let who = match a.kind {
                plan::ActionKind::Quiesce => "Quiesce runs",
                plan::ActionKind::Runbook => "runbook",
            };
            println!("     {what} ({who}): {}", a.summary);
            if let Some(c) = &a.command {
                println!("       $ {c}");
            }
            for st in &a.steps {
                println!("       - {st}");
            }
        }
    }
    if let Some(d) = discovery {
        println!();
        for s in &d.storages {
            let tables = s.tables.len();
            let inflight: i64 = s.tables.iter().map(|t| t.prepared.unwrap_or(0) + t.deleted.unwrap_or(0)).sum();
            println!(
                "  storage {}: {} {} · {} tables in {} · {inflight} in-flight record(s)",
                s.storage,
                s.product.as_deref().unwrap_or(s.kind.label()),
                s.server_version.as_deref().unwrap_or(""),
                tables,
                if s.namespaces.is_empty() { "-".into() } else { s.namespaces.join(", ") }
            );
        }
    }
    if !p.warnings.is_empty() {
        println!();
        for w in &p.warnings {
            println!("  {:<7} {}", format!("{:?}", w.severity).to_lowercase(), w.text);
        }
    }
}
