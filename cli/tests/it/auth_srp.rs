//! The SRP proof (`PASSWORD_CLAIM_SIGNATURE`) against the official client,
//! amazon-cognito-identity-js, for random inputs. moto does not check the proof, so
//! this comparison is what shows that a real Cognito pool would accept it.

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use num_bigint::BigUint;
use rand::Rng as _;
use serde_json::{Value, json};
use sync_core::auth::Secret;
use sync_core::auth::srp::{SrpClient, VerifierChallenge};

const CASES: usize = 50;

/// The official client's answers for `cases`, from tests/srp-js/claim.js.
fn official(cases: &Value) -> Vec<Value> {
    let dir = lightbox_tests::stack::repo_root().join("tests/srp-js");
    assert!(
        dir.join("node_modules/amazon-cognito-identity-js").is_dir(),
        "amazon-cognito-identity-js is not installed in {}: run scripts/setup.sh",
        dir.display()
    );
    let mut child = Command::new("node")
        .arg("claim.js")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (Node 20 is installed by scripts/install-system.sh)");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(cases.to_string().as_bytes())
        .expect("node reads the cases");
    let out = child.wait_with_output().expect("node finishes");
    assert!(
        out.status.success(),
        "claim.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("claim.js prints a JSON array")
}

fn random_text(rng: &mut impl rand::Rng, len: usize) -> String {
    // ASCII, Latin-1 and beyond, so UTF-8 encoding differences would show.
    const ALPHABET: &[char] = &[
        'a', 'Z', '0', '9', '_', '-', '@', '.', '!', ' ', 'é', 'ß', 'ø', '日', '本', '😀',
    ];
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
        .collect()
}

fn random_hex(rng: &mut impl rand::Rng, bytes: usize, leading_zero: bool) -> String {
    let mut v: Vec<u8> = (0..bytes).map(|_| rng.random()).collect();
    if leading_zero && let Some(first) = v.first_mut() {
        *first = 0;
    }
    hex::encode(v)
}

#[test]
fn password_claim_matches_amazon_cognito_identity_js_on_random_inputs() {
    let mut rng = rand::rng();
    let cases: Vec<Value> = (0..CASES)
        .map(|i| {
            let block_len = rng.random_range(1..600);
            let secret_block: Vec<u8> = (0..block_len).map(|_| rng.random()).collect();
            let (user_len, password_len) = (rng.random_range(1..24), rng.random_range(1..40));
            json!({
                "userPoolId": format!("us-east-1_{}", random_hex(&mut rng, 5, false)),
                "clientId": "client",
                "userIdForSrp": random_text(&mut rng, user_len),
                "password": random_text(&mut rng, password_len),
                "smallAHex": random_hex(&mut rng, 128, i % 5 == 0),
                // 384 bytes is the size of N; a few start with zero bytes, which both sides must drop.
                "srpBHex": random_hex(&mut rng, if i % 3 == 0 { 383 } else { 384 }, i % 4 == 0),
                "saltHex": random_hex(&mut rng, 16, i % 2 == 0),
                "secretBlock": BASE64.encode(secret_block),
                "nowMs": rng.random_range(0..4_102_444_800_000_i64),
            })
        })
        .collect();
    let answers = official(&Value::Array(cases.clone()));
    assert_eq!(answers.len(), CASES, "one answer per case");

    for (case, answer) in cases.iter().zip(&answers) {
        let s = |k: &str| case[k].as_str().expect("string field").to_owned();
        let small_a = BigUint::parse_bytes(s("smallAHex").as_bytes(), 16).expect("hex");
        let client = SrpClient::with_secret(small_a).expect("random a is safe");
        assert_eq!(
            client.srp_a(),
            answer["largeAHex"].as_str().expect("largeAHex"),
            "SRP_A must be what the official client sends for the same a: {case}"
        );
        // The official client formats whole seconds.
        let now_secs = case["nowMs"].as_i64().expect("nowMs").div_euclid(1000);
        let now = jiff::Timestamp::from_second(now_secs).expect("in range");
        let (user, b, salt, block) = (
            s("userIdForSrp"),
            s("srpBHex"),
            s("saltHex"),
            s("secretBlock"),
        );
        let challenge = VerifierChallenge {
            user_id_for_srp: &user,
            srp_b: &b,
            salt: &salt,
            secret_block: &block,
        };
        let claim = client
            .password_claim(
                &s("userPoolId"),
                &challenge,
                &Secret::new(s("password")),
                now,
            )
            .unwrap_or_else(|e| panic!("claim for {case}: {e}"));
        assert_eq!(
            claim.timestamp,
            answer["timestamp"].as_str().expect("timestamp"),
            "TIMESTAMP must be formatted as the official client does: {case}"
        );
        assert_eq!(
            claim.signature,
            answer["signature"].as_str().expect("signature"),
            "PASSWORD_CLAIM_SIGNATURE must equal the official client's for the same inputs: {case}"
        );
    }
}
