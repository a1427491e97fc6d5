//! What an operator runs: `lightbox doctor`, and the daemon's /health and /metrics,
//! against the local stack.

use std::path::Path;
use std::process::Command;

use lightbox_tests::objects::moto_bucket;
use lightbox_tests::stack;

use crate::support::{Daemon, TEMPORARY_PASSWORD, create_pool_user, http_get, lightbox, text};

fn doctor(extra_env: &[(&str, &str)]) -> (bool, serde_json::Value) {
    let state = tempfile::tempdir().expect("tempdir");
    doctor_in(state.path(), extra_env)
}

/// `lightbox doctor --json` with `state` as its state dir: whether it passed, and its checks.
fn doctor_in(state: &Path, extra_env: &[(&str, &str)]) -> (bool, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_lightbox"))
        .envs(stack().env_vars())
        .env("LIGHTBOX_STATE_DIR", state)
        .envs(extra_env.iter().copied())
        .args(["doctor", "--json"])
        .output()
        .expect("lightbox runs");
    let checks = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor --json prints JSON ({e}): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), checks)
}

fn status_of<'a>(checks: &'a serde_json::Value, name: &str) -> &'a str {
    checks
        .as_array()
        .and_then(|a| a.iter().find(|c| c["name"] == name))
        .and_then(|c| c["status"].as_str())
        .unwrap_or_else(|| panic!("no `{name}` check in {checks:#}"))
}

#[test]
fn doctor_passes_on_the_local_stack() {
    let (passed, checks) = doctor(&[]);
    assert!(
        passed,
        "every check passes against the provisioned Garage bucket: {checks:#}"
    );
    for name in [
        "config",
        "free_disk",
        "inotify_watches",
        "bucket_access",
        "clock_skew",
    ] {
        assert_eq!(status_of(&checks, name), "ok", "{name}: {checks:#}");
    }
}

#[test]
fn doctor_names_a_missing_bucket_and_how_to_fix_it() {
    let (passed, checks) = doctor(&[("LIGHTBOX_STORAGE__BUCKET", "no-such-bucket-for-doctor")]);
    assert!(
        !passed,
        "a missing bucket must fail the doctor (exit 1): {checks:#}"
    );
    assert_eq!(status_of(&checks, "bucket_access"), "fail");
    let text = checks.to_string();
    assert!(
        text.contains("does not exist") && text.contains("storage.bucket"),
        "{text}"
    );
}

