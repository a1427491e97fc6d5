"""The shared index's requests, exactly as docs/index.md states them: a reference for
the engine's implementation, exercised against moto by test_index_contract.py.

Pure builders: each returns the request parameters as boto3 (and the AWS API) take
them; time is always passed in (epoch milliseconds), nothing here reads a clock or
does I/O. Every attribute name goes through `#name` placeholders and every value
through `:name`, so DynamoDB's reserved words (key, size, state, name) never matter.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

# --- limits and timings (docs/index.md, "Limits") ---------------------------------------
BATCH_GET_MAX_KEYS = 100  # BatchGetItem: at most 100 keys per request
TRANSACT_MAX_ACTIONS = 100  # TransactWriteItems: at most 100 actions per request
FILES_PER_TRANSACTION = TRANSACT_MAX_ACTIONS // 2  # two items per file
STALE_AFTER_MS = 30 * 60 * 1000  # a reservation untouched this long may be taken over
HEARTBEAT_EVERY_MS = 10 * 60 * 1000  # the holder refreshes reserved_at this often

# --- item kinds and index names ---------------------------------------------------------
CONTENT = "C#"
KEY = "K#"
BY_DAY, BY_NAME, BY_RANDOM = "by_day", "by_name", "by_random"

# The deletion marks: admin-only (not in the writer policy's dynamodb:Attributes).
DELETION_MARKS = ("deleted_at", "deleted_by_id", "deleted_by_name")
GSI_KEYS = ("g_month", "g_day", "g_name1", "g_name", "g_shard", "g_rnd")

# --- the fixed expressions (each appears verbatim in docs/index.md) ---------------------
PUT_IF_ABSENT = "attribute_not_exists(#pk)"
TAKE_OVER_STALE = "#state = :reserved AND #reservation = :seen_token AND #reserved_at = :seen_at"
HEARTBEAT = "SET #reserved_at = :now"
HOLDS_RESERVATION = "#state = :reserved AND #reservation = :token"
MAKE_LIVE_CONTENT_IF = "#state = :reserved AND #reservation = :token AND #key = :key"
MAKE_LIVE_KEY = "SET #state = :live REMOVE #reserved_at, #reservation"
MAKE_LIVE_KEY_IF = "#state = :reserved AND #reservation = :token AND #sha256 = :sha256"
DELETE_MARK_IF = "attribute_not_exists(#deleted_at)"
NOT_DELETED = "attribute_not_exists(#deleted_at)"
DAY_RANGE = "#g_month = :month AND #g_day BETWEEN :from AND :to"
NAME_PREFIX = "#g_name1 = :first AND begins_with(#g_name, :prefix)"
RANDOM_FROM = "#g_shard = :shard AND #g_rnd >= :start"
RANDOM_ALL = "#g_shard = :shard"
RANDOM_BEFORE = "#g_shard = :shard AND #g_rnd < :start"


def content_pk(sha256: str) -> str:
    return CONTENT + sha256


def key_pk(key: str) -> str:
    return KEY + key


def _s(value: str) -> dict:
    return {"S": value}


def _n(value: int) -> dict:
    return {"N": str(value)}


def _names(expression: str) -> dict[str, str]:
    """`#name` placeholders of an expression, each standing for the attribute `name`."""
    names, i = {}, 0
    while (i := expression.find("#", i)) >= 0:
        j = i + 1
        while j < len(expression) and (expression[j].isalnum() or expression[j] == "_"):
            j += 1
        names[expression[i:j]] = expression[i + 1:j]
        i = j
    return names


def update(table: str, pk: str, set_: dict[str, dict], remove: list[str], condition: str,
           values: dict[str, dict]) -> dict:
    """One `Update` action of TransactWriteItems: SET #a = :a for each of `set_`, REMOVE
    the `remove` attributes, under `condition`. ReturnValuesOnConditionCheckFailure is
    left at NONE: the writer policy allows no ALL_OLD (the engine re-reads instead)."""
    parts = []
    if set_:
        parts.append("SET " + ", ".join(f"#{a} = :{a}" for a in set_))
    if remove:
        parts.append("REMOVE " + ", ".join(f"#{a}" for a in remove))
    expression = " ".join(parts)
    return {"Update": {
        "TableName": table,
        "Key": {"pk": _s(pk)},
        "UpdateExpression": expression,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": _names(expression + " " + condition),
        "ExpressionAttributeValues": {**{f":{a}": v for a, v in set_.items()}, **values},
    }}


# --- registration and reservation -------------------------------------------------------
@dataclass(frozen=True)
class Reservation:
    """Who holds a key and a content while its upload runs."""
    station: str  # "<host>/<station id>", stable per catalog
    token: str  # random per reservation, kept in the catalog row
    reserved_at: int  # epoch ms, refreshed by the heartbeat


@dataclass(frozen=True)
class Seen:
    """A stale reservation as read, to take over exactly that one."""
    token: str
    reserved_at: int


@dataclass(frozen=True)
class Registration:
    """What a station knows about a file when it plans it (before the upload)."""
    sha256: str
    key: str
    size: int
    content_type: str
    original_name: str
    uploader_id: str
    uploader_name: str
    rnd: str  # 16 lowercase hex digits, random
    captured: str | None = None  # "2024-03-09T21:14:03.120+01:00", offset when recorded
    camera_make: str | None = None
    camera_model: str | None = None
    camera_serial: str | None = None


OPTIONAL_AT_REGISTRATION = ("captured", "camera_make", "camera_model", "camera_serial")


def reserve(table: str, reg: Registration, res: Reservation, *, content_seen: Seen | None = None,
            key_seen: Seen | None = None) -> list[dict]:
    """The two actions that reserve `reg.key` for `reg.sha256` and register the content, in
    one TransactWriteItems with other files' pairs: action 2i is the content item, 2i+1 the
    key item. Each item is created if absent, or taken over from the stale reservation
    `*_seen` (read by the caller and judged stale with STALE_AFTER_MS)."""
    present = {a: _s(getattr(reg, a)) for a in OPTIONAL_AT_REGISTRATION if getattr(reg, a) is not None}
    absent = [a for a in OPTIONAL_AT_REGISTRATION if getattr(reg, a) is None]
    held = {"state": _s("reserved"), "station": _s(res.station), "reserved_at": _n(res.reserved_at),
            "reservation": _s(res.token)}

    def condition(seen: Seen | None) -> tuple[str, dict]:
        if seen is None:
            return PUT_IF_ABSENT, {}
        return TAKE_OVER_STALE, {":reserved": _s("reserved"), ":seen_token": _s(seen.token),
                                 ":seen_at": _n(seen.reserved_at)}

    content_if, content_values = condition(content_seen)
    key_if, key_values = condition(key_seen)
    content = update(table, content_pk(reg.sha256), {
        "key": _s(reg.key), "size": _n(reg.size), "content_type": _s(reg.content_type),
        "original_name": _s(reg.original_name), "uploader_id": _s(reg.uploader_id),
        "uploader_name": _s(reg.uploader_name), "rnd": _s(reg.rnd), **present, **held,
    }, absent, content_if, content_values)
    key = update(table, key_pk(reg.key), {"sha256": _s(reg.sha256), **held}, [], key_if, key_values)
    return [content, key]


def heartbeat(table: str, sha256: str, key: str, res: Reservation, now: int) -> list[dict]:
    """Refresh a running reservation on both items (batched like reservations)."""
    values = {":now": _n(now), ":reserved": _s("reserved"), ":token": _s(res.token)}
    return [{"Update": {
        "TableName": table,
        "Key": {"pk": _s(pk)},
        "UpdateExpression": HEARTBEAT,
        "ConditionExpression": HOLDS_RESERVATION,
        "ExpressionAttributeNames": _names(HEARTBEAT + " " + HOLDS_RESERVATION),
        "ExpressionAttributeValues": values,
    }} for pk in (content_pk(sha256), key_pk(key))]


# --- make live ----------------------------------------------------------------------------
def key_day(key: str) -> str:
    """`originals/YYYY/MM/DD/<name>` -> "YYYY-MM-DD"."""
    return key[len("originals/"):len("originals/YYYY/MM/DD")].replace("/", "-")


def taken(captured: str | None, uploaded_at_local: str) -> str:
    """The time a card sorts by, "YYYY-MM-DDTHH:MM:SS.mmm" (always milliseconds): the capture
    time as the camera recorded it (its offset dropped), else the upload time as civil time
    in the studio's zone."""
    civil = (captured or uploaded_at_local)[:23]
    if len(civil) == 19:
        civil += ".000"
    return civil.ljust(23, "0")


