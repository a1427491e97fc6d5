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

/// Create `path` as an empty file with mode 0600 (Unix) when it does not exist; an existing
/// file is left as it is.
///
/// # Errors
/// The I/O error of creating it.
pub fn create_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt as _;

    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn folders_are_0700_and_files_0600_from_the_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = dir.path().join("a/state");
        create_dir_all(&state).expect("mkdir");
        assert_eq!(mode(&state), 0o700);
        assert_eq!(mode(&dir.path().join("a")), 0o700);
        let file = state.join("catalog.sqlite");
        create_file(&file).expect("create");
        assert_eq!(mode(&file), 0o600);
        create_file(&file).expect("an existing file is fine");
    }

    #[test]
    fn the_catalog_and_the_state_dir_are_private() {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = crate::config::Config {
            state_dir: Some(dir.path().join("state")),
            ..crate::config::Config::default()
        };
        let state = config.state_dir().expect("state dir");
        assert_eq!(mode(&state), 0o700, "the state dir");
        let path = state.join("catalog.sqlite");
        drop(crate::catalog::Catalog::open(&path).expect("opens"));
        assert_eq!(mode(&path), 0o600, "the catalog");
    }
}
