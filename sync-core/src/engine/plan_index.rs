//! The plan step with a shared index (docs/index.md, "The plan step"): the I/O around the pure
//! [`index_step`]. For a batch of files, each round reads the content items and the candidate
//! keys' items in one lookup (`BatchGetItem`s of up to 100 keys), decides each file, and
//! reserves every file that may go in one transaction batch (50 files a transaction), before
//! any byte is sent. A file whose reservation was refused, or whose candidate key belongs to
//! other content, is decided again in the next round from a consistent read, at the next rung
//! of the rename ladder where the name is taken: the loser of a race is renamed, never failed.

use std::collections::HashSet;
use std::sync::Arc;

use jiff::Timestamp;
use lightbox_types::{FailureCode, Sha256Digest};

use crate::catalog::{CatalogError, CatalogHandle, IndexHold};
use crate::index::{
    IndexStep, IndexTable, Read, Registration, Reserve, ReserveOutcome, index_step, lookup,
    random_hex, reserve,
};
use crate::plan::OriginalKey;
use crate::retry::Retrier;

/// Rounds of lookup and reservation per batch: three rungs of the ladder plus a few races.
const MAX_ROUNDS: usize = 8;

/// The shared index as the engine uses it: the table, this station, who uploads.
#[derive(Debug, Clone)]
pub(crate) struct SharedIndex {
    pub table: IndexTable,
    /// `<host>/<station id>`.
    pub station: String,
    /// The uploader identity (the Cognito `sub`, or the daemon's user).
    pub uploader: String,
    /// The index calls' retry policy, shared by the plan step and make-live.
    pub retrier: Arc<Retrier>,
    /// The studio's zone (`plan.time_zone`): a card without a capture time sorts by its
    /// upload time as civil time there.
    pub time_zone: jiff::tz::TimeZone,
}

/// One file to plan against the index.
#[derive(Debug, Clone)]
pub(crate) struct IndexInput {
    pub sha256: Sha256Digest,
    pub candidate: OriginalKey,
    pub size: u64,
    pub original_name: String,
    pub captured: Option<String>,
}

/// What the index decided for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum IndexPlan {
    /// Reserved (or this station's own reservation resumed) at `key`.
    Reserved {
        key: String,
        hold: IndexHold,
    },
    Duplicate {
        key: String,
    },
    Tombstoned {
        key: String,
        deleted_by: String,
    },
    /// Another station is uploading this content.
    Wait {
        station: String,
        until_ms: i64,
    },
    /// Every rung of the ladder is other content's.
    Conflict {
        key: OriginalKey,
    },
    /// The index could not be asked: the file waits and is planned again.
    Unavailable {
        code: FailureCode,
        message: String,
    },
}

