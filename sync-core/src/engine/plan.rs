//! The plan driver (DESIGN.md, data flow step 4): a `Hashed` file gets its object key, or is
//! skipped.
//!
//! The decision is pure ([`crate::plan`]: the candidate key of [`KeyPlanner`], then
//! [`resolve_key`] on the catalog's facts: tombstone, duplicate, name taken, rename); this
//! driver looks the facts up and records the decision (`Planned`, `Skipped` or `Failed`) in one
//! step each.
//!
//! With a shared index (`[index] table`), the catalog still answers first for what it knows
//! (a local tombstone, content this catalog uploaded or planned), and the index decides the
//! rest ([`super::plan_index`]): every file to upload is reserved there before it is
//! `Planned`, and its reservation is recorded with the plan. A file the index cannot decide
//! yet (another station uploads it, or the index cannot be reached) waits as a failure with a
//! due time, and [`PlanDriver::retry_due`] plans it again.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::events::FilePhase;
use super::plan_index::{IndexInput, IndexPlan, SharedIndex, plan_with_index};
use super::recorder::Recorder;
use crate::catalog::{CatalogError, CatalogHandle, FileId, IndexHold, PreviewStatus};
use crate::plan::{Decision, KeyFacts, KeyPlanner, OriginalKey, resolve_key};
use crate::retry::ErrorClass;
use lightbox_types::{CaptureTime, FailureCode, FileState, Sha256Digest, SkipReason};

/// One fingerprinted file to plan.
#[derive(Debug, Clone)]
pub(crate) struct PlanItem {
    pub file: FileId,
    pub path: PathBuf,
    pub sha: Sha256Digest,
    pub captured: Option<CaptureTime>,
}

pub(crate) struct PlanDriver {
    catalog: CatalogHandle,
    planner: KeyPlanner,
    recorder: Recorder,
    index: Option<SharedIndex>,
}

impl PlanDriver {
    pub(crate) fn new(
        catalog: CatalogHandle,
        planner: KeyPlanner,
        recorder: Recorder,
        index: Option<SharedIndex>,
    ) -> Self {
        Self {
            catalog,
            planner,
            recorder,
            index,
        }
    }

    /// Whether a shared index decides (and failed plans wait for it).
    pub(crate) fn uses_index(&self) -> bool {
        self.index.is_some()
    }

    /// Plan one file.
    pub(crate) async fn plan(
        &self,
        file: FileId,
        path: &Path,
        sha: Sha256Digest,
        captured: Option<&CaptureTime>,
    ) {
        self.plan_many(vec![PlanItem {
            file,
            path: path.to_owned(),
            sha,
            captured: captured.copied(),
        }])
        .await;
    }

    /// Plan `items`: against the catalog alone, or as one batch against the shared index.
    pub(crate) async fn plan_many(&self, items: Vec<PlanItem>) {
        match &self.index {
            None => {
                for item in items {
                    self.plan_locally(item.file, &item.path, item.sha, item.captured.as_ref())
                        .await;
                }
            }
            Some(index) => self.plan_shared(index, items).await,
        }
    }

