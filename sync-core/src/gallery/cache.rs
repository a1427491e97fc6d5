//! The gallery cache: a SQLite copy of the bucket's `originals/` listing (`gallery-cache.sqlite`
//! in the state directory, apart from the catalog), so the gallery opens at once and refreshes
//! in the background. Pages are newest first with an opaque cursor.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::GalleryError;

/// The cache's file name in the state directory.
pub const CACHE_FILE: &str = "gallery-cache.sqlite";

/// One original in the bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteObject {
    pub key: String,
    pub size: u64,
    /// `LastModified`, milliseconds since the epoch.
    pub modified_ms: i64,
}

/// One page of the gallery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    pub items: Vec<RemoteObject>,
    /// Pass back for the next page; `None` at the end.
    pub next: Option<String>,
}

pub struct GalleryCache {
    conn: Connection,
    path: PathBuf,
}

impl GalleryCache {
    /// Open (creating) the cache at `path`; `:memory:` for tests.
    ///
    /// # Errors
    /// [`GalleryError::Cache`] when SQLite cannot open or set it up.
    pub fn open(path: &Path) -> Result<Self, GalleryError> {
        let cache_err = |source| GalleryError::Cache {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(cache_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(cache_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;
             CREATE TABLE IF NOT EXISTS objects (
                 key         TEXT PRIMARY KEY,
                 size        INTEGER NOT NULL,
                 modified_ms INTEGER NOT NULL
             ) STRICT;
             CREATE INDEX IF NOT EXISTS objects_newest ON objects (modified_ms DESC, key DESC);",
        )
        .map_err(cache_err)?;
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self) -> impl Fn(rusqlite::Error) -> GalleryError + '_ {
        |source| GalleryError::Cache {
            path: self.path.clone(),
            source,
        }
    }

    /// Make the cache's view of `prefix` exactly `objects` (one transaction).
    ///
    /// # Errors
    /// [`GalleryError::Cache`].
    pub fn replace_prefix(
        &mut self,
        prefix: &str,
        objects: &[RemoteObject],
    ) -> Result<(), GalleryError> {
        let path = self.path.clone();
        let err = |source| GalleryError::Cache {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        tx.execute(
            "DELETE FROM objects WHERE substr(key, 1, length(?1)) = ?1",
            [prefix],
        )
        .map_err(err)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO objects (key, size, modified_ms) VALUES (?1, ?2, ?3)",
                )
                .map_err(err)?;
            for o in objects {
                insert
                    .execute(params![
                        o.key,
                        i64::try_from(o.size).unwrap_or(i64::MAX),
                        o.modified_ms
                    ])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    /// Forget `keys` (after a delete).
    ///
    /// # Errors
    /// [`GalleryError::Cache`].
    pub fn remove(&mut self, keys: &[String]) -> Result<(), GalleryError> {
        for key in keys {
            self.conn
                .execute("DELETE FROM objects WHERE key = ?1", [key])
                .map_err(self.err())?;
        }
        Ok(())
    }

    /// Up to `limit` objects under `prefix`, newest first, after `cursor`.
    ///
    /// # Errors
    /// [`GalleryError::BadCursor`] for a cursor we did not make; [`GalleryError::Cache`].
    pub fn page(
        &self,
        prefix: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, GalleryError> {
        let (after_ms, after_key) = match cursor {
            Some(cursor) => decode_cursor(cursor)?,
            None => (i64::MAX, String::new()),
        };
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT key, size, modified_ms FROM objects
                 WHERE substr(key, 1, length(?1)) = ?1
                   AND (?3 = '' OR modified_ms < ?2 OR (modified_ms = ?2 AND key < ?3))
                 ORDER BY modified_ms DESC, key DESC LIMIT ?4",
            )
            .map_err(self.err())?;
        let fetch = i64::try_from(limit.saturating_add(1)).unwrap_or(i64::MAX);
        let mut items = stmt
            .query_map(params![prefix, after_ms, after_key, fetch], row_object)
            .map_err(self.err())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err())?;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|o| encode_cursor(o.modified_ms, &o.key))
        } else {
            None
        };
        Ok(Page { items, next })
    }

