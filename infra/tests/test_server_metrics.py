"""The server example (infra/examples/server) against its metric contract, metrics.json.

metrics.json lists every metric of the daemon's Prometheus /metrics and of its EMF lines,
with one name for both. These tests fail when an alarm, the CloudWatch dashboard or the
Grafana dashboard names a metric, a dimension set or a namespace the contract does not
have, so a rename on the Terraform (or Grafana) side cannot drift from it; a Rust test
holds the daemon to the same file. They also check what the example promises about the
instance (no inbound rule, IMDSv2, encrypted volumes, a verified package) and that the
rendered config, agent config and user data fit together.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from parity import INFRA, TfDir, parse_tf
from tftemplate import render

SERVER = INFRA / "examples" / "server"
ROOT = INFRA.parent
CONTRACT = json.loads((SERVER / "metrics.json").read_text(encoding="utf-8"))
METRICS = {m["name"]: m for m in CONTRACT["metrics"]}
GRAFANA = ROOT / "docs" / "grafana" / "lightbox.json"

# CloudWatch's units (PutMetricData MetricDatum.Unit), which EMF takes as they are.
CLOUDWATCH_UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second",
    "Terabits/Second", "Count/Second", "None",
}

# What issue #23 asks the EMF lines to carry, and the alarms to watch.
REQUIRED_EMF = {
    "lightbox_uploaded_files_total",
    "lightbox_failed_files_total",
    "lightbox_uploaded_bytes_total",
    "lightbox_queue_files",
    "lightbox_oldest_waiting_file_age_seconds",
    "lightbox_retries_total",
    "lightbox_uptime_seconds",
}

SAMPLE = {
    "station": "studio-server",
    "region": "eu-west-1",
    "bucket": "acme-studio-photos",
    "instance_id": "i-0123456789abcdef0",
    "volume_id": "vol-0123456789abcdef0",
    "release_url": "https://example.com/lightbox-0.1.0-x86_64-linux.tar.gz",
    "release_sha256": "0" * 64,
}


def _resolve(value: Any, scope: dict[str, Any]) -> Any:
    """`${local.x}` / `${var.x}` to its value in `scope` (locals, then variable defaults)."""
    if isinstance(value, str):
        match = re.fullmatch(r"\$\{(local|var)\.(\w+)\}", value)
        if match:
            return scope[f"{match.group(1)}.{match.group(2)}"]
    return value


@pytest.fixture(scope="module")
def tf() -> TfDir:
    return TfDir(SERVER)


@pytest.fixture(scope="module")
def scope(tf: TfDir) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, body in tf.variables.items():
        values[f"var.{name}"] = body.get("default")
    for tf_file in sorted(SERVER.glob("*.tf")):
        for block in parse_tf(tf_file).get("locals", []):
            for name, value in block.items():
                values[f"local.{name}"] = value
    return values


def _locals(scope: dict[str, Any]) -> dict[str, Any]:
    return {k.removeprefix("local."): v for k, v in scope.items() if k.startswith("local.")}


def _agent_config(scope: dict[str, Any]) -> dict[str, Any]:
    loc = _locals(scope)
    text = render(SERVER / "cloudwatch-agent.json.tftpl", {
        "host_namespace": loc["host_namespace"],
        "mount": loc["mount"],
        "log_group": "/lightbox/lightbox-server",
        "log_file": loc["log_file"],
        "emf_file": loc["emf_file"],
    })
    return json.loads(text)


def _host_metrics(scope: dict[str, Any]) -> dict[str, set[frozenset[str]]]:
    """The agent's metrics (name -> dimension sets) as its config publishes them."""
    agent = _agent_config(scope)
    metrics = agent["metrics"]
    appended = set(metrics.get("append_dimensions", {}))
    host = set() if agent["agent"].get("omit_hostname") else {"host"}
    collected = metrics["metrics_collected"]
    out: dict[str, set[frozenset[str]]] = {}
    for measurement in collected.get("disk", {}).get("measurement", []):
        disk = collected["disk"]
        dims = {"path", "fstype"} | ({"device"} if not disk.get("drop_device") else set())
        out[f"disk_{measurement}"] = {frozenset(dims | appended | host)}
    for measurement in collected.get("mem", {}).get("measurement", []):
        out[f"mem_{measurement}"] = {frozenset(appended | host)}
    return out


