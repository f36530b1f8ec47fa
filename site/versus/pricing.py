"""Entry prices: free, a monthly price, or "contact sales".

Content files write the price as text. ``parse_price`` accepts a few spellings of each
kind and returns one normal form, so every page shows prices the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FREE = "free"
MONTHLY = "monthly"
CONTACT_SALES = "contact-sales"

# "$20/month", "€9.50 per month", "£5 a month", "$20/mo"
_MONTHLY = re.compile(
    r"^(?P<currency>[$€£])\s*(?P<amount>\d{1,6}(?:\.\d{2})?)"
    r"\s*(?:/|per|a)\s*(?:month|mo)$",
    re.IGNORECASE,
)
_FREE = {"free", "$0", "0"}
_CONTACT = {"contact sales", "contact-sales", "contact us"}

PRICE_HELP = 'use "Free", "Contact sales" or a monthly price such as "$20/month"'


@dataclass(frozen=True)
class Price:
    """An entry price in its normal form."""

    kind: str
    currency: str = ""
    amount: str = ""

    @property
    def label(self) -> str:
        if self.kind == FREE:
            return "Free"
        if self.kind == CONTACT_SALES:
            return "Contact sales"

        return f"{self.currency}{self.amount}/month"

    @property
    def explanation(self) -> str:
        """Return a note on what the label leaves out, or "" when none is needed."""
        if self.kind == CONTACT_SALES:
            return "no public price: the vendor quotes on request"

        return ""


def parse_price(text: str) -> Price:
    """Return the ``Price`` that ``text`` names, or raise ``ValueError``."""
    cleaned = " ".join(text.split())
    lowered = cleaned.lower()

    if lowered in _FREE:
        return Price(FREE)
    if lowered in _CONTACT:
        return Price(CONTACT_SALES)

    match = _MONTHLY.match(cleaned)
    if match is None:
        raise ValueError(f"{text!r} is not a price; {PRICE_HELP}")

    amount = match["amount"]
    if amount.endswith(".00"):
        amount = amount.removesuffix(".00")
    if float(amount) == 0:
        return Price(FREE)

    return Price(MONTHLY, match["currency"], amount)
