//! Token verification against a JWKS served by a tiny local HTTP server, with tokens
//! minted in the test from throwaway RSA keys: a good token passes, and a wrong
//! signature, issuer, audience, `token_use` or an expired token is refused.

use std::io::{Read as _, Write as _};
use std::net::TcpListener;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use lightbox_types::Role;
use serde_json::json;
use sync_core::auth::Secret;
use sync_core::auth::tokens::{Audience, TokenError, TokenUse, TokenVerifier};

// Two 2048-bit RSA keys made for this test only (PKCS#1 DER, and the public modulus).
// Key A is published in the JWKS; key B is not.
const KEY_A_DER_B64: &str = "MIIEogIBAAKCAQEA1GKg+AlQZkOWBPNX3z7Z3lIBAvN/P1GcYbwo9JO0Bfxgz5Omhj94SMFxJ12cI92XnEIyByS4VCZYPM75JaBQCLH+qSgf9j5uDjpKqIF/qrWU1IluhZxwdJAH+SIsa42tI9cajeFDNwjE8usBFNsEg9oCVhREagGBqTEUwvwRytjNy1Jy6jaturJILkn9aqE8QW+Tntuut7vVsyS2D9k2OsPoAniuOUL/An1ajpu+ZKP9T1Qar1RoO7JCvlw8MB4toat4s2rJEW/4BhcntIskmn1DFII/4IjLQnPGwoww/hhqC1ZPHuTTNsHNNuwglgfGf4cnpv1UltRrheXb3aV6/wIDAQABAoIBAGXZoJEiQlSwX66jFgZAyVFk6QhFxkWSuRhjmA5mEMR4GeMhzw99O41EeyOiMCFBAJZWZlBnqx/rvY/3v6JsJUVuOo5baCx6FuQqzyfM5nDyoFtmRsK7WXCEq9YtLbksWZYg7yKQHuAzC+PkkAG04I7siwdFs+NUMp51I5w4Lr4j5ubnId8/rNuU/7wLMNVifIDyA18HKi+Rj0PjfFpkBZUdtAur90YIVoQ/I7LIu7jev6aVYtorF1ljsJr1glV8CbODB7Y/SPKHw/cJs88GGHIh4/pOhA5DfdBIx0DLMp81M82RLHL/xEdHKVbdRIVx4svxZGROJl9dFwP1/p/PlWkCgYEA/cd4UvH9zkv9NohCMWBaPV9fwrt5jXToR2AEPf7OgxFtgsls4K9tfVK8mbxMVQJQ8qxySmT/dcHAW77YdKi7oBK+iN0wlTe/d2X5IdFc5m6bzjLE5DNPSJAUO5VYUIfJo/ZwR40ERX5TQVp27gZ2BWMgKoLgFBTemu7orxjGvPkCgYEA1j5tBa1P2rfb4B6iCFYeAi66EfAIby7MepjH4pDIwRr7msnaJxC43eBV2TB35g/aCUsq0WXPoEGPyDHddWwq/LLk4REbX9mBJAA1Q2ZzJUoJXD+PLbBpyLeSx0PgP3e22CRb3a0fPB1ZxCqiE29rgFCqi27Hhw8/cVYS0ymJzbcCgYBmBQw/+/xWNIIkq/5AL0XXqkGq3QbucPL3zoemDIskcZsemq7kXGGdoecjvmjJO9ci12RSt+tigXM87qnBrBtRLHfgOVtQgUq9SwcuKyY3lHuaFxrDykSzHQilM1J/fTb4bReSDASNk00Q1rc81OgZHlJOBLLkH8elbSmpSkKKsQKBgDBeb6a0di7fC5kR0WsoZiX//qpGEuFnI2saSyZvoaNXQC62G7ZuJA6Ts04Rj0A1m/g1LDmSTsnTg26jM2hrP1lF2j6l6hQ9utYx5dSNsLleebaF8wFRrtBOAalTPbGWiYVK0CLADyk3RyjupyDUKuURUS+hlxJ68svXrvBVlHMJAoGATVWdc8Wttw9UZ/oU0LUwMzlf5xv9GlUYiEeFYT65Wr0Mhf06EBek8maMDPir+in7N5N9eW99ln/ywHeTrOzVgLyrBo1rMzxvHdZvsZnBT/H5PRPw1KvRGZRv+WRzJC+y6lP5trCdnHfILdZkOxc/S3Pt2P1zzAze2pcG7Aa0kts=";
const KEY_A_N: &str = "1GKg-AlQZkOWBPNX3z7Z3lIBAvN_P1GcYbwo9JO0Bfxgz5Omhj94SMFxJ12cI92XnEIyByS4VCZYPM75JaBQCLH-qSgf9j5uDjpKqIF_qrWU1IluhZxwdJAH-SIsa42tI9cajeFDNwjE8usBFNsEg9oCVhREagGBqTEUwvwRytjNy1Jy6jaturJILkn9aqE8QW-Tntuut7vVsyS2D9k2OsPoAniuOUL_An1ajpu-ZKP9T1Qar1RoO7JCvlw8MB4toat4s2rJEW_4BhcntIskmn1DFII_4IjLQnPGwoww_hhqC1ZPHuTTNsHNNuwglgfGf4cnpv1UltRrheXb3aV6_w";
const KEY_B_DER_B64: &str = "MIIEogIBAAKCAQEAmLsE8jterVim7vIzfR6O+o/yhamtUp3/0vp7jBatvrl3OYz+sxP7Ny3s5qh8WGOmYw3bScmwQA1DWwrIgVeP9JjMkw3CUMF/stlZrxARUYbSdORpdfJh0LSbVDjpgBSxTxafZd4KAbHflNZcNT9taA2ETyBwwiC4jO4COZIYX/6r8Zvdduy61Ja4UxDHZOm1/PbCqYSBOLAAbo0N73P3KXG7E7QeUDzJpaDVhERBW6NHQuSo85xhwQ0jeAS+jpZxAnirZk09fwFuBra2py5hSACGXrBHu+vNIFunxtYzY45oBCLBlTwNo8OMUVoZ3UiO1uMEvoH/USDgntFSWDM6MwIDAQABAoIBADo7G+CrSCa5ZTQ3PfBXZVYc6e+SSNX2DaLIA7DeuLG+DrnvivCGDsL0DJ3I4Vfl7ntXviL89ekF5Ydhrh66XtV4KI9ssIiPrftnqSz46FF4IOeWaqsglbC4G3zaEhTWTuADlRSGurP4uHEL5a4bl8ATXz239aXeSd7ZpBmFHSwD24ZTn6j8VBvin7/umjLiDaWC3ojkhH/yO02LDOSheDeUdh1xQuRA9pZzf6/TecdH5/5jqIUEKEDyt5VdApOT2neDb4a6pHjAItY7F7IZHMBkk3d0mntie5SSyE4dJCCKl4QNbSl0LF2scgYELjjxhEeRwevQ975pFf39bnncGdkCgYEAyWTbq+rTO0+CeCJMn287S3+VuLPeF6JQZ95mGt9QyqxCT658OGXvoIdzctd/tiPFUntigyECOeaVlkn+lnmizJvPLZsS5qS+12s4nGbsYjFBHuMkJKq7m83j4CAmmbRzyiHtWH7RkGBMwzcyyHVfK4BqV9PRvYuJ6GQlaFCELt0CgYEAwiRWz2vorZyDTbgIHKyzheFGpX8PUhHSdslbwnkD3Zl3M48wid2uPzkZ4x4B9/byEz7ztTg3+NDl7d/V+9Dl2f2WRU9HNzDD8zYN6B5g4zykS+l/4luXFjugmThpMSTYnaGSSt11cYOCbWbZF6wWNYURFxVMyh9+hSnDLTIFlE8CgYBciWRKVSbjzL/VNWVhqLllEmWYLcVxtJofb9gYpt23knkRpcncHDKD31kTvqMm7L7BDIKSX/tm4WWAXdWGDLPaMgl7GhMQOUibMOAdNUmOQLV8XMABvRVhHLSFCiDSZVEC4p3tGLBwF1+OH3HNG+kz0tiKLIDmCBTA3Cs4CC8EXQKBgBJExyJ3ngqQOs7abXD9U1tayoISRcfMQ4jIA+l158Y3hb8FT2T5xkbOwb/ceAT0aO0ktFwuMR4p0ikjMgijLK3prfVRs3rfDOFbCc345dccQr2d+Fm9kqcV71PbuhJUzElxBcojssR+wow27GDM4b4him0opPQ0KHyxZFthZKMDAoGAK6KFn5GkTtvmNaEkgerXH+s/ZkFw7bWclkcW1ZVgngXqXs+W2ZJfeqdi7gOVtuAXTdDX9a8lk5BE9UGtvVtRk07jOLn01li+NmS52YoxOGIR7YokaohZnXpFeyqhwBE0QDmJfuvz5HUs+2n9/QxrEYDgm8BtZVdSLLo2O0ZJC9Q=";
const KEY_B_N: &str = "mLsE8jterVim7vIzfR6O-o_yhamtUp3_0vp7jBatvrl3OYz-sxP7Ny3s5qh8WGOmYw3bScmwQA1DWwrIgVeP9JjMkw3CUMF_stlZrxARUYbSdORpdfJh0LSbVDjpgBSxTxafZd4KAbHflNZcNT9taA2ETyBwwiC4jO4COZIYX_6r8Zvdduy61Ja4UxDHZOm1_PbCqYSBOLAAbo0N73P3KXG7E7QeUDzJpaDVhERBW6NHQuSo85xhwQ0jeAS-jpZxAnirZk09fwFuBra2py5hSACGXrBHu-vNIFunxtYzY45oBCLBlTwNo8OMUVoZ3UiO1uMEvoH_USDgntFSWDM6Mw";

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_TestPool";
const CLIENT: &str = "test-client";

