//! `lightbox config import-terraform` on a sample `terraform output -json` file:
//! the config it writes is one `lightbox` reads back; it never replaces a file
//! without --force; bad input fails naming what is wrong. No stack needed.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../infra/examples/studio/terraform-output.example.json")
}

fn lightbox(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lightbox"))
        .args(args)
        .env_remove("LIGHTBOX_CONFIG")
        .output()
        .expect("lightbox runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn import_terraform_writes_a_config_that_lightbox_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("lightbox").join("config.toml");
    let config_arg = config.to_str().expect("utf-8 path");
    let sample = sample();
    let sample_arg = sample.to_str().expect("utf-8 path");

    let out = lightbox(&[
        "config",
        "import-terraform",
        sample_arg,
        "--write",
        config_arg,
    ]);
    assert!(out.status.success(), "the sample imports: {}", text(&out));

    let shown = lightbox(&["--config", config_arg, "config", "show", "--json"]);
    assert!(
        shown.status.success(),
        "lightbox loads the written config: {}",
        text(&shown)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&shown.stdout).expect("config show --json prints JSON");
    assert_eq!(
        json["storage"]["bucket"], "acme-studio-photos",
        "bucket from the output"
    );
    assert_eq!(
        json["auth"]["cognito"]["user_pool_id"],
        "eu-west-1_AbCdEf123"
    );
    assert_eq!(
        json["auth"]["cognito"]["identity_pool_id"],
        "eu-west-1:11111111-2222-3333-4444-555555555555"
    );

    let again = lightbox(&[
        "config",
        "import-terraform",
        sample_arg,
        "--write",
        config_arg,
    ]);
    assert!(
        !again.status.success(),
        "an existing config is never replaced silently"
    );
    assert!(
        text(&again).contains("already exists: pass --force"),
        "and the message says how to replace it: {}",
        text(&again)
    );

    let forced = lightbox(&[
        "config",
        "import-terraform",
        sample_arg,
        "--write",
        config_arg,
        "--force",
    ]);
    assert!(
        forced.status.success(),
        "--force replaces it: {}",
        text(&forced)
    );
}

#[test]
fn import_terraform_prints_to_stdout_without_write() {
    let sample = sample();
    let out = lightbox(&[
        "config",
        "import-terraform",
        sample.to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        stdout.contains("[storage]") && stdout.contains("[auth.cognito]"),
        "it prints both sections: {stdout}"
    );
}

#[test]
fn import_terraform_names_the_missing_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("tf.json");
    std::fs::write(
        &bad,
        r#"{"lightbox": {"value": {"region": "eu-west-1", "user_pool_id": "p", "client_id": "c", "identity_pool_id": "i"}}}"#,
    )
    .expect("write fixture");
    let out = lightbox(&["config", "import-terraform", bad.to_str().expect("utf-8")]);
    assert!(
        !out.status.success(),
        "an output without a bucket is refused"
    );
    assert!(
        text(&out).contains("has no `bucket`"),
        "the message names the field: {}",
        text(&out)
    );
}
