//! Shared helpers: an engine on a temporary catalog and folder, and waiting for events.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest as _, Sha256};
use std::time::Duration;

use lightbox_tests::stack;
use sync_core::config::IngestConfig;
use sync_core::engine::{Engine, EngineEvent, EngineSettings, FileEvent, FilePhase, UploadTarget};
use tokio::sync::broadcast;

/// Long enough for a loaded 2-core machine; tests never assert on time.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct TestEngine {
    pub engine: Engine,
    pub events: broadcast::Receiver<EngineEvent>,
    pub folder: PathBuf,
    pub state: PathBuf,
    /// Where the engine uploads (`None`: ingest only); kept for restarts.
    pub upload: Option<UploadTarget>,
    _dir: tempfile::TempDir,
}

/// Quick settling for tests; the slow-writer test sets its own.
pub fn fast_ingest() -> IngestConfig {
    let mut ingest = IngestConfig::default();
    ingest.settle.base_ms = 300;
    ingest
}

impl TestEngine {
    pub async fn start(ingest: IngestConfig) -> Self {
        Self::start_with(ingest, None).await
    }

    /// An engine that also uploads to `upload`.
    pub async fn start_with(ingest: IngestConfig, upload: Option<UploadTarget>) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = dir.path().join("camera");
        let state = dir.path().join("state");
        std::fs::create_dir_all(&folder).expect("mkdir");
        std::fs::create_dir_all(&state).expect("mkdir");
        let (engine, events) = start_engine(&state, ingest, upload.clone());
        engine.add_folder(&folder).await.expect("the folder exists");
        Self {
            engine,
            events,
            folder,
            state,
            upload,
            _dir: dir,
        }
    }

    /// Stop and start again on the same catalog (what a restart of the app does).
    pub async fn restart(&mut self, ingest: IngestConfig) {
        self.engine.stop(PATIENCE).await.expect("stops");
        let (engine, events) = start_engine(&self.state, ingest, self.upload.clone());
        self.engine = engine;
        self.events = events;
    }

    /// Wait for a file event matching `want`; panics with `what` after [`PATIENCE`].
    pub async fn wait_for(
        &mut self,
        what: &str,
        mut want: impl FnMut(&FileEvent) -> bool,
    ) -> FileEvent {
        let found = tokio::time::timeout(PATIENCE, async {
            loop {
                match self.events.recv().await {
                    Ok(EngineEvent::File(event)) if want(&event) => return event,
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => {
                        panic!("engine stopped before {what}")
                    }
                }
            }
        })
        .await;
        found.unwrap_or_else(|_| panic!("timed out waiting for {what}"))
    }

    /// Every file event that arrives within `quiet` of the previous one.
    pub async fn drain(&mut self, quiet: Duration) -> Vec<FileEvent> {
        let mut seen = Vec::new();
        while let Ok(Ok(event)) = tokio::time::timeout(quiet, self.events.recv()).await {
            if let EngineEvent::File(e) = event {
                seen.push(e);
            }
        }
        seen
    }
}

fn start_engine(
    state: &Path,
    ingest: IngestConfig,
    upload: Option<UploadTarget>,
) -> (Engine, broadcast::Receiver<EngineEvent>) {
    let settings = EngineSettings {
        catalog_path: state.join("catalog.sqlite"),
        ingest,
        upload,
    };
    let engine = Engine::start(&settings).expect("the engine starts on a fresh catalog");
    let events = engine.subscribe();
    (engine, events)
}

pub fn is_planned(path: &Path) -> impl Fn(&FileEvent) -> bool + '_ {
    move |e| e.path == path.display().to_string() && matches!(e.phase, FilePhase::Planned { .. })
}

pub fn planned_key(event: &FileEvent) -> &str {
    match &event.phase {
        FilePhase::Planned { key } => key,
        other => panic!("expected a planned event, got {other:?}"),
    }
}

/// A file written for a test, with what the bucket must end up holding for it.
pub struct Photo {
    pub name: String,
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    /// Base64 of the big-endian CRC64/NVME, as S3 reports it.
    pub crc64nvme: String,
}