def _emf_dimension_sets(name: str) -> set[frozenset[str]]:
    return {frozenset(s) for s in METRICS[name]["emf"]["dimension_sets"]}


# --- the contract itself ---------------------------------------------------------------


def test_the_contract_names_follow_prometheus_and_cloudwatch_rules():
    assert len(METRICS) == len(CONTRACT["metrics"]), "each metric is listed once"
    station = CONTRACT["emf"]["station_dimension"]
    for name, metric in METRICS.items():
        assert re.fullmatch(r"lightbox_[a-z0-9_]+", name), f"{name}: the daemon's registry prefix `lightbox_`"
        assert metric["type"] in {"counter", "gauge", "histogram"}, name
        assert name.endswith("_total") == (metric["type"] == "counter"), \
            f"{name}: OpenMetrics counters, and only they, end in _total"
        for label in metric.get("label_values", {}):
            assert label in metric["labels"], f"{name}: label_values for a label it has ({label})"
        emf = metric["emf"]
        if emf is None:
            continue
        assert metric["type"] != "histogram", f"{name}: EMF carries counters and gauges only"
        assert emf["unit"] in CLOUDWATCH_UNITS, f"{name}: {emf['unit']} is a CloudWatch unit"
        assert emf["dimension_sets"], f"{name}: at least one dimension set"
        for dims in emf["dimension_sets"]:
            assert dims[0] == station, f"{name}: every dimension set starts with `{station}`"
            assert set(dims[1:]) <= set(metric["labels"]), f"{name}: EMF dimensions are its /metrics labels"
            assert len(dims) <= 30, "EMF allows at most 30 dimensions in a set"
        for label in metric["labels"]:
            assert [station, label] in emf["dimension_sets"], \
                f"{name}: a labelled metric has the set ({station}, {label}), as /metrics has the label"


def test_the_contract_has_every_metric_the_issue_asks_for_in_emf():
    missing = sorted(n for n in REQUIRED_EMF if n not in METRICS or METRICS[n]["emf"] is None)
    assert not missing, f"issue #23's EMF metrics missing from metrics.json: {missing}"
    # A labelled counter keeps its rollup, which the alarms and the totals read.
    for name in ("lightbox_failed_files_total", "lightbox_retries_total"):
        assert frozenset({"station"}) in _emf_dimension_sets(name), f"{name} rolls up to the station"


def test_the_daemon_has_the_whole_contract_and_the_docs_list_its_emf_metrics():
    # The daemon renders every metric in /metrics and the EMF ones in its EMF lines
    # (cli/src/ops/contract.rs checks the Rust side against this file).
    lacking = sorted(
        n for n, m in METRICS.items() if m["today"] != {"prometheus": True, "emf": m["emf"] is not None}
    )
    assert not lacking, f"metrics.json says the daemon lacks: {lacking}"
    doc = (ROOT / "docs" / "daemon.md").read_text(encoding="utf-8")
    for name in ("lightbox_oldest_waiting_file_age_seconds", "lightbox_uptime_seconds"):
        assert f"`{name}`" in doc, f"docs/daemon.md describes the gauge {name}"
    # Its table of the EMF metrics is metrics.json's, row for row.
    rows = {
        m.group(1): (m.group(2), m.group(3))
        for m in re.finditer(r"^\s*\| `(lightbox_\w+)` \| `(\w+)` \| (`\[.*\]`) \|$", doc, re.MULTILINE)
    }
    expected = {
        name: (m["emf"]["unit"], ", ".join(f"`[{', '.join(dims)}]`" for dims in m["emf"]["dimension_sets"]))
        for name, m in METRICS.items() if m["emf"]
    }
    assert rows == expected, "docs/daemon.md's EMF table lists metrics.json's EMF metrics, units and dimension sets"


# --- alarms ------------------------------------------------------------------------------


def _alarms(scope: dict[str, Any]) -> dict[str, dict]:
    """The rows of `local.alarms` (monitoring.tf), one alarm each."""
    return scope["local.alarms"]


