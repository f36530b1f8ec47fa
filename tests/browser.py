"""A live server and headless Chromium for browser tests.

``live_server`` serves the application through Werkzeug's threaded WSGI server on a
free loopback port, backed by the same real Redis and SQLite or PostgreSQL database
as the other tests, with the shipped content imported and the tally polled every
second. ``browser`` is Debian's Chromium driven by Playwright. Mark tests that use
them ``@pytest.mark.browser``. Setting ``VERSUS_SKIP_BROWSER`` skips them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from versus import create_app
from versus.content.importer import import_specs
from versus.content.schema import parse_paths
from versus.extensions import db

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
# How long a browser test waits for the page to change, in milliseconds. Generous,
# because polling runs every second and a loaded CI machine can be slow.
WAIT_MS = 15_000

logger = logging.getLogger(__name__)


class LiveServer:
    """The app served over real HTTP on 127.0.0.1, in a background thread."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="live-server", daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        self._thread.start()
        logger.info("Live server started on %s", self.url)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        logger.info("Live server on %s stopped", self.url)


def live_config(base: dict) -> dict:
    return base | {"TALLY_POLL_SECONDS": 1}


@pytest.fixture
def live_server(database_url, redis_server) -> Iterator[LiveServer]:
    """Serve the app with the shipped content on a free loopback port."""
    from .conftest import base_config

    redis_server.client().flushall()
    app = create_app(live_config(base_config(database_url, redis_server.url)))
    with app.app_context():
        import_specs(db.session, parse_paths(ROOT / "content"))

    server = LiveServer(app)
    server.start()
    yield server
    server.stop()

    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def browser():
    """Launch Debian's Chromium for one test.

    Per test rather than per session, because Playwright's sync API allows one
    running instance per thread and other test modules launch their own.
    """
    if os.environ.get("VERSUS_SKIP_BROWSER"):
        pytest.skip("VERSUS_SKIP_BROWSER is set")

    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found; run 'make test' to install chromium")

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser, live_server):
    """Return a factory of fresh browser contexts (separate cookies: a new reader).

    It depends on ``live_server`` so that the contexts, and the polling in their
    pages, close before the server stops.
    """
    contexts = []

    def factory(**options):
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(**options)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        return context

    yield factory

    for context in contexts:
        context.close()


def save_screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
