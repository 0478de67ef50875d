#!/usr/bin/env python3
"""The control-plane half of the naive baseline, following the bulk download guide by hand:
token (client credentials) -> list the region's objects (paged) -> group them into bulk jobs
(same byte/object bounds as css-sync's batcher) -> start every job -> poll until DONE.

Prints, on stdout, one line per zip: `URL<TAB>ZIPNAME<TAB>BEARER-TOKEN`, for the data-plane
half (curl, in sync_throughput.sh) to download. Standard library only. Fails loudly (non-zero
exit) on any HTTP error or a job that does not end DONE.
"""
import argparse
import base64
import json
import sys
import time
import urllib.parse
import urllib.request


def call(method, url, token=None, body=None, basic=None, form=None):
    headers = {"Accept": "application/json"}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if basic:
        headers["Authorization"] = "Basic " + base64.b64encode(basic.encode()).decode()
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)


def one(status):
    # The guide answers an object, the OpenAPI spec an array of one.
    return status[0] if isinstance(status, list) else status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--region", required=True)
    ap.add_argument("--client-id", default="demo-client")
    ap.add_argument("--client-secret", default="demo-secret")
    ap.add_argument("--batch-max-bytes", type=int, required=True)
    ap.add_argument("--batch-max-objects", type=int, default=500)
    ap.add_argument("--poll", type=float, default=0.25)
    a = ap.parse_args()

    tok = call("POST", f"{a.base}/oauth/v2/token",
               basic=f"{a.client_id}:{a.client_secret}",
               form={"grant_type": "client_credentials"})["access_token"]
    api = f"{a.base}/storage/{a.region}/v3"

    objs, key = [], 0
    while True:
        page = call("GET", f"{api}/objects?limit=100&pageKey={key}", token=tok)
        objs += page["content"]
        if page["lastPage"]:
            break
        key = page["pageKey"]

    batches, cur, cur_bytes = [], [], 0
    for o in objs:
        n = int(o["storedBytes"])
        if cur and (cur_bytes + n > a.batch_max_bytes or len(cur) >= a.batch_max_objects):
            batches.append(cur)
            cur, cur_bytes = [], 0
        cur.append(o["id"])
        cur_bytes += n
    if cur:
        batches.append(cur)

    zips = [one(call("POST", f"{api}/bulk/download/start", token=tok, body=b))["zipName"]
            for b in batches]
    pending = set(zips)
    while pending:
        for z in sorted(pending):
            st = one(call("GET", f"{api}/bulk/download/status/{urllib.parse.quote(z)}", token=tok))
            if st["status"] == "DONE":
                pending.discard(z)
            elif st["status"] in ("FAILED", "CANCELLED", "PARTIAL_DONE"):
                sys.exit(f"css_naive: job {z} ended {st['status']}")
        if pending:
            time.sleep(a.poll)

    total = sum(int(o["storedBytes"]) for o in objs)
    print(f"css_naive: {len(objs)} objects, {total} bytes, {len(zips)} zips", file=sys.stderr)
    for z in zips:
        print(f"{api}/bulk/download/{urllib.parse.quote(z)}\t{z}\t{tok}")


if __name__ == "__main__":
    main()