/// Decide `inputs` against the index and reserve what is to be uploaded; one outcome per
/// input, in order.
///
/// # Errors
/// The catalog could not be read (the owners of candidate keys in this catalog).
pub(crate) async fn plan_with_index(
    index: &SharedIndex,
    catalog: &CatalogHandle,
    inputs: &[IndexInput],
) -> Result<Vec<IndexPlan>, CatalogError> {
    let mut outcomes: Vec<Option<IndexPlan>> = vec![None; inputs.len()];
    let mut candidates: Vec<OriginalKey> = inputs.iter().map(|i| i.candidate.clone()).collect();
    // The random value each file registers with, drawn once.
    let rnds: Vec<String> = inputs.iter().map(|_| random_hex::<8>()).collect();
    let mut read = Read::Eventual;
    for _ in 0..MAX_ROUNDS {
        let pending: Vec<usize> = (0..inputs.len())
            .filter(|&i| outcomes[i].is_none())
            .collect();
        if pending.is_empty() {
            break;
        }
        let keys: Vec<String> = pending
            .iter()
            .map(|&i| candidates[i].as_str().to_owned())
            .collect();
        // A key this catalog holds for other content (uploaded before the index, or planned)
        // is taken whatever the index says.
        let asked = keys.clone();
        let local_owners = catalog
            .run(move |c| {
                asked
                    .iter()
                    .map(|key| c.key_owner(key))
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?;
        let found = lookup(
            &index.table,
            &*index.retrier,
            pending.iter().map(|&i| &inputs[i].sha256),
            keys.iter().map(String::as_str),
            read,
        )
        .await;
        let found = match found {
            Ok(found) => found,
            Err(e) => {
                let unavailable = unavailable(e.code(), &e.to_string());
                for &i in &pending {
                    outcomes[i] = Some(unavailable.clone());
                }
                break;
            }
        };
        let now_ms = Timestamp::now().as_millisecond();
        let mut batch: Vec<(usize, Reserve)> = Vec::new();
        let mut contents_in_batch = HashSet::new();
        let mut keys_in_batch = HashSet::new();
        for (&i, local_owner) in pending.iter().zip(local_owners) {
            let input = &inputs[i];
            let key = candidates[i].as_str().to_owned();
            let content = found.contents.get(&input.sha256);
            let step = match local_owner {
                Some(owner) if owner != input.sha256 => IndexStep::KeyTaken { owner },
                _ => index_step(
                    &input.sha256,
                    &key,
                    content,
                    found.keys.get(&key),
                    &index.station,
                    now_ms,
                ),
            };
            match step {
                IndexStep::Tombstoned { key, deleted_by } => {
                    outcomes[i] = Some(IndexPlan::Tombstoned { key, deleted_by });
                }
                IndexStep::Duplicate { key } => outcomes[i] = Some(IndexPlan::Duplicate { key }),
                IndexStep::Wait { station, until_ms } => {
                    outcomes[i] = Some(IndexPlan::Wait { station, until_ms });
                }
                IndexStep::Resume { key, hold } => {
                    let rnd = content
                        .and_then(|c| c.registration.as_ref())
                        .map_or_else(|| rnds[i].clone(), |r| r.rnd.clone());
                    outcomes[i] = Some(IndexPlan::Reserved {
                        key,
                        hold: IndexHold {
                            token: hold.token,
                            rnd,
                            reserved_at_ms: hold.reserved_at_ms,
                        },
                    });
                }
                IndexStep::KeyTaken { .. } => match candidates[i].renamed(&input.sha256.to_hex()) {
                    Some(next) => candidates[i] = next,
                    None => {
                        outcomes[i] = Some(IndexPlan::Conflict {
                            key: candidates[i].clone(),
                        });
                    }
                },
                IndexStep::Reserve {
                    content_seen,
                    key_seen,
                } => {
                    // One transaction may name an item once: a second file with the same
                    // content or key waits for the next round.
                    if contents_in_batch.insert(input.sha256) && keys_in_batch.insert(key.clone()) {
                        batch.push((
                            i,
                            Reserve {
                                registration: registration(index, input, key, &rnds[i]),
                                content_seen,
                                key_seen,
                            },
                        ));
                    }
                }
            }
        }
        if !batch.is_empty() {
            let files: Vec<Reserve> = batch.iter().map(|(_, r)| r.clone()).collect();
            match reserve(
                &index.table,
                &*index.retrier,
                &index.station,
                &files,
                now_ms,
            )
            .await
            {
                Ok(reserved) => {
                    for ((i, file), outcome) in batch.into_iter().zip(reserved) {
                        // Anything but `Reserved`: the facts changed; the next round reads
                        // them again (consistently) and decides anew.
                        if let ReserveOutcome::Reserved(hold) = outcome {
                            outcomes[i] = Some(IndexPlan::Reserved {
                                key: file.registration.key,
                                hold: IndexHold {
                                    token: hold.token,
                                    rnd: file.registration.rnd,
                                    reserved_at_ms: hold.reserved_at_ms,
                                },
                            });
                        }
                    }
                }
                Err(e) => {
                    let unavailable = unavailable(e.code(), &e.to_string());
                    for (i, _) in batch {
                        outcomes[i] = Some(unavailable.clone());
                    }
                }
            }
        }
        read = Read::Consistent;
    }
    Ok(outcomes
        .into_iter()
        .map(|outcome| {
            outcome.unwrap_or_else(|| {
                unavailable(
                    FailureCode::IndexContended,
                    "other stations kept changing this photo's entries",
                )
            })
        })
        .collect())
}

fn unavailable(code: FailureCode, message: &str) -> IndexPlan {
    IndexPlan::Unavailable {
        code,
        message: format!("waiting for the shared index: {message}; planned again later"),
    }
}

fn registration(index: &SharedIndex, input: &IndexInput, key: String, rnd: &str) -> Registration {
    Registration {
        sha256: input.sha256,
        content_type: crate::upload::content_type_for(&key).to_owned(),
        key,
        size: input.size,
        original_name: input.original_name.clone(),
        uploader_id: index.uploader.clone(),
        uploader_name: index.uploader.clone(),
        rnd: rnd.to_owned(),
        captured: input.captured.clone(),
        // The camera facts are not kept in the catalog yet (only the capture time and the
        // serial are read at hashing); they stay absent until they are.
        camera_make: None,
        camera_model: None,
        camera_serial: None,
    }
}
