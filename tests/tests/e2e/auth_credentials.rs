//! Identity-pool credentials for S3 across expiries (moto's last 90 s), and no token
//! in trace-level logs of a sign-in and refresh.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider, future};
use lightbox_tests::{stack, unique_name};
use sync_core::auth::identity_credentials::IdentityPoolCredentials;
use sync_core::auth::session::{Auth, StoredRefresh};
use sync_core::auth::user_pool::{SignInStep, Tokens};
use sync_core::auth::{Secret, SignInFlow};
use sync_core::config::Config;

use crate::support::{TEMPORARY_PASSWORD as TEMPORARY, create_pool_user};

const PASSWORD: &str = "Brand-New-Pass-42";

/// A fresh staff user, signed in (temporary password, then a new one) through the library.
async fn signed_in(state: &std::path::Path) -> (Auth, Tokens) {
    let name = create_pool_user("creds", "staff").await;
    let path = stack().dir.join("lightbox.toml");
    let mut config = Config::load(Some(&path)).expect("stack config").config;
    config.auth.cognito.sign_in_flow = SignInFlow::Password;
    config.auth.cognito.refresh_token_store = sync_core::auth::refresh_store::StoreChoice::File;
    let auth = Auth::from_config(&config.auth.cognito, state)
        .await
        .expect("the stack config names the pools");
    let now = jiff::Timestamp::now();
    let SignInStep::NewPasswordRequired(ch) = auth
        .pool
        .sign_in(&name, &Secret::new(TEMPORARY.into()), now)
        .await
        .expect("temporary password")
    else {
        panic!("a new user must choose a password")
    };
    let SignInStep::Done(tokens) = auth
        .pool
        .set_new_password(&ch, &Secret::new(PASSWORD.into()))
        .await
        .expect("new password")
    else {
        panic!("no MFA on the provisioned pool")
    };
    auth.keep(&tokens)
        .await
        .expect("tokens verify and are kept");
    (auth, tokens)
}

/// Lets the test count fetches while the SDK owns the provider.
#[derive(Debug, Clone)]
struct Shared(Arc<IdentityPoolCredentials<StoredRefresh>>);

impl ProvideCredentials for Shared {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        self.0.provide_credentials()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_puts_continue_across_identity_credential_expiry() {
    const RUN: Duration = Duration::from_secs(190);
    let state = tempfile::tempdir().expect("tempdir");
    let (auth, _) = signed_in(state.path()).await;
    let provider = Shared(Arc::new(
        auth.identity_credentials()
            .await
            .expect("identity pool configured"),
    ));
    let moto = &stack().info.moto;
    let shared = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(stack().info.region.clone()))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(SharedCredentialsProvider::new(provider.clone()))
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build(),
    );
    let prefix = unique_name("creds-run");
    let started = Instant::now();
    let mut puts = 0;
    while started.elapsed() < RUN {
        s3.put_object()
            .bucket(&moto.bucket)
            // Staff may create new originals only, and only with If-None-Match (infra/).
            .key(format!("originals/{prefix}/{puts}.jpg"))
            .if_none_match("*")
            .body(vec![7u8; 1024].into())
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "put {puts} failed after {:?}: {}",
                    started.elapsed(),
                    aws_sdk_s3::error::DisplayErrorContext(e)
                )
            });
        puts += 1;
        tokio::time::sleep(Duration::from_secs(4)).await;
    }
    assert!(puts >= 40, "a put every ~4 s for the whole run: {puts}");
    let fetches = provider.0.fetches();
    assert!(
        fetches >= 2,
        "moto's credentials last 90 s, so a {RUN:?} run must fetch new ones before expiry: fetched {fetches} times"
    );
}

