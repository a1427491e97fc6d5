//! The setup check (`lightbox config check`): are the configured studio's pieces there? Run
//! before anyone is signed in, so each uses a request AWS answers without credentials.
//!
//! | check | request | passes on |
//! |---|---|---|
//! | user pool | GET its public keys (`<pool>/.well-known/jwks.json`) | 200 with keys (404: no such pool) |
//! | app client | `InitiateAuth` (SRP) for a user that does not exist | any answer but `ResourceNotFoundException` |
//! | identity pool | `GetId` without a login | `NotAuthorizedException` (it exists and has no guest access) |
//! | bucket | an unsigned `HEAD` of the bucket | 403 (it exists and is private; 404: none; 301: another region) |
//! | index table (when `[index] table` is set) | none: DynamoDB answers only signed requests | reported as not checked |
//!
//! What each answer means is a pure function of what was observed (`*_verdict`), tested
//! table-style; the requests are apart from them.

use aws_config::{BehaviorVersion, Region};
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

use crate::auth::srp::SrpClient;
use crate::config::Config;
use crate::sdk_failure::SdkFailure;

/// What is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    UserPool,
    AppClient,
    IdentityPool,
    Bucket,
    IndexTable,
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    /// Works, but something should be fixed (said in the detail).
    Warning,
    Failed,
    /// Could not be checked now (said why in the detail).
    NotChecked,
}

/// One check's result, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    pub check: Check,
    pub status: Status,
    pub detail: String,
}

impl CheckResult {
    fn new(check: Check, status: Status, detail: impl Into<String>) -> Self {
        Self {
            check,
            status,
            detail: detail.into(),
        }
    }
}

/// What one request saw: an HTTP status (or a service error code), or no answer at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The HTTP status of a plain request, with a header the verdict reads (the bucket's region).
    Http { status: u16, region: Option<String> },
    /// An AWS API's answer: `None` for success, else its error code.
    Api { error: Option<String> },
    /// No answer (connection refused, DNS, timeout), with the reason.
    Unreachable(String),
}

fn unreachable(check: Check, what: &str, why: &str) -> CheckResult {
    CheckResult::new(
        check,
        Status::Failed,
        format!("{what} could not be reached ({why}): check the network and the region"),
    )
}

/// The user pool's keys were fetched (pure).
#[must_use]
pub fn user_pool_verdict(pool: &str, seen: &Seen) -> CheckResult {
    let c = Check::UserPool;
    match seen {
        Seen::Http { status: 200, .. } => {
            CheckResult::new(c, Status::Passed, format!("User pool {pool} exists."))
        }
        Seen::Http {
            status: 404 | 400, ..
        } => CheckResult::new(
            c,
            Status::Failed,
            format!("There is no user pool {pool} in this region: check user_pool_id and region."),
        ),
        Seen::Http { status, .. } => CheckResult::new(
            c,
            Status::Failed,
            format!("The user pool's keys answered HTTP {status}."),
        ),
        Seen::Unreachable(why) => unreachable(c, "Cognito", why),
        Seen::Api { .. } => CheckResult::new(c, Status::Failed, "unexpected answer"),
    }
}

/// A sign-in was started for a user that does not exist (pure).
#[must_use]
pub fn app_client_verdict(client: &str, seen: &Seen) -> CheckResult {
    let c = Check::AppClient;
    match seen {
        Seen::Api { error: Some(code) } if code == "ResourceNotFoundException" => CheckResult::new(
            c,
            Status::Failed,
            format!("There is no app client {client}: check client_id."),
        ),
        Seen::Api { error: Some(code) } if code == "InvalidParameterException" => CheckResult::new(
            c,
            Status::Failed,
            format!(
                "App client {client} exists but does not allow SRP sign-in: add ALLOW_USER_SRP_AUTH (infra/modules/cognito does)."
            ),
        ),
        Seen::Api { .. } => CheckResult::new(
            c,
            Status::Passed,
            format!("App client {client} exists and allows sign-in."),
        ),
        Seen::Unreachable(why) => unreachable(c, "Cognito", why),
        Seen::Http { status, .. } => {
            CheckResult::new(c, Status::Failed, format!("unexpected HTTP {status}"))
        }
    }
}

/// An identity was asked for without a login (pure).
#[must_use]
pub fn identity_pool_verdict(pool: &str, seen: &Seen) -> CheckResult {
    let c = Check::IdentityPool;
    match seen {
        Seen::Api { error: Some(code) } if code == "NotAuthorizedException" => CheckResult::new(
            c,
            Status::Passed,
            format!("Identity pool {pool} answers, and gives nothing to someone not signed in."),
        ),
        Seen::Api { error: Some(code) } if code == "ResourceNotFoundException" => CheckResult::new(
            c,
            Status::Failed,
            format!("There is no identity pool {pool}: check identity_pool_id."),
        ),
        Seen::Api { error: None } => CheckResult::new(
            c,
            Status::Warning,
            format!(
                "Identity pool {pool} answers, but hands out identities to anyone: turn off unauthenticated access (infra/modules/identity does)."
            ),
        ),
        Seen::Api { error: Some(code) } => CheckResult::new(
            c,
            Status::Failed,
            format!("The identity pool answered {code}."),
        ),
        Seen::Unreachable(why) => unreachable(c, "The identity pool", why),
        Seen::Http { status, .. } => {
            CheckResult::new(c, Status::Failed, format!("unexpected HTTP {status}"))
        }
    }
}

