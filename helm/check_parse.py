"""helm/check.py, part: the small parsers its checks rely on (css-sync's durations and sizes,
Kubernetes quantities, cron intervals). Pure functions; main() self-tests the cron one."""

from __future__ import annotations

import datetime as dt
import re


def parse_seconds(text: str) -> float:
    """'20s', '5m', '1h 30m', '15' -> seconds (the durations css-sync accepts, simply)."""
    units = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", str(text).strip().lower())
    if not parts or any(u not in units for _, u in parts):
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(n) * units[u] for n, u in parts)


_UNITS = {
    "": 1, "b": 1,
    "k": 10**3, "kb": 10**3, "m": 10**6, "mb": 10**6, "g": 10**9, "gb": 10**9,
    "ki": 2**10, "kib": 2**10, "mi": 2**20, "mib": 2**20, "gi": 2**30, "gib": 2**30,
    "ti": 2**40, "tib": 2**40,
}


def parse_bytes(text: str) -> int:
    """'16MiB', '768Mi', '1G', '1048576' -> bytes (Kubernetes quantities and css-sync sizes)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*", str(text))
    if not m or m.group(2).lower() not in _UNITS:
        raise ValueError(f"not a byte size: {text!r}")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


_MACROS = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_NAMES = {
    **{m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())},
    **{d: i for i, d in enumerate("sun mon tue wed thu fri sat".split())},
}


def _cron_field(field: str, lo: int, hi: int) -> set[int]:
    out: set[int] = set()
    for part in field.lower().split(","):
        rng, _, step_s = part.partition("/")
        step = int(step_s) if step_s else 1
        if rng in ("*", "?"):
            a, b = lo, hi
        elif "-" in rng:
            a_s, b_s = rng.split("-", 1)
            a, b = int(_NAMES.get(a_s, a_s)), int(_NAMES.get(b_s, b_s))
        else:
            a = int(_NAMES.get(rng, rng))
            b = hi if step_s else a
        out.update(range(a, b + 1, step))
    return out


def cron_min_interval(expr: str) -> int:
    """Shortest gap in seconds between two firings of a 5-field cron expression (over a year)."""
    expr = _MACROS.get(expr.strip(), expr)
    f_min, f_hour, f_dom, f_mon, f_dow = expr.split()
    minutes = sorted(_cron_field(f_min, 0, 59))
    hours = sorted(_cron_field(f_hour, 0, 23))
    doms, mons = _cron_field(f_dom, 1, 31), _cron_field(f_mon, 1, 12)
    dows = {d % 7 for d in _cron_field(f_dow, 0, 7)}
    dom_any, dow_any = f_dom.startswith(("*", "?")), f_dow.startswith(("*", "?"))
    start = dt.datetime(2025, 1, 1)
    fires: list[dt.datetime] = []
    for day in range(800):
        d = start + dt.timedelta(days=day)
        if d.month not in mons:
            continue
        dom_ok, dow_ok = d.day in doms, (d.weekday() + 1) % 7 in dows
        # cron: when both day fields are restricted, either may match.
        ok = (dom_ok or dow_ok) if not (dom_any or dow_any) else (dom_ok and dow_ok)
        if ok:
            fires += [d.replace(hour=h, minute=m) for h in hours for m in minutes]
    gaps = [(b - a).total_seconds() for a, b in zip(fires, fires[1:])]
    if not gaps:
        raise ValueError(f"cron expression never fires twice: {expr!r}")
    return int(min(gaps))
