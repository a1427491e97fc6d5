//! `lightbox gallery ...` and `lightbox import-zip` (the real binary) against Garage: listing
//! by date, presigned URLs fetched over plain HTTP, downloads, the confirmed delete, and clear
//! errors with a non-zero exit for bad input.

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use lightbox_fixtures::{jpeg, png};
use lightbox_tests::stack;
use lightbox_types::object_keys::{PreviewKind, preview_key};
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use sync_core::preview::make_previews;
use sync_core::upload::ObjectMeta;

use lightbox_tests::zip_files::make_zip;

/// `lightbox ARGS` on `bucket` with its own state dir, stdin closed (a non-interactive run).
fn lightbox(bucket: &str, state: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lightbox"))
        .envs(stack().env_vars())
        .env("LIGHTBOX_STORAGE__BUCKET", bucket)
        .env("LIGHTBOX_STATE_DIR", state)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("lightbox runs")
}

fn text(out: &Output) -> String {
    format!(
        "status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "the command succeeds: {}", text(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {}", text(out)))
}

/// Fails with `what` unless the command failed and its stderr contains `needle`.
fn assert_refused(out: &Output, needle: &str, what: &str) {
    assert!(
        !out.status.success(),
        "{what}: a non-zero exit: {}",
        text(out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(needle),
        "{what}: stderr says {needle:?}: {}",
        text(out)
    );
}

/// Put an original the way the uploader does (bytes + Lightbox metadata) and both previews
/// the way the previewer does (made by sync-core's preview code).
async fn put_photo(client: &aws_sdk_s3::Client, bucket: &str, key: &str, bytes: &[u8]) {
    let meta = ObjectMeta {
        sha256: hex::encode(Sha256::digest(bytes))
            .parse()
            .expect("a hex SHA-256 parses"),
        original_name: key.rsplit('/').next().unwrap_or(key).to_owned(),
        capture_time: None,
        source_host: "test-host".to_owned(),
        uploader: "test".to_owned(),
    };
    let put = |key: String, body: Vec<u8>| {
        client
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into())
    };
    put(key.to_owned(), bytes.to_vec())
        .set_metadata(Some(meta.to_user_metadata()))
        .send()
        .await
        .expect("Garage takes the original");
    let previews = make_previews(bytes, &[PreviewKind::Thumb, PreviewKind::Screen])
        .expect("a fixture JPEG has previews");
    for p in previews {
        let preview = preview_key(p.kind, key).expect("an originals/ key");
        put(preview, p.jpeg)
            .send()
            .await
            .expect("Garage takes the preview");
    }
}

/// GET `url` over plain HTTP/1.1 (what a browser does with a presigned URL): status and body.
fn http_get(url: &str) -> (u16, Vec<u8>) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| panic!("the local stack serves plain HTTP: {url}"));
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(authority).expect("Garage accepts");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .expect("request sent");
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).expect("reply read");
    let split = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP reply has a header block");
    let head = String::from_utf8_lossy(&reply[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head}"));
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "Garage sends objects with a Content-Length, which this little client relies on: {head}"
    );
    (status, reply[split + 4..].to_vec())
}

