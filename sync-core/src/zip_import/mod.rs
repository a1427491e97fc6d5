//! ZIP import: unpack an archive of photos into a folder the engine watches, so the photos take
//! the normal way (settle, fingerprint, plan, upload, preview) like any camera import.
//!
//! Where they go: `lightbox import-zip` extracts into `<state dir>/imports/<archive name>/` and
//! makes sure `<state dir>/imports` is a watched folder; the app calls [`import_zip`] with the
//! same folder. Each file is written under a hidden `.name.part` name and renamed into place,
//! so the watcher never sees half a file.
//!
//! Safety, checked before anything is written (the central directory) and again while
//! streaming (declared sizes can lie):
//! - **zip-slip**: an entry whose name leaves the target (`../evil.jpg`, an absolute path) or a
//!   symlink entry rejects the whole archive;
//! - **zip bombs**: more than [`Limits::max_entries`] entries, more than
//!   [`Limits::max_total_bytes`] unpacked, or an entry expanding more than
//!   [`Limits::max_ratio`] times its compressed size rejects the whole archive;
//! - **non-images**: an entry that is not a photo (by its first bytes) is skipped and listed
//!   with the reason; the photos around it are imported.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use lightbox_types::FailureCode;
use serde::Serialize;

use crate::preview::SourceFormat;

/// The archive limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    pub max_total_bytes: u64,
    /// Unpacked size over compressed size, per entry (JPEGs barely compress: ~1.1).
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 20_000,
            max_total_bytes: 64 * 1024 * 1024 * 1024,
            max_ratio: 100,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ZipImportError {
    #[error("cannot read {path} ({source}); check that it is a ZIP file")]
    Open { path: PathBuf, source: io::Error },
    #[error("{path} is not a readable ZIP archive ({detail}); re-create it and try again")]
    NotZip { path: PathBuf, detail: String },
    #[error(
        "the archive entry `{name}` would be written outside the import folder (zip-slip); nothing was imported, the archive is unsafe"
    )]
    UnsafePath { name: String },
    #[error("the archive looks like a zip bomb: {what}; nothing more was imported")]
    Bomb { what: String },
    #[error("cannot write {path} ({source}); check free space and permissions")]
    Write { path: PathBuf, source: io::Error },
}

impl ZipImportError {
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::Open { .. } => FailureCode::ZipOpenFailed,
            Self::NotZip { .. } => FailureCode::ZipInvalid,
            Self::UnsafePath { .. } => FailureCode::ZipUnsafePath,
            Self::Bomb { .. } => FailureCode::ZipBomb,
            Self::Write { .. } => FailureCode::ZipWriteFailed,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Files written, relative to the target.
    pub imported: Vec<String>,
    /// Entries skipped, with the reason.
    pub skipped: Vec<(String, String)>,
    pub bytes: u64,
}

