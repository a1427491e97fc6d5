//! Shared helpers of the CLI's tests: the `lightbox run` daemon on its own state directory. The
//! engine, photo, object and pool-user helpers are the test-support crate's (`lightbox_tests`).

use std::io::Write as _;
use std::process::{Command, Output, Stdio};

pub use lightbox_tests::objects::get_object_bytes;
pub use lightbox_tests::photos::{MIB, Photo, write_photo};
pub use lightbox_tests::pool_users::{TEMPORARY_PASSWORD, create_pool_user};
use lightbox_tests::stack;
pub use lightbox_tests::test_engine::{PATIENCE, TestEngine, fast_ingest};

/// A `lightbox run` daemon on its own state dir, with fast settling.
pub struct Daemon {
    dir: tempfile::TempDir,
    child: Option<std::process::Child>,
    env: Vec<(String, String)>,
}

impl Daemon {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("camera")).expect("mkdir");
        Self {
            dir,
            child: None,
            env: Vec::new(),
        }
    }

    /// Also set `key=value` in the environment of every command it runs.
    #[must_use]
    pub fn with_env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    pub fn camera(&self) -> std::path::PathBuf {
        self.dir.path().join("camera")
    }

    /// `lightbox`, run through `wrapper` (a program and its arguments) when given.
    pub fn command(&self, wrapper: &[&str]) -> Command {
        let mut cmd = match wrapper.split_first() {
            Some((program, args)) => {
                let mut c = Command::new(program);
                c.args(args).arg(env!("CARGO_BIN_EXE_lightbox"));
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_lightbox")),
        };
        cmd.envs(stack().env_vars())
            .env("LIGHTBOX_STATE_DIR", self.dir.path().join("state"))
            .env("LIGHTBOX_INGEST__SETTLE__BASE_MS", "200")
            .env("LIGHTBOX_INGEST__SETTLE__EXTRA_MS_PER_STEP", "0")
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Start `lightbox run --folder camera`, logging to `log` (stderr) and writing its stdout
    /// (the EMF lines) to `stdout`.
    pub fn start(&mut self, wrapper: &[&str]) {
        let log = std::fs::File::create(self.dir.path().join("daemon.log")).expect("log file");
        let stdout =
            std::fs::File::create(self.dir.path().join("stdout.log")).expect("stdout file");
        let mut cmd = self.command(wrapper);
        let child = cmd
            .arg("run")
            .arg("--folder")
            .arg(self.camera())
            .stdout(stdout)
            .stderr(log)
            .spawn()
            .expect("lightbox run starts");
        self.child = Some(child);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }

    /// What the daemon wrote on stdout (with `daemon.emf`, its EMF lines).
    pub fn stdout(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("stdout.log")).unwrap_or_default()
    }

    /// `lightbox status --json`, read while the daemon runs.
    pub fn status(&self) -> serde_json::Value {
        let out = self
            .command(&[])
            .args(["status", "--json"])
            .output()
            .expect("status runs");
        serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
    }

    pub fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let status = self.status();
            if done(&status) {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}: {status}\n{}",
                self.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// The running daemon's process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(std::process::Child::id)
    }

    pub fn kill(&mut self, signal: &str) {
        if let Some(mut child) = self.child.take() {
            let status = Command::new("kill")
                .args([signal, &child.id().to_string()])
                .status()
                .expect("kill runs");
            assert!(status.success(), "the daemon was running");
            child.wait().expect("the daemon exits");
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ignored = child.kill();
            let _reaped = child.wait();
        }
    }
}

/// GET `path` from the daemon's ops address; `None` while it is not answering yet.
pub fn http_get(addr: &str, path: &str) -> Option<String> {
    use std::io::{Read as _, Write as _};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// `lightbox` on the stack's config with its own state dir (file store: CI has no keyring).
pub fn lightbox(state: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lightbox"))
        .args(args)
        .envs(stack().env_vars())
        .env("LIGHTBOX_STATE_DIR", state)
        .env("LIGHTBOX_AUTH__COGNITO__REFRESH_TOKEN_STORE", "file")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lightbox runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(stdin.as_bytes())
        .expect("lightbox reads stdin");
    child.wait_with_output().expect("lightbox finishes")
}

pub fn text(out: &Output) -> String {
    format!(
        "status {}\n--- stdout ---\n{}--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}
