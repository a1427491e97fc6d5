//! The activity list as a pure reducer: engine events in, one [`FileActivity`] row per file out.
//! No I/O and no clock: the time of each event is passed in.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use sync_core::catalog::FileRecord;

use crate::ipc::{FileActivity, FolderCounts, Problem, ProblemCode, Stage};
use lightbox_types::{FailureCode, SkipReason, StateCounts};
use sync_core::engine::{EngineEvent, FilePhase};

/// Every file's latest row, and which rows changed since they were last taken.
#[derive(Debug, Default)]
pub struct ActivityBoard {
    rows: HashMap<i64, FileActivity>,
    changed: BTreeSet<i64>,
    /// The watched folders, to name the folder of each row.
    folders: Vec<PathBuf>,
    /// Upload controls as last announced.
    pub paused: bool,
    pub bandwidth_limit_mib_per_sec: Option<u64>,
    /// Bytes S3 accepted since the last [`ActivityBoard::take_sent_bytes`] (for the speed).
    sent_bytes: u64,
}

impl ActivityBoard {
    /// Name rows by these watched folders (the longest one containing a path wins).
    pub fn set_folders(&mut self, folders: Vec<PathBuf>) {
        self.folders = folders;
    }

    /// Fold one event in. `now` is when it arrived.
    pub fn apply(&mut self, event: &EngineEvent, now: Timestamp) {
        match event {
            EngineEvent::File(file) => {
                let row = self.rows.entry(file.file).or_insert_with(|| {
                    new_row(file.file, Path::new(&file.path), &self.folders, now)
                });
                let before = row.bytes_done;
                advance(row, &file.phase);
                row.updated_at = now.to_string();
                if matches!(file.phase, FilePhase::Uploading { part, .. } if part > 0) {
                    self.sent_bytes += row.bytes_done.saturating_sub(before);
                }
                self.changed.insert(file.file);
            }
            EngineEvent::UploadControls {
                paused,
                bandwidth_limit_mib_per_sec,
            } => {
                self.paused = *paused;
                self.bandwidth_limit_mib_per_sec = *bandwidth_limit_mib_per_sec;
            }
            EngineEvent::Scanned { .. } | EngineEvent::FolderUnavailable { .. } => {}
        }
    }

    /// Put a row read from the catalog (the daemon's progress, read-only) as changed.
    pub fn put(&mut self, row: FileActivity) {
        self.changed.insert(row.id);
        self.rows.insert(row.id, row);
    }

    /// The rows changed since the last call, oldest id first; they count as unchanged after.
    pub fn take_changed(&mut self) -> Vec<FileActivity> {
        let ids = std::mem::take(&mut self.changed);
        ids.into_iter()
            .filter_map(|id| self.rows.get(&id).cloned())
            .collect()
    }

    /// Whether any row changed since the last [`ActivityBoard::take_changed`].
    #[must_use]
    pub fn has_changes(&self) -> bool {
        !self.changed.is_empty()
    }

    /// Bytes accepted by S3 since the last call.
    pub fn take_sent_bytes(&mut self) -> u64 {
        std::mem::take(&mut self.sent_bytes)
    }

    /// Drop finished rows beyond `keep`, oldest first, so a long session stays small (the
    /// catalog keeps them; `recent_activity` reads them back).
    pub fn forget_finished_beyond(&mut self, keep: usize) {
        let finished = |r: &FileActivity| matches!(r.stage, Stage::Done | Stage::Skipped);
        let mut done: Vec<(String, i64)> = self
            .rows
            .values()
            .filter(|r| finished(r) && !self.changed.contains(&r.id))
            .map(|r| (r.updated_at.clone(), r.id))
            .collect();
        if done.len() <= keep {
            return;
        }
        done.sort_unstable();
        for (_, id) in &done[..done.len() - keep] {
            self.rows.remove(id);
        }
    }
}

fn new_row(id: i64, path: &Path, folders: &[PathBuf], now: Timestamp) -> FileActivity {
    FileActivity {
        id,
        path: path.display().to_string(),
        name: path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        folder: folder_of(path, folders),
        stage: Stage::Settling,
        parts_done: 0,
        parts_total: 0,
        bytes_done: 0,
        bytes_total: 0,
        key: None,
        problem: None,
        updated_at: now.to_string(),
    }
}

