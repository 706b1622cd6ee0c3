//! An extended INSERT of a mariadb-dump script turned into the rows of a
//! `LOAD DATA LOCAL INFILE` stream: the same rows, which the server loads
//! with a fraction of the CPU it spends parsing them as SQL (the parallel
//! load is CPU-bound on the server).
//!
//! Only what the dump tools write is converted: `INSERT INTO `t` [(`c`,…)]
//! VALUES (…),(…)` with NULL, numbers, single-quoted strings and hex blobs
//! (--hex-blob). Anything else (b'…' for BIT, introducers, functions) gives
//! `None` and the statement is run as it is.
//!
//! The stream uses LOAD DATA's defaults: tab between fields, newline after
//! each row, backslash escapes, `\N` for NULL, no enclosing quotes.

use super::myparallel::strip_prefix_ci;

/// A converted statement.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Infile {
    /// `LOAD DATA LOCAL INFILE … INTO TABLE `t` CHARACTER SET … (`c`,…)`.
    pub statement: Vec<u8>,
    /// The rows, in LOAD DATA's default format.
    pub data: Vec<u8>,
    pub rows: u64,
}

/// A character set name as `SET NAMES` gives it: letters, digits and `_`.
fn charset_name(s: &[u8]) -> Option<&str> {
    let ok = !s.is_empty() && s.len() <= 32 && s.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_');
    ok.then(|| std::str::from_utf8(s).unwrap())
}

/// The character set a header statement (`/*!40101 SET NAMES utf8mb4 */`)
/// sets for the session's client side, if it sets one.
pub(super) fn set_names(stmt: &[u8]) -> Option<&str> {
    let s = stmt.trim_ascii();
    // Inside a versioned comment: `/*!40101 … */`.
    let s = match s.strip_prefix(b"/*!") {
        Some(r) => &r[r.iter().take_while(|b| b.is_ascii_digit()).count()..],
        None => s,
    };
    let rest = strip_prefix_ci(s.trim_ascii_start(), b"SET NAMES ")?;
    let end = rest.iter().position(|b| !(b.is_ascii_alphanumeric() || *b == b'_')).unwrap_or(rest.len());
    charset_name(&rest[..end])
}

/// A backtick-quoted identifier at the start of `s` (doubled backticks
/// inside): its bytes with the quotes, and what follows.
fn quoted_ident(s: &[u8]) -> Option<(&[u8], &[u8])> {
    if s.first() != Some(&b'`') {
        return None;
    }
    let mut i = 1;
    loop {
        match s.get(i)? {
            b'`' if s.get(i + 1) == Some(&b'`') => i += 2,
            b'`' => return (i > 1).then(|| (&s[..=i], &s[i + 1..])),
            _ => i += 1,
        }
    }
}

/// Converts one INSERT statement (delimiter already removed).
pub(super) fn convert(stmt: &[u8], charset: &str) -> Option<Infile> {
    let s = strip_prefix_ci(stmt.trim_ascii(), b"INSERT INTO ")?;
    // The table: `t` or `db`.`t`.
    let (mut table, mut rest) = quoted_ident(s)?;
    let table_len = table.len();
    if let Some(r) = rest.strip_prefix(b".") {
        let (t, r) = quoted_ident(r)?;
        table = &s[..table_len + 1 + t.len()];
        rest = r;
    }
    // An optional column list: `(`a`,`b`)`.
    let rest_t = rest.trim_ascii_start();
    let mut columns: Option<&[u8]> = None;
    if let Some(mut r) = rest_t.strip_prefix(b"(") {
        loop {
            let (_, after) = quoted_ident(r.trim_ascii_start())?;
            let after = after.trim_ascii_start();
            if let Some(a) = after.strip_prefix(b",") {
                r = a;
            } else {
                let a = after.strip_prefix(b")")?;
                columns = Some(&rest_t[..rest_t.len() - a.len()]);
                rest = a;
                break;
            }
        }
    }
    let values = strip_prefix_ci(rest.trim_ascii_start(), b"VALUES")?;
    let (data, rows) = rows(values)?;
    let mut statement = b"LOAD DATA LOCAL INFILE 'quiesce-rows' INTO TABLE ".to_vec();
    statement.extend_from_slice(table);
    statement.extend_from_slice(b" CHARACTER SET ");
    statement.extend_from_slice(charset_name(charset.as_bytes())?.as_bytes());
    if let Some(c) = columns {
        statement.push(b' ');
        statement.extend_from_slice(c);
    }
    Some(Infile { statement, data, rows })
}

