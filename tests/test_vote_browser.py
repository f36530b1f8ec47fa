"""Headless Chromium against a live server: CSP, the htmx vote, expiry, layout."""

from __future__ import annotations

import pytest
from itsdangerous import URLSafeSerializer

from versus.content.importer import import_specs
from versus.content.schema import parse_file
from versus.extensions import db

from .browser import save_screenshot
from .conftest import SLUG, TEST_SECRET
from .hostile import HOSTILE_SLUG, write_hostile_spec
from .test_abuse import comparison_id
from .test_voting import counts
from .tokens import page_token

CHOICES = {"smolvlm2", "sam-3"}

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server, tmp_path):
    """The shared live server, plus the hostile comparison and 1-second token polls."""
    app = live_server.app
    app.config["TOKEN_REFRESH_SECONDS"] = 1
    with app.app_context():
        import_specs(db.session, [parse_file(write_hostile_spec(tmp_path))])
    return live_server


def sample_counts(app) -> dict[str, int]:
    return {slug: votes for slug, votes in counts(app).items() if slug in CHOICES}


class Watched:
    """A page whose console errors, CSP violations, dialogs and requests are kept."""

    def __init__(self, context) -> None:
        self.context = context
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("response", self._response)

    def _console(self, message) -> None:
        # Failed loads are judged by URL in _response (the favicon is absent).
        if message.text.startswith("Failed to load resource"):
            return
        if message.type in {"error", "warning"}:
            self.problems.append(message.text)

    def _response(self, response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            self.failed.append(f"{response.status} {response.url}")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def watched(new_context):
    """Return a factory of watched pages, each in a new browser context."""
    return lambda **options: Watched(new_context(**options))


def test_htmx_vote_under_csp(site, watched):
    tab = watched()
    tab.page.goto(f"{site.url}/compare/{SLUG}")
    tab.page.wait_for_function("() => window.htmx !== undefined")

    tab.page.get_by_role("button", name="SmolVLM2").click()
    tab.page.wait_for_selector("text=You voted for")

    assert tab.problems == []
    assert tab.failed == []
    assert tab.page.evaluate("document.adoptedStyleSheets.length") >= 1
    assert sample_counts(site.app) == {"smolvlm2": 1, "sam-3": 0}


def test_expired_page_token_shows_message_then_votes(site, watched):
    tab = watched()
    tab.page.goto(f"{site.url}/compare/{SLUG}")
    tab.page.wait_for_function("() => window.htmx !== undefined")
    cookie = next(c for c in tab.context.cookies() if c["name"] == "versus_visitor")
    visitor = URLSafeSerializer(TEST_SECRET, salt="versus.visitor").loads(
        cookie["value"]
    )
    expired = page_token(comparison_id(site.app), visitor, expired=True)
    tab.page.evaluate(
        "token => { document.querySelector('[name=page_token]').value = token }",
        expired,
    )

    tab.page.get_by_role("button", name="SmolVLM2").click()
    tab.page.wait_for_selector("text=open for too long")
    tab.page.get_by_role("button", name="SmolVLM2").click()
    tab.page.wait_for_selector("text=You voted for")

    assert sample_counts(site.app) == {"smolvlm2": 1, "sam-3": 0}


def test_open_form_refreshes_its_tokens(site, watched):
    tab = watched()
    tab.page.goto(f"{site.url}/compare/{SLUG}")
    first = tab.page.input_value("[name=page_token]")

    tab.page.wait_for_function(
        "first => document.querySelector('[name=page_token]').value !== first",
        arg=first,
        timeout=10_000,
    )

    refreshes = [url for url in tab.requests if "/vote-tokens" in url]
    assert refreshes
    assert all("csrf_token" not in url and "page_token" not in url for url in refreshes)


@pytest.mark.parametrize("width", [375, 1280])
def test_hostile_page_inert_and_layout_holds(site, watched, width):
    tab = watched(viewport={"width": width, "height": 900})
    tab.page.goto(f"{site.url}/compare/{HOSTILE_SLUG}")
    tab.page.wait_for_function("() => window.htmx !== undefined")
    tab.page.hover("text=Supercalifragilistic >> nth=0")
    save_screenshot(tab.page, f"hostile-{width}")

    overflow = tab.page.evaluate(
        "document.documentElement.scrollWidth - window.innerWidth"
    )
    assert tab.dialogs == []
    assert tab.page.evaluate("window.__pwned") is None
    assert overflow <= 0
    assert [p for p in tab.problems if "Content Security Policy" not in p] == []
