"""helm/check.py, part: the alert chain with real servers, end to end.

A real Pushgateway (Debian's prometheus-pushgateway) receives the group a css-sync run pushes
(job css-sync, region us-east); a real Prometheus (Debian's prometheus) scrapes it with
deploy/prometheus.yml's Pushgateway job (honor_labels: true, the target rewritten to
127.0.0.1) and evaluates the chart's rendered alert group. Asserted through the HTTP API: the
pushed job label survives the scrape, a failed run fires the four "run" alerts with the pushed
labels, and the next, healthy push resolves every one of them.

Owns the two processes it starts (killed by their handles at the end), on 127.0.0.1 ports
picked by the OS; never touches anything else.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

import yaml

HERE = Path(__file__).resolve().parent
PROMETHEUS_YML = HERE.parent / "deploy" / "prometheus.yml"
# How long a server may take to come up, or an alert to reach its state.
WAIT_SECONDS = 40
FAILED_RUN = {"css_sync_last_exit_code": 1, "css_sync_objects_failed_total": 2,
              "css_sync_objects_at_retention_risk": 5}
RUN_ALERTS = {"CssSyncNoRecentSuccess", "CssSyncObjectsFailed", "CssSyncObjectsAtRetentionRisk",
              "CssSyncRunFailed"}


def binaries() -> tuple[str, str] | None:
    prom, pgw = shutil.which("prometheus"), shutil.which("prometheus-pushgateway") or shutil.which("pushgateway")
    return (prom, pgw) if prom and pgw else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(url: str, data: bytes | None = None, method: str = "GET") -> Any:
    req = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(req, timeout=5) as resp:
        body = resp.read()
    return json.loads(body) if body[:1] in (b"{", b"[") else body


def _wait(what: Callable[[], Any]) -> Any:
    deadline = time.monotonic() + WAIT_SECONDS
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = what()
            if last:
                return last
        except OSError:
            pass
        time.sleep(0.5)
    return last


def _push(pgw: str, metrics: dict[str, float]) -> None:
    body = "".join(f"# TYPE {k} {'counter' if k.endswith('_total') else 'gauge'}\n{k} {v}\n"
                   for k, v in metrics.items())
    _http(f"{pgw}/metrics/job/css-sync/region/us-east", body.encode(), "PUT")


def _firing(prom: str) -> dict[str, dict[str, str]]:
    alerts = _http(f"{prom}/api/v1/alerts")["data"]["alerts"]
    return {a["labels"]["alertname"]: a["labels"] for a in alerts if a["state"] == "firing"}


def check_live(c: Callable[..., bool], groups: list[dict[str, Any]]) -> None:
    """c(label, ok, detail); groups: the chart's rendered rule groups (default thresholds)."""
    bins = binaries()
    if bins is None:
        c("prometheus and prometheus-pushgateway on PATH (apt-get install prometheus prometheus-pushgateway)", False)
        return
    prom_bin, pgw_bin = bins
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            pgw_port, prom_port = _free_port(), _free_port()
            pgw, prom = f"http://127.0.0.1:{pgw_port}", f"http://127.0.0.1:{prom_port}"
            procs.append(subprocess.Popen([pgw_bin, f"--web.listen-address=127.0.0.1:{pgw_port}",
                                           "--persistence.file="],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            cfg = yaml.safe_load(PROMETHEUS_YML.read_text())
            jobs = [j for j in cfg["scrape_configs"] if "pushgateway:9091" in str(j.get("static_configs"))]
            if not c("deploy/prometheus.yml has one Pushgateway job", len(jobs) == 1):
                return
            jobs[0]["static_configs"] = [{"targets": [f"127.0.0.1:{pgw_port}"]}]
            cfg = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                   "rule_files": ["rules.yaml"], "scrape_configs": jobs}
            (Path(tmp) / "prometheus.yml").write_text(yaml.safe_dump(cfg))
            (Path(tmp) / "rules.yaml").write_text(yaml.safe_dump({"groups": groups}))
            _wait(lambda: _http(f"{pgw}/-/ready"))
            # Last success 4 hours ago, then a failed run.
            _push(pgw, {**FAILED_RUN, "css_sync_last_success_timestamp_seconds": time.time() - 4 * 3600})
            procs.append(subprocess.Popen([prom_bin, f"--config.file={tmp}/prometheus.yml",
                                           f"--storage.tsdb.path={tmp}/data",
                                           f"--web.listen-address=127.0.0.1:{prom_port}"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            series = _wait(lambda: _http(f"{prom}/api/v1/query?query=css_sync_last_exit_code")["data"]["result"])
            labels = (series or [{}])[0].get("metric", {})
            c("live: the pushed job label survives the scrape (honor_labels)",
              labels.get("job") == "css-sync" and labels.get("region") == "us-east"
              and "exported_job" not in labels, str(labels))
            fired = _wait(lambda: (f := _firing(prom)) and RUN_ALERTS <= set(f) and f) or {}
            c("live: a failed run fires the four run alerts", RUN_ALERTS <= set(fired), str(sorted(fired)))
            c("live: the alerts carry the pushed labels and a severity",
              all(fired.get(a, {}).get("job") == "css-sync" and fired.get(a, {}).get("severity")
                  for a in RUN_ALERTS), str(fired))
            c("live: CssSyncNeverSucceeded stays quiet while a success exists",
              "CssSyncNeverSucceeded" not in fired)
            # The next run succeeds: every alert resolves.
            _push(pgw, {**{k: 0 for k in FAILED_RUN}, "css_sync_last_success_timestamp_seconds": time.time()})
            resolved = _wait(lambda: not _firing(prom) and "none")
            c("live: a healthy push resolves every alert", resolved == "none", str(_firing(prom)))
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
