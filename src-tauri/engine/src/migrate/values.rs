//! Values that ScalarDB stores differently per engine
//! (`J/query/PreparedStatementBinder.java`, `J/ResultInterpreter.java`,
//! `util/TimeRelatedColumnEncodingUtils.java`): SQLite keeps DATE as the
//! epoch day, TIME as the nano of day and TIMESTAMP(TZ) as an encoded
//! millisecond count that is not epoch millis before 1970.

use super::layout::ScalarType;
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};
use sha2::{Digest, Sha256};

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

/// A stored value ScalarDB never writes (finer than its precision, or a raw
/// SQLite number outside its encoding): refused, never normalised, since the
/// target would then hold another value than the source while the proof,
/// comparing what both decode to, said they were equal.
fn out_of_spec(col: &str, t: ScalarType, raw: impl std::fmt::Display, why: &str) -> crate::Error {
    crate::Error::new(
        crate::ErrorCode::InvalidInput,
        format!(
            "Column {col} ({t:?}) holds {raw}, which ScalarDB never writes ({why}): migrating it would change it. Fix the value on the source (ScalarDB wrote none like it) and run the migration again; nothing is kept of this run."
        ),
    )
}

/// `v`, unless `exact` says it lost something.
fn exact<T: PartialEq + std::fmt::Display>(col: &str, t: ScalarType, v: T, kept: T, why: &str) -> crate::Result<T> {
    if v == kept {
        Ok(v)
    } else {
        Err(out_of_spec(col, t, &v, why))
    }
}

const FINER_THAN_MICROS: &str = "a TIME keeps microseconds";
const FINER_THAN_MILLIS: &str = "a TIMESTAMP keeps milliseconds";

/// One value as ScalarDB sees it, whatever engine holds it: what is copied,
/// compared and fingerprinted. TIMESTAMPTZ is the instant as a UTC wall clock.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Bool(bool),
    Int(i32),
    Bigint(i64),
    Float(f32),
    Double(f64),
    Text(String),
    Blob(Vec<u8>),
    Date(NaiveDate),
    Time(NaiveTime),
    Ts(NaiveDateTime),
    Tstz(NaiveDateTime),
}

impl Val {
    /// Feeds the value's canonical form (type tag, then fixed-width or
    /// length-prefixed bytes) to a fingerprint: equal on every engine for
    /// equal logical values.
    pub fn hash_into(&self, h: &mut Sha256) {
        fn ts(h: &mut Sha256, tag: u8, t: &NaiveDateTime) {
            h.update([tag]);
            h.update(t.and_utc().timestamp_micros().to_le_bytes());
        }
        match self {
            Val::Null => h.update([0]),
            Val::Bool(b) => h.update([1, *b as u8]),
            Val::Int(i) => {
                h.update([2]);
                h.update(i.to_le_bytes())
            }
            Val::Bigint(i) => {
                h.update([3]);
                h.update(i.to_le_bytes())
            }
            // Signed zero: -0.0 and 0.0 are one value here, as SQL compares
            // them (and as SQLite keeps them: it stores an integral REAL as
            // an integer, so -0.0 reads back as 0). Every other float is
            // compared bit for bit.
            Val::Float(f) => {
                h.update([4]);
                h.update((if *f == 0.0 { 0.0f32 } else { *f }).to_bits().to_le_bytes())
            }
            Val::Double(f) => {
                h.update([5]);
                h.update((if *f == 0.0 { 0.0f64 } else { *f }).to_bits().to_le_bytes())
            }
            Val::Text(s) => {
                h.update([6]);
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes())
            }
            Val::Blob(b) => {
                h.update([7]);
                h.update((b.len() as u64).to_le_bytes());
                h.update(b)
            }
            Val::Date(d) => {
                h.update([8]);
                h.update(d.num_days_from_ce().to_le_bytes())
            }
            Val::Time(t) => {
                h.update([9]);
                h.update(encode_sqlite_time(*t).to_le_bytes())
            }
            Val::Ts(t) => ts(h, 10, t),
            Val::Tstz(t) => ts(h, 11, t),
        }
    }

    /// The value as a user reads it in a message (a key that collides, differs, is too long).
    pub fn show(&self) -> String {
        match self {
            Val::Null => "NULL".into(),
            Val::Bool(b) => b.to_string(),
            Val::Int(i) => i.to_string(),
            Val::Bigint(i) => i.to_string(),
            Val::Float(f) => f.to_string(),
            Val::Double(f) => f.to_string(),
            Val::Text(s) if s.chars().count() > 80 => {
                format!("{:?}… ({} characters)", s.chars().take(60).collect::<String>(), s.chars().count())
            }
            Val::Text(s) => format!("{s:?}"),
            Val::Blob(b) => {
                let hex: String = b.iter().take(32).map(|x| format!("{x:02x}")).collect();
                format!("0x{hex}{}", if b.len() > 32 { format!("… ({} bytes)", b.len()) } else { String::new() })
            }
            Val::Date(d) => d.to_string(),
            Val::Time(t) => t.to_string(),
            Val::Ts(t) => t.to_string(),
            Val::Tstz(t) => format!("{t}Z"),
        }
    }

    /// Rough size in memory, to bound a batch by bytes.
    pub fn weight(&self) -> usize {
        match self {
            Val::Text(s) => s.len() + 24,
            Val::Blob(b) => b.len() + 24,
            _ => 16,
        }
    }
}

