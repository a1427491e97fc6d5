//! Turns the activity board into batches for the UI: at most one per [`BATCH_INTERVAL`], only
//! the rows that changed, with totals and the upload speed over a sliding window. Pure: the
//! caller passes the time and the catalog counts.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::activity::ActivityBoard;
use crate::ipc::{ActivityBatch, ActivityTotals, FolderCounts};

/// The shortest time between two batches.
pub const BATCH_INTERVAL: Duration = Duration::from_millis(250);
/// The window the speed is averaged over.
pub const SPEED_WINDOW: Duration = Duration::from_secs(5);
/// Finished rows the board keeps in memory (older ones are read from the catalog).
const KEEP_FINISHED: usize = 2_000;

/// Bytes per second over the last [`SPEED_WINDOW`].
#[derive(Debug, Default)]
pub struct SpeedMeter {
    samples: VecDeque<(Instant, u64)>,
}

impl SpeedMeter {
    /// `bytes` were accepted at `now`.
    pub fn record(&mut self, now: Instant, bytes: u64) {
        if bytes > 0 {
            self.samples.push_back((now, bytes));
        }
        self.expire(now);
    }

    /// The average rate over the window ending at `now`.
    pub fn rate(&mut self, now: Instant) -> f64 {
        self.expire(now);
        let bytes: u64 = self.samples.iter().map(|(_, b)| b).sum();
        #[expect(clippy::cast_precision_loss, reason = "a speed to show, not to count")]
        let bytes = bytes as f64;
        bytes / SPEED_WINDOW.as_secs_f64()
    }

    fn expire(&mut self, now: Instant) {
        while let Some((at, _)) = self.samples.front() {
            if now.saturating_duration_since(*at) > SPEED_WINDOW {
                self.samples.pop_front();
            } else {
                break;
            }
        }
    }
}

/// The board, the speed and what was last sent.
#[derive(Debug, Default)]
pub struct ActivityBatcher {
    pub board: ActivityBoard,
    speed: SpeedMeter,
    last_sent: Option<(Instant, ActivityTotals)>,
}

impl ActivityBatcher {
    /// The batch due at `now`, if any: `None` when the last one went out less than
    /// [`BATCH_INTERVAL`] ago, or when no row and no total changed since.
    pub fn flush(&mut self, now: Instant, counts: FolderCounts) -> Option<ActivityBatch> {
        let sent = self.board.take_sent_bytes();
        self.speed.record(now, sent);
        if let Some((at, _)) = &self.last_sent
            && now.saturating_duration_since(*at) < BATCH_INTERVAL
        {
            // Not yet: what is taken now goes into the next batch.
            return None;
        }
        let totals = ActivityTotals {
            counts,
            bytes_per_second: self.speed.rate(now),
            paused: self.board.paused,
            bandwidth_limit_mib_per_sec: self.board.bandwidth_limit_mib_per_sec,
        };
        let totals_changed = self.last_sent.as_ref().is_none_or(|(_, t)| *t != totals);
        if !self.board.has_changes() && !totals_changed {
            return None;
        }
        let files = self.board.take_changed();
        self.board.forget_finished_beyond(KEEP_FINISHED);
        self.last_sent = Some((now, totals.clone()));
        Some(ActivityBatch { files, totals })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sync_core::engine::{EngineEvent, FileEvent, FilePhase};

    fn part(id: i64, part: u16, sent: u64) -> EngineEvent {
        EngineEvent::File(FileEvent {
            file: id,
            path: format!("/cards/{id}.jpg"),
            phase: FilePhase::Uploading {
                part,
                parts: 10,
                bytes_sent: sent,
                bytes_total: 1000,
            },
        })
    }

    fn ts() -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_700_000_000).expect("valid")
    }

    #[test]
    fn at_most_one_batch_per_interval_and_nothing_is_lost_in_between() {
        let start = Instant::now();
        let mut batcher = ActivityBatcher::default();
        batcher.board.apply(&part(1, 0, 0), ts());
        let first = batcher
            .flush(start, FolderCounts::default())
            .expect("the first change goes out at once");
        assert_eq!(first.files.len(), 1);

        batcher.board.apply(&part(2, 0, 0), ts());
        assert!(
            batcher
                .flush(start + Duration::from_millis(100), FolderCounts::default())
                .is_none(),
            "100 ms after a batch is too soon"
        );
        for n in 1..=5 {
            batcher.board.apply(&part(1, n, u64::from(n) * 100), ts());
        }
        let second = batcher
            .flush(start + BATCH_INTERVAL, FolderCounts::default())
            .expect("due once the interval has passed");
        let ids: Vec<i64> = second.files.iter().map(|f| f.id).collect();
        assert_eq!(
            ids,
            [1, 2],
            "five events for one file are one row; the row held back is in it"
        );
        assert_eq!(
            second.files[0].bytes_done, 500,
            "the row is the latest state"
        );
    }

    #[test]
    fn a_quiet_board_sends_nothing_until_a_total_changes() {
        let start = Instant::now();
        let mut batcher = ActivityBatcher::default();
        let counts = FolderCounts {
            waiting: 2,
            ..FolderCounts::default()
        };
        assert!(
            batcher.flush(start, counts).is_some(),
            "the first totals go out"
        );
        assert!(
            batcher
                .flush(start + Duration::from_secs(1), counts)
                .is_none(),
            "nothing changed: no batch"
        );
        let moved = FolderCounts {
            waiting: 1,
            done: 1,
            ..FolderCounts::default()
        };
        let batch = batcher
            .flush(start + Duration::from_secs(2), moved)
            .expect("changed totals go out with no row");
        assert!(batch.files.is_empty());
        assert_eq!(batch.totals.counts.done, 1);
    }

    #[test]
    fn speed_is_the_bytes_of_the_last_window() {
        let start = Instant::now();
        let mut meter = SpeedMeter::default();
        meter.record(start, 5_000_000);
        meter.record(start + Duration::from_secs(1), 5_000_000);
        let rate = meter.rate(start + Duration::from_secs(2));
        assert!(
            (rate - 2_000_000.0).abs() < 1.0,
            "10 MB over a 5 s window is 2 MB/s, got {rate}"
        );
        let later = meter.rate(start + SPEED_WINDOW + Duration::from_millis(1500));
        assert!(
            later.abs() < 1.0,
            "samples older than the window no longer count, got {later}"
        );
    }

    #[test]
    fn accepted_parts_feed_the_speed_in_the_totals() {
        let start = Instant::now();
        let mut batcher = ActivityBatcher::default();
        batcher.board.apply(&part(1, 0, 0), ts());
        batcher.board.apply(&part(1, 1, 100), ts());
        batcher.board.apply(&part(1, 2, 200), ts());
        let batch = batcher
            .flush(start, FolderCounts::default())
            .expect("first batch");
        let expected = 200.0 / SPEED_WINDOW.as_secs_f64();
        assert!(
            (batch.totals.bytes_per_second - expected).abs() < 1e-9,
            "two parts of 100 bytes in the window"
        );
    }
}