def gsi_keys(sha256: str, key: str, rnd: str, sort_time: str) -> dict[str, str]:
    """The six GSI key attributes of a live content item."""
    name = key.rsplit("/", 1)[1].lower()
    day = key_day(key)
    return {
        "g_month": day[:7],
        "g_day": f"{day}#{sort_time}#{sha256}",
        "g_name1": name[0],
        "g_name": f"{name}#{sha256}",
        "g_shard": rnd[0],
        "g_rnd": f"{rnd}#{sha256}",
    }


def make_live(table: str, reg: Registration, res: Reservation, *, uploaded_at: str, sort_time: str,
              thumb_key: str | None, screen_key: str | None, width: int | None = None,
              height: int | None = None) -> list[dict]:
    """The two actions that make a verified (and previewed) upload live: the content item
    gets its upload time, previews, pixel size and GSI keys; both lose the reservation."""
    optional = {"thumb_key": thumb_key, "screen_key": screen_key}
    sizes = {"width": width, "height": height}
    content = update(table, content_pk(reg.sha256), {
        "state": _s("live"), "uploaded_at": _s(uploaded_at),
        **{a: _s(v) for a, v in optional.items() if v is not None},
        **{a: _n(v) for a, v in sizes.items() if v is not None},
        **{a: _s(v) for a, v in gsi_keys(reg.sha256, reg.key, reg.rnd, sort_time).items()},
    }, ["reserved_at", "reservation"], MAKE_LIVE_CONTENT_IF,
        {":reserved": _s("reserved"), ":token": _s(res.token), ":key": _s(reg.key)})
    key = {"Update": {
        "TableName": table,
        "Key": {"pk": _s(key_pk(reg.key))},
        "UpdateExpression": MAKE_LIVE_KEY,
        "ConditionExpression": MAKE_LIVE_KEY_IF,
        "ExpressionAttributeNames": _names(MAKE_LIVE_KEY + " " + MAKE_LIVE_KEY_IF),
        "ExpressionAttributeValues": {":live": _s("live"), ":reserved": _s("reserved"),
                                      ":token": _s(res.token), ":sha256": _s(reg.sha256)},
    }}
    return [content, key]


