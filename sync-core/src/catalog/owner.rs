//! The catalog shared between the engine's tasks: owned by a thread of its own, so that no
//! runtime worker ever waits on SQLite or on a lock held across it (issue #17).
//!
//! - **Writes**, and the engine's own reads, ([`CatalogHandle::run`]) go to the writer thread, which owns the read-write
//!   [`Catalog`] and runs one job at a time, in the order they were sent; each state change
//!   is still one transaction inside the job (DESIGN.md). An async caller awaits the reply, so
//!   its worker runs other tasks meanwhile. Long work is cut into short jobs by its caller: the
//!   reconciliation scan walks and stats a folder without the catalog and commits what it
//!   found in batches (`engine/scan.rs`), so a part completion queued behind a scan waits for
//!   one batch, not for the walk.
//! - **Reads** for status, the gallery and the desktop app ([`CatalogHandle::read`]) go to a
//!   second thread with a read-only connection of its own on the same WAL database, so they
//!   never wait behind the writer's queue. Each read job runs in one read transaction, so the
//!   queries in it see one snapshot. An in-memory catalog (tests, dry runs) has no second
//!   connection to open: its reads go to the writer.
//! - Code already on a blocking thread (the scan's walk, the CLI) uses the `*_blocking` forms.
//!
//! A job that panics rolls its transaction back (rusqlite drops it) and the panic is resumed
//! in the caller, as if the job had run there; the thread carries on with the next job. The
//! threads end when the last handle is dropped (their queues close).
//!
//! Why not `tokio-rusqlite`, which runs closures on a connection's own thread: the catalog's
//! API is on [`Catalog`] (which owns its connection, path and cached statements), not on a
//! bare `rusqlite::Connection`, and the read-only second connection and the panic hand-back
//! are ours anyway; the thread loop itself is a dozen lines.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, mpsc};

use tokio::sync::oneshot;

use super::{Catalog, CatalogError};

/// A job for an owner thread: runs with the owned value and sends its own reply.
type Job<C> = Box<dyn FnOnce(&mut C) + Send>;

/// What a job sends back: its value, or the payload of its panic.
type Reply<T> = Result<T, Box<dyn Any + Send>>;

/// A cheap-to-clone handle on the catalog's writer thread and its reader.
#[derive(Debug, Clone)]
pub struct CatalogHandle {
    writer: Owner<Catalog>,
    /// `None` for an in-memory catalog: reads go to the writer.
    reader: Option<Owner<Catalog>>,
    path: Arc<PathBuf>,
}

impl CatalogHandle {
    /// Hand `catalog` to a writer thread, and open a read-only connection to the same file on
    /// a reader thread.
    ///
    /// # Errors
    /// When the read-only connection cannot be opened, or a thread cannot be started.
    pub fn start(catalog: Catalog) -> Result<Self, CatalogError> {
        let path = catalog.path().to_path_buf();
        let reader = if catalog.is_in_memory() {
            None
        } else {
            Some(Owner::spawn(
                "catalog-reader",
                Catalog::open_read_only(&path)?,
                &path,
            )?)
        };
        Ok(Self {
            writer: Owner::spawn("catalog-writer", catalog, &path)?,
            reader,
            path: Arc::new(path),
        })
    }

    /// The database file (`:memory:` for an in-memory catalog).
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `job` on the writer thread, in order with every other job sent there, and await
    /// its result. Keep jobs short (one transaction, or a batch of them): every other job
    /// waits behind it.
    ///
    /// # Errors
    /// What `job` returns; [`CatalogError::Stopped`] if the writer thread is gone.
    pub async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Catalog) -> Result<T, CatalogError> + Send + 'static,
    ) -> Result<T, CatalogError> {
        settle(self.writer.send(job)?.await, &self.path)
    }

    /// Run `job` on the reader connection (the writer's for an in-memory catalog), in one
    /// read transaction, and await its result. It sees every write that finished before it
    /// started.
    ///
    /// # Errors
    /// What `job` returns; [`CatalogError::Stopped`] if the thread is gone.
    pub async fn read<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Catalog) -> Result<T, CatalogError> + Send + 'static,
    ) -> Result<T, CatalogError> {
        settle(self.reader().send(read_job(job))?.await, &self.path)
    }

    /// [`CatalogHandle::run`] from a thread that may block (never a runtime worker: tokio
    /// panics there).
    ///
    /// # Errors
    /// As [`CatalogHandle::run`].
    pub fn run_blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Catalog) -> Result<T, CatalogError> + Send + 'static,
    ) -> Result<T, CatalogError> {
        settle(self.writer.send(job)?.blocking_recv(), &self.path)
    }

    /// [`CatalogHandle::read`] from a thread that may block.
    ///
    /// # Errors
    /// As [`CatalogHandle::read`].
    pub fn read_blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Catalog) -> Result<T, CatalogError> + Send + 'static,
    ) -> Result<T, CatalogError> {
        settle(
            self.reader().send(read_job(job))?.blocking_recv(),
            &self.path,
        )
    }

    fn reader(&self) -> &Owner<Catalog> {
        self.reader.as_ref().unwrap_or(&self.writer)
    }
}

/// `job` in one read transaction, so that its queries see one snapshot.
fn read_job<T>(
    job: impl FnOnce(&Catalog) -> Result<T, CatalogError>,
) -> impl FnOnce(&mut Catalog) -> Result<T, CatalogError> {
    move |catalog: &mut Catalog| catalog.snapshot(|c| job(c))
}

