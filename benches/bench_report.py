"""The benchmark's output (benches/bench.py): one table, issue 8's target ratios, one PNG chart.

Owns: turning measured rows into the table (wall, MB/s, objects/s, CPU, peak RSS, ratio to the
row's baseline), computing each target ratio from rows of the same run, and drawing throughput
vs object size with matplotlib. Never measures anything and never runs a process.
"""
import os

MIB = 1024 * 1024
# (workload, net, variant) the ratio column divides by, per workload.
BASELINE = {"1GB": "rclone", "1MiB": "rclone", "100KiB": "rclone", "prep": "all-at-once"}


def _find(rows, workload, net, variant):
    for r in rows:
        if (r["workload"], r["net"], r["variant"]) == (workload, net, variant):
            return r
    return None


def targets(rows, md5_cpu, big_bytes):
    """Issue 8's targets: (what, value, target text, met?) — value None when a row is missing."""
    def rate(r, per):
        return (r["objects"] if per == "obj" else r["bytes"]) / r["wall"]

    def ratio(workload, net, per):
        a, b = _find(rows, workload, net, "css-sync"), _find(rows, workload, net, "rclone")
        return rate(a, per) / rate(b, per) if a and b else None

    out = [
        ("100KiB with latency: css-sync obj/s ÷ rclone obj/s", ratio("100KiB", "latency", "obj"), ">= 1.0", "ge", 1.0),
        ("~1 GB loopback: css-sync MB/s ÷ rclone (upload leg) MB/s", ratio("1GB", "loopback", "bytes"), ">= 1.0", "ge", 1.0),
        ("~1 GB with latency: css-sync MB/s ÷ rclone (upload leg) MB/s", ratio("1GB", "latency", "bytes"), ">= 1.0", "ge", 1.0),
    ]
    big = _find(rows, "1GB", "loopback", "css-sync")
    gb = big_bytes / 1e9
    cpu_ratio = (big["cpu"] / gb) / (md5_cpu / gb) if big and md5_cpu > 0 else None
    out.append(("css-sync CPU s per GB ÷ one MD5 pass per GB (~1 GB loopback)", cpu_ratio, "<= 2.0", "le", 2.0))
    a, b = _find(rows, "prep", "loopback", "css-sync"), _find(rows, "prep", "loopback", "all-at-once")
    out.append(("8 jobs with preparation: css-sync wall ÷ all-at-once client wall",
                a["wall"] / b["wall"] if a and b else None, "<= 1.5", "le", 1.5))
    large = _find(rows, "large", "loopback", "css-sync")
    out.append(("peak RSS MiB, css-sync, one large entry (defaults)",
                large["rss_mib"] if large else None, "<= 160", "le", 160.0))
    res = []
    for what, v, text, op, lim in out:
        met = None if v is None else (v >= lim if op == "ge" else v <= lim)
        res.append((what, v, text, met))
    return res, (big["cpu"] / gb if big else None), md5_cpu / gb


def table(rows, md5_cpu, big_bytes, scale, css_sync_bin):
    print(f"\nissue 8 benchmark, SCALE={scale}, css-sync = {css_sync_bin}")
    hdr = (f"{'workload':<9}{'network':<10}{'variant':<13}{'objects':>8}{'MB':>9}{'wall s':>9}"
           f"{'MB/s':>9}{'obj/s':>9}{'CPU s':>8}{'peak RSS MiB':>14}{'÷ baseline':>12}")
    print(hdr)
    print("-" * len(hdr))
    for r in rows:
        base = _find(rows, r["workload"], r["net"], BASELINE.get(r["workload"], ""))
        rel = f"{base['wall'] / r['wall']:.2f}x" if base and base is not r else "-"
        print(f"{r['workload']:<9}{r['net']:<10}{r['variant']:<13}{r['objects']:>8}{r['bytes'] / 1e6:>9.1f}"
              f"{r['wall']:>9.2f}{r['bytes'] / 1e6 / r['wall']:>9.1f}{r['objects'] / r['wall']:>9.1f}"
              f"{r['cpu']:>8.1f}{r['rss_mib']:>14.1f}{rel:>12}")
    print("÷ baseline = baseline wall ÷ this row's wall (speed relative to rclone's upload leg; "
          "for prep: to the all-at-once client); > 1.00x is faster.")
    res, cpu_gb, md5_gb = targets(rows, md5_cpu, big_bytes)
    print(f"\nCPU per GB: css-sync {cpu_gb:.2f} s, one MD5 pass {md5_gb:.2f} s" if cpu_gb is not None else "")
    print(f"\n{'issue 8 target':<66}{'measured':>10}  {'target':<8}  met")
    for what, v, text, met in res:
        val = "-" if v is None else f"{v:.2f}"
        print(f"{what:<66}{val:>10}  {text:<8}  {'-' if met is None else ('yes' if met else 'NO')}")
    return res


def chart(rows, path, s3_delay_ms, css_delay_ms):
    """Throughput (MB/s and objects/s) vs mean object size, css-sync and rclone, both networks."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    styles = {("css-sync", "loopback"): ("tab:blue", "-"), ("css-sync", "latency"): ("tab:blue", "--"),
              ("rclone", "loopback"): ("tab:orange", "-"), ("rclone", "latency"): ("tab:orange", "--")}
    for (variant, net), (color, ls) in styles.items():
        pts = sorted((r["bytes"] / r["objects"], r) for r in rows
                     if r["variant"] == variant and r["net"] == net and r["workload"] in BASELINE
                     and r["workload"] != "prep")
        if not pts:
            continue
        xs = [x / MIB for x, _ in pts]
        label = f"{variant} ({net})"
        ax1.plot(xs, [r["bytes"] / 1e6 / r["wall"] for _, r in pts], ls, color=color, marker="o", label=label)
        ax2.plot(xs, [r["objects"] / r["wall"] for _, r in pts], ls, color=color, marker="o", label=label)
    for ax, ylabel in ((ax1, "MB/s"), (ax2, "objects/s")):
        ax.set_xscale("log")
        ax.set_xlabel("mean object size (MiB)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    ax2.set_yscale("log")
    fig.suptitle(f"css-sync vs rclone (upload leg); latency = +{s3_delay_ms} ms per S3, "
                 f"+{css_delay_ms} ms per CSS request")
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    with open(path, "rb") as f:
        if f.read(8) != b"\x89PNG\r\n\x1a\n":
            raise SystemExit(f"bench: FAIL: {path} is not a PNG")
