//! What an operator runs: `lightbox doctor` against the local stack.

use std::process::Command;

use lightbox_tests::stack;

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
