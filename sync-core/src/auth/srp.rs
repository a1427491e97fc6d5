//! The client side of Cognito's `USER_SRP_AUTH`: SRP-6a over the 3072-bit group of
//! RFC 5054 with g = 2, k = H(N | g), and the proof Cognito expects: an HMAC over
//! `pool name | USER_ID_FOR_SRP | SECRET_BLOCK | timestamp`, keyed with 16 bytes of
//! HKDF-SHA256 (salt u, input S, info "Caldera Derived Key").
//!
//! Why our own and not a crate: the two on crates.io (`cognito_srp` 0.1,
//! `aws-cognito-srp` 0.2) draw the secret `a` and read the clock inside, so their
//! proof cannot be compared with the official client's for fixed inputs; neither
//! rejects `B mod N = 0` or `u = 0` (the official client does, and SRP-6a requires
//! it); `aws-cognito-srp` derives `Debug` over the password and logs the user. The
//! math is ~100 lines; `tests/it/auth_srp.rs` checks it against
//! amazon-cognito-identity-js on random inputs.

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use num_bigint::BigUint;
use sha2::{Digest, Sha256};

use super::secret::Secret;

/// RFC 5054's 3072-bit prime, the group Cognito uses.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const INFO: &[u8] = b"Caldera Derived Key";

struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

static GROUP: LazyLock<Group> = LazyLock::new(|| {
    let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap_or_default();
    let g = BigUint::from(2u8);
    let k = hash_to_int(&[&padded(&n), &padded(&g)]);
    Group { n, g, k }
});

#[derive(Debug, thiserror::Error)]
pub enum SrpError {
    #[error(
        "the server's {field} is not valid hex: the sign-in reply is damaged; try signing in again"
    )]
    BadHex { field: &'static str },
    #[error(
        "the server's SECRET_BLOCK is not valid base64: the sign-in reply is damaged; try signing in again"
    )]
    BadSecretBlock,
    #[error(
        "the server sent an unsafe SRP value ({0}); sign-in was stopped. If this repeats, check the Cognito endpoint in the config"
    )]
    Unsafe(&'static str),
    #[error(
        "user pool id {0:?} is not of the form <region>_<id>: fix auth.cognito.user_pool_id in the config"
    )]
    BadPoolId(String),
}

/// One SRP sign-in attempt: the secret `a` and the public `A` sent in `SRP_A`.
pub struct SrpClient {
    small_a: BigUint,
    large_a: BigUint,
}

impl std::fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrpClient")
            .field("small_a", &"<redacted>")
            .finish_non_exhaustive()
    }
}

/// What the server sent with the `PASSWORD_VERIFIER` challenge.
#[derive(Debug, Clone)]
pub struct VerifierChallenge<'a> {
    /// `USER_ID_FOR_SRP`: the name the verifier was made for (may differ from what the user typed).
    pub user_id_for_srp: &'a str,
    /// `SRP_B`, hex.
    pub srp_b: &'a str,
    /// `SALT`, hex.
    pub salt: &'a str,
    /// `SECRET_BLOCK`, base64; echoed back as `PASSWORD_CLAIM_SECRET_BLOCK`.
    pub secret_block: &'a str,
}

/// The answer to `PASSWORD_VERIFIER`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordClaim {
    /// `PASSWORD_CLAIM_SIGNATURE`, base64.
    pub signature: String,
    /// `TIMESTAMP`, in Cognito's format.
    pub timestamp: String,
}

impl SrpClient {
    /// A fresh attempt with a random 128-byte `a`.
    #[must_use]
    pub fn new() -> Self {
        loop {
            let bytes: [u8; 128] = rand::random();
            if let Ok(client) = Self::with_secret(BigUint::from_bytes_be(&bytes)) {
                return client;
            }
        }
    }

    /// An attempt with a given `a` (tests use this to compare with other clients).
    pub fn with_secret(small_a: BigUint) -> Result<Self, SrpError> {
        let group = &*GROUP;
        let large_a = group.g.modpow(&small_a, &group.n);
        if large_a == BigUint::ZERO {
            return Err(SrpError::Unsafe("A mod N = 0"));
        }
        Ok(Self { small_a, large_a })
    }

    /// `SRP_A` for `InitiateAuth`, lower-case hex.
    #[must_use]
    pub fn srp_a(&self) -> String {
        self.large_a.to_str_radix(16)
    }

    /// The proof of the password for the server's challenge, signed at `now`.
    pub fn password_claim(
        &self,
        pool_id: &str,
        challenge: &VerifierChallenge<'_>,
        password: &Secret,
        now: jiff::Timestamp,
    ) -> Result<PasswordClaim, SrpError> {
        let group = &*GROUP;
        let pool = pool_name(pool_id)?;
        let b = parse_hex(challenge.srp_b, "SRP_B")?;
        let salt = parse_hex(challenge.salt, "SALT")?;
        let secret_block = decode_secret_block(challenge.secret_block)?;
        if &b % &group.n == BigUint::ZERO {
            return Err(SrpError::Unsafe("B mod N = 0"));
        }
        let u = hash_to_int(&[&padded(&self.large_a), &padded(&b)]);
        if u == BigUint::ZERO {
            return Err(SrpError::Unsafe("u = 0"));
        }
        let identity = Sha256::new()
            .chain_update(pool.as_bytes())
            .chain_update(challenge.user_id_for_srp.as_bytes())
            .chain_update(b":")
            .chain_update(password.expose().as_bytes())
            .finalize();
        let x = hash_to_int(&[&padded(&salt), &identity]);
        // S = (B - k * g^x) ^ (a + u * x) mod N, kept non-negative by adding N.
        let kgx = (&group.k * group.g.modpow(&x, &group.n)) % &group.n;
        let base = ((&b % &group.n) + &group.n - kgx) % &group.n;
        let s = base.modpow(&(&self.small_a + &u * &x), &group.n);
        let hk = hkdf::Hkdf::<Sha256>::new(Some(&padded(&u)), &padded(&s));
        let mut key = [0u8; 16];
        // 16 bytes is far below HKDF-SHA256's limit of 255 * 32, so this cannot fail.
        hk.expand(INFO, &mut key)
            .map_err(|_| SrpError::Unsafe("HKDF length"))?;
        let timestamp = cognito_timestamp(now);
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key)
            .map_err(|_| SrpError::Unsafe("HMAC key"))?;
        mac.update(pool.as_bytes());
        mac.update(challenge.user_id_for_srp.as_bytes());
        mac.update(&secret_block);
        mac.update(timestamp.as_bytes());
        Ok(PasswordClaim {
            signature: BASE64.encode(mac.finalize().into_bytes()),
            timestamp,
        })
    }
}