/// The bucket was asked for without credentials (pure).
#[must_use]
pub fn bucket_verdict(bucket: &str, region: &str, seen: &Seen) -> CheckResult {
    let c = Check::Bucket;
    match seen {
        Seen::Http { status: 403, .. } => CheckResult::new(
            c,
            Status::Passed,
            format!("Bucket {bucket} exists and is private."),
        ),
        Seen::Http { status: 200, .. } => CheckResult::new(
            c,
            Status::Warning,
            format!(
                "Bucket {bucket} exists but anyone can list it: block public access (infra/modules/storage does)."
            ),
        ),
        Seen::Http { status: 404, .. } => CheckResult::new(
            c,
            Status::Failed,
            format!("There is no bucket {bucket}: check bucket."),
        ),
        Seen::Http {
            status: 301 | 400,
            region: Some(other),
        } if other != region => CheckResult::new(
            c,
            Status::Failed,
            format!("Bucket {bucket} is in {other}, not {region}: check region."),
        ),
        Seen::Http { status, .. } => CheckResult::new(
            c,
            Status::Failed,
            format!("Bucket {bucket} answered HTTP {status}."),
        ),
        Seen::Unreachable(why) => unreachable(c, "The bucket", why),
        Seen::Api { .. } => CheckResult::new(c, Status::Failed, "unexpected answer"),
    }
}

/// Whether every check that can fail the setup passed (warnings and "not checked" do not).
#[must_use]
pub fn ready(results: &[CheckResult]) -> bool {
    results.iter().all(|r| r.status != Status::Failed)
}

fn http_seen(result: Result<reqwest::Response, reqwest::Error>) -> Seen {
    match result {
        Ok(r) => Seen::Http {
            status: r.status().as_u16(),
            region: r
                .headers()
                .get("x-amz-bucket-region")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        },
        Err(e) => Seen::Unreachable(e.to_string()),
    }
}

fn api_seen<T, E: ProvideErrorMetadata>(result: Result<T, SdkError<E, HttpResponse>>) -> Seen {
    match result {
        Ok(_) => Seen::Api { error: None },
        Err(e) => {
            let failure = SdkFailure::of(&e);
            if failure.is_unreachable() {
                Seen::Unreachable(failure.to_string())
            } else {
                Seen::Api {
                    error: Some(e.code().unwrap_or("an unknown error").to_owned()),
                }
            }
        }
    }
}

/// A setting the check needs, or the failed result that says it is missing.
fn setting<'a>(
    value: Option<&'a String>,
    check: Check,
    name: &str,
) -> Result<&'a str, CheckResult> {
    value
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            CheckResult::new(
                check,
                Status::Failed,
                format!("The setting {name} is not set: run `lightbox config import-terraform`, or set it."),
            )
        })
}

