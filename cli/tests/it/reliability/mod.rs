//! The fault suite (issue 10): the real `lightbox run` binary, killed at chosen moments
//! ([`crash`]) or behind a proxy that injects S3 faults ([`network`]), then an end state checked
//! from outside: every source file in the bucket exactly once and byte-identical, no multipart
//! upload left open, the catalog consistent (`scripts/check_end_state.py`, boto3 and sqlite3).
//!
//! Two sizes of the same tests: the short form runs in `scripts/test.sh`; the long form
//! (`LIGHTBOX_RELIABILITY=long`, 100 kills, 1,000 faults, 300 MiB files) runs through
//! `scripts/reliability.sh`, which also writes the figures into RELIABILITY.md. Every run uses a
//! seeded generator; the seed is printed, and `LIGHTBOX_RELIABILITY_SEED` replays it.

mod bad_inputs;
mod crash;
mod daemon;
mod network;
mod upgrade;

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use lightbox_tests::stack;
use rand::{RngCore as _, SeedableRng as _};
use sha2::{Digest as _, Sha256};

use crate::support::MIB;

/// Short (the test command) or long (`scripts/reliability.sh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Short,
    Long,
}

impl Form {
    pub fn from_env() -> Self {
        match std::env::var("LIGHTBOX_RELIABILITY").as_deref() {
            Ok("long") => Self::Long,
            _ => Self::Short,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Short => "short",
            Self::Long => "long",
        }
    }
}

/// `LIGHTBOX_RELIABILITY_SEED`, else one drawn now; printed either way so a failure replays.
pub fn seed(test: &str) -> u64 {
    let seed = std::env::var("LIGHTBOX_RELIABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| rand::rng().next_u64());
    eprintln!("{test}: seed {seed} (replay with LIGHTBOX_RELIABILITY_SEED={seed})");
    seed
}

/// One source file the bucket must end up holding exactly once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Source {
    pub name: String,
    #[serde(skip)]
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    pub crc64nvme: String,
}

/// Write `name` into `dir`: `head` (e.g. a small JPEG, so previews are made from it) followed
/// by random bytes from `rng` up to `size`, to a hidden temporary name renamed into place (as
/// a camera import does).
pub fn write_source(
    dir: &Path,
    name: &str,
    head: &[u8],
    size: u64,
    rng: &mut rand::rngs::StdRng,
) -> Source {
    let temporary = dir.join(format!(".{name}.tmp"));
    let mut out = BufWriter::new(File::create(&temporary).expect("create a source file"));
    let (mut sha, mut crc) = (Sha256::new(), crc64fast_nvme::Digest::new());
    let head_len = u64::try_from(head.len()).expect("small");
    let head = &head[..usize::try_from(head_len.min(size)).expect("small")];
    out.write_all(head).expect("write a source file");
    sha.update(head);
    crc.write(head);
    let mut left = size.saturating_sub(head_len);
    let mut chunk = vec![0_u8; usize::try_from(MIB).expect("small")];
    while left > 0 {
        let n = usize::try_from(left.min(MIB)).expect("at most 1 MiB");
        rng.fill_bytes(&mut chunk[..n]);
        out.write_all(&chunk[..n]).expect("write a source file");
        sha.update(&chunk[..n]);
        crc.write(&chunk[..n]);
        left -= u64::try_from(n).expect("small");
    }
    out.flush().expect("flush a source file");
    drop(out);
    let path = dir.join(name);
    std::fs::rename(&temporary, &path).expect("rename a source file into place");
    Source {
        name: name.to_owned(),
        path,
        size,
        sha256: hex::encode(sha.finalize()),
        crc64nvme: BASE64.encode(crc.sum64().to_be_bytes()),
    }
}

/// What every fault-suite test starts from: a fresh Garage bucket, the fault proxy in front of
/// it, and a daemon (not started) uploading through the proxy.
pub struct Rig {
    pub bucket: String,
    pub proxy: lightbox_tests::fault_proxy::FaultProxy,
    pub daemon: daemon::DaemonUnderTest,
    pub camera: PathBuf,
    /// A small JPEG to start source files with, so previews are made from them.
    pub jpeg_head: Vec<u8>,
    pub dir: tempfile::TempDir,
}

