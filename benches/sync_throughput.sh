#!/usr/bin/env bash
# css-sync throughput / memory benchmark, with its baselines measured in the same run.
#
#   benches/sync_throughput.sh                 # full run: java + stored layouts, 3 runs each, large-entry run
#   RUNS=1 LAYOUTS=stored LARGE=0 benches/sync_throughput.sh    # quick
#
# What it does (all on 127.0.0.1, release builds):
#   * a deterministic ~1 GB catalog (OBJECTS records of 2-20 MB, one region, incompressible
#     audio/mpeg content) served by css-sim with zero preparation time, for each zip layout;
#   * s3s-fs on a temp dir on the same disk as the baselines' scratch space;
#   * variants, interleaved round-robin RUNS times (noise spreads evenly over variants):
#       curl-null   token/list/start/poll by hand, then `curl -o /dev/null` every zip
#                   (P at a time): the source's upper bound, nothing is stored;
#       curl-unzip  same, but zip -> file on disk -> `unzip` to disk (the naive approach
#                   without the upload);
#       naive-e2e   curl-unzip + `aws s3 cp --recursive` of each unzipped zip into the same
#                   s3s-fs (the naive end-to-end script css-sync replaces);
#       css-sync    `css-sync sync` into s3s-fs (streaming unzip, multipart upload, MD5 check,
#                   sidecars, HEAD checks), must report every object exported and 0 failed.
#     Baselines use the same bulk-job size (BATCH_MAX_BYTES) and the same download
#     parallelism (P = css-sync's --downloads-per-region default, 2), so every variant pulls
#     the same zips the same way from the same server; they differ only in what is done
#     with the bytes.
#   * every variant runs under GNU `/usr/bin/time -v`: wall time, user+sys CPU, peak RSS (for
#     the shell pipelines: the largest single process, e.g. aws-cli); css-sim's CPU seconds
#     are read from /proc to show when the source is the bottleneck;
#   * LARGE=1: one run with LARGE_COUNT x LARGE_SIZE objects in one zip (stored layout,
#     --batch-max-bytes 1GiB) to show css-sync's peak RSS is bounded by part size x
#     (part concurrency + 1) per upload, not by entry size.
#
# Knobs (env): RUNS=3 LAYOUTS="java stored" OBJECTS=100 SEED=7 BATCH_MAX_BYTES=128MiB P=2
#   LARGE=1 LARGE_COUNT=3 LARGE_SIZE=300MB NO_BUILD=0 KEEP=0 WORKDIR=(mktemp under /var/tmp)
#   CSS_SYNC_ARGS="" (extra flags for css-sync sync, e.g. "--part-concurrency 8")
# Output: a table on stdout; raw rows in $WORKDIR/results.tsv (printed path) when KEEP=1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"

# ---------------------------------------------------------------------------------------------
# Hidden subcommand: one baseline worker, run by xargs -P for each zip.
#   __worker MODE URL ZIPNAME TOKEN   (env: SCRATCH, BUCKET_URI)
if [[ "${1:-}" == "__worker" ]]; then
  mode=$2 url=$3 zip=$4 tok=$5
  case "$mode" in
    curl-null)
      curl -fsS -H "Authorization: Bearer $tok" -o /dev/null "$url" ;;
    curl-unzip|naive-e2e)
      z="$SCRATCH/zips/$zip"; out="$SCRATCH/out/${zip%.zip}"
      curl -fsS -H "Authorization: Bearer $tok" -o "$z" "$url"
      unzip -q -o "$z" -d "$out"
      rm -f "$z"
      if [[ "$mode" == naive-e2e ]]; then
        aws s3 cp --recursive --only-show-errors "$out" "$BUCKET_URI/${zip%.zip}/"
      fi ;;
    *) echo "unknown worker mode $mode" >&2; exit 2 ;;
  esac
  exit 0
fi

