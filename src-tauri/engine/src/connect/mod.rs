//! "Test connection": reach the server the way a backup will, with the
//! profile's TLS settings, and report the server version and round-trip time.
//! Every failure maps to its own error code with a message that names the fix.

pub(crate) mod mysql;
pub(crate) mod postgres;
pub(crate) mod sqlite;

use crate::error::{Error, ErrorCode, Result};
use crate::profile::{DbKind, Profile, SslMode};
use crate::sensitive::Sensitive;
use serde::{Deserialize, Serialize};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
pub struct ConnectionReport {
    pub kind: DbKind,
    /// "PostgreSQL", "MariaDB", "MySQL" or "SQLite".
    pub product: String,
    pub server_version: String,
    /// Median of three `SELECT 1` round trips, in milliseconds.
    pub rtt_ms: f64,
    /// Time to connect and authenticate, in milliseconds.
    pub connect_ms: f64,
    /// Whether the session is encrypted (None for SQLite).
    pub tls: Option<bool>,
    pub notes: Vec<String>,
}

/// Tests a profile. `password` is the stored or supplied secret.
pub async fn test_connection(
    profile: &Profile,
    password: Option<&Sensitive<String>>,
    cancel: &CancellationToken,
) -> Result<ConnectionReport> {
    let work = async {
        match profile.kind {
            DbKind::Postgresql => postgres::test(profile, password).await,
            DbKind::Mysql => mysql::test(profile, password).await,
            DbKind::Sqlite => sqlite::test(profile).await,
            k => Err(Error::new(
                ErrorCode::Unsupported,
                format!(
                    "{} profiles are descriptive: Quiesce does not connect to them, it keeps what the restore runbooks need. Nothing to test.",
                    k.label()
                ),
            )),
        }
    };
    tokio::select! {
        r = work => r,
        _ = cancel.cancelled() => Err(Error::cancelled()),
    }
}

pub(crate) fn median_ms(mut samples: Vec<Duration>) -> f64 {
    samples.sort();
    samples.get(samples.len() / 2).map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0)
}

pub(crate) fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Resolves the host first so that an unknown name is reported as such rather
/// than as a generic I/O error from the driver.
pub(crate) async fn resolve(host: &str, port: u16, timeout: Duration) -> Result<()> {
    if host.starts_with('/') {
        return Ok(());
    }
    match tokio::time::timeout(timeout, tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(Error::new(
            ErrorCode::Timeout,
            format!("Looking up the host name \"{host}\" took longer than {} s. Check your DNS settings or use an IP address.", timeout.as_secs()),
        )),
        Ok(Err(e)) => Err(Error::new(
            ErrorCode::HostNotFound,
            format!("The host name \"{host}\" could not be resolved ({e}). Check the spelling, your DNS, or use an IP address."),
        )
        .with_source(e)),
        Ok(Ok(mut addrs)) => {
            if addrs.next().is_none() {
                return Err(Error::new(
                    ErrorCode::HostNotFound,
                    format!("The host name \"{host}\" resolves to no address. Check the spelling or use an IP address."),
                ));
            }
            Ok(())
        }
    }
}

/// Reads the CA certificate a profile names, for both TLS drivers.
pub(crate) fn read_ca(path: &str) -> Result<native_tls::Certificate> {
    let p = std::path::Path::new(path);
    let pem = std::fs::read(p).map_err(|e| Error::io("read the CA certificate", p, e))?;
    native_tls::Certificate::from_pem(&pem).map_err(|e| {
        Error::invalid(format!("{path} is not a PEM certificate ({e}). Give the CA certificate in PEM format."))
            .with_source(e)
    })
}

/// libpq's sslmode on a native-tls connector: `require` encrypts without
/// verifying (unless a CA file is given: then it verifies the chain, as libpq
/// does), `verify-ca` checks the chain, `verify-full` also the host name.
pub(crate) fn tls_connector(mode: SslMode, ca_file: Option<&str>) -> Result<native_tls::TlsConnector> {
    // Building a connector parses the system's CA bundle (tens of ms): do it
    // once per mode for the built-in roots. A profile's own CA file is read
    // each time, so an edited file is seen at the next connection.
    if ca_file.is_some() {
        return build_tls_connector(mode, ca_file);
    }
    static BUILT: std::sync::OnceLock<std::sync::Mutex<Vec<(SslMode, native_tls::TlsConnector)>>> =
        std::sync::OnceLock::new();
    let built = BUILT.get_or_init(Default::default);
    if let Some((_, c)) = built.lock().unwrap().iter().find(|(m, _)| *m == mode) {
        return Ok(c.clone());
    }
    let c = build_tls_connector(mode, None)?;
    built.lock().unwrap().push((mode, c.clone()));
    Ok(c)
}

fn build_tls_connector(mode: SslMode, ca_file: Option<&str>) -> Result<native_tls::TlsConnector> {
    let mut b = native_tls::TlsConnector::builder();
    if let Some(ca) = ca_file {
        b.add_root_certificate(read_ca(ca)?);
        b.disable_built_in_roots(true);
    }
    match mode {
        SslMode::Disable | SslMode::Prefer | SslMode::Require => {
            if ca_file.is_some() {
                b.danger_accept_invalid_hostnames(true);
            } else {
                // Nothing is verified, so the system's roots (a bundle that
                // takes tens of ms to parse) are not needed.
                b.danger_accept_invalid_certs(true);
                b.disable_built_in_roots(true);
            }
        }
        SslMode::VerifyCa => {
            b.danger_accept_invalid_hostnames(true);
        }
        SslMode::VerifyFull => {}
    }
    b.build().map_err(|e| Error::new(ErrorCode::TlsError, format!("Could not set up TLS: {e}.")).with_source(e))
}

/// Finds the first error of type `T` in a source chain.
pub(crate) fn find_source<'a, T: std::error::Error + 'static>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<T>() {
            return Some(t);
        }
        cur = err.source();
    }
    None
}

/// The full chain as one line, for messages.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

/// Maps I/O failures common to both network drivers.
pub(crate) fn io_failure(io: &std::io::Error, target: &str, timeout: Duration) -> Option<Error> {
    use std::io::ErrorKind::*;
    match io.kind() {
        ConnectionRefused => Some(Error::new(
            ErrorCode::ConnectionRefused,
            format!("{target} refused the connection. Is the server running and listening on that host and port (and allowed by its firewall)?"),
        )),
        TimedOut | WouldBlock => Some(timeout_error(target, timeout)),
        HostUnreachable | NetworkUnreachable => Some(Error::new(
            ErrorCode::ConnectionRefused,
            format!("{target} is unreachable ({io}). Check the network route or VPN."),
        )),
        ConnectionReset | ConnectionAborted | UnexpectedEof | BrokenPipe => Some(Error::new(
            ErrorCode::ConnectionRefused,
            format!("{target} closed the connection during the handshake ({io}). The server may be restarting or shutting down; if it keeps doing this, check that the port belongs to this kind of server and that its TLS settings match the profile's."),
        )),
        _ => None,
    }
}

pub(crate) fn timeout_error(target: &str, timeout: Duration) -> Error {
    Error::new(
        ErrorCode::Timeout,
        format!(
            "{target} did not answer within {} s. Check that the host and port are right and that no firewall drops the traffic, or raise the connect timeout.",
            timeout.as_secs()
        ),
    )
}
