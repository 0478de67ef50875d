"""The benchmark's machinery (benches/bench.py): tools, binaries, servers, measured runs.

Owns: checking and installing the tools a run needs (rclone from Debian, matplotlib from
PyPI), building or locating the binaries, starting and stopping s3s-fs, SeaweedFS, css-sim and the delay
proxies on 127.0.0.1 (free ports), running one command under GNU time (wall, CPU, peak RSS)
and checking what an S3 bucket holds. Never decides what is measured or how it is reported
(bench.py, bench_report.py).
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ACCESS_KEY, SECRET_KEY = "benchkey", "benchsecret12345"
# The manual process's uploader, and the S3 server (the version tests/run.sh installs).
AWSCLI_VERSION = "1.45.11"
RUN_SH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "run.sh")


def log(msg):
    print(f"== {msg}", file=sys.stderr, flush=True)


def die(msg):
    raise SystemExit(f"bench: FAIL: {msg}")


def bytes_of(s):
    """`128MiB` / `1.5GiB` / `300MB` / `1000` -> bytes."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B?\s*", str(s), re.I)
    if not m:
        die(f"bad size {s!r}")
    n, u, i = float(m[1]), m[2].upper(), m[3]
    return int(n * (1024 if i else 1000) ** " KMGT".index(u or " "))


def _sudo():
    return [] if os.geteuid() == 0 else ["sudo"]


def ensure_tools():
    """Installs what is missing: rclone, GNU time, unzip, curl (apt), awscli and matplotlib (pip),
    s3s-fs (cargo, the version tests/run.sh pins)."""
    apt = [pkg for pkg, ok in (("rclone", shutil.which("rclone")), ("time", os.path.exists("/usr/bin/time")),
                               ("unzip", shutil.which("unzip")), ("curl", shutil.which("curl"))) if not ok]
    if apt:
        log(f"installing {' '.join(apt)} (apt)")
        subprocess.run(_sudo() + ["apt-get", "update", "-qq"], check=True)
        subprocess.run(_sudo() + ["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + apt,
                       check=True)
    if not shutil.which("aws"):
        log(f"installing awscli {AWSCLI_VERSION} (pip)")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", f"awscli=={AWSCLI_VERSION}"],
                       check=True)
    if not shutil.which("s3s-fs"):
        m = re.search(r"^S3S_FS_VERSION=(\S+)$", open(RUN_SH).read(), re.M)
        if not m:
            die(f"no S3S_FS_VERSION= line in {RUN_SH}")
        log(f"installing s3s-fs {m[1]} (cargo, as tests/run.sh)")
        subprocess.run(["cargo", "install", "s3s-fs", "--version", m[1], "--features", "binary",
                        "--locked", "--quiet"], check=True)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        log("installing matplotlib (pip)")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "matplotlib"], check=True)
    for tool in ("curl", "unzip", "aws", "s3s-fs", "rclone"):
        if not shutil.which(tool):
            die(f"{tool} not found in PATH after installing it")


def binaries(repo, no_build, profile):
    """(css-sync, css-sim, delay-proxy) paths. css-sync: $CSS_SYNC_BIN or the repo's build;
    profile `release` (measurements) or `debug` (CI's smoke run reuses the tests' build)."""
    if profile not in ("release", "debug"):
        die(f"BUILD_PROFILE must be release or debug, not {profile!r}")
    if not no_build:
        pkgs = ["-p", "css-sim"] + ([] if os.environ.get("CSS_SYNC_BIN") else ["-p", "css-sync"])
        flags = ["--release"] if profile == "release" else []
        log(f"cargo build {' '.join(flags + pkgs)} --bins")
        subprocess.run(["cargo", "build", "--quiet", "--bins"] + flags + pkgs, cwd=repo, check=True)
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=repo,
                          check=True, capture_output=True, text=True).stdout
    rel = os.path.join(json.loads(meta)["target_directory"], profile)
    out = (os.environ.get("CSS_SYNC_BIN") or os.path.join(rel, "css-sync"),
           os.path.join(rel, "css-sim"), os.path.join(rel, "delay-proxy"))
    for b in out:
        if not os.access(b, os.X_OK):
            die(f"binary missing: {b}")
    return out


