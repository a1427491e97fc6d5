//! The shared index client (`sync_core::index`) against moto's DynamoDB in the local stack,
//! on the table `scripts/provision.py` creates as docs/index.md designs it. Each test works
//! on its own random contents and its own random day, so tests share the table safely.

use std::collections::HashSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lightbox_tests::fault_proxy::{Fault, FaultKind, FaultProxy, RequestMatcher};
use lightbox_tests::stack::stack;
use lightbox_types::{FailureCode, Sha256Digest};
use sync_core::index::{
    DayCursor, DeleteMark, DeleteOutcome, Deletion, Found, IndexError, IndexTable, ItemState,
    LiveFacts, LiveOutcome, MakeLive, Read, Registration, Reserve, ReserveOutcome, STALE_AFTER_MS,
    TakeOver, day_page, delete_mark, lookup, make_live, reserve, take_over,
};
use sync_core::retry::{Backoff, Retrier, RetryPolicy};

const STATION_A: &str = "desk/0000000a";
const STATION_B: &str = "laptop/0000000b";

fn index() -> IndexTable {
    let s = stack();
    s.moto_index_via(&s.info.moto.endpoint)
}

/// The default policy with short waits, so the fault test does not sleep for seconds.
fn retrier() -> Retrier {
    let quick = Backoff {
        base: Duration::from_millis(10),
        cap: Duration::from_millis(50),
    };
    Retrier::new(RetryPolicy {
        temporary: quick,
        throttled: quick,
        ..RetryPolicy::default()
    })
}

fn now_ms() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(since.as_millis()).expect("fits")
}

fn content() -> Sha256Digest {
    Sha256Digest::from(rand::random::<[u8; 32]>())
}

/// A day no other test (or earlier run on this stack) uses.
fn day() -> String {
    let year = rand::random_range(2100..9999);
    let month = rand::random_range(1..=12);
    let day = rand::random_range(1..=28);
    format!("{year:04}-{month:02}-{day:02}")
}

fn key(day: &str, name: &str) -> String {
    format!("originals/{}/{name}", day.replace('-', "/"))
}

fn registration(sha256: Sha256Digest, key: &str) -> Registration {
    Registration {
        sha256,
        key: key.to_owned(),
        size: 1234,
        content_type: "image/jpeg".to_owned(),
        original_name: key.rsplit('/').next().expect("a name").to_owned(),
        uploader_id: "sub-ada".to_owned(),
        uploader_name: "Ada".to_owned(),
        rnd: sync_core::index::random_hex::<8>(),
        captured: None,
        camera_make: Some("NIKON CORPORATION".to_owned()),
        camera_model: None,
        camera_serial: None,
    }
}

fn fresh(reg: &Registration) -> Reserve {
    Reserve {
        registration: reg.clone(),
        content_seen: None,
        key_seen: None,
    }
}

fn live_facts() -> LiveFacts {
    LiveFacts {
        uploaded_at: "2024-03-09T20:15:00.123Z".to_owned(),
        thumb_key: Some("previews/thumb/x.jpg".to_owned()),
        screen_key: None,
        width: Some(600),
        height: Some(400),
    }
}

fn held(outcome: &ReserveOutcome) -> sync_core::index::Hold {
    match outcome {
        ReserveOutcome::Reserved(hold) => hold.clone(),
        other => panic!("expected a reservation, got {other:?}"),
    }
}

fn to_live(reg: &Registration, token: &str, taken: &str) -> MakeLive {
    MakeLive {
        sha256: reg.sha256,
        key: reg.key.clone(),
        token: token.to_owned(),
        rnd: reg.rnd.clone(),
        taken: taken.to_owned(),
        live: live_facts(),
    }
}