def test_one_alarm_resource_makes_every_row_and_notifies_the_topic(tf):
    alarm = tf.resources[("aws_cloudwatch_metric_alarm", "this")]
    assert alarm["for_each"] == "${local.alarms}"
    wiring = {
        "namespace": "namespace", "metric_name": "metric", "dimensions": "dimensions",
        "statistic": "statistic", "period": "period", "evaluation_periods": "periods",
        "datapoints_to_alarm": "periods", "comparison_operator": "comparison",
        "threshold": "threshold", "treat_missing_data": "missing",
    }
    for argument, field in wiring.items():
        assert alarm[argument] == f"${{each.value.{field}}}", f"{argument} comes from the row's {field}"
    topic = ["${aws_sns_topic.alarms.arn}"]
    assert alarm["alarm_actions"] == topic and alarm["ok_actions"] == topic, "notify the topic, going and clearing"


def test_every_alarm_watches_a_metric_that_exists_with_its_dimension_set(scope):
    alarms = _alarms(scope)
    assert set(alarms) == {"failed_files", "oldest_waiting_file", "not_reporting", "data_disk"}
    host = _host_metrics(scope)
    for name, alarm in alarms.items():
        namespace = _resolve(alarm["namespace"], scope)
        metric = alarm["metric"]
        dims = frozenset(alarm["dimensions"])
        if namespace == CONTRACT["namespace"]:
            assert metric in METRICS and METRICS[metric]["emf"], f"alarm {name}: {metric} is an EMF metric of metrics.json"
            assert dims in _emf_dimension_sets(metric), \
                f"alarm {name}: dimensions {sorted(dims)} are a set {metric} is published with (CloudWatch matches sets exactly)"
            kind = METRICS[metric]["type"]
            allowed = {"counter": {"Sum"}, "gauge": {"Maximum", "Minimum", "Average", "SampleCount"}}[kind]
            assert alarm["statistic"] in allowed, f"alarm {name}: {alarm['statistic']} of a {kind} (EMF counters are increases)"
        else:
            assert namespace == _locals(scope)["host_namespace"], f"alarm {name}: a namespace the agent or the daemon writes"
            assert metric in host, f"alarm {name}: the agent config publishes {metric}"
            assert dims in host[metric], f"alarm {name}: dimensions {sorted(dims)} are what the agent config publishes"


def test_the_alarms_fire_on_what_the_issue_asks(scope):
    alarms = _alarms(scope)
    failed = alarms["failed_files"]
    assert (failed["comparison"], failed["threshold"]) == ("GreaterThanThreshold", 0), "any failed file"
    oldest = alarms["oldest_waiting_file"]
    assert oldest["threshold"] == "${var.oldest_waiting_alarm_minutes * 60}"
    assert scope["var.oldest_waiting_alarm_minutes"] == 30, "older than 30 min"
    silent = alarms["not_reporting"]
    assert silent["missing"] == "breaching", "no data is the alarm"
    assert silent["period"] == 60 and silent["periods"] == "${var.not_reporting_alarm_minutes}"
    assert scope["var.not_reporting_alarm_minutes"] == 10, "not reporting for 10 min"
    assert METRICS[silent["metric"]]["emf"] and silent["statistic"] == "SampleCount", \
        "the heartbeat: any EMF line counts"
    disk = alarms["data_disk"]
    assert disk["threshold"] == "${var.disk_alarm_percent}" and scope["var.disk_alarm_percent"] == 80
    assert _resolve(disk["dimensions"]["path"], scope) == _locals(scope)["mount"], "the data volume's mount point"


def test_the_alarm_topic_is_encrypted_and_its_subscription_is_a_variable(tf):
    topic = tf.resources[("aws_sns_topic", "alarms")]
    assert topic.get("kms_master_key_id") == "${aws_kms_key.this.id}", "a customer-managed key (CloudWatch cannot use aws/sns)"
    sub = tf.resources[("aws_sns_topic_subscription", "alarms")]
    assert sub["endpoint"] == "${var.alarm_endpoint}" and sub["protocol"] == "${var.alarm_protocol}"
    assert "default" not in tf.variables["alarm_endpoint"], "the endpoint is the studio's to give"
    publish = [
        st for st in tf.data[("aws_iam_policy_document", "alarms_topic")]["statement"]
        if st.get("principals") and st["principals"][0]["identifiers"] == ["cloudwatch.amazonaws.com"]
    ]
    assert len(publish) == 1 and publish[0]["actions"] == ["sns:Publish"]
    alarm = tf.resources[("aws_cloudwatch_metric_alarm", "this")]
    prefix = alarm["alarm_name"].split("${replace(")[0]
    source = publish[0]["condition"][0]["values"][0]
    assert source.endswith(f":alarm:{prefix}*"), f"CloudWatch publishes only for this example's alarms ({prefix}*): {source}"


