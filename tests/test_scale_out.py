"""Two gunicorn servers, one Redis, one database: votes through both count exactly."""

from __future__ import annotations

import http.client
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from bench.servers import Gunicorn
from bench.visitors import Visitor, visit
from versus.extensions import db
from versus.models import Tool, Vote
from versus.tally_audit import find_mismatches

from .conftest import SLUG, TEST_SECRET
from .servers import free_port

PAGE = f"/compare/{SLUG}"
VISITORS = 24


@pytest.fixture
def two_servers(app, sample, database_url, redis_server, tmp_path):
    environment = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "SECRET_KEY": TEST_SECRET,
        "VERSUS_REDIS_PREFIX": "versus-test",
        "VERSUS_WORKERS": "2",
        "VERSUS_THREADS": "2",
        "VERSUS_VOTES_PER_IP": "1000",
        "VERSUS_VOTES_PER_NETWORK": "1000",
    }
    servers = [
        Gunicorn("versus:create_app()", free_port(), environment, tmp_path / name, PAGE)
        for name in ("a.log", "b.log")
    ]
    try:
        for server in servers:
            server.start()
        yield [server.port for server in servers]
    finally:
        for server in servers:
            server.stop()


def new_visitor(port: int, turn: int) -> Visitor:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        return visit(connection, PAGE, turn)
    finally:
        connection.close()


def post_vote(port: int, visitor: Visitor, body: str | None = None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(
            "POST",
            f"{PAGE}/vote",
            body=body or visitor.body,
            headers={
                "Cookie": visitor.cookie,
                "X-CSRFToken": visitor.token,
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def api_state(port: int) -> tuple[str, int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", f"/api/comparisons/{SLUG}")
        response = connection.getresponse()
        body = response.read().decode()
        return response.getheader("ETag"), json.loads(body)["total_votes"]
    finally:
        connection.close()


def switch_choice(body: str) -> str:
    if "choice=smolvlm2" in body:
        return body.replace("choice=smolvlm2", "choice=sam-3")
    return body.replace("choice=sam-3", "choice=smolvlm2")


def test_votes_through_two_servers_count_exactly(app, two_servers):
    first, second = two_servers

    # Each visitor loads the page from one server and votes through the other.
    visitors = [new_visitor(two_servers[i % 2], i) for i in range(VISITORS)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(
            pool.map(
                lambda item: post_vote(two_servers[(item[0] + 1) % 2], item[1]),
                enumerate(visitors),
            )
        )
    assert statuses == [200] * VISITORS

    # A second vote, for the other tool, through either server: refused.
    with ThreadPoolExecutor(max_workers=8) as pool:
        again = list(
            pool.map(
                lambda item: post_vote(
                    two_servers[item[0] % 2], item[1], switch_choice(item[1].body)
                ),
                enumerate(visitors),
            )
        )
    assert again == [409] * VISITORS

    # One visitor sending the same vote to both servers at once counts once.
    twin = new_visitor(first, 0)
    with ThreadPoolExecutor(max_workers=8) as pool:
        raced = list(pool.map(lambda port: post_vote(port, twin), [first, second] * 4))
    assert sorted(raced) == [200] + [409] * 7

    expected_sam = sum(1 for v in [*visitors, twin] if "choice=sam-3" in v.body)
    expected_smol = VISITORS + 1 - expected_sam
    with app.app_context():
        counters = dict(db.session.execute(select(Tool.slug, Tool.votes)).all())
        rows = db.session.scalar(select(func.count()).select_from(Vote))
        visitors_seen = db.session.scalar(
            select(func.count(func.distinct(Vote.visitor_hash)))
        )
        mismatches = find_mismatches(db.session)

    assert counters == {"smolvlm2": expected_smol, "sam-3": expected_sam}
    assert rows == VISITORS + 1
    assert visitors_seen == VISITORS + 1
    assert mismatches == []

    # Both servers' caches show the same, current tally.
    assert api_state(first) == api_state(second)
    assert api_state(first)[1] == VISITORS + 1
