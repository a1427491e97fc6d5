//! ZIP import: photos land in the target, non-images are skipped with a reason, and zip-slip
//! and zip bombs are refused before anything is written.

use lightbox_fixtures::{jpeg, png};
use lightbox_tests::zip_files::make_zip;
use lightbox_types::FailureCode;
use sync_core::zip_import::{Limits, import_zip, unpack_into};

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

/// Every file under `dir`, relative, sorted: to show nothing was written.
fn listing(dir: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            out.push(
                path.strip_prefix(root)
                    .expect("under root")
                    .display()
                    .to_string(),
            );
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                walk(root, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn an_archive_named_dots_is_refused_and_names_never_leave_the_imports_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).expect("mkdir");
    std::fs::write(state.join("catalog.sqlite"), b"the catalog").expect("a catalog");
    let imports = state.join("imports");
    let dots = dir.path().join("...zip");
    make_zip(&dots, &[("catalog.sqlite", jpeg(8, 8, None))]);
    let before = listing(&state);
    let err = unpack_into(&dots, &imports, Limits::default()).expect_err("`...zip` is refused");
    println!("`...zip` refused: {err}");
    assert_eq!(err.code(), FailureCode::ZipUnsafePath);
    assert!(
        err.to_string().contains("rename the archive"),
        "says what to do: {err}"
    );
    assert_eq!(listing(&state), before, "nothing written");
    assert_eq!(
        std::fs::read(state.join("catalog.sqlite")).expect("still there"),
        b"the catalog",
        "the catalog is untouched"
    );

    // The same name twice: a fresh folder each time, never the first one again.
    let shoot = dir.path().join("shoot.zip");
    make_zip(&shoot, &[("a.jpg", jpeg(8, 8, None))]);
    let first = unpack_into(&shoot, &imports, Limits::default()).expect("imports");
    let second = unpack_into(&shoot, &imports, Limits::default()).expect("imports again");
    assert_eq!(first.folder, imports.join("shoot"));
    assert_eq!(second.folder, imports.join("shoot-2"), "a fresh folder");

    // A refused archive leaves no folder behind.
    let evil = dir.path().join("evil.zip");
    make_zip(&evil, &[("../evil.jpg", jpeg(8, 8, None))]);
    let before = listing(&imports);
    unpack_into(&evil, &imports, Limits::default()).expect_err("zip-slip");
    assert_eq!(
        listing(&imports),
        before,
        "the extraction folder is removed"
    );

    // The imports folder as a link (to the state directory, say) is refused.
    let linked_state = dir.path().join("state2");
    std::fs::create_dir_all(&linked_state).expect("mkdir");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&state, linked_state.join("imports")).expect("symlink");
        let err = unpack_into(&shoot, &linked_state.join("imports"), Limits::default())
            .expect_err("a linked imports folder");
        assert!(err.to_string().contains("symbolic link"), "{err}");
    }
}

#[test]
fn one_import_may_unpack_at_most_8_gib() {
    assert!(
        Limits::default().max_total_bytes <= 8 * 1024 * 1024 * 1024,
        "not a disk's worth"
    );
}
