//! Times typed by a person under pressure: RFC 3339 (`…Z` or an offset),
//! epoch milliseconds, or a local wall-clock time. A local time that does not
//! exist (clocks moved forward) or happens twice (clocks moved back) is
//! refused with both readings, never guessed: a restore an hour off is a
//! restore of the wrong data.

use crate::error::{Error, Result};
use chrono::{DateTime, LocalResult, NaiveDateTime, SecondsFormat, TimeZone, Utc};

/// Epoch ms below this (1973-03-03) are more likely epoch seconds.
const MIN_EPOCH_MS: i64 = 100_000_000_000;
/// Epoch ms above this (year 5138) are not a restore point.
const MAX_EPOCH_MS: i64 = 99_999_999_999_999;

/// UTC ISO 8601 with `Z`, milliseconds only when there are any (the form
/// every cloud CLI takes).
pub fn utc(t: DateTime<Utc>) -> String {
    if t.timestamp_subsec_millis() == 0 {
        t.to_rfc3339_opts(SecondsFormat::Secs, true)
    } else {
        t.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

/// The same instant on this machine's clock, with its offset.
pub fn local(t: DateTime<Utc>) -> String {
    local_in(t, &chrono::Local)
}

pub fn local_in<Tz: TimeZone>(t: DateTime<Utc>, tz: &Tz) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let fmt = if t.timestamp_subsec_millis() == 0 { SecondsFormat::Secs } else { SecondsFormat::Millis };
    t.with_timezone(tz).to_rfc3339_opts(fmt, false)
}

/// Parses a time in this machine's time zone (`TZ`, else the system's). A
/// `TZ` that names no zone would make every local time silently UTC (the C
/// library's fallback): a local time is refused then, the forms with a zone
/// still read.
pub fn parse(s: &str) -> Result<DateTime<Utc>> {
    let t = parse_in(s, &chrono::Local)?;
    if let Some(why) = std::env::var("TZ").ok().and_then(|tz| tz_problem(&tz)) {
        if parse_in(s, &Utc)? == t && is_local_form(s) {
            return Err(Error::invalid(format!(
                "\"{}\" is a local time, but {why}, so this machine's time zone is unknown (the system would read it as UTC). Give the time in UTC (with Z) or with its offset, or fix TZ.",
                s.chars().take(64).collect::<String>()
            )));
        }
    }
    Ok(t)
}

/// A time written without a zone (neither `Z`, an offset, nor epoch ms).
fn is_local_form(s: &str) -> bool {
    let t = s.trim();
    !t.bytes().all(|b| b.is_ascii_digit())
        && DateTime::parse_from_rfc3339(&t.replacen(' ', "T", 1)).is_err()
        && !t.ends_with(['Z', 'z'])
        && !t.get(16..).is_some_and(|r| r.contains(['+', '-']))
}

/// Why a `TZ` value names no time zone here, if it does not: neither a zone
/// file (under `TZDIR` or /usr/share/zoneinfo, or a path) nor a POSIX rule
/// (`EST5EDT`, `<+03>-3`).
pub fn tz_problem(tz: &str) -> Option<String> {
    let name = tz.strip_prefix(':').unwrap_or(tz);
    // Empty is UTC by definition; the UTC names are known without tzdata (a container's TZ=UTC).
    if name.is_empty() || ["UTC", "UCT", "GMT", "Etc/UTC", "Etc/GMT", "Universal", "Zulu"].contains(&name) {
        return None;
    }
    let dir = std::env::var("TZDIR").unwrap_or_else(|_| "/usr/share/zoneinfo".into());
    let file =
        if name.starts_with('/') { std::path::PathBuf::from(name) } else { std::path::Path::new(&dir).join(name) };
    if !name.contains("..") && file.is_file() {
        return None;
    }
    let b = name.as_bytes();
    let std_len = if b.first() == Some(&b'<') {
        name.find('>').map(|i| i + 1).unwrap_or(0)
    } else {
        b.iter().take_while(|c| c.is_ascii_alphabetic()).count()
    };
    let rest = &name[std_len.min(name.len())..];
    let posix = std_len >= 3 && rest.trim_start_matches(['+', '-']).starts_with(|c: char| c.is_ascii_digit());
    (!posix).then(|| {
        format!("TZ is \"{}\", which names no time zone on this machine", tz.chars().take(64).collect::<String>())
    })
}

pub fn parse_in<Tz: TimeZone>(s: &str, tz: &Tz) -> Result<DateTime<Utc>>
where
    Tz::Offset: std::fmt::Display,
{
    let shown: String = s.chars().take(64).collect();
    let t = s.trim();
    let bad = |why: &str| {
        Error::invalid(format!(
            "\"{shown}\" is not a time: {why} Give UTC as 2026-11-30T14:02:11Z, a time with its offset (2026-11-30T15:02:11+01:00), epoch milliseconds (1796047331000), or this machine's local time (2026-11-30 15:02:11)."
        ))
    };
    if t.is_empty() {
        return Err(bad("it is empty."));
    }
    if t.len() > 40 {
        return Err(bad("it is too long."));
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        let ms: i64 = t.parse().map_err(|_| bad("the number is too large."))?;
        if ms < MIN_EPOCH_MS {
            return Err(bad(&format!(
                "{ms} would be {} as epoch milliseconds; if it is epoch seconds, add three zeros.",
                utc(DateTime::from_timestamp_millis(ms).unwrap_or_default())
            )));
        }
        if ms > MAX_EPOCH_MS {
            return Err(bad("the number is too large for epoch milliseconds."));
        }
        return DateTime::from_timestamp_millis(ms).ok_or_else(|| bad("the number is out of range."));
    }
    // RFC 3339 allows a space for the T; people type one.
    let norm =
        if t.len() > 10 && t.as_bytes()[10] == b' ' { format!("{}T{}", &t[..10], &t[11..]) } else { t.to_string() };
    if let Ok(d) = DateTime::parse_from_rfc3339(&norm) {
        return Ok(d.with_timezone(&Utc));
    }
    // Seconds left out ("2026-11-30T14:02Z").
    for fmt in ["%Y-%m-%dT%H:%M%#z", "%Y-%m-%dT%H:%MZ"] {
        if let Ok(d) = DateTime::parse_from_str(&norm.replace('z', "Z"), fmt) {
            return Ok(d.with_timezone(&Utc));
        }
        if fmt.ends_with('Z') {
            if let Ok(n) = NaiveDateTime::parse_from_str(&norm.replace('z', "Z"), fmt) {
                return Ok(n.and_utc());
            }
        }
    }
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&norm, f).ok())
        .ok_or_else(|| bad("it matches none of the forms below."))?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(d) => Ok(d.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Err(Error::invalid(format!(
            "\"{shown}\" happens twice in this machine's time zone (the clocks were set back): it is {} or {}. Give the offset (e.g. {}) or the time in UTC.",
            a.to_rfc3339_opts(SecondsFormat::AutoSi, false),
            b.to_rfc3339_opts(SecondsFormat::AutoSi, false),
            a.to_rfc3339_opts(SecondsFormat::AutoSi, false),
        ))),
        LocalResult::None => Err(Error::invalid(format!(
            "\"{shown}\" does not exist in this machine's time zone (the clocks were set forward over it). Give the time in UTC (with Z) or with its offset."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    #[test]
    fn every_form_reads_the_same_instant_and_epoch_ms_round_trips() {
        let plus1 = FixedOffset::east_opt(3600).unwrap();
        let want = DateTime::parse_from_rfc3339("2026-11-30T14:02:11.500Z").unwrap().with_timezone(&Utc);
        for s in [
            "2026-11-30T14:02:11.500Z",
            "2026-11-30 14:02:11.5Z",
            " 2026-11-30T15:02:11.500+01:00 ",
            "1796047331500",
            "2026-11-30 15:02:11.500",
            "2026-11-30T15:02:11.5",
        ] {
            assert_eq!(parse_in(s, &plus1).unwrap(), want, "{s}");
        }
        assert_eq!(parse_in("2026-11-30 15:02", &plus1).unwrap(), want - chrono::Duration::milliseconds(11_500));
        assert_eq!(parse_in("2026-11-30T14:02Z", &plus1).unwrap(), want - chrono::Duration::milliseconds(11_500));
        // Epoch ms → UTC text → back.
        let ms = want.timestamp_millis();
        assert_eq!(parse_in(&utc(want), &plus1).unwrap().timestamp_millis(), ms);
        assert_eq!(utc(want), "2026-11-30T14:02:11.500Z");
        assert_eq!(utc(want - chrono::Duration::milliseconds(500)), "2026-11-30T14:02:11Z");
        assert_eq!(local_in(want, &plus1), "2026-11-30T15:02:11.500+01:00");
    }

    #[test]
    fn nonsense_and_epoch_seconds_are_refused_with_the_forms_to_use() {
        let utc0 = Utc;
        for (s, says) in [
            ("", "empty"),
            ("yesterday", "matches none"),
            ("1796047331", "add three zeros"),
            ("2026-13-01T00:00:00Z", "matches none"),
            ("9999999999999999999999", "too large"),
        ] {
            let e = parse_in(s, &utc0).unwrap_err();
            assert_eq!(e.code, crate::ErrorCode::InvalidInput);
            assert!(e.message.contains(says) && e.message.contains("2026-11-30T14:02:11Z"), "{s}: {}", e.message);
        }
    }

    #[test]
    fn a_tz_that_names_no_zone_is_said_and_known_forms_are_not() {
        assert!(tz_problem("Nowhere/Atlantis").is_some());
        assert!(tz_problem("bogus").is_some() && tz_problem("../../etc/passwd").is_some());
        for ok in ["", ":UTC", "UTC", "Etc/UTC", "EST5EDT,M3.2.0,M11.1.0", "<+03>-3", "JST-9"] {
            assert!(tz_problem(ok).is_none(), "{ok}");
        }
        if std::path::Path::new("/usr/share/zoneinfo/Europe/Paris").is_file() {
            assert!(tz_problem("Europe/Paris").is_none());
        }
        assert!(is_local_form("2026-11-30 15:02:11") && is_local_form("2026-11-30T15:02"));
        assert!(
            !is_local_form("2026-11-30T14:02:11Z")
                && !is_local_form("2026-11-30T15:02:11+01:00")
                && !is_local_form("1796047331000")
        );
    }
}
