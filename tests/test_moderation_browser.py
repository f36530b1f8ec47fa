"""A moderator finds a burst on the chart, voids it, and the public tally drops."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from versus.models import utcnow
from versus.voting.moderation.activity import floor_hour

from .browser import ARTIFACTS, save_screenshot
from .conftest import SLUG
from .moderation_support import PASSWORD, cast, counters, make_moderator

REASON = "Stuffed from one forum thread"


# One backend is enough here: the actions themselves run on both in the other tests.
@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_moderator_voids_burst_and_public_tally_drops(live_server, new_context):
    app = live_server.app
    base = live_server.url
    burst_hour = floor_hour(utcnow()) - dt.timedelta(hours=1)
    for i in range(8):
        at = burst_hour - dt.timedelta(hours=8 - i, minutes=-20)
        cast(app, f"honest-{i}", "smolvlm2", ip=f"honest-{i}", at=at)
    for i in range(12):
        at = burst_hour + dt.timedelta(minutes=5 + i)
        cast(app, f"stuffer-{i}", "sam-3", ip="stuffer-ip", at=at)
    make_moderator(app)
    page = new_context().new_page()

    page.goto(f"{base}/compare/{SLUG}")
    assert "12 of 20 votes" in page.inner_text("#tally")

    page.goto(f"{base}/moderate/{SLUG}")
    assert page.url.startswith(f"{base}/moderate/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{base}/moderate/{SLUG}")

    bursts = page.locator("#vote-chart rect.chart-burst")
    assert bursts.count() == 1
    assert bursts.get_attribute("data-start") == burst_hour.strftime("%Y-%m-%dT%H:%M")
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#vote-chart").screenshot(path=str(ARTIFACTS / "moderation-chart.png"))

    page.click("a.burst-void")
    page.click("#void-form button[type=submit]")
    summary = page.locator(".preview-summary")
    summary.wait_for()
    assert re.search(
        r"12 counted votes match: SmolVLM2 0, SAM 3 .* 12", summary.inner_text()
    )

    page.fill("#void-public", REASON)
    page.check("#void-confirm input[name=confirm]")
    page.click("#void-confirm button[type=submit]")
    notice = page.locator(".notice-success")
    notice.wait_for()
    assert "Voided 12 votes" in notice.inner_text()
    assert "Restore 12 votes" in page.inner_text("table.audit")
    save_screenshot(page, "moderation-page")

    page.goto(f"{base}/compare/{SLUG}")
    assert "8 of 8 votes" in page.inner_text("#tally")
    assert f"removed 12 votes: {REASON}" in page.inner_text(".moderation-note")
    save_screenshot(page, "moderation-public-page")

    assert counters(app)["smolvlm2"] == 8
    assert counters(app)["sam-3"] == 0