    /// `count` objects under `prefix` chosen at random by `seed` (the same seed, the same
    /// selection, so a "random top 10" stays put while it is looked at).
    ///
    /// # Errors
    /// [`GalleryError::Cache`].
    pub fn random(
        &self,
        prefix: &str,
        count: usize,
        seed: u64,
    ) -> Result<Vec<RemoteObject>, GalleryError> {
        use rand::SeedableRng as _;
        use rand::seq::SliceRandom as _;
        // Sort first so the same seed picks the same photos whatever SQLite's scan order.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT key, size, modified_ms FROM objects
                 WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key",
            )
            .map_err(self.err())?;
        let mut all = stmt
            .query_map([prefix], row_object)
            .map_err(self.err())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(self.err())?;
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let (picked, _) = all.partial_shuffle(&mut rng, count);
        Ok(picked.to_vec())
    }

    /// The days under `originals/YYYY/MM/DD/` with their photo counts, newest first, as
    /// `("YYYY-MM-DD", count)`.
    ///
    /// # Errors
    /// [`GalleryError::Cache`].
    pub fn days(&self) -> Result<Vec<(String, u64)>, GalleryError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT substr(key, 11, 10) AS day, count(*) FROM objects
                 WHERE key GLOB 'originals/[0-9][0-9][0-9][0-9]/[0-9][0-9]/[0-9][0-9]/*'
                 GROUP BY day ORDER BY day DESC",
            )
            .map_err(self.err())?;
        stmt.query_map([], |row| {
            let day: String = row.get(0)?;
            let count: i64 = row.get(1)?;
            Ok((day.replace('/', "-"), u64::try_from(count).unwrap_or(0)))
        })
        .map_err(self.err())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(self.err())
    }

    /// The total size of those of `keys` that are in the cache.
    ///
    /// # Errors
    /// [`GalleryError::Cache`].
    pub fn total_size(&self, keys: &[String]) -> Result<u64, GalleryError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT size FROM objects WHERE key = ?1")
            .map_err(self.err())?;
        let mut total = 0u64;
        for key in keys {
            let size: Option<i64> = stmt
                .query_row([key], |row| row.get(0))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    other => Err(other),
                })
                .map_err(self.err())?;
            total += size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
        }
        Ok(total)
    }

    /// Objects under `prefix` in the cache.
    ///
    /// # Errors
    /// [`GalleryError::Cache`].
    pub fn count(&self, prefix: &str) -> Result<u64, GalleryError> {
        self.conn
            .query_row(
                "SELECT count(*) FROM objects WHERE substr(key, 1, length(?1)) = ?1",
                [prefix],
                |row| row.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(self.err())
    }
}

fn row_object(row: &rusqlite::Row<'_>) -> rusqlite::Result<RemoteObject> {
    Ok(RemoteObject {
        key: row.get(0)?,
        size: u64::try_from(row.get::<_, i64>(1)?).unwrap_or(0),
        modified_ms: row.get(2)?,
    })
}

fn encode_cursor(modified_ms: i64, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{modified_ms}\n{key}"))
}

