"""A throwaway redis-server of the test's own, to hang (SIGSTOP), resume and kill.

The shared Redis (6379) is never touched: faults are made on this one, on a port of its
own, with nothing saved to disk. Every wait here is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time

import pytest
import redis

PORT = 6391
IN_CI = os.environ.get("CI", "").lower() == "true"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class ThrowawayRedis:
    """A redis-server subprocess on 127.0.0.1:`port`, started and ended by one test."""

    def __init__(self, port: int = PORT) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.hung = False

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        """Starts the server and waits (at most 10 s) until it answers PING."""
        binary = shutil.which("redis-server")
        if binary is None:
            message = "needs redis-server on PATH (apt-get install redis-server)"
            if IN_CI:
                pytest.fail(f"{message}: CI=true requires every service", pytrace=False)
            pytest.skip(message)
        if not _port_free(self.port):
            pytest.fail(f"port {self.port} is taken: a throwaway Redis left running?")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.hung = False
        self.wait_until_up()

    def wait_until_up(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        probe = redis.Redis(port=self.port, socket_timeout=0.2, socket_connect_timeout=0.2)
        try:
            while time.monotonic() < deadline:
                try:
                    if probe.ping():
                        return
                except redis.RedisError:
                    time.sleep(0.05)
        finally:
            probe.close()
        pytest.fail(f"the throwaway Redis on {self.port} did not answer within {timeout}s")

    def hang(self) -> None:
        """SIGSTOP: the kernel still accepts connections, the server answers nothing."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)
        self.hung = True

    def resume(self) -> None:
        """SIGCONT: the server answers again (and works off what queued meanwhile)."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)
        self.hung = False

    def kill(self) -> None:
        """SIGKILL: the port is closed, connections are refused."""
        if self.process is None:
            return
        if self.hung:
            self.resume()
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None

    def client(self, db: int = 0) -> redis.Redis:
        """A plain client of its own, to look inside the server from the test."""
        return redis.Redis(port=self.port, db=db, socket_timeout=2, socket_connect_timeout=2)
