//! The last step of one file's upload: `HeadObject` must report the file's size and
//! whole-object CRC64/NVME before the row becomes `Uploaded`.

// One file of the job's steps: it shares the job's types, helpers and imports.
use super::*;

impl<T: Transfer> Job<T> {
    /// `HeadObject` must show the file's size and CRC64/NVME; then `Uploading → Uploaded`. The
    /// previewer takes the row on to `Done` (DESIGN.md, data flow step 6).
    pub(super) async fn verify(
        &mut self,
        key: &str,
        meta: &ObjectMeta,
        expected: &ExpectedContent,
        existed: bool,
    ) -> Result<(), JobError> {
        self.emit(FilePhase::Verifying {
            key: key.to_owned(),
        });
        let (ctx, cancel) = (&self.ctx, &self.cancel);
        let facts = cancellable(cancel, ctx.retrier.run(|_| ctx.transfer.head(key))).await?;
        let bucket = self.ctx.transfer.bucket();
        let Some(facts) = facts else {
            return Err(JobError::temporary(
                FailureCode::UploadObjectMissing,
                format!(
                    "s3://{bucket}/{key} was not there after the upload; Lightbox uploads it again"
                ),
            ));
        };
        let same_sha = facts.meta.as_ref().is_some_and(|m| m.sha256 == meta.sha256);
        match facts.compare(expected) {
            ContentMatch::Verified => {}
            ContentMatch::NoChecksum if same_sha && facts.size == expected.size => {}
            ContentMatch::Different { reason } if existed || !same_sha => {
                return Err(JobError::permanent(
                    FailureCode::UploadKeyTaken,
                    format!(
                        "s3://{bucket}/{key} already holds a different file ({reason}); \
                         Lightbox never overwrites it: rename the local file to upload it \
                         under another name, or ask an admin to check that object"
                    ),
                ));
            }
            ContentMatch::Different { reason } => {
                return Err(JobError::temporary(
                    FailureCode::UploadVerifyFailed,
                    format!(
                        "s3://{bucket}/{key} does not match the file after the upload \
                         ({reason}); Lightbox uploads it again"
                    ),
                ));
            }
            ContentMatch::NoChecksum => {
                return Err(JobError::permanent(
                    FailureCode::UploadKeyTaken,
                    format!(
                        "s3://{bucket}/{key} already exists without a checksum Lightbox can \
                         verify, so it is not overwritten: rename the local file to upload it \
                         under another name, or ask an admin to check that object"
                    ),
                ));
            }
        }
        let file = self.record.id;
        self.ctx
            .catalog
            .run(move |c| c.mark_uploaded(file, Timestamp::now()))
            .await?;
        self.record.state = FileState::Uploaded;
        tracing::info!(path = %self.path.display(), key, duplicate = existed, "uploaded");
        self.emit(FilePhase::Uploaded {
            key: key.to_owned(),
            duplicate: existed,
        });
        Ok(())
    }
}