/// A value of type `t` that an engine gave in another form (a SQLite INT for a
/// DATE, a MySQL TINYINT for a BOOLEAN): the error names column and value.
pub fn mismatch(col: &str, t: ScalarType, got: impl std::fmt::Debug) -> crate::Error {
    crate::Error::new(
        crate::ErrorCode::DatabaseError,
        format!(
            "Column {col} is {t:?} in scalardb.metadata, but the database holds {got:?} there: ScalarDB could not read it either. Fix the value (or the metadata) on the source and run the migration again."
        ),
    )
}

/// SQLite's stored value of a column as ScalarDB reads it (`J/ResultInterpreter.java`).
pub fn from_sqlite(col: &str, t: ScalarType, v: rusqlite::types::ValueRef<'_>) -> crate::Result<Val> {
    use rusqlite::types::ValueRef as R;
    let bad = || mismatch(col, t, v);
    Ok(match (t, v) {
        (_, R::Null) => Val::Null,
        (ScalarType::Boolean, R::Integer(i)) => Val::Bool(i != 0),
        (ScalarType::Int, R::Integer(i)) => Val::Int(i32::try_from(i).map_err(|_| bad())?),
        (ScalarType::Bigint, R::Integer(i)) => Val::Bigint(i),
        (ScalarType::Float, R::Real(f)) => Val::Float(f as f32),
        (ScalarType::Float, R::Integer(i)) => Val::Float(i as f32),
        (ScalarType::Double, R::Real(f)) => Val::Double(f),
        (ScalarType::Double, R::Integer(i)) => Val::Double(i as f64),
        (ScalarType::Text, R::Text(b)) => Val::Text(String::from_utf8(b.to_vec()).map_err(|_| bad())?),
        (ScalarType::Blob, R::Blob(b) | R::Text(b)) => Val::Blob(b.to_vec()),
        (ScalarType::Date, R::Integer(i)) => Val::Date(decode_sqlite_date(i).ok_or_else(bad)?),
        (ScalarType::Time, R::Integer(i)) => {
            let d = decode_sqlite_time(i).ok_or_else(bad)?;
            if truncate_time(d) != d {
                return Err(out_of_spec(col, t, i, "nanoseconds of the day: a TIME keeps microseconds"));
            }
            Val::Time(d)
        }
        (ScalarType::Timestamp | ScalarType::Timestamptz, R::Integer(i)) => {
            let d = decode_sqlite_timestamp(i).ok_or_else(bad)?;
            // The encoding is not one-to-one outside ScalarDB's range: -1 reads as 998.
            if encode_sqlite_timestamp(d) != i {
                return Err(out_of_spec(
                    col,
                    t,
                    i,
                    "not in the encoding of TimeRelatedColumnEncodingUtils: before 1970 every value is -1000 or less",
                ));
            }
            if t == ScalarType::Timestamp {
                Val::Ts(d)
            } else {
                Val::Tstz(d)
            }
        }
        _ => return Err(bad()),
    })
}

