//! The previewer component: after an original is uploaded and verified, make its thumbnail and
//! screen preview from the local file and put them under `previews/` (DESIGN.md, data flow
//! step 6).
//!
//! It listens on the engine's bus for `Uploaded` events (so the uploader needs no change) and
//! works one file at a time: decoding runs on a blocking thread, the two PUTs under the
//! [`Retrier`]. The outcome goes to the catalog's `previews` ledger: `made`, or `none` with the
//! preview error's code (`preview_unsupported`, `preview_failed`, ...). A preview failure never
//! touches the original or its row.
//!
//! Limits, stated: the row is already `Done` when the previewer starts (the uploader marks it),
//! so a crash between upload and preview leaves no preview; the ledger shows which keys have
//! none, and a catch-up pass over `Done` rows without a ledger entry is still to be written.

use std::path::PathBuf;

use aws_sdk_s3::primitives::ByteStream;
use jiff::Timestamp;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::events::{EngineEvent, FilePhase};
use super::shared_catalog::SharedCatalog;
use crate::catalog::PreviewStatus;
use crate::preview::{PreviewKind, make_previews, preview_key, read_source};
use crate::retry::{Retrier, RetryPolicy};
use crate::upload::{S3Call, S3Transfer, UploadError};

pub(crate) struct Previewer {
    transfer: S3Transfer,
    catalog: SharedCatalog,
    events: broadcast::Receiver<EngineEvent>,
    retrier: Retrier,
}

impl Previewer {
    /// Subscribe now (before the uploader can emit) so no upload is missed.
    pub(crate) fn new(
        transfer: S3Transfer,
        catalog: SharedCatalog,
        events: &broadcast::Sender<EngineEvent>,
    ) -> Self {
        Self {
            transfer,
            catalog,
            events: events.subscribe(),
            retrier: Retrier::new(RetryPolicy::default()),
        }
    }

    pub(crate) async fn run(mut self, cancel: CancellationToken) {
        loop {
            let event = tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                event = self.events.recv() => event,
            };
            match event {
                Ok(EngineEvent::File(file)) => {
                    if let FilePhase::Uploaded { key, .. } = file.phase {
                        tokio::select! {
                            biased;
                            () = cancel.cancelled() => break,
                            () = self.preview(PathBuf::from(file.path), key) => {}
                        }
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(
                        missed,
                        "the previewer fell behind; some previews are missing"
                    );
                }
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    }

    async fn preview(&self, path: PathBuf, key: String) {
        let already = self.catalog.with(|c| c.preview_status(&key));
        if matches!(already, Ok(Some(PreviewStatus::Made))) {
            return;
        }
        let made = tokio::task::spawn_blocking(move || {
            let bytes = read_source(&path)?;
            make_previews(&bytes, &PreviewKind::ALL)
        })
        .await;
        let status = match made {
            Ok(Ok(previews)) => match self.put_all(&key, previews).await {
                Ok(()) => PreviewStatus::Made,
                Err(e) => {
                    tracing::warn!(key, error = %e, "previews not uploaded");
                    return;
                }
            },
            Ok(Err(e)) => {
                tracing::info!(key, code = e.code(), error = %e, "no preview");
                PreviewStatus::None {
                    code: e.code().to_owned(),
                    message: e.to_string(),
                }
            }
            Err(e) => {
                tracing::error!(key, error = %e, "the preview task panicked");
                PreviewStatus::None {
                    code: "preview_failed".to_owned(),
                    message: format!("preview failed: {e}; the original is uploaded"),
                }
            }
        };
        let now = Timestamp::now();
        if let Err(e) = self.catalog.with(|c| c.record_preview(&key, &status, now)) {
            tracing::error!(key, error = %e, "cannot record the preview outcome");
        }
    }

    async fn put_all(
        &self,
        original: &str,
        previews: Vec<crate::preview::Preview>,
    ) -> Result<(), crate::retry::RetryError<UploadError>> {
        for preview in previews {
            let Some(key) = preview_key(preview.kind, original) else {
                continue;
            };
            let bucket = self.transfer.bucket();
            let client = self.transfer.client();
            self.retrier
                .run(|_| {
                    let body = ByteStream::from(preview.jpeg.clone());
                    let key = key.clone();
                    async move {
                        client
                            .put_object()
                            .bucket(bucket)
                            .key(&key)
                            .content_type("image/jpeg")
                            .body(body)
                            .send()
                            .await
                            .map(drop)
                            .map_err(|e| UploadError::from_sdk(S3Call::PutObject, bucket, &key, e))
                    }
                })
                .await?;
        }
        Ok(())
    }
}