/// Run every check of `config`'s studio (its endpoints too: the local stack's).
pub async fn run(config: &Config) -> Vec<CheckResult> {
    let cognito = &config.auth.cognito;
    let region = cognito
        .region()
        .unwrap_or_else(|| config.storage.region.clone());
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .unwrap_or_default();
    let shared = aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region.clone()))
        .no_credentials()
        .load()
        .await;
    let mut results = Vec::new();

    results.push(
        match setting(
            cognito.user_pool_id.as_ref(),
            Check::UserPool,
            "auth.cognito.user_pool_id",
        ) {
            Ok(pool) => {
                // The keys of this pool id, where the endpoint serves them (not `jwks_url`,
                // which need not name the pool).
                let base = cognito
                    .idp_endpoint
                    .clone()
                    .unwrap_or_else(|| format!("https://cognito-idp.{region}.amazonaws.com"));
                let jwks = format!(
                    "{}/{pool}/.well-known/jwks.json",
                    base.trim_end_matches('/')
                );
                user_pool_verdict(pool, &http_seen(http.get(&jwks).send().await))
            }
            Err(missing) => missing,
        },
    );

    results.push(
        match setting(
            cognito.client_id.as_ref(),
            Check::AppClient,
            "auth.cognito.client_id",
        ) {
            Ok(client_id) => {
                let mut idp = aws_sdk_cognitoidentityprovider::config::Builder::from(&shared);
                if let Some(endpoint) = &cognito.idp_endpoint {
                    idp = idp.endpoint_url(endpoint);
                }
                let srp = SrpClient::new();
                let started = aws_sdk_cognitoidentityprovider::Client::from_conf(idp.build())
                    .initiate_auth()
                    .client_id(client_id)
                    .auth_flow(AuthFlowType::UserSrpAuth)
                    .auth_parameters("USERNAME", "lightbox-setup-check")
                    .auth_parameters("SRP_A", srp.srp_a())
                    .send()
                    .await;
                app_client_verdict(client_id, &api_seen(started))
            }
            Err(missing) => missing,
        },
    );

    results.push(
        match setting(
            cognito.identity_pool_id.as_ref(),
            Check::IdentityPool,
            "auth.cognito.identity_pool_id",
        ) {
            Ok(identity_pool_id) => {
                let mut identity = aws_sdk_cognitoidentity::config::Builder::from(&shared);
                if let Some(endpoint) = &cognito.identity_endpoint {
                    identity = identity.endpoint_url(endpoint);
                }
                let got = aws_sdk_cognitoidentity::Client::from_conf(identity.build())
                    .get_id()
                    .identity_pool_id(identity_pool_id)
                    .send()
                    .await;
                identity_pool_verdict(identity_pool_id, &api_seen(got))
            }
            Err(missing) => missing,
        },
    );

    let storage = &config.storage;
    results.push(
        match setting(Some(&storage.bucket), Check::Bucket, "storage.bucket") {
            Ok(bucket) => {
                let url = match &storage.endpoint {
                    Some(endpoint) => format!("{}/{bucket}", endpoint.trim_end_matches('/')),
                    None => format!("https://{bucket}.s3.{}.amazonaws.com/", storage.region),
                };
                bucket_verdict(
                    bucket,
                    &storage.region,
                    &http_seen(http.head(&url).send().await),
                )
            }
            Err(missing) => missing,
        },
    );

    if let Some(table) = &config.index.table {
        results.push(CheckResult::new(
            Check::IndexTable,
            Status::NotChecked,
            format!("Index table {table}: DynamoDB answers only signed-in requests, so `lightbox doctor` checks it with your credentials."),
        ));
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http(status: u16) -> Seen {
        Seen::Http {
            status,
            region: None,
        }
    }

    fn api(code: Option<&str>) -> Seen {
        Seen::Api {
            error: code.map(str::to_owned),
        }
    }

    #[test]
    fn verdicts_table() {
        let cases: Vec<(CheckResult, Status, &str)> = vec![
            (user_pool_verdict("p", &http(200)), Status::Passed, "exists"),
            (
                user_pool_verdict("p", &http(404)),
                Status::Failed,
                "no user pool p",
            ),
            (
                user_pool_verdict("p", &Seen::Unreachable("refused".into())),
                Status::Failed,
                "could not be reached (refused)",
            ),
            (
                app_client_verdict("c", &api(Some("UserNotFoundException"))),
                Status::Passed,
                "exists",
            ),
            (
                app_client_verdict("c", &api(Some("NotAuthorizedException"))),
                Status::Passed,
                "exists",
            ),
            (
                app_client_verdict("c", &api(None)),
                Status::Passed,
                "exists",
            ),
            (
                app_client_verdict("c", &api(Some("ResourceNotFoundException"))),
                Status::Failed,
                "no app client c",
            ),
            (
                app_client_verdict("c", &api(Some("InvalidParameterException"))),
                Status::Failed,
                "ALLOW_USER_SRP_AUTH",
            ),
            (
                identity_pool_verdict("i", &api(Some("NotAuthorizedException"))),
                Status::Passed,
                "gives nothing",
            ),
            (
                identity_pool_verdict("i", &api(Some("ResourceNotFoundException"))),
                Status::Failed,
                "no identity pool i",
            ),
            (
                identity_pool_verdict("i", &api(None)),
                Status::Warning,
                "unauthenticated access",
            ),
            (
                bucket_verdict("b", "eu-west-1", &http(403)),
                Status::Passed,
                "private",
            ),
            (
                bucket_verdict("b", "eu-west-1", &http(404)),
                Status::Failed,
                "no bucket b",
            ),
            (
                bucket_verdict("b", "eu-west-1", &http(200)),
                Status::Warning,
                "block public access",
            ),
            (
                bucket_verdict(
                    "b",
                    "eu-west-1",
                    &Seen::Http {
                        status: 301,
                        region: Some("us-east-1".into()),
                    },
                ),
                Status::Failed,
                "is in us-east-1, not eu-west-1",
            ),
        ];
        for (result, status, words) in cases {
            assert_eq!(result.status, status, "{result:?}");
            assert!(result.detail.contains(words), "{words:?} in {result:?}");
        }
    }

    #[test]
    fn only_a_failure_stops_the_setup() {
        let r = |status| CheckResult::new(Check::Bucket, status, "");
        assert!(ready(&[
            r(Status::Passed),
            r(Status::Warning),
            r(Status::NotChecked)
        ]));
        assert!(!ready(&[r(Status::Passed), r(Status::Failed)]));
    }
}
