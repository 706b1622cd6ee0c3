//! "Test connection" against real throwaway servers: every outcome and its code.

use quiesce_engine::connect::test_connection;
use quiesce_engine::profile::{DbKind, Flavor, Profile, SslMode};
use quiesce_engine::{ErrorCode, Sensitive};
use quiesce_testsupport::mariadb::MariaDbServer;
use quiesce_testsupport::postgres::{PgOptions, PgServer, SUPERUSER};
use std::sync::OnceLock;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn profile(kind: DbKind, host: &str, port: u16, user: &str, db: Option<&str>) -> Profile {
    Profile {
        id: "t".into(),
        name: "t".into(),
        kind,
        flavor: Flavor::SelfHosted,
        host: Some(host.into()),
        port: Some(port),
        database: db.map(Into::into),
        user: Some(user.into()),
        ssl_mode: SslMode::Prefer,
        ssl_ca_file: None,
        connect_timeout_secs: 5,
        client_bin_dir: None,
        ..Default::default()
    }
}

fn sqlite_profile(path: &std::path::Path) -> Profile {
    let mut p = profile(DbKind::Sqlite, "", 0, "", None);
    p.host = None;
    p.port = None;
    p.user = None;
    p.path = Some(path.display().to_string());
    p.connect_timeout_secs = 1;
    p
}

async fn check(
    p: &Profile,
    pw: Option<&str>,
) -> Result<quiesce_engine::connect::ConnectionReport, quiesce_engine::Error> {
    let pw = pw.map(|s| Sensitive::new(s.to_string()));
    test_connection(p, pw.as_ref(), &CancellationToken::new()).await
}

async fn expect_code(p: &Profile, pw: Option<&str>, code: ErrorCode) -> String {
    match check(p, pw).await {
        Ok(r) => panic!("expected {code}, got success {r:?}"),
        Err(e) => {
            assert_eq!(e.code, code, "wrong code; message: {}", e.message);
            if let Some(pw) = pw {
                assert!(!e.message.contains(pw), "the password leaked into the message: {}", e.message);
            }
            e.message
        }
    }
}

fn pg() -> &'static PgServer {
    PgServer::shared()
}

fn pg_tls() -> &'static PgServer {
    static S: OnceLock<PgServer> = OnceLock::new();
    S.get_or_init(|| PgServer::start(PgOptions { tls_only: true, ..Default::default() }))
}

// ---------- PostgreSQL ----------

#[tokio::test]
async fn pg_success_reports_version_and_round_trip() {
    let s = pg();
    let db = s.create_database();
    let r = check(&profile(DbKind::Postgresql, "127.0.0.1", s.port, SUPERUSER, Some(&db)), Some(&s.password))
        .await
        .unwrap();
    assert_eq!(r.product, "PostgreSQL");
    assert!(r.server_version.split('.').next().unwrap().parse::<u32>().unwrap() >= 12, "{}", r.server_version);
    assert!(r.rtt_ms > 0.0 && r.rtt_ms < 1000.0);
    assert_eq!(r.tls, Some(false), "this server has no TLS; prefer must fall back to plain text");
}

#[tokio::test]
async fn pg_wrong_password_is_auth_failed() {
    let s = pg();
    let m = expect_code(
        &profile(DbKind::Postgresql, "127.0.0.1", s.port, SUPERUSER, Some("postgres")),
        Some("wrong-password-123"),
        ErrorCode::AuthFailed,
    )
    .await;
    assert!(m.contains(SUPERUSER), "{m}");
}

#[tokio::test]
async fn pg_missing_password_is_auth_failed() {
    let s = pg();
    expect_code(
        &profile(DbKind::Postgresql, "127.0.0.1", s.port, SUPERUSER, Some("postgres")),
        None,
        ErrorCode::AuthFailed,
    )
    .await;
}

#[tokio::test]
async fn pg_unknown_database_is_database_not_found() {
    let s = pg();
    let m = expect_code(
        &profile(DbKind::Postgresql, "127.0.0.1", s.port, SUPERUSER, Some("no_such_db")),
        Some(&s.password),
        ErrorCode::DatabaseNotFound,
    )
    .await;
    assert!(m.contains("no_such_db"));
}

#[tokio::test]
async fn pg_revoked_connect_is_permission_denied() {
    let s = pg();
    let db = s.create_database();
    let role = format!("r_{}", quiesce_testsupport::random_suffix());
    s.create_role(&role, "role-pw");
    s.psql("postgres", &format!("REVOKE CONNECT ON DATABASE {db} FROM PUBLIC"));
    expect_code(
        &profile(DbKind::Postgresql, "127.0.0.1", s.port, &role, Some(&db)),
        Some("role-pw"),
        ErrorCode::PermissionDenied,
    )
    .await;
}

