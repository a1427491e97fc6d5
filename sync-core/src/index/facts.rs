//! The plan step's facts function (docs/index.md, "The plan step"), pure: a file's content
//! item and the key item of its candidate key, as read, turned into what the plan does next,
//! with the time passed in. The engine's plan driver does the reads and writes around it.
//!
//! Precedence: a deletion (the marks) wins, then content live anywhere (a duplicate), then
//! content reserved (this station's own: resume it; another's, fresh: wait; stale: take it
//! over), then the candidate key (free: reserve; this content's: a duplicate or a takeover;
//! another content's: the next rung of the rename ladder).

use lightbox_types::Sha256Digest;

use super::items::{ContentItem, Hold, ItemState, KeyItem, STALE_AFTER_MS};

/// What the index says to do with one file at one candidate key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexStep {
    /// An admin deleted this content (`key`, by `deleted_by`): skip it as tombstoned.
    Tombstoned { key: String, deleted_by: String },
    /// The content is already in the bucket (or being made live) at `key`: send nothing.
    Duplicate { key: String },
    /// Another station holds a fresh reservation of this content: look again at `until_ms`
    /// (when it would go stale; by then it is live, or stale and taken over).
    Wait { station: String, until_ms: i64 },
    /// This station's own reservation (a restart, or a crash between the index's commit and
    /// the catalog's): carry on with it at `key`, reserving nothing again.
    Resume { key: String, hold: Hold },
    /// The candidate key belongs to other content: try the next rung.
    KeyTaken { owner: Sha256Digest },
    /// Reserve the candidate key and register the content, taking over the stale
    /// reservations seen (if any) exactly as read.
    Reserve {
        content_seen: Option<Hold>,
        key_seen: Option<Hold>,
    },
}

/// The next step for content `sha256` at `candidate`, from its items as read (`None`: no
/// such item), for `station` at `now_ms` (the reader's clock).
#[must_use]
pub fn index_step(
    sha256: &Sha256Digest,
    candidate: &str,
    content: Option<&ContentItem>,
    key: Option<&KeyItem>,
    station: &str,
    now_ms: i64,
) -> IndexStep {
    let mut content_seen = None;
    if let Some(content) = content {
        if let Some(deletion) = &content.deletion {
            return IndexStep::Tombstoned {
                key: content.key.clone(),
                deleted_by: deletion.deleted_by_name.clone(),
            };
        }
        match (content.state, &content.hold) {
            // `deleted` without the marks is not a deletion (staff may write `state`, never
            // the marks), but the content is known there: not sent again.
            (ItemState::Live | ItemState::Deleted, _) => {
                return IndexStep::Duplicate {
                    key: content.key.clone(),
                };
            }
            (ItemState::Reserved, Some(hold)) if hold.station == station => {
                return IndexStep::Resume {
                    key: content.key.clone(),
                    hold: hold.clone(),
                };
            }
            (ItemState::Reserved, Some(hold)) if !hold.is_stale(now_ms) => {
                return wait(hold);
            }
            (ItemState::Reserved, Some(hold)) => content_seen = Some(hold.clone()),
            // Reserved without a reservation is no item Lightbox writes: leave it to its
            // writer for the stale time, then look again.
            (ItemState::Reserved, None) => {
                return IndexStep::Wait {
                    station: content.station.clone().unwrap_or_default(),
                    until_ms: now_ms.saturating_add(STALE_AFTER_MS),
                };
            }
        }
    }
    let Some(key) = key else {
        return IndexStep::Reserve {
            content_seen,
            key_seen: None,
        };
    };
    let stale_hold = match (key.state, &key.hold) {
        (ItemState::Reserved, Some(hold)) if hold.is_stale(now_ms) => Some(hold),
        _ => None,
    };
    if key.sha256 != *sha256 {
        // Another content's name, live or reserved. A stale reservation of it is not taken
        // over here: that needs a `HeadObject` of the key first (docs/index.md, "Stale
        // reservations"), so the file takes the next rung, which is always safe.
        return IndexStep::KeyTaken { owner: key.sha256 };
    }
    match (key.state, stale_hold) {
        (ItemState::Reserved, Some(hold)) => IndexStep::Reserve {
            content_seen,
            key_seen: Some(hold.clone()),
        },
        (ItemState::Reserved, None) => match &key.hold {
            Some(hold) if hold.station == station => IndexStep::Resume {
                key: candidate.to_owned(),
                hold: hold.clone(),
            },
            Some(hold) => wait(hold),
            None => IndexStep::Wait {
                station: key.station.clone().unwrap_or_default(),
                until_ms: now_ms.saturating_add(STALE_AFTER_MS),
            },
        },
        _ => IndexStep::Duplicate {
            key: candidate.to_owned(),
        },
    }
}

