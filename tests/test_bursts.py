"""Burst detection: the median baseline, including a comparison's first hours."""

from __future__ import annotations

import datetime as dt
import statistics

from hypothesis import given
from hypothesis import strategies as st

from versus.extensions import db
from versus.models import utcnow
from versus.voting.moderation.activity import floor_hour, recent_activity
from versus.voting.moderation.bursts import MIN_BASELINE_HOURS, find_bursts

from .conftest import SLUG
from .moderation_support import cast, comparison_id, signed_in

DAY_START = dt.datetime(2026, 11, 20, 0, 0)


def bursts_in(totals: list[int], factor: float = 4, min_votes: int = 10):
    hours = [DAY_START + dt.timedelta(hours=i) for i in range(len(totals))]
    found = find_bursts(hours, totals, totals, factor=factor, min_votes=min_votes)
    return [
        ((b.start - DAY_START) // dt.timedelta(hours=1), b.votes, b.threshold)
        for b in found
    ]


def test_lone_stuffed_first_hour_is_flagged():
    # A day window in which the only votes are forty in the current hour.
    assert bursts_in([0] * 23 + [40]) == [(23, 40, 10.0)]


def test_stuffed_first_hour_flagged_next_hour():
    assert bursts_in([0] * 22 + [40, 0]) == [(22, 40, 10.0)]
    assert bursts_in([0] * 22 + [40, 3]) == [(22, 40, 12.0)]


def test_first_hour_below_the_minimum_is_not_flagged():
    assert bursts_in([0] * 23 + [9]) == []


def test_steady_start_is_not_flagged():
    # Four hours of 11 to 15 votes: the median is 13, so the bar is 52.
    assert bursts_in([0] * 20 + [12, 15, 11, 14]) == []


def test_burst_after_steady_hours_is_flagged():
    assert bursts_in([0] * 18 + [3, 3, 2, 40, 3, 3]) == [(21, 40, 12.0)]


def test_two_equal_first_hours_not_flagged():
    # Documented limit: a median cannot tell two equal first hours from a launch.
    assert bursts_in([0] * 22 + [40, 40]) == []


def flagged_hours(totals: list[int], factor: float, min_votes: int) -> list[int]:
    hours = [DAY_START + dt.timedelta(hours=i) for i in range(len(totals))]
    found = find_bursts(hours, totals, totals, factor=factor, min_votes=min_votes)
    return [
        (hour - DAY_START) // dt.timedelta(hours=1)
        for burst in found
        for hour in hours
        if burst.start <= hour < burst.end
    ]


@given(
    totals=st.lists(st.integers(0, 60), min_size=1, max_size=72),
    factor=st.sampled_from([2.0, 4.0, 6.5]),
    min_votes=st.integers(1, 20),
)
def test_bar_unchanged_after_three_hours(totals, factor, min_votes):
    first = next((i for i, total in enumerate(totals) if total), None)
    if first is None or len(totals) - first < MIN_BASELINE_HOURS:
        return

    bar = max(float(min_votes), factor * statistics.median(totals[first:]))

    assert flagged_hours(totals, factor, min_votes) == [
        hour for hour, total in enumerate(totals) if total >= bar
    ]


def test_first_hour_burst_on_the_page(app, sample):
    now = utcnow()
    for i in range(12):
        cast(app, f"stuffer-{i}", "sam-3", ip="stuffer-ip", at=now)

    with app.app_context():
        _, bursts = recent_activity(
            db.session, comparison_id(app), now, 1, factor=4, min_votes=10
        )
    page = signed_in(app).get(f"/moderate/{SLUG}").get_data(as_text=True)

    assert [(b.start, b.votes) for b in bursts] == [(floor_hour(now), 12)]
    assert 'class="burst"' in page
    assert "No hour in this window stands out" not in page
