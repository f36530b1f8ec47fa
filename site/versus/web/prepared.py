"""Serve the page, the tally fragment and the JSON API from the snapshot cache.

Each function returns ``None`` when the cache cannot answer (no Redis configured,
or Redis did not reply); the caller then builds the reply from the database.
HTML is rendered once per snapshot and choice; the CSRF token, the one part that
differs per reader, is written into the prepared page for each request.
"""

from __future__ import annotations

import dataclasses
import logging

from flask import abort, current_app, g, make_response, render_template, request
from flask_wtf.csrf import generate_csrf
from werkzeug.wrappers import Response

from ..presenters import TallyView
from ..snapshots import current_store
from ..snapshots.snapshot import Snapshot, TallyState, api_document, build_tally
from ..snapshots.store import SnapshotUnavailable
from . import page_tokens, visitors

logger = logging.getLogger(__name__)

# Stand in for per-request values in prepared HTML. Only URL-safe characters, so
# autoescaping leaves them as they are.
CSRF_MARKER = "versus-csrf-token-placeholder-7c1f3a"
URL_MARKER = "versus-canonical-url-placeholder-7c1f3a"
MARKERS = (CSRF_MARKER, URL_MARKER, page_tokens.MARKER)


def _render_shared(template: str, **context) -> str:
    """Render HTML that many readers will share, with the CSRF token as a marker.

    Flask-WTF keeps the request's token in ``g``, and every form on the page (the
    vote form, the newsletter form, the meta tag) reads it from there, so setting
    it to the marker for the render covers them all. The canonical URL may come
    from the request's Host header, so it is a marker too: otherwise one forged
    Host would reach every reader. Any other per-request value added to these
    templates needs a marker of its own here and in ``_fill``.
    """
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    saved = g.pop(field, None)
    setattr(g, field, CSRF_MARKER)
    g.shared_render = True
    try:
        return render_template(template, canonical_url=lambda: URL_MARKER, **context)
    finally:
        g.pop(field, None)
        g.pop("shared_render", None)
        if saved is not None:
            setattr(g, field, saved)


def _snapshot(slug: str, visitor_hash: str | None = None, *, tally: bool = True):
    store = current_store()
    if store is None:
        return None, None

    try:
        snapshot, claim = store.get(slug, visitor_hash, tally=tally)
    except SnapshotUnavailable:
        logger.exception(
            "Snapshot cache unavailable for %s; reading the database", slug
        )
        return None, None

    if snapshot is None:
        abort(404, description=f"There is no published comparison called {slug!r}.")
    return snapshot, claim


def _choice(snapshot: Snapshot, claim: str | None) -> str | None:
    # A pending claim, or a slug the comparison no longer has, shows the buttons.
    tools = {tool.slug for tool in snapshot.comparison.tools}
    return claim if claim in tools else None


def published(slug: str, *, tally: bool = True) -> Snapshot | None:
    """Return the comparison's current snapshot, or ``None`` to read the database.

    With ``tally=False`` the snapshot's content is current but its tally may be
    some votes behind.
    """
    snapshot, _ = _snapshot(slug, tally=tally)
    return snapshot


def cached(slug: str) -> Snapshot | None:
    """Return this process's snapshot without asking Redis, or ``None``.

    For the vote: its ballot carries the snapshot's content token, and the guard
    claims only while that token is current.
    """
    store = current_store()
    return None if store is None else store.peek(slug)


def page(slug: str) -> Response | None:
    had_visitor = visitors.visitor_id()
    visitor = visitors.ensure_visitor()
    visitor_hash = visitors.visitor_hash(visitor) if had_visitor else None
    snapshot, claim = _snapshot(slug, visitor_hash)
    if snapshot is None:
        return None

    choice = _choice(snapshot, claim)
    html = snapshot.prepare(
        ("page", choice),
        lambda: _render_shared(
            "compare/page.html",
            comparison=snapshot.comparison,
            panel=snapshot.content.panel,
            tally=snapshot.tally,
            choice=choice,
            message=None,
            moderation_notes=snapshot.moderation_notes,
        ),
    )
    return make_response(_fill(html, snapshot.comparison.id))


def _fill(html: str, comparison_id: int) -> str:
    """Write this request's values into prepared HTML."""
    url = current_app.jinja_env.globals["canonical_url"]()
    return (
        html.replace(CSRF_MARKER, generate_csrf())
        .replace(URL_MARKER, url)
        .replace(page_tokens.MARKER, page_tokens.issue(comparison_id))
    )


def tally(slug: str) -> Response | None:
    snapshot, _ = _snapshot(slug)
    if snapshot is None:
        return None

    etag = snapshot.tally.etag
    if request.if_none_match.contains(etag):
        response = make_response("", 304)
    else:
        response = make_response(
            snapshot.prepare(
                "tally",
                lambda: render_template(
                    "compare/_tally.html", tally=snapshot.tally, fragment=True
                ),
            )
        )

    response.set_etag(etag)
    response.cache_control.no_cache = True
    return response


def api(slug: str) -> Response | None:
    snapshot, _ = _snapshot(slug)
    if snapshot is None:
        return None

    body, mimetype = snapshot.prepare(
        "api",
        lambda: _json(api_document(snapshot.content, snapshot.tally)),
    )
    response = current_app.response_class(body, mimetype=mimetype)
    response.set_etag(snapshot.tally.etag)
    response.cache_control.no_cache = True
    return response


def _json(document: dict) -> tuple[bytes, str]:
    built = current_app.json.response(document)
    return built.get_data(), built.mimetype


def accepted_vote_reply(snapshot: Snapshot, choice: str, tally: TallyView) -> str:
    """Return the htmx reply to an accepted vote: the widget, then the new tally.

    The widget for a reader who has voted depends only on the content and the
    choice, so it is rendered once per content version. The tally is new with
    every vote and is rendered each time.
    """
    widget = snapshot.content.prepare(
        ("voted", choice),
        lambda: _render_shared(
            "compare/_vote_widget.html",
            comparison=snapshot.comparison,
            choice=choice,
            message=None,
            status=200,
        ),
    )
    if any(marker in widget for marker in MARKERS):
        widget = _fill(widget, snapshot.comparison.id)

    fragment = render_template(
        "compare/_tally.html", tally=tally, fragment=True, oob_tally=True
    )
    return widget + "\n" + fragment


def tally_after_vote(
    snapshot: Snapshot, tally_version: int, counts: dict[str, int]
) -> TallyView:
    """The tally a vote's own statements returned, with the snapshot's content.

    Saves re-reading the comparison for the vote's reply. The vote's UPDATE
    matched only an open comparison, so voting is open.
    """
    key = dataclasses.replace(snapshot.content.key, voting_open=True)
    state = TallyState(key, tally_version, counts)
    return build_tally(snapshot.content, state, current_app.config["MIN_VOTES_TO_CALL"])


def publish(comparison_id: int) -> None:
    """Bump the comparison's version when the vote guard could not do it."""
    store = current_store()
    if store is not None:
        store.publish({comparison_id})
