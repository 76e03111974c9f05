"""The database's own limit for a flash sale: the conditional stock UPDATE alone, with pgbench.

    .venv/bin/python bench/ceiling.py [--clients 8] [--seconds 10] [--db shopfront_bench]

Makes a one-row table of its own (`bench_stock_ceiling`, with the same CHECK as the
variants' stock) in the bench database and runs pgbench against it: every transaction is
the checkout's claim, `UPDATE ... SET stock = stock - 1 WHERE id = 1 AND stock >= 1`, on
the one hot row, with synchronous commit on (as the shop runs). Prints the transactions
per second: how many orders a second PostgreSQL could take on this machine if a checkout
were nothing but its stock claim. The table is dropped afterwards.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from pathlib import Path

PGBENCH = Path("/usr/lib/postgresql/15/bin/pgbench")
TABLE = "bench_stock_ceiling"
CLAIM = f"UPDATE {TABLE} SET stock = stock - 1 WHERE id = 1 AND stock >= 1;\n"  # noqa: S608


def psql(database: str, sql: str) -> None:
    subprocess.run(  # noqa: S603 - our own command
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qAtc", sql],  # noqa: S607
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--db", default="shopfront_bench")
    args = parser.parse_args()
    pgbench = str(PGBENCH) if PGBENCH.exists() else "pgbench"
    psql(
        args.db,
        f"DROP TABLE IF EXISTS {TABLE}; CREATE TABLE {TABLE} (id int PRIMARY KEY, "  # noqa: S608
        f"stock int NOT NULL CHECK (stock >= 0)); INSERT INTO {TABLE} VALUES (1, 1000000000)",
    )
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".sql") as script:
            script.write(CLAIM)
            script.flush()
            result = subprocess.run(  # noqa: S603 - our own command
                [
                    pgbench, "-n", "-h", "127.0.0.1", "-U", "postgres", "-M", "prepared",
                    "-c", str(args.clients), "-j", "2", "-T", str(args.seconds),
                    "-f", script.name, args.db,
                ],
                check=True, capture_output=True, text=True,
            )  # fmt: skip
    finally:
        psql(args.db, f"DROP TABLE IF EXISTS {TABLE}")
    tps = re.search(r"tps = ([\d.]+)", result.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", result.stdout)
    print(
        f"{float(tps[1]) if tps else 0:.0f} claims/s on one row, {args.clients} clients, "
        f"{args.seconds} s, synchronous commit on; mean latency "
        f"{latency[1] if latency else '?'} ms"
    )


if __name__ == "__main__":
    main()
