//! When a photo was taken, as the camera recorded it: wall-clock time and, where the camera
//! wrote one, its UTC offset. Stored as text (`2024-03-10T14:30:00+01:00`).

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::Offset;
#[cfg(feature = "sql")]
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// When a photo was taken, as the camera recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureTime {
    /// The camera's wall-clock time.
    pub local: DateTime,
    /// The camera's UTC offset (`OffsetTimeOriginal`), when recorded.
    pub offset: Option<Offset>,
}

impl CaptureTime {
    /// The calendar day the photo was taken on, in the camera's own time. With an
    /// offset, `local` already is the time at that offset, so this is its date either way.
    #[must_use]
    pub fn date(&self) -> Date {
        self.local.date()
    }

    /// The exact instant, when the camera recorded its offset.
    #[must_use]
    pub fn timestamp(&self) -> Option<Timestamp> {
        self.offset
            .and_then(|offset| offset.to_timestamp(self.local).ok())
    }
}

/// `2024-03-10T14:30:00+01:00`, or without the offset when none was recorded
/// (with a fraction when the camera recorded subseconds). [`FromStr`] reads it back.
impl fmt::Display for CaptureTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.local)?;
        if let Some(offset) = self.offset {
            let seconds = offset.seconds();
            let sign = if seconds < 0 { '-' } else { '+' };
            let minutes = seconds.unsigned_abs() / 60;
            write!(f, "{sign}{:02}:{:02}", minutes / 60, minutes % 60)?;
        }
        Ok(())
    }
}

/// A stored capture time could not be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a capture time like 2024-03-10T14:30:00+01:00; the stored value is damaged, \
     fingerprint the file again to re-read it"
)]
pub struct CaptureTimeParseError(String);

impl FromStr for CaptureTime {
    type Err = CaptureTimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || CaptureTimeParseError(s.to_owned());
        let (local, offset) = match s
            .len()
            .checked_sub(6)
            .and_then(|i| Some((s.get(..i)?, s.get(i..)?)))
        {
            Some((local, offset))
                if offset.starts_with(['+', '-']) && offset.as_bytes()[3] == b':' =>
            {
                (local, Some(parse_offset(offset).ok_or_else(bad)?))
            }
            _ => (s, None),
        };
        let local = local.parse::<DateTime>().map_err(|_| bad())?;
        Ok(Self { local, offset })
    }
}

/// `+HH:MM` / `-HH:MM`.
fn parse_offset(text: &str) -> Option<Offset> {
    let negative = text.starts_with('-');
    let hours: i32 = text.get(1..3)?.parse().ok()?;
    let minutes: i32 = text.get(4..6)?.parse().ok().filter(|m| *m < 60)?;
    let seconds = (hours * 60 + minutes) * 60;
    Offset::from_seconds(if negative { -seconds } else { seconds }).ok()
}

#[cfg(feature = "sql")]
/// A capture time stored as its text form (`2024-06-01T14:03:07+02:00`, or without
/// the offset when the camera recorded none): see its `Display`.
impl ToSql for CaptureTime {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(self.to_string().into())
    }
}

#[cfg(feature = "sql")]
impl FromSql for CaptureTime {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let text = value.as_str()?;
        text.parse().map_err(|e| FromSqlError::Other(Box::new(e)))
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use super::*;

    fn at(y: i16, mo: i8, d: i8, h: i8, mi: i8, s: i8, ns: i32) -> DateTime {
        date(y, mo, d).at(h, mi, s, ns)
    }

    fn offset_hours(h: i8) -> Option<Offset> {
        Some(Offset::constant(h))
    }

    #[test]
    fn capture_time_text_round_trips() {
        let cases: &[(&str, CaptureTime)] = &[
            (
                "2024-03-10T01:30:05.25+01:00",
                CaptureTime {
                    local: at(2024, 3, 10, 1, 30, 5, 250_000_000),
                    offset: offset_hours(1),
                },
            ),
            (
                "2024-11-03T01:30:00-04:30",
                CaptureTime {
                    local: at(2024, 11, 3, 1, 30, 0, 0),
                    offset: Some(Offset::from_seconds(-(4 * 3600 + 1800)).expect("valid")),
                },
            ),
            (
                "2024-07-01T12:00:00",
                CaptureTime {
                    local: at(2024, 7, 1, 12, 0, 0, 0),
                    offset: None,
                },
            ),
        ];
        for (text, time) in cases {
            assert_eq!(time.to_string(), *text, "display of {time:?}");
            assert_eq!(
                text.parse::<CaptureTime>().as_ref(),
                Ok(time),
                "parse of {text}"
            );
        }
        for bad in [
            "",
            "yesterday",
            "2024-13-01T00:00:00",
            "2024-01-01T00:00:00+99:00",
            "2024-01-01T00:00:00+01:75",
        ] {
            let err = bad.parse::<CaptureTime>().expect_err("not a capture time");
            assert!(
                err.to_string().contains("fingerprint the file again"),
                "{err}"
            );
        }
    }

    #[test]
    fn timestamp_needs_an_offset() {
        let with = CaptureTime {
            local: at(2024, 3, 10, 1, 30, 0, 0),
            offset: offset_hours(1),
        };
        assert_eq!(
            with.timestamp().map(|t| t.to_string()),
            Some("2024-03-10T00:30:00Z".to_owned()),
            "01:30 at +01:00 is 00:30 UTC"
        );
        assert_eq!(
            with.date(),
            date(2024, 3, 10),
            "the date is the camera's own"
        );
        assert_eq!(
            CaptureTime {
                offset: None,
                ..with
            }
            .timestamp(),
            None
        );
    }
}

#[cfg(all(test, feature = "sql"))]
mod sql_tests {
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
