//! Previews at ingest, against Garage: a JPEG (EXIF orientation 6), a PNG and a DNG with an
//! embedded JPEG end with thumb and screen previews in the bucket, upright; a corrupt JPEG is
//! uploaded anyway and its ledger entry says `preview_failed`.

use std::collections::HashMap;
use std::path::Path;

use lightbox_fixtures::{MARK, dng_with_preview, jpeg, png};
use lightbox_tests::stack;
use lightbox_types::FailureCode;
use lightbox_types::object_keys::{PreviewKind, preview_key};
use sync_core::catalog::{Catalog, PreviewStatus};
use sync_core::engine::{FilePhase, UploadTarget};
use sync_core::preview::decode::decode_jpeg;
use sync_core::upload::S3Transfer;

use crate::support::{PATIENCE, TestEngine, fast_ingest, get_object_bytes};

/// Write `bytes` to a hidden name and rename it in, as a camera import does.
fn drop_file(folder: &Path, name: &str, bytes: &[u8]) {
    let hidden = folder.join(format!(".{name}.tmp"));
    std::fs::write(&hidden, bytes).expect("the temp folder is writable");
    std::fs::rename(&hidden, folder.join(name)).expect("rename within one folder");
}

/// Wait until the catalog's preview ledger has an outcome for every key.
async fn outcomes(state: &Path, keys: &[String]) -> HashMap<String, PreviewStatus> {
    let catalog =
        Catalog::open(&state.join("catalog.sqlite")).expect("a second reader opens the catalog");
    tokio::time::timeout(PATIENCE, async {
        loop {
            let found: HashMap<String, PreviewStatus> = keys
                .iter()
                .filter_map(|k| Some((k.clone(), catalog.preview_status(k).expect("read")?)))
                .collect();
            if found.len() == keys.len() {
                return found;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("every uploaded file gets a preview outcome")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploaded_photos_get_upright_previews_and_a_corrupt_one_gets_a_code() {
    let stack = stack();
    let bucket = stack.fresh_garage_bucket("previews").await;
    let client = stack.garage_s3();
    let target = UploadTarget::new(
        S3Transfer::new(&client, &bucket),
        "test-uploader",
        "test-host",
    );
    let mut t = TestEngine::start_with(fast_ingest(), Some(target)).await;

    let mut corrupt = jpeg(300, 200, None);
    corrupt.truncate(corrupt.len() / 2);
    let files: [(&str, Vec<u8>); 4] = [
        ("turned.jpg", jpeg(1200, 800, Some(6))),
        ("flat.png", png(900, 600)),
        ("raw.dng", dng_with_preview(&jpeg(2400, 1600, None), 1)),
        ("broken.jpg", corrupt),
    ];
    for (name, bytes) in &files {
        drop_file(&t.folder, name, bytes);
    }
    let mut keys = HashMap::new();
    while keys.len() < files.len() {
        let event = t
            .wait_for("every file uploaded", |e| {
                matches!(
                    e.phase,
                    FilePhase::Uploaded { .. } | FilePhase::Failed { .. }
                )
            })
            .await;
        match event.phase {
            FilePhase::Uploaded { key, .. } => {
                let name = Path::new(&event.path)
                    .file_name()
                    .expect("a file")
                    .to_string_lossy()
                    .into_owned();
                keys.insert(name, key);
            }
            other => panic!(
                "{} must upload even when its preview fails: {other:?}",
                event.path
            ),
        }
    }
    let all: Vec<String> = keys.values().cloned().collect();
    let outcomes = outcomes(&t.state, &all).await;

    // (file, expected thumb size, why)
    let made = [
        (
            "turned.jpg",
            (267, 400),
            "stored 1200×800 with orientation 6: upright it is portrait",
        ),
        ("flat.png", (400, 267), "PNG landscape"),
        ("raw.dng", (400, 267), "the DNG's embedded 2400×1600 JPEG"),
    ];
    for (name, thumb_size, why) in made {
        let key = &keys[name];
        assert_eq!(outcomes[key], PreviewStatus::Made, "{name}: {why}");
        let thumb_key = preview_key(PreviewKind::Thumb, key).expect("an originals/ key");
        let thumb = decode_jpeg(
            &get_object_bytes(&client, &bucket, &thumb_key).await,
            u32::MAX,
        )
        .expect("the thumb is a JPEG");
        assert_eq!((thumb.width, thumb.height), thumb_size, "{name}: {why}");
        let screen_key = preview_key(PreviewKind::Screen, key).expect("an originals/ key");
        let screen = decode_jpeg(
            &get_object_bytes(&client, &bucket, &screen_key).await,
            u32::MAX,
        )
        .expect("the screen preview is a JPEG");
        assert!(
            screen.width.max(screen.height) <= 2048 && screen.width.max(screen.height) >= 900,
            "{name}: the screen preview is the source's size capped at 2048, got {}×{}",
            screen.width,
            screen.height
        );
        let corner = if name == "turned.jpg" {
            thumb.pixel(thumb.width - 4, 4)
        } else {
            thumb.pixel(4, 4)
        };
        let corner = corner.expect("in bounds");
        assert!(
            corner.iter().zip(MARK).all(|(a, b)| a.abs_diff(b) < 40),
            "{name}: the marked corner is where an upright view has it, found {corner:?}"
        );
    }
    match &outcomes[&keys["broken.jpg"]] {
        PreviewStatus::None { code, .. } => {
            assert_eq!(
                *code,
                FailureCode::PreviewFailed,
                "a truncated JPEG is damaged data"
            );
        }
        PreviewStatus::Made => panic!("a truncated JPEG cannot have made a preview"),
    }
    let original = get_object_bytes(&client, &bucket, &keys["broken.jpg"]).await;
    assert_eq!(
        original, files[3].1,
        "the corrupt original is uploaded byte for byte"
    );
    t.engine.stop(PATIENCE).await.expect("stops");
}
