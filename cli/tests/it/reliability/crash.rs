//! Crash points: `lightbox run` over a mixed set of files, SIGKILLed again and again at moments
//! aimed at each phase of a file's life, restarted each time; then one run to the end and the
//! end-state check from outside.
//!
//! How a kill is aimed (every delay drawn from the seeded generator):
//! - settle, hashing: a fresh file is dropped in; the kill comes 0–300 ms (settle) or
//!   0–100 ms (hashing) after the daemon logs that file's `Settling` / `Hashing` step;
//! - single PUT, multipart create / part / complete, preview PUT: the fault proxy between the
//!   daemon and Garage holds the reply to the next such request; the kill comes either while the
//!   request body is still arriving (0–50 ms after its head) or once Garage has answered (the
//!   work is done upstream, and the daemon never hears of it);
//! - catalog write: a burst of small files is dropped in and the kill comes 0–100 ms after the
//!   first of them is catalogued, while rows are being inserted and moved on.
//!
//! A kill whose trigger does not come within the patience is still made, and counted apart.

use std::collections::BTreeMap;
use std::time::Duration;

use lightbox_tests::fault_proxy::{Fault, FaultKind, FaultPlan, RequestMatcher, S3Operation};
use rand::{Rng as _, SeedableRng as _};

use super::{EndState, Form, Rig, Source, content_rng, seed, write_figures, write_source};
use crate::support::MIB;

const KIB: u64 = 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Settle,
    Hashing,
    SinglePut,
    MultipartCreate,
    MultipartPart,
    MultipartComplete,
    Preview,
    CatalogWrite,
}

const PHASES: [Phase; 8] = [
    Phase::Settle,
    Phase::Hashing,
    Phase::SinglePut,
    Phase::MultipartCreate,
    Phase::MultipartPart,
    Phase::MultipartComplete,
    Phase::Preview,
    Phase::CatalogWrite,
];

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Self::Settle => "settle",
            Self::Hashing => "hashing",
            Self::SinglePut => "single_put",
            Self::MultipartCreate => "multipart_create",
            Self::MultipartPart => "multipart_part",
            Self::MultipartComplete => "multipart_complete",
            Self::Preview => "preview_put",
            Self::CatalogWrite => "catalog_write",
        }
    }

    /// The request whose reply the proxy holds, for the phases that are S3 requests.
    fn request(self, rng: &mut rand::rngs::StdRng) -> Option<RequestMatcher> {
        let any = RequestMatcher::any();
        Some(match self {
            // A photo's key starts with its year; the guard's probe is under originals/.lightbox/.
            Self::SinglePut => any
                .operation(S3Operation::PutObject)
                .target_contains("/originals/2"),
            Self::MultipartCreate => any.operation(S3Operation::CreateMultipartUpload),
            // Any of the first parts of whichever multipart upload is in flight.
            Self::MultipartPart => any
                .operation(S3Operation::UploadPart)
                .target_contains(&format!("partNumber={}&", rng.random_range(1..=3))),
            Self::MultipartComplete => any.operation(S3Operation::CompleteMultipartUpload),
            Self::Preview => any
                .operation(S3Operation::PutObject)
                .target_contains("/previews/"),
            Self::Settle | Self::Hashing | Self::CatalogWrite => return None,
        })
    }
}

/// The sizes of one form of the test.
struct Scale {
    kills: usize,
    small: usize,
    medium: usize,
    large: usize,
    small_bytes: u64,
    medium_bytes: u64,
    large_bytes: u64,
    burst: usize,
}

impl Scale {
    fn of(form: Form) -> Self {
        match form {
            Form::Long => Self {
                kills: 100,
                small: 30,
                medium: 6,
                large: 2,
                small_bytes: 200 * KIB,
                medium_bytes: 25 * MIB,
                large_bytes: 300 * MIB,
                burst: 20,
            },
            Form::Short => Self {
                kills: PHASES.len(),
                small: 4,
                medium: 1,
                large: 0,
                small_bytes: 100 * KIB,
                medium_bytes: 20 * MIB,
                large_bytes: 0,
                burst: 5,
            },
        }
    }
}

