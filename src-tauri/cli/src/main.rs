//! `quiesce`: the command line for scripts and cron. Every command takes
//! `--json`; the exit status is 0 only on success and otherwise tells the
//! error code (see ErrorCode::exit_code); errors print with their code.
//! This file parses and dispatches; each command family is a file of `cmd/`.

#[macro_use]
mod print;
mod cmd;
mod events;

use clap::{Parser, Subcommand};
use cmd::Ctx;
use events::{Events, EventsMode};
use print::Printed;
use quiesce_engine::usecases::{self, Engine};
use quiesce_engine::{paths::Home, secrets::SecretStore, Error, ErrorCode, Result};
use tokio_util::sync::CancellationToken;

#[derive(Parser)]
#[command(
    name = "quiesce",
    version,
    about = "Transactionally consistent backups of ScalarDB deployments",
    after_help = "First steps:\n  1. A profile per database (the password goes to the keyring):\n       quiesce profile add --name prod-pg --kind postgresql --host db.internal --user scalar --database app --password-stdin < pwfile\n  2. The deployment, from ScalarDB's own configuration (or from profiles: quiesce deployment create):\n       quiesce deployment import /etc/scalardb/database.properties --name prod\n  3. Its backup plan, after reading the databases:\n       quiesce plan prod --discover\n  4. The checks and commands, then the backup:\n       quiesce backup prod --dry-run && quiesce backup prod\n\nEach command explains itself: quiesce <command> --help (e.g. quiesce restore --help)."
)]
struct Cli {
    /// Print machine-readable JSON on stdout (errors too: {"error": {...}}).
    #[arg(long, global = true)]
    json: bool,
    /// How progress, phases and notes are written to stderr: human, or json
    /// (one object per line; Quiesce's own log then goes to its log file only).
    #[arg(long, global = true, value_enum, default_value = "human", value_name = "FORMAT")]
    events: EventsMode,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Connection profiles (secrets live in the OS keyring).
    #[command(subcommand)]
    Profile(Box<cmd::profile::ProfileCmd>),
    /// Deployments: one ScalarDB installation each (storages, mapping, admin endpoints).
    #[command(subcommand)]
    Deployment(cmd::deployment::DeploymentCmd),
    /// The backup plan of a deployment: the guide's decision tree evaluated,
    /// with the reason for every branch and the exact steps.
    Plan(cmd::plan::PlanArgs),
    /// Take a transactionally consistent backup of a deployment: every storage,
    /// from one point (inside one pause when the plan needs one).
    Backup(cmd::backup::BackupArgs),
    /// The backup catalog (the backup folders are the truth).
    #[command(subcommand)]
    Backups(cmd::backups::BackupsCmd),
    /// Restore a whole backup into a profile (the one it came from, or another
    /// of the same database family: a migration). Checks everything first;
    /// verifies the result. Exit status 30 when the verification finds errors.
    Restore(Box<cmd::restore::RestoreArgs>),
    /// Verify a live database (a profile or a deployment: tables, row counts,
    /// the ScalarDB consistency audit), or a backup (its files against the
    /// manifest; SQLite backups are also audited in place). Exit status 30
    /// when it finds errors.
    Verify(cmd::verify::VerifyArgs),
    /// Pause every ScalarDB node of a deployment, hold the pause (--min), and
    /// unpause: a restore point for databases restored by point-in-time
    /// recovery. Keeps the window in the catalog. Exit status 31 when the
    /// window is unsafe or failed.
    Pause(cmd::pause::PauseArgs),
    /// Unpause every ScalarDB node of a deployment (for operators: a pause
    /// someone left behind).
    Unpause(cmd::pause::NodesArgs),
    /// Each ScalarDB node of a deployment and whether it is paused.
    Nodes(cmd::pause::NodesArgs),
    /// The operations history: every job (backup, restore, verification,
    /// migration, pause, unpause) — who, where, what, when, and how it ended.
    History,
    /// The restore points of a deployment: pause windows (their restore point,
    /// safe or why not) and backups, and how each storage restores.
    Points(cmd::points::PointsArgs),
    /// The restore runbook for one point (a window, a backup or a time inside
    /// a safe window): every storage, with real names and the time in UTC.
    Runbook(cmd::points::RunbookArgs),
    /// Move a deployment to other databases: another engine (PostgreSQL,
    /// MySQL/MariaDB, SQLite in any direction) or several storages into one.
    /// Reads one consistent snapshot, lays the target out as ScalarDB's JDBC
    /// adapter would, copies every row with its transaction metadata, and
    /// proves it (row counts, fingerprints, the consistency audit). Writes a
    /// ready database.properties.
    Migrate(Box<cmd::migrate::MigrateArgs>),
    /// The continuous log archive of a deployment's PostgreSQL storages (WAL:
    /// pg_receivewal on a replication slot) and MySQL/MariaDB storages (binary
    /// logs, read as a replica); files indexed with SHA-256, gaps reported:
    /// run, start, stop, status, base, drop-slot.
    #[command(subcommand)]
    Archive(cmd::archive::ArchiveCmd),
}

