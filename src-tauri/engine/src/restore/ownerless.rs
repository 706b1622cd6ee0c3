//! Takes owners and privileges out of a plain-format pg_dump script as it is
//! fed to psql, so that a plain backup restores into a server without the
//! source's roles (what `pg_restore --no-owner --no-privileges` does for the
//! other formats). pg_dump writes each `ALTER … OWNER TO …;`, `GRANT …;` and
//! `REVOKE …;` on one line of its own; rows between `COPY … FROM stdin;` and
//! `\.` are data and pass untouched.

pub struct OwnerlessSql {
    line: Vec<u8>,
    in_copy: bool,
    /// Statements left out, for the log.
    pub dropped: u64,
}

impl Default for OwnerlessSql {
    fn default() -> Self {
        Self::new()
    }
}

impl crate::tools::pipeline::FeedFilter for OwnerlessSql {
    fn feed(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        OwnerlessSql::feed(self, chunk, out)
    }
    fn finish(&mut self, out: &mut Vec<u8>) {
        OwnerlessSql::finish(self, out)
    }
}

impl OwnerlessSql {
    pub fn new() -> Self {
        OwnerlessSql { line: Vec::new(), in_copy: false, dropped: 0 }
    }

    fn keep(&mut self, line: &[u8]) -> bool {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        if self.in_copy {
            if body == b"\\." {
                self.in_copy = false;
            }
            return true;
        }
        if body.starts_with(b"COPY ") && body.ends_with(b" FROM stdin;") {
            self.in_copy = true;
            return true;
        }
        let owner = body.starts_with(b"ALTER ") && body.ends_with(b";") && contains(body, b" OWNER TO ");
        let privilege = (body.starts_with(b"GRANT ") || body.starts_with(b"REVOKE ")) && body.ends_with(b";");
        if owner || privilege {
            self.dropped += 1;
            return false;
        }
        true
    }

    /// Appends what to feed psql for this chunk to `out`.
    pub fn feed(&mut self, mut chunk: &[u8], out: &mut Vec<u8>) {
        while !chunk.is_empty() {
            match memchr::memchr(b'\n', chunk) {
                Some(i) => {
                    let (head, rest) = chunk.split_at(i + 1);
                    chunk = rest;
                    if self.line.is_empty() {
                        if self.keep(head) {
                            out.extend_from_slice(head);
                        }
                    } else {
                        let mut l = std::mem::take(&mut self.line);
                        l.extend_from_slice(head);
                        if self.keep(&l) {
                            out.extend_from_slice(&l);
                        }
                    }
                }
                None => {
                    self.line.extend_from_slice(chunk);
                    return;
                }
            }
        }
    }

    /// The last line, if the script does not end with a newline.
    pub fn finish(&mut self, out: &mut Vec<u8>) {
        let l = std::mem::take(&mut self.line);
        if !l.is_empty() && self.keep(&l) {
            out.extend_from_slice(&l);
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str = "CREATE SCHEMA bank;\nALTER SCHEMA bank OWNER TO app_owner;\n\
CREATE TABLE bank.accounts (\n    account_id integer NOT NULL\n);\nALTER TABLE bank.accounts OWNER TO app_owner;\n\
COPY bank.accounts (account_id, note) FROM stdin;\n1\tALTER x OWNER TO y;\n2\tGRANT ALL;\n\\.\n\
GRANT SELECT ON TABLE bank.accounts TO reporting;\nREVOKE ALL ON SCHEMA public FROM PUBLIC;\nSELECT 1;";

    fn filtered(chunks: &[&[u8]]) -> (String, u64) {
        let mut f = OwnerlessSql::new();
        let mut out = Vec::new();
        for c in chunks {
            f.feed(c, &mut out);
        }
        f.finish(&mut out);
        (String::from_utf8(out).unwrap(), f.dropped)
    }

    #[test]
    fn owners_and_privileges_go_rows_stay_whatever_the_chunking() {
        let (whole, dropped) = filtered(&[SCRIPT.as_bytes()]);
        assert_eq!(dropped, 4);
        assert!(!whole.contains("OWNER TO app_owner") && !whole.contains("TO reporting") && !whole.contains("REVOKE"));
        assert!(whole.contains("1\tALTER x OWNER TO y;\n2\tGRANT ALL;\n\\.\n"), "COPY rows pass untouched: {whole}");
        assert!(whole.ends_with("SELECT 1;") && whole.contains("CREATE TABLE bank.accounts (\n"));
        let b = SCRIPT.as_bytes();
        for cut in 0..b.len() {
            assert_eq!(filtered(&[&b[..cut], &b[cut..]]).0, whole, "split at {cut}");
        }
    }
}