#[tokio::test]
async fn nothing_listening_is_connection_refused() {
    let port = quiesce_testsupport::free_port();
    expect_code(
        &profile(DbKind::Postgresql, "127.0.0.1", port, "u", Some("d")),
        Some("x"),
        ErrorCode::ConnectionRefused,
    )
    .await;
    expect_code(&profile(DbKind::Mysql, "127.0.0.1", port, "u", None), Some("x"), ErrorCode::ConnectionRefused).await;
}

#[tokio::test]
async fn unknown_host_is_host_not_found() {
    expect_code(
        &profile(DbKind::Postgresql, "no-such-host.invalid", 5432, "u", Some("d")),
        Some("x"),
        ErrorCode::HostNotFound,
    )
    .await;
    expect_code(&profile(DbKind::Mysql, "no-such-host.invalid", 3306, "u", None), Some("x"), ErrorCode::HostNotFound)
        .await;
}

/// A server that accepts TCP connections and never says a word.
fn silent_listener() -> (std::net::TcpListener, u16) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    (l, port)
}

#[tokio::test]
async fn silent_server_is_timeout() {
    let (_l, port) = silent_listener();
    for kind in [DbKind::Postgresql, DbKind::Mysql] {
        let mut p = profile(kind, "127.0.0.1", port, "u", Some("d"));
        p.connect_timeout_secs = 1;
        p.ssl_mode = SslMode::Disable;
        let t = std::time::Instant::now();
        expect_code(&p, Some("x"), ErrorCode::Timeout).await;
        assert!(t.elapsed() < Duration::from_secs(5), "{kind:?} took {:?}", t.elapsed());
    }
}

#[tokio::test]
async fn cancel_stops_a_hanging_test_at_once() {
    let (_l, port) = silent_listener();
    let mut p = profile(DbKind::Postgresql, "127.0.0.1", port, "u", Some("d"));
    p.connect_timeout_secs = 60;
    let token = CancellationToken::new();
    let t2 = token.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        t2.cancel();
    });
    let t = std::time::Instant::now();
    let e = test_connection(&p, None, &token).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Cancelled);
    assert!(t.elapsed() < Duration::from_secs(3));
}

// ---------- PostgreSQL with TLS only ----------

fn tls_profile(s: &PgServer, host: &str, mode: SslMode, ca: bool) -> Profile {
    let mut p = profile(DbKind::Postgresql, host, s.port, SUPERUSER, Some("postgres"));
    p.ssl_mode = mode;
    if ca {
        p.ssl_ca_file = Some(s.tls.as_ref().unwrap().ca_cert.display().to_string());
    }
    p
}

#[tokio::test]
async fn tls_verify_full_passes_with_the_ca() {
    let s = pg_tls();
    let r = check(&tls_profile(s, "localhost", SslMode::VerifyFull, true), Some(&s.password)).await.unwrap();
    assert_eq!(r.tls, Some(true));
}

#[tokio::test]
async fn tls_verify_full_fails_without_the_ca() {
    let s = pg_tls();
    let m =
        expect_code(&tls_profile(s, "localhost", SslMode::VerifyFull, false), Some(&s.password), ErrorCode::TlsError)
            .await;
    assert!(m.to_lowercase().contains("certificate"), "{m}");
}

#[tokio::test]
async fn tls_verify_full_checks_the_host_name_but_verify_ca_does_not() {
    let s = pg_tls();
    // The certificate names "localhost" only.
    expect_code(&tls_profile(s, "127.0.0.1", SslMode::VerifyFull, true), Some(&s.password), ErrorCode::TlsError).await;
    let r = check(&tls_profile(s, "127.0.0.1", SslMode::VerifyCa, true), Some(&s.password)).await.unwrap();
    assert_eq!(r.tls, Some(true));
}

#[tokio::test]
async fn tls_require_encrypts_without_verifying() {
    let s = pg_tls();
    let r = check(&tls_profile(s, "127.0.0.1", SslMode::Require, false), Some(&s.password)).await.unwrap();
    assert_eq!(r.tls, Some(true));
}

#[tokio::test]
async fn tls_only_server_refuses_plain_text_with_tls_error() {
    let s = pg_tls();
    let m = expect_code(&tls_profile(s, "127.0.0.1", SslMode::Disable, false), Some(&s.password), ErrorCode::TlsError)
        .await;
    assert!(m.contains("require"), "the message should name the fix: {m}");
}

