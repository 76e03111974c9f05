"""CPU seconds by kind of process (gunicorn, PostgreSQL, Redis, Celery, wrk), from /proc.

The flash sale reports CPU milliseconds per order for each: a snapshot when wrk starts,
one when the variant is first seen sold out (the selling window), and one once the
worker has sent the confirmations, for Celery (it lags the sale by design).
"""

from __future__ import annotations

import os
from pathlib import Path

KINDS = ("gunicorn", "postgres", "redis", "celery", "wrk and probes", "other")


def _kind(comm: str, args: str, pid: int) -> str | None:
    if pid == os.getpid():
        # This script's reaped children: every wrk run and psql probe (wrk is reaped when
        # it stops, and its CPU then lands here).
        return "wrk and probes"
    if comm == "wrk":
        return "wrk and probes"
    if comm == "postgres" or args.startswith("postgres:"):
        return "postgres"
    if comm == "redis-server":
        return "redis"
    if "gunicorn" in args:
        return "gunicorn"
    if "celery" in args:
        return "celery"
    return None


def cpu_by_kind() -> dict[str, float]:
    """CPU seconds used so far by each kind of process, reaped children included.

    A process's own utime and stime plus its reaped children's (cutime, cstime), so a
    recycled gunicorn worker still counts through its master. Processes that are no kind
    of ours are summed as "other" (the machine is shared).
    """
    ticks = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys(KINDS, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
            args = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        pid = int(entry.name)
        own = int(fields[11]) + int(fields[12])
        children = int(fields[13]) + int(fields[14])
        kind = _kind(comm, args, pid)
        if pid == os.getpid():
            totals["wrk and probes"] += children / ticks
            continue
        totals[kind or "other"] += (own + children) / ticks
    return totals


def per_order_ms(
    before: dict[str, float],
    sold: dict[str, float],
    delivered: dict[str, float],
    orders: int,
) -> dict[str, float]:
    """CPU milliseconds per order by kind: the selling window for all but Celery, which
    is counted until the confirmations were sent."""
    if orders <= 0:
        return {}
    result = {}
    for kind in KINDS:
        end = delivered if kind == "celery" else sold
        result[kind] = round(1000 * max(0.0, end[kind] - before[kind]) / orders, 2)
    # Not the bench's: the rest of a shared machine, shown apart and left out of the total.
    result["total"] = round(sum(v for k, v in result.items() if k != "other"), 2)
    return result
