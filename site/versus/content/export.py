"""Write a stored comparison back out in the content file format."""

from __future__ import annotations

import tomli_w

from ..models import Comparison


def export_comparison(comparison: Comparison) -> str:
    data: dict[str, object] = {}
    if comparison.sample:
        data["sample"] = True

    data |= {
        "slug": comparison.slug,
        "title": comparison.title,
        "status": comparison.status,
    }
    if comparison.published_on is not None:
        data["published"] = comparison.published_on

    data["question"] = comparison.question
    data["intro"] = comparison.intro
    data["pricing_note"] = comparison.pricing_note
    data["tools"] = [
        {
            "slug": tool.slug,
            "name": tool.name,
            "category": tool.category,
            "tagline": tool.tagline,
            "price": tool.price,
            "description": tool.description,
        }
        for tool in comparison.tools
    ]
    data["reviewers"] = [
        {"slug": r.slug, "name": r.name, "lens": r.lens} for r in comparison.reviewers
    ]
    data["verdicts"] = [
        {
            "reviewer": reviewer.slug,
            "tool": verdict.tool.slug,
            "verdict": verdict.verdict,
            "quote": verdict.quote,
        }
        for reviewer in comparison.reviewers
        for verdict in sorted(reviewer.verdicts, key=lambda v: v.tool.position)
    ]
    return tomli_w.dumps(data, multiline_strings=True)
