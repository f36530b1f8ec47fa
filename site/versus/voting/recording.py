"""The SQL that records one vote: the row, the counters and the tally version.

Plain Core statements built once, outside the ORM's unit of work, so they bypass
the session's change tracking (snapshots/tracking.py) on purpose: the vote guard's
confirmation publishes the new version after the commit. The counters come back
through RETURNING, so the reply needs no further read.

Every vote first updates its comparison's row, which takes that row's lock until
the commit. Moderation takes the same lock first (moderation/actions.py), so the
two take their locks in the same order. On PostgreSQL the three writes are one
statement in autocommit mode (see voting/service.py), so the server releases the
lock when it commits, without waiting for this process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, case, insert, select, text, update
from sqlalchemy.engine import Connection

from ..models import Comparison, Tool, Vote

_comparisons, _tools = Comparison.__table__, Tool.__table__

BUMP_TALLY_VERSION = (
    update(_comparisons)
    .where(_comparisons.c.id == bindparam("comparison"), _comparisons.c.voting_open)
    .values(tally_version=_comparisons.c.tally_version + 1)
    .returning(_comparisons.c.tally_version)
)
INSERT_VOTE = insert(Vote.__table__)
# Every tool of the comparison, so one statement returns the whole tally.
COUNT_VOTE = (
    update(_tools)
    .where(_tools.c.comparison_id == bindparam("comparison"))
    .values(
        votes=case(
            (_tools.c.id == bindparam("tool"), _tools.c.votes + 1),
            else_=_tools.c.votes,
        )
    )
    .returning(_tools.c.id, _tools.c.slug, _tools.c.votes)
)

# The same three writes as one PostgreSQL statement. Data-modifying CTEs all run,
# referenced or not. "bumped" is empty when voting is closed or the tool is not in
# the comparison, and then nothing is inserted or counted.
RECORD_VOTE_POSTGRESQL = text(
    """
    WITH bumped AS (
        UPDATE comparisons SET tally_version = tally_version + 1
        WHERE id = :comparison AND voting_open
          AND EXISTS (
              SELECT 1 FROM tools WHERE id = :tool AND comparison_id = :comparison
          )
        RETURNING tally_version
    ), inserted AS (
        INSERT INTO votes
            (comparison_id, tool_id, visitor_hash, ip_hash, network_hash, created_at)
        SELECT :comparison, :tool, :visitor_hash, :ip_hash, :network_hash, :created_at
        FROM bumped
    ), counted AS (
        UPDATE tools SET votes = votes + CASE WHEN id = :tool THEN 1 ELSE 0 END
        WHERE comparison_id = :comparison AND EXISTS (SELECT 1 FROM bumped)
        RETURNING slug, votes
    )
    SELECT bumped.tally_version, counted.slug, counted.votes FROM bumped, counted
    """
)

TOOL_IN_COMPARISON = select(_tools.c.id).where(
    _tools.c.id == bindparam("tool"), _tools.c.comparison_id == bindparam("comparison")
)


class ToolNotInComparison(Exception):
    """The ballot names a tool of another comparison; nothing was written."""


@dataclass(frozen=True)
class Recorded:
    tally_version: int
    counts: dict[str, int]


@dataclass(frozen=True)
class VoteRow:
    comparison_id: int
    tool_id: int
    visitor_hash: str
    ip_hash: str
    network_hash: str
    created_at: dt.datetime


def record_vote(connection: Connection, vote: VoteRow) -> Recorded | None:
    """Write the vote and bump the counters; return None if voting is closed.

    Raises ``ToolNotInComparison`` when the tool belongs to no open comparison of
    that id. The caller commits or rolls back.
    """
    if connection.dialect.name == "postgresql":
        return _record_in_one_statement(connection, vote)

    ids = {"comparison": vote.comparison_id, "tool": vote.tool_id}

    version = connection.execute(BUMP_TALLY_VERSION, ids).scalar()
    if version is None:
        return None

    connection.execute(
        INSERT_VOTE,
        {
            "comparison_id": vote.comparison_id,
            "tool_id": vote.tool_id,
            "visitor_hash": vote.visitor_hash,
            "ip_hash": vote.ip_hash,
            "network_hash": vote.network_hash,
            "created_at": vote.created_at,
        },
    )
    rows = connection.execute(COUNT_VOTE, ids).all()
    if all(tool_id != vote.tool_id for tool_id, _, _ in rows):
        raise ToolNotInComparison(f"tool {vote.tool_id} is not in this comparison")

    return Recorded(version, {slug: votes for _, slug, votes in rows})


def _record_in_one_statement(connection: Connection, vote: VoteRow) -> Recorded | None:
    rows = connection.execute(
        RECORD_VOTE_POSTGRESQL,
        {
            "comparison": vote.comparison_id,
            "tool": vote.tool_id,
            "visitor_hash": vote.visitor_hash,
            "ip_hash": vote.ip_hash,
            "network_hash": vote.network_hash,
            "created_at": vote.created_at,
        },
    ).all()
    if rows:
        return Recorded(rows[0][0], {slug: votes for _, slug, votes in rows})

    # Nothing was written: tell a wrong tool from a closed comparison. Voting may
    # have reopened since the statement, so the tool decides, not voting_open.
    ids = {"comparison": vote.comparison_id, "tool": vote.tool_id}
    if connection.execute(TOOL_IN_COMPARISON, ids).first() is None:
        raise ToolNotInComparison(f"tool {vote.tool_id} is not in this comparison")
    return None
