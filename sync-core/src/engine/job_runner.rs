//! The loop the upload and preview drivers share. For both, the catalog is the queue: the
//! engine's bus only wakes them, and each look at the catalog starts a few per-file jobs.
//!
//! [`JobRunner`] is that loop written once: the wake receiver (a burst of events is one look,
//! [`super::wake`]), the [`JoinSet`] of jobs, the files in flight and the files held back, the
//! look that fills free slots and the bookkeeping when a job ends (each held-back file's wait
//! and its setbacks in a row). A driver plugs in as a [`JobKind`]: which rows to start, the job
//! for one row, how long a file is held back after its job, and what its tick and its commands
//! mean.
//!
//! Every job handle is joined or aborted at stop ([`AtStop`]); jobs see a child of the engine's
//! cancellation token.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::time::{Duration, Instant};

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::mpsc;
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use super::events::EngineEvent;
use super::wake::{Look, look_after};
use crate::catalog::{FileId, FileRecord};

/// What becomes of the jobs still running when the engine stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AtStop {
    /// Wait for each (they see the cancelled token and stop at their next step).
    Join,
    /// Abort them (their rows stay where they were for the next start).
    Abort,
}

/// How long a file is left alone after its job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hold {
    /// Not at all: the next look may start it again (and its setbacks in a row are forgotten).
    No,
    /// For this long (from the [`crate::retry::FileRetrySchedule`]).
    For(Duration),
}

/// When a held-back file whose wait is over is taken up again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Release {
    /// At the next look after its wait.
    WhenDue,
    /// At the first tick after its wait (the previewer's catch-up).
    AtTick,
}

/// How long after its wait a held-back file's count of setbacks in a row is kept (a file that
/// never comes back, because it vanished, is forgotten then).
const FORGET_SETBACKS: Duration = Duration::from_secs(3600);

/// A kind of per-file job that the [`JobRunner`] drives (the uploader, the previewer).
pub(crate) trait JobKind: Send + 'static {
    /// What a job says about its file when it ends.
    type Outcome: Send + 'static;
    /// What the engine can send this driver on its own channel ([`Infallible`]: nothing).
    type Command: Send + 'static;
    /// The job's name in logs.
    const JOB: &'static str;
    /// The look before anything has woken the loop.
    const FIRST_LOOK: Look;
    const AT_STOP: AtStop;
    const RELEASE: Release;

    /// Which events on the bus call for a look, and for how much.
    fn wakes(event: &Result<EngineEvent, RecvError>) -> Look;

    /// How often [`JobKind::on_tick`] runs (the first tick is at once).
    fn tick_period(&self) -> Duration;

    /// Work before the first look; the engine's stop interrupts it.
    fn prepare(&mut self) -> impl Future<Output = ()> + Send {
        async {}
    }

    /// The periodic tick: the look it calls for.
    fn on_tick(&mut self) -> Look;

    /// Apply a command from the engine; returns the look it calls for.
    fn on_command(&mut self, command: Self::Command) -> Look;

    /// How many jobs may run at once.
    fn slots(&self) -> usize;

    /// Up to `free` rows to start, in the order they should start, none of `busy`. Errors are
    /// logged here (nothing starts).
    fn pick(
        &mut self,
        free: usize,
        look: Look,
        busy: Busy,
    ) -> impl Future<Output = Vec<FileRecord>> + Send;

    /// The job for one row; it returns the row's id with its outcome.
    fn start(
        &self,
        record: FileRecord,
        cancel: CancellationToken,
    ) -> impl Future<Output = (FileId, Self::Outcome)> + Send + 'static;

    /// How long the file is left alone after its job ended with `outcome`, its `in_a_row`-th
    /// setback in a row if it is held back.
    fn hold(&mut self, outcome: &Self::Outcome, in_a_row: u32) -> Hold;
}

/// The files a pick leaves out, copied (the pick runs on the catalog's thread).
#[derive(Debug, Clone, Default)]
pub(crate) struct Busy {
    /// Files whose job is running.
    pub in_flight: HashSet<FileId>,
    /// Files held back after their job.
    pub held_back: HashSet<FileId>,
}

impl Busy {
    /// In flight or held back.
    pub(crate) fn contains(&self, file: FileId) -> bool {
        self.in_flight.contains(&file) || self.held_back.contains(&file)
    }

