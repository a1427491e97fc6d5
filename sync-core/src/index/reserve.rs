//! Reserve and register (docs/index.md, "Reserve and register"): per file, its content item
//! and its key item in one transaction, created if absent or taken over from a stale
//! reservation exactly as it was read; a refused file is re-read (consistent) and its
//! outcome says why: the key's owner, the content live or deleted, or who holds it.

use lightbox_types::Sha256Digest;

use super::attrs::{n, s};
use super::client::IndexTable;
use super::error::IndexError;
use super::expr::UpdateSpec;
use super::items::{ContentItem, Hold, ItemState, KeyItem, Registration, content_pk, key_pk};
use super::lookup::{Found, Read, lookup};
use super::transact::{Fate, commit_files};
use crate::retry::{Clock, CredentialRefresh, Retrier};

const OPERATION: &str = "TransactWriteItems (reserve)";
/// Create the item only if there is none.
const PUT_IF_ABSENT: &str = "attribute_not_exists(#pk)";
/// Take over exactly the reservation that was read.
const TAKE_OVER_STALE: &str =
    "#state = :reserved AND #reservation = :seen_token AND #reserved_at = :seen_at";

/// One file to reserve: what to register, and the stale reservations (as read) to take
/// over, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reserve {
    pub registration: Registration,
    /// The content item's stale reservation to take over.
    pub content_seen: Option<Hold>,
    /// The key item's stale reservation to take over.
    pub key_seen: Option<Hold>,
}

/// What became of one file's reservation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReserveOutcome {
    /// Both items are this station's now; the catalog row keeps the hold.
    Reserved(Hold),
    /// The key belongs to other content (`hold`: still reserved, by whom and since when).
    KeyTaken {
        owner: Sha256Digest,
        hold: Option<Hold>,
    },
    /// The content is already live, at `key`.
    ContentLive { key: String },
    /// The content was deleted by an admin (a tombstone): never upload it.
    ContentDeleted { key: String },
    /// The content is reserved, for `key`, by `hold.station` since `hold.reserved_at_ms`.
    ContentReserved { key: String, hold: Hold },
}

/// Reserve each file's key and register its content for `station` at `now_ms`, 50 files a
/// transaction. Outcomes come in the order of `files`.
///
/// # Errors
/// The call's failure once the retry policy gave up, [`IndexError::Contended`] when other
/// stations kept changing the items, [`IndexError::BadItem`] for an unreadable item.
pub async fn reserve<C: Clock, R: CredentialRefresh>(
    table: &IndexTable,
    retrier: &Retrier<C, R>,
    station: &str,
    files: &[Reserve],
    now_ms: i64,
) -> Result<Vec<ReserveOutcome>, IndexError> {
    let holds: Vec<Hold> = files
        .iter()
        .map(|_| Hold {
            station: station.to_owned(),
            token: super::random_hex::<16>(),
            reserved_at_ms: now_ms,
        })
        .collect();
    let actions: Vec<_> = files
        .iter()
        .zip(&holds)
        .map(|(file, hold)| actions(table, file, hold))
        .collect();
    let fates = commit_files(table, retrier, OPERATION, &actions).await?;
    let refused: Vec<&Reserve> = files
        .iter()
        .zip(&fates)
        .filter(|(_, fate)| **fate == Fate::Refused)
        .map(|(file, _)| file)
        .collect();
    let found = if refused.is_empty() {
        Found::default()
    } else {
        lookup(
            table,
            retrier,
            refused.iter().map(|f| &f.registration.sha256),
            refused.iter().map(|f| f.registration.key.as_str()),
            Read::Consistent,
        )
        .await?
    };
    let mut outcomes = Vec::with_capacity(files.len());
    for ((file, fate), hold) in files.iter().zip(fates).zip(holds) {
        outcomes.push(match fate {
            Fate::Committed => ReserveOutcome::Reserved(hold),
            Fate::Refused => match refusal(
                file,
                found.contents.get(&file.registration.sha256),
                found.keys.get(&file.registration.key),
            ) {
                Some(outcome) => outcome,
                // What refused it is gone again (a takeover in between was undone by
                // nobody; items are never deleted): nothing to report but contention.
                None => {
                    return Err(IndexError::Contended {
                        operation: OPERATION,
                    });
                }
            },
        });
    }
    Ok(outcomes)
}

/// Why `file` was refused, from its items as re-read (pure): content facts first (deleted,
/// live, reserved by another than the one seen), then the key's owner.
#[must_use]
pub fn refusal(
    file: &Reserve,
    content: Option<&ContentItem>,
    key: Option<&KeyItem>,
) -> Option<ReserveOutcome> {
    if let Some(content) = content {
        if content.is_deleted() {
            return Some(ReserveOutcome::ContentDeleted {
                key: content.key.clone(),
            });
        }
        match (&content.state, &content.hold) {
            (ItemState::Live, _) => {
                return Some(ReserveOutcome::ContentLive {
                    key: content.key.clone(),
                });
            }
            (ItemState::Reserved, Some(hold)) if Some(hold) != file.content_seen.as_ref() => {
                return Some(ReserveOutcome::ContentReserved {
                    key: content.key.clone(),
                    hold: hold.clone(),
                });
            }
            _ => {}
        }
    }
    let key = key?;
    (key.hold.as_ref() != file.key_seen.as_ref() || key.state == ItemState::Live).then(|| {
        ReserveOutcome::KeyTaken {
            owner: key.sha256,
            hold: key.hold.clone(),
        }
    })
}