/// The tuples after VALUES as LOAD DATA rows.
fn rows(v: &[u8]) -> Option<(Vec<u8>, u64)> {
    let mut out = Vec::with_capacity(v.len());
    let mut i = skip_ws(v, 0);
    let mut n = 0u64;
    loop {
        if v.get(i) != Some(&b'(') {
            return None;
        }
        i += 1;
        loop {
            i = skip_ws(v, i);
            i = value(v, i, &mut out)?;
            i = skip_ws(v, i);
            match v.get(i)? {
                b',' => {
                    out.push(b'\t');
                    i += 1;
                }
                b')' => {
                    i += 1;
                    break;
                }
                _ => return None,
            }
        }
        out.push(b'\n');
        n += 1;
        i = skip_ws(v, i);
        match v.get(i) {
            None => return Some((out, n)),
            Some(b',') => i = skip_ws(v, i + 1),
            Some(_) => return None,
        }
    }
}

fn skip_ws(v: &[u8], mut i: usize) -> usize {
    while v.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// One value at `v[i..]` appended to `out`; the index after it.
fn value(v: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
    match *v.get(i)? {
        b'\'' => string(v, i + 1, out),
        b'0' if matches!(v.get(i + 1), Some(b'x' | b'X')) => hex(v, i + 2, out),
        b'N' | b'n' if v.len() >= i + 4 && v[i..i + 4].eq_ignore_ascii_case(b"NULL") => {
            if v.get(i + 4).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_') {
                return None;
            }
            out.extend_from_slice(b"\\N");
            Some(i + 4)
        }
        b'-' | b'+' | b'.' | b'0'..=b'9' => {
            let n = v[i..].iter().take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')).count();
            out.extend_from_slice(&v[i..i + n]);
            Some(i + n)
        }
        _ => None,
    }
}

/// A byte of a field, escaped for LOAD DATA.
fn field_byte(b: u8, out: &mut Vec<u8>) {
    match b {
        b'\\' => out.extend_from_slice(b"\\\\"),
        b'\t' => out.extend_from_slice(b"\\t"),
        b'\n' => out.extend_from_slice(b"\\n"),
        0 => out.extend_from_slice(b"\\0"),
        b => out.push(b),
    }
}

/// A quoted string's content (from after its opening quote): SQL's
/// escapes decoded, LOAD DATA's applied.
fn string(v: &[u8], mut i: usize, out: &mut Vec<u8>) -> Option<usize> {
    loop {
        // Copy the run up to the next byte that needs a look.
        let run = v[i..].iter().position(|b| matches!(b, b'\'' | b'\\' | b'\t' | b'\n' | 0))?;
        out.extend_from_slice(&v[i..i + run]);
        i += run;
        match v[i] {
            b'\'' if v.get(i + 1) == Some(&b'\'') => {
                out.push(b'\'');
                i += 2;
            }
            b'\'' => return Some(i + 1),
            b'\\' => {
                let c = *v.get(i + 1)?;
                // SQL keeps the backslash of \% and \_; elsewhere the
                // sequences mean what LOAD DATA's do, but decode and
                // re-escape them all rather than rely on that.
                match c {
                    b'0' => field_byte(0, out),
                    b'b' => out.push(8),
                    b'n' => field_byte(b'\n', out),
                    b'r' => out.push(b'\r'),
                    b't' => field_byte(b'\t', out),
                    b'Z' => out.push(26),
                    b'%' | b'_' => {
                        field_byte(b'\\', out);
                        out.push(c);
                    }
                    c => field_byte(c, out),
                }
                i += 2;
            }
            b => {
                field_byte(b, out);
                i += 1;
            }
        }
    }
}

