"""Moderation rejections. Each kind maps to one HTTP status."""

from __future__ import annotations


class ModerationError(Exception):
    """A request that changed nothing. ``message`` is safe to show a moderator."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(ModerationError):
    """A field is missing or malformed."""

    status = 400


class NotFound(ModerationError):
    """The comparison or audit entry does not exist."""

    status = 404


class Conflict(ModerationError):
    """The request is well formed but the votes or the comparison are not in a state
    it applies to, for example closing a comparison that is already closed."""

    status = 409
