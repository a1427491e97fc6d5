//! ZIP import: photos land in the target, non-images are skipped with a reason, and zip-slip
//! and zip bombs are refused before anything is written.

use lightbox_fixtures::{jpeg, png};
use lightbox_tests::zip_files::make_zip;
use lightbox_types::FailureCode;
use sync_core::zip_import::{Limits, import_zip};

#[test]
fn photos_are_unpacked_and_a_text_file_is_skipped_with_a_reason() {
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = dir.path().join("shoot.zip");
    make_zip(
        &archive,
        &[
            ("day1/a.jpg", jpeg(64, 48, None)),
            ("b.png", png(10, 10)),
            ("notes.txt", b"call the client".to_vec()),
        ],
    );
    let target = dir.path().join("import");
    let report = import_zip(&archive, &target, Limits::default()).expect("a clean archive imports");
    assert_eq!(
        report.imported,
        vec!["day1/a.jpg".to_owned(), "b.png".to_owned()],
        "both photos, in archive order"
    );
    assert_eq!(report.skipped.len(), 1, "the text file");
    assert!(
        report.skipped[0].1.contains("not a photo"),
        "with a reason: {:?}",
        report.skipped
    );
    assert_eq!(
        std::fs::read(target.join("day1/a.jpg")).expect("written"),
        jpeg(64, 48, None),
        "byte for byte"
    );
    assert!(
        !target.join("notes.txt").exists(),
        "the non-image is not written"
    );
}

#[test]
fn unsafe_and_oversized_archives_are_refused_before_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let zeros = vec![0u8; 8 * 1024 * 1024];
    let many: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| (format!("{i}.jpg"), jpeg(8, 8, None)))
        .collect();
    type Case<'a> = (&'a str, Vec<(&'a str, Vec<u8>)>, Limits, FailureCode);
    let cases: [Case; 4] = [
        (
            "zip-slip",
            vec![
                ("ok.jpg", jpeg(8, 8, None)),
                ("../evil.jpg", jpeg(8, 8, None)),
            ],
            Limits::default(),
            FailureCode::ZipUnsafePath,
        ),
        (
            "absolute path",
            vec![("/etc/evil.jpg", jpeg(8, 8, None))],
            Limits::default(),
            FailureCode::ZipUnsafePath,
        ),
        (
            "8 MiB of zeros (ratio ~1000×)",
            vec![("bomb.jpg", zeros)],
            Limits::default(),
            FailureCode::ZipBomb,
        ),
        (
            "too many entries",
            many.iter().map(|(n, b)| (n.as_str(), b.clone())).collect(),
            Limits {
                max_entries: 3,
                ..Limits::default()
            },
            FailureCode::ZipBomb,
        ),
    ];
    for (why, entries, limits, code) in cases {
        let archive = dir.path().join("bad.zip");
        make_zip(&archive, &entries);
        let target = dir.path().join(format!("import-{code}-{}", entries.len()));
        let err = import_zip(&archive, &target, limits).expect_err(why);
        assert_eq!(err.code(), code, "{why}: {err}");
        assert!(
            !target.exists(),
            "{why}: refused before the target was even made"
        );
        assert!(
            !dir.path().join("evil.jpg").exists(),
            "{why}: nothing escaped"
        );
    }
}
