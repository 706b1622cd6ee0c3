//! ScalarDB's JDBC URLs, read the way the JDBC drivers read them:
//!
//! - PgJDBC: `jdbc:postgresql:[//host[:port][,host[:port]…]/]database[?k=v&…]`,
//!   a host as `name`, `IPv4` or `[IPv6]` (the port after the last `:` that
//!   follows any `]`), the database and the parameters URL-decoded.
//! - MySQL Connector/J 8: `jdbc:mysql[:loadbalance|:replication|+srv]://`
//!   `[user[:password]@]hosts[/database][?k=v&…]`, a host as `host[:port]`,
//!   `[IPv6][:port]`, `address=(host=h)(port=p)…` or `(host=h,port=p,…)`,
//!   several of them comma-separated or inside `[…]`; userinfo, database and
//!   parameters percent-decoded.
//! - MariaDB Connector/J: `jdbc:mariadb:[replication:|loadbalance:|sequential:|aurora:]//`
//!   `host[:port],…[/database][?k=v&…]` with the same `address=(…)` form.
//! - SQLite, Oracle, SQL Server and Db2 as before (the latter three are only
//!   described, never connected to).
//!
//! Every credential the drivers accept (userinfo, `user=`/`password=`) is
//! taken out: the password goes to the keyring and the URL is kept without
//! it. What Quiesce cannot represent is said (a finding with its reason) or
//! refused with the reason — never changed silently. URLs in messages have
//! their secrets masked.

use crate::profile::{DbKind, Flavor, SslMode};
use crate::sensitive::Sensitive;
use std::path::Path;

#[derive(Debug, Default)]
pub(crate) struct JdbcTarget {
    pub kind: DbKind,
    pub flavor: Option<Flavor>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub database: Option<String>,
    pub path: Option<String>,
    pub user: Option<String>,
    pub password: Option<Sensitive<String>>,
    pub ssl_mode: Option<SslMode>,
    pub ssl_ca_file: Option<String>,
    pub connect_timeout_secs: Option<u32>,
    pub instance_id: Option<String>,
    pub region: Option<String>,
    /// The URL as kept: without any password.
    pub url_without_password: String,
    pub notes: Vec<String>,
}

/// The URL with every secret replaced by `****`: the userinfo password and
/// `password=` parameters (`&`- or `;`-separated, any case).
pub fn mask(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    // userinfo: `//user:secret@`
    let body = match url.find("//") {
        Some(i) => {
            let (head, rest) = url.split_at(i + 2);
            let end = rest.find(['/', '?', ';']).unwrap_or(rest.len());
            let authority = &rest[..end];
            out.push_str(head);
            match authority.rfind('@') {
                Some(at) => {
                    let userinfo = &authority[..at];
                    match userinfo.split_once(':') {
                        Some((u, _)) => out.push_str(&format!("{u}:****")),
                        None => out.push_str(userinfo),
                    }
                    out.push_str(&authority[at..]);
                }
                None => out.push_str(authority),
            }
            rest[end..].to_string()
        }
        None => url.to_string(),
    };
    // Any `password=` (a parameter, or a properties line a trailing '\\'
    // joined to the URL) is masked up to the next separator.
    let mut rest = body.as_str();
    while let Some(i) = rest.to_ascii_lowercase().find("password=") {
        let (head, tail) = rest.split_at(i + "password=".len());
        out.push_str(head);
        let end = tail.find(['&', ';', '\n']).unwrap_or(tail.len());
        out.push_str("****");
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// `%XX` decoded; `plus_is_space` as Java's URLDecoder (PgJDBC) does.
fn decode(s: &str, plus_is_space: bool, url: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                let v = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or_else(|| {
                    format!("\"{}\" has a '%' that is not followed by two hex digits (percent-encoding).", mask(url))
                })?;
                out.push(v);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("\"{}\" decodes to something that is not UTF-8 text.", mask(url)))
}

/// One host of a URL: `name`, `name:port`, `[v6]`, `[v6]:port`; an
/// unbracketed IPv6 literal is read as PgJDBC reads it (the port after the
/// last ':'), and said.
fn host_port(s: &str, default_port: u16, url: &str, notes: &mut Vec<String>) -> Result<(String, u16), String> {
    let bad = |why: &str| format!("\"{s}\" in \"{}\" is not a host: {why}.", mask(url));
    let port = |p: &str| -> Result<u16, String> {
        match p.parse::<u16>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(bad(&format!("\"{p}\" is not a port number (1 to 65535)"))),
        }
    };
    if s.is_empty() {
        return Err(bad("it is empty"));
    }
    if let Some(rest) = s.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| bad("a '[' without its ']'"))?;
        if h.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(bad("what is inside [ ] is not an IPv6 address"));
        }
        return match after.strip_prefix(':') {
            Some(p) => Ok((h.to_string(), port(p)?)),
            None if after.is_empty() => Ok((h.to_string(), default_port)),
            None => Err(bad("only ':port' may follow ']'")),
        };
    }
    if s.contains(|c: char| c.is_whitespace() || c.is_control() || "/@()[]".contains(c)) {
        return Err(bad("a host has no spaces, slashes, '@' or brackets here"));
    }
    match s.matches(':').count() {
        0 => Ok((s.to_string(), default_port)),
        1 => {
            let (h, p) = s.split_once(':').unwrap();
            if h.is_empty() {
                return Err(bad("the host before ':' is missing"));
            }
            Ok((h.to_string(), port(p)?))
        }
        _ => {
            // PgJDBC: the port follows the last ':' (no ']' after it).
            let (h, p) = s.rsplit_once(':').unwrap();
            if h.parse::<std::net::Ipv6Addr>().is_ok() && p.parse::<u16>().is_ok() {
                let p = port(p)?;
                notes.push(format!(
                    "\"{s}\" is an IPv6 address without brackets; the driver reads its last part as the port, so it is host {h}, port {p}. Write [{h}]:{p} to say so."
                ));
                Ok((h.to_string(), p))
            } else {
                Err(bad("an IPv6 address needs brackets, e.g. [::1]:5432"))
            }
        }
    }
}

