"""Turn moderation form fields into validated inputs, with the same rules as the CLI.

CSRF tokens are checked for every POST by the app-wide ``CSRFProtect`` before a view
runs; the forms carry the token as a hidden field and htmx sends it as a header.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..models import Comparison
from ..voting.moderation.errors import InvalidRequest
from ..voting.moderation.inputs import (
    Reasons,
    VoteFilter,
    parse_count,
    parse_filter,
    parse_reasons,
)

FILTER_FIELDS = ("ip_hash", "visitor_hash", "tool", "since", "until")


def filter_fields(form: Mapping[str, str]) -> dict[str, str]:
    """Return the filter fields as typed, to refill the form after an error."""
    return {name: (form.get(name) or "").strip() for name in FILTER_FIELDS}


def vote_filter(form: Mapping[str, str], comparison: Comparison) -> VoteFilter:
    return parse_filter(filter_fields(form), [tool.slug for tool in comparison.tools])


def reasons(form: Mapping[str, str]) -> Reasons:
    return parse_reasons(form.get("public_reason"), form.get("private_reason"))


def confirmed(form: Mapping[str, str]) -> None:
    """Raise ``InvalidRequest`` unless the confirmation box was ticked."""
    if form.get("confirm") != "yes":
        raise InvalidRequest("Tick the confirmation box to carry out this action.")


def expected_count(form: Mapping[str, str]) -> int:
    expected = parse_count(form.get("expected"), "The previewed vote count")
    if expected is None:
        raise InvalidRequest("Preview the votes first, then confirm the void.")

    return expected
