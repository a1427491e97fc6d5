//! Upload, skip or rename: the decision for one fingerprinted file.
//!
//! # The two-step contract
//!
//! [`decide`] is pure, so the facts it needs are looked up by the caller first:
//!
//! 1. `key = planner.candidate_key(name, sha256, captured, now)`;
//! 2. look up [`KeyFacts`]: is this content already uploaded or planned (by
//!    SHA-256), is it tombstoned, and which content owns `key`;
//! 3. `decide(&key, sha256, &facts)`. On [`Decision::Rename`], look up the owner of
//!    the *new* key, put it in `facts.key_owner` and call `decide` again with the new
//!    key. The renamed key only depends on the name and the hash, so the same file
//!    always gets the same renamed key, and a rename key already holding this very
//!    content is a duplicate. The ladder has three rungs (`_<hash8>`, `_<hash16>`,
//!    `_<sha256>`), so this loop ends after at most four calls; if even the full-hash
//!    name belongs to other content, the answer is [`Decision::Conflict`].
//!
//! [`resolve_key`] runs that loop with a lookup closure.
//!
//! Precedence: a tombstone wins over everything (an admin deleted this content
//! on purpose); then content already known anywhere is a duplicate; then the
//! name is checked.

use super::original_key::OriginalKey;

/// What the caller looked up about a file's content and a candidate key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyFacts {
    /// The key where this content (same SHA-256) is already uploaded or planned.
    pub content_key: Option<String>,
    /// An admin deleted this content: a tombstone exists for its SHA-256.
    pub tombstoned: bool,
    /// The SHA-256 (hex) of the content uploaded or planned at the key being
    /// decided; `None` when the key is free.
    pub key_owner: Option<String>,
}

/// The plan for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Upload to `key`.
    Upload { key: OriginalKey },
    /// The same content is already at `existing_key`: upload nothing.
    SkipDuplicate { existing_key: String },
    /// An admin deleted this content: never upload it again.
    SkipTombstoned,
    /// The name is taken by different content: check who owns `key` and decide again.
    Rename { key: OriginalKey },
    /// Every rename of this name is taken by different content (only possible with
    /// deliberately crafted names): a person has to look at `key`.
    Conflict { key: OriginalKey },
}

/// Decide for `candidate`, holding content `sha256_hex`, given `facts` about it.
/// Pure. See the module docs for the two-step contract.
#[must_use]
pub fn decide(candidate: &OriginalKey, sha256_hex: &str, facts: &KeyFacts) -> Decision {
    if facts.tombstoned {
        return Decision::SkipTombstoned;
    }
    if let Some(existing_key) = &facts.content_key {
        return Decision::SkipDuplicate {
            existing_key: existing_key.clone(),
        };
    }
    match &facts.key_owner {
        None => Decision::Upload {
            key: candidate.clone(),
        },
        Some(owner) if owner.eq_ignore_ascii_case(sha256_hex) => Decision::SkipDuplicate {
            existing_key: candidate.as_str().to_owned(),
        },
        Some(_) => match candidate.renamed(sha256_hex) {
            Some(key) => Decision::Rename { key },
            None => Decision::Conflict {
                key: candidate.clone(),
            },
        },
    }
}