fn wait(hold: &Hold) -> IndexStep {
    IndexStep::Wait {
        station: hold.station.clone(),
        until_ms: hold.reserved_at_ms.saturating_add(STALE_AFTER_MS),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::items::tests::{content_at, key_at, sha};

    const KEY: &str = "originals/2024/03/09/DSC_0001.JPG";
    const ME: &str = "desk/0000000a";
    const NOW: i64 = 100 * 60 * 1000;

    fn hold(station: &str, at: i64) -> Hold {
        Hold {
            station: station.to_owned(),
            token: format!("token-of-{station}"),
            reserved_at_ms: at,
        }
    }

    fn content(state: ItemState, hold: Option<Hold>, deleted: bool) -> ContentItem {
        content_at("originals/2024/01/01/elsewhere.jpg", state, hold, deleted)
    }

    fn key(owner: u8, state: ItemState, hold: Option<Hold>) -> KeyItem {
        key_at(KEY, owner, state, hold)
    }

    #[test]
    fn index_step_table() {
        let fresh = NOW - 60_000;
        let stale = NOW - STALE_AFTER_MS - 1;
        let elsewhere = "originals/2024/01/01/elsewhere.jpg".to_owned();
        let cases: Vec<(&str, Option<ContentItem>, Option<KeyItem>, IndexStep)> = vec![
            (
                "nothing known: reserve",
                None,
                None,
                IndexStep::Reserve {
                    content_seen: None,
                    key_seen: None,
                },
            ),
            (
                "deleted content is a tombstone, whatever state says",
                Some(content(ItemState::Live, None, true)),
                Some(key(2, ItemState::Live, None)),
                IndexStep::Tombstoned {
                    key: elsewhere.clone(),
                    deleted_by: "Grace".to_owned(),
                },
            ),
            (
                "live content is a duplicate, even when the name is another's",
                Some(content(ItemState::Live, None, false)),
                Some(key(2, ItemState::Live, None)),
                IndexStep::Duplicate {
                    key: elsewhere.clone(),
                },
            ),
            (
                "reserved by this station: resume",
                Some(content(ItemState::Reserved, Some(hold(ME, fresh)), false)),
                None,
                IndexStep::Resume {
                    key: elsewhere.clone(),
                    hold: hold(ME, fresh),
                },
            ),
            (
                "reserved elsewhere, fresh: wait until it would go stale",
                Some(content(ItemState::Reserved, Some(hold("b", fresh)), false)),
                None,
                IndexStep::Wait {
                    station: "b".to_owned(),
                    until_ms: fresh + STALE_AFTER_MS,
                },
            ),
            (
                "reserved elsewhere, stale: take the content over",
                Some(content(ItemState::Reserved, Some(hold("b", stale)), false)),
                None,
                IndexStep::Reserve {
                    content_seen: Some(hold("b", stale)),
                    key_seen: None,
                },
            ),
            (
                "the name is another content's: next rung",
                None,
                Some(key(2, ItemState::Live, None)),
                IndexStep::KeyTaken { owner: sha(2) },
            ),
            (
                "another content's stale reservation is not taken without a HeadObject",
                None,
                Some(key(2, ItemState::Reserved, Some(hold("b", stale)))),
                IndexStep::KeyTaken { owner: sha(2) },
            ),
            (
                "the name is this content's, live: duplicate at the candidate",
                None,
                Some(key(1, ItemState::Live, None)),
                IndexStep::Duplicate {
                    key: KEY.to_owned(),
                },
            ),
            (
                "stale content and key reservation of this content: both taken over",
                Some(content(ItemState::Reserved, Some(hold("b", stale)), false)),
                Some(key(1, ItemState::Reserved, Some(hold("b", stale)))),
                IndexStep::Reserve {
                    content_seen: Some(hold("b", stale)),
                    key_seen: Some(hold("b", stale)),
                },
            ),
            (
                "the name is this content's, reserved elsewhere and fresh: wait",
                None,
                Some(key(1, ItemState::Reserved, Some(hold("b", fresh)))),
                IndexStep::Wait {
                    station: "b".to_owned(),
                    until_ms: fresh + STALE_AFTER_MS,
                },
            ),
        ];
        for (what, content, key, want) in cases {
            assert_eq!(
                index_step(&sha(1), KEY, content.as_ref(), key.as_ref(), ME, NOW),
                want,
                "{what}"
            );
        }
    }
}