/// Unpack the photos in `archive` into `target` (created if needed).
///
/// # Errors
/// [`ZipImportError`]: unreadable archive, zip-slip, zip bomb, a write failure.
pub fn import_zip(
    archive: &Path,
    target: &Path,
    limits: Limits,
) -> Result<ImportReport, ZipImportError> {
    let file = File::open(archive).map_err(|source| ZipImportError::Open {
        path: archive.to_path_buf(),
        source,
    })?;
    let not_zip = |e: zip::result::ZipError| ZipImportError::NotZip {
        path: archive.to_path_buf(),
        detail: e.to_string(),
    };
    let mut zip = zip::ZipArchive::new(io::BufReader::new(file)).map_err(not_zip)?;
    if zip.len() > limits.max_entries {
        return Err(ZipImportError::Bomb {
            what: format!("{} entries, more than {}", zip.len(), limits.max_entries),
        });
    }
    // Pass 1: the central directory, before anything is written.
    let mut declared_total = 0u64;
    for index in 0..zip.len() {
        let entry = zip.by_index_raw(index).map_err(not_zip)?;
        if entry.enclosed_name().is_none() || entry.is_symlink() {
            return Err(ZipImportError::UnsafePath {
                name: entry.name().to_owned(),
            });
        }
        check_ratio(entry.name(), entry.size(), entry.compressed_size(), limits)?;
        declared_total = declared_total.saturating_add(entry.size());
    }
    if declared_total > limits.max_total_bytes {
        return Err(ZipImportError::Bomb {
            what: format!(
                "{declared_total} bytes unpacked, more than {}",
                limits.max_total_bytes
            ),
        });
    }
    // Pass 2: stream each photo out, never trusting the declared sizes.
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ZipImportError::Write { path, source }
    };
    std::fs::create_dir_all(target).map_err(write_err(target))?;
    let mut report = ImportReport::default();
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).map_err(not_zip)?;
        let name = entry.name().to_owned();
        let Some(relative) = entry.enclosed_name() else {
            return Err(ZipImportError::UnsafePath { name });
        };
        if entry.is_dir() {
            continue;
        }
        let mut head = Vec::with_capacity(32);
        (&mut entry)
            .take(32)
            .read_to_end(&mut head)
            .map_err(|e| ZipImportError::NotZip {
                path: archive.to_path_buf(),
                detail: e.to_string(),
            })?;
        if SourceFormat::sniff(&head) == SourceFormat::Unknown {
            report.skipped.push((
                name,
                "not a photo (JPEG, PNG, HEIC or camera RAW)".to_owned(),
            ));
            continue;
        }
        let dest = target.join(&relative);
        let parent = dest.parent().unwrap_or(target).to_path_buf();
        std::fs::create_dir_all(&parent).map_err(write_err(&parent))?;
        let file_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let partial = parent.join(format!(".{file_name}.part"));
        let mut out = io::BufWriter::new(File::create(&partial).map_err(write_err(&partial))?);
        out.write_all(&head).map_err(write_err(&partial))?;
        let allowed = entry
            .size()
            .saturating_sub(u64::try_from(head.len()).unwrap_or(0));
        let copied = io::copy(&mut (&mut entry).take(allowed.saturating_add(1)), &mut out)
            .map_err(write_err(&partial))?;
        let written = copied + u64::try_from(head.len()).unwrap_or(0);
        if written > entry.size() || report.bytes.saturating_add(written) > limits.max_total_bytes {
            drop(out);
            std::fs::remove_file(&partial).map_err(write_err(&partial))?;
            return Err(ZipImportError::Bomb {
                what: format!(
                    "`{name}` unpacks to more than its declared {} bytes",
                    entry.size()
                ),
            });
        }
        out.into_inner()
            .map_err(|e| ZipImportError::Write {
                path: partial.clone(),
                source: e.into_error(),
            })?
            .sync_all()
            .map_err(write_err(&partial))?;
        std::fs::rename(&partial, &dest).map_err(write_err(&dest))?;
        report.bytes += written;
        report
            .imported
            .push(relative.to_string_lossy().into_owned());
    }
    Ok(report)
}

/// An entry expanding more than `limits.max_ratio` times is a bomb (pure).
///
/// # Errors
/// [`ZipImportError::Bomb`].
pub fn check_ratio(
    name: &str,
    size: u64,
    compressed: u64,
    limits: Limits,
) -> Result<(), ZipImportError> {
    // Tiny entries compress oddly; only judge entries of some size.
    if size > 64 * 1024 && size / compressed.max(1) > limits.max_ratio {
        return Err(ZipImportError::Bomb {
            what: format!(
                "`{name}` expands {size} bytes from {compressed} (over {}×)",
                limits.max_ratio
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_entries_that_expand_too_much_are_bombs() {
        let limits = Limits::default();
        let cases = [
            (
                10 * 1024 * 1024,
                9 * 1024 * 1024,
                true,
                "a JPEG barely compresses",
            ),
            (1000, 1, true, "a tiny entry is not judged"),
            (
                1024 * 1024 * 1024,
                1024 * 1024,
                false,
                "1 GiB from 1 MiB is 1024×",
            ),
            (100 * 1024 * 1024, 0, false, "no compressed bytes at all"),
        ];
        for (size, compressed, ok, why) in cases {
            assert_eq!(
                check_ratio("x", size, compressed, limits).is_ok(),
                ok,
                "{why}"
            );
        }
    }
}