# ---------------------------------------------------------------------------------------------
RUNS=${RUNS:-3}
LAYOUTS=${LAYOUTS:-"java stored"}
OBJECTS=${OBJECTS:-100}
SEED=${SEED:-7}
BATCH_MAX_BYTES=${BATCH_MAX_BYTES:-128MiB}
P=${P:-2}
LARGE=${LARGE:-1}
LARGE_COUNT=${LARGE_COUNT:-3}
LARGE_SIZE=${LARGE_SIZE:-300MB}
NO_BUILD=${NO_BUILD:-0}
KEEP=${KEEP:-0}
CSS_SYNC_ARGS=${CSS_SYNC_ARGS:-}
VARIANTS=${VARIANTS:-"curl-null curl-unzip naive-e2e css-sync"}
REGION=us-east
ACCESS_KEY=benchkey SECRET_KEY=benchsecret12345

die() { echo "sync_throughput: FAIL: $*" >&2; exit 1; }
log() { echo "== $*" >&2; }

for tool in curl unzip python3 aws s3s-fs; do
  command -v "$tool" >/dev/null || die "$tool not found in PATH (see benches/README / tests/run.sh)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) missing: apt-get install -y time"

bytes_of() {  # 128MiB / 1GiB / 300MB / 1000 -> bytes
  python3 - "$1" <<'EOF'
import re, sys
m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(i?)B?\s*", sys.argv[1], re.I)
if not m: sys.exit(f"bad size {sys.argv[1]!r}")
n, u, i = float(m[1]), m[2].upper(), m[3]
print(int(n * (1024 if i else 1000) ** " KMGT".index(u or " ")))
EOF
}
BATCH_BYTES=$(bytes_of "$BATCH_MAX_BYTES")

# --- build ------------------------------------------------------------------------------------
cd "$HERE/.."
if [[ "$NO_BUILD" != 1 ]]; then
  log "cargo build --release --workspace --bins"
  cargo build --release --workspace --bins --quiet || die "release build failed"
fi
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
CSS_SYNC="$TARGET_DIR/release/css-sync"
CSS_SIM="$TARGET_DIR/release/css-sim"
[[ -x "$CSS_SYNC" && -x "$CSS_SIM" ]] || die "release binaries missing in $TARGET_DIR/release"

# --- workspace, cleanup -------------------------------------------------------------------------
WORKDIR=${WORKDIR:-$(mktemp -d /var/tmp/css-sync-bench.XXXXXX)}
mkdir -p "$WORKDIR"
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "$KEEP" == 1 || $rc -ne 0 ]]; then
    echo "sync_throughput: work dir kept: $WORKDIR" >&2
    # Keep logs, drop the bulky data.
    rm -rf "$WORKDIR/s3" "$WORKDIR/scratch" 2>/dev/null || true
  else
    rm -rf "$WORKDIR"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- catalog --------------------------------------------------------------------------------------
CATALOG="$WORKDIR/catalog.json"
python3 - "$CATALOG" "$OBJECTS" "$SEED" "$REGION" <<'EOF'
import json, random, sys
path, n, seed, region = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
rng = random.Random(seed)
recs = [{
    "id": f"bench-{seed}-{i:05d}",
    "region": region,
    "type": "callrecording",
    "objectName": f"rec-{i:05d}.mp3",
    "storedBytes": rng.randint(2_000_000, 20_000_000),
    "createdTime": 1_730_000_000_000 + i * 60_000,
    "mimeType": "audio/mpeg",
} for i in range(n)]
json.dump(recs, open(path, "w"))
EOF
TOTAL_BYTES=$(python3 -c 'import json,sys; print(sum(r["storedBytes"] for r in json.load(open(sys.argv[1]))))' "$CATALOG")
log "catalog: $OBJECTS objects, $TOTAL_BYTES bytes, bulk jobs of <= $BATCH_MAX_BYTES, P=$P"

# --- s3s-fs -----------------------------------------------------------------------------------------
S3ROOT="$WORKDIR/s3"; mkdir -p "$S3ROOT"
S3PORT=$(free_port)
s3s-fs --host 127.0.0.1 --port "$S3PORT" --access-key "$ACCESS_KEY" --secret-key "$SECRET_KEY" \
  "$S3ROOT" >"$WORKDIR/s3s-fs.log" 2>&1 &
