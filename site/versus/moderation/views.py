"""The ``/moderate`` pages: sign-in, dashboard, a comparison's activity and actions."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.wrappers import Response

from ..extensions import db
from ..guard_setup import current_guard
from ..models import Comparison, utcnow
from ..numbers import is_ascii_digits
from ..presenters import load_comparison, tally_view
from ..voting.guard import GuardUnavailable
from ..voting.moderation import actions, activity, audit
from ..voting.moderation.errors import ModerationError
from ..web.htmx import is_htmx
from . import auth, forms, messages
from .accounts import authenticate
from .chart import build_chart

logger = logging.getLogger(__name__)

bp = Blueprint("moderation", __name__, url_prefix="/moderate")
bp.before_request(auth.require_moderator)

AUDIT_PAGE = 50
DEFAULT_DAYS = 7
MAX_DAYS = 30


@bp.after_request
def _private(response: Response) -> Response:
    # Moderation pages show hashes and private notes: never cache or index them.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    response.vary.add("Cookie")
    return response


def _render_login(message: str | None, status: int, username: str = "") -> Response:
    html = render_template(
        "moderate/login.html",
        message=message,
        username=username,
        next_url=auth.safe_next(request.values.get("next")),
    )
    return make_response(html, status)


@bp.get("/login")
def login() -> Response:
    """Show the sign-in form, or go to the dashboard when already signed in."""
    if auth.current_moderator() is not None:
        return redirect(url_for("moderation.dashboard"))

    message = None
    if request.args.get("expired") == "1":
        message = "Your moderator session has expired. Sign in again."
    elif request.args.get("signed_out") == "1":
        message = "You are signed out."

    return _render_login(message, 200)


@bp.post("/login")
def login_submit() -> Response:
    """Check the credentials against the failed sign-in limits, then sign in."""
    username = (request.form.get("username") or "").strip()
    password = request.form.get("password") or ""

    if not username or not password:
        return _render_login("Enter your username and password.", 400, username)

    account_key, ip_key = auth.limiter_keys(username)
    try:
        wait = auth.limiter().attempt(account_key, ip_key)
    except GuardUnavailable:
        logger.exception("Sign-in limiter unavailable")
        return _render_login(
            "Signing in is unavailable for a moment. Try again in a minute.", 503
        )

    if wait:
        minutes = max(1, -(-wait // 60))
        response = _render_login(
            "Too many failed sign-in attempts. Try again in "
            f"{minutes} minute{'s' if minutes != 1 else ''}.",
            429,
            username,
        )
        response.headers["Retry-After"] = str(wait)
        return response

    moderator = authenticate(db.session, username, password)
    if moderator is None:
        logger.info("Failed moderator sign-in")
        return _render_login("The username or password is not right.", 401, username)

    try:
        auth.limiter().succeeded(account_key, ip_key)
    except GuardUnavailable:
        logger.exception(
            "Could not clear failed sign-ins for moderator %s", moderator.id
        )

    auth.sign_in(moderator)
    return redirect(auth.safe_next(request.form.get("next")), 303)


@bp.post("/logout")
def logout() -> Response:
    """End the moderator session."""
    auth.sign_out()
    return redirect(url_for("moderation.login", signed_out=1), 303)


@bp.get("/logout")
def logout_by_get() -> Response:
    """Refuse to sign out on GET, which a link or prefetch could trigger by accident.

    Without this rule, ``GET /moderate/logout`` would reach the comparison view.
    """
    raise MethodNotAllowed(
        valid_methods=["POST"], description="Sign out with the Sign out button."
    )


def _before_id() -> int | None:
    raw = request.args.get("before", "")
    if not raw:
        return None

    if not is_ascii_digits(raw) or len(raw) > 12:
        abort(400, description="'before' must be an audit entry number.")

    return int(raw)


@bp.get("")
def dashboard() -> Response:
    """List comparisons with their vote activity, and the audit log newest first."""
    before = _before_id()
    entries = audit.list_entries(db.session, limit=AUDIT_PAGE + 1, before_id=before)
    html = render_template(
        "moderate/dashboard.html",
        comparisons=activity.summaries(db.session, utcnow()),
        entries=entries[:AUDIT_PAGE],
        older=entries[AUDIT_PAGE - 1].id if len(entries) > AUDIT_PAGE else None,
        moderator=auth.current_moderator(),
    )
    return make_response(html)


@bp.get("/audit.csv")
def audit_csv() -> Response:
    """Download the whole audit log as CSV."""
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    response = Response(
        stream_with_context(audit.export_csv(db.session)), mimetype="text/csv"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="moderation-audit-{stamp}.csv"'
    )
    return response


def _comparison_or_404(slug: str) -> Comparison:
    comparison = load_comparison(slug, include_drafts=True)
    if comparison is None:
        abort(404, description=f"There is no comparison called {slug!r}.")

    return comparison


def _window_days() -> int:
    raw = request.args.get("days", str(DEFAULT_DAYS))
    if not is_ascii_digits(raw) or not 1 <= int(raw) <= MAX_DAYS:
        abort(400, description=f"'days' must be a whole number from 1 to {MAX_DAYS}.")

    return int(raw)


def _page(
    comparison: Comparison,
    *,
    status: int = 200,
    fields: dict[str, str] | None = None,
    error: ModerationError | None = None,
    preview: actions.Preview | None = None,
    days: int = DEFAULT_DAYS,
) -> Response:
    config = current_app.config
    series, bursts = activity.recent_activity(
        db.session,
        comparison.id,
        utcnow(),
        days,
        factor=config["BURST_FACTOR"],
        min_votes=config["BURST_MIN_VOTES"],
    )
    html = render_template(
        "moderate/comparison.html",
        comparison=comparison,
        tally=tally_view(comparison, min_votes=config["MIN_VOTES_TO_CALL"]),
        chart=build_chart(series, bursts),
        bursts=bursts,
        days=days,
        top_ips=activity.busiest(db.session, comparison.id, "ip_hash"),
        top_visitors=activity.busiest(db.session, comparison.id, "visitor_hash"),
        entries=audit.list_entries(db.session, comparison_id=comparison.id),
        fields=fields or forms.filter_fields(request.args),
        error=error,
        preview=preview,
        moderator=auth.current_moderator(),
    )
    return make_response(html, status)


@bp.get("/<slug>")
def comparison(slug: str) -> Response:
    """Show one comparison's votes per hour, bursts, busiest hashes and actions."""
    return _page(_comparison_or_404(slug), days=_window_days())


