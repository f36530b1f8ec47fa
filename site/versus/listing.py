"""Which comparisons readers see, and the queries behind the index and category pages.

A comparison is visible when its status is ``published`` and its publication date is
today or earlier (UTC). Drafts and comparisons dated in the future are left out of
every list and their URLs return 404, so an editor can import a piece ahead of its
date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import Comparison, Reviewer, Tool


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def visible_to_readers(day: dt.date | None = None) -> ColumnElement[bool]:
    """Return the SQL condition for comparisons readers may see on ``day``.

    ``day`` defaults to today in UTC.
    """
    return and_(
        Comparison.status == "published",
        Comparison.published_on.is_not(None),
        Comparison.published_on <= (day or today()),
    )


def listing_statement(category_slug: str | None = None) -> Select:
    """Select visible comparisons, newest first, with what an index card shows."""
    statement = (
        select(Comparison)
        .where(visible_to_readers())
        .options(
            selectinload(Comparison.tools),
            selectinload(Comparison.reviewers).selectinload(Reviewer.verdicts),
        )
        .order_by(Comparison.published_on.desc(), Comparison.id.desc())
    )

    if category_slug is not None:
        in_category = select(Tool.comparison_id).where(
            Tool.category_slug == category_slug
        )
        statement = statement.where(Comparison.id.in_(in_category))

    return statement


@dataclass(frozen=True)
class Category:
    slug: str
    name: str
    comparisons: int


def categories() -> list[Category]:
    """Return every category with at least one visible comparison, by name."""
    statement = (
        select(
            Tool.category_slug,
            func.min(Tool.category),
            func.count(func.distinct(Tool.comparison_id)),
        )
        .join(Comparison, Comparison.id == Tool.comparison_id)
        .where(visible_to_readers())
        .group_by(Tool.category_slug)
        .order_by(func.min(Tool.category))
    )
    return [Category(*row) for row in db.session.execute(statement)]


def sitemap_entries() -> list[tuple[str, dt.date]]:
    """Return (slug, last modified day) for every visible comparison, newest first."""
    statement = (
        select(Comparison.slug, Comparison.published_on, Comparison.updated_at)
        .where(visible_to_readers())
        .order_by(Comparison.published_on.desc(), Comparison.id.desc())
    )
    entries = []

    for slug, published_on, updated_at in db.session.execute(statement):
        # A re-import before the publication date must not date the page earlier.
        entries.append((slug, max(published_on, updated_at.date())))

    return entries
