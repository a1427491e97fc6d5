//! The `lightbox` binary against the local stack.

use std::process::Command;

use lightbox_tests::stack;

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
