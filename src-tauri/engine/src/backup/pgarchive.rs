//! Counts the rows of every table in a pg_dump custom-format archive (with
//! uncompressed data, `-Fc -Z0`) as it streams past, so the manifest's counts
//! are exactly the rows in the archive, at no extra scan of the database.
//!
//! Layout (pg_backup_archiver.c, pg_backup_custom.c; archive versions 1.14 to
//! 1.16, PostgreSQL 12 to 18): "PGDMP", version, int/offset sizes, format,
//! compression, date, three strings; the TOC (entries of ints and strings,
//! then an offset); then data blocks: BLK_DATA, dump id, chunks of
//! (int length, bytes) ending with a zero length. A table's data is COPY text,
//! one line per row, ending with the `\.` terminator line and two blank lines.
//! Integers are a sign byte and `int_size` little-endian bytes; a string is an
//! integer length (-1 for NULL) and its bytes. Anything else makes the counter
//! give up, and the caller counts with SQL instead.

use std::collections::HashMap;

const BLK_DATA: u8 = 1;

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Header,
    Toc,
    Block,
    Chunk(usize),
    Data(usize),
}

pub struct ArchiveCounter {
    state: State,
    buf: Vec<u8>,
    minor: u8,
    int_size: usize,
    off_size: usize,
    toc_left: Option<i64>,
    /// dump id -> (schema, table) of "TABLE DATA" entries.
    table_data: HashMap<i64, (String, String)>,
    counts: HashMap<i64, i64>,
    current: i64,
    /// The last bytes of the current block's data (for the `\.` terminator).
    tail: Vec<u8>,
    finished: Vec<i64>,
    failed: Option<String>,
}

/// Not enough bytes yet, or a format this counter does not read.
enum Need {
    More,
    Bad(String),
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
    int_size: usize,
}

