//! Children get only the environment they need: every process Quiesce
//! starts begins from an empty environment plus an allow-list read from its
//! own (`env_clear`, never removing variables from Quiesce's environment,
//! which would race with its threads), then what Quiesce sets for it (a
//! password *file*'s path, never a password). So a `--password-env`
//! variable, or any other secret the user's shell holds, reaches no tool,
//! hook or watchdog.

use std::ffi::OsString;

/// What every child may see: where programs are, who and where the user is,
/// the locale and time zone, a temp dir, and the TLS roots rustls or the
/// tools read.
const BASE: &[&str] =
    &["PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR"];

/// What an in-pause hook may see besides: the user's ssh agent and Kerberos
/// ticket (Cassandra's `nodetool` over ssh). A hook that needs more reads it
/// from its own configuration (HOME is passed).
pub const HOOK: &[&str] = &["SSH_AUTH_SOCK", "SSH_AGENT_PID", "KRB5CCNAME"];

/// What a program opened on the user's desktop (a file manager) needs.
pub const DESKTOP: &[&str] = &[
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "XAUTHORITY",
    "XDG_RUNTIME_DIR",
    "XDG_CURRENT_DESKTOP",
    "XDG_DATA_DIRS",
    "XDG_CONFIG_DIRS",
    "DBUS_SESSION_BUS_ADDRESS",
];

fn allowed(name: &str, extra: &[&str]) -> bool {
    BASE.contains(&name) || extra.contains(&name) || name.starts_with("LC_")
}

/// This process's variables a child may inherit.
pub fn inherited(extra: &[&str]) -> Vec<(OsString, OsString)> {
    std::env::vars_os().filter(|(k, _)| k.to_str().is_some_and(|k| allowed(k, extra))).collect()
}

/// Clears a command's environment down to the allow-list (plus `extra`).
pub fn restrict_std(cmd: &mut std::process::Command, extra: &[&str]) {
    cmd.env_clear().envs(inherited(extra));
}

pub fn restrict(cmd: &mut tokio::process::Command, extra: &[&str]) {
    cmd.env_clear().envs(inherited(extra));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_allow_list_passes() {
        assert!(allowed("PATH", &[]) && allowed("LC_TIME", &[]));
        assert!(!allowed("MYPW", &[]) && !allowed("PGPASSWORD", &[]) && !allowed("QUIESCE_PASSWORD_PROD", &[]));
        assert!(!allowed("SSH_AUTH_SOCK", &[]) && allowed("SSH_AUTH_SOCK", HOOK));
    }
}