/// The doctor says which mode is in force: one station's catalog (the stack's plain config),
/// or the shared index, whose table it reads (the stack's `lightbox-index.toml`, moto's
/// table); a table that does not exist fails with what to fix.
#[test]
fn doctor_names_the_index_mode_and_reads_the_shared_table() {
    let detail = |checks: &serde_json::Value| -> String {
        checks
            .as_array()
            .and_then(|a| a.iter().find(|c| c["name"] == "index"))
            .and_then(|c| c["detail"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (passed, checks) = doctor(&[]);
    assert!(passed, "{checks:#}");
    assert_eq!(status_of(&checks, "index"), "ok");
    assert!(
        detail(&checks).starts_with("one-station mode"),
        "{checks:#}"
    );

    let indexed = stack().dir.join("lightbox-index.toml");
    let indexed = indexed.to_str().expect("a UTF-8 path");
    let (passed, checks) = doctor(&[("LIGHTBOX_CONFIG", indexed)]);
    assert!(passed, "{checks:#}");
    assert_eq!(status_of(&checks, "index"), "ok");
    let table = &stack().info.moto.index_table;
    assert!(
        detail(&checks).starts_with(&format!("shared mode: table {table}")),
        "{checks:#}"
    );

    let (passed, checks) = doctor(&[
        ("LIGHTBOX_CONFIG", indexed),
        ("LIGHTBOX_INDEX__TABLE", "no-such-index-table"),
    ]);
    assert!(!passed, "a missing table fails the doctor: {checks:#}");
    assert_eq!(status_of(&checks, "index"), "fail", "{checks:#}");
}

#[test]
fn doctor_without_a_bucket_setting_fails_the_config_check() {
    let (passed, checks) = doctor(&[("LIGHTBOX_STORAGE__BUCKET", "")]);
    assert!(!passed);
    assert_eq!(status_of(&checks, "config"), "fail", "{checks:#}");
    assert!(
        checks.to_string().contains("import-terraform"),
        "says how to get a config: {checks:#}"
    );
}

/// The doctor's own probe, run twice as `role` would on AWS: both runs pass, the bucket check
/// is ok, and the probe stays in the bucket (neither staff nor the daemon may delete), so the
/// second run met the first's object (412) and read it back.
fn doctor_passes_twice_and_the_probe_stays(role: &str, state: &Path, env: &[(&str, &str)]) {
    for run in ["first", "second"] {
        let (passed, checks) = doctor_in(state, env);
        assert!(passed, "{role}, {run} run: {checks:#}");
        assert_eq!(
            status_of(&checks, "bucket_access"),
            "ok",
            "{role}: {checks:#}"
        );
    }
}

/// `lightbox doctor` itself with the studio's real roles on the IAM-enforcing stack (moto
/// checks every request against the caller's role): a staff member signed in through the
/// identity pool, and the daemon's role as an instance profile hands it out. Before its probe
/// moved under `originals/` with If-None-Match, both roles failed the doctor with AccessDenied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_as_staff_and_as_the_daemon_with_the_roles_aws_enforces() {
    let admin_s3 = stack().moto_s3();
    let bucket = moto_bucket(&admin_s3, "doctor-roles").await;
    let config = stack().dir.join("desktop.toml");
    let config = config.to_str().expect("a UTF-8 path");
    let probe = format!(
        "originals/.lightbox/doctor/{}",
        sync_core::engine::source_host()
    );

    // The daemon: its role's keys in the environment, the default credential chain.
    let daemon = stack().moto_role_credentials("lightbox-studio-daemon");
    let state = tempfile::tempdir().expect("tempdir");
    let token = daemon
        .session_token()
        .expect("assumed-role credentials carry a token");
    doctor_passes_twice_and_the_probe_stays(
        "the daemon",
        state.path(),
        &[
            ("LIGHTBOX_CONFIG", config),
            ("LIGHTBOX_STORAGE__BUCKET", &bucket),
            ("LIGHTBOX_AUTH__CREDENTIALS", "default-chain"),
            ("AWS_ACCESS_KEY_ID", daemon.access_key_id()),
            ("AWS_SECRET_ACCESS_KEY", daemon.secret_access_key()),
            ("AWS_SESSION_TOKEN", token),
        ],
    );
    admin_s3
        .head_object()
        .bucket(&bucket)
        .key(&probe)
        .send()
        .await
        .unwrap_or_else(|e| panic!("the daemon's probe {probe} stays: {e:?}"));

    // Staff: `lightbox login`, then the doctor with the identity pool's credentials.
    let user = create_pool_user("doctor", "staff").await;
    let state = tempfile::tempdir().expect("tempdir");
    let out = lightbox(
        state.path(),
        &["login", "--username", &user, "--password-stdin"],
        &format!("{TEMPORARY_PASSWORD}\nBrand-New-Pass-42\n"),
    );
    assert!(out.status.success(), "staff sign-in: {}", text(&out));
    doctor_passes_twice_and_the_probe_stays(
        "staff",
        state.path(),
        &[
            ("LIGHTBOX_CONFIG", config),
            ("LIGHTBOX_STORAGE__BUCKET", &bucket),
            ("LIGHTBOX_AUTH__CREDENTIALS", "cognito"),
            ("LIGHTBOX_AUTH__COGNITO__REFRESH_TOKEN_STORE", "file"),
        ],
    );

    // And the roles are really in force: the daemon's keys may not delete the probe.
    let refused = stack()
        .moto_s3_as(daemon)
        .delete_object()
        .bucket(&bucket)
        .key(&probe)
        .send()
        .await;
    assert!(
        refused.is_err(),
        "the daemon's role may not delete: {refused:?}"
    );
}

#[test]
fn the_daemon_serves_health_and_counts_an_upload_in_its_metrics() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let bucket = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(stack().fresh_garage_bucket("ops-metrics"));
    let mut daemon = Daemon::new()
        .with_env("LIGHTBOX_DAEMON__LISTEN", &addr)
        .with_env("LIGHTBOX_STORAGE__BUCKET", &bucket);
    daemon.start(&[]);
    std::fs::write(daemon.camera().join("IMG_0001.JPG"), vec![7u8; 200_000]).expect("write photo");

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let metrics = loop {
        let metrics = http_get(&addr, "/metrics").unwrap_or_default();
        if metrics
            .lines()
            .any(|l| l == "lightbox_uploaded_files_total 1")
        {
            break metrics;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never showed in /metrics:\n{metrics}\n{}",
            daemon.log()
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        metrics.contains("lightbox_uploaded_bytes_total 200000"),
        "the photo's bytes are counted: {metrics}"
    );
    assert!(
        metrics.contains("lightbox_upload_duration_seconds_count 1"),
        "its upload time is in the histogram: {metrics}"
    );
    let health = http_get(&addr, "/health").expect("health answers");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    daemon.kill("-TERM");
    assert!(
        http_get(&addr, "/health").is_none(),
        "a stopped daemon no longer answers on {addr}"
    );
}
