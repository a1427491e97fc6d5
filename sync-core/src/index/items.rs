//! The two item kinds of the index table as plain values, and their codecs (pure): the
//! content item `C#<sha256>` and the key item `K#<object key>` (docs/index.md, "The table").

use std::str::FromStr;

use lightbox_types::Sha256Digest;

use super::attrs::{Item, ItemError, n, opt_n, opt_s, put_opt, req_s, s};
use super::gallery_keys::GalleryKeys;

/// Prefix of a content item's `pk`.
const CONTENT_PREFIX: &str = "C#";
/// Prefix of a key item's `pk`.
const KEY_PREFIX: &str = "K#";

/// A reservation older than this (by the reader's clock) is stale: another station may take
/// it over. The holder's heartbeat every 10 minutes leaves 20 minutes for clock skew.
pub const STALE_AFTER_MS: i64 = 30 * 60 * 1000;

/// `pk` of the content item of `sha256`.
#[must_use]
pub fn content_pk(sha256: &Sha256Digest) -> String {
    format!("{CONTENT_PREFIX}{sha256}")
}

/// `pk` of the key item of `key`.
#[must_use]
pub fn key_pk(key: &str) -> String {
    format!("{KEY_PREFIX}{key}")
}

/// An item's `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    Reserved,
    Live,
    /// Set by an admin's delete-mark; the marks themselves are what "deleted" means.
    Deleted,
}

impl ItemState {
    /// The stored text.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reserved => "reserved",
            Self::Live => "live",
            Self::Deleted => "deleted",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Reserved, Self::Live, Self::Deleted]
            .into_iter()
            .find(|state| state.as_str() == text)
    }
}

/// A reservation as stored on both items: who holds it, since when, under which token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    /// `<host>/<station id>`.
    pub station: String,
    /// 128 random bits in hex, kept in the holder's catalog row.
    pub token: String,
    /// Epoch milliseconds of the reservation or its last heartbeat.
    pub reserved_at_ms: i64,
}

impl Hold {
    /// Whether the reservation is stale at `now_ms` (the reader's clock): older than
    /// [`STALE_AFTER_MS`].
    #[must_use]
    pub fn is_stale(&self, now_ms: i64) -> bool {
        now_ms.saturating_sub(self.reserved_at_ms) > STALE_AFTER_MS
    }

    /// The hold on `item`, when it has one (`reservation` and `reserved_at` present).
    fn read(item: &Item, station: Option<&String>) -> Result<Option<Self>, ItemError> {
        let token = opt_s(item, "reservation")?;
        let at = opt_n::<i64>(item, "reserved_at")?;
        Ok(match (token, at) {
            (Some(token), Some(reserved_at_ms)) => Some(Self {
                station: station.cloned().ok_or(ItemError::Missing("station"))?,
                token,
                reserved_at_ms,
            }),
            _ => None,
        })
    }

    fn write(&self, item: &mut Item) {
        item.insert("reservation".to_owned(), s(&self.token));
        item.insert("reserved_at".to_owned(), n(self.reserved_at_ms));
    }
}

/// What a station registers for a file when it reserves its key (docs/index.md, "Content
/// item", the attributes set by reserve).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub sha256: Sha256Digest,
    pub key: String,
    pub size: u64,
    pub content_type: String,
    /// The file name on the card or in the import folder, as it was.
    pub original_name: String,
    /// The Cognito `sub`, or the daemon's IAM role ARN.
    pub uploader_id: String,
    pub uploader_name: String,
    /// 16 random lowercase hex digits: the random view's value.
    pub rnd: String,
    /// Capture time as the camera recorded it (`2024-03-09T21:14:03.120+01:00`).
    pub captured: Option<String>,
    pub camera_make: Option<String>,
    pub camera_model: Option<String>,
    pub camera_serial: Option<String>,
}

