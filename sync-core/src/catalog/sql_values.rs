//! How values without a SQLite form of their own are stored.
//!
//! - Instants (`*_at_ms` columns): INTEGER milliseconds since the Unix epoch, UTC, so that
//!   `next_attempt_at_ms <= ?now` is a plain integer comparison.
//! - Sizes: INTEGER; a `u64` above `i64::MAX` is refused rather than wrapped.
//! - Capture times: the camera's wall-clock time, with its offset when it recorded one
//!   (`2024-06-01T14:03:07+02:00`, `2024-06-01T14:03:07`).

use jiff::Timestamp;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::ingest::CaptureTime;

/// An instant stored as Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Millis(pub(super) Timestamp);

impl ToSql for Millis {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.0.as_millisecond().into())
    }
}

impl FromSql for Millis {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let ms = value.as_i64()?;
        Timestamp::from_millisecond(ms)
            .map(Millis)
            .map_err(|_| FromSqlError::OutOfRange(ms))
    }
}

/// A byte count stored as INTEGER.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StoredU64(pub(super) u64);

impl ToSql for StoredU64 {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        i64::try_from(self.0)
            .map(ToSqlOutput::from)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
    }
}

impl FromSql for StoredU64 {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let stored = value.as_i64()?;
        u64::try_from(stored)
            .map(StoredU64)
            .map_err(|_| FromSqlError::OutOfRange(stored))
    }
}

/// A capture time stored as its text form (`2024-06-01T14:03:07+02:00`, or without
/// the offset when the camera recorded none): see [`CaptureTime`]'s `Display`.
impl ToSql for CaptureTime {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.to_string().into())
    }
}

impl FromSql for CaptureTime {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        text.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_time_round_trips_with_and_without_offset() {
        let conn = rusqlite::Connection::open_in_memory().expect("sqlite");
        for text in [
            "2024-06-01T14:03:07+02:00",
            "2024-06-01T14:03:07.25",
            "2024-06-01T14:03:07-04:30",
        ] {
            let capture: CaptureTime = text.parse().expect("a valid capture time");
            let back: CaptureTime = conn
                .query_row("SELECT ?1", [&capture], |row| row.get(0))
                .expect("round trip");
            assert_eq!(back, capture, "{text} survives the catalog, offset or not");
        }
    }
}
