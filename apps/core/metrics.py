"""What each process counts for Prometheus, and the folder those counts share.

The instruments live here, at the bottom layer, because the cache (apps.core.cache), the
request middleware (apps.metrics) and the Celery signals (config.celery) all write to
them. Reading them out for `/metrics` is apps.metrics' job.

Under gunicorn and Celery's prefork pool every process counts on its own. With
PROMETHEUS_MULTIPROC_DIR set (before prometheus_client is imported: gunicorn.conf.py
sets it for the web, the Procfile for the worker), prometheus_client writes each
process's values to memory-mapped files in that folder and `/metrics` adds them up, so a
recycled worker's counts stay counted. Without it (runserver, tests, management
commands) the values stay in the process.

Every label value comes from the code (route names, task names, cache kinds), never from
what a client sends, so the number of series is bounded by the code.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import Counter, Histogram

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir() -> Path | None:
    """The folder this process writes its values to, or None when it keeps them in memory."""
    folder = os.environ.get(MULTIPROCESS_ENV)
    return Path(folder) if folder else None


def multiprocess_reset(folder: Path) -> None:
    """Clears out a folder when a role's main process starts (gunicorn's master, Celery's).

    Files of processes that are gone would otherwise pile up and add a previous run's
    values to this one's. Files of running processes stay: this one may have opened its
    own while importing the project, and a second Celery worker on the host may share the
    folder. (A pid reused since by an unrelated process keeps its old file until the next
    start: constant values, which change no rate.)
    """
    folder.mkdir(parents=True, exist_ok=True)
    for path in folder.glob("*.db"):
        pid = path.stem.rpartition("_")[2]
        if not (pid.isdigit() and _running(int(pid))):
            path.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


_folder = multiprocess_dir()
if _folder is not None:
    # prometheus_client opens its files in the folder on the first count: it must exist.
    _folder.mkdir(parents=True, exist_ok=True)

# Seconds. A warm page takes a few milliseconds, a checkout tens, a slow report seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
QUERY_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89)
TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)

HTTP_REQUESTS = Counter(
    "shopfront_http_requests",
    "Requests answered, by route name (never the raw path), method and status.",
    ["view", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "shopfront_http_request_duration_seconds",
    "Time from the first middleware to the response, by route name and method.",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
DB_QUERIES = Histogram(
    "shopfront_http_request_db_queries",
    "Database statements run by one request, by route name.",
    ["view"],
    buckets=QUERY_BUCKETS,
)
DB_SECONDS = Histogram(
    "shopfront_http_request_db_seconds",
    "Time one request spent in database statements, by route name.",
    ["view"],
    buckets=LATENCY_BUCKETS,
)
CACHE_LOOKUPS = Counter(
    "shopfront_cache_lookups",
    "Versioned cache lookups (apps.core.cache), by namespace, kind of entry and outcome.",
    ["namespace", "kind", "outcome"],
)
CELERY_TASKS = Counter(
    "shopfront_celery_tasks",
    "Celery tasks by name and what happened: started, succeeded, failed, retried.",
    ["task", "state"],
)
CELERY_TASK_SECONDS = Histogram(
    "shopfront_celery_task_duration_seconds",
    "Run time of a Celery task, from start to its end (success, failure or retry).",
    ["task"],
    buckets=TASK_BUCKETS,
)


def cache_lookup(key: str, outcome: str) -> None:
    """Counts one lookup of `key` ("catalog:<version>:<kind>:<digest>") as hit, miss, ..."""
    namespace, _, rest = key.partition(":")
    version, _, rest = rest.partition(":")
    # Only keys made by a namespace (a version after the name) have a kind; their kinds
    # are literals in the code (apps.catalog.cache), so the label stays bounded.
    kind = rest.partition(":")[0] if version.isdigit() else ""
    CACHE_LOOKUPS.labels(namespace=namespace, kind=kind or "-", outcome=outcome).inc()