# --- dashboards --------------------------------------------------------------------------


def _cloudwatch_dashboard(scope: dict[str, Any]) -> dict[str, Any]:
    loc = _locals(scope)
    text = render(SERVER / "dashboard.json.tftpl", {
        "region": SAMPLE["region"],
        "namespace": loc["namespace"],
        "host_namespace": loc["host_namespace"],
        "station": SAMPLE["station"],
        "instance_id": SAMPLE["instance_id"],
        "mount": loc["mount"],
        "log_group": "/lightbox/lightbox-server",
        "oldest_minutes": 30,
        "disk_percent": 80,
        "alarm_arns": ["arn:aws:cloudwatch:eu-west-1:111122223333:alarm:a"],
    })
    return json.loads(text)


def _dashboard_metrics(dashboard: dict[str, Any]) -> list[tuple[str, str, frozenset[str]]]:
    """(namespace, metric, dimension names) of every metric line and SEARCH expression."""
    found = []
    for widget in dashboard["widgets"]:
        for line in widget["properties"].get("metrics", []):
            if isinstance(line[0], dict):
                search = re.fullmatch(
                    r"""SEARCH\('\{([^}]*)\} MetricName="([^"]+)"[^']*', '\w+', \d+\)""",
                    line[0]["expression"],
                )
                if search:
                    namespace, *dims = [p.strip() for p in search.group(1).split(",")]
                    found.append((namespace, search.group(2), frozenset(dims)))
                else:
                    assert "SEARCH" not in line[0]["expression"], f"a SEARCH this test reads: {line[0]['expression']}"
                continue
            body = [p for p in line if not isinstance(p, dict)]
            namespace, metric, pairs = body[0], body[1], body[2:]
            found.append((namespace, metric, frozenset(pairs[0::2])))
    return found


def test_the_cloudwatch_dashboard_uses_only_metrics_of_the_contract(scope):
    dashboard = _cloudwatch_dashboard(scope)
    host = _host_metrics(scope)
    used = _dashboard_metrics(dashboard)
    assert used, "the dashboard has metric widgets"
    for namespace, metric, dims in used:
        if namespace == CONTRACT["namespace"]:
            assert metric in METRICS and METRICS[metric]["emf"], f"dashboard: {metric} is an EMF metric of metrics.json"
            assert dims in _emf_dimension_sets(metric), f"dashboard: {metric} with dimensions {sorted(dims)}"
        else:
            assert namespace == _locals(scope)["host_namespace"], f"dashboard: namespace {namespace}"
            assert metric in host and dims in host[metric], f"dashboard: {metric} {sorted(dims)} as the agent publishes it"
    names = {m for _, m, _ in used}
    for wanted in ("lightbox_uploaded_files_total", "lightbox_uploaded_bytes_total", "lightbox_queue_files",
                   "lightbox_failed_files_total", "lightbox_retries_total"):
        assert wanted in names, f"the dashboard shows {wanted} (upload rate, queue, failures, retries)"
    assert any(w["type"] == "alarm" for w in dashboard["widgets"]), "an alarm status widget"


def test_the_grafana_dashboard_queries_only_metrics_of_the_contract():
    dashboard = json.loads(GRAFANA.read_text(encoding="utf-8"))
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs, "the Grafana dashboard has queries"
    used = set()
    for expr in exprs:
        for name in re.findall(r"\blightbox_[a-z0-9_]+", expr):
            base = re.sub(r"_(bucket|sum|count)$", "", name)
            family = name if name in METRICS else base
            assert family in METRICS, f"Grafana: {name} is a metric of metrics.json"
            if family != name:
                assert METRICS[family]["type"] == "histogram", f"Grafana: {name} is a histogram's series"
            used.add(family)
        for label in re.findall(r"by \(([^)]*)\)", expr):
            for one in (x.strip() for x in label.split(",")):
                assert one in {"instance", "le"} or any(one in m["labels"] for m in METRICS.values()), \
                    f"Grafana: grouping by {one}, a label the daemon has"
    assert used == set(METRICS), f"every metric has a panel; none for {sorted(set(METRICS) - used)}"
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}", "the Prometheus data source is picked at import"


