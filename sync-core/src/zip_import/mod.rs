//! ZIP import: unpack an archive of photos into a folder the engine watches, so the photos take
//! the normal way (settle, fingerprint, plan, upload, preview) like any camera import.
//!
//! Where they go: [`unpack_into`] extracts into a fresh folder under `<state dir>/imports/`,
//! named from the archive's name made safe ([`folder_name`]: letters, digits, `-`, `_`, `.`
//! inside, never a name of dots only) and made unique (`shoot`, `shoot-2`, ...); a folder that
//! already exists is never written into. `lightbox import-zip` makes sure
//! `<state dir>/imports` is a watched folder; the app does the same through the engine. When an
//! import fails or holds no photo, its folder is removed again. Each file is written under a hidden `.name.part` name and renamed into place,
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
            // What one import may unpack: a full card of RAW files, not a disk's worth.
            max_total_bytes: 8 * 1024 * 1024 * 1024,
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
    #[error(
        "the archive name `{name}` gives no safe folder name; rename the archive (letters or digits) and try again"
    )]
    UnsafeName { name: String },
    #[error(
        "the imports folder {path} is a symbolic link; nothing was imported. Remove the link (the state directory must hold a real folder)"
    )]
    LinkedImports { path: PathBuf },
    #[error("cannot write {path} ({source}); check free space and permissions")]
    Write { path: PathBuf, source: io::Error },
}

impl ZipImportError {
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::Open { .. } => FailureCode::ZipOpenFailed,
            Self::NotZip { .. } => FailureCode::ZipInvalid,
            Self::UnsafePath { .. } | Self::UnsafeName { .. } | Self::LinkedImports { .. } => {
                FailureCode::ZipUnsafePath
            }
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

/// The folder name for `archive`'s photos (pure): its stem with anything but ASCII letters,
/// digits, `-`, `_` and inner `.` replaced by `_`, leading and trailing dots trimmed, at most
/// 64 characters; `None` when nothing nameable is left (`...zip`, `..zip`).
#[must_use]
pub fn folder_name(archive: &Path) -> Option<String> {
    let stem = archive.file_stem()?.to_string_lossy();
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let safe = safe.trim_matches('.');
    safe.chars()
        .any(|c| c.is_ascii_alphanumeric())
        .then(|| safe.to_owned())
}

/// Where an import went and what it did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// The fresh folder under the imports folder.
    pub folder: PathBuf,
    pub report: ImportReport,
}

/// Unpack `archive` into a fresh folder under `imports` (created 0700 if missing; refused when
/// it is a symbolic link). The folder is removed again when the import fails or holds no photo.
///
/// # Errors
/// [`ZipImportError`]: an archive name with nothing nameable, a linked imports folder, and
/// everything [`import_zip`] refuses.
pub fn unpack_into(
    archive: &Path,
    imports: &Path,
    limits: Limits,
) -> Result<Unpacked, ZipImportError> {
    let name = folder_name(archive).ok_or_else(|| ZipImportError::UnsafeName {
        name: archive
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
    })?;
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ZipImportError::Write { path, source }
    };
    crate::private_fs::create_dir_all(imports).map_err(write_err(imports))?;
    if std::fs::symlink_metadata(imports)
        .map_err(write_err(imports))?
        .file_type()
        .is_symlink()
    {
        return Err(ZipImportError::LinkedImports {
            path: imports.to_path_buf(),
        });
    }
    let folder = fresh_folder(imports, &name).map_err(write_err(imports))?;
    match import_zip(archive, &folder, limits) {
        Ok(report) if report.imported.is_empty() => {
            std::fs::remove_dir_all(&folder).map_err(write_err(&folder))?;
            Ok(Unpacked { folder, report })
        }
        Ok(report) => Ok(Unpacked { folder, report }),
        Err(e) => {
            // Best effort: the error says what went wrong; a leftover folder holds no photo
            // that was reported imported.
            let _cleanup = std::fs::remove_dir_all(&folder);
            Err(e)
        }
    }
}

/// `imports/<name>`, else `imports/<name>-2`, ...: the first that did not exist, created here
/// (`create_dir`, so an existing folder or link is never reused).
fn fresh_folder(imports: &Path, name: &str) -> io::Result<PathBuf> {
    for n in 1u32.. {
        let candidate = if n == 1 {
            imports.join(name)
        } else {
            imports.join(format!("{name}-{n}"))
        };
        match std::fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::other("no free folder name"))
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
    fn folder_names_never_leave_the_imports_folder() {
        let cases = [
            ("/tmp/shoot.zip", Some("shoot")),
            ("/tmp/...zip", None),
            ("/tmp/.zip", Some("zip")),
            ("/tmp/..zip", None),
            ("/tmp/a/b c.zip", Some("b_c")),
            ("/tmp/..hidden.zip", Some("hidden")),
            ("/tmp/x/../y.zip", Some("y")),
            ("/tmp/Ünïcode.zip", Some("_n_code")),
        ];
        for (path, want) in cases {
            assert_eq!(folder_name(Path::new(path)).as_deref(), want, "{path}");
        }
    }

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
