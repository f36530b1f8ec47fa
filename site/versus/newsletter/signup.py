"""The signup endpoint: rate limit, validate, store, mail the confirmation link.

Every accepted signup gets the same reply whether the address was new, pending,
confirmed or unsubscribed. Each of those sends one mail: a confirmation link, or for
a confirmed address a note with its unsubscribe link. So neither the reply nor the
work done shows a stranger whether an address is subscribed.
"""

from __future__ import annotations

import ipaddress
import logging

from flask import (
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from ..extensions import csrf, db
from ..models import Subscriber
from ..voting.identity import keyed_hash
from ..web import visitors
from ..web.htmx import is_htmx
from . import mailer
from .blueprint import bp, current_limits
from .forms import SignupForm
from .limits import LimitsUnavailable
from .links import external_url
from .subscriptions import request_subscription, round_of
from .tokens import confirm_token, unsubscribe_token

logger = logging.getLogger(__name__)

CSRF_MESSAGE = (
    "This form has expired or was not sent from this site. "
    "Reload the page and try again."
)
PAUSED_MESSAGE = "Sign-ups are paused for a moment. Please try again in a minute."
MAIL_FAILED_MESSAGE = (
    "We could not send the confirmation email just now. "
    "Please try again in a few minutes."
)


def _client_hash() -> str:
    """Return the keyed hash the rate limit counts under.

    IPv6 clients are counted per /64, because providers give one line a whole /64.
    """
    address = visitors.client_ip()

    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return visitors.ip_hash(address)

    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return visitors.ip_hash(str(parsed.ipv4_mapped))
        return visitors.network_hash(address)

    return visitors.ip_hash(address)


def _wait_phrase(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} seconds"

    return f"{(seconds + 59) // 60} minutes"


def _reply(
    form: SignupForm,
    status: int,
    *,
    error: str | None = None,
    retry_after: int | None = None,
) -> Response:
    """Return the signup fragment to htmx, and a page or a redirect otherwise."""
    if is_htmx():
        html = render_template(
            "newsletter/_signup.html",
            newsletter_form=form,
            signup_error=error,
            signup_sent=status == 200,
        )
        response = make_response(html, status)
    elif status == 200:
        target = url_for("newsletter.sent", next=form.return_path())
        response = redirect(target, 303)
    else:
        html = render_template(
            "newsletter/signup_page.html",
            newsletter_form=form,
            signup_error=error,
            return_path=form.return_path(),
        )
        response = make_response(html, status)

    if retry_after:
        response.headers["Retry-After"] = str(retry_after)

    response.vary.add("HX-Request")
    return response


def _signup_mail(subscriber: Subscriber) -> mailer.Mail:
    email = subscriber.email
    unsubscribe_url = external_url(
        "newsletter.unsubscribe_page", token=unsubscribe_token(subscriber.id)
    )

    if subscriber.status == "confirmed":
        body = render_template(
            "newsletter/mail/already_subscribed.txt", unsubscribe_url=unsubscribe_url
        )
        return mailer.Mail(
            to=email,
            subject="You are already subscribed to the Versus newsletter",
            body=body,
            link=unsubscribe_url,
            unsubscribe_url=unsubscribe_url,
        )

    confirm_url = external_url(
        "newsletter.confirm_page",
        token=confirm_token(subscriber.id, round_of(subscriber)),
    )
    days = current_app.config["NEWSLETTER_CONFIRM_MAX_AGE"] // 86400
    body = render_template(
        "newsletter/mail/confirm.txt", confirm_url=confirm_url, days=days
    )
    return mailer.Mail(
        to=email,
        subject="Confirm your Versus newsletter subscription",
        body=body,
        link=confirm_url,
    )


def _send_signup_mail(subscriber: Subscriber) -> None:
    """Mail the subscriber unless a mail went to them within the resend cooldown.

    Raises ``MailNotSent`` and ``LimitsUnavailable``.
    """
    limits = current_limits()
    secret = current_app.config["SECRET_KEY"].encode()
    cooldown_key = keyed_hash(
        secret, "newsletter-mail", f"{subscriber.email} {round_of(subscriber)}"
    )

    if not limits.claim_mail(cooldown_key):
        logger.info(
            "Newsletter mail to subscriber %s skipped: one was sent in the last %s s",
            subscriber.id,
            current_app.config["NEWSLETTER_RESEND_SECONDS"],
        )
        return

    settings = mailer.MailSettings.from_config(current_app.config)
    try:
        mailer.send(settings, _signup_mail(subscriber), subscriber.id)
    except mailer.MailNotSent:
        limits.release_mail(cooldown_key)
        raise


@bp.post("/signup")
@csrf.exempt
def signup() -> Response:
    """Store a signup and mail its confirmation link."""
    form = SignupForm()

    # CSRF is checked here rather than before the request (the view is exempt from
    # CSRFProtect's hook) so that a failure still renders the signup fragment.
    try:
        csrf.protect()
    except CSRFError as error:
        logger.info("Newsletter signup rejected: %s", error.description)
        return _reply(form, 400, error=CSRF_MESSAGE)

    client_hash = _client_hash()
    try:
        decision = current_limits().hit(client_hash)
    except LimitsUnavailable:
        logger.exception("Newsletter signup: rate limit store unavailable")
        return _reply(form, 503, error=PAUSED_MESSAGE, retry_after=30)

    if not decision.allowed:
        logger.info("Newsletter signup rate-limited for client %s", client_hash[:12])
        message = (
            "Too many sign-ups have come from your network. "
            f"Please try again in {_wait_phrase(decision.retry_after)}."
        )
        return _reply(form, 429, error=message, retry_after=decision.retry_after)

    if not form.validate():
        logger.info("Newsletter signup rejected: invalid email address")
        return _reply(form, 400, error=form.email.errors[0])

    subscriber = request_subscription(db.session, form.address)

    try:
        _send_signup_mail(subscriber)
    except mailer.MailNotSent:
        return _reply(form, 503, error=MAIL_FAILED_MESSAGE, retry_after=60)
    except LimitsUnavailable:
        logger.exception("Newsletter signup: mail cooldown store unavailable")
        return _reply(form, 503, error=PAUSED_MESSAGE, retry_after=30)

    logger.info("Newsletter signup accepted for subscriber %s", subscriber.id)
    return _reply(form, 200)


@bp.get("/")
def page() -> Response:
    """Show the signup form on a page of its own."""
    form = SignupForm(formdata=None)
    return make_response(
        render_template("newsletter/signup_page.html", newsletter_form=form)
    )


@bp.get("/sent")
def sent() -> Response:
    """Tell a reader without JavaScript that the confirmation mail is on its way."""
    form = SignupForm(formdata=None)
    form.next.data = request.args.get("next", "")

    html = render_template(
        "newsletter/signup_page.html",
        newsletter_form=form,
        signup_sent=True,
        return_path=form.return_path(),
    )
    return make_response(html)
