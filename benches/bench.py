#!/usr/bin/env python3
"""Issue 8's benchmark, one command: `python3 benches/bench.py` (see benches/README.md).

Owns: the workloads (catalogs served by css-sim), the variants (css-sync, rclone's upload leg,
the manual download -> unzip -> upload process, the all-jobs-at-once client), the two networks
(loopback; delay proxies adding S3_DELAY_MS per S3 request and CSS_DELAY_MS per CSS request) and
the check that every variant really moved every byte. Never hides a failed run: any variant
that misses an object or byte stops the benchmark. Servers and measurements: bench_env.py;
the table, the target ratios and the chart: bench_report.py.

Knobs (env): SCALE=full|smoke, CSS_SYNC_BIN (default: release build of this repo), NO_BUILD=1,
BUILD_PROFILE=release|debug,
KEEP=1 (keep the work dir), WORKDIR, CHART (PNG path), S3_DELAY_MS=10, CSS_DELAY_MS=50,
NETS="loopback latency", CSS_SYNC_ARGS (extra flags for every css-sync run),
RCLONE_ARGS (default: the S3 tuning below), WORKLOADS (default: all of WORKLOAD_NAMES),
VARIANTS (default "manual rclone css-sync"; without manual, rclone's source is the unzipped tree
a KEEP=1 run left in the same WORKDIR).
"""
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

import bench_env as E
import bench_report

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
REGION = "us-east"
KIB, MIB = 1024, 1024 * 1024
# rclone's S3 tuning as its docs recommend for many/large files: more transfers and checkers,
# multipart concurrency, list in one go; checksums stay on (Content-MD5 / md5chksum metadata).
RCLONE_TUNING = ["--transfers", "8", "--checkers", "16", "--s3-upload-concurrency", "8",
                 "--s3-chunk-size", "16M", "--fast-list", "--s3-no-check-bucket"]
# Throughput rows use zero preparation; a fast poll keeps polling out of the transfer numbers
# (the prep row measures polling at defaults).
FAST_POLL = ["--poll-interval", "0.25"]
WORKLOAD_NAMES = ["1GB", "1MiB", "100KiB", "prep", "large"]
THROUGHPUT_VARIANTS = ["manual", "rclone", "css-sync"]

SCALES = {
    # name: (big objects, big min/max bytes, mid count x size, small count x size,
    #        prep jobs, prep ms, large entry bytes)
    "full": dict(big=(100, 2_000_000, 20_000_000), mid=(300, MIB), small=(5000, 100 * KIB),
                 prep=(8, 3000), large="1.5GiB"),
    "smoke": dict(big=(6, 2_000_000, 5_000_000), mid=(10, MIB), small=(50, 100 * KIB),
                  prep=(8, 300), large="20MiB"),
}


def catalog(path, sizes):
    recs = [{"id": f"bench-{i:05d}", "region": REGION, "type": "callrecording",
             "objectName": f"rec-{i:05d}.mp3", "storedBytes": n,
             "createdTime": 1_730_000_000_000 + i * 60_000, "mimeType": "audio/mpeg"}
            for i, n in enumerate(sizes)]
    json.dump(recs, open(path, "w"))
    return len(sizes), sum(sizes)