    /// How many files are busy (a file is counted once per set it is in).
    pub(crate) fn len(&self) -> usize {
        self.in_flight.len() + self.held_back.len()
    }
}

/// A file held back after its job.
#[derive(Debug, Clone, Copy)]
struct Held {
    until: Instant,
    /// Setbacks in a row, for the schedule.
    in_a_row: u32,
    /// Taken up again by a tick ([`Release::AtTick`]).
    released: bool,
}

/// Files left alone after their job, with their setbacks in a row.
#[derive(Debug, Default)]
struct HeldBack {
    files: HashMap<FileId, Held>,
}

impl HeldBack {
    /// Setbacks in a row of `file` so far.
    fn in_a_row(&self, file: FileId) -> u32 {
        self.files.get(&file).map_or(0, |held| held.in_a_row)
    }

    fn hold(&mut self, file: FileId, hold: Hold, in_a_row: u32, now: Instant) {
        match hold {
            Hold::No => {
                self.files.remove(&file);
            }
            Hold::For(wait) => {
                let held = Held {
                    until: now + wait,
                    in_a_row,
                    released: false,
                };
                self.files.insert(file, held);
            }
        }
    }

    /// The tick of a [`Release::AtTick`] driver: files whose wait is over are taken up again.
    fn release_waited(&mut self, now: Instant) {
        for held in self.files.values_mut() {
            held.released |= held.until <= now;
        }
    }

    /// Forget the files taken up again [`FORGET_SETBACKS`] past their wait.
    fn forget_stale(&mut self, now: Instant, release: Release) {
        self.files.retain(|_, held| {
            let waiting = release == Release::AtTick && !held.released;
            waiting || now.saturating_duration_since(held.until) < FORGET_SETBACKS
        });
    }

    /// The files still waiting at `now`.
    fn waiting(&self, now: Instant, release: Release) -> HashSet<FileId> {
        self.files
            .iter()
            .filter(|(_, held)| match release {
                Release::WhenDue => held.until > now,
                Release::AtTick => !held.released,
            })
            .map(|(file, _)| *file)
            .collect()
    }
}

/// One driver's loop: see the module documentation.
pub(crate) struct JobRunner<K: JobKind> {
    kind: K,
    wake: broadcast::Receiver<EngineEvent>,
    commands: Option<mpsc::Receiver<K::Command>>,
    jobs: JoinSet<(FileId, K::Outcome)>,
    in_flight: HashSet<FileId>,
    held: HeldBack,
}

impl<K: JobKind<Command = Infallible>> JobRunner<K> {
    /// A driver the engine sends no commands.
    pub(crate) fn new(kind: K, wake: broadcast::Receiver<EngineEvent>) -> Self {
        Self::with_commands(kind, wake, None)
    }
}

impl<K: JobKind> JobRunner<K> {
    /// `wake` must be subscribed before anything can emit what the driver waits for.
    pub(crate) fn with_commands(
        kind: K,
        wake: broadcast::Receiver<EngineEvent>,
        commands: Option<mpsc::Receiver<K::Command>>,
    ) -> Self {
        Self {
            kind,
            wake,
            commands,
            jobs: JoinSet::new(),
            in_flight: HashSet::new(),
            held: HeldBack::default(),
        }
    }

    pub(crate) async fn run(mut self, cancel: CancellationToken) {
        tokio::select! {
            () = cancel.cancelled() => return,
            () = self.kind.prepare() => {}
        }
        let mut tick = tokio::time::interval(self.kind.tick_period());
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut look = K::FIRST_LOOK;
        loop {
            // Commands sent before this look apply to it (a pause right after start).
            while let Some(command) = self.commands.as_mut().and_then(|c| c.try_recv().ok()) {
                look = look.max(self.kind.on_command(command));
            }
            if look != Look::Nothing {
                self.fill(&cancel, look).await;
            }
            look = tokio::select! {
                biased;
                () = cancel.cancelled() => break,
                Some(command) = next_command(&mut self.commands) => self.kind.on_command(command),
                Some(done) = self.jobs.join_next(), if !self.jobs.is_empty() => {
                    self.on_done(done);
                    Look::Queue
                }
                event = self.wake.recv() => match event {
                    Err(RecvError::Closed) => break,
                    // A burst of events (every file sends several) is one look, not one each.
                    event => look_after(&event, &mut self.wake, K::wakes),
                },
                _ = tick.tick() => {
                    if K::RELEASE == Release::AtTick {
                        self.held.release_waited(Instant::now());
                    }
                    self.kind.on_tick()
                }
            };
        }
        match K::AT_STOP {
            AtStop::Join => {
                while let Some(done) = self.jobs.join_next().await {
                    self.on_done(done);
                }
            }
            AtStop::Abort => self.jobs.shutdown().await,
        }
    }