/// A hex literal's digits (from after `0x`) as the bytes they spell.
fn hex(v: &[u8], i: usize, out: &mut Vec<u8>) -> Option<usize> {
    let n = v[i..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if n == 0 || n % 2 != 0 {
        return None;
    }
    let d = |b: u8| (b as char).to_digit(16).unwrap() as u8;
    for p in v[i..i + n].chunks_exact(2) {
        field_byte(d(p[0]) << 4 | d(p[1]), out);
    }
    Some(i + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(s: &str) -> Option<(String, String, u64)> {
        convert(s.as_bytes(), "utf8mb4")
            .map(|i| (String::from_utf8(i.statement).unwrap(), String::from_utf8_lossy(&i.data).into_owned(), i.rows))
    }

    #[test]
    fn rows_of_every_kind_the_dump_writes_become_fields() {
        let (stmt, data, n) = conv(
            r"INSERT INTO `t` VALUES (1,'a\'b''c',NULL,-2.5e-3,0x00FF5C,''),(2,'tab	x\\y\nz\0\Z\%',NULL,0,0x41,'N')",
        )
        .unwrap();
        assert_eq!(stmt, "LOAD DATA LOCAL INFILE 'quiesce-rows' INTO TABLE `t` CHARACTER SET utf8mb4");
        assert_eq!(n, 2);
        assert_eq!(
            data,
            "1\ta'b'c\t\\N\t-2.5e-3\t\\0\u{FFFD}\\\\\t\n2\ttab\\tx\\\\y\\nz\\0\u{1a}\\\\%\t\\N\t0\tA\tN\n"
        );
    }

    #[test]
    fn a_column_list_and_a_qualified_name_are_kept() {
        let (stmt, data, n) = conv("INSERT INTO `d``b`.`t` (`a`, `b``c`) VALUES ('x',1)").unwrap();
        assert_eq!(
            stmt,
            "LOAD DATA LOCAL INFILE 'quiesce-rows' INTO TABLE `d``b`.`t` CHARACTER SET utf8mb4 (`a`, `b``c`)"
        );
        assert_eq!((data.as_str(), n), ("x\t1\n", 1));
    }

    #[test]
    fn anything_else_is_left_as_sql() {
        for s in [
            "INSERT INTO `t` VALUES (b'101')",
            "INSERT INTO `t` VALUES (_binary 'x')",
            "INSERT INTO `t` VALUES (NOW())",
            "INSERT INTO `t` VALUES (NULLX)",
            "INSERT INTO `t` VALUES (0x1)",
            "INSERT INTO `t` VALUES ('cut",
            "INSERT INTO `t` VALUES (1),",
            "INSERT INTO `t` VALUES (1) ON DUPLICATE KEY UPDATE a=1",
            "INSERT INTO `t` VALUESS (1)",
            "INSERT IGNORE INTO `t` VALUES (1)",
            "INSERT INTO t VALUES (1)",
            "INSERT INTO `` VALUES (1)",
        ] {
            assert_eq!(conv(s), None, "{s}");
        }
        assert_eq!(convert(b"INSERT INTO `t` VALUES (1)", "utf8mb4; DROP"), None);
    }

    #[test]
    fn the_dump_s_character_set_is_read_from_its_header() {
        assert_eq!(set_names(b"/*!40101 SET NAMES utf8mb4 */"), Some("utf8mb4"));
        assert_eq!(set_names(b"SET NAMES latin1"), Some("latin1"));
        assert_eq!(set_names(b"/*!40101 SET NAMES 'x;y' */"), None);
        assert_eq!(set_names(b"/*!40103 SET TIME_ZONE='+00:00' */"), None);
    }
}
