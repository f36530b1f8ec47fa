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


@dataclass(frozen=True)
class DuplicateVisitor:
    """A visitor with more than one counted vote on one comparison."""

    comparison_slug: str
    visitor_hash: str
    counted: int


def find_mismatches(
    session: Session, comparison_id: int | None = None
) -> list[Mismatch]:
    rows = select(Vote.tool_id, func.count().label("counted")).where(
        Vote.voided_at.is_(None)
    )
    if comparison_id is not None:
        rows = rows.where(Vote.comparison_id == comparison_id)
    counted = rows.group_by(Vote.tool_id).subquery()
    statement = (
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
    if comparison_id is not None:
        statement = statement.where(Comparison.id == comparison_id)

    return [Mismatch(*row) for row in session.execute(statement) if row[3] != row[4]]


def find_duplicate_visitors(session: Session) -> list[DuplicateVisitor]:
    """List visitors holding two or more counted votes on the same comparison.

    The partial unique index on votes should make this list empty; a non-empty one
    means the index is missing or was bypassed.
    """
    counted = func.count().label("counted")
    rows = session.execute(
        select(Comparison.slug, Vote.visitor_hash, counted)
        .join(Comparison, Comparison.id == Vote.comparison_id)
        .where(Vote.voided_at.is_(None), Vote.visitor_hash.is_not(None))
        .group_by(Comparison.slug, Vote.visitor_hash)
        .having(func.count() > 1)
        .order_by(Comparison.slug, Vote.visitor_hash)
    )
    return [DuplicateVisitor(*row) for row in rows]


def rebuild_counters(session: Session) -> int:
    """Set each mismatched counter to its counted rows; return how many changed.

    Each comparison is fixed in its own transaction that first bumps the tally
    version. That takes the row lock the vote transaction also takes, so no vote
    commits between counting the rows and writing the counter.
    """
    suspects = sorted({row.comparison_slug for row in find_mismatches(session)})
    session.rollback()
    changed = 0

    for slug in suspects:
        locked = session.execute(
            update(Comparison)
            .where(Comparison.slug == slug)
            .values(tally_version=Comparison.tally_version + 1)
            .returning(Comparison.id)
        ).scalar_one_or_none()
        if locked is None:
            session.rollback()
            continue

        mismatches = find_mismatches(session, locked)
        for row in mismatches:
            session.execute(
                update(Tool).where(Tool.id == row.tool_id).values(votes=row.counted)
            )

        if mismatches:
            session.commit()
            changed += len(mismatches)
        else:
            session.rollback()

    return changed
