//! How values without a SQLite form of their own are stored.
//!
//! - Instants (`*_at_ms` columns): INTEGER milliseconds since the Unix epoch, UTC, so that
//!   `next_attempt_at_ms <= ?now` is a plain integer comparison.
//! - Sizes: INTEGER; a `u64` above `i64::MAX` is refused rather than wrapped.
//! - Capture times: the camera's wall-clock time, with its offset when it recorded one
//!   (`2024-06-01T14:03:07+02:00`, `2024-06-01T14:03:07`): `lightbox_types::CaptureTime`'s own
//!   conversion (feature `sql`).

use jiff::Timestamp;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

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
