//! `engine::upload_job` (one file's resume, reconcile, complete and verify) against the
//! in-memory transfer (`lightbox_tests::memory_transfer`), as one table: no server, no network,
//! a fresh in-memory catalog per case. Each case says what it proves.
//!
//! Why here: the in-memory transfer lives in the test-support crate, which depends on
//! `sync-core`; `sync-core`'s own unit tests cannot depend on it back (a dev-dependency cycle
//! compiles the engine twice, with two incompatible sets of its types). This crate's one
//! integration binary reaches `upload_job` through its public entry point
//! (`upload_file` with a `JobContext` generic over `Transfer`), the one the uploader uses.
//!
//! Every case runs one job with one request in flight, so the order of calls is the table's.
//! Files of 12 MiB go up in three parts of 5, 5 and 2 MiB; files under 5 MiB in one put.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use lightbox_tests::memory_transfer::{Expiry, Fault, MemoryTransfer};
use lightbox_tests::photos::{MIB, Photo, write_photo};
use lightbox_types::{FailureCode, FileState};
use sync_core::catalog::{Catalog, CatalogHandle, FileId, RelPath, UploadMethod};
use sync_core::engine::upload_job::{JobContext, JobOutcome, JobSettings, upload_file};
use sync_core::ingest::stat_file;
use sync_core::retry::{Backoff, RetryPolicy};
use sync_core::upload::{ObjectMeta, S3Call, Transfer};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

const PART: u64 = 5 * MIB;
const LARGE: u64 = 12 * MIB;
const SMALL: u64 = 300 * 1024;
const KEY: &str = "originals/2024/03/09/IMG_0001.CR3";
const NAME: &str = "IMG_0001.CR3";

/// What the bucket held, or what an earlier run left, before the job starts.
#[derive(Debug, Clone, Copy, Default)]
struct EarlierRun {
    /// Parts an earlier run sent to the bucket.
    sent: &'static [u16],
    /// Of those, the ones its journal recorded.
    journalled: &'static [u16],
    /// Of those, the ones the bucket no longer has.
    lost: &'static [u16],
    /// The bucket no longer knows the upload (aborted by the lifecycle rule).
    upload_gone: bool,
    /// The earlier run completed the upload, but its reply was lost: the object is there and
    /// the journal still names the upload.
    completed: bool,
}

/// What is at the key before the job, or what replaces it just before the job's HEAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Foreign {
    /// The same content, with Lightbox's metadata (another station uploaded it).
    SameFile,
    /// Another file, with its own metadata.
    OtherFile,
    /// Our metadata, but the first half of the bytes (a truncated object).
    Truncated,
    /// Our metadata and size, other bytes (a corrupted object).
    Corrupted,
}

/// A change to the source file just before the n-th call of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    /// Same size, other bytes.
    Rewrite,
    /// Cut to 7 MiB.
    Truncate,
}

#[derive(Debug, Clone, Copy, Default)]
struct Setup {
    size: u64,
    earlier: Option<EarlierRun>,
    /// At the key before the job starts.
    existing: Option<Foreign>,
    /// Replaces the object just before the job's first HEAD (the verify).
    before_verify: Option<Foreign>,
    /// The file on disk changed after it was planned (its stat differs).
    changed_before_start: bool,
    edit: Option<(S3Call, usize, Edit)>,
    /// Credentials expire just before the n-th call of a kind.
    expire: Option<(S3Call, usize, Expiry)>,
    fault: Option<(S3Call, Fault)>,
    /// The upload is aborted by someone else just before the job's first completion.
    gone_before_complete: bool,
    /// A part is lost just before the job's first completion.
    lost_before_complete: Option<u16>,
}

/// What the bucket holds at the key after the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AtKey {
    /// The file, exactly as fingerprinted, with Lightbox's metadata.
    TheFile,
    /// Whatever another writer put there, untouched.
    Foreign,
    Nothing,
}

