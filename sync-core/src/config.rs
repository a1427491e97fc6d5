//! Typed settings, layered: built-in defaults, then a TOML file, then `LIGHTBOX_*`
//! environment variables (`LIGHTBOX_STORAGE__BUCKET=photos` sets `storage.bucket`).
//!
//! The file is looked up in this order: an explicit path (`--config`), the
//! `LIGHTBOX_CONFIG` variable, then `config.toml` in the platform config directory
//! (`~/.config/lightbox/config.toml` on Linux).

use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::ingest::{FilterSettings, SettleSettings};
use crate::plan::PlanSettings;

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "LIGHTBOX_CONFIG";

/// Everything Lightbox can be configured with.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub storage: StorageConfig,
    pub auth: AuthConfig,
    pub ingest: IngestConfig,
    pub upload: UploadConfig,
    pub daemon: DaemonConfig,
    pub previews: PreviewConfig,
    pub desktop: DesktopConfig,
    /// `[index]`: the shared photo index (DynamoDB); absent, none.
    pub index: IndexConfig,
    /// Where the catalog and other local state live. Default: the platform data dir
    /// (`~/.local/share/lightbox` on Linux).
    pub state_dir: Option<PathBuf>,
}

/// How files are picked up from the watched folders.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IngestConfig {
    /// Which names and content types are uploaded.
    pub filter: FilterSettings,
    /// How long a file must be quiet before it is read.
    pub settle: SettleSettings,
    /// How keys are dated.
    pub plan: PlanSettings,
    /// Full rescan of every folder this often, for shares that send no events (seconds).
    pub rescan_interval_secs: u64,
    /// Files fingerprinted at once.
    pub hash_workers: usize,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            filter: FilterSettings::default(),
            settle: SettleSettings::default(),
            plan: PlanSettings::default(),
            rescan_interval_secs: 300,
            hash_workers: 2,
        }
    }
}

/// How planned files go up to the bucket (the engine's uploader).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UploadConfig {
    /// Files uploaded at once.
    pub concurrency: usize,
    /// Part (and single-put) requests in flight at once, over all files.
    pub max_requests_in_flight: usize,
    /// Files of at least this many MiB go up as multipart uploads (resumable by part).
    pub multipart_threshold_mib: u64,
    /// Bytes per part in MiB (at least 5, S3's minimum). Unset: 16 MiB, more for files too
    /// large for 10,000 such parts.
    pub part_size_mib: Option<u64>,
    /// Multipart uploads under `originals/` that the journal does not know are aborted at
    /// start once they are this many hours old (younger ones may be another machine's live
    /// upload).
    pub orphan_min_age_hours: u64,
    /// All uploads together send at most this many MiB per second. Unset or 0: unlimited.
    /// Changeable at run time (`Engine::set_bandwidth_limit`).
    pub bandwidth_limit_mib_per_sec: Option<u64>,
    /// On SIGINT/SIGTERM, `lightbox run` starts no new request and lets the part requests in
    /// flight finish (and be journalled) for up to this many seconds, then abandons the rest
    /// (the next start resumes them).
    pub shutdown_grace_secs: u64,
    /// How writes avoid overwriting an object another machine put at the same key: `auto`
    /// probes the endpoint once at start (`upload/guard_probe.rs`), `head-first` always checks
    /// with `HeadObject` before writing (needed on Garage 2.5, which ignores `If-None-Match`),
    /// `if-none-match` relies on the conditional write alone (AWS S3).
    pub overwrite_guard: OverwriteGuardSetting,
}

/// `upload.overwrite_guard`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OverwriteGuardSetting {
    /// Probe the endpoint once when the uploader starts.
    #[default]
    Auto,
    /// `HeadObject` before every write, plus `If-None-Match: *`.
    HeadFirst,
    /// `If-None-Match: *` alone.
    IfNoneMatch,
}

impl Default for UploadConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            max_requests_in_flight: 8,
            multipart_threshold_mib: 32,
            part_size_mib: None,
            orphan_min_age_hours: 24,
            bandwidth_limit_mib_per_sec: None,
            shutdown_grace_secs: 20,
            overwrite_guard: OverwriteGuardSetting::Auto,
        }
    }
}

/// The headless daemon (`lightbox run`) as an operator sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonConfig {
    /// Serve `/health` and Prometheus `/metrics` here (loopback only, e.g.
    /// `"127.0.0.1:9464"`). Unset: not served.
    pub listen: Option<std::net::SocketAddr>,
    /// Write the metrics as CloudWatch Embedded Metric Format documents on stdout, one per
    /// line, every `emf_interval_secs` and at shutdown (logs stay on stderr).
    pub emf: bool,
    /// Seconds between two rounds of EMF lines (60: CloudWatch's standard resolution).
    pub emf_interval_secs: u64,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        Self {
            listen: None,
            emf: false,
            emf_interval_secs: 60,
        }
    }
}

/// The desktop app's own preferences (its Settings screen; the daemon ignores them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DesktopConfig {
    /// Start the app (in the tray) when the user logs in.
    pub autostart: bool,
    /// Notify when the queue has drained after a batch of uploads.
    pub notify_on_batch: bool,
    /// Notify when a file fails.
    pub notify_on_failure: bool,
}

