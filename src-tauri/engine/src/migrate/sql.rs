//! The SQL that differs per engine: namespaces, drops, key lengths, and
//! the folding of values under a target's collation.

use super::connect::Target;
use super::layout::{Engine, ScalarType};
use crate::error::{Error, ErrorCode, Result};
use crate::live::{Dialect, Inner, LiveConn};

/// A namespace exists on the target (SQLite: any table with its prefix).
pub(super) async fn namespace_exists(t: &mut Target, ns: &str) -> Result<bool> {
    let sql = match t.engine {
        Engine::Sqlite => format!(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND substr(name, 1, {}) = {}",
            ns.chars().count() + 1,
            t.conn.lit(&format!("{ns}$"))
        ),
        _ => format!("SELECT count(*) FROM information_schema.schemata WHERE schema_name = {}", t.conn.lit(ns)),
    };
    Ok(t.conn.scalar_i64(&sql).await?.unwrap_or(0) > 0)
}

pub(super) async fn drop_object(conn: &mut LiveConn, kind: &str, name: &str) -> Result<()> {
    let q = crate::live::quote_ident(conn.dialect(), name);
    let sql = match (conn.dialect(), kind) {
        (Dialect::Postgres, _) => format!("DROP SCHEMA IF EXISTS {q} CASCADE"),
        (Dialect::Mysql, _) => format!("DROP DATABASE IF EXISTS {q}"),
        (Dialect::Sqlite, _) => format!("DROP TABLE IF EXISTS {q}"),
    };
    conn.exec(&sql).await
}

/// The length that bounds a key column on MySQL: characters for TEXT, bytes for BLOB.
pub(super) fn length_sql(d: Dialect, col: &str, ty: ScalarType) -> String {
    let q = crate::live::quote_ident(d, col);
    match (d, ty) {
        (Dialect::Postgres, ScalarType::Text) => format!("char_length({q})"),
        (Dialect::Postgres, _) => format!("octet_length({q})"),
        (Dialect::Mysql, ScalarType::Text) => format!("CHAR_LENGTH({q})"),
        (Dialect::Mysql, _) => format!("LENGTH({q})"),
        (Dialect::Sqlite, _) => format!("length({q})"),
    }
}

/// A TEXT key folded the way a collation compares it (lower case, trailing spaces cut).
pub(super) fn fold_sql(d: Dialect, col: &str, (ci, pad): (bool, bool)) -> String {
    let q = crate::live::quote_ident(d, col);
    match d {
        Dialect::Postgres => {
            let mut e = q;
            if pad {
                e = format!("rtrim({e}, ' ')");
            }
            if ci {
                e = format!("lower({e})");
            }
            format!("{e} COLLATE \"C\"")
        }
        Dialect::Mysql => {
            let mut e = q;
            if pad {
                e = format!("TRIM(TRAILING ' ' FROM {e})");
            }
            if ci {
                e = format!("LOWER({e})");
            }
            format!("CAST({e} AS BINARY)")
        }
        Dialect::Sqlite => format!("quiesce_fold({q}, {}, {})", ci as i32, pad as i32),
    }
}

/// SQLite's `lower` knows ASCII only: the fold is Rust's, on the source's connection.
pub(super) fn register_fold(c: &LiveConn) -> Result<()> {
    if let Inner::Lite(conn) = &c.inner {
        use rusqlite::functions::FunctionFlags;
        conn.lock()
            .unwrap()
            .create_scalar_function(
                "quiesce_fold",
                3,
                FunctionFlags::SQLITE_DETERMINISTIC | FunctionFlags::SQLITE_UTF8,
                |ctx| {
                    let s: Option<String> = ctx.get(0)?;
                    let (ci, pad): (bool, bool) = (ctx.get(1)?, ctx.get(2)?);
                    Ok(s.map(|s| {
                        let s = if pad { s.trim_end_matches(' ').to_string() } else { s };
                        if ci {
                            s.to_lowercase()
                        } else {
                            s
                        }
                    }))
                },
            )
            .map_err(|e| Error::new(ErrorCode::DatabaseError, format!("SQLite: {e}")))?;
    }
    Ok(())
}

/// How a MySQL/MariaDB collation compares: (case-insensitive, PAD SPACE).
/// MariaDB's `_nopad_` and MySQL 8's `_0900_` collations do not pad.
pub(super) fn collation_folds(collation: &str) -> (bool, bool) {
    let c = collation.to_ascii_lowercase();
    (c.ends_with("_ci"), !(c.contains("nopad") || c.contains("_0900_") || c == "binary"))
}

/// The binary NO PAD collation of the option, per server.
pub(super) fn binary_collation(e: Engine) -> &'static str {
    match e {
        Engine::Mariadb => "utf8mb4_nopad_bin",
        _ => "utf8mb4_0900_bin",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collations_fold_as_their_servers_compare() {
        assert_eq!(collation_folds("utf8mb4_general_ci"), (true, true));
        assert_eq!(collation_folds("utf8mb4_0900_ai_ci"), (true, false));
        assert_eq!(collation_folds("utf8mb4_uca1400_ai_ci"), (true, true));
        assert_eq!(collation_folds("utf8mb4_nopad_bin"), (false, false));
        assert_eq!(collation_folds("utf8mb4_0900_bin"), (false, false));
        assert_eq!(collation_folds("utf8mb4_bin"), (false, true));
    }
}
