//! The candidate key for a file: which day it goes under and what it is called.
//! Pure: the current time comes in as an argument.

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

use super::original_key::OriginalKey;
use super::sanitize::{is_changed, sanitize_name};
use super::settings::{DateSource, PlanError, PlanSettings};
use lightbox_types::CaptureTime;

/// Plans candidate keys with the studio's date source and time zone.
#[derive(Debug, Clone)]
pub struct KeyPlanner {
    date_source: DateSource,
    time_zone: TimeZone,
}

impl KeyPlanner {
    /// Resolve the settings (looks the time zone up once).
    pub fn new(settings: &PlanSettings) -> Result<Self, PlanError> {
        Ok(Self::with_time_zone(
            settings.date_source,
            settings.time_zone()?,
        ))
    }

    #[must_use]
    pub fn with_time_zone(date_source: DateSource, time_zone: TimeZone) -> Self {
        Self {
            date_source,
            time_zone,
        }
    }

    #[must_use]
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// The day a file goes under.
    ///
    /// - Upload date: the calendar date of `now` in the studio's time zone.
    /// - Capture date: the date the camera recorded. With an offset that is the
    ///   date at that offset, which is the recorded civil date itself; without
    ///   one, the civil date as recorded. No EXIF date: the upload date.
    #[must_use]
    pub fn key_date(&self, now: Timestamp, captured: Option<&CaptureTime>) -> Date {
        match (self.date_source, captured) {
            (DateSource::CaptureDate, Some(captured)) => captured.date(),
            _ => self.time_zone.to_datetime(now).date(),
        }
    }