impl Registration {
    /// The optional attributes by name, present or not, in the order the design writes them.
    #[must_use]
    pub fn optional_attributes(&self) -> [(&'static str, Option<&String>); 4] {
        [
            ("captured", self.captured.as_ref()),
            ("camera_make", self.camera_make.as_ref()),
            ("camera_model", self.camera_model.as_ref()),
            ("camera_serial", self.camera_serial.as_ref()),
        ]
    }

    /// The attributes reserve sets, the optional ones only when present.
    pub(crate) fn attributes(
        &self,
    ) -> Vec<(&'static str, aws_sdk_dynamodb::types::AttributeValue)> {
        let mut out = vec![
            ("key", s(&self.key)),
            ("size", n(self.size)),
            ("content_type", s(&self.content_type)),
            ("original_name", s(&self.original_name)),
            ("uploader_id", s(&self.uploader_id)),
            ("uploader_name", s(&self.uploader_name)),
            ("rnd", s(&self.rnd)),
        ];
        for (name, value) in self.optional_attributes() {
            if let Some(value) = value {
                out.push((name, s(value)));
            }
        }
        out
    }
}

/// What make-live adds: when the object was verified, its previews and pixel size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveFacts {
    /// RFC 3339 UTC with milliseconds (`2024-03-09T20:15:00.123Z`).
    pub uploaded_at: String,
    pub thumb_key: Option<String>,
    pub screen_key: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
}

/// An admin's deletion marks; their presence is what "deleted" means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deletion {
    /// RFC 3339 UTC.
    pub deleted_at: String,
    pub deleted_by_id: String,
    pub deleted_by_name: String,
}

/// A content item as read. Only `key` and `state` are always there: a delete-mark of content
/// that was never indexed creates an item with the key and the marks alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentItem {
    pub sha256: Sha256Digest,
    pub key: String,
    pub state: ItemState,
    /// Everything reserve wrote (absent on a tombstone of never-indexed content).
    pub registration: Option<Registration>,
    /// The station that reserved (and uploaded) it.
    pub station: Option<String>,
    /// The reservation while the content is `reserved`.
    pub hold: Option<Hold>,
    pub live: Option<LiveFacts>,
    /// The GSI keys, present only while the photo is live.
    pub gallery: Option<GalleryKeys>,
    pub deletion: Option<Deletion>,
}

impl ContentItem {
    /// Whether the content is deleted: the deletion marks are there (whatever `state` says).
    #[must_use]
    pub fn is_deleted(&self) -> bool {
        self.deletion.is_some()
    }

    /// Decode a content item.
    ///
    /// # Errors
    /// The first attribute that is missing, of the wrong type, or unreadable.
    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
        let pk = req_s(item, "pk")?;
        let sha256 = pk
            .strip_prefix(CONTENT_PREFIX)
            .and_then(|hex| Sha256Digest::from_str(hex).ok())
            .ok_or(ItemError::Invalid("pk"))?;
        let key = req_s(item, "key")?;
        let state = ItemState::parse(&req_s(item, "state")?).ok_or(ItemError::Invalid("state"))?;
        let station = opt_s(item, "station")?;
        let registration = match opt_n::<u64>(item, "size")? {
            None => None,
            Some(size) => Some(Registration {
                sha256,
                key: key.clone(),
                size,
                content_type: req_s(item, "content_type")?,
                original_name: req_s(item, "original_name")?,
                uploader_id: req_s(item, "uploader_id")?,
                uploader_name: req_s(item, "uploader_name")?,
                rnd: req_s(item, "rnd")?,
                captured: opt_s(item, "captured")?,
                camera_make: opt_s(item, "camera_make")?,
                camera_model: opt_s(item, "camera_model")?,
                camera_serial: opt_s(item, "camera_serial")?,
            }),
        };
        let live = match opt_s(item, "uploaded_at")? {
            None => None,
            Some(uploaded_at) => Some(LiveFacts {
                uploaded_at,
                thumb_key: opt_s(item, "thumb_key")?,
                screen_key: opt_s(item, "screen_key")?,
                width: opt_n(item, "width")?,
                height: opt_n(item, "height")?,
            }),
        };
        let deletion = match opt_s(item, "deleted_at")? {
            None => None,
            Some(deleted_at) => Some(Deletion {
                deleted_at,
                deleted_by_id: req_s(item, "deleted_by_id")?,
                deleted_by_name: req_s(item, "deleted_by_name")?,
            }),
        };
        Ok(Self {
            hold: Hold::read(item, station.as_ref())?,
            gallery: GalleryKeys::read(item)?,
            sha256,
            key,
            state,
            registration,
            station,
            live,
            deletion,
        })
    }

    /// The item as stored (what a rebuild writes; the writes themselves are updates).
    #[must_use]
    pub fn to_item(&self) -> Item {
        let mut item = Item::new();
        item.insert("pk".to_owned(), s(content_pk(&self.sha256)));
        item.insert("state".to_owned(), s(self.state.as_str()));
        if let Some(registration) = &self.registration {
            item.extend(
                registration
                    .attributes()
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value)),
            );
        }
        item.insert("key".to_owned(), s(&self.key));
        put_opt(&mut item, "station", self.station.as_ref().map(s));
        if let Some(hold) = &self.hold {
            hold.write(&mut item);
        }
        if let Some(live) = &self.live {
            item.insert("uploaded_at".to_owned(), s(&live.uploaded_at));
            put_opt(&mut item, "thumb_key", live.thumb_key.as_ref().map(s));
            put_opt(&mut item, "screen_key", live.screen_key.as_ref().map(s));
            put_opt(&mut item, "width", live.width.map(n));
            put_opt(&mut item, "height", live.height.map(n));
        }
        if let Some(gallery) = &self.gallery {
            item.extend(
                gallery
                    .attributes()
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), s(value))),
            );
        }
        if let Some(deletion) = &self.deletion {
            item.insert("deleted_at".to_owned(), s(&deletion.deleted_at));
            item.insert("deleted_by_id".to_owned(), s(&deletion.deleted_by_id));
            item.insert("deleted_by_name".to_owned(), s(&deletion.deleted_by_name));
        }
        item
    }
}

