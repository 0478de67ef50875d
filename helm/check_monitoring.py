"""helm/check.py, part: the Prometheus Operator objects (PodMonitor, ServiceMonitor,
PrometheusRule) and the alert rules.

kubernetes-validate ships no CRD schemas, so the three monitoring.coreos.com/v1 kinds are checked
against the small strict schemas below (the subset of the prometheus-operator CRDs the chart
uses: an unknown or misspelt field fails, as with kubernetes-validate's strict mode). The
PrometheusRule's groups are then handed to the real `promtool check rules` and
`promtool test rules` (helm/alerts_test.yaml: series that fire and series that do not).
Owns no rendering of its own beyond what it is given; never talks to a cluster.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
ALERTS_TEST = HERE / "alerts_test.yaml"
GROUP = "monitoring.coreos.com/v1"
# The prometheus-operator Duration pattern (monitoringv1.Duration).
DURATION = r"^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$"
ALERTS = {"CssSyncNoRecentSuccess", "CssSyncNeverSucceeded", "CssSyncObjectsAtRetentionRisk",
          "CssSyncObjectsFailed", "CssSyncRunFailed"}

_STR_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_META = {
    "type": "object", "additionalProperties": False, "required": ["name", "namespace"],
    "properties": {"name": {"type": "string", "minLength": 1}, "namespace": {"type": "string"},
                   "labels": _STR_MAP, "annotations": _STR_MAP},
}
_NS = {"type": "object", "additionalProperties": False,
       "properties": {"any": {"type": "boolean"},
                      "matchNames": {"type": "array", "items": {"type": "string"}}}}
_SELECTOR = {"type": "object", "additionalProperties": False, "required": ["matchLabels"],
             "properties": {"matchLabels": _STR_MAP}}
_ENDPOINT = {"type": "object", "additionalProperties": False, "required": ["port"],
             "properties": {"port": {"type": "string", "minLength": 1}, "path": {"type": "string"},
                            "interval": {"type": "string", "pattern": DURATION},
                            "honorLabels": {"type": "boolean"}}}


def _kind(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False,
            "required": ["apiVersion", "kind", "metadata", "spec"],
            "properties": {"apiVersion": {"const": GROUP}, "kind": {"const": kind},
                           "metadata": _META, "spec": spec}}


SCHEMAS = {
    "PodMonitor": _kind("PodMonitor", {
        "type": "object", "additionalProperties": False,
        "required": ["selector", "podMetricsEndpoints"],
        "properties": {"namespaceSelector": _NS, "selector": _SELECTOR,
                       "podMetricsEndpoints": {"type": "array", "minItems": 1, "items": _ENDPOINT}}}),
    "ServiceMonitor": _kind("ServiceMonitor", {
        "type": "object", "additionalProperties": False, "required": ["selector", "endpoints"],
        "properties": {"namespaceSelector": _NS, "selector": _SELECTOR,
                       "endpoints": {"type": "array", "minItems": 1, "items": _ENDPOINT}}}),
    "PrometheusRule": _kind("PrometheusRule", {
        "type": "object", "additionalProperties": False, "required": ["groups"],
        "properties": {"groups": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False, "required": ["name", "rules"],
            "properties": {"name": {"type": "string", "minLength": 1},
                           "interval": {"type": "string", "pattern": DURATION},
                           "rules": {"type": "array", "minItems": 1, "items": {
                               "type": "object", "additionalProperties": False,
                               "required": ["expr"],
                               "properties": {"alert": {"type": "string"},
                                              "record": {"type": "string"},
                                              "expr": {"type": "string", "minLength": 1},
                                              "for": {"type": "string", "pattern": DURATION},
                                              "keep_firing_for": {"type": "string", "pattern": DURATION},
                                              "labels": _STR_MAP, "annotations": _STR_MAP}}}}}}}}),
}


def crd_errors(doc: dict[str, Any]) -> list[str] | None:
    """Schema errors of a monitoring.coreos.com/v1 object; None when doc is not one."""
    if doc.get("apiVersion") != GROUP:
        return None
    schema = SCHEMAS.get(doc.get("kind", ""))
    if schema is None:
        return [f"unexpected kind {doc.get('kind')!r}"]
    v = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(doc)]


def promtool(*args: str) -> subprocess.CompletedProcess[str] | None:
    exe = shutil.which("promtool")
    if exe is None:
        return None
    return subprocess.run([exe, *args], capture_output=True, text=True)


def check_monitoring(c: Callable[..., bool], V: dict[str, Any], by_kind: dict[str, list[dict[str, Any]]],
                     pod_labels: dict[str, str], test_labels: list[dict[str, str]], port: dict | None) -> None:
    """Assertions on the monitoring objects of one render (c: the render's check function)."""
    m = V["metrics"]
    matches = lambda sel, labels: all(labels.get(k) == v for k, v in sel.items())
    pms, sms = by_kind.get("PodMonitor", []), by_kind.get("ServiceMonitor", [])
    rules = by_kind.get("PrometheusRule", [])
    c("PodMonitor iff metrics.podMonitor.enabled", len(pms) == (1 if m["podMonitor"]["enabled"] else 0))
    c("ServiceMonitor iff metrics.serviceMonitor.enabled",
      len(sms) == (1 if m["serviceMonitor"]["enabled"] else 0))
    c("PrometheusRule iff metrics.prometheusRule.enabled",
      len(rules) == (1 if m["prometheusRule"]["enabled"] else 0))
    for pm in pms:
        sel = pm["spec"]["selector"]["matchLabels"]
        ep = pm["spec"]["podMetricsEndpoints"][0]
        c("PodMonitor scrapes the named container port", port is not None and ep["port"] == port.get("name"))
        c("PodMonitor selects the job's pods", matches(sel, pod_labels), f"{sel} vs {pod_labels}")
        c("PodMonitor never selects the test pod", not any(matches(sel, t) for t in test_labels))
        c("PodMonitor interval from values", ep.get("interval") == m["podMonitor"]["interval"])
    for sm in sms:
        svc = next((s for s in by_kind.get("Service", []) if s["metadata"]["name"].endswith("-metrics")), None)
        if not c("ServiceMonitor has its metrics Service", svc is not None):
            continue
        c("metrics Service is headless", svc["spec"].get("clusterIP") == "None")
        c("metrics Service selects the job's pods", matches(svc["spec"]["selector"], pod_labels))
        c("metrics Service never selects the test pod",
          not any(matches(svc["spec"]["selector"], t) for t in test_labels))
        c("metrics Service targets the named port",
          port is not None and svc["spec"]["ports"][0]["targetPort"] == port.get("name"))
        c("ServiceMonitor selects the metrics Service",
          matches(sm["spec"]["selector"]["matchLabels"], svc["metadata"]["labels"]))
        c("ServiceMonitor port is the Service's",
          sm["spec"]["endpoints"][0]["port"] == svc["spec"]["ports"][0]["name"])
    for pr in rules:
        check_rules(c, V, pr)


def check_rules(c: Callable[..., bool], V: dict[str, Any], pr: dict[str, Any]) -> None:
    r = V["metrics"]["prometheusRule"]
    rules = [x for g in pr["spec"]["groups"] for x in g["rules"]]
    c("the five alerts", {x.get("alert") for x in rules} == ALERTS, str([x.get("alert") for x in rules]))
    for x in rules:
        name = x.get("alert", "?")
        ann = x.get("annotations") or {}
        c(f"{name}: severity label", bool((x.get("labels") or {}).get("severity")))
        c(f"{name}: summary, description and runbook text",
          all(ann.get(k) for k in ("summary", "description", "runbook")))
        c(f"{name}: runbook_url iff runbookUrl", ("runbook_url" in ann) == bool(r["runbookUrl"]))
        c(f"{name}: alertLabels applied", all(x["labels"].get(k) == v for k, v in (r["alertLabels"] or {}).items()))
        sel = r["selector"] or f'job="{V["metrics"]["pushgateway"]["job"]}"'
        c(f"{name}: selects {sel}", "{" + sel + "}" in x["expr"], x["expr"])
    stale = next((x for x in rules if x.get("alert") == "CssSyncNoRecentSuccess" and "time()" in x["expr"]), {})
    c("no-success threshold from values", stale.get("expr", "").endswith(f"> {int(r['noSuccessHours'] * 3600)}"),
      stale.get("expr"))

    if promtool("--version") is None:
        c("promtool on PATH (apt-get install prometheus)", False)
        return
    check_out, test_out = promtool_rules(pr["spec"]["groups"])
    c("promtool check rules", check_out is None, check_out or "")
    # The unit tests are written for the default thresholds, selector and alert labels.
    if (r["noSuccessHours"], r["selector"], r["retentionRiskFor"], r["failedFor"], r["alertLabels"],
            V["metrics"]["pushgateway"]["job"]) == (3, "", "0m", "0m", {}, "css-sync"):
        c("promtool test rules (helm/alerts_test.yaml)", test_out is None, test_out or "")


def promtool_rules(groups: list[dict[str, Any]]) -> tuple[str | None, str | None]:
    """`promtool check rules` and `promtool test rules helm/alerts_test.yaml` on these groups:
    (None, None) when both pass, else their output. promtool must be on PATH."""
    with tempfile.TemporaryDirectory() as tmp:
        rules_file = Path(tmp) / "css-sync-rules.yaml"
        rules_file.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
        run = promtool("check", "rules", str(rules_file))
        assert run is not None
        out = (run.stdout + run.stderr).strip()
        # promtool prints lint findings (e.g. duplicate rules) with exit 0: those fail too.
        check_out = None if run.returncode == 0 and "FAILED" not in out else out
        shutil.copy(ALERTS_TEST, Path(tmp) / "alerts_test.yaml")
        run = promtool("test", "rules", str(Path(tmp) / "alerts_test.yaml"))
        assert run is not None
        test_out = None if run.returncode == 0 else (run.stdout + run.stderr).strip()
    return check_out, test_out