/// The file's two actions: its content item, then its key item.
fn actions(
    table: &IndexTable,
    file: &Reserve,
    hold: &Hold,
) -> Vec<aws_sdk_dynamodb::types::TransactWriteItem> {
    let reg = &file.registration;
    let mut content = held(
        UpdateSpec::new(condition(file.content_seen.as_ref())),
        file.content_seen.as_ref(),
    )
    .set_all(reg.attributes());
    for (name, value) in reg.optional_attributes() {
        if value.is_none() {
            content = content.remove(name);
        }
    }
    let content = with_hold(content, hold);
    let key = held(
        UpdateSpec::new(condition(file.key_seen.as_ref())),
        file.key_seen.as_ref(),
    )
    .set("sha256", s(reg.sha256.to_hex()));
    let key = with_hold(key, hold);
    vec![
        content.action(table, content_pk(&reg.sha256)),
        key.action(table, key_pk(&reg.key)),
    ]
}

fn condition(seen: Option<&Hold>) -> &'static str {
    if seen.is_some() {
        TAKE_OVER_STALE
    } else {
        PUT_IF_ABSENT
    }
}

/// The takeover condition's values, for a seen reservation.
fn held(spec: UpdateSpec, seen: Option<&Hold>) -> UpdateSpec {
    match seen {
        None => spec,
        Some(seen) => spec
            .value("reserved", s(ItemState::Reserved.as_str()))
            .value("seen_token", s(&seen.token))
            .value("seen_at", n(seen.reserved_at_ms)),
    }
}

/// `state`, `station`, `reserved_at` and `reservation` of the new hold.
fn with_hold(spec: UpdateSpec, hold: &Hold) -> UpdateSpec {
    spec.set("state", s(ItemState::Reserved.as_str()))
        .set("station", s(&hold.station))
        .set("reserved_at", n(hold.reserved_at_ms))
        .set("reservation", s(&hold.token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::items::KeyItem;
    use crate::index::items::tests::{content_at, key_at, registration, sha};

    const KEY: &str = "originals/2024/03/09/DSC_0001.JPG";

    fn hold(station: &str) -> Hold {
        Hold {
            station: station.to_owned(),
            token: format!("token-of-{station}"),
            reserved_at_ms: 1_000,
        }
    }

    fn content(state: ItemState, hold: Option<Hold>, deleted: bool) -> ContentItem {
        content_at(KEY, state, hold, deleted)
    }

    fn key_item(owner: u8, state: ItemState, hold: Option<Hold>) -> KeyItem {
        key_at(KEY, owner, state, hold)
    }

    #[test]
    fn a_refusal_names_the_fact_in_the_designs_precedence() {
        let file = Reserve {
            registration: registration(1, KEY),
            content_seen: None,
            key_seen: None,
        };
        let other = key_item(2, ItemState::Reserved, Some(hold("b")));
        // The deletion marks win over whatever `state` says.
        let deleted = content(ItemState::Live, None, true);
        assert_eq!(
            refusal(&file, Some(&deleted), Some(&other)),
            Some(ReserveOutcome::ContentDeleted {
                key: KEY.to_owned()
            })
        );
        let live = content(ItemState::Live, None, false);
        assert_eq!(
            refusal(&file, Some(&live), None),
            Some(ReserveOutcome::ContentLive {
                key: KEY.to_owned()
            })
        );
        let reserved = content(ItemState::Reserved, Some(hold("a")), false);
        assert_eq!(
            refusal(&file, Some(&reserved), Some(&other)),
            Some(ReserveOutcome::ContentReserved {
                key: KEY.to_owned(),
                hold: hold("a")
            })
        );
        assert_eq!(
            refusal(&file, None, Some(&other)),
            Some(ReserveOutcome::KeyTaken {
                owner: sha(2),
                hold: Some(hold("b"))
            })
        );
        let live_key = key_item(2, ItemState::Live, None);
        assert_eq!(
            refusal(&file, None, Some(&live_key)),
            Some(ReserveOutcome::KeyTaken {
                owner: sha(2),
                hold: None
            })
        );
        assert_eq!(refusal(&file, None, None), None, "nothing there: try again");
    }

    #[test]
    fn a_takeover_whose_seen_reservation_is_unchanged_is_not_refused_by_that_item() {
        let file = Reserve {
            registration: registration(1, KEY),
            content_seen: Some(hold("a")),
            key_seen: Some(hold("a")),
        };
        let reserved = content(ItemState::Reserved, Some(hold("a")), false);
        let key = key_item(1, ItemState::Reserved, Some(hold("a")));
        assert_eq!(refusal(&file, Some(&reserved), Some(&key)), None);
        let moved_on = key_item(1, ItemState::Reserved, Some(hold("c")));
        assert_eq!(
            refusal(&file, Some(&reserved), Some(&moved_on)),
            Some(ReserveOutcome::KeyTaken {
                owner: sha(1),
                hold: Some(hold("c"))
            }),
            "another taker got the key first"
        );
    }
}
