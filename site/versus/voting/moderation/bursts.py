"""Flag hours whose vote count jumps well above a comparison's usual hourly rate."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Burst:
    """A run of consecutive flagged hours; ``end`` is the first hour after it."""

    start: dt.datetime
    end: dt.datetime
    votes: int
    counted: int
    threshold: float


# The median covers at least this many hours, counting the latest ones. With three
# or more hours, one hour can only be the median if another is at least as busy, so a
# lone stuffed hour never sets its own bar.
MIN_BASELINE_HOURS = 3


def usual_rate(totals: list[int]) -> float:
    """Return the median votes per hour from the first hour with votes onwards.

    The median ignores a few extreme hours, so a burst does not raise the bar it is
    measured against. Quiet hours count as zero. When fewer than
    ``MIN_BASELINE_HOURS`` hours have passed since the first vote, the median takes
    in the last ``MIN_BASELINE_HOURS`` hours, whose earlier ones had no votes: so in
    a comparison's first hour, or the first hour with votes in the window, a burst
    is measured against quiet hours rather than against itself.
    """
    first = next((i for i, total in enumerate(totals) if total), None)
    if first is None:
        return 0.0

    start = min(first, max(0, len(totals) - MIN_BASELINE_HOURS))
    return float(statistics.median(totals[start:]))


def find_bursts(
    hours: list[dt.datetime],
    totals: list[int],
    counted: list[int],
    *,
    factor: float,
    min_votes: int,
) -> list[Burst]:
    """Group hours with at least ``max(min_votes, factor * usual rate)`` votes.

    ``totals`` counts every vote cast in each hour, voided or not, so a burst stays
    visible after it is voided; ``counted`` says how many of them still count.
    """
    threshold = max(float(min_votes), factor * usual_rate(totals))
    bursts: list[Burst] = []
    run: list[int] = []

    for index in range(len(hours) + 1):
        flagged = index < len(hours) and totals[index] >= threshold
        if flagged:
            run.append(index)
            continue

        if run:
            bursts.append(
                Burst(
                    start=hours[run[0]],
                    end=hours[run[-1]] + dt.timedelta(hours=1),
                    votes=sum(totals[i] for i in run),
                    counted=sum(counted[i] for i in run),
                    threshold=threshold,
                )
            )
            run = []

    return bursts
