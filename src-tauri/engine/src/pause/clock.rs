//! How far each database's clock is from this machine's, so that a restore
//! point given in the databases' time falls inside the pause on every one.
//! Measured round-trip-corrected (the server's `now()` against the middle of
//! the query's round trip); for a service Quiesce cannot ask (DynamoDB,
//! Cosmos DB) a configured bound stands in.

pub use crate::catalog::clock::{bounded, safe_interval, ClockOffset};
use crate::live::{Dialect, LiveConn};
use crate::profile::Profile;
use crate::sensitive::Sensitive;
use chrono::Utc;

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
