//! The daemon under test: `lightbox run` on one state directory and camera folder, started
//! and killed again and again, its logs appended to one file so a test can wait for a line.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lightbox_tests::stack;

/// How long any one wait may take before the test fails with the log; never asserted on.
pub const PATIENCE: Duration = Duration::from_secs(300);

pub struct DaemonUnderTest {
    dir: PathBuf,
    /// The `lightbox` binary run (this build's, unless [`DaemonUnderTest::set_program`]).
    program: PathBuf,
    env: Vec<(String, String)>,
    child: Option<Child>,
    starts: u32,
}

impl DaemonUnderTest {
    /// A daemon on `dir/state` watching `dir/camera`, uploading to `bucket` through `endpoint`.
    pub fn new(dir: &Path, bucket: &str, endpoint: &str) -> Self {
        std::fs::create_dir_all(dir.join("camera")).expect("mkdir camera");
        let env = [
            (
                "LIGHTBOX_STATE_DIR",
                dir.join("state").display().to_string(),
            ),
            ("LIGHTBOX_STORAGE__BUCKET", bucket.to_owned()),
            ("LIGHTBOX_STORAGE__ENDPOINT", endpoint.to_owned()),
            ("LIGHTBOX_INGEST__SETTLE__BASE_MS", "300".to_owned()),
            ("LIGHTBOX_INGEST__SETTLE__EXTRA_MS_PER_STEP", "0".to_owned()),
            // 25 MiB files go up in 8 MiB parts: every multipart phase is reached often.
            ("LIGHTBOX_UPLOAD__MULTIPART_THRESHOLD_MIB", "16".to_owned()),
            ("LIGHTBOX_UPLOAD__PART_SIZE_MIB", "8".to_owned()),
            // One daemon owns this bucket: a multipart upload its journal does not know (a
            // kill between CreateMultipartUpload's reply and the journal) is ours to abort at
            // the next start, not after the default 24 h.
            ("LIGHTBOX_UPLOAD__ORPHAN_MIN_AGE_HOURS", "0".to_owned()),
            ("LIGHTBOX_UPLOAD__SHUTDOWN_GRACE_SECS", "5".to_owned()),
            // One JSON object per line: a step is found by its fields.
            ("LIGHTBOX_LOG_FORMAT", "json".to_owned()),
            // Phase events (settling, hashing) are logged at debug.
            (
                "LIGHTBOX_LOG",
                "info,lightbox=debug,aws_config=warn".to_owned(),
            ),
        ];
        Self {
            dir: dir.to_path_buf(),
            program: PathBuf::from(env!("CARGO_BIN_EXE_lightbox")),
            env: env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(),
            child: None,
            starts: 0,
        }
    }

    /// Run `program` (another build of `lightbox`) from the next start on.
    pub fn set_program(&mut self, program: &Path) {
        self.program = program.to_path_buf();
    }

    /// Also set `key=value` for every run.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// Serve `/health` and `/metrics` on a free loopback port; returns the address.
    pub fn serve_metrics(&mut self) -> std::net::SocketAddr {
        let addr = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        self.set_env("LIGHTBOX_DAEMON__LISTEN", &addr.to_string());
        addr
    }

    pub fn camera(&self) -> PathBuf {
        self.dir.join("camera")
    }

