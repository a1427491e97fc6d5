//! Sign-in against moto, through the `lightbox` binary and the library: the first
//! sign-in of an admin created with a temporary password, whoami, sign-out, and the
//! errors a user meets. Each test makes its own user, so tests run in parallel.

use lightbox_tests::stack;
use sync_core::auth::session::Auth;
use sync_core::auth::user_pool::{SignInError, SignInStep};
use sync_core::auth::{Secret, SignInFlow};
use sync_core::config::Config;

use crate::support::{TEMPORARY_PASSWORD as TEMPORARY, create_pool_user, lightbox, text};

const NEW_PASSWORD: &str = "Brand-New-Pass-42";

/// The library's view of the stack's config.
async fn auth(state: &std::path::Path, flow: SignInFlow) -> Auth {
    let path = stack().dir.join("lightbox.toml");
    let mut config = Config::load(Some(&path))
        .expect("the stack writes a config")
        .config;
    config.auth.cognito.sign_in_flow = flow;
    Auth::from_config(&config.auth.cognito, state)
        .await
        .expect("the stack config names the pools")
}

#[tokio::test]
async fn first_sign_in_then_whoami_then_logout_makes_refresh_fail() {
    let user = create_pool_user("user", "admins").await;
    let state = tempfile::tempdir().expect("tempdir");
    let out = lightbox(
        state.path(),
        &["login", "--username", &user, "--password-stdin"],
        &format!("{TEMPORARY}\n{NEW_PASSWORD}\n"),
    );
    assert!(
        out.status.success(),
        "SRP sign-in, then NEW_PASSWORD_REQUIRED answered: {}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("signed in as {user} (Admin)")),
        "{}",
        text(&out)
    );

    let out = lightbox(state.path(), &["whoami", "--json"], "");
    assert!(out.status.success(), "whoami after login: {}", text(&out));
    let who: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("whoami --json prints JSON");
    assert_eq!(who["user"], user.as_str(), "the signed-in user: {who}");
    assert_eq!(who["role"], "admin", "admins group means admin: {who}");
    assert!(
        who["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .any(|g| g == "admins"),
        "{who}"
    );
    assert_eq!(
        who["refresh_token_stored_in"]["kind"], "file",
        "no keyring was asked for: {who}"
    );
    let file = who["refresh_token_stored_in"]["path"]
        .as_str()
        .expect("path")
        .to_owned();
    let refresh = Secret::new(std::fs::read_to_string(&file).expect("the token file exists"));

    let out = lightbox(state.path(), &["logout"], "");
    assert!(out.status.success(), "logout: {}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("signed out everywhere"),
        "{}",
        text(&out)
    );
    assert!(
        !std::path::Path::new(&file).exists(),
        "logout forgets the token here"
    );

    let out = lightbox(state.path(), &["whoami"], "");
    assert!(!out.status.success(), "nobody is signed in after logout");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not signed in"),
        "{}",
        text(&out)
    );

    let err = auth(state.path(), SignInFlow::Srp)
        .await
        .pool
        .refresh(&refresh)
        .await
        .expect_err("GlobalSignOut invalidated the refresh token");
    assert!(
        matches!(err, SignInError::SignedOut),
        "a typed SignedOut, which the app shows as the sign-in screen: {err}"
    );

    // And the new password is the one that works now (with the password flow, which moto checks).
    let lib = auth(state.path(), SignInFlow::Password).await;
    let step = lib
        .pool
        .sign_in(
            &user,
            &Secret::new(NEW_PASSWORD.into()),
            jiff::Timestamp::now(),
        )
        .await
        .expect("signs in");
    assert!(
        matches!(step, SignInStep::Done(_)),
        "no more challenges: {step:?}"
    );
}

#[tokio::test]
async fn wrong_password_unknown_user_weak_password_and_used_session_have_codes() {
    let user = create_pool_user("user", "staff").await;
    let state = tempfile::tempdir().expect("tempdir");
    // moto checks passwords only in USER_PASSWORD_AUTH (it skips the SRP proof).
    let lib = auth(state.path(), SignInFlow::Password).await;
    let now = jiff::Timestamp::now();

    let err = lib
        .pool
        .sign_in(&user, &Secret::new("Not-The-Pass-1".into()), now)
        .await
        .expect_err("wrong password");
    assert!(
        err.to_string().contains("wrong user name or password"),
        "{err}"
    );
    assert!(
        matches!(err, SignInError::WrongPassword),
        "a typed error the app maps to a code: {err}"
    );

    let err = lib
        .pool
        .sign_in("nobody-here", &Secret::new(TEMPORARY.into()), now)
        .await
        .expect_err("unknown user");
    assert!(err.to_string().contains("no user \"nobody-here\""), "{err}");
    assert!(
        matches!(err, SignInError::UnknownUser(_)),
        "a typed error the app maps to a code: {err}"
    );

    let SignInStep::NewPasswordRequired(challenge) = lib
        .pool
        .sign_in(&user, &Secret::new(TEMPORARY.into()), now)
        .await
        .expect("temporary password works")
    else {
        panic!("a user with a temporary password must choose a new one")
    };
    let err = lib
        .pool
        .set_new_password(&challenge, &Secret::new("short".into()))
        .await
        .expect_err("weak");
    let message = err.to_string();
    for rule in [
        "at least 12 characters",
        "an upper-case letter",
        "a digit",
        "a symbol",
    ] {
        assert!(
            message.contains(rule),
            "every unmet rule is listed, {rule:?} too: {message}"
        );
    }
    assert!(
        matches!(err, SignInError::WeakPassword { .. }),
        "a typed error the app maps to a code: {err}"
    );

    let step = lib
        .pool
        .set_new_password(&challenge, &Secret::new(NEW_PASSWORD.into()))
        .await
        .expect("a good password is taken");
    assert!(matches!(step, SignInStep::Done(_)), "{step:?}");
    let err = lib
        .pool
        .set_new_password(&challenge, &Secret::new(NEW_PASSWORD.into()))
        .await
        .expect_err("the session was used up");
    assert!(err.to_string().contains("session expired"), "{err}");
    assert!(
        matches!(err, SignInError::SessionExpired),
        "a typed error the app maps to a code: {err}"
    );

    let out = lightbox(state.path(), &["whoami"], "");
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("lightbox login"),
        "whoami says how to sign in: {}",
        text(&out)
    );
}