#[tokio::test]
async fn tls_required_but_server_has_none_is_tls_error() {
    let s = pg();
    expect_code(&tls_profile(s, "127.0.0.1", SslMode::Require, false), Some(&s.password), ErrorCode::TlsError).await;
}

#[tokio::test]
async fn a_unix_socket_connects_without_tls_whatever_the_mode() {
    // libpq never uses TLS over a Unix socket, and the server refuses it there.
    let s = pg();
    let sock = s.socket_dir().display().to_string();
    for mode in [SslMode::Require, SslMode::VerifyFull] {
        let r = check(&tls_profile(s, &sock, mode, false), Some(&s.password)).await.unwrap();
        assert_eq!(r.tls, Some(false), "{mode:?}");
    }
}

// ---------- MariaDB ----------

fn my() -> &'static MariaDbServer {
    MariaDbServer::shared()
}

#[tokio::test]
async fn mariadb_success_reports_version() {
    let s = my();
    let db = s.create_database();
    let r = check(&profile(DbKind::Mysql, "127.0.0.1", s.port, "quiesce", Some(&db)), Some(&s.password)).await.unwrap();
    assert_eq!(r.product, "MariaDB");
    assert!(r.server_version.contains("MariaDB"), "{}", r.server_version);
    assert_eq!(r.tls, Some(false));
}

#[tokio::test]
async fn mariadb_wrong_password_is_auth_failed() {
    let s = my();
    expect_code(
        &profile(DbKind::Mysql, "127.0.0.1", s.port, "quiesce", None),
        Some("wrong-pw-456"),
        ErrorCode::AuthFailed,
    )
    .await;
}

#[tokio::test]
async fn mariadb_unknown_database_is_database_not_found() {
    let s = my();
    expect_code(
        &profile(DbKind::Mysql, "127.0.0.1", s.port, "quiesce", Some("no_such_db")),
        Some(&s.password),
        ErrorCode::DatabaseNotFound,
    )
    .await;
}

#[tokio::test]
async fn mariadb_database_without_grant_is_permission_denied() {
    let s = my();
    let db = s.create_database();
    let user = format!("u{}", quiesce_testsupport::random_suffix());
    s.sql(&format!("CREATE USER '{user}'@'%' IDENTIFIED BY 'upw'"));
    expect_code(
        &profile(DbKind::Mysql, "127.0.0.1", s.port, &user, Some(&db)),
        Some("upw"),
        ErrorCode::PermissionDenied,
    )
    .await;
}

#[tokio::test]
async fn mariadb_tls_required_but_server_has_none_is_tls_error() {
    let s = my();
    let mut p = profile(DbKind::Mysql, "127.0.0.1", s.port, "quiesce", None);
    p.ssl_mode = SslMode::Require;
    expect_code(&p, Some(&s.password), ErrorCode::TlsError).await;
}

// ---------- SQLite ----------

#[tokio::test]
async fn sqlite_demo_database_connects() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("demo.sqlite");
    quiesce_engine::demo::create_demo_database(&f).unwrap();
    let r = check(&sqlite_profile(&f), None).await.unwrap();
    assert_eq!(r.product, "SQLite");
    assert!(r.server_version.starts_with("3."));
    assert_eq!(r.tls, None);
}

#[tokio::test]
async fn sqlite_missing_file_is_file_not_found() {
    let dir = tempfile::tempdir().unwrap();
    expect_code(&sqlite_profile(&dir.path().join("nope.db")), None, ErrorCode::FileNotFound).await;
}

#[tokio::test]
async fn sqlite_non_database_is_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("notes.txt");
    std::fs::write(&f, "this is not a database, just text that is long enough to fill a header........").unwrap();
    expect_code(&sqlite_profile(&f), None, ErrorCode::InvalidInput).await;
    expect_code(&sqlite_profile(dir.path()), None, ErrorCode::InvalidInput).await;
}

#[tokio::test]
async fn sqlite_held_exclusively_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("locked.db");
    quiesce_engine::demo::create_demo_database(&f).unwrap();
    let holder = rusqlite::Connection::open(&f).unwrap();
    holder.execute_batch("PRAGMA journal_mode=DELETE; BEGIN EXCLUSIVE; UPDATE \"bank$accounts\" SET balance = balance WHERE account_id = 1;").unwrap();
    expect_code(&sqlite_profile(&f), None, ErrorCode::Busy).await;
    holder.execute_batch("ROLLBACK").unwrap();
    check(&sqlite_profile(&f), None).await.unwrap();
}

// An unreadable SQLite file (permission_denied) is tested through the CLI, run
// as an unprivileged user: see src-tauri/cli/tests/cli.rs.