#[tokio::test]
async fn index_reserve_lookup_and_make_live_round_trip_on_moto() {
    let (table, retrier, day) = (index(), retrier(), day());
    let regs: Vec<Registration> = (0..3)
        .map(|i| registration(content(), &key(&day, &format!("DSC_000{i}.JPG"))))
        .collect();
    let files: Vec<Reserve> = regs.iter().map(fresh).collect();
    let outcomes = reserve(&table, &retrier, STATION_A, &files, now_ms())
        .await
        .expect("reserved");
    let holds: Vec<_> = outcomes.iter().map(held).collect();

    let found = lookup(
        &table,
        &retrier,
        regs.iter().map(|r| &r.sha256),
        regs.iter().map(|r| r.key.as_str()),
        Read::Eventual,
    )
    .await
    .expect("looked up");
    for (reg, hold) in regs.iter().zip(&holds) {
        let c = &found.contents[&reg.sha256];
        assert_eq!(c.state, ItemState::Reserved);
        assert_eq!(
            c.hold.as_ref(),
            Some(hold),
            "the content item holds the reservation"
        );
        assert_eq!(
            c.registration.as_ref(),
            Some(reg),
            "everything registered reads back"
        );
        let k = &found.keys[&reg.key];
        assert_eq!((k.sha256, k.hold.as_ref()), (reg.sha256, Some(hold)));
    }

    let lives: Vec<MakeLive> = regs
        .iter()
        .zip(&holds)
        .map(|(reg, hold)| to_live(reg, &hold.token, &format!("{day}T10:00:00.000")))
        .collect();
    let made = make_live(&table, &retrier, &lives)
        .await
        .expect("made live");
    assert_eq!(made, [LiveOutcome::Live; 3]);
    let again = make_live(&table, &retrier, &lives[..1])
        .await
        .expect("answered");
    assert_eq!(
        again,
        [LiveOutcome::AlreadyLive],
        "a retry after a lost reply is done"
    );

    let found = lookup(
        &table,
        &retrier,
        [&regs[0].sha256],
        [regs[0].key.as_str()],
        Read::Consistent,
    )
    .await
    .expect("looked up");
    let c = &found.contents[&regs[0].sha256];
    assert_eq!((c.state, c.hold.as_ref()), (ItemState::Live, None));
    assert_eq!(c.live.as_ref(), Some(&live_facts()));
    assert!(c.gallery.is_some(), "a live photo has its GSI keys");
    assert_eq!(found.keys[&regs[0].key].state, ItemState::Live);

    let twice = reserve(
        &table,
        &retrier,
        STATION_B,
        &[fresh(&registration(
            regs[1].sha256,
            &key(&day, "other.jpg"),
        ))],
        now_ms(),
    )
    .await
    .expect("answered");
    assert_eq!(
        twice,
        [ReserveOutcome::ContentLive {
            key: regs[1].key.clone()
        }],
        "live content is a duplicate wherever it was reserved"
    );

    let mut wrong = to_live(
        &registration(content(), &key(&day, "never.jpg")),
        "0000",
        "x",
    );
    wrong.taken = format!("{day}T10:00:00.000");
    let fresh_reg = registration(content(), &key(&day, "lost.jpg"));
    let lost_hold = held(
        &reserve(&table, &retrier, STATION_A, &[fresh(&fresh_reg)], now_ms())
            .await
            .expect("reserved")[0],
    );
    let mut lost = to_live(&fresh_reg, "not-the-token", &format!("{day}T10:00:00.000"));
    assert_ne!(lost.token, lost_hold.token);
    let outcome = make_live(&table, &retrier, &[lost.clone(), wrong])
        .await
        .expect("answered");
    assert_eq!(
        outcome,
        [LiveOutcome::Lost, LiveOutcome::Lost],
        "another token, or no reservation: lost"
    );
    lost.token = lost_hold.token;
    assert_eq!(
        make_live(&table, &retrier, &[lost])
            .await
            .expect("answered"),
        [LiveOutcome::Live]
    );
}

