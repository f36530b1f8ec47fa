"""Security headers on every response, and private caching for per-reader replies."""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin

# Scripts and styles come only from this origin: the site has no inline script,
# no inline style and no event-handler attributes, and htmx is configured without
# features that evaluate strings (hx-on, js: values). See docs/security.md.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def _add_headers(response: Response) -> Response:
    # One pass over the reply's headers; setdefault would scan them once per name.
    present = {name.lower() for name in response.headers.keys()}
    for name, value in HEADERS.items():
        if name.lower() not in present:
            response.headers.add(name, value)

    # Browsers ignore HSTS over plain HTTP, and sending it on a local run would
    # pin localhost to HTTPS, so it goes out only on secure requests.
    max_age = current_app.config["HSTS_MAX_AGE"]
    if request.is_secure and max_age > 0:
        response.headers["Strict-Transport-Security"] = (
            f"max-age={max_age}; includeSubDomains"
        )

    # A reply built from the visitor cookie belongs to one reader, so no shared
    # cache may store it or hand it to another reader.
    if "visitor_id" in g:
        _make_private(response)

    return response


def _make_private(response: Response) -> None:
    response.vary.add("Cookie")
    # no-store already keeps every cache from storing the reply.
    if not response.cache_control.no_store:
        response.cache_control.private = True
        response.cache_control.public = False


class PrivateSessionInterface(SecureCookieSessionInterface):
    """Flask's cookie session, marking every reply that used the session private.

    Pages embed the session's CSRF token, so a shared cache must not hand them to
    another reader. Reading ``session.accessed`` from an ``after_request`` hook
    would itself set the flag in Flask 3.1, so the check sits here, where Flask
    adds ``Vary: Cookie`` for the same reason.
    """

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        super().save_session(app, session, response)
        if session.accessed:
            _make_private(response)


def init_app(app: Flask) -> None:
    app.session_interface = PrivateSessionInterface()
    app.after_request(_add_headers)
