"""Playwright on Debian's Chromium against the served shop (tests/browser/served.py).

Every test runs once on a desktop and once on a phone viewport. The `shopper` fixture is a
page that records what a person would notice going wrong (console errors, CSP reports,
failed static files, a page wider than the phone) and `shopper.step(name)` screenshots the
page into var/browser/ and fails on any of it.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.served import ServedShop, served_shop
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "var" / "browser"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
# What fails a page: axe's two worst levels (moderate and minor ones are only printed).
AXE_FAILING = ("critical", "serious")
VIEWPORTS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


def _browser_missing() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Playwright for Python (make install-dev)"
    if not AXE.exists():
        return "axe-core (npm ci --prefix tests/browser, done by make install-dev)"
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or not os.environ.get(
        "REDIS_URL"
    ):
        return "PostgreSQL and Redis (DATABASE_URL, REDIS_URL)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    missing = _browser_missing()
    if missing is None:
        return
    if IN_CI:
        pytest.fail(f"browser tests need {missing}: CI=true requires it", pytrace=False)
    pytest.skip(f"browser tests need {missing}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    missing = _browser_missing()
    if missing is not None:
        terminalreporter.write_line(
            f"Browser tests (tests/browser) were SKIPPED: they need {missing}.", yellow=True
        )


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedShop]:
    with served_shop(tmp_path_factory.mktemp("browser-shop")) as served:
        yield served


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield chromium
        chromium.close()


class Shopper:
    """A person at a browser: a page, what went wrong on it, and screenshots of each step."""

    def __init__(self, page: Any, shop: ServedShop, folder: Path, viewport: str) -> None:
        self.page = page
        self.shop = shop
        self.folder = folder
        self.viewport = viewport
        self.problems: list[str] = []
        self._steps = 0
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))
        page.on("response", self._response)
        page.on("requestfailed", self._failed)

    def _console(self, message: Any) -> None:
        if message.type == "error":
            source = (message.location or {}).get("url") or self.page.url
            self.problems.append(f"console: {message.text} ({source})")

    def _response(self, response: Any) -> None:
        if "/static/" in response.url and response.status >= 400:
            self.problems.append(f"static {response.status}: {response.url}")

    def _failed(self, request: Any) -> None:
        # ERR_ABORTED: the browser dropped it, leaving the page (a favicon, mid-navigation).
        if "/static/" in request.url and "ERR_ABORTED" not in (request.failure or ""):
            self.problems.append(f"static failed: {request.url} {request.failure}")

    def go(self, path: str) -> Any:
        return self.page.goto(self.shop.url(path))

    def step(self, name: str, *, accessible: bool = True) -> None:
        """Screenshots the page as it is and fails on anything a shopper would notice.

        With `accessible`, axe-core checks the page too (the storefront's pages; the
        Django admin's are Django's own).
        """
        self.page.wait_for_load_state("load")
        self._steps += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        shot = self.folder / f"{self._steps:02d}-{slug}.png"
        self.page.screenshot(path=str(shot), full_page=True)
        if self.viewport == "phone":
            wider = self.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if wider > 0:
                self.problems.append(f"{name}: {wider}px of horizontal scrolling on the phone")
        if accessible:
            self.problems += self._axe(name)
        problems, self.problems = self.problems, []
        assert problems == [], f"at step {name!r} ({self.page.url})"

    def _axe(self, name: str) -> list[str]:
        # Evaluated through the DevTools protocol, which the page's CSP does not govern: a
        # script tag would be refused, and rightly.
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            self.page.evaluate(_axe_source())
        found = self.page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"
        )
        return [
            f"{name}: axe {v['impact']} {v['id']} ({v['help']}) at {v['nodes']}"
            for v in found
            if v["impact"] in AXE_FAILING
        ]


@functools.cache
def _axe_source() -> str:
    return AXE.read_text()


@pytest.fixture(params=sorted(VIEWPORTS))
def shopper(request: pytest.FixtureRequest, browser: Any, shop: ServedShop) -> Iterator[Shopper]:
    viewport = request.param
    folder = ARTEFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    context = browser.new_context(**VIEWPORTS[viewport])
    context.set_default_timeout(10_000)
    page = context.new_page()
    person = Shopper(page, shop, folder, viewport)
    try:
        yield person
    finally:
        context.close()
