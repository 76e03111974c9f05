"""Services enqueue their tasks by name: every name they send must be a registered task."""

from __future__ import annotations

import ast
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
