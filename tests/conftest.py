"""Fixtures: every app-level test runs on SQLite and on PostgreSQL, with real Redis."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text

from versus import create_app
from versus.content.importer import import_specs
from versus.content.schema import parse_file
from versus.extensions import db

from .servers import RedisServer, create_database, drop_database

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "content" / "smolvlm2-vs-sam-3.toml"
SLUG = "smolvlm2-vs-sam-3"
TEST_SECRET = "test-secret-key-not-for-production"
BACKENDS = os.environ.get("VERSUS_TEST_DATABASES", "sqlite,postgresql").split(",")
TABLES = (
    "votes, moderation_actions, verdicts, reviewers, tools, comparisons, "
    "moderators, subscribers"
)


def base_config(database_url: str, redis_url: str | None) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": TEST_SECRET,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "REDIS_KEY_PREFIX": "versus-test",
    }


def migrate(database_url: str) -> None:
    app = create_app(base_config(database_url, None))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        db.engine.dispose()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database():
    url = create_database()
    migrate(url)
    yield url
    drop_database(url)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "versus.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"

    url = request.getfixturevalue("postgres_database")
    app = create_app(base_config(url, None))
    with app.app_context():
        db.session.execute(text(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        db.session.commit()
        db.engine.dispose()
    return url


@pytest.fixture
def app(database_url, redis_server) -> Flask:
    redis_server.client().flushall()
    application = create_app(base_config(database_url, redis_server.url))
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def app_factory(database_url, redis_server):
    """Return a factory of extra apps on the test database, with their own settings.

    Each app's connection pool is closed at teardown, so no connection outlives it.
    """
    made: list[Flask] = []

    def factory(**settings) -> Flask:
        application = create_app(base_config(database_url, redis_server.url) | settings)
        made.append(application)
        return application

    yield factory

    for application in made:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def sample(app) -> str:
    """Import the sample comparison and return its slug."""
    with app.app_context():
        import_specs(db.session, [parse_file(SAMPLE)])
    return SLUG


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "page has no csrf-token meta tag"
    return match.group(1)


def page_token_from(html: str) -> str:
    """Return the vote form's page token, or "" when the page has no open form."""
    match = re.search(r'name="page_token" value="([^"]+)"', html)
    return match.group(1) if match else ""


class Reader:
    """A browser-like visitor: its own cookies, and the page's CSRF token."""

    def __init__(self, app: Flask, address: str = "127.0.0.1") -> None:
        self.client = app.test_client()
        self.address = address
        self.token = ""
        self.page_token = ""
        self.headers: dict[str, str] = {}

    def open(self, slug: str = SLUG):
        response = self.client.get(
            f"/compare/{slug}",
            headers=self.headers,
            environ_base={"REMOTE_ADDR": self.address},
        )
        if response.status_code == 200:
            html = response.get_data(as_text=True)
            self.token = csrf_from(html)
            self.page_token = page_token_from(html) or self.page_token
        return response

    def vote(
        self, choice: str | list[str], slug: str = SLUG, htmx: bool = True, **extra
    ):
        headers = {"HX-Request": "true", "X-CSRFToken": self.token} if htmx else {}
        headers.update(self.headers)
        data = {"choice": choice, "page_token": self.page_token}
        if not htmx:
            data["csrf_token"] = self.token
        data.update(extra)
        return self.client.post(
            f"/compare/{slug}/vote",
            data=data,
            headers=headers,
            environ_base={"REMOTE_ADDR": self.address},
        )


@pytest.fixture
def reader(app, sample) -> Reader:
    visitor = Reader(app)
    visitor.open()
    return visitor


# Browser-test fixtures (live server, Chromium) live in tests/browser.py.
from .browser import browser, live_server, new_context  # noqa: E402, F401
