"""The public note under a tally: how many votes moderators removed, when and why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import ModerationAction, Vote


@dataclass(frozen=True)
class RemovalNote:
    """One void or reset that still has votes voided. Holds no identifiers."""

    removed: int
    at: dt.datetime
    reason: str
    reset: bool


def removal_notes(session: Session, comparison_id: int) -> list[RemovalNote]:
    """Return the voids and resets whose votes are still voided, newest first.

    A restored vote no longer counts as removed, so a fully restored action
    disappears from the note.
    """
    removed = func.count(Vote.id).label("removed")
    rows = session.execute(
        select(
            removed,
            ModerationAction.created_at,
            ModerationAction.public_reason,
            ModerationAction.action,
        )
        .join(Vote, Vote.void_action_id == ModerationAction.id)
        .where(
            ModerationAction.comparison_id == comparison_id,
            Vote.comparison_id == comparison_id,
            Vote.voided_at.is_not(None),
        )
        .group_by(
            ModerationAction.id,
            ModerationAction.created_at,
            ModerationAction.public_reason,
            ModerationAction.action,
        )
        .order_by(ModerationAction.id.desc())
    )
    return [
        RemovalNote(count, at, reason, action == "reset")
        for count, at, reason, action in rows
    ]
