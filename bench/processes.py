"""Commands, the processes a run starts, and PostgreSQL and Redis (started when down)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from typing import Any

from settings import HOST, LOGS, ROOT, Config, log


class Processes:
    """Every process the bench starts, each in its own process group, stopped at the end."""

    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.services: list[str] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        LOGS.mkdir(parents=True, exist_ok=True)
        with (LOGS / f"{name}.log").open("ab") as output:
            process = subprocess.Popen(  # noqa: S603 - our own commands
                command,
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append((name, process))
        return process

    def stop(self, process: subprocess.Popen[Any], *, grace: float = 25.0) -> None:
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for name, process in reversed(self.running):
            if process.poll() is None:
                log(f"stopping {name} (process group {process.pid})")
                self.stop(process)
        self.running.clear()
        # Services only when this run started them: then no one else was using them.
        if "redis" in self.services:
            log("stopping the Redis this run started")
            run(["redis-cli", "-h", HOST, "-p", "6379", "shutdown", "nosave"], check=False)
        if "postgresql" in self.services:
            log("stopping the PostgreSQL this run started")
            run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "stop"],
                check=False,
            )
        self.services.clear()


def run(
    command: list[str],
    *,
    env: dict[str, str] | None = None,
    check: bool = True,
    capture: bool = True,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own commands
        command,
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=capture,
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        detail = (result.stderr or "")[-3000:] + (result.stdout or "")[-2000:]
        raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{detail}")
    return result


def last_json(output: str) -> dict[str, Any]:
    for line in reversed(output.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON result in:\n{output[-2000:]}")


def pg_version() -> str:
    return sorted(os.listdir("/etc/postgresql"))[-1]


def apt_install(packages: list[str]) -> None:
    log(f"installing {' '.join(packages)} from Debian")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", *packages]
    if run(install, env=env, check=False).returncode != 0:
        run(["apt-get", "update", "-qq"], env=env)
        run(install, env=env)


def ensure_tools() -> None:
    missing = [
        package
        for command, package in (
            ("wrk", "wrk"),
            ("pg_ctlcluster", "postgresql"),
            ("redis-server", "redis-server"),
        )
        if shutil.which(command) is None
    ]
    if missing:
        apt_install(missing)


def ensure_services(processes: Processes) -> None:
    """PostgreSQL and Redis, started the way .ci/run starts them when they are down."""
    if run(["pg_isready", "-h", HOST, "-p", "5432", "-q"], check=False).returncode != 0:
        log("starting PostgreSQL")
        run(["pg_ctlcluster", "--skip-systemctl-redirect", pg_version(), "main", "start"])
        processes.services.append("postgresql")
    if run(["redis-cli", "-h", HOST, "-p", "6379", "ping"], check=False).returncode != 0:
        log("starting Redis")
        run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                HOST,
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ]
        )
        processes.services.append("redis")
    for _ in range(30):
        pg = run(["pg_isready", "-h", HOST, "-p", "5432", "-q"], check=False).returncode == 0
        redis = run(["redis-cli", "-h", HOST, "-p", "6379", "ping"], check=False).returncode == 0
        if pg and redis:
            return
        time.sleep(1)
    raise RuntimeError("PostgreSQL or Redis did not come up")


def psql(sql: str, database: str = "postgres") -> str:
    command = ["psql", "-h", HOST, "-U", "postgres", "-d", database, "-tAc", sql]
    return run(command).stdout.strip()


def ensure_database(config: Config) -> None:
    # The name is ours (a constant), not input.
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{config.database}'")  # noqa: S608
    if exists != "1":
        log(f"creating database {config.database}")
        run(["createdb", "-h", HOST, "-U", "postgres", config.database])
