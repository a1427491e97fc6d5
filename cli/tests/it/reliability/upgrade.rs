//! Upgrades without loss: the daemon of the previous release uploading a folder is stopped
//! mid-run and replaced by this build (what installing a new package over a running daemon
//! does: stop, replace, start); the end state has nothing lost and nothing sent twice. Then
//! the way back: the previous release, started on the catalog this build migrated, refuses to
//! start with a clear message and leaves the catalog as it was.
//!
//! The previous release's binary is built once per commit by
//! `scripts/build-previous-release.sh` (which `scripts/test.sh` and `scripts/reliability.sh`
//! run before building) and cached at `$LIGHTBOX_CACHE/releases/<commit>/lightbox`;
//! `LIGHTBOX_PREVIOUS_RELEASE_BIN` names another binary. The test never builds it itself: the
//! build shares the target directory, where it would replace `target/debug/lightbox` under
//! the tests running beside it. Without the binary the test fails and says how to make it.
//! What it costs (2 cores): the test about 8 s; the old build once per commit, about 1 min
//! with the dependencies already built (its lock file pins no version this one lacks), and
//! 0 s once cached.

use std::path::PathBuf;
use std::process::Command;

use super::daemon::PATIENCE;
use super::{EndState, Form, Rig, Source, content_rng, seed, write_figures, write_source};
use crate::support::MIB;

/// The previous release: `v0.1.0` unless `PREVIOUS_RELEASE` names another ref.
fn previous_release_binary() -> PathBuf {
    if let Ok(bin) = std::env::var("LIGHTBOX_PREVIOUS_RELEASE_BIN") {
        return PathBuf::from(bin);
    }
    let release = std::env::var("PREVIOUS_RELEASE").unwrap_or_else(|_| "v0.1.0".to_owned());
    let root = lightbox_tests::stack::repo_root();
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["rev-parse", "--verify", &format!("{release}^{{commit}}")])
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "{release} is not a commit of this clone (git fetch --tags): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let cache = std::env::var("LIGHTBOX_CACHE").map_or_else(
        |_| PathBuf::from(std::env::var("HOME").expect("HOME is set")).join(".cache/lightbox"),
        PathBuf::from,
    );
    let bin = cache.join("releases").join(&commit).join("lightbox");
    assert!(
        bin.is_file(),
        "the previous release's binary is not built: run scripts/build-previous-release.sh \
         (scripts/reliability.sh does) to make {}",
        bin.display()
    );
    bin
}

/// The files a daemon logged as uploaded and sent (JSON log lines; not those it found
/// already in the bucket, `duplicate`).
fn uploaded_paths(log: &str) -> std::collections::BTreeSet<String> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| {
            line["fields"]["message"] == "uploaded" && line["fields"]["duplicate"] == false
        })
        .filter_map(|line| line["fields"]["path"].as_str().map(str::to_owned))
        .collect()
}