impl Default for DesktopConfig {
    fn default() -> Self {
        Self {
            autostart: false,
            notify_on_batch: true,
            notify_on_failure: true,
        }
    }
}

/// Thumbnails and screen previews made after an original is verified (the engine's previewer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PreviewConfig {
    /// Make previews. `false` (for benchmarks of raw upload speed): a verified original is
    /// `done` at once and gets no preview, not even later.
    pub enabled: bool,
    /// Previews made at once (each on a blocking thread: decoding is CPU-heavy). 0: one per
    /// core.
    pub workers: usize,
    /// How often (seconds) uploaded originals still without previews are looked for again:
    /// after a crash, a missed event, or a preview upload that failed.
    pub catchup_interval_secs: u64,
}

impl Default for PreviewConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            workers: 0,
            catchup_interval_secs: 60,
        }
    }
}

impl PreviewConfig {
    /// Previews made at once: `workers`, or one per core when it is 0.
    #[must_use]
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 {
            self.workers
        } else {
            std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
        }
    }
}

/// Where originals and previews go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// The studio's bucket. Required.
    pub bucket: String,
    /// AWS region of the bucket.
    pub region: String,
    /// Custom S3 endpoint (an S3-compatible server or the local stack). `None` means AWS.
    pub endpoint: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), needed by most S3-compatible servers.
    pub force_path_style: bool,
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            bucket: String::new(),
            region: "us-east-1".to_owned(),
            endpoint: None,
            force_path_style: false,
        }
    }
}

/// The shared photo index (docs/index.md). Here, not in `index/`, like `[storage]`: the
/// index client depends on the settings, so the settings may not depend on it.
/// `[index]` in the settings file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// The index table's name (Terraform's `index_table` output). `None`: no shared index.
    pub table: Option<String>,
    /// A custom DynamoDB endpoint (the local stack's moto). `None` means AWS. The storage
    /// endpoint cannot serve: on the local stack it is Garage, which has no DynamoDB.
    pub endpoint: Option<String>,
    /// The table's region, when it is not the bucket's (`[storage] region`).
    pub region: Option<String>,
    /// The AWS profile for the index's credentials, when they are not the bucket's: on the
    /// local stack the bucket's keys are Garage's, which moto's DynamoDB does not know. Only
    /// with `[auth] credentials = "default-chain"`; `None`: the bucket's credentials.
    pub profile: Option<String>,
}

/// How Lightbox gets AWS credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub credentials: CredentialSource,
    /// Named profile in the shared AWS config files, for `credentials = "default-chain"`.
    pub profile: Option<String>,
    pub cognito: crate::auth::CognitoConfig,
}

/// The source of the AWS credentials used for S3.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialSource {
    /// The default AWS chain: environment, shared profile, ECS task role, instance
    /// profile. What the headless daemon uses on a server with an IAM role.
    #[default]
    DefaultChain,
    /// The signed-in user's identity-pool credentials (`lightbox login` first): what the
    /// desktop app and a daemon running as a user use. The role follows the user's group.
    Cognito,
}

/// A loaded configuration and the file it came from.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    pub config: Config,
    /// The file that was read, or would be read if it existed.
    pub path: PathBuf,
    /// Whether that file existed.
    pub file_found: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "config file {0} does not exist: check the path, or run without --config to use {default}",
        default = default_config_path().map_or_else(|| "the defaults".to_owned(), |p| p.display().to_string())
    )]
    Missing(PathBuf),
    #[error("config in {path} is invalid: {source}. Fix that setting (see config.example.toml)")]
    Invalid {
        path: PathBuf,
        #[source]
        source: Box<figment::Error>,
    },
    #[error("setting `{field}` is not set: {hint}")]
    Unset { field: &'static str, hint: String },
    #[error(
        "no home directory found to place the config in: pass --config PATH or set {CONFIG_ENV}"
    )]
    NoHome,
    #[error(
        "state directory {path} cannot be created ({source}): set state_dir to a writable directory"
    )]
    StateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The platform data directory for the catalog (`~/.local/share/lightbox` on Linux).
#[must_use]
pub fn default_state_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lightbox").map(|d| d.data_local_dir().to_path_buf())
}

/// The platform config file (`~/.config/lightbox/config.toml` on Linux).
#[must_use]
pub fn default_config_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lightbox").map(|d| d.config_dir().join("config.toml"))
}

impl Config {
    /// Load defaults, then the file, then `LIGHTBOX_*` variables.
    ///
    /// An explicitly named file (argument or `LIGHTBOX_CONFIG`) must exist; the
    /// platform default may be absent, in which case defaults apply.
    pub fn load(explicit: Option<&Path>) -> Result<LoadedConfig, ConfigError> {
        let env_path = std::env::var_os(CONFIG_ENV).map(PathBuf::from);
        let (path, must_exist) = match explicit.map(Path::to_path_buf).or(env_path) {
            Some(p) => (p, true),
            None => (default_config_path().ok_or(ConfigError::NoHome)?, false),
        };
        let file_found = path.is_file();
        if must_exist && !file_found {
            return Err(ConfigError::Missing(path));
        }
        let config = Self::figment(&path)
            .extract()
            .map_err(|e| ConfigError::Invalid {
                path: path.clone(),
                source: Box::new(e),
            })?;
        Ok(LoadedConfig {
            config,
            path,
            file_found,
        })
    }

