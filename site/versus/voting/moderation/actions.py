"""Moderator actions: void, reset, restore, close and reopen, each with an audit entry.

Every action runs in one transaction that starts by bumping the comparison's
``tally_version``. That first write takes the comparison's row lock on PostgreSQL
and the database write lock on SQLite. The vote transaction starts with the same
row update, so no vote for this comparison commits between the action reading the
votes and committing its changes, and the counters change by exactly the rows changed.

Redis claims are released or re-taken only after the commit. If Redis fails then,
the result has ``guard_synced`` false. The database stays correct because its
partial unique index allows one counted vote per visitor, and the vote service
clears a claim whose vote was voided.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...models import Comparison, ModerationAction, Tool, Vote, utcnow
from ...plurals import count_of
from ..guard import GuardUnavailable, VoteGuard
from .errors import Conflict, NotFound
from .inputs import Reasons, VoteFilter

logger = logging.getLogger(__name__)

VOID = "void"
RESET = "reset"
RESTORE = "restore"
CLOSE = "close"
REOPEN = "reopen"
# Actions that void votes, and so can be undone by a restore.
VOIDING_ACTIONS = (VOID, RESET)
CHUNK = 500


@dataclass(frozen=True)
class ToolCount:
    slug: str
    name: str
    votes: int


@dataclass(frozen=True)
class Preview:
    """The counted votes a void would change, before anything is written."""

    votes: int
    tools: list[ToolCount]
    first_at: dt.datetime | None
    last_at: dt.datetime | None


@dataclass(frozen=True)
class ActionResult:
    """The outcome of one action; ``skipped`` counts votes a restore left voided."""

    entry_id: int
    action: str
    votes_changed: int
    tools: list[ToolCount] = field(default_factory=list)
    skipped: int = 0
    guard_synced: bool = True


def _chunks(values: Sequence[int] | Sequence[str]) -> Iterator[Sequence]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _filter_conditions(vote_filter: VoteFilter, tools: dict[int, Tool]) -> list:
    conditions: list[ColumnElement[bool]] = []

    if vote_filter.ip_hash:
        conditions.append(Vote.ip_hash == vote_filter.ip_hash)
    if vote_filter.visitor_hash:
        conditions.append(Vote.visitor_hash == vote_filter.visitor_hash)
    if vote_filter.tool_slug:
        tool_id = next(i for i, t in tools.items() if t.slug == vote_filter.tool_slug)
        conditions.append(Vote.tool_id == tool_id)
    if vote_filter.since:
        conditions.append(Vote.created_at >= vote_filter.since)
    if vote_filter.until:
        conditions.append(Vote.created_at < vote_filter.until)

    return conditions


def _tools(session: Session, comparison_id: int) -> dict[int, Tool]:
    rows = session.scalars(
        select(Tool).where(Tool.comparison_id == comparison_id).order_by(Tool.position)
    )
    return {tool.id: tool for tool in rows}


def _tool_counts(tools: dict[int, Tool], per_tool: Counter[int]) -> list[ToolCount]:
    return [
        ToolCount(tool.slug, tool.name, per_tool.get(tool_id, 0))
        for tool_id, tool in tools.items()
    ]


def _lock(session: Session, comparison_id: int) -> bool:
    """Bump the tally version, taking the comparison's write lock; return voting_open.

    Raises ``NotFound`` when there is no such comparison.
    """
    bumped = session.execute(
        update(Comparison)
        .where(Comparison.id == comparison_id)
        .values(tally_version=Comparison.tally_version + 1)
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:
        session.rollback()
        raise NotFound("There is no such comparison.")

    return bool(
        session.scalar(
            select(Comparison.voting_open).where(Comparison.id == comparison_id)
        )
    )


def _write_entry(
    session: Session,
    *,
    actor: str,
    action: str,
    comparison_id: int,
    reasons: Reasons,
    votes_changed: int,
    details: dict | None = None,
    reverses: int | None = None,
    now: dt.datetime,
) -> ModerationAction:
    entry = ModerationAction(
        created_at=now,
        actor=actor,
        action=action,
        comparison_id=comparison_id,
        filter_json=json.dumps(details or {}, sort_keys=True),
        votes_changed=votes_changed,
        public_reason=reasons.public,
        private_reason=reasons.private,
        reverses_action_id=reverses,
    )
    session.add(entry)
    session.flush()
    return entry


def _adjust_counters(
    session: Session, comparison_id: int, per_tool: Counter[int], sign: int
) -> None:
    for tool_id, count in per_tool.items():
        # Naming the comparison lets the snapshot cache republish only this one.
        session.execute(
            update(Tool)
            .where(Tool.id == tool_id, Tool.comparison_id == comparison_id)
            .values(votes=Tool.votes + sign * count)
            .execution_options(synchronize_session=False)
        )


def _set_void_state(
    session: Session, ids: Sequence[int], still: ColumnElement[bool], values: dict
) -> int:
    """Update the given votes where ``still`` holds; return how many rows changed."""
    changed = 0

    for chunk in _chunks(ids):
        result = session.execute(
            update(Vote)
            .where(Vote.id.in_(chunk), still)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount

    return changed


def preview_void(
    session: Session, comparison_id: int, vote_filter: VoteFilter
) -> Preview:
    """Count the counted votes ``vote_filter`` matches, per tool, writing nothing."""
    tools = _tools(session, comparison_id)
    if not tools:
        raise NotFound("There is no such comparison.")

    conditions = _filter_conditions(vote_filter, tools)
    rows = session.execute(
        select(
            Vote.tool_id,
            func.count(),
            func.min(Vote.created_at),
            func.max(Vote.created_at),
        )
        .where(
            Vote.comparison_id == comparison_id, Vote.voided_at.is_(None), *conditions
        )
        .group_by(Vote.tool_id)
    ).all()

    per_tool = Counter({tool_id: count for tool_id, count, _, _ in rows})
    firsts = [row[2] for row in rows]
    lasts = [row[3] for row in rows]
    return Preview(
        votes=sum(per_tool.values()),
        tools=_tool_counts(tools, per_tool),
        first_at=min(firsts) if firsts else None,
        last_at=max(lasts) if lasts else None,
    )


def _void(
    session: Session,
    guard: VoteGuard,
    comparison_id: int,
    *,
    action: str,
    vote_filter: VoteFilter | None,
    reasons: Reasons,
    actor: str,
    expected: int | None,
    now: dt.datetime,
) -> ActionResult:
    _lock(session, comparison_id)
    tools = _tools(session, comparison_id)
    conditions = _filter_conditions(vote_filter, tools) if vote_filter else []
    rows = session.execute(
        select(Vote.id, Vote.tool_id, Vote.visitor_hash).where(
            Vote.comparison_id == comparison_id, Vote.voided_at.is_(None), *conditions
        )
    ).all()

    if not rows:
        session.rollback()
        raise Conflict("No counted votes match, so nothing was voided.")

    if expected is not None and expected != len(rows):
        session.rollback()
        raise Conflict(
            f"The preview showed {count_of(expected, 'vote')} but {len(rows)} "
            "match now. Preview again and check the numbers before confirming."
        )

    details = vote_filter.to_dict() if vote_filter else {}
    entry = _write_entry(
        session,
        actor=actor,
        action=action,
        comparison_id=comparison_id,
        reasons=reasons,
        votes_changed=len(rows),
        details=details,
        now=now,
    )
    ids = [row.id for row in rows]
    changed = _set_void_state(
        session,
        ids,
        Vote.voided_at.is_(None),
        {"voided_at": now, "void_action_id": entry.id},
    )
    if changed != len(rows):
        session.rollback()
        raise Conflict("The votes changed while voiding them. Nothing was voided.")

    per_tool = Counter(row.tool_id for row in rows)
    _adjust_counters(session, comparison_id, per_tool, -1)
    changes = _tool_counts(tools, per_tool)
    entry_id = entry.id
    session.commit()
    logger.info(
        "Moderation %s #%s on comparison %s by %s: %s voided",
        action,
        entry_id,
        comparison_id,
        actor,
        count_of(len(rows), "vote"),
    )

    visitors = sorted({row.visitor_hash for row in rows if row.visitor_hash})
    synced = _sync_guard(
        entry_id, lambda: guard.forget_visitors(comparison_id, visitors)
    )
    return ActionResult(entry_id, action, len(rows), changes, guard_synced=synced)


def _sync_guard(entry_id: int, call) -> bool:
    try:
        call()
    except GuardUnavailable:
        logger.exception(
            "Moderation #%s: could not update the vote guard's claims", entry_id
        )
        return False

    return True


def void_votes(
    session: Session,
    guard: VoteGuard,
    comparison_id: int,
    vote_filter: VoteFilter,
    reasons: Reasons,
    actor: str,
    *,
    expected: int | None = None,
    now: dt.datetime | None = None,
) -> ActionResult:
    """Void the counted votes matching ``vote_filter`` and release their visitors.

    ``expected`` is the count the moderator saw in the preview. When it is given and
    the number of matching votes differs, nothing changes and ``Conflict`` is raised.
    """
    return _void(
        session,
        guard,
        comparison_id,
        action=VOID,
        vote_filter=vote_filter,
        reasons=reasons,
        actor=actor,
        expected=expected,
        now=now or utcnow(),
    )


def reset_votes(
    session: Session,
    guard: VoteGuard,
    comparison_id: int,
    reasons: Reasons,
    actor: str,
    *,
    now: dt.datetime | None = None,
) -> ActionResult:
    """Void every counted vote of a comparison, so its tallies go to zero."""
    return _void(
        session,
        guard,
        comparison_id,
        action=RESET,
        vote_filter=None,
        reasons=reasons,
        actor=actor,
        expected=None,
        now=now or utcnow(),
    )


def _visitors_with_counted_vote(
    session: Session, comparison_id: int, visitors: Iterable[str]
) -> set[str]:
    found: set[str] = set()

    for chunk in _chunks(sorted(set(visitors))):
        found.update(
            session.scalars(
                select(Vote.visitor_hash).where(
                    Vote.comparison_id == comparison_id,
                    Vote.voided_at.is_(None),
                    Vote.visitor_hash.in_(chunk),
                )
            )
        )

    return found


def _none_restorable(count: int) -> str:
    if count == 1:
        return (
            "The one vote cannot be restored: its visitor has cast a new counted "
            "vote since."
        )

    return (
        f"None of the {count} votes can be restored: each of their visitors has "
        "cast a new counted vote since."
    )


def restore_action(
    session: Session,
    guard: VoteGuard,
    comparison_id: int,
    action_id: int,
    reasons: Reasons,
    actor: str,
    *,
    now: dt.datetime | None = None,
) -> ActionResult:
    """Count again the votes a void or reset voided, and re-claim their visitors.

    A vote whose visitor has since cast another counted vote stays voided and is
    reported in ``skipped``, so no visitor ends up with two counted votes. Restoring
    the same action again later picks up those votes if they can be counted by then.
    """
    now = now or utcnow()
    _lock(session, comparison_id)
    target = session.get(ModerationAction, action_id)

    if target is None or target.comparison_id != comparison_id:
        session.rollback()
        raise NotFound(f"There is no audit entry #{action_id} for this comparison.")

    if target.action not in VOIDING_ACTIONS:
        session.rollback()
        raise Conflict(
            f"Entry #{action_id} is a {target.action}; only a void or a reset can be "
            "restored."
        )

    rows = session.execute(
        select(Vote.id, Vote.tool_id, Vote.visitor_hash).where(
            Vote.comparison_id == comparison_id,
            Vote.void_action_id == action_id,
            Vote.voided_at.is_not(None),
        )
    ).all()
    if not rows:
        session.rollback()
        raise Conflict(f"Every vote that entry #{action_id} voided is counted again.")

    taken = _visitors_with_counted_vote(
        session, comparison_id, (row.visitor_hash for row in rows if row.visitor_hash)
    )
    restorable = [row for row in rows if row.visitor_hash not in taken]
    skipped = len(rows) - len(restorable)

    if not restorable:
        session.rollback()
        raise Conflict(_none_restorable(len(rows)))

    entry = _write_entry(
        session,
        actor=actor,
        action=RESTORE,
        comparison_id=comparison_id,
        reasons=reasons,
        votes_changed=len(restorable),
        details={"restores": action_id, "skipped": skipped},
        reverses=action_id,
        now=now,
    )

    try:
        changed = _set_void_state(
            session,
            [row.id for row in restorable],
            Vote.void_action_id == action_id,
            {"voided_at": None, "void_action_id": None},
        )
    except IntegrityError:
        # The partial unique index caught a second counted vote for a visitor.
        session.rollback()
        raise Conflict(
            "A visitor would have held two counted votes, so nothing was restored. "
            "Try again."
        ) from None

    if changed != len(restorable):
        session.rollback()
        raise Conflict("The votes changed while restoring them. Nothing was restored.")

    tools = _tools(session, comparison_id)
    per_tool = Counter(row.tool_id for row in restorable)
    _adjust_counters(session, comparison_id, per_tool, +1)
    changes = _tool_counts(tools, per_tool)
    choices = {
        row.visitor_hash: tools[row.tool_id].slug
        for row in restorable
        if row.visitor_hash
    }
    entry_id = entry.id
    session.commit()
    logger.info(
        "Moderation restore #%s of #%s on comparison %s by %s: %d restored, %d skipped",
        entry_id,
        action_id,
        comparison_id,
        actor,
        len(restorable),
        skipped,
    )

    synced = _sync_guard(
        entry_id, lambda: guard.remember_visitors(comparison_id, choices)
    )
    return ActionResult(
        entry_id,
        RESTORE,
        len(restorable),
        changes,
        skipped=skipped,
        guard_synced=synced,
    )


def set_voting_open(
    session: Session,
    comparison_id: int,
    open_voting: bool,
    reasons: Reasons,
    actor: str,
    *,
    now: dt.datetime | None = None,
) -> ActionResult:
    """Close or reopen voting on a comparison; the tallies stay as they are."""
    now = now or utcnow()
    currently_open = _lock(session, comparison_id)

    if currently_open == open_voting:
        session.rollback()
        state = "open" if open_voting else "closed"
        raise Conflict(f"Voting on this comparison is already {state}.")

    session.execute(
        update(Comparison)
        .where(Comparison.id == comparison_id)
        .values(voting_open=open_voting)
        .execution_options(synchronize_session=False)
    )
    action = REOPEN if open_voting else CLOSE
    entry = _write_entry(
        session,
        actor=actor,
        action=action,
        comparison_id=comparison_id,
        reasons=reasons,
        votes_changed=0,
        now=now,
    )
    entry_id = entry.id
    session.commit()
    logger.info(
        "Moderation %s #%s on comparison %s by %s",
        action,
        entry_id,
        comparison_id,
        actor,
    )
    return ActionResult(entry_id, action, 0)
