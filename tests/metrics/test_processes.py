"""Counts add up across real processes: gunicorn's workers, and a Celery worker's pool.

Each process writes its own files (multiprocess mode); `/metrics`, answered by whichever
gunicorn worker gets the scrape, adds up every file of the host's roles.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from django.db import connection
from kombu import Connection
from prometheus_client.multiprocess import MultiProcessCollector

from config.celery import app as celery_app
from tests.faults.pg_support import ROOT, Gunicorn, app_env, free_port, get, wait_for
from tests.metrics.support import Samples, samples, value

pytestmark = [pytest.mark.postgres]

HEALTHZ = {"view": "healthz", "method": "GET", "status": "200"}
REQUESTS = "shopfront_http_requests_total"


@pytest.fixture
def shop_env(transactional_db: None, tmp_path: Path) -> dict[str, str]:
    """A project process's environment on the test database, metrics under tmp_path."""
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = app_env(
        database_url=database_url,
        var_dir=tmp_path / "var",
        METRICS_DIR=str(tmp_path / "metrics"),
        METRICS_ALLOWED_IPS="127.0.0.1",
        METRICS_BUSINESS_SECONDS="0",
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each role sets its own
    return env


@pytest.fixture
def gunicorn(shop_env: dict[str, str], tmp_path: Path) -> Iterator[Any]:
    started: list[Gunicorn] = []

    def start(workers: int) -> Gunicorn:
        server = Gunicorn(shop_env, tmp_path, workers=workers)
        started.append(server)
        server.start()
        return server

    yield start
    for server in started:
        server.stop()


def scrape(server: Gunicorn) -> Samples:
    answer = get(server.url("/metrics"))
    assert answer.status == 200, answer.body[:300]
    return samples(answer.body.decode())


def healthz_counted_by(folder: Path, pid: int) -> float:
    """The health checks one worker counted, read from its own file alone."""
    path = folder / f"counter_{pid}.db"
    if not path.exists():
        return 0.0
    for family in MultiProcessCollector.merge([str(path)]):
        for sample in family.samples:
            if sample.name == REQUESTS and sample.labels == HEALTHZ:
                return sample.value
    return 0.0


def test_requests_served_by_two_workers_are_counted_once_each_and_kept_when_one_dies(
    gunicorn, tmp_path
):
    server = gunicorn(workers=2)
    workers = server.worker_pids()
    web = tmp_path / "metrics" / "web"
    before = value(scrape(server), REQUESTS, **HEALTHZ)
    own_before = {pid: healthz_counted_by(web, pid) for pid in workers}
    # Four clients at once keep both sync workers busy, so both answer some.
    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(lambda _: get(server.url("/healthz")).status, range(60)))
    assert statuses == [200] * 60

    # Each worker counted some of them in its own file...
    own = {pid: healthz_counted_by(web, pid) - own_before[pid] for pid in workers}
    assert sum(own.values()) == 60
    assert all(count > 0 for count in own.values()), own
    # ...and whichever worker answers the scrape, the sum is every request, once.
    totals = {value(scrape(server), REQUESTS, **HEALTHZ) - before for _ in range(6)}
    assert totals == {60}

    # A worker killed (or recycled by max_requests) leaves its counts behind.
    os.kill(min(workers), signal.SIGKILL)
    wait_for(
        lambda: len(server.worker_pids()) == 2 and min(workers) not in server.worker_pids(),
        timeout=30,
        what="gunicorn replacing the killed worker",
    )
    assert value(scrape(server), REQUESTS, **HEALTHZ) - before == 60


def test_a_new_master_starts_from_a_clean_folder(gunicorn, tmp_path):
    first = gunicorn(workers=1)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda _: get(first.url("/healthz")), range(30)))
    assert value(scrape(first), REQUESTS, **HEALTHZ) >= 30
    first.stop()

    second = gunicorn(workers=1)
    # Only the new master's own start-up checks are left, not the last run's 30.
    assert value(scrape(second), REQUESTS, **HEALTHZ) < 30


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """A Redis of the test's own as the broker: the shared one is never consumed from."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(lambda: redis.Redis(port=port).ping(), timeout=10, what="redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def celery_worker(shop_env: dict[str, str], broker: str, tmp_path: Path) -> Iterator[None]:
    env = {
        **shop_env,
        "CELERY_BROKER_URL": broker,
        # What the Procfile gives the worker: its role's folder under METRICS_DIR.
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics" / "worker"),
    }
    boot = (
        "import django; django.setup(); from tests.metrics.worker import worker_main; worker_main()"
    )
    with (tmp_path / "worker.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", boot],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def test_a_celery_workers_tasks_are_counted_started_succeeded_failed_and_retried(
    gunicorn, celery_worker, broker, tmp_path
):
    server = gunicorn(workers=1)
    celery_app.conf.task_always_eager = False  # tests run tasks in-process; not these
    with Connection(broker) as publishing:
        for name in ["succeeds"] * 3 + ["fails", "retries_once"]:
            celery_app.send_task(f"tests.metrics.{name}", connection=publishing)

    tasks = "shopfront_celery_tasks_total"
    expected = {
        ("succeeds", "started"): 3,
        ("succeeds", "succeeded"): 3,
        ("fails", "started"): 1,
        ("fails", "failed"): 1,
        ("retries_once", "started"): 2,
        ("retries_once", "retried"): 1,
        ("retries_once", "succeeded"): 1,
    }

    def counted() -> dict[tuple[str, str], float]:
        found = scrape(server)
        return {
            (name, state): value(found, tasks, task=f"tests.metrics.{name}", state=state)
            for name, state in expected
        }

    wait_for(lambda: counted() == expected, timeout=60, what="the worker's task counts")
    found = scrape(server)
    assert value(found, tasks, task="tests.metrics.fails", state="succeeded") == 0
    durations = "shopfront_celery_task_duration_seconds_count"
    assert value(found, durations, task="tests.metrics.succeeds") == 3
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert "PROMETHEUS_MULTIPROC_DIR is not set" not in log
