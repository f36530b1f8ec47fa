"""Entry prices: the accepted spellings and the one form pages show."""

from __future__ import annotations

import pytest

from versus.pricing import CONTACT_SALES, FREE, MONTHLY, parse_price


@pytest.mark.parametrize(
    ("text", "kind", "label"),
    [
        ("Free", FREE, "Free"),
        ("free", FREE, "Free"),
        ("$0/month", FREE, "Free"),
        ("Contact sales", CONTACT_SALES, "Contact sales"),
        ("contact  SALES", CONTACT_SALES, "Contact sales"),
        ("$20/month", MONTHLY, "$20/month"),
        ("$20.00 per month", MONTHLY, "$20/month"),
        ("€9.50/mo", MONTHLY, "€9.50/month"),
        ("£5 a month", MONTHLY, "£5/month"),
    ],
)
def test_parse_price_accepts(text, kind, label):
    price = parse_price(text)

    assert price.kind == kind
    assert price.label == label


@pytest.mark.parametrize("text", ["", "$20", "20/month", "twenty a month", "$20/year"])
def test_parse_price_rejects(text):
    with pytest.raises(ValueError, match="is not a price"):
        parse_price(text)


def test_price_explanations():
    assert parse_price("Free").explanation == ""
    assert parse_price("$20/month").explanation == ""
    assert "quotes on request" in parse_price("Contact sales").explanation