def live_items(reg: Registration, station: str, *, uploaded_at: str, sort_time: str, thumb_key: str | None,
               screen_key: str | None, width: int | None = None, height: int | None = None) -> list[dict]:
    """The content item and the key item as they stand after `reserve` and `make_live`
    (what `lightbox index rebuild` writes for an object it finds, too)."""
    values = {
        "pk": _s(content_pk(reg.sha256)), "key": _s(reg.key), "size": _n(reg.size),
        "content_type": _s(reg.content_type), "original_name": _s(reg.original_name),
        "uploader_id": _s(reg.uploader_id), "uploader_name": _s(reg.uploader_name), "rnd": _s(reg.rnd),
        **{a: _s(getattr(reg, a)) for a in OPTIONAL_AT_REGISTRATION if getattr(reg, a) is not None},
        "state": _s("live"), "station": _s(station), "uploaded_at": _s(uploaded_at),
        **{a: _s(v) for a, v in (("thumb_key", thumb_key), ("screen_key", screen_key)) if v is not None},
        **{a: _n(v) for a, v in (("width", width), ("height", height)) if v is not None},
        **{a: _s(v) for a, v in gsi_keys(reg.sha256, reg.key, reg.rnd, sort_time).items()},
    }
    key = {"pk": _s(key_pk(reg.key)), "sha256": _s(reg.sha256), "state": _s("live"), "station": _s(station)}
    return [values, key]


