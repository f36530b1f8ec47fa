"""Signed tokens for the confirmation and unsubscribe links.

Each kind has its own salt, so an unsubscribe token is never accepted as a
confirmation token or the other way round. The payload is signed, not encrypted,
and anyone holding a link can decode it, so it carries no address: only the
subscriber's row id and, for confirmation, the subscription round it belongs to
(see ``subscriptions.round_of``). The links end up in mail logs and in the
access logs of every server and proxy they pass through.

Links mailed before tokens carried ids hold the address instead. They are still
read, because unsubscribe links never expire and sit in mails already sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

CONFIRM_SALT = "versus.newsletter.confirm"
UNSUBSCRIBE_SALT = "versus.newsletter.unsubscribe"


class TokenInvalid(Exception):
    """The token is malformed, tampered with or signed for another purpose."""


class TokenExpired(TokenInvalid):
    """The token's signature is good but it is older than its maximum age."""


@dataclass(frozen=True)
class LinkSubject:
    """The subscriber a link names: by row id, or by address in an older link."""

    subscriber_id: int | None = None
    email: str | None = None


@dataclass(frozen=True)
class ConfirmRequest:
    subject: LinkSubject
    round: str


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(salt: str, token: str, max_age: int | None) -> tuple[LinkSubject, dict]:
    try:
        payload = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise TokenExpired(str(error)) from error
    except BadSignature as error:
        # The exception's text quotes the signature, which must not reach the log.
        raise TokenInvalid(f"{type(error).__name__} for this salt") from error

    if not isinstance(payload, dict):
        raise TokenInvalid("signed payload is not an object")

    subscriber_id = payload.get("id")
    # bool is an int subclass, and True must not name subscriber 1.
    if isinstance(subscriber_id, int) and not isinstance(subscriber_id, bool):
        return LinkSubject(subscriber_id=subscriber_id), payload

    if isinstance(payload.get("email"), str):
        return LinkSubject(email=payload["email"]), payload

    raise TokenInvalid("signed payload names no subscriber")


def confirm_token(subscriber_id: int, subscription_round: str) -> str:
    return _serializer(CONFIRM_SALT).dumps(
        {"id": subscriber_id, "round": subscription_round}
    )


def read_confirm_token(token: str) -> ConfirmRequest:
    """Return what a confirmation token names, or raise ``TokenInvalid``.

    Tokens older than ``NEWSLETTER_CONFIRM_MAX_AGE`` seconds raise ``TokenExpired``.
    """
    max_age = current_app.config["NEWSLETTER_CONFIRM_MAX_AGE"]
    subject, payload = _load(CONFIRM_SALT, token, max_age)

    subscription_round = payload.get("round")
    if not isinstance(subscription_round, str):
        raise TokenInvalid("signed payload has no subscription round")

    return ConfirmRequest(subject=subject, round=subscription_round)


def unsubscribe_token(subscriber_id: int) -> str:
    return _serializer(UNSUBSCRIBE_SALT).dumps({"id": subscriber_id})


def read_unsubscribe_token(token: str) -> LinkSubject:
    """Return the subscriber an unsubscribe token names, or raise ``TokenInvalid``.

    Unsubscribe tokens do not expire: a link in an old mail must keep working.
    """
    subject, _ = _load(UNSUBSCRIBE_SALT, token, None)
    return subject
