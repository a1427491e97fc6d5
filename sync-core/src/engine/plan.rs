//! The plan driver (DESIGN.md, data flow step 4): a `Hashed` file gets its object key, or is
//! skipped.
//!
//! The decision is pure ([`crate::plan`]: the candidate key of [`KeyPlanner`], then
//! [`resolve_key`] on the catalog's facts: tombstone, duplicate, name taken, rename); this
//! driver looks the facts up and records the decision (`Planned`, `Skipped` or `Failed`) in one
//! step each.

use std::path::Path;

use jiff::Timestamp;

use super::events::FilePhase;
use super::recorder::Recorder;
use crate::catalog::{CatalogError, CatalogHandle, FileId, PreviewStatus};
use crate::plan::{Decision, KeyFacts, KeyPlanner, resolve_key};
use crate::retry::ErrorClass;
use lightbox_types::{CaptureTime, FailureCode, Sha256Digest, SkipReason};

pub(crate) struct PlanDriver {
    catalog: CatalogHandle,
    planner: KeyPlanner,
    recorder: Recorder,
}

impl PlanDriver {
    pub(crate) fn new(catalog: CatalogHandle, planner: KeyPlanner, recorder: Recorder) -> Self {
        Self {
            catalog,
            planner,
            recorder,
        }
    }

    /// Decide the key (pure, in `plan`) from catalog facts, and record the decision.
    pub(crate) async fn plan(
        &self,
        file: FileId,
        path: &Path,
        sha: Sha256Digest,
        captured: Option<&CaptureTime>,
    ) {
        let now = Timestamp::now();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let sha_hex = sha.to_hex();
        let candidate = self.planner.candidate_key(&name, &sha_hex, captured, now);
        // The facts and the pure decision in one job: the lookups `resolve_key` makes for a
        // renamed key read the same catalog state as the facts.
        let decided = self
            .catalog
            .run(move |c| -> Result<Decision, CatalogError> {
                let facts = KeyFacts {
                    content_key: c.uploaded_key_for_sha(sha)?,
                    tombstoned: c.is_tombstoned(sha)?,
                    key_owner: c.key_owner(candidate.as_str())?.map(|d| d.to_hex()),
                };
                let mut lookup_error = None;
                let decision =
                    resolve_key(&candidate, &sha_hex, &facts, |key| match c.key_owner(key) {
                        Ok(owner) => owner.map(|d| d.to_hex()),
                        Err(e) => {
                            lookup_error.get_or_insert(e);
                            None
                        }
                    });
                lookup_error.map_or(Ok(decision), Err)
            })
            .await;
        let outcome = match decided {
            Ok(decision) => self.record_decision(file, path, decision, now).await,
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            let retry_at = self.recorder.retry_at(ErrorClass::Temporary, now);
            self.recorder
                .fail(file, path, e.code(), &e.to_string(), retry_at)
                .await;
        }
    }

    async fn record_decision(
        &self,
        file: FileId,
        path: &Path,
        decision: Decision,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        match decision {
            Decision::Upload { key } | Decision::Rename { key } => {
                let planned = key.as_str().to_owned();
                self.catalog
                    .run(move |c| c.record_plan(file, &planned, now))
                    .await?;
                self.recorder.emit_file(
                    file,
                    path,
                    FilePhase::Planned {
                        key: key.as_str().to_owned(),
                    },
                );
            }
            Decision::SkipDuplicate { existing_key } => {
                let key = existing_key.clone();
                let done = self
                    .catalog
                    .run(move |c| -> Result<Option<bool>, CatalogError> {
                        if c.record_duplicate(file, &key, now)? {
                            let previews = c.preview_status(&key)?;
                            return Ok(Some(matches!(previews, Some(PreviewStatus::Made))));
                        }
                        c.record_skip(file, SkipReason::Duplicate.as_str(), now)?;
                        Ok(None)
                    })
                    .await?;
                let phase = match done {
                    // Already in the bucket: done, at the key that holds it.
                    Some(previews) => FilePhase::Done {
                        key: Some(existing_key),
                        previews,
                        duplicate: true,
                    },
                    // Only planned for another file so far: that file's upload carries it.
                    None => FilePhase::Skipped {
                        reason: SkipReason::Duplicate,
                        detail: format!(
                            "the same photo is being uploaded as {existing_key} (another file)"
                        ),
                    },
                };
                self.recorder.emit_file(file, path, phase);
            }
            Decision::SkipTombstoned => {
                self.catalog
                    .run(move |c| c.record_skip(file, SkipReason::Tombstoned.as_str(), now))
                    .await?;
                let detail =
                    "an admin deleted this photo from the gallery; it is not uploaded again"
                        .to_owned();
                self.recorder.emit_file(
                    file,
                    path,
                    FilePhase::Skipped {
                        reason: SkipReason::Tombstoned,
                        detail,
                    },
                );
            }
            Decision::Conflict { key } => {
                let message = format!(
                    "every name derived from {key} is taken by other photos: rename the file and it is picked up again"
                );
                self.recorder
                    .fail(file, path, FailureCode::PlanNameConflict, &message, None)
                    .await;
            }
        }
        Ok(())
    }
}