#[derive(Debug, Clone, Copy)]
struct Expect {
    outcome: JobOutcome,
    state: FileState,
    /// The failure the catalog recorded.
    failure: Option<FailureCode>,
    /// Whether a failure is tried again later (a next attempt time).
    retried_later: bool,
    /// `UploadPart` calls the job made, in order, retries included.
    parts_sent: &'static [u16],
    at_key: AtKey,
    /// Multipart uploads left open in the bucket.
    open_uploads: usize,
    /// Parts the journal held when the job's last `CompleteMultipartUpload` was sent.
    journal_at_complete: &'static [u16],
    /// Parts the journal holds afterwards (a verified upload's journal is dropped).
    journal: &'static [u16],
    refreshes: u32,
}

/// What a job left, to compare with an [`Expect`].
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    outcome: JobOutcome,
    state: FileState,
    failure: Option<FailureCode>,
    retried_later: bool,
    parts_sent: Vec<u16>,
    at_key: AtKey,
    open_uploads: usize,
    journal_at_complete: Vec<u16>,
    journal: Vec<u16>,
    refreshes: u32,
}

impl From<&Expect> for Seen {
    fn from(expect: &Expect) -> Self {
        Self {
            outcome: expect.outcome,
            state: expect.state,
            failure: expect.failure,
            retried_later: expect.retried_later,
            parts_sent: expect.parts_sent.to_vec(),
            at_key: expect.at_key,
            open_uploads: expect.open_uploads,
            journal_at_complete: expect.journal_at_complete.to_vec(),
            journal: expect.journal.to_vec(),
            refreshes: expect.refreshes,
        }
    }
}

struct Case {
    name: &'static str,
    proves: &'static str,
    setup: Setup,
    expect: Expect,
}

const UPLOADED: Expect = Expect {
    outcome: JobOutcome::Finished,
    state: FileState::Uploaded,
    failure: None,
    retried_later: false,
    parts_sent: &[],
    at_key: AtKey::TheFile,
    open_uploads: 0,
    journal_at_complete: &[],
    journal: &[],
    refreshes: 0,
};

/// A large file's three parts sent, journalled and completed.
const UPLOADED_IN_PARTS: Expect = Expect {
    parts_sent: &[1, 2, 3],
    journal_at_complete: &[1, 2, 3],
    ..UPLOADED
};

const fn large() -> Setup {
    Setup {
        size: LARGE,
        earlier: None,
        existing: None,
        before_verify: None,
        changed_before_start: false,
        edit: None,
        expire: None,
        fault: None,
        gone_before_complete: false,
        lost_before_complete: None,
    }
}

const fn small() -> Setup {
    Setup {
        size: SMALL,
        ..large()
    }
}

const fn earlier() -> EarlierRun {
    EarlierRun {
        sent: &[],
        journalled: &[],
        lost: &[],
        upload_gone: false,
        completed: false,
    }
}

