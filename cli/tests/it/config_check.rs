//! `lightbox config check` against the local stack: the studio's pieces checked without
//! signing in (moto answers the unsigned requests as AWS does: scripts/moto_cognito.py). The
//! desktop config is used, whose bucket is in moto: Garage answers any unsigned request 403,
//! so a missing bucket there looks private and present (docs/local-stack.md).

use std::process::{Command, Output};

use lightbox_tests::stack;
use serde_json::Value;

use crate::support::text;

/// `lightbox config check --json` on the stack's desktop config, with `overrides` as
/// `LIGHTBOX_*` settings.
fn check(overrides: &[(&str, &str)]) -> (Output, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_lightbox"))
        .args(["config", "check", "--json"])
        .envs(stack().env_vars())
        .env("LIGHTBOX_CONFIG", stack().dir.join("desktop.toml"))
        .envs(overrides.iter().copied())
        .output()
        .expect("lightbox runs");
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("config check --json prints JSON ({e}): {}", text(&out)));
    (out, json)
}

fn statuses(results: &Value) -> Vec<(String, String)> {
    results
        .as_array()
        .expect("an array of results")
        .iter()
        .map(|r| {
            (
                r["check"].as_str().unwrap_or_default().to_owned(),
                r["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_stacks_studio_passes_and_each_wrong_setting_fails_alone_in_plain_words() {
    let (out, results) = check(&[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        statuses(&results),
        [
            ("user_pool".to_owned(), "passed".to_owned()),
            ("app_client".to_owned(), "passed".to_owned()),
            ("identity_pool".to_owned(), "passed".to_owned()),
            ("bucket".to_owned(), "passed".to_owned()),
        ],
        "{results}"
    );

    let cases = [
        (
            "LIGHTBOX_AUTH__COGNITO__USER_POOL_ID",
            "us-east-1_NoSuchPool",
            "user_pool",
            "There is no user pool us-east-1_NoSuchPool",
        ),
        (
            "LIGHTBOX_AUTH__COGNITO__CLIENT_ID",
            "nosuchclient",
            "app_client",
            "There is no app client nosuchclient",
        ),
        (
            "LIGHTBOX_AUTH__COGNITO__IDENTITY_POOL_ID",
            "us-east-1:00000000-0000-0000-0000-000000000000",
            "identity_pool",
            "There is no identity pool us-east-1:00000000",
        ),
        (
            "LIGHTBOX_STORAGE__BUCKET",
            "no-such-bucket-lightbox",
            "bucket",
            "There is no bucket no-such-bucket-lightbox",
        ),
    ];
    for (setting, value, failing, words) in cases {
        let (out, results) = check(&[(setting, value)]);
        assert!(!out.status.success(), "{setting}: exit 1: {}", text(&out));
        for (check, status) in statuses(&results) {
            let expected = if check == failing { "failed" } else { "passed" };
            assert_eq!(status, expected, "{setting}: {check}: {results}");
        }
        let detail = results
            .as_array()
            .and_then(|r| r.iter().find(|r| r["check"] == failing))
            .and_then(|r| r["detail"].as_str())
            .unwrap_or_default()
            .to_owned();
        assert!(detail.contains(words), "{setting}: {detail:?}");
    }

    let (out, results) = check(&[("LIGHTBOX_INDEX__TABLE", "lightbox-index")]);
    assert!(
        out.status.success(),
        "not checked is no failure: {}",
        text(&out)
    );
    assert_eq!(
        statuses(&results).last(),
        Some(&("index_table".to_owned(), "not_checked".to_owned())),
        "{results}"
    );
}
