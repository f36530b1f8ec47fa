"""Where each action's reason appears: the reader's page, the forms and the CLI help."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import update

from versus.extensions import db
from versus.models import Comparison

from .conftest import SLUG, Reader
from .moderation_support import cast, comparison_id, fake_hash, signed_in

CONFIRM = {"confirm": "yes"}


def note_lines(app) -> list[str]:
    """Return the lines under the tally on a fresh reader's page."""
    html = Reader(app, "203.0.113.20").open().get_data(as_text=True)
    aside = re.search(r'<aside class="moderation-note".*?</aside>', html, re.S)
    if aside is None:
        return []

    paragraphs = re.findall(r"<p>(.*?)</p>", aside.group(0), re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", p).split()) for p in paragraphs]


def act(moderator, action: str, reason: str, **fields):
    data = {"public_reason": reason, **CONFIRM, **fields}
    response = moderator.post(f"/moderate/{SLUG}/{action}", data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


@pytest.fixture(params=["snapshot cache", "no redis"])
def site(request, app, app_factory, sample):
    """The app readers use: cached pages through Redis, or rendered every time."""
    if request.param == "no redis":
        return app_factory(REDIS_URL=None)
    return app


def test_close_reason_shown_while_closed(site):
    moderator = signed_in(site)

    act(moderator, "close", "Final tally")
    closed = note_lines(site)
    act(moderator, "reopen", "Opened again for the second round")
    reopened = note_lines(site)

    assert len(closed) == 1
    assert closed[0].endswith("moderators closed voting: Final tally")
    assert reopened == []


def test_restore_and_reopen_reasons_stay_off_the_page(site):
    for i in range(3):
        cast(site, f"stuffer-{i}", "sam-3", ip="stuffer-ip")
    moderator = signed_in(site)
    stuffer = {"ip_hash": fake_hash("stuffer-ip"), "expected": "3"}

    act(moderator, "void", "Stuffed from one forum thread", **stuffer)
    act(moderator, "close", "Final tally")
    both = note_lines(site)
    act(moderator, "restore/1", "Those votes were real")
    act(moderator, "reopen", "Opened again for the second round")
    html = Reader(site, "203.0.113.21").open().get_data(as_text=True)

    assert [line.split(", ", 1)[1] for line in both] == [
        "moderators closed voting: Final tally",
        "moderators removed 3 votes: Stuffed from one forum thread",
    ]
    assert "moderation-note" not in html
    assert "Those votes were real" not in html
    assert "Opened again" not in html


def test_voting_closed_outside_moderation_has_no_note(app, sample):
    with app.app_context():
        db.session.execute(
            update(Comparison)
            .where(Comparison.id == comparison_id(app))
            .values(voting_open=False, tally_version=Comparison.tally_version + 1)
        )
        db.session.commit()

    assert note_lines(app) == []


def labels(html: str) -> dict[str, str]:
    found = re.findall(r'<label for="([a-z0-9-]+)-public">([^<]+)</label>', html)
    return dict(found)


def test_forms_say_where_each_reason_appears(app, sample):
    cast(app, "stuffer-0", "sam-3", ip="stuffer-ip")
    moderator = signed_in(app)
    preview = moderator.post(
        f"/moderate/{SLUG}/preview", {"ip_hash": fake_hash("stuffer-ip")}
    )
    open_page = moderator.get(f"/moderate/{SLUG}").get_data(as_text=True)
    act(moderator, "reset", "Stuffed from one forum thread")
    act(moderator, "close", "Final tally")
    closed_page = moderator.get(f"/moderate/{SLUG}").get_data(as_text=True)

    voided = "Public reason (shown to readers under the tally while these votes stay"
    assert labels(preview.get_data(as_text=True))["void"].startswith(voided)
    assert labels(open_page)["reset"].startswith(voided)
    assert labels(open_page)["close"] == (
        "Public reason (shown to readers under the tally while voting stays closed)"
    )
    assert labels(closed_page)["reopen"].startswith("Reason (audit log only:")
    assert labels(closed_page)["restore-1"].startswith("Reason (audit log only:")
    assert "shown under the tally)" not in open_page + closed_page


@pytest.mark.parametrize(
    ("command", "where"),
    [
        ("void", "under the tally while these votes stay voided"),
        ("reset", "under the tally while these votes stay voided"),
        ("close", "under the tally while voting stays closed"),
        ("restore", "kept in the audit log only"),
        ("reopen", "kept in the audit log only"),
    ],
)
def test_cli_help_says_where_the_reason_appears(runner, command, where):
    result = runner.invoke(args=["moderate", command, "--help"])

    assert result.exit_code == 0
    assert where in " ".join(result.output.split())