/// The watched folder holding `path` (the longest match), else its parent directory.
fn folder_of(path: &Path, folders: &[PathBuf]) -> String {
    folders
        .iter()
        .filter(|f| path.starts_with(f))
        .max_by_key(|f| f.as_os_str().len())
        .map(PathBuf::as_path)
        .or_else(|| path.parent())
        .map_or_else(String::new, |f| f.display().to_string())
}

/// Move `row` to where `phase` puts it ([`FilePhase::stage`]), with the step's data.
fn advance(row: &mut FileActivity, phase: &FilePhase) {
    if !matches!(phase, FilePhase::Skipped { .. } | FilePhase::Failed { .. }) {
        row.problem = None;
    }
    row.stage = phase.stage();
    match phase {
        FilePhase::Discovered | FilePhase::Settling | FilePhase::Hashing => {}
        FilePhase::Planned { key } => {
            row.key = Some(key.clone());
        }
        FilePhase::Uploading {
            part,
            parts,
            bytes_sent,
            bytes_total,
        } => {
            row.parts_total = u64::from(*parts);
            row.bytes_total = *bytes_total;
            row.bytes_done = *bytes_sent;
            row.parts_done = if *part == 0 {
                // Started or resumed: the parts S3 already holds, from the bytes it holds.
                parts_held(*bytes_sent, *bytes_total, u64::from(*parts))
            } else {
                (row.parts_done + 1).min(row.parts_total)
            };
        }
        FilePhase::Verifying { key } | FilePhase::Uploaded { key, .. } => {
            row.key = Some(key.clone());
            row.parts_done = row.parts_total;
            row.bytes_done = row.bytes_total;
        }
        FilePhase::Done { key, .. } => {
            if key.is_some() {
                row.key.clone_from(key);
            }
            row.bytes_done = row.bytes_total;
        }
        FilePhase::Skipped { reason, detail } => {
            row.problem = Some(Problem {
                code: ProblemCode::Skipped(*reason),
                message: detail.clone(),
            });
        }
        FilePhase::Failed { code, message } => {
            row.problem = Some(Problem {
                code: ProblemCode::Failed(*code),
                message: message.clone(),
            });
        }
        FilePhase::Vanished => {
            row.problem = Some(Problem {
                code: ProblemCode::Failed(FailureCode::IngestVanished),
                message: "The file was deleted or moved before it was uploaded; nothing was \
                          uploaded. Put it back to upload it."
                    .to_owned(),
            });
        }
    }
}

/// Whole parts within `bytes` when `total` is cut into `parts` equal parts (the last shorter).
fn parts_held(bytes: u64, total: u64, parts: u64) -> u64 {
    if total == 0 || parts == 0 {
        return 0;
    }
    let part_size = total.div_ceil(parts);
    if bytes >= total {
        parts
    } else {
        bytes / part_size
    }
}

/// A catalog row as an activity row; `folder` is its watched folder's path.
#[must_use]
pub fn record_view(record: &FileRecord, folder: &Path) -> FileActivity {
    let path = folder.join(record.rel_path.to_path_buf());
    let stage = record.state.stage();
    let size = record.stat.size;
    let parts_total = record
        .multipart
        .as_ref()
        .map_or(1, |m| size.div_ceil(m.part_size.max(1)));
    let finished = matches!(stage, Stage::Previews | Stage::Done);
    let problem = match stage {
        Stage::Failed => record.last_failure.as_ref().map(|f| Problem {
            code: ProblemCode::Failed(f.code),
            message: f.message.clone(),
        }),
        Stage::Skipped => record.skip_reason.as_deref().map(skip_problem),
        _ => None,
    };
    FileActivity {
        id: record.id.get(),
        name: path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        path: path.display().to_string(),
        folder: folder.display().to_string(),
        stage,
        parts_done: if finished { parts_total } else { 0 },
        parts_total,
        bytes_done: if finished { size } else { 0 },
        bytes_total: size,
        key: record.planned_key.clone(),
        problem,
        updated_at: record.updated_at.to_string(),
    }
}

