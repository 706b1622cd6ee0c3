//! Counts the rows of every table in a mysqldump / mariadb-dump SQL stream as
//! it passes, so the manifest's MySQL counts are exactly the rows in the dump
//! (its own snapshot) and no second scan of the database competes with it.
//!
//! What it reads (the tools' fixed output): at the start of a line,
//! "USE `db`;" sets the database, "CREATE TABLE `t`" declares a table (so an
//! empty table counts 0), and "INSERT INTO `t` VALUES (...),(...);" holds
//! rows: each top-level parenthesised tuple is a row. Strings are single-
//! quoted with backslash escapes; blobs are hex (--hex-blob). Anything it does
//! not expect makes it give up, and the caller counts with SQL instead.

use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Collecting the start of a line to see what it is.
    LineStart,
    /// The rest of a line that holds nothing counted.
    SkipLine,
    /// In an INSERT's value list, between tuples.
    Between,
    /// Inside a tuple, `depth` parentheses deep.
    Tuple { depth: u32 },
    /// Inside a quoted string within a tuple.
    Str { depth: u32, escaped: bool },
}

pub struct SqlDumpCounter {
    mode: Mode,
    head: Vec<u8>,
    db: Option<String>,
    table: Option<(String, String)>,
    counts: HashMap<(String, String), i64>,
    failed: Option<String>,
}

const HEAD: usize = 512;

impl Default for SqlDumpCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl SqlDumpCounter {
    pub fn new() -> Self {
        SqlDumpCounter {
            mode: Mode::LineStart,
            head: Vec::with_capacity(HEAD),
            db: None,
            table: None,
            counts: HashMap::new(),
            failed: None,
        }
    }

    /// (database, table) -> rows; None if the stream was not understood.
    pub fn counts(&self) -> Option<&HashMap<(String, String), i64>> {
        if self.failed.is_some() || self.mode != Mode::LineStart && self.mode != Mode::SkipLine {
            None
        } else {
            Some(&self.counts)
        }
    }

    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    fn fail(&mut self, why: impl Into<String>) {
        if self.failed.is_none() {
            self.failed = Some(why.into());
        }
    }

    /// A backquoted name at the start of `s`, and what follows it.
    fn quoted(s: &[u8]) -> Option<(String, &[u8])> {
        let rest = s.strip_prefix(b"`")?;
        let mut name = Vec::new();
        let mut i = 0;
        while i < rest.len() {
            if rest[i] == b'`' {
                if rest.get(i + 1) == Some(&b'`') {
                    name.push(b'`');
                    i += 2;
                    continue;
                }
                return Some((String::from_utf8_lossy(&name).into_owned(), &rest[i + 1..]));
            }
            name.push(rest[i]);
            i += 1;
        }
        None
    }

    /// Decides what the line starting with `head` is. Returns true once decided.
    fn classify(&mut self, complete_line: bool) -> bool {
        let h = self.head.clone();
        let starts = |p: &[u8]| h.starts_with(p) || (!complete_line && p.starts_with(&h));
        if starts(b"INSERT INTO `") {
            if h.len() < 13 {
                return false;
            }
            match Self::quoted(&h[12..]) {
                Some((t, rest)) => {
                    // "VALUES (..." on one line (MySQL), or "VALUES" then one row per line (MariaDB 10.11).
                    if rest.len() < 8 && !complete_line {
                        return false;
                    }
                    let values = rest.starts_with(b" VALUES") && (rest.len() == 7 || rest[7] == b' ');
                    if !values {
                        self.fail("an INSERT without a VALUES list");
                        self.mode = Mode::SkipLine;
                        return true;
                    }
                    let Some(db) = self.db.clone() else {
                        self.fail("an INSERT before any USE");
                        self.mode = Mode::SkipLine;
                        return true;
                    };
                    self.counts.entry((db.clone(), t.clone())).or_insert(0);
                    self.table = Some((db, t));
                    self.mode = Mode::Between;
                    // Feed what followed "VALUES " back through the value scanner.
                    let after = rest.get(8..).unwrap_or_default().to_vec();
                    self.head.clear();
                    self.scan_values(&after);
                    true
                }
                None if h.len() >= HEAD || complete_line => {
                    self.fail("an unreadable INSERT");
                    self.mode = Mode::SkipLine;
                    true
                }
                None => false,
            }
        } else if starts(b"USE `") || starts(b"CREATE TABLE `") {
            let is_use = h.starts_with(b"USE `");
            let at = if is_use { 4 } else { 13 };
            if h.len() <= at {
                return complete_line;
            }
            match Self::quoted(&h[at..]) {
                Some((name, _)) => {
                    if is_use {
                        self.db = Some(name);
                    } else if let Some(db) = self.db.clone() {
                        self.counts.entry((db, name)).or_insert(0);
                    }
                    self.mode = Mode::SkipLine;
                    true
                }
                None if h.len() >= HEAD || complete_line => {
                    self.mode = Mode::SkipLine;
                    true
                }
                None => false,
            }
        } else {
            self.mode = Mode::SkipLine;
            true
        }
    }