/// Collects everything written by the tracing subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_token_or_password_in_trace_logs_of_sign_in_and_refresh() {
    let captured = Captured::default();
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    let state = tempfile::tempdir().expect("tempdir");
    let (auth, tokens) = signed_in(state.path()).await;
    let refresh = tokens
        .refresh
        .clone()
        .expect("sign-in gives a refresh token");
    let refreshed = auth.pool.refresh(&refresh).await.expect("refresh");
    let who = auth.whoami().await.expect("whoami");
    tracing::debug!(
        ?tokens,
        ?refreshed,
        ?who,
        "what a careless log line would print"
    );
    drop(guard);

    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8 logs");
    assert!(
        logs.lines().count() > 20,
        "trace logging was on and captured: {} lines",
        logs.lines().count()
    );
    let secrets = [
        ("ID token", tokens.id.expose()),
        ("access token", tokens.access.expose()),
        ("refresh token", refresh.expose()),
        ("refreshed ID token", refreshed.id.expose()),
        ("refreshed access token", refreshed.access.expose()),
        ("temporary password", TEMPORARY),
        ("password", PASSWORD),
    ];
    for (what, secret) in secrets {
        // A JWT's signature part is unique to it; any 24-character piece would do.
        let tail = &secret[secret.len().saturating_sub(24)..];
        assert!(!logs.contains(tail), "the {what} appears in the logs");
    }
    assert!(
        logs.contains("<redacted>"),
        "the careless line printed the wrapper, not the tokens"
    );
}

/// A port on 127.0.0.1 with nothing listening: Cognito "unreachable".
fn unreachable_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let addr = listener.local_addr().expect("bound");
    drop(listener);
    format!("http://{addr}")
}

/// The file store, not the keyring: the keyring and the file are forgotten by the same
/// `RefreshStore::delete`, and what this test proves is the order in `Auth::sign_out`
/// (forget before any call to Cognito); a gnome-keyring in a private D-Bus session would
/// add a daemon to the test run without testing anything more of that order.
#[tokio::test]
async fn sign_out_with_cognito_unreachable_still_forgets_the_refresh_token() {
    let state = tempfile::tempdir().expect("tempdir");
    let (auth, _) = signed_in(state.path()).await;
    let who = auth.whoami().await.expect("signed in");
    let sync_core::auth::refresh_store::StoreLocation::File(token_file) =
        who.refresh_token_stored_in
    else {
        panic!("the file store was chosen")
    };
    assert!(token_file.exists(), "the refresh token is kept in a file");

    let path = stack().dir.join("lightbox.toml");
    let mut offline = Config::load(Some(&path)).expect("stack config").config;
    offline.auth.cognito.sign_in_flow = SignInFlow::Password;
    offline.auth.cognito.refresh_token_store = sync_core::auth::refresh_store::StoreChoice::File;
    offline.auth.cognito.idp_endpoint = Some(unreachable_endpoint());
    let unreachable = Auth::from_config(&offline.auth.cognito, state.path())
        .await
        .expect("config");
    let report = unreachable
        .sign_out()
        .await
        .expect("signing out never fails for want of Cognito");
    assert!(
        report.global_sign_out.is_err() && report.revoke.is_err(),
        "Cognito was unreachable, and the report says so: {report:?}"
    );
    assert!(
        !token_file.exists(),
        "the token file is gone: {token_file:?}"
    );

    // Start again, Cognito reachable: nobody is signed in.
    let restarted = {
        let mut config = offline.clone();
        config.auth.cognito.idp_endpoint = Config::load(Some(&path))
            .expect("stack config")
            .config
            .auth
            .cognito
            .idp_endpoint;
        Auth::from_config(&config.auth.cognito, state.path())
            .await
            .expect("config")
    };
    assert!(
        matches!(
            restarted.whoami().await,
            Err(sync_core::auth::session::SessionError::NotSignedIn)
        ),
        "after a restart nobody is signed in"
    );
}

/// Sign in and upload one original through the identity pool's credentials, with everything
/// logged at trace under `filter` (the binaries' `allowed` filter, or none); returns the
/// captured log and the secrets it must not hold.
async fn traced_sign_in_and_upload(quiet_wire: bool) -> (String, Vec<(&'static str, String)>) {
    use tracing_subscriber::layer::SubscriberExt as _;
    let captured = Captured::default();
    let sink = captured.clone();
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
        .with_writer(move || sink.clone())
        .with_ansi(false)
        .finish();
    let filtered = fmt.with(tracing_subscriber::filter::filter_fn(move |meta| {
        !quiet_wire || sync_core::log_safety::allowed(meta.target(), meta.level())
    }));
    let guard = tracing::subscriber::set_default(filtered);
    let state = tempfile::tempdir().expect("tempdir");
    let (auth, tokens) = signed_in(state.path()).await;
    let provider = auth
        .identity_credentials()
        .await
        .expect("identity pool configured");
    let creds = provider.provide_credentials().await.expect("credentials");
    let moto = &stack().info.moto;
    let shared = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(stack().info.region.clone()))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build(),
    );
    s3.put_object()
        .bucket(&moto.bucket)
        .key(format!("originals/{}/traced.jpg", unique_name("trace")))
        .if_none_match("*")
        .body(vec![7u8; 1024].into())
        .send()
        .await
        .expect("staff may create a new original");
    drop(guard);
    let logs = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8 logs");
    let secrets = vec![
        (
            "refresh token",
            tokens
                .refresh
                .as_ref()
                .expect("refresh")
                .expose()
                .to_owned(),
        ),
        ("ID token", tokens.id.expose().to_owned()),
        ("access token", tokens.access.expose().to_owned()),
        (
            "session token",
            creds.session_token().expect("STS credentials").to_owned(),
        ),
        ("secret key", creds.secret_access_key().to_owned()),
        ("password", PASSWORD.to_owned()),
        ("temporary password", TEMPORARY.to_owned()),
    ];
    (logs, secrets)
}

