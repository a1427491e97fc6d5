//! Checking the pool's ID and access tokens: RS256 signature against the pool's JWKS,
//! then issuer, client, `token_use` and expiry, with the clock passed in. The groups
//! in `cognito:groups` decide the role the app shows (admin or staff).

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lightbox_types::Role;
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use super::secret::Secret;

/// Clock skew tolerated on `exp`, in seconds.
pub const LEEWAY_SECS: i64 = 30;

/// Which of the two tokens a check expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenUse {
    Id,
    Access,
}

/// The claims Lightbox reads, from either token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub token_use: TokenUse,
    pub exp: i64,
    /// ID token: the app client.
    #[serde(default)]
    pub aud: Option<String>,
    /// Access token: the app client.
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default, rename = "cognito:username")]
    pub cognito_username: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default, rename = "cognito:groups")]
    pub groups: Vec<String>,
    #[serde(default)]
    pub email: Option<String>,
}

impl Claims {
    /// The user name, from whichever claim the token carries.
    #[must_use]
    pub fn user(&self) -> &str {
        self.cognito_username
            .as_deref()
            .or(self.username.as_deref())
            .unwrap_or(&self.sub)
    }

    #[must_use]
    pub fn role(&self) -> Role {
        Role::from_groups(&self.groups)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a well-formed JWT ({0}): sign in again")]
    Malformed(String),
    #[error(
        "the token's signature does not match the pool's keys ({0}): sign in again; if this repeats, check auth.cognito.jwks_url"
    )]
    BadSignature(String),
    #[error(
        "the token was issued by {found}, not by the configured pool {expected}: check auth.cognito.user_pool_id and region"
    )]
    WrongIssuer { expected: String, found: String },
    #[error(
        "the token is for app client {found}, not the configured {expected}: check auth.cognito.client_id"
    )]
    WrongClient { expected: String, found: String },
    #[error("an {found:?} token was given where an {expected:?} token is needed")]
    WrongUse { expected: TokenUse, found: TokenUse },
    #[error("the token expired at {expired_at}: it must be refreshed, or sign in again")]
    Expired { expired_at: jiff::Timestamp },
    #[error(
        "the pool's signing keys could not be fetched from {url} ({reason}): check the network and auth.cognito.jwks_url"
    )]
    Jwks { url: String, reason: String },
}

/// Who issues the tokens and for which client: what every token is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
    pub issuer: String,
    pub client_id: String,
}

/// The checks after the signature, as a pure function of the claims and `now`.
pub fn check_claims(
    claims: &Claims,
    audience: &Audience,
    expected: TokenUse,
    now: jiff::Timestamp,
) -> Result<(), TokenError> {
    if claims.iss != audience.issuer {
        return Err(TokenError::WrongIssuer {
            expected: audience.issuer.clone(),
            found: claims.iss.clone(),
        });
    }
    if claims.token_use != expected {
        return Err(TokenError::WrongUse {
            expected,
            found: claims.token_use,
        });
    }
    let client = match claims.token_use {
        TokenUse::Id => claims.aud.as_deref(),
        TokenUse::Access => claims.client_id.as_deref(),
    };
    if client != Some(audience.client_id.as_str()) {
        return Err(TokenError::WrongClient {
            expected: audience.client_id.clone(),
            found: client.unwrap_or("(none)").to_owned(),
        });
    }
    if claims.exp + LEEWAY_SECS <= now.as_second() {
        return Err(TokenError::Expired {
            expired_at: jiff::Timestamp::from_second(claims.exp).unwrap_or(jiff::Timestamp::MIN),
        });
    }
    Ok(())
}

/// Reads the claims without checking anything: only for tokens that were just
/// received over TLS from the pool itself (to learn their expiry), never for trust.
pub fn peek_claims(token: &Secret) -> Result<Claims, TokenError> {
    jsonwebtoken::dangerous::insecure_decode::<Claims>(token.expose())
        .map(|d| d.claims)
        .map_err(|e| TokenError::Malformed(e.to_string()))
}

