"""Page tokens and the honeypot: a vote must come from a page this visitor opened.

The comparison page embeds a signed, timestamped token naming the comparison and
(through a keyed hash) the visitor cookie. The vote endpoint accepts a vote only
with a fresh token for the same comparison and visitor, so a loop that posts votes
without loading pages fails. The form also contains a field hidden from people. A bot
that fills in every field fills that one too, and its vote is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from ..presenters import load_comparison
from ..voting.identity import keyed_hash
from . import visitors

FIELD = "page_token"
HEADER = "X-Page-Token"
HONEYPOT_FIELD = "contact_url"
SALT = "versus.page-token"
# Stands in for the token in HTML rendered once and shared by many readers
# (web/prepared.py), which writes each reader's own token over it.
MARKER = "versus-page-token-placeholder-7c1f3a"

EXPIRED_MESSAGE = (
    "This page was open for too long, so its voting form expired and nothing was "
    "counted. The form below is fresh: pick again."
)
FORM_REJECTED_MESSAGE = (
    "This vote was not sent from this site's comparison page in this browser, so "
    "nothing was counted. Vote with the form below."
)

bp = Blueprint("page_tokens", __name__)


@dataclass(frozen=True)
class Rejection:
    """Why a vote form was rejected: a short code for logs and a reader's message."""

    reason: str
    message: str


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def _visitor_binding(visitor: str) -> str:
    # A keyed hash rather than the id itself, so the HttpOnly cookie's value never
    # appears in the page where a script could read it.
    return keyed_hash(current_app.config["SECRET_KEY"].encode(), "page", visitor)[:32]


def issue(comparison_id: int) -> str:
    """Return a page token for this comparison and the current visitor."""
    if g.get("shared_render"):
        return MARKER

    visitor = visitors.ensure_visitor()
    return _serializer().dumps([comparison_id, _visitor_binding(visitor)])


def check_vote_form(comparison_id: int, visitor: str) -> Rejection | None:
    """Return why this vote request must be rejected, or ``None`` if it may count."""
    if request.form.get(HONEYPOT_FIELD, ""):
        return Rejection(
            "honeypot",
            "This vote filled in a field that is hidden from people, so it looks "
            "automated and nothing was counted.",
        )

    token = request.form.get(FIELD) or request.headers.get(HEADER, "")
    if not token:
        return Rejection(
            "page-token-missing",
            "This vote did not come from the comparison page (its page token is "
            "missing), so nothing was counted. Open the page and vote there.",
        )

    try:
        payload = _serializer().loads(
            token, max_age=current_app.config["PAGE_TOKEN_MAX_AGE"]
        )
    except SignatureExpired:
        return Rejection("page-token-expired", EXPIRED_MESSAGE)
    except BadSignature:
        return Rejection("page-token-invalid", FORM_REJECTED_MESSAGE)

    if payload != [comparison_id, _visitor_binding(visitor)]:
        return Rejection("page-token-mismatch", FORM_REJECTED_MESSAGE)

    return None


def csrf_rejection(error: CSRFError) -> Rejection:
    """Translate Flask-WTF's CSRF failure into a reader's message."""
    if "expired" in (error.description or ""):
        return Rejection("csrf-expired", EXPIRED_MESSAGE)

    return Rejection("csrf-invalid", FORM_REJECTED_MESSAGE)


@bp.get("/compare/<slug>/vote-tokens")
def refresh(slug: str) -> Response:
    """Return fresh hidden CSRF and page-token fields for the open vote form.

    The form polls this every ``TOKEN_REFRESH_SECONDS``, well inside the token
    lifetime, so a page left open keeps a working form while the computer stays
    awake. A sleeping computer skips polls, and the expiry message covers that case.
    """
    comparison = load_comparison(slug)
    if comparison is None:
        abort(404, description=f"There is no published comparison called {slug!r}.")

    # Only a reader who already loaded the page has a visitor cookie; without this
    # check the fragment would be a cheaper way than the page to mint vote tokens.
    if visitors.visitor_id() is None:
        abort(400, description="Reload the comparison page to get a fresh vote form.")

    return Response(render_template("compare/_vote_tokens.html", comparison=comparison))


def init_app(app) -> None:
    app.jinja_env.globals["page_token"] = issue
    app.jinja_env.globals["honeypot_field"] = HONEYPOT_FIELD
    app.register_blueprint(bp)
