"""Geometry for the server-drawn votes-per-hour chart. No Flask imports.

The template draws it as inline SVG from these numbers, with classes for colour and
no inline styles or scripts, so a strict Content-Security-Policy can forbid both.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from ..plurals import count_of
from ..voting.moderation.activity import HourlySeries
from ..voting.moderation.bursts import Burst

WIDTH = 760
HEIGHT = 260
LEFT = 44
RIGHT = 12
TOP = 12
BOTTOM = 34
MIN_BAND_WIDTH = 6


@dataclass(frozen=True)
class Line:
    slug: str
    name: str
    index: int
    points: str
    votes: int


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


@dataclass(frozen=True)
class Band:
    """A flagged burst, drawn as a shaded band behind the lines."""

    x: float
    width: float
    label: str
    start: str
    end: str
    # The "burst" caption position, kept inside the plot even at its right edge.
    label_x: float
    label_anchor: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    lines: list[Line]
    voided: list[Bar]
    bursts: list[Band]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    peak: int
    hours: int


def nice_ceiling(value: int) -> int:
    """Round up to 1, 2 or 5 times a power of ten, and at least 5."""
    if value <= 5:
        return 5

    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power

    return 10 * power


def _hour_label(hour: dt.datetime) -> str:
    return hour.strftime("%Y-%m-%d %H:00")


def build_chart(series: HourlySeries, bursts: list[Burst]) -> Chart:
    """Place every hour, tool line, voided bar and burst band on the canvas."""
    count = max(len(series.hours), 1)
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    step = plot_width / count
    totals = series.totals
    peak = max(totals, default=0)
    top = nice_ceiling(peak)

    def x_of(index: float) -> float:
        return round(LEFT + index * step, 2)

    def y_of(value: int) -> float:
        return round(TOP + plot_height - value * plot_height / top, 2)

    lines = [
        Line(
            slug=tool.slug,
            name=tool.name,
            index=position,
            points=" ".join(
                f"{x_of(i + 0.5)},{y_of(value)}" for i, value in enumerate(tool.counted)
            ),
            votes=sum(tool.counted),
        )
        for position, tool in enumerate(series.tools)
    ]
    voided = [
        Bar(
            x=x_of(i),
            y=y_of(value),
            width=round(max(step - 1, 1), 2),
            height=round(value * plot_height / top, 2),
            label=f"{_hour_label(series.hours[i])} UTC: {value} voided",
        )
        for i, value in enumerate(series.voided)
        if value
    ]
    first = series.hours[0] if series.hours else None
    bands = []
    for burst in bursts:
        start = (burst.start - first).total_seconds() / 3600 if first else 0
        hours = (burst.end - burst.start).total_seconds() / 3600
        # A one-hour band in a 30-day window is under a pixel wide, so widen it.
        width = round(max(hours * step, MIN_BAND_WIDTH), 2)
        right_half = x_of(start) > LEFT + plot_width / 2
        bands.append(
            Band(
                x=x_of(start),
                width=width,
                label_x=round(
                    x_of(start) - 2 if right_half else x_of(start) + width + 2, 2
                ),
                label_anchor="end" if right_half else "start",
                label=(
                    f"Burst {_hour_label(burst.start)} to {_hour_label(burst.end)} "
                    f"UTC: {count_of(burst.votes, 'vote')}, "
                    f"{burst.counted} still counted"
                ),
                start=burst.start.strftime("%Y-%m-%dT%H:%M"),
                end=burst.end.strftime("%Y-%m-%dT%H:%M"),
            )
        )

    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=TOP + plot_height,
        lines=lines,
        voided=voided,
        bursts=bands,
        y_ticks=[Tick(y_of(v), str(v)) for v in (0, top // 2, top)],
        x_ticks=_x_ticks(series.hours, x_of),
        peak=peak,
        hours=len(series.hours),
    )


def _x_ticks(hours: list[dt.datetime], x_of) -> list[Tick]:
    """Label midnights, or every sixth hour when the window is two days or less."""
    every_six = len(hours) <= 48
    ticks = []

    for index, hour in enumerate(hours):
        if hour.hour == 0:
            ticks.append(Tick(x_of(index), hour.strftime("%-d %b")))
        elif every_six and hour.hour % 6 == 0:
            ticks.append(Tick(x_of(index), hour.strftime("%H:00")))

    return ticks
