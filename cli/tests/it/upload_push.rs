//! `lightbox push` (the real binary) against Garage, which verifies every checksum it is sent.

use std::path::Path;
use std::process::{Command, Output};

use aws_sdk_s3::types::ChecksumMode;
use lightbox_tests::stack;
use serde_json::Value;

use crate::support::{MIB, Photo, write_photo};

/// `lightbox push ARGS` into `bucket`, with its own state dir.
pub fn push(bucket: &str, state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lightbox"))
        .envs(stack().env_vars())
        .env("LIGHTBOX_STORAGE__BUCKET", bucket)
        .env("LIGHTBOX_STATE_DIR", state)
        .arg("push")
        .args(args)
        .output()
        .expect("lightbox runs")
}

/// The JSON lines of a `push --json`: the per-file lines and the summary.
fn json_lines(out: &Output) -> (Vec<Value>, Value) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect();
    let summary = lines
        .pop()
        .unwrap_or_else(|| panic!("no summary line; stderr: {}", stderr(out)));
    (lines, summary["summary"].clone())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The object at `key` has the photo's size, whole-object CRC64/NVME (computed by Garage from
/// the bytes it received) and SHA-256 metadata.
pub async fn assert_object_is(client: &aws_sdk_s3::Client, bucket: &str, key: &str, photo: &Photo) {
    let head = client
        .head_object()
        .bucket(bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "HeadObject {key}: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        });
    assert_eq!(
        head.content_length(),
        Some(i64::try_from(photo.size).expect("small")),
        "{key} holds exactly the file's bytes"
    );
    assert_eq!(
        head.checksum_crc64_nvme(),
        Some(photo.crc64nvme.as_str()),
        "Garage's CRC64/NVME of {key} equals the local file's, so the bytes are the same"
    );
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("sha256"))
            .map(String::as_str),
        Some(photo.sha256.as_str()),
        "{key} records the file's SHA-256"
    );
}

#[tokio::test]
async fn push_uploads_files_and_folders_reports_json_and_fails_on_a_bad_path() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("push").await;
    let client = stack.garage_s3();
    let dir = tempfile::tempdir().expect("tempdir");
    let shoot = dir.path().join("shoot");
    std::fs::create_dir_all(&shoot).expect("mkdir");
    let small: Vec<Photo> = (0..3)
        .map(|i| write_photo(&shoot, &format!("small-{i}.jpg"), 2 * MIB + i, 10 + i))
        .collect();
    std::fs::write(shoot.join("notes.tmp"), b"not a photo").expect("write");
    let big = write_photo(dir.path(), "big.cr3", 40 * MIB + 123, 99);
    let missing = dir.path().join("no-such.jpg");
    let state = dir.path().join("state");

    let out = push(
        &bucket,
        &state,
        &[
            "--json",
            "--part-size-mib",
            "8",
            "--concurrency",
            "3",
            shoot.to_str().expect("utf-8"),
            big.path.to_str().expect("utf-8"),
            missing.to_str().expect("utf-8"),
        ],
    );

    let (files, summary) = json_lines(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a path that does not exist makes the push fail: {summary}\n{}",
        stderr(&out)
    );
    assert_eq!(
        files.len(),
        4,
        "one line per photo; the .tmp file is filtered out: {files:?}"
    );
    for photo in small.iter().chain([&big]) {
        let line = files
            .iter()
            .find(|l| l["path"].as_str().is_some_and(|p| p.ends_with(&photo.name)))
            .unwrap_or_else(|| panic!("a line for {}: {files:?}", photo.name));
        assert_eq!(line["status"], "uploaded", "{line}");
        let key = line["key"]
            .as_str()
            .expect("an uploaded line names its key");
        assert!(key.ends_with(&photo.name), "{key}");
        assert_object_is(&client, &bucket, key, photo).await;
    }
    assert_eq!(summary["uploaded"], 4, "{summary}");
    assert_eq!(
        summary["failed"], 1,
        "only the missing path failed: {summary}"
    );
    let path_error = summary["path_errors"][0].as_str().unwrap_or_default();
    assert!(
        path_error.contains("file_not_found") && path_error.contains("check the path"),
        "the failure has a code and says what to do: {path_error}"
    );

    // Again, with a new temporary catalog: every object is found, nothing is sent twice.
    let again = push(&bucket, &state, &["--json", shoot.to_str().expect("utf-8")]);
    let (files, summary) = json_lines(&again);
    assert!(
        again.status.success(),
        "nothing failed the second time: {summary}\n{}",
        stderr(&again)
    );
    assert!(
        files.iter().all(|l| l["status"] == "duplicate"),
        "files already in the bucket are verified, not uploaded again: {files:?}"
    );
    assert_eq!(summary["bytes_uploaded"], 0, "{summary}");
}