fn decode_cursor(cursor: &str) -> Result<(i64, String), GalleryError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| GalleryError::BadCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| GalleryError::BadCursor)?;
    let (ms, key) = text.split_once('\n').ok_or(GalleryError::BadCursor)?;
    let ms = ms.parse().map_err(|_| GalleryError::BadCursor)?;
    if key.is_empty() {
        return Err(GalleryError::BadCursor);
    }
    Ok((ms, key.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightbox_types::FailureCode;

    fn object(key: &str, modified_ms: i64) -> RemoteObject {
        RemoteObject {
            key: key.to_owned(),
            size: 1,
            modified_ms,
        }
    }

    fn cache_with(objects: &[RemoteObject]) -> GalleryCache {
        let mut cache = GalleryCache::open(Path::new(":memory:")).expect("opens");
        cache.replace_prefix("originals/", objects).expect("filled");
        cache
    }

    #[test]
    fn days_count_originals_per_day_newest_first_and_sizes_add_up() {
        let cache = cache_with(&[
            object("originals/2026/11/23/a.jpg", 1),
            object("originals/2026/11/24/b.jpg", 2),
            object("originals/2026/11/24/c.jpg", 3),
            object("originals/odd.jpg", 4),
        ]);
        assert_eq!(
            cache.days().expect("days"),
            [("2026-11-24".to_owned(), 2), ("2026-11-23".to_owned(), 1)],
            "keys outside the date layout are no day"
        );
        let keys = [
            "originals/2026/11/23/a.jpg".to_owned(),
            "originals/2026/11/24/b.jpg".to_owned(),
            "originals/missing.jpg".to_owned(),
        ];
        let each = object("x", 0).size;
        assert_eq!(
            cache.total_size(&keys).expect("sizes"),
            2 * each,
            "unknown keys add nothing"
        );
    }

    #[test]
    fn pages_walk_newest_first_without_gaps_or_repeats() {
        // Two objects share a timestamp: the key breaks the tie, so none is lost at a page edge.
        let objects: Vec<RemoteObject> = (0..7)
            .map(|i| {
                object(
                    &format!("originals/2024/05/01/{i}.jpg"),
                    1000 + i64::from(i / 2),
                )
            })
            .collect();
        let cache = cache_with(&objects);
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = cache
                .page("originals/", cursor.as_deref(), 3)
                .expect("a page");
            assert!(page.items.len() <= 3, "the limit holds");
            seen.extend(page.items.iter().map(|o| (o.modified_ms, o.key.clone())));
            cursor = page.next;
            if cursor.is_none() {
                break;
            }
        }
        let mut want: Vec<(i64, String)> = objects
            .iter()
            .map(|o| (o.modified_ms, o.key.clone()))
            .collect();
        want.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, want, "every object once, newest first");
    }

    #[test]
    fn a_prefix_selects_a_day_and_replace_drops_what_is_gone() {
        let mut cache = cache_with(&[
            object("originals/2024/05/01/a.jpg", 1),
            object("originals/2024/05/02/b.jpg", 2),
        ]);
        let cases = [
            ("originals/2024/05/01/", 1, "one day"),
            ("originals/2024/05/", 2, "the month"),
            ("originals/2023/", 0, "another year"),
        ];
        for (prefix, want, why) in cases {
            assert_eq!(cache.count(prefix).expect("count"), want, "{why}");
        }
        cache
            .replace_prefix("originals/2024/05/01/", &[])
            .expect("replaced");
        assert_eq!(
            cache.count("originals/").expect("count"),
            1,
            "the day emptied, the other kept"
        );
    }

    #[test]
    fn cursors_we_did_not_make_are_refused() {
        let cache = cache_with(&[]);
        for bad in ["???", "bm90IGEgY3Vyc29y", ""] {
            let err = cache.page("originals/", Some(bad), 10).expect_err(bad);
            assert_eq!(err.code(), FailureCode::GalleryBadCursor, "{bad:?}");
        }
    }

    #[test]
    fn a_random_selection_is_stable_per_seed() {
        let objects: Vec<RemoteObject> = (0..50)
            .map(|i| object(&format!("originals/{i}"), i))
            .collect();
        let cache = cache_with(&objects);
        let a = cache.random("originals/", 10, 7).expect("picked");
        assert_eq!(a.len(), 10, "ten asked, ten given");
        assert_eq!(
            a,
            cache.random("originals/", 10, 7).expect("picked"),
            "same seed, same picks"
        );
        assert_ne!(
            a,
            cache.random("originals/", 10, 8).expect("picked"),
            "another seed, other picks"
        );
    }
}
