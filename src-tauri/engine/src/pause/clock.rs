//! How far each database's clock is from this machine's, so that a restore
//! point given in the databases' time falls inside the pause on every one.
//! Measured round-trip-corrected (the server's `now()` against the middle of
//! the query's round trip); for a service Quiesce cannot ask (DynamoDB,
//! Cosmos DB) a configured bound stands in.

use crate::live::{Dialect, LiveConn};
use crate::profile::Profile;
use crate::sensitive::Sensitive;
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

/// Measures one database's offset (a few samples, the tightest kept).
pub async fn measure(p: &Profile, pw: Option<&Sensitive<String>>) -> ClockOffset {
    let unavailable = |why: String| ClockOffset {
        source: p.name.clone(),
        offset_ms: 0.0,
        uncertainty_ms: f64::INFINITY,
        how: format!("unavailable: {why}"),
    };
    let mut conn = match LiveConn::open(p, pw, false).await {
        Ok(c) => c,
        Err(e) => return unavailable(e.message),
    };
    let q = match conn.dialect() {
        Dialect::Postgres => "SELECT (extract(epoch from clock_timestamp()) * 1000)::float8::text",
        Dialect::Mysql => "SELECT CAST(UNIX_TIMESTAMP(NOW(6)) * 1000 AS CHAR)",
        Dialect::Sqlite => {
            return ClockOffset { source: p.name.clone(), offset_ms: 0.0, uncertainty_ms: 0.0, how: "local".into() }
        }
    };
    let mut best: Option<ClockOffset> = None;
    for _ in 0..3 {
        let t0 = Utc::now();
        let r = conn.rows(q).await;
        let t1 = Utc::now();
        let server: Option<f64> =
            r.ok().and_then(|rows| rows.first().and_then(|r| r[0].clone())).and_then(|v| v.trim().parse().ok());
        let Some(server) = server else { continue };
        let mid = (t0.timestamp_micros() + t1.timestamp_micros()) as f64 / 2000.0;
        let half = (t1 - t0).num_microseconds().unwrap_or(0) as f64 / 2000.0;
        let o = ClockOffset {
            source: p.name.clone(),
            offset_ms: server - mid,
            uncertainty_ms: half,
            how: "measured".into(),
        };
        if best.as_ref().is_none_or(|b| o.uncertainty_ms < b.uncertainty_ms) {
            best = Some(o);
        }
    }
    conn.close().await;
    best.unwrap_or_else(|| unavailable("the server's time could not be read".into()))
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
