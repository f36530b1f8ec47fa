"""Signed tokens for the confirmation and unsubscribe links.

Each kind has its own salt, so an unsubscribe token is never accepted as a
confirmation token or the other way round. The payload is signed, not encrypted:
it carries only the address it was mailed to and, for confirmation, the
subscription round it belongs to (see ``subscriptions.round_of``).
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
class ConfirmRequest:
    email: str
    round: str


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _load(salt: str, token: str, max_age: int | None) -> dict:
    try:
        payload = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise TokenExpired(str(error)) from error
    except BadSignature as error:
        # The exception's text quotes the signature, which must not reach the log.
        raise TokenInvalid(f"{type(error).__name__} for this salt") from error

    if not isinstance(payload, dict) or not isinstance(payload.get("email"), str):
        raise TokenInvalid("signed payload has no email")

    return payload


def confirm_token(email: str, subscription_round: str) -> str:
    return _serializer(CONFIRM_SALT).dumps(
        {"email": email, "round": subscription_round}
    )


def read_confirm_token(token: str) -> ConfirmRequest:
    """Return what a confirmation token names, or raise ``TokenInvalid``.

    Tokens older than ``NEWSLETTER_CONFIRM_MAX_AGE`` seconds raise ``TokenExpired``.
    """
    max_age = current_app.config["NEWSLETTER_CONFIRM_MAX_AGE"]
    payload = _load(CONFIRM_SALT, token, max_age)

    subscription_round = payload.get("round")
    if not isinstance(subscription_round, str):
        raise TokenInvalid("signed payload has no subscription round")

    return ConfirmRequest(email=payload["email"], round=subscription_round)


def unsubscribe_token(email: str) -> str:
    return _serializer(UNSUBSCRIBE_SALT).dumps({"email": email})


def read_unsubscribe_token(token: str) -> str:
    """Return the address an unsubscribe token names, or raise ``TokenInvalid``.

    Unsubscribe tokens do not expire: a link in an old mail must keep working.
    """
    return _load(UNSUBSCRIBE_SALT, token, None)["email"]
