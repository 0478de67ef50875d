#!/usr/bin/env python3
"""What an SRE sees of one run, as one markdown table row: runs a css-sync binary against
css-sim (120 objects of at most 3 MB, downloads capped at 2 MB/s so zips stream for many
seconds) and s3s-fs, with a real Prometheus (Debian's `prometheus`) scraping METRICS_LISTEN
every second and `LOG_FORMAT=json`; then one exit-3 run (CSS secret rejected). Columns: run
time, exported per the report, when Prometheus first saw an export and the most it saw, the
longest silence on stderr, stderr lines / lines that are not JSON / lines with a run_id,
`promtool check metrics` findings, families with HELP / all families, and whether the exit-3
run left a metrics file and a report. Compare two binaries in one session:

    python3 benches/operability.py OLD/css-sync OLD/css-sim before
    python3 benches/operability.py target/debug/css-sync target/debug/css-sim after

Needs css-sim, s3s-fs, prometheus and promtool (tests/run.sh installs them)."""
import json, os, re, socket, subprocess, sys, tempfile, time, urllib.request, urllib.parse

BIN, SIM, LABEL = sys.argv[1], sys.argv[2], sys.argv[3]


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def wait_port(p, t=20):
    end = time.time() + t
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", p), 0.2).close(); return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"port {p} never opened")


tmp = tempfile.mkdtemp(prefix="m7-")
procs = []


def start(cmd, **kw):
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    procs.append(p); return p


simp, s3p, mp, pp = free_port(), free_port(), free_port(), free_port()
os.makedirs(f"{tmp}/s3/lake")
start([SIM, "--listen", f"127.0.0.1:{simp}", "--objects", "120", "--max-object-size", "3MB",
       "--bandwidth", "2MB", "--prep-base-ms", "500", "--unavailable-share", "0"])
start(["s3s-fs", "--host", "127.0.0.1", "--port", str(s3p), "--access-key", "k", "--secret-key",
       "s", f"{tmp}/s3"])
open(f"{tmp}/prom.yml", "w").write(
    f"global: {{scrape_interval: 1s}}\nscrape_configs:\n- job_name: css\n  static_configs:\n"
    f"  - targets: ['127.0.0.1:{mp}']\n")
start(["prometheus", f"--config.file={tmp}/prom.yml", f"--storage.tsdb.path={tmp}/tsdb",
       f"--web.listen-address=127.0.0.1:{pp}"])
for p in (simp, s3p, pp):
    wait_port(p)

env = dict(os.environ, CSS_API_BASE=f"http://127.0.0.1:{simp}", CSS_CLIENT_ID="demo-client",
           CSS_CLIENT_SECRET="demo-secret", S3_BUCKET="lake", AWS_ACCESS_KEY_ID="k",
           AWS_SECRET_ACCESS_KEY="s", AWS_REGION="us-east-1",
           AWS_ENDPOINT_URL=f"http://127.0.0.1:{s3p}", S3_FORCE_PATH_STYLE="true",
           CSS_POLL_INTERVAL="1s", METRICS_LISTEN=f"127.0.0.1:{mp}",
           CSS_SYNC_METRICS_FILE=f"{tmp}/metrics.prom", CSS_SYNC_REPORT=f"{tmp}/report.json",
           LOG_FORMAT="json", S3_CONDITIONAL_WRITES="off")
env.pop("RUST_LOG", None)
t0 = time.time()
run = subprocess.Popen([BIN, "sync"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True)
lines, stamps = [], []
for line in run.stderr:
    lines.append(line.rstrip("\n")); stamps.append(time.time() - t0)
run.wait()
dur = time.time() - t0
time.sleep(2.5)


def prom(q):
    u = f"http://127.0.0.1:{pp}/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": q, "start": t0, "end": time.time(), "step": "1"})
    r = json.load(urllib.request.urlopen(u))["data"]["result"]
    return [(float(t), float(v)) for s in r for t, v in s["values"]]


exp = prom("sum(css_sync_objects_exported_total)")
first = min((t - t0 for t, v in exp if v > 0), default=None)
maxv = max((v for t, v in exp), default=0)
rep = json.load(open(f"{tmp}/report.json"))
non_json = 0
for l in lines:
    try:
        json.loads(l)
    except ValueError:
        non_json += 1
with_run = sum(1 for l in lines if '"run_id"' in l)
gaps = [b - a for a, b in zip([0.0] + stamps, stamps + [dur])]
pc = subprocess.run(["promtool", "check", "metrics"], stdin=open(f"{tmp}/metrics.prom"),
                    capture_output=True, text=True)
problems = len([l for l in (pc.stdout + pc.stderr).splitlines() if l.strip()])
text = open(f"{tmp}/metrics.prom").read()
fams = set(re.findall(r"^# TYPE (\S+)", text, re.M))
helps = set(re.findall(r"^# HELP (\S+)", text, re.M))
# Exit 3: a rejected CSS secret. Is a metrics file / report written?
for f in ("metrics.prom", "report.json"):
    os.remove(f"{tmp}/{f}")
bad = dict(env, CSS_CLIENT_SECRET="wrong", METRICS_LISTEN="")
bad.pop("METRICS_LISTEN")
b = subprocess.run([BIN, "sync"], env=bad, capture_output=True, text=True)
for p in procs:
    p.terminate()
print(f"| {LABEL} | {dur:.0f} s | {rep['totals']['exported']} | "
      f"{'%.0f s' % first if first is not None else 'never'} | {maxv:.0f} | "
      f"{max(gaps):.0f} s | {len(lines)} / {non_json} / {with_run} | "
      f"{problems} | {len(helps)}/{len(fams)} | exit {b.returncode}: metrics "
      f"{'yes' if os.path.exists(tmp + '/metrics.prom') else 'no'}, report "
      f"{'yes' if os.path.exists(tmp + '/report.json') else 'no'} |")