async fn exists(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> bool {
    client
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .is_ok()
}

fn keys_of(page: &Value) -> Vec<String> {
    let mut keys: Vec<String> = page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("a page has items: {page}"))
        .iter()
        .map(|o| o["key"].as_str().expect("each item has a key").to_owned())
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn gallery_ls_url_get_and_rm_work_on_the_bucket_and_refuse_bad_input() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("gallery-cli").await;
    let client = stack.garage_s3();
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let photo = jpeg(900, 600, None);
    let (a, b, c) = (
        "originals/2026/11/23/a.jpg",
        "originals/2026/11/23/b.jpg",
        "originals/2026/11/22/c.jpg",
    );
    put_photo(&client, &bucket, a, &photo).await;
    put_photo(&client, &bucket, b, &jpeg(300, 200, None)).await;
    put_photo(&client, &bucket, c, &jpeg(200, 300, None)).await;
    // The upload guard's probe, left where a staff role may not delete it.
    client
        .put_object()
        .bucket(&bucket)
        .key(sync_core::upload::PROBE_KEY)
        .body(b"probe".to_vec().into())
        .send()
        .await
        .expect("Garage takes the probe");
    let run = |args: &[&str]| lightbox(&bucket, &state, args);

    let all = json(&run(&["gallery", "ls", "--json"]));
    assert_eq!(
        keys_of(&all),
        [c, a, b],
        "every original, no previews, not the probe"
    );
    assert!(all["next"].is_null(), "three photos fit on one page");
    let day = json(&run(&["gallery", "ls", "--date", "2026-11-23", "--json"]));
    assert_eq!(keys_of(&day), [a, b], "--date selects that day's prefix");
    for bad in ["2026-13-01", "yesterday", "2026/11/23", "2026-11-31"] {
        assert_refused(
            &run(&["gallery", "ls", "--date", bad]),
            "YYYY-MM-DD",
            &format!("--date {bad} is not a date"),
        );
    }

    let urls = json(&run(&["gallery", "url", a]));
    let (status, original) = http_get(urls["original"].as_str().expect("an original URL"));
    assert_eq!(
        status, 200,
        "the presigned original URL works without credentials"
    );
    assert!(
        original == photo,
        "the URL serves the original's exact bytes"
    );
    let (status, thumb) = http_get(urls["thumb"].as_str().expect("a thumb URL"));
    assert_eq!(status, 200, "the presigned thumb URL works");
    // put_photo made both previews in one call, as the previewer does.
    let want = make_previews(&photo, &[PreviewKind::Thumb, PreviewKind::Screen]).expect("made");
    assert!(
        thumb == want[0].jpeg,
        "the thumb URL serves the thumb put for it"
    );
    assert_refused(
        &run(&["gallery", "url", "originals/2026/11/23/nope.jpg"]),
        "not in the bucket",
        "a URL for a key that does not exist",
    );
    assert_refused(
        &run(&["gallery", "url", "previews/thumb/2026/11/23/a.jpg.jpg"]),
        "not an original",
        "a URL for a preview key",
    );

    let out_path = dir.path().join("a-copy.jpg");
    let out_arg = out_path.to_str().expect("a UTF-8 temp path");
    let got = run(&["gallery", "get", a, "-o", out_arg]);
    assert!(got.status.success(), "get works: {}", text(&got));
    assert!(
        std::fs::read(&out_path).expect("get wrote the file") == photo,
        "get writes the original's exact bytes"
    );
    let missing = dir.path().join("missing.jpg");
    assert_refused(
        &run(&[
            "gallery",
            "get",
            "originals/2026/11/23/nope.jpg",
            "-o",
            missing.to_str().expect("UTF-8"),
        ]),
        "not in the bucket",
        "get of a key that does not exist",
    );
    assert!(!missing.exists(), "a failed get leaves no file behind");

    assert_refused(
        &run(&["gallery", "rm", a]),
        "--yes",
        "rm with no terminal to confirm on and no --yes",
    );
    assert!(
        exists(&client, &bucket, a).await,
        "the refused rm deleted nothing"
    );
    let rm = run(&["gallery", "rm", a, "--yes"]);
    assert!(rm.status.success(), "rm --yes deletes: {}", text(&rm));
    for key in [
        a.to_owned(),
        preview_key(PreviewKind::Thumb, a).expect("key"),
        preview_key(PreviewKind::Screen, a).expect("key"),
    ] {
        assert!(
            !exists(&client, &bucket, &key).await,
            "{key} is gone: rm deletes the original and both previews"
        );
    }
    assert!(
        exists(&client, &bucket, b).await,
        "the other photo of the day stays"
    );
    let day = json(&run(&["gallery", "ls", "--date", "2026-11-23", "--json"]));
    assert_eq!(
        keys_of(&day),
        [b],
        "the listing no longer shows the deleted photo"
    );
    assert_refused(
        &run(&["gallery", "rm", a, "--yes"]),
        "not in the bucket",
        "rm of a key already deleted",
    );
}

