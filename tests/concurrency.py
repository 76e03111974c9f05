"""Running work in parallel threads, each on its own database connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_together(
    jobs: list[Callable[[], Any]], timeout: float = 60
) -> tuple[list[Any], list[BaseException]]:
    """Starts every job at the same instant (a barrier) and returns (results, errors)."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(job: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            outcome = job()
            with lock:
                results.append(outcome)
        except BaseException as error:  # handed to the test, which asserts on it
            with lock:
                errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a worker hung (deadlock?)"
    return results, errors
