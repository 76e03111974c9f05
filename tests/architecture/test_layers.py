"""The house stays in order: imports between apps run one way, modules stay readable."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# About what one reads in a sitting; migrations are generated and exempt.
MAX_MODULE_LINES = 500


def _lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """The project's code and import contracts, in a folder of its own to break."""
    for folder in ("apps", "config"):
        shutil.copytree(
            ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _add_import(tree: Path, module: str, line: str) -> None:
    path = tree / (module.replace(".", "/") + ".py")
    path.write_text(path.read_text() + f"\n{line}  # noqa\n")


def test_the_import_contracts_hold():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line"),
    [
        # The catalog below the cart: it must not know the cart exists.
        ("apps.catalog.http", "from apps.cart.http import COOKIE_NAME"),
        # Search builds on the catalog; the catalog reaches it only through search_hooks.
        ("apps.catalog.views", "from apps.search import services"),
        # The sales reports read orders; orders never need the reports.
        ("apps.orders.selectors", "from apps.reports import selectors"),
        # Orders exist without the checkout flow.
        ("apps.orders.models", "from apps.checkout import views"),
        # Money math is below everything that prices things.
        ("apps.pricing.money", "from apps.cart import selectors"),
        # An order's own rules never need payments (payments build on orders).
        ("apps.orders.services.states", "from apps.payments import services"),
        # A service that imports its tasks while the tasks call it: a circle.
        ("apps.orders.services.states", "from apps.orders import tasks"),
    ],
)
def test_a_wrong_way_import_breaks_the_contracts(tree_copy, module, line):
    _add_import(tree_copy, module, line)
    result = _lint_imports(tree_copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout


def test_no_module_is_longer_than_one_can_read():
    too_long = {}
    for folder in ("apps", "config", "bench", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            lines = len(path.read_text().splitlines())
            if lines > MAX_MODULE_LINES:
                too_long[str(path.relative_to(ROOT))] = lines
    assert too_long == {}
