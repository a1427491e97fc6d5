//! The reconciliation scan: walk a watched folder and bring the catalog in line
//! with it. Runs at start-up, when the watcher's event queue overflowed, and
//! periodically for network shares that send no events.
//!
//! It never reads file contents: a file whose (size, mtime, file id) is unchanged is
//! left alone, so rescanning 100k catalogued files costs one directory walk and one
//! query. A missing or unreadable folder is never taken as "everything deleted":
//! rows are only dropped for files that are gone from a directory we could read.
//!
//! It runs on a blocking thread and walks and stats the folder without the catalog: the
//! catalogued stats are read once up front (on the reader connection), and what differs is
//! sent to the catalog's writer in batches of [`BATCH`] paths, one transaction each. So the
//! writer is never held for the walk, and a part completion queued behind the scan waits for
//! one batch at most (`catalog/owner.rs`, issue #17).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use walkdir::WalkDir;

use crate::catalog::{
    CatalogError, CatalogHandle, FileId, Observation, ObserveOutcome, RelPath, WatchedFolder,
};
use crate::ingest::Filter;
use lightbox_types::FileStat;

/// Paths committed per transaction: a batch of 500 new rows takes the writer a few
/// milliseconds, so whatever is queued behind it (a part completion) hardly waits.
const BATCH: usize = 500;

/// What a scan found and did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ScanReport {
    /// Candidate files seen on disk.
    pub seen: u64,
    /// Files new to the catalog, and files whose stat changed: both need settling.
    pub to_settle: Vec<(FileId, PathBuf)>,
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    /// Catalogued files no longer on disk, dropped from the queue.
    pub vanished: u64,
    /// Multipart uploads of changed or vanished files, to abort.
    pub abort_upload_ids: Vec<String>,
    /// Entries that could not be read (a subfolder without permission, a symlink
    /// loop); files below them are kept as they were.
    pub unreadable: Vec<String>,
}

/// Why a folder could not be scanned at all.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(
        "folder {path} is not available ({reason}): is the card or share mounted? Nothing was \
         changed; Lightbox retries at the next scan"
    )]
    Unavailable { path: PathBuf, reason: String },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Scan `folder`, updating `catalog`. Blocks: call it from a blocking thread, never from a
/// runtime worker.
///
/// # Errors
/// [`ScanError::Unavailable`] when the folder itself cannot be read (then nothing is
/// changed), or a catalog error (the batches committed before it stay committed: each is a
/// consistent set of observations, and the next scan carries on from them).
pub fn scan_folder(
    catalog: &CatalogHandle,
    folder: &WatchedFolder,
    filter: &Filter,
    now: Timestamp,
) -> Result<ScanReport, ScanError> {
    let root = &folder.path;
    if let Err(e) = std::fs::read_dir(root) {
        return Err(ScanError::Unavailable {
            path: root.clone(),
            reason: e.to_string(),
        });
    }
    let id = folder.id;
    let mut known = catalog.read_blocking(move |c| c.folder_stats(id))?;
    let mut report = ScanReport::default();
    let mut unreadable_dirs: Vec<PathBuf> = Vec::new();
    let mut pending: Vec<Observation> = Vec::with_capacity(BATCH);

    for entry in WalkDir::new(root).follow_links(false).min_depth(1) {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                if let Some(path) = e.path() {
                    unreadable_dirs.push(path.strip_prefix(root).unwrap_or(path).to_path_buf());
                }
                report.unreadable.push(e.to_string());
                continue;
            }
        };
        // Symlinks are not followed (no loops, no uploads from outside the folder).
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        if !filter.verdict(relative).is_candidate() {
            continue;
        }
        let Ok(rel_path) = RelPath::from_path(relative) else {
            report
                .unreadable
                .push(format!("{}: name cannot be catalogued", relative.display()));
            continue;
        };
        let Some(stat) = entry
            .metadata()
            .ok()
            .as_ref()
            .and_then(FileStat::from_metadata)
        else {
            continue; // gone between the listing and the stat
        };
        report.seen += 1;
        match known.remove(&rel_path) {
            Some(catalogued) if catalogued.stat == stat => report.unchanged += 1,
            _ => pending.push(Observation { rel_path, stat }),
        }
        if pending.len() >= BATCH {
            commit(catalog, folder, &mut pending, now, &mut report)?;
        }
    }
    commit(catalog, folder, &mut pending, now, &mut report)?;

    // What is left in `known` was not seen on disk.
    let shielded: HashSet<&Path> = unreadable_dirs.iter().map(PathBuf::as_path).collect();
    let gone: Vec<FileId> = known
        .into_iter()
        .filter(|(rel_path, _)| {
            !rel_path
                .to_path_buf()
                .ancestors()
                .any(|a| shielded.contains(a))
        })
        .map(|(_, catalogued)| catalogued.file)
        .collect();
    for batch in gone.chunks(BATCH) {
        let batch = batch.to_vec();
        for vanished in catalog
            .run_blocking(move |c| c.mark_vanished_batch(&batch))?
            .into_iter()
            .flatten()
        {
            report.vanished += 1;
            report.abort_upload_ids.extend(vanished.abort_upload_id);
        }
    }
    Ok(report)
}

