//! Where to pick up after a crash or restart: every file left in a working state.

use super::files::{FILE_COLUMNS, file_from_row};
use super::{Catalog, CatalogError, FileRecord, FileState};

/// The step to run for a file left in a working state. Every state change is one
/// transaction, so the row says exactly what was committed; the step that was running when
/// the engine stopped is the one to run again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeStep {
    /// `Discovered`: never settled. Stat it again and start the settle window over (a file
    /// that is gone by now is vanished).
    Settle,
    /// `Ready`: settled, but the hash was not committed. Hash it again from the start.
    Hash,
    /// `Hashed`: not planned yet. Run the planner (pure, so repeating it is harmless).
    Plan,
    /// `Planned`: no upload recorded. Start the upload.
    Upload,
    /// `Uploading` without a multipart upload: a single `PutObject` was interrupted, or a
    /// multipart upload was created but its id not committed (the bucket's
    /// abort-incomplete-multipart rule cleans that one up). Upload again; on
    /// `412 Precondition Failed` the object may already be ours: verify it with `HeadObject`.
    RestartUpload,
    /// `Uploading` with a multipart upload: check its parts with `ListParts`, upload the
    /// missing ones and complete it. On `NoSuchUpload`, `clear_upload` and start over.
    ResumeMultipart {
        /// The upload to resume.
        upload_id: String,
    },
    /// `Uploaded`: the original is verified in S3; make and upload the previews.
    MakePreviews,
}

/// A file left in a working state, and how to carry on with it.
#[derive(Debug, Clone, PartialEq)]
pub struct UnfinishedFile {
    pub record: FileRecord,
    pub next_step: ResumeStep,
}

impl ResumeStep {
    /// The step for `record`, or `None` for a file that is not in a working state (`Done`,
    /// `Skipped`, and `Failed`, which waits for its retry time instead).
    #[must_use]
    pub fn for_record(record: &FileRecord) -> Option<Self> {
        Some(match record.state {
            FileState::Discovered => ResumeStep::Settle,
            FileState::Ready => ResumeStep::Hash,
            FileState::Hashed => ResumeStep::Plan,
            FileState::Planned => ResumeStep::Upload,
            FileState::Uploading => match &record.multipart {
                Some(upload) => ResumeStep::ResumeMultipart {
                    upload_id: upload.upload_id.clone(),
                },
                None => ResumeStep::RestartUpload,
            },
            FileState::Uploaded => ResumeStep::MakePreviews,
            FileState::Done | FileState::Skipped | FileState::Failed => return None,
        })
    }
}

impl Catalog {
    /// At start-up: every file left in a working state, furthest along first (uploads in
    /// flight before files still to settle, so bytes already sent are not left to expire),
    /// newest first within a state. See [`ResumeStep`] for what each means.
    ///
    /// # Errors
    /// SQLite failures.
    pub fn unfinished_files(&self) -> Result<Vec<UnfinishedFile>, CatalogError> {
        self.read("list unfinished files", |conn| {
            let sql = format!(
                "SELECT {FILE_COLUMNS} FROM files
                 WHERE state IN ('discovered', 'ready', 'hashed', 'planned', 'uploading', 'uploaded')
                 ORDER BY CASE state
                     WHEN 'uploading' THEN 0 WHEN 'uploaded' THEN 1 WHEN 'planned' THEN 2
                     WHEN 'hashed' THEN 3 WHEN 'ready' THEN 4 ELSE 5 END,
                     mtime_ns DESC, id DESC"
            );
            let mut stmt = conn.prepare(&sql)?;
            let records = stmt.query_map([], file_from_row)?;
            let mut unfinished = Vec::new();
            for record in records {
                let record = record?;
                if let Some(next_step) = ResumeStep::for_record(&record) {
                    unfinished.push(UnfinishedFile { record, next_step });
                }
            }
            Ok(unfinished)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::UploadMethod;
    use crate::catalog::test_support::{at, catalog_with_folder, drive_to, sha};

    #[test]
    fn every_working_state_is_resumed_with_its_step_and_finished_ones_are_not() {
        let (mut catalog, folder) = catalog_with_folder();
        let multipart = drive_to(&mut catalog, folder, "mp.cr3", sha(10), FileState::Planned);
        catalog
            .mark_uploading(multipart, &UploadMethod::multipart("up-7", 8 << 20), at(20))
            .expect("multipart");
        let cases = [
            (FileState::Discovered, Some(ResumeStep::Settle)),
            (FileState::Ready, Some(ResumeStep::Hash)),
            (FileState::Hashed, Some(ResumeStep::Plan)),
            (FileState::Planned, Some(ResumeStep::Upload)),
            (FileState::Uploading, Some(ResumeStep::RestartUpload)),
            (FileState::Uploaded, Some(ResumeStep::MakePreviews)),
            (FileState::Done, None),
            (FileState::Skipped, None),
            (FileState::Failed, None),
        ];
        let mut files = Vec::new();
        for (n, (state, step)) in (1_u8..).zip(cases) {
            let file = drive_to(&mut catalog, folder, &format!("{state}.jpg"), sha(n), state);
            files.push((file, step));
        }

        let unfinished = catalog.unfinished_files().expect("listed");

        let step_of = |file| {
            unfinished
                .iter()
                .find(|u| u.record.id == file)
                .map(|u| &u.next_step)
        };
        for (file, step) in &files {
            assert_eq!(step_of(*file), step.as_ref(), "file {file}");
        }
        assert_eq!(
            step_of(multipart),
            Some(&ResumeStep::ResumeMultipart {
                upload_id: "up-7".to_owned()
            }),
            "a multipart upload in flight is resumed, not restarted"
        );
        let leading: Vec<FileState> = unfinished.iter().take(2).map(|u| u.record.state).collect();
        assert_eq!(
            leading,
            [FileState::Uploading; 2],
            "uploads in flight come first"
        );
    }
}