/// What a stored skip reason means, for rows read back from the catalog (the live event
/// carries the engine's own sentence).
fn skip_problem(stored: &str) -> Problem {
    let (code, message) = match SkipReason::from_stored(stored) {
        Some(reason @ SkipReason::Duplicate) => (
            ProblemCode::Skipped(reason),
            "The same photo is already in the bucket; nothing to upload.".to_owned(),
        ),
        Some(reason @ SkipReason::Tombstoned) => (
            ProblemCode::Skipped(reason),
            "An admin deleted this photo from the bucket; it is not uploaded again.".to_owned(),
        ),
        None => (
            ProblemCode::Failed(FailureCode::Unrecognized),
            format!("Not uploaded ({stored})."),
        ),
    };
    Problem { code, message }
}

/// Catalog counts as the app's five buckets, by each state's [`Stage`]. `Uploaded` (previews
/// still to make) counts as uploading: the file is not finished yet.
#[must_use]
pub fn counts_view(counts: &StateCounts) -> FolderCounts {
    let mut view = FolderCounts::default();
    for (state, count) in counts.iter() {
        let bucket = match state.stage() {
            Stage::Settling | Stage::Hashing | Stage::Queued => &mut view.waiting,
            Stage::Uploading | Stage::Verifying | Stage::Previews => &mut view.uploading,
            Stage::Done => &mut view.done,
            Stage::Skipped => &mut view.skipped,
            Stage::Failed => &mut view.failed,
        };
        *bucket += count;
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;
    use lightbox_types::FileState;
    use sync_core::engine::FileEvent;

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + seconds).expect("valid")
    }

    fn file(id: i64, phase: FilePhase) -> EngineEvent {
        EngineEvent::File(FileEvent {
            file: id,
            path: format!("/cards/a/DSC_{id}.jpg"),
            phase,
        })
    }

    fn uploading(part: u16, parts: u16, sent: u64, total: u64) -> FilePhase {
        FilePhase::Uploading {
            part,
            parts,
            bytes_sent: sent,
            bytes_total: total,
        }
    }

    #[test]
    fn a_file_walks_every_stage_to_done() {
        let mut board = ActivityBoard::default();
        board.set_folders(vec![PathBuf::from("/cards"), PathBuf::from("/cards/a")]);
        let key = "originals/2026/11/24/DSC_1.jpg".to_owned();
        let steps = [
            (FilePhase::Discovered, Stage::Settling),
            (FilePhase::Hashing, Stage::Hashing),
            (FilePhase::Planned { key: key.clone() }, Stage::Queued),
            (uploading(0, 2, 0, 100), Stage::Uploading),
            (uploading(1, 2, 50, 100), Stage::Uploading),
            (FilePhase::Verifying { key: key.clone() }, Stage::Verifying),
            (
                FilePhase::Uploaded {
                    key: key.clone(),
                    duplicate: false,
                },
                Stage::Previews,
            ),
            (
                FilePhase::Done {
                    key: Some(key.clone()),
                    previews: true,
                    duplicate: false,
                },
                Stage::Done,
            ),
        ];
        for (i, (phase, stage)) in steps.into_iter().enumerate() {
            board.apply(&file(1, phase), at(i64::try_from(i).expect("small")));
            let rows = board.take_changed();
            assert_eq!(rows.len(), 1, "each event changes the one row");
            assert_eq!(rows[0].stage, stage, "step {i}");
        }
        board.apply(&file(1, FilePhase::Hashing), at(20));
        let row = &board.take_changed()[0];
        assert_eq!(
            row.folder, "/cards/a",
            "the deepest watched folder names the row"
        );
        assert_eq!(row.name, "DSC_1.jpg");
        assert_eq!(
            row.key.as_deref(),
            Some(key.as_str()),
            "the key stays once planned"
        );
    }

    #[test]
    fn parts_count_up_per_accepted_part_and_resume_from_the_bytes_held() {
        let mut board = ActivityBoard::default();
        board.apply(&file(7, uploading(0, 4, 50, 100)), at(0));
        let row = board.take_changed().remove(0);
        assert_eq!(
            (row.parts_done, row.parts_total),
            (2, 4),
            "a resumed upload starts with the parts S3 already holds"
        );
        board.apply(&file(7, uploading(3, 4, 75, 100)), at(1));
        let row = board.take_changed().remove(0);
        assert_eq!((row.parts_done, row.bytes_done), (3, 75));
        assert_eq!(
            board.take_sent_bytes(),
            25,
            "only bytes of accepted parts count toward the speed, not the resumed ones"
        );
    }

    #[test]
    fn failure_and_skip_carry_their_problem_and_a_retry_clears_it() {
        let mut board = ActivityBoard::default();
        board.apply(
            &file(
                3,
                FilePhase::Failed {
                    code: FailureCode::UploadAccessDenied,
                    message: "ask an admin".into(),
                },
            ),
            at(0),
        );
        let row = board.take_changed().remove(0);
        assert_eq!(row.stage, Stage::Failed);
        assert_eq!(
            row.problem.map(|p| p.code),
            Some(ProblemCode::Failed(FailureCode::UploadAccessDenied))
        );
        board.apply(&file(3, uploading(0, 1, 0, 10)), at(1));
        assert_eq!(
            board.take_changed()[0].problem,
            None,
            "a file that moves on has no problem any more"
        );
        board.apply(&file(4, FilePhase::Vanished), at(2));
        let row = board.take_changed().remove(0);
        assert_eq!(
            (row.stage, row.problem.map(|p| p.code)),
            (
                Stage::Skipped,
                Some(ProblemCode::Failed(FailureCode::IngestVanished))
            )
        );
    }

    #[test]
    fn only_changed_rows_are_taken_and_controls_are_remembered() {
        let mut board = ActivityBoard::default();
        board.apply(&file(1, FilePhase::Hashing), at(0));
        board.apply(&file(2, FilePhase::Hashing), at(0));
        assert_eq!(board.take_changed().len(), 2);
        assert!(!board.has_changes(), "taken rows are no longer changed");
        board.apply(&file(2, FilePhase::Discovered), at(1));
        let ids: Vec<i64> = board.take_changed().iter().map(|r| r.id).collect();
        assert_eq!(ids, [2], "the untouched row is not sent again");
        board.apply(
            &EngineEvent::UploadControls {
                paused: true,
                bandwidth_limit_mib_per_sec: Some(5),
            },
            at(2),
        );
        assert!(board.paused);
        assert_eq!(board.bandwidth_limit_mib_per_sec, Some(5));
        assert!(!board.has_changes(), "controls are totals, not rows");
    }

    #[test]
    fn finished_rows_beyond_the_limit_are_forgotten_oldest_first() {
        let mut board = ActivityBoard::default();
        for id in 1..=3 {
            board.apply(
                &file(
                    id,
                    FilePhase::Done {
                        key: None,
                        previews: false,
                        duplicate: false,
                    },
                ),
                at(id),
            );
        }
        board.apply(&file(9, FilePhase::Hashing), at(0));
        board.take_changed();
        board.forget_finished_beyond(1);
        board.apply(
            &file(
                3,
                FilePhase::Done {
                    key: None,
                    previews: false,
                    duplicate: false,
                },
            ),
            at(10),
        );
        board.apply(&file(9, FilePhase::Hashing), at(10));
        let mut kept: Vec<i64> = board.rows.keys().copied().collect();
        kept.sort_unstable();
        assert_eq!(
            kept,
            [3, 9],
            "the newest finished row and the unfinished one stay"
        );
    }

    #[test]
    fn counts_fold_into_five_buckets() {
        let mut counts = StateCounts::default();
        counts.set(FileState::Discovered, 1);
        counts.set(FileState::Planned, 2);
        counts.set(FileState::Uploading, 3);
        counts.set(FileState::Uploaded, 4);
        counts.set(FileState::Done, 5);
        counts.set(FileState::Failed, 6);
        assert_eq!(
            counts_view(&counts),
            FolderCounts {
                waiting: 3,
                uploading: 7,
                done: 5,
                skipped: 0,
                failed: 6
            },
            "uploaded-without-previews is not done yet"
        );
    }
}