#[tokio::test]
async fn import_zip_unpacks_photos_into_the_watched_import_folder() {
    let bucket = stack().fresh_garage_bucket("import-zip-cli").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).expect("mkdir");
    let archive = dir.path().join("shoot.zip");
    make_zip(
        &archive,
        &[
            ("day1/a.jpg", jpeg(64, 48, None)),
            ("b.png", png(10, 10)),
            ("notes.txt", b"call the client".to_vec()),
        ],
    );
    let out = lightbox(
        &bucket,
        &state,
        &["import-zip", archive.to_str().expect("UTF-8")],
    );
    assert!(
        out.status.success(),
        "a clean archive imports: {}",
        text(&out)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("skipped notes.txt"),
        "the non-image is named as skipped: {stdout}"
    );
    let target = state.join("imports/shoot");
    assert_eq!(
        std::fs::read(target.join("day1/a.jpg")).expect("a.jpg unpacked"),
        jpeg(64, 48, None),
        "the photo lands in a fresh <state>/imports/<archive stem>/ byte for byte"
    );
    assert!(target.join("b.png").is_file(), "the PNG too");
    assert!(!target.join("notes.txt").exists(), "the text file is not");
    let folders = lightbox(&bucket, &state, &["folders", "ls"]);
    let imports = std::fs::canonicalize(state.join("imports")).expect("exists");
    assert!(
        String::from_utf8_lossy(&folders.stdout).contains(imports.to_str().expect("UTF-8")),
        "the import folder is now watched, so `lightbox run` uploads it: {}",
        text(&folders)
    );

    let evil = dir.path().join("evil.zip");
    make_zip(&evil, &[("../evil.jpg", jpeg(8, 8, None))]);
    assert_refused(
        &lightbox(
            &bucket,
            &state,
            &["import-zip", evil.to_str().expect("UTF-8")],
        ),
        "evil.jpg",
        "a zip-slip entry",
    );
    assert!(
        !state.join("imports/evil.jpg").exists(),
        "nothing written outside"
    );
    assert_refused(
        &lightbox(&bucket, &state, &["import-zip", "/no/such/archive.zip"]),
        "archive.zip",
        "a missing archive",
    );
}

/// A day of more than one page (200): `--cursor` with each page's `next` walks it with no gap
/// and no repeat, `--all --json` streams the same keys as JSON lines, and a cursor that was
/// edited is refused with a message that says to start again.
#[tokio::test]
async fn gallery_ls_pages_a_day_of_more_than_200_photos_with_cursor_and_all() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("gallery-cli-pages").await;
    let client = stack.garage_s3();
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    let mut want: Vec<String> = (0..450)
        .map(|i| format!("originals/2026/11/24/DSC_{i:04}.JPG"))
        .collect();
    for key in &want {
        client
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(key.as_bytes().to_vec().into())
            .send()
            .await
            .expect("Garage takes the object");
    }
    want.sort();
    let run = |args: &[&str]| lightbox(&bucket, &state, args);

    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = vec!["gallery", "ls", "--date", "2026-11-24", "--json"];
        if let Some(cursor) = &cursor {
            args.extend(["--cursor", cursor]);
        }
        let page = json(&run(&args));
        pages += 1;
        paged.extend(keys_of(&page));
        match page["next"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
        assert!(pages < 10, "the pages end: {page}");
    }
    assert_eq!(pages, 3, "450 photos are three pages of 200");
    let mut sorted = paged.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), paged.len(), "no photo on two pages");
    assert_eq!(sorted, want, "every photo on some page");

    let all = run(&["gallery", "ls", "--date", "2026-11-24", "--all", "--json"]);
    assert!(all.status.success(), "--all works: {}", text(&all));
    let mut streamed: Vec<String> = String::from_utf8_lossy(&all.stdout)
        .lines()
        .map(|line| {
            let item: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("each line is one JSON object ({e}): {line}"));
            item["key"].as_str().expect("a key").to_owned()
        })
        .collect();
    streamed.sort();
    assert_eq!(streamed, want, "--all streams every photo once");
    let text_page = run(&["gallery", "ls", "--date", "2026-11-24"]);
    assert!(
        String::from_utf8_lossy(&text_page.stdout).contains("--cursor "),
        "the text listing says how to get the next page: {}",
        text(&text_page)
    );

    assert_refused(
        &run(&["gallery", "ls", "--cursor", "bm90IGEgY3Vyc29y"]),
        "start again from the first page",
        "an edited cursor",
    );
    assert_refused(
        &run(&["gallery", "ls", "--cursor", "x", "--all"]),
        "cannot be used with",
        "--cursor with --all",
    );
}
