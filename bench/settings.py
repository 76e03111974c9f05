"""Where a run keeps its files, what it sets for the servers, and the BENCH_* it reads."""

from __future__ import annotations

import os
import re
import secrets
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LUA_DIR = ROOT / "bench" / "lua"
VAR = ROOT / "var" / "bench"
DATA = VAR / "data"
LOGS = VAR / "logs"
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
WRK_TIMEOUT = "10s"
PG_URL = "postgres://postgres@127.0.0.1:5432/{db}"
REDIS_DB = 10
# DRF keeps one timestamp per request of the window for each client, and all of wrk's
# traffic comes from one address: a per-minute window would make every anonymous API
# request read and write a list of tens of thousands of entries. Per-second windows
# keep the lists as short as a busy real client's.
THROTTLES = {
    "API_THROTTLE_ANON": "100000/s",
    "API_THROTTLE_USER": "100000/s",
    "API_THROTTLE_CHECKOUT": "100000/s",
    "API_THROTTLE_AUTH": "1000/min",
}
# Server settings a user may set for a run (e.g. GUNICORN_MAX_REQUESTS=0 make bench); the
# report lists them. Anything else of the kind in the environment is left out.
PASS_THROUGH = (
    "WEB_CONCURRENCY",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_THREADS",
    "CELERY_CONCURRENCY",
)
SHIPPED_THROTTLES = {
    "API_THROTTLE_ANON": "300/min",
    "API_THROTTLE_USER": "600/min",
    "API_THROTTLE_CHECKOUT": "30/min",
    "API_THROTTLE_AUTH": "10/min",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


@dataclass
class Config:
    """What `make bench` does, from BENCH_* variables."""

    duration: int = field(default_factory=lambda: env_int("BENCH_DURATION", 15))
    # The sale runs until sold out plus flash_after seconds, flash_duration at most.
    flash_duration: int = field(default_factory=lambda: env_int("BENCH_FLASH_DURATION", 150))
    flash_after: int = field(default_factory=lambda: env_int("BENCH_FLASH_AFTER", 10))
    connections: int = field(default_factory=lambda: env_int("BENCH_CONNECTIONS", 32))
    port: int = field(default_factory=lambda: env_int("BENCH_PORT", 8401))
    products: int = field(default_factory=lambda: env_int("BENCH_PRODUCTS", 100_000))
    buyers: int = field(default_factory=lambda: env_int("BENCH_BUYERS", 64))
    flash_stock: int = field(default_factory=lambda: env_int("BENCH_FLASH_STOCK", 2000))
    urls: int = field(default_factory=lambda: env_int("BENCH_URLS", 2000))
    shoppers: int = field(default_factory=lambda: env_int("BENCH_SHOPPERS", 256))
    revalidate_urls: int = field(default_factory=lambda: env_int("BENCH_REVALIDATE_URLS", 1000))
    warmup_seconds: int = field(default_factory=lambda: env_int("BENCH_WARMUP_SECONDS", 45))
    seed: int = field(default_factory=lambda: env_int("BENCH_SEED", 1))
    database: str = field(default_factory=lambda: os.environ.get("BENCH_DB") or "shopfront_bench")
    # The waiting-room sale (bench/room.py): shoppers, room capacity, arrival spread and
    # the scenario's time limit in seconds, units set aside, per-customer limit.
    room_shoppers: int = field(default_factory=lambda: env_int("BENCH_ROOM_SHOPPERS", 1000))
    room_capacity: int = field(default_factory=lambda: env_int("BENCH_ROOM_CAPACITY", 32))
    room_arrival: int = field(default_factory=lambda: env_int("BENCH_ROOM_ARRIVAL", 5))
    room_deadline: int = field(default_factory=lambda: env_int("BENCH_ROOM_DEADLINE", 180))
    room_units: int = field(default_factory=lambda: env_int("BENCH_ROOM_UNITS", 500))
    room_limit: int = 2
    only: list[str] = field(
        default_factory=lambda: [
            key.strip() for key in os.environ.get("BENCH_ONLY", "").split(",") if key.strip()
        ]
    )
    profile: bool = field(default_factory=lambda: os.environ.get("BENCH_PROFILE", "1") == "1")
    output: Path = field(
        default_factory=lambda: ROOT / os.environ.get("BENCH_OUTPUT", "docs/BENCHMARKS.md")
    )

    def __post_init__(self) -> None:
        # The name goes into SQL and command lines: a plain identifier only.
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", self.database):
            raise SystemExit(f"BENCH_DB must be a plain database name, not {self.database!r}.")

    @property
    def cold_port(self) -> int:
        return self.port + 1


def django_env(config: Config, *, cache: bool = True, port: int | None = None) -> dict[str, str]:
    """The production configuration on loopback: DEBUG off, SECURE off (plain HTTP)."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Only what this run decides: nothing from a developer's shell may leak in.
        if key in PASS_THROUGH
        or (
            not key.startswith(("API_THROTTLE_", "CATALOG_CACHE", "GUNICORN_", "DJANGO_"))
            and key not in ("PORT", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EMAIL_URL")
        )
    }
    env.update(
        {
            "DJANGO_ENV": "production",
            "DEBUG": "false",
            "SECURE": "false",
            # Not the developer's .env: this run decides every setting that matters.
            "ENV_FILE": os.devnull,
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"http://{HOST}:{port or config.port}",
            "DATABASE_URL": PG_URL.format(db=config.database),
            "REDIS_URL": f"redis://{HOST}:6379/{REDIS_DB}",
            "CELERY_BROKER_URL": f"redis://{HOST}:6379/{REDIS_DB}",
            "EMAIL_URL": "filemail://",
            "VAR_DIR": str(VAR),
            "MEDIA_ROOT": str(VAR / "media"),
            "SERVE_MEDIA": "false",
            "LOG_LEVEL": "WARNING",
            "CATALOG_CACHE": "true" if cache else "false",
            "GUNICORN_BIND": f"{HOST}:{port or config.port}",
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            **THROTTLES,
        }
    )
    return env


SECRET_KEY = secrets.token_urlsafe(50)