fn cases() -> Vec<Case> {
    use AtKey::{Foreign as ForeignAtKey, Nothing};
    use S3Call::{CompleteMultipartUpload, HeadObject, PutObject, UploadPart};
    vec![
        Case {
            name: "single put",
            proves: "a small file goes up in one PutObject and is verified by HEAD",
            setup: small(),
            expect: UPLOADED,
        },
        Case {
            name: "multipart",
            proves: "a large file goes up in parts, each journalled as S3 accepts it, and the \
                     completed object has the file's whole-object CRC64/NVME",
            setup: large(),
            expect: UPLOADED_IN_PARTS,
        },
        Case {
            name: "resume: parts on the server the journal lacks",
            proves: "a part the server has but the journal does not (sent, then a crash \
                     before it was journalled) is sent again; journalled parts the server \
                     lists with the same ETag are not",
            setup: Setup {
                earlier: Some(EarlierRun {
                    sent: &[1, 2],
                    journalled: &[1],
                    ..earlier()
                }),
                ..large()
            },
            expect: Expect {
                parts_sent: &[2, 3],
                ..UPLOADED_IN_PARTS
            },
        },
        Case {
            name: "resume: parts in the journal the server lost",
            proves: "ListParts is the server's truth: a journalled part the server no longer \
                     lists is sent again, the others are trusted",
            setup: Setup {
                earlier: Some(EarlierRun {
                    sent: &[1, 2],
                    journalled: &[1, 2],
                    lost: &[1],
                    ..earlier()
                }),
                ..large()
            },
            expect: Expect {
                parts_sent: &[1, 3],
                ..UPLOADED_IN_PARTS
            },
        },
        Case {
            name: "resume: NoSuchUpload",
            proves: "an upload the server no longer knows (lifecycle rule) is started over: \
                     the journal is cleared and every part goes up in a new upload",
            setup: Setup {
                earlier: Some(EarlierRun {
                    sent: &[1, 2],
                    journalled: &[1, 2],
                    upload_gone: true,
                    ..earlier()
                }),
                ..large()
            },
            expect: UPLOADED_IN_PARTS,
        },
        Case {
            name: "resume: NoSuchUpload after a completion whose reply was lost",
            proves: "the earlier run's object is met by the new upload's If-None-Match \
                     completion (after every part was sent again: the resume does not HEAD \
                     first), verified as this file, never overwritten, and the new upload \
                     is aborted",
            setup: Setup {
                earlier: Some(EarlierRun {
                    sent: &[1, 2, 3],
                    journalled: &[1, 2, 3],
                    completed: true,
                    ..earlier()
                }),
                ..large()
            },
            expect: UPLOADED_IN_PARTS,
        },
        Case {
            name: "complete: NoSuchUpload and no object",
            proves: "an upload aborted before its completion is not taken as done: HEAD \
                     finds nothing, the journal is cleared and the file is tried again later",
            setup: Setup {
                gone_before_complete: true,
                ..large()
            },
            expect: Expect {
                state: FileState::Failed,
                failure: Some(FailureCode::UploadObjectMissing),
                retried_later: true,
                at_key: Nothing,
                ..UPLOADED_IN_PARTS
            },
        },
        Case {
            name: "complete: InvalidPart",
            proves: "a part missing at completion is a temporary failure that keeps the \
                     upload and the journal, so the retry's ListParts re-sends only that part",
            setup: Setup {
                lost_before_complete: Some(2),
                ..large()
            },
            expect: Expect {
                state: FileState::Failed,
                failure: Some(FailureCode::UploadInvalidPart),
                retried_later: true,
                at_key: Nothing,
                open_uploads: 1,
                journal: &[1, 2, 3],
                ..UPLOADED_IN_PARTS
            },
        },
        Case {
            name: "source changed after planning",
            proves: "a file whose stat is not the catalogued one is left to the pipeline \
                     before any request",
            setup: Setup {
                changed_before_start: true,
                ..large()
            },
            expect: Expect {
                outcome: JobOutcome::Deferred,
                state: FileState::Planned,
                at_key: Nothing,
                ..UPLOADED
            },
        },
        Case {
            name: "source rewritten mid-upload (multipart)",
            proves: "parts of new bytes do not add up to the fingerprinted content: the \
                     completion is refused, the upload aborted and the journal cleared, and \
                     no object is written",
            setup: Setup {
                edit: Some((UploadPart, 2, Edit::Rewrite)),
                ..large()
            },
            expect: Expect {
                state: FileState::Failed,
                failure: Some(FailureCode::UploadContentMismatch),
                at_key: Nothing,
                ..UPLOADED_IN_PARTS
            },
        },
        Case {
            name: "source truncated mid-upload",
            proves: "a file that ends before a part is left to the pipeline, and the \
                     multipart upload of its old content is aborted",
            setup: Setup {
                edit: Some((UploadPart, 3, Edit::Truncate)),
                ..large()
            },
            expect: Expect {
                outcome: JobOutcome::Deferred,
                state: FileState::Uploading,
                parts_sent: &[1, 2, 3],
                at_key: Nothing,
                journal: &[1, 2],
                ..UPLOADED
            },
        },
        Case {
            name: "source rewritten before a single put",
            proves: "bytes that are not the fingerprinted ones are refused by the store's \
                     checksum on every attempt, and then fail the file for good",
            setup: Setup {
                edit: Some((PutObject, 1, Edit::Rewrite)),
                ..small()
            },
            expect: Expect {
                state: FileState::Failed,
                failure: Some(FailureCode::UploadChecksumMismatch),
                at_key: Nothing,
                ..UPLOADED
            },
        },
        Case {
            name: "verify: size mismatch",
            proves: "an object of another size at the key after the upload is not taken as \
                     uploaded: a temporary failure, tried again later",
            setup: Setup {
                before_verify: Some(Foreign::Truncated),
                ..small()
            },
            expect: Expect {
                state: FileState::Failed,
                failure: Some(FailureCode::UploadVerifyFailed),
                retried_later: true,
                at_key: ForeignAtKey,
                ..UPLOADED
            },
        },
        Case {
            name: "verify: checksum mismatch",
            proves: "an object of the right size whose CRC64/NVME differs is not taken as \
                     uploaded either",
            setup: Setup {
                before_verify: Some(Foreign::Corrupted),
                ..large()
            },
            expect: Expect {
                state: FileState::Failed,
                failure: Some(FailureCode::UploadVerifyFailed),
                retried_later: true,
                at_key: ForeignAtKey,
                journal: &[1, 2, 3],
                ..UPLOADED_IN_PARTS
            },
        },
        Case {
            name: "verify: the key holds the same file",
            proves: "content another station already uploaded under the key counts as \
                     uploaded (a duplicate), and nothing is written",
            setup: Setup {
                existing: Some(Foreign::SameFile),
                ..small()
            },
            expect: Expect {
                at_key: ForeignAtKey,
                ..UPLOADED
            },
        },
        Case {
            name: "verify: the key holds another file",
            proves: "an existing object with other content is never overwritten: the file \
                     fails for good with upload_key_taken",
            setup: Setup {
                existing: Some(Foreign::OtherFile),
                ..large()
            },
            expect: Expect {
                state: FileState::Failed,
                failure: Some(FailureCode::UploadKeyTaken),
                at_key: ForeignAtKey,
                ..UPLOADED_IN_PARTS
            },
        },
        Case {
            name: "ExpiredToken mid-part",
            proves: "credentials that expire between parts are refreshed and the part is \
                     sent again: the file never fails for it",
            setup: Setup {
                expire: Some((UploadPart, 2, Expiry::UntilRefreshed)),
                ..large()
            },
            expect: Expect {
                parts_sent: &[1, 2, 2, 3],
                refreshes: 1,
                ..UPLOADED_IN_PARTS
            },
        },
        Case {
            name: "ExpiredToken for good mid-part",
            proves: "credentials still refused after their refreshes leave the file waiting \
                     (not failed), with its upload and journal kept for the resume",
            setup: Setup {
                expire: Some((UploadPart, 2, Expiry::ForGood)),
                ..large()
            },
            expect: Expect {
                outcome: JobOutcome::AwaitingCredentials,
                state: FileState::Uploading,
                parts_sent: &[1, 2, 2, 2],
                at_key: Nothing,
                open_uploads: 1,
                journal: &[1],
                refreshes: 2,
                ..UPLOADED
            },
        },
        Case {
            name: "a server error on a part",
            proves: "a temporary failure of one request is retried in the job, not the file",
            setup: Setup {
                fault: Some((UploadPart, Fault::INTERNAL_ERROR)),
                ..large()
            },
            expect: Expect {
                parts_sent: &[1, 1, 2, 3],
                ..UPLOADED_IN_PARTS
            },
        },
        Case {
            name: "a HEAD refused without a code",
            proves: "a HEAD's 400 (no body, no code, as an expired token looks to a HEAD) \
                     is retried, and the upload is verified",
            setup: Setup {
                fault: Some((HeadObject, Fault::EXPIRED_TOKEN)),
                ..small()
            },
            expect: UPLOADED,
        },
        Case {
            name: "complete: a throttled completion",
            proves: "a refusal of the completion that is temporary is retried in the job",
            setup: Setup {
                fault: Some((
                    CompleteMultipartUpload,
                    Fault {
                        status: 503,
                        code: "SlowDown",
                    },
                )),
                ..large()
            },
            expect: UPLOADED_IN_PARTS,
        },
    ]
}

