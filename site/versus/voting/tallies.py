"""Arithmetic behind the numbers on the page: shares, intervals and the panel figure."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054


def rounded_shares(counts: list[int]) -> list[int] | None:
    """Round each count's share to whole percents that add up to exactly 100.

    Uses the largest-remainder method in integer arithmetic. A tie in remainders goes
    to the smaller count, so 199 to 1 reads 99% to 1% rather than 100% to 0%. Returns
    ``None`` when there is nothing to share yet, so callers show a dash instead of 0%.
    """
    total = sum(counts)
    if total == 0:
        return None

    shares = [count * 100 // total for count in counts]
    remainders = [count * 100 % total for count in counts]
    missing = 100 - sum(shares)
    order = sorted(range(len(counts)), key=lambda i: (-remainders[i], counts[i], i))

    for index in order[:missing]:
        shares[index] += 1

    return shares


def wilson_interval(successes: int, total: int, z: float = Z_95) -> tuple[float, float]:
    """Return the Wilson score interval for a proportion, as fractions from 0 to 1."""
    if total <= 0:
        return 0.0, 1.0

    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    margin = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    margin /= denominator
    return max(0.0, centre - margin), min(1.0, centre + margin)


@dataclass(frozen=True)
class CommunityCall:
    """Whether the community vote names a winner, and which index."""

    winner: int | None
    reason: str


def call_winner(counts: list[int], min_votes: int) -> CommunityCall:
    """Name a winner only with enough votes and a 95% interval wholly above one half."""
    total = sum(counts)

    if total == 0:
        return CommunityCall(None, "no-votes")

    if total < min_votes:
        return CommunityCall(None, "too-small")

    leader = max(range(len(counts)), key=lambda i: counts[i])
    low, _ = wilson_interval(counts[leader], total)

    # With two tools, the leader wins only if its whole interval is above one half.
    if low <= 0.5:
        return CommunityCall(None, "too-close")

    return CommunityCall(leader, "called")


def panel_share(ships: int, reviewers: int) -> int | None:
    """Return the panel's ship percentage rounded half up, or ``None`` with no panel."""
    if reviewers == 0:
        return None

    return math.floor(ships * 100 / reviewers + 0.5)
