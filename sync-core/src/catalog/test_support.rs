//! Fixtures for the catalog's table tests.

use lightbox_types::{CompletedPart, FailureCode};
use std::path::Path;

use jiff::Timestamp;

use super::{Catalog, FileId, FileStat, FileState, FolderId, RelPath, Sha256Digest, UploadMethod};

/// `seconds` after the epoch: tests pass time in, like the engine.
pub(crate) fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).expect("test times are small")
}

pub(crate) fn rel(path: &str) -> RelPath {
    RelPath::from_path(Path::new(path)).expect("test paths are valid relative paths")
}

pub(crate) fn stat(size: u64, mtime_ns: i64) -> FileStat {
    FileStat {
        size,
        mtime_ns,
        os_file_id: None,
    }
}

/// A distinct digest per `n`.
pub(crate) fn sha(n: u8) -> Sha256Digest {
    Sha256Digest::from([n; 32])
}

pub(crate) fn part(part_number: u16) -> CompletedPart {
    CompletedPart {
        part_number,
        etag: format!("\"etag-{part_number}\""),
        checksum: format!("crc-{part_number}"),
        size: 8 << 20,
    }
}

/// An in-memory catalog watching `/photos`.
pub(crate) fn catalog_with_folder() -> (Catalog, FolderId) {
    let mut catalog = Catalog::open_in_memory().expect("an in-memory catalog opens");
    let folder = catalog
        .add_folder(Path::new("/photos"), at(0))
        .expect("folder added");
    (catalog, folder)
}

/// Catalog `name` (content `sha256`, mtime growing with each call so the newest file is the
/// last one made) and walk it along the happy path to `target`. `Skipped` is reached from
/// `Hashed`, `Failed` from `Ready`. Planned keys are `originals/<name>`.
pub(crate) fn drive_to(
    catalog: &mut Catalog,
    folder: FolderId,
    name: &str,
    sha256: Sha256Digest,
    target: FileState,
) -> FileId {
    let mtime = catalog.counts_by_state().expect("counted").total();
    let mtime = i64::try_from(mtime).expect("few test files") * 1_000;
    let file = catalog
        .observe_file(folder, &rel(name), &stat(10, mtime), at(1))
        .expect("observed")
        .file();
    let path: &[FileState] = match target {
        FileState::Skipped => &[FileState::Ready, FileState::Hashed, FileState::Skipped],
        FileState::Failed => &[FileState::Ready, FileState::Failed],
        _ => {
            let end = FileState::ALL
                .iter()
                .position(|s| *s == target)
                .expect("a state");
            &FileState::ALL[1..=end]
        }
    };
    for (step, state) in (2..).zip(path) {
        let now = at(step);
        match state {
            FileState::Discovered => {}
            FileState::Ready => catalog.mark_ready(file, now).expect("ready"),
            FileState::Hashed => catalog
                .record_fingerprint(file, sha256, None, None, now)
                .expect("hashed"),
            FileState::Planned => {
                catalog
                    .record_plan(file, &format!("originals/{name}"), now)
                    .expect("planned");
            }
            FileState::Uploading => {
                catalog
                    .mark_uploading(file, &UploadMethod::SinglePut, now)
                    .expect("uploading");
            }
            FileState::Uploaded => catalog.mark_uploaded(file, now).expect("uploaded"),
            FileState::Done => catalog.mark_done(file, now).expect("done"),
            FileState::Skipped => catalog
                .record_skip(file, "duplicate", now)
                .expect("skipped"),
            FileState::Failed => {
                catalog
                    .record_failure(
                        file,
                        FailureCode::IngestReadFailed,
                        "read failed",
                        None,
                        now,
                    )
                    .expect("failed");
            }
        }
    }
    file
}
