//! Gathering the facts: config, state dir, credentials, a probe object in the bucket
//! (put, read back, delete), the S3 server's clock (its `Date` header), inotify limits
//! and free disk.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_s3::config::interceptors::BeforeDeserializationInterceptorContextRef;
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::{BoxError, ProvideErrorMetadata};
use aws_sdk_s3::primitives::ByteStream;

use super::verdict::{self, Check};
use sync_core::catalog::Catalog;
use sync_core::config::Config;
use sync_core::engine::CATALOG_FILE;

/// What the doctor looks at.
#[derive(Debug, Clone)]
pub struct DoctorInput {
    pub config: Config,
    /// The config file in use, and whether it exists.
    pub config_path: PathBuf,
    pub config_found: bool,
    /// This machine's name, for the probe object's key.
    pub host: String,
}

/// Run every check, in order. Checks that depend on a failed one are left out.
/// (Credentials are checked by the bucket probe: the SDK resolves them on the first
/// request, and a probe failure that is about credentials is reported as such.)
pub async fn run_checks(input: &DoctorInput) -> Vec<Check> {
    let mut checks = Vec::new();
    let config = &input.config;
    let storage = match config.require_storage() {
        Ok(storage) => {
            let where_ = storage.endpoint.as_deref().unwrap_or("AWS");
            checks.push(Check::ok(
                "config",
                format!(
                    "{}: bucket {} in {} ({where_})",
                    found(&input.config_path, input.config_found),
                    storage.bucket,
                    storage.region
                ),
            ));
            Some(storage)
        }
        Err(e) => {
            checks.push(Check::fail(
                "config",
                format!("{}: {e}", found(&input.config_path, input.config_found)),
                format!(
                    "edit {} (see config.example.toml), or run `lightbox config import-terraform`",
                    input.config_path.display()
                ),
            ));
            None
        }
    };

    match config.state_dir() {
        Ok(dir) => {
            checks.push(disk_check(&dir));
            checks.push(inotify_check(&dir.join(CATALOG_FILE)));
        }
        Err(e) => checks.push(Check::fail(
            "state_dir",
            e.to_string(),
            "set state_dir to a writable directory",
        )),
    }

    let Some(storage) = storage else {
        return checks;
    };
    let state_dir = config.state_dir().unwrap_or_default();
    let client = sync_core::s3_client::build_s3_client(storage, &config.auth, &state_dir).await;
    let date = DateHeader::default();
    let client = aws_sdk_s3::Client::from_conf(
        client
            .config()
            .to_builder()
            .interceptor(date.clone())
            .build(),
    );

    checks.extend(bucket_probe(&client, &storage.bucket, &input.host).await);
    checks.push(super::index_probe::index_check(config, storage, &state_dir).await);
    if let Some(server) = date.get() {
        let local = jiff::Timestamp::now();
        checks.push(verdict::clock_skew(server.as_second() - local.as_second()));
    }
    checks
}

fn found(path: &Path, exists: bool) -> String {
    if exists {
        format!("config {}", path.display())
    } else {
        format!(
            "no config file at {} (defaults and environment only)",
            path.display()
        )
    }
}

fn disk_check(dir: &Path) -> Check {
    match fs4::available_space(dir) {
        Ok(bytes) => verdict::free_disk(&dir.display().to_string(), bytes),
        Err(e) => Check::fail(
            "free_disk",
            format!("cannot read free space at {}: {e}", dir.display()),
            "check that state_dir exists and is readable",
        ),
    }
}

fn inotify_check(catalog: &Path) -> Check {
    const LIMIT: &str = "/proc/sys/fs/inotify/max_user_watches";
    let Ok(Ok(limit)) = std::fs::read_to_string(LIMIT).map(|s| s.trim().parse::<u64>()) else {
        return Check::warn(
            "inotify_watches",
            format!("{LIMIT} is unreadable"),
            "run on Linux, or check /proc",
        );
    };
    let folders = if catalog.exists() {
        Catalog::open(catalog)
            .and_then(|c| c.list_folders())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let directories: u64 = folders
        .iter()
        .filter(|f| f.enabled)
        .map(|f| {
            walkdir::WalkDir::new(&f.path)
                .into_iter()
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_dir())
                .count() as u64
        })
        .sum();
    verdict::inotify_watches(limit, directories)
}