impl Cursor<'_> {
    fn byte(&mut self) -> Result<u8, Need> {
        let v = *self.b.get(self.pos).ok_or(Need::More)?;
        self.pos += 1;
        Ok(v)
    }
    fn bytes(&mut self, n: usize) -> Result<&[u8], Need> {
        if self.pos + n > self.b.len() {
            return Err(Need::More);
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn int(&mut self) -> Result<i64, Need> {
        let sign = self.byte()?;
        let raw = self.bytes(self.int_size)?;
        let mut v: i64 = 0;
        for (i, b) in raw.iter().enumerate() {
            v |= (*b as i64) << (8 * i);
        }
        Ok(if sign != 0 { -v } else { v })
    }
    fn string(&mut self) -> Result<Option<String>, Need> {
        let len = self.int()?;
        if len < 0 {
            return Ok(None);
        }
        if len > 1 << 30 {
            return Err(Need::Bad(format!("a string of {len} bytes")));
        }
        Ok(Some(String::from_utf8_lossy(self.bytes(len as usize)?).into_owned()))
    }
}

impl Default for ArchiveCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl ArchiveCounter {
    pub fn new() -> Self {
        ArchiveCounter {
            state: State::Header,
            buf: Vec::new(),
            minor: 0,
            int_size: 4,
            off_size: 8,
            toc_left: None,
            table_data: HashMap::new(),
            counts: HashMap::new(),
            current: 0,
            tail: Vec::new(),
            finished: Vec::new(),
            failed: None,
        }
    }

    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// Rows per (schema, table), for the tables whose data block ended with
    /// its terminator. None if the counter gave up.
    pub fn counts(&self) -> Option<HashMap<(String, String), i64>> {
        if self.failed.is_some() || !matches!(self.state, State::Block) {
            return None;
        }
        Some(
            self.finished
                .iter()
                .filter_map(|id| Some((self.table_data.get(id)?.clone(), *self.counts.get(id).unwrap_or(&0))))
                .collect(),
        )
    }

    /// Whether the header and the table of contents have passed (what
    /// `pg_restore --list` reads).
    pub fn toc_read(&self) -> bool {
        self.failed.is_none() && !matches!(self.state, State::Header | State::Toc)
    }

    /// Parses straight from `data`; only an item cut by the end of `data` is
    /// buffered (rows arrive as small chunks, so copying must stay rare).
    pub fn feed(&mut self, data: &[u8]) {
        let mut i = 0;
        while i < data.len() && self.failed.is_none() {
            if let State::Data(left) = self.state {
                let n = left.min(data.len() - i);
                let part = &data[i..i + n];
                let lines = memchr::memchr_iter(b'\n', part).count() as i64;
                *self.counts.entry(self.current).or_insert(0) += lines;
                self.tail.extend_from_slice(&part[part.len().saturating_sub(8)..]);
                if self.tail.len() > 16 {
                    self.tail.drain(..self.tail.len() - 8);
                }
                i += n;
                self.state = if n == left { State::Chunk(0) } else { State::Data(left - n) };
                continue;
            }
            let r = if self.buf.is_empty() {
                let mut c = Cursor { b: &data[i..], pos: 0, int_size: self.int_size };
                let r = self.step(&mut c);
                if r.is_ok() {
                    i += c.pos;
                }
                r
            } else {
                // Finish the item begun in an earlier call.
                let had = self.buf.len();
                let mut buf = std::mem::take(&mut self.buf);
                buf.extend_from_slice(&data[i..]);
                let mut c = Cursor { b: &buf, pos: 0, int_size: self.int_size };
                let r = self.step(&mut c);
                if r.is_ok() {
                    i += c.pos - had;
                } else {
                    buf.truncate(had);
                    self.buf = buf;
                }
                r
            };
            match r {
                Ok(()) => {}
                Err(Need::More) => {
                    self.buf.extend_from_slice(&data[i..]);
                    return;
                }
                Err(Need::Bad(m)) => {
                    self.failed = Some(m);
                    self.buf.clear();
                    return;
                }
            }
        }
    }

    fn step(&mut self, c: &mut Cursor) -> Result<(), Need> {
        match self.state {
            State::Header => {
                if c.bytes(5)? != b"PGDMP" {
                    return Err(Need::Bad("not a pg_dump custom archive".into()));
                }
                let (major, minor, _rev) = (c.byte()?, c.byte()?, c.byte()?);
                if major != 1 || !(14..=16).contains(&minor) {
                    return Err(Need::Bad(format!("archive version {major}.{minor} is not one this counter reads")));
                }
                self.minor = minor;
                self.int_size = c.byte()? as usize;
                self.off_size = c.byte()? as usize;
                c.int_size = self.int_size;
                if c.byte()? != 1 {
                    return Err(Need::Bad("not the custom format".into()));
                }
                let compressed = if minor >= 15 { c.byte()? as i64 } else { c.int()? };
                if compressed != 0 {
                    return Err(Need::Bad("the archive's data is compressed".into()));
                }
                for _ in 0..7 {
                    c.int()?; // creation date
                }
                for _ in 0..3 {
                    c.string()?; // database, server version, pg_dump version
                }
                self.state = State::Toc;
            }
            State::Toc => {
                let left = match self.toc_left {
                    Some(l) => l,
                    None => {
                        let n = c.int()?;
                        self.toc_left = Some(n);
                        return Ok(());
                    }
                };
                if left == 0 {
                    self.state = State::Block;
                    return Ok(());
                }
                let id = c.int()?;
                c.int()?; // had a data dumper
                c.string()?; // table oid
                c.string()?; // oid
                let tag = c.string()?.unwrap_or_default();
                let desc = c.string()?.unwrap_or_default();
                c.int()?; // section
                c.string()?; // defn
                c.string()?; // drop statement
                c.string()?; // copy statement
                let namespace = c.string()?.unwrap_or_default();
                c.string()?; // tablespace
                c.string()?; // table access method
                if self.minor >= 16 {
                    c.int()?; // relkind
                }
                c.string()?; // owner
                c.string()?; // "false" (with oids)
                while c.string()?.is_some() {} // dependencies, NULL-terminated
                c.byte()?; // offset flag
                c.bytes(self.off_size)?; // offset
                if desc == "TABLE DATA" {
                    self.table_data.insert(id, (namespace, tag));
                }
                self.toc_left = Some(left - 1);
            }
            State::Block => {
                let kind = c.byte()?;
                if kind != BLK_DATA {
                    return Err(Need::Bad(format!("a data block of type {kind} (large objects?)")));
                }
                self.current = c.int()?;
                self.tail.clear();
                self.state = State::Chunk(0);
            }
            State::Chunk(_) => {
                let len = c.int()?;
                if len < 0 {
                    return Err(Need::Bad("a negative chunk length".into()));
                }
                if len == 0 {
                    // End of the block: its data ends with "\.\n\n\n" (4 newlines with the
                    // last row's) — the terminator's three are not rows.
                    if !self.tail.ends_with(b"\\.\n\n\n") {
                        return Err(Need::Bad(format!("the data of dump id {} lacks its terminator", self.current)));
                    }
                    *self.counts.entry(self.current).or_insert(0) -= 3;
                    self.finished.push(self.current);
                    self.state = State::Block;
                } else {
                    self.state = State::Data(len as usize);
                }
            }
            State::Data(_) => unreachable!("streamed in feed"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pg_dump -Fc -Z0` (PostgreSQL 15) of a table with three rows, one of
    /// them with an escaped newline in a value and one with a NULL.
    const DUMP: &[u8] = include_bytes!("../../tests/fixtures/pgdump/three-rows-z0.dump");

    #[test]
    fn counts_rows_whatever_the_chunking() {
        for step in [1usize, 2, 3, 7, 64, 4096, DUMP.len()] {
            let mut c = ArchiveCounter::new();
            for part in DUMP.chunks(step) {
                c.feed(part);
            }
            let counts = c.counts().unwrap_or_else(|| panic!("step {step}: {:?}", c.failed()));
            assert_eq!(counts.get(&("tiny".to_string(), "t".to_string())), Some(&3), "step {step}");
        }
    }

    #[test]
    fn a_truncated_archive_has_no_counts() {
        let mut c = ArchiveCounter::new();
        c.feed(&DUMP[..DUMP.len() - 12]);
        assert!(c.counts().map(|m| m.is_empty()).unwrap_or(true));
        let mut c = ArchiveCounter::new();
        c.feed(b"not an archive at all");
        assert!(c.failed().is_some() && c.counts().is_none());
    }
}
