//! What each gathered fact means, as pure functions.

use serde::Serialize;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Ok,
    /// Works today, but worth attention.
    Warn,
    /// The daemon will not work (or not for long) until this is fixed.
    Fail,
}

/// One line of the doctor's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable name, e.g. `clock_skew`.
    pub name: &'static str,
    pub status: CheckStatus,
    /// What was found.
    pub detail: String,
    /// How to fix it (for warnings and failures).
    pub fix: Option<String>,
}

impl Check {
    #[must_use]
    pub fn ok(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            status: CheckStatus::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    #[must_use]
    pub fn warn(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: CheckStatus::Warn,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    #[must_use]
    pub fn fail(name: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name,
            status: CheckStatus::Fail,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// SigV4 requests are refused beyond 15 minutes of skew; warn well before.
const SKEW_FAIL_SECS: i64 = 15 * 60;
const SKEW_WARN_SECS: i64 = 60;

/// `server_minus_local_secs`: the server's `Date` minus this machine's clock.
#[must_use]
pub fn clock_skew(server_minus_local_secs: i64) -> Check {
    const NAME: &str = "clock_skew";
    let skew = server_minus_local_secs.abs();
    let side = if server_minus_local_secs > 0 {
        "behind"
    } else {
        "ahead of"
    };
    let detail = format!("this machine's clock is {skew} s {side} the S3 server's");
    let fix = "synchronise the clock (systemd-timesyncd or chrony: `timedatectl set-ntp true`)";
    if skew >= SKEW_FAIL_SECS {
        Check::fail(
            NAME,
            format!("{detail}: S3 refuses signed requests beyond 15 minutes"),
            fix,
        )
    } else if skew >= SKEW_WARN_SECS {
        Check::warn(NAME, detail, fix)
    } else {
        Check::ok(NAME, format!("within {skew} s of the S3 server"))
    }
}

/// Each watched directory takes one inotify watch.
#[must_use]
pub fn inotify_watches(max_user_watches: u64, directories: u64) -> Check {
    const NAME: &str = "inotify_watches";
    let fix = format!(
        "raise the limit: `echo fs.inotify.max_user_watches={} | sudo tee /etc/sysctl.d/60-lightbox.conf && sudo sysctl --system`",
        (directories * 2).max(524_288)
    );
    if directories > max_user_watches {
        Check::fail(
            NAME,
            format!(
                "the watched folders hold {directories} directories but fs.inotify.max_user_watches is {max_user_watches}: \
                 new files in some folders would only be found by the periodic rescan"
            ),
            fix,
        )
    } else if directories * 5 > max_user_watches * 4 {
        Check::warn(
            NAME,
            format!(
                "{directories} directories use more than 80% of fs.inotify.max_user_watches ({max_user_watches}), shared with every other program"
            ),
            fix,
        )
    } else {
        Check::ok(
            NAME,
            format!("{directories} directories to watch, limit {max_user_watches}"),
        )
    }
}

const MIB: u64 = 1 << 20;

/// Free space where the catalog lives.
#[must_use]
pub fn free_disk(path: &str, available_bytes: u64) -> Check {
    const NAME: &str = "free_disk";
    let mib = available_bytes / MIB;
    let fix = format!("free space on the disk holding {path}, or set state_dir to a larger disk");
    if available_bytes < 100 * MIB {
        Check::fail(
            NAME,
            format!("only {mib} MiB free for the catalog at {path}"),
            fix,
        )
    } else if available_bytes < 1024 * MIB {
        Check::warn(
            NAME,
            format!("{mib} MiB free for the catalog at {path}"),
            fix,
        )
    } else {
        Check::ok(
            NAME,
            format!("{:.1} GiB free at {path}", mib as f64 / 1024.0),
        )
    }
}

/// The exit status for a report: failing when any check failed.
#[must_use]
pub fn all_passed(checks: &[Check]) -> bool {
    checks.iter().all(|c| c.status != CheckStatus::Fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_skew_thresholds() {
        let cases = [
            (0, CheckStatus::Ok),
            (59, CheckStatus::Ok),
            (-60, CheckStatus::Warn),
            (899, CheckStatus::Warn),
            (900, CheckStatus::Fail),
            (-3600, CheckStatus::Fail),
        ];
        for (skew, want) in cases {
            assert_eq!(clock_skew(skew).status, want, "skew {skew} s");
        }
        assert!(
            clock_skew(-3600).detail.contains("ahead of"),
            "a fast clock is ahead of the server"
        );
        assert!(clock_skew(-3600).fix.expect("fix").contains("timedatectl"));
    }

    #[test]
    fn inotify_thresholds() {
        assert_eq!(inotify_watches(8192, 100).status, CheckStatus::Ok);
        assert_eq!(inotify_watches(8192, 7000).status, CheckStatus::Warn);
        let fail = inotify_watches(8192, 9000);
        assert_eq!(fail.status, CheckStatus::Fail);
        assert!(
            fail.fix.expect("fix").contains("max_user_watches=524288"),
            "suggests a sane minimum"
        );
    }

    #[test]
    fn free_disk_thresholds() {
        assert_eq!(free_disk("/s", 50 * MIB).status, CheckStatus::Fail);
        assert_eq!(free_disk("/s", 500 * MIB).status, CheckStatus::Warn);
        assert_eq!(free_disk("/s", 5000 * MIB).status, CheckStatus::Ok);
    }

    #[test]
    fn a_warning_alone_still_passes() {
        let checks = [clock_skew(120), clock_skew(0)];
        assert!(all_passed(&checks));
        assert!(!all_passed(&[clock_skew(0), free_disk("/", 0)]));
    }
}