/// What of `secrets` appears in `logs` (a 24-character tail of each is enough to find it).
fn leaked(logs: &str, secrets: &[(&'static str, String)]) -> Vec<&'static str> {
    secrets
        .iter()
        .filter(|(_, s)| logs.contains(&s[s.len().saturating_sub(24)..]))
        .map(|(what, _)| *what)
        .collect()
}

#[tokio::test]
async fn lightbox_log_trace_never_logs_tokens_or_passwords_of_sign_in_and_upload() {
    let (logs, secrets) = traced_sign_in_and_upload(true).await;
    println!(
        "trace log with the wire crates held at info: {} lines; grep for {:?}: {:?}",
        logs.lines().count(),
        secrets.iter().map(|(w, _)| *w).collect::<Vec<_>>(),
        leaked(&logs, &secrets)
    );
    assert!(
        logs.lines().count() > 0,
        "trace logging was on and captured"
    );
    assert_eq!(leaked(&logs, &secrets), Vec::<&str>::new(), "nothing leaks");
}

/// The same run without the filter: the SDK's trace events do carry a secret, so the test
/// above can fail and the filter is what keeps them out.
#[tokio::test]
async fn without_the_wire_filter_the_sdk_trace_logs_carry_a_secret() {
    let (logs, secrets) = traced_sign_in_and_upload(false).await;
    let found = leaked(&logs, &secrets);
    println!(
        "unfiltered trace log: {} lines; leaked: {found:?}",
        logs.lines().count()
    );
    assert!(!found.is_empty(), "the unfiltered SDK logs leak something");
}

/// aws-cli with `creds` (taken out of the app) against moto: "ok", or the error code it printed.
fn aws_cli(creds: &aws_credential_types::Credentials, args: &[&str]) -> String {
    let out = std::process::Command::new(stack().venv_bin("aws"))
        .env("AWS_ACCESS_KEY_ID", creds.access_key_id())
        .env("AWS_SECRET_ACCESS_KEY", creds.secret_access_key())
        .env(
            "AWS_SESSION_TOKEN",
            creds.session_token().unwrap_or_default(),
        )
        .env("AWS_DEFAULT_REGION", &stack().info.region)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .arg("--endpoint-url")
        .arg(&stack().info.moto.endpoint)
        .args(args)
        .output()
        .expect("aws-cli runs");
    if out.status.success() {
        return "ok".to_owned();
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    ["AccessDenied", "PreconditionFailed"]
        .into_iter()
        .find(|code| stderr.contains(code))
        .map_or_else(|| format!("exit {}: {stderr}", out.status), str::to_owned)
}

/// The credentials the app's own code obtains for a staff user (`Auth::identity_credentials`,
/// as the engine and the gallery use them), taken out and used with aws-cli, and by the
/// gallery's delete as if the app's admin check were bypassed: the local stack (moto with IAM
/// enforcement, the role policies rendered from infra/) refuses, the error says so plainly,
/// and no tombstone is left for a delete that did not happen.
#[tokio::test]
async fn a_staff_users_own_credentials_taken_out_of_the_app_cannot_delete_or_overwrite() {
    use aws_credential_types::provider::ProvideCredentials as _;
    let state = tempfile::tempdir().expect("tempdir");
    let (auth, _) = signed_in(state.path()).await;
    let provider = auth
        .identity_credentials()
        .await
        .expect("identity pool configured");
    let creds = provider.provide_credentials().await.expect("credentials");
    let bucket = &stack().info.moto.bucket;
    let existing = format!("originals/{}/existing.jpg", unique_name("staff-out"));
    let sha = lightbox_types::Sha256Digest::from([9; 32]);
    let meta = sync_core::upload::ObjectMeta {
        sha256: sha,
        original_name: "existing.jpg".to_owned(),
        capture_time: None,
        source_host: "test".to_owned(),
        uploader: "admin".to_owned(),
    };
    stack()
        .moto_s3()
        .put_object()
        .bucket(bucket)
        .key(&existing)
        .set_metadata(Some(meta.to_user_metadata()))
        .body(b"the studio's photo".to_vec().into())
        .send()
        .await
        .expect("the stack's owner puts an original");

    let cases = [
        (
            "delete-object of an original",
            vec![
                "s3api",
                "delete-object",
                "--bucket",
                bucket,
                "--key",
                &existing,
            ],
            "AccessDenied",
        ),
        (
            "put-object --if-none-match '*' onto the existing original",
            vec![
                "s3api",
                "put-object",
                "--bucket",
                bucket,
                "--key",
                &existing,
                "--if-none-match",
                "*",
                "--body",
                "/etc/hostname",
            ],
            "PreconditionFailed",
        ),
        (
            "put-object under another prefix",
            vec![
                "s3api",
                "put-object",
                "--bucket",
                bucket,
                "--key",
                "trash/x.jpg",
                "--if-none-match",
                "*",
                "--body",
                "/etc/hostname",
            ],
            "AccessDenied",
        ),
    ];
    for (what, args, expected) in cases {
        let got = aws_cli(&creds, &args);
        println!("| aws-cli with the app's staff credentials: {what} | {expected} | {got} |");
        assert_eq!(got, expected, "{what}");
    }

    // The gallery's own delete with the same credentials, as if the app's admin check were
    // bypassed: the server refuses, and says so.
    let moto = &stack().info.moto;
    let shared = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(stack().info.region.clone()))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build();
    let gallery = sync_core::gallery::Bucket {
        client: aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&shared)
                .force_path_style(true)
                .build(),
        ),
        bucket: bucket.clone(),
        credentials: sync_core::credential_expiry::CredentialExpiry::default(),
    };
    let catalog = sync_core::catalog::CatalogHandle::start(
        sync_core::catalog::Catalog::open_in_memory().expect("catalog"),
    )
    .expect("catalog thread");
    let now = jiff::Timestamp::now();
    let selection = vec![existing.clone()];
    let plan = gallery
        .preview_delete(&selection, lightbox_types::Role::Admin, now)
        .await
        .expect("preview");
    let err = gallery
        .delete(
            &catalog,
            &selection,
            &plan.token,
            lightbox_types::Role::Admin,
            "staff pretending",
            now,
        )
        .await
        .expect_err("the server refuses a staff delete");
    println!("the app shows: {err}");
    assert!(err.to_string().contains("AccessDenied"), "plainly: {err}");
    assert!(
        !catalog
            .run(move |c| c.is_tombstoned(sha))
            .await
            .expect("read"),
        "no tombstone for a delete the server refused"
    );
    assert_eq!(
        lightbox_tests::objects::get_object_bytes(&stack().moto_s3(), bucket, &existing).await,
        b"the studio's photo",
        "the original is untouched"
    );
}

/// The upload guard's probe with a staff user's own credentials on the IAM-enforcing stack:
/// its write is under `originals/` with `If-None-Match`, so the role may make it and the
/// probe finds the condition honoured (before, a write outside `originals/` was refused and
/// the engine fell back to a HEAD before every PUT).
#[tokio::test]
async fn the_overwrite_guard_probe_works_with_staff_credentials() {
    let state = tempfile::tempdir().expect("tempdir");
    let (auth, _) = signed_in(state.path()).await;
    let provider = auth
        .identity_credentials()
        .await
        .expect("identity pool configured");
    let moto = &stack().info.moto;
    let shared = aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(stack().info.region.clone()))
        .endpoint_url(&moto.endpoint)
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build();
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build(),
    );
    let guard = sync_core::upload::S3Transfer::new(&s3, &moto.bucket)
        .probe_overwrite_guard()
        .await;
    assert_eq!(guard, sync_core::upload::OverwriteGuard::IfNoneMatch);
}