# --- the instance ------------------------------------------------------------------------


def test_the_instance_has_no_inbound_rule_imdsv2_and_encrypted_volumes(tf):
    group = tf.resources[("aws_security_group", "daemon")]
    assert "ingress" not in group, "the daemon needs no inbound rule"
    assert not [r for r in tf.resources if r[0] in {"aws_security_group_rule", "aws_vpc_security_group_ingress_rule"}]
    egress = group["egress"][0] if isinstance(group["egress"], list) else group["egress"]
    assert (egress["from_port"], egress["to_port"]) == (443, 443), "HTTPS out only"
    instance = tf.resources[("aws_instance", "daemon")]
    metadata = instance["metadata_options"][0] if isinstance(instance["metadata_options"], list) else instance["metadata_options"]
    assert metadata["http_tokens"] == "required", "IMDSv2 only"
    root = instance["root_block_device"][0] if isinstance(instance["root_block_device"], list) else instance["root_block_device"]
    assert root["encrypted"] is True
    assert tf.resources[("aws_ebs_volume", "data")]["encrypted"] is True
    assert instance["iam_instance_profile"] == "${data.aws_iam_instance_profile.daemon.name}", "the daemon role, no keys"
    assert instance["associate_public_ip_address"] is False


def _user_data(scope: dict[str, Any], **config: Any) -> tuple[str, str]:
    loc = _locals(scope)
    config_text = render(SERVER / "config.toml.tftpl", {
        "state_dir": loc["state_dir"],
        "bucket": SAMPLE["bucket"],
        "region": SAMPLE["region"],
        "metrics_listen": config.get("metrics_listen", scope["var.metrics_listen"]),
        "emf": config.get("emf", scope["var.emf_metrics"]),
    })
    agent = json.dumps(_agent_config(scope), indent=2)
    user_data = render(SERVER / "user-data.sh.tftpl", {
        "station": SAMPLE["station"],
        "volume_id": SAMPLE["volume_id"],
        "volume_serial": SAMPLE["volume_id"].replace("-", ""),
        "mount": loc["mount"],
        "state_dir": loc["state_dir"],
        "import_folders": scope["var.import_folders"],
        "release_url": SAMPLE["release_url"],
        "release_sha256": SAMPLE["release_sha256"],
        "config": config_text,
        "agent_config": agent,
        "log_file": loc["log_file"],
        "emf_file": loc["emf_file"],
    })
    return config_text, user_data


def _example_config_keys() -> set[str]:
    """Dotted keys of the shipped example config, commented-out ones included."""
    examples = [p for p in ROOT.rglob("config.example.toml") if "node_modules" not in p.parts and "target" not in p.parts]
    assert len(examples) == 1, f"one commented example config in the repository: {examples}"
    keys, section = set(), ""
    for line in examples[0].read_text(encoding="utf-8").splitlines():
        header = re.fullmatch(r"\s*\[([\w.]+)\]\s*", line)
        if header:
            section = header.group(1) + "."
            continue
        key = re.match(r"\s*#?\s*([a-z_]+)\s*=", line)
        if key:
            keys.add(section + key.group(1))
    return keys


def _dotted(table: dict[str, Any], prefix: str = "") -> set[str]:
    out = set()
    for key, value in table.items():
        out |= _dotted(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key}
    return out


@pytest.mark.parametrize("emf", [True, False])
@pytest.mark.parametrize("listen", ["127.0.0.1:9464", None])
def test_the_rendered_config_has_only_settings_the_daemon_knows(scope, emf, listen):
    config_text, _ = _user_data(scope, emf=emf, metrics_listen=listen)
    config = tomllib.loads(config_text)
    assert config["storage"] == {"bucket": SAMPLE["bucket"], "region": SAMPLE["region"]}
    assert config["auth"]["credentials"] == "default-chain", "the instance profile, no keys"
    assert config["state_dir"] == _locals(scope)["state_dir"], "the catalog on the data volume"
    unknown = _dotted(config) - _example_config_keys()
    assert not unknown, f"settings the daemon would refuse (deny_unknown_fields): {sorted(unknown)}"
    assert (CONTRACT["emf"]["enable_config_key"] in _dotted(config)) == emf
    assert ("daemon.listen" in _dotted(config)) == (listen is not None)