/// A value as ScalarDB writes it into SQLite (`J/query/PreparedStatementBinder.java`).
pub fn to_sqlite(v: &Val) -> rusqlite::types::Value {
    use rusqlite::types::Value as V;
    match v {
        Val::Null => V::Null,
        Val::Bool(b) => V::Integer(*b as i64),
        Val::Int(i) => V::Integer(i64::from(*i)),
        Val::Bigint(i) => V::Integer(*i),
        Val::Float(f) => V::Real(f64::from(*f)),
        Val::Double(f) => V::Real(*f),
        Val::Text(s) => V::Text(s.clone()),
        Val::Blob(b) => V::Blob(b.clone()),
        Val::Date(d) => V::Integer(encode_sqlite_date(*d)),
        Val::Time(t) => V::Integer(encode_sqlite_time(*t)),
        Val::Ts(t) | Val::Tstz(t) => V::Integer(encode_sqlite_timestamp(*t)),
    }
}

/// MySQL/MariaDB's value (binary protocol) as ScalarDB reads it: FLOAT is a
/// DOUBLE column read as `(float) getDouble`, TIMESTAMPTZ a UTC wall clock.
pub fn from_mysql(col: &str, t: ScalarType, v: mysql_async::Value) -> crate::Result<Val> {
    use mysql_async::Value as V;
    let bad = |v: &V| mismatch(col, t, v);
    let datetime = |v: &V| -> crate::Result<NaiveDateTime> {
        match v {
            V::Date(y, mo, d, h, mi, s, us) => {
                let dt = NaiveDate::from_ymd_opt(i32::from(*y), u32::from(*mo), u32::from(*d))
                    .and_then(|dt| dt.and_hms_micro_opt(u32::from(*h), u32::from(*mi), u32::from(*s), *us))
                    .ok_or_else(|| bad(v))?;
                exact(col, t, dt, truncate_timestamp(dt), FINER_THAN_MILLIS)
            }
            _ => Err(bad(v)),
        }
    };
    Ok(match (t, &v) {
        (_, V::NULL) => Val::Null,
        (ScalarType::Boolean, V::Int(i)) => Val::Bool(*i != 0),
        (ScalarType::Boolean, V::UInt(i)) => Val::Bool(*i != 0),
        (ScalarType::Int, V::Int(i)) => Val::Int(i32::try_from(*i).map_err(|_| bad(&v))?),
        (ScalarType::Bigint, V::Int(i)) => Val::Bigint(*i),
        (ScalarType::Bigint, V::UInt(i)) => Val::Bigint(i64::try_from(*i).map_err(|_| bad(&v))?),
        (ScalarType::Float, V::Double(f)) => Val::Float(*f as f32),
        (ScalarType::Float, V::Float(f)) => Val::Float(*f),
        (ScalarType::Double, V::Double(f)) => Val::Double(*f),
        (ScalarType::Double, V::Float(f)) => Val::Double(f64::from(*f)),
        (ScalarType::Text, V::Bytes(b)) => Val::Text(String::from_utf8(b.clone()).map_err(|_| bad(&v))?),
        (ScalarType::Blob, V::Bytes(b)) => Val::Blob(b.clone()),
        (ScalarType::Date, V::Date(y, mo, d, ..)) => {
            Val::Date(NaiveDate::from_ymd_opt(i32::from(*y), u32::from(*mo), u32::from(*d)).ok_or_else(|| bad(&v))?)
        }
        (ScalarType::Time, V::Time(false, 0, h, mi, s, us)) => Val::Time(
            NaiveTime::from_hms_micro_opt(u32::from(*h), u32::from(*mi), u32::from(*s), *us).ok_or_else(|| bad(&v))?,
        ),
        (ScalarType::Timestamp, _) => Val::Ts(datetime(&v)?),
        (ScalarType::Timestamptz, _) => Val::Tstz(datetime(&v)?),
        _ => return Err(bad(&v)),
    })
}

/// A value as ScalarDB binds it for MySQL/MariaDB.
pub fn to_mysql(v: &Val) -> mysql_async::Value {
    use mysql_async::Value as V;
    let dt = |t: &NaiveDateTime| {
        V::Date(
            t.year() as u16,
            t.month() as u8,
            t.day() as u8,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
            t.nanosecond() / 1000,
        )
    };
    match v {
        Val::Null => V::NULL,
        Val::Bool(b) => V::Int(*b as i64),
        Val::Int(i) => V::Int(i64::from(*i)),
        Val::Bigint(i) => V::Int(*i),
        Val::Float(f) => V::Double(f64::from(*f)),
        Val::Double(f) => V::Double(*f),
        Val::Text(s) => V::Bytes(s.as_bytes().to_vec()),
        Val::Blob(b) => V::Bytes(b.clone()),
        Val::Date(d) => V::Date(d.year() as u16, d.month() as u8, d.day() as u8, 0, 0, 0, 0),
        Val::Time(t) => V::Time(false, 0, t.hour() as u8, t.minute() as u8, t.second() as u8, t.nanosecond() / 1000),
        Val::Ts(t) | Val::Tstz(t) => dt(t),
    }
}

