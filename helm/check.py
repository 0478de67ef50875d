#!/usr/bin/env python3
"""Lint, render and validate the css-sync Helm chart, offline.

For the default values and every `helm/css-sync/ci/*-values.yaml`:
  1. `helm lint --strict` (helm-python-sdk: Helm's Go SDK in a shared library, no helm binary);
  2. render the templates as `helm template` would;
  3. validate every rendered manifest against the Kubernetes OpenAPI schemas of the oldest
     supported and the newest known Kubernetes version, strictly (unknown fields fail);
  4. assert the properties the chart promises (Forbid, deadlines shorter than the schedule,
     the CSS secret only as a mounted file, hardened security context, memory sized for the
     tuning, one pod spec for the job and the `helm test` pod, ...);
  5. issue 7: the monitoring.coreos.com objects against embedded CRD schemas and the alert
     rules through `promtool check rules` / `promtool test rules` (check_monitoring.py); the
     values that must fail, edge values that must render, and the coverage of
     values.schema.json and the chart README (check_cases.py); the rendered alerts against a
     real Pushgateway and Prometheus (check_live.py).

Exits 1 on any failure and ends with one summary line:
  helm: 3 renders, 11 manifests valid, 120 checks passed, 0 failed

Install: pip install -r helm/requirements.txt
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path
from typing import Any, Callable

import helm_python as helm
from check_cases import check_issue7_env, check_must_fail, check_sharding, check_values_coverage
from check_live import check_live
from check_monitoring import check_monitoring, crd_errors
from check_parse import cron_min_interval, parse_bytes, parse_seconds
import kubernetes_validate
import yaml

HERE = Path(__file__).resolve().parent
CHART = HERE / "css-sync"
# The CLI contract the ConfigMap keys must belong to (override for a worktree without it).
CLI_RS = Path(os.environ.get("HELM_CHECK_CLI_RS", HERE.parent / "src" / "cli.rs"))
RELEASE = "css-sync"
NAMESPACE = "data"
# Oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schema shipped by
# kubernetes-validate.
KUBE_VERSIONS = ("1.29.0", kubernetes_validate.latest_version())
UID = 65532
# Memory the worker needs beyond its upload buffers (runtime, catalog pages, TLS, allocator).
OVERHEAD_BYTES = 128 * 2**20
# Binary defaults (src/cli.rs) for the memory formula when the ConfigMap leaves one out.
BINARY_DEFAULTS = {
    "CSS_REGION_CONCURRENCY": "2",
    "CSS_DOWNLOADS_PER_REGION": "2",
    "S3_PART_SIZE": "16MiB",
    "S3_PART_CONCURRENCY": "4",
    "S3_ZIP_BYTES_IN_FLIGHT": "96MiB",  # issue 8 (overlap)
}
# Issue 11 (bounds): binary defaults of the time limits (src/defaults.rs).
BOUNDS_DEFAULTS = {
    "S3_CONNECT_TIMEOUT": "10s",
    "S3_READ_TIMEOUT": "60s",
    "S3_ATTEMPT_TIMEOUT": "5m",
    "S3_CALL_DEADLINE": "15m",
    "SHUTDOWN_GRACE": "20s",
}


# Environment variables the chart may set that are not css-sync flags.
AWS_ENV = {"AWS_REGION", "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
SECRETISH = re.compile(r"SECRET|PASSWORD|TOKEN|ACCESS_KEY|PRIVATE", re.I)


def cli_env_vars() -> set[str] | None:
    """Every `env = "NAME"` in src/cli.rs and its submodules (src/cli/*.rs): the CLI contract.
    None when absent or a stub."""
    if not CLI_RS.exists():
        return None
    files = [CLI_RS, *sorted((CLI_RS.parent / CLI_RS.stem).glob("*.rs"))]
    text = "\n".join(f.read_text() for f in files)
    names = set(re.findall(r'env\s*=\s*"([A-Z0-9_]+)"', text))
    return names or None


# --------------------------------------------------------------------------------------------
# Bookkeeping
# --------------------------------------------------------------------------------------------

class Results:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []
        self.manifests = 0
        self.renders = 0

    def check(self, render: str, label: str, ok: Any, detail: str = "") -> bool:
        if ok:
            self.passed += 1
        else:
            msg = f"[{render}] {label}" + (f": {detail}" if detail else "")
            self.failed.append(msg)
            print(f"FAIL {msg}", file=sys.stderr)
        return bool(ok)


def dig(obj: Any, *path: Any, default: Any = None) -> Any:
    for key in path:
        try:
            obj = obj[key]
        except (KeyError, IndexError, TypeError):
            return default
    return obj


# --------------------------------------------------------------------------------------------
# One render
# --------------------------------------------------------------------------------------------

def render(chart: helm.Chart, values: dict[str, Any] | None) -> dict[str, str]:
    return chart.render(values=values, name=RELEASE, namespace=NAMESPACE, is_install=True)


def check_render(res: Results, chart: helm.Chart, label: str, values: dict[str, Any] | None,
                 cli_env: set[str] | None) -> None:
    res.renders += 1
    c: Callable[..., bool] = lambda name, ok, detail="": res.check(label, name, ok, detail)
    V = chart.merge_values(values or {})

    # 1. helm lint --strict (warnings count as failures).
    report = helm.lint(CHART, values, strict=True, namespace=NAMESPACE,
                       kube_version=f"v{KUBE_VERSIONS[-1]}")
    problems = [m for m in report.get("messages", []) if m.get("severity", 0) >= 2]
    c("helm lint --strict", not problems and not report.get("errors"),
      "; ".join(f"{m['path']}: {m['error']}" for m in problems) + "; ".join(report.get("errors") or []))

    # 2. Render and parse.
    files = render(chart, values)
    notes = next((t for p, t in files.items() if p.endswith("NOTES.txt")), "")
    c("NOTES.txt renders", notes.strip() and "cronjob/" in notes)
    docs: list[dict[str, Any]] = []
    for path, text in sorted(files.items()):
        if path.endswith(".txt"):
            continue
        for doc in yaml.safe_load_all(text):
            if doc:
                doc["__path"] = path
                docs.append(doc)

    # 3. Schema validation, strict, per Kubernetes version.
    for doc in docs:
        clean = {k: v for k, v in doc.items() if k != "__path"}
        crd = crd_errors(clean)
        if crd is not None:  # monitoring.coreos.com: not in kubernetes-validate's schemas
            if c(f"{doc['__path']} {doc.get('kind')} valid (embedded CRD schema)", not crd, "; ".join(crd)):
                res.manifests += 1
            continue
        valid = True
        for version in KUBE_VERSIONS:
            try:
                kubernetes_validate.validate(clean, version, strict=True)
            except Exception as exc:  # ValidationError, SchemaNotFoundError, ...
                valid = False
                c(f"{doc['__path']} {doc.get('kind')} valid for Kubernetes {version}", False,
                  str(exc).splitlines()[0])
        if valid:
            res.manifests += 1

    by_kind: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)

    # 4. Shape of the release.
    c("one CronJob", len(by_kind.get("CronJob", [])) == 1)
    c("one ConfigMap", len(by_kind.get("ConfigMap", [])) == 1)
    c("ServiceAccount iff serviceAccount.create",
      len(by_kind.get("ServiceAccount", [])) == (1 if V["serviceAccount"]["create"] else 0))
    tests = [d for d in by_kind.get("Pod", []) if dig(d, "metadata", "annotations", "helm.sh/hook") == "test"]
    c("test Pod iff tests.enabled", len(tests) == (1 if V["tests"]["enabled"] else 0))
    c("every object in the release namespace and labelled",
      all(dig(d, "metadata", "namespace") == NAMESPACE
          and dig(d, "metadata", "labels", "app.kubernetes.io/instance") == RELEASE for d in docs))
    if not by_kind.get("CronJob") or not by_kind.get("ConfigMap"):
        return
    cron, cm = by_kind["CronJob"][0], by_kind["ConfigMap"][0]
    data: dict[str, str] = cm.get("data") or {}
    spec = cron["spec"]
    job = spec["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    pod_meta = job["template"]["metadata"]
    ctr = next((x for x in pod["containers"] if x["name"] == "css-sync"), None)
    if not c("container css-sync exists", ctr is not None):
        return
    env = {e["name"]: e for e in ctr.get("env", [])}
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = ctr.get("volumeMounts", [])

    # 5. CronJob semantics (modelled on descheduler's chart).
    c("concurrencyPolicy Forbid", spec.get("concurrencyPolicy") == "Forbid")
    c("startingDeadlineSeconds > 0", (spec.get("startingDeadlineSeconds") or 0) > 0)
    c("history limits set", isinstance(spec.get("successfulJobsHistoryLimit"), int)
      and isinstance(spec.get("failedJobsHistoryLimit"), int))
    interval = cron_min_interval(spec["schedule"])
    if spec.get("timeZone") and interval > 3600:
        interval -= 3600  # a DST change can shorten one interval by an hour (as _schedule.tpl)
    c("activeDeadlineSeconds < schedule interval",
      0 < (job.get("activeDeadlineSeconds") or 0) < interval,
      f"{job.get('activeDeadlineSeconds')} vs {interval}s for {spec['schedule']!r}")
    c("startingDeadlineSeconds < schedule interval", spec["startingDeadlineSeconds"] < interval)
    c("backoffLimit from values", job.get("backoffLimit") == V["backoffLimit"])
    if values is None:
        c("default backoffLimit is 1", job.get("backoffLimit") == 1)
        c("default logFormat json", data.get("LOG_FORMAT") == "json")
    c("restartPolicy Never", pod.get("restartPolicy") == "Never")
    # Issue 11 (bounds): css-sync exits within SHUTDOWN_GRACE of SIGTERM; Kubernetes must wait
    # longer than that before SIGKILL, or the aborts of uploads in flight are cut off.
    grace = parse_seconds(data.get("SHUTDOWN_GRACE", BOUNDS_DEFAULTS["SHUTDOWN_GRACE"]))
    c("terminationGracePeriodSeconds > SHUTDOWN_GRACE",
      (pod.get("terminationGracePeriodSeconds") or 30) > grace,
      f"{pod.get('terminationGracePeriodSeconds')} vs {grace}s")
    for key in ("S3_CONNECT_TIMEOUT", "S3_READ_TIMEOUT", "S3_ATTEMPT_TIMEOUT", "S3_CALL_DEADLINE"):
        c(f"{key} set", key in data)
    t = {k: parse_seconds(data.get(k, d)) for k, d in BOUNDS_DEFAULTS.items()}
    c("S3 timeouts nest: connect, read <= attempt <= call",
      max(t["S3_CONNECT_TIMEOUT"], t["S3_READ_TIMEOUT"]) <= t["S3_ATTEMPT_TIMEOUT"]
      <= t["S3_CALL_DEADLINE"], str(t))
    if V["podFailurePolicy"]["enabled"]:
        rules = dig(job, "podFailurePolicy", "rules", default=[])
        c("exit 2 (bad config) fails the Job without retry",
          any(r.get("action") == "FailJob" and 2 in dig(r, "onExitCodes", "values", default=[])
              for r in rules))

    # 6. checksum/config is the ConfigMap's hash and moves when the config does.
    cm_text = next(t for p, t in files.items() if p.endswith("templates/configmap.yaml"))
    checksum = dig(pod_meta, "annotations", "checksum/config")
    c("checksum/config = sha256(ConfigMap)", checksum == hashlib.sha256(cm_text.encode()).hexdigest())
    bumped = dict(values or {})
    bumped["tuning"] = {**(bumped.get("tuning") or {}), "pageSize": 37}
    other = yaml.safe_load(next(t for p, t in render(chart, bumped).items() if p.endswith("cronjob.yaml")))
    c("checksum/config changes with the config",
      dig(other, "spec", "jobTemplate", "spec", "template", "metadata", "annotations", "checksum/config")
      not in (None, checksum))

    # 7. Config: env names are css-sync's (or AWS's), secrets never in the ConfigMap.
    if cli_env is not None:
        unknown = sorted(set(data) - cli_env - AWS_ENV)
        c("ConfigMap keys are css-sync flags' env vars", not unknown, f"unknown: {unknown}")
    c("ConfigMap has no secret", not [k for k in data if SECRETISH.search(k)], str(sorted(data)))
    c("container takes the ConfigMap", any(dig(e, "configMapRef", "name") == cm["metadata"]["name"]
                                           for e in ctr.get("envFrom", [])))
    if V["s3"]["bucket"]:
        c("S3_BUCKET from values", data.get("S3_BUCKET") == V["s3"]["bucket"])
    c("LOG_FORMAT from values", data.get("LOG_FORMAT") == V["logFormat"])
    c("CSS_JOB_DEADLINE set", "CSS_JOB_DEADLINE" in data)
    c("CSS_CALL_DEADLINE set", "CSS_CALL_DEADLINE" in data)
    # issue 11 (proof): the write proof and the crash hygiene come from values.
    c("S3_VERIFY from values", data.get("S3_VERIFY") == V["s3"]["verify"], str(data.get("S3_VERIFY")))
    c("S3_VERIFY is a known mode", data.get("S3_VERIFY") in ("auto", "etag", "read-back"))
    c("S3_ABORT_UPLOADS_OLDER_THAN from values",
      data.get("S3_ABORT_UPLOADS_OLDER_THAN") == V["s3"]["abortUploadsOlderThan"],
      str(data.get("S3_ABORT_UPLOADS_OLDER_THAN")))
    c("S3_CONDITIONAL_WRITES from values",
      data.get("S3_CONDITIONAL_WRITES") == V["s3"]["conditionalWrites"]
      and data.get("S3_CONDITIONAL_WRITES") in ("auto", "on", "off"),
      str(data.get("S3_CONDITIONAL_WRITES")))
    c("CSS_SYNC_INDEX from values",
      str(data.get("CSS_SYNC_INDEX")).lower() == str(V["lake"]["index"]).lower(), str(data.get("CSS_SYNC_INDEX")))

    # 8. CSS client secret: a read-only file from the existing Secret, never an env value.
    secret_name = V["css"]["existingSecret"] or f"{cron['metadata']['name']}-css"
    key = V["css"]["clientSecretKey"]
    c("no CSS_CLIENT_SECRET env var", "CSS_CLIENT_SECRET" not in env and "CSS_CLIENT_SECRET" not in data)
    plain = [n for n, e in env.items() if SECRETISH.search(n) and not n.endswith("_FILE") and "value" in e]
    c("no secret-looking env var has a plain value", not plain, str(plain))
    path = dig(env, "CSS_CLIENT_SECRET_FILE", "value", default="")
    mount = next((m for m in mounts if path.startswith(m["mountPath"].rstrip("/") + "/")), None)
    vol = volumes.get(mount["name"]) if mount else None
    c("CSS_CLIENT_SECRET_FILE inside a read-only mount", mount is not None and mount.get("readOnly") is True)
    c("that mount is the existing Secret's key",
      vol is not None and dig(vol, "secret", "secretName") == secret_name
      and {"key": key, "path": key} in dig(vol, "secret", "items", default=[])
      and path == f"{mount['mountPath'].rstrip('/')}/{key}",
      f"path={path} volume={vol}")
    if V["css"]["clientId"]:
        c("client id from values in the ConfigMap",
          data.get("CSS_CLIENT_ID") == V["css"]["clientId"] and "CSS_CLIENT_ID" not in env)
    else:
        c("client id from the Secret",
          dig(env, "CSS_CLIENT_ID", "valueFrom", "secretKeyRef") == {"name": secret_name, "key": V["css"]["clientIdKey"]})

    # 9. S3 credentials: IRSA/Pod Identity by default, static keys only via secretKeyRef.
    creds = V["s3"]["credentials"]
    if creds["existingSecret"]:
        c("static S3 keys via secretKeyRef",
          all(dig(env, n, "valueFrom", "secretKeyRef", "name") == creds["existingSecret"]
              for n in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")))
    else:
        c("no static S3 keys by default",
          not ({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} & (set(env) | set(data))))
    sa_name = pod.get("serviceAccountName")
    if V["serviceAccount"]["create"]:
        sa = by_kind["ServiceAccount"][0]
        c("pod uses the chart's ServiceAccount", sa_name == sa["metadata"]["name"])
        c("ServiceAccount annotations (IRSA) from values",
          (dig(sa, "metadata", "annotations") or {}) == (V["serviceAccount"]["annotations"] or {}))
    else:
        c("pod uses the named ServiceAccount", sa_name == (V["serviceAccount"]["name"] or "default"))
    c("API token not mounted", pod.get("automountServiceAccountToken") is False)

    # 10. Hardened security context, also on the test pod.
    def hardened(pod_spec: dict[str, Any], container: dict[str, Any], what: str) -> None:
        psc, csc = pod_spec.get("securityContext") or {}, container.get("securityContext") or {}
        c(f"{what}: runAsNonRoot uid {UID}", psc.get("runAsNonRoot") is True and psc.get("runAsUser") == UID)
        c(f"{what}: seccomp RuntimeDefault", dig(psc, "seccompProfile", "type") == "RuntimeDefault")
        c(f"{what}: no privilege escalation", csc.get("allowPrivilegeEscalation") is False)
        c(f"{what}: read-only root filesystem", csc.get("readOnlyRootFilesystem") is True)
        c(f"{what}: capabilities drop ALL", dig(csc, "capabilities", "drop") == ["ALL"]
          and not dig(csc, "capabilities", "add"))

    hardened(pod, ctr, "job")
    c("fsGroup lets the user read the secret file", dig(pod, "securityContext", "fsGroup") == UID)
    tmp = next((m for m in mounts if m["mountPath"] == "/tmp"), None)
    c("/tmp is an emptyDir", tmp is not None and "emptyDir" in volumes.get(tmp["name"], {}))

    # 11. Memory limit covers: downloads x part size x (part concurrency + 1) + overhead.
    cfg = {**BINARY_DEFAULTS, **data}
    downloads = int(cfg["CSS_REGION_CONCURRENCY"]) * int(cfg["CSS_DOWNLOADS_PER_REGION"])
    per_upload = parse_bytes(cfg["S3_PART_SIZE"]) * (int(cfg["S3_PART_CONCURRENCY"]) + 1)
    # issue 8 (overlap): a zip stream holds up to its byte budget across overlapping uploads.
    per_stream = max(per_upload, parse_bytes(cfg["S3_ZIP_BYTES_IN_FLIGHT"]))
    need = downloads * per_stream + OVERHEAD_BYTES
    limit = dig(ctr, "resources", "limits", "memory")
    request = dig(ctr, "resources", "requests", "memory")
    c("memory limit covers the upload buffers", limit is not None and parse_bytes(limit) >= need,
      f"limit {limit} < {need / 2**20:.0f}Mi")
    c("memory request <= limit", request is not None and parse_bytes(request) <= parse_bytes(limit or "0"))

    # 12. Metrics and scrape annotations only when asked for.
    ann = pod_meta.get("annotations") or {}
    port = int(V["metrics"]["port"])
    if V["metrics"]["enabled"]:
        c("METRICS_LISTEN on the metrics port", data.get("METRICS_LISTEN") == f"0.0.0.0:{port}")
        c("metrics containerPort", {"name": "metrics", "containerPort": port, "protocol": "TCP"} in ctr.get("ports", []))
        if V["metrics"]["scrapeAnnotations"]:
            c("prometheus scrape annotations",
              ann.get("prometheus.io/scrape") == "true" and ann.get("prometheus.io/port") == str(port))
    else:
        c("no metrics listener by default", "METRICS_LISTEN" not in data and not ctr.get("ports")
          and "prometheus.io/scrape" not in ann)

    # 13. Pass-through values.
    c("podAnnotations / podLabels applied",
      all(ann.get(k) == v for k, v in (V["podAnnotations"] or {}).items())
      and all(dig(pod_meta, "labels", k) == v for k, v in (V["podLabels"] or {}).items()))
    c("extraEnv appended", all(e in ctr.get("env", []) for e in V["extraEnv"] or []))
    c("placement from values",
      (pod.get("nodeSelector") or {}) == (V["nodeSelector"] or {})
      and (pod.get("tolerations") or []) == (V["tolerations"] or [])
      and (pod.get("affinity") or {}) == (V["affinity"] or {}))
    c("imagePullSecrets from values", (pod.get("imagePullSecrets") or []) == (V["imagePullSecrets"] or []))
    tag = V["image"]["tag"] or chart.metadata["appVersion"]
    c("image repository:tag (tag defaults to appVersion)", ctr["image"] == f"{V['image']['repository']}:{tag}")
    c("runs `css-sync sync`", ctr.get("args") == ["sync"] and not ctr.get("command"))

    # 14a. issue 7 (chart): monitoring objects and alert rules; the new env vars from values.
    check_monitoring(c, V, by_kind, pod_meta.get("labels") or {},
                     [dig(t, "metadata", "labels") or {} for t in tests],
                     next((p for p in ctr.get("ports", []) if p.get("name") == "metrics"), None))
    check_issue7_env(c, V, data)
    check_sharding(c, V, job, env)  # issue 10 (shard)

    # 14. Chart test: `css-sync check` in the job's very pod spec (one helper renders both).
    for t in tests:
        tc = t["spec"]["containers"][0]
        c("test pod uses the job's image", tc["image"] == ctr["image"])
        c("test pod runs `css-sync check`", tc.get("args") == ["check"] and not tc.get("command"))
        # issue 10 (shard): the test pod is never a shard (no CSS_SHARD_COUNT: it needs no index).
        unshard = lambda x: [e for e in x.get("env", []) if e["name"] != "CSS_SHARD_COUNT"]
        c("test pod has no CSS_SHARD_COUNT", "CSS_SHARD_COUNT" not in {e["name"] for e in tc.get("env", [])})
        strip = lambda s: {**s, "containers": [{**x, "args": None, "env": unshard(x)} for x in s["containers"]]}
        c("test pod spec == job pod spec but for args", strip(t["spec"]) == strip(pod))
        c("test pod carries the config checksum",
          dig(t, "metadata", "annotations", "checksum/config") == checksum)
        hardened(t["spec"], tc, "test pod")


def main() -> int:
    res = Results()
    cli_env = cli_env_vars()
    if cli_env is None:
        print(f"note: no env vars in {CLI_RS}; skipping the env-var contract check", file=sys.stderr)
    cases: list[tuple[str, dict[str, Any] | None]] = [("default", None)]
    for f in sorted((CHART / "ci").glob("*-values.yaml")):
        cases.append((f"ci/{f.name}", yaml.safe_load(f.read_text()) or {}))

    # The cron helper guards the deadline checks; make sure it is right.
    for expr, want in (("17 * * * *", 3600), ("*/15 * * * *", 900), ("30 2 * * *", 86400),
                       ("0 0 * * 1-5", 86400), ("@weekly", 604800), ("0 */6 * * *", 21600)):
        res.check("self-test", f"cron interval {expr!r}", cron_min_interval(expr) == want,
                  str(cron_min_interval(expr)))

    with helm.Chart.load(CHART) as chart:
        res.check("chart", "appVersion 0.1.0", chart.metadata.get("appVersion") == "0.1.0")
        for label, values in cases:
            try:
                check_render(res, chart, label, values, cli_env)
            except helm.HelmError as exc:
                res.check(label, "render", False, f"{type(exc).__name__}: {exc}")

        # issue 7 (chart): values that must not render; the schema and README cover every value.
        check_must_fail(res, chart)
        check_values_coverage(res, chart)
        # The rendered alerts against a real Pushgateway + Prometheus (check_live.py).
        rule = chart.render(values={"metrics": {"prometheusRule": {"enabled": True}}}, name=RELEASE,
                            namespace=NAMESPACE, is_install=True)
        groups = yaml.safe_load(next(t for p, t in rule.items() if p.endswith("prometheusrule.yaml")))["spec"]["groups"]
        check_live(lambda name, ok, detail="": res.check("live", name, ok, detail), groups)

    print(f"helm: {res.renders} renders, {res.manifests} manifests valid "
          f"(Kubernetes {', '.join(KUBE_VERSIONS)}, strict), "
          f"{res.passed} checks passed, {len(res.failed)} failed")
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
