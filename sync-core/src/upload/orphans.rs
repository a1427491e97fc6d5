//! Orphaned multipart uploads: uploads of ours (under the originals prefix) that no journal
//! knows, left behind when a catalog was lost or a push ran on a temporary one. Their parts
//! cost storage until aborted; the bucket's lifecycle rule aborts them eventually, this sooner.
//!
//! Another machine's upload in flight is also in the bucket and also missing from this
//! machine's journal, so only uploads older than a threshold are aborted: by then a live one
//! would have finished (or its owner resumes it with a fresh `CreateMultipartUpload`).

use std::collections::HashSet;

use jiff::{SignedDuration, Timestamp};

use super::{PendingUpload, S3Transfer, Transfer, UploadError};
use crate::retry::{Clock, CredentialRefresh, Retrier, RetryError};

/// The uploads among `pending` to abort: not in `journal`, and initiated at least `min_age`
/// before `now`. An upload whose start the server did not report is kept (its age is unknown).
#[must_use]
pub fn orphaned_uploads(
    pending: &[PendingUpload],
    journal: &HashSet<String>,
    now: Timestamp,
    min_age: SignedDuration,
) -> Vec<PendingUpload> {
    pending
        .iter()
        .filter(|upload| !journal.contains(&upload.upload_id))
        .filter(|upload| {
            upload
                .initiated
                .is_some_and(|initiated| now.duration_since(initiated) >= min_age)
        })
        .cloned()
        .collect()
}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrphanSweep {
    /// Uploads in flight under the prefix.
    pub listed: usize,
    /// Those aborted.
    pub aborted: Vec<PendingUpload>,
    /// Those that could not be aborted (left to the next sweep and the lifecycle rule).
    pub failed: usize,
}

/// List the uploads under `prefix`, abort the [`orphaned_uploads`] among them.
///
/// # Errors
/// When the uploads cannot be listed (aborts that fail are counted, not returned).
pub async fn abort_orphaned_uploads<C: Clock, R: CredentialRefresh>(
    transfer: &S3Transfer,
    retrier: &Retrier<C, R>,
    prefix: &str,
    journal: &HashSet<String>,
    now: Timestamp,
    min_age: SignedDuration,
) -> Result<OrphanSweep, RetryError<UploadError>> {
    let pending = retrier.run(|_| transfer.list_uploads(prefix)).await?;
    let mut sweep = OrphanSweep {
        listed: pending.len(),
        ..OrphanSweep::default()
    };
    for orphan in orphaned_uploads(&pending, journal, now, min_age) {
        match retrier
            .run(|_| transfer.abort_multipart(&orphan.upload_id, &orphan.key))
            .await
        {
            Ok(()) => {
                tracing::info!(key = %orphan.key, upload_id = %orphan.upload_id, "aborted an orphaned multipart upload");
                sweep.aborted.push(orphan);
            }
            Err(e) => {
                tracing::warn!(key = %orphan.key, error = %e, "could not abort an orphaned multipart upload");
                sweep.failed += 1;
            }
        }
    }
    Ok(sweep)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(id: &str, initiated: Option<i64>) -> PendingUpload {
        PendingUpload {
            key: format!("originals/{id}.cr3"),
            upload_id: id.to_owned(),
            initiated: initiated.map(|s| Timestamp::from_second(s).expect("valid")),
        }
    }

    #[test]
    fn only_old_uploads_no_journal_knows_are_orphans() {
        let now = Timestamp::from_second(100_000).expect("valid");
        let day = SignedDuration::from_hours(24);
        let journal: HashSet<String> = ["ours-old".to_owned()].into();
        let cases = [
            (upload("stray-old", Some(0)), true, "old and in no journal"),
            (
                upload("ours-old", Some(0)),
                false,
                "journalled: resumed, never aborted",
            ),
            (
                upload("live-elsewhere", Some(99_000)),
                false,
                "younger than a day: maybe another machine's upload in flight",
            ),
            (upload("no-date", None), false, "age unknown: kept"),
            (
                upload("exactly-a-day", Some(100_000 - 86_400)),
                true,
                "at the threshold",
            ),
        ];
        let pending: Vec<PendingUpload> = cases.iter().map(|(u, _, _)| u.clone()).collect();
        let orphans = orphaned_uploads(&pending, &journal, now, day);
        for (upload, expected, why) in &cases {
            assert_eq!(
                orphans.contains(upload),
                *expected,
                "{}: {why}",
                upload.upload_id
            );
        }
    }
}
