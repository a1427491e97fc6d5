//! The `lightbox` binary against the local stack.

use std::process::Command;

use lightbox_tests::stack;

use crate::support::Daemon;

fn lightbox() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lightbox"));
    cmd.envs(stack().env_vars());
    cmd
}

#[test]
fn check_reaches_the_local_garage_bucket() {
    let out = lightbox().arg("check").output().expect("lightbox runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "lightbox check must reach the provisioned bucket: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("lightbox-dev"),
        "it names the bucket it checked: {stdout}"
    );
}

#[test]
fn check_explains_a_missing_bucket() {
    let out = lightbox()
        .arg("check")
        .env("LIGHTBOX_STORAGE__BUCKET", "no-such-bucket-here")
        .output()
        .expect("lightbox runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a missing bucket is a failure");
    assert!(
        stderr.contains("no-such-bucket-here"),
        "the message names the bucket: {stderr}"
    );
    assert!(
        stderr.contains("check storage.endpoint"),
        "and says what to check: {stderr}"
    );
}

#[test]
fn a_kill_during_hashing_hashes_and_plans_the_file_once_after_restart() {
    let mut daemon = Daemon::new();
    // A 3 GiB sparse file: reading it takes long enough to be caught mid-hash.
    let big = daemon.camera().join("BIG_0001.DNG");
    std::fs::File::create(&big)
        .expect("create")
        .set_len(3 << 30)
        .expect("sparse");
    daemon.start(&[]);
    let caught = daemon.wait_until("hashing to start", |s| s["ready"] == 1);
    daemon.kill("-KILL");
    assert_eq!(caught["planned"], 0, "killed before the plan: {caught}");
    let after_kill = daemon.status();
    assert_eq!(
        after_kill["ready"], 1,
        "the catalog kept the file as ready-to-hash: {after_kill}"
    );

    daemon.start(&[]);
    // Planned, or already further (the daemon uploads it at once, without reading it again).
    let done = daemon.wait_until("the plan after restart", |s| {
        ["planned", "uploading", "uploaded", "done"]
            .iter()
            .filter_map(|state| s[state].as_u64())
            .sum::<u64>()
            == 1
    });
    daemon.kill("-TERM");
    let total: u64 = done
        .as_object()
        .expect("object")
        .values()
        .filter_map(serde_json::Value::as_u64)
        .sum();
    assert_eq!(
        total, 1,
        "one row, planned once, nothing duplicated: {done}"
    );
    assert!(!daemon.log().contains("panicked"), "{}", daemon.log());
}

#[test]
fn an_unreadable_photo_fails_with_a_message_that_says_what_to_do() {
    use std::os::unix::fs::PermissionsExt;
    let mut daemon = Daemon::new();
    let locked = daemon.camera().join("locked.jpg");
    std::fs::write(&locked, b"secret").expect("write");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    // Tests run as root here, and root reads anything: drop the capabilities that let
    // it, so the daemon meets the file as a studio user would.
    daemon.start(&["setpriv", "--bounding-set=-dac_override,-dac_read_search"]);
    let status = daemon.wait_until("the failure", |s| s["failed"] == 1);
    daemon.kill("-TERM");
    assert_eq!(status["planned"], 0, "{status}");
    let log = daemon.log();
    assert!(
        log.contains("ingest_permission_denied"),
        "the failure has its code: {log}"
    );
    assert!(log.contains("read access"), "and says what to do: {log}");
}
