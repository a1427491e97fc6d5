//! The S3 transfer layer against the local stack: Garage (which verifies checksums, like AWS)
//! for everything that moves bytes, moto for `ListParts` parsing and `If-None-Match`.
//! Each test uses its own bucket, so they run in parallel.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use aws_sdk_s3::types::ChecksumType;
use lightbox_tests::stack;
use lightbox_tests::stack::repo_root;
use lightbox_tests::transfer_contract::check_transfer_contract;
use lightbox_types::FailureCode;
use sha2::{Digest as _, Sha256};
use sync_core::ingest::{Fingerprint, FingerprintOptions, fingerprint_file};
use sync_core::retry::{Classify as _, ErrorClass};
use sync_core::upload::{
    ContentMatch, ExpectedContent, ObjectMeta, OverwriteGuard, PutOutcome, S3Transfer, Transfer,
    part_ranges,
};

const MIB: u64 = 1024 * 1024;

/// A file of `size` pseudo-random bytes (so no server can deduplicate or compress its way to a
/// false pass), written in 1 MiB chunks.
fn write_test_file(dir: &Path, name: &str, size: u64, seed: u64) -> PathBuf {
    let path = dir.join(name);
    let mut out = BufWriter::new(File::create(&path).expect("create test file"));
    let mut state = seed | 1;
    let mut chunk = Vec::with_capacity(usize::try_from(MIB).expect("1 MiB fits"));
    let mut left = size;
    while left > 0 {
        chunk.clear();
        let n = left.min(MIB);
        while u64::try_from(chunk.len()).expect("small") < n {
            // xorshift64
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.extend_from_slice(&state.to_le_bytes());
        }
        chunk.truncate(usize::try_from(n).expect("at most 1 MiB"));
        out.write_all(&chunk).expect("write test file");
        left -= n;
    }
    out.flush().expect("flush test file");
    path
}

fn fingerprint(path: &Path) -> Fingerprint {
    fingerprint_file(path, &FingerprintOptions::default()).expect("fingerprint test file")
}

fn meta_for(fingerprint: &Fingerprint, original_name: &str) -> ObjectMeta {
    ObjectMeta {
        sha256: fingerprint.sha256,
        original_name: original_name.to_owned(),
        capture_time: Some("2024-03-09T10:00:00+01:00".to_owned()),
        source_host: "test-host".to_owned(),
        uploader: "test-uploader".to_owned(),
    }
}

async fn garage_transfer(hint: &str) -> S3Transfer {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket(hint).await;
    S3Transfer::new(&stack.garage_s3(), bucket)
}

/// A moto server of this test's own, from the stack's venv and launcher (with its ListParts
/// fix). The shared moto is not used for multipart uploads: while one is in flight, moto 5.2.5's
/// `/moto-api/data.json` answers 500, which `scripts/stack.sh up` (run by every test process)
/// takes for a dead stack and restarts it under every other test.
struct PrivateMoto {
    child: Child,
    endpoint: String,
}

impl PrivateMoto {
    async fn start() -> Self {
        let python = stack().venv_bin("python");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&python)
            .arg(repo_root().join("scripts/moto_server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start moto with {}: {e}", python.display()));
        let moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return moto;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("moto did not listen on port {port} within 20 s");
    }

    fn client(&self) -> aws_sdk_s3::Client {
        let credentials = aws_sdk_s3::config::Credentials::new("test", "test", None, None, "test");
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .region(aws_sdk_s3::config::Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(credentials)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }
}

impl Drop for PrivateMoto {
    fn drop(&mut self) {
        if let Err(e) = self.child.kill() {
            eprintln!("could not stop the test's moto: {e}");
        }
        if let Err(e) = self.child.wait() {
            eprintln!("could not reap the test's moto: {e}");
        }
    }
}

async fn moto_transfer(moto: &PrivateMoto, hint: &str) -> S3Transfer {
    let client = moto.client();
    let bucket = crate::support::moto_bucket(&client, hint).await;
    S3Transfer::new(&client, bucket)
}

