"""The vote transaction: claim in the guard, write the row and counters, confirm.

Works on a plain SQLAlchemy session and a guard, so it runs the same under Flask,
the command line and the tests.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from ..models import Tool, Vote
from .guard import DUPLICATE, Claim, ClaimRequest, GuardUnavailable, VoteGuard
from .recording import Recorded, ToolNotInComparison, VoteRow, record_vote

logger = logging.getLogger(__name__)


class Outcome(StrEnum):
    ACCEPTED = "accepted"
    ALREADY_VOTED = "already-voted"
    IP_LIMITED = "ip-limited"
    NETWORK_LIMITED = "network-limited"
    CLOSED = "closed"
    # The ballot was checked against content that has changed since: check it
    # again and cast it anew. Nothing was claimed or written.
    STALE = "stale"


@dataclass(frozen=True)
class Ballot:
    comparison_id: int
    tool_id: int
    tool_slug: str
    visitor_hash: str
    ip_hash: str
    network_hash: str
    # The content version the ballot was checked against, if the caller has one.
    content_version: bytes | None = None
    # Only for log lines, so they can be matched to the request that cast the vote.
    request_id: str = "-"


@dataclass(frozen=True)
class VoteResult:
    outcome: Outcome
    # The tool this visitor's counted vote is for, when there is one.
    tool_slug: str | None = None
    retry_after: int = 0
    # For an accepted vote: the counters and tally version its own statements
    # returned, and whether the guard already published the comparison's new
    # version to other processes (if not, the caller must).
    counts: dict[str, int] | None = None
    tally_version: int | None = None
    published: bool = False


class VoteStorageError(Exception):
    """The database failed while recording a vote; nothing was counted."""


class StaleBallot(VoteStorageError):
    """The ballot names a tool the comparison no longer has; nothing was counted."""


def counted_choice(
    session: Session, comparison_id: int, visitor_hash: str
) -> str | None:
    """Return the slug of the tool this visitor's counted vote is for, if any."""
    statement = (
        select(Tool.slug)
        .join(Vote, Vote.tool_id == Tool.id)
        .where(
            Vote.comparison_id == comparison_id,
            Vote.visitor_hash == visitor_hash,
            Vote.voided_at.is_(None),
        )
    )
    return session.scalar(statement)


def _claim_outlived_vote(session: Session, claim: Claim) -> bool:
    """Tell whether a confirmed claim has no counted vote behind it any more.

    A claim is confirmed only after its vote commits, so a confirmed claim without a
    counted vote means a moderator voided that vote. A pending claim belongs to a
    request still in flight and is left alone.
    """
    if claim.status != DUPLICATE or claim.existing.startswith("pending:"):
        return False

    request = claim.request
    return counted_choice(session, request.comparison_id, request.visitor_hash) is None


def _release_quietly(guard: VoteGuard, claim: Claim, ballot: Ballot) -> None:
    # The pending claim expires by itself, so a failed release only delays a retry.
    try:
        guard.release(claim)
    except GuardUnavailable as error:
        logger.error(
            "Could not release vote claim for comparison %s (request %s); "
            "it expires by itself: %s",
            ballot.comparison_id,
            ballot.request_id,
            error,
        )


def _store(
    session: Session,
    row: VoteRow,
    write_lock: Callable[[], AbstractContextManager],
) -> Recorded | None:
    """Write the vote in its own transaction and commit it, unless voting is closed."""
    engine = session.get_bind()
    if engine.dialect.name == "postgresql":
        # One statement in autocommit mode: PostgreSQL commits it before it
        # replies, so the comparison's row lock, which every vote takes, is never
        # held while this process gets round to sending COMMIT.
        with engine.connect() as connection:
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            return record_vote(autocommit, row)

    with write_lock():
        recorded = record_vote(session.connection(), row)
        if recorded is not None:
            session.commit()
        else:
            session.rollback()
    return recorded


def cast_vote(
    session: Session,
    guard: VoteGuard,
    ballot: Ballot,
    now: dt.datetime | None = None,
    write_lock: Callable[[], AbstractContextManager] = nullcontext,
) -> VoteResult:
    """Count one vote, at most once per visitor, or say why not.

    ``write_lock`` is held around the database transaction (SQLite queues its
    writers with it). Raises ``GuardUnavailable`` when the guard cannot be reached
    (nothing is written) and ``VoteStorageError`` when the database fails (the
    claim is released).
    """
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    request = ClaimRequest(
        ballot.comparison_id,
        ballot.visitor_hash,
        ballot.ip_hash,
        ballot.network_hash,
        ballot.content_version,
    )

    claim = guard.claim(request)

    if _claim_outlived_vote(session, claim):
        # The visitor's vote was voided but its claim could not be released then.
        guard.forget_visitors(ballot.comparison_id, [ballot.visitor_hash])
        logger.info("Released a stale claim on comparison %s", ballot.comparison_id)
        claim = guard.claim(request)

    if claim.status == DUPLICATE:
        existing = counted_choice(session, ballot.comparison_id, ballot.visitor_hash)
        # Without a counted vote the claim is pending: retry once it expires.
        wait = 0 if existing is not None else claim.retry_after
        return VoteResult(Outcome.ALREADY_VOTED, tool_slug=existing, retry_after=wait)

    if not claim.granted:
        outcome = Outcome(claim.status.replace("_", "-"))
        return VoteResult(outcome, retry_after=claim.retry_after)

    row = VoteRow(
        comparison_id=ballot.comparison_id,
        tool_id=ballot.tool_id,
        visitor_hash=ballot.visitor_hash,
        ip_hash=ballot.ip_hash,
        network_hash=ballot.network_hash,
        created_at=now,
    )

    try:
        recorded = _store(session, row, write_lock)
    except IntegrityError:
        # The database already holds a counted vote for this visitor (the guard's
        # store lost it, for example after a Redis restart).
        session.rollback()
        _release_quietly(guard, claim, ballot)
        existing = counted_choice(session, ballot.comparison_id, ballot.visitor_hash)
        if existing is None:
            raise VoteStorageError("vote rejected by a database constraint") from None

        try:
            guard.remember_visitors(
                ballot.comparison_id, {ballot.visitor_hash: existing}
            )
        except GuardUnavailable as error:
            logger.error(
                "Could not restore claim for comparison %s (request %s): %s",
                ballot.comparison_id,
                ballot.request_id,
                error,
            )
        return VoteResult(Outcome.ALREADY_VOTED, tool_slug=existing)
    except ToolNotInComparison as error:
        # The caller's copy of the tools is older than the database's.
        session.rollback()
        _release_quietly(guard, claim, ballot)
        raise StaleBallot(str(error)) from error
    except SQLAlchemyError as error:
        session.rollback()
        _release_quietly(guard, claim, ballot)
        raise VoteStorageError(str(error)) from error

    if recorded is None:
        _release_quietly(guard, claim, ballot)
        return VoteResult(Outcome.CLOSED)

    published = False
    try:
        published = guard.confirm(claim, ballot.tool_slug)
    except GuardUnavailable as error:
        # The vote is committed; the database index keeps the visitor to one vote
        # until the pending claim expires and the next attempt hits that index.
        logger.error(
            "Could not confirm claim for comparison %s (request %s): %s",
            ballot.comparison_id,
            ballot.request_id,
            error,
        )

    return VoteResult(
        Outcome.ACCEPTED,
        tool_slug=ballot.tool_slug,
        counts=recorded.counts,
        tally_version=recorded.tally_version,
        published=published,
    )
