//! Every command's output as text (what `--json` prints instead is the
//! output's own serialization).

use crate::output::Output;
use quiesce_engine::catalog::manifest::Manifest;
use quiesce_engine::catalog::CatalogEntry;
use quiesce_engine::deployment::import::ImportPreview;
use quiesce_engine::deployment::Deployment;
use quiesce_engine::discovery::Discovery;
use quiesce_engine::plan::{self, DecisionTree, Plan};
use quiesce_engine::profile::{DbKind, Profile};
use quiesce_engine::{restore, verify};

/// Prints an output for people; `--json` prints its serialization instead.
/// Everything this module prints goes through here: what a server, a file or
/// a user wrote reaches the terminal without its control characters, and a
/// reader that goes away (`| head`) ends the output quietly, as `cat` would.
macro_rules! println {
    () => {
        emit("")
    };
    ($($t:tt)*) => {
        emit(&format!($($t)*))
    };
}

pub(crate) fn emit(s: &str) {
    emit_raw(&format!("{}\n", quiesce_engine::text::printable(s)));
}

/// Text whose every byte matters (JSON, an exported runbook), as it is.
pub(crate) fn emit_raw(s: &str) {
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
pub(crate) fn json_line(v: &impl serde::Serialize) -> String {
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

pub fn print(out: &Output, json: bool) {
    if json {
        emit_raw(&json_line(out));
        return;
    }
    match out {
        Output::Profiles { profiles: ps } if ps.is_empty() => {
            println!("No profiles yet. Add one with `quiesce profile add --name NAME --kind postgresql ...`.")
        }
        Output::Profiles { profiles: ps } => {
            println!("{:<24} {:<12} {:<14} {:<40} PASSWORD", "NAME", "KIND", "FLAVOR", "TARGET");
            for p in ps {
                println!(
                    "{:<24} {:<12} {:<14} {:<40} {}",
                    p.name,
                    format!("{:?}", p.kind).to_lowercase(),
                    serde_json::to_value(p.flavor).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default(),
                    target_short(p),
                    if p.secret.is_some() { "keyring" } else { "-" }
                );
            }
        }
        Output::Profile { profile: p, verb } => {
            if !verb.is_empty() {
                println!("Profile \"{}\" {verb}.", p.name);
            }
            print_profile(p);
        }
        Output::ProfileRemoved { removed: p } => println!(
            "Profile \"{}\" removed{}.",
            p.name,
            if p.secret.is_some() { ", and its password deleted from the keyring" } else { "" }
        ),
        Output::Preview { preview } => print_preview(preview),
        Output::Plan { plan, tree, discovery } => print_plan(plan, tree, discovery.as_deref()),
        Output::Preflight { dry_run: p } => {
            print_plan(&p.plan, &plan::decision_tree(), None);
            println!();
            println!("Checks (nothing was run):");
            print_checks(&p.checks);
            println!();
            println!("Would run:");
            for c in &p.commands {
                println!("  $ {c}");
            }
            println!("into {}/<id>", p.out_dir);
        }
        Output::BackupDone { backup: m, folder: dir } => {
            println!("Backup {} of \"{}\" complete.", m.id, m.deployment);
            print_manifest(dir, m);
        }
        Output::Catalog { backups: c, leftovers: l, pause_windows } => {
            print_catalog(c);
            if *pause_windows > 0 {
                println!();
                println!("{pause_windows} pause window(s) are restore points, not backups: `quiesce points DEPLOYMENT` lists them, `quiesce runbook DEPLOYMENT --at WINDOW` restores to one.");
            }
            if !l.is_empty() {
                println!();
                println!("Left over, not removed by Quiesce:");
                for e in l {
                    println!("  {}\n    {}", e.folder, e.problem.as_deref().unwrap_or(""));
                }
            }
        }
        Output::BackupShown { backup: m, folder: dir } => print_manifest(dir, m),
        Output::BackupRemoved { removed: m } => println!("Backup {} of \"{}\" deleted.", m.id, m.deployment),
        Output::RestorePreflight { dry_run: p } => print_restore_preflight(p),
        Output::MigratePlan { migration: p } => print_migration_plan(p),
        Output::Migrated { migration: r } => print_migrated(r),
        Output::MigrateCleanup { dropped } => {
            if dropped.is_empty() {
                println!("No earlier migration left anything on these profiles.");
            }
            for d in dropped {
                println!("Dropped {d}");
            }
        }
        Output::Restored { restore: r } => {
            let into = r.targets.iter().map(|t| format!("{} -> {}", t.unit, t.profile)).collect::<Vec<_>>().join(", ");
            println!("Restored {} ({into}) in {:.1} s.", r.backup_id, r.duration_ms / 1000.0);
            match &r.verify {
                Some(v) => print_verify(v),
                None => {
                    println!("Not verified (--no-verify). Verify each target with:");
                    for t in &r.targets {
                        println!("  quiesce verify {} --backup {}", t.profile, r.backup_id);
                    }
                }
            }
            if let Some(p) = &r.report_path {
                println!("Report stored with the backup: {p}");
            }
            for g in &r.grants_applied {
                println!("Granted: {g}");
            }
            println!();
            println!("Next:");
            for a in &r.after {
                println!("  - {a}");
            }
        }
        Output::Verified { verify: v } => print_verify(v),
        Output::BackupVerified { integrity: i, verify: v } => {
            if i.problems.is_empty() {
                println!("Backup {}: {} file(s), {} match the manifest.", i.backup_id, i.files_checked, quiesce_engine::size::human(i.bytes_checked));
            } else {
                println!("Backup {} does NOT match its manifest:", i.backup_id);
                for p in &i.problems {
                    println!("  - {p}");
                }
            }
            if !i.unlisted.is_empty() {
                println!("Files in the folder the manifest does not list (not part of the backup; an earlier release left SQLite's -shm/-wal beside WAL-mode copies, safe to delete):");
                for f in &i.unlisted {
                    println!("  - {f}");
                }
            }
            if let Some(v) = v {
                println!();
                print_verify(v);
            }
        }
        Output::Window { window: w } => print_window(w),
        Output::Points { timeline } => print_points(timeline),
        Output::Runbook { text: Some(t), .. } => emit_raw(t),
        Output::Runbook { runbook, written, .. } => println!(
            "Runbook for {} at {} written to {} ({} steps).",
            runbook.deployment,
            runbook.point.utc,
            written.as_deref().unwrap_or("?"),
            runbook.steps().count()
        ),
        Output::SchemaAttached { deployment, schema } => println!(
            "Schema {} attached to {deployment}: {} tables, SHA-256 {} (copy {}).",
            schema.file,
            schema.tables.len(),
            schema.sha256,
            schema.copy
        ),
        Output::Nodes { deployment, nodes } => {
            println!("Scalar Admin nodes of \"{deployment}\":");
            for n in nodes {
                let state = match (n.paused, &n.error) {
                    (Some(true), _) => "PAUSED".to_string(),
                    (Some(false), _) => "running".to_string(),
                    (None, Some(e)) => format!("unreachable: {e}"),
                    (None, None) => "?".to_string(),
                };
                println!("  {:<40} {state}", n.node.label());
            }
        }
        Output::History { operations } if operations.is_empty() => println!("No operations recorded yet."),
        Output::History { operations } => {
            for o in operations {
                println!(
                    "{}  {:<16} {:<10} {:<18} {:<9} {}@{}  {}",
                    o.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    o.op,
                    o.outcome,
                    o.deployment,
                    o.entry.as_deref().unwrap_or("-"),
                    o.user,
                    o.host,
                    o.what
                );
            }
        }
        Output::Deployments { deployments: ds } if ds.is_empty() => {
            println!("No deployments yet. Import one with `quiesce deployment import /path/to/database.properties`.")
        }
        Output::Deployments { deployments: ds } => {
            println!("{:<24} {:<20} {:<9} {:<12} ADMIN ENDPOINTS", "NAME", "TRANSACTIONS", "STORAGES", "COORDINATOR");
            for d in ds {
                println!(
                    "{:<24} {:<20} {:<9} {:<12} {}",
                    d.name,
                    d.transaction_manager.as_str(),
                    if d.storages_known { d.storages.len().to_string() } else { "unknown".into() },
                    d.coordinator_storage().unwrap_or("-"),
                    if d.admin_endpoints.is_empty() {
                        "-".into()
                    } else {
                        d.admin_endpoints.iter().map(|e| e.address.clone()).collect::<Vec<_>>().join(",")
                    }
                );
            }
        }
        Output::Deployment { deployment: d, profiles, verb } => {
            if !verb.is_empty() {
                println!("Deployment \"{}\" {verb}.", d.name);
            }
            print_deployment(d, profiles);
        }
        Output::DeploymentRemoved { removed: d } => println!(
            "Deployment \"{}\" removed. Its profiles ({}) are kept; remove them with `quiesce profile remove` if no longer needed.",
            d.name,
            d.storages.len()
        ),
        Output::Report { profile, report: r, .. } => {
            let tls = match r.tls {
                Some(true) => " · TLS",
                Some(false) => " · not encrypted",
                None => "",
            };
            println!(
                "OK  {}: {} {}{tls} · connect {:.1} ms · round trip {:.2} ms",
                profile, r.product, r.server_version, r.connect_ms, r.rtt_ms
            );
            for n in &r.notes {
                println!("    {n}");
            }
        }
    }
}
fn print_catalog(c: &[CatalogEntry]) {
    if c.is_empty() {
        println!("No backups yet. Take one with `quiesce backup <deployment>`.");
        return;
    }
    println!(
        "{:<28} {:<18} {:<10} {:>10} {:>9} {:<8} {:<8} FOLDER",
        "ID", "DEPLOYMENT", "FORMAT", "SIZE", "DURATION", "TABLES", "STATUS"
    );
    for b in c {
        let status = serde_json::to_value(b.status).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
        println!(
            "{:<28} {:<18} {:<10} {:>10} {:>8.1}s {:<8} {:<8} {}",
            b.id,
            b.deployment,
            b.format,
            quiesce_engine::size::human(b.bytes),
            b.duration_ms / 1000.0,
            b.tables,
            status,
            b.folder
        );
        if let Some(p) = &b.problem {
            println!("    {p}");
        }
    }
}

fn print_preview(p: &ImportPreview) {
    println!("{} ({:?}, sha256 {})", p.file, p.config_kind, &p.sha256[..12]);
    println!("  would be saved as deployment \"{}\" (--name chooses another)", p.suggested_name);
    println!("  transaction manager  {}", p.transaction_manager.as_str());
    if p.storages_known {
        for s in &p.storages {
            let kind = s.profile.kind.map(|k| k.label()).unwrap_or("?");
            let target = s
                .jdbc_url
                .clone()
                .or(s.profile.region.clone())
                .or(s.profile.endpoint.clone())
                .unwrap_or_else(|| s.profile.nodes.join(","));
            println!(
                "  storage {:<12} {kind} {target} (line {}){}{}",
                s.name,
                s.line,
                if s.password_present { " · password -> keyring" } else { "" },
                s.existing_profile.as_ref().map(|e| format!(" · reuses profile {e}")).unwrap_or_default()
            );
            for f in &s.problems {
                println!("      problem: {}: {}", f.field, f.message);
            }
        }
    } else {
        println!("  storages             unknown (attach them later)");
    }
    for m in &p.namespace_mapping {
        println!("  namespace {:<20} -> {}", m.namespace, m.storage);
    }
    if let Some(d) = &p.default_storage {
        println!("  default storage      {d}");
    }
    println!("  coordinator          {}.state", p.coordinator_namespace);
    println!("  metadata             {}.metadata", p.system_namespace);
    for e in &p.admin_endpoints {
        println!(
            "  scalar admin         {} (port {}){}",
            e.address,
            e.port,
            if e.needs_address { " · needs an address" } else { "" }
        );
    }
    for k in &p.unknown_keys {
        println!("  unknown key          {} (line {})", k.key, k.line);
    }
    if !p.ignored_keys.is_empty() {
        println!("  not needed           {} ScalarDB settings (pools, isolation, ...)", p.ignored_keys.len());
    }
    for n in &p.notes {
        println!("  note: {n}");
    }
}

fn print_restore_preflight(p: &restore::RestorePreflight) {
    println!(
        "Restore {} of \"{}\" ({} unit(s), {} tables, {})",
        p.backup_id,
        p.deployment,
        p.units.len(),
        p.tables,
        quiesce_engine::size::human(p.bytes)
    );
    for u in &p.units {
        println!();
        println!(
            "Unit {} (storages {}; {}, {} tables, {}) from {}",
            u.unit,
            u.storages.join(", "),
            u.format,
            u.tables,
            quiesce_engine::size::human(u.bytes),
            u.source
        );
        println!(
            "  into {} ({}{})",
            u.target_profile,
            u.target,
            u.target_version.as_deref().map(|v| format!(", {v}")).unwrap_or_default()
        );
        if !u.existing.is_empty() {
            println!("  {} on the target:", if u.will_replace { "Will be replaced" } else { "Already" });
            for t in &u.existing {
                println!(
                    "    {}.{} ({} rows)",
                    t.namespace,
                    t.table,
                    t.rows.map(|r| r.to_string()).unwrap_or("?".into())
                );
            }
        }
        println!("  How: {}", u.mode);
        println!("  If it fails or is cancelled, the target holds: {}", u.on_failure);
        if !u.commands.is_empty() {
            println!("  Would run:");
            for c in &u.commands {
                println!("    $ {c}");
            }
        }
    }
    println!();
    println!("Checks (nothing was touched):");
    print_checks(&p.checks);
    if p.units.len() > 1 {
        println!();
        println!("Order: {}", p.order);
    }
}

fn print_verify(v: &verify::VerifyReport) {
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

fn print_manifest(dir: &std::path::Path, m: &Manifest) {
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

fn print_plan(p: &Plan, tree: &DecisionTree, discovery: Option<&Discovery>) {
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

fn print_deployment(d: &Deployment, profiles: &[Profile]) {
    println!("  name                 {}", d.name);
    println!("  id                   {}", d.id);
    println!("  transaction manager  {}", d.transaction_manager.as_str());
    if !d.storages_known {
        println!("  storages             unknown (a Cluster client: attach the Cluster's server-side properties)");
    }
    for (s, p) in d.storages.iter().zip(profiles) {
        println!("  storage {:<12} profile {} · {}", s.name, p.name, p.target());
    }
    for m in &d.namespace_mapping {
        println!("  namespace {:<20} -> {}", m.namespace, m.storage);
    }
    if let Some(s) = &d.default_storage {
        println!("  default storage      {s}");
    }
    println!(
        "  coordinator          {}.state on {}",
        d.coordinator_namespace,
        if d.storages_known { d.coordinator_storage().unwrap_or("?") } else { "unknown" }
    );
    println!("  metadata             {}.metadata", d.system_namespace);
    for e in &d.admin_endpoints {
        println!(
            "  scalar admin         {} (port {}{}){}",
            e.address,
            e.port,
            if d.admin_tls { ", TLS" } else { "" },
            if e.needs_address { " · needs an address" } else { "" }
        );
    }
    for h in &d.pause_hooks {
        println!("  in-pause hook        {}: {}", h.storage, h.render());
    }
    if let Some(src) = &d.source {
        println!("  imported from        {} ({})", src.file, src.imported_at.format("%Y-%m-%d %H:%M UTC"));
    }
}

fn target_short(p: &Profile) -> String {
    match p.kind {
        DbKind::Sqlite => p.path.clone().unwrap_or_default(),
        k if !k.is_networked() => p.target(),
        _ => format!(
            "{}@{}:{}/{}",
            p.user.as_deref().unwrap_or(""),
            p.host.as_deref().unwrap_or(""),
            p.port.map(|x| x.to_string()).unwrap_or_default(),
            p.database.as_deref().unwrap_or("")
        ),
    }
}

fn print_profile(p: &Profile) {
    let row = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            println!("  {k:<16} {v}");
        }
    };
    row("name", Some(p.name.clone()));
    row("id", Some(p.id.clone()));
    row("kind", Some(p.kind.label().into()));
    row("flavor", serde_json::to_value(p.flavor).ok().and_then(|v| v.as_str().map(String::from)));
    row("host", p.host.clone());
    row("port", p.port.map(|x| x.to_string()));
    row("database", p.database.clone());
    row("user", p.user.clone());
    row("path", p.path.clone());
    let list = |v: &[String]| (!v.is_empty()).then(|| v.join(", "));
    row("nodes", list(&p.nodes));
    row("data dirs", list(&p.data_dirs));
    row("region", p.region.clone());
    row("endpoint", p.endpoint.clone());
    row("table prefix", p.table_prefix.clone());
    row("instance id", p.instance_id.clone());
    if p.kind.is_networked() {
        row("ssl mode", Some(p.ssl_mode.as_str().into()));
    }
    row("ssl ca", p.ssl_ca_file.clone());
    row("connect timeout", Some(format!("{} s", p.connect_timeout_secs)));
    row("client tools", p.client_bin_dir.clone());
    row(
        "password",
        Some(match &p.secret {
            Some(r) => format!("in the keyring ({} / {})", r.service, r.account),
            None => "none stored".into(),
        }),
    );
}

fn print_window(w: &quiesce_engine::catalog::window::PauseWindow) {
    let verdict = match w.status.as_str() {
        "ok" => "a safe restore point",
        "unsafe" => "UNSAFE: not a restore point",
        _ => "FAILED: not a restore point",
    };
    println!("Pause window {} of \"{}\": {verdict}", w.id, w.deployment);
    if let (Some(s), Some(e)) = (&w.pause_start_date_time, &w.pause_end_date_time) {
        println!("  paused       {s} .. {e} ({:.0} ms)", w.paused_ms.unwrap_or(0.0));
    }
    if let (Some(a), Some(b)) = (w.safe_from, w.safe_to) {
        println!("  safe         {} .. {}", a.to_rfc3339(), b.to_rfc3339());
    }
    if let Some(rp) = w.restore_point {
        println!(
            "  restore point {} UTC · {} · epoch ms {}",
            rp.format("%Y-%m-%d %H:%M:%S%.3f"),
            rp.with_timezone(&chrono::Local).to_rfc3339_opts(chrono::SecondsFormat::Millis, false),
            rp.timestamp_millis()
        );
    }
    for n in &w.nodes {
        println!(
            "  node         {:<36} {}{}{}",
            n.node.label(),
            if n.paused { "paused" } else { "not paused" },
            if n.unpaused { ", unpaused" } else { ", NOT UNPAUSED" },
            n.error.as_ref().map(|e| format!(" ({e})")).unwrap_or_default()
        );
    }
    for o in &w.offsets {
        if o.uncertainty_ms.is_finite() {
            println!("  clock        {:<24} {:+.1} ms ± {:.1} ({})", o.source, o.offset_ms, o.uncertainty_ms, o.how);
        } else {
            println!("  clock        {:<24} unknown ({})", o.source, o.how);
        }
    }
    for p in &w.problems {
        println!("  problem      {p}");
    }
}

fn print_points(t: &quiesce_engine::points::Timeline) {
    use quiesce_engine::points::time;
    let at = |ms: Option<i64>| {
        ms.and_then(chrono::DateTime::from_timestamp_millis).map(time::utc).unwrap_or_else(|| "-".into())
    };
    println!("Restore points of {}:", t.deployment);
    for l in &t.lanes {
        let range = l
            .pitr
            .as_ref()
            .map(|r| {
                format!(
                    " — restorable {} … {}",
                    r.earliest_ms
                        .map(|m| at(Some(m)))
                        .unwrap_or_else(|| "unknown (set the profile's retention)".into()),
                    at(Some(r.latest_ms))
                )
            })
            .unwrap_or_default();
        println!("  storage {} ({}, {}): {}{range}", l.storage, l.label, l.profile, l.restores_by.describe());
    }
    if t.windows.is_empty() && t.backups.is_empty() {
        println!(
            "No pause windows or backups yet. Make a restore point with `quiesce pause {}` or `quiesce backup {}`.",
            t.deployment, t.deployment
        );
    }
    for w in &t.windows {
        let state = if w.refusals.is_empty() {
            "safe".to_string()
        } else {
            format!("NOT A RESTORE POINT: {}", w.refusals.join("; "))
        };
        println!(
            "  window {}  {}  point {}{}  {state}",
            w.id,
            w.status,
            at(w.point_ms),
            w.backup_id.as_ref().map(|b| format!("  backup {b}")).unwrap_or_default()
        );
    }
    for b in &t.backups {
        let state = if b.refusals.is_empty() {
            "safe".to_string()
        } else {
            format!("NOT A RESTORE POINT: {}", b.refusals.join("; "))
        };
        println!("  backup {}  {}  point {}  {state}", b.id, at(Some(b.start_ms)), at(b.point_ms));
    }
    for d in &t.damaged {
        println!("  DAMAGED {d}");
    }
}

fn print_migration_plan(p: &quiesce_engine::migrate::job::MigrationPlan) {
    println!("Migrate \"{}\" for ScalarDB {} ({} tables)", p.deployment, p.scalardb_version, p.tables.len());
    for t in &p.targets {
        println!(
            "  storage {} (from {}) → {} on {}{}",
            t.storage,
            t.units.join(", "),
            t.profile,
            t.engine,
            t.collation.as_deref().map(|c| format!(", collation {c}")).unwrap_or_default()
        );
    }
    for t in &p.tables {
        println!();
        println!("{}.{} ({} rows) {} → {}", t.namespace, t.table, t.rows, t.source_storage, t.target_storage);
        for c in &t.columns {
            println!("    {:<28} {:<12} {:<22} {}", c.name, c.scalar_type, c.target_type, c.role);
        }
    }
    println!();
    println!("Checks (nothing was written):");
    print_checks(&p.checks);
    for l in &p.leftovers {
        println!("  left by an earlier migration (dropped first): {l}");
    }
    for n in &p.notes {
        println!("  note: {n}");
    }
    println!();
    println!("database.properties:");
    for l in p.properties.lines() {
        println!("  {l}");
    }
}

fn print_migrated(r: &quiesce_engine::migrate::job::MigrationResult) {
    println!(
        "Migrated \"{}\": {} tables, {} rows in {:.1} s; proven (row counts and fingerprints match).",
        r.plan.deployment,
        r.proofs.len(),
        r.proofs.iter().map(|p| p.target_rows).sum::<u64>(),
        r.elapsed_secs
    );
    for p in &r.proofs {
        println!(
            "  {:<40} {:>10} rows  {}",
            p.table,
            p.target_rows,
            &p.target_fingerprint[..16.min(p.target_fingerprint.len())]
        );
    }
    if let Some(a) = &r.target_audit {
        println!(
            "  audit on the target: {} record(s) in flight, {} transaction(s): {} roll forward, {} roll back, {} torn (as on the source)",
            a.in_flight_records, a.transactions_total, a.roll_forward, a.roll_back + a.not_yet_expired, a.torn
        );
    }
    for n in &r.plan.notes {
        println!("  note: {n}");
    }
    println!(
        "  namespaces: {}",
        r.plan.mapping.iter().map(|m| format!("{}→{}", m.namespace, m.storage)).collect::<Vec<_>>().join(", ")
    );
    match &r.properties_file {
        Some(f) => println!("  database.properties written to {f}"),
        None => {
            println!();
            println!("database.properties:");
            for l in r.plan.properties.lines() {
                println!("  {l}");
            }
        }
    }
}

fn print_checks(checks: &[quiesce_engine::job::Check]) {
    for c in checks {
        println!("  {} {:<14} {}", if c.ok { "ok  " } else { "FAIL" }, c.name, c.message);
    }
}
