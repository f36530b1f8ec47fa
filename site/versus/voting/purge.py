"""Erase the keyed visitor and address hashes from old votes, keeping the votes.

Counters, tallies and the vote rows stay as they are. Only the three hash columns
become NULL. The partial unique index on counted votes allows that, because SQLite
and PostgreSQL (without NULLS NOT DISTINCT) treat NULLs in a unique index as
distinct. The guard's
claim for each erased visitor is deleted first, so Redis keeps no copy either.
A visitor whose identifiers were erased is unknown to the site afterwards, so they
could vote again on that comparison while its voting is open.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ..models import Vote
from .guard import VoteGuard


@dataclass(frozen=True)
class PurgeReport:
    votes: int
    claims_forgotten: int


def _has_identifiers():
    return or_(
        Vote.visitor_hash.is_not(None),
        Vote.ip_hash.is_not(None),
        Vote.network_hash.is_not(None),
    )


def _claims_to_forget(session: Session, cutoff: dt.datetime) -> dict[int, list[str]]:
    """Return, per comparison, the visitor hashes seen only on votes before cutoff."""
    rows = session.execute(
        select(Vote.comparison_id, Vote.visitor_hash, Vote.created_at < cutoff).where(
            Vote.visitor_hash.is_not(None)
        )
    )
    old: set[tuple[int, str]] = set()
    recent: set[tuple[int, str]] = set()
    for comparison_id, visitor_hash, is_old in rows:
        (old if is_old else recent).add((comparison_id, visitor_hash))

    claims: dict[int, list[str]] = {}
    for comparison_id, visitor_hash in sorted(old - recent):
        claims.setdefault(comparison_id, []).append(visitor_hash)
    return claims


def count_purgeable(session: Session, cutoff: dt.datetime) -> int:
    """Return how many votes older than ``cutoff`` still have an identifier."""
    statement = (
        select(func.count())
        .select_from(Vote)
        .where(Vote.created_at < cutoff, _has_identifiers())
    )
    return session.scalar(statement) or 0


def purge_identifiers(
    session: Session, guard: VoteGuard, cutoff: dt.datetime
) -> PurgeReport:
    """Erase identifiers from votes created before ``cutoff`` (naive UTC).

    Raises ``GuardUnavailable`` before touching the database if the guard's store
    cannot be reached, so a failed run changes nothing and can simply be repeated.
    """
    claims = _claims_to_forget(session, cutoff)
    for comparison_id, visitor_hashes in claims.items():
        guard.forget_visitors(comparison_id, visitor_hashes)

    result = session.execute(
        update(Vote)
        .where(Vote.created_at < cutoff, _has_identifiers())
        .values(visitor_hash=None, ip_hash=None, network_hash=None)
    )
    session.commit()
    return PurgeReport(
        votes=result.rowcount, claims_forgotten=sum(len(h) for h in claims.values())
    )
