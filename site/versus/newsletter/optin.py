"""Confirmation and unsubscribe links.

Opening a link (GET) only shows a page with a button; the change happens on the
button's POST. Mail scanners and link previews fetch links with GET, so they can
neither confirm an address someone else typed in nor unsubscribe a reader.
"""

from __future__ import annotations

import logging

from flask import current_app, make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..extensions import db
from ..models import Subscriber
from .blueprint import bp
from .subscriptions import (
    Confirmation,
    confirm,
    find,
    find_by_id,
    round_of,
    unsubscribe,
)
from .tokens import (
    ConfirmRequest,
    LinkSubject,
    TokenExpired,
    TokenInvalid,
    read_confirm_token,
    read_unsubscribe_token,
    unsubscribe_token,
)

logger = logging.getLogger(__name__)

CONFIRM_INVALID = (
    "This confirmation link is not valid. Check that you opened the whole link "
    "from the email, or sign up again to get a new one."
)
CONFIRM_STALE = (
    "This confirmation link belongs to an earlier signup and no longer works. "
    "Use the link in the most recent email, or sign up again."
)
UNSUBSCRIBE_INVALID = (
    "This unsubscribe link is not valid. Check that you opened the whole link "
    "from the email."
)


class LinkRejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _link_error(title: str, message: str) -> Response:
    html = render_template("newsletter/link_error.html", title=title, message=message)
    return make_response(html, 400)


def _named(subject: LinkSubject) -> Subscriber | None:
    """Return the subscriber a link names, by id or, in an older link, by address."""
    if subject.subscriber_id is not None:
        subscriber = find_by_id(db.session, subject.subscriber_id)
    else:
        subscriber = find(db.session, subject.email)

    if subscriber is None:
        # Only the id is logged: an older link's address must not reach the log.
        logger.info(
            "Newsletter link names no stored subscriber (id %s)",
            subject.subscriber_id if subject.subscriber_id is not None else "none",
        )

    return subscriber


def _confirm_request(token: str) -> ConfirmRequest:
    try:
        return read_confirm_token(token)
    except TokenExpired as error:
        days = current_app.config["NEWSLETTER_CONFIRM_MAX_AGE"] // 86400
        logger.info("Newsletter confirmation link expired: %s", error)
        raise LinkRejected(
            f"This confirmation link has expired: links work for {days} days. "
            "Sign up again to get a new one."
        ) from error
    except TokenInvalid as error:
        logger.info("Newsletter confirmation link rejected: %s", error)
        raise LinkRejected(CONFIRM_INVALID) from error


@bp.get("/confirm/<token>")
def confirm_page(token: str) -> Response:
    """Show the confirm button, or that the address is already confirmed."""
    try:
        confirmation = _confirm_request(token)
    except LinkRejected as rejected:
        return _link_error("Confirmation link not valid", rejected.message)

    subscriber = _named(confirmation.subject)
    if subscriber is None or round_of(subscriber) != confirmation.round:
        return _link_error("Confirmation link not valid", CONFIRM_STALE)

    html = render_template(
        "newsletter/confirm.html",
        email=subscriber.email,
        confirmed=subscriber.status == "confirmed",
        unsubscribe_url=url_for(
            "newsletter.unsubscribe_page", token=unsubscribe_token(subscriber.id)
        ),
    )
    return make_response(html)


@bp.post("/confirm/<token>")
def confirm_action(token: str) -> Response:
    """Confirm the subscription the token names, then show the confirm page."""
    try:
        confirmation = _confirm_request(token)
    except LinkRejected as rejected:
        return _link_error("Confirmation link not valid", rejected.message)

    subscriber = _named(confirmation.subject)
    if subscriber is None:
        return _link_error("Confirmation link not valid", CONFIRM_STALE)

    outcome = confirm(db.session, subscriber.id, confirmation.round)
    if outcome is Confirmation.STALE:
        return _link_error("Confirmation link not valid", CONFIRM_STALE)

    if outcome is Confirmation.CONFIRMED:
        logger.info("Newsletter subscriber %s confirmed", subscriber.id)

    return redirect(url_for("newsletter.confirm_page", token=token), 303)


def _unsubscribe_subject(token: str) -> LinkSubject:
    try:
        return read_unsubscribe_token(token)
    except TokenInvalid as error:
        logger.info("Newsletter unsubscribe link rejected: %s", error)
        raise LinkRejected(UNSUBSCRIBE_INVALID) from error


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str) -> Response:
    """Show the unsubscribe button, or that the address is already unsubscribed."""
    try:
        subject = _unsubscribe_subject(token)
    except LinkRejected as rejected:
        return _link_error("Unsubscribe link not valid", rejected.message)

    subscriber = _named(subject)
    if subscriber is None:
        return _link_error("Unsubscribe link not valid", UNSUBSCRIBE_INVALID)

    html = render_template(
        "newsletter/unsubscribe.html",
        email=subscriber.email,
        unsubscribed=subscriber.status == "unsubscribed",
    )
    return make_response(html)


@bp.post("/unsubscribe/<token>")
def unsubscribe_action(token: str) -> Response:
    """Unsubscribe the address the token names, then show the unsubscribe page."""
    try:
        subject = _unsubscribe_subject(token)
    except LinkRejected as rejected:
        return _link_error("Unsubscribe link not valid", rejected.message)

    subscriber = _named(subject)
    if subscriber is None or not unsubscribe(db.session, subscriber.id):
        return _link_error("Unsubscribe link not valid", UNSUBSCRIBE_INVALID)

    logger.info("Newsletter subscriber %s unsubscribed", subscriber.id)
    return redirect(url_for("newsletter.unsubscribe_page", token=token), 303)
