"""The Flask-free moderation actions, on both databases with real Redis."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from versus.extensions import db
from versus.guard_setup import current_guard
from versus.models import ModerationAction, Vote
from versus.voting.moderation import actions, audit
from versus.voting.moderation.activity import busiest, hourly_series
from versus.voting.moderation.bursts import find_bursts
from versus.voting.moderation.errors import Conflict, InvalidRequest, NotFound
from versus.voting.moderation.inputs import Reasons, VoteFilter, parse_filter
from versus.voting.moderation.transparency import public_notes
from versus.voting.service import Outcome

from .moderation_support import (
    START,
    cast,
    comparison_id,
    counted_rows,
    counters,
    fake_hash,
    tally_version,
)

REASONS = Reasons("Stuffed from one forum thread", "thread link in the team chat")
TOOLS = ["smolvlm2", "sam-3"]


def run(app, action, *args, **kwargs):
    with app.app_context():
        return action(db.session, *args, **kwargs)


def run_guarded(app, action, *args, **kwargs):
    with app.app_context():
        return action(db.session, current_guard(), *args, **kwargs)


def void_stuffer_ip(app, comparison):
    vote_filter = VoteFilter(ip_hash=fake_hash("stuffer-ip"))
    return run_guarded(
        app, actions.void_votes, comparison, vote_filter, REASONS, "alice"
    )


@pytest.fixture
def stuffed(app, sample):
    """Six honest votes over six hours and five stuffed sam-3 votes in one hour."""
    for i in range(6):
        tool = TOOLS[i % 2]
        cast(
            app,
            f"honest-{i}",
            tool,
            ip=f"honest-ip-{i}",
            at=START + dt.timedelta(hours=i),
        )
    for i in range(5):
        at = START + dt.timedelta(hours=3, minutes=10 + i)
        cast(app, f"stuffer-{i}", "sam-3", ip="stuffer-ip", at=at)
    return comparison_id(app)


def test_preview_counts_per_tool_and_changes_nothing(app, stuffed):
    before = tally_version(app)

    preview = run(
        app, actions.preview_void, stuffed, VoteFilter(ip_hash=fake_hash("stuffer-ip"))
    )

    assert preview.votes == 5
    assert [(t.slug, t.votes) for t in preview.tools] == [("smolvlm2", 0), ("sam-3", 5)]
    assert preview.first_at == START + dt.timedelta(hours=3, minutes=10)
    assert preview.last_at == START + dt.timedelta(hours=3, minutes=14)
    assert counters(app) == {"smolvlm2": 3, "sam-3": 8}
    assert tally_version(app) == before


def test_void_by_ip_changes_counters_by_rows_and_writes_entry(app, stuffed):
    before = tally_version(app)
    vote_filter = VoteFilter(ip_hash=fake_hash("stuffer-ip"))

    result = run_guarded(
        app, actions.void_votes, stuffed, vote_filter, REASONS, "alice", expected=5
    )

    assert result.votes_changed == 5
    assert counters(app) == {"smolvlm2": 3, "sam-3": 3}
    assert counted_rows(app) == counters(app)
    assert tally_version(app) == before + 1
    with app.app_context():
        entry = db.session.get(ModerationAction, result.entry_id)
        voided = db.session.scalars(select(Vote).where(Vote.voided_at.is_not(None)))
        assert {vote.void_action_id for vote in voided} == {entry.id}
    assert entry.action == "void"
    assert entry.actor == "alice"
    assert entry.votes_changed == 5
    assert entry.public_reason == REASONS.public
    assert entry.private_reason == REASONS.private
    assert '"ip_hash": "' + fake_hash("stuffer-ip") in entry.filter_json


def test_void_releases_claims_so_visitor_votes_again(app, stuffed, redis_server):
    vote_filter = VoteFilter(visitor_hash=fake_hash("stuffer-0"))
    assert cast(app, "stuffer-0", "smolvlm2") is Outcome.ALREADY_VOTED

    run_guarded(app, actions.void_votes, stuffed, vote_filter, REASONS, "alice")

    assert cast(app, "stuffer-0", "smolvlm2", ip="new-ip") is Outcome.ACCEPTED
    assert counters(app) == {"smolvlm2": 4, "sam-3": 7}


def test_void_by_window_and_tool(app, stuffed):
    vote_filter = VoteFilter(
        tool_slug="sam-3",
        since=START + dt.timedelta(hours=3),
        until=START + dt.timedelta(hours=4),
    )

    result = run_guarded(app, actions.void_votes, stuffed, vote_filter, REASONS, "bob")

    # The honest vote at hour 3 was for sam-3 as well; hour 4's vote is excluded.
    assert result.votes_changed == 6
    assert counters(app) == {"smolvlm2": 3, "sam-3": 2}


def test_void_rejects_stale_preview_and_no_match(app, stuffed):
    vote_filter = VoteFilter(ip_hash=fake_hash("stuffer-ip"))

    with pytest.raises(Conflict, match="preview showed 4 votes but 5 match"):
        run_guarded(
            app, actions.void_votes, stuffed, vote_filter, REASONS, "alice", expected=4
        )
    with pytest.raises(Conflict, match="No counted votes match"):
        run_guarded(
            app,
            actions.void_votes,
            stuffed,
            VoteFilter(ip_hash=fake_hash("nobody")),
            REASONS,
            "alice",
        )

    assert counters(app) == {"smolvlm2": 3, "sam-3": 8}
    assert run(app, audit.count_entries) == 0


def test_reset_then_restore_is_exact(app, stuffed, redis_server):
    voided = void_stuffer_ip(app, stuffed)
    reset = run_guarded(app, actions.reset_votes, stuffed, REASONS, "alice")

    assert reset.votes_changed == 6
    assert counters(app) == {"smolvlm2": 0, "sam-3": 0}

    restored = run_guarded(
        app, actions.restore_action, stuffed, reset.entry_id, REASONS, "alice"
    )

    assert restored.votes_changed == 6
    assert restored.skipped == 0
    assert counters(app) == {"smolvlm2": 3, "sam-3": 3}
    # The earlier void stays in force: its votes were not voided by the reset.
    with app.app_context():
        still = db.session.scalars(
            select(Vote.void_action_id).where(Vote.voided_at.is_not(None))
        ).all()
    assert still == [voided.entry_id] * 5
    # Restored visitors hold their claims again, so they cannot vote twice.
    assert cast(app, "honest-0", "sam-3") is Outcome.ALREADY_VOTED
    assert counted_rows(app) == counters(app)


def test_restore_skips_visitor_who_voted_again(app, stuffed):
    voided = void_stuffer_ip(app, stuffed)
    assert cast(app, "stuffer-1", "smolvlm2", ip="elsewhere") is Outcome.ACCEPTED

    restored = run_guarded(
        app, actions.restore_action, stuffed, voided.entry_id, REASONS, "alice"
    )

    assert restored.votes_changed == 4
    assert restored.skipped == 1
    assert counters(app) == {"smolvlm2": 4, "sam-3": 7}
    with app.app_context():
        entry = db.session.get(ModerationAction, restored.entry_id)
    assert entry.reverses_action_id == voided.entry_id
    assert '"skipped": 1' in entry.filter_json

    # Once the visitor's new vote is voided, restoring again counts the old one.
    run_guarded(
        app,
        actions.void_votes,
        stuffed,
        VoteFilter(visitor_hash=fake_hash("stuffer-1")),
        REASONS,
        "alice",
    )
    again = run_guarded(
        app, actions.restore_action, stuffed, voided.entry_id, REASONS, "alice"
    )
    assert again.votes_changed == 1
    assert counters(app) == {"smolvlm2": 3, "sam-3": 8}
    assert counted_rows(app) == counters(app)


def test_restore_rejections(app, stuffed):
    closed = run(app, actions.set_voting_open, stuffed, False, REASONS, "alice")
    voided = void_stuffer_ip(app, stuffed)
    run_guarded(app, actions.restore_action, stuffed, voided.entry_id, REASONS, "alice")

    with pytest.raises(NotFound, match="no audit entry #999"):
        run_guarded(app, actions.restore_action, stuffed, 999, REASONS, "alice")
    with pytest.raises(Conflict, match="only a void or a reset"):
        run_guarded(app, actions.restore_action, stuffed, closed.entry_id, REASONS, "a")
    with pytest.raises(Conflict, match="is counted again"):
        run_guarded(app, actions.restore_action, stuffed, voided.entry_id, REASONS, "a")

    assert counters(app) == {"smolvlm2": 3, "sam-3": 8}
    assert run(app, audit.count_entries) == 3


def test_close_and_reopen(app, stuffed):
    result = run(app, actions.set_voting_open, stuffed, False, REASONS, "alice")

    assert result.action == "close"
    assert cast(app, "late", "sam-3", ip="late-ip") is Outcome.CLOSED
    with pytest.raises(Conflict, match="already closed"):
        run(app, actions.set_voting_open, stuffed, False, REASONS, "alice")

    run(app, actions.set_voting_open, stuffed, True, REASONS, "alice")

    assert cast(app, "late", "sam-3", ip="late-ip") is Outcome.ACCEPTED
    assert counters(app) == {"smolvlm2": 3, "sam-3": 9}


def test_unknown_comparison_not_found(app, sample):
    with pytest.raises(NotFound):
        run_guarded(app, actions.reset_votes, 424242, REASONS, "alice")
    with pytest.raises(NotFound):
        run(app, actions.set_voting_open, 424242, False, REASONS, "alice")


def test_audit_entries_cannot_be_changed_or_deleted(app, stuffed):
    result = run(app, actions.set_voting_open, stuffed, False, REASONS, "alice")

    with app.app_context():
        entry = db.session.get(ModerationAction, result.entry_id)
        entry.public_reason = "rewritten"
        with pytest.raises(audit.AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()

        db.session.delete(db.session.get(ModerationAction, result.entry_id))
        with pytest.raises(audit.AuditLogIsAppendOnly):
            db.session.commit()
        db.session.rollback()

        assert db.session.get(ModerationAction, result.entry_id).public_reason == (
            REASONS.public
        )


def test_hourly_series_bursts_and_busiest(app, stuffed):
    with app.app_context():
        series = hourly_series(
            db.session, stuffed, START, START + dt.timedelta(hours=5, minutes=30)
        )
        top_ips = busiest(db.session, stuffed, "ip_hash")

    assert len(series.hours) == 6
    assert series.tools[0].counted == [1, 0, 1, 0, 1, 0]
    assert series.tools[1].counted == [0, 1, 0, 6, 0, 1]
    assert series.voided == [0] * 6

    bursts = find_bursts(
        series.hours, series.totals, series.counted, factor=4.0, min_votes=3
    )
    assert [(b.start, b.end, b.votes) for b in bursts] == [
        (START + dt.timedelta(hours=3), START + dt.timedelta(hours=4), 6)
    ]
    assert top_ips[0].value == fake_hash("stuffer-ip")
    assert (top_ips[0].votes, top_ips[0].counted) == (5, 5)


def test_voided_votes_stay_in_series_and_public_note(app, stuffed):
    result = void_stuffer_ip(app, stuffed)

    with app.app_context():
        series = hourly_series(
            db.session, stuffed, START, START + dt.timedelta(hours=5)
        )
        notes = public_notes(db.session, stuffed)
    assert series.voided[3] == 5
    assert series.tools[1].counted[3] == 1
    assert [(n.removed, n.reason, n.reset) for n in notes] == [
        (5, REASONS.public, False)
    ]

    run_guarded(app, actions.restore_action, stuffed, result.entry_id, REASONS, "alice")

    with app.app_context():
        assert public_notes(db.session, stuffed) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "Choose an IP hash"),
        ({"tool": "sam-3"}, "a tool alone is not a filter"),
        ({"ip_hash": "abc"}, "full 64-character"),
        ({"since": "2026-12-04T10:00"}, "needs both a start and an end"),
        ({"since": "yesterday", "until": "2026-12-04T10:00"}, "UTC date and time"),
        ({"since": "2026-12-04T10:00", "until": "2026-12-04T09:00"}, "before its end"),
        ({"since": "2026-01-01T00:00", "until": "2026-12-04T00:00"}, "at most 31 days"),
        ({"since": "2026-12-04T10:00+02:00", "until": "2026-12-04T11:00"}, "in UTC"),
        ({"ip_hash": "a" * 64, "tool": "chatgpt"}, "no tool 'chatgpt'"),
    ],
)
def test_filter_validation(fields, message):
    with pytest.raises(InvalidRequest, match=message):
        parse_filter(fields, TOOLS)


def test_void_republishes_only_its_comparison(app, stuffed, monkeypatch):
    store = app.extensions["versus.snapshots"]
    published = []
    monkeypatch.setattr(store, "publish", lambda ids: published.append(sorted(ids)))
    monkeypatch.setattr(store, "publish_all", lambda: published.append("every"))

    void_stuffer_ip(app, stuffed)

    assert published == [[stuffed]]