#[tokio::test]
async fn index_two_stations_reserving_one_key_for_different_contents_one_wins_and_the_other_names_it()
 {
    let (table, day) = (index(), day());
    let name = key(&day, "DSC_0001.JPG");
    let (a, b) = (
        registration(content(), &name),
        registration(content(), &name),
    );
    let (ra, rb) = (retrier(), retrier());
    let (fa, fb) = ([fresh(&a)], [fresh(&b)]);
    // Both requests are in flight at once (one task polls both).
    let (one, two) = tokio::join!(
        reserve(&table, &ra, STATION_A, &fa, now_ms()),
        reserve(&table, &rb, STATION_B, &fb, now_ms()),
    );
    let (one, two) = (
        one.expect("answered").remove(0),
        two.expect("answered").remove(0),
    );
    let (winner, winner_hold, loser) = match (&one, &two) {
        (ReserveOutcome::Reserved(h), other) => (a.sha256, h, other),
        (other, ReserveOutcome::Reserved(h)) => (b.sha256, h, other),
        _ => panic!("exactly one must win: {one:?} / {two:?}"),
    };
    assert_eq!(
        loser,
        &ReserveOutcome::KeyTaken {
            owner: winner,
            hold: Some(winner_hold.clone())
        },
        "the loser's outcome names the winning content and its reservation"
    );
    let loser_sha = if winner == a.sha256 {
        b.sha256
    } else {
        a.sha256
    };
    let found = lookup(&table, &ra, [&loser_sha], [], Read::Consistent)
        .await
        .expect("looked up");
    assert!(
        found.contents.is_empty(),
        "the loser left no half reservation"
    );
}

/// `station` takes over the reservations of `reg`'s items as `found` read them.
async fn take(
    table: &IndexTable,
    retrier: &Retrier,
    station: &str,
    reg: &Registration,
    found: &Found,
    now: i64,
) -> TakeOver {
    take_over(
        table,
        retrier,
        station,
        reg.clone(),
        found.contents.get(&reg.sha256),
        found.keys.get(&reg.key),
        now,
    )
    .await
    .expect("answered")
}

#[tokio::test]
async fn index_a_stale_reservation_is_taken_over_and_a_fresh_one_is_not() {
    let (table, retrier, day) = (index(), retrier(), day());
    let now = now_ms();
    let stale = registration(content(), &key(&day, "stale.jpg"));
    let fresh_one = registration(content(), &key(&day, "fresh.jpg"));
    reserve(
        &table,
        &retrier,
        STATION_A,
        &[fresh(&stale)],
        now - STALE_AFTER_MS - 60_000,
    )
    .await
    .expect("reserved long ago");
    let a_hold = held(
        &reserve(
            &table,
            &retrier,
            STATION_A,
            &[fresh(&fresh_one)],
            now - 60_000,
        )
        .await
        .expect("reserved")[0],
    );

    let found = lookup(
        &table,
        &retrier,
        [&stale.sha256, &fresh_one.sha256],
        [stale.key.as_str(), fresh_one.key.as_str()],
        Read::Eventual,
    )
    .await
    .expect("looked up");
    let refused = take(&table, &retrier, STATION_B, &fresh_one, &found, now).await;
    assert_eq!(
        refused,
        TakeOver::NotStale(a_hold),
        "a fresh reservation is left alone"
    );

    let taken = take(&table, &retrier, STATION_B, &stale, &found, now).await;
    let TakeOver::Attempted(ReserveOutcome::Reserved(b_hold)) = taken else {
        panic!("the stale reservation should be taken over: {taken:?}");
    };
    let after = lookup(
        &table,
        &retrier,
        [&stale.sha256, &fresh_one.sha256],
        [stale.key.as_str()],
        Read::Consistent,
    )
    .await
    .expect("looked up");
    assert_eq!(after.contents[&stale.sha256].hold.as_ref(), Some(&b_hold));
    assert_eq!(
        after.keys[&stale.key].hold.as_ref(),
        Some(&b_hold),
        "both items, one reservation"
    );
    assert_eq!(
        after.contents[&fresh_one.sha256].station.as_deref(),
        Some(STATION_A)
    );

    // A second taker that read the same stale reservation is refused: it changed since.
    let late = take(&table, &retrier, "late/0000000c", &stale, &found, now).await;
    assert_eq!(
        late,
        TakeOver::Attempted(ReserveOutcome::ContentReserved {
            key: stale.key.clone(),
            hold: b_hold
        }),
        "the reservation it read is gone; the outcome names the new holder"
    );
}