    /// Rows that wait for the index (failed while `Hashed`) and are due: back to `Hashed`,
    /// returned to be planned again. Their paths are the caller's to find.
    pub(crate) async fn retry_due(&self) -> Vec<crate::catalog::FileRecord> {
        let now = Timestamp::now();
        let due = self
            .catalog
            .run(move |c| -> Result<_, CatalogError> {
                let mut back = Vec::new();
                for record in c.files_due(FileState::Failed, now, 500)? {
                    if record.failed_in == Some(FileState::Hashed) && record.sha256.is_some() {
                        c.retry(record.id, now)?;
                        back.push(record);
                    }
                }
                Ok(back)
            })
            .await;
        due.unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot list plans that wait for the index");
            Vec::new()
        })
    }

    /// Decide the key (pure, in `plan`) from catalog facts, and record the decision.
    async fn plan_locally(
        &self,
        file: FileId,
        path: &Path,
        sha: Sha256Digest,
        captured: Option<&CaptureTime>,
    ) {
        let now = Timestamp::now();
        let name = file_name(path);
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

    /// The catalog's own facts first (a local tombstone, content this catalog has), then the
    /// index for the rest, all of `items` in one batch.
    async fn plan_shared(&self, index: &SharedIndex, items: Vec<PlanItem>) {
        let now = Timestamp::now();
        let candidates: Vec<(String, OriginalKey)> = items
            .iter()
            .map(|item| {
                let name = file_name(&item.path);
                let candidate = self.planner.candidate_key(
                    &name,
                    &item.sha.to_hex(),
                    item.captured.as_ref(),
                    now,
                );
                (name, candidate)
            })
            .collect();
        let asked: Vec<(FileId, Sha256Digest)> = items.iter().map(|i| (i.file, i.sha)).collect();
        let local = self
            .catalog
            .run(move |c| -> Result<Vec<(KeyFacts, u64)>, CatalogError> {
                asked
                    .iter()
                    .map(|&(file, sha)| {
                        let size = c.get_file(file)?.map_or(0, |r| r.stat.size);
                        let facts = KeyFacts {
                            content_key: c.uploaded_key_for_sha(sha)?,
                            tombstoned: c.is_tombstoned(sha)?,
                            key_owner: None,
                        };
                        Ok((facts, size))
                    })
                    .collect()
            })
            .await;
        let local = match local {
            Ok(local) => local,
            Err(e) => return self.fail_all(&items, &e, now).await,
        };
        let mut shared = Vec::new();
        let mut inputs = Vec::new();
        for ((item, (name, candidate)), (facts, size)) in items.iter().zip(candidates).zip(local) {
            if facts.tombstoned || facts.content_key.is_some() {
                let decision = crate::plan::decide(&candidate, &item.sha.to_hex(), &facts);
                self.record_or_fail(item, decision, now).await;
                continue;
            }
            inputs.push(IndexInput {
                sha256: item.sha,
                candidate,
                size,
                original_name: name,
                captured: item.captured.map(|c| c.to_string()),
            });
            shared.push(item);
        }
        if inputs.is_empty() {
            return;
        }
        let plans = match plan_with_index(index, &self.catalog, &inputs).await {
            Ok(plans) => plans,
            Err(e) => {
                let items: Vec<PlanItem> = shared.into_iter().cloned().collect();
                return self.fail_all(&items, &e, now).await;
            }
        };
        for (item, plan) in shared.into_iter().zip(plans) {
            self.record_index_plan(item, plan, now).await;
        }
    }

    async fn record_index_plan(&self, item: &PlanItem, plan: IndexPlan, now: Timestamp) {
        let (file, path) = (item.file, item.path.as_path());
        match plan {
            IndexPlan::Reserved { key, hold } => {
                if let Err(e) = self.record_held(file, path, key, hold, now).await {
                    let retry_at = self.recorder.retry_at(ErrorClass::Temporary, now);
                    self.recorder
                        .fail(file, path, e.code(), &e.to_string(), retry_at)
                        .await;
                }
            }
            IndexPlan::Duplicate { key } => {
                // Live in the index means verified in the bucket: the file is done, a
                // duplicate at `key`, not merely skipped (the ledger now says so).
                let noted = key.clone();
                let noting = self
                    .catalog
                    .run(move |c| c.record_live_elsewhere(file, &noted, now))
                    .await;
                if let Err(e) = noting {
                    tracing::warn!(error = %e, "cannot note the index's live object locally");
                }
                let decision = Decision::SkipDuplicate { existing_key: key };
                self.record_or_fail(item, decision, now).await;
            }
            IndexPlan::Tombstoned { key, deleted_by } => {
                let sha = item.sha;
                // Kept in the catalog too, for planning offline.
                let recorded = self
                    .catalog
                    .run(move |c| c.add_tombstone(sha, &key, &deleted_by, now))
                    .await;
                if let Err(e) = recorded {
                    tracing::warn!(error = %e, "cannot record the index's tombstone locally");
                }
                self.record_or_fail(item, Decision::SkipTombstoned, now)
                    .await;
            }
            IndexPlan::Wait { station, until_ms } => {
                let until = Timestamp::from_millisecond(until_ms).unwrap_or(now);
                // Looked at again at the file schedule's step, or when the reservation would
                // go stale, whichever comes first: by then it is usually live (a duplicate).
                let retry_at = self
                    .recorder
                    .retry_at(ErrorClass::Temporary, now)
                    .map_or(until, |at| at.min(until))
                    .max(now);
                let message = format!(
                    "being uploaded by {station}: waiting for it to finish, then this file is \
                     skipped as a duplicate (or uploaded, if that station stopped)"
                );
                self.recorder
                    .fail(
                        file,
                        path,
                        FailureCode::IndexInFlightElsewhere,
                        &message,
                        Some(retry_at),
                    )
                    .await;
            }
            IndexPlan::Conflict { key } => {
                self.record_or_fail(item, Decision::Conflict { key }, now)
                    .await;
            }
            IndexPlan::Unavailable { code, message } => {
                // Never failed for good: the index may come back, or a role be fixed.
                let retry_at = self
                    .recorder
                    .retry_at(ErrorClass::Temporary, now)
                    .unwrap_or(now);
                self.recorder
                    .fail(file, path, code, &message, Some(retry_at))
                    .await;
            }
        }
    }

    async fn record_held(
        &self,
        file: FileId,
        path: &Path,
        key: String,
        hold: IndexHold,
        now: Timestamp,
    ) -> Result<(), CatalogError> {
        let planned = key.clone();
        self.catalog
            .run(move |c| c.record_plan_held(file, &planned, &hold, now))
            .await?;
        self.recorder
            .emit_file(file, path, FilePhase::Planned { key });
        Ok(())
    }

    async fn record_or_fail(&self, item: &PlanItem, decision: Decision, now: Timestamp) {
        if let Err(e) = self
            .record_decision(item.file, &item.path, decision, now)
            .await
        {
            self.fail_all(std::slice::from_ref(item), &e, now).await;
        }
    }

    async fn fail_all(&self, items: &[PlanItem], e: &CatalogError, now: Timestamp) {
        for item in items {
            let retry_at = self.recorder.retry_at(ErrorClass::Temporary, now);
            self.recorder
                .fail(item.file, &item.path, e.code(), &e.to_string(), retry_at)
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

/// The file's name as the planner takes it.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}