/// The catalog's schema version and a digest of its SQL dump (schema and rows), read by
/// Python's sqlite3 from outside Lightbox. Its bytes on disk may move between the file and
/// its WAL without any change of contents.
fn catalog_contents(catalog: &std::path::Path) -> String {
    let python = lightbox_tests::stack::stack().venv_bin("python");
    let out = Command::new(&python)
        .arg("-c")
        .arg(
            "import hashlib, sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1])\n\
             print(c.execute('pragma user_version').fetchone()[0])\n\
             print(hashlib.sha256('\\n'.join(c.iterdump()).encode()).hexdigest())",
        )
        .arg(catalog)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "reading the catalog failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliability_upgrade_mid_run_loses_and_resends_nothing_and_a_downgrade_is_refused() {
    let old = previous_release_binary();
    let form = Form::from_env();
    let seed = seed("upgrade");
    let mut rng = content_rng(seed);
    let (small, medium) = match form {
        Form::Short => (8, 2),
        Form::Long => (40, 6),
    };
    let mut rig = Rig::new("upgrade").await;
    rig.daemon.set_program(&old);
    let mut sources: Vec<Source> = Vec::new();
    let mut add = |sources: &mut Vec<Source>, name: String, size: u64| {
        sources.push(write_source(
            &rig.camera,
            &name,
            &rig.jpeg_head,
            size,
            &mut rng,
        ));
    };
    // Multipart (16 MiB threshold, 8 MiB parts): in flight when the old one stops.
    for i in 0..medium {
        add(&mut sources, format!("MED_{i:03}.JPG"), 25 * MIB);
    }
    for i in 0..small {
        add(&mut sources, format!("IMG_{i:04}.JPG"), 200 * 1024);
    }

    // The previous release uploads, held to 4 MiB/s so that the multipart files are still
    // going, until the first file is in the bucket; then it is stopped the way a package
    // upgrade stops it (SIGTERM, its graceful stop).
    rig.daemon
        .set_env("LIGHTBOX_UPLOAD__BANDWIDTH_LIMIT_MIB_PER_SEC", "4");
    let first = rig.daemon.start();
    rig.daemon.wait_for_line(first, "\"message\":\"uploaded\"");
    rig.daemon.terminate();
    let uploaded_by_old = uploaded_paths(&rig.daemon.log_since(first));
    assert!(
        uploaded_by_old.len() < sources.len(),
        "the previous release was replaced mid-run, with files still to upload: \
         {uploaded_by_old:?}"
    );

    // This build on the same state directory: the catalog migrates forward, and more files
    // arrive while it works.
    rig.daemon
        .set_program(std::path::Path::new(env!("CARGO_BIN_EXE_lightbox")));
    // Unlimited again (0), for this build and every start after.
    rig.daemon
        .set_env("LIGHTBOX_UPLOAD__BANDWIDTH_LIMIT_MIB_PER_SEC", "0");
    let second = rig.daemon.start();
    for i in small..small + 4 {
        add(&mut sources, format!("IMG_{i:04}.JPG"), 200 * 1024);
    }
    let files = u64::try_from(sources.len()).expect("a few files");
    rig.daemon.wait_all_finished(files);
    rig.daemon.terminate();
    let uploaded_by_new = uploaded_paths(&rig.daemon.log_since(second));
    let sent_twice: Vec<_> = uploaded_by_old.intersection(&uploaded_by_new).collect();
    assert!(
        sent_twice.is_empty(),
        "this build sent nothing the previous release had uploaded again: {sent_twice:?}"
    );
    let end = EndState::check(&rig.bucket, &rig.daemon.catalog(), &sources, rig.dir.path());
    end.assert_clean(&rig.daemon.log_tail(60));

    // The way back: the previous release refuses the migrated catalog.
    let catalog_before = catalog_contents(&rig.daemon.catalog());
    rig.daemon.set_program(&old);
    let third = rig.daemon.start();
    let exit = rig.daemon.wait_exit(PATIENCE);
    let refusal = rig.daemon.log_since(third);
    assert!(
        exit.is_some_and(|status| !status.success()),
        "the previous release must not run on a catalog of a newer schema (exit {exit:?}):\n{refusal}"
    );
    // "catalog … has schema version {found}, but this Lightbox knows only up to {supported}"
    let versions = refusal
        .split_once("has schema version ")
        .and_then(|(_, rest)| {
            let (found, rest) = rest.split_once(", but this Lightbox knows only up to ")?;
            let supported: String = rest.chars().take_while(char::is_ascii_digit).collect();
            Some((found.parse::<i64>().ok()?, supported.parse::<i64>().ok()?))
        });
    let Some((found, supported)) = versions else {
        panic!("it says why, with both schema versions:\n{refusal}");
    };
    assert!(
        found > supported,
        "this build migrated the catalog forward ({found}), past what the previous release \
         knows ({supported})"
    );
    assert_eq!(
        catalog_contents(&rig.daemon.catalog()),
        catalog_before,
        "the refused start left the catalog as it was (schema version and every row)"
    );
    // And this build still takes it up where it was.
    rig.daemon
        .set_program(std::path::Path::new(env!("CARGO_BIN_EXE_lightbox")));
    rig.daemon.start();
    rig.daemon.wait_all_finished(files);
    rig.daemon.terminate();
    let after = EndState::check(&rig.bucket, &rig.daemon.catalog(), &sources, rig.dir.path());
    after.assert_clean("after the refused downgrade");

    write_figures(
        "upgrade",
        &end.figures(
            &sources,
            serde_json::json!({
                "seed": seed,
                "uploaded_by_previous_release": uploaded_by_old.len(),
                "uploaded_by_this_build": uploaded_by_new.len(),
                "downgrade_refused": true,
            }),
        ),
    );
}