    /// Start jobs while slots are free.
    async fn fill(&mut self, cancel: &CancellationToken, look: Look) {
        if cancel.is_cancelled() {
            return;
        }
        let free = self.kind.slots().saturating_sub(self.jobs.len());
        if free == 0 {
            return;
        }
        let now = Instant::now();
        self.held.forget_stale(now, K::RELEASE);
        let busy = Busy {
            in_flight: self.in_flight.clone(),
            held_back: self.held.waiting(now, K::RELEASE),
        };
        for record in self.kind.pick(free, look, busy).await {
            self.in_flight.insert(record.id);
            self.jobs
                .spawn(self.kind.start(record, cancel.child_token()));
        }
    }

    fn on_done(&mut self, done: Result<(FileId, K::Outcome), JoinError>) {
        match done {
            Ok((file, outcome)) => {
                self.in_flight.remove(&file);
                let in_a_row = self.held.in_a_row(file).saturating_add(1);
                let hold = self.kind.hold(&outcome, in_a_row);
                self.held.hold(file, hold, in_a_row, Instant::now());
            }
            // The file id is lost with the panic; the row stays where it was and is picked
            // again at the next start (it is still in `in_flight` until then).
            Err(e) => tracing::error!(job = K::JOB, error = %e, "a job panicked"),
        }
    }
}

