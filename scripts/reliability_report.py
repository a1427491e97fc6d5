#!/usr/bin/env python3
"""Write the fault suite's figures into RELIABILITY.md, between the `figures` markers.

    reliability_report.py FIGURES_DIR RELIABILITY.md EXIT_STATUS SECONDS

FIGURES_DIR holds one JSON file per test (crash_points.json, network_faults.json, upgrade.json), written by
the tests when LIGHTBOX_RELIABILITY_OUT is set. Everything outside the markers (the bad-inputs
table) is kept as it is.
"""

import datetime
import json
import os
import platform
import subprocess
import sys

BEGIN = "<!-- figures:begin (scripts/reliability.sh writes this part) -->"
END = "<!-- figures:end -->"


def machine():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo", encoding="utf-8") as f:
            kib = int(f.readline().split()[1])
            mem = f", {kib / 1024 / 1024:.1f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{platform.system()} {platform.release()} {platform.machine()}, {os.cpu_count()} × {cpu}{mem}"


def commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def load(directory, name):
    path = os.path.join(directory, f"{name}.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def mapping(m):
    return ", ".join(f"{k} {v}" for k, v in sorted(m.items())) or "none"


def render(directory, status, seconds):
    crash = load(directory, "crash_points")
    net = load(directory, "network_faults")
    upgrade = load(directory, "upgrade")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    form = (crash or net or upgrade or {}).get("form", os.environ.get("LIGHTBOX_RELIABILITY", "?"))
    lines = [
        BEGIN,
        f"Last run: {now}, {form} form, commit {commit()}, on {machine()}; "
        f"{seconds} s, exit status {status} ({'all passed' if status == '0' else 'FAILED'}).",
        "",
        "| suite | faults injected | crashes (SIGKILL) | files | bytes | lost | duplicated | corrupted | open multipart uploads | catalog |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, fig in (("crash points", crash), ("network faults", net), ("upgrade", upgrade)):
        if fig is None:
            lines.append(f"| {name} | – | – | – | – | – | – | – | – | no figures: the test failed before its end state (see the log) |")
            continue
        catalog = "consistent" if (fig["catalog_unfinished"] == 0 and fig["catalog_missing_objects"] == 0
                                   and fig["catalog_integrity"] == "ok") else (
            f"{fig['catalog_unfinished']} unfinished, {fig['catalog_missing_objects']} missing objects, "
            f"integrity {fig['catalog_integrity']}")
        if "faults_injected" in fig:
            faults = str(fig["faults_injected"])
        elif "uploaded_by_previous_release" in fig:
            faults = "the previous release replaced mid-run"
        else:
            held = fig["request_kills_after_upstream_answered"] + fig["request_kills_during_request"]
            faults = f"{held} replies held to aim kills"
        lines.append(
            f"| {name} | {faults} | {fig.get('kills', 0)} | {fig['files']} | "
            f"{fig['bytes']:,} | {fig['lost']} | {fig['duplicated']} | {fig['corrupted']} | "
            f"{fig['open_multipart_uploads']} | {catalog} |")
    lines.append("")
    if crash:
        lines += [
            f"- Crash points (seed {crash['seed']}): kills that landed in their phase: "
            f"{mapping(crash['kills_aimed_by_phase'])}; kills whose trigger did not come in time "
            f"(made anyway): {mapping(crash['kills_missed_by_phase'])}. Of the request kills, "
            f"{crash['request_kills_after_upstream_answered']} came after Garage had answered "
            f"(reply lost), {crash['request_kills_during_request']} while the request was being sent. "
            f"{crash['objects']} originals and {crash['previews']} previews in the bucket.",
        ]
    if net:
        lines += [
            f"- Network faults (seed {net['seed']}): {mapping(net['faults_by_kind'])} over "
            f"{net['requests']} requests; {net['file_attempts_failed_and_retried']} file attempts "
            f"failed and were retried later; `/metrics` counted retries by class: "
            f"{mapping(net.get('retries_by_class', {}))} (an ExpiredToken or RequestTimeTooSkewed "
            "answered to a HEAD has no body, so it counts as temporary: "
            f"`upload_refused_without_code`). {net['objects']} originals and "
            f"{net['previews']} previews in the bucket.",
        ]
    if upgrade:
        lines += [
            f"- Upgrade (seed {upgrade['seed']}): the previous release uploaded "
            f"{upgrade['uploaded_by_previous_release']} files before it was stopped and replaced, "
            f"this build {upgrade['uploaded_by_this_build']}, none of them twice; the previous "
            f"release then refused the migrated catalog: {'yes' if upgrade['downgrade_refused'] else 'no'}.",
        ]
    lines.append(END)
    return "\n".join(lines)


def main():
    directory, target, status, seconds = sys.argv[1:5]
    block = render(directory, status, seconds)
    with open(target, encoding="utf-8") as f:
        text = f.read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
