"""The public note under a tally: what moderators changed that is still in effect.

Readers see the public reason of each void or reset that still has votes voided,
and of the close that keeps voting closed. A restore or a reopen ends an earlier
note instead of adding one, so its reason stays in the audit log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Comparison, ModerationAction, Vote
from .actions import CLOSE, REOPEN, RESET


@dataclass(frozen=True)
class PublicNote:
    """One action still in effect and its public reason. Holds no identifiers.

    ``kind`` is ``"void"``, ``"reset"`` or ``"close"``; ``removed`` counts the
    votes a void or reset still keeps voided and is 0 for a close.
    """

    kind: str
    at: dt.datetime
    reason: str
    removed: int = 0

    @property
    def reset(self) -> bool:
        return self.kind == RESET


def _closure_note(session: Session, comparison_id: int) -> PublicNote | None:
    """Return the close that keeps voting closed, if a moderator closed it."""
    if session.scalar(
        select(Comparison.voting_open).where(Comparison.id == comparison_id)
    ):
        return None

    latest = session.execute(
        select(
            ModerationAction.action,
            ModerationAction.created_at,
            ModerationAction.public_reason,
        )
        .where(
            ModerationAction.comparison_id == comparison_id,
            ModerationAction.action.in_((CLOSE, REOPEN)),
        )
        .order_by(ModerationAction.id.desc())
        .limit(1)
    ).first()
    if latest is None or latest.action != CLOSE:
        return None

    return PublicNote(CLOSE, latest.created_at, latest.public_reason)


def _removal_notes(session: Session, comparison_id: int) -> list[PublicNote]:
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
    return [PublicNote(action, at, reason, count) for count, at, reason, action in rows]


def public_notes(session: Session, comparison_id: int) -> list[PublicNote]:
    """Return the close keeping voting closed, then the voids and resets whose votes
    are still voided, newest first.

    A restored vote no longer counts as removed, so a fully restored action
    disappears from the note, and a reopen removes the close.
    """
    closure = _closure_note(session, comparison_id)
    removals = _removal_notes(session, comparison_id)
    return [closure, *removals] if closure else removals