/// A key item: which content owns an object key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyItem {
    pub key: String,
    /// The owner.
    pub sha256: Sha256Digest,
    /// `reserved` or `live` (a key item stays when its content is deleted).
    pub state: ItemState,
    pub station: Option<String>,
    /// The reservation while the key is `reserved`.
    pub hold: Option<Hold>,
}

impl KeyItem {
    /// Decode a key item.
    ///
    /// # Errors
    /// The first attribute that is missing, of the wrong type, or unreadable.
    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
        let key = req_s(item, "pk")?
            .strip_prefix(KEY_PREFIX)
            .map(str::to_owned)
            .ok_or(ItemError::Invalid("pk"))?;
        let sha256 = Sha256Digest::from_str(&req_s(item, "sha256")?)
            .map_err(|_| ItemError::Invalid("sha256"))?;
        let state = ItemState::parse(&req_s(item, "state")?).ok_or(ItemError::Invalid("state"))?;
        let station = opt_s(item, "station")?;
        Ok(Self {
            hold: Hold::read(item, station.as_ref())?,
            key,
            sha256,
            state,
            station,
        })
    }

    /// The item as stored.
    #[must_use]
    pub fn to_item(&self) -> Item {
        let mut item = Item::new();
        item.insert("pk".to_owned(), s(key_pk(&self.key)));
        item.insert("sha256".to_owned(), s(self.sha256.to_hex()));
        item.insert("state".to_owned(), s(self.state.as_str()));
        put_opt(&mut item, "station", self.station.as_ref().map(s));
        if let Some(hold) = &self.hold {
            hold.write(&mut item);
        }
        item
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sha(byte: u8) -> Sha256Digest {
        Sha256Digest::from([byte; 32])
    }

    /// A content item of `sha(1)` at `key` as read: `state`, `hold`, deletion marks if
    /// `deleted`.
    pub(crate) fn content_at(
        key: &str,
        state: ItemState,
        hold: Option<Hold>,
        deleted: bool,
    ) -> ContentItem {
        ContentItem {
            sha256: sha(1),
            key: key.to_owned(),
            state,
            registration: None,
            station: hold.as_ref().map(|h| h.station.clone()),
            hold,
            live: None,
            gallery: None,
            deletion: deleted.then(|| Deletion {
                deleted_at: "2024-03-10T08:00:00.000Z".to_owned(),
                deleted_by_id: "sub".to_owned(),
                deleted_by_name: "Grace".to_owned(),
            }),
        }
    }

    /// The key item of `key`, owned by `sha(owner)`.
    pub(crate) fn key_at(key: &str, owner: u8, state: ItemState, hold: Option<Hold>) -> KeyItem {
        KeyItem {
            key: key.to_owned(),
            sha256: sha(owner),
            state,
            station: hold.as_ref().map(|h| h.station.clone()),
            hold,
        }
    }

    pub(crate) fn registration(byte: u8, key: &str) -> Registration {
        Registration {
            sha256: sha(byte),
            key: key.to_owned(),
            size: 123_456,
            content_type: "image/jpeg".to_owned(),
            original_name: "DSC_0001.JPG".to_owned(),
            uploader_id: "sub-ada".to_owned(),
            uploader_name: "Ada".to_owned(),
            rnd: "0123456789abcdef".to_owned(),
            captured: Some("2024-03-09T21:14:03.120+01:00".to_owned()),
            camera_make: Some("NIKON CORPORATION".to_owned()),
            camera_model: None,
            camera_serial: Some("3001234".to_owned()),
        }
    }

    fn hold() -> Hold {
        Hold {
            station: "desk/0a1b2c3d".to_owned(),
            token: "00112233445566778899aabbccddeeff".to_owned(),
            reserved_at_ms: 1_710_000_000_000,
        }
    }

    #[test]
    fn content_items_round_trip_in_each_state() {
        let key = "originals/2024/03/09/DSC_0001.JPG";
        let reg = registration(7, key);
        let reserved = ContentItem {
            sha256: reg.sha256,
            key: key.to_owned(),
            state: ItemState::Reserved,
            registration: Some(reg.clone()),
            station: Some(hold().station),
            hold: Some(hold()),
            live: None,
            gallery: None,
            deletion: None,
        };
        let live = ContentItem {
            state: ItemState::Live,
            hold: None,
            live: Some(LiveFacts {
                uploaded_at: "2024-03-09T20:15:00.123Z".to_owned(),
                thumb_key: Some("previews/thumb/2024/03/09/DSC_0001.jpg".to_owned()),
                screen_key: None,
                width: Some(6000),
                height: Some(4000),
            }),
            gallery: Some(GalleryKeys::new(
                &reg.sha256,
                key,
                &reg.rnd,
                "2024-03-09T21:14:03.120",
            )),
            ..reserved.clone()
        };
        let tombstone_only = ContentItem {
            sha256: sha(9),
            key: key.to_owned(),
            state: ItemState::Deleted,
            registration: None,
            station: None,
            hold: None,
            live: None,
            gallery: None,
            deletion: Some(Deletion {
                deleted_at: "2024-03-10T08:00:00.000Z".to_owned(),
                deleted_by_id: "sub-grace".to_owned(),
                deleted_by_name: "Grace".to_owned(),
            }),
        };
        for item in [reserved, live, tombstone_only] {
            let stored = item.to_item();
            assert_eq!(
                ContentItem::from_item(&stored).expect("reads back"),
                item,
                "{:?} round-trips",
                item.state
            );
        }
    }

    #[test]
    fn key_items_round_trip_reserved_and_live() {
        let reserved = KeyItem {
            key: "originals/2024/03/09/DSC_0001.JPG".to_owned(),
            sha256: sha(3),
            state: ItemState::Reserved,
            station: Some(hold().station),
            hold: Some(hold()),
        };
        let live = KeyItem {
            state: ItemState::Live,
            hold: None,
            ..reserved.clone()
        };
        for item in [reserved, live] {
            assert_eq!(
                KeyItem::from_item(&item.to_item()).expect("reads back"),
                item
            );
        }
    }

    #[test]
    fn a_damaged_item_names_the_attribute() {
        let mut item = KeyItem {
            key: "originals/2024/03/09/a.jpg".to_owned(),
            sha256: sha(1),
            state: ItemState::Live,
            station: None,
            hold: None,
        }
        .to_item();
        item.insert("state".to_owned(), n(3));
        assert_eq!(KeyItem::from_item(&item), Err(ItemError::Invalid("state")));
        item.remove("sha256");
        assert_eq!(KeyItem::from_item(&item), Err(ItemError::Missing("sha256")));
    }

    #[test]
    fn a_reservation_is_stale_only_past_thirty_minutes() {
        let h = hold();
        assert!(
            !h.is_stale(h.reserved_at_ms + STALE_AFTER_MS),
            "exactly 30 minutes: fresh"
        );
        assert!(
            h.is_stale(h.reserved_at_ms + STALE_AFTER_MS + 1),
            "past 30 minutes: stale"
        );
        assert!(
            !h.is_stale(h.reserved_at_ms - 60_000),
            "a clock behind: fresh"
        );
    }
}