PIDS+=($!); S3PID=$!
S3URL="http://127.0.0.1:$S3PORT"
for _ in $(seq 100); do
  curl -s -o /dev/null "$S3URL/" && break
  kill -0 "$S3PID" 2>/dev/null || die "s3s-fs exited: $(tail -5 "$WORKDIR/s3s-fs.log")"
  sleep 0.1
done
curl -s -o /dev/null "$S3URL/" || die "s3s-fs not answering on $S3URL"

export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1 AWS_ENDPOINT_URL=$S3URL
export AWS_REQUEST_CHECKSUM_CALCULATION=when_required AWS_RESPONSE_CHECKSUM_VALIDATION=when_required
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null

# --- css-sim ------------------------------------------------------------------------------------------
SIMPID="" SIMURL=""
start_sim() {  # args: extra css-sim flags
  local out="$WORKDIR/sim.$RANDOM.out"
  RUST_LOG=warn "$CSS_SIM" --listen 127.0.0.1:0 --seed "$SEED" --regions "$REGION" \
    --prep-base-ms 0 --prep-rate 0 "$@" >"$out" 2>"$out.err" &
  SIMPID=$!; PIDS+=($SIMPID)
  for _ in $(seq 300); do
    SIMURL=$(head -1 "$out" 2>/dev/null | sed -n 's/^listening on //p')
    [[ -n "$SIMURL" ]] && break
    kill -0 "$SIMPID" 2>/dev/null || die "css-sim exited: $(tail -5 "$out.err")"
    sleep 0.1
  done
  [[ -n "$SIMURL" ]] || die "css-sim did not print its address"
  # Warm-up outside the timings: css-sim computes (and caches) every object's MD5 on first
  # listing; /_sim/catalog forces that for all objects.
  curl -fsS -o /dev/null "$SIMURL/_sim/catalog" || die "css-sim catalog warm-up failed"
}
stop_sim() { kill "$SIMPID" 2>/dev/null || true; wait "$SIMPID" 2>/dev/null || true; }
proc_cpu() {  # user+sys CPU seconds so far of each pid given, space-separated
  python3 - "$@" <<'EOF'
import os, sys
out = []
for pid in sys.argv[1:]:
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    out.append(str((int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")))
print(" ".join(out))
EOF
}

# --- one measured run --------------------------------------------------------------------------------
RESULTS="$WORKDIR/results.tsv"
printf 'layout\tvariant\trun\twall_s\tuser_s\tsys_s\tmaxrss_kb\tsim_cpu_s\ts3_cpu_s\tbytes\n' >"$RESULTS"

run_variant() {  # layout variant run# [css-sync extra args...]
  local layout=$1 variant=$2 i=$3; shift 3
  local tag="$layout.$variant.$i" bucket="bench-$RANDOM$RANDOM"
  local tv="$WORKDIR/$tag.time" report="$WORKDIR/$tag.report.json"
  local scratch="$WORKDIR/scratch"
  rm -rf "$scratch"; mkdir -p "$scratch/zips" "$scratch/out" "$S3ROOT/$bucket"
  sync
  local cpu0; cpu0=$(proc_cpu "$SIMPID" "$S3PID")
  local cmd
  case "$variant" in
    curl-null|curl-unzip|naive-e2e)
      cmd=(bash -c 'set -euo pipefail
        python3 "$0" --base "$1" --region "$2" --batch-max-bytes "$3" --poll 0.25 >"$SCRATCH/zips.txt"
        xargs -P "$4" -n 3 "$5" __worker "$6" <"$SCRATCH/zips.txt"'
        "$HERE/css_naive.py" "$SIMURL" "$REGION" "$BATCH_BYTES" "$P" "$SELF" "$variant")
      ;;
    css-sync)
      # shellcheck disable=SC2206
      cmd=(env CSS_API_BASE="$SIMURL" CSS_CLIENT_ID=demo-client CSS_CLIENT_SECRET=demo-secret
        S3_BUCKET="$bucket" "$CSS_SYNC" sync --force-path-style --regions "$REGION"
        --poll-interval 0.25 --batch-max-bytes "$BATCH_MAX_BYTES" --report "$report"
        "$@" $CSS_SYNC_ARGS)
      ;;
  esac
  local rc=0
  SCRATCH="$scratch" BUCKET_URI="s3://$bucket" \
    /usr/bin/time -v -o "$tv" "${cmd[@]}" >"$WORKDIR/$tag.out" 2>"$WORKDIR/$tag.err" || rc=$?
  local cpu1; cpu1=$(proc_cpu "$SIMPID" "$S3PID")
  [[ $rc -eq 0 ]] || die "$tag exited $rc: $(tail -5 "$WORKDIR/$tag.err")"

  # Verify the variant really moved every byte.
  case "$variant" in
    curl-unzip|naive-e2e)
      local got; got=$(find "$scratch/out" -type f -printf '%s\n' | awk '{n++; s+=$1} END {print n+0, s+0}')
      [[ "$got" == "$EXPECT_N $EXPECT_BYTES" ]] || die "$tag: unzipped '$got', expected '$EXPECT_N $EXPECT_BYTES'"
      ;;
  esac
  case "$variant" in
    naive-e2e|css-sync)
      # s3s-fs stores each object as a file under ROOT/bucket/key; skip css-sync's sidecars
      # (*.metadata.json) and s3s-fs's own hidden bookkeeping files.
      local s3got; s3got=$(find "$S3ROOT/$bucket" -type f ! -name '*.metadata.json' ! -name '.*' -printf '%s\n' |
        awk '{n++; s+=$1} END {print n+0, s+0}')
      [[ "$s3got" == "$EXPECT_N $EXPECT_BYTES" ]] || die "$tag: S3 holds '$s3got' (files, bytes), expected '$EXPECT_N $EXPECT_BYTES'"
      ;;
  esac
  if [[ "$variant" == css-sync ]]; then
    python3 - "$report" "$EXPECT_N" "$EXPECT_BYTES" <<'EOF' || die "$tag: report check failed ($report)"