/// PostgreSQL's value of a column.
pub fn from_pg(col: &str, t: ScalarType, row: &tokio_postgres::Row, i: usize) -> crate::Result<Val> {
    fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
        row: &'a tokio_postgres::Row,
        i: usize,
        col: &str,
        t: ScalarType,
    ) -> crate::Result<Option<T>> {
        row.try_get::<_, Option<T>>(i).map_err(|e| mismatch(col, t, e.to_string()))
    }
    Ok(match t {
        ScalarType::Boolean => get::<bool>(row, i, col, t)?.map(Val::Bool),
        ScalarType::Int => get::<i32>(row, i, col, t)?.map(Val::Int),
        ScalarType::Bigint => get::<i64>(row, i, col, t)?.map(Val::Bigint),
        ScalarType::Float => get::<f32>(row, i, col, t)?.map(Val::Float),
        ScalarType::Double => get::<f64>(row, i, col, t)?.map(Val::Double),
        ScalarType::Text => get::<String>(row, i, col, t)?.map(Val::Text),
        ScalarType::Blob => get::<Vec<u8>>(row, i, col, t)?.map(Val::Blob),
        ScalarType::Date => get::<NaiveDate>(row, i, col, t)?.map(Val::Date),
        ScalarType::Time => get::<NaiveTime>(row, i, col, t)?
            .map(|x| exact(col, t, x, truncate_time(x), FINER_THAN_MICROS))
            .transpose()?
            .map(Val::Time),
        ScalarType::Timestamp => get::<NaiveDateTime>(row, i, col, t)?
            .map(|x| exact(col, t, x, truncate_timestamp(x), FINER_THAN_MILLIS))
            .transpose()?
            .map(Val::Ts),
        ScalarType::Timestamptz => get::<DateTime<chrono::Utc>>(row, i, col, t)?
            .map(|x| exact(col, t, x.naive_utc(), truncate_timestamp(x.naive_utc()), FINER_THAN_MILLIS))
            .transpose()?
            .map(Val::Tstz),
    }
    .unwrap_or(Val::Null))
}

/// The wire type a value of `t` is sent to PostgreSQL as (binary COPY).
pub fn pg_type(t: ScalarType) -> tokio_postgres::types::Type {
    use tokio_postgres::types::Type;
    match t {
        ScalarType::Boolean => Type::BOOL,
        ScalarType::Int => Type::INT4,
        ScalarType::Bigint => Type::INT8,
        ScalarType::Float => Type::FLOAT4,
        ScalarType::Double => Type::FLOAT8,
        ScalarType::Text => Type::TEXT,
        ScalarType::Blob => Type::BYTEA,
        ScalarType::Date => Type::DATE,
        ScalarType::Time => Type::TIME,
        ScalarType::Timestamp => Type::TIMESTAMP,
        ScalarType::Timestamptz => Type::TIMESTAMPTZ,
    }
}

impl tokio_postgres::types::ToSql for Val {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Val::Null => Ok(tokio_postgres::types::IsNull::Yes),
            Val::Bool(v) => v.to_sql(ty, out),
            Val::Int(v) => v.to_sql(ty, out),
            Val::Bigint(v) => v.to_sql(ty, out),
            Val::Float(v) => v.to_sql(ty, out),
            Val::Double(v) => v.to_sql(ty, out),
            Val::Text(v) => v.to_sql(ty, out),
            Val::Blob(v) => v.to_sql(ty, out),
            Val::Date(v) => v.to_sql(ty, out),
            Val::Time(v) => v.to_sql(ty, out),
            Val::Ts(v) => v.to_sql(ty, out),
            Val::Tstz(v) => v.and_utc().to_sql(ty, out),
        }
    }

    fn accepts(_: &tokio_postgres::types::Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// The fingerprint of a table: rows in the canonical key order, each value's canonical form.
#[derive(Default)]
pub struct Fingerprint {
    h: Sha256,
    pub rows: u64,
}

impl Fingerprint {
    pub fn add(&mut self, row: &[Val]) {
        for v in row {
            v.hash_into(&mut self.h);
        }
        self.rows += 1;
    }

    pub fn hex(self) -> String {
        format!("{:x}", self.h.finalize())
    }
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
