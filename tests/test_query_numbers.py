"""Numbers in query strings: digits other than 0 to 9 are rejected, never a 500."""

from __future__ import annotations

import pytest

from versus.numbers import is_ascii_digits


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12", True), ("0", True), ("", False), ("²", False), ("①", False), ("٣", False)],
)
def test_is_ascii_digits(text, expected):
    assert is_ascii_digits(text) is expected


@pytest.mark.parametrize("value", ["%C2%B2", "%E2%91%A0", "%D9%A3"])
def test_unicode_page_number_400(client, sample, value):
    listing = client.get(f"/?page={value}")
    category = client.get(f"/category/developer-tools?page={value}")
    comparison = client.get(f"/compare/{sample}?page={value}")

    assert listing.status_code == 400
    assert category.status_code == 400
    assert comparison.status_code == 200
