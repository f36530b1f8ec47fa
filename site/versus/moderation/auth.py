"""Moderator sign-in: the session, idle and absolute expiry, and the login gate.

The signed Flask session cookie holds the moderator's id, when they signed in and
when they were last seen. Every request to ``/moderate`` reloads the account, so a
disabled moderator is signed out on their next request.
"""

from __future__ import annotations

import logging
import time

from flask import (
    Flask,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import update
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Moderator
from ..voting.identity import keyed_hash
from ..web.htmx import is_htmx
from .login_limits import (
    LoginLimiter,
    LoginLimits,
    MemoryLoginLimiter,
    RedisLoginLimiter,
)

logger = logging.getLogger(__name__)

MODERATOR_ID = "moderator_id"
SIGNED_IN_AT = "moderator_signed_in_at"
LAST_SEEN_AT = "moderator_last_seen_at"
SESSION_EPOCH = "moderator_session_epoch"
PUBLIC_ENDPOINTS = {
    "moderation.login",
    "moderation.login_submit",
    "moderation.logout",
    "moderation.logout_by_get",
}


def init_limiter(app: Flask) -> None:
    limits = LoginLimits(
        per_account=app.config["LOGIN_FAILURES_PER_ACCOUNT"],
        per_ip=app.config["LOGIN_FAILURES_PER_IP"],
        window_seconds=app.config["LOGIN_LOCKOUT_SECONDS"],
    )
    client = app.extensions.get("versus.redis")
    limiter: LoginLimiter

    if client is None:
        limiter = MemoryLoginLimiter(limits)
    else:
        limiter = RedisLoginLimiter(client, limits, app.config["REDIS_KEY_PREFIX"])

    app.extensions["versus.login_limiter"] = limiter


def limiter() -> LoginLimiter:
    return current_app.extensions["versus.login_limiter"]


def limiter_keys(username: str) -> tuple[str, str]:
    """Return keyed hashes of the account name and the client IP for the limiter.

    The account key is built from the name typed, whether or not it exists, so a
    locked-out unknown name looks the same as a locked-out real one.
    """
    secret = current_app.config["SECRET_KEY"].encode()
    account = keyed_hash(secret, "login-account", username.strip().lower())
    address = keyed_hash(secret, "login-ip", request.remote_addr or "unknown")
    return account, address


def sign_in(moderator: Moderator) -> None:
    """Start a fresh session for ``moderator``, dropping anything the old one held."""
    session.clear()
    now = int(time.time())
    session[MODERATOR_ID] = moderator.id
    session[SESSION_EPOCH] = moderator.session_epoch
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    logger.info("Moderator %s signed in", moderator.id)


def sign_out() -> None:
    """End the session here and in every copy of its cookie."""
    moderator_id = session.get(MODERATOR_ID)
    session.clear()
    if moderator_id is None:
        return

    db.session.execute(
        update(Moderator)
        .where(Moderator.id == moderator_id)
        .values(session_epoch=Moderator.session_epoch + 1)
    )
    db.session.commit()
    logger.info("Moderator %s signed out", moderator_id)


def _session_expired(now: int) -> bool:
    config = current_app.config
    signed_in = session.get(SIGNED_IN_AT)
    seen = session.get(LAST_SEEN_AT)

    if not isinstance(signed_in, int) or not isinstance(seen, int):
        return True

    idle = now - seen > config["MODERATOR_IDLE_SECONDS"]
    too_old = now - signed_in > config["MODERATOR_SESSION_MAX_SECONDS"]
    return idle or too_old


def current_moderator() -> Moderator | None:
    """Return the signed-in active moderator and refresh the idle timer."""
    if "moderator" in g:
        return g.moderator

    g.moderator = None
    moderator_id = session.get(MODERATOR_ID)
    if moderator_id is None:
        return None

    now = int(time.time())
    if _session_expired(now):
        logger.info("Moderator %s session expired", moderator_id)
        session.clear()
        g.session_expired = True
        return None

    moderator = db.session.get(Moderator, moderator_id)
    if moderator is None or not moderator.active:
        logger.info("Moderator %s is disabled or gone; session ended", moderator_id)
        session.clear()
        return None

    if session.get(SESSION_EPOCH) != moderator.session_epoch:
        logger.info("Moderator %s used a session ended by sign-out", moderator_id)
        session.clear()
        return None

    session[LAST_SEEN_AT] = now
    g.moderator = moderator
    return moderator


def wants_json() -> bool:
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def _not_signed_in() -> Response:
    expired = g.get("session_expired", False)
    message = (
        "Your moderator session has expired. Sign in again."
        if expired
        else "Sign in as a moderator to see this page."
    )

    if wants_json():
        return make_response(jsonify(error="Sign-in required", message=message), 401)

    if is_htmx() or request.method != "GET":
        html = render_template(
            "moderate/_message.html", message=message, login_link=True
        )
        return make_response(html, 401)

    target = request.full_path if request.query_string else request.path
    return redirect(url_for("moderation.login", next=target, expired=int(expired)))


def require_moderator() -> Response | None:
    """Gate every moderation route except the login page."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None

    if current_moderator() is None:
        return _not_signed_in()

    return None


def safe_next(target: str | None) -> str:
    """Return ``target`` if it is a moderation path on this site, else the dashboard."""
    dashboard = url_for("moderation.dashboard")
    if not target or not target.startswith("/moderate") or "//" in target:
        return dashboard

    if "\\" in target or any(ord(char) < 32 for char in target):
        return dashboard

    return target