/// `address=(host=h)(port=p)(k=v)…` or `(host=h,port=p,k=v)` (Connector/J
/// key-value hosts). Returns host and port.
fn key_value_host(s: &str, default_port: u16, url: &str) -> Result<(String, u16), String> {
    let bad = |why: &str| format!("\"{s}\" in \"{}\" is not a host: {why}.", mask(url));
    let pairs: Vec<(String, String)> = if let Some(rest) = s.strip_prefix("address=") {
        let mut v = Vec::new();
        let mut r = rest;
        while !r.is_empty() {
            let inner = r.strip_prefix('(').ok_or_else(|| bad("expected (key=value) groups"))?;
            let (kv, after) = inner.split_once(')').ok_or_else(|| bad("a '(' without its ')'"))?;
            let (k, val) = kv.split_once('=').ok_or_else(|| bad("a group without '='"))?;
            v.push((k.trim().to_ascii_lowercase(), val.trim().to_string()));
            r = after;
        }
        v
    } else {
        let inner =
            s.strip_prefix('(').and_then(|x| x.strip_suffix(')')).ok_or_else(|| bad("expected (host=…,port=…)"))?;
        inner
            .split(',')
            .map(|kv| {
                kv.split_once('=')
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .ok_or_else(|| bad("a key without '='"))
            })
            .collect::<Result<_, _>>()?
    };
    let get = |k: &str| pairs.iter().find(|(kk, _)| kk == k).map(|(_, v)| v.clone());
    let host = get("host").filter(|h| !h.is_empty()).ok_or_else(|| bad("no host=…"))?;
    let host = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).map(str::to_string).unwrap_or(host);
    let port = match get("port") {
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| bad(&format!("\"{p}\" is not a port")))?,
        None => default_port,
    };
    Ok((host, port))
}

/// Splits a host list on the commas that are not inside ( ) or [ ].
fn split_hosts(s: &str) -> Vec<&str> {
    let (mut depth, mut start, mut out) = (0i32, 0usize, Vec::new());
    for (i, c) in s.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// `k=v&k=v`, decoded.
fn params(query: &str, plus_is_space: bool, url: &str) -> Result<Vec<(String, String)>, String> {
    query
        .split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            Ok((decode(k, plus_is_space, url)?, decode(v, plus_is_space, url)?))
        })
        .collect()
}

