//! The gallery against Garage: listing by date fills the cache, pages come newest first, URLs
//! are presigned, staff cannot delete, an admin's confirmed delete removes original + previews
//! and the same content dropped again is skipped as tombstoned.

use std::time::Duration;

use jiff::Timestamp;
use lightbox_fixtures::jpeg;
use lightbox_tests::stack;
use lightbox_types::{FailureCode, Role, SkipReason};
use sync_core::credential_expiry::CredentialExpiry;
use sync_core::engine::{FilePhase, UploadTarget};
use sync_core::gallery::{Bucket, GalleryCache, date_prefix, refresh};
use sync_core::upload::S3Transfer;

use crate::support::{TestEngine, fast_ingest, get_object_bytes};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_presign_delete_and_the_deleted_content_stays_out() {
    let stack = stack();
    let bucket_name = stack.fresh_garage_bucket("gallery").await;
    let client = stack.garage_s3();
    let target = UploadTarget::new(S3Transfer::new(&client, &bucket_name), "test", "host");
    let mut t = TestEngine::start_with(fast_ingest(), Some(target)).await;
    let photo = jpeg(800, 600, None);
    std::fs::write(t.folder.join("keep.jpg"), jpeg(640, 480, None)).expect("write");
    std::fs::write(t.folder.join("reject.jpg"), &photo).expect("write");
    let mut keys = Vec::new();
    while keys.len() < 2 {
        let e = t
            .wait_for("uploads", |e| matches!(e.phase, FilePhase::Uploaded { .. }))
            .await;
        if let FilePhase::Uploaded { key, .. } = e.phase {
            keys.push(key);
        }
    }
    let reject = keys
        .iter()
        .find(|k| k.ends_with("reject.jpg"))
        .expect("uploaded")
        .clone();
    // Let the previewer finish, so the previews exist before the delete.
    let thumb = format!("previews/thumb/{}.jpg", &reject["originals/".len()..]);
    let mut waited = 0;
    while client
        .head_object()
        .bucket(&bucket_name)
        .key(&thumb)
        .send()
        .await
        .is_err()
        && waited < 600
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    }

    let bucket = Bucket {
        client: client.clone(),
        bucket: bucket_name.clone(),
        credentials: CredentialExpiry::default(),
    };
    let years = bucket
        .child_prefixes("originals/")
        .await
        .expect("years listed");
    assert_eq!(
        years.len(),
        1,
        "both photos were uploaded today: one year prefix, got {years:?}"
    );
    let day = &reject[..reject.rfind('/').expect("a dated key") + 1];
    let date = day["originals/".len()..day.len() - 1].replace('/', "-");
    assert_eq!(
        date_prefix(Some(&date)),
        day,
        "the CLI's --date maps to the day prefix"
    );

    let mut cache = GalleryCache::open(&t.state.join("gallery-cache.sqlite")).expect("cache opens");
    assert_eq!(
        refresh(&bucket, &mut cache, day).await.expect("listed"),
        2,
        "both originals of the day"
    );
    let first = cache.page(day, None, 1).expect("page");
    let second = cache.page(day, first.next.as_deref(), 1).expect("page");
    assert!(second.next.is_none(), "two photos, one per page: two pages");
    assert_ne!(
        first.items[0].key, second.items[0].key,
        "no repeats across pages"
    );

    let urls = bucket
        .photo_urls(&reject, Duration::from_secs(300))
        .await
        .expect("presigned");
    for url in [&urls.thumb, &urls.screen, &urls.original] {
        assert!(
            url.contains("X-Amz-Signature=") && url.contains("X-Amz-Expires=300"),
            "a SigV4 query-signed URL with the lifetime asked: {url}"
        );
    }

    let now = Timestamp::now();
    let selection = vec![reject.clone()];
    let err = bucket
        .preview_delete(&selection, Role::Staff, now)
        .await
        .expect_err("staff");
    assert_eq!(err.code(), FailureCode::GalleryDeleteForbidden, "{err}");
    let preview = bucket
        .preview_delete(&selection, Role::Admin, now)
        .await
        .expect("admin preview");
    assert_eq!(preview.objects.len(), 3, "original, thumb, screen");
    assert!(
        !preview.undoable,
        "Garage has no versioning: the delete is final and says so"
    );
    let err = bucket
        .delete(
            t.engine.catalog(),
            &[keys[0].clone(), keys[1].clone()],
            &preview.token,
            Role::Admin,
            "admin",
            now,
        )
        .await
        .expect_err("a token for one photo cannot delete two");
    assert_eq!(
        err.code(),
        FailureCode::GalleryConfirmationMismatch,
        "{err}"
    );
    let outcome = bucket
        .delete(
            t.engine.catalog(),
            &selection,
            &preview.token,
            Role::Admin,
            "admin",
            now,
        )
        .await
        .expect("confirmed delete");
    assert_eq!(outcome.tombstoned, 1, "the content is barred");
    for key in &preview.objects {
        let gone = client
            .head_object()
            .bucket(&bucket_name)
            .key(key)
            .send()
            .await;
        assert!(gone.is_err(), "{key} is deleted");
    }
    let kept = keys
        .iter()
        .find(|k| k.ends_with("keep.jpg"))
        .expect("uploaded");
    assert!(
        !get_object_bytes(&client, &bucket_name, kept)
            .await
            .is_empty(),
        "the other photo is untouched"
    );

    std::fs::write(t.folder.join("reject-again.jpg"), &photo).expect("write");
    let skipped = t
        .wait_for("the re-dropped copy is decided", |e| {
            e.path.ends_with("reject-again.jpg")
                && matches!(
                    e.phase,
                    FilePhase::Skipped { .. } | FilePhase::Uploaded { .. }
                )
        })
        .await;
    match skipped.phase {
        FilePhase::Skipped { reason, .. } => assert_eq!(
            reason,
            SkipReason::Tombstoned,
            "skipped because an admin deleted it"
        ),
        other => panic!("deleted content must not be uploaded again: {other:?}"),
    }
    t.engine
        .stop(crate::support::PATIENCE)
        .await
        .expect("stops");
}

