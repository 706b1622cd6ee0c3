use super::*;
use mysql_async::prelude::Queryable;
use mysql_async::{DriverError, IoError, OptsBuilder, SslOpts};

/// Connects with the profile's TLS settings (libpq `prefer` semantics).
pub(crate) async fn connect_profile(p: &Profile, password: Option<&Sensitive<String>>) -> Result<mysql_async::Conn> {
    let host = p.host.clone().unwrap_or_default();
    let port = p.port.unwrap_or(3306);
    let timeout = Duration::from_secs(p.connect_timeout_secs as u64);
    resolve(&host, port, timeout).await?;
    match connect(p, password, p.ssl_mode != SslMode::Disable, timeout).await {
        // `prefer`: fall back to plain text only when the server has no TLS at all.
        Err(e) if p.ssl_mode == SslMode::Prefer && is_no_tls(&e) => connect(p, password, false, timeout).await,
        r => r,
    }
    .map_err(|e| map_error(e, p, timeout))
}

pub(super) async fn test(p: &Profile, password: Option<&Sensitive<String>>) -> Result<ConnectionReport> {
    let timeout = Duration::from_secs(p.connect_timeout_secs as u64);
    let target = p.target();
    let started = Instant::now();
    let mut conn = connect_profile(p, password).await?;
    let connect_ms = ms_since(started);

    let q = async {
        let version: Option<String> = conn.query_first("SELECT VERSION()").await?;
        let mut rtts = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            let _: Option<i64> = conn.query_first("SELECT 1").await?;
            rtts.push(t.elapsed());
        }
        let cipher: Option<(String, String)> = conn.query_first("SHOW SESSION STATUS LIKE 'Ssl_cipher'").await?;
        Ok::<_, mysql_async::Error>((version.unwrap_or_default(), rtts, cipher))
    };
    let res = tokio::time::timeout(Duration::from_secs(30), q).await;
    let _ = tokio::time::timeout(Duration::from_secs(2), conn.disconnect()).await;
    let (version, rtts, cipher) = match res {
        Err(_) => return Err(timeout_error(&target, Duration::from_secs(30))),
        Ok(Err(e)) => return Err(map_error(e, p, timeout)),
        Ok(Ok(v)) => v,
    };
    let product = if version.to_ascii_lowercase().contains("mariadb") { "MariaDB" } else { "MySQL" };
    Ok(ConnectionReport {
        kind: DbKind::Mysql,
        product: product.into(),
        server_version: version,
        rtt_ms: median_ms(rtts),
        connect_ms,
        tls: Some(cipher.map(|(_, c)| !c.is_empty()).unwrap_or(false)),
        notes: vec![],
    })
}

async fn connect(
    p: &Profile,
    password: Option<&Sensitive<String>>,
    tls: bool,
    timeout: Duration,
) -> std::result::Result<mysql_async::Conn, ConnectFailure> {
    let mut b = OptsBuilder::default()
        .ip_or_hostname(p.host.clone().unwrap_or_default())
        .tcp_port(p.port.unwrap_or(3306))
        .user(p.user.clone())
        .pass(password.map(|s| s.expose().clone()))
        .db_name(p.database.clone())
        .prefer_socket(false);
    if tls {
        let mut ssl = SslOpts::default();
        if let Some(ca) = &p.ssl_ca_file {
            // Surface an unreadable or malformed CA file as such, before the driver does.
            read_ca(ca).map_err(ConnectFailure::Ours)?;
            ssl = ssl.with_root_certs(vec![std::path::PathBuf::from(ca).into()]);
        }
        ssl = match (p.ssl_mode, p.ssl_ca_file.is_some()) {
            (SslMode::VerifyFull, _) => ssl,
            (SslMode::VerifyCa, _) | (_, true) => ssl.with_danger_skip_domain_validation(true),
            _ => ssl.with_danger_accept_invalid_certs(true),
        };
        b = b.ssl_opts(Some(ssl));
    }
    match tokio::time::timeout(timeout, mysql_async::Conn::new(b)).await {
        Err(_) => Err(ConnectFailure::Timeout),
        Ok(Err(e)) => Err(ConnectFailure::Driver(e)),
        Ok(Ok(c)) => Ok(c),
    }
}

pub(crate) enum ConnectFailure {
    Driver(mysql_async::Error),
    Timeout,
    Ours(Error),
}

impl From<mysql_async::Error> for ConnectFailure {
    fn from(e: mysql_async::Error) -> Self {
        ConnectFailure::Driver(e)
    }
}

fn is_no_tls(e: &ConnectFailure) -> bool {
    matches!(e, ConnectFailure::Driver(mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer)))
}

pub(crate) fn map_error(e: impl Into<ConnectFailure>, p: &Profile, timeout: Duration) -> Error {
    let target = p.target();
    let user = p.user.as_deref().unwrap_or("?");
    let db = p.database.as_deref().unwrap_or("");
    let e = match e.into() {
        ConnectFailure::Ours(err) => return err,
        ConnectFailure::Timeout => return timeout_error(&target, timeout),
        ConnectFailure::Driver(e) => e,
    };
    let detail = chain(&e);
    let err = match &e {
        mysql_async::Error::Server(se) => match se.code {
            1045 => Error::new(
                ErrorCode::AuthFailed,
                format!("{target} denied access for user \"{user}\" ({}). Check the user and re-enter the password (Edit profile).", se.message),
            ),
            1049 => Error::new(
                ErrorCode::DatabaseNotFound,
                format!("{target} has no database \"{db}\". Check the name, or leave the database empty (ScalarDB namespaces are databases on MySQL)."),
            ),
            1044 | 1142 | 1227 => Error::new(
                ErrorCode::PermissionDenied,
                format!("{target}: {}. Grant user \"{user}\" access to the ScalarDB databases.", se.message),
            ),
            1040 | 1203 => Error::new(ErrorCode::Busy, format!("{target} cannot take the connection now: {}. Try again shortly.", se.message)),
            3159 => Error::new(
                ErrorCode::TlsError,
                format!("{target} accepts only encrypted connections ({}). Set the SSL mode to require or verify-full.", se.message),
            ),
            _ => Error::new(ErrorCode::DatabaseError, format!("{target} reported an error: {} (error {}).", se.message, se.code)),
        },
        mysql_async::Error::Driver(DriverError::NoClientSslFlagFromServer) => Error::new(
            ErrorCode::TlsError,
            format!("{target} does not support TLS, but the profile's SSL mode is {}. Enable TLS on the server or lower the SSL mode.", p.ssl_mode.as_str()),
        ),
        mysql_async::Error::Io(IoError::Tls(_)) => Error::new(
            ErrorCode::TlsError,
            format!("TLS with {target} failed: {detail}. Check the SSL mode and the CA file: verify-ca and verify-full need the CA that signed the server's certificate."),
        ),
        mysql_async::Error::Io(IoError::Io(io)) => {
            io_failure(io, &target, timeout).unwrap_or_else(|| Error::new(ErrorCode::IoError, format!("Could not talk to {target}: {detail}.")))
        }
        _ => Error::new(ErrorCode::DatabaseError, format!("Could not connect to {target}: {detail}.")),
    };
    err.with_source(e)
}