/// Every JDBC URL flavour a ScalarDB properties file may hold (`jdbc:postgresql:`,
/// `jdbc:yugabytedb:`, `jdbc:mysql:`, `jdbc:mariadb:`, `jdbc:sqlite:`, `jdbc:oracle:`,
/// `jdbc:sqlserver:`, `jdbc:db2:`; scalar-labs/scalardb `storage/jdbc/RdbEngineFactory.java`),
/// read as its driver reads it.
pub(crate) fn parse(url: &str, file: &Path) -> Result<JdbcTarget, String> {
    let rest = url
        .strip_prefix("jdbc:")
        .ok_or_else(|| format!("\"{}\" is not a JDBC URL (it starts with jdbc:).", mask(url)))?;
    let mut t = JdbcTarget { url_without_password: url.to_string(), ..Default::default() };
    if let Some(body) = rest.strip_prefix("postgresql:").or_else(|| rest.strip_prefix("yugabytedb:")) {
        t.kind = DbKind::Postgresql;
        if rest.starts_with("yugabytedb:") {
            t.flavor = Some(Flavor::YugabyteYsql);
        }
        postgres(&mut t, body, url)?;
    } else if let Some(after) = rest.strip_prefix("mysql").or_else(|| rest.strip_prefix("mariadb")) {
        t.kind = DbKind::Mysql;
        mysql(&mut t, rest.starts_with("mariadb"), after, url)?;
    } else if let Some(body) = rest.strip_prefix("db2:") {
        t.kind = DbKind::Db2;
        let body = body
            .strip_prefix("//")
            .ok_or_else(|| format!("\"{}\": expected jdbc:db2://host:port/database.", mask(url)))?;
        let (main, _) = body.split_once(':').filter(|(m, _)| m.contains('/')).unwrap_or((body, ""));
        let (hp, db) = main.split_once('/').unwrap_or((main, ""));
        let (h, p) = host_port(hp, 50000, url, &mut t.notes)?;
        (t.host, t.port) = (Some(h), Some(p));
        t.database = (!db.is_empty()).then(|| db.to_string());
    } else if let Some(body) = rest.strip_prefix("sqlite:") {
        t.kind = DbKind::Sqlite;
        let p = body.strip_prefix("file:").unwrap_or(body);
        let p = p.split('?').next().unwrap_or("");
        if p.is_empty() || p == ":memory:" || body.contains("mode=memory") {
            return Err(format!("\"{url}\" is an in-memory SQLite database: there is nothing on disk to back up."));
        }
        let pb = Path::new(p);
        let abs = if pb.is_absolute() {
            pb.to_path_buf()
        } else {
            let base = file
                .parent()
                .map(|d| if d.as_os_str().is_empty() { Path::new(".") } else { d })
                .unwrap_or(Path::new("."));
            let a = std::path::absolute(base.join(pb)).unwrap_or(base.join(pb));
            t.notes.push(format!(
                "the SQLite path \"{p}\" is relative (to ScalarDB's working directory); it was taken relative to the properties file: {}. Check it.",
                a.display()
            ));
            a
        };
        t.path = Some(abs.display().to_string());
    } else if let Some(body) = rest.strip_prefix("oracle:") {
        t.kind = DbKind::Oracle;
        let at = body
            .split_once('@')
            .map(|x| x.1)
            .ok_or_else(|| format!("\"{}\": expected jdbc:oracle:thin:@//host:port/service.", mask(url)))?;
        if at.starts_with('(') {
            return Err(format!("\"{}\" uses a TNS descriptor; give the host, port and service as jdbc:oracle:thin:@//host:port/service.", mask(url)));
        }
        let at = at.strip_prefix("//").unwrap_or(at);
        let (hp, svc) = match at.split_once('/') {
            Some((hp, s)) => (hp.to_string(), s.to_string()),
            None => {
                // host:port:SID
                let mut parts = at.rsplitn(2, ':');
                let sid = parts.next().unwrap_or("").to_string();
                (parts.next().unwrap_or("").to_string(), sid)
            }
        };
        let (h, p) = host_port(&hp, 1521, url, &mut t.notes)?;
        managed_flavor(&mut t, &h);
        (t.host, t.port) = (Some(h), Some(p));
        t.database = (!svc.is_empty()).then_some(svc);
    } else if let Some(body) = rest.strip_prefix("sqlserver:") {
        t.kind = DbKind::Sqlserver;
        let body = body
            .strip_prefix("//")
            .ok_or_else(|| format!("\"{}\": expected jdbc:sqlserver://host:port;databaseName=db.", mask(url)))?;
        let mut parts = body.split(';');
        let hp = parts.next().unwrap_or("");
        let hp = hp.split('\\').next().unwrap_or(hp); // host\instance
        let (h, p) = host_port(hp, 1433, url, &mut t.notes)?;
        managed_flavor(&mut t, &h);
        (t.host, t.port) = (Some(h), Some(p));
        for kv in parts {
            if let Some((k, v)) = kv.split_once('=') {
                match k.to_ascii_lowercase().as_str() {
                    "databasename" | "database" => t.database = Some(v.to_string()),
                    "user" => t.user = Some(v.to_string()),
                    "password" => t.password = Some(Sensitive::new(v.to_string())),
                    _ => {}
                }
            }
        }
        if t.password.is_some() {
            t.url_without_password = url
                .split(';')
                .filter(|kv| !kv.to_ascii_lowercase().starts_with("password="))
                .collect::<Vec<_>>()
                .join(";");
        }
    } else {
        let sub = rest.split(':').next().unwrap_or(rest);
        return Err(format!(
            "jdbc:{sub} is not a database Quiesce knows (PostgreSQL, MySQL, MariaDB, SQLite, YugabyteDB, Oracle, SQL Server, Db2)."
        ));
    }
    Ok(t)
}