/// How long fetched keys are trusted before they are fetched again (a key the pool removed
/// stops verifying within this time).
pub const JWKS_LIFETIME: jiff::SignedDuration = jiff::SignedDuration::from_secs(60 * 60);
/// The longest a JWKS fetch may take.
const JWKS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Verifies tokens against the pool's JWKS, fetched when first needed, again when a token
/// names a key it has not seen (key rotation), and again once [`JWKS_LIFETIME`] has passed.
#[derive(Debug)]
pub struct TokenVerifier {
    audience: Audience,
    jwks_url: String,
    http: reqwest::Client,
    /// The keys and when they were fetched (the `now` of the verify that fetched them).
    keys: RwLock<Option<(JwkSet, jiff::Timestamp)>>,
}

/// Whether keys may be fetched from `url` (pure): `https:`, or `http:` to a loopback host
/// only (the local stack's moto); anything else could be answered by whoever is on the path.
///
/// # Errors
/// What is wrong with it, for [`TokenError::Jwks`].
pub fn check_jwks_url(url: &str) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err("the address must start with https://".to_owned());
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    if host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
    {
        return Ok(());
    }
    Err("http:// is allowed only for a local test server on 127.0.0.1; use https://".to_owned())
}

impl TokenVerifier {
    #[must_use]
    pub fn new(audience: Audience, jwks_url: String) -> Self {
        Self {
            audience,
            jwks_url,
            http: reqwest::Client::builder()
                .timeout(JWKS_TIMEOUT)
                .build()
                .unwrap_or_default(),
            keys: RwLock::new(None),
        }
    }

    #[must_use]
    pub fn audience(&self) -> &Audience {
        &self.audience
    }

    /// The verified claims of `token`, which must be of kind `expected` and valid at `now`.
    pub async fn verify(
        &self,
        token: &Secret,
        expected: TokenUse,
        now: jiff::Timestamp,
    ) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token.expose())
            .map_err(|e| TokenError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenError::BadSignature(format!(
                "algorithm {:?}, the pool signs with RS256",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| TokenError::Malformed("no key id (kid) in the header".to_owned()))?;
        let key = self.key(&kid, now).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        // Time and audience are checked by `check_claims`, with the clock passed in.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Claims>(token.expose(), &key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    TokenError::BadSignature("invalid signature".to_owned())
                }
                _ => TokenError::Malformed(e.to_string()),
            })?
            .claims;
        check_claims(&claims, &self.audience, expected, now)?;
        Ok(claims)
    }

    async fn key(&self, kid: &str, now: jiff::Timestamp) -> Result<DecodingKey, TokenError> {
        let fresh = |fetched: jiff::Timestamp| now.duration_since(fetched) < JWKS_LIFETIME;
        if let Some((set, fetched)) = self.keys.read().await.as_ref()
            && fresh(*fetched)
            && let Some(jwk) = set.find(kid)
        {
            return decoding_key(jwk);
        }
        let mut keys = self.keys.write().await;
        // Another caller may have fetched while this one waited for the lock.
        if let Some((set, fetched)) = keys.as_ref()
            && fresh(*fetched)
            && let Some(jwk) = set.find(kid)
        {
            return decoding_key(jwk);
        }
        let set = self.fetch().await?;
        let found = set.find(kid).map(decoding_key);
        *keys = Some((set, now));
        found.unwrap_or_else(|| {
            Err(TokenError::BadSignature(format!(
                "key id {kid:?} is not among the pool's keys"
            )))
        })
    }

    async fn fetch(&self) -> Result<JwkSet, TokenError> {
        let err = |reason: String| TokenError::Jwks {
            url: self.jwks_url.clone(),
            reason,
        };
        check_jwks_url(&self.jwks_url).map_err(err)?;
        let response = self
            .http
            .get(&self.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| err(e.to_string()))?;
        response
            .json::<JwkSet>()
            .await
            .map_err(|e| err(e.to_string()))
    }
}

