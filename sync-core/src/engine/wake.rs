//! When the uploader and the previewer look at the catalog for work. Both hear every event on
//! the engine's bus, and a file sends several on its way (hashing, planned, each part,
//! verifying, uploaded, done): a query per event made the `files_due` queries the largest cost
//! of uploading small files. So each loop classifies what woke it (pure functions) and takes
//! a burst of queued events as one wake-up ([`look_after`]).

use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use super::events::{EngineEvent, FilePhase};

/// How much of the catalog a wake-up calls for; the larger wins when several arrive together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Look {
    /// Nothing new to start.
    Nothing,
    /// The queue: new work, or a free slot.
    Queue,
    /// The queue and the time-based work (due retries); also after missed events.
    Everything,
}

/// What wakes the uploader: a file newly `Planned`, or missed events (the catalog is the
/// queue, so a lag is only a reason to look).
pub(crate) fn uploader_look(event: &Result<EngineEvent, RecvError>) -> Look {
    match event {
        Ok(EngineEvent::File(file)) if matches!(file.phase, FilePhase::Planned { .. }) => {
            Look::Queue
        }
        Ok(_) | Err(RecvError::Closed) => Look::Nothing,
        Err(RecvError::Lagged(_)) => Look::Everything,
    }
}

/// What wakes the previewer: an original newly `Uploaded`, or missed events.
pub(crate) fn previewer_look(event: &Result<EngineEvent, RecvError>) -> Look {
    match event {
        Ok(EngineEvent::File(file)) if matches!(file.phase, FilePhase::Uploaded { .. }) => {
            Look::Queue
        }
        Ok(_) | Err(RecvError::Closed) => Look::Nothing,
        Err(RecvError::Lagged(_)) => Look::Queue,
    }
}

/// `first` and every event already queued behind it, as one [`Look`].
pub(crate) fn look_after(
    first: &Result<EngineEvent, RecvError>,
    rx: &mut broadcast::Receiver<EngineEvent>,
    classify: fn(&Result<EngineEvent, RecvError>) -> Look,
) -> Look {
    let mut look = classify(first);
    loop {
        let next = match rx.try_recv() {
            Ok(event) => Ok(event),
            Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
            Err(TryRecvError::Empty | TryRecvError::Closed) => return look,
        };
        look = look.max(classify(&next));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::events::FileEvent;

    fn file(phase: FilePhase) -> EngineEvent {
        EngineEvent::File(FileEvent {
            file: 1,
            path: "/card/a.jpg".into(),
            phase,
        })
    }

    fn uploaded() -> FilePhase {
        FilePhase::Uploaded {
            key: "k".into(),
            duplicate: false,
        }
    }

    #[test]
    fn the_uploader_wakes_for_planned_files_and_lags_only() {
        let planned = file(FilePhase::Planned { key: "k".into() });
        assert_eq!(uploader_look(&Ok(planned)), Look::Queue);
        assert_eq!(uploader_look(&Ok(file(FilePhase::Hashing))), Look::Nothing);
        assert_eq!(uploader_look(&Ok(file(uploaded()))), Look::Nothing);
        assert_eq!(uploader_look(&Err(RecvError::Lagged(3))), Look::Everything);
    }

    #[test]
    fn the_previewer_wakes_for_uploaded_originals_and_lags_only() {
        assert_eq!(previewer_look(&Ok(file(uploaded()))), Look::Queue);
        let planned = file(FilePhase::Planned { key: "k".into() });
        assert_eq!(previewer_look(&Ok(planned)), Look::Nothing);
        assert_eq!(previewer_look(&Err(RecvError::Lagged(1))), Look::Queue);
    }

    #[test]
    fn a_burst_of_queued_events_is_one_look_and_the_largest_wins() {
        let (tx, mut rx) = broadcast::channel(4);
        for _ in 0..3 {
            tx.send(file(FilePhase::Hashing)).expect("sent");
        }
        tx.send(file(FilePhase::Planned { key: "k".into() }))
            .expect("sent");
        let first = Ok(file(FilePhase::Discovered));
        assert_eq!(look_after(&first, &mut rx, uploader_look), Look::Queue);
        assert!(rx.try_recv().is_err(), "the burst is drained");

        // Six sends into a channel of four: the drain sees the lag.
        for _ in 0..6 {
            tx.send(file(FilePhase::Hashing)).expect("sent");
        }
        let first = Ok(file(FilePhase::Hashing));
        assert_eq!(look_after(&first, &mut rx, uploader_look), Look::Everything);
    }
}