/// PgJDBC's grammar.
fn postgres(t: &mut JdbcTarget, body: &str, url: &str) -> Result<(), String> {
    let (main, query) = body.split_once('?').unwrap_or((body, ""));
    let (hosts, db) = match main.strip_prefix("//") {
        Some(server) => {
            let (hosts, db) = server.split_once('/').ok_or_else(|| {
                format!(
                    "\"{}\": PgJDBC needs a '/' before the database name (jdbc:postgresql://host:port/database).",
                    mask(url)
                )
            })?;
            (hosts, db)
        }
        // `jdbc:postgresql:database` and `jdbc:postgresql:/`: localhost.
        None => ("", main.trim_start_matches('/')),
    };
    let (userinfo, hosts) = match hosts.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, hosts),
    };
    if let Some(u) = userinfo {
        // Not PgJDBC's grammar (ScalarDB would fail with it), but a password
        // there must still never be kept.
        let (user, pw) = u.split_once(':').map(|(a, b)| (a, Some(b))).unwrap_or((u, None));
        t.user = Some(decode(user, true, url)?);
        t.password = pw.map(|p| decode(p, true, url)).transpose()?.map(Sensitive::new);
        t.notes.push("the URL has user:password@ before the host, which PgJDBC does not read (ScalarDB would not connect): give them as scalar.db.username and scalar.db.password. Quiesce took them as such.".into());
    }
    let list = split_hosts(hosts);
    let first = list.first().copied().unwrap_or("");
    if list.len() > 1 {
        t.notes.push(format!("the URL lists several hosts ({hosts}) for failover; Quiesce backs up one server and uses the first, {first}."));
    }
    let (h, p) =
        if first.is_empty() { ("localhost".to_string(), 5432) } else { host_port(first, 5432, url, &mut t.notes)? };
    (t.host, t.port) = (Some(h), Some(p));
    let db = decode(db, true, url)?;
    t.database = (!db.is_empty()).then_some(db);
    let mut kept = Vec::new();
    for (raw, (k, v)) in query.split('&').filter(|s| !s.is_empty()).zip(params(query, true, url)?) {
        match k.as_str() {
            "password" => {
                t.password = Some(Sensitive::new(v));
                continue;
            }
            "user" => t.user = Some(v),
            "sslmode" => {
                t.ssl_mode = Some(match v.as_str() {
                    "allow" => {
                        t.notes.push("sslmode=allow is kept as prefer (TLS when the server offers it).".into());
                        SslMode::Prefer
                    }
                    other => SslMode::parse(other).ok_or_else(|| {
                        format!("sslmode={other} in \"{}\" is not a PgJDBC SSL mode (disable, allow, prefer, require, verify-ca, verify-full).", mask(url))
                    })?,
                })
            }
            "ssl" if v == "true" && !query.contains("sslmode=") => {
                t.ssl_mode = Some(SslMode::VerifyFull);
                t.notes.push("ssl=true without sslmode means verify-full to PgJDBC: the server's certificate and host name are checked.".into());
            }
            "sslrootcert" => t.ssl_ca_file = Some(v),
            "connectTimeout" => {
                t.connect_timeout_secs = Some(v.parse().map_err(|_| format!("connectTimeout={v} in \"{}\" is not a number of seconds.", mask(url)))?)
            }
            _ => {}
        }
        kept.push(raw);
    }
    if t.password.is_some() {
        let server = url.split('?').next().unwrap_or(url);
        let server = match userinfo {
            Some(u) => server.replacen(&format!("{u}@"), "", 1),
            None => server.to_string(),
        };
        t.url_without_password =
            format!("{server}{}", if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) });
    }
    if let Some(h) = t.host.clone() {
        managed_flavor(t, &h);
    }
    Ok(())
}

