"""The shop the browser tests visit: gunicorn and a Celery worker on PostgreSQL and Redis.

As in production, not as in the test client: its own database on the shared PostgreSQL,
a Redis database of its own for the cache, sessions and the broker, hashed static files,
the catalog cache on, and a real worker sending e-mail (to files the tests read) and
the payment gateway's webhooks.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import psycopg

from tests.faults.pg_support import ROOT, Gunicorn, app_env, manage, wait_for

STAFF_EMAIL = "staff@shopfront.test"
STAFF_PASSWORD = "a-long-staff-password-42"
# The Redis database of the served shop: flushed when it starts, used by nothing else
# (BROWSER_REDIS_DB for a second run beside the first).
REDIS_DB = int(os.environ.get("BROWSER_REDIS_DB", "13"))


@dataclass
class ServedShop:
    base_url: str
    mail_dir: Path
    database: str
    env: dict[str, str]

    def shell(self, code: str) -> str:
        """Runs Python in the served shop's settings (manage.py shell -c); its output."""
        return manage(self.env, "shell", "-c", code)

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def mails(self, *, to: str) -> list[EmailMessage]:
        """The e-mails sent to `to` so far, oldest first."""
        found = []
        for path in sorted(self.mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
            # The file backend writes each message followed by a line of dashes.
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if not chunk.strip():
                    continue
                message = message_from_bytes(chunk.strip(), policy=policy.default)
                if to in str(message.get("To", "")):
                    found.append(message)  # type: ignore[arg-type]
        return found

    def link_in_mail(self, *, to: str, pattern: str) -> str:
        """The first link matching `pattern` in the newest e-mail to `to` that has one."""
        for message in reversed(self.mails(to=to)):
            body = message.get_body(preferencelist=("plain", "html"))
            text = body.get_content() if body is not None else ""
            match = re.search(pattern, text)
            if match:
                return match.group(0)
        raise AssertionError(f"no e-mail to {to} with a link like {pattern}")


class _Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        with log.open("ab") as out:
            command = [sys.executable, "-m", "celery", "--app", "config", "worker"]
            command += ["--pool", "solo", "--loglevel", "WARNING", "--without-heartbeat"]
            self.process = subprocess.Popen(
                [*command, "--without-mingle", "--without-gossip"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _admin_url(database: str) -> str:
    url = os.environ["DATABASE_URL"]
    return url.rsplit("/", 1)[0] + f"/{database}"


@contextlib.contextmanager
def served_shop(folder: Path) -> Iterator[ServedShop]:
    """Migrates and seeds a fresh database, then serves it until the block ends."""
    database = f"shopfront_browser_{os.getpid()}"
    with psycopg.connect(_admin_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    redis_url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + f"/{REDIS_DB}"
    mail_dir = folder / "mail"  # the file backend's default: VAR_DIR/mail
    mail_dir.mkdir()
    env = app_env(
        database_url=_admin_url(database),
        var_dir=folder,
        REDIS_URL=redis_url,
        CATALOG_CACHE="true",
        DEMO_STAFF_PASSWORD=STAFF_PASSWORD,
        DEMO_STAFF_EMAIL=STAFF_EMAIL,
    )
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    manage(env, "migrate", "--noinput", "--verbosity", "0")
    manage(env, "seed_catalog", "--products", "60", "--seed", "7")
    manage(env, "seed_shipping_methods")
    manage(env, "ensure_demo_staff")
    server = Gunicorn(env, folder, workers=2)
    # Links in e-mails and the gateway's webhook point at the served shop.
    server.env["SITE_URL"] = server.url("")
    worker = _Worker(server.env, folder / "celery.log")
    try:
        server.start()
        wait_for(lambda: worker.process.poll() is None, timeout=5, what="celery worker")
        yield ServedShop(
            base_url=server.url(""), mail_dir=mail_dir, database=database, env=server.env
        )
    finally:
        server.stop()
        worker.stop()
        with psycopg.connect(_admin_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
