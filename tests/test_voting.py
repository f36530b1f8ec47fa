"""The vote endpoint, end to end through Flask, on both databases with real Redis."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from versus.extensions import db
from versus.models import Tool, Vote

from .conftest import SLUG, Reader


def counts(app) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(Tool.slug, Tool.votes)).all())


def vote_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Vote))


def test_vote_accepted_shows_choice_and_tally(app, reader):
    response = reader.vote("smolvlm2")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You voted for <strong>SmolVLM2</strong>" in html
    assert 'id="tally"' in html
    assert "Community 100%, 1 of 1 vote" in html
    assert counts(app) == {"smolvlm2": 1, "sam-3": 0}
    assert vote_rows(app) == 1


def test_vote_stores_only_hashes(app, reader):
    reader.vote("sam-3")

    with app.app_context():
        row = db.session.scalars(select(Vote)).one()
    assert re.fullmatch(r"[0-9a-f]{64}", row.visitor_hash)
    assert re.fullmatch(r"[0-9a-f]{64}", row.ip_hash)
    assert row.ip_hash != "127.0.0.1"
    assert row.voided_at is None


def test_second_vote_same_visitor_409(app, reader):
    reader.vote("smolvlm2")

    response = reader.vote("sam-3")

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already voted in this comparison, for SmolVLM2" in html
    assert counts(app) == {"smolvlm2": 1, "sam-3": 0}


def test_parallel_votes_same_visitor_count_once(app, reader):
    def attempt(choice: str) -> int:
        return reader.vote(choice).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, ["smolvlm2", "sam-3"] * 8))

    assert statuses.count(200) == 1
    assert statuses.count(409) == 15
    assert sum(counts(app).values()) == 1
    assert vote_rows(app) == 1


def test_second_visitor_counts(app, sample):
    first, second = Reader(app, "10.1.0.1"), Reader(app, "10.2.0.1")
    first.open()
    second.open()

    assert first.vote("smolvlm2").status_code == 200
    assert second.vote("sam-3").status_code == 200

    assert counts(app) == {"smolvlm2": 1, "sam-3": 1}


def test_per_ip_limit_answers_429(app, sample):
    app.config["VOTES_PER_IP"] = 3
    from versus.guard_setup import init_guard

    init_guard(app)
    statuses = []
    for _ in range(4):
        visitor = Reader(app, "192.0.2.7")
        visitor.open()
        statuses.append(visitor.vote("smolvlm2"))

    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert int(statuses[-1].headers["Retry-After"]) > 0
    assert "Too many votes" in statuses[-1].get_data(as_text=True)
    assert counts(app)["smolvlm2"] == 3


def test_unknown_choice_400(app, reader):
    for choice in ["chatgpt", "", ["smolvlm2", "sam-3"]]:
        response = reader.vote(choice)
        assert response.status_code == 400
        assert "not a valid choice" in response.get_data(as_text=True)

    assert vote_rows(app) == 0


def test_unknown_slug_404(app, reader):
    response = reader.vote("smolvlm2", slug="no-such-comparison")

    assert response.status_code == 404
    assert reader.client.get("/compare/no-such-comparison").status_code == 404


def test_missing_csrf_token_400(app, reader):
    response = reader.client.post(
        f"/compare/{SLUG}/vote",
        data={"choice": "smolvlm2"},
        headers={"HX-Request": "true"},
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="vote-widget"' in html
    assert "This vote was not sent from this site" in html
    assert 'name="csrf_token"' in html
    assert vote_rows(app) == 0


def test_missing_visitor_cookie_400(app, reader):
    reader.client.delete_cookie("versus_visitor")

    response = reader.vote("smolvlm2")

    assert response.status_code == 400
    assert "visitor cookie" in response.get_data(as_text=True)
    assert vote_rows(app) == 0


def test_no_javascript_flow_redirects_to_page(app, reader):
    response = reader.vote("sam-3", htmx=False)

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/compare/{SLUG}#vote")
    page = reader.client.get(f"/compare/{SLUG}").get_data(as_text=True)
    assert "You voted for <strong>SAM 3 (Segment Anything Model 3)</strong>" in page
    assert "Community 100%, 1 of 1 vote" in page


def test_no_javascript_duplicate_renders_page_409(app, reader):
    reader.vote("sam-3", htmx=False)

    response = reader.vote("smolvlm2", htmx=False)

    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "<html" in html
    assert "already voted" in html


def test_sql_failure_releases_claim(app, reader, monkeypatch):
    from versus.voting import service

    def broken_record(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(service, "record_vote", broken_record)
    failed = reader.vote("smolvlm2")
    monkeypatch.undo()

    assert failed.status_code == 503
    assert "could not be saved" in failed.get_data(as_text=True)
    assert vote_rows(app) == 0

    retried = reader.vote("smolvlm2")

    assert retried.status_code == 200
    assert counts(app) == {"smolvlm2": 1, "sam-3": 0}


def test_lost_redis_claim_still_one_vote(app, reader, redis_server):
    reader.vote("smolvlm2")
    redis_server.client().flushall()

    response = reader.vote("sam-3")

    assert response.status_code == 409
    assert "for SmolVLM2" in response.get_data(as_text=True)
    assert counts(app) == {"smolvlm2": 1, "sam-3": 0}


def test_htmx_attributes_inherit_csrf_header(client, sample):
    html = client.get(f"/compare/{SLUG}").get_data(as_text=True)

    body = re.search(r"<body([^>]*)>", html).group(1)
    assert "hx-headers:inherited=" in body
    assert "X-CSRFToken" in body
    form = re.search(r'<form class="vote-form"[^>]*>', html, re.S).group(0)
    assert "hx-post=" in form
    assert 'hx-disable="find button"' in form
    assert "hx-headers=" not in form


def test_page_sets_private_visitor_cookie(client, sample):
    response = client.get(f"/compare/{SLUG}")

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("versus_visitor=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Cookie" in response.headers["Vary"]
    assert "private" in response.headers["Cache-Control"]


def test_ballot_for_foreign_tool_writes_nothing(app, sample):
    from versus.guard_setup import current_guard
    from versus.models import Comparison
    from versus.voting.service import Ballot, StaleBallot, cast_vote

    with app.app_context():
        comparison = db.session.scalar(select(Comparison))
        version = comparison.tally_version
        ballot = Ballot(
            comparison_id=comparison.id,
            tool_id=max(tool.id for tool in comparison.tools) + 1000,
            tool_slug="gone",
            visitor_hash="v" * 64,
            ip_hash="i" * 64,
            network_hash="n" * 64,
        )
        with pytest.raises(StaleBallot):
            cast_vote(db.session, current_guard(), ballot)

        db.session.expire_all()
        assert db.session.scalar(select(Comparison.tally_version)) == version

    assert vote_rows(app) == 0
    assert counts(app) == {"smolvlm2": 0, "sam-3": 0}


def test_vote_on_closed_comparison_writes_nothing(app, reader):
    from sqlalchemy import update

    from versus.models import Comparison

    with app.app_context():
        db.session.execute(update(Comparison).values(voting_open=False))
        db.session.commit()

    response = reader.vote("sam-3")

    assert response.status_code == 409
    assert "closed" in response.get_data(as_text=True)
    assert vote_rows(app) == 0
    assert counts(app) == {"smolvlm2": 0, "sam-3": 0}


def test_pending_claim_says_when_to_retry(app, reader):
    from versus.guard_setup import current_guard
    from versus.models import Comparison
    from versus.voting.guard import ClaimRequest
    from versus.web.visitors import visitor_hash

    from .tokens import visitor_id_of

    # A claim left behind by a request that never reached the database.
    with app.app_context():
        comparison_id = db.session.scalar(select(Comparison.id))
        visitor = visitor_hash(visitor_id_of(reader.client))
        current_guard().claim(ClaimRequest(comparison_id, visitor, "ip", "net"))

    response = reader.vote("sam-3")
    html = " ".join(response.get_data(as_text=True).split())

    assert response.status_code == 409
    assert 0 < int(response.headers["Retry-After"]) <= 30
    assert "still being recorded, or was cut off before it counted" in html
    assert vote_rows(app) == 0