/// What one kill hit.
#[derive(Debug, Default)]
struct KillLog {
    aimed: BTreeMap<&'static str, u64>,
    /// Kills whose trigger did not come in time (made anyway).
    missed: BTreeMap<&'static str, u64>,
    /// Request kills made after Garage had answered (the reply was lost).
    after_upstream_answered: u64,
    /// Request kills made while the body was still arriving.
    during_request: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reliability_crash_points_lose_and_duplicate_nothing() {
    let form = Form::from_env();
    let scale = Scale::of(form);
    let seed = seed("reliability_crash_points");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut content = content_rng(seed);
    let Rig {
        bucket,
        proxy,
        mut daemon,
        camera,
        jpeg_head,
        dir,
    } = Rig::new("crash-points").await;

    let mut sources: Vec<Source> = Vec::new();
    for i in 0..scale.small {
        sources.push(write_source(
            &camera,
            &format!("small-{i:03}.jpg"),
            &jpeg_head,
            scale.small_bytes,
            &mut content,
        ));
    }
    for i in 0..scale.medium {
        sources.push(write_source(
            &camera,
            &format!("medium-{i:03}.jpg"),
            &jpeg_head,
            scale.medium_bytes,
            &mut content,
        ));
    }
    for i in 0..scale.large {
        sources.push(write_source(
            &camera,
            &format!("large-{i:03}.cr3"),
            &[],
            scale.large_bytes,
            &mut content,
        ));
    }

    let mut kills = KillLog::default();
    let mut order = Vec::new();
    for round in 0..scale.kills {
        if order.is_empty() {
            order = PHASES.to_vec();
            // A fresh shuffle per cycle: each phase equally often, in a seeded order.
            for i in (1..order.len()).rev() {
                order.swap(i, rng.random_range(0..=i));
            }
        }
        let phase = order.pop().expect("refilled above");
        let offset = daemon.start();
        daemon.wait_for_line(offset, "lightbox is running");
        proxy.reset_stats();
        if let Some(matcher) = phase.request(&mut rng) {
            proxy.set_plan(
                FaultPlan::pass_through().then(matcher, Fault::stall(Duration::from_secs(120))),
            );
        }
        // Fresh work for the phase aimed at, so it comes however far the set has got.
        let fresh = |name: &str, bytes: u64, content: &mut rand::rngs::StdRng| {
            write_source(
                &camera,
                &format!("r{round:03}-{name}"),
                &jpeg_head,
                bytes,
                content,
            )
        };
        let mut new = Vec::new();
        match phase {
            Phase::Settle | Phase::SinglePut | Phase::Preview => {
                new.push(fresh("one.jpg", scale.small_bytes, &mut content));
            }
            Phase::Hashing
            | Phase::MultipartCreate
            | Phase::MultipartPart
            | Phase::MultipartComplete => {
                new.push(fresh(
                    "mp.jpg",
                    scale.medium_bytes.max(20 * MIB),
                    &mut content,
                ));
            }
            Phase::CatalogWrite => {
                for i in 0..scale.burst {
                    new.push(fresh(
                        &format!("burst-{i:02}.jpg"),
                        8 * KIB + u64::try_from(i).expect("small"),
                        &mut content,
                    ));
                }
            }
        }
        let first = new[0].path.display().to_string();
        sources.extend(new);

        let patience = Duration::from_secs(60);
        let hit = match phase {
            Phase::Settle | Phase::Hashing | Phase::CatalogWrite => {
                let (step, max_delay_ms) = match phase {
                    Phase::Settle => (r#""phase":"Settling""#, 300),
                    Phase::Hashing => (r#""phase":"Hashing""#, 100),
                    _ => (r#""phase":"Discovered""#, 100),
                };
                let seen = daemon.poll(patience, |d| {
                    d.log_since(offset)
                        .lines()
                        .any(|l| l.contains(&first) && l.contains(step))
                        .then_some(())
                });
                if seen.is_some() {
                    std::thread::sleep(Duration::from_millis(rng.random_range(0..=max_delay_ms)));
                }
                seen.is_some()
            }
            _ => {
                let after_answer = rng.random_bool(0.5);
                let seen = daemon.poll(patience, |_| {
                    let stats = proxy.stats();
                    let record = stats
                        .log
                        .iter()
                        .find(|r| r.fault == Some(FaultKind::StallThenContinue))?;
                    (!after_answer || record.upstream_status.is_some()).then_some(())
                });
                if seen.is_some() {
                    if after_answer {
                        kills.after_upstream_answered += 1;
                    } else {
                        kills.during_request += 1;
                        std::thread::sleep(Duration::from_millis(rng.random_range(0..=50)));
                    }
                }
                seen.is_some()
            }
        };
        daemon.kill9();
        proxy.set_plan(FaultPlan::pass_through());
        let counter = if hit {
            &mut kills.aimed
        } else {
            &mut kills.missed
        };
        *counter.entry(phase.name()).or_default() += 1;
        eprintln!(
            "kill {round}: {} ({}); requests since start: {:?}",
            phase.name(),
            if hit { "hit" } else { "missed" },
            proxy.stats().requests_by_operation
        );
    }

    // One run to the end, then a graceful stop so the catalog can be read from outside.
    let offset = daemon.start();
    daemon.wait_for_line(offset, "lightbox is running");
    let files = u64::try_from(sources.len()).expect("small");
    daemon.wait_all_finished(files);
    daemon.terminate();
    let end = EndState::check(&bucket, &daemon.catalog(), &sources, dir.path());
    let missed: u64 = kills.missed.values().sum();
    write_figures(
        "crash_points",
        &end.figures(
            &sources,
            serde_json::json!({
                "seed": seed,
                "kills": scale.kills,
                "kills_aimed_by_phase": kills.aimed,
                "kills_missed_by_phase": kills.missed,
                "request_kills_after_upstream_answered": kills.after_upstream_answered,
                "request_kills_during_request": kills.during_request,
            }),
        ),
    );
    end.assert_clean(&format!(
        "seed {seed}; kills {kills:?}\n{}",
        daemon.log_tail(40)
    ));
    assert_eq!(
        missed, 0,
        "every kill landed in the phase it aimed at: {kills:?} (seed {seed})"
    );
    proxy.shutdown().await;
}
