//! The foundation smoke test: sign in against moto's Cognito, round-trip an
//! object through Garage with aws-sdk-s3, and check Garage verifies checksums.

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ChallengeNameType, MessageActionType};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, ChecksumMode};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use lightbox_tests::{stack, unique_name};
use rand::RngCore;
use sha2::{Digest, Sha256};

fn jwt_claims(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).expect("a JWT has three parts");
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .expect("JWT payload is base64url");
    serde_json::from_slice(&bytes).expect("JWT payload is JSON")
}

#[tokio::test]
async fn a_new_staff_user_signs_in_through_the_new_password_challenge() {
    let s = stack();
    let c = &s.info.moto.cognito;
    let idp = s.cognito_idp();
    let user = unique_name("staff");
    let temporary = "Temporary-Passw0rd!";
    let chosen = "Chosen-Passw0rd-42!";

    idp.admin_create_user()
        .user_pool_id(&c.user_pool_id)
        .username(&user)
        .temporary_password(temporary)
        .message_action(MessageActionType::Suppress)
        .send()
        .await
        .expect("moto creates the user");
    idp.admin_add_user_to_group()
        .user_pool_id(&c.user_pool_id)
        .username(&user)
        .group_name("staff")
        .send()
        .await
        .expect("the provisioned pool has a staff group");

    let first = idp
        .initiate_auth()
        .client_id(&c.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &user)
        .auth_parameters("PASSWORD", temporary)
        .send()
        .await
        // The client does not list USER_PASSWORD_AUTH (SRP only); moto does not enforce
        // ExplicitAuthFlows, so a test may still check a password this way (provision.py).
        .expect("moto answers USER_PASSWORD_AUTH");
    assert_eq!(
        first.challenge_name(),
        Some(&ChallengeNameType::NewPasswordRequired),
        "a user created with a temporary password must choose a new one first"
    );

    let answered = idp
        .respond_to_auth_challenge()
        .client_id(&c.client_id)
        .challenge_name(ChallengeNameType::NewPasswordRequired)
        .session(first.session().expect("a challenge comes with a session"))
        .challenge_responses("USERNAME", &user)
        .challenge_responses("NEW_PASSWORD", chosen)
        .send()
        .await
        .expect("a new password that meets the policy is accepted");
    let tokens = answered
        .authentication_result()
        .expect("answering the challenge yields tokens");
    let claims = jwt_claims(tokens.id_token().expect("an ID token"));
    assert_eq!(
        claims["cognito:username"],
        user.as_str(),
        "the ID token names the user"
    );
    assert_eq!(
        claims["cognito:groups"],
        serde_json::json!(["staff"]),
        "groups decide the role"
    );
    assert_eq!(
        claims["iss"],
        c.issuer.as_str(),
        "the issuer is in AWS form"
    );

    let again = idp
        .initiate_auth()
        .client_id(&c.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &user)
        .auth_parameters("PASSWORD", chosen)
        .send()
        .await
        .expect("the chosen password signs in");
    assert!(
        again.challenge_name().is_none(),
        "no second challenge after the password change"
    );
    assert!(
        again
            .authentication_result()
            .and_then(|r| r.refresh_token())
            .is_some()
    );
}

#[tokio::test]
async fn the_provisioned_admin_waits_for_a_first_sign_in() {
    let s = stack();
    let c = &s.info.moto.cognito;
    let user = s
        .cognito_idp()
        .admin_get_user()
        .user_pool_id(&c.user_pool_id)
        .username(&c.admin_username)
        .send()
        .await
        .expect("provisioning creates the admin user");
    assert_eq!(
        user.user_status()
            .map(aws_sdk_cognitoidentityprovider::types::UserStatusType::as_str),
        Some("FORCE_CHANGE_PASSWORD"),
        "the admin starts with a temporary password, as infra/ makes it"
    );
    assert!(
        c.admin_temporary_password.len() >= 12,
        "temporary password meets the policy length"
    );
}

#[tokio::test]
async fn an_object_round_trips_through_garage_with_a_verified_checksum() {
    let s = stack();
    let s3 = s.garage_s3();
    let bucket = s.fresh_garage_bucket("smoke").await;
    let mut body = vec![0u8; 3 * 1024 * 1024 + 17];
    rand::rng().fill_bytes(&mut body);
    let checksum = STANDARD.encode(Sha256::digest(&body));
    let key = "originals/2026/11/23/smoke é.jpg";

    s3.put_object()
        .bucket(&bucket)
        .key(key)
        .body(ByteStream::from(body.clone()))
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .checksum_sha256(&checksum)
        .send()
        .await
        .unwrap_or_else(|e| panic!("Garage stores the object: {}", DisplayErrorContext(e)));

    let got = s3
        .get_object()
        .bucket(&bucket)
        .key(key)
        .send()
        .await
        .expect("object is readable");
    let bytes = got.body.collect().await.expect("body arrives").into_bytes();
    assert!(
        bytes.as_ref() == body.as_slice(),
        "bytes read back equal the bytes written"
    );

    let head = s3
        .head_object()
        .bucket(&bucket)
        .key(key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .expect("HeadObject works");
    assert_eq!(
        head.checksum_sha256(),
        Some(checksum.as_str()),
        "Garage kept the SHA-256 we sent"
    );
}

#[tokio::test]
async fn garage_rejects_a_body_whose_checksum_does_not_match() {
    let s = stack();
    let bucket = s.fresh_garage_bucket("badsum").await;
    let wrong = STANDARD.encode(Sha256::digest(b"some other bytes"));
    let result = s
        .garage_s3()
        .put_object()
        .bucket(&bucket)
        .key("corrupt.jpg")
        .body(ByteStream::from_static(b"the real bytes"))
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .checksum_sha256(wrong)
        .send()
        .await;
    let err =
        result.expect_err("a mismatching checksum must be refused, or uploads are unverified");
    assert!(
        err.as_service_error().is_some(),
        "the server itself refused it: {}",
        DisplayErrorContext(&err)
    );
}