    pub fn catalog(&self) -> PathBuf {
        self.dir.join("state").join("catalog.sqlite")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("daemon.log")
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.envs(stack().env_vars())
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Start `lightbox run --folder camera`; returns the log offset where this run begins.
    pub fn start(&mut self) -> u64 {
        assert!(self.child.is_none(), "the daemon is already running");
        self.starts += 1;
        let mut log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("open the daemon log");
        writeln!(log, "===== start {} =====", self.starts).expect("write the daemon log");
        let offset = log.metadata().expect("log metadata").len();
        let child = self
            .command()
            .arg("run")
            .arg("--folder")
            .arg(self.camera())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("lightbox run starts");
        self.child = Some(child);
        offset
    }

    /// The log from `offset` on.
    pub fn log_since(&self, offset: u64) -> String {
        let all = std::fs::read(self.log_path()).unwrap_or_default();
        let from = usize::try_from(offset).unwrap_or(usize::MAX).min(all.len());
        String::from_utf8_lossy(&all[from..]).into_owned()
    }

    /// The last `n` lines of the whole log, for a failure message.
    pub fn log_tail(&self, n: usize) -> String {
        let all = self.log_since(0);
        let lines: Vec<&str> = all.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Poll `check` (every 5 ms) until it answers `Some`, or `patience` passes (`None`).
    /// Panics when the daemon exits meanwhile.
    pub fn poll<T>(
        &mut self,
        patience: Duration,
        mut check: impl FnMut(&Self) -> Option<T>,
    ) -> Option<T> {
        let started = Instant::now();
        loop {
            if let Some(found) = check(self) {
                return Some(found);
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!("the daemon exited ({status}):\n{}", self.log_tail(60));
            }
            if started.elapsed() > patience {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Wait until the log since `offset` contains `needle`.
    pub fn wait_for_line(&mut self, offset: u64, needle: &str) {
        let found = self.poll(PATIENCE, |d| {
            d.log_since(offset).contains(needle).then_some(())
        });
        assert!(
            found.is_some(),
            "the daemon did not log {needle:?}:\n{}",
            self.log_tail(60)
        );
    }

    /// Wait up to `patience` for the daemon to exit by itself (a start it refuses): its exit
    /// status, or `None` if it is still running (then it is killed).
    pub fn wait_exit(&mut self, patience: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let started = Instant::now();
        while started.elapsed() < patience {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _killed = child.kill();
        let _reaped = child.wait();
        None
    }

    /// SIGKILL: no chance to journal or clean up.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL the daemon");
            child.wait().expect("reap the daemon");
        }
    }

    /// SIGTERM and wait: the graceful stop.
    pub fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .expect("kill runs");
            assert!(status.success(), "the daemon was running");
            let exit = child.wait().expect("reap the daemon");
            assert!(
                exit.success(),
                "a graceful stop exits 0, got {exit}:\n{}",
                self.log_tail(40)
            );
        }
    }

    /// `lightbox status --json` (files by state), read while the daemon runs.
    pub fn states(&self) -> serde_json::Map<String, serde_json::Value> {
        let out = self
            .command()
            .args(["status", "--json"])
            .output()
            .expect("lightbox status runs");
        match serde_json::from_slice(&out.stdout) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }

    /// Wait until the catalog holds `files` rows, all `done` or `skipped`.
    pub fn wait_all_finished(&mut self, files: u64) {
        let mut last = serde_json::Map::new();
        let found = self.poll(PATIENCE * 2, |d| {
            let states = d.states();
            let count = |s: &str| {
                states
                    .get(s)
                    .and_then(serde_json::Value::as_u64)
                    .unwrap_or(0)
            };
            let total: u64 = states.values().filter_map(serde_json::Value::as_u64).sum();
            let finished = count("done") + count("skipped");
            let done = total == files && finished == files;
            last = states;
            std::thread::sleep(Duration::from_millis(200));
            done.then_some(())
        });
        assert!(
            found.is_some(),
            "not all {files} files finished: {last:?}\n{}",
            self.log_tail(80)
        );
    }
}

impl Drop for DaemonUnderTest {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _killed = child.kill();
            let _reaped = child.wait();
        }
    }
}

/// `GET path` from the daemon's ops server: the body, or `None` when it does not answer.
pub fn http_get(addr: std::net::SocketAddr, path: &str) -> Option<String> {
    use std::io::Read as _;
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n").map(|(_, body)| body.to_owned())
}

/// The value of one Prometheus sample line (`name{labels} value`), 0 when absent.
pub fn metric(text: &str, sample: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.trim().parse::<f64>().ok())
        .map_or(0, |v| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = v as u64;
            n
        })
}
