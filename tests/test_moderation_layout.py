"""In Chromium: the audit log fits the /moderate pages on a desktop and a phone."""

from __future__ import annotations

import datetime as dt

import pytest

from versus.models import utcnow

from .browser import ARTIFACTS, DESKTOP, PHONE, save_screenshot
from .conftest import SLUG
from .moderation_support import PASSWORD, cast, fake_hash, make_moderator, signed_in

LONG_REASON = (
    "Stuffed from one forum thread that asked its members to vote for SAM 3 "
    "several times from each of their devices during the launch stream"
)


def fill_audit_log(app) -> None:
    """Write entries whose filters carry an IP hash, a visitor hash and a window."""
    now = utcnow()
    for i in range(4):
        cast(app, f"stuffer-{i}", "sam-3", ip="stuffer-ip", at=now)
    cast(app, "repeat", "smolvlm2", ip="other-ip", at=now)
    cast(app, "in-window", "smolvlm2", ip="third-ip", at=now)

    moderator = signed_in(app, "bob")
    since = (now - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    until = (now + dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")
    voids = [
        {"ip_hash": fake_hash("stuffer-ip"), "expected": "4"},
        {"visitor_hash": fake_hash("repeat"), "expected": "1"},
        {"since": since, "until": until, "tool": "smolvlm2", "expected": "1"},
    ]
    for fields in voids:
        data = {"public_reason": LONG_REASON, "confirm": "yes", **fields}
        response = moderator.post(f"/moderate/{SLUG}/void", data)
        assert response.status_code == 200, response.get_data(as_text=True)


def audit_box(page, selector: str) -> dict:
    return page.eval_on_selector(
        selector,
        """table => {
          const box = table.getBoundingClientRect();
          const main = table.closest('main').getBoundingClientRect();
          const reason = table.querySelector('tbody tr td:last-child');
          return {
            tableRight: Math.round(box.right),
            mainRight: Math.round(main.right),
            pageWidth: document.documentElement.scrollWidth,
            viewport: window.innerWidth,
            reasonWidth: Math.round(reason.getBoundingClientRect().width),
          };
        }""",
    )


# One backend is enough: the layout does not depend on the database.
@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("path", "name"), [("/moderate", "dashboard"), (f"/moderate/{SLUG}", "comparison")]
)
def test_audit_log_fits_desktop_and_phone(live_server, new_context, path, name):
    app = live_server.app
    fill_audit_log(app)
    make_moderator(app)
    page = new_context(viewport=DESKTOP).new_page()
    page.goto(f"{live_server.url}/moderate/login")
    page.fill("#username", "alice")
    page.fill("#password", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/moderate")

    page.goto(f"{live_server.url}{path}")
    desktop = audit_box(page, "table.audit")
    save_screenshot(page, f"moderation-audit-{name}-1280")
    page.set_viewport_size(PHONE)
    phone = audit_box(page, "table.audit")
    save_screenshot(page, f"moderation-audit-{name}-360")

    assert desktop["tableRight"] <= desktop["mainRight"]
    assert desktop["reasonWidth"] >= 250
    assert desktop["pageWidth"] <= desktop["viewport"]
    assert phone["pageWidth"] <= phone["viewport"]

    hashes = page.locator("table.audit .filter .hash")
    assert hashes.count() == 2
    full = {hashes.nth(i).get_attribute("title") for i in range(2)}
    assert full == {fake_hash("stuffer-ip"), fake_hash("repeat")}
    visible = page.inner_text("table.audit")
    assert fake_hash("stuffer-ip") not in visible
    assert fake_hash("stuffer-ip")[:12] in visible

    page.set_viewport_size(DESKTOP)
    page.locator(
        f'table.audit .hash[title="{fake_hash("stuffer-ip")}"] summary'
    ).click()
    opened = audit_box(page, "table.audit")
    page.locator("table.audit").screenshot(
        path=str(ARTIFACTS / f"moderation-audit-{name}-1280-open.png")
    )

    assert fake_hash("stuffer-ip") in page.inner_text("table.audit")
    assert opened["tableRight"] <= opened["mainRight"]
    assert opened["reasonWidth"] >= 250
