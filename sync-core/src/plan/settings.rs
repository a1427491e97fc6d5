//! How the studio wants keys dated.

use jiff::tz::TimeZone;
use lightbox_types::FailureCode;
use serde::{Deserialize, Serialize};

/// Which date goes into `originals/YYYY/MM/DD/`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateSource {
    /// The day the file is planned for upload, in the studio's time zone.
    #[default]
    UploadDate,
    /// The day the photo was taken, from EXIF; the upload date when it has none.
    CaptureDate,
}

/// Key planning settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PlanSettings {
    pub date_source: DateSource,
    /// The studio's IANA time zone for upload dates ("Europe/Paris"). Unset or
    /// empty: this computer's time zone.
    pub time_zone: Option<String>,
}

/// Invalid plan settings.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(
        "the time zone `{zone}` is not known ({source}): use an IANA name like \"Europe/Paris\" \
         or \"America/New_York\", or remove the setting to use this computer's time zone"
    )]
    UnknownTimeZone {
        zone: String,
        #[source]
        source: jiff::Error,
    },
}

impl PlanError {
    /// A stable code for logs and the UI.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::UnknownTimeZone { .. } => FailureCode::PlanUnknownTimeZone,
        }
    }
}

impl PlanSettings {
    /// The configured time zone, looked up in the system's time zone database;
    /// the system time zone when none is set (UTC, with a warning, if even that is unknown).
    pub fn time_zone(&self) -> Result<TimeZone, PlanError> {
        match self
            .time_zone
            .as_deref()
            .map(str::trim)
            .filter(|z| !z.is_empty())
        {
            Some(zone) => TimeZone::get(zone).map_err(|source| PlanError::UnknownTimeZone {
                zone: zone.to_owned(),
                source,
            }),
            None => Ok(TimeZone::try_system().unwrap_or_else(|e| {
                tracing::warn!(
                    error = %e,
                    "this computer's time zone is unknown; dating uploads in UTC. \
                     Set the plan time zone to an IANA name like \"Europe/Paris\""
                );
                TimeZone::UTC
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_zone_table() {
        let cases: &[(Option<&str>, Option<&str>)] = &[
            (Some("Europe/Paris"), Some("Europe/Paris")),
            (Some(" America/New_York "), Some("America/New_York")),
            (Some("UTC"), Some("UTC")),
        ];
        for (zone, want) in cases {
            let settings = PlanSettings {
                time_zone: zone.map(str::to_owned),
                ..PlanSettings::default()
            };
            let tz = settings.time_zone().expect("known zone");
            assert_eq!(tz.iana_name(), *want, "{zone:?}");
        }
        for unset in [None, Some(""), Some("  ")] {
            let settings = PlanSettings {
                time_zone: unset.map(str::to_owned),
                ..PlanSettings::default()
            };
            settings.time_zone().expect("unset means the system zone");
        }
    }

    #[test]
    fn unknown_zone_names_it_and_says_what_to_use() {
        let settings = PlanSettings {
            time_zone: Some("Mars/Olympus".to_owned()),
            ..PlanSettings::default()
        };
        let err = settings.time_zone().expect_err("not an IANA zone");
        let text = err.to_string();
        assert!(
            text.contains("`Mars/Olympus`") && text.contains("\"Europe/Paris\""),
            "{text}"
        );
        assert_eq!(err.code(), FailureCode::PlanUnknownTimeZone);
    }

    #[test]
    fn settings_deserialize_with_defaults_and_reject_unknown_fields() {
        let s: PlanSettings =
            serde_json::from_str(r#"{"date_source":"capture-date"}"#).expect("valid");
        assert_eq!(
            s,
            PlanSettings {
                date_source: DateSource::CaptureDate,
                time_zone: None
            }
        );
        let d: PlanSettings = serde_json::from_str("{}").expect("empty is defaults");
        assert_eq!(
            d.date_source,
            DateSource::UploadDate,
            "upload date by default"
        );
        assert!(
            serde_json::from_str::<PlanSettings>(r#"{"timezone":"UTC"}"#).is_err(),
            "typo rejected"
        );
    }
}
