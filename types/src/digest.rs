//! The SHA-256 of a file's content, as a type: what dedup, tombstones and the shared index
//! match on.

use std::fmt;
use std::str::FromStr;

#[cfg(feature = "sql")]
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// The SHA-256 of a file's content: what dedup and tombstones match on.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha256Digest([u8; 32]);

impl Sha256Digest {
    /// The 32 raw bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, as written into object metadata.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl From<[u8; 32]> for Sha256Digest {
    fn from(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }
}

impl fmt::Display for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Sha256Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha256Digest({})", self.to_hex())
    }
}

/// A text that is not 64 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{text}` is not a SHA-256 digest (64 hex digits): check where it came from (e.g. the object's sha256 metadata)"
)]
pub struct InvalidSha256Hex {
    /// The text that did not parse.
    pub text: String,
}

impl FromStr for Sha256Digest {
    type Err = InvalidSha256Hex;

    /// Parse 64 hex digits (either case).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0_u8; 32];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| InvalidSha256Hex {
            text: text.to_owned(),
        })?;
        Ok(Self(bytes))
    }
}

#[cfg(feature = "sql")]
impl ToSql for Sha256Digest {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::from(&self.0[..]))
    }
}

#[cfg(feature = "sql")]
impl FromSql for Sha256Digest {
    fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
        let blob = value.as_blob()?;
        let bytes: [u8; 32] = blob.try_into().map_err(|_| FromSqlError::InvalidBlobSize {
            expected_size: 32,
            blob_size: blob.len(),
        })?;
        Ok(Self(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_hex_round_trips() {
        let digest = Sha256Digest::from([0xab; 32]);
        let parsed: Sha256Digest = digest.to_hex().parse().expect("to_hex output parses");
        assert_eq!(parsed, digest, "to_hex and FromStr must be inverses");
        assert_eq!(digest.to_hex().len(), 64, "a SHA-256 is 64 hex digits");
    }

    #[test]
    fn digest_refuses_text_that_is_not_64_hex_digits() {
        for text in ["", "abc", &"g".repeat(64), &"a".repeat(66)] {
            assert!(
                text.parse::<Sha256Digest>().is_err(),
                "`{text}` must not parse as a digest"
            );
        }
    }
}
