"""Check and rebuild the vote counters against the vote rows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from .models import Comparison, Tool, Vote


@dataclass(frozen=True)
class Mismatch:
    comparison_slug: str
    tool_slug: str
    tool_id: int
    counter: int
    counted: int


def find_mismatches(session: Session) -> list[Mismatch]:
    counted = (
        select(Vote.tool_id, func.count().label("counted"))
        .where(Vote.voided_at.is_(None))
        .group_by(Vote.tool_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Comparison.slug,
            Tool.slug,
            Tool.id,
            Tool.votes,
            func.coalesce(counted.c.counted, 0),
        )
        .join(Tool, Tool.comparison_id == Comparison.id)
        .outerjoin(counted, counted.c.tool_id == Tool.id)
        .order_by(Comparison.slug, Tool.position)
    )
    return [Mismatch(*row) for row in rows if row[3] != row[4]]


def rebuild_counters(session: Session) -> int:
    """Set each mismatched counter to its counted rows; return how many changed."""
    mismatches = find_mismatches(session)

    for row in mismatches:
        session.execute(update(Tool).where(Tool.id == row.tool_id).values(votes=row.counted))
        session.execute(
            update(Comparison)
            .where(Comparison.slug == row.comparison_slug)
            .values(tally_version=Comparison.tally_version + 1)
        )

    session.commit()
    return len(mismatches)
