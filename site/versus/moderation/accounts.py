"""Moderator accounts: create, disable and check passwords. No Flask imports."""

from __future__ import annotations

import datetime as dt
import re
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import Moderator, utcnow

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_.-]{2,39}")
PASSWORD_MIN = 12
PASSWORD_MAX = 1024
HASH_METHOD = "scrypt"


class AccountError(Exception):
    """An account request that changed nothing; the message is safe to print."""


def normalize_username(raw: str) -> str:
    return raw.strip().lower()


def check_username(username: str) -> str:
    name = normalize_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise AccountError(
            "A username is 3 to 40 characters: lowercase letters, digits, '.', '_' "
            "or '-', starting with a letter or digit."
        )

    return name


def check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise AccountError(f"The password must be at least {PASSWORD_MIN} characters.")

    if len(password) > PASSWORD_MAX:
        raise AccountError(f"The password may be at most {PASSWORD_MAX} characters.")


def find(session: Session, username: str) -> Moderator | None:
    name = normalize_username(username)
    return session.scalar(select(Moderator).where(Moderator.username == name))


def create_moderator(session: Session, username: str, password: str) -> Moderator:
    """Store a new active moderator with a scrypt password hash."""
    name = check_username(username)
    check_password(password)

    if find(session, name) is not None:
        raise AccountError(f"A moderator called {name!r} already exists.")

    moderator = Moderator(
        username=name,
        password_hash=generate_password_hash(password, method=HASH_METHOD),
        active=True,
        created_at=utcnow(),
    )
    session.add(moderator)
    session.commit()
    return moderator


def disable_moderator(session: Session, username: str) -> Moderator:
    """Mark a moderator inactive; their sessions end on their next request."""
    moderator = find(session, username)
    if moderator is None:
        raise AccountError(
            f"There is no moderator called {normalize_username(username)!r}."
        )

    if not moderator.active:
        raise AccountError(f"The moderator {moderator.username!r} is already disabled.")

    moderator.active = False
    session.commit()
    return moderator


def list_moderators(session: Session) -> list[Moderator]:
    return list(session.scalars(select(Moderator).order_by(Moderator.username)))


@cache
def _decoy_hash() -> str:
    return generate_password_hash("decoy password for unknown accounts", HASH_METHOD)


def authenticate(
    session: Session, username: str, password: str, now: dt.datetime | None = None
) -> Moderator | None:
    """Return the active moderator these credentials belong to, or ``None``.

    An unknown or disabled account still costs one scrypt check, so the response
    time does not tell whether the account exists.
    """
    moderator = find(session, username) if len(password) <= PASSWORD_MAX else None

    if moderator is None or not moderator.active:
        check_password_hash(_decoy_hash(), password[:PASSWORD_MAX])
        return None

    if not check_password_hash(moderator.password_hash, password):
        return None

    moderator.last_login_at = now or utcnow()
    session.commit()
    return moderator
