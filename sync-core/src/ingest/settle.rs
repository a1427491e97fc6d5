//! When a file has finished being written.
//!
//! A camera tethered over USB, a card reader copy or a network share writes a
//! file over seconds or minutes, and nothing tells us when it is done. So a
//! file is *settled* once its size and mtime have stayed the same for a settle
//! window that grows with its size ([`SettleSettings::window_for`]), and it can
//! be opened for reading ([`probe_open`]).
//!
//! [`SettleTracker`] is the pure state machine for one file: feed it `stat`
//! observations and the current time, it answers [`SettleStatus`]. The window is
//! measured from the first observation of the current `(size, mtime)`, so a file
//! that changes between any two observations is never ready: only a quiet window
//! *observed by us* counts, whatever its mtime claims (copied files keep old mtimes).
//! An empty file is never ready: cameras and copy tools create the file before
//! writing to it, and an empty photo is not worth uploading.
//!
//! [`Settler`] keeps one tracker per path for a watcher. The two `stat`/`open`
//! helpers at the bottom are the only I/O here.

use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use lightbox_types::FailureCode;
use lightbox_types::FileStat;

const MIB: u64 = 1024 * 1024;

/// No settle window is longer than a day, whatever the settings say.
const LONGEST_WINDOW: Duration = Duration::from_secs(24 * 60 * 60);

/// How long a file must stay unchanged before it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SettleSettings {
    /// Quiet time every file needs, in milliseconds.
    pub base_ms: u64,
    /// Extra quiet time for each full `step_mib` of file size, in milliseconds.
    pub extra_ms_per_step: u64,
    /// The size step, in MiB. `0` turns the size-based growth off.
    pub step_mib: u64,
    /// The longest window, in milliseconds, however large the file. Never below `base_ms`.
    pub max_ms: u64,
}

impl Default for SettleSettings {
    fn default() -> Self {
        Self {
            base_ms: 2_000,
            extra_ms_per_step: 1_000,
            step_mib: 256,
            max_ms: 30_000,
        }
    }
}

impl SettleSettings {
    /// The settle window for a file of `size` bytes:
    /// `base + extra × ⌊size / step⌋`, capped at `max` (and at one day).
    #[must_use]
    pub fn window_for(&self, size: u64) -> Duration {
        let step_bytes = self.step_mib.saturating_mul(MIB);
        let steps = size.checked_div(step_bytes).unwrap_or(0);
        let ms = self
            .base_ms
            .saturating_add(steps.saturating_mul(self.extra_ms_per_step))
            .min(self.max_ms.max(self.base_ms));
        Duration::from_millis(ms).min(LONGEST_WINDOW)
    }
}

/// The answer for one observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleStatus {
    /// Still changing, or not quiet for long enough: observe again at `until`
    /// (or earlier, when the watcher reports a change).
    Wait { until: Instant },
    /// Unchanged for its whole window: probe that it opens, then fingerprint it.
    Ready,
    /// The file is gone (deleted, moved, or replaced by something that is not a file).
    Vanished,
}

/// The settle state machine for one file. Pure: time comes in with each call.
#[derive(Debug, Clone, Default)]
pub struct SettleTracker {
    /// The last stat seen and when it was first seen.
    stable: Option<(FileStat, Instant)>,
}

impl SettleTracker {
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Record what `stat` returned at `now` (`None`: the file is gone).
    pub fn observe(
        &mut self,
        stat: Option<FileStat>,
        now: Instant,
        settings: &SettleSettings,
    ) -> SettleStatus {
        let Some(stat) = stat else {
            self.stable = None;
            return SettleStatus::Vanished;
        };
        let since = match self.stable {
            Some((previous, since)) if previous == stat => since,
            _ => {
                self.stable = Some((stat, now));
                now
            }
        };
        let window = settings.window_for(stat.size);
        let until = since + window;
        if stat.size == 0 {
            // Never ready; look again a window from now.
            SettleStatus::Wait {
                until: until.max(now + window),
            }
        } else if now >= until {
            SettleStatus::Ready
        } else {
            SettleStatus::Wait { until }
        }
    }

