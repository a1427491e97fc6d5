//! The fault proxy between aws-sdk-s3 and Garage: transparent when told to be,
//! and each fault reaching the client as the error class the engine's retry
//! policy must handle. The SDK's own retries are off, so one call is one request.

use std::time::Duration;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::operation::head_object::HeadObjectError;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use lightbox_tests::fault_proxy::{
    Fault, FaultKind, FaultPlan, FaultProxy, RandomFaults, RequestMatcher, S3Operation,
};
use lightbox_tests::stack;
use rand::RngCore;
use sha2::{Digest, Sha256};

const MIB: usize = 1024 * 1024;

async fn proxy_to_garage() -> FaultProxy {
    FaultProxy::start(&stack().info.garage.endpoint)
        .await
        .expect("the proxy starts in front of Garage")
}

/// A client through the proxy with no SDK retries. The operation timeout only
/// guards against a hang; no assertion depends on time.
fn client_without_retries(proxy: &FaultProxy) -> aws_sdk_s3::Client {
    let conf = stack()
        .garage_s3_config_via(&proxy.endpoint())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(120))
                .build(),
        )
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// What the client saw of one call, in the classes a retry policy tells apart.
/// The details are only printed (through `Debug`) when an assertion fails.
#[derive(Debug)]
#[allow(dead_code)]
enum Outcome {
    Ok,
    Service {
        status: u16,
        code: Option<String>,
        request_id: Option<String>,
    },
    /// The request could not be sent or no response head arrived (I/O).
    Dispatch(String),
    /// A response arrived but could not be read or parsed.
    Response(String),
    Other(String),
}

fn outcome<T, E>(result: &Result<T, SdkError<E, HttpResponse>>) -> Outcome
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let Err(err) = result else {
        return Outcome::Ok;
    };
    let detail = DisplayErrorContext(err).to_string();
    match err {
        SdkError::ServiceError(service) => Outcome::Service {
            status: service.raw().status().as_u16(),
            code: service.err().code().map(str::to_owned),
            request_id: service
                .raw()
                .headers()
                .get("x-amz-request-id")
                .map(str::to_owned),
        },
        SdkError::DispatchFailure(_) => Outcome::Dispatch(detail),
        SdkError::ResponseError(_) => Outcome::Response(detail),
        _ => Outcome::Other(detail),
    }
}

async fn put(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
    body: Vec<u8>,
) -> Result<
    aws_sdk_s3::operation::put_object::PutObjectOutput,
    SdkError<aws_sdk_s3::operation::put_object::PutObjectError, HttpResponse>,
> {
    client
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(body))
        .send()
        .await
}

/// Whether Garage holds `key`, asked directly (not through the proxy).
async fn garage_has(bucket: &str, key: &str) -> bool {
    match stack()
        .garage_s3()
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
    {
        Ok(_) => true,
        Err(e)
            if e.as_service_error()
                .is_some_and(HeadObjectError::is_not_found) =>
        {
            false
        }
        Err(e) => panic!(
            "Garage could not say whether {key} exists: {}",
            DisplayErrorContext(e)
        ),
    }
}

async fn get_direct(bucket: &str, key: &str) -> Vec<u8> {
    stack()
        .garage_s3()
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("Garage serves the object")
        .body
        .collect()
        .await
        .expect("the body arrives whole")
        .to_vec()
}