#[tokio::test]
async fn index_delete_mark_is_refused_for_content_already_deleted_and_tombstones_it() {
    let (table, retrier, day) = (index(), retrier(), day());
    let reg = registration(content(), &key(&day, "gone.jpg"));
    let hold = held(
        &reserve(&table, &retrier, STATION_A, &[fresh(&reg)], now_ms())
            .await
            .expect("reserved")[0],
    );
    make_live(
        &table,
        &retrier,
        &[to_live(&reg, &hold.token, &format!("{day}T09:00:00.000"))],
    )
    .await
    .expect("made live");
    let never_indexed = content();
    let deletion = Deletion {
        deleted_at: "2024-03-10T08:00:00.000Z".to_owned(),
        deleted_by_id: "sub-grace".to_owned(),
        deleted_by_name: "Grace".to_owned(),
    };
    let marks = [
        DeleteMark {
            sha256: reg.sha256,
            key: reg.key.clone(),
            deletion: deletion.clone(),
        },
        DeleteMark {
            sha256: never_indexed,
            key: key(&day, "old.jpg"),
            deletion: deletion.clone(),
        },
    ];
    let first = delete_mark(&table, &retrier, &marks).await.expect("marked");
    assert_eq!(first, [DeleteOutcome::Marked, DeleteOutcome::Marked]);
    let second = delete_mark(&table, &retrier, &marks[..1])
        .await
        .expect("answered");
    assert_eq!(
        second,
        [DeleteOutcome::AlreadyDeleted],
        "marking twice is refused and counted done"
    );

    let found = lookup(
        &table,
        &retrier,
        [&reg.sha256, &never_indexed],
        [],
        Read::Consistent,
    )
    .await
    .expect("looked up");
    let c = &found.contents[&reg.sha256];
    assert!(c.is_deleted() && c.state == ItemState::Deleted);
    assert_eq!(c.gallery, None, "out of every gallery view");
    let t = &found.contents[&never_indexed];
    assert_eq!(
        (t.key.as_str(), t.deletion.as_ref()),
        (key(&day, "old.jpg").as_str(), Some(&deletion))
    );

    let again = reserve(
        &table,
        &retrier,
        STATION_B,
        &[fresh(&registration(reg.sha256, &key(&day, "again.jpg")))],
        now_ms(),
    )
    .await
    .expect("answered");
    assert_eq!(
        again,
        [ReserveOutcome::ContentDeleted {
            key: reg.key.clone()
        }],
        "a tombstone holds"
    );
    let page = day_page(&table, &retrier, &day, 10, None)
        .await
        .expect("a page");
    assert!(
        page.cards.is_empty(),
        "the deleted photo is on no day page: {:?}",
        page.cards
    );
}

