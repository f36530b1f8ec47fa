"""Counts with their noun in the right number: "1 vote", "3 votes". No Flask imports.

Used by the moderation messages, the ``flask moderate`` output and, as the Jinja
filter ``count_of``, the moderation templates.
"""

from __future__ import annotations


def count_of(count: int, singular: str, plural: str | None = None) -> str:
    """Return ``count`` followed by ``singular`` when it is 1, else by ``plural``.

    ``plural`` defaults to ``singular`` with an "s" added, which is right for every
    noun the application counts ("vote", "counted vote", "hour", "burst").
    """
    noun = singular if count == 1 else (plural or f"{singular}s")
    return f"{count} {noun}"
