"""The site under Gunicorn with several workers, real Redis and both databases.

Hundreds of visitors vote at once, with double clicks, repeats and shared
addresses; then the same while Redis stops and starts, and while workers are
killed. Afterwards the database must match what the visitors were told: every
200 has its row, no visitor counts twice, and every counter equals its rows.
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
from sqlalchemy import select

from versus import create_app
from versus.content.importer import import_specs
from versus.content.schema import parse_file
from versus.extensions import db
from versus.models import Tool, Vote
from versus.tally_audit import find_mismatches

from .conftest import SAMPLE, base_config
from .load_client import GunicornSite, LoadResult, LoadVisitor, run_load
from .servers import RedisServer

VOTES_PER_IP = 3
VOTES_PER_NETWORK = 30
PAUSED = "Voting is paused"
NOT_SAVED = "could not be saved"


@pytest.fixture
def load_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def site(database_url, load_redis, tmp_path):
    app = create_app(base_config(database_url, None))
    with app.app_context():
        import_specs(db.session, [parse_file(SAMPLE)])
        db.session.rollback()
        db.engine.dispose()

    server = GunicornSite(
        tmp_path / "gunicorn.log",
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": load_redis.url,
            "VERSUS_REDIS_PREFIX": "versus-load",
            "VERSUS_TRUSTED_PROXIES": "1",
            "VERSUS_VOTES_PER_IP": str(VOTES_PER_IP),
            "VERSUS_VOTES_PER_NETWORK": str(VOTES_PER_NETWORK),
        },
    )
    server.start()
    yield server
    server.stop()


def counted_rows(database_url: str) -> list[tuple[str, str, str, str]]:
    app = create_app(base_config(database_url, None))
    with app.app_context():
        rows = db.session.execute(
            select(Vote.visitor_hash, Tool.slug, Vote.ip_hash, Vote.network_hash)
            .join(Tool, Tool.id == Vote.tool_id)
            .where(Vote.voided_at.is_(None))
        ).all()
        mismatches = find_mismatches(db.session)
        db.session.rollback()
        db.engine.dispose()

    assert mismatches == []
    return [tuple(row) for row in rows]


def assert_tally_honest(result: LoadResult, database_url: str) -> list[tuple]:
    """Check the invariants every run must keep, and return the counted rows."""
    rows = counted_rows(database_url)
    choice_of = {row[0]: row[1] for row in rows}
    hash_of = {
        visitor.index: visitor.visitor_hash
        for visitor in result.visitors
        if "versus_visitor" in visitor.cookies
    }
    accepted = result.accepted()

    assert 500 not in result.statuses()
    assert len(choice_of) == len(rows), "a visitor has two counted votes"
    assert len({hash_of[reply.visitor] for reply in accepted}) == len(accepted)
    for reply in accepted:
        assert choice_of.get(hash_of[reply.visitor]) == reply.choice
    return rows


def test_concurrent_votes_count_once(site, database_url):
    result = run_load(site, 500)

    rows = assert_tally_honest(result, database_url)
    statuses = Counter(reply.status for reply in result.replies)
    limited = [reply for reply in result.replies if reply.status == 429]

    assert len(result.replies) == 2000
    assert set(result.page_statuses) == {200}
    assert set(statuses) <= {200, 409, 429}
    assert statuses[200] == len(rows)
    assert statuses[409] > 0
    assert limited and all(int(reply.retry_after) > 0 for reply in limited)
    assert max(Counter(row[2] for row in rows).values()) <= VOTES_PER_IP
    assert max(Counter(row[3] for row in rows).values()) <= VOTES_PER_NETWORK


def test_redis_restart_during_load(site, database_url, load_redis):
    def outage() -> None:
        time.sleep(1.0)
        load_redis.stop()
        time.sleep(1.5)
        load_redis.start()

    result = run_load(site, 250, visitors_per_address=1, during=outage)

    rows = assert_tally_honest(result, database_url)
    unavailable = [reply for reply in result.replies if reply.status == 503]

    assert result.statuses() <= {200, 409, 429, 503}
    assert unavailable, "the outage did not overlap the load"
    for reply in unavailable:
        assert reply.retry_after is not None
        assert PAUSED in reply.body or NOT_SAVED in reply.body
    assert len(rows) == len(result.accepted())

    latecomer = LoadVisitor(10_000, "127.99.0.1")
    latecomer.open(site)
    assert latecomer.vote(site, "sam-3").status == 200


def test_killed_workers_lose_no_accepted_vote(site, database_url):
    killed: list[int] = []

    def kill_two_workers() -> None:
        for _ in range(2):
            time.sleep(1.0)
            killed.append(site.kill_worker())

    result = run_load(site, 250, visitors_per_address=1, during=kill_two_workers)

    rows = assert_tally_honest(result, database_url)
    unanswered = [reply for reply in result.replies if reply.status == 0]

    assert len(killed) == 2
    assert result.statuses() <= {0, 200, 409, 503}
    # A vote committed just before its worker died is counted without a 200.
    assert (
        len(result.accepted()) <= len(rows) <= len(result.accepted()) + len(unanswered)
    )
    assert site.request("GET", "/healthz")[0] == 200
