#!/usr/bin/env python3
"""The fault suite's end-state check, from outside Lightbox: boto3 reads the bucket and
sqlite3 reads the catalog (the daemon must be stopped). Prints one JSON object.

    check_end_state.py BUCKET CATALOG MANIFEST.json

MANIFEST is a JSON list of the source files: [{"name", "sha256", "crc64nvme", "size"}]
(crc64nvme as S3 reports it: base64 of the big-endian CRC). The AWS profile comes from the
environment (the local stack's `lightbox-garage`, or AWS_PROFILE).

What it counts, by SHA-256 of the bytes read back (GetObject, streamed):
- lost: a source file with no object under originals/;
- duplicated: a source file with more than one object;
- corrupted: an object whose bytes match no source file, or whose CRC64/NVME (HeadObject with
  checksum mode) or size differs from its source's;
- multipart_uploads: uploads still open in the bucket (ListMultipartUploads);
- catalog problems: rows not done/skipped, done rows whose key is not in the bucket, ledger
  rows (uploaded_objects) naming a missing object, previews marked made but missing.
"""

import hashlib
import json
import os
import sqlite3
import sys

import boto3


def main():
    bucket, catalog_path, manifest_path = sys.argv[1:4]
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)
    profile = os.environ.get("AWS_PROFILE", "lightbox-garage")
    s3 = boto3.Session(profile_name=profile).client("s3")

    objects = {}
    for prefix in ("originals/", "previews/"):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for o in page.get("Contents", []):
                objects[o["Key"]] = o["Size"]

    by_sha = {}
    originals = {}
    for key in sorted(k for k in objects if k.startswith("originals/")):
        body = s3.get_object(Bucket=bucket, Key=key)["Body"]
        sha = hashlib.sha256()
        size = 0
        for chunk in iter(lambda: body.read(1 << 20), b""):
            sha.update(chunk)
            size += len(chunk)
        head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
        digest = sha.hexdigest()
        originals[key] = {
            "sha256": digest,
            "size": size,
            "crc64nvme": head.get("ChecksumCRC64NVME") or "",
            "metadata_sha256": head.get("Metadata", {}).get("sha256", ""),
        }
        by_sha.setdefault(digest, []).append(key)

    sources = {m["sha256"]: m for m in manifest}
    lost = sorted(m["name"] for m in manifest if m["sha256"] not in by_sha)
    duplicated = [
        {"name": sources[sha]["name"], "keys": keys}
        for sha, keys in sorted(by_sha.items())
        if sha in sources and len(keys) > 1
    ]
    corrupted = []
    for key, o in sorted(originals.items()):
        src = sources.get(o["sha256"])
        if src is None:
            corrupted.append({"key": key, "why": "bytes match no source file", "size": o["size"]})
        elif o["crc64nvme"] != src["crc64nvme"]:
            corrupted.append({"key": key, "why": f"CRC64NVME {o['crc64nvme']!r} != {src['crc64nvme']!r}"})
        elif o["size"] != src["size"]:
            corrupted.append({"key": key, "why": f"size {o['size']} != {src['size']}"})
        elif o["metadata_sha256"] and o["metadata_sha256"] != o["sha256"]:
            corrupted.append({"key": key, "why": "sha256 metadata differs from the bytes"})

    uploads = []
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        uploads += [{"key": u["Key"], "upload_id": u["UploadId"]} for u in page.get("Uploads", [])]

    catalog = check_catalog(catalog_path, objects)
    print(json.dumps({
        "sources": len(manifest),
        "originals": len(originals),
        "previews": sum(1 for k in objects if k.startswith("previews/")),
        "lost": lost,
        "duplicated": duplicated,
        "corrupted": corrupted,
        "multipart_uploads": uploads,
        "catalog": catalog,
    }))


def check_catalog(path, objects):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    states = dict(db.execute("SELECT state, count(*) FROM files GROUP BY state"))
    unfinished = [
        f"{rel} {state} {code or ''}: {message or ''}"
        for rel, state, code, message in db.execute(
            "SELECT rel_path, state, last_error_code, last_error_message FROM files "
            "WHERE state NOT IN ('done', 'skipped') LIMIT 50")
    ]
    missing = [
        f"file {rel}: {key}"
        for rel, key in db.execute(
            "SELECT rel_path, planned_key FROM files WHERE state = 'done'")
        if key not in objects
    ]
    missing += [
        f"uploaded_objects: {key}"
        for (key,) in db.execute("SELECT key FROM uploaded_objects")
        if key not in objects
    ]
    for (key,) in db.execute("SELECT original_key FROM previews WHERE status = 'made'"):
        rest = key.removeprefix("originals/")
        for kind in ("thumb", "screen"):
            preview = f"previews/{kind}/{rest}.jpg"
            if preview not in objects:
                missing.append(f"previews: {preview}")
    integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    return {
        "states": states,
        "unfinished": unfinished,
        "missing_objects": missing,
        "integrity": integrity,
    }


if __name__ == "__main__":
    main()
