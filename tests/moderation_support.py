"""Helpers for the moderation tests: accounts, signed-in clients and seeded votes."""

from __future__ import annotations

import datetime as dt
import hashlib

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from versus.extensions import db
from versus.guard_setup import current_guard
from versus.models import Comparison, ModerationAction, Tool, Vote
from versus.moderation.accounts import create_moderator
from versus.voting.service import Ballot, Outcome, cast_vote

from .conftest import SLUG, csrf_from

PASSWORD = "correct horse battery staple"
START = dt.datetime(2026, 11, 20, 0, 0)


def fake_hash(label: str) -> str:
    """Return a 64-hex-digit stand-in for a keyed hash, stable per label."""
    return hashlib.sha256(label.encode()).hexdigest()


def make_moderator(app: Flask, name: str = "alice", password: str = PASSWORD) -> None:
    with app.app_context():
        create_moderator(db.session, name, password)


class Moderator:
    """A browser-like moderator: its own cookie jar and the current CSRF token."""

    def __init__(self, app: Flask, address: str = "127.0.0.1") -> None:
        self.client: FlaskClient = app.test_client()
        self.address = address
        self.token = ""

    def get(self, path: str, **kwargs):
        response = self.client.get(
            path, environ_base={"REMOTE_ADDR": self.address}, **kwargs
        )
        if response.status_code == 200 and "text/html" in response.content_type:
            self.token = csrf_from(response.get_data(as_text=True))
        return response

    def sign_in(self, name: str = "alice", password: str = PASSWORD):
        self.get("/moderate/login")
        response = self.client.post(
            "/moderate/login",
            data={"username": name, "password": password, "csrf_token": self.token},
            environ_base={"REMOTE_ADDR": self.address},
        )
        if response.status_code == 303:
            self.get("/moderate")
        return response

    def post(self, path: str, data: dict | None = None, htmx: bool = True, **kwargs):
        fields = dict(data or {})
        headers = {}
        if htmx:
            headers = {"HX-Request": "true", "X-CSRFToken": self.token}
        else:
            fields.setdefault("csrf_token", self.token)
        return self.client.post(
            path,
            data=fields,
            headers=headers,
            environ_base={"REMOTE_ADDR": self.address},
            **kwargs,
        )


def signed_in(app: Flask, name: str = "alice") -> Moderator:
    make_moderator(app, name)
    moderator = Moderator(app)
    assert moderator.sign_in(name).status_code == 303
    return moderator


def comparison_id(app: Flask, slug: str = SLUG) -> int:
    with app.app_context():
        return db.session.scalar(select(Comparison.id).where(Comparison.slug == slug))


def cast(
    app: Flask,
    visitor: str,
    tool_slug: str,
    *,
    ip: str = "ip-0",
    at: dt.datetime = START,
    slug: str = SLUG,
) -> Outcome:
    """Cast one vote through the real vote service and guard, at time ``at``."""
    with app.app_context():
        comparison = db.session.scalar(
            select(Comparison).where(Comparison.slug == slug)
        )
        tool = next(t for t in comparison.tools if t.slug == tool_slug)
        ballot = Ballot(
            comparison_id=comparison.id,
            tool_id=tool.id,
            tool_slug=tool.slug,
            visitor_hash=fake_hash(visitor),
            ip_hash=fake_hash(ip),
            network_hash=fake_hash("net-" + ip),
        )
        return cast_vote(db.session, current_guard(), ballot, now=at).outcome


def counters(app: Flask) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(select(Tool.slug, Tool.votes)).all())


def counted_rows(app: Flask) -> dict[str, int]:
    with app.app_context():
        rows = db.session.execute(
            select(Tool.slug, func.count(Vote.id))
            .outerjoin(Vote, (Vote.tool_id == Tool.id) & Vote.voided_at.is_(None))
            .group_by(Tool.slug)
        )
        return dict(rows.all())


def audit_actions(app: Flask) -> list[tuple[str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(ModerationAction.action, ModerationAction.votes_changed).order_by(
                ModerationAction.id
            )
        )
        return [tuple(row) for row in rows]


def tally_version(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(Comparison.tally_version))
