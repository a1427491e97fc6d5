//! A multipart upload of one file: started and journalled, or resumed after reconciling the
//! journal with `ListParts`; its parts sent a few at a time, each journalled as S3 accepts
//! it; then completed with the whole-object checksum.

// One file of the job's steps: it shares the job's types, helpers and imports.
use super::*;

impl<T: Transfer> Job<T> {
    pub(super) async fn multipart(
        &mut self,
        key: &str,
        meta: &ObjectMeta,
        expected: &ExpectedContent,
        part_size: u64,
    ) -> Result<(), JobError> {
        let file = self.record.id;
        let mut resumed = Vec::new();
        let upload = match self.record.multipart.clone() {
            Some(upload) => match self.reconcile(key, &upload).await? {
                Some(trusted) => {
                    resumed = trusted;
                    Some(upload)
                }
                None => None,
            },
            None => None,
        };
        let upload = match upload {
            Some(upload) => upload,
            None => {
                let (ctx, cancel) = (&self.ctx, &self.cancel);
                let upload_id = cancellable(
                    cancel,
                    ctx.retrier
                        .run(|_| ctx.transfer.create_multipart(key, meta)),
                )
                .await?;
                let method = UploadMethod::multipart(upload_id.clone(), part_size);
                self.ctx
                    .catalog
                    .run(move |c| c.mark_uploading(file, &method, Timestamp::now()))
                    .await?;
                MultipartUpload {
                    upload_id,
                    part_size,
                }
            }
        };
        // The upload in flight, so that a file that changes under it gets it aborted
        // (`abandon_upload`), a new one as well as a resumed one.
        self.record.multipart = Some(upload.clone());
        self.send_parts(key, &upload, expected, &resumed).await?;
        self.complete(key, meta, expected, &upload).await
    }

