//! What a settings reload (SIGHUP to `lightbox run`) may change in a running daemon: a pure
//! comparison of the settings in force with the ones just loaded.
//!
//! Applied live: `upload.bandwidth_limit_mib_per_sec` (the engine's shared token bucket takes
//! a new rate at once). Everything else is reported as needing a restart, with the reason: the
//! bucket, endpoint and credentials are baked into the S3 client; the concurrency and part
//! sizes into the uploader's workers and the multipart journal; the ingest filter, settle
//! windows and key layout into the pipeline; the ops address into its listener; the state
//! directory into the catalog lock. Log levels come from `LIGHTBOX_LOG`, which a running
//! process cannot be given again.

use serde_json::Value;

use sync_core::config::Config;

/// One setting that differs, as a dotted path (`upload.concurrency`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedSetting {
    pub path: String,
    pub old: String,
    pub new: String,
}

/// A change applied to the running daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveChange {
    /// `upload.bandwidth_limit_mib_per_sec` (`None`: unlimited).
    BandwidthLimit(Option<u64>),
}

/// What a reload does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReloadPlan {
    /// Applied now.
    pub apply: Vec<LiveChange>,
    /// Changed settings applied now, for the log.
    pub applied: Vec<ChangedSetting>,
    /// Changed settings left as they were until a restart, each with why.
    pub need_restart: Vec<(ChangedSetting, &'static str)>,
}

impl ReloadPlan {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.need_restart.is_empty()
    }
}

/// Compare the settings in force with the ones just loaded.
#[must_use]
pub fn plan_reload(current: &Config, loaded: &Config) -> ReloadPlan {
    let mut changed = Vec::new();
    diff(
        "",
        &serde_json::to_value(current).unwrap_or(Value::Null),
        &serde_json::to_value(loaded).unwrap_or(Value::Null),
        &mut changed,
    );
    let mut plan = ReloadPlan::default();
    for setting in changed {
        if setting.path == "upload.bandwidth_limit_mib_per_sec" {
            plan.apply.push(LiveChange::BandwidthLimit(
                loaded.upload.bandwidth_limit_mib_per_sec,
            ));
            plan.applied.push(setting);
        } else {
            let why = restart_reason(&setting.path);
            plan.need_restart.push((setting, why));
        }
    }
    plan
}

fn restart_reason(path: &str) -> &'static str {
    let section = path.split('.').next().unwrap_or_default();
    match section {
        "storage" | "auth" => "the S3 client and its credentials are made at start",
        "upload" => "the uploader's workers and part sizes are fixed at start",
        "ingest" => "the watcher's filter, settle windows and key layout are fixed at start",
        "previews" => "the previewer's workers are started with these settings",
        "daemon" => "the /health and /metrics listener is bound at start",
        "state_dir" => "the catalog and its lock are opened at start",
        _ => "read at start only",
    }
}

/// Every leaf that differs between `old` and `new`, as dotted paths (arrays compare whole).
fn diff(prefix: &str, old: &Value, new: &Value, out: &mut Vec<ChangedSetting>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                diff(
                    &path,
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null),
                    out,
                );
            }
        }
        (a, b) if a != b => out.push(ChangedSetting {
            path: prefix.to_owned(),
            old: a.to_string(),
            new: b.to_string(),
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(toml: &str) -> Config {
        Config::from_toml_str(toml).expect("valid settings")
    }

    #[test]
    fn reload_table() {
        let base = "[storage]\nbucket = \"photos\"\n";
        let cases: [(&str, &str, Vec<LiveChange>, Vec<&str>); 5] = [
            ("nothing changed", base, vec![], vec![]),
            (
                "a bandwidth limit is applied live",
                "[storage]\nbucket = \"photos\"\n[upload]\nbandwidth_limit_mib_per_sec = 5\n",
                vec![LiveChange::BandwidthLimit(Some(5))],
                vec![],
            ),
            (
                "the concurrency needs a restart",
                "[storage]\nbucket = \"photos\"\n[upload]\nconcurrency = 9\n",
                vec![],
                vec!["upload.concurrency"],
            ),
            (
                "a new bucket needs a restart",
                "[storage]\nbucket = \"other\"\n",
                vec![],
                vec!["storage.bucket"],
            ),
            (
                "both at once: one applied, one left",
                "[storage]\nbucket = \"photos\"\n[upload]\nbandwidth_limit_mib_per_sec = 1\n\
                 [ingest.settle]\nbase_ms = 10\n",
                vec![LiveChange::BandwidthLimit(Some(1))],
                vec!["ingest.settle.base_ms"],
            ),
        ];
        for (why, new, apply, restart) in cases {
            let plan = plan_reload(&config(base), &config(new));
            assert_eq!(plan.apply, apply, "{why}");
            let paths: Vec<&str> = plan
                .need_restart
                .iter()
                .map(|(s, _)| s.path.as_str())
                .collect();
            assert_eq!(paths, restart, "{why}");
            assert_eq!(
                plan.is_empty(),
                apply.is_empty() && restart.is_empty(),
                "{why}"
            );
        }
    }

    #[test]
    fn removing_a_bandwidth_limit_makes_uploads_unlimited_and_says_what_changed() {
        let limited = config("[upload]\nbandwidth_limit_mib_per_sec = 5\n");
        let plan = plan_reload(&limited, &Config::default());
        assert_eq!(plan.apply, vec![LiveChange::BandwidthLimit(None)]);
        assert_eq!(
            plan.applied,
            vec![ChangedSetting {
                path: "upload.bandwidth_limit_mib_per_sec".into(),
                old: "5".into(),
                new: "null".into(),
            }]
        );
    }
}
