//! Where a download may be written: never through a symbolic link, never half a file.

use std::path::{Path, PathBuf};

use super::GalleryError;

/// Refuse a destination that is a symbolic link, or whose folder is one (pure but for the
/// `lstat` of the two paths; nothing is created).
///
/// # Errors
/// [`GalleryError::UnsafeDestination`].
pub fn check(to: &Path) -> Result<(), GalleryError> {
    let unsafe_dest = |path: &Path, why| GalleryError::UnsafeDestination {
        path: path.to_path_buf(),
        why,
    };
    if is_link(to) {
        return Err(unsafe_dest(to, "is a symbolic link"));
    }
    if to.file_name().is_none() {
        return Err(unsafe_dest(to, "names no file"));
    }
    let folder = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if is_link(folder) {
        return Err(unsafe_dest(
            folder,
            "(the folder to save into) is a symbolic link",
        ));
    }
    Ok(())
}

fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// A fresh hidden temporary file next to `to`: a random name opened with
/// `O_CREAT|O_EXCL` (which never follows a link) and mode 0600 (the `tempfile` crate). Its
/// path is removed when dropped unless renamed.
///
/// # Errors
/// The I/O error of creating it.
pub fn create_partial(to: &Path) -> std::io::Result<(tempfile::TempPath, std::fs::File)> {
    let folder: PathBuf = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = to
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let (file, path) = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".lightbox-part")
        .tempfile_in(folder)?
        .into_parts();
    Ok((path, file))
}