impl Rig {
    pub async fn new(hint: &str) -> Self {
        let stack = stack();
        let bucket = stack.fresh_garage_bucket(hint).await;
        let proxy = lightbox_tests::fault_proxy::FaultProxy::start(&stack.info.garage.endpoint)
            .await
            .expect("the proxy starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let daemon = daemon::DaemonUnderTest::new(dir.path(), &bucket, &proxy.endpoint());
        Self {
            camera: daemon.camera(),
            bucket,
            proxy,
            daemon,
            jpeg_head: lightbox_fixtures::tiny_jpeg(64, 48),
            dir,
        }
    }
}

/// A seeded generator for file contents, apart from the one that picks moments.
pub fn content_rng(seed: u64) -> rand::rngs::StdRng {
    rand::rngs::StdRng::seed_from_u64(seed ^ 0xC0FF_EE00_D15C_0000)
}

/// What `scripts/check_end_state.py` found (see there for the definitions).
#[derive(Debug, serde::Deserialize)]
pub struct EndState {
    pub sources: u64,
    pub originals: u64,
    pub previews: u64,
    pub lost: Vec<String>,
    pub duplicated: Vec<serde_json::Value>,
    pub corrupted: Vec<serde_json::Value>,
    pub multipart_uploads: Vec<serde_json::Value>,
    pub catalog: CatalogState,
}

#[derive(Debug, serde::Deserialize)]
pub struct CatalogState {
    pub states: serde_json::Map<String, serde_json::Value>,
    pub unfinished: Vec<String>,
    pub missing_objects: Vec<String>,
    pub integrity: String,
}

impl EndState {
    /// Check `bucket` and the (stopped) daemon's `catalog` against `sources`, from outside.
    pub fn check(bucket: &str, catalog: &Path, sources: &[Source], scratch: &Path) -> Self {
        let manifest = scratch.join("manifest.json");
        std::fs::write(
            &manifest,
            serde_json::to_vec(sources).expect("the manifest serializes"),
        )
        .expect("write the manifest");
        let stack = stack();
        let python = stack.venv_bin("python");
        let script = lightbox_tests::stack::repo_root().join("scripts/check_end_state.py");
        let out = Command::new(&python)
            .arg(&script)
            .arg(bucket)
            .arg(catalog)
            .arg(&manifest)
            .envs(stack.env_vars())
            .output()
            .unwrap_or_else(|e| panic!("could not run {}: {e}", python.display()));
        assert!(
            out.status.success(),
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "the end-state check prints JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// The figures every suite reports, plus `own` (a JSON object of the suite's own).
    pub fn figures(&self, sources: &[Source], own: serde_json::Value) -> serde_json::Value {
        let mut figures = serde_json::json!({
            "form": Form::from_env().name(),
            "files": sources.len(),
            "bytes": sources.iter().map(|s| s.size).sum::<u64>(),
            "objects": self.originals,
            "previews": self.previews,
            "lost": self.lost.len(),
            "duplicated": self.duplicated.len(),
            "corrupted": self.corrupted.len(),
            "open_multipart_uploads": self.multipart_uploads.len(),
            "catalog_unfinished": self.catalog.unfinished.len(),
            "catalog_missing_objects": self.catalog.missing_objects.len(),
            "catalog_integrity": self.catalog.integrity,
            "catalog_states": self.catalog.states,
        });
        if let (Some(all), serde_json::Value::Object(own)) = (figures.as_object_mut(), own) {
            all.extend(own);
        }
        figures
    }

    /// Panics, with everything found, unless nothing is lost, duplicated or corrupted, no
    /// upload is open and the catalog is consistent.
    pub fn assert_clean(&self, context: &str) {
        let clean = self.lost.is_empty()
            && self.duplicated.is_empty()
            && self.corrupted.is_empty()
            && self.multipart_uploads.is_empty()
            && self.originals == self.sources
            && self.catalog.unfinished.is_empty()
            && self.catalog.missing_objects.is_empty()
            && self.catalog.integrity == "ok";
        assert!(
            clean,
            "every source file must be in the bucket exactly once and byte-identical, with no \
             upload left open and a consistent catalog; found {self:#?}\n{context}"
        );
    }
}

/// Where `scripts/reliability.sh` collects the figures (`LIGHTBOX_RELIABILITY_OUT`), if set.
pub fn write_figures(test: &str, figures: &serde_json::Value) {
    eprintln!("{test} figures: {figures}");
    if let Ok(dir) = std::env::var("LIGHTBOX_RELIABILITY_OUT") {
        std::fs::create_dir_all(&dir).expect("create the figures directory");
        std::fs::write(
            Path::new(&dir).join(format!("{test}.json")),
            serde_json::to_vec_pretty(figures).expect("figures serialize"),
        )
        .expect("write the figures");
    }
}
