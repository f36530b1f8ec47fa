"""In Chromium: a moderation page shows only the notice of the latest response."""

from __future__ import annotations

import pytest

from .conftest import SLUG
from .moderation_support import PASSWORD, cast, counters, make_moderator


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/moderate/{SLUG}")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/moderate/{SLUG}")


def press_reset(page) -> None:
    page.fill("#reset-public", "Stuffed from one forum thread")
    page.check("#reset-form input[name=confirm]")
    page.click("#reset-form button[type=submit]")


# One backend is enough: the notices are the same whatever the database.
@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_second_reset_shows_only_error(live_server, new_context):
    app = live_server.app
    for i in range(3):
        cast(app, f"stuffer-{i}", "sam-3", ip="stuffer-ip")
    make_moderator(app)
    page = new_context().new_page()
    sign_in(page, live_server.url)

    press_reset(page)
    success = page.locator(".notice-success")
    success.wait_for()
    assert "Reset: voided 3 votes" in success.inner_text()

    press_reset(page)
    error = page.locator("#reset-result .notice-error")
    error.wait_for()

    assert "No counted votes match" in error.inner_text()
    assert page.locator(".notice").count() == 1
    assert page.locator(".notice-success").count() == 0
    assert counters(app)["sam-3"] == 0


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_other_form_error_cleared(live_server, new_context):
    app = live_server.app
    make_moderator(app)
    page = new_context().new_page()
    sign_in(page, live_server.url)

    page.click("#void-form button[type=submit]")
    preview_error = page.locator("#void-preview .notice-error")
    preview_error.wait_for()
    assert "Choose an IP hash" in preview_error.inner_text()

    press_reset(page)
    reset_error = page.locator("#reset-result .notice-error")
    reset_error.wait_for()

    assert page.locator(".notice").count() == 1
    assert "No counted votes match" in reset_error.inner_text()
