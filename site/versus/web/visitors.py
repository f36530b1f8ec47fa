"""Voter identity: the visitor cookie and the hashed client address."""

from __future__ import annotations

import secrets

from flask import Flask, Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

from ..voting.identity import keyed_hash, network_of

COOKIE_NAME = "versus_visitor"
COOKIE_MAX_AGE = 400 * 24 * 3600  # the maximum cookie lifetime current browsers accept


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="versus.visitor")


def _secret() -> bytes:
    return current_app.config["SECRET_KEY"].encode()


def visitor_id() -> str | None:
    """Return the visitor id from the signed cookie, or ``None`` if absent or forged."""
    if "visitor_id" in g:
        return g.visitor_id

    raw = request.cookies.get(COOKIE_NAME)
    value = None
    if raw:
        try:
            loaded = _serializer().loads(raw)
        except BadSignature:
            loaded = None
        if isinstance(loaded, str) and 16 <= len(loaded) <= 64:
            value = loaded

    g.visitor_id = value
    return value


def ensure_visitor() -> str:
    """Return the visitor id, starting a new one (set on the response) if needed."""
    current = visitor_id()
    if current is not None:
        return current

    new_id = secrets.token_urlsafe(18)
    g.visitor_id = new_id
    g.set_visitor_cookie = True
    return new_id


def visitor_hash(value: str) -> str:
    return keyed_hash(_secret(), "visitor", value)


def client_ip() -> str:
    # With TRUSTED_PROXY_COUNT set, ProxyFix has already rewritten remote_addr from
    # X-Forwarded-For; otherwise that header is ignored.
    return request.remote_addr or "unknown"


def ip_hash(address: str) -> str:
    return keyed_hash(_secret(), "ip", address)


def network_hash(address: str) -> str:
    return keyed_hash(_secret(), "net", network_of(address))


def _set_cookie(response: Response) -> Response:
    if g.get("set_visitor_cookie"):
        response.set_cookie(
            COOKIE_NAME,
            _serializer().dumps(g.visitor_id),
            max_age=COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    if "visitor_id" in g:
        # A reply that depends on the visitor must not be shared by caches.
        response.vary.add("Cookie")
        response.cache_control.private = True

    return response


def init_app(app: Flask) -> None:
    app.after_request(_set_cookie)