fn main() {
    quiesce_engine::paths::private_umask();
    let cli = Cli::parse();
    let events = Events { mode: cli.events };
    let home = Home::resolve();
    let _log = match (&home, events.mode) {
        // Scripts read stderr as JSON lines: the log goes to its file only.
        (Ok(h), EventsMode::Json) => quiesce_engine::logging::init_cli_file(h),
        _ => {
            quiesce_engine::logging::init_cli();
            None
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().worker_threads(2).build().expect("tokio runtime");
    let result = rt.block_on(async {
        let cancel = CancellationToken::new();
        events::on_signals(cancel.clone(), events);
        let ctx = Ctx { engine: Engine::new(home?, SecretStore::new()), cancel: cancel.clone(), events };
        let work = run(&ctx, cli.command);
        tokio::pin!(work);
        // A cancelled job gets a bounded time to clean up.
        tokio::select! {
            r = &mut work => r,
            _ = async { cancel.cancelled().await; tokio::time::sleep(events::CLEANUP_LIMIT).await } => Err(Error::new(
                ErrorCode::Cancelled,
                format!("Cancelled; the job did not finish cleaning up within {} s. The next start of Quiesce removes what it left.", events::CLEANUP_LIMIT.as_secs()),
            )),
        }
    });
    match result {
        Ok(out) => {
            let status = out.print(cli.json);
            if status != 0 {
                std::process::exit(status);
            }
        }
        Err(e) => {
            tracing::info!(error = ?e, "command failed");
            if cli.json {
                print::emit_raw(&print::json_line(&serde_json::json!({ "error": e.to_ipc() })));
            } else {
                events.error(&e);
            }
            std::process::exit(e.code.exit_code());
        }
    }
}

async fn run(ctx: &Ctx, cmd: Command) -> Result<Printed> {
    // What killed jobs left behind is removed first (never a live job's), and
    // the state audited; said on stderr so --json output stays one document.
    let started = usecases::startup(&ctx.engine);
    for r in &started.removed {
        ctx.events.note("note", &format!("removed {r}"));
    }
    for r in &started.repaired {
        ctx.events.note("note", r);
    }
    for f in started.failed.iter().chain(&started.flagged) {
        ctx.events.note("warning", f);
    }
    match cmd {
        Command::Profile(c) => cmd::profile::run(ctx, *c).await,
        Command::Deployment(c) => cmd::deployment::run(ctx, c),
        Command::Plan(a) => cmd::plan::run(ctx, a).await,
        Command::Backup(a) => cmd::backup::run(ctx, a).await,
        Command::Backups(c) => cmd::backups::run(ctx, c),
        Command::Restore(a) => cmd::restore::run(ctx, *a).await,
        Command::Verify(a) => cmd::verify::run(ctx, a).await,
        Command::Pause(a) => cmd::pause::pause(ctx, a).await,
        Command::Unpause(a) => cmd::pause::unpause(ctx, a).await,
        Command::Nodes(a) => cmd::pause::nodes(ctx, a).await,
        Command::History => cmd::pause::history(ctx),
        Command::Points(a) => cmd::points::points(ctx, a),
        Command::Runbook(a) => cmd::points::runbook(ctx, a),
        Command::Migrate(a) => cmd::migrate::run(ctx, *a).await,
        Command::Archive(c) => cmd::archive::run(ctx, c).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    #[test]
    fn every_command_and_option_has_help_and_the_top_level_shows_the_first_steps() {
        use clap::CommandFactory;
        fn walk(c: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in c.get_arguments() {
                let id = a.get_id().as_str();
                if a.get_help().is_none() && a.get_long_help().is_none() && id != "help" && id != "version" {
                    missing.push(format!(
                        "{path} {}",
                        a.get_long().map(|l| format!("--{l}")).unwrap_or_else(|| id.to_string())
                    ));
                }
            }
            for sub in c.get_subcommands() {
                if sub.get_about().is_none() && sub.get_name() != "help" {
                    missing.push(format!("{path} {} (the command)", sub.get_name()));
                }
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut cmd = super::Cli::command();
        let mut missing = Vec::new();
        walk(&cmd, "quiesce", &mut missing);
        assert!(missing.is_empty(), "without help text: {missing:#?}");
        let help = cmd.render_help().to_string();
        for step in ["profile add", "deployment import", "plan prod --discover", "backup prod --dry-run", "--help"] {
            assert!(help.contains(step), "the top-level help lacks {step}:\n{help}");
        }
    }

    /// docs/cli-reference.md: every command's full help, as `--help` prints it.
    fn reference() -> String {
        use clap::CommandFactory;
        fn walk(c: &mut clap::Command, out: &mut String) {
            let name = c.get_bin_name().unwrap_or(c.get_name()).to_string();
            let help = c.render_long_help().to_string();
            out.push_str(&format!("## {name}\n\n```text\n{}\n```\n\n", help.trim_end()));
            for sub in c.get_subcommands_mut().filter(|s| s.get_name() != "help") {
                walk(sub, out);
            }
        }
        let mut root = super::Cli::command().bin_name("quiesce");
        root.build();
        let mut out = String::from(
            "# CLI reference\n\nGenerated from the command line's own definition (`cargo test -p quiesce-cli` fails when\nthis file is stale; `UPDATE_CLI_REFERENCE=1 cargo test -p quiesce-cli reference` rewrites it).\nThe task guides in [docs/guide](guide) show the commands in use.\n\n",
        );
        walk(&mut root, &mut out);
        out.trim_end().to_string() + "\n"
    }

    #[test]
    fn the_cli_reference_is_generated_from_the_definition_and_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/cli-reference.md");
        let now = reference();
        assert!(
            now.contains("## quiesce backup\n") && now.contains("## quiesce profile add\n"),
            "every command is in it"
        );
        if std::env::var_os("UPDATE_CLI_REFERENCE").is_some() {
            std::fs::write(&path, &now).unwrap();
        }
        let kept = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            kept == now,
            "docs/cli-reference.md is stale: run UPDATE_CLI_REFERENCE=1 cargo test -p quiesce-cli reference"
        );
    }
}