def _failed(comparison: Comparison, error: ModerationError) -> Response:
    db.session.rollback()
    logger.info("Moderation request on %s rejected: %s", comparison.slug, error.message)

    if is_htmx():
        html = render_template(
            "moderate/_message.html", message=error.message, error=True
        )
        return make_response(html, error.status)

    return _page(
        comparison,
        status=error.status,
        fields=forms.filter_fields(request.form),
        error=error,
    )


@bp.post("/<slug>/preview")
def preview(slug: str) -> Response:
    """Count the counted votes a void would change, per tool, changing nothing."""
    found = _comparison_or_404(slug)

    try:
        vote_filter = forms.vote_filter(request.form, found)
        result = actions.preview_void(db.session, found.id, vote_filter)
    except ModerationError as error:
        return _failed(found, error)

    fields = forms.filter_fields(request.form)
    if is_htmx():
        html = render_template(
            "moderate/_preview.html", comparison=found, preview=result, fields=fields
        )
        return make_response(html)

    return _page(found, fields=fields, preview=result)


def _act(slug: str, perform: Callable[[Comparison], actions.ActionResult]) -> Response:
    """Run one action with the reasons and confirmation the form must carry."""
    found = _comparison_or_404(slug)

    try:
        forms.confirmed(request.form)
        result = perform(found)
    except ModerationError as error:
        return _failed(found, error)

    flash(messages.summary(result), "success")
    target = url_for("moderation.comparison", slug=found.slug)

    if is_htmx():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = target
        return response

    return redirect(target, 303)


def _actor() -> str:
    moderator = auth.current_moderator()
    assert moderator is not None  # require_moderator ran first
    return moderator.username


@bp.post("/<slug>/void")
def void(slug: str) -> Response:
    """Void the counted votes matching the previewed filter."""

    def perform(found: Comparison) -> actions.ActionResult:
        return actions.void_votes(
            db.session,
            current_guard(),
            found.id,
            forms.vote_filter(request.form, found),
            forms.reasons(request.form),
            _actor(),
            expected=forms.expected_count(request.form),
        )

    return _act(slug, perform)


@bp.post("/<slug>/reset")
def reset(slug: str) -> Response:
    """Void every counted vote on the comparison."""

    def perform(found: Comparison) -> actions.ActionResult:
        return actions.reset_votes(
            db.session, current_guard(), found.id, forms.reasons(request.form), _actor()
        )

    return _act(slug, perform)


@bp.post("/<slug>/restore/<int:action_id>")
def restore(slug: str, action_id: int) -> Response:
    """Count again the votes one void or reset voided."""

    def perform(found: Comparison) -> actions.ActionResult:
        return actions.restore_action(
            db.session,
            current_guard(),
            found.id,
            action_id,
            forms.reasons(request.form),
            _actor(),
        )

    return _act(slug, perform)


@bp.post("/<slug>/close")
def close(slug: str) -> Response:
    """Stop accepting votes; the tallies stay on the page."""

    def perform(found: Comparison) -> actions.ActionResult:
        return actions.set_voting_open(
            db.session, found.id, False, forms.reasons(request.form), _actor()
        )

    return _act(slug, perform)


@bp.post("/<slug>/reopen")
def reopen(slug: str) -> Response:
    """Accept votes again."""

    def perform(found: Comparison) -> actions.ActionResult:
        return actions.set_voting_open(
            db.session, found.id, True, forms.reasons(request.form), _actor()
        )

    return _act(slug, perform)