/// The job's value, its panic resumed here, or [`CatalogError::Stopped`] when no reply came.
fn settle<T>(
    reply: Result<Reply<Result<T, CatalogError>>, oneshot::error::RecvError>,
    path: &Path,
) -> Result<T, CatalogError> {
    match reply {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => resume_unwind(panic),
        Err(_) => Err(CatalogError::Stopped {
            path: path.to_path_buf(),
        }),
    }
}

/// A thread that owns a `C` and runs the jobs sent to it, one at a time, until every sender
/// is dropped.
#[derive(Debug)]
struct Owner<C> {
    jobs: mpsc::Sender<Job<C>>,
    /// The catalog's file, for [`CatalogError::Stopped`].
    path: Arc<PathBuf>,
}

impl<C> Clone for Owner<C> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
            path: Arc::clone(&self.path),
        }
    }
}

impl<C: Send + 'static> Owner<C> {
    fn spawn(name: &str, mut owned: C, path: &Path) -> Result<Self, CatalogError> {
        let (jobs, queue) = mpsc::channel::<Job<C>>();
        // The thread ends when the last handle is dropped (the queue closes); it owns nothing
        // but the connection, so there is nothing to join.
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                for job in queue {
                    job(&mut owned);
                }
            })
            .map_err(|source| CatalogError::Thread {
                path: path.to_path_buf(),
                source,
            })?;
        Ok(Self {
            jobs,
            path: Arc::new(path.to_path_buf()),
        })
    }

    /// Queue `job`; its reply arrives on the returned receiver.
    fn send<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut C) -> T + Send + 'static,
    ) -> Result<oneshot::Receiver<Reply<T>>, CatalogError> {
        let (reply, answer) = oneshot::channel();
        let boxed: Job<C> = Box::new(move |owned: &mut C| {
            let result = catch_unwind(AssertUnwindSafe(|| job(owned)));
            // The caller may have gone away (a cancelled task): nobody wants the answer then.
            let _unwanted = reply.send(result);
        });
        self.jobs.send(boxed).map_err(|_| CatalogError::Stopped {
            path: self.path.to_path_buf(),
        })?;
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::test_support::{at, rel, stat};

    fn file_catalog() -> (tempfile::TempDir, CatalogHandle) {
        let dir = tempfile::tempdir().expect("a temp dir can be made");
        let catalog = Catalog::open(&dir.path().join("catalog.db")).expect("opens");
        (dir, CatalogHandle::start(catalog).expect("threads start"))
    }

    #[tokio::test]
    async fn a_read_sees_every_write_that_finished_before_it() {
        let (_dir, handle) = file_catalog();
        let folder = handle
            .run(|c| c.add_folder(Path::new("/photos"), at(1)))
            .await
            .expect("folder added");
        handle
            .run(move |c| c.observe_file(folder, &rel("a.jpg"), &stat(1, 1), at(2)))
            .await
            .expect("file observed");
        let total = handle
            .read(|c| Ok(c.counts_by_state()?.total()))
            .await
            .expect("the reader connection reads");
        assert_eq!(
            total, 1,
            "the reader's snapshot starts after the write's commit"
        );
    }

    #[tokio::test]
    async fn the_reader_connection_cannot_write() {
        let (_dir, handle) = file_catalog();
        let refused = handle
            .reader()
            .send(|c: &mut Catalog| c.add_folder(Path::new("/photos"), at(1)))
            .expect("queued")
            .await
            .expect("answered")
            .expect("no panic");
        let err = refused.expect_err("a read-only connection refuses writes");
        assert_eq!(
            err.code(),
            lightbox_types::FailureCode::CatalogReadOnly,
            "{err}"
        );
    }

    #[tokio::test]
    async fn reads_do_not_wait_for_the_writer_queue() {
        let (_dir, handle) = file_catalog();
        // Hold the writer thread until the read has finished.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let writer = handle.clone();
        let busy = tokio::spawn(async move {
            writer
                .run(move |_| {
                    hold.recv().map_err(|_| CatalogError::Stopped {
                        path: PathBuf::from("test"),
                    })
                })
                .await
        });
        let read = handle.read(Catalog::list_folders).await;
        assert!(
            read.is_ok_and(|folders| folders.is_empty()),
            "the read is answered while the writer is busy"
        );
        release.send(()).expect("the writer job waits");
        busy.await.expect("no panic").expect("the held write ends");
    }

    #[tokio::test]
    async fn a_panicking_job_panics_its_caller_and_the_thread_goes_on() {
        let handle =
            CatalogHandle::start(Catalog::open_in_memory().expect("opens")).expect("threads start");
        let caller = tokio::spawn({
            let handle = handle.clone();
            async move {
                handle
                    .run(|_| -> Result<(), CatalogError> { panic!("a bug in a job") })
                    .await
            }
        });
        assert!(
            caller.await.is_err_and(|e| e.is_panic()),
            "the panic reaches the caller, as if the job had run there"
        );
        let folder = handle
            .run(|c| c.add_folder(Path::new("/photos"), at(1)))
            .await;
        assert!(
            folder.is_ok(),
            "the writer thread still answers: {folder:?}"
        );
    }

    #[test]
    fn blocking_forms_work_off_the_runtime() {
        let handle =
            CatalogHandle::start(Catalog::open_in_memory().expect("opens")).expect("threads start");
        let folder = handle
            .run_blocking(|c| c.add_folder(Path::new("/photos"), at(1)))
            .expect("written");
        let listed = handle.read_blocking(Catalog::list_folders).expect("read");
        assert_eq!(
            listed.iter().map(|f| f.id).collect::<Vec<_>>(),
            vec![folder],
            "an in-memory catalog reads what its writer wrote"
        );
    }
}