# --- delete (admins) ----------------------------------------------------------------------
def delete_mark(table: str, sha256: str, key: str, *, deleted_at: str, by_id: str, by_name: str) -> dict:
    """Mark content deleted before its objects go: the deletion marks (admin-only attributes),
    state "deleted", and the GSI keys removed so it leaves every gallery view. `key` is set
    only where the item has none (content deleted before it was ever indexed)."""
    expression = ("SET #state = :deleted, #deleted_at = :deleted_at, #deleted_by_id = :deleted_by_id, "
                  "#deleted_by_name = :deleted_by_name, #key = if_not_exists(#key, :key) "
                  "REMOVE " + ", ".join(f"#{a}" for a in GSI_KEYS))
    return {"Update": {
        "TableName": table,
        "Key": {"pk": _s(content_pk(sha256))},
        "UpdateExpression": expression,
        "ConditionExpression": DELETE_MARK_IF,
        "ExpressionAttributeNames": _names(expression + " " + DELETE_MARK_IF),
        "ExpressionAttributeValues": {":deleted": _s("deleted"), ":deleted_at": _s(deleted_at),
                                      ":deleted_by_id": _s(by_id), ":deleted_by_name": _s(by_name),
                                      ":key": _s(key)},
    }}


# --- lookups -------------------------------------------------------------------------------
def batch_get(table: str, pks: list[str], *, consistent: bool = False) -> dict:
    """One BatchGetItem of at most BATCH_GET_MAX_KEYS items (whole items: the plan needs
    the state, the reservation and the deletion marks). Eventually consistent for the plan;
    consistent for the re-read after a cancelled transaction."""
    assert len(pks) <= BATCH_GET_MAX_KEYS, "chunk the keys: BatchGetItem takes at most 100"
    return {"RequestItems": {table: {"Keys": [{"pk": _s(pk)} for pk in pks], "ConsistentRead": consistent}}}


# --- what the plan makes of the items (docs/index.md, "The plan step") ---------------------
@dataclass
class Facts:
    """One file's facts from its content item and candidate key item."""
    tombstoned: bool = False
    content_key: str | None = None  # live content: a duplicate at this key
    in_flight: tuple[str, int] | None = None  # reserved elsewhere and fresh: (station, reserved_at)
    content_stale: Seen | None = None  # reserved elsewhere and stale: take it over
    own_reservation: bool = False  # reserved by this station (resume after a crash)
    key_owner: str | None = None  # the content holding the key (live or fresh reservation)
    key_stale: Seen | None = None  # the key's reservation is stale: check the bucket, take over
    notes: list[str] = field(default_factory=list)


def _plain(item: dict | None) -> dict[str, str] | None:
    return None if item is None else {k: next(iter(v.values())) for k, v in item.items()}


def facts(content_item: dict | None, key_item: dict | None, *, station: str, now: int) -> Facts:
    """Pure: the facts for `decide` from the two items as BatchGetItem returned them."""
    f = Facts()
    c, k = _plain(content_item), _plain(key_item)
    if c is not None:
        if "deleted_at" in c:
            f.tombstoned = True
        elif c["state"] == "live":
            f.content_key = c["key"]
        elif c["station"] == station:
            f.own_reservation = True
        elif now - int(c["reserved_at"]) > STALE_AFTER_MS:
            f.content_stale = Seen(c["reservation"], int(c["reserved_at"]))
        else:
            f.in_flight = (c["station"], int(c["reserved_at"]))
    if k is not None:
        if k["state"] == "reserved" and k["station"] != station and now - int(k["reserved_at"]) > STALE_AFTER_MS:
            f.key_stale = Seen(k["reservation"], int(k["reserved_at"]))
        else:
            f.key_owner = k["sha256"]
    return f