    /// Which journalled parts of `upload` the server still has (same number, same ETag).
    /// `None` when the server no longer knows the upload: the row is back in `Planned` and a
    /// new upload starts (if the old one had completed, its completion meets the object and
    /// verifies it as a duplicate).
    pub(super) async fn reconcile(
        &mut self,
        key: &str,
        upload: &MultipartUpload,
    ) -> Result<Option<Vec<CompletedPart>>, JobError> {
        let file = self.record.id;
        let journal = self.ctx.catalog.run(move |c| c.parts(file)).await?;
        let (ctx, cancel) = (&self.ctx, &self.cancel);
        let listed = cancellable(
            cancel,
            ctx.retrier
                .run(|_| ctx.transfer.list_parts(&upload.upload_id, key)),
        )
        .await;
        match listed {
            Ok(server) => {
                let trusted: Vec<CompletedPart> = journal
                    .into_iter()
                    .filter(|part| {
                        server
                            .iter()
                            .any(|s| s.part_number == part.part_number && s.etag == part.etag)
                    })
                    .collect();
                tracing::info!(
                    %file, journalled = trusted.len(), on_server = server.len(),
                    "resuming multipart upload"
                );
                Ok(Some(trusted))
            }
            Err(e) if e.problem() == Some(S3Problem::UploadGone) => {
                // Completed by an earlier run whose reply was lost, or aborted/expired.
                self.clear_upload().await?;
                self.record.state = FileState::Planned;
                self.record.multipart = None;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Send every part of `upload` not in `resumed`, up to the per-file and global limits,
    /// journalling each as S3 accepts it.
    pub(super) async fn send_parts(
        &self,
        key: &str,
        upload: &MultipartUpload,
        expected: &ExpectedContent,
        resumed: &[CompletedPart],
    ) -> Result<(), JobError> {
        let ranges: Vec<PartRange> = part_ranges(expected.size, upload.part_size).collect();
        let parts = u16::try_from(ranges.len()).unwrap_or(u16::MAX);
        let done: HashSet<u16> = resumed.iter().map(|p| p.part_number).collect();
        let mut bytes_sent: u64 = resumed.iter().map(|p| p.size).sum();
        self.emit_progress(0, parts, bytes_sent, expected.size);
        let mut missing = ranges
            .into_iter()
            .filter(|r| !done.contains(&r.part_number));
        let stop_parts = self.cancel.child_token();
        let mut sending = JoinSet::new();
        let mut first_error = None;
        loop {
            while sending.len() < self.ctx.parts_per_file && !stop_parts.is_cancelled() {
                let Some(range) = missing.next() else { break };
                sending.spawn(send_part(
                    Arc::clone(&self.ctx),
                    self.record.id,
                    upload.upload_id.clone(),
                    key.to_owned(),
                    self.path.clone(),
                    range,
                    stop_parts.clone(),
                ));
            }
            let Some(sent) = sending.join_next().await else {
                break;
            };
            match sent {
                Ok(Ok(part)) => {
                    bytes_sent += part.size;
                    self.emit_progress(part.part_number, parts, bytes_sent, expected.size);
                }
                Ok(Err(e)) => {
                    stop_parts.cancel();
                    if !matches!(first_error, Some(JobError::Fail(_))) {
                        first_error = Some(e);
                    }
                }
                Err(join) => {
                    stop_parts.cancel();
                    first_error.get_or_insert(JobError::temporary(
                        FailureCode::UploadPartPanicked,
                        format!("a part upload failed unexpectedly ({join}); Lightbox retries"),
                    ));
                }
            }
        }
        if self.cancel.is_cancelled() {
            return Err(JobError::Stopped);
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Forget this file's multipart upload in the catalog: the next attempt starts a new one.
    async fn clear_upload(&self) -> Result<(), JobError> {
        let file = self.record.id;
        self.ctx
            .catalog
            .run(move |c| c.clear_upload(file, Timestamp::now()))
            .await?;
        Ok(())
    }

    pub(super) async fn complete(
        &mut self,
        key: &str,
        meta: &ObjectMeta,
        expected: &ExpectedContent,
        upload: &MultipartUpload,
    ) -> Result<(), JobError> {
        let file = self.record.id;
        let parts = self.ctx.catalog.run(move |c| c.parts(file)).await?;
        let (ctx, cancel) = (&self.ctx, &self.cancel);
        let completed = cancellable(
            cancel,
            ctx.retrier.run(|_| {
                ctx.transfer
                    .complete_multipart(&upload.upload_id, key, &parts, Some(expected))
            }),
        )
        .await;
        match completed {
            Ok(PutOutcome::Created) => self.verify(key, meta, expected, false).await,
            Ok(PutOutcome::AlreadyExists) => {
                self.abort(&upload.upload_id, key).await;
                let verified = self.verify(key, meta, expected, true).await;
                if verified.is_err() {
                    // Nothing to resume: a retry starts over (and meets the same object).
                    self.clear_upload().await?;
                }
                verified
            }
            // Completed by an earlier attempt whose reply was lost? HEAD decides.
            Err(e) if e.problem() == Some(S3Problem::UploadGone) => {
                let verified = self.verify(key, meta, expected, false).await;
                if verified.is_err() {
                    self.clear_upload().await?;
                }
                verified
            }
            // The parts do not add up to the file: start over with a fresh upload.
            Err(e) if e.problem() == Some(S3Problem::ContentMismatch) => {
                self.abort(&upload.upload_id, key).await;
                self.clear_upload().await?;
                Err(e)
            }
            // A part the journal names is missing: the resume's ListParts sorts it out.
            Err(JobError::Fail(failure)) if failure.problem == Some(S3Problem::InvalidPart) => {
                Err(JobError::Fail(JobFailure {
                    class: ErrorClass::Temporary,
                    ..failure
                }))
            }
            Err(e) => Err(e),
        }
    }
}

/// One part: wait for a request slot, send it under the retrier, journal it.
async fn send_part<T: Transfer>(
    ctx: Arc<JobContext<T>>,
    file: FileId,
    upload_id: String,
    key: String,
    path: PathBuf,
    range: PartRange,
    cancel: CancellationToken,
) -> Result<CompletedPart, JobError> {
    let _permit = tokio::select! {
        permit = ctx.requests.acquire() => permit.map_err(|_| JobError::Stopped)?,
        () = cancel.cancelled() => return Err(JobError::Stopped),
    };
    let part = cancellable(
        &cancel,
        ctx.retrier.run(|_| {
            ctx.transfer.put_part(
                &upload_id,
                &key,
                range.part_number,
                &path,
                range.offset,
                range.len,
            )
        }),
    )
    .await?;
    let journalled = part.clone();
    ctx.catalog
        .run(move |c| c.record_part(file, &upload_id, &journalled, Timestamp::now()))
        .await?;
    Ok(part)
}
