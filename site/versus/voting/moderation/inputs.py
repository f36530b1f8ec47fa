"""Validated inputs shared by the web forms and the command line."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

from ...numbers import is_ascii_digits
from .errors import InvalidRequest

HASH_PATTERN = re.compile(r"[0-9a-f]{64}")
# Readers may see the reason, so it must not carry a hash or an IP address.
IDENTIFIER_PATTERN = re.compile(
    r"[0-9a-fA-F]{16,}|\b\d{1,3}(\.\d{1,3}){3}\b|\b[0-9a-fA-F]{1,4}(:[0-9a-fA-F]{0,4}){2,7}"
)
PUBLIC_REASON_MAX = 280
PRIVATE_REASON_MAX = 2000
REASON_MIN = 3
# The maximum time window one void may cover, so a typo in a year cannot void
# a comparison's whole history by accident; a reset does that on purpose.
MAX_WINDOW = dt.timedelta(days=31)


@dataclass(frozen=True)
class VoteFilter:
    """The counted votes a void applies to. Every field that is set must match."""

    ip_hash: str | None = None
    visitor_hash: str | None = None
    tool_slug: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.ip_hash or self.visitor_hash or self.since or self.until)

    def to_dict(self) -> dict[str, str]:
        """Return the set fields as strings, for the audit entry and for forms."""
        values = {
            "ip_hash": self.ip_hash,
            "visitor_hash": self.visitor_hash,
            "tool": self.tool_slug,
            "since": format_time(self.since) if self.since else None,
            "until": format_time(self.until) if self.until else None,
        }
        return {key: value for key, value in values.items() if value}


@dataclass(frozen=True)
class Reasons:
    """The reason for an action, which readers may see, and a private note.

    Which reasons readers see, and where, is in ``transparency.py``.
    """

    public: str
    private: str = ""


def format_time(value: dt.datetime) -> str:
    """Format a naive UTC time the way the forms and the audit log write it."""
    return value.strftime("%Y-%m-%dT%H:%M")


def parse_time(raw: str, label: str) -> dt.datetime:
    """Parse ``YYYY-MM-DDTHH:MM`` (seconds and a ``Z`` are allowed) as naive UTC."""
    text = raw.strip().removesuffix("Z").replace(" ", "T")

    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(
            f"{label} must be a UTC date and time like 2026-12-04T15:00."
        ) from None

    if value.tzinfo is not None:
        raise InvalidRequest(f"{label} must be in UTC, without a time zone offset.")

    return value


def _hash_field(raw: str | None, label: str) -> str | None:
    value = (raw or "").strip().lower()
    if not value:
        return None

    if not HASH_PATTERN.fullmatch(value):
        raise InvalidRequest(f"{label} must be the full 64-character hexadecimal hash.")

    return value


def parse_filter(fields: Mapping[str, str | None], tool_slugs: list[str]) -> VoteFilter:
    """Build a filter from form or command-line fields, or raise ``InvalidRequest``.

    Reads ``ip_hash``, ``visitor_hash``, ``tool``, ``since`` and ``until``; an empty
    value means the field is not used. ``since`` is inclusive and ``until`` exclusive.
    """
    since_raw = (fields.get("since") or "").strip()
    until_raw = (fields.get("until") or "").strip()
    since = parse_time(since_raw, "The start of the window") if since_raw else None
    until = parse_time(until_raw, "The end of the window") if until_raw else None

    if since and until and since >= until:
        raise InvalidRequest("The start of the window must be before its end.")

    if bool(since) != bool(until):
        raise InvalidRequest("A time window needs both a start and an end.")

    if since and until and until - since > MAX_WINDOW:
        raise InvalidRequest(
            "A time window may span at most 31 days; use a reset to void every vote."
        )

    tool = (fields.get("tool") or "").strip() or None
    if tool is not None and tool not in tool_slugs:
        raise InvalidRequest(f"There is no tool {tool!r} in this comparison.")

    vote_filter = VoteFilter(
        ip_hash=_hash_field(fields.get("ip_hash"), "The IP hash"),
        visitor_hash=_hash_field(fields.get("visitor_hash"), "The visitor hash"),
        tool_slug=tool,
        since=since,
        until=until,
    )
    if vote_filter.is_empty:
        raise InvalidRequest(
            "Choose an IP hash, a visitor hash or a time window; a tool alone is "
            "not a filter."
        )

    return vote_filter


def parse_reasons(public: str | None, private: str | None) -> Reasons:
    """Validate the reasons every action requires, or raise ``InvalidRequest``."""
    public_text = " ".join((public or "").split())
    private_text = (private or "").strip()

    if len(public_text) < REASON_MIN:
        raise InvalidRequest("Give a reason of at least 3 characters.")

    if len(public_text) > PUBLIC_REASON_MAX:
        raise InvalidRequest(
            f"The reason may be at most {PUBLIC_REASON_MAX} characters."
        )

    if IDENTIFIER_PATTERN.search(public_text):
        raise InvalidRequest(
            "The reason may not contain a hash or an IP address, because readers "
            "may see it. Put those in the private note."
        )

    if len(private_text) > PRIVATE_REASON_MAX:
        raise InvalidRequest(
            f"The private note may be at most {PRIVATE_REASON_MAX} characters."
        )

    return Reasons(public_text, private_text)


def parse_count(raw: str | None, label: str) -> int | None:
    """Parse an optional non-negative whole number such as a previewed vote count."""
    text = (raw or "").strip()
    if not text:
        return None

    if not is_ascii_digits(text) or len(text) > 9:
        raise InvalidRequest(f"{label} must be a whole number.")

    return int(text)
