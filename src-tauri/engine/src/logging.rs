//! Logging: a daily-rotated file in the data dir for the app, stderr for the
//! CLI. Secrets never reach a log: they are `Sensitive` and print redacted.

use crate::paths::Home;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

pub const LOG_ENV: &str = "QUIESCE_LOG";

fn filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(default))
}

/// The app: info and above to `<data>/logs/quiesce.log.YYYY-MM-DD` (7 kept) and stderr.
pub fn init_app(home: &Home) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("quiesce")
        .filename_suffix("log")
        .max_log_files(7)
        .build(home.logs_dir());
    match appender {
        Ok(appender) => {
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let _ = tracing_subscriber::registry()
                .with(filter("info"))
                .with(fmt::layer().with_ansi(false).with_writer(writer))
                .with(fmt::layer().with_writer(std::io::stderr))
                .try_init();
            Some(guard)
        }
        Err(e) => {
            init_cli();
            tracing::warn!("cannot write logs to {}: {e}", home.logs_dir().display());
            None
        }
    }
}

/// The CLI: warnings to stderr unless `QUIESCE_LOG` asks for more.
pub fn init_cli() {
    let _ = tracing_subscriber::registry()
        .with(filter("warn"))
        .with(fmt::layer().with_writer(std::io::stderr).with_target(false))
        .try_init();
}

/// The CLI with `--events json` (stderr is for JSON lines): warnings, unless
/// `QUIESCE_LOG` asks for more, to `<data>/logs/quiesce-cli.log.YYYY-MM-DD`.
pub fn init_cli_file(home: &Home) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    // Made first: on a new state directory the appender would say on stderr
    // (meant for JSON lines only) that it cannot read the folder.
    crate::paths::create_private_dir(&home.logs_dir()).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("quiesce-cli")
        .filename_suffix("log")
        .max_log_files(7)
        .build(home.logs_dir())
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let _ = tracing_subscriber::registry()
        .with(filter("warn"))
        .with(fmt::layer().with_ansi(false).with_writer(writer))
        .try_init();
    Some(guard)
}