#[tokio::test]
async fn fault_proxy_pass_through_is_transparent_to_signed_s3_traffic() {
    let s = stack();
    let proxy = proxy_to_garage().await;
    let bucket = s.fresh_garage_bucket("fault-pass").await;
    let via = client_without_retries(&proxy);

    // An in-memory body goes with a plain Content-Length and the checksum in a header.
    let whole = random_bytes(8 * MIB);
    put(&via, &bucket, "whole.bin", whole.clone())
        .await
        .unwrap_or_else(|e| {
            panic!(
                "Garage accepts a SigV4 PUT through the proxy: {}",
                DisplayErrorContext(e)
            )
        });
    let back = via
        .get_object()
        .bucket(&bucket)
        .key("whole.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET through the proxy: {}", DisplayErrorContext(e)))
        .body
        .collect()
        .await
        .expect("the body arrives whole")
        .to_vec();
    assert_eq!(
        sha256(&back),
        sha256(&whole),
        "what comes back through the proxy is what went in"
    );

    // Multipart, as the engine uploads large files.
    let parts = [random_bytes(5 * MIB), random_bytes(MIB)];
    let upload_id = via
        .create_multipart_upload()
        .bucket(&bucket)
        .key("multi.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateMultipartUpload: {}", DisplayErrorContext(e)))
        .upload_id
        .expect("an upload id");
    let mut completed = Vec::new();
    for (n, part) in (1..).zip(&parts) {
        let etag = via
            .upload_part()
            .bucket(&bucket)
            .key("multi.bin")
            .upload_id(&upload_id)
            .part_number(n)
            .body(ByteStream::from(part.clone()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("UploadPart {n}: {}", DisplayErrorContext(e)))
            .e_tag
            .expect("an ETag");
        completed.push(CompletedPart::builder().part_number(n).e_tag(etag).build());
    }
    via.complete_multipart_upload()
        .bucket(&bucket)
        .key("multi.bin")
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("CompleteMultipartUpload: {}", DisplayErrorContext(e)));
    assert_eq!(
        sha256(&get_direct(&bucket, "multi.bin").await),
        sha256(&parts.concat())
    );

    let stats = proxy.stats();
    assert_eq!(stats.faults_total(), 0, "an empty plan injects nothing");
    assert_eq!(
        stats.connection_errors, 0,
        "no connection failed: {:?}",
        stats.errors
    );
    assert!(
        stats
            .log
            .iter()
            .all(|r| r.upstream_status.is_some_and(|s| (200..300).contains(&s))),
        "every request reached Garage and succeeded: {:#?}",
        stats.log
    );
    let record = |key: &str, op: S3Operation| {
        stats
            .log
            .iter()
            .find(|r| r.request.operation == op && r.request.target.contains(key))
            .unwrap_or_else(|| panic!("a {op} of {key} in the log"))
    };
    assert_eq!(
        record("whole.bin", S3Operation::PutObject).body_bytes_forwarded,
        8 * 1024 * 1024,
        "a plain body is forwarded byte for byte, nothing more"
    );
    assert_eq!(
        stats.forwarded_for(S3Operation::UploadPart),
        6 * 1024 * 1024,
        "both parts went up exactly once"
    );
    assert_eq!(stats.requests_of(S3Operation::UploadPart), 2);
    assert_eq!(
        stats.request_body_bytes_received, stats.request_body_bytes_forwarded,
        "without faults every byte read from the client goes upstream"
    );
    assert_eq!(
        stats.forwarded_by_method.get("PUT").copied().unwrap_or(0)
            + stats.forwarded_by_method.get("POST").copied().unwrap_or(0),
        stats.request_body_bytes_forwarded,
        "bodies went only with PUT and POST"
    );

    // A file body goes aws-chunked: signed chunks and a checksum trailer. Garage
    // 2.5 refuses that framing ("Invalid payload signature") even without the
    // proxy; what must hold is that the proxy changes nothing about the answer.
    let streamed = random_bytes(3 * MIB);
    let file = tempfile::NamedTempFile::new().expect("a temp file");
    std::fs::write(file.path(), &streamed).expect("the temp file is writable");
    let put_file = |client: aws_sdk_s3::Client, key: &'static str| {
        let (bucket, path) = (bucket.clone(), file.path().to_owned());
        async move {
            client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from_path(path).await.expect("the file opens"))
                .send()
                .await
        }
    };
    let through = verdict(&outcome(&put_file(via.clone(), "streamed-via.bin").await));
    let direct = verdict(&outcome(
        &put_file(s.garage_s3(), "streamed-direct.bin").await,
    ));
    assert_eq!(
        through, direct,
        "an aws-chunked PUT gets the same answer from Garage through the proxy as without it"
    );
    if direct == "ok" {
        assert_eq!(
            sha256(&get_direct(&bucket, "streamed-via.bin").await),
            sha256(&streamed)
        );
    }
    proxy.shutdown().await;
}

