"""Redis outages, database failures and what the logs keep, on real servers."""

from __future__ import annotations

import logging
import sqlite3
import time

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import make_url, select, text

from versus import create_app
from versus.content.importer import import_specs
from versus.content.schema import parse_file
from versus.extensions import db
from versus.models import Comparison
from versus.voting.guard import Claim, ClaimRequest, RedisGuard

from .conftest import SAMPLE, SLUG, TEST_SECRET, Reader, base_config
from .servers import DroppingPort, RedisServer
from .test_voting import counts, vote_rows

# A correctness guard against redis-py's default retries (many seconds per
# request), not a speed figure: a vote must fail well within this when Redis is
# unreachable. The measured times are in docs/benchmarks.md.
FAIL_FAST_BOUND_SECONDS = 5.0


@pytest.fixture
def own_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process is not None:
        server.resume()
        server.stop()


def build_app(database_url: str, redis_url: str, **settings):
    application = create_app(base_config(database_url, redis_url) | settings)
    with application.app_context():
        import_specs(db.session, [parse_file(SAMPLE)])
    return application


@pytest.fixture
def outage_app(database_url, own_redis):
    application = build_app(database_url, own_redis.url)
    yield application
    with application.app_context():
        db.engine.dispose()


def opened_reader(app, address: str = "198.51.100.23") -> Reader:
    reader = Reader(app, address)
    assert reader.open().status_code == 200
    return reader


def timed_vote(reader: Reader, choice: str = "smolvlm2"):
    started = time.monotonic()
    response = reader.vote(choice)
    return response, time.monotonic() - started