/// MySQL Connector/J 8 and MariaDB Connector/J.
#[allow(clippy::too_many_lines, reason = "one driver family's URL grammar, read top to bottom like its documentation")]
fn mysql(t: &mut JdbcTarget, mariadb: bool, after: &str, url: &str) -> Result<(), String> {
    let driver = if mariadb { "jdbc:mariadb" } else { "jdbc:mysql" };
    if after.starts_with("+srv") {
        return Err(format!(
            "\"{}\" finds its servers through DNS SRV records, which Quiesce does not read: give the server as {driver}://host:port/.",
            mask(url)
        ));
    }
    let after = after.strip_prefix(':').ok_or_else(|| format!("\"{}\" is not a JDBC URL.", mask(url)))?;
    let (mode, body) = match after.split_once("//") {
        Some((m, b)) => (m.trim_end_matches(':'), b),
        None => return Err(format!("\"{}\": expected {driver}://host:port/database.", mask(url))),
    };
    let known: &[&str] = if mariadb {
        &["", "replication", "loadbalance", "sequential", "aurora"]
    } else {
        &["", "replication", "loadbalance"]
    };
    if !known.contains(&mode) {
        return Err(format!(
            "\"{}\": {driver}:{mode}: is not a mode of the driver ({}).",
            mask(url),
            known[1..].join(", ")
        ));
    }
    let (main, query) = body.split_once('?').unwrap_or((body, ""));
    // The host list ends at the first '/' outside ( ) and [ ].
    let slash = {
        let mut depth = 0i32;
        main.char_indices()
            .find(|(_, c)| {
                match c {
                    '(' | '[' => depth += 1,
                    ')' | ']' => depth -= 1,
                    _ => {}
                }
                *c == '/' && depth == 0
            })
            .map(|(i, _)| i)
    };
    let (authority, db) = match slash {
        Some(i) => (&main[..i], &main[i + 1..]),
        None => (main, ""),
    };
    let (userinfo, hosts) = match authority.rsplit_once('@').filter(|(u, _)| !u.contains('(')) {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    if let Some(u) = userinfo {
        let (user, pw) = u.split_once(':').map(|(a, b)| (a, Some(b))).unwrap_or((u, None));
        t.user = Some(decode(user, false, url)?);
        t.password = pw.map(|p| decode(p, false, url)).transpose()?.map(Sensitive::new);
    }
    // `[h1,h2]` is a host list (Connector/J 8); `[::1]` an IPv6 address.
    let hosts = match hosts.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(inner) if inner.contains(',') || inner.contains('(') || inner.contains('=') => inner,
        _ => hosts,
    };
    let list = split_hosts(hosts);
    let parsed: Vec<(String, u16)> = list
        .iter()
        .filter(|h| !h.is_empty())
        .map(|h| {
            if h.starts_with("address=") || h.starts_with('(') {
                key_value_host(h, 3306, url)
            } else {
                host_port(h, 3306, url, &mut t.notes)
            }
        })
        .collect::<Result<_, _>>()?;
    match (parsed.first(), mode) {
        (None, _) => return Err(format!("\"{}\" names no server: expected {driver}://host:port/.", mask(url))),
        (Some((h, _)), "replication" | "aurora") => t.notes.push(format!(
            "{driver}:{mode}: lists a source and its replicas ({hosts}); Quiesce backs up the source, {h} (the first host)."
        )),
        (Some((h, _)), "loadbalance" | "sequential") => t.notes.push(format!(
            "{driver}:{mode}: spreads connections over {hosts}; these serve one set of data, which Quiesce backs up through the first host, {h}. If they are separate servers, make a profile for each."
        )),
        (Some((h, _)), _) if parsed.len() > 1 => {
            t.notes.push(format!("the URL lists several hosts ({hosts}) for failover; Quiesce uses the first, {h}."))
        }
        _ => {}
    }
    let (h, p) = parsed[0].clone();
    (t.host, t.port) = (Some(h), Some(p));
    let db = decode(db, false, url)?;
    if !db.is_empty() {
        t.database = Some(db);
    }
    let mut kept = Vec::new();
    for (raw, (k, v)) in query.split('&').filter(|s| !s.is_empty()).zip(params(query, false, url)?) {
        match k.as_str() {
            "password" | "password1" => {
                t.password = Some(Sensitive::new(v));
                continue;
            }
            "user" => t.user = Some(v),
            "sslMode" | "sslmode" => {
                t.ssl_mode = Some(match v.to_ascii_uppercase().replace('-', "_").as_str() {
                    "DISABLED" | "DISABLE" => SslMode::Disable,
                    "PREFERRED" => SslMode::Prefer,
                    "REQUIRED" => SslMode::Require,
                    "TRUST" => {
                        t.notes.push("sslMode=trust (TLS without checking the certificate) is kept as require.".into());
                        SslMode::Require
                    }
                    "VERIFY_CA" => SslMode::VerifyCa,
                    "VERIFY_IDENTITY" | "VERIFY_FULL" => SslMode::VerifyFull,
                    _ => {
                        return Err(format!(
                            "sslMode={v} in \"{}\" is not an SSL mode of the driver ({}).",
                            mask(url),
                            if mariadb { "disable, trust, verify-ca, verify-full" } else { "DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY" }
                        ))
                    }
                })
            }
            "useSSL" | "useSsl" if !query.contains("sslMode=") && !query.contains("sslmode=") => {
                t.ssl_mode = Some(match v.as_str() {
                    "true" => SslMode::Require,
                    "false" => SslMode::Disable,
                    other => return Err(format!("useSSL={other} in \"{}\" is neither true nor false.", mask(url))),
                })
            }
            "serverSslCert" => t.ssl_ca_file = Some(v),
            "trustCertificateKeyStoreUrl" => t.notes.push(
                "the URL trusts a Java key store (trustCertificateKeyStoreUrl), which the native tools cannot read: export its CA as a PEM file and set it in the profile.".into(),
            ),
            "connectTimeout" => {
                let ms: u32 = v.parse().map_err(|_| format!("connectTimeout={v} in \"{}\" is not a number of milliseconds.", mask(url)))?;
                t.connect_timeout_secs = Some(ms.div_ceil(1000).max(1));
            }
            _ => {}
        }
        kept.push(raw);
    }
    if t.password.is_some() {
        let mut server = url.split('?').next().unwrap_or(url).to_string();
        if let Some(u) = userinfo {
            let user_only = u.split(':').next().unwrap_or("");
            server = server.replacen(
                &format!("{u}@"),
                &if user_only.is_empty() { String::new() } else { format!("{user_only}@") },
                1,
            );
        }
        t.url_without_password =
            format!("{server}{}", if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) });
    }
    if let Some(h) = t.host.clone() {
        managed_flavor(t, &h);
    }
    Ok(())
}

