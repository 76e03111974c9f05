"""gunicorn settings; every knob can be set from the environment."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path
from typing import Any

_port = os.environ.get("PORT")
bind = os.environ.get("GUNICORN_BIND") or (f"0.0.0.0:{_port}" if _port else "127.0.0.1:8000")

# Sync workers: the views are short and CPU-bound; 2 per core plus one keeps both cores
# busy while a worker waits on PostgreSQL or Redis.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Import Django and the project once in the master: a new or recycled worker is a fork,
# ready at once, instead of a second of CPU spent importing while the others queue.
# Nothing opens a connection at import time (database and Redis connect lazily, per
# worker). GUNICORN_PRELOAD=false restores per-worker imports (e.g. for code reloads by HUP).
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")
# Recycle workers now and then so that a slow leak can never take the box down.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Heartbeat files in memory: a slow disk must not make the arbiter kill healthy workers.
_shm = "/dev/shm"  # noqa: S108 - gunicorn's documented choice for heartbeat files
worker_tmp_dir = _shm if os.path.isdir(_shm) else None
# Shopfront's own middleware writes one JSON line per request; no second access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Prometheus (apps.core.metrics): the workers write their counts to files in one folder,
# which /metrics adds up, so a recycled worker's counts are kept. Set here, before the
# master imports the project (preload), since prometheus_client reads it at import.
_metrics_root = os.environ.get("METRICS_DIR") or os.path.join(
    os.environ.get("VAR_DIR") or os.path.join(os.path.dirname(os.path.dirname(__file__)), "var"),
    "metrics",
)
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(_metrics_root, "web"))


def on_starting(server: Any) -> None:
    """A new master: the files of the last run's processes go (Prometheus sees a counter
    reset, as for any restart)."""
    from apps.core.metrics import multiprocess_reset

    multiprocess_reset(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]))


def child_exit(server: Any, worker: Any) -> None:
    """A worker is gone: its live gauges must stop counting (its counters stay summed)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