    /// Parse one TOML document on top of the defaults, without the environment.
    pub fn from_toml_str(text: &str) -> Result<Self, Box<figment::Error>> {
        Figment::from(Serialized::defaults(Self::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(Box::new)
    }

    fn figment(path: &Path) -> Figment {
        Figment::from(Serialized::defaults(Self::default()))
            .merge(Toml::file_exact(path))
            // Only nested keys (`LIGHTBOX_SECTION__KEY`) and the top-level `state_dir` are
            // settings, so that `LIGHTBOX_CONFIG` and the scripts' own variables are not
            // mistaken for one.
            .merge(
                Env::prefixed("LIGHTBOX_")
                    .filter(|k| k.as_str().contains("__") || k == "state_dir")
                    .split("__"),
            )
    }

    /// The directory for the catalog and local state, created 0700 if missing (it holds the
    /// catalog and, without a keyring, the refresh token).
    pub fn state_dir(&self) -> Result<PathBuf, ConfigError> {
        let dir = self
            .state_dir
            .clone()
            .or_else(default_state_dir)
            .ok_or(ConfigError::NoHome)?;
        crate::private_fs::create_dir_all(&dir).map_err(|source| ConfigError::StateDir {
            path: dir.clone(),
            source,
        })?;
        Ok(dir)
    }

    /// Check what every S3 operation needs. The error names the field and says how to set it.
    pub fn require_storage(&self) -> Result<&StorageConfig, ConfigError> {
        if self.storage.bucket.trim().is_empty() {
            return Err(ConfigError::Unset {
                field: "storage.bucket",
                hint: "set `bucket = \"...\"` under [storage] in the config file, \
                       or LIGHTBOX_STORAGE__BUCKET"
                    .to_owned(),
            });
        }
        Ok(&self.storage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses_and_sets_every_section() {
        let text = include_str!("../config.example.toml");
        let config = Config::from_toml_str(text).expect("the shipped example must parse");
        assert_eq!(
            config.storage.bucket, "studio-photos",
            "example names a bucket"
        );
        assert!(
            config.storage.endpoint.is_none(),
            "example targets AWS by default"
        );
        assert_eq!(config.auth.credentials, CredentialSource::DefaultChain);
        assert_eq!(
            config.upload,
            UploadConfig::default(),
            "the example shows the upload defaults"
        );
        assert_eq!(
            config.previews,
            PreviewConfig::default(),
            "the example shows the preview defaults"
        );
        assert_eq!(
            config.desktop,
            DesktopConfig::default(),
            "the example shows the desktop defaults"
        );
        assert_eq!(
            config.index,
            IndexConfig::default(),
            "the example names no index table"
        );
    }

    #[test]
    fn unknown_field_is_rejected_with_its_name() {
        let err = Config::from_toml_str("[storage]\nbukket = \"x\"\n").expect_err("typo must fail");
        assert!(
            err.to_string().contains("bukket"),
            "error names the bad field: {err}"
        );
    }

    #[test]
    fn missing_bucket_names_the_field() {
        let err = Config::default()
            .require_storage()
            .expect_err("no bucket by default");
        assert!(err.to_string().contains("storage.bucket"), "{err}");
    }

    #[test]
    fn explicit_missing_file_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = Config::load(Some(&dir.path().join("nope.toml"))).expect_err("must fail");
        assert!(matches!(err, ConfigError::Missing(_)), "{err}");
    }

    #[test]
    fn file_values_override_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.toml");
        std::fs::write(
            &path,
            "[storage]\nbucket = \"b\"\nforce_path_style = true\n",
        )
        .expect("write");
        let loaded = Config::load(Some(&path)).expect("loads");
        assert!(loaded.file_found);
        assert_eq!(loaded.config.storage.bucket, "b");
        assert!(loaded.config.storage.force_path_style);
        assert_eq!(
            loaded.config.storage.region, "us-east-1",
            "unset keys keep defaults"
        );
    }

    #[test]
    fn an_absent_index_section_means_no_shared_index_and_unknown_fields_are_refused() {
        let empty: IndexConfig = toml::from_str("").expect("an empty section reads");
        assert_eq!(empty.table, None, "no table named: no shared index");
        let named: IndexConfig =
            toml::from_str("table = \"lightbox-index\"\nendpoint = \"http://127.0.0.1:5000\"")
                .expect("a table and an endpoint read");
        assert_eq!(named.table.as_deref(), Some("lightbox-index"));
        assert_eq!(named.endpoint.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(named.profile, None, "the bucket's credentials unless named");
        assert!(
            toml::from_str::<IndexConfig>("tabel = \"x\"").is_err(),
            "a misspelt key is refused, not ignored"
        );
    }
}
