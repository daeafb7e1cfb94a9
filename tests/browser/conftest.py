"""Browser end-to-end fixtures: a real `twistd clawtown` (the e2e harness) and headless Chromium.

The server runs in a subprocess (tests/e2e/conftest.py's Server, loaded here by path); the test
process drives Debian's Chromium with Playwright's sync API. Screenshots of the main states go
to artifacts/screenshots/ (not compared).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

_HARNESS = Path(__file__).resolve().parents[1] / "e2e" / "conftest.py"
_spec = importlib.util.spec_from_file_location("clawtown_e2e_harness", _HARNESS)
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)
Server = harness.Server

REPO = Path(__file__).resolve().parents[2]
SHOTS = REPO / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def town(tmp_path):
    """A test-mode server (debug routes on) with its own data dir."""
    srv = Server(str(tmp_path / "data"), ("--test-mode",)).start()
    yield srv
    if srv.proc is not None:
        srv.stop()


@pytest.fixture
def restartable(tmp_path):
    """A server (not started) that keeps its port and data dir across stop() and start()."""
    srv = Server(str(tmp_path / "data"))
    yield srv
    if srv.proc is not None:
        srv.stop()


class Tab:
    """One browser context + page, collecting console errors and page errors."""

    def __init__(self, browser, base: str, phone: bool = False) -> None:
        opts = {"viewport": PHONE, "device_scale_factor": 2, "is_mobile": True, "has_touch": True} if phone else {
            "viewport": DESKTOP}
        self.context = browser.new_context(**opts)
        self.page = self.context.new_page()
        self.base = base
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def open(self, path: str = "/") -> "Tab":
        self.page.goto(self.base + path)
        return self

    def create(self, name: str, job: str = "novice") -> dict:
        """Create a character through the welcome screen; returns `you` after hello."""
        page = self.page
        page.wait_for_selector(".ob-name")
        page.fill(".ob-name", name)
        page.click(f".job[data-job={job}]")
        page.click(".start")
        page.wait_for_function("() => window.__ct && window.__ct.model.you && window.__ct.model.you.id && window.__ct.model.me()")
        return self.you()

    def you(self) -> dict:
        return self.page.evaluate("() => window.__ct.model.you")

    def me(self) -> dict:
        return self.page.evaluate("() => { const e = window.__ct.model.me(); return e && {x: e.x, y: e.y, id: e.id}; }")

    def entity(self, eid: str):
        return self.page.evaluate("(id) => { const e = window.__ct.model.entities.get(id); return e ? {x: e.x, y: e.y} : null; }", eid)

    def shot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        self.page.wait_for_timeout(250)
        self.page.screenshot(path=str(path))
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def tabs(chromium):
    opened: list[Tab] = []

    def make(server, phone: bool = False) -> Tab:
        tab = Tab(chromium, server.base, phone)
        opened.append(tab)
        return tab

    yield make
    for tab in opened:
        tab.close()