# --- gallery pages and the opaque cursor -------------------------------------------------
def encode_cursor(view: str, query_id: str, position: dict[str, Any]) -> str:
    """base64url (no padding) of a small JSON: the view, a digest of the query (a cursor is
    refused for another query) and the position after the last card returned."""
    raw = json.dumps({"v": 1, "view": view, "q": query_id, **position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, view: str, query_id: str) -> dict[str, Any]:
    data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    if data.get("v") != 1 or data.get("view") != view or data.get("q") != query_id:
        raise ValueError("this cursor belongs to another view or query; start again without it")
    return data


def query_id(**query: Any) -> str:
    return hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]


def months_newest_first(first_day: str, last_day: str) -> list[str]:
    """The g_month partitions a day range touches, newest first."""
    y, m = int(last_day[:4]), int(last_day[5:7])
    out = []
    while f"{y:04d}-{m:02d}" >= first_day[:7]:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    return out


def filter_expression(uploader_id: str | None = None, camera: tuple[str, str] | None = None) -> tuple[str, dict, dict]:
    """The gallery filters as a FilterExpression (applied after the read: they cost the items
    read, not the items returned); deleted content is always left out."""
    parts, names, values = [NOT_DELETED], {"#deleted_at": "deleted_at"}, {}
    if uploader_id is not None:
        parts.append("#uploader_id = :uploader_id")
        names["#uploader_id"] = "uploader_id"
        values[":uploader_id"] = _s(uploader_id)
    if camera is not None:
        parts.append("#camera_make = :camera_make AND #camera_model = :camera_model")
        names.update({"#camera_make": "camera_make", "#camera_model": "camera_model"})
        values.update({":camera_make": _s(camera[0]), ":camera_model": _s(camera[1])})
    return " AND ".join(parts), names, values


def _fill(client, params: dict, start: dict | None, cards: list[dict], limit: int) -> tuple[bool, int]:
    """Query `params` from after `start`, appending to `cards` until it holds `limit` cards
    (more when DynamoDB's page ran on: the caller cuts) or the range ends. `Limit` counts
    items read before the filter, hence the loop. Returns (page full, Query requests)."""
    requests = 0
    while True:
        request = {**params, "Limit": limit - len(cards)}
        if start:
            request["ExclusiveStartKey"] = start
        reply = client.query(**request)
        requests += 1
        cards += reply["Items"]
        if len(cards) >= limit:
            return True, requests
        start = reply.get("LastEvaluatedKey")
        if not start:
            return False, requests


def day_page(client, table: str, first_day: str, last_day: str, limit: int, cursor: str | None = None,
             uploader_id: str | None = None) -> tuple[list[dict], str | None, int]:
    """One newest-first page of the day range [first_day, last_day] (at most `limit` cards)
    and the cursor of the next one (None at the end), with the number of Query requests.
    The cursor is the GSI key of the last card returned, so a page that stopped inside a
    DynamoDB page (filters, `limit`) resumes exactly after it."""
    qid = query_id(view="day", first=first_day, last=last_day, uploader=uploader_id)
    position = decode_cursor(cursor, "day", qid) if cursor else None
    filt, names, values = filter_expression(uploader_id)
    cards: list[dict] = []
    requests = 0
    months = months_newest_first(first_day, last_day)
    if position:
        months = months[months.index(position["m"]):]
    for month in months:
        start = None
        if position and position["m"] == month:
            start = {"pk": _s(position["p"]), "g_month": _s(month), "g_day": _s(position["d"])}
        full, n = _fill(client, {
            "TableName": table, "IndexName": BY_DAY, "ScanIndexForward": False,
            "KeyConditionExpression": DAY_RANGE, "FilterExpression": filt,
            "ExpressionAttributeNames": {**_names(DAY_RANGE), **names},
            "ExpressionAttributeValues": {":month": _s(month), ":from": _s(first_day + "#"),
                                          ":to": _s(last_day + "$"), **values},
        }, start, cards, limit)
        requests += n
        if full:
            last = cards[limit - 1]
            cursor = encode_cursor("day", qid, {"m": month, "d": last["g_day"]["S"], "p": last["pk"]["S"]})
            return cards[:limit], cursor, requests
    return cards, None, requests