def test_the_user_data_verifies_the_package_and_feeds_the_agent(scope):
    _, user_data = _user_data(scope)
    loc = _locals(scope)
    assert len(user_data.encode()) < 16 * 1024, "EC2 user data is at most 16 KiB"
    assert "%{" not in user_data, "every directive rendered"
    assert set(re.findall(r"\$\{[^}]*\}", user_data)) == {"${aws:InstanceId}"}, \
        "every interpolation rendered (the agent's own placeholder stays, in a quoted heredoc)"
    check = user_data.index("sha256sum --check")
    assert check < user_data.index("install -m 0755 \"$tmp/lightbox\""), "the checksum is checked before anything is installed"
    assert f"lightbox-install '{SAMPLE['release_url']}' '{SAMPLE['release_sha256']}'" in user_data
    # The files systemd writes are the files the agent ships.
    assert f"StandardOutput=append:{loc['emf_file']}" in user_data, "EMF lines (stdout) to their file"
    assert f"StandardError=append:{loc['log_file']}" in user_data, "JSON logs (stderr) to theirs"
    shipped = {f["file_path"] for f in _agent_config(scope)["logs"]["logs_collected"]["files"]["collect_list"]}
    assert shipped == {loc["emf_file"], loc["log_file"]}
    assert CONTRACT["emf"]["stream"] == "stdout"
    for folder in scope["var.import_folders"]:
        assert f"folders add '{loc['mount']}/{folder}'" in user_data
    assert f"hostnamectl set-hostname '{SAMPLE['station']}'" in user_data, "the station dimension is the host name"


# --- the renderer these tests use, against Terraform's own ---------------------------------


def _terraform_templatefile(path: Path, values: dict[str, Any], workdir: Path) -> str:
    import shutil
    import subprocess

    literal = json.dumps(json.dumps(values)).replace("${", "$${")
    expr = f'jsonencode(templatefile("{path}", jsondecode({literal})))\n'
    run = subprocess.run(
        [shutil.which("terraform"), "console"], input=expr, capture_output=True, text=True, cwd=workdir,
        env={"TF_CLI_CONFIG_FILE": "/dev/null", "HOME": str(workdir), "PATH": "/usr/bin:/bin"}, check=False,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(json.loads(run.stdout))


def test_the_renderer_renders_as_terraform_does(tmp_path):
    import shutil

    if shutil.which("terraform") is None:
        pytest.skip("no terraform binary on PATH: tftemplate.py is not compared with templatefile()")
    values = {
        "config.toml.tftpl": [
            {"state_dir": "/srv/lightbox/state", "bucket": "b", "region": "eu-west-1", "metrics_listen": listen, "emf": emf}
            for listen in ("127.0.0.1:9464", None) for emf in (True, False)
        ],
        "cloudwatch-agent.json.tftpl": [{
            "host_namespace": "Lightbox/Host", "mount": "/srv/lightbox", "log_group": "/lightbox/x",
            "log_file": "/var/log/lightbox/daemon.log", "emf_file": "/var/log/lightbox/emf.log",
        }],
        "dashboard.json.tftpl": [{
            "region": "eu-west-1", "namespace": "Lightbox", "host_namespace": "Lightbox/Host", "station": "s",
            "instance_id": "i-1", "mount": "/srv/lightbox", "log_group": "/lightbox/x", "oldest_minutes": 30,
            "disk_percent": 80, "alarm_arns": ["arn:a", "arn:b"],
        }],
        "user-data.sh.tftpl": [{
            "station": "s", "volume_id": "vol-1", "volume_serial": "vol1", "mount": "/srv/lightbox",
            "state_dir": "/srv/lightbox/state", "import_folders": folders, "release_url": "https://x/y.tar.gz",
            "release_sha256": "0" * 64, "config": "a = 1\n", "agent_config": '{"x": "${aws:InstanceId}"}',
            "log_file": "/var/log/lightbox/daemon.log", "emf_file": "/var/log/lightbox/emf.log",
        } for folders in (["import"], ["import", "card2"])],
    }
    for name, cases in values.items():
        for case in cases:
            assert render(SERVER / name, case) == _terraform_templatefile(SERVER / name, case, tmp_path), \
                f"{name} with {case}: tftemplate.py and Terraform's templatefile() agree"
