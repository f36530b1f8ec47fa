"""The signup box in headless Chromium: htmx swap, error swap, and no JavaScript."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from ..conftest import SLUG
from ..servers import free_port
from .support import subscribers

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        bool(os.environ.get("VERSUS_SKIP_BROWSER")) or not Path(CHROMIUM).exists(),
        reason="browser tests need /usr/bin/chromium (unset VERSUS_SKIP_BROWSER)",
    ),
]


@pytest.fixture
def live_url(app, sample):
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


def test_signup_swaps_in_place(app, live_url, browser):
    page = browser.new_page()
    page.goto(f"{live_url}/compare/{SLUG}")

    page.fill("#newsletter-email", "Reader@Example.com")
    page.click("#newsletter-signup button[type=submit]")

    status = page.locator("#newsletter-signup [role=status]")
    status.wait_for()
    assert "Check your inbox for an email from Versus" in status.inner_text()
    assert page.url == f"{live_url}/compare/{SLUG}"
    assert page.locator("#vote-widget").count() == 1
    assert subscribers(app) == {"reader@example.com": "pending"}


def test_signup_error_swaps_message(app, live_url, browser):
    page = browser.new_page()
    page.goto(f"{live_url}/")

    # Passes the browser's own type=email check but not the server's.
    page.fill("#newsletter-email", "reader@localhost")
    page.click("#newsletter-signup button[type=submit]")

    alert = page.locator("#newsletter-signup [role=alert]")
    alert.wait_for()
    assert "It should have a period" in alert.inner_text()
    assert page.locator("#newsletter-email").input_value() == "reader@localhost"
    assert page.url == f"{live_url}/"
    assert subscribers(app) == {}


def test_signup_without_javascript(app, live_url, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_url}/compare/{SLUG}")

    page.fill("#newsletter-email", "reader@example.com")
    page.click("#newsletter-signup button[type=submit]")
    page.wait_for_url(f"{live_url}/newsletter/sent**")

    assert "Check your inbox for an email from Versus" in page.inner_text("main")
    page.click("text=Back to the page you were reading")
    assert page.url == f"{live_url}/compare/{SLUG}"
    assert subscribers(app) == {"reader@example.com": "pending"}
    context.close()