    /// The file was ready but could not be opened because another program still
    /// holds it (a Windows sharing violation): start its window again from `now`.
    pub fn open_failed(&mut self, now: Instant, settings: &SettleSettings) -> SettleStatus {
        let size = self.stable.map_or(0, |(stat, _)| stat.size);
        if let Some((_, since)) = self.stable.as_mut() {
            *since = now;
        }
        SettleStatus::Wait {
            until: now + settings.window_for(size),
        }
    }

    /// Since when the current `(size, mtime)` has been observed, if any.
    #[must_use]
    pub fn stable_since(&self) -> Option<Instant> {
        self.stable.map(|(_, since)| since)
    }
}

/// One [`SettleTracker`] per path, for a watcher. A path's tracker is dropped when
/// it reports [`SettleStatus::Ready`] or [`SettleStatus::Vanished`], so the map only
/// holds files still settling.
#[derive(Debug, Clone, Default)]
pub struct Settler {
    settings: SettleSettings,
    files: HashMap<PathBuf, SettleTracker>,
}

impl Settler {
    #[must_use]
    pub fn new(settings: SettleSettings) -> Self {
        Self {
            settings,
            files: HashMap::new(),
        }
    }

    /// Record an observation of `path` at `now`.
    pub fn observe(&mut self, path: &Path, stat: Option<FileStat>, now: Instant) -> SettleStatus {
        let status =
            self.files
                .entry(path.to_path_buf())
                .or_default()
                .observe(stat, now, &self.settings);
        if matches!(status, SettleStatus::Ready | SettleStatus::Vanished) {
            self.files.remove(path);
        }
        status
    }

    /// `path` was [`SettleStatus::Ready`] with `stat` but [`probe_open`] said it is
    /// still locked: wait a full window from `now` before trying again.
    pub fn open_failed(&mut self, path: &Path, stat: FileStat, now: Instant) -> SettleStatus {
        let mut tracker = SettleTracker {
            stable: Some((stat, now)),
        };
        let status = tracker.open_failed(now, &self.settings);
        self.files.insert(path.to_path_buf(), tracker);
        status
    }

    /// Carry on a window that started before a restart: `path` was last catalogued with
    /// `catalogued` (size, mtime, file id), unchanged since `quiet_for` ago. When `now_stat`
    /// (the stat now) is the same, the file's window counts from then, not from now (issue
    /// #19: a daemon restarted more often than a big file's window never uploaded it). A
    /// different stat changes nothing: the window starts at the first look, as for any file.
    pub fn resume(
        &mut self,
        path: &Path,
        catalogued: FileStat,
        now_stat: Option<FileStat>,
        quiet_for: Duration,
        now: Instant,
    ) {
        if now_stat != Some(catalogued) {
            return;
        }
        let since = now.checked_sub(quiet_for).unwrap_or(now);
        self.files.insert(
            path.to_path_buf(),
            SettleTracker {
                stable: Some((catalogued, since)),
            },
        );
    }

    /// Stop tracking `path` (it was filtered out, or its folder is no longer watched).
    pub fn forget(&mut self, path: &Path) {
        self.files.remove(path);
    }

    /// How many files are still settling.
    #[must_use]
    pub fn pending(&self) -> usize {
        self.files.len()
    }
}

/// Why a settled file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SettleError {
    #[error("{} disappeared before it could be read; nothing to do unless it comes back", path.display())]
    Vanished { path: PathBuf },
    #[error(
        "{} cannot be read: permission denied. Give Lightbox read access to {}",
        path.display(),
        path.display()
    )]
    PermissionDenied { path: PathBuf },
    #[error("{} is still in use by another program; Lightbox will try again shortly", path.display())]
    Locked { path: PathBuf },
    #[error("{} could not be opened ({source}); check the disk or network share, Lightbox will retry", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl SettleError {
    /// A stable code for logs, the catalog and the UI.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::Vanished { .. } => FailureCode::IngestVanished,
            Self::PermissionDenied { .. } => FailureCode::IngestPermissionDenied,
            Self::Locked { .. } => FailureCode::IngestLocked,
            Self::Io { .. } => FailureCode::IngestReadFailed,
        }
    }
}

