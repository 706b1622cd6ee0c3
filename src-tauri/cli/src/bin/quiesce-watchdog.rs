//! `quiesce-watchdog`: started by a pausing Quiesce (CLI or app) before its
//! first Pause; unpauses the nodes if the pauser dies. See
//! quiesce_engine::pause::watchdog.

fn main() {
    quiesce_engine::paths::private_umask();
    std::process::exit(quiesce_engine::pause::watchdog::run());
}