/// `size` pseudo-random bytes (xorshift from `seed`), written in 1 MiB chunks to a hidden
/// temporary name and renamed in (as a camera import does), hashed on the way.
pub fn write_photo(dir: &Path, name: &str, size: u64, seed: u64) -> Photo {
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut out = BufWriter::new(File::create(&temporary).expect("create test file"));
    let mut sha = Sha256::new();
    let mut crc = crc64fast_nvme::Digest::new();
    let mut state = seed | 1;
    let mut left = size;
    let mut chunk = Vec::new();
    while left > 0 {
        chunk.clear();
        let n = usize::try_from(left.min(MIB)).expect("at most 1 MiB");
        while chunk.len() < n {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.extend_from_slice(&state.to_le_bytes());
        }
        chunk.truncate(n);
        out.write_all(&chunk).expect("write test file");
        sha.update(&chunk);
        crc.write(&chunk);
        left -= u64::try_from(n).expect("small");
    }
    out.flush().expect("flush test file");
    drop(out);
    let path = dir.join(name);
    std::fs::rename(&temporary, &path).expect("rename into place");
    Photo::hashed(path, size, sha, &crc)
}

impl Photo {
    /// The photo at `path` whose bytes went through `sha` and `crc`.
    pub fn hashed(path: PathBuf, size: u64, sha: Sha256, crc: &crc64fast_nvme::Digest) -> Self {
        Self {
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            path,
            size,
            sha256: hex::encode(sha.finalize()),
            crc64nvme: BASE64.encode(crc.sum64().to_be_bytes()),
        }
    }
}

/// One MiB.
pub const MIB: u64 = 1024 * 1024;

/// `key` in `bucket`; panics with the SDK's full error.
pub async fn get_object(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> aws_sdk_s3::operation::get_object::GetObjectOutput {
    client
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "GetObject {key}: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        })
}

/// The bytes of `key` in `bucket`; panics with the SDK's full error.
pub async fn get_object_bytes(client: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let object = get_object(client, bucket, key).await;
    object
        .body
        .collect()
        .await
        .expect("read the object body")
        .into_bytes()
        .to_vec()
}

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

    /// Start `lightbox run --folder camera`, logging to `log`.
    pub fn start(&mut self, wrapper: &[&str]) {
        let log = std::fs::File::create(self.dir.path().join("daemon.log")).expect("log file");
        let mut cmd = self.command(wrapper);
        let child = cmd
            .arg("run")
            .arg("--folder")
            .arg(self.camera())
            .stderr(log)
            .spawn()
            .expect("lightbox run starts");
        self.child = Some(child);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
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

/// The temporary password [`create_pool_user`] gives a new user.
pub const TEMPORARY_PASSWORD: &str = "Temporary-Pass-1";

/// A new user (named from `hint`) in the provisioned pool, in `group`, with
/// [`TEMPORARY_PASSWORD`].
pub async fn create_pool_user(hint: &str, group: &str) -> String {
    let info = &stack().info.moto.cognito;
    let name = lightbox_tests::unique_name(hint);
    let idp = stack().cognito_idp();
    idp.admin_create_user()
        .user_pool_id(&info.user_pool_id)
        .username(&name)
        .temporary_password(TEMPORARY_PASSWORD)
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("email")
                .value(format!("{name}@studio.local"))
                .build()
                .expect("attribute"),
        )
        .message_action(aws_sdk_cognitoidentityprovider::types::MessageActionType::Suppress)
        .send()
        .await
        .expect("moto creates the user");
    idp.admin_add_user_to_group()
        .user_pool_id(&info.user_pool_id)
        .username(&name)
        .group_name(group)
        .send()
        .await
        .expect("moto adds the user to the group");
    name
}

/// A new bucket on moto (any moto client: the stack's or a test's own).
pub async fn moto_bucket(client: &aws_sdk_s3::Client, hint: &str) -> String {
    let bucket = lightbox_tests::unique_name(hint);
    client
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "moto refused to create bucket {bucket}: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        });
    bucket
}
