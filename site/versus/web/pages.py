"""The comparison page, its vote endpoint and the live tally fragment."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from ..errors import error_response
from ..extensions import db
from ..guard_setup import current_guard
from ..listing import Category, categories, listing_statement
from ..models import Comparison, Tool
from ..numbers import is_ascii_digits
from ..presenters import TallyView, load_comparison, panel_view, tally_view
from ..voting.guard import DatabaseOnlyGuard, GuardUnavailable
from ..voting.moderation.transparency import public_notes
from ..voting.service import (
    Ballot,
    Outcome,
    VoteResult,
    VoteStorageError,
    cast_vote,
    counted_choice,
)
from . import page_tokens, prepared, visitors
from .htmx import is_htmx
from .request_ids import request_id

logger = logging.getLogger(__name__)

bp = Blueprint("pages", __name__)

PER_PAGE = 20

PAUSED_MESSAGE = (
    "Voting is paused for a moment because the vote guard cannot be reached. "
    "Nothing was counted; please try again in a minute."
)
NOT_SAVED_MESSAGE = (
    "Your vote could not be saved. Nothing was counted; please try again."
)


def _published_or_404(slug: str, *, tally: bool = True) -> Comparison:
    # Served from the snapshot cache when it has the entry: a detached, loaded copy.
    # With tally=False its tally may lag; _tally() reads it again before showing it.
    snapshot = prepared.published(slug, tally=tally)
    g.pop("content_unchecked", None)
    if snapshot is not None:
        g.snapshot = snapshot
        g.snapshot_tally_current = tally
        return snapshot.comparison

    g.pop("snapshot", None)
    comparison = load_comparison(slug)
    if comparison is None:
        abort(404, description=f"There is no published comparison called {slug!r}.")

    return comparison


def _tally(comparison: Comparison):
    snapshot = g.get("snapshot")
    if snapshot is not None and snapshot.comparison is comparison:
        if g.get("snapshot_tally_current", True):
            return snapshot.tally

        current = prepared.published(comparison.slug)
        if current is not None:
            return current.tally

        # Redis failed mid-request: read the tally from the database.
        comparison = load_comparison(comparison.slug)
        if comparison is None:
            abort(404, description="This comparison is no longer published.")

    return tally_view(comparison, min_votes=current_app.config["MIN_VOTES_TO_CALL"])


def _current_choice(comparison: Comparison) -> str | None:
    visitor = visitors.visitor_id()
    if visitor is None:
        return None

    return counted_choice(db.session, comparison.id, visitors.visitor_hash(visitor))


def render_page(
    comparison: Comparison, *, message: str | None = None, status: int = 200
) -> Response:
    visitors.ensure_visitor()
    html = render_template(
        "compare/page.html",
        comparison=comparison,
        panel=panel_view(comparison),
        tally=_tally(comparison),
        choice=_current_choice(comparison),
        message=message,
        moderation_notes=public_notes(db.session, comparison.id),
        status=status,
    )
    return make_response(html, status)


@bp.get("/compare/<slug>")
def compare(slug: str) -> Response:
    """Show one comparison: tool cards, reviewer scorecard and the community vote."""
    return prepared.page(slug) or render_page(_published_or_404(slug))


@bp.get("/compare/<slug>/tally")
def tally(slug: str) -> Response:
    """Return the tally fragment, or 304 when it has not changed since the ETag."""
    cached = prepared.tally(slug)
    if cached is not None:
        return cached

    comparison = _published_or_404(slug)
    view = _tally(comparison)

    if request.if_none_match.contains(view.etag):
        response = make_response("", 304)
    else:
        response = make_response(
            render_template("compare/_tally.html", tally=view, fragment=True)
        )

    response.set_etag(view.etag)
    response.cache_control.no_cache = True
    return response


def _vote_reply(
    comparison: Comparison,
    status: int,
    *,
    message: str | None = None,
    choice: str | None = None,
    retry_after: int | None = None,
    tally: TallyView | None = None,
) -> Response:
    """Reply to a vote: the widget fragment for htmx, else the page or a redirect."""
    if status != 200 and g.pop("content_unchecked", False):
        # A rejection shows the form and the tools: take them from checked content.
        # An accepted vote's claim has already checked them.
        comparison = _published_or_404(comparison.slug, tally=False)

    if is_htmx():
        html = render_template(
            "compare/_vote_response.html",
            comparison=comparison,
            tally=tally or _tally(comparison),
            choice=choice,
            message=message,
            status=status,
        )
        response = make_response(html, status)
    elif status == 200:
        response = redirect(
            url_for("pages.compare", slug=comparison.slug, _anchor="vote"), 303
        )
    else:
        response = render_page(comparison, message=message, status=status)

    if retry_after:
        response.headers["Retry-After"] = str(retry_after)

    response.vary.add("HX-Request")

    return response


def _tool_name(comparison: Comparison, slug: str | None) -> str:
    return next(
        (t.name for t in comparison.tools if t.slug == slug), "one of the tools"
    )


def _reject_vote_form(comparison: Comparison, rejection: page_tokens.Rejection):
    logger.info(
        "Vote rejected on %s: %s (request %s)",
        comparison.slug,
        rejection.reason,
        request_id(),
    )
    return _vote_reply(comparison, 400, message=rejection.message)


@bp.errorhandler(CSRFError)
def csrf_failed(error: CSRFError) -> Response:
    """Reply to a vote whose CSRF token failed: the message and a fresh form."""
    comparison = load_comparison((request.view_args or {}).get("slug", ""))
    if request.endpoint != "pages.vote" or comparison is None:
        return error_response(400, page_tokens.FORM_REJECTED_MESSAGE)

    return _reject_vote_form(comparison, page_tokens.csrf_rejection(error))


def _count_vote(comparison: Comparison, ballot: Ballot) -> VoteResult | Response:
    """Cast the ballot under the configured Redis-down policy.

    Returns the result, or the 503 reply when the vote could not be counted.
    """
    write_lock = current_app.extensions["versus.write_lock"]
    try:
        return cast_vote(db.session, current_guard(), ballot, write_lock=write_lock)
    except GuardUnavailable as error:
        policy = current_app.config["VOTES_WHEN_REDIS_DOWN"]
        logger.error(
            "Vote guard unavailable for comparison %s (request %s, policy %s): %s",
            comparison.slug,
            ballot.request_id,
            policy,
            error,
        )
        if policy != "database-only":
            return _vote_reply(
                comparison,
                503,
                message=PAUSED_MESSAGE,
                retry_after=current_app.config["REDIS_DOWN_RETRY_AFTER"],
            )
    except VoteStorageError as error:
        return _storage_failed(comparison, ballot, error)

    # The database-only policy: the unique index still allows one counted vote per
    # visitor, but no per-address limit applies until Redis is back.
    try:
        return cast_vote(db.session, DatabaseOnlyGuard(), ballot, write_lock=write_lock)
    except VoteStorageError as error:
        return _storage_failed(comparison, ballot, error)


def _storage_failed(
    comparison: Comparison, ballot: Ballot, error: VoteStorageError
) -> Response:
    logger.error(
        "Vote not stored for comparison %s (request %s): %s",
        comparison.slug,
        ballot.request_id,
        error,
    )
    return _vote_reply(comparison, 503, message=NOT_SAVED_MESSAGE, retry_after=5)


def _cached_for_vote(slug: str) -> Comparison | None:
    """Return this process's copy of an open comparison, not yet checked in Redis.

    The vote's claim checks it: the ballot carries the copy's content token, and
    the guard returns STALE if the token has moved. A rejection that depends on
    the content is made only after ``_published_or_404`` has checked it.
    """
    snapshot = prepared.cached(slug)
    if snapshot is None or not snapshot.comparison.voting_open:
        return None

    g.snapshot = snapshot
    g.snapshot_tally_current = False
    g.content_unchecked = True
    return snapshot.comparison


def _chosen_tool(slug: str, comparison: Comparison) -> tuple[Comparison, Tool | None]:
    choices = request.form.getlist("choice")
    tool = next((t for t in comparison.tools if choices == [t.slug]), None)
    if tool is None and g.pop("content_unchecked", False):
        comparison = _published_or_404(slug, tally=False)
        tool = next((t for t in comparison.tools if choices == [t.slug]), None)

    return comparison, tool


def _ballot(comparison: Comparison, tool: Tool, visitor: str) -> Ballot:
    address = visitors.client_ip()
    snapshot = g.get("snapshot")
    return Ballot(
        comparison_id=comparison.id,
        tool_id=tool.id,
        tool_slug=tool.slug,
        visitor_hash=visitors.visitor_hash(visitor),
        ip_hash=visitors.ip_hash(address),
        network_hash=visitors.network_hash(address),
        content_version=None if snapshot is None else snapshot.content_token,
        request_id=request_id(),
    )


@bp.post("/compare/<slug>/vote")
def vote(slug: str) -> Response:
    """Record the reader's pick, once per visitor."""
    comparison = _cached_for_vote(slug) or _published_or_404(slug, tally=False)

    if not comparison.voting_open:
        return _vote_reply(
            comparison, 409, message="Voting on this comparison is closed."
        )

    visitor = visitors.visitor_id()
    if visitor is None:
        return _vote_reply(
            comparison,
            400,
            message="Your browser did not send the visitor cookie. "
            "Allow cookies for this site, reload the page and vote again.",
        )

    rejection = page_tokens.check_vote_form(comparison.id, visitor)
    if rejection is not None:
        return _reject_vote_form(comparison, rejection)

    # Twice at most: STALE means the content changed after this process cached
    # it, so the choice is checked again against the current content.
    for _ in range(2):
        comparison, tool = _chosen_tool(slug, comparison)
        if tool is None:
            names = " or ".join(t.name for t in comparison.tools)
            return _vote_reply(
                comparison, 400, message=f"That is not a valid choice. Pick {names}."
            )

        ballot = _ballot(comparison, tool, visitor)
        result = _count_vote(comparison, ballot)
        if isinstance(result, Response):
            return result
        if result.outcome is not Outcome.STALE:
            break

        logger.info("Vote on %s checked again: content changed", comparison.slug)
        comparison = _published_or_404(slug, tally=False)
    else:
        logger.warning(
            "Vote on %s not cast: the content changed twice while it was checked "
            "(request %s)",
            comparison.slug,
            request_id(),
        )
        return _vote_reply(comparison, 503, message=NOT_SAVED_MESSAGE, retry_after=1)

    if result.outcome is Outcome.ACCEPTED:
        return _accepted(comparison, tool.slug, ballot, result)

    db.session.expire_all()
    comparison = _published_or_404(slug)

    if result.outcome is Outcome.ALREADY_VOTED:
        if result.tool_slug is None:
            wait = result.retry_after or current_app.config["VOTE_CLAIM_TTL_SECONDS"]
            message = (
                "An earlier vote from this browser is still being recorded, or was "
                "cut off before it counted. If the tally does not show it, vote "
                f"again in {wait} seconds."
            )
            return _vote_reply(comparison, 409, message=message, retry_after=wait)
        else:
            message = (
                "You have already voted in this comparison, for "
                f"{_tool_name(comparison, result.tool_slug)}."
            )
        return _vote_reply(comparison, 409, message=message, choice=result.tool_slug)

    if result.outcome is Outcome.CLOSED:
        return _vote_reply(
            comparison, 409, message="Voting on this comparison is closed."
        )

    return _vote_reply(
        comparison,
        429,
        message="Too many votes have come from your network for this comparison. "
        "Please try again later.",
        retry_after=result.retry_after,
    )