class Procs:
    """Background servers of one benchmark run; `stop_all` ends every one it started."""

    def __init__(self, workdir):
        self.workdir, self.procs = workdir, []

    def start(self, name, argv, env=None, address_line=True):
        out = open(os.path.join(self.workdir, f"{name}.out"), "w+")
        err = open(os.path.join(self.workdir, f"{name}.err"), "w")
        p = subprocess.Popen(argv, stdout=out, stderr=err, env=env, start_new_session=True)
        self.procs.append(p)
        if not address_line:
            return p, None
        for _ in range(300):
            out.seek(0)
            m = re.match(r"listening on (\S+)", out.readline())
            if m:
                return p, m[1]
            if p.poll() is not None:
                die(f"{name} exited: {open(err.name).read()[-500:]}")
            time.sleep(0.05)
        die(f"{name} did not print its address")

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        if p in self.procs:
            self.procs.remove(p)

    def stop_all(self):
        for p in list(self.procs):
            self.stop(p)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_s3(procs, root):
    os.makedirs(root, exist_ok=True)
    port = free_port()
    p, _ = procs.start("s3s-fs", ["s3s-fs", "--host", "127.0.0.1", "--port", str(port),
                                  "--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY, root],
                       address_line=False)
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/", timeout=1)
            break
        except urllib.error.HTTPError:
            break
        except OSError:
            if p.poll() is not None:
                die("s3s-fs exited")
            time.sleep(0.05)
    return p, url


def start_proxy(procs, proxy_bin, name, upstream_url, delay_ms):
    hostport = upstream_url.split("//", 1)[1].rstrip("/")
    p, url = procs.start(name, [proxy_bin, "--listen", "127.0.0.1:0", "--upstream", hostport,
                                "--delay-ms", str(delay_ms)])
    return p, url


def start_sim(procs, sim_bin, name, args):
    env = dict(os.environ, RUST_LOG="warn")
    p, url = procs.start(name, [sim_bin, "--listen", "127.0.0.1:0", "--seed", "7",
                                "--regions", "us-east", "--prep-rate", "0"] + args, env=env)
    # css-sim computes (and caches) every object's MD5 on first listing: do it outside timings.
    urllib.request.urlopen(url + "/_sim/catalog", timeout=600).read()
    return p, url


def proc_cpu(p):
    """User+sys CPU seconds a running process has used so far."""
    f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def timed(workdir, tag, argv, env=None):
    """Runs argv under GNU time -v; returns {wall, cpu, rss_mib}; fails on a non-zero exit."""
    tv = os.path.join(workdir, f"{tag}.time")
    with open(os.path.join(workdir, f"{tag}.out"), "w") as out, \
            open(os.path.join(workdir, f"{tag}.err"), "w") as err:
        t0 = time.monotonic()
        rc = subprocess.run(["/usr/bin/time", "-v", "-o", tv] + argv, stdout=out, stderr=err,
                            env=env).returncode
        wall = time.monotonic() - t0
    if rc != 0:
        die(f"{tag} exited {rc}: {open(err.name).read()[-800:]}")
    kv = {}
    for line in open(tv):
        if ": " in line:
            k, v = line.strip().rsplit(": ", 1)
            kv[k.strip()] = v.strip()
    cpu = float(kv["User time (seconds)"]) + float(kv["System time (seconds)"])
    return {"wall": wall, "cpu": cpu, "rss_mib": int(kv["Maximum resident set size (kbytes)"]) / 1024}


def s3_holds(s3root, bucket):
    """(objects, bytes) s3s-fs holds in bucket, without css-sync's sidecars, its own files
    (top-level `_css-sync/`, `_index/`) and s3s-fs's bookkeeping."""
    n = total = 0
    top = os.path.join(s3root, bucket)
    for d, dirs, files in os.walk(top):
        if d == top:
            dirs[:] = [x for x in dirs if not x.startswith("_")]
            files = [f for f in files if not f.startswith("_")]
        for f in files:
            if f.endswith(".metadata.json") or f.startswith("."):
                continue
            n += 1
            total += os.path.getsize(os.path.join(d, f))
    return n, total


def tree_holds(root):
    n = total = 0
    for d, _, files in os.walk(root):
        for f in files:
            n += 1
            total += os.path.getsize(os.path.join(d, f))
    return n, total


def md5_pass(root, workdir):
    """CPU seconds of one MD5 pass (OpenSSL's, via hashlib) over every file under root."""
    code = ("import hashlib,os,sys\n"
            "for d,_,fs in os.walk(sys.argv[1]):\n"
            "  for f in sorted(fs):\n"
            "    h=hashlib.md5()\n"
            "    with open(os.path.join(d,f),'rb') as fh:\n"
            "      for b in iter(lambda: fh.read(1<<20), b''): h.update(b)\n")
    base = timed(workdir, "md5-empty", [sys.executable, "-c", "pass"])
    r = timed(workdir, "md5-pass", [sys.executable, "-c", code, root])
    return max(r["cpu"] - base["cpu"], 0.0)


def start_weed(procs, root, weed="weed"):
    """SeaweedFS (`weed server -s3`, as tests/it/support/seaweed.rs starts it: master, volume,
    filer and S3 gateway in one, each port with port + 10000 free for gRPC, our credentials in
    s3.json); returns (process, S3 URL) once a signed ListBuckets answers (aws CLI)."""
    os.makedirs(os.path.join(root, "data"), exist_ok=True)
    config = os.path.join(root, "s3.json")
    json.dump({"identities": [{"name": "bench", "credentials": [{"accessKey": ACCESS_KEY,
                                                                 "secretKey": SECRET_KEY}],
                               "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]},
              open(config, "w"))
    held, ports = [], []
    while len(ports) < 4:
        a = socket.socket()
        a.bind(("127.0.0.1", 0))
        p = a.getsockname()[1]
        if p > 55_000:
            a.close()
            continue
        b = socket.socket()
        try:
            b.bind(("127.0.0.1", p + 10_000))
        except OSError:
            a.close()
            continue
        held += [a, b]
        ports.append(p)
    master, volume, filer, s3 = ports
    for s in held:
        s.close()
    argv = [weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={root}/data",
            f"-master.port={master}", f"-master.port.grpc={master + 10000}",
            "-master.volumeSizeLimitMB=64", "-volume.max=64",
            f"-volume.port={volume}", f"-volume.port.grpc={volume + 10000}",
            "-filer", f"-filer.port={filer}", f"-filer.port.grpc={filer + 10000}",
            "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3 + 10000}", f"-s3.config={config}",
            "-metricsPort=0", "-s3.port.iceberg=0", "-s3.port.lance=0", "-iam=false",
            "-webdav=false", "-sftp=false"]
    p, _ = procs.start("weed", argv, address_line=False)
    url = f"http://127.0.0.1:{s3}"
    for _ in range(120):
        if p.poll() is not None:
            die(f"weed exited: {open(os.path.join(procs.workdir, 'weed.err')).read()[-800:]}")
        if aws(url, ["s3api", "list-buckets"], check=False).returncode == 0:
            return p, url
        time.sleep(0.5)
    die("weed not ready after 60 s")


def aws_env(url):
    """The environment of an S3 client of the benchmark's loopback servers (aws CLI, css-sync)."""
    base = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
    return dict(base, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=url,
                AWS_REQUEST_CHECKSUM_CALCULATION="when_required",
                AWS_RESPONSE_CHECKSUM_VALIDATION="when_required",
                AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")


def aws(url, args, check=True):
    """One aws CLI call against the S3 server at url; stdout captured."""
    return subprocess.run(["aws", "--endpoint-url", url] + args, env=aws_env(url), check=check,
                          capture_output=True, text=True)
