//! Files and ZIPs dropped on the window: each file is queued like a camera import (settle,
//! fingerprint, plan, upload), a `.zip` is unpacked by [`sync_core::zip_import`] into
//! a fresh folder under `<state dir>/imports/` and its photos are queued.

use std::path::{Path, PathBuf};

use crate::DesktopCore;
use crate::ipc::{ImportReport, IpcError, PathProblem};
use lightbox_types::FailureCode;
use sync_core::engine::Engine;
use sync_core::zip_import::{Limits, Unpacked, unpack_into};

/// Whether `path` names a ZIP archive (by extension, any case).
fn is_zip(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
}

fn problem(path: &Path, code: FailureCode, message: impl Into<String>) -> PathProblem {
    PathProblem {
        path: path.display().to_string(),
        code,
        message: message.into(),
    }
}

const FILTERED: &str = "Lightbox uploads photos only and this file type is filtered out; add \
                        its extension under Settings → File types to upload it.";

/// Queue one file, counting it or recording why not.
async fn queue_file(engine: &Engine, path: &Path, report: &mut ImportReport) {
    match engine.add_file(path).await {
        Ok(true) => report.queued += 1,
        Ok(false) => report
            .rejected
            .push(problem(path, FailureCode::ImportFiltered, FILTERED)),
        Err(e) => report.rejected.push(problem(path, e.code(), e.to_string())),
    }
}

impl DesktopCore {
    /// Remember the paths of a drop on the window, as the OS gave them to Rust: the one way a
    /// path gets into [`DesktopCore::import_paths`]. `src-tauri` calls this from the window's
    /// `DragDrop` event; tests call it the same way.
    pub fn files_dropped(&self, paths: Vec<PathBuf>) {
        self.dropped.remember(paths);
    }

    /// Queue the dropped `paths`: each must have come through [`DesktopCore::files_dropped`]
    /// (once); any other path is refused with `import_not_dropped` and not read.
    ///
    /// # Errors
    /// `engine_busy`, `not_signed_in`; per-path problems are in the report.
    pub async fn import_paths(&self, paths: &[String]) -> Result<ImportReport, IpcError> {
        let engine = self.engine().await?;
        let imports = self.state_dir()?.join("imports");
        let mut report = ImportReport {
            queued: 0,
            zips: 0,
            rejected: Vec::new(),
        };
        for raw in paths {
            let path = PathBuf::from(raw);
            if !self.dropped.take(&path) {
                report.rejected.push(problem(
                    &path,
                    FailureCode::ImportNotDropped,
                    "This path did not come from a drop on the window, so it was not read. \
                     Drag the file onto Lightbox to upload it.",
                ));
                continue;
            }
            if path.is_dir() {
                report.rejected.push(problem(
                    &path,
                    FailureCode::ImportIsFolder,
                    "This is a folder: add it on the Folders screen to watch it. Dropping \
                     uploads single files and ZIP archives.",
                ));
                continue;
            }
            if !is_zip(&path) {
                queue_file(&engine, &path, &mut report).await;
                continue;
            }
            let imports_dir = imports.clone();
            let archive = path.clone();
            let unpacked = tokio::task::spawn_blocking(move || {
                unpack_into(&archive, &imports_dir, Limits::default())
            })
            .await;
            let Unpacked {
                folder: target,
                report: unpacked,
            } = match unpacked {
                Ok(Ok(unpacked)) => unpacked,
                Ok(Err(e)) => {
                    report
                        .rejected
                        .push(problem(&path, e.code(), e.to_string()));
                    continue;
                }
                Err(e) => {
                    report.rejected.push(problem(
                        &path,
                        FailureCode::ZipInterrupted,
                        format!("unpacking stopped ({e}); try again"),
                    ));
                    continue;
                }
            };
            report.zips += 1;
            for (name, reason) in unpacked.skipped {
                report.rejected.push(problem(
                    &path.join(&name),
                    FailureCode::ZipEntrySkipped,
                    reason,
                ));
            }
            for name in unpacked.imported {
                queue_file(&engine, &target.join(&name), &mut report).await;
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zips_are_known_by_extension_in_any_case() {
        assert!(is_zip(Path::new("/tmp/shoot.ZIP")));
        assert!(is_zip(Path::new("shoot.zip")));
        assert!(!is_zip(Path::new("shoot.zip.jpg")));
        assert!(!is_zip(Path::new("zip")));
    }
}