import json, sys
r = json.load(open(sys.argv[1])); t = r["totals"]; n, b = int(sys.argv[2]), int(sys.argv[3])
ok = (t["found"] == n and t["exported"] == n and t["failed"] == 0 and t["bytes_exported"] == b
      and not r.get("failed") and not r.get("interrupted") and not r.get("unaccounted"))
if not ok:
    sys.exit(f"report totals {t}, failed={r.get('failed')!r:.300}")
EOF
  fi

  python3 - "$tv" "$layout" "$variant" "$i" "$cpu0" "$cpu1" "$EXPECT_BYTES" >>"$RESULTS" <<'EOF'
import sys
tv, layout, variant, i, c0, c1, nbytes = sys.argv[1:]
(sim0, s30), (sim1, s31) = [map(float, c.split()) for c in (c0, c1)]
kv = {}
for line in open(tv):
    if ":" in line:
        k, v = line.strip().rsplit(": ", 1) if ": " in line else (line, "")
        kv[k.strip()] = v.strip()
parts = [float(x) for x in kv["Elapsed (wall clock) time (h:mm:ss or m:ss)"].split(":")]
wall = sum(p * 60 ** k for k, p in enumerate(reversed(parts)))
print("\t".join(map(str, [layout, variant, i, f"{wall:.3f}", kv["User time (seconds)"],
      kv["System time (seconds)"], kv["Maximum resident set size (kbytes)"],
      f"{sim1 - sim0:.2f}", f"{s31 - s30:.2f}", nbytes])))
EOF
  tail -1 "$RESULTS" | awk -F'\t' '{printf "   %-7s %-10s run %s: %7.2fs  %6.1f MB/s  rss %6.1f MB  cpu %5.1fs  sim-cpu %5.1fs  s3-cpu %5.1fs\n",
    $1, $2, $3, $4, $10/1e6/$4, $7/1024, $5+$6, $8, $9}' >&2
  rm -rf "$scratch" "$S3ROOT/$bucket" "$S3ROOT"/.bucket-*
}

# --- main runs ---------------------------------------------------------------------------------------
EXPECT_N=$OBJECTS EXPECT_BYTES=$TOTAL_BYTES
for layout in $LAYOUTS; do
  log "layout $layout: css-sim --catalog ($OBJECTS objects), $RUNS run(s) of: $VARIANTS"
  start_sim --catalog "$CATALOG" --zip-layout "$layout"
  for i in $(seq "$RUNS"); do
    for v in $VARIANTS; do run_variant "$layout" "$v" "$i"; done
  done
  stop_sim
