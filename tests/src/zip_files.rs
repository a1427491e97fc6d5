//! ZIP archives built for tests.

use std::io::Write as _;
use std::path::Path;

use zip::write::SimpleFileOptions;

/// A ZIP at `path` holding `entries` (name, bytes), deflated as cameras and OS menus write them.
pub fn make_zip(path: &Path, entries: &[(&str, Vec<u8>)]) {
    let file = std::fs::File::create(path).expect("the temp dir is writable");
    let mut zip = zip::ZipWriter::new(file);
    for (name, bytes) in entries {
        zip.start_file(*name, SimpleFileOptions::default())
            .expect("entry starts");
        zip.write_all(bytes).expect("entry written");
    }
    zip.finish().expect("archive finished");
}
