//! The opaque cursor of a day page (docs/index.md, "The cursor"): base64url (no padding) of
//! `{"v":1,"view":"day","q":"<query digest>","m":"<g_month>","d":"<g_day>","p":"<pk>"}`, the
//! index key and table key of the last card returned. A cursor made for another query is
//! refused, never silently applied.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The cursor format's version.
const VERSION: u8 = 1;
/// The only view built so far.
const DAY_VIEW: &str = "day";

/// A cursor that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    #[error("the page cursor is damaged (not one Lightbox gave out); start again without it")]
    Damaged,
    #[error("the page cursor belongs to another view or query; start again without it")]
    OtherQuery,
}

/// Where the next page of a day starts: right after this card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayCursor {
    /// The card's `g_month` (the `by_day` partition).
    pub month: String,
    /// The card's `g_day`.
    pub g_day: String,
    /// The card's `pk`.
    pub pk: String,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    v: u8,
    view: String,
    q: String,
    m: String,
    d: String,
    p: String,
}

/// The digest of a day query, `q` in the cursor: the first 16 hex digits of the SHA-256 of
/// the query as JSON (the form `infra/tests/index_requests.py` `query_id` hashes).
#[must_use]
pub fn day_query_id(day: &str) -> String {
    let query = format!(
        "{{\"first\": \"{day}\", \"last\": \"{day}\", \"uploader\": null, \"view\": \"{DAY_VIEW}\"}}"
    );
    hex::encode(Sha256::digest(query.as_bytes()))[..16].to_owned()
}

impl DayCursor {
    /// The cursor's text, for the page of `day`.
    #[must_use]
    pub fn encode(&self, day: &str) -> String {
        let wire = Wire {
            v: VERSION,
            view: DAY_VIEW.to_owned(),
            q: day_query_id(day),
            m: self.month.clone(),
            d: self.g_day.clone(),
            p: self.pk.clone(),
        };
        let json = serde_json::to_vec(&wire).expect("a struct of strings serializes");
        URL_SAFE_NO_PAD.encode(json)
    }

    /// The cursor `text` gave out for the page of `day`.
    ///
    /// # Errors
    /// [`CursorError::Damaged`] for text that is not a cursor, [`CursorError::OtherQuery`]
    /// for a cursor of another day, view or version.
    pub fn decode(text: &str, day: &str) -> Result<Self, CursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| CursorError::Damaged)?;
        let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| CursorError::Damaged)?;
        if wire.v != VERSION || wire.view != DAY_VIEW || wire.q != day_query_id(day) {
            return Err(CursorError::OtherQuery);
        }
        Ok(Self {
            month: wire.m,
            g_day: wire.d,
            pk: wire.p,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor() -> DayCursor {
        DayCursor {
            month: "2024-03".to_owned(),
            g_day: "2024-03-09#2024-03-09T21:14:03.120#ab".to_owned(),
            pk: "C#ab".to_owned(),
        }
    }

    #[test]
    fn a_cursor_round_trips_for_its_own_day() {
        let text = cursor().encode("2024-03-09");
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "base64url without padding: {text}"
        );
        assert_eq!(DayCursor::decode(&text, "2024-03-09"), Ok(cursor()));
    }

    #[test]
    fn a_bad_or_foreign_cursor_is_refused_with_its_reason() {
        let text = cursor().encode("2024-03-09");
        assert_eq!(
            DayCursor::decode(&text, "2024-03-10"),
            Err(CursorError::OtherQuery)
        );
        assert_eq!(
            DayCursor::decode("not a cursor!", "2024-03-09"),
            Err(CursorError::Damaged)
        );
        let not_json = URL_SAFE_NO_PAD.encode(b"[1,2]");
        assert_eq!(
            DayCursor::decode(&not_json, "2024-03-09"),
            Err(CursorError::Damaged)
        );
        let other_version = URL_SAFE_NO_PAD
            .encode(br#"{"v":2,"view":"day","q":"x","m":"2024-03","d":"d","p":"p"}"#);
        assert_eq!(
            DayCursor::decode(&other_version, "2024-03-09"),
            Err(CursorError::OtherQuery)
        );
    }

    #[test]
    fn the_query_digest_is_the_one_the_contract_test_computes() {
        // python3 -c 'import hashlib,json; print(hashlib.sha256(json.dumps(dict(view="day",
        //   first="2024-03-09", last="2024-03-09", uploader=None), sort_keys=True).encode()).hexdigest()[:16])'
        assert_eq!(day_query_id("2024-03-09"), PYTHON_DIGEST);
    }

    const PYTHON_DIGEST: &str = "4ea7666d3dd25366";
}
