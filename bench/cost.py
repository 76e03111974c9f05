"""What one request costs in one process, without the network: the other side of `make bench`.

    .venv/bin/python bench/cost.py [--cold] [--requests N] [--profile] URL [URL ...]

Sends each URL through Django's WSGI handler in this process, with the production
settings `make bench` uses, against its database (`shopfront_bench`, seeded by a first
`make bench`) and a Redis database of its own (11), and prints the median time per
request. No gunicorn, no sockets, no other process: on an idle machine this is the CPU
a page costs in Python plus its waits on PostgreSQL and Redis, which is what bounds the
requests per second a core can serve. `--cold` switches the catalog cache off, as the
benchmark's cold server does; `--profile` prints where the time goes (cProfile).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]  # the project, and bench/settings.py beside this

from settings import Config, django_env  # noqa: E402

COST_REDIS_DB = 11  # not the benchmark's: a run of `make bench` flushes that one


def answer_status(handler: Any, environ: dict[str, Any]) -> str:
    """Sends one request through a WSGI handler, reads its whole answer; the status line."""
    statuses: list[str] = []

    def start_response(status: str, headers: Any, *_: Any) -> Any:
        statuses.append(status)

    body: Any = handler(environ, start_response)
    b"".join(body)
    body.close()
    return statuses[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+", metavar="URL")
    parser.add_argument("--cold", action="store_true", help="catalog cache off")
    parser.add_argument("--requests", type=int, default=500, help="per URL, after 2 warm-ups")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    args = parser.parse_args()

    env = django_env(Config(), cache=not args.cold)
    redis_url = env["REDIS_URL"].rsplit("/", 1)[0] + f"/{COST_REDIS_DB}"
    os.environ.update(env | {"REDIS_URL": redis_url, "CELERY_BROKER_URL": redis_url})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The benchmark raises the API rate limits for its run; so does this.
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.test.client import RequestFactory

    handler = WSGIHandler()
    factory = RequestFactory()

    def request(url: str) -> str:
        return answer_status(handler, factory.get(url, HTTP_HOST=env["ALLOWED_HOSTS"]).environ)

    def repeat(url: str, times: int) -> None:
        for _ in range(times):
            request(url)

    for url in args.urls:
        status = [request(url), request(url)][-1]  # the second: what a warm cache answers
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            request(url)
            timings.append(time.perf_counter() - started)
        print(
            f"{statistics.median(timings) * 1000:7.2f} ms  {url}  ({status}, "
            f"{'cache off' if args.cold else 'cache on'}, median of {args.requests})"
        )
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(repeat, url, args.requests)
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