/// `stat` a path for [`SettleTracker::observe`]: `None` when it is gone or is not a
/// regular file (a folder now has its name). Other errors (an unmounted share,
/// permissions on a parent folder) are returned, not mistaken for a deletion.
pub fn stat_file(path: &Path) -> io::Result<Option<FileStat>> {
    match std::fs::metadata(path) {
        Ok(metadata) if metadata.is_file() => Ok(FileStat::from_metadata(&metadata)),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Check that a settled file can be opened for reading (on Windows, a writer may
/// still hold it with sharing denied). Opens and closes it; reads nothing.
pub fn probe_open(path: &Path) -> Result<(), SettleError> {
    match File::open(path) {
        Ok(_) => Ok(()),
        Err(e) => Err(classify_open_error(path, e)),
    }
}

fn classify_open_error(path: &Path, e: io::Error) -> SettleError {
    // ERROR_SHARING_VIOLATION (32) and ERROR_LOCK_VIOLATION (33).
    let locked = cfg!(windows) && matches!(e.raw_os_error(), Some(32 | 33));
    let path = path.to_path_buf();
    match e.kind() {
        _ if locked => SettleError::Locked { path },
        io::ErrorKind::NotFound => SettleError::Vanished { path },
        io::ErrorKind::PermissionDenied => SettleError::PermissionDenied { path },
        _ => SettleError::Io { path, source: e },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_started_before_a_restart_carries_on_only_for_the_same_stat() {
        let settings = SettleSettings::default();
        let big = 1536 * 1024 * 1024;
        let window = settings.window_for(big);
        let catalogued = stat(big, 7).expect("a stat");
        let now = Instant::now() + window * 2;
        let path = Path::new("/card/DCIM/big.mov");

        let mut settler = Settler::new(settings);
        settler.resume(path, catalogued, Some(catalogued), window, now);
        assert_eq!(
            settler.observe(path, Some(catalogued), now),
            SettleStatus::Ready,
            "unchanged and quiet for its whole window before the restart: ready at once"
        );

        let mut settler = Settler::new(settings);
        settler.resume(path, catalogued, Some(catalogued), window / 2, now);
        assert_eq!(
            settler.observe(path, Some(catalogued), now),
            SettleStatus::Wait {
                until: now + window / 2
            },
            "half its window before the restart: the other half after it, not a whole one"
        );

        let mut settler = Settler::new(settings);
        let grown = stat(big + 1, 8);
        settler.resume(path, catalogued, grown, window, now);
        assert_eq!(
            settler.observe(path, grown, now),
            SettleStatus::Wait {
                until: now + window
            },
            "changed since the catalog saw it: a whole window from now"
        );
    }

    /// What an observation should answer, with times in ms from the test's start.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Want {
        WaitUntil(u64),
        Ready,
        Vanished,
    }

    fn stat(size: u64, mtime_ns: i64) -> Option<FileStat> {
        Some(FileStat {
            size,
            mtime_ns,
            os_file_id: None,
        })
    }

    fn to_want(status: SettleStatus, t0: Instant) -> Want {
        match status {
            SettleStatus::Wait { until } => {
                let ms = until.duration_since(t0).as_millis();
                Want::WaitUntil(u64::try_from(ms).expect("test times are small"))
            }
            SettleStatus::Ready => Want::Ready,
            SettleStatus::Vanished => Want::Vanished,
        }
    }

    /// One observation: at `ms`, `stat` returned this, and the tracker should answer `Want`.
    type Step = (u64, Option<FileStat>, Want);

    /// Run a sequence of steps through one tracker.
    fn run(name: &str, settings: &SettleSettings, steps: &[Step]) {
        let t0 = Instant::now();
        let mut tracker = SettleTracker::new();
        for (i, (ms, stat, want)) in steps.iter().enumerate() {
            let got = to_want(
                tracker.observe(*stat, t0 + Duration::from_millis(*ms), settings),
                t0,
            );
            assert_eq!(got, *want, "{name}: step {i} at {ms} ms with {stat:?}");
        }
    }

    #[test]
    fn window_grows_with_size_and_is_capped() {
        let d = SettleSettings::default();
        let cases: &[(SettleSettings, u64, u64)] = &[
            (d, 0, 2_000),
            (d, 10 * MIB, 2_000),
            (d, 256 * MIB - 1, 2_000),
            (d, 256 * MIB, 3_000),
            (d, 1024 * MIB, 6_000),
            (d, 100 * 1024 * MIB, 30_000),
            (d, u64::MAX, 30_000),
            (SettleSettings { step_mib: 0, ..d }, 100 * 1024 * MIB, 2_000),
            (SettleSettings { max_ms: 500, ..d }, 1024 * MIB, 2_000),
            (
                SettleSettings {
                    base_ms: 500,
                    extra_ms_per_step: 250,
                    step_mib: 1,
                    max_ms: 1_000,
                },
                1024 * MIB,
                1_000,
            ),
            (
                SettleSettings {
                    max_ms: u64::MAX,
                    extra_ms_per_step: u64::MAX,
                    ..d
                },
                u64::MAX,
                86_400_000,
            ),
        ];
        for (settings, size, want_ms) in cases {
            assert_eq!(
                settings.window_for(*size),
                Duration::from_millis(*want_ms),
                "{settings:?} for {size} bytes"
            );
        }
    }

    #[test]
    fn observation_sequences() {
        use Want::{Ready, Vanished, WaitUntil};
        let d = SettleSettings::default();
        let big = 1024 * MIB; // 6 s window
        let cases: &[(&str, Vec<Step>)] = &[
            (
                "quiet small file is ready after 2 s",
                vec![
                    (0, stat(100, 1), WaitUntil(2_000)),
                    (1_000, stat(100, 1), WaitUntil(2_000)),
                    (1_999, stat(100, 1), WaitUntil(2_000)),
                    (2_000, stat(100, 1), Ready),
                    (9_000, stat(100, 1), Ready),
                ],
            ),
            (
                "a size change restarts the window",
                vec![
                    (0, stat(100, 1), WaitUntil(2_000)),
                    (1_500, stat(200, 1), WaitUntil(3_500)),
                    (3_000, stat(200, 1), WaitUntil(3_500)),
                    (3_500, stat(200, 1), Ready),
                ],
            ),
            (
                "an mtime change alone restarts the window",
                vec![
                    (0, stat(100, 1), WaitUntil(2_000)),
                    (1_900, stat(100, 2), WaitUntil(3_900)),
                    (2_000, stat(100, 2), WaitUntil(3_900)),
                    (3_900, stat(100, 2), Ready),
                ],
            ),
            (
                "an mtime going backwards is a change too",
                vec![
                    (0, stat(100, 5), WaitUntil(2_000)),
                    (2_000, stat(100, 4), WaitUntil(4_000)),
                ],
            ),
            (
                "first sight counts, not the mtime: an old copied file still waits",
                vec![
                    (50_000, stat(100, -7), WaitUntil(52_000)),
                    (52_000, stat(100, -7), Ready),
                ],
            ),
            (
                "vanishing forgets the file; coming back starts over",
                vec![
                    (0, stat(100, 1), WaitUntil(2_000)),
                    (500, None, Vanished),
                    (600, stat(100, 1), WaitUntil(2_600)),
                    (2_600, stat(100, 1), Ready),
                ],
            ),
            (
                "a 1 GiB file needs 6 s",
                vec![
                    (0, stat(big, 1), WaitUntil(6_000)),
                    (3_000, stat(big, 1), WaitUntil(6_000)),
                    (6_000, stat(big, 1), Ready),
                ],
            ),
            (
                "growing past a step lengthens the window",
                vec![
                    (0, stat(200 * MIB, 1), WaitUntil(2_000)),
                    (1_000, stat(300 * MIB, 2), WaitUntil(4_000)),
                    (3_000, stat(300 * MIB, 2), WaitUntil(4_000)),
                    (4_000, stat(300 * MIB, 2), Ready),
                ],
            ),
            (
                "an empty file is never ready, until it gets content",
                vec![
                    (0, stat(0, 1), WaitUntil(2_000)),
                    (2_000, stat(0, 1), WaitUntil(4_000)),
                    (60_000, stat(0, 1), WaitUntil(62_000)),
                    (61_000, stat(10, 2), WaitUntil(63_000)),
                    (63_000, stat(10, 2), Ready),
                ],
            ),
        ];
        for (name, steps) in cases {
            run(name, &d, steps);
        }
    }

    #[test]
    fn tethered_camera_writing_slowly_is_never_ready_early() {
        // 50 MiB written in 5 MiB chunks, one per second over 10 s, polled every 250 ms.
        let settings = SettleSettings::default();
        let t0 = Instant::now();
        let mut tracker = SettleTracker::new();
        let chunk = 5 * MIB;
        let last_write_ms = 9_000;
        let mut ready_at = None;
        for ms in (0..=20_000u64).step_by(250) {
            let writes = (ms / 1_000 + 1).min(10);
            let observed = stat(writes * chunk, i64::try_from(writes).expect("small"));
            let status = tracker.observe(observed, t0 + Duration::from_millis(ms), &settings);
            if status == SettleStatus::Ready {
                ready_at = Some(ms);
                break;
            }
            assert!(
                ms < last_write_ms + 2_000,
                "still waiting at {ms} ms: {status:?}"
            );
        }
        assert_eq!(
            ready_at,
            Some(last_write_ms + 2_000),
            "ready exactly one window after the last chunk landed"
        );
    }

    #[test]
    fn settler_drops_finished_files_and_handles_locked_ones() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut settler = Settler::new(SettleSettings::default());
        let a = Path::new("a.jpg");
        let b = Path::new("b.jpg");
        let s = FileStat {
            size: 10,
            mtime_ns: 1,
            os_file_id: None,
        };
        assert_eq!(
            settler.observe(a, Some(s), at(0)),
            SettleStatus::Wait { until: at(2_000) }
        );
        assert_eq!(
            settler.observe(b, Some(s), at(0)),
            SettleStatus::Wait { until: at(2_000) }
        );
        assert_eq!(settler.pending(), 2);
        assert_eq!(settler.observe(a, Some(s), at(2_000)), SettleStatus::Ready);
        assert_eq!(settler.observe(b, None, at(2_000)), SettleStatus::Vanished);
        assert_eq!(
            settler.pending(),
            0,
            "ready and vanished files are not kept"
        );

        // `a` turned out to be locked: a full window again, then ready without a change.
        assert_eq!(
            settler.open_failed(a, s, at(2_100)),
            SettleStatus::Wait { until: at(4_100) }
        );
        assert_eq!(
            settler.observe(a, Some(s), at(3_000)),
            SettleStatus::Wait { until: at(4_100) }
        );
        assert_eq!(settler.observe(a, Some(s), at(4_100)), SettleStatus::Ready);
        settler.observe(b, Some(s), at(5_000));
        settler.forget(b);
        assert_eq!(settler.pending(), 0);
    }

    #[test]
    fn stat_and_open_probes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("IMG_1.jpg");
        std::fs::write(&file, b"12345").expect("write test file");
        let observed = stat_file(&file).expect("stat works").expect("file exists");
        assert_eq!(observed.size, 5);
        assert_ne!(observed.mtime_ns, 0, "a real file has an mtime");
        assert_eq!(
            stat_file(dir.path()).expect("stat works"),
            None,
            "a folder is not a file"
        );
        let gone = dir.path().join("gone.jpg");
        assert_eq!(stat_file(&gone).expect("missing is not an error"), None);

        probe_open(&file).expect("a plain file opens");
        let err = probe_open(&gone).expect_err("a missing file does not open");
        assert_eq!(err.code(), FailureCode::IngestVanished, "{err}");
    }

    #[test]
    fn permission_denied_tells_what_to_do() {
        let path = Path::new("/photos/IMG_1.jpg");
        let err = classify_open_error(path, io::Error::from(io::ErrorKind::PermissionDenied));
        assert_eq!(err.code(), FailureCode::IngestPermissionDenied);
        assert!(
            err.to_string()
                .contains("Give Lightbox read access to /photos/IMG_1.jpg"),
            "{err}"
        );
    }

    #[test]
    fn settings_deserialize_with_defaults() {
        let s: SettleSettings = serde_json::from_str(r#"{"base_ms":500}"#).expect("valid");
        assert_eq!(
            s,
            SettleSettings {
                base_ms: 500,
                ..SettleSettings::default()
            }
        );
        assert!(
            serde_json::from_str::<SettleSettings>(r#"{"base":1}"#).is_err(),
            "typo rejected"
        );
    }
}
