//! Make live (docs/index.md, "Make live"): after the object is verified and the previews are
//! made (or not), the content item gets its live facts and GSI keys and both items drop the
//! reservation, under the condition that the reservation is still this one.

use lightbox_types::Sha256Digest;

use super::attrs::{n, s};
use super::client::IndexTable;
use super::error::IndexError;
use super::expr::UpdateSpec;
use super::gallery_keys::GalleryKeys;
use super::items::{ItemState, LiveFacts, content_pk, key_pk};
use super::lookup::{Found, Read, lookup};
use super::transact::{Fate, commit_files};
use crate::retry::{Clock, CredentialRefresh, Retrier};

const OPERATION: &str = "TransactWriteItems (make live)";
/// The reservation is still the one this station holds.
const HOLDS: &str = "#state = :reserved AND #reservation = :token";

/// One verified file to make live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MakeLive {
    pub sha256: Sha256Digest,
    pub key: String,
    /// The reservation's token (the catalog row's).
    pub token: String,
    /// The content's random value (`rnd`, as registered).
    pub rnd: String,
    /// The sort time, [`super::taken`].
    pub taken: String,
    pub live: LiveFacts,
}

/// What became of one make-live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveOutcome {
    /// Made live now.
    Live,
    /// Already live with this key and content (a retry after a lost reply, or another station
    /// adopted the object): done.
    AlreadyLive,
    /// The reservation was lost (taken over): the object stays, the file is planned again.
    Lost,
}

/// Make `files` live, 50 a transaction; outcomes in the order of `files`.
///
/// # Errors
/// The call's failure once the retry policy gave up, [`IndexError::Contended`],
/// [`IndexError::BadItem`] for a key outside `originals/YYYY/MM/DD/` or an unreadable item.
pub async fn make_live<C: Clock, R: CredentialRefresh>(
    table: &IndexTable,
    retrier: &Retrier<C, R>,
    files: &[MakeLive],
) -> Result<Vec<LiveOutcome>, IndexError> {
    let actions = files
        .iter()
        .map(|file| actions(table, file))
        .collect::<Result<Vec<_>, _>>()?;
    let fates = commit_files(table, retrier, OPERATION, &actions).await?;
    let refused: Vec<&Sha256Digest> = files
        .iter()
        .zip(&fates)
        .filter(|(_, fate)| **fate == Fate::Refused)
        .map(|(file, _)| &file.sha256)
        .collect();
    let found = if refused.is_empty() {
        Found::default()
    } else {
        lookup(table, retrier, refused, [], Read::Consistent).await?
    };
    Ok(files
        .iter()
        .zip(fates)
        .map(|(file, fate)| match fate {
            Fate::Committed => LiveOutcome::Live,
            Fate::Refused => match found.contents.get(&file.sha256) {
                Some(c) if c.state == ItemState::Live && !c.is_deleted() && c.key == file.key => {
                    LiveOutcome::AlreadyLive
                }
                _ => LiveOutcome::Lost,
            },
        })
        .collect())
}

/// The file's two actions: its content item, then its key item.
fn actions(
    table: &IndexTable,
    file: &MakeLive,
) -> Result<Vec<aws_sdk_dynamodb::types::TransactWriteItem>, IndexError> {
    let gallery = GalleryKeys::for_live(&file.sha256, &file.key, &file.rnd, &file.taken).map_err(
        |error| IndexError::BadItem {
            pk: content_pk(&file.sha256),
            error,
        },
    )?;
    let live = &file.live;
    let optional = [
        ("thumb_key", live.thumb_key.as_ref().map(s)),
        ("screen_key", live.screen_key.as_ref().map(s)),
        ("width", live.width.map(n)),
        ("height", live.height.map(n)),
    ];
    let content = holding(UpdateSpec::new(&format!("{HOLDS} AND #key = :key")), file)
        .set("state", s(ItemState::Live.as_str()))
        .set("uploaded_at", s(&live.uploaded_at))
        .set_all(
            optional
                .into_iter()
                .filter_map(|(name, v)| v.map(|v| (name, v))),
        )
        .set_all(
            gallery
                .attributes()
                .into_iter()
                .map(|(name, v)| (name, s(v))),
        )
        .value("key", s(&file.key))
        .remove("reserved_at")
        .remove("reservation");
    let key = holding(
        UpdateSpec::new(&format!("{HOLDS} AND #sha256 = :sha256")),
        file,
    )
    .set("state", s(ItemState::Live.as_str()))
    .value("sha256", s(file.sha256.to_hex()))
    .remove("reserved_at")
    .remove("reservation");
    Ok(vec![
        content.action(table, content_pk(&file.sha256)),
        key.action(table, key_pk(&file.key)),
    ])
}

/// The values of [`HOLDS`].
fn holding(spec: UpdateSpec, file: &MakeLive) -> UpdateSpec {
    spec.value("reserved", s(ItemState::Reserved.as_str()))
        .value("token", s(&file.token))
}
