"""Build comparison files in the content format for tests that need many of them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import tomli_w

from versus.content.importer import import_specs
from versus.content.schema import parse_text
from versus.extensions import db

REVIEWERS = [
    ("builder", "The Builder", "Developer experience"),
    ("skeptic", "The Skeptic", "Competition and risk"),
    ("futurist", "The Futurist", "Where the market is going"),
    ("buyer", "The Buyer", "The buyer and the job to be done"),
]


def comparison_data(
    slug: str,
    *,
    names: tuple[str, str] = ("Alpha", "Beta"),
    category: str = "Test Tools",
    categories: tuple[str, str] | None = None,
    prices: tuple[str, str] = ("Free", "Free"),
    calls: dict[str, tuple[str, str]] | None = None,
    status: str = "published",
    published: dt.date | None = dt.date(2026, 1, 15),
    sample: bool = False,
) -> dict:
    """Return a valid comparison as TOML-ready data; ``calls`` maps reviewer slug to
    its (first tool, second tool) verdicts, and defaults to four ships on both."""
    calls = calls or {reviewer[0]: ("ship", "ship") for reviewer in REVIEWERS}
    categories = categories or (category, category)
    tool_slugs = [f"{slug}-a", f"{slug}-b"]
    data: dict = {"slug": slug, "status": status}

    if published is not None:
        data["published"] = published
    if sample:
        data["sample"] = True

    data |= {
        "question": f"Which of {names[0]} and {names[1]} should you pick?",
        "intro": "The panel verdict, the reviewer split, pricing and the vote.",
        "pricing_note": "Prices as listed by each vendor.",
        "tools": [
            {
                "slug": tool_slugs[index],
                "name": names[index],
                "category": categories[index],
                "tagline": f"The tagline of {names[index]}",
                "price": prices[index],
                "description": f"What {names[index]} does.",
            }
            for index in range(2)
        ],
        "reviewers": [
            {"slug": key, "name": name, "lens": lens}
            for key, name, lens in REVIEWERS
            if key in calls
        ],
        "verdicts": [
            {
                "reviewer": key,
                "tool": tool_slugs[index],
                "verdict": calls[key][index],
                "quote": f"{name} on {names[index]}: a reason for the call.",
            }
            for key, name, _ in REVIEWERS
            if key in calls
            for index in range(2)
        ],
    }
    return data


def comparison_text(slug: str, **options) -> str:
    return tomli_w.dumps(comparison_data(slug, **options))


def write_comparison(folder: Path, slug: str, **options) -> Path:
    path = folder / f"{slug}.toml"
    path.write_text(comparison_text(slug, **options))
    return path


def import_comparisons(app, *texts: str) -> None:
    """Import comparison texts straight into the app's database."""
    with app.app_context():
        specs = [
            parse_text(text, f"test-{index}.toml") for index, text in enumerate(texts)
        ]
        import_specs(db.session, specs)