class Bench:
    def __init__(self, workdir, bins):
        self.workdir, self.rows = workdir, []
        self.css_sync, self.css_sim, self.proxy = bins
        self.procs = E.Procs(workdir)
        self.s3root = os.path.join(workdir, "s3")
        _, self.s3_url = E.start_s3(self.procs, self.s3root)
        _, self.s3_slow = E.start_proxy(self.procs, self.proxy, "s3-proxy", self.s3_url,
                                        int(os.environ.get("S3_DELAY_MS", "10")))
        self.css_delay = int(os.environ.get("CSS_DELAY_MS", "50"))
        self.bucket_seq = 0

    def env(self, s3_url):
        # Plain-HTTP loopback servers: a CA bundle is of no use, and rclone refuses to start
        # with AWS_CA_BUNDLE set on its own HTTP transport.
        base = {k: v for k, v in os.environ.items() if k != "AWS_CA_BUNDLE"}
        return dict(base, AWS_ACCESS_KEY_ID=E.ACCESS_KEY, AWS_SECRET_ACCESS_KEY=E.SECRET_KEY,
                    AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=s3_url,
                    AWS_REQUEST_CHECKSUM_CALCULATION="when_required",
                    AWS_RESPONSE_CHECKSUM_VALIDATION="when_required",
                    AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null",
                    RCLONE_CONFIG="/dev/null", RCLONE_CONFIG_BENCH_TYPE="s3",
                    RCLONE_CONFIG_BENCH_PROVIDER="Other", RCLONE_CONFIG_BENCH_ENDPOINT=s3_url,
                    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=E.ACCESS_KEY,
                    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=E.SECRET_KEY,
                    RCLONE_CONFIG_BENCH_REGION="us-east-1", RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE="true")

    def new_bucket(self):
        self.bucket_seq += 1
        b = f"bench-{self.bucket_seq:03d}"
        os.makedirs(os.path.join(self.s3root, b))
        return b

    def drop_bucket(self, b):
        shutil.rmtree(os.path.join(self.s3root, b), ignore_errors=True)
        # s3s-fs's per-object bookkeeping (`.bucket-*` at its root); one bucket exists at a time.
        for f in glob.glob(os.path.join(self.s3root, ".bucket-*")):
            os.remove(f)

    def record(self, workload, net, variant, n, nbytes, r, **extra):
        row = dict(workload=workload, net=net, variant=variant, objects=n, bytes=nbytes, **r, **extra)
        self.rows.append(row)
        E.log(f"   {workload:<6} {net:<8} {variant:<13} {r['wall']:8.2f}s {nbytes / 1e6 / r['wall']:8.1f} MB/s"
              f" {n / r['wall']:8.1f} obj/s  cpu {r['cpu']:6.1f}s  rss {r['rss_mib']:6.1f} MiB")

    # --- variants -------------------------------------------------------------------------------
    def run_css_sync(self, tag, css_url, s3_url, n, nbytes, args):
        b = self.new_bucket()
        report = os.path.join(self.workdir, f"{tag}.report.json")
        env = dict(self.env(s3_url), CSS_API_BASE=css_url, CSS_CLIENT_ID="demo-client",
                   CSS_CLIENT_SECRET="demo-secret", S3_BUCKET=b)
        argv = [self.css_sync, "sync", "--force-path-style", "--regions", REGION, "--report", report]
        argv += args + os.environ.get("CSS_SYNC_ARGS", "").split()
        r = E.timed(self.workdir, tag, argv, env)
        t = json.load(open(report))["totals"]
        if not (t["found"] == n and t["exported"] == n and t["failed"] == 0 and t["bytes_exported"] == nbytes):
            E.die(f"{tag}: report totals {t}, expected {n} objects / {nbytes} bytes exported")
        self.check_bucket(tag, b, n, nbytes)
        return r

    def run_manual(self, tag, css_url, s3_url, n, nbytes, out_dir):
        """css_naive.py (token, list, start, poll), then per zip, 2 at a time: curl -> unzip ->
        `aws s3 cp --recursive`. Leaves the unzipped files in out_dir (rclone's source)."""
        b = self.new_bucket()
        shutil.rmtree(out_dir, ignore_errors=True)
        os.makedirs(out_dir)
        script = os.path.join(self.workdir, "manual.sh")
        open(script, "w").write(MANUAL_SH)
        r = E.timed(self.workdir, tag, ["bash", script, os.path.join(HERE, "css_naive.py"), css_url,
                                        REGION, str(E.bytes_of("1GiB")), out_dir, f"s3://{b}"],
                    self.env(s3_url))
        if E.tree_holds(out_dir) != (n, nbytes):
            E.die(f"{tag}: unzipped {E.tree_holds(out_dir)}, expected {(n, nbytes)}")
        self.check_bucket(tag, b, n, nbytes)
        return r

    def run_rclone(self, tag, s3_url, src, n, nbytes):
        b = self.new_bucket()
        tuning = os.environ.get("RCLONE_ARGS", "").split() or RCLONE_TUNING
        r = E.timed(self.workdir, tag, ["rclone", "copy", src, f"bench:{b}/up"] + tuning,
                    self.env(s3_url))
        self.check_bucket(tag, b, n, nbytes)
        return r

    def check_bucket(self, tag, b, n, nbytes):
        got = E.s3_holds(self.s3root, b)
        if got != (n, nbytes):
            E.die(f"{tag}: S3 holds {got} (objects, bytes), expected {(n, nbytes)}")
        self.drop_bucket(b)

    # --- workloads ------------------------------------------------------------------------------
    def sim(self, name, sim_args, net):
        p, url = E.start_sim(self.procs, self.css_sim, f"sim-{name}", sim_args)
        if net == "latency":
            _, url = E.start_proxy(self.procs, self.proxy, f"css-proxy-{name}", url, self.css_delay)
        return p, url

    def throughput(self, name, sizes, nets):
        cat = os.path.join(self.workdir, f"{name}.json")
        n, nbytes = catalog(cat, sizes)
        E.log(f"workload {name}: {n} objects, {nbytes} bytes")
        src = os.path.join(self.workdir, f"files-{name}")
        variants = os.environ.get("VARIANTS", " ".join(THROUGHPUT_VARIANTS)).split()
        if set(variants) - set(THROUGHPUT_VARIANTS):
            E.die(f"VARIANTS must be among {THROUGHPUT_VARIANTS}, not {variants}")
        for net in nets:
            s3_url = self.s3_slow if net == "latency" else self.s3_url
            _, url = self.sim(f"{name}-{net}", ["--catalog", cat, "--zip-layout", "stored",
                                                "--prep-base-ms", "0"], net)
            tag = f"{name}.{net}"
            if "manual" in variants:
                self.record(name, net, "manual", n, nbytes,
                            self.run_manual(f"{tag}.manual", url, s3_url, n, nbytes, src))
            elif "rclone" in variants and E.tree_holds(src) != (n, nbytes):
                E.die(f"{tag}: VARIANTS without manual needs {src} from an earlier KEEP=1 run")
            if "rclone" in variants:
                self.record(name, net, "rclone", n, nbytes, self.run_rclone(f"{tag}.rclone", s3_url, src, n, nbytes))
            if "css-sync" in variants:
                self.record(name, net, "css-sync", n, nbytes,
                            self.run_css_sync(f"{tag}.css-sync", url, s3_url, n, nbytes, FAST_POLL))
            self.stop_sim()
        return src, n, nbytes

    def stop_sim(self):
        """Stops the workload's css-sim and its proxy (if any): every process started after
        the S3 server and its proxy, which serve the whole run."""
        for q in list(self.procs.procs[2:]):
            self.procs.stop(q)

    def prep(self, jobs, prep_ms):
        cat = os.path.join(self.workdir, "prep.json")
        n, nbytes = catalog(cat, [MIB] * jobs)
        E.log(f"workload prep: {jobs} jobs x {prep_ms} ms preparation, 1 MiB each")
        _, url = self.sim("prep", ["--catalog", cat, "--zip-layout", "stored",
                                   "--prep-base-ms", str(prep_ms)], "loopback")
        # All jobs started at once, polled every 0.25 s, zips downloaded 2 at a time (discarded).
        script = os.path.join(self.workdir, "all_at_once.sh")
        open(script, "w").write(ALL_AT_ONCE_SH)
        r = E.timed(self.workdir, "prep.all-at-once", ["bash", script, os.path.join(HERE, "css_naive.py"),
                                                       url, REGION, str(nbytes)])
        self.record("prep", "loopback", "all-at-once", n, nbytes, r)
        # css-sync at defaults; one object per job makes the 8 jobs.
        self.record("prep", "loopback", "css-sync", n, nbytes,
                    self.run_css_sync("prep.css-sync", url, self.s3_url, n, nbytes,
                                      ["--batch-max-objects", "1"]))
        self.stop_sim()

    def large(self, size):
        nbytes = E.bytes_of(size)
        E.log(f"workload large: one {size} entry")
        _, url = self.sim("large", ["--objects", "0", "--large-objects", "1", "--large-size", size,
                                    "--zip-layout", "stored", "--prep-base-ms", "0"], "loopback")
        self.record("large", "loopback", "css-sync", 1, nbytes,
                    self.run_css_sync("large.css-sync", url, self.s3_url, 1, nbytes, FAST_POLL))
        self.stop_sim()