def _accepted(
    comparison: Comparison, tool_slug: str, ballot: Ballot, result: VoteResult
) -> Response:
    logger.info(
        "Vote accepted on %s for %s (request %s)",
        comparison.slug,
        tool_slug,
        ballot.request_id,
    )
    if not result.published:
        prepared.publish(comparison.id)

    # With a snapshot, the reply is its content plus the counters the vote's own
    # UPDATE returned; without one (no Redis), the comparison is read again.
    snapshot = g.get("snapshot")
    if snapshot is not None and result.counts is not None:
        view = prepared.tally_after_vote(snapshot, result.tally_version, result.counts)
        if not is_htmx():
            return _vote_reply(comparison, 200, choice=tool_slug, tally=view)

        html = prepared.accepted_vote_reply(snapshot, tool_slug, view)
        response = make_response(html, 200)
        response.vary.add("HX-Request")
        return response

    db.session.expire_all()
    comparison = _published_or_404(comparison.slug)
    return _vote_reply(comparison, 200, choice=tool_slug)


def _page_number() -> int:
    raw = request.args.get("page", "1")
    if not is_ascii_digits(raw) or not 1 <= int(raw) <= 100_000:
        abort(400, description="The page number must be a whole number from 1 up.")

    return int(raw)


def _listing(category_slug: str | None = None):
    statement = listing_statement(category_slug)
    page = db.paginate(
        statement, page=_page_number(), per_page=PER_PAGE, error_out=False
    )
    if page.page > 1 and not page.items:
        abort(404, description="There is no such page of comparisons.")

    return page


def _cards(comparisons: list[Comparison]) -> list[dict]:
    min_votes = current_app.config["MIN_VOTES_TO_CALL"]
    return [
        {"comparison": c, "tally": tally_view(c, min_votes=min_votes)}
        for c in comparisons
    ]


def _render_listing(page, category: Category | None) -> Response:
    html = render_template(
        "index.html",
        page=page,
        cards=_cards(page.items),
        category=category,
        categories=categories(),
    )
    return make_response(html)


@bp.get("/")
def index() -> Response:
    """List published comparisons, newest first, 20 to a page."""
    return _render_listing(_listing(), None)


@bp.get("/category/<slug>")
def category(slug: str) -> Response:
    """List the published comparisons with a tool in one category."""
    found = next((c for c in categories() if c.slug == slug), None)
    if found is None:
        abort(404, description=f"There are no comparisons in the category {slug!r}.")

    return _render_listing(_listing(slug), found)
