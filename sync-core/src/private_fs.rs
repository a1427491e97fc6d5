//! Folders and files only their owner may read: the state directory, the imports folder, the
//! refresh-token file. Modes are set at creation (never `chmod` after, which leaves a window).

use std::io;
use std::path::Path;

/// Create `path` and any missing parents with mode 0700 (Unix). An existing folder keeps
/// its mode.
///
/// # Errors
/// The I/O error of the first folder that could not be created.
pub fn create_dir_all(path: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(path)
}
