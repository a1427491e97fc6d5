"""The shared index's request shapes (docs/index.md, built by index_requests.py) against
moto's DynamoDB: the table is the one the local stack provisions (scripts/provision.py
SPEC), on a moto server of the test's own (scripts/moto_server.py on 127.0.0.1, the
project's launcher), so the check needs neither Garage nor a running stack.

This is the contract the engine implements: reservations race and exactly one wins,
with CancellationReasons the loser can act on; stale reservations are taken over;
lookups are BatchGetItem of 100; the day index pages newest first with an opaque cursor
and no gaps or duplicates; only admins' requests name the deletion marks."""

from __future__ import annotations

import copy
import hashlib
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

import index_requests as ix
from parity import INFRA, PROVISION, load_spec

sys.path.insert(0, str(PROVISION.parent))
import provision  # noqa: E402  (scripts/provision.py: the stack's own table definition)

DOC = INFRA.parent / "docs" / "index.md"
SPEC = load_spec()["index_table"]
T0 = 1_709_900_000_000  # 2024-03-08T12:13:20Z, the tests' "now" (never the wall clock)
MINUTE = 60_000


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --- the moto server and a table per test ------------------------------------------------
@pytest.fixture(scope="module")
def moto_endpoint():
    python = os.environ.get("LIGHTBOX_MOTO_PYTHON")
    assert python, ("LIGHTBOX_MOTO_PYTHON must name the moto venv's python (scripts/check-infra.sh "
                    "sets it after scripts/install-python.sh); the contract test starts its own moto")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([python, str(PROVISION.parent / "moto_server.py"), "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                assert server.poll() is None, f"moto exited: {server.stderr.read().decode()[-2000:]}"
                time.sleep(0.1)
        else:
            pytest.fail("moto did not answer within 20 s")
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def ddb(moto_endpoint):
    return boto3.client("dynamodb", endpoint_url=moto_endpoint, region_name=provision.REGION,
                        aws_access_key_id="contract", aws_secret_access_key="contract")  # this moto enforces no IAM


def new_table(ddb, name: str) -> str:
    """A fresh table made by provision.create_index_table (the stack's own code)."""
    spec = copy.deepcopy(SPEC)
    spec["name"] = name
    return provision.create_index_table(ddb, spec)


@pytest.fixture
def table(ddb, request) -> str:
    return new_table(ddb, f"index-{request.node.name}")


# --- helpers ---------------------------------------------------------------------------------
def registration(name: str, content: str, day: str = "2024/03/08", **extra) -> ix.Registration:
    digest = sha(content)
    return ix.Registration(
        sha256=digest, key=f"originals/{day}/{name}", size=len(content) * 1000, content_type="image/jpeg",
        original_name=name, uploader_id=extra.pop("uploader_id", "0f7e4b7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b"),
        uploader_name=extra.pop("uploader_name", "Ada"), rnd=sha("rnd" + content)[:16], **extra)


def held(station: str, at: int, token: str | None = None) -> ix.Reservation:
    return ix.Reservation(station=station, token=token or sha(f"{station}{at}")[:32], reserved_at=at)


def transact(ddb, actions: list[dict]) -> list[str] | None:
    """Send one TransactWriteItems: None when it committed, else the cancellation codes."""
    assert len(actions) <= ix.TRANSACT_MAX_ACTIONS
    try:
        ddb.transact_write_items(TransactItems=actions)
        return None
    except ClientError as e:
        assert e.response["Error"]["Code"] == "TransactionCanceledException", e.response["Error"]
        return [r["Code"] for r in e.response["CancellationReasons"]]


def get_all(ddb, table: str, pks: list[str], consistent: bool = False) -> dict[str, dict]:
    """BatchGetItem in chunks of 100 distinct keys (DynamoDB refuses a request that names
    one twice), retrying UnprocessedKeys: the items by pk."""
    pks = list(dict.fromkeys(pks))
    found: dict[str, dict] = {}
    for i in range(0, len(pks), ix.BATCH_GET_MAX_KEYS):
        request = ix.batch_get(table, pks[i:i + ix.BATCH_GET_MAX_KEYS], consistent=consistent)["RequestItems"]
        while request:
            reply = ddb.batch_get_item(RequestItems=request)
            for item in reply["Responses"].get(table, []):
                found[item["pk"]["S"]] = item
            request = reply.get("UnprocessedKeys") or None
    return found


def go_live(ddb, table: str, pairs: list[tuple[ix.Registration, ix.Reservation]], uploaded_at: int) -> None:
    """Make `pairs` live, FILES_PER_TRANSACTION to a transaction (the engine's batching)."""
    for i in range(0, len(pairs), ix.FILES_PER_TRANSACTION):
        actions = []
        for reg, res in pairs[i:i + ix.FILES_PER_TRANSACTION]:
            local = ix.iso_ms(uploaded_at)[:23]  # the studio's zone is UTC in these tests
            actions += ix.make_live(table, reg, res, uploaded_at=ix.iso_ms(uploaded_at),
                                    sort_time=ix.taken(reg.captured, local),
                                    thumb_key=reg.key.replace("originals/", "previews/thumb/") + ".jpg",
                                    screen_key=reg.key.replace("originals/", "previews/screen/") + ".jpg",
                                    width=6048, height=4024)
        assert transact(ddb, actions) is None, "make-live of reserved files commits"


def reserve_all(ddb, table: str, pairs: list[tuple[ix.Registration, ix.Reservation]]) -> None:
    for i in range(0, len(pairs), ix.FILES_PER_TRANSACTION):
        actions = [a for reg, res in pairs[i:i + ix.FILES_PER_TRANSACTION] for a in ix.reserve(table, reg, res)]
        assert transact(ddb, actions) is None, "reservations of new content under free keys commit"


# --- 1. two stations reserve the same names at once --------------------------------------------
def test_two_stations_racing_for_the_same_names_one_wins_the_other_renames(ddb, table):
    names = [f"DSC_{n:04d}.JPG" for n in range(1, 26)]
    stations = {"a": held("studio-a/1111aaaa", T0), "b": held("studio-b/2222bbbb", T0)}
    files = {s: [registration(n, f"{s}-{n}") for n in names] for s in stations}
    batches = {s: [a for reg in files[s] for a in ix.reserve(table, reg, stations[s])] for s in stations}
    outcome: dict[str, list[str] | None] = {}
    start = threading.Barrier(2)

    def run(station: str) -> None:
        start.wait()
        outcome[station] = transact(ddb, batches[station])

    threads = [threading.Thread(target=run, args=(s,)) for s in stations]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    winners = [s for s, codes in outcome.items() if codes is None]
    assert len(winners) == 1, f"exactly one 50-action transaction commits, got {outcome}"
    loser = "b" if winners == ["a"] else "a"
    codes = outcome[loser]
    assert codes[0::2] == ["None"] * 25, "the loser's content items were free: no reason on them"
    assert codes[1::2] == ["ConditionalCheckFailed"] * 25, \
        "each key action says ConditionalCheckFailed, at the index of the file whose name is taken"
    assert not get_all(ddb, table, [ix.content_pk(r.sha256) for r in files[loser]], consistent=True), \
        "the loser's content actions ran before its first key failed, and were rolled back"

    # The loser re-reads the failed keys (consistent) and plans again: every name is owned by
    # other content, so each file takes <stem>_<hash8 of its own bytes>.<ext>.
    failed = [files[loser][i // 2] for i, code in enumerate(codes) if code == "ConditionalCheckFailed"]
    items = get_all(ddb, table, [ix.key_pk(r.key) for r in failed] + [ix.content_pk(r.sha256) for r in failed],
                    consistent=True)
    renamed = []
    for reg in failed:
        f = ix.facts(items.get(ix.content_pk(reg.sha256)), items.get(ix.key_pk(reg.key)),
                     station=stations[loser].station, now=T0 + 1000)
        assert f.key_owner not in (None, reg.sha256) and not f.tombstoned and f.content_key is None
        stem, ext = reg.key.rsplit(".", 1)
        renamed.append(ix.Registration(**{**reg.__dict__, "key": f"{stem}_{reg.sha256[:8]}.{ext}"}))
    assert transact(ddb, [a for reg in renamed for a in ix.reserve(table, reg, stations[loser])]) is None

    keys = get_all(ddb, table, [ix.key_pk(r.key) for s in stations for r in files[s]] +
                   [ix.key_pk(r.key) for r in renamed])
    assert len(keys) == 50, "25 clean names and 25 renamed ones, nothing else"
    for reg in files[winners[0]]:
        assert keys[ix.key_pk(reg.key)]["sha256"]["S"] == reg.sha256, "the winner holds the clean name"
    for reg in renamed:
        assert keys[ix.key_pk(reg.key)]["sha256"]["S"] == reg.sha256
        assert reg.key.endswith(f"_{reg.sha256[:8]}.JPG"), "the suffix is the hash8 of the file's own bytes"


def test_the_same_content_under_two_names_is_registered_once(ddb, table):
    a, b = held("studio-a/1111aaaa", T0), held("studio-b/2222bbbb", T0)
    on_a = registration("IMG_0001.JPG", "shared")
    on_b = registration("party-01.jpg", "shared")
    assert transact(ddb, ix.reserve(table, on_a, a)) is None
    assert transact(ddb, ix.reserve(table, on_b, b)) == ["ConditionalCheckFailed", "None"], \
        "the content action fails, the key action would have passed: the whole pair is cancelled"
    items = get_all(ddb, table, [ix.content_pk(on_b.sha256), ix.key_pk(on_b.key)], consistent=True)
    assert ix.key_pk(on_b.key) not in items, "a cancelled transaction leaves no key behind"
    f = ix.facts(items.get(ix.content_pk(on_b.sha256)), None, station=b.station, now=T0 + MINUTE)
    assert f.in_flight == (a.station, T0), "B waits for A's upload instead of sending it again"
    go_live(ddb, table, [(on_a, a)], T0 + 2 * MINUTE)
    items = get_all(ddb, table, [ix.content_pk(on_b.sha256)])
    f = ix.facts(items[ix.content_pk(on_b.sha256)], None, station=b.station, now=T0 + 3 * MINUTE)
    assert f.content_key == on_a.key, "once live, B skips it as a duplicate of A's key"


def test_a_cancelled_transaction_never_erases_one_that_committed_meanwhile(ddb, table):
    """scripts/moto_server.py's lock: moto alone restores a table copy taken before the other
    commit (the committed items were gone in 9 rounds of 10 without it)."""
    blocker = registration("TAKEN.JPG", "already there")
    assert transact(ddb, ix.reserve(table, blocker, held("studio-z/0000zzzz", T0))) is None
    for round_ in range(3):
        doomed = [a for n in range(24) for a in ix.reserve(
            table, registration(f"A{round_}_{n}.JPG", f"a {round_} {n}"), held("studio-a/1111aaaa", T0))]
        doomed += ix.reserve(table, registration("TAKEN.JPG", f"a {round_}"), held("studio-a/1111aaaa", T0))
        fine = [registration(f"B{round_}_{n}.JPG", f"b {round_} {n}") for n in range(25)]
        outcome: dict[str, list[str] | None] = {}
        start = threading.Barrier(2)

        def run(name: str, actions: list[dict]) -> None:
            start.wait()
            outcome[name] = transact(ddb, actions)

        threads = [threading.Thread(target=run, args=("doomed", doomed)),
                   threading.Thread(target=run, args=("fine", [a for r in fine for a in ix.reserve(
                       table, r, held("studio-b/2222bbbb", T0))]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcome["fine"] is None and outcome["doomed"] is not None
        assert len(get_all(ddb, table, [ix.key_pk(r.key) for r in fine], consistent=True)) == 25, \
            f"round {round_}: every committed item survives the other transaction's rollback"


# --- 2. stale reservations ---------------------------------------------------------------------
def test_a_stale_key_reservation_is_taken_over_and_the_old_holder_cannot_make_it_live(ddb, table):
    a = held("studio-a/1111aaaa", T0)
    crashed = registration("DSC_0007.JPG", "a's photo")
    assert transact(ddb, ix.reserve(table, crashed, a)) is None

    b_now = T0 + ix.STALE_AFTER_MS + MINUTE
    b = held("studio-b/2222bbbb", b_now)
    mine = registration("DSC_0007.JPG", "b's photo")
    items = get_all(ddb, table, [ix.content_pk(mine.sha256), ix.key_pk(mine.key)])
    early = ix.facts(None, items[ix.key_pk(mine.key)], station=b.station, now=T0 + ix.STALE_AFTER_MS - MINUTE)
    assert early.key_owner == crashed.sha256 and early.key_stale is None, "a fresh reservation owns its name"
    f = ix.facts(None, items[ix.key_pk(mine.key)], station=b.station, now=b_now)
    assert f.key_stale == ix.Seen(a.token, T0) and f.key_owner is None
    # (The engine HEADs the key first: no object there, so the name is free to take over.)
    assert transact(ddb, ix.reserve(table, mine, b, key_seen=f.key_stale)) is None

    codes = transact(ddb, ix.make_live(table, crashed, a, uploaded_at=ix.iso_ms(b_now), sort_time="2024-03-08T12:00:00.000",
                                       thumb_key=None, screen_key=None))
    assert codes == ["None", "ConditionalCheckFailed"], "A's key is gone: its make-live is refused on the key item"
    key = get_all(ddb, table, [ix.key_pk(mine.key)], consistent=True)[ix.key_pk(mine.key)]
    assert key["sha256"]["S"] == mine.sha256 and key["reservation"]["S"] == b.token


def test_a_heartbeat_between_the_read_and_the_takeover_keeps_the_reservation(ddb, table):
    a = held("studio-a/1111aaaa", T0)
    slow = registration("BIG_0001.CR3", "a slow upload")
    assert transact(ddb, ix.reserve(table, slow, a)) is None
    later = T0 + ix.STALE_AFTER_MS + MINUTE
    seen = ix.facts(None, get_all(ddb, table, [ix.key_pk(slow.key)])[ix.key_pk(slow.key)],
                    station="studio-b/2222bbbb", now=later).key_stale
    assert seen is not None, "B judges it stale from what it read"
    assert transact(ddb, ix.heartbeat(table, slow.sha256, slow.key, a, later)) is None, "A is alive after all"
    rival = registration("BIG_0001.CR3", "b's file")
    codes = transact(ddb, ix.reserve(table, rival, held("studio-b/2222bbbb", later), key_seen=seen))
    assert codes == ["None", "ConditionalCheckFailed"], "the takeover names the exact reservation it read"


def test_a_stale_content_reservation_is_taken_over_under_the_new_stations_own_name(ddb, table):
    a = held("studio-a/1111aaaa", T0)
    assert transact(ddb, ix.reserve(table, registration("IMG_0100.HEIC", "orphan"), a)) is None
    later = T0 + ix.STALE_AFTER_MS + MINUTE
    b = held("studio-b/2222bbbb", later)
    again = registration("IMG_0100 copy.HEIC", "orphan")
    f = ix.facts(get_all(ddb, table, [ix.content_pk(again.sha256)])[ix.content_pk(again.sha256)], None,
                 station=b.station, now=later)
    assert f.content_stale == ix.Seen(a.token, T0) and f.in_flight is None
    assert transact(ddb, ix.reserve(table, again, b, content_seen=f.content_stale)) is None
    go_live(ddb, table, [(again, b)], later + MINUTE)
    item = get_all(ddb, table, [ix.content_pk(again.sha256)])[ix.content_pk(again.sha256)]
    assert item["state"]["S"] == "live" and item["key"]["S"] == again.key and item["station"]["S"] == b.station


# --- 3. lookups ---------------------------------------------------------------------------------
def test_batch_get_item_takes_100_keys_in_one_request_and_refuses_101(ddb, table):
    files = [(registration(f"IMG_{n:04d}.JPG", f"lookup {n}"), held("studio-a/1111aaaa", T0)) for n in range(30)]
    reserve_all(ddb, table, files)
    present = [ix.content_pk(r.sha256) for r, _ in files] + [ix.key_pk(r.key) for r, _ in files]
    missing = [ix.content_pk(sha(f"absent {n}")) for n in range(40)]
    reply = ddb.batch_get_item(**ix.batch_get(table, present + missing))
    assert not reply.get("UnprocessedKeys"), "moto answers all 100 at once (the engine still retries leftovers)"
    assert sorted(i["pk"]["S"] for i in reply["Responses"][table]) == sorted(present), \
        "found items come back, absent ones are simply missing"
    with pytest.raises(ClientError) as refused:
        ddb.batch_get_item(RequestItems={table: {"Keys": [{"pk": {"S": pk}} for pk in present + missing + ["C#x"]]}})
    assert refused.value.response["Error"]["Code"] == "ValidationException", "101 keys: the engine must chunk"


# --- 4. the day index -----------------------------------------------------------------------------
DAYS = {"2024/02/29": 150, "2024/03/08": 400, "2024/03/09": 450}
UPLOADERS = [("0f7e4b7a-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "Ada"), ("7c1d2e3f-4a5b-4c6d-9e7f-8a9b0c1d2e3f", "Bo")]


def the_thousand() -> list[ix.Registration]:
    """1,000 photos over three days in two months: captured every 7 s, ties every 50th
    (two photos in the same millisecond), a tenth without a capture time, two uploaders."""
    regs = []
    for day, count in DAYS.items():
        for n in range(count):
            captured = None if n % 10 == 9 else (
                f"{day.replace('/', '-')}T09:{(n * 7) // 60 % 60:02d}:{(n * 7) % 60:02d}.{(n // 50) % 1000:03d}+01:00")
            uploader = UPLOADERS[n % 2]
            regs.append(registration(f"DSC_{n:04d}.JPG", f"{day} {n}", day=day, captured=captured,
                                     uploader_id=uploader[0], uploader_name=uploader[1],
                                     camera_make="NIKON CORPORATION", camera_model="NIKON Z 6_2"))
    return regs


def live_as_made(reg: ix.Registration, station: str) -> list[dict]:
    """The items `go_live` leaves (the same arguments), built directly."""
    return ix.live_items(reg, station, uploaded_at=ix.iso_ms(T0 + MINUTE),
                         sort_time=ix.taken(reg.captured, ix.iso_ms(T0 + MINUTE)[:23]),
                         thumb_key=reg.key.replace("originals/", "previews/thumb/") + ".jpg",
                         screen_key=reg.key.replace("originals/", "previews/screen/") + ".jpg", width=6048, height=4024)


@pytest.fixture(scope="module")
def thousand(ddb) -> tuple[str, list[ix.Registration]]:
    """A table of the 1,000 photos, live. Filled with BatchWriteItem of the very items the
    reservation and make-live transactions leave (test_the_fill_is_what_the_transactions_write
    holds the two together): through moto's expression parser, 4,000 transaction actions take
    a minute on this machine, 40 BatchWriteItems a second."""
    name = new_table(ddb, "index-thousand")
    regs = the_thousand()
    items = [item for r in regs for item in live_as_made(r, "studio-a/1111aaaa")]
    for i in range(0, len(items), 25):
        request = {name: [{"PutRequest": {"Item": item}} for item in items[i:i + 25]]}
        while request:
            request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or None
    return name, regs


def test_the_fill_is_what_the_transactions_write(ddb, table):
    regs = [r for r in the_thousand() if r.original_name in ("DSC_0008.JPG", "DSC_0009.JPG")]
    assert {r.captured is None for r in regs} == {True, False}, "one with a capture time, one without"
    pairs = [(r, held("studio-a/1111aaaa", T0)) for r in regs]
    reserve_all(ddb, table, pairs)
    go_live(ddb, table, pairs, T0 + MINUTE)
    for reg in regs:
        content, key = live_as_made(reg, "studio-a/1111aaaa")
        items = get_all(ddb, table, [content["pk"]["S"], key["pk"]["S"]])
        assert items[content["pk"]["S"]] == content and items[key["pk"]["S"]] == key


def newest_first(regs: list[ix.Registration]) -> list[str]:
    local = ix.iso_ms(T0 + MINUTE)[:23]
    order = sorted(((ix.gsi_keys(r.sha256, r.key, r.rnd, ix.taken(r.captured, local))["g_day"], r.sha256) for r in regs),
                   reverse=True)
    return [digest for _, digest in order]


def test_the_day_index_pages_1000_photos_newest_first_without_gaps_or_duplicates(ddb, thousand):
    table, regs = thousand
    pages, cursor, queries = [], None, 0
    while True:
        cards, cursor, n = ix.day_page(ddb, table, "2024-02-29", "2024-03-09", 37, cursor)
        queries += n
        pages.append(cards)
        if cursor is None:
            break
    seen = [c["pk"]["S"][2:] for page in pages for c in page]
    assert len(seen) == len(set(seen)) == 1000, "every photo once"
    assert seen == newest_first(regs), "newest first: days descending, then the taken time, then the hash"
    assert all(len(p) == 37 for p in pages[:-1]) and len(pages) == 28, "full pages of 37 until the last"
    assert queries <= len(pages) + 2, "one Query per page, plus one where a page crosses into the next month"
    card = pages[0][0]
    assert {"key", "uploader_name", "captured", "camera_model", "thumb_key", "width"} <= set(card), \
        "the index carries what a card shows: no read of the table per photo"


def test_a_filtered_day_page_resumes_after_the_last_card_it_returned(ddb, thousand):
    table, regs = thousand
    ada = [r for r in regs if r.uploader_id == UPLOADERS[0][0] and r.key.startswith("originals/2024/03/09/")]
    got, cursor = [], None
    while True:
        cards, cursor, _ = ix.day_page(ddb, table, "2024-03-09", "2024-03-09", 40, cursor, uploader_id=UPLOADERS[0][0])
        got += [c["pk"]["S"][2:] for c in cards]
        if cursor is None:
            break
    assert got == newest_first(ada), "the filter drops others' photos and never skips one of Ada's"
    with pytest.raises(ValueError):
        ix.day_page(ddb, table, "2024-03-08", "2024-03-09", 40, ix.day_page(ddb, table, "2024-03-09", "2024-03-09", 5)[1])


def test_name_search_and_the_random_view_each_cover_their_photos_once(ddb, thousand):
    table, regs = thousand
    found, cursor = [], None
    while True:
        cards, cursor = ix.name_page(ddb, table, "dsc_01", 25, cursor)
        found += [c["pk"]["S"][2:] for c in cards]
        if cursor is None:
            break
    assert sorted(found) == sorted(r.sha256 for r in regs if r.original_name.lower().startswith("dsc_01"))
    assert len(found) == len(set(found)) == 50 + 100 + 100, "DSC_0100..0149 on Feb 29, DSC_0100..0199 on the others"

    start = sha("a session's seed")[:16]
    ring, cursor = [], None
    while True:
        cards, cursor = ix.random_page(ddb, table, start, 64, cursor)
        ring += [c["g_rnd"]["S"] for c in cards]
        if cursor is None:
            break
    assert len(ring) == len(set(ring)) == 1000, "the random view shows every photo once per round"
    assert ring == sorted(r for r in ring if r >= start) + sorted(r for r in ring if r < start), \
        "in the order of the random values, from the session's start round the ring"


# --- 5. delete (admins) ---------------------------------------------------------------------------
def test_the_delete_mark_is_conditional_hides_the_photo_and_tombstones_the_content(ddb, table):
    a = held("studio-a/1111aaaa", T0)
    doomed = registration("REJECT_01.JPG", "blurry")
    assert transact(ddb, ix.reserve(table, doomed, a)) is None
    go_live(ddb, table, [(doomed, a)], T0 + MINUTE)
    mark = ix.delete_mark(table, doomed.sha256, doomed.key, deleted_at=ix.iso_ms(T0 + 2 * MINUTE),
                          by_id="9a8b7c6d-admin", by_name="Grace")
    assert transact(ddb, [mark]) is None
    assert transact(ddb, [mark]) == ["ConditionalCheckFailed"], "marking twice is refused (re-read: already deleted)"
    cards, _, _ = ix.day_page(ddb, table, "2024-03-08", "2024-03-08", 10)
    assert cards == [], "its GSI keys are gone: no gallery view shows it"

    b = held("studio-b/2222bbbb", T0 + 3 * MINUTE)
    same_card = registration("REJECT_01.JPG", "blurry", day="2024/03/09")
    assert transact(ddb, ix.reserve(table, same_card, b)) == ["ConditionalCheckFailed", "None"]
    item = get_all(ddb, table, [ix.content_pk(same_card.sha256)], consistent=True)[ix.content_pk(same_card.sha256)]
    assert ix.facts(item, None, station=b.station, now=T0 + 3 * MINUTE).tombstoned, "station B skips it as tombstoned"
    assert item["deleted_by_name"]["S"] == "Grace" and item["state"]["S"] == "deleted"
    codes = transact(ddb, ix.make_live(table, doomed, a, uploaded_at=ix.iso_ms(T0), sort_time="x", thumb_key=None,
                                       screen_key=None))
    assert codes[0] == "ConditionalCheckFailed", "no make-live brings deleted content back"


def test_content_deleted_before_it_was_indexed_is_tombstoned_too(ddb, table):
    digest = sha("uploaded before the index existed")
    key = "originals/2023/12/24/XMAS.JPG"
    assert transact(ddb, [ix.delete_mark(table, digest, key, deleted_at=ix.iso_ms(T0), by_id="admin", by_name="Grace")]) is None
    item = get_all(ddb, table, [ix.content_pk(digest)])[ix.content_pk(digest)]
    assert item["key"]["S"] == key and ix.facts(item, None, station="any", now=T0).tombstoned


# --- 6. what IAM sees (offline: the writer policy's dynamodb:Attributes) ---------------------------
def staff_requests() -> list[dict]:
    reg = registration("IMG_1.JPG", "iam", captured="2024-03-08T10:00:00+01:00", camera_make="Canon",
                       camera_model="Canon EOS R5", camera_serial="0123")
    bare = registration("IMG_2.JPG", "bare")
    res = held("studio-a/1111aaaa", T0)
    seen = ix.Seen("old", T0 - ix.STALE_AFTER_MS)
    return [*ix.reserve("t", reg, res), *ix.reserve("t", bare, res, content_seen=seen, key_seen=seen),
            *ix.heartbeat("t", reg.sha256, reg.key, res, T0),
            *ix.make_live("t", reg, res, uploaded_at=ix.iso_ms(T0), sort_time="2024-03-08T10:00:00.000",
                          thumb_key="previews/thumb/x.jpg", screen_key="previews/screen/x.jpg", width=1, height=2)]


def named(action: dict) -> set[str]:
    """dynamodb:Attributes of an Update: its key and every attribute its expressions name."""
    update = action["Update"]
    return set(update["Key"]) | set(update["ExpressionAttributeNames"].values())


def test_staff_requests_name_only_writer_attributes_and_the_delete_mark_names_admin_only_ones():
    writer = set(SPEC["writer_attributes"])
    assert not writer & set(ix.DELETION_MARKS), "the deletion marks are admin-only"
    assert set(ix.GSI_KEYS) | {SPEC["hash_key"]} <= writer, "AWS requires every key attribute in dynamodb:Attributes"
    for action in staff_requests():
        update = action["Update"]
        assert named(action) <= writer, f"{update['UpdateExpression']} stays within the writer policy"
        assert update["Key"]["pk"]["S"][:2] in SPEC["item_kinds"], "dynamodb:LeadingKeys: C#* or K#*"
        assert update.get("ReturnValuesOnConditionCheckFailure", "NONE") == "NONE", \
            "dynamodb:ReturnValues stays NONE: the writer policy allows no ALL_OLD"
    mark = ix.delete_mark("t", sha("x"), "originals/2024/03/08/x.jpg", deleted_at="t", by_id="a", by_name="b")
    assert set(ix.DELETION_MARKS) <= named(mark) and not named(mark) <= writer, \
        "a delete-mark under the staff role fails ForAllValues:StringEquals on dynamodb:Attributes"
    assert set(SPEC["card_attributes"]) <= writer | set(ix.DELETION_MARKS)


# --- 7. the document states these very requests ----------------------------------------------------
def test_docs_index_md_states_the_tested_expressions_verbatim():
    doc = DOC.read_text(encoding="utf-8")
    fixed = [ix.PUT_IF_ABSENT, ix.TAKE_OVER_STALE, ix.HEARTBEAT, ix.HOLDS_RESERVATION, ix.MAKE_LIVE_CONTENT_IF,
             ix.MAKE_LIVE_KEY, ix.MAKE_LIVE_KEY_IF, ix.DELETE_MARK_IF, ix.DAY_RANGE, ix.NAME_PREFIX,
             ix.RANDOM_FROM, ix.RANDOM_ALL, ix.RANDOM_BEFORE]
    built = [a["Update"]["UpdateExpression"] for a in staff_requests()[:2] + staff_requests()[-2:-1]]
    built.append(ix.delete_mark("t", "s", "k", deleted_at="", by_id="", by_name="")["Update"]["UpdateExpression"])
    for expression in fixed + built:
        assert expression in doc, f"docs/index.md states {expression!r}"


# --- 8. item sizes behind the cost figures ---------------------------------------------------------
def test_items_fit_the_write_and_read_units_docs_index_md_counts(ddb, table):
    a = held("studio-a/1111aaaa", T0)
    typical = registration("DSC_0042.JPG", "typical", captured="2024-03-08T14:03:27.120+01:00",
                           camera_make="NIKON CORPORATION", camera_model="NIKON Z 6_2", camera_serial="6012345")
    long_name = "Hochzeit Müller-Lüdenscheidt, Standesamt Schöneberg, Gruppenfoto mit allen Gästen " * 3
    longest = registration(long_name[:251] + ".CR3", "longest", captured="2024-03-08T14:03:27.120+01:00",
                           camera_make="Canon", camera_model="Canon EOS R5", camera_serial="012345678901")
    pairs = [(typical, a), (longest, a)]
    reserve_all(ddb, table, pairs)
    reserved = get_all(ddb, table, [ix.content_pk(r.sha256) for r, _ in pairs])
    go_live(ddb, table, pairs, T0 + MINUTE)
    live = get_all(ddb, table, [ix.content_pk(r.sha256) for r, _ in pairs] + [ix.key_pk(r.key) for r, _ in pairs])
    size = {name: ix.item_size(item) for name, item in (
        ("reserved", reserved[ix.content_pk(typical.sha256)]), ("live", live[ix.content_pk(typical.sha256)]),
        ("key", live[ix.key_pk(typical.key)]), ("longest", live[ix.content_pk(longest.sha256)]))}
    card = {k: v for k, v in live[ix.content_pk(typical.sha256)].items()
            if k in SPEC["card_attributes"] or k in ("pk", "g_month", "g_day")}
    print(f"\nitem sizes (bytes): {size}, card in by_day: {ix.item_size(card)}")
    assert size["reserved"] <= 1024 and size["key"] <= 1024, "a reservation writes 1 unit per item (2 in a transaction)"
    assert size["live"] <= 1024, "a typical live content item is 1 write unit too (2 in a transaction)"
    assert 2048 < size["longest"] <= 3072, "255-byte names (in key, name, GSI keys) make it 3 units"
    assert ix.item_size(card) <= 4096 // 6, "a card is one GSI write unit, and a 4 KB read unit holds 6 of them"