done

# --- large entries: memory bound ------------------------------------------------------------------------
if [[ "$LARGE" == 1 ]]; then
  log "large: $LARGE_COUNT x $LARGE_SIZE objects in one stored zip (--batch-max-bytes 1GiB)"
  start_sim --objects 0 --large-objects "$LARGE_COUNT" --large-size "$LARGE_SIZE" --zip-layout stored
  EXPECT_N=$LARGE_COUNT EXPECT_BYTES=$(( LARGE_COUNT * $(bytes_of "$LARGE_SIZE") ))
  n=$(curl -fsS "$SIMURL/_sim/catalog" | python3 -c 'import json,sys; v=json.load(sys.stdin); v=v if isinstance(v,list) else v.get("objects",v); print(len(v))')
  [[ "$n" == "$LARGE_COUNT" ]] || die "large css-sim catalog has $n objects, expected $LARGE_COUNT"
  BATCH_MAX_BYTES_SAVED=$BATCH_MAX_BYTES BATCH_BYTES_SAVED=$BATCH_BYTES
  BATCH_MAX_BYTES=1GiB BATCH_BYTES=$(bytes_of 1GiB)
  run_variant large curl-null 1
  run_variant large css-sync 1
  BATCH_MAX_BYTES=$BATCH_MAX_BYTES_SAVED BATCH_BYTES=$BATCH_BYTES_SAVED
  stop_sim
fi

# --- table -------------------------------------------------------------------------------------------------
PART_SIZE=16MiB PART_CONC=4
python3 - "$RESULTS" "$PART_SIZE" "$PART_CONC" "$P" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
part_mib, conc, p = 16, int(sys.argv[3]), int(sys.argv[4])
groups = {}
for r in rows:
    groups.setdefault((r["layout"], r["variant"]), []).append(r)
med = {}
print(f"\n{'layout':<8}{'variant':<12}{'runs':>5}{'median s':>10}{'min s':>8}{'MB/s':>8}"
      f"{'peak RSS MB':>13}{'CPU s':>8}{'sim CPU s':>11}{'s3 CPU s':>10}{'÷curl-null':>12}{'÷naive-e2e':>12}")
for (layout, variant), rs in groups.items():
    w = statistics.median(float(r["wall_s"]) for r in rs)
    med[(layout, variant)] = w
for (layout, variant), rs in groups.items():
    w = med[(layout, variant)]
    mb = int(rs[0]["bytes"]) / 1e6
    rss = max(int(r["maxrss_kb"]) for r in rs) / 1024
    cpu = statistics.median(float(r["user_s"]) + float(r["sys_s"]) for r in rs)
    sim = statistics.median(float(r["sim_cpu_s"]) for r in rs)
    s3 = statistics.median(float(r["s3_cpu_s"]) for r in rs)
    def ratio(base):
        b = med.get((layout, base))
        return f"{w / b:.2f}x" if b else "-"
    print(f"{layout:<8}{variant:<12}{len(rs):>5}{w:>10.2f}{min(float(r['wall_s']) for r in rs):>8.2f}"
          f"{mb / w:>8.1f}{rss:>13.1f}{cpu:>8.1f}{sim:>11.1f}{s3:>10.1f}{ratio('curl-null'):>12}{ratio('naive-e2e'):>12}")
print(f"\nratios are median wall time ÷ the baseline's median wall time (lower is faster; 1.00x = as fast).")
print("CPU s = the variant's own processes (user+sys); sim/s3 CPU s = css-sim / s3s-fs during it.")
print(f"peak RSS of baselines = largest single process of the pipeline (curl / unzip / aws-cli).")
print(f"css-sync memory bound per upload: part size x (part concurrency + 1) = {part_mib} MiB x {conc + 1}"
      f" = {part_mib * (conc + 1)} MiB; x {p} downloads in flight = {part_mib * (conc + 1) * p} MiB of part buffers.")
EOF
if [[ "$KEEP" == 1 ]]; then echo "raw results: $RESULTS" >&2; fi
