//! A Java `.properties` reader that keeps line numbers, so that every problem
//! in a ScalarDB configuration can be reported as "line N: ...".
//!
//! It follows `java.util.Properties.load`: `#`/`!` comments, `=`, `:` or
//! white space between key and value, `\` line continuations, `\t \n \r \f
//! \uXXXX` escapes. It is stricter in one way on purpose: a line that is only a
//! key (no separator, no value) is almost always a typo in a hand-edited file,
//! so it is an error instead of a key with an empty value.

use crate::error::{Error, Result};
use crate::sensitive::Sensitive;

#[derive(Clone, PartialEq, Eq)]
pub struct Prop {
    pub key: String,
    /// Secrets are kept apart by the caller; the raw value is never logged.
    pub value: String,
    /// 1-based line where the entry starts.
    pub line: usize,
}

impl std::fmt::Debug for Prop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be passwords: Debug shows the key and line only.
        write!(f, "Prop({} @ line {})", self.key, self.line)
    }
}

impl Prop {
    pub fn secret(&self) -> Sensitive<String> {
        Sensitive::new(self.value.clone())
    }
}

/// Parses the text of a properties file. `name` is used in messages.
pub fn parse(name: &str, text: &str) -> Result<Vec<Prop>> {
    let mut out = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let start = i;
        let first = lines[i].trim_start_matches([' ', '\t', '\x0c']);
        i += 1;
        if first.is_empty() || first.starts_with('#') || first.starts_with('!') {
            continue;
        }
        // Join continuation lines: an odd number of trailing backslashes continues.
        let mut logical = String::from(first);
        while ends_with_continuation(&logical) {
            logical.pop();
            if i >= lines.len() {
                return Err(at(name, start + 1, "the last line ends with '\\' (a line continuation) but nothing follows. Remove the backslash or add the rest of the value."));
            }
            logical.push_str(lines[i].trim_start_matches([' ', '\t', '\x0c']));
            i += 1;
        }
        let (raw_key, raw_value, had_separator) = split_key_value(&logical);
        let key = unescape(raw_key).map_err(|m| at(name, start + 1, &m))?;
        let value = unescape(raw_value).map_err(|m| at(name, start + 1, &m))?;
        if !had_separator && value.is_empty() {
            return Err(at(
                name,
                start + 1,
                &format!(
                    "\"{}\" has no '=' and no value. Write it as key=value, or comment it out with '#'.",
                    clip(&key)
                ),
            ));
        }
        if key.is_empty() {
            return Err(at(name, start + 1, "the line starts with '=' or ':' and has no key. Write it as key=value."));
        }
        out.push(Prop { key, value, line: start + 1 });
    }
    Ok(out)
}

fn at(name: &str, line: usize, message: &str) -> Error {
    Error::invalid(format!("{name} line {line}: {message}"))
}

fn clip(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

fn ends_with_continuation(s: &str) -> bool {
    s.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1
}

/// Splits at the first unescaped `=`, `:` or white space (white space around
/// an `=`/`:` belongs to the separator).
fn split_key_value(line: &str) -> (&str, &str, bool) {
    let bytes = line.as_bytes();
    let mut k = 0;
    let mut escaped = false;
    while k < bytes.len() {
        let c = bytes[k];
        if escaped {
            escaped = false;
        } else if c == b'\\' {
            escaped = true;
        } else if matches!(c, b'=' | b':' | b' ' | b'\t' | b'\x0c') {
            break;
        }
        k += 1;
    }
    let key = &line[..k];
    let mut v = k;
    while v < bytes.len() && matches!(bytes[v], b' ' | b'\t' | b'\x0c') {
        v += 1;
    }
    let mut sep = v > k;
    if v < bytes.len() && matches!(bytes[v], b'=' | b':') {
        v += 1;
        sep = true;
        while v < bytes.len() && matches!(bytes[v], b' ' | b'\t' | b'\x0c') {
            v += 1;
        }
    }
    (key, &line[v..], sep)
}

fn unescape(s: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\x0c'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let code = (hex.len() == 4).then(|| u32::from_str_radix(&hex, 16).ok()).flatten();
                match code.and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        return Err(format!(
                            "\"\\u{hex}\" is not a valid unicode escape (it needs four hex digits, e.g. \\u00e9)."
                        ))
                    }
                }
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str) -> Vec<(String, String, usize)> {
        parse("t", text).unwrap().into_iter().map(|p| (p.key, p.value, p.line)).collect()
    }

    #[test]
    fn separators_comments_and_continuations() {
        let got = kv("# c\n! c\n\na=1\nb : 2\nc 3\n  d=x\\\n    y\ne=\nf\\ g=h\n");
        let want = [("a", "1", 4), ("b", "2", 5), ("c", "3", 6), ("d", "xy", 7), ("e", "", 9), ("f g", "h", 10)];
        assert_eq!(got.len(), want.len());
        for ((k, v, l), (wk, wv, wl)) in got.iter().zip(want) {
            assert_eq!((k.as_str(), v.as_str(), *l), (wk, wv, wl));
        }
    }

    #[test]
    fn escapes() {
        let got = kv("url=jdbc\\:sqlite\\:/a b\\u00e9\\t\nk=a\\\\\n");
        assert_eq!(got[0].1, "jdbc:sqlite:/a bé\t");
        assert_eq!(got[1].1, "a\\", "an escaped backslash does not continue the line");
    }

    #[test]
    fn malformed_lines_name_their_line() {
        let e = parse("database.properties", "a=1\nscalar.db.storage\n").unwrap_err();
        assert!(e.message.contains("database.properties line 2"), "{}", e.message);
        let e = parse("p", "a=1\nb=\\u12\n").unwrap_err();
        assert!(e.message.contains("line 2") && e.message.contains("unicode"), "{}", e.message);
        let e = parse("p", "a=1\nb=2\\").unwrap_err();
        assert!(e.message.contains("line 2") && e.message.contains("continuation"), "{}", e.message);
        let e = parse("p", "=x").unwrap_err();
        assert!(e.message.contains("line 1"), "{}", e.message);
    }

    #[test]
    fn debug_never_shows_values() {
        let p = &parse("p", "scalar.db.password=hunter2").unwrap()[0];
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}
