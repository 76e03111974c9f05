"""Services enqueue their tasks by name: every name they send must be a registered task."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from config.celery import app as celery_app

APPS = Path(__file__).resolve().parents[2] / "apps"


def _task_names_enqueued() -> dict[str, str]:
    """Each string given to enqueue_on_commit in apps/, with the file that sends it."""
    names = {}
    for path in APPS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "enqueue_on_commit"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                names[node.args[0].value] = str(path.relative_to(APPS))
    return names


def test_every_task_enqueued_by_name_is_registered():
    celery_app.loader.import_default_modules()
    sent = _task_names_enqueued()
    assert len(sent) >= 4  # orders, catalog, accounts and payments send by name
    unknown = {name: where for name, where in sent.items() if name not in celery_app.tasks}
    assert unknown == {}


def test_a_task_named_before_its_module_was_imported_is_sent_through_the_task_itself():
    # A fresh process, as a web worker is: nothing has imported the tasks module yet, so
    # a name that did not resolve would fall back to a bare send_task (no eager mode,
    # none of the task's options).
    script = (
        "import sys, django; django.setup()\n"
        "from apps.core.queue import _registered\n"
        "assert 'apps.accounts.tasks' not in sys.modules\n"
        "task = _registered('apps.accounts.tasks.send_password_reset_email')\n"
        "print(type(task).__name__, task.max_retries)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        cwd=APPS.parent,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "send_password_reset_email"
