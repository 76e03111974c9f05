"""py-spy profiles of the scenarios that missed a target, each right after its own run."""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from processes import Processes, run
from scenarios import Scenario, wrk
from settings import BIN, LOGS, ROOT, Config


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    try:
        return [int(pid) for pid in children.read_text().split()]
    except OSError:
        return []


def profile(
    config: Config,
    scenario: Scenario,
    master: int,
    processes: Processes,
    extra_env: dict[str, str],
) -> dict[str, Any]:
    """Samples every gunicorn worker with py-spy while the scenario's load runs again."""
    spy = BIN / "py-spy"
    if not spy.exists():
        run([sys.executable, "-m", "pip", "install", "--quiet", "py-spy"], check=False)
    if not spy.exists():
        return {"error": "py-spy could not be installed"}
    seconds = max(6, min(config.duration, 10))
    out = LOGS / f"profile-{scenario.key}.txt"
    spy_process = processes.start(
        f"py-spy-{scenario.key}",
        [str(spy), "record", "--pid", str(master), "--subprocesses", "--duration",
         str(seconds), "--rate", "50", "--format", "raw", "--output", str(out), "--nonblocking"],
        env=dict(os.environ),
    )  # fmt: skip
    time.sleep(1)
    wrk(config, scenario, duration=seconds, processes=processes, extra_env=extra_env)
    try:
        spy_process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        processes.stop(spy_process)
    if not out.exists():
        return {"error": f"py-spy wrote nothing; see {LOGS}/py-spy-{scenario.key}.log"}
    return summarise_profile(out)


def summarise_profile(path: Path, top: int = 10) -> dict[str, Any]:
    """Share of samples spent inside each of the most expensive project/library frames."""
    inclusive: collections.Counter[str] = collections.Counter()
    leaf: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [frame for frame in stack.split(";") if not frame.startswith("process ")]
        if not frames:
            continue
        total += count
        leaf[short_frame(frames[-1])] += count
        for name in {short_frame(frame) for frame in frames}:
            inclusive[name] += count
    if not total:
        return {"samples": 0}

    # The project's own frames, and the library frames that name a kind of work; the
    # layers in between (middleware, template nodes, client internals) add nothing.
    library = (
        "render (django/shortcuts.py)", "SQLCompiler.execute_sql (", "RedisCache.get (",
        "RedisCache.set (", "RedisCache.get_many (", "RedisCache.incr (",
        "Serializer.to_representation (", "Request._authenticate (", "Request.user (",
        "SessionBase._get_session (", "get_token (django/middleware/csrf.py)",
        "transaction.py", "apps.py",
    )  # fmt: skip

    def interesting(name: str) -> bool:
        project = re.search(r"\((apps|config)/", name) is not None
        return (project and "middleware" not in name) or any(key in name for key in library)

    return {
        "samples": total,
        "inclusive": [
            (name, round(100 * count / total, 1))
            for name, count in inclusive.most_common(60)
            if interesting(name)
        ][:top],
        "self": [(name, round(100 * count / total, 1)) for name, count in leaf.most_common(top)],
    }


def short_frame(frame: str) -> str:
    # py-spy's raw frames look like "render (django/template/base.py:1016)".
    match = re.match(r"(.*?) \((.*?)(?::\d+)?\)$", frame)
    if not match:
        return frame
    function, filename = match.groups()
    for marker in ("site-packages/", "/work/main/", str(ROOT) + "/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
    return f"{function} ({filename})"
