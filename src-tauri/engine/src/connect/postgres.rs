use super::*;
use tokio_postgres::error::SqlState;

/// A connected client with its connection task; dropping the client ends both.
pub(crate) struct PgConn {
    pub client: tokio_postgres::Client,
    pub task: tokio::task::JoinHandle<()>,
}

impl Drop for PgConn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Connects with the profile's TLS settings; every failure has its own code.
pub(crate) async fn connect(p: &Profile, password: Option<&Sensitive<String>>) -> Result<PgConn> {
    let host = p.host.clone().unwrap_or_default();
    let port = p.port.unwrap_or(5432);
    let user = p.user.clone().unwrap_or_default();
    let db = p.database.clone().unwrap_or_default();
    let timeout = Duration::from_secs(p.connect_timeout_secs as u64);
    let target = p.target();
    resolve(&host, port, timeout).await?;

    // libpq never uses TLS over a Unix socket (the server refuses it there);
    // without TLS no connector is built, so the CA bundle is never parsed.
    let unix = host.starts_with('/');
    let mode = if unix { SslMode::Disable } else { p.ssl_mode };
    let mut cfg = tokio_postgres::Config::new();
    cfg.host(&host).port(port).user(&user).dbname(&db).application_name("quiesce").connect_timeout(timeout).ssl_mode(
        match mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            _ => tokio_postgres::config::SslMode::Require,
        },
    );
    if let Some(pw) = password {
        cfg.password(pw.expose());
    }
    let connected = match mode {
        SslMode::Disable => {
            tokio::time::timeout(timeout, cfg.connect(tokio_postgres::NoTls)).await.map(|r| r.map(spawn))
        }
        _ => {
            let tls = postgres_native_tls::MakeTlsConnector::new(tls_connector(mode, p.ssl_ca_file.as_deref())?);
            tokio::time::timeout(timeout, cfg.connect(tls)).await.map(|r| r.map(spawn))
        }
    };
    let (client, task) = match connected {
        Err(_) => return Err(timeout_error(&target, timeout)),
        Ok(Err(e)) => return Err(map_error(e, p, password.is_some(), timeout)),
        Ok(Ok(c)) => c,
    };
    Ok(PgConn { client, task })
}

/// Drives a connection in the background, whatever its stream type.
fn spawn<S, T>(
    (client, conn): (tokio_postgres::Client, tokio_postgres::Connection<S, T>),
) -> (tokio_postgres::Client, tokio::task::JoinHandle<()>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    (
        client,
        tokio::spawn(async move {
            let _ = conn.await;
        }),
    )
}

pub(super) async fn test(p: &Profile, password: Option<&Sensitive<String>>) -> Result<ConnectionReport> {
    let timeout = Duration::from_secs(p.connect_timeout_secs as u64);
    let target = p.target();
    let started = Instant::now();
    let conn = connect(p, password).await?;
    let connect_ms = ms_since(started);
    let client = &conn.client;
    let q = async {
        let version: String = client.query_one("SHOW server_version", &[]).await?.get(0);
        let mut rtts = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            client.simple_query("SELECT 1").await?;
            rtts.push(t.elapsed());
        }
        let ssl: Option<bool> =
            client.query_opt("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", &[]).await?.map(|r| r.get(0));
        let in_recovery: bool = client.query_one("SELECT pg_is_in_recovery()", &[]).await?.get(0);
        Ok::<_, tokio_postgres::Error>((version, rtts, ssl, in_recovery))
    };
    let res = tokio::time::timeout(Duration::from_secs(30), q).await;
    drop(conn);
    let (version, rtts, ssl, in_recovery) = match res {
        Err(_) => return Err(timeout_error(&target, Duration::from_secs(30))),
        Ok(Err(e)) => return Err(map_error(e, p, password.is_some(), timeout)),
        Ok(Ok(v)) => v,
    };
    let mut notes = Vec::new();
    if in_recovery {
        notes.push(
            "The server is a standby (in recovery): backups from it are possible, restores into it are not.".into(),
        );
    }
    Ok(ConnectionReport {
        kind: DbKind::Postgresql,
        product: "PostgreSQL".into(),
        server_version: version,
        rtt_ms: median_ms(rtts),
        connect_ms,
        tls: Some(ssl.unwrap_or(false)),
        notes,
    })
}

pub(crate) fn map_error(e: tokio_postgres::Error, p: &Profile, had_password: bool, timeout: Duration) -> Error {
    let target = p.target();
    let user = p.user.as_deref().unwrap_or("?");
    let db = p.database.as_deref().unwrap_or("?");
    let detail = chain(&e);
    if let Some(dbe) = e.as_db_error() {
        let msg = dbe.message().to_string();
        let code = dbe.code();
        let err = if *code == SqlState::INVALID_PASSWORD {
            Error::new(
                ErrorCode::AuthFailed,
                format!("{target} rejected the password for user \"{user}\". Check the user and re-enter the password (Edit profile)."),
            )
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION && msg.contains("no encryption") {
            Error::new(
                ErrorCode::TlsError,
                format!(
                    "{target} accepts only encrypted connections ({msg}). Set the SSL mode to require or verify-full."
                ),
            )
        } else if *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            Error::new(
                ErrorCode::AuthFailed,
                format!("{target} refused user \"{user}\": {msg}. Check the user name, or ask the DBA to allow it in pg_hba.conf."),
            )
        } else if *code == SqlState::INVALID_CATALOG_NAME {
            Error::new(
                ErrorCode::DatabaseNotFound,
                format!("{target} has no database \"{db}\". Check the database name (it is the one in ScalarDB's JDBC URL)."),
            )
        } else if *code == SqlState::INSUFFICIENT_PRIVILEGE {
            Error::new(
                ErrorCode::PermissionDenied,
                format!("{target}: {msg}. Grant user \"{user}\" CONNECT on database \"{db}\" (and read access to the ScalarDB schemas)."),
            )
        } else if *code == SqlState::TOO_MANY_CONNECTIONS || *code == SqlState::CANNOT_CONNECT_NOW {
            Error::new(ErrorCode::Busy, format!("{target} cannot take the connection now: {msg}. Try again shortly."))
        } else {
            Error::new(
                ErrorCode::DatabaseError,
                format!("{target} reported an error: {msg} (SQLSTATE {}).", code.code()),
            )
        };
        return err.with_source(e);
    }
    if detail.contains("password missing") {
        return Error::new(
            ErrorCode::AuthFailed,
            format!("{target} asks for a password but the profile has none. Set the password (Edit profile, or --password-stdin / --password-env)."),
        )
        .with_source(e);
    }
    if find_source::<native_tls::Error>(&e).is_some() || detail.contains("TLS") || detail.contains("certificate") {
        let hint = if had_password || p.ssl_ca_file.is_none() {
            "Check the SSL mode and the CA file: verify-ca and verify-full need the CA that signed the server's certificate."
        } else {
            "Check the SSL mode and the CA file."
        };
        return Error::new(ErrorCode::TlsError, format!("TLS with {target} failed: {detail}. {hint}")).with_source(e);
    }
    if let Some(io) = find_source::<std::io::Error>(&e) {
        if let Some(err) = io_failure(io, &target, timeout) {
            return err.with_source(e);
        }
    }
    if detail.contains("timed out") || detail.contains("timeout") {
        return timeout_error(&target, timeout).with_source(e);
    }
    Error::new(ErrorCode::DatabaseError, format!("Could not connect to {target}: {detail}.")).with_source(e)
}
