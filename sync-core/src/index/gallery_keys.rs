//! The six GSI key attributes of a live content item (docs/index.md, "The three indexes"),
//! computed from the object key, the content, its random value and the time it sorts by
//! (pure).

use lightbox_types::Sha256Digest;

use super::attrs::{Item, ItemError, opt_s};

/// Where originals live; the day is the next three parts of the key.
const ORIGINALS: &str = "originals/";

/// The GSI keys: `by_day` (`g_month`, `g_day`), `by_name` (`g_name1`, `g_name`), `by_random`
/// (`g_shard`, `g_rnd`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GalleryKeys {
    /// `YYYY-MM` of the key's day.
    pub g_month: String,
    /// `<YYYY-MM-DD>#<taken>#<sha256>`.
    pub g_day: String,
    /// The first character of `g_name`.
    pub g_name1: String,
    /// `<lowercase name>#<sha256>`.
    pub g_name: String,
    /// The first hex digit of `rnd`.
    pub g_shard: String,
    /// `<rnd>#<sha256>`.
    pub g_rnd: String,
}

/// The attribute names, in the order the design writes them.
pub(crate) const GSI_KEYS: [&str; 6] =
    ["g_month", "g_day", "g_name1", "g_name", "g_shard", "g_rnd"];

/// `YYYY-MM-DD` of an original's key (`originals/YYYY/MM/DD/<name>`), or `None` for a key
/// outside that layout.
#[must_use]
pub fn key_day(key: &str) -> Option<String> {
    let rest = key.strip_prefix(ORIGINALS)?;
    let mut parts = rest.splitn(4, '/');
    let (y, m, d, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, len: usize| p.len() == len && p.bytes().all(|b| b.is_ascii_digit());
    (digits(y, 4) && digits(m, 2) && digits(d, 2) && !name.is_empty() && !name.contains('/'))
        .then(|| format!("{y}-{m}-{d}"))
}

/// The time a card sorts by, `YYYY-MM-DDTHH:MM:SS.mmm` (always milliseconds): the capture
/// time as the camera recorded it with its offset dropped, else `uploaded_local`, the upload
/// time as civil time in the studio's zone (`plan.time_zone`).
#[must_use]
pub fn taken(captured: Option<&str>, uploaded_local: &str) -> String {
    let text = captured.unwrap_or(uploaded_local);
    // `YYYY-MM-DDTHH:MM:SS` is ASCII; a fraction may follow, then an offset (dropped).
    let seconds = text.get(..19).unwrap_or(text);
    let fraction: String = text
        .get(19..)
        .and_then(|rest| rest.strip_prefix('.'))
        .map(|digits| {
            digits
                .chars()
                .take_while(char::is_ascii_digit)
                .take(3)
                .collect()
        })
        .unwrap_or_default();
    format!("{seconds}.{fraction:0<3}")
}

impl GalleryKeys {
    /// The keys of `sha256` live at `key`, with random value `rnd` and sort time `taken`.
    ///
    /// # Errors
    /// [`ItemError::Invalid`] (`key`) for a key outside `originals/YYYY/MM/DD/`, or
    /// (`rnd`) for an empty random value.
    pub fn for_live(
        sha256: &Sha256Digest,
        key: &str,
        rnd: &str,
        taken: &str,
    ) -> Result<Self, ItemError> {
        key_day(key).ok_or(ItemError::Invalid("key"))?;
        if rnd.is_empty() {
            return Err(ItemError::Invalid("rnd"));
        }
        Ok(Self::new(sha256, key, rnd, taken))
    }

    /// As [`GalleryKeys::for_live`], for a key and `rnd` known to be valid (tests, codecs).
    ///
    /// # Panics
    /// For a key outside `originals/YYYY/MM/DD/` or an empty `rnd`.
    #[must_use]
    pub fn new(sha256: &Sha256Digest, key: &str, rnd: &str, taken: &str) -> Self {
        let day = key_day(key).expect("an originals/YYYY/MM/DD/ key");
        let name = key.rsplit('/').next().unwrap_or(key).to_lowercase();
        let first = |text: &str| text.chars().next().map(String::from).expect("not empty");
        Self {
            g_month: day[..7].to_owned(),
            g_day: format!("{day}#{taken}#{sha256}"),
            g_name1: first(&name),
            g_name: format!("{name}#{sha256}"),
            g_shard: first(rnd),
            g_rnd: format!("{rnd}#{sha256}"),
        }
    }

    /// The six attributes by name.
    #[must_use]
    pub fn attributes(&self) -> [(&'static str, &String); 6] {
        [
            ("g_month", &self.g_month),
            ("g_day", &self.g_day),
            ("g_name1", &self.g_name1),
            ("g_name", &self.g_name),
            ("g_shard", &self.g_shard),
            ("g_rnd", &self.g_rnd),
        ]
    }

    /// The keys on `item`: all six, or none (a photo not live).
    pub(crate) fn read(item: &Item) -> Result<Option<Self>, ItemError> {
        let Some(g_month) = opt_s(item, "g_month")? else {
            return Ok(None);
        };
        let req = |name: &'static str| opt_s(item, name)?.ok_or(ItemError::Missing(name));
        Ok(Some(Self {
            g_month,
            g_day: req("g_day")?,
            g_name1: req("g_name1")?,
            g_name: req("g_name")?,
            g_shard: req("g_shard")?,
            g_rnd: req("g_rnd")?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_is_the_keys_date_and_other_keys_have_none() {
        assert_eq!(
            key_day("originals/2024/03/09/DSC_0001.JPG").as_deref(),
            Some("2024-03-09")
        );
        assert_eq!(key_day("previews/thumb/2024/03/09/a.jpg"), None);
        assert_eq!(key_day("originals/2024/3/09/a.jpg"), None);
        assert_eq!(key_day("originals/2024/03/09/"), None);
    }

    #[test]
    fn the_sort_time_always_has_milliseconds_and_no_offset() {
        let cases = [
            (
                Some("2024-03-09T21:14:03.120+01:00"),
                "2024-03-09T21:14:03.120",
            ),
            (Some("2024-03-09T21:14:03"), "2024-03-09T21:14:03.000"),
            (
                Some("2024-03-09T21:14:03.5-05:00"),
                "2024-03-09T21:14:03.500",
            ),
            (
                Some("2024-03-09T21:14:03.123456"),
                "2024-03-09T21:14:03.123",
            ),
            (None, "2024-03-09T22:00:01.000"),
        ];
        for (captured, want) in cases {
            assert_eq!(taken(captured, "2024-03-09T22:00:01"), want, "{captured:?}");
        }
    }

    #[test]
    fn the_gsi_keys_are_as_the_design_spells_them_and_round_trip() {
        let sha = Sha256Digest::from([0xab; 32]);
        let keys = GalleryKeys::for_live(
            &sha,
            "originals/2024/03/09/DSC_0001.JPG",
            "f123456789abcdef",
            "2024-03-09T21:14:03.120",
        )
        .expect("a valid key");
        let hex = sha.to_hex();
        assert_eq!(keys.g_month, "2024-03");
        assert_eq!(
            keys.g_day,
            format!("2024-03-09#2024-03-09T21:14:03.120#{hex}")
        );
        assert_eq!(keys.g_name1, "d");
        assert_eq!(keys.g_name, format!("dsc_0001.jpg#{hex}"));
        assert_eq!(keys.g_shard, "f");
        assert_eq!(keys.g_rnd, format!("f123456789abcdef#{hex}"));
        let item: Item = keys
            .attributes()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), super::super::attrs::s(value)))
            .collect();
        assert_eq!(GalleryKeys::read(&item), Ok(Some(keys)));
        assert_eq!(
            GalleryKeys::read(&Item::new()),
            Ok(None),
            "not live: no keys"
        );
        assert_eq!(
            GalleryKeys::for_live(&sha, "elsewhere/a.jpg", "f", "x"),
            Err(ItemError::Invalid("key"))
        );
    }
}
