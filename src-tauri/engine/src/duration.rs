//! Durations as people type them: `500ms`, `5s`, `1m`, `2h`, `1m30s`. A bare
//! number is refused (seconds or milliseconds? the user must say).

use crate::error::{Error, Result};
use std::time::Duration;

/// The longest duration accepted (a year): anything longer is a typo.
pub const MAX: Duration = Duration::from_secs(366 * 24 * 3600);

pub fn parse(text: &str) -> Result<Duration> {
    let s = text.trim();
    let bad = |why: &str| {
        Error::invalid(format!(
            "\"{}\" is not a duration: {why}. Write a number and a unit, e.g. 500ms, 5s, 1m, 2h or 1m30s.",
            text.chars().take(40).collect::<String>()
        ))
    };
    if s.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut total: u128 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        if digits == 0 {
            return Err(bad("a number must come before each unit"));
        }
        let n: u128 = rest[..digits].parse().map_err(|_| bad("the number is too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let ms_per = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1000,
            "m" | "min" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => return Err(bad("the unit is missing")),
            _ => return Err(bad("the unit is not one of ms, s, m, h, d")),
        };
        rest = &rest[unit_len..];
        total = total.saturating_add(n.saturating_mul(ms_per));
        if total > MAX.as_millis() {
            return Err(bad("it is longer than a year"));
        }
    }
    Ok(Duration::from_millis(total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_compounds() {
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse(" 5s ").unwrap(), Duration::from_secs(5));
        assert_eq!(parse("1m30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("2h").unwrap(), Duration::from_secs(7200));
        for bad in ["", "5", "s", "5x", "-5s", "1.5s", "99999999999999999999999h", "400d"] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.code, crate::ErrorCode::InvalidInput, "{bad}");
        }
    }
}