impl Default for SrpClient {
    fn default() -> Self {
        Self::new()
    }
}

/// The part of `us-east-1_AbC123` after the underscore, which SRP hashes in.
pub fn pool_name(pool_id: &str) -> Result<&str, SrpError> {
    match pool_id.split_once('_') {
        Some((region, name)) if !region.is_empty() && !name.is_empty() => Ok(name),
        _ => Err(SrpError::BadPoolId(pool_id.to_owned())),
    }
}

/// Cognito's `TIMESTAMP`: `Ddd Mon d HH:MM:SS UTC YYYY`, the day without a leading zero.
#[must_use]
pub fn cognito_timestamp(now: jiff::Timestamp) -> String {
    now.to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .strftime("%a %b %-d %H:%M:%S UTC %Y")
        .to_string()
}

/// The big-endian bytes of `v`, with a leading zero byte when the top bit is set
/// (Java's and the official client's `padHex`: the value is never read as negative).
fn padded(v: &BigUint) -> Vec<u8> {
    let bytes = v.to_bytes_be();
    if bytes.first().is_some_and(|b| *b >= 0x80) {
        let mut out = Vec::with_capacity(bytes.len() + 1);
        out.push(0);
        out.extend_from_slice(&bytes);
        out
    } else {
        bytes
    }
}

fn hash_to_int(parts: &[&[u8]]) -> BigUint {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    BigUint::from_bytes_be(&h.finalize())
}

/// `SECRET_BLOCK` is standard base64 from Cognito. The official client decodes it
/// with Node's lenient decoder, which also takes the URL-safe alphabet and missing
/// padding; moto sends such a block (a UUID), so the same leniency is kept here.
fn decode_secret_block(text: &str) -> Result<Vec<u8>, SrpError> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    BASE64.decode(text).or_else(|_| {
        let url_safe: String = text
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        LENIENT
            .decode(url_safe)
            .map_err(|_| SrpError::BadSecretBlock)
    })
}

/// A hex number as the server sends it (any length, leading zeros dropped like the
/// official client does).
fn parse_hex(text: &str, field: &'static str) -> Result<BigUint, SrpError> {
    BigUint::parse_bytes(text.as_bytes(), 16).ok_or(SrpError::BadHex { field })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_drops_the_leading_zero_of_the_day_only() {
        let cases = [
            (0, "Thu Jan 1 00:00:00 UTC 1970"),
            (1_700_000_000, "Tue Nov 14 22:13:20 UTC 2023"),
            (1_709_251_205, "Fri Mar 1 00:00:05 UTC 2024"),
        ];
        for (secs, want) in cases {
            let t = jiff::Timestamp::from_second(secs).expect("valid");
            assert_eq!(cognito_timestamp(t), want, "Cognito rejects other formats");
        }
    }

    #[test]
    fn pool_name_is_the_part_after_the_region() {
        assert_eq!(pool_name("us-east-1_AbC").expect("valid"), "AbC");
        assert!(pool_name("nounderscore").is_err(), "no region separator");
        assert!(pool_name("us-east-1_").is_err(), "empty name");
    }

    #[test]
    fn b_that_is_a_multiple_of_n_is_refused() {
        let client = SrpClient::new();
        let n_hex = GROUP.n.to_str_radix(16);
        let challenge = VerifierChallenge {
            user_id_for_srp: "u",
            srp_b: &n_hex,
            salt: "01",
            secret_block: "AA==",
        };
        let err = client
            .password_claim(
                "us-east-1_x",
                &challenge,
                &Secret::new("pw".into()),
                jiff::Timestamp::UNIX_EPOCH,
            )
            .expect_err("B = N must be refused, or S would be predictable");
        assert!(matches!(err, SrpError::Unsafe(_)), "{err}");
    }

    #[test]
    fn secret_block_is_decoded_like_node_does() {
        assert_eq!(
            decode_secret_block("AAEC").expect("standard"),
            vec![0, 1, 2]
        );
        assert_eq!(
            decode_secret_block("-_8").expect("URL-safe, unpadded"),
            vec![0xfb, 0xff],
            "Node's base64 decoder takes - and _ for + and /"
        );
        assert!(decode_secret_block("*").is_err(), "not base64 at all");
    }

    #[test]
    fn debug_does_not_show_the_secret_exponent() {
        let client = SrpClient::with_secret(BigUint::from(123_456_789u32)).expect("valid");
        let shown = format!("{client:?}");
        assert!(!shown.contains("123456789"), "{shown}");
        assert!(!shown.contains("75bcd15"), "{shown}");
    }
}
