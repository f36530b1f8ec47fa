"""Vote activity for moderators: totals, hourly series and the busiest hashes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ...models import Comparison, Tool, Vote
from .bursts import Burst, find_bursts


@dataclass(frozen=True)
class ComparisonSummary:
    id: int
    slug: str
    title: str
    status: str
    voting_open: bool
    counted: int
    voided: int
    last_hour: int
    last_day: int


@dataclass(frozen=True)
class ToolSeries:
    slug: str
    name: str
    counted: list[int]


@dataclass(frozen=True)
class HourlySeries:
    """Votes per hour from ``hours[0]`` to the hour holding the window's end."""

    hours: list[dt.datetime]
    tools: list[ToolSeries]
    voided: list[int]

    @property
    def totals(self) -> list[int]:
        return [
            sum(tool.counted[i] for tool in self.tools) + self.voided[i]
            for i in range(len(self.hours))
        ]

    @property
    def counted(self) -> list[int]:
        return [
            sum(tool.counted[i] for tool in self.tools) for i in range(len(self.hours))
        ]


@dataclass(frozen=True)
class HashActivity:
    """Votes from one IP hash or visitor hash on one comparison."""

    value: str
    votes: int
    counted: int
    first_at: dt.datetime
    last_at: dt.datetime


def _counted(condition=None):
    test = Vote.voided_at.is_(None)
    if condition is not None:
        test = test & condition
    return func.coalesce(func.sum(case((test, 1), else_=0)), 0)


def summaries(session: Session, now: dt.datetime) -> list[ComparisonSummary]:
    """Return every comparison with its counted, voided and recent vote numbers."""
    votes = (
        select(
            Vote.comparison_id,
            _counted().label("counted"),
            func.coalesce(
                func.sum(case((Vote.voided_at.is_not(None), 1), else_=0)), 0
            ).label("voided"),
            _counted(Vote.created_at >= now - dt.timedelta(hours=1)).label("hour"),
            _counted(Vote.created_at >= now - dt.timedelta(days=1)).label("day"),
        )
        .group_by(Vote.comparison_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Comparison.id,
            Comparison.slug,
            Comparison.title,
            Comparison.status,
            Comparison.voting_open,
            func.coalesce(votes.c.counted, 0),
            func.coalesce(votes.c.voided, 0),
            func.coalesce(votes.c.hour, 0),
            func.coalesce(votes.c.day, 0),
        )
        .outerjoin(votes, votes.c.comparison_id == Comparison.id)
        .order_by(Comparison.published_on.desc(), Comparison.id.desc())
    )
    return [ComparisonSummary(*row) for row in rows]


def floor_hour(value: dt.datetime) -> dt.datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def _hour_bucket(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc("hour", Vote.created_at)

    return func.strftime("%Y-%m-%d %H:00:00", Vote.created_at)


def _as_datetime(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value

    return dt.datetime.fromisoformat(value)


def hourly_series(
    session: Session, comparison_id: int, start: dt.datetime, end: dt.datetime
) -> HourlySeries:
    """Count votes per hour and tool from ``start`` up to ``end``, both UTC.

    Counted votes are split by tool; voided votes are one series of their own.
    """
    first = floor_hour(start)
    hours = []
    hour = first
    while hour <= end:
        hours.append(hour)
        hour += dt.timedelta(hours=1)

    tools = session.execute(
        select(Tool.id, Tool.slug, Tool.name)
        .where(Tool.comparison_id == comparison_id)
        .order_by(Tool.position)
    ).all()
    counted = {tool_id: [0] * len(hours) for tool_id, _, _ in tools}
    voided = [0] * len(hours)

    bucket = _hour_bucket(session).label("bucket")
    rows = session.execute(
        select(bucket, Vote.tool_id, Vote.voided_at.is_not(None), func.count())
        .where(
            Vote.comparison_id == comparison_id,
            Vote.created_at >= first,
            Vote.created_at <= end,
        )
        .group_by(bucket, Vote.tool_id, Vote.voided_at.is_not(None))
    )
    for raw_hour, tool_id, is_voided, count in rows:
        index = int((_as_datetime(raw_hour) - first).total_seconds() // 3600)
        if not 0 <= index < len(hours):
            continue
        if is_voided:
            voided[index] += count
        else:
            counted[tool_id][index] += count

    return HourlySeries(
        hours=hours,
        tools=[
            ToolSeries(slug, name, counted[tool_id]) for tool_id, slug, name in tools
        ],
        voided=voided,
    )


def busiest(
    session: Session, comparison_id: int, column: str, limit: int = 10
) -> list[HashActivity]:
    """Return the IP hashes (``column="ip_hash"``) or visitor hashes with most votes."""
    attribute = {"ip_hash": Vote.ip_hash, "visitor_hash": Vote.visitor_hash}[column]
    votes = func.count().label("votes")
    rows = session.execute(
        select(
            attribute,
            votes,
            _counted(),
            func.min(Vote.created_at),
            func.max(Vote.created_at),
        )
        .where(Vote.comparison_id == comparison_id, attribute.is_not(None))
        .group_by(attribute)
        .order_by(votes.desc(), attribute)
        .limit(limit)
    )
    return [HashActivity(*row) for row in rows]


def first_vote_at(session: Session, comparison_id: int) -> dt.datetime | None:
    return session.scalar(
        select(func.min(Vote.created_at)).where(Vote.comparison_id == comparison_id)
    )


def recent_activity(
    session: Session,
    comparison_id: int,
    now: dt.datetime,
    days: int,
    *,
    factor: float,
    min_votes: int,
) -> tuple[HourlySeries, list[Burst]]:
    """Return the last ``days`` of hourly votes and the bursts flagged in them."""
    series = hourly_series(session, comparison_id, now - dt.timedelta(days=days), now)
    bursts = find_bursts(
        series.hours, series.totals, series.counted, factor=factor, min_votes=min_votes
    )
    return series, bursts