fn decoding_key(jwk: &jsonwebtoken::jwk::Jwk) -> Result<DecodingKey, TokenError> {
    DecodingKey::from_jwk(jwk).map_err(|e| TokenError::BadSignature(format!("unusable key: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_over_https_or_from_loopback_only() {
        let cases = [
            (
                "https://cognito-idp.eu-west-1.amazonaws.com/p/.well-known/jwks.json",
                true,
            ),
            ("http://127.0.0.1:5000/p/.well-known/jwks.json", true),
            ("http://localhost:5000/jwks.json", true),
            ("http://[::1]:5000/jwks.json", true),
            (
                "http://cognito-idp.eu-west-1.amazonaws.com/p/jwks.json",
                false,
            ),
            ("http://127.0.0.1.evil.example/jwks.json", false),
            ("ftp://127.0.0.1/jwks.json", false),
        ];
        for (url, ok) in cases {
            assert_eq!(check_jwks_url(url).is_ok(), ok, "{url}");
        }
    }

    fn audience() -> Audience {
        Audience {
            issuer: "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool".to_owned(),
            client_id: "client".to_owned(),
        }
    }

    fn claims(token_use: TokenUse) -> Claims {
        Claims {
            iss: audience().issuer,
            sub: "sub-1".to_owned(),
            token_use,
            exp: 1_000,
            aud: (token_use == TokenUse::Id).then(|| "client".to_owned()),
            client_id: (token_use == TokenUse::Access).then(|| "client".to_owned()),
            cognito_username: None,
            username: Some("ann".to_owned()),
            groups: vec!["staff".to_owned()],
            email: None,
        }
    }

    #[test]
    fn claim_checks_table() {
        let at = |s| jiff::Timestamp::from_second(s).expect("valid");
        let good_id = claims(TokenUse::Id);
        let wrong_iss = Claims {
            iss: "https://evil".to_owned(),
            ..good_id.clone()
        };
        let wrong_aud = Claims {
            aud: Some("other".to_owned()),
            ..good_id.clone()
        };
        let access_without_client = Claims {
            client_id: None,
            ..claims(TokenUse::Access)
        };
        type Check = fn(&Result<(), TokenError>) -> bool;
        let cases: [(&str, Claims, TokenUse, i64, Check); 7] = [
            (
                "valid id token",
                good_id.clone(),
                TokenUse::Id,
                900,
                Result::is_ok,
            ),
            (
                "valid access token",
                claims(TokenUse::Access),
                TokenUse::Access,
                900,
                Result::is_ok,
            ),
            (
                "within leeway",
                good_id.clone(),
                TokenUse::Id,
                1_000 + LEEWAY_SECS - 1,
                Result::is_ok,
            ),
            (
                "expired",
                good_id.clone(),
                TokenUse::Id,
                1_000 + LEEWAY_SECS,
                |r| matches!(r, Err(TokenError::Expired { .. })),
            ),
            ("wrong issuer", wrong_iss, TokenUse::Id, 900, |r| {
                matches!(r, Err(TokenError::WrongIssuer { .. }))
            }),
            ("wrong audience", wrong_aud, TokenUse::Id, 900, |r| {
                matches!(r, Err(TokenError::WrongClient { .. }))
            }),
            (
                "access token lacking client_id",
                access_without_client,
                TokenUse::Access,
                900,
                |r| matches!(r, Err(TokenError::WrongClient { .. })),
            ),
        ];
        for (name, c, expected, now, ok) in cases {
            let result = check_claims(&c, &audience(), expected, at(now));
            assert!(ok(&result), "{name}: {result:?}");
        }
        let mismatch = check_claims(&good_id, &audience(), TokenUse::Access, at(900));
        assert!(
            matches!(mismatch, Err(TokenError::WrongUse { .. })),
            "an ID token is no access token: {mismatch:?}"
        );
    }

    #[test]
    fn role_comes_from_groups_and_admins_wins() {
        let g = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(Role::from_groups(&g(&["staff", "admins"])), Role::Admin);
        assert_eq!(Role::from_groups(&g(&["staff"])), Role::Staff);
        assert_eq!(Role::from_groups(&g(&["photographers"])), Role::None);
    }
}
