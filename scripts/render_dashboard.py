"""Draw a Grafana dashboard's time-series panels with matplotlib, from a real Prometheus.

Grafana is packaged by neither Debian nor PyPI, so this stands in for its screenshot:
each panel of the dashboard JSON (docs/grafana/lightbox.json) keeps its place (gridPos),
title and unit, and each of its queries is sent as it is to Prometheus's
/api/v1/query_range, with Grafana's variables replaced ($instance by a regex,
$__rate_interval by a duration). A series is labelled by the query's legendFormat. A
panel whose queries return nothing says "no data" (a metric the daemon does not have yet).

    render_dashboard.py DASHBOARD.json --prometheus http://127.0.0.1:9090 \
        --start EPOCH --end EPOCH --out lightbox.png
"""

from __future__ import annotations

import argparse
import json
import re
import urllib.parse
import urllib.request
from datetime import datetime, timezone

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after the backend is chosen)
from matplotlib.gridspec import GridSpec  # noqa: E402

UNITS = {"s": "seconds", "Bps": "bytes/s", "reqps": "requests/s", "none": "", "short": ""}


def query_range(prometheus: str, expr: str, start: float, end: float, step: float) -> list[dict]:
    params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{prometheus}/api/v1/query_range?{params}", timeout=30) as reply:
        body = json.load(reply)
    if body.get("status") != "success":
        raise RuntimeError(f"Prometheus refused {expr!r}: {body}")
    return body["data"]["result"]


def legend(fmt: str, labels: dict[str, str]) -> str:
    return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt) or json.dumps(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dashboard")
    parser.add_argument("--prometheus", required=True)
    parser.add_argument("--start", type=float, required=True)
    parser.add_argument("--end", type=float, required=True)
    parser.add_argument("--step", type=float, default=2.0)
    parser.add_argument("--instance", default=".*", help="value of $instance (a regex)")
    parser.add_argument("--rate-interval", default="15s", help="value of $__rate_interval")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    with open(args.dashboard, encoding="utf-8") as f:
        dashboard = json.load(f)
    panels = [p for p in dashboard["panels"] if p.get("type") == "timeseries"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels)
    fig = plt.figure(figsize=(16, rows * 0.42), layout="constrained")
    grid = GridSpec(rows, 24, figure=fig)
    fig.suptitle(
        f"{dashboard['title']}: the panels of {args.dashboard}, drawn by matplotlib from Prometheus "
        f"({datetime.fromtimestamp(args.start, timezone.utc):%Y-%m-%d %H:%M:%S} to "
        f"{datetime.fromtimestamp(args.end, timezone.utc):%H:%M:%S} UTC)",
        fontsize=11,
    )
    for panel in panels:
        pos = panel["gridPos"]
        ax = fig.add_subplot(grid[pos["y"] : pos["y"] + pos["h"], pos["x"] : pos["x"] + pos["w"]])
        ax.set_title(panel["title"], fontsize=10, loc="left")
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "none")
        ax.set_ylabel(UNITS.get(unit, unit), fontsize=8)
        ax.tick_params(labelsize=7)
        drawn = 0
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$__rate_interval", args.rate_interval).replace("$instance", args.instance)
            for series in query_range(args.prometheus, expr, args.start, args.end, args.step):
                times = [float(t) - args.start for t, _ in series["values"]]
                values = [float(v) for _, v in series["values"]]
                ax.plot(times, values, linewidth=1.2, label=legend(target.get("legendFormat", ""), series["metric"]))
                drawn += 1
        if drawn:
            ax.legend(fontsize=7, loc="upper left")
            ax.set_ylim(bottom=0)
        else:
            ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes, color="grey")
        ax.set_xlim(0, args.end - args.start)
        ax.set_xlabel("seconds since the run started", fontsize=7)
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out} ({len(panels)} panels)")


if __name__ == "__main__":
    main()