/// Serves `body` as the JWKS at `http://127.0.0.1:<port>/jwks.json`, for as long as the test runs.
fn serve_jwks(body: String) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = listener.local_addr().expect("bound");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _read = stream.read(&mut buf);
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _written = stream.write_all(reply.as_bytes());
        }
    });
    format!("http://{addr}/jwks.json")
}

fn mint(key_der_b64: &str, kid: &str, claims: &serde_json::Value) -> Secret {
    let der = base64::engine::general_purpose::STANDARD
        .decode(key_der_b64)
        .expect("test key is base64");
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    Secret::new(
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&der)).expect("signs"),
    )
}

fn id_claims(exp: i64) -> serde_json::Value {
    json!({
        "iss": ISSUER, "sub": "sub-1", "aud": CLIENT, "token_use": "id", "exp": exp,
        "cognito:username": "ann", "cognito:groups": ["admins"],
    })
}

#[tokio::test]
async fn verification_accepts_the_pool_token_and_refuses_each_kind_of_bad_one() {
    let jwks = json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "key-a", "n": KEY_A_N, "e": "AQAB"}]});
    // Key B is known only to the test: a token it signs under key A's id is a forgery.
    assert_ne!(KEY_A_N, KEY_B_N, "two different keys");
    let verifier = TokenVerifier::new(
        Audience {
            issuer: ISSUER.to_owned(),
            client_id: CLIENT.to_owned(),
        },
        serve_jwks(jwks.to_string()),
    );
    let now = jiff::Timestamp::from_second(1_800_000_000).expect("valid");
    let exp = now.as_second() + 3600;

    let good = mint(KEY_A_DER_B64, "key-a", &id_claims(exp));
    let claims = verifier
        .verify(&good, TokenUse::Id, now)
        .await
        .expect("the pool's own token verifies");
    assert_eq!(claims.user(), "ann");
    assert_eq!(claims.role(), Role::Admin, "cognito:groups has admins");

    let access = mint(
        KEY_A_DER_B64,
        "key-a",
        &json!({
            "iss": ISSUER, "sub": "sub-1", "client_id": CLIENT, "token_use": "access", "exp": exp, "username": "ann",
        }),
    );
    verifier
        .verify(&access, TokenUse::Access, now)
        .await
        .expect("an access token verifies as one");

    let mut wrong_iss = id_claims(exp);
    wrong_iss["iss"] = json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other");
    let mut wrong_aud = id_claims(exp);
    wrong_aud["aud"] = json!("another-client");
    type Check = fn(&TokenError) -> bool;
    let cases: [(&str, Secret, TokenUse, Check); 6] = [
        (
            "signed by another key",
            mint(KEY_B_DER_B64, "key-a", &id_claims(exp)),
            TokenUse::Id,
            |e| matches!(e, TokenError::BadSignature(_)),
        ),
        (
            "unknown key id",
            mint(KEY_B_DER_B64, "key-b", &id_claims(exp)),
            TokenUse::Id,
            |e| matches!(e, TokenError::BadSignature(_)),
        ),
        (
            "wrong issuer",
            mint(KEY_A_DER_B64, "key-a", &wrong_iss),
            TokenUse::Id,
            |e| matches!(e, TokenError::WrongIssuer { .. }),
        ),
        (
            "wrong audience",
            mint(KEY_A_DER_B64, "key-a", &wrong_aud),
            TokenUse::Id,
            |e| matches!(e, TokenError::WrongClient { .. }),
        ),
        (
            "ID token used as access token",
            good.clone(),
            TokenUse::Access,
            |e| matches!(e, TokenError::WrongUse { .. }),
        ),
        (
            "expired",
            mint(KEY_A_DER_B64, "key-a", &id_claims(now.as_second() - 3600)),
            TokenUse::Id,
            |e| matches!(e, TokenError::Expired { .. }),
        ),
    ];
    for (what, token, expected, is_right_error) in cases {
        let err = verifier
            .verify(&token, expected, now)
            .await
            .expect_err(what);
        assert!(
            is_right_error(&err),
            "{what}: refused, but for the wrong reason: {err}"
        );
    }
}