async fn bucket_probe(client: &aws_sdk_s3::Client, bucket: &str, host: &str) -> Vec<Check> {
    const NAME: &str = "bucket_access";
    // Under originals/ and with If-None-Match, as every write of an original: the staff and
    // daemon roles may create nothing else. One key per machine, so later runs find it (412:
    // the server kept it, as it must) instead of leaving one object a run where they may not
    // delete.
    let key = format!("originals/.lightbox/doctor/{host}");
    let body = format!("lightbox doctor probe from {host}\n");
    let fix_put = format!(
        "the credentials need s3:PutObject with If-None-Match on arn:aws:s3:::{bucket}/originals/* \
         (infra/ grants it); check storage.bucket, storage.endpoint and storage.region"
    );
    let put = client
        .put_object()
        .bucket(bucket)
        .key(&key)
        .if_none_match("*")
        .body(ByteStream::from(body.clone().into_bytes()))
        .send()
        .await;
    // 412: an earlier run's probe is there and the server refused to overwrite it.
    if let Err(e) = &put
        && !sync_core::upload::is_precondition_failed(e)
    {
        let error = short_error(e);
        // Credentials are resolved on the first request: a failure to find any shows
        // up here, and deserves its own advice.
        if is_missing_credentials(e) {
            return vec![Check::fail(
                "credentials",
                format!("no usable AWS credentials: {error}"),
                "on a server, attach the daemon role (infra/modules/daemon_role) or set AWS_PROFILE; \
                 on a desktop, run `lightbox login`",
            )];
        }
        if matches!(
            e.as_service_error().and_then(ProvideErrorMetadata::code),
            Some("NoSuchBucket")
        ) {
            return vec![Check::fail(
                NAME,
                format!("bucket {bucket} does not exist at this endpoint"),
                "fix storage.bucket (and storage.endpoint/region), or create the bucket with infra/",
            )];
        }
        return vec![Check::fail(
            NAME,
            format!("cannot write to bucket {bucket}: {error}"),
            fix_put,
        )];
    }
    let read = match client.get_object().bucket(bucket).key(&key).send().await {
        Ok(out) => out
            .body
            .collect()
            .await
            .map(|b| b.into_bytes().to_vec())
            .ok(),
        Err(e) => {
            return vec![Check::fail(
                NAME,
                format!("wrote {key} but cannot read it back: {}", short_error(&e)),
                format!("the credentials need s3:GetObject on arn:aws:s3:::{bucket}/originals/*"),
            )];
        }
    };
    if read.as_deref() != Some(body.as_bytes()) {
        return vec![Check::fail(
            NAME,
            format!("{key} read back differs from what was written"),
            "check the endpoint: something between this machine and S3 alters objects",
        )];
    }
    match client.delete_object().bucket(bucket).key(&key).send().await {
        Ok(_) => vec![Check::ok(
            NAME,
            format!("put, read back and deleted {key} in {bucket}"),
        )],
        // Staff and daemon roles may not delete: the probe stays, and the next run finds it.
        Err(e) => vec![Check::ok(
            NAME,
            format!(
                "put (If-None-Match) and read back {key} in {bucket}; it stays, as this role may not \
                 delete ({})",
                short_error(&e)
            ),
        )],
    }
}

/// Whether `e` is a failure to find credentials: the SDK's typed [`CredentialsError`] is among
/// its causes (a refused key, `InvalidAccessKeyId`, is a service error instead).
fn is_missing_credentials(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(error) = cause {
        if error.downcast_ref::<CredentialsError>().is_some() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// A service error as `Code: message`; anything else (no connection, no credentials)
/// with its chain of causes.
pub(super) fn short_error<E, R>(e: &aws_sdk_s3::error::SdkError<E, R>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e
        .as_service_error()
        .and_then(|s| s.code().map(|c| (c, s.message())))
    {
        Some((code, message)) => format!("{code}: {}", message.unwrap_or("no message")),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                text.push_str(": ");
                text.push_str(&cause.to_string());
                source = cause.source();
            }
            text
        }
    }
}

/// Remembers the `Date` header of the first response, for the clock-skew check.
#[derive(Debug, Default, Clone)]
struct DateHeader(Arc<Mutex<Option<jiff::Timestamp>>>);

impl DateHeader {
    fn get(&self) -> Option<jiff::Timestamp> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Intercept for DateHeader {
    fn name(&self) -> &'static str {
        "LightboxDoctorDateHeader"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.is_none() {
            *seen = context
                .response()
                .headers()
                .get("date")
                .and_then(|d| jiff::fmt::rfc2822::parse(d).ok())
                .map(|z| z.timestamp());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_s3::config::http::HttpResponse;
    use aws_sdk_s3::error::{ConnectorError, ErrorMetadata, SdkError};
    use aws_sdk_s3::operation::put_object::PutObjectError;
    use aws_sdk_s3::primitives::SdkBody;

    use super::*;

    #[test]
    fn missing_credentials_are_recognized_by_type_among_the_causes() {
        type PutError = SdkError<PutObjectError, HttpResponse>;
        let refused = |code: &str| -> PutError {
            SdkError::service_error(
                PutObjectError::generic(
                    ErrorMetadata::builder()
                        .code(code)
                        .message("The AWS access key Id you provided does not exist (credentials)")
                        .build(),
                ),
                HttpResponse::new(403.try_into().expect("a status"), SdkBody::empty()),
            )
        };
        let cases: Vec<(PutError, bool, &str)> = vec![
            (
                SdkError::construction_failure(CredentialsError::not_loaded(
                    "no providers in chain provided credentials",
                )),
                true,
                "no credentials were found",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::other(
                    Box::new(CredentialsError::provider_error("the IMDS did not answer")),
                    None,
                )),
                true,
                "a provider failed, further down the causes",
            ),
            (
                refused("InvalidAccessKeyId"),
                false,
                "a refused key, though its text speaks of credentials",
            ),
            (
                SdkError::dispatch_failure(ConnectorError::io("connection refused".into())),
                false,
                "no connection",
            ),
        ];
        for (error, missing, why) in &cases {
            assert_eq!(is_missing_credentials(error), *missing, "{why}");
        }
    }
}