def name_page(client, table: str, prefix: str, limit: int, cursor: str | None = None) -> tuple[list[dict], str | None]:
    """Names starting with `prefix` (lowercased), in name order."""
    prefix = prefix.lower()
    qid = query_id(view="name", prefix=prefix)
    position = decode_cursor(cursor, "name", qid) if cursor else None
    filt, names, values = filter_expression()
    cards: list[dict] = []
    start = {"pk": _s(position["p"]), "g_name1": _s(prefix[0]), "g_name": _s(position["n"])} if position else None
    full, _ = _fill(client, {
        "TableName": table, "IndexName": BY_NAME, "KeyConditionExpression": NAME_PREFIX,
        "FilterExpression": filt, "ExpressionAttributeNames": {**_names(NAME_PREFIX), **names},
        "ExpressionAttributeValues": {":first": _s(prefix[0]), ":prefix": _s(prefix), **values},
    }, start, cards, limit)
    if not full:
        return cards, None
    last = cards[limit - 1]
    return cards[:limit], encode_cursor("name", qid, {"n": last["g_name"]["S"], "p": last["pk"]["S"]})


SHARDS = "0123456789abcdef"


def random_segments(start: str) -> list[tuple[str, str]]:
    """The 17 queries that walk the ring once from `start` (a 16-hex-digit point chosen when
    the view opens): its shard from `start` up, the next shards whole (wrapping), and its
    shard again below `start`."""
    s = SHARDS.index(start[0])
    ring = [SHARDS[(s + i) % 16] for i in range(1, 16)]
    return [(start[0], RANDOM_FROM)] + [(shard, RANDOM_ALL) for shard in ring] + [(start[0], RANDOM_BEFORE)]


def random_page(client, table: str, start: str, limit: int, cursor: str | None = None) -> tuple[list[dict], str | None]:
    """The random view: every live photo once, in the order of its random value from `start`
    round the ring; the cursor holds the segment and the last card."""
    qid = query_id(view="random", start=start)
    position = decode_cursor(cursor, "random", qid) if cursor else {"s": 0}
    filt, names, values = filter_expression()
    cards: list[dict] = []
    segments = random_segments(start)
    for index in range(position["s"], len(segments)):
        shard, condition = segments[index]
        begin = None
        if "r" in position and index == position["s"]:
            begin = {"pk": _s(position["p"]), "g_shard": _s(shard), "g_rnd": _s(position["r"])}
        bounds = {} if condition == RANDOM_ALL else {":start": _s(start)}
        full, _ = _fill(client, {
            "TableName": table, "IndexName": BY_RANDOM, "KeyConditionExpression": condition,
            "FilterExpression": filt, "ExpressionAttributeNames": {**_names(condition), **names},
            "ExpressionAttributeValues": {":shard": _s(shard), **bounds, **values},
        }, begin, cards, limit)
        if full:
            last = cards[limit - 1]
            return cards[:limit], encode_cursor("random", qid, {"s": index, "r": last["g_rnd"]["S"],
                                                                 "p": last["pk"]["S"]})
    return cards, None


# --- item size (what a request costs) -----------------------------------------------------
def item_size(item: dict) -> int:
    """DynamoDB's item size: UTF-8 bytes of each attribute name plus its value (strings:
    UTF-8 bytes; numbers: about one byte per two significant digits plus one)."""
    total = 0
    for name, value in item.items():
        total += len(name.encode())
        (kind, v), = value.items()
        if kind == "S":
            total += len(v.encode())
        elif kind == "N":
            digits = v.lstrip("-").replace(".", "").strip("0") or "0"
            total += (len(digits) + 1) // 2 + 1
        else:
            raise ValueError(f"no size rule here for {kind}")
    return total


def iso_ms(epoch_ms: int) -> str:
    """RFC 3339 UTC with milliseconds, as uploaded_at and deleted_at are written."""
    t = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(milliseconds=epoch_ms)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"
