#!/usr/bin/env python3
"""Issue 10's no-op re-run cost benchmark (deliverable 4): `python3 benches/noop.py BEFORE_BIN
AFTER_BIN [SIM_BIN PROXY_BIN]` (see benches/README.md, "No-op re-run cost").

Owns: the workloads (N small objects served by css-sim over 30 days, all older than CSS_SETTLE),
the two runs per binary (a set-up sync on loopback into a fresh SeaweedFS bucket, then the
no-op re-run with the same environment through delay proxies: S3_DELAY_MS per S3 request,
CSS_DELAY_MS per CSS request), what is counted (seconds; CSS requests from css-sim's request
log; S3 requests from the S3 proxy's `--count-file`; the report's totals; the bucket's object
count read back after the re-run) and the table (stdout and benches/noop-results.md). Never
hides a bad re-run: one that exported anything, failed anything, exited non-zero or left the
bucket without all N objects makes it exit 1 after the table. Servers: bench_env.py.

Environment of every run: no CSS_SINCE / CSS_UNTIL (a user of the incremental default): the
after binary keeps its checkpoint in the bucket and re-lists only its window; the before binary
has no memory and re-lists (and HEADs) everything. Knobs (env): SCALE=full|smoke, S3_DELAY_MS=10,
CSS_DELAY_MS=50, KEEP=1, WORKDIR, OUT (default benches/noop-results.md; smoke: none).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import bench_env as E

HERE = os.path.dirname(os.path.abspath(__file__))
REGION = "us-east"
DAY_MS = 86_400_000
SCALES = {"full": [1_000, 10_000, 100_000], "smoke": [1_000]}


def catalog(path, n, now_ms):
    """n callrecordings of 1-4 KiB, createdTime spread evenly over the 30 days ending 1 h ago
    (so every one is older than CSS_SETTLE's 10 min default)."""
    end = now_ms - 3_600_000
    step = 30 * DAY_MS // n
    recs = [{"id": f"noop-{i:06d}", "region": REGION, "type": "callrecording",
             "objectName": f"rec-{i:06d}.mp3", "storedBytes": 1024 + (i * 7919) % 3072,
             "createdTime": end - i * step, "mimeType": "audio/mpeg"} for i in range(n)]
    json.dump(recs, open(path, "w"))


def sim_get(url, path):
    return json.load(urllib.request.urlopen(url + path, timeout=600))


def bucket_objects(s3_url, bucket):
    """Exported objects in the bucket: every key but sidecars and css-sync's own `_…/` files."""
    out = E.aws(s3_url, ["s3api", "list-objects-v2", "--bucket", bucket, "--query", "Contents[].Key",
                         "--output", "json"]).stdout
    keys = json.loads(out or "null") or []
    return sum(1 for k in keys if not k.startswith("_") and not k.endswith(".metadata.json"))


class Noop:
    def __init__(self, workdir, sim_bin, proxy_bin):
        self.workdir, self.sim_bin, self.proxy_bin = workdir, sim_bin, proxy_bin
        self.procs = E.Procs(workdir)
        _, self.s3_url = E.start_weed(self.procs, os.path.join(workdir, "weed"))
        self.s3_delay = int(os.environ.get("S3_DELAY_MS", "10"))
        self.css_delay = int(os.environ.get("CSS_DELAY_MS", "50"))

    def sync(self, tag, binary, css_url, s3_url, bucket):
        """One `css-sync sync`; returns (seconds, exit code, report totals or {})."""
        report = os.path.join(self.workdir, f"{tag}.report.json")
        env = dict(E.aws_env(s3_url), CSS_API_BASE=css_url, CSS_CLIENT_ID="demo-client",
                   CSS_CLIENT_SECRET="demo-secret", S3_BUCKET=bucket)
        for k in ("CSS_SINCE", "CSS_UNTIL"):
            env.pop(k, None)
        argv = [binary, "sync", "--force-path-style", "--regions", REGION, "--report", report,
                "--batch-max-objects", "1000", "--poll-interval", "0.25"]
        with open(os.path.join(self.workdir, f"{tag}.out"), "w") as out, \
                open(os.path.join(self.workdir, f"{tag}.err"), "w") as err:
            t0 = time.monotonic()
            rc = subprocess.run(argv, stdout=out, stderr=err, env=env).returncode
            wall = time.monotonic() - t0
        totals = json.load(open(report))["totals"] if os.path.exists(report) else {}
        return wall, rc, totals

    def measure(self, n, side, binary, sim_url, bucket):
        tag = f"{side}-{n}"
        E.aws(self.s3_url, ["s3api", "create-bucket", "--bucket", bucket])
        wall, rc, t = self.sync(f"{tag}-setup", binary, sim_url, self.s3_url, bucket)
        E.log(f"   set-up  {side:<6} N={n}: {wall:7.2f}s exit {rc} exported {t.get('exported')}"
              f" failed {t.get('failed')}")
        if rc != 0 or t.get("exported") != n:
            E.die(f"{tag} set-up: exit {rc}, totals {t}, expected {n} exported "
                  f"(see {self.workdir}/{tag}-setup.err)")
        setup = wall
        # The re-run, through fresh proxies: their counts are this run's alone.
        count_file = os.path.join(self.workdir, f"{tag}.s3count.json")
        s3p, s3_slow = self.procs.start(f"{tag}-s3-proxy", [
            self.proxy_bin, "--listen", "127.0.0.1:0", "--upstream", self.s3_url.split("//")[1],
            "--delay-ms", str(self.s3_delay), "--count-file", count_file])
        css_p, css_slow = E.start_proxy(self.procs, self.proxy_bin, f"{tag}-css-proxy", sim_url,
                                    self.css_delay)
        urllib.request.urlopen(urllib.request.Request(sim_url + "/_sim/reset-requests",
                                                      method="POST"), timeout=60).read()
        wall, rc, t = self.sync(f"{tag}-noop", binary, css_slow, s3_slow, bucket)
        self.procs.stop(s3p)
        self.procs.stop(css_p)
        s3_count = json.load(open(count_file))
        css_log = sim_get(sim_url, "/_sim/requests")
        pages = sum(1 for r in css_log if r.get("method") == "GET"
                    and str(r.get("path", "")).rstrip("/").endswith("/objects"))
        row = dict(n=n, side=side, setup=setup, wall=wall, rc=rc, css=len(css_log), pages=pages,
                   s3=s3_count["total"], s3_by=s3_count["by_method"],
                   found=t.get("found"), present=t.get("already_present"),
                   exported=t.get("exported"), failed=t.get("failed"),
                   in_bucket=bucket_objects(self.s3_url, bucket))
        E.log(f"   no-op   {side:<6} N={n}: {wall:7.2f}s exit {rc} CSS {row['css']} (pages {pages})"
              f" S3 {row['s3']} {row['s3_by']} found {row['found']} present {row['present']}"
              f" exported {row['exported']} in bucket {row['in_bucket']}")
        return row

    def run(self, n, bins):
        sim_dir = os.path.join(self.workdir, f"sim-{n}")
        os.makedirs(sim_dir)
        cat = os.path.join(sim_dir, "catalog.json")
        now = int(time.time() * 1000)
        catalog(cat, n, now)
        sim, sim_url = E.start_sim(self.procs, self.sim_bin, f"css-sim-{n}", [
            "--catalog", cat, "--now", str(now), "--max-batch-objects", "1000"])
        rows = [self.measure(n, side, b, sim_url, f"noop-{side}-{n}") for side, b in bins]
        self.procs.stop(sim)
        return rows


def problems(r):
    """Why a no-op re-run row is wrong ([] when it is right)."""
    out = []
    if r["rc"] != 0:
        out.append(f"exit {r['rc']}")
    if r["exported"] != 0:
        out.append(f"exported {r['exported']}")
    if r["failed"] != 0:
        out.append(f"failed {r['failed']}")
    if r["in_bucket"] != r["n"]:
        out.append(f"{r['in_bucket']} of {r['n']} objects in the bucket")
    if r["found"] != r["present"]:
        out.append(f"found {r['found']} but {r['present']} present")
    return out


# The table's rows per N: (label, value of one side's row, whether a ratio is meaningful).
METRICS = [
    ("re-run seconds", lambda r: f"{r['wall']:.2f}", lambda r: r["wall"]),
    ("CSS requests", lambda r: str(r["css"]), lambda r: r["css"]),
    ("catalog pages", lambda r: str(r["pages"]), lambda r: r["pages"]),
    ("S3 requests", lambda r: str(r["s3"]), lambda r: r["s3"]),
    ("S3 by method", lambda r: " ".join(f"{k} {v}" for k, v in r["s3_by"].items()), None),
    ("found / present (report)", lambda r: f"{r['found']} / {r['present']}", None),
    ("exported / failed", lambda r: f"{r['exported']} / {r['failed']}", None),
    ("objects in bucket", lambda r: str(r["in_bucket"]), None),
    ("exit code", lambda r: str(r["rc"]), None),
    ("set-up seconds (not the re-run)", lambda r: f"{r['setup']:.2f}", None),
]


def table(rows, meta):
    """The markdown table: per N, one line per metric, before and after side by side."""
    lines = [f"No-op re-run cost (issue 10): {meta}", "",
             "| N | metric | before | after | before ÷ after |", "|---:|---|---:|---:|---:|"]
    by = {(r["n"], r["side"]): r for r in rows}
    for n in sorted({r["n"] for r in rows}):
        b, a = by[(n, "before")], by[(n, "after")]
        for label, show, num in METRICS:
            ratio = "" if num is None else (f"{num(b) / num(a):.2f}x" if num(a) else "-")
            lines.append(f"| {n:,} | {label} | {show(b)} | {show(a)} | {ratio} |")
    lines += ["", "found / present: the re-run report's totals (the after binary counts only its "
              "window); objects in bucket: listed after the re-run, must be N; before ÷ after "
              "> 1.00x: the after binary costs less."]
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) not in (3, 5):
        raise SystemExit(__doc__.split("\n\n")[0] + "\nusage: noop.py BEFORE_BIN AFTER_BIN [SIM_BIN PROXY_BIN]")
    before, after = (os.path.abspath(p) for p in sys.argv[1:3])
    if len(sys.argv) == 5:
        sim_bin, proxy_bin = (os.path.abspath(p) for p in sys.argv[3:5])
    else:
        d = os.path.dirname(after)
        sim_bin, proxy_bin = os.path.join(d, "css-sim"), os.path.join(d, "delay-proxy")
    for b in (before, after, sim_bin, proxy_bin):
        if not os.access(b, os.X_OK):
            E.die(f"binary missing: {b}")
    if not shutil.which("aws"):
        E.log(f"installing awscli {E.AWSCLI_VERSION} (pip)")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                        f"awscli=={E.AWSCLI_VERSION}"], check=True)
    for tool in ("weed", "aws"):
        if not shutil.which(tool):
            E.die(f"{tool} not in PATH (tests/run.sh installs SeaweedFS; `pip install awscli`)")
    scale = os.environ.get("SCALE", "full")
    if scale not in SCALES:
        E.die(f"SCALE must be one of {sorted(SCALES)}, not {scale!r}")
    workdir = os.environ.get("WORKDIR") or tempfile.mkdtemp(prefix="css-noop-")
    os.makedirs(workdir, exist_ok=True)
    out = os.environ.get("OUT", os.path.join(HERE, "noop-results.md") if scale == "full" else "")
    E.log(f"no-op benchmark, SCALE={scale}, work dir {workdir}")
    bench = Noop(workdir, sim_bin, proxy_bin)
    rows = []
    try:
        for n in SCALES[scale]:
            rows += bench.run(n, [("before", before), ("after", after)])
    finally:
        bench.procs.stop_all()
    meta = (f"SCALE={scale}, +{bench.s3_delay} ms per S3 request, +{bench.css_delay} ms per CSS "
            f"request; before = {before}, after = {after}")
    text = table(rows, meta)
    print(text)
    if out:
        open(out, "w").write(text)
        E.log(f"table written to {out}")
    bad = [f"{r['side']} N={r['n']}: {', '.join(problems(r))}" for r in rows if problems(r)]
    if not os.environ.get("KEEP") and not bad:
        shutil.rmtree(workdir, ignore_errors=True)
    if bad:
        E.die("no-op re-run not a no-op: " + "; ".join(bad) + f" (work dir {workdir})")


if __name__ == "__main__":
    main()
