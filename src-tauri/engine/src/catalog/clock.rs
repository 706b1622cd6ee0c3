//! Clock offsets as a window records them, and the safe interval they leave
//! of a pause (`pause::clock` measures them).

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use ts_rs::TS;

/// One database's clock against this machine's: server = local + offset, ± uncertainty.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct ClockOffset {
    /// The profile (or storage) it was measured on.
    pub source: String,
    pub offset_ms: f64,
    /// Infinite when the clock could not be read (`null` in JSON, read back as such).
    #[ts(type = "number | null")]
    pub uncertainty_ms: f64,
    /// measured, local (a file on this machine), configured (a bound), unavailable.
    pub how: String,
}

// By hand: JSON has no infinity (serde_json writes null), and a window with
// an unread clock must load again as it was written.
impl<'de> Deserialize<'de> for ClockOffset {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            source: String,
            offset_ms: f64,
            uncertainty_ms: Option<f64>,
            how: String,
        }
        let r = Raw::deserialize(d)?;
        Ok(ClockOffset {
            source: r.source,
            offset_ms: r.offset_ms,
            uncertainty_ms: r.uncertainty_ms.unwrap_or(f64::INFINITY),
            how: r.how,
        })
    }
}

/// A service whose clock Quiesce cannot read: the configured bound.
pub fn bounded(source: &str, bound: Duration) -> ClockOffset {
    ClockOffset {
        source: source.into(),
        offset_ms: 0.0,
        uncertainty_ms: bound.as_secs_f64() * 1000.0,
        how: "configured".into(),
    }
}

/// The restore times that fall inside the window on every clock: a time T
/// (as each database reads it) is safe when T − offset lies in
/// [start, end] for every database, whatever its uncertainty.
pub fn safe_interval(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    offsets: &[ClockOffset],
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let ms = |v: f64| ChronoDuration::microseconds((v * 1000.0).round() as i64);
    let mut from = start;
    let mut to = end;
    for o in offsets {
        if !o.uncertainty_ms.is_finite() {
            return None;
        }
        from = from.max(start + ms(o.offset_ms + o.uncertainty_ms));
        to = to.min(end + ms(o.offset_ms - o.uncertainty_ms));
    }
    (from < to).then_some((from, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn off(o: f64, u: f64) -> ClockOffset {
        ClockOffset { source: "x".into(), offset_ms: o, uncertainty_ms: u, how: "measured".into() }
    }

    #[test]
    fn the_safe_interval_is_the_window_narrowed_by_every_clock() {
        let s = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z").unwrap().with_timezone(&Utc);
        let e = s + ChronoDuration::seconds(5);
        // No clock to account for: the window itself.
        assert_eq!(safe_interval(s, e, &[]), Some((s, e)));
        // A server 300 ms ahead (±10) and one 200 ms behind (±10).
        let (from, to) = safe_interval(s, e, &[off(300.0, 10.0), off(-200.0, 10.0)]).unwrap();
        assert_eq!(from, s + ChronoDuration::milliseconds(310));
        assert_eq!(to, e - ChronoDuration::milliseconds(210));
        // A bound larger than half the window leaves nothing safe.
        assert_eq!(
            safe_interval(s, s + ChronoDuration::milliseconds(800), &[bounded("dynamo", Duration::from_secs(1))]),
            None
        );
        // A clock that could not be read makes nothing safe.
        assert_eq!(safe_interval(s, e, &[off(0.0, f64::INFINITY)]), None);
    }
}
