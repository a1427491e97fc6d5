//! SIGKILL in the middle of a 2 GiB `lightbox push`, then the same push again: the object
//! completes byte-identical, and only the parts in flight at the kill are sent twice (counted
//! by the fault proxy between `lightbox` and Garage).

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use lightbox_tests::fault_proxy::{FaultProxy, S3Operation};
use lightbox_tests::stack;
use rand::{RngCore as _, SeedableRng as _};
use sha2::{Digest as _, Sha256};

use crate::support::{MIB, PATIENCE, Photo};
use crate::upload_push::assert_object_is;

/// `size` bytes from a seeded ChaCha generator (fast even in a debug build: `rand` is built
/// optimized), with the SHA-256 and CRC64/NVME the bucket must end up reporting.
fn write_random_photo(dir: &Path, name: &str, size: u64, seed: u64) -> Photo {
    let path = dir.join(name);
    let mut out = BufWriter::new(File::create(&path).expect("create test file"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let (mut sha, mut crc) = (Sha256::new(), crc64fast_nvme::Digest::new());
    let mut chunk = vec![0_u8; usize::try_from(MIB).expect("small")];
    let mut left = size;
    while left > 0 {
        let n = usize::try_from(left.min(MIB)).expect("at most 1 MiB");
        rng.fill_bytes(&mut chunk[..n]);
        out.write_all(&chunk[..n]).expect("write test file");
        sha.update(&chunk[..n]);
        crc.write(&chunk[..n]);
        left -= u64::try_from(n).expect("small");
    }
    out.flush().expect("flush test file");
    Photo::hashed(path, size, sha, &crc)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_killed_mid_2gib_resumes_and_resends_at_most_the_parts_in_flight() {
    const CONCURRENCY: u64 = 4;
    const PART_MIB: u64 = 16;
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("crash").await;
    let proxy = FaultProxy::start(&stack.info.garage.endpoint)
        .await
        .expect("the proxy starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let photo = write_random_photo(dir.path(), "big-2gib.cr3", 2048 * MIB, 7);
    let catalog = dir.path().join("push-catalog.sqlite");
    let push = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_lightbox"));
        cmd.envs(stack.env_vars())
            .env("LIGHTBOX_STORAGE__BUCKET", &bucket)
            .env("LIGHTBOX_STORAGE__ENDPOINT", proxy.endpoint())
            .env("LIGHTBOX_STATE_DIR", dir.path().join("state"))
            .args(["push", "--json", "--concurrency", &CONCURRENCY.to_string()])
            .args(["--part-size-mib", &PART_MIB.to_string(), "--catalog"])
            .arg(&catalog)
            .arg(&photo.path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    };

    // 1. Kill the push once about a quarter of the file has gone up.
    let mut first = push().spawn().expect("lightbox push starts");
    let quarter = photo.size / 4;
    let waited = tokio::time::timeout(PATIENCE * 3, async {
        while proxy.stats().forwarded_for(S3Operation::UploadPart) < quarter {
            if let Ok(Some(status)) = first.try_wait() {
                panic!("the push ended ({status}) before it was killed");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    first.kill().expect("SIGKILL the push");
    let killed = first.wait().expect("reap the killed push");
    assert!(waited.is_ok(), "a quarter of the parts went up in time");
    assert!(!killed.success(), "the push was killed, not finished");
    let sent_before = proxy.stats().forwarded_for(S3Operation::UploadPart);
    assert!(
        sent_before < photo.size,
        "the kill came before the last part ({sent_before} of {} bytes)",
        photo.size
    );

    // 2. The same push again resumes from the journal.
    let second = push();
    let out = tokio::task::spawn_blocking(move || {
        let mut second = second;
        second.output().expect("lightbox push runs again")
    })
    .await
    .expect("the second push is awaited");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the resumed push completes: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap_or_default())
        .unwrap_or_else(|e| panic!("a JSON line for the file ({e}): {stdout}"));
    assert_eq!(line["status"], "uploaded", "{line}");
    let key = line["key"].as_str().expect("the line names the key");
    assert_object_is(&stack.garage_s3(), &bucket, key, &photo).await;

    let stats = proxy.stats();
    let sent_total = stats.forwarded_for(S3Operation::UploadPart);
    let resent = sent_total.saturating_sub(photo.size);
    let bound = CONCURRENCY * PART_MIB * MIB;
    assert!(
        resent <= bound,
        "only the parts in flight at the kill are sent again: {resent} bytes re-sent \
         (before the kill {sent_before}, in all {sent_total}), at most {bound} = \
         concurrency {CONCURRENCY} x {PART_MIB} MiB"
    );
    assert!(
        stats.requests_of(S3Operation::CreateMultipartUpload) == 1,
        "the restart continued the same multipart upload instead of starting a new one: {:?}",
        stats.requests_by_operation
    );
    proxy.shutdown().await;
}