/// A file planned in a fresh in-memory catalog, and an empty in-memory bucket.
struct World {
    _dir: tempfile::TempDir,
    photo: Photo,
    catalog: CatalogHandle,
    file: FileId,
    transfer: MemoryTransfer,
}

impl World {
    fn new(size: u64) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = dir.path().join("camera");
        std::fs::create_dir(&folder).expect("mkdir");
        let photo = write_photo(&folder, NAME, size, 17);
        let now = Timestamp::now();
        let mut catalog = Catalog::open_in_memory().expect("catalog");
        let folder = catalog.add_folder(&folder, now).expect("folder");
        let stat = stat_file(&photo.path).expect("stat").expect("exists");
        let rel = RelPath::from_path(Path::new(NAME)).expect("relative");
        let file = catalog
            .observe_file(folder, &rel, &stat, now)
            .expect("observed")
            .file();
        catalog.mark_ready(file, now).expect("ready");
        catalog
            .record_fingerprint(file, sha256(&photo), Some(&photo.crc64nvme), None, now)
            .expect("hashed");
        catalog.record_plan(file, KEY, now).expect("planned");
        Self {
            _dir: dir,
            photo,
            catalog: CatalogHandle::start(catalog).expect("the catalog's thread starts"),
            file,
            transfer: MemoryTransfer::new("photos"),
        }
    }

    fn meta(&self) -> ObjectMeta {
        ObjectMeta {
            sha256: sha256(&self.photo),
            original_name: NAME.to_owned(),
            capture_time: None,
            source_host: "test-host".to_owned(),
            uploader: "tester".to_owned(),
        }
    }

    /// The object `foreign` describes.
    fn foreign(&self, foreign: Foreign) -> (Vec<u8>, HashMap<String, String>) {
        let bytes = std::fs::read(&self.photo.path).expect("read the photo");
        let ours = self.meta().to_user_metadata();
        match foreign {
            Foreign::SameFile => (bytes, ours),
            Foreign::OtherFile => {
                let mut other = self.meta();
                other.sha256 = [9; 32].into();
                other.original_name = "someone-else.CR3".to_owned();
                (vec![7; 1024], other.to_user_metadata())
            }
            Foreign::Truncated => (bytes[..bytes.len() / 2].to_vec(), ours),
            Foreign::Corrupted => {
                let mut corrupted = bytes;
                corrupted[100] ^= 0xff;
                (corrupted, ours)
            }
        }
    }

    async fn arrange(&self, setup: &Setup) -> Option<Vec<u8>> {
        let mut foreign_bytes = None;
        if let Some(run) = setup.earlier {
            self.earlier_run(&run).await;
        }
        if let Some(existing) = setup.existing {
            let (bytes, meta) = self.foreign(existing);
            self.transfer.put_foreign_object(KEY, &bytes, meta);
            foreign_bytes = Some(bytes);
        }
        if let Some(replacement) = setup.before_verify {
            let (bytes, meta) = self.foreign(replacement);
            let transfer = self.transfer.clone();
            let replaced = bytes.clone();
            self.transfer.before(S3Call::HeadObject, 1, move || {
                transfer.put_foreign_object(KEY, &replaced, meta);
            });
            foreign_bytes = Some(bytes);
        }
        if setup.changed_before_start {
            write_photo(
                self.photo.path.parent().expect("folder"),
                NAME,
                LARGE + 1,
                99,
            );
        }
        if let Some((call, nth, edit)) = setup.edit {
            let path = self.photo.path.clone();
            self.transfer
                .before(call, nth, move || edit_file(&path, edit));
        }
        if let Some((call, nth, expiry)) = setup.expire {
            let transfer = self.transfer.clone();
            self.transfer
                .before(call, nth, move || transfer.expire_credentials(expiry));
        }
        if let Some((call, fault)) = setup.fault {
            self.transfer.fail_next(call, fault);
        }
        if setup.gone_before_complete {
            let transfer = self.transfer.clone();
            self.transfer
                .before(S3Call::CompleteMultipartUpload, 1, move || {
                    for (upload_id, _) in transfer.open_uploads() {
                        transfer.expire_upload(&upload_id);
                    }
                });
        }
        if let Some(part) = setup.lost_before_complete {
            let transfer = self.transfer.clone();
            self.transfer
                .before(S3Call::CompleteMultipartUpload, 1, move || {
                    for (upload_id, _) in transfer.open_uploads() {
                        transfer.forget_part(&upload_id, part);
                    }
                });
        }
        foreign_bytes
    }

    /// What an earlier run of the job left in the bucket and the journal.
    async fn earlier_run(&self, run: &EarlierRun) {
        let now = Timestamp::now();
        let upload_id = self
            .transfer
            .create_multipart(KEY, &self.meta())
            .await
            .expect("create");
        let method = UploadMethod::multipart(upload_id.clone(), PART);
        let file = self.file;
        self.catalog
            .run(move |c| c.mark_uploading(file, &method, now))
            .await
            .expect("uploading");
        let mut sent = Vec::new();
        for &n in run.sent {
            let offset = u64::from(n - 1) * PART;
            let len = PART.min(self.photo.size - offset);
            let part = self
                .transfer
                .put_part(&upload_id, KEY, n, &self.photo.path, offset, len)
                .await
                .expect("part");
            if run.journalled.contains(&n) {
                let (file, upload_id, journalled) = (self.file, upload_id.clone(), part.clone());
                self.catalog
                    .run(move |c| c.record_part(file, &upload_id, &journalled, now))
                    .await
                    .expect("journalled");
            }
            sent.push(part);
        }
        for &n in run.lost {
            self.transfer.forget_part(&upload_id, n);
        }
        if run.completed {
            let expected = sync_core::upload::ExpectedContent {
                size: self.photo.size,
                crc64nvme_base64: self.photo.crc64nvme.clone(),
            };
            self.transfer
                .complete_multipart(&upload_id, KEY, &sent, Some(&expected))
                .await
                .expect("complete");
        }
        if run.upload_gone {
            self.transfer.expire_upload(&upload_id);
        }
    }

    /// The journal's part numbers, noted each time a `CompleteMultipartUpload` is sent.
    fn journal_at_each_completion(&self) -> Arc<Mutex<Vec<u16>>> {
        let noted = Arc::new(Mutex::new(Vec::new()));
        let (catalog, file, note) = (self.catalog.clone(), self.file, Arc::clone(&noted));
        self.transfer
            .before_each(S3Call::CompleteMultipartUpload, move || {
                // This hook runs on the test's runtime thread, where the catalog's blocking
                // calls are refused: ask from a thread of its own.
                let parts = std::thread::scope(|s| {
                    s.spawn(|| catalog.read_blocking(move |c| c.parts(file)))
                        .join()
                        .expect("the reading thread")
                })
                .expect("parts");
                *note.lock().expect("not poisoned") = parts.iter().map(|p| p.part_number).collect();
            });
        noted
    }

    async fn run_job(&self) -> JobOutcome {
        let (events, _) = broadcast::channel(1024);
        let settings = JobSettings {
            uploader: "tester".to_owned(),
            source_host: "test-host".to_owned(),
            max_requests_in_flight: 1,
            multipart_threshold: PART,
            part_size: Some(PART),
            retry: fast_retries(),
        };
        let ctx = JobContext::new(
            self.catalog.clone(),
            self.transfer.clone(),
            events,
            settings,
        );
        let file = self.file;
        let record = self
            .catalog
            .read(move |c| c.get_file(file))
            .await
            .expect("read")
            .expect("the row");
        let (file, outcome) = upload_file(Arc::new(ctx), record, CancellationToken::new()).await;
        assert_eq!(file, self.file);
        outcome
    }
}

