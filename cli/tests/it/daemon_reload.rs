//! SIGHUP to `lightbox run`: the settings file is read again; the bandwidth limit is applied at
//! once, a setting that needs a restart is named in the log, and a file that does not load
//! leaves the daemon running on the settings in force.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lightbox_tests::stack;

use crate::support::PATIENCE;

fn wait_for_log(log: &std::path::Path, needles: &[&str]) -> String {
    let started = Instant::now();
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text
            .lines()
            .any(|line| needles.iter().all(|n| line.contains(n)))
        {
            return text;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "no log line with all of {needles:?}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn hangup(pid: u32) {
    let status = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "the daemon is running");
}

#[test]
fn sighup_applies_the_bandwidth_limit_and_names_what_needs_a_restart() {
    let stack = stack();
    let dir = tempfile::tempdir().expect("tempdir");
    let base = std::fs::read_to_string(stack.dir.join("lightbox.toml")).expect("stack config");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!("{base}\n[upload]\nbandwidth_limit_mib_per_sec = 50\n"),
    )
    .expect("write config");
    let camera = dir.path().join("camera");
    std::fs::create_dir_all(&camera).expect("mkdir");
    let log = dir.path().join("daemon.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_lightbox"))
        .envs(stack.env_vars())
        .env("LIGHTBOX_STATE_DIR", dir.path().join("state"))
        .arg("--config")
        .arg(&config)
        .arg("run")
        .arg("--folder")
        .arg(&camera)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("lightbox run starts");
    wait_for_log(&log, &["lightbox is running"]);

    std::fs::write(
        &config,
        format!("{base}\n[upload]\nbandwidth_limit_mib_per_sec = 7\nconcurrency = 2\n"),
    )
    .expect("rewrite config");
    hangup(child.id());
    wait_for_log(
        &log,
        &[
            "SIGHUP: setting applied",
            "upload.bandwidth_limit_mib_per_sec",
            "new=7",
        ],
    );
    wait_for_log(&log, &["upload controls", "Some(7)"]);
    wait_for_log(
        &log,
        &[
            "only after a restart",
            "setting=upload.concurrency",
            "new=2",
        ],
    );

    // A file that does not load: the daemon says so and carries on.
    std::fs::write(&config, format!("{base}\n[upload]\nconcurency = 3\n")).expect("typo");
    hangup(child.id());
    wait_for_log(
        &log,
        &[
            "settings not reloaded, the ones in force stay",
            "concurency",
        ],
    );
    assert!(
        child.try_wait().expect("poll the daemon").is_none(),
        "a bad settings file does not stop the daemon"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = child.wait().expect("the daemon exits");
    assert!(
        exit.success(),
        "a graceful stop after reloads: {exit}\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
}