/// Every name in `dir` (not recursive), sorted: to show nothing was written.
fn names(dir: &std::path::Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .expect("readable")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

#[cfg(unix)]
#[tokio::test]
async fn downloads_refuse_linked_destinations_and_keys_outside_originals() {
    let stack = stack();
    let bucket_name = stack.fresh_garage_bucket("download-guard").await;
    let client = stack.garage_s3();
    let photo = jpeg(64, 48, None);
    for key in [
        "originals/2026/11/23/a.jpg",
        "previews/thumb/2026/11/23/a.jpg",
    ] {
        client
            .put_object()
            .bucket(&bucket_name)
            .key(key)
            .body(photo.clone().into())
            .send()
            .await
            .expect("put");
    }
    let bucket = Bucket {
        client: client.clone(),
        bucket: bucket_name.clone(),
        credentials: CredentialExpiry::default(),
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, b"keep me").expect("write");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).expect("mkdir");
    let save_dir = dir.path().join("save");
    std::fs::create_dir(&save_dir).expect("mkdir");
    std::os::unix::fs::symlink(&victim, save_dir.join("photo.jpg")).expect("symlink");
    std::os::unix::fs::symlink(&elsewhere, dir.path().join("linked-folder")).expect("symlink");
    let before = (names(dir.path()), names(&save_dir), names(&elsewhere));

    let cases = [
        (
            "a symlinked destination",
            "originals/2026/11/23/a.jpg",
            save_dir.join("photo.jpg"),
            FailureCode::GalleryUnsafeDestination,
        ),
        (
            "a destination in a symlinked folder",
            "originals/2026/11/23/a.jpg",
            dir.path().join("linked-folder/photo.jpg"),
            FailureCode::GalleryUnsafeDestination,
        ),
        (
            "a key outside originals/",
            "previews/thumb/2026/11/23/a.jpg",
            save_dir.join("thumb.jpg"),
            FailureCode::GalleryNotAnOriginal,
        ),
    ];
    for (what, key, to, code) in cases {
        let err = bucket.download(key, &to).await.expect_err(what);
        println!("{what}: refused: {err}");
        assert_eq!(err.code(), code, "{what}: {err}");
        assert!(
            err.to_string().contains("choose another place")
                || err.to_string().contains("not an original"),
            "{what}: the message says what to do: {err}"
        );
    }
    assert_eq!(
        std::fs::read(&victim).expect("still there"),
        b"keep me",
        "the link's target is untouched"
    );
    assert_eq!(
        (names(dir.path()), names(&save_dir), names(&elsewhere)),
        before,
        "nothing written anywhere"
    );

    // The same download to a plain path works, and leaves no temporary file.
    let to = save_dir.join("real.jpg");
    let bytes = bucket
        .download("originals/2026/11/23/a.jpg", &to)
        .await
        .expect("a plain destination");
    assert_eq!(std::fs::read(&to).expect("saved"), photo);
    assert_eq!(bytes, u64::try_from(photo.len()).expect("fits"));
    assert_eq!(
        names(&save_dir),
        vec!["photo.jpg", "real.jpg"],
        "no leftover"
    );
}
