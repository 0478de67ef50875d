"""helm/check.py, part (issue 7): the values that must NOT render, edge values that must, the
issue 7 environment wiring, and coverage (every value in values.yaml has a schema entry and a
row in the chart README, and the schema has nothing values.yaml lacks).

A must-fail case passes only when both `helm lint --strict` and the render reject the values
with the expected message; a must-fail that renders is a FAIL. Never renders for a cluster.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

from check_monitoring import promtool, promtool_rules

HERE = Path(__file__).resolve().parent
CHART = HERE / "css-sync"
README = CHART / "README.md"
RELEASE, NAMESPACE = "css-sync", "data"
MONITORING = {"metrics": {"enabled": True, "prometheusRule": {"enabled": True},
                          "podMonitor": {"enabled": True}, "serviceMonitor": {"enabled": True}}}

# (label, values, a fragment the error must contain). Schema cases fail `helm lint` and the
# render alike; the template-time rules (FAIL_ONLY_AT_RENDER) fail the render (`helm template`,
# `install`, `upgrade`) only: Helm's lint mode logs fail() instead of failing.
FAIL_ONLY_AT_RENDER = ("must be shorter than the interval", "needs metrics.enabled")
MUST_FAIL: list[tuple[str, dict[str, Any], str]] = [
    ("typo s3.bukcet", {"s3": {"bukcet": "x"}}, "additional properties 'bukcet' not allowed"),
    ("typo at the top level", {"schedul": "0 * * * *"}, "additional properties 'schedul' not allowed"),
    ('backoffLimit: "one"', {"backoffLimit": "one"}, "/backoffLimit"),
    ("logFormat: yaml", {"logFormat": "yaml"}, "/logFormat"),
    ("5-minute schedule with the 50-minute deadline", {"schedule": "*/5 * * * *"},
     'activeDeadlineSeconds (3000s) must be shorter than the interval of schedule "*/5 * * * *" (300s'),
    ("@hourly with a 1h deadline", {"schedule": "@hourly", "activeDeadlineSeconds": 3600},
     "activeDeadlineSeconds (3600s) must be shorter"),
    ("daily in a time zone, 23h30 deadline (DST)",
     {"schedule": "30 2 * * *", "timeZone": "Europe/London", "activeDeadlineSeconds": 84600},
     "one hour less for a DST change"),
    ("startingDeadlineSeconds >= interval",
     {"schedule": "*/5 * * * *", "activeDeadlineSeconds": 240, "startingDeadlineSeconds": 300},
     "startingDeadlineSeconds (300s) must be shorter"),
    ("schedule with 4 fields", {"schedule": "0 * * *"}, "/schedule"),
    ("duration not css-sync's", {"tuning": {"pollInterval": "soon"}}, "/tuning/pollInterval"),
    ("size not css-sync's", {"tuning": {"partSize": "16 megs"}}, "/tuning/partSize"),
    ("pageSize over 100", {"tuning": {"pageSize": 500}}, "/tuning/pageSize"),
    ("since neither RFC 3339 nor a duration", {"selection": {"since": "yesterday"}}, "/selection/since"),
    ("S3_VERIFY unknown", {"s3": {"verify": "maybe"}}, "/s3/verify"),
    ("retain in months", {"s3": {"objectLock": {"retain": "84M"}}}, "/s3/objectLock/retain"),
    ("metrics.port 0", {"metrics": {"port": 0}}, "/metrics/port"),
    ("progress.mode tty", {"progress": {"mode": "tty"}}, "/progress/mode"),
    ('quiet: "yes"', {"quiet": "yes"}, "/quiet"),
    ("bucketReport some", {"bucketReport": "some"}, "/bucketReport"),
    ("pushgateway url without a scheme", {"metrics": {"pushgateway": {"url": "pushgateway:9091"}}},
     "/metrics/pushgateway/url"),
    ("riskWindow not a duration", {"metrics": {"riskWindow": "three days"}}, "/metrics/riskWindow"),
    # issue 10 (shard)
    ("sharding.shards 0", {"sharding": {"shards": 0}}, "/sharding/shards"),
    ('sharding.shards "three"', {"sharding": {"shards": "three"}}, "/sharding/shards"),
    ("sharding.shards over 1024", {"sharding": {"shards": 1025}}, "/sharding/shards"),
    ("sharding.parallelism 0", {"sharding": {"shards": 3, "parallelism": 0}}, "/sharding/parallelism"),
    ("podMonitor without metrics.enabled", {"metrics": {"podMonitor": {"enabled": True}}},
     "metrics.podMonitor.enabled needs metrics.enabled: true"),
    ("serviceMonitor without metrics.enabled", {"metrics": {"serviceMonitor": {"enabled": True}}},
     "metrics.serviceMonitor.enabled needs metrics.enabled: true"),
    ("alert `for` not a Prometheus duration",
     {"metrics": {"prometheusRule": {"enabled": True, "failedFor": "5 minutes"}}},
     "/metrics/prometheusRule/failedFor"),
    ("noSuccessHours 0", {"metrics": {"prometheusRule": {"noSuccessHours": 0}}},
     "/metrics/prometheusRule/noSuccessHours"),
    ("typo in podMonitor", {"metrics": {"podMonitor": {"intervall": "15s"}}}, "'intervall' not allowed"),
    ("severity in alertLabels (it has its own value)",
     {"metrics": {"prometheusRule": {"alertLabels": {"severity": "page"}}}}, "invalid propertyName 'severity'"),
]

# Edge values css-sync accepts: these must render and lint clean.
MUST_PASS: list[tuple[str, dict[str, Any]]] = [
    ("durations as plain seconds, compound, spaced and fractional (humantime)",
     {"tuning": {"pollInterval": 15, "jobDeadline": "1h 30m", "httpTimeout": "0.5"},
      "bounds": {"shutdownGrace": "20 s", "s3CallDeadline": "1.5h"}}),
    ("sizes as bytes and decimals", {"tuning": {"partSize": 16777216, "batchMaxBytes": "1.5GiB"}}),
    ("since RFC 3339, until a duration", {"selection": {"since": "2026-11-01T00:00:00Z", "until": "1h"}}),
    ("regions as a comma string", {"selection": {"regions": "us-east,eu-west"}}),
    ("stale-upload hygiene off", {"s3": {"abortUploadsOlderThan": "off"}}),
    ("a schedule the template does not parse (day names)", {"schedule": "0 9 * * MON"}),
    ("every monitoring object on", MONITORING),
]


def _render(chart: helm.Chart, values: dict[str, Any]) -> dict[str, str]:
    return chart.render(values=values, name=RELEASE, namespace=NAMESPACE, is_install=True)


def _lint_errors(values: dict[str, Any]) -> str:
    report = helm.lint(CHART, values, strict=True, namespace=NAMESPACE)
    msgs = [m["error"] for m in report.get("messages", []) if m.get("severity", 0) >= 2]
    return "\n".join(msgs + list(report.get("errors") or []))


def check_must_fail(res: Any, chart: helm.Chart) -> None:
    for label, values, fragment in MUST_FAIL:
        message = ""
        try:
            _render(chart, values)
            res.check("must fail", f"{label}: rejected by the render", False, "it rendered")
        except helm.HelmError as exc:
            message = str(exc)
            res.check("must fail", f"{label}: rejected by the render", fragment in message,
                      f"message lacks {fragment!r}: {message}")
        if any(f in message for f in FAIL_ONLY_AT_RENDER):
            continue
        lint = _lint_errors(values)
        res.check("must fail", f"{label}: rejected by helm lint --strict", fragment in lint,
                  f"lint said: {lint[:300]!r}")
    for label, values in MUST_PASS:
        try:
            _render(chart, values)
            res.check("must pass", f"{label}: renders", True)
        except helm.HelmError as exc:
            res.check("must pass", f"{label}: renders", False, str(exc))
        lint = _lint_errors(values)
        res.check("must pass", f"{label}: lint clean", not lint, lint[:300])
    # The alert unit tests can fail: a threshold of 5h must break the "fires at 4h" case.
    if promtool("--version") is not None:
        wrong = {"metrics": {"prometheusRule": {"enabled": True, "noSuccessHours": 5}}}
        doc = yaml.safe_load(next(t for p, t in _render(chart, wrong).items() if p.endswith("prometheusrule.yaml")))
        _, test_out = promtool_rules(doc["spec"]["groups"])
        res.check("must fail", "promtool test rules catches a wrong threshold (5h)",
                  test_out is not None and "CssSyncNoRecentSuccess" in test_out, str(test_out)[:300])


def check_sharding(c: Any, V: dict[str, Any], job: dict[str, Any], env: dict[str, Any]) -> None:
    """issue 10 (shard): shards > 1 make the run an Indexed Job whose pods know the count."""
    n = V["sharding"]["shards"]
    if n > 1:
        c("sharded: completionMode Indexed", job.get("completionMode") == "Indexed")
        c("sharded: completions = shards", job.get("completions") == n, str(job.get("completions")))
        want = V["sharding"]["parallelism"] or n
        c("sharded: parallelism = sharding.parallelism or shards", job.get("parallelism") == want,
          str(job.get("parallelism")))
        c("sharded: CSS_SHARD_COUNT = shards", (env.get("CSS_SHARD_COUNT") or {}).get("value") == str(n))
        c("sharded: the index is Kubernetes' (no CSS_SHARD_INDEX)", "CSS_SHARD_INDEX" not in env)
    else:
        c("unsharded: a plain Job", not {"completionMode", "completions", "parallelism"} & set(job))
        c("unsharded: no CSS_SHARD_COUNT", "CSS_SHARD_COUNT" not in env)


def check_issue7_env(c: Any, V: dict[str, Any], data: dict[str, str]) -> None:
    """The issue 7 env vars come from values, under the shared names."""
    m = V["metrics"]
    want = {
        "PUSHGATEWAY_URL": m["pushgateway"]["url"] or None,
        "PUSHGATEWAY_JOB": m["pushgateway"]["job"],
        "CSS_RETENTION_DAYS": str(m["retentionDays"]),
        "CSS_RISK_WINDOW": str(m["riskWindow"]),
        "CSS_SYNC_PROGRESS": V["progress"]["mode"],
        "CSS_SYNC_PROGRESS_INTERVAL": str(V["progress"]["interval"]),
        "CSS_SYNC_QUIET": str(V["quiet"]).lower(),
        "CSS_SYNC_BUCKET_REPORT": V["bucketReport"],
        "CSS_SYNC_REPORT": V["report"] or None,
    }
    for key, value in want.items():
        c(f"{key} from values", data.get(key) == value, f"{data.get(key)!r} != {value!r}")


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def value_leaves(schema: dict[str, Any], values: Any, node: dict[str, Any], path: str,
                 out: list[str], missing: list[str]) -> None:
    """Leaf paths of values.yaml; a path is a leaf where the schema stops naming properties."""
    node = _resolve(schema, node)
    props = node.get("properties")
    if not isinstance(values, dict) or props is None:
        out.append(path)
        return
    for key, sub in values.items():
        p = f"{path}.{key}" if path else key
        if key not in props:
            missing.append(p)
        else:
            value_leaves(schema, sub, props[key], p, out, missing)


def schema_paths(schema: dict[str, Any], node: dict[str, Any], path: str, out: list[str]) -> None:
    props = _resolve(schema, node).get("properties")
    if props is None:
        out.append(path)
        return
    for key, sub in props.items():
        schema_paths(schema, sub, f"{path}.{key}" if path else key, out)


def check_values_coverage(res: Any, chart: helm.Chart) -> None:
    schema = chart.schema or {}
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    leaves: list[str] = []
    missing: list[str] = []
    value_leaves(schema, values, schema, "", leaves, missing)
    res.check("coverage", "every value in values.yaml has a schema entry", not missing, str(missing))
    in_schema: list[str] = []
    schema_paths(schema, schema, "", in_schema)
    extra = [p for p in in_schema if p != "global" and not any(l == p or l.startswith(p + ".") for l in leaves)]
    res.check("coverage", "every schema entry is a value in values.yaml", not extra, str(extra))
    readme = README.read_text() if README.exists() else ""
    # The rows of the "## Values" section only.
    section = readme.partition("\n## Values\n")[2].partition("\n## ")[0]
    rows = set(re.findall(r"^\|\s*`([A-Za-z0-9_.]+)`\s*\|", section, re.M))
    undocumented = [l for l in leaves if l not in rows]
    res.check("coverage", "every value documented in helm/css-sync/README.md", not undocumented,
              str(undocumented))
    stale = sorted(rows - set(leaves))
    res.check("coverage", "the README documents no value that is gone", not stale, str(stale))
    # The Default column is values.yaml's (JSON), unless it says "see values.yaml".
    wrong = []
    for path, cell in re.findall(r"^\|\s*`([A-Za-z0-9_.]+)`\s*\|\s*(.*?)\s*\|", section, re.M):
        if cell == "see values.yaml" or path not in leaves:
            continue
        want: Any = values
        for key in path.split("."):
            want = want[key]
        try:
            ok = cell.startswith("`") and json.loads(cell.strip("`")) == want
        except ValueError:
            ok = False
        if not ok:
            wrong.append(f"{path}: {cell} != {json.dumps(want)}")
    res.check("coverage", "README defaults are values.yaml's", not wrong, "; ".join(wrong))