    /// Counts tuples in value-list bytes; stops at the statement's end.
    /// Returns how many bytes were consumed.
    fn scan_values(&mut self, b: &[u8]) -> usize {
        let mut i = 0;
        while i < b.len() {
            match self.mode {
                Mode::Between => match b[i] {
                    b'(' => {
                        if let Some(k) = &self.table {
                            *self.counts.get_mut(k).expect("entry made at INSERT") += 1;
                        }
                        self.mode = Mode::Tuple { depth: 1 };
                        i += 1;
                    }
                    b',' | b' ' | b'\n' | b'\r' | b'\t' => i += 1,
                    b';' => {
                        self.mode = Mode::SkipLine;
                        self.table = None;
                        return i + 1;
                    }
                    c => {
                        self.fail(format!("unexpected byte {c:#04x} between rows"));
                        self.mode = Mode::SkipLine;
                        return i + 1;
                    }
                },
                Mode::Tuple { depth } => match memchr::memchr3(b'\'', b'(', b')', &b[i..]) {
                    None => return b.len(),
                    Some(j) => {
                        let c = b[i + j];
                        i += j + 1;
                        self.mode = match c {
                            b'\'' => Mode::Str { depth, escaped: false },
                            b'(' => Mode::Tuple { depth: depth + 1 },
                            _ if depth == 1 => Mode::Between,
                            _ => Mode::Tuple { depth: depth - 1 },
                        };
                    }
                },
                Mode::Str { depth, escaped: true } => {
                    self.mode = Mode::Str { depth, escaped: false };
                    i += 1;
                }
                Mode::Str { depth, escaped: false } => match memchr::memchr2(b'\\', b'\'', &b[i..]) {
                    None => return b.len(),
                    Some(j) => {
                        let c = b[i + j];
                        i += j + 1;
                        self.mode = if c == b'\\' { Mode::Str { depth, escaped: true } } else { Mode::Tuple { depth } };
                    }
                },
                Mode::LineStart | Mode::SkipLine => return i,
            }
        }
        b.len()
    }

    pub fn feed(&mut self, mut b: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        while !b.is_empty() && self.failed.is_none() {
            match self.mode {
                Mode::SkipLine => match memchr::memchr(b'\n', b) {
                    None => return,
                    Some(j) => {
                        b = &b[j + 1..];
                        self.mode = Mode::LineStart;
                        self.head.clear();
                    }
                },
                Mode::LineStart => {
                    let nl = memchr::memchr(b'\n', b);
                    let take = nl.unwrap_or(b.len()).min(HEAD - self.head.len());
                    self.head.extend_from_slice(&b[..take]);
                    let complete = nl.is_some_and(|n| n <= take) || self.head.len() >= HEAD;
                    b = &b[take..];
                    if self.classify(complete) {
                        // A decided line that was already complete ends here.
                        if self.mode == Mode::SkipLine && nl.is_some_and(|n| n == take) {
                            b = &b[1..];
                            self.mode = Mode::LineStart;
                            self.head.clear();
                        }
                    } else if complete {
                        self.mode = Mode::SkipLine;
                    }
                }
                _ => {
                    let used = self.scan_values(b);
                    b = &b[used..];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "-- MariaDB dump 10.19\n/*!40101 SET NAMES utf8mb4 */;\n\
CREATE DATABASE /*!32312 IF NOT EXISTS*/ `bank` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n\nUSE `bank`;\n\
DROP TABLE IF EXISTS `accounts`;\nCREATE TABLE `accounts` (\n  `account_id` int(11) NOT NULL,\n  `note` varchar(64)\n) ENGINE=InnoDB;\n\
LOCK TABLES `accounts` WRITE;\nINSERT INTO `accounts` VALUES (1,'a (tricky), \\'quoted\\' ); text'),(2,NULL),(3,'back\\\\slash');\n\
INSERT INTO `accounts` VALUES (4,0xDEADBEEF);\nUNLOCK TABLES;\n\
CREATE TABLE `empty` (\n  `x` int\n);\n\
USE `coordinator`;\nCREATE TABLE `state` (`tx_id` varchar(128));\nINSERT INTO `state` VALUES ('t1'),('t2');\n\
USE `audit`;\nCREATE TABLE `transfers` (`id` varchar(128));\nINSERT INTO `transfers` VALUES\n(1,'a\\'b\\\\c',NULL),\n(2,'x),(',3);\nUNLOCK TABLES;\n\
-- Dump completed on 2026-11-25\n";

    fn counted(chunks: &[&[u8]]) -> HashMap<(String, String), i64> {
        let mut c = SqlDumpCounter::new();
        for ch in chunks {
            c.feed(ch);
        }
        assert!(c.failed().is_none(), "{:?}", c.failed());
        c.counts().unwrap().clone()
    }

    fn key(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    #[test]
    fn counts_rows_whatever_the_chunking() {
        let whole = counted(&[DUMP.as_bytes()]);
        assert_eq!(whole.get(&key("bank", "accounts")), Some(&4));
        assert_eq!(whole.get(&key("bank", "empty")), Some(&0));
        assert_eq!(whole.get(&key("coordinator", "state")), Some(&2));
        assert_eq!(whole.get(&key("audit", "transfers")), Some(&2), "MariaDB 10.11: one row per line after VALUES");
        // Every split point, and byte by byte.
        let b = DUMP.as_bytes();
        for cut in 0..b.len() {
            assert_eq!(counted(&[&b[..cut], &b[cut..]]), whole, "split at {cut}");
        }
        let bytes: Vec<&[u8]> = b.chunks(1).collect();
        assert_eq!(counted(&bytes), whole);
    }

    #[test]
    fn a_truncated_stream_is_not_counted() {
        let b = DUMP.as_bytes();
        let cut = DUMP.find("),(2").unwrap();
        let mut c = SqlDumpCounter::new();
        c.feed(&b[..cut]);
        assert!(c.counts().is_none(), "a dump cut inside an INSERT has no counts");
    }
}