/// An outcome without the parts that differ between two equal answers (request ids).
fn verdict(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok => "ok".to_owned(),
        Outcome::Service { status, code, .. } => format!("service error {status} {code:?}"),
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn fault_proxy_error_replies_reach_the_sdk_with_their_s3_codes() {
    let s = stack();
    let proxy = proxy_to_garage().await;
    let bucket = s.fresh_garage_bucket("fault-codes").await;
    let via = client_without_retries(&proxy);
    let cases = [
        (Fault::ServerError500, 500, "InternalError"),
        (Fault::SlowDown503, 503, "SlowDown"),
        (Fault::ExpiredToken, 400, "ExpiredToken"),
        (Fault::RequestTimeTooSkewed, 403, "RequestTimeTooSkewed"),
    ];
    for (fault, expected_status, expected_code) in cases {
        let key = format!("{expected_code}.bin");
        proxy.inject(
            RequestMatcher::any().operation(S3Operation::PutObject),
            fault,
        );
        match outcome(&put(&via, &bucket, &key, random_bytes(64 * 1024)).await) {
            Outcome::Service {
                status,
                code,
                request_id,
            } => {
                assert_eq!(status, expected_status);
                assert_eq!(
                    code.as_deref(),
                    Some(expected_code),
                    "the SDK parsed the XML code"
                );
                assert!(
                    request_id.is_some_and(|id| id.starts_with("LBFP")),
                    "the reply carries the proxy's x-amz-request-id"
                );
            }
            other => panic!("{fault:?} should be a service error {expected_code}, got {other:?}"),
        }
        assert!(
            !garage_has(&bucket, &key).await,
            "an error reply is made up: Garage never saw {key}"
        );
    }
    put(&via, &bucket, "after.bin", random_bytes(1024))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "with the queue empty a PUT goes through: {}",
                DisplayErrorContext(e)
            )
        });

    let stats = proxy.stats();
    for kind in [
        FaultKind::ServerError500,
        FaultKind::SlowDown503,
        FaultKind::ExpiredToken,
        FaultKind::RequestTimeTooSkewed,
    ] {
        assert_eq!(stats.faults_of(kind), 1, "{kind:?} was injected once");
    }
    assert_eq!(
        stats.forwarded_for(S3Operation::PutObject),
        1024,
        "only the last PUT's body went upstream; the faulted bodies were read and dropped"
    );
    assert_eq!(stats.request_body_bytes_received, 4 * 64 * 1024 + 1024);
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_resets_are_dispatch_failures_before_or_after_garage_acts() {
    let s = stack();
    let proxy = proxy_to_garage().await;
    let bucket = s.fresh_garage_bucket("fault-reset").await;
    let via = client_without_retries(&proxy);
    let when = RequestMatcher::any().operation(S3Operation::PutObject);

    proxy.inject(when.clone(), Fault::ResetBeforeResponse);
    let before = outcome(&put(&via, &bucket, "before.bin", random_bytes(2 * MIB)).await);
    assert!(
        matches!(before, Outcome::Dispatch(_)),
        "a reset mid-request is an I/O failure: {before:?}"
    );
    assert!(
        !garage_has(&bucket, "before.bin").await,
        "the cut request never reached Garage"
    );

    proxy.inject(when.clone(), Fault::ResetMidResponse);
    let mid = outcome(&put(&via, &bucket, "mid.bin", random_bytes(MIB)).await);
    assert!(
        matches!(mid, Outcome::Dispatch(_)),
        "a PutObject reply has no body, so the reset comes before its head: {mid:?}"
    );
    assert!(
        garage_has(&bucket, "mid.bin").await,
        "Garage stored the object although the client saw a failure: the case a retry must absorb"
    );

    let object = random_bytes(2 * MIB);
    put(&via, &bucket, "read.bin", object.clone())
        .await
        .unwrap_or_else(|e| panic!("a PUT with the queue empty: {}", DisplayErrorContext(e)));
    proxy.inject(
        RequestMatcher::any().operation(S3Operation::GetObject),
        Fault::ResetMidResponse,
    );
    let got = via
        .get_object()
        .bucket(&bucket)
        .key("read.bin")
        .send()
        .await;
    match got {
        // The head arrived before the reset: the body read fails.
        Ok(output) => assert!(
            output.body.collect().await.is_err(),
            "a body cut by a reset is an error, never a short object"
        ),
        Err(e) => assert!(
            matches!(
                outcome::<(), _>(&Err(e)),
                Outcome::Dispatch(_) | Outcome::Response(_)
            ),
            "a reset before the head is read is an I/O failure"
        ),
    }

    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::ResetBeforeResponse), 1);
    assert_eq!(stats.faults_of(FaultKind::ResetMidResponse), 2);
    let cut = stats
        .log
        .iter()
        .find(|r| r.request.target.contains("before.bin"))
        .expect("the reset request is logged");
    assert_eq!(cut.body_bytes_forwarded, 0, "nothing of it went upstream");
    assert!(
        cut.body_bytes_received <= u64::try_from(MIB).expect("small"),
        "the proxy read at most half of the 2 MiB body before the reset"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_truncated_replies_are_errors_never_short_objects() {
    let s = stack();
    let proxy = proxy_to_garage().await;
    let bucket = s.fresh_garage_bucket("fault-trunc").await;
    let via = client_without_retries(&proxy);

    let object = random_bytes(MIB);
    put(&via, &bucket, "read.bin", object)
        .await
        .unwrap_or_else(|e| panic!("a PUT with no fault queued: {}", DisplayErrorContext(e)));
    proxy.inject(
        RequestMatcher::any().operation(S3Operation::GetObject),
        Fault::TruncatedResponse,
    );
    let output = via
        .get_object()
        .bucket(&bucket)
        .key("read.bin")
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "the head of a truncated GET is whole: {}",
                DisplayErrorContext(e)
            )
        });
    assert_eq!(
        output.content_length,
        Some(1024 * 1024),
        "the head announces the full length"
    );
    assert!(
        output.body.collect().await.is_err(),
        "half a body followed by a close is an error, never a short object"
    );

    proxy.inject(
        RequestMatcher::any().operation(S3Operation::PutObject),
        Fault::TruncatedResponse,
    );
    let truncated_put = outcome(&put(&via, &bucket, "write.bin", random_bytes(MIB)).await);
    assert!(
        matches!(truncated_put, Outcome::Dispatch(_) | Outcome::Response(_)),
        "a PutObject reply that announces a body and closes is an I/O or response error: {truncated_put:?}"
    );
    assert!(
        garage_has(&bucket, "write.bin").await,
        "Garage stored it before the reply was cut"
    );
    assert_eq!(proxy.stats().faults_of(FaultKind::TruncatedResponse), 2);
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_stalls_hold_the_reply_then_continue_or_reset() {
    let s = stack();
    let proxy = proxy_to_garage().await;
    let bucket = s.fresh_garage_bucket("fault-stall").await;
    let via = client_without_retries(&proxy);
    let when = RequestMatcher::any().operation(S3Operation::PutObject);

    proxy.inject(when.clone(), Fault::stall(Duration::from_millis(300)));
    let slow = outcome(&put(&via, &bucket, "slow.bin", random_bytes(64 * 1024)).await);
    assert!(
        matches!(slow, Outcome::Ok),
        "a stall that continues only delays: {slow:?}"
    );

    proxy.inject(when, Fault::stall_then_reset(Duration::from_millis(300)));
    let dropped = outcome(&put(&via, &bucket, "dropped.bin", random_bytes(64 * 1024)).await);
    assert!(
        matches!(dropped, Outcome::Dispatch(_)),
        "a stall that resets is an I/O failure: {dropped:?}"
    );
    assert!(garage_has(&bucket, "slow.bin").await);
    assert!(
        garage_has(&bucket, "dropped.bin").await,
        "the stall held the reply, not the request"
    );

    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::StallThenContinue), 1);
    assert_eq!(stats.faults_of(FaultKind::StallThenReset), 1);
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_hits_only_the_requests_its_matcher_names() {
    let s = stack();
    let proxy = proxy_to_garage().await;
    let bucket = s.fresh_garage_bucket("fault-match").await;
    let via = client_without_retries(&proxy);
    proxy.set_plan(
        FaultPlan::pass_through().then(
            RequestMatcher::any()
                .operation(S3Operation::UploadPart)
                .target_contains("partNumber=2&"),
            Fault::SlowDown503,
        ),
    );

    put(&via, &bucket, "small.bin", random_bytes(1024))
        .await
        .unwrap_or_else(|e| {
            panic!(
                "a PutObject is not an UploadPart: {}",
                DisplayErrorContext(e)
            )
        });
    let upload_id = via
        .create_multipart_upload()
        .bucket(&bucket)
        .key("big.bin")
        .send()
        .await
        .unwrap_or_else(|e| panic!("CreateMultipartUpload: {}", DisplayErrorContext(e)))
        .upload_id
        .expect("an upload id");
    let upload = |n: i32, body: Vec<u8>| {
        via.upload_part()
            .bucket(&bucket)
            .key("big.bin")
            .upload_id(&upload_id)
            .part_number(n)
            .body(ByteStream::from(body))
            .send()
    };
    let part = random_bytes(5 * MIB);
    assert!(
        matches!(outcome(&upload(1, part.clone()).await), Outcome::Ok),
        "part 1 is not targeted"
    );
    let second = outcome(&upload(2, part.clone()).await);
    assert!(
        matches!(&second, Outcome::Service { code: Some(c), .. } if c == "SlowDown"),
        "part 2 is: {second:?}"
    );
    assert!(
        matches!(outcome(&upload(2, part).await), Outcome::Ok),
        "a queued fault hits once, so the retry of part 2 goes through"
    );

    let stats = proxy.stats();
    assert_eq!(proxy.queued_faults(), 0);
    assert_eq!(stats.faults_total(), 1);
    assert_eq!(stats.requests_of(S3Operation::UploadPart), 3);
    assert_eq!(
        stats.forwarded_for(S3Operation::UploadPart),
        2 * 5 * 1024 * 1024,
        "the refused attempt's body never went upstream: 2 parts' worth did"
    );
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_random_plan_fails_exactly_the_requests_it_faults() {
    let s = stack();
    let proxy = proxy_to_garage().await;
    let bucket = s.fresh_garage_bucket("fault-random").await;
    let via = client_without_retries(&proxy);
    let budget = 12;
    let mut random = RandomFaults::new(20_240_611)
        .only(RequestMatcher::any().operation(S3Operation::PutObject))
        .at_most(budget);
    for fault in [
        Fault::ResetBeforeResponse,
        Fault::ResetMidResponse,
        Fault::ServerError500,
        Fault::SlowDown503,
        Fault::ExpiredToken,
        Fault::RequestTimeTooSkewed,
        Fault::TruncatedResponse,
    ] {
        random = random.with(fault, 0.07);
    }
    proxy.set_plan(FaultPlan::pass_through().with_random(random));

    let mut failed = 0;
    let mut stored = Vec::new();
    for i in 0..40 {
        let key = format!("obj-{i}");
        if put(&via, &bucket, &key, random_bytes(16 * 1024))
            .await
            .is_ok()
        {
            stored.push(key);
        } else {
            failed += 1;
        }
    }

    let stats = proxy.stats();
    assert!(
        stats.faults_total() > 0,
        "p = 0.49 over 40 requests injects something"
    );
    assert!(stats.faults_total() <= budget, "the budget caps the faults");
    assert_eq!(
        failed,
        stats.failing_faults(),
        "with SDK retries off each fault fails exactly one call and nothing else fails"
    );
    for key in &stored {
        assert!(
            garage_has(&bucket, key).await,
            "{key} succeeded, so Garage has it"
        );
    }
    proxy.shutdown().await;
}

#[tokio::test]
async fn fault_proxy_carries_concurrent_uploads_whose_sdk_retries_absorb_the_faults() {
    let s = stack();
    let proxy = proxy_to_garage().await;
    let bucket = s.fresh_garage_bucket("fault-concurrent").await;
    let budget = 8;
    let mut random = RandomFaults::new(7)
        .only(RequestMatcher::any().operation(S3Operation::PutObject))
        .at_most(budget)
        .with(Fault::stall(Duration::from_millis(200)), 0.05);
    // Faults the SDK's standard retry treats as transient.
    for fault in [
        Fault::ResetBeforeResponse,
        Fault::ResetMidResponse,
        Fault::ServerError500,
        Fault::SlowDown503,
        Fault::TruncatedResponse,
    ] {
        random = random.with(fault, 0.06);
    }
    proxy.set_plan(FaultPlan::pass_through().with_random(random));
    // More attempts than faults exist, so every upload must end stored.
    let conf = s
        .garage_s3_config_via(&proxy.endpoint())
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(u32::try_from(budget).expect("small") + 2)
                .with_initial_backoff(Duration::from_millis(10)),
        )
        .build();
    let via = aws_sdk_s3::Client::from_conf(conf);

    let files: Vec<(String, Vec<u8>)> = (0..16)
        .map(|i| (format!("concurrent-{i}"), random_bytes(512 * 1024)))
        .collect();
    let mut uploads = tokio::task::JoinSet::new();
    for (key, body) in files.clone() {
        let (via, bucket) = (via.clone(), bucket.clone());
        uploads.spawn(async move { (put(&via, &bucket, &key, body).await.map(|_| ()), key) });
    }
    while let Some(joined) = uploads.join_next().await {
        let (result, key) = joined.expect("the upload task does not panic");
        if let Err(e) = result {
            panic!(
                "{key}: the SDK's retries should absorb every fault: {}",
                DisplayErrorContext(e)
            );
        }
    }
    for (key, body) in &files {
        assert_eq!(
            sha256(&get_direct(&bucket, key).await),
            sha256(body),
            "{key} is stored whole despite the faults"
        );
    }
    let stats = proxy.stats();
    assert!(
        (1..=budget).contains(&stats.faults_total()),
        "the seeded schedule (p = 0.35 per attempt) injects some faults, at most its budget"
    );
    assert_eq!(
        stats.requests_of(S3Operation::PutObject),
        16 + stats.failing_faults(),
        "each failed attempt cost exactly one more attempt, nothing else was re-sent"
    );
    proxy.shutdown().await;
}