/// Observe `pending` in one transaction on the writer, and note the outcomes.
fn commit(
    catalog: &CatalogHandle,
    folder: &WatchedFolder,
    pending: &mut Vec<Observation>,
    now: Timestamp,
    report: &mut ScanReport,
) -> Result<(), CatalogError> {
    if pending.is_empty() {
        return Ok(());
    }
    let batch = std::mem::replace(pending, Vec::with_capacity(BATCH));
    let id = folder.id;
    let (batch, outcomes) = catalog.run_blocking(move |c| {
        let outcomes = c.observe_batch(id, &batch, now)?;
        Ok((batch, outcomes))
    })?;
    for (observation, outcome) in batch.into_iter().zip(outcomes) {
        let path = folder.path.join(observation.rel_path.to_path_buf());
        match outcome {
            ObserveOutcome::New(file) => {
                report.new += 1;
                report.to_settle.push((file, path));
            }
            ObserveOutcome::Changed {
                file,
                abort_upload_id,
            } => {
                report.changed += 1;
                report.abort_upload_ids.extend(abort_upload_id);
                report.to_settle.push((file, path));
            }
            ObserveOutcome::Unchanged(_) => report.unchanged += 1,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::catalog::Catalog;
    use crate::ingest::FilterSettings;

    fn setup() -> (tempfile::TempDir, CatalogHandle, WatchedFolder, Filter) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut catalog = Catalog::open_in_memory().expect("catalog");
        let root = dir.path().canonicalize().expect("canonical");
        let id = catalog
            .add_folder(&root, Timestamp::UNIX_EPOCH)
            .expect("folder");
        let folder = catalog.get_folder(id).expect("read").expect("exists");
        let filter = Filter::new(&FilterSettings::default()).expect("default filter");
        let catalog = CatalogHandle::start(catalog).expect("catalog thread");
        (dir, catalog, folder, filter)
    }

    #[test]
    fn finds_new_files_skips_unchanged_and_drops_vanished() {
        let (dir, catalog, folder, filter) = setup();
        fs::create_dir(dir.path().join("card")).expect("mkdir");
        fs::write(dir.path().join("card/a.jpg"), b"a").expect("write");
        fs::write(dir.path().join("b.CR3"), b"b").expect("write");
        fs::write(dir.path().join("notes.txt"), b"x").expect("write");
        fs::write(dir.path().join("c.jpg.part"), b"x").expect("write");

        let first = scan_folder(&catalog, &folder, &filter, Timestamp::UNIX_EPOCH).expect("scan");
        assert_eq!(
            first.new, 2,
            "two photos; the .txt and the .part are not candidates"
        );
        assert_eq!(first.to_settle.len(), 2, "new files go to the settler");

        let second = scan_folder(&catalog, &folder, &filter, Timestamp::UNIX_EPOCH).expect("scan");
        assert_eq!(
            (second.new, second.unchanged),
            (0, 2),
            "a rescan re-reads nothing"
        );

        fs::remove_file(dir.path().join("b.CR3")).expect("rm");
        let third = scan_folder(&catalog, &folder, &filter, Timestamp::UNIX_EPOCH).expect("scan");
        assert_eq!(third.vanished, 1, "the deleted file leaves the queue");
    }

    #[test]
    fn a_folder_larger_than_a_batch_is_committed_in_several() {
        let (dir, catalog, folder, filter) = setup();
        let files = 2 * BATCH + 3;
        for i in 0..files {
            fs::write(dir.path().join(format!("IMG_{i:04}.jpg")), b"x").expect("write");
        }
        let first = scan_folder(&catalog, &folder, &filter, Timestamp::UNIX_EPOCH).expect("scan");
        assert_eq!(
            (first.new, first.to_settle.len()),
            (files as u64, files),
            "every batch's files are catalogued, the last partial one too"
        );
        for i in 0..=BATCH {
            fs::remove_file(dir.path().join(format!("IMG_{i:04}.jpg"))).expect("rm");
        }
        let second = scan_folder(&catalog, &folder, &filter, Timestamp::UNIX_EPOCH).expect("scan");
        assert_eq!(
            (second.vanished, second.unchanged),
            ((BATCH + 1) as u64, (files - BATCH - 1) as u64),
            "vanished files leave in batches too"
        );
        let total = catalog
            .read_blocking(Catalog::counts_by_state)
            .expect("counts")
            .total();
        assert_eq!(total, (files - BATCH - 1) as u64, "the catalog agrees");
    }

    #[test]
    fn a_missing_folder_changes_nothing() {
        let (dir, catalog, folder, filter) = setup();
        fs::write(dir.path().join("a.jpg"), b"a").expect("write");
        scan_folder(&catalog, &folder, &filter, Timestamp::UNIX_EPOCH).expect("scan");
        let gone = WatchedFolder {
            path: dir.path().join("unmounted"),
            ..folder.clone()
        };
        let err = scan_folder(&catalog, &gone, &filter, Timestamp::UNIX_EPOCH)
            .expect_err("an unmounted folder is an error, not an empty folder");
        assert!(err.to_string().contains("mounted"), "{err}");
        assert_eq!(
            catalog
                .read_blocking(Catalog::counts_by_state)
                .expect("counts")
                .total(),
            1,
            "the row is kept"
        );
    }

    #[cfg(unix)]
    #[test]
    fn files_under_an_unreadable_subfolder_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, catalog, folder, filter) = setup();
        let sub = dir.path().join("locked");
        fs::create_dir(&sub).expect("mkdir");
        fs::write(sub.join("a.jpg"), b"a").expect("write");
        scan_folder(&catalog, &folder, &filter, Timestamp::UNIX_EPOCH).expect("scan");
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o000)).expect("chmod");
        let readable_anyway = fs::read_dir(&sub).is_ok(); // root ignores permissions
        let report = scan_folder(&catalog, &folder, &filter, Timestamp::UNIX_EPOCH).expect("scan");
        fs::set_permissions(&sub, fs::Permissions::from_mode(0o755)).expect("chmod back");
        assert_eq!(
            report.vanished, 0,
            "a folder we cannot read is not an empty folder"
        );
        if !readable_anyway {
            assert_eq!(
                report.unreadable.len(),
                1,
                "the unreadable folder is reported"
            );
        }
    }

    #[test]
    fn a_symlink_loop_is_not_followed() {
        let (dir, catalog, folder, filter) = setup();
        fs::write(dir.path().join("a.jpg"), b"a").expect("write");
        #[cfg(unix)]
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).expect("symlink");
        let report = scan_folder(&catalog, &folder, &filter, Timestamp::UNIX_EPOCH).expect("scan");
        assert_eq!(
            report.new, 1,
            "the photo once, and nothing through the loop"
        );
    }
}
