"""Counts in moderation messages, pages and command output agree with their noun."""

from __future__ import annotations

import re

import pytest

from versus.plurals import count_of

from .conftest import SLUG
from .moderation_support import cast, fake_hash, signed_in

REASON = {"public_reason": "Stuffed from one forum thread", "confirm": "yes"}
CLI_REASON = ["--reason", "Stuffed from one forum thread", "--actor", "ops", "--yes"]
SOURCE_IP = fake_hash("source-ip")


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, "0 votes"), (1, "1 vote"), (2, "2 votes"), (21, "21 votes")],
)
def test_count_of_adds_s_unless_one(count, expected):
    assert count_of(count, "vote") == expected


def test_count_of_takes_an_irregular_plural():
    assert count_of(1, "entry", "entries") == "1 entry"
    assert count_of(3, "entry", "entries") == "3 entries"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def cast_from_source(app, count: int) -> None:
    for i in range(count):
        cast(app, f"voter-{i}", "sam-3", ip="source-ip")


def void_source(moderator, count: int):
    data = {**REASON, "ip_hash": SOURCE_IP, "expected": str(count)}
    return moderator.post(f"/moderate/{SLUG}/void", data)


@pytest.mark.parametrize(
    ("count", "voided", "restore"),
    [
        (1, "Voided 1 vote (", "Restore 1 vote<"),
        (2, "Voided 2 votes (", "Restore 2 votes<"),
    ],
)
def test_void_notice_and_restore_button(app, sample, count, voided, restore):
    cast_from_source(app, count)
    moderator = signed_in(app)

    assert void_source(moderator, count).status_code == 200

    page = moderator.get(f"/moderate/{SLUG}").get_data(as_text=True)
    assert voided in page
    assert restore in page


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "Reset: voided 1 vote ("), (2, "Reset: voided 2 votes (")],
)
def test_reset_notice(app, sample, count, expected):
    cast_from_source(app, count)
    moderator = signed_in(app)

    assert moderator.post(f"/moderate/{SLUG}/reset", REASON).status_code == 200

    assert expected in moderator.get(f"/moderate/{SLUG}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("previewed", "expected"),
    [("1", "The preview showed 1 vote but 2 match now."), ("3", "showed 3 votes")],
)
def test_stale_preview_message(app, sample, previewed, expected):
    cast_from_source(app, 2)
    moderator = signed_in(app)

    response = void_source(moderator, int(previewed))

    assert response.status_code == 409
    assert expected in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "The one vote cannot be restored: its visitor has cast a new counted"),
        (2, "None of the 2 votes can be restored: each of their visitors has cast"),
    ],
)
def test_nothing_restorable_message(app, sample, count, expected):
    cast_from_source(app, count)
    moderator = signed_in(app)
    void_source(moderator, count)
    for i in range(count):
        cast(app, f"voter-{i}", "smolvlm2", ip=f"elsewhere-{i}")

    response = moderator.post(f"/moderate/{SLUG}/restore/1", REASON)

    assert response.status_code == 409
    assert expected in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("revoted", "expected"),
    [
        (1, "1 vote stays voided because its visitor has voted again since."),
        (2, "2 votes stay voided because their visitors have voted again since."),
    ],
)
def test_restore_notice_names_skipped_votes(app, sample, revoted, expected):
    cast_from_source(app, revoted + 1)
    moderator = signed_in(app)
    void_source(moderator, revoted + 1)
    for i in range(revoted):
        cast(app, f"voter-{i}", "smolvlm2", ip=f"elsewhere-{i}")

    assert moderator.post(f"/moderate/{SLUG}/restore/1", REASON).status_code == 200

    page = moderator.get(f"/moderate/{SLUG}").get_data(as_text=True)
    assert f"Restored 1 vote (SAM 3 (Segment Anything Model 3) 1). {expected}" in page


@pytest.mark.parametrize(
    ("count", "matches", "changed", "busiest"),
    [
        (1, "1 counted vote matches:", "void: 1 vote changed", " 1 vote (1 counted) "),
        (2, "2 counted votes match:", "void: 2 votes changed", " 2 votes (2 counted) "),
    ],
)
def test_cli_counts(app, runner, sample, count, matches, changed, busiest):
    cast_from_source(app, count)
    source = ["--ip-hash", SOURCE_IP]

    shown = runner.invoke(args=["moderate", "show", SLUG])
    preview = runner.invoke(args=["moderate", "preview", SLUG, *source])
    prompt = runner.invoke(
        args=["moderate", "void", SLUG, *source, *CLI_REASON[:-1]], input="n\n"
    )
    voided = runner.invoke(args=["moderate", "void", SLUG, *source, *CLI_REASON])

    assert f"{SOURCE_IP}{busiest}" in shown.output
    assert matches in preview.output
    assert f"Void {count_of(count, 'vote')}? [y/N]" in prompt.output
    assert voided.exit_code == 0, voided.output
    assert changed in voided.output


@pytest.mark.parametrize(
    ("revoted", "expected"),
    [
        (1, "1 vote stays voided because its visitor has voted again since."),
        (2, "2 votes stay voided because their visitors have voted again since."),
    ],
)
def test_cli_restore_reports_skipped_votes(app, runner, sample, revoted, expected):
    cast_from_source(app, revoted + 1)
    runner.invoke(args=["moderate", "void", SLUG, "--ip-hash", SOURCE_IP, *CLI_REASON])
    for i in range(revoted):
        cast(app, f"voter-{i}", "smolvlm2", ip=f"elsewhere-{i}")

    restored = runner.invoke(args=["moderate", "restore", SLUG, "1", *CLI_REASON])

    assert restored.exit_code == 0, restored.output
    assert "restore: 1 vote changed (smolvlm2 0, sam-3 1)" in restored.output
    assert expected in restored.output


def test_cli_reset_prompt_counts_votes(app, runner, sample):
    cast_from_source(app, 1)

    prompt = runner.invoke(
        args=["moderate", "reset", SLUG, *CLI_REASON[:-1]], input="n\n"
    )

    assert f"Void every counted vote on {SLUG} (1 vote)? [y/N]" in prompt.output


@pytest.mark.parametrize(
    ("count", "summary", "button", "confirm"),
    [
        (1, "1 counted vote matches:", "Void 1 vote", "Void 1 vote; its visitor may"),
        (2, "2 counted votes match:", "Void 2 votes", "Void 2 votes; their visitors"),
    ],
)
def test_preview_fragment_counts(app, sample, count, summary, button, confirm):
    cast_from_source(app, count)
    moderator = signed_in(app)

    response = moderator.post(f"/moderate/{SLUG}/preview", {"ip_hash": SOURCE_IP})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert summary in text_of(html)
    assert f'class="danger">{button}</button>' in html
    assert confirm in html