/// Managed services recognised from their host names.
fn managed_flavor(t: &mut JdbcTarget, host: &str) {
    let labels: Vec<&str> = host.split('.').collect();
    let first = labels.first().map(|s| s.to_string());
    if host.ends_with(".rds.amazonaws.com") && labels.len() >= 6 {
        t.flavor = Some(Flavor::AmazonRds);
        t.instance_id = first;
        t.region = Some(labels[labels.len() - 4].to_string());
        t.notes.push(format!("{host} is Amazon RDS: instance {}, region {}.", labels[0], labels[labels.len() - 4]));
    } else if host.ends_with(".database.azure.com") {
        t.flavor = Some(Flavor::Azure);
        t.instance_id = first;
        t.notes.push(format!("{host} is an Azure Database server ({}).", labels[0]));
    } else if host.ends_with(".ybdb.io") || host.ends_with(".cloud.yugabyte.com") {
        let uuid = labels.iter().find(|l| l.len() == 36 && l.matches('-').count() == 4);
        match uuid {
            Some(id) => {
                t.flavor = Some(Flavor::YugabyteManaged);
                t.instance_id = Some(id.to_string());
                t.notes.push(format!("{host} is YugabyteDB Managed, cluster {id}."));
            }
            None => {
                t.flavor = Some(Flavor::YugabyteYsql);
                t.notes.push(format!(
                    "{host} looks like YugabyteDB Managed: set the flavor and its cluster id in the profile."
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> JdbcTarget {
        parse(u, Path::new("/etc/scalardb/database.properties")).unwrap_or_else(|e| panic!("{u}: {e}"))
    }

    fn err(u: &str) -> String {
        parse(u, Path::new("/p")).err().unwrap_or_else(|| panic!("{u} was accepted"))
    }

    #[test]
    fn jdbc_urls_of_every_flavour() {
        let t = url("jdbc:postgresql://db.internal:6543/app?sslmode=verify-full&sslrootcert=/etc/ca.pem");
        assert_eq!(
            (t.kind, t.host.as_deref(), t.port, t.database.as_deref()),
            (DbKind::Postgresql, Some("db.internal"), Some(6543), Some("app"))
        );
        assert_eq!((t.ssl_mode, t.ssl_ca_file.as_deref()), (Some(SslMode::VerifyFull), Some("/etc/ca.pem")));
        let t = url("jdbc:mysql://mysql-1/");
        assert_eq!((t.kind, t.port, t.database), (DbKind::Mysql, Some(3306), None));
        let t = url("jdbc:mariadb://m:3307?sslMode=verify-full");
        assert_eq!((t.kind, t.port, t.ssl_mode), (DbKind::Mysql, Some(3307), Some(SslMode::VerifyFull)));
        let t = url("jdbc:sqlite:/var/lib/app.db?busy_timeout=10000");
        assert_eq!(t.path.as_deref(), Some("/var/lib/app.db"));
        let t = url("jdbc:sqlite:data/app.db");
        assert_eq!(t.path.as_deref(), Some("/etc/scalardb/data/app.db"));
        assert!(!t.notes.is_empty());
        let t = url("jdbc:yugabytedb://yb:5433/yugabyte");
        assert_eq!((t.kind, t.flavor, t.port), (DbKind::Postgresql, Some(Flavor::YugabyteYsql), Some(5433)));
        let t = url("jdbc:oracle:thin:@//ora.internal:1521/ORCLPDB1");
        assert_eq!(
            (t.kind, t.host.as_deref(), t.database.as_deref()),
            (DbKind::Oracle, Some("ora.internal"), Some("ORCLPDB1"))
        );
        let t = url("jdbc:oracle:thin:@ora:1522:XE");
        assert_eq!((t.port, t.database.as_deref()), (Some(1522), Some("XE")));
        let t = url("jdbc:sqlserver://mssql:1433;databaseName=scalar;encrypt=true");
        assert_eq!((t.kind, t.database.as_deref()), (DbKind::Sqlserver, Some("scalar")));
        let t = url("jdbc:db2://db2.internal:50000/SAMPLE");
        assert_eq!((t.kind, t.database.as_deref()), (DbKind::Db2, Some("SAMPLE")));
        assert!(parse("jdbc:h2:mem:x", Path::new("/p")).is_err());
        assert!(parse("jdbc:sqlite::memory:", Path::new("/p")).is_err());
    }

    #[test]
    fn hosts_as_the_drivers_read_them() {
        let t = url("jdbc:postgresql://[::1]:5432/app");
        assert_eq!((t.host.as_deref(), t.port), (Some("::1"), Some(5432)));
        let t = url("jdbc:postgresql://[fe80::1]/app");
        assert_eq!((t.host.as_deref(), t.port), (Some("fe80::1"), Some(5432)));
        // PgJDBC takes the port after the last ':'; Quiesce does too, and says so.
        let t = url("jdbc:postgresql://::1:5433/app");
        assert_eq!((t.host.as_deref(), t.port), (Some("::1"), Some(5433)));
        assert!(t.notes.iter().any(|n| n.contains("[::1]:5433")), "{:?}", t.notes);
        assert!(err("jdbc:postgresql://fe80::1::zz/app").contains("brackets"));
        let t = url("jdbc:postgresql:app");
        assert_eq!((t.host.as_deref(), t.database.as_deref()), (Some("localhost"), Some("app")));
        let t = url("jdbc:mysql://address=(host=db2)(port=3307)(key=v)/app");
        assert_eq!((t.host.as_deref(), t.port, t.database.as_deref()), (Some("db2"), Some(3307), Some("app")));
        let t = url("jdbc:mysql://(host=db3,port=3308)/");
        assert_eq!((t.host.as_deref(), t.port), (Some("db3"), Some(3308)));
        let t = url("jdbc:mariadb://address=(host=m1)(port=3310)(type=master),address=(host=m2)(port=3311)/x");
        assert_eq!((t.host.as_deref(), t.port), (Some("m1"), Some(3310)));
        let t = url("jdbc:mysql://[h1:3306,h2:3306]/db");
        assert_eq!(t.host.as_deref(), Some("h1"));
    }

    #[test]
    fn names_are_percent_decoded_like_the_drivers_do() {
        let t = url("jdbc:postgresql://h/my%20app?user=sc%40lar");
        assert_eq!((t.database.as_deref(), t.user.as_deref()), (Some("my app"), Some("sc@lar")));
        let t = url("jdbc:mysql://h/caf%C3%A9");
        assert_eq!(t.database.as_deref(), Some("café"));
        assert!(err("jdbc:postgresql://h/bad%zz").contains("percent"));
    }

    #[test]
    fn modes_of_several_servers_are_read_and_said() {
        let t = url("jdbc:mysql:loadbalance://h1:3306,h2:3306/db");
        assert_eq!((t.host.as_deref(), t.database.as_deref()), (Some("h1"), Some("db")));
        assert!(t.notes.iter().any(|n| n.contains("loadbalance") && n.contains("h1")), "{:?}", t.notes);
        let t = url("jdbc:mysql:replication://src:3306,rep:3306/db");
        assert!(t.notes.iter().any(|n| n.contains("source")), "{:?}", t.notes);
        let t = url("jdbc:mariadb:sequential://a,b/db");
        assert_eq!(t.host.as_deref(), Some("a"));
        assert!(err("jdbc:mysql+srv://cluster.example/db").contains("SRV"));
        assert!(err("jdbc:mysql:fabric://h/db").contains("not a mode"));
    }

    #[test]
    fn unknown_ssl_modes_are_refused_with_the_reason() {
        assert!(err("jdbc:postgresql://h/db?sslmode=verify_full").contains("not a PgJDBC SSL mode"));
        assert!(err("jdbc:mariadb://h/?sslMode=strict").contains("not an SSL mode"));
        assert!(err("jdbc:mysql://h/?useSSL=yes").contains("neither true nor false"));
        let t = url("jdbc:postgresql://h/db?ssl=true");
        assert_eq!(t.ssl_mode, Some(SslMode::VerifyFull));
    }

    #[test]
    fn every_credential_form_is_taken_out_and_masked() {
        let t = url("jdbc:mysql://scalar:s3cr%40t@mysql-prod:3306/?sslMode=REQUIRED");
        assert_eq!((t.host.as_deref(), t.user.as_deref()), (Some("mysql-prod"), Some("scalar")));
        assert_eq!(t.password.as_ref().map(|p| p.expose().as_str()), Some("s3cr@t"));
        assert!(!t.url_without_password.contains("s3cr"), "{}", t.url_without_password);
        assert_eq!(t.url_without_password, "jdbc:mysql://scalar@mysql-prod:3306/?sslMode=REQUIRED");
        let t = url("jdbc:postgresql://h/db?user=u&password=hunter2&sslmode=require");
        assert_eq!(t.password.as_ref().map(|p| p.expose().as_str()), Some("hunter2"));
        assert!(!t.url_without_password.contains("hunter2") && t.url_without_password.contains("sslmode=require"));
        let t = url("jdbc:sqlserver://h;databaseName=x;password=hunter2;encrypt=true");
        assert!(!t.url_without_password.contains("hunter2"));
        for u in [
            "jdbc:mysql://u:hunter2@h:3306/?sslMode=bogus",
            "jdbc:postgresql://h/db?password=hunter2&sslmode=nope",
            "jdbc:mysql://u:hunter2@h:notaport/",
        ] {
            let e = err(u);
            assert!(!e.contains("hunter2"), "{e}");
            assert!(e.contains("****"), "{e}");
        }
        assert_eq!(mask("jdbc:x://h;Password=abc;user=u"), "jdbc:x://h;Password=****;user=u");
        // A properties line joined to the URL by a trailing backslash (found by the fuzzer).
        assert_eq!(mask("A00scalar.db.password=Fz-Pw-77"), "A00scalar.db.password=****");
    }
}
