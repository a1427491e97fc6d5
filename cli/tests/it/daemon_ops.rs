//! What an operator runs: `lightbox doctor`, and the daemon's /health and /metrics,
//! against the local stack.

use std::process::Command;

use lightbox_tests::stack;

use crate::support::Daemon;

fn doctor(extra_env: &[(&str, &str)]) -> (bool, serde_json::Value) {
    let state = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_lightbox"))
        .envs(stack().env_vars())
        .env("LIGHTBOX_STATE_DIR", state.path())
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

/// GET `path` from the daemon's ops address; `None` while it is not answering yet.
fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
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