/// Keys are fetched again once `JWKS_LIFETIME` has passed (time passed in), not before.
#[tokio::test]
async fn fetched_keys_expire_after_their_lifetime() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let jwks = json!({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "key-a", "n": KEY_A_N, "e": "AQAB"}]}).to_string();
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = listener.local_addr().expect("bound");
    let fetches = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&fetches);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _read = stream.read(&mut buf);
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{jwks}",
                jwks.len()
            );
            let _written = stream.write_all(reply.as_bytes());
        }
    });
    let verifier = TokenVerifier::new(
        Audience {
            issuer: ISSUER.to_owned(),
            client_id: CLIENT.to_owned(),
        },
        format!("http://{addr}/jwks.json"),
    );
    let now = jiff::Timestamp::from_second(1_800_000_000).expect("valid");
    let token = mint(
        KEY_A_DER_B64,
        "key-a",
        &id_claims(now.as_second() + 4 * 3600),
    );
    let later = |secs: i64| now + jiff::SignedDuration::from_secs(secs);
    for (at, expected) in [(now, 1), (later(30 * 60), 1), (later(61 * 60), 2)] {
        verifier
            .verify(&token, TokenUse::Id, at)
            .await
            .expect("verifies");
        assert_eq!(fetches.load(Ordering::SeqCst), expected, "fetches by {at}");
    }
}
