"""JSON endpoints: a comparison's tallies and the health check."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from ..extensions import csrf, db
from ..guard_setup import current_guard, current_redis
from ..presenters import load_comparison, tally_view
from . import prepared
from .request_ids import request_id

logger = logging.getLogger(__name__)

OPENAPI_DOCUMENT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"

bp = Blueprint("api", __name__)
csrf.exempt(bp)


@bp.get("/api/comparisons/<slug>")
def comparison(slug: str) -> Response:
    """Return a comparison's vote state and per-tool figures as JSON."""
    cached = prepared.api(slug)
    if cached is not None:
        return cached

    found = load_comparison(slug)
    if found is None:
        abort(404, description=f"There is no published comparison called {slug!r}.")

    view = tally_view(found, min_votes=current_app.config["MIN_VOTES_TO_CALL"])
    response = jsonify(
        slug=found.slug,
        title=found.title,
        voting_open=found.voting_open,
        total_votes=view.total,
        tools=[
            {
                "slug": tool.slug,
                "name": tool.name,
                "panel_ship_pct": tool.panel_pct,
                "votes": tool.votes,
                "community_pct": tool.community_pct,
            }
            for tool in view.tools
        ],
    )
    response.set_etag(view.etag)
    response.cache_control.no_cache = True
    return response


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """Serve the OpenAPI document that describes the JSON API and the vote endpoint."""
    response = Response(OPENAPI_DOCUMENT.read_bytes(), mimetype="application/json")
    response.cache_control.max_age = 300
    return response


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Report whether the database and the vote guard's store answer.

    Either one down makes it 503 with ``status: degraded``, and ``voting`` says what
    votes get meanwhile. Pages still render from SQL while only Redis is down, so
    load balancers should probe ``/livez`` instead.
    """
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as error:
        logger.error(
            "Health check: database unavailable (request %s): %s", request_id(), error
        )
        db.session.rollback()
        database = "down"

    if current_redis() is None:
        guard = "memory"
    else:
        guard = "ok" if current_guard().ping() else "down"

    if database == "down":
        voting = "unavailable"
    elif guard == "down":
        policy = current_app.config["VOTES_WHEN_REDIS_DOWN"]
        voting = "paused" if policy == "pause" else policy
        logger.warning("Health check: Redis unavailable (request %s)", request_id())
    else:
        voting = "open"

    healthy = database == "ok" and guard != "down"
    body = jsonify(
        status="ok" if healthy else "degraded",
        database=database,
        redis=guard,
        voting=voting,
    )
    return body, 200 if healthy else 503


@bp.get("/livez")
def livez() -> tuple[Response, int]:
    """Report whether this process can serve pages: 503 only with the database down."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        logger.error(
            "Liveness check: database unavailable (request %s): %s", request_id(), error
        )
        db.session.rollback()
        return jsonify(status="down", database="down"), 503

    return jsonify(status="ok", database="ok"), 200
