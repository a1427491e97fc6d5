//! When the app notifies (a batch finished, a file failed) and what the tray says, decided from
//! the activity batches. Pure: the shell only shows what comes out.

use crate::ipc::{ActivityBatch, ActivityTotals, Stage};

/// A desktop notification to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
}

/// Which notifications the user wants (Settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoticePrefs {
    pub on_batch: bool,
    pub on_failure: bool,
}

/// Follows the batches and says when to notify.
#[derive(Debug, Default)]
pub struct NoticeTracker {
    /// `done` when the queue last became busy; `None` while idle.
    busy_since_done: Option<u64>,
}

impl NoticeTracker {
    /// The notices `batch` calls for.
    pub fn notices(&mut self, batch: &ActivityBatch, prefs: NoticePrefs) -> Vec<Notice> {
        let mut out = Vec::new();
        let failed: Vec<&str> = batch
            .files
            .iter()
            .filter(|f| f.stage == Stage::Failed)
            .map(|f| f.name.as_str())
            .collect();
        if prefs.on_failure && !failed.is_empty() {
            let first = batch
                .files
                .iter()
                .find(|f| f.stage == Stage::Failed)
                .and_then(|f| f.problem.as_ref())
                .map_or("Open Lightbox to see what to do.", |p| p.message.as_str());
            out.push(match failed.as_slice() {
                [one] => Notice {
                    title: format!("{one} was not uploaded"),
                    body: first.to_owned(),
                },
                many => Notice {
                    title: format!("{} files were not uploaded", many.len()),
                    body: "Open Lightbox: the Activity list says what to do for each.".to_owned(),
                },
            });
        }
        let totals = &batch.totals;
        let busy = totals.counts.waiting + totals.counts.uploading > 0;
        match (self.busy_since_done, busy) {
            (None, true) => self.busy_since_done = Some(totals.counts.done),
            (Some(before), false) => {
                self.busy_since_done = None;
                let finished = totals.counts.done.saturating_sub(before);
                if prefs.on_batch && finished > 0 {
                    out.push(Notice {
                        title: "Upload finished".to_owned(),
                        body: match finished {
                            1 => "1 photo is safely in the studio's bucket.".to_owned(),
                            n => format!("{n} photos are safely in the studio's bucket."),
                        },
                    });
                }
            }
            _ => {}
        }
        out
    }
}

/// One line for the tray's tooltip and menu.
#[must_use]
pub fn tray_status(totals: &ActivityTotals) -> String {
    let counts = &totals.counts;
    let queued = counts.waiting + counts.uploading;
    let failed = if counts.failed > 0 {
        format!(" · {} failed", counts.failed)
    } else {
        String::new()
    };
    if totals.paused {
        return format!("Lightbox: paused, {queued} waiting{failed}");
    }
    if queued == 0 {
        return format!("Lightbox: up to date{failed}");
    }
    let mib = totals.bytes_per_second / (1024.0 * 1024.0);
    format!("Lightbox: uploading {queued} files at {mib:.1} MiB/s{failed}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::{FileActivity, FolderCounts, Problem, ProblemCode};
    use lightbox_types::FailureCode;

    const ALL: NoticePrefs = NoticePrefs {
        on_batch: true,
        on_failure: true,
    };

    fn batch(waiting: u64, done: u64, files: Vec<FileActivity>) -> ActivityBatch {
        ActivityBatch {
            files,
            totals: ActivityTotals {
                counts: FolderCounts {
                    waiting,
                    done,
                    ..FolderCounts::default()
                },
                bytes_per_second: 0.0,
                paused: false,
                bandwidth_limit_mib_per_sec: None,
            },
        }
    }

    fn failed(name: &str) -> FileActivity {
        FileActivity {
            id: 1,
            path: format!("/c/{name}"),
            name: name.to_owned(),
            folder: "/c".to_owned(),
            stage: Stage::Failed,
            parts_done: 0,
            parts_total: 1,
            bytes_done: 0,
            bytes_total: 1,
            key: None,
            problem: Some(Problem {
                code: ProblemCode::Failed(FailureCode::UploadAccessDenied),
                message: "Ask an admin to check the bucket policy.".to_owned(),
            }),
            updated_at: String::new(),
        }
    }

    #[test]
    fn a_batch_that_drains_the_queue_is_announced_once_with_its_count() {
        let mut tracker = NoticeTracker::default();
        assert!(
            tracker.notices(&batch(0, 10, vec![]), ALL).is_empty(),
            "idle at start"
        );
        assert!(
            tracker.notices(&batch(3, 10, vec![]), ALL).is_empty(),
            "busy: nothing yet"
        );
        assert!(
            tracker.notices(&batch(1, 12, vec![]), ALL).is_empty(),
            "still busy"
        );
        let done = tracker.notices(&batch(0, 13, vec![]), ALL);
        assert_eq!(done.len(), 1);
        assert!(done[0].body.starts_with("3 photos"), "{:?}", done[0]);
        assert!(
            tracker.notices(&batch(0, 13, vec![]), ALL).is_empty(),
            "an idle queue is not announced again"
        );
    }

    #[test]
    fn failures_notify_with_what_to_do_and_respect_the_settings() {
        let mut tracker = NoticeTracker::default();
        let one = tracker.notices(&batch(1, 0, vec![failed("a.jpg")]), ALL);
        assert_eq!(one[0].title, "a.jpg was not uploaded");
        assert!(
            one[0].body.contains("Ask an admin"),
            "the message says what to do"
        );
        let two = tracker.notices(&batch(1, 0, vec![failed("a.jpg"), failed("b.jpg")]), ALL);
        assert_eq!(two[0].title, "2 files were not uploaded");
        let off = NoticePrefs {
            on_batch: false,
            on_failure: false,
        };
        assert!(
            tracker
                .notices(&batch(1, 0, vec![failed("c.jpg")]), off)
                .is_empty()
        );
        assert!(
            tracker.notices(&batch(0, 5, vec![]), off).is_empty(),
            "no batch notice when switched off"
        );
    }

    #[test]
    fn the_tray_line_says_paused_busy_or_up_to_date() {
        let mut totals = batch(2, 0, vec![]).totals;
        totals.bytes_per_second = 3.0 * 1024.0 * 1024.0;
        assert_eq!(
            tray_status(&totals),
            "Lightbox: uploading 2 files at 3.0 MiB/s"
        );
        totals.paused = true;
        assert_eq!(tray_status(&totals), "Lightbox: paused, 2 waiting");
        let mut idle = batch(0, 9, vec![]).totals;
        idle.counts.failed = 1;
        assert_eq!(tray_status(&idle), "Lightbox: up to date · 1 failed");
    }
}
