//! Text a server or a file said, made safe to print: a terminal must not
//! receive its escape sequences (a title set, the screen cleared), and a
//! line it did not start must not appear to begin there (a forged
//! "quiesce: …"). Control characters and the bidirectional overrides that
//! reorder what a reader sees are shown escaped (`\u{1b}`), never sent.

/// Whether a character must not reach a terminal as it is.
fn hostile(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn escape(c: char, out: &mut String) {
    out.push_str(&format!("\\u{{{:x}}}", c as u32));
}

/// One line: every control character escaped, line breaks included (a node's
/// or a server's message, placed inside a line of Quiesce's own).
pub fn one_line(s: &str) -> String {
    if !s.chars().any(hostile) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hostile(c) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    out
}

/// Text of several lines: line breaks and tabs kept, every other control
/// character escaped (what the CLI prints, whatever it carries).
pub fn printable(s: &str) -> String {
    if !s.chars().any(|c| hostile(c) && c != '\n' && c != '\t') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if hostile(c) && c != '\n' && c != '\t' {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_reach_no_terminal_and_no_line_is_forged() {
        let evil = "\u{1b}]0;owned\u{7}\u{1b}[2J\nquiesce: all nodes unpaused\r\u{202e}txt";
        let one = one_line(evil);
        assert!(!one.chars().any(char::is_control), "{one}");
        assert!(one.contains("\\u{1b}]0;owned\\u{7}") && one.contains("\\u{a}quiesce") && one.contains("\\u{202e}"));
        let many = printable("a\tb\nc\u{1b}[2J\r");
        assert_eq!(many, "a\tb\nc\\u{1b}[2J\\u{d}");
        assert_eq!(one_line("plain é ☃"), "plain é ☃");
    }
}