/// The default policy's budgets with millisecond waits: the table tests what is retried, not
/// how long it waits.
fn fast_retries() -> RetryPolicy {
    let quick = Backoff {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(2),
    };
    RetryPolicy {
        temporary: quick,
        throttled: quick,
        ..RetryPolicy::default()
    }
}

fn sha256(photo: &Photo) -> lightbox_types::Sha256Digest {
    photo.sha256.parse().expect("a hex SHA-256")
}

fn edit_file(path: &PathBuf, edit: Edit) {
    let mut bytes = std::fs::read(path).expect("read the source");
    match edit {
        Edit::Rewrite => bytes.iter_mut().for_each(|b| *b = b.wrapping_add(1)),
        Edit::Truncate => bytes.truncate(usize::try_from(7 * MIB).expect("fits")),
    }
    std::fs::write(path, bytes).expect("edit the source");
}

#[tokio::test]
async fn upload_job_table() {
    let mut failures = Vec::new();
    for case in cases() {
        let world = World::new(case.setup.size);
        let foreign = world.arrange(&case.setup).await;
        let at_complete = world.journal_at_each_completion();
        let calls_before = world.transfer.calls().len();
        let outcome = world.run_job().await;

        let file = world.file;
        let record = world
            .catalog
            .read(move |c| c.get_file(file))
            .await
            .expect("read")
            .expect("the row");
        let journal = world
            .catalog
            .read(move |c| c.parts(file))
            .await
            .expect("parts");
        let parts_sent: Vec<u16> = world.transfer.calls()[calls_before..]
            .iter()
            .filter_map(|call| call.part_number)
            .collect();
        let at_key = match world.transfer.object(KEY) {
            None => AtKey::Nothing,
            Some(object) if Some(&object.bytes) == foreign.as_ref() => AtKey::Foreign,
            Some(object) => {
                let file = std::fs::read(&world.photo.path).expect("read");
                assert_eq!(
                    (object.bytes == file, &object.crc64nvme_base64),
                    (true, &world.photo.crc64nvme),
                    "{}: the object at the key is neither the file nor the foreign one",
                    case.name
                );
                assert_eq!(
                    sync_core::upload::ObjectMeta::from_user_metadata(&object.user_metadata),
                    Some(world.meta()),
                    "{}: the object carries Lightbox's metadata",
                    case.name
                );
                AtKey::TheFile
            }
        };
        let seen = Seen {
            outcome,
            state: record.state,
            failure: record.last_failure.map(|f| f.code),
            retried_later: record.next_attempt_at.is_some(),
            parts_sent,
            at_key,
            open_uploads: world.transfer.open_uploads().len(),
            journal_at_complete: at_complete.lock().expect("not poisoned").clone(),
            journal: journal.iter().map(|p| p.part_number).collect(),
            refreshes: world.transfer.refreshes(),
        };
        let expected = Seen::from(&case.expect);
        if seen == expected {
            println!("ok   {}: {}", case.name, case.proves);
        } else {
            let calls: Vec<String> = world
                .transfer
                .calls()
                .iter()
                .map(|c| match c.part_number {
                    Some(n) => format!("{}({n})", c.call),
                    None => c.call.to_string(),
                })
                .collect();
            failures.push(format!(
                "{}\n  proves:   {}\n  expected: {expected:?}\n  got:      {seen:?}\n  calls:    {}",
                case.name,
                case.proves,
                calls.join(" ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) of the upload_job table failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