/// The SHA-256 of the object at `key`, read back as a stream.
async fn sha256_of_object(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> String {
    let mut body = client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("get the uploaded object")
        .body;
    let mut hasher = Sha256::new();
    while let Some(chunk) = body.try_next().await.expect("read the object body") {
        hasher.update(&chunk);
    }
    hex::encode(hasher.finalize())
}

/// The `Content-Type` the bucket stores for `key`.
async fn content_type_of(bucket: &str, key: &str) -> Option<String> {
    stack()
        .garage_s3()
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("head")
        .content_type()
        .map(str::to_owned)
}

/// Upload every part of `path` from `first_part` on, in `part_size` parts.
async fn put_parts_from(
    transfer: &S3Transfer,
    upload_id: &str,
    key: &str,
    path: &Path,
    part_size: u64,
    first_part: u16,
    last_part: u16,
) -> Vec<lightbox_types::CompletedPart> {
    let size = std::fs::metadata(path).expect("stat").len();
    let mut done = Vec::new();
    for range in
        part_ranges(size, part_size).filter(|r| (first_part..=last_part).contains(&r.part_number))
    {
        let part = transfer
            .put_part(
                upload_id,
                key,
                range.part_number,
                path,
                range.offset,
                range.len,
            )
            .await
            .unwrap_or_else(|e| panic!("part {}: {e}", range.part_number));
        done.push(part);
    }
    done
}

/// The contract the in-memory transfer (and so the engine's `upload_job` table) relies on, kept
/// by the real transfer on a server that verifies checksums.
#[tokio::test]
async fn s3_transfer_keeps_the_transfer_contract_on_garage() {
    let transfer = garage_transfer("contract").await;
    let dir = tempfile::tempdir().expect("tempdir");
    check_transfer_contract(&transfer, dir.path(), "contract/").await;
}

#[tokio::test]
async fn small_put_is_verified_by_head_and_a_second_put_finds_the_object() {
    let transfer = garage_transfer("small-put").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_test_file(dir.path(), "IMG_0001.JPG", 3 * MIB + 17, 1);
    let fingerprint = fingerprint(&path);
    let expected = ExpectedContent::from(&fingerprint);
    let meta = meta_for(&fingerprint, "Müller 01.JPG");
    let key = "originals/2024/03/09/IMG_0001.JPG";

    let outcome = transfer
        .put_small(&path, key, &meta, &expected)
        .await
        .expect("first put");
    assert_eq!(outcome, PutOutcome::Created, "the key was free");

    let facts = transfer
        .head(key)
        .await
        .expect("head")
        .expect("the object exists");
    assert_eq!(
        facts.compare(&expected),
        ContentMatch::Verified,
        "Garage's own CRC64/NVME equals the fingerprint's: {facts:?}"
    );
    assert_eq!(
        facts.meta.as_ref(),
        Some(&meta),
        "the metadata, non-ASCII name included, reads back as written"
    );
    assert_eq!(
        content_type_of(transfer.bucket(), key).await.as_deref(),
        Some("image/jpeg"),
        "an original is stored with its image type, not application/octet-stream"
    );

    let again = transfer
        .put_small(&path, key, &meta, &expected)
        .await
        .expect("second put");
    assert_eq!(
        again,
        PutOutcome::AlreadyExists,
        "the default HeadFirst guard never overwrites, even on Garage"
    );
}

#[tokio::test]
async fn garage_ignores_if_none_match_which_is_why_head_first_is_the_default() {
    let transfer = garage_transfer("inm")
        .await
        .with_overwrite_guard(OverwriteGuard::IfNoneMatch);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_test_file(dir.path(), "a.jpg", 1000, 2);
    let fingerprint = fingerprint(&path);
    let expected = ExpectedContent::from(&fingerprint);
    let meta = meta_for(&fingerprint, "a.jpg");

    for attempt in ["first", "second"] {
        let outcome = transfer
            .put_small(&path, "a.jpg", &meta, &expected)
            .await
            .expect("put");
        assert_eq!(
            outcome,
            PutOutcome::Created,
            "{attempt} put: Garage 2.5 accepts `If-None-Match: *` on an existing key and \
             overwrites. If this starts failing, Garage honours it now: revisit OverwriteGuard"
        );
    }
}

#[tokio::test]
async fn a_put_whose_bytes_differ_from_the_fingerprint_is_refused_and_stores_nothing() {
    let transfer = garage_transfer("bad-digest").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_test_file(dir.path(), "b.jpg", 2 * MIB, 3);
    let fingerprint = fingerprint(&path);
    let meta = meta_for(&fingerprint, "b.jpg");
    let other = fingerprint_of_other_content(dir.path(), 2 * MIB);

    let error = transfer
        .put_small(&path, "b.jpg", &meta, &other)
        .await
        .expect_err("the checksum is not the file's");

    assert_eq!(
        error.code(),
        FailureCode::UploadChecksumMismatch,
        "Garage verifies x-amz-checksum-crc64nvme: {error}"
    );
    assert_eq!(
        error.class(),
        ErrorClass::Temporary,
        "one mismatch is retried"
    );
    assert!(
        error.is_permanent_when_exhausted(),
        "a mismatch on every attempt means the file changed"
    );
    assert!(
        transfer.head("b.jpg").await.expect("head").is_none(),
        "nothing was stored"
    );
}

/// The expected content of a different file of `size` bytes.
fn fingerprint_of_other_content(dir: &Path, size: u64) -> ExpectedContent {
    let other = write_test_file(dir, "other.bin", size, 99);
    ExpectedContent::from(&fingerprint(&other))
}

#[tokio::test]
async fn multipart_resumes_from_list_parts_and_completes_to_the_fingerprinted_bytes() {
    let transfer = garage_transfer("multipart").await.with_list_page_size(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let size = 40 * MIB + 12_345;
    let path = write_test_file(dir.path(), "BIG_0001.CR3", size, 4);
    let fingerprint = fingerprint(&path);
    let expected = ExpectedContent::from(&fingerprint);
    let meta = meta_for(&fingerprint, "BIG_0001.CR3");
    let key = "originals/2024/03/09/BIG_0001.CR3";
    let part_size = 8 * MIB;

    let upload_id = transfer.create_multipart(key, &meta).await.expect("create");
    let sent = put_parts_from(&transfer, &upload_id, key, &path, part_size, 1, 2).await;

    // A restart: the journal may be lost or stale, the server's list is the truth.
    let listed = transfer
        .list_parts(&upload_id, key)
        .await
        .expect("list parts, one per page");
    assert_eq!(
        listed, sent,
        "ListParts returns the same number, ETag, CRC64/NVME and size that put_part returned, \
         across pages of one"
    );

    let rest = put_parts_from(&transfer, &upload_id, key, &path, part_size, 3, u16::MAX).await;
    assert_eq!(
        rest.len(),
        4,
        "40 MiB + 12,345 bytes in 8 MiB parts is 6 parts"
    );
    let all: Vec<_> = listed.into_iter().chain(rest).collect();
    let outcome = transfer
        .complete_multipart(&upload_id, key, &all, Some(&expected))
        .await
        .expect("complete");
    assert_eq!(outcome, PutOutcome::Created);

    let facts = transfer.head(key).await.expect("head").expect("completed");
    assert_eq!(
        facts.checksum_type,
        Some(ChecksumType::FullObject),
        "the object's checksum covers the whole object, not the parts"
    );
    assert_eq!(
        facts.compare(&expected),
        ContentMatch::Verified,
        "the multipart object's CRC64/NVME is the fingerprint's, as for a single put: {facts:?}"
    );
    assert_eq!(
        facts.meta.as_ref().map(|m| m.sha256),
        Some(fingerprint.sha256),
        "metadata set at create survives completion"
    );
    assert_eq!(
        content_type_of(transfer.bucket(), key).await.as_deref(),
        Some("image/x-canon-cr3"),
        "a multipart original is stored with its image type"
    );
    let read_back = sha256_of_object(&stack().garage_s3(), transfer.bucket(), key).await;
    assert_eq!(
        read_back,
        fingerprint.sha256.to_hex(),
        "the bytes read back are the file's bytes"
    );
    assert!(
        transfer.list_uploads("").await.expect("list").is_empty(),
        "a completed upload is no longer pending"
    );
}

#[tokio::test]
async fn a_completion_that_does_not_add_up_to_the_fingerprint_is_refused() {
    let transfer = garage_transfer("mismatch").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_test_file(dir.path(), "c.cr3", MIB, 5);
    let fingerprint = fingerprint(&path);
    let meta = meta_for(&fingerprint, "c.cr3");
    let other = fingerprint_of_other_content(dir.path(), MIB);

    let upload_id = transfer
        .create_multipart("c.cr3", &meta)
        .await
        .expect("create");
    let parts = put_parts_from(&transfer, &upload_id, "c.cr3", &path, 8 * MIB, 1, 1).await;
    let error = transfer
        .complete_multipart(&upload_id, "c.cr3", &parts, Some(&other))
        .await
        .expect_err("the parts are not the expected content");

    assert_eq!(
        error.code(),
        FailureCode::UploadContentMismatch,
        "Garage checks the whole-object CRC64/NVME at completion: {error}"
    );
    assert_eq!(
        error.class(),
        ErrorClass::Permanent,
        "retrying the same parts cannot help"
    );
    assert!(
        transfer.head("c.cr3").await.expect("head").is_none(),
        "no object was created"
    );
    transfer
        .abort_multipart(&upload_id, "c.cr3")
        .await
        .expect("abort");
}

#[tokio::test]
async fn abort_removes_an_upload_from_list_uploads_and_is_idempotent() {
    let transfer = garage_transfer("abort").await.with_list_page_size(1);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_test_file(dir.path(), "d.cr3", 100, 6);
    let meta = meta_for(&fingerprint(&path), "d.cr3");

    let first = transfer
        .create_multipart("originals/a.cr3", &meta)
        .await
        .expect("create a");
    let second = transfer
        .create_multipart("originals/b.cr3", &meta)
        .await
        .expect("create b");
    let outside = transfer
        .create_multipart("previews/c.jpg", &meta)
        .await
        .expect("create c");

    let pending = transfer.list_uploads("originals/").await.expect("list");
    let mut ids: Vec<&str> = pending.iter().map(|u| u.upload_id.as_str()).collect();
    ids.sort_unstable();
    let mut wanted = vec![first.as_str(), second.as_str()];
    wanted.sort_unstable();
    assert_eq!(
        ids, wanted,
        "both uploads under the prefix, across pages of one, and not the one outside it"
    );
    assert!(
        pending.iter().all(|u| u.initiated.is_some()),
        "Garage reports when each upload began, for aging out orphans: {pending:?}"
    );

    transfer
        .abort_multipart(&first, "originals/a.cr3")
        .await
        .expect("abort");
    let pending = transfer.list_uploads("originals/").await.expect("list");
    assert_eq!(
        pending
            .iter()
            .map(|u| u.upload_id.as_str())
            .collect::<Vec<_>>(),
        [second.as_str()],
        "the aborted upload is gone"
    );
    transfer
        .abort_multipart(&first, "originals/a.cr3")
        .await
        .expect("aborting an aborted upload is not an error");
    for (id, key) in [(&second, "originals/b.cr3"), (&outside, "previews/c.jpg")] {
        transfer.abort_multipart(id, key).await.expect("clean up");
    }
}

#[tokio::test]
async fn moto_list_parts_parses_and_if_none_match_protects_existing_keys() {
    let moto = PrivateMoto::start().await;
    let transfer = moto_transfer(&moto, "moto-parts")
        .await
        .with_overwrite_guard(OverwriteGuard::IfNoneMatch);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write_test_file(dir.path(), "e.cr3", 9 * MIB, 7);
    let fingerprint = fingerprint(&path);
    let expected = ExpectedContent::from(&fingerprint);
    let meta = meta_for(&fingerprint, "e.cr3");
    let key = "originals/e.cr3";

    let upload_id = transfer.create_multipart(key, &meta).await.expect("create");
    let sent = put_parts_from(&transfer, &upload_id, key, &path, 8 * MIB, 1, 2).await;
    let listed = transfer
        .list_parts(&upload_id, key)
        .await
        .expect("aws-sdk-s3 parses moto's ListParts reply (the stack's ListPartsResult fix)");
    let numbers_and_etags = |parts: &[lightbox_types::CompletedPart]| {
        parts
            .iter()
            .map(|p| (p.part_number, p.etag.clone(), p.size))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        numbers_and_etags(&listed),
        numbers_and_etags(&sent),
        "moto lists the parts that were sent"
    );
    let outcome = transfer
        .complete_multipart(&upload_id, key, &sent, Some(&expected))
        .await
        .expect("complete");
    assert_eq!(outcome, PutOutcome::Created);

    let put_again = transfer
        .put_small(&path, key, &meta, &expected)
        .await
        .expect("put onto an existing key");
    assert_eq!(
        put_again,
        PutOutcome::AlreadyExists,
        "moto answers `If-None-Match: *` with 412, which is AlreadyExists"
    );
    let second_upload = transfer.create_multipart(key, &meta).await.expect("create");
    let parts = put_parts_from(&transfer, &second_upload, key, &path, 8 * MIB, 1, 2).await;
    let completed_again = transfer
        .complete_multipart(&second_upload, key, &parts, Some(&expected))
        .await
        .expect("complete onto an existing key");
    assert_eq!(
        completed_again,
        PutOutcome::AlreadyExists,
        "a conditional completion never replaces an existing object"
    );
    transfer
        .abort_multipart(&second_upload, key)
        .await
        .expect("abort");
}

/// What `ErrorClass::ClockSkew` relies on: a client whose clock is a day behind is refused
/// once, learns the offset from that refusal's `Date` header, and its next request (same
/// client, SDK retries off) is signed at the corrected time. Garage refuses dates over 24 h
/// old with `InvalidRequest` where AWS says `RequestTimeTooSkewed` after 15 minutes; the
/// correction does not depend on the code.
#[tokio::test]
async fn a_skewed_client_clock_is_corrected_from_the_first_refusal() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("skew").await;
    let a_day_behind = std::time::SystemTime::now() - std::time::Duration::from_secs(25 * 3600);
    let config = stack
        .garage_s3()
        .config()
        .to_builder()
        .time_source(aws_smithy_async::time::StaticTimeSource::new(a_day_behind))
        .build();
    let transfer = S3Transfer::new(&aws_sdk_s3::Client::from_conf(config), bucket);

    let refused = transfer
        .list_uploads("")
        .await
        .expect_err("signed a day in the past");
    assert!(
        refused.to_string().contains("too old"),
        "Garage refuses the stale signature date: {refused}"
    );
    let corrected = transfer.list_uploads("").await;
    assert!(
        corrected.as_ref().is_ok_and(Vec::is_empty),
        "the same client signs with the learned offset and gets an answer: {corrected:?}"
    );
}