/// Run the two-step contract to the end: `facts` describe `candidate`, and
/// `owner_of(key)` returns the SHA-256 owning a renamed key (`None`: free). Never
/// returns [`Decision::Rename`].
pub fn resolve_key(
    candidate: &OriginalKey,
    sha256_hex: &str,
    facts: &KeyFacts,
    mut owner_of: impl FnMut(&str) -> Option<String>,
) -> Decision {
    let mut facts = facts.clone();
    let mut decision = decide(candidate, sha256_hex, &facts);
    while let Decision::Rename { key } = decision {
        facts.key_owner = owner_of(key.as_str());
        decision = decide(&key, sha256_hex, &facts);
    }
    decision
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use jiff::civil::date;

    use super::*;
    use crate::plan::sanitize::sanitize_name;

    const MINE: &str = "aaaaaaaa11111111aaaaaaaa11111111aaaaaaaa11111111aaaaaaaa11111111";
    const OTHER: &str = "bbbbbbbb22222222bbbbbbbb22222222bbbbbbbb22222222bbbbbbbb22222222";

    fn key(name: &str) -> OriginalKey {
        OriginalKey::new(date(2024, 3, 9), sanitize_name(name, MINE))
    }

    fn facts(content_key: Option<&str>, tombstoned: bool, key_owner: Option<&str>) -> KeyFacts {
        KeyFacts {
            content_key: content_key.map(str::to_owned),
            tombstoned,
            key_owner: key_owner.map(str::to_owned),
        }
    }

    #[test]
    fn decide_table() {
        let base = key("IMG_1.jpg");
        let renamed = base.renamed(MINE).expect("first rung");
        let last = renamed
            .renamed(MINE)
            .and_then(|k| k.renamed(MINE))
            .expect("last rung");
        let elsewhere = "originals/2024/01/01/IMG_1.jpg";
        let cases: &[(&str, &OriginalKey, KeyFacts, Decision)] = &[
            (
                "free name",
                &base,
                facts(None, false, None),
                Decision::Upload { key: base.clone() },
            ),
            (
                "same content elsewhere",
                &base,
                facts(Some(elsewhere), false, None),
                Decision::SkipDuplicate {
                    existing_key: elsewhere.to_owned(),
                },
            ),
            (
                "same content at this very key",
                &base,
                facts(None, false, Some(MINE)),
                Decision::SkipDuplicate {
                    existing_key: base.as_str().to_owned(),
                },
            ),
            (
                "owner hash compared case-insensitively",
                &base,
                facts(None, false, Some(&MINE.to_ascii_uppercase())),
                Decision::SkipDuplicate {
                    existing_key: base.as_str().to_owned(),
                },
            ),
            (
                "name taken by other content",
                &base,
                facts(None, false, Some(OTHER)),
                Decision::Rename {
                    key: renamed.clone(),
                },
            ),
            (
                "tombstone beats a free name",
                &base,
                facts(None, true, None),
                Decision::SkipTombstoned,
            ),
            (
                "tombstone beats a duplicate",
                &base,
                facts(Some(elsewhere), true, None),
                Decision::SkipTombstoned,
            ),
            (
                "tombstone beats a rename",
                &base,
                facts(None, true, Some(OTHER)),
                Decision::SkipTombstoned,
            ),
            (
                "duplicate beats a rename",
                &base,
                facts(Some(elsewhere), false, Some(OTHER)),
                Decision::SkipDuplicate {
                    existing_key: elsewhere.to_owned(),
                },
            ),
            // Second step: the caller looked up the renamed key.
            (
                "rename key free",
                &renamed,
                facts(None, false, None),
                Decision::Upload {
                    key: renamed.clone(),
                },
            ),
            (
                "rename key already holds this content",
                &renamed,
                facts(None, false, Some(MINE)),
                Decision::SkipDuplicate {
                    existing_key: renamed.as_str().to_owned(),
                },
            ),
            (
                "rename key taken too: next rung",
                &renamed,
                facts(None, false, Some(OTHER)),
                Decision::Rename {
                    key: renamed.renamed(MINE).expect("second rung"),
                },
            ),
            (
                "every rung taken",
                &last,
                facts(None, false, Some(OTHER)),
                Decision::Conflict { key: last.clone() },
            ),
        ];
        for (what, candidate, facts, want) in cases {
            assert_eq!(&decide(candidate, MINE, facts), want, "{what}");
        }
        assert_eq!(
            renamed.as_str(),
            "originals/2024/03/09/IMG_1_aaaaaaaa.jpg",
            "<stem>_<hash8>.<ext>"
        );
    }

    #[test]
    fn resolve_key_follows_the_ladder() {
        let base = key("IMG_1.jpg");
        let r8 = "originals/2024/03/09/IMG_1_aaaaaaaa.jpg";
        let r16 = "originals/2024/03/09/IMG_1_aaaaaaaa11111111.jpg";
        let taken = |owners: &[(&str, &str)]| -> HashMap<String, String> {
            owners
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let cases: Vec<(&str, HashMap<String, String>, Decision)> = vec![
            (
                "hash8 free",
                taken(&[]),
                Decision::Upload {
                    key: base.renamed(MINE).expect("rung"),
                },
            ),
            (
                "hash8 is ours",
                taken(&[(r8, MINE)]),
                Decision::SkipDuplicate {
                    existing_key: r8.to_owned(),
                },
            ),
            (
                "hash8 taken, hash16 free",
                taken(&[(r8, OTHER)]),
                Decision::Upload {
                    key: base
                        .renamed(MINE)
                        .and_then(|k| k.renamed(MINE))
                        .expect("rung"),
                },
            ),
            (
                "all taken",
                taken(&[
                    (r8, OTHER),
                    (r16, OTHER),
                    (&format!("originals/2024/03/09/IMG_1_{MINE}.jpg"), OTHER),
                ]),
                Decision::Conflict {
                    key: base
                        .renamed(MINE)
                        .and_then(|k| k.renamed(MINE))
                        .and_then(|k| k.renamed(MINE))
                        .expect("rung"),
                },
            ),
        ];
        for (what, owners, want) in cases {
            let mut lookups = 0;
            let got = resolve_key(&base, MINE, &facts(None, false, Some(OTHER)), |k| {
                lookups += 1;
                owners.get(k).cloned()
            });
            assert_eq!(got, want, "{what}");
            assert!(lookups <= 3, "{what}: at most one lookup per rung");
        }
        assert_eq!(
            resolve_key(&base, MINE, &facts(None, false, None), |_| panic!(
                "no lookup for a free name"
            )),
            Decision::Upload { key: base.clone() }
        );
    }
}