def assert_paused(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Voting is paused" in response.get_data(as_text=True)


def test_redis_stopped_vote_paused_then_resumes(outage_app, own_redis):
    reader = opened_reader(outage_app)
    own_redis.stop()

    response, seconds = timed_vote(reader)
    page = reader.client.get(f"/compare/{SLUG}")
    health = reader.client.get("/healthz")

    assert_paused(response)
    assert seconds < FAIL_FAST_BOUND_SECONDS
    assert vote_rows(outage_app) == 0
    assert page.status_code == 200
    assert health.status_code == 503
    assert health.get_json()["status"] == "degraded"
    assert health.get_json()["voting"] == "paused"

    own_redis.start()
    reader.open()

    assert reader.vote("smolvlm2").status_code == 200
    assert counts(outage_app) == {"smolvlm2": 1, "sam-3": 0}
    assert reader.client.get("/healthz").get_json()["voting"] == "open"
    assert reader.client.get("/livez").status_code == 200


def test_redis_frozen_vote_fails_fast(outage_app, own_redis):
    reader = opened_reader(outage_app)
    own_redis.pause()

    try:
        response, seconds = timed_vote(reader)
    finally:
        own_redis.resume()

    assert_paused(response)
    assert seconds < FAIL_FAST_BOUND_SECONDS
    assert vote_rows(outage_app) == 0


@pytest.fixture
def dropping_app(database_url):
    port = DroppingPort()
    application = build_app(database_url, port.url)
    yield application
    port.close()
    with application.app_context():
        db.engine.dispose()


def test_redis_dropping_packets_vote_fails_fast(dropping_app):
    reader = opened_reader(dropping_app)

    response, seconds = timed_vote(reader)
    health = reader.client.get("/healthz").get_json()

    assert_paused(response)
    assert seconds < FAIL_FAST_BOUND_SECONDS
    assert health["redis"] == "down"
    assert vote_rows(dropping_app) == 0


def test_database_only_policy_counts_one_vote_per_visitor(database_url, own_redis):
    application = build_app(
        database_url, own_redis.url, VOTES_WHEN_REDIS_DOWN="database-only"
    )
    reader = opened_reader(application)
    own_redis.stop()

    first = reader.vote("sam-3")
    second = reader.vote("smolvlm2")
    health = reader.client.get("/healthz").get_json()

    assert first.status_code == 200
    assert second.status_code == 409
    assert "for SAM 3" in second.get_data(as_text=True)
    assert counts(application) == {"smolvlm2": 0, "sam-3": 1}
    assert health["voting"] == "database-only"
    with application.app_context():
        db.engine.dispose()


def test_unknown_redis_policy_rejected_at_startup(database_url):
    with pytest.raises(RuntimeError, match="VERSUS_VOTES_WHEN_REDIS_DOWN"):
        create_app(base_config(database_url, None) | {"VOTES_WHEN_REDIS_DOWN": "allow"})


def test_sqlite_runs_in_wal_mode(app):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite only")

    with app.app_context():
        mode = db.session.execute(text("PRAGMA journal_mode")).scalar()
        timeout = db.session.execute(text("PRAGMA busy_timeout")).scalar()

    assert mode == "wal"
    assert timeout == app.config["SQLITE_BUSY_TIMEOUT_MS"]


class FaultAfterClaim:
    """The real Redis guard, with a database fault injected right after a claim."""

    def __init__(self, guard: RedisGuard, inject) -> None:
        self.guard = guard
        self.inject = inject
        self.claims: list[Claim] = []

    def claim(self, request: ClaimRequest) -> Claim:
        claim = self.guard.claim(request)
        self.claims.append(claim)
        self.inject()
        return claim

    def __getattr__(self, name: str):
        return getattr(self.guard, name)


def tally_version(app) -> int:
    with app.app_context():
        return db.session.scalar(
            select(Comparison.tally_version).where(Comparison.slug == SLUG)
        )


def sqlite_lock(app):
    """Return an injector that takes SQLite's write lock, and its release."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    locker = sqlite3.connect(path, isolation_level=None)

    def inject() -> None:
        locker.execute("BEGIN IMMEDIATE")

    def release() -> None:
        locker.execute("ROLLBACK")
        locker.close()

    return inject, release


def postgres_down(database_url: str):
    """Return an injector that takes the database away, and one that brings it back.

    It ends every connection to the test database and refuses new ones, so the
    vote fails whichever pooled or new connection it writes on.
    """
    url = make_url(database_url)
    name = url.database
    admin_url = url.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False
    )

    def allow(connections: bool) -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                    sql.Identifier(name), sql.Literal(connections)
                )
            )
            if not connections:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = %s AND pid <> pg_backend_pid()",
                    [name],
                )

    return lambda: allow(False), lambda: allow(True)


def test_database_failure_after_claim_releases_claim(database_url, redis_server):
    redis_server.client().flushall()
    application = build_app(database_url, redis_server.url, SQLITE_BUSY_TIMEOUT_MS=200)
    reader = opened_reader(application)
    version = tally_version(application)
    if database_url.startswith("sqlite"):
        inject, release = sqlite_lock(application)
    else:
        inject, release = postgres_down(database_url)
    real_guard = application.extensions["versus.guard"]
    faulty = FaultAfterClaim(real_guard, inject)
    application.extensions["versus.guard"] = faulty

    try:
        failed = reader.vote("smolvlm2")
    finally:
        release()
        application.extensions["versus.guard"] = real_guard

    claim = faulty.claims[0]
    keys = real_guard._counter_keys(claim.request)
    store = redis_server.client()
    assert claim.granted
    assert failed.status_code == 503
    assert failed.headers["Retry-After"] == "5"
    assert "could not be saved" in failed.get_data(as_text=True)
    assert store.exists(keys[0]) == 0
    assert int(store.get(keys[1]) or 0) == 0
    assert int(store.get(keys[2]) or 0) == 0
    assert vote_rows(application) == 0
    assert counts(application) == {"smolvlm2": 0, "sam-3": 0}
    assert tally_version(application) == version

    assert reader.vote("smolvlm2").status_code == 200
    assert counts(application) == {"smolvlm2": 1, "sam-3": 0}
    with application.app_context():
        db.engine.dispose()


def test_postgres_connections_dropped_between_requests(app, sample):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("PostgreSQL only")

    first = opened_reader(app, "10.7.0.1")
    assert first.vote("smolvlm2").status_code == 200
    plain_url = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain_url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()[0]

    second = opened_reader(app, "10.8.0.1")

    assert killed >= 1
    assert second.vote("sam-3").status_code == 200
    assert counts(app) == {"smolvlm2": 1, "sam-3": 1}


def test_error_logs_carry_request_ids(outage_app, own_redis, caplog):
    reader = opened_reader(outage_app, "198.51.100.23")
    cookie = reader.client.get_cookie("versus_visitor").value
    reader.headers["X-Request-ID"] = "req-honeypot-01"
    reader.vote("sam-3", contact_url="bot")
    reader.headers["X-Request-ID"] = "req-csrf-0001"
    good_token, reader.token = reader.token, "forged"
    reader.vote("sam-3")
    reader.token = good_token
    own_redis.stop()
    reader.headers["X-Request-ID"] = "req-redis-down"

    with caplog.at_level(logging.INFO):
        caplog.clear()
        reader.vote("sam-3", contact_url="bot")
        reader.headers["X-Request-ID"] = "req-csrf-0002"
        reader.token = "forged"
        reader.vote("sam-3")
        reader.token = good_token
        reader.headers["X-Request-ID"] = "req-redis-down"
        response = reader.vote("sam-3")

    assert response.status_code == 503
    assert response.headers["X-Request-ID"] == "req-redis-down"
    messages = {
        record.getMessage()
        for record in caplog.records
        if record.name.startswith("versus") and record.levelno >= logging.INFO
    }
    logged = "\n".join(messages) + caplog.text
    for request_id in ["req-redis-down", "req-csrf-0002"]:
        assert any(request_id in m and SLUG in m for m in messages), request_id
    assert any("honeypot" in m and SLUG in m for m in messages)
    assert "198.51.100.23" not in logged
    assert cookie not in logged
    assert TEST_SECRET not in logged
