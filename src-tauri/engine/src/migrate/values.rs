//! Values that ScalarDB stores differently per engine
//! (`J/query/PreparedStatementBinder.java`, `J/ResultInterpreter.java`,
//! `util/TimeRelatedColumnEncodingUtils.java`): SQLite keeps DATE as the
//! epoch day, TIME as the nano of day and TIMESTAMP(TZ) as an encoded
//! millisecond count that is not epoch millis before 1970.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// SQLite's TIMESTAMP/TIMESTAMPTZ encoding (`TimeRelatedColumnEncodingUtils.java:81`):
/// `epochSecond*1000 + milli` from 1970, `epochSecond*1000 - (999 - milli)` before.
pub fn encode_sqlite_timestamp(t: NaiveDateTime) -> i64 {
    let utc = t.and_utc();
    let (secs, milli) = (utc.timestamp(), i64::from(utc.timestamp_subsec_millis()));
    if secs >= 0 {
        secs * 1000 + milli
    } else {
        secs * 1000 - (999 - milli)
    }
}

/// The inverse of [`encode_sqlite_timestamp`] (a UTC wall clock; for TIMESTAMPTZ, the instant in UTC).
pub fn decode_sqlite_timestamp(v: i64) -> Option<NaiveDateTime> {
    let (secs, milli) = if v >= 0 {
        (v.div_euclid(1000), v.rem_euclid(1000))
    } else {
        ((v + 999).div_euclid(1000), (v + 999).rem_euclid(1000))
    };
    DateTime::from_timestamp(secs, (milli as u32) * 1_000_000).map(|d| d.naive_utc())
}

/// SQLite DATE: the epoch day (`LocalDate.toEpochDay()`).
pub fn encode_sqlite_date(d: NaiveDate) -> i64 {
    (d - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days()
}

pub fn decode_sqlite_date(v: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1970, 1, 1)?.checked_add_signed(chrono::Duration::try_days(v)?)
}

/// SQLite TIME: nanoseconds of the day (`LocalTime.toNanoOfDay()`).
pub fn encode_sqlite_time(t: NaiveTime) -> i64 {
    i64::from(t.num_seconds_from_midnight()) * 1_000_000_000 + i64::from(t.nanosecond())
}

pub fn decode_sqlite_time(v: i64) -> Option<NaiveTime> {
    if !(0..86_400_000_000_000).contains(&v) {
        return None;
    }
    NaiveTime::from_num_seconds_from_midnight_opt((v / 1_000_000_000) as u32, (v % 1_000_000_000) as u32)
}

/// ScalarDB's readers are strict (`ofStrict`): TIME keeps microseconds,
/// TIMESTAMP(TZ) milliseconds; a finer value written to the target would throw.
pub fn truncate_time(t: NaiveTime) -> NaiveTime {
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000).unwrap_or(t)
}

pub fn truncate_timestamp(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
    }

    #[test]
    fn sqlite_timestamps_before_1970_use_scalardbs_encoding_and_round_trip() {
        // Values worked out by hand from the formula in the reference (not epoch millis before 1970).
        assert_eq!(encode_sqlite_timestamp(ts("1970-01-01 00:00:00.000")), 0);
        assert_eq!(encode_sqlite_timestamp(ts("1970-01-01 00:00:01.250")), 1250);
        assert_eq!(encode_sqlite_timestamp(ts("1969-12-31 23:59:59.000")), -1999);
        assert_eq!(encode_sqlite_timestamp(ts("1969-12-31 23:59:59.999")), -1000);
        assert_eq!(encode_sqlite_timestamp(ts("1969-12-31 23:59:58.500")), -2499);
        for s in [
            "1000-01-01 00:00:00.000",
            "1969-12-31 23:59:59.001",
            "1970-01-01 00:00:00.001",
            "2026-11-30 14:02:11.500",
            "9999-12-31 23:59:59.999",
        ] {
            let t = ts(s);
            assert_eq!(decode_sqlite_timestamp(encode_sqlite_timestamp(t)), Some(t), "{s}");
        }
        assert_eq!(encode_sqlite_date(NaiveDate::from_ymd_opt(1969, 12, 31).unwrap()), -1);
        assert_eq!(decode_sqlite_date(-719162), NaiveDate::from_ymd_opt(1, 1, 1));
        let t = NaiveTime::from_hms_nano_opt(23, 59, 59, 999_999_000).unwrap();
        assert_eq!(decode_sqlite_time(encode_sqlite_time(t)), Some(t));
        assert_eq!(decode_sqlite_time(86_400_000_000_000), None);
        assert_eq!(
            truncate_time(NaiveTime::from_hms_nano_opt(1, 2, 3, 123_456_789).unwrap()).nanosecond(),
            123_456_000
        );
        assert_eq!(truncate_timestamp(ts("2026-11-30 14:02:11.123456")).nanosecond(), 123_000_000);
    }
}