MANUAL_SH = r"""set -euo pipefail
naive=$1 base=$2 region=$3 batch=$4 out=$5 bucket=$6
mkdir -p "$out.zips"
python3 "$naive" --base "$base" --region "$region" --batch-max-bytes "$batch" --poll 0.25 >"$out.zips/list"
export out bucket
xargs -P 2 -n 3 bash -c 'set -euo pipefail
  z="$out.zips/$1"; d="$out/${1%.zip}"
  curl -fsS -H "Authorization: Bearer $2" -o "$z" "$0"
  unzip -q -o "$z" -d "$d"; rm -f "$z"
  aws s3 cp --recursive --only-show-errors "$d" "$bucket/${1%.zip}/"' <"$out.zips/list"
rm -rf "$out.zips"
"""

ALL_AT_ONCE_SH = r"""set -euo pipefail
naive=$1 base=$2 region=$3 batch=$4
python3 "$naive" --base "$base" --region "$region" --batch-max-bytes "$batch" --batch-max-objects 1 \
  --poll 0.25 | xargs -P 2 -n 3 bash -c 'curl -fsS -H "Authorization: Bearer $2" -o /dev/null "$0"'
"""


def main():
    scale = os.environ.get("SCALE", "full")
    if scale not in SCALES:
        E.die(f"SCALE must be one of {sorted(SCALES)}, not {scale!r}")
    s = SCALES[scale]
    nets = os.environ.get("NETS", "loopback latency").split()
    workloads = os.environ.get("WORKLOADS", " ".join(WORKLOAD_NAMES)).split()
    if set(workloads) - set(WORKLOAD_NAMES):
        E.die(f"WORKLOADS must be among {WORKLOAD_NAMES}, not {workloads}")
    E.ensure_tools()
    bins = E.binaries(REPO, os.environ.get("NO_BUILD") == "1", os.environ.get("BUILD_PROFILE", "release"))
    E.log(f"css-sync binary: {bins[0]}")
    workdir = os.environ.get("WORKDIR") or tempfile.mkdtemp(prefix="css-sync-bench.", dir="/var/tmp")
    os.makedirs(workdir, exist_ok=True)
    chart = os.environ.get("CHART") or (os.path.join(HERE, "throughput.png") if scale == "full"
                                        else os.path.join(workdir, "throughput.png"))
    b = Bench(workdir, bins)
    ok = False
    try:
        rng = random.Random(7)
        count, lo, hi = s["big"]
        big = [rng.randint(lo, hi) for _ in range(count)]
        md5_cpu, big_bytes = 0.0, sum(big)
        if "1GB" in workloads:
            src, _, big_bytes = b.throughput("1GB", big, nets)
            if E.tree_holds(src) == (count, big_bytes):
                md5_cpu = E.md5_pass(src, workdir)
        if "1MiB" in workloads:
            b.throughput("1MiB", [s["mid"][1]] * s["mid"][0], nets)
        if "100KiB" in workloads:
            b.throughput("100KiB", [s["small"][1]] * s["small"][0], nets)
        if "prep" in workloads:
            b.prep(*s["prep"])
        if "large" in workloads:
            b.large(s["large"])
        bench_report.table(b.rows, md5_cpu, big_bytes, scale, bins[0])
        bench_report.chart(b.rows, chart, os.environ.get("S3_DELAY_MS", "10"), b.css_delay)
        print(f"\nchart: {chart}")
        ok = True
    finally:
        b.procs.stop_all()
        if ok and os.environ.get("KEEP") != "1":
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"bench: work dir kept: {workdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
