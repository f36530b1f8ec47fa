"""Fixtures for the newsletter tests: apps with extra settings, an SMTP server."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask

from versus import create_app
from versus.extensions import db

from ..conftest import base_config
from .support import SignupReader, SmtpServer, import_sample


@pytest.fixture
def make_app(database_url, redis_server) -> Iterator[Callable[..., Flask]]:
    """Build apps with extra settings and the sample comparison; disposes of them."""
    built: list[Flask] = []

    def build(overrides: dict, *, redis: bool = True) -> Flask:
        redis_server.client().flushall()
        config = base_config(database_url, redis_server.url if redis else None)
        app = create_app(config | overrides)
        import_sample(app)
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def signer(app, sample) -> SignupReader:
    """A reader on the sample comparison, with links built on a public URL."""
    app.config["PUBLIC_URL"] = "https://versus.example.org"
    visitor = SignupReader(app)
    visitor.open()
    return visitor


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def auth_smtp() -> Iterator[SmtpServer]:
    """An SMTP server that requires AUTH (newsletter / s3cret) without TLS."""
    server = SmtpServer(auth=True)
    server.start()
    yield server
    server.stop()
