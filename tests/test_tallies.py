"""Shares, intervals and the winner call."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from versus.voting.tallies import (
    call_winner,
    panel_share,
    rounded_shares,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([0, 0], None),
        ([1, 0], [100, 0]),
        ([1, 2], [33, 67]),
        ([1, 1], [50, 50]),
        ([1, 1, 1], [34, 33, 33]),
        ([2, 1, 1], [50, 25, 25]),
        ([199, 1], [99, 1]),
        ([1, 199], [1, 99]),
        ([995, 5], [99, 1]),
        ([1, 1000], [0, 100]),
    ],
)
def test_rounded_shares(counts, expected):
    assert rounded_shares(counts) == expected


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=2, max_size=4))
def test_rounded_shares_add_to_100(counts):
    shares = rounded_shares(counts)

    if sum(counts) == 0:
        assert shares is None
    else:
        assert sum(shares) == 100
        for count, share in zip(counts, shares, strict=True):
            assert abs(share - count * 100 / sum(counts)) < 1


def test_wilson_interval_known_value():
    low, high = wilson_interval(8, 10)

    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_interval_edges():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(0, 20)
    assert low == 0.0
    assert 0 < high < 0.2


@pytest.mark.parametrize(
    ("counts", "min_votes", "winner", "reason"),
    [
        ([0, 0], 30, None, "no-votes"),
        ([10, 2], 30, None, "too-small"),
        ([52, 48], 30, None, "too-close"),
        ([80, 20], 30, 0, "called"),
        ([20, 80], 30, 1, "called"),
        ([30, 30], 30, None, "too-close"),
    ],
)
def test_call_winner(counts, min_votes, winner, reason):
    call = call_winner(counts, min_votes)

    assert call.winner == winner
    assert call.reason == reason


def test_panel_share():
    assert panel_share(4, 4) == 100
    assert panel_share(3, 4) == 75
    assert panel_share(1, 3) == 33
    assert panel_share(2, 3) == 67
    assert panel_share(0, 0) is None