/// The next command, or never when the driver has no channel.
async fn next_command<C>(commands: &mut Option<mpsc::Receiver<C>>) -> Option<C> {
    match commands {
        Some(commands) => commands.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use jiff::Timestamp;
    use lightbox_types::{FileStat, FileState};

    use super::*;
    use crate::catalog::{Catalog, CatalogHandle, RelPath};

    /// A kind over `Discovered` rows whose jobs count how many run at once and report each
    /// start; every file is held back for an hour after its job.
    struct Marker {
        catalog: CatalogHandle,
        slots: usize,
        started: mpsc::UnboundedSender<FileId>,
        running: Arc<AtomicUsize>,
        most_at_once: Arc<AtomicUsize>,
    }

    impl JobKind for Marker {
        type Outcome = ();
        type Command = Infallible;
        const JOB: &'static str = "marker";
        const FIRST_LOOK: Look = Look::Queue;
        const AT_STOP: AtStop = AtStop::Join;
        const RELEASE: Release = Release::WhenDue;

        fn wakes(_event: &Result<EngineEvent, RecvError>) -> Look {
            Look::Nothing
        }

        fn tick_period(&self) -> Duration {
            Duration::from_secs(3600)
        }

        fn on_tick(&mut self) -> Look {
            Look::Queue
        }

        fn on_command(&mut self, command: Infallible) -> Look {
            match command {}
        }

        fn slots(&self) -> usize {
            self.slots
        }

        async fn pick(&mut self, free: usize, _look: Look, busy: Busy) -> Vec<FileRecord> {
            self.catalog
                .run(move |c| {
                    c.files_due_except(FileState::Discovered, Timestamp::now(), free, |id| {
                        busy.contains(id)
                    })
                })
                .await
                .expect("listed")
        }

        fn start(
            &self,
            record: FileRecord,
            _cancel: CancellationToken,
        ) -> impl Future<Output = (FileId, ())> + Send + 'static {
            let (started, running) = (self.started.clone(), Arc::clone(&self.running));
            let most = Arc::clone(&self.most_at_once);
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                started.send(record.id).expect("the test listens");
                (record.id, ())
            }
        }

        fn hold(&mut self, (): &(), _in_a_row: u32) -> Hold {
            Hold::For(Duration::from_secs(3600))
        }
    }

    #[tokio::test]
    async fn every_row_runs_once_within_the_slots_and_held_rows_are_not_picked_again() {
        let mut catalog = Catalog::open_in_memory().expect("opens");
        let folder = catalog
            .add_folder(Path::new("/photos"), Timestamp::now())
            .expect("folder");
        for (n, name) in ["a.jpg", "b.jpg", "c.jpg", "d.jpg", "e.jpg"]
            .iter()
            .enumerate()
        {
            let rel = RelPath::from_path(Path::new(name)).expect("a relative path");
            let stat = FileStat {
                size: 10,
                mtime_ns: i64::try_from(n).expect("small"),
                os_file_id: None,
            };
            catalog
                .observe_file(folder, &rel, &stat, Timestamp::now())
                .expect("observed");
        }
        let catalog = CatalogHandle::start(catalog).expect("started");
        let (started, mut starts) = mpsc::unbounded_channel();
        let (running, most_at_once) = (Arc::default(), Arc::new(AtomicUsize::new(0)));
        let marker = Marker {
            catalog,
            slots: 2,
            started,
            running,
            most_at_once: Arc::clone(&most_at_once),
        };
        let (events, _) = broadcast::channel(4);
        let runner = JobRunner::new(marker, events.subscribe());
        let cancel = CancellationToken::new();
        let task = tokio::spawn(runner.run(cancel.clone()));

        // Until every row ran, or one ran twice.
        let (mut seen, mut order) = (HashSet::new(), Vec::new());
        while seen.len() < 5 && seen.len() == order.len() {
            let file = starts.recv().await.expect("a start");
            seen.insert(file);
            order.push(file);
        }
        cancel.cancel();
        task.await.expect("the runner stops");
        while let Ok(file) = starts.try_recv() {
            order.push(file);
        }
        assert_eq!(
            order.len(),
            5,
            "every row once; held rows never again: {order:?}"
        );
        assert!(
            most_at_once.load(Ordering::SeqCst) <= 2,
            "never more jobs than slots"
        );
    }

    #[test]
    fn held_back_files_wait_their_time_then_a_look_or_a_tick_takes_them_up() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let (a, b, c) = (
            FileId::from_raw(1),
            FileId::from_raw(2),
            FileId::from_raw(3),
        );
        let mut held = HeldBack::default();
        held.hold(a, Hold::For(Duration::from_millis(100)), 1, t0);
        held.hold(b, Hold::For(Duration::from_millis(200)), 2, t0);
        held.hold(c, Hold::No, 1, t0);
        assert_eq!(held.waiting(t0, Release::WhenDue), HashSet::from([a, b]));
        assert_eq!(
            (held.in_a_row(b), held.in_a_row(c)),
            (2, 0),
            "`No` holds nothing"
        );

        // When due: the wait alone decides.
        assert_eq!(held.waiting(at(100), Release::WhenDue), HashSet::from([b]));
        // At a tick: only a tick after the wait takes a file up.
        assert_eq!(
            held.waiting(at(150), Release::AtTick),
            HashSet::from([a, b])
        );
        held.release_waited(at(150));
        assert_eq!(held.waiting(at(150), Release::AtTick), HashSet::from([b]));
        assert_eq!(held.in_a_row(a), 1, "a released file keeps its count");

        held.hold(b, Hold::No, 3, at(300));
        assert_eq!(held.in_a_row(b), 0, "a finished file loses its count");
        held.hold(c, Hold::For(Duration::ZERO), 1, t0);
        held.forget_stale(at(100) + FORGET_SETBACKS, Release::AtTick);
        assert_eq!(held.in_a_row(a), 0, "forgotten an hour after its wait");
        assert_eq!(held.in_a_row(c), 1, "never while it waits for a tick");
    }

    #[test]
    fn a_busy_file_is_in_flight_or_held_back() {
        let (a, b, c) = (
            FileId::from_raw(1),
            FileId::from_raw(2),
            FileId::from_raw(3),
        );
        let busy = Busy {
            in_flight: HashSet::from([a]),
            held_back: HashSet::from([b]),
        };
        assert!(busy.contains(a) && busy.contains(b) && !busy.contains(c));
        assert_eq!(busy.len(), 2);
    }
}