    /// `originals/YYYY/MM/DD/<sanitized file name>`. `file_name` is the file's
    /// own name, without its folders (see [`super::sanitize`]). A name that sanitizing had to
    /// change starts on the rename ladder, `<stem>_<hash8>.<ext>`, so that it never takes a
    /// name another file has exactly ([`is_changed`]).
    #[must_use]
    pub fn candidate_key(
        &self,
        file_name: &str,
        sha256_hex: &str,
        captured: Option<&CaptureTime>,
        now: Timestamp,
    ) -> OriginalKey {
        let name = sanitize_name(file_name, sha256_hex);
        let changed = is_changed(file_name, &name, sha256_hex);
        let key = OriginalKey::new(self.key_date(now, captured), name);
        if changed {
            // The first rung always exists.
            key.renamed(sha256_hex).unwrap_or(key)
        } else {
            key
        }
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::{DateTime, date};
    use jiff::tz::Offset;

    use super::*;

    const SHA: &str = "feedface0123456789abcdef0123456789abcdef0123456789abcdef01234567";

    fn planner(source: DateSource, zone: &str) -> KeyPlanner {
        KeyPlanner::with_time_zone(
            source,
            TimeZone::get(zone).expect("test zones are in the tzdb"),
        )
    }

    fn ts(text: &str) -> Timestamp {
        text.parse().expect("valid test timestamp")
    }

    fn capture(local: DateTime, offset_minutes: Option<i32>) -> CaptureTime {
        CaptureTime {
            local,
            offset: offset_minutes.map(|m| Offset::from_seconds(m * 60).expect("valid offset")),
        }
    }

    #[test]
    fn upload_date_table() {
        use DateSource::UploadDate;
        let cases: &[(&str, &str, Date)] = &[
            // Across midnight in a zone ahead of UTC.
            ("Europe/Paris", "2024-01-15T22:59:59Z", date(2024, 1, 15)),
            ("Europe/Paris", "2024-01-15T23:00:00Z", date(2024, 1, 16)),
            // Across midnight in a zone behind UTC: still the previous day.
            (
                "America/New_York",
                "2024-01-16T04:59:59Z",
                date(2024, 1, 15),
            ),
            (
                "America/New_York",
                "2024-01-16T05:00:00Z",
                date(2024, 1, 16),
            ),
            // Far ahead: Auckland in summer (UTC+13) is a day ahead most of the afternoon.
            ("Pacific/Auckland", "2024-01-01T10:59:59Z", date(2024, 1, 1)),
            ("Pacific/Auckland", "2024-01-01T11:00:00Z", date(2024, 1, 2)),
            // A half-hour zone.
            ("Asia/Kolkata", "2024-06-30T18:29:59Z", date(2024, 6, 30)),
            ("Asia/Kolkata", "2024-06-30T18:30:00Z", date(2024, 7, 1)),
            // DST start in Paris (02:00 → 03:00 on 31 March): midnight is still 23:00Z the day before.
            ("Europe/Paris", "2024-03-30T22:59:59Z", date(2024, 3, 30)),
            ("Europe/Paris", "2024-03-30T23:00:00Z", date(2024, 3, 31)),
            // After the switch midnight moves to 22:00Z.
            ("Europe/Paris", "2024-03-31T21:59:59Z", date(2024, 3, 31)),
            ("Europe/Paris", "2024-03-31T22:00:00Z", date(2024, 4, 1)),
            // DST end in New York (3 November, 02:00 EDT → 01:00 EST): the repeated hour is one day.
            (
                "America/New_York",
                "2024-11-03T05:30:00Z",
                date(2024, 11, 3),
            ),
            (
                "America/New_York",
                "2024-11-03T06:30:00Z",
                date(2024, 11, 3),
            ),
            (
                "America/New_York",
                "2024-11-04T04:59:59Z",
                date(2024, 11, 3),
            ),
            (
                "America/New_York",
                "2024-11-04T05:00:00Z",
                date(2024, 11, 4),
            ),
            ("UTC", "2024-02-29T23:59:59Z", date(2024, 2, 29)),
        ];
        for (zone, now, want) in cases {
            let got = planner(UploadDate, zone).key_date(ts(now), None);
            assert_eq!(got, *want, "upload at {now} in {zone}");
        }
    }

    #[test]
    fn capture_date_table() {
        let shot = date(2024, 3, 9).at(23, 30, 0, 0);
        let cases: &[(DateSource, &str, &str, Option<CaptureTime>, Date)] = &[
            // No offset: the civil date as recorded, whatever the studio's zone.
            (
                DateSource::CaptureDate,
                "Asia/Tokyo",
                "2024-03-10T12:00:00Z",
                Some(capture(shot, None)),
                date(2024, 3, 9),
            ),
            // With an offset: the date at that offset (23:30 at -05:00 is the 9th there,
            // even though it is already the 10th in UTC and in Paris).
            (
                DateSource::CaptureDate,
                "Europe/Paris",
                "2024-03-12T12:00:00Z",
                Some(capture(shot, Some(-300))),
                date(2024, 3, 9),
            ),
            (
                DateSource::CaptureDate,
                "Pacific/Auckland",
                "2024-03-12T12:00:00Z",
                Some(capture(date(2024, 3, 10).at(0, 15, 0, 0), Some(13 * 60))),
                date(2024, 3, 10),
            ),
            // No EXIF date: falls back to the upload date in the studio's zone.
            (
                DateSource::CaptureDate,
                "Europe/Paris",
                "2024-03-12T23:30:00Z",
                None,
                date(2024, 3, 13),
            ),
            // Upload date ignores the capture time.
            (
                DateSource::UploadDate,
                "Europe/Paris",
                "2024-03-12T12:00:00Z",
                Some(capture(shot, None)),
                date(2024, 3, 12),
            ),
        ];
        for (source, zone, now, captured, want) in cases {
            let got = planner(*source, zone).key_date(ts(now), captured.as_ref());
            assert_eq!(
                got, *want,
                "{source:?} in {zone} at {now} with {captured:?}"
            );
        }
    }

    #[test]
    fn candidate_key_combines_date_and_sanitized_name() {
        let p = planner(DateSource::UploadDate, "America/New_York");
        let cases: &[(&str, &str, &str)] = &[
            (
                "IMG_0001.JPG",
                "2024-11-03T06:30:00Z",
                "originals/2024/11/03/IMG_0001.JPG",
            ),
            (
                "Cafe\u{301}.jpg",
                "2024-11-03T06:30:00Z",
                "originals/2024/11/03/Café.jpg",
            ),
            // Changed by sanitizing: never the clean name another file may have exactly.
            (
                "../x.jpg",
                "2024-01-01T04:00:00Z",
                "originals/2023/12/31/x_feedface.jpg",
            ),
            (
                "new\nline.jpg",
                "2024-11-03T06:30:00Z",
                "originals/2024/11/03/newline_feedface.jpg",
            ),
            (
                " IMG_0002.JPG",
                "2024-11-03T06:30:00Z",
                "originals/2024/11/03/IMG_0002_feedface.JPG",
            ),
            (
                "newline.jpg",
                "2024-11-03T06:30:00Z",
                "originals/2024/11/03/newline.jpg",
            ),
            (
                "",
                "2024-01-01T05:00:00Z",
                "originals/2024/01/01/unnamed_feedface",
            ),
        ];
        for (name, now, want) in cases {
            let key = p.candidate_key(name, SHA, None, ts(now));
            assert_eq!(key.as_str(), *want, "{name:?} at {now}");
        }
    }

    #[test]
    fn a_name_cut_to_fit_keeps_its_extension_and_names_its_content() {
        let p = planner(DateSource::UploadDate, "UTC");
        let long = format!("{}.jpg", "a".repeat(300));
        let key = p.candidate_key(&long, SHA, None, ts("2024-11-03T06:30:00Z"));
        assert!(key.name().ends_with("_feedface.jpg"), "{key}");
        assert_eq!(
            key.name().len(),
            crate::plan::sanitize::MAX_NAME_BYTES,
            "{key}"
        );
        let other = format!("{}.jpg", "a".repeat(301));
        let sha2 = "0badcafe".repeat(8);
        let key2 = p.candidate_key(&other, &sha2, None, ts("2024-11-03T06:30:00Z"));
        assert_ne!(
            key, key2,
            "two names cut to the same stem get keys of their own"
        );
    }

    #[test]
    fn new_rejects_unknown_zone() {
        let settings = PlanSettings {
            time_zone: Some("Nowhere/Atlantis".to_owned()),
            ..PlanSettings::default()
        };
        let err = KeyPlanner::new(&settings).expect_err("unknown zone");
        assert!(err.to_string().contains("Nowhere/Atlantis"), "{err}");
        let ok = PlanSettings {
            time_zone: Some("Europe/Paris".to_owned()),
            ..PlanSettings::default()
        };
        let planner = KeyPlanner::new(&ok).expect("known zone");
        assert_eq!(planner.time_zone().iana_name(), Some("Europe/Paris"));
    }
}