#[tokio::test]
async fn index_a_day_of_450_photos_pages_newest_first_with_no_gap_and_no_repeat() {
    let (table, retrier, day) = (index(), retrier(), day());
    let regs: Vec<Registration> = (0..450)
        .map(|i| registration(content(), &key(&day, &format!("IMG_{i:04}.JPG"))))
        .collect();
    let files: Vec<Reserve> = regs.iter().map(fresh).collect();
    let holds: Vec<_> = reserve(&table, &retrier, STATION_A, &files, now_ms())
        .await
        .expect("reserved")
        .iter()
        .map(held)
        .collect();
    // Three photos to a second: ties in the sort time, broken by the content.
    let lives: Vec<MakeLive> = regs
        .iter()
        .zip(&holds)
        .enumerate()
        .map(|(i, (reg, hold))| {
            to_live(
                reg,
                &hold.token,
                &format!(
                    "{day}T{:02}:{:02}:{:02}.000",
                    i / 3 / 3600,
                    i / 3 / 60 % 60,
                    i / 3 % 60
                ),
            )
        })
        .collect();
    let made = make_live(&table, &retrier, &lives)
        .await
        .expect("made live");
    assert!(made.iter().all(|o| *o == LiveOutcome::Live));

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = day_page(&table, &retrier, &day, 37, cursor.as_deref())
            .await
            .expect("a page");
        pages += 1;
        assert!(page.cards.len() <= 37);
        seen.extend(page.cards.iter().map(|c| (c.g_day.clone(), c.sha256)));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
        assert!(pages < 20, "paging must end");
    }
    assert_eq!(seen.len(), 450, "every photo once");
    let unique: HashSet<Sha256Digest> = seen.iter().map(|(_, sha)| *sha).collect();
    assert_eq!(
        unique,
        regs.iter().map(|r| r.sha256).collect::<HashSet<_>>(),
        "no gap, no repeat"
    );
    assert!(
        seen.windows(2).all(|w| w[0].0 > w[1].0),
        "newest first, strictly"
    );
    assert_eq!(pages, 13, "450 / 37 = 12 full pages and one of 6");

    let other = day_page(&table, &retrier, "2024-01-01", 37, cursor.as_deref()).await;
    let err = other.expect_err("a cursor of another day is refused");
    assert_eq!(err.code(), FailureCode::IndexBadCursor, "{err}");
    assert!(err.to_string().contains("start again without it"), "{err}");
    let first = DayCursor::decode(cursor.as_deref().expect("a cursor"), &day).expect("ours");
    assert_eq!(first.month, day[..7]);
}

#[tokio::test]
async fn index_throttling_and_server_errors_are_retried_by_the_retry_policy() {
    let s = stack();
    let proxy = FaultProxy::start(s.info.moto.endpoint.clone())
        .await
        .expect("proxy started");
    let table = s.moto_index_via(&proxy.endpoint());
    let (retrier, day) = (retrier(), day());
    let reg = registration(content(), &key(&day, "flaky.jpg"));
    proxy.inject(RequestMatcher::any(), Fault::SlowDown503);
    proxy.inject(RequestMatcher::any(), Fault::ServerError500);
    let outcome = reserve(&table, &retrier, STATION_A, &[fresh(&reg)], now_ms())
        .await
        .expect("reserved after retries");
    held(&outcome[0]);
    proxy.inject(RequestMatcher::any(), Fault::SlowDown503);
    let found = lookup(&table, &retrier, [&reg.sha256], [], Read::Consistent)
        .await
        .expect("looked up after a retry");
    assert!(found.contents.contains_key(&reg.sha256));
    let stats = proxy.stats();
    assert_eq!(stats.faults_of(FaultKind::SlowDown503), 2);
    assert_eq!(stats.faults_of(FaultKind::ServerError500), 1);
    proxy.shutdown().await;
}

#[tokio::test]
async fn index_a_missing_table_says_which_and_where() {
    let s = stack();
    let good = s.moto_index_via(&s.info.moto.endpoint);
    let table = IndexTable::new(
        good.client().clone(),
        "no-such-index".to_owned(),
        s.info.region.clone(),
    );
    let err = lookup(&table, &retrier(), [&content()], [], Read::Eventual)
        .await
        .expect_err("no table");
    assert!(matches!(err, IndexError::NoTable { .. }), "{err:?}");
    assert_eq!(err.code(), FailureCode::IndexNoTable);
    assert!(
        err.to_string().contains("`no-such-index` does not exist"),
        "{err}"
    );
}
