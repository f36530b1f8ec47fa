"""Turn stored comparisons into the figures that pages, fragments and the API show."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .content.schema import SLUG
from .extensions import db
from .listing import visible_to_readers
from .models import Comparison, Reviewer, Tool, Verdict
from .reviewer_split import ReviewerCalls, SplitSummary, summarize_split
from .voting.tallies import (
    CommunityCall,
    call_winner,
    panel_share,
    rounded_shares,
    wilson_interval,
)


@dataclass(frozen=True)
class ToolTally:
    slug: str
    name: str
    votes: int
    community_pct: int | None
    interval_pct: tuple[int, int] | None
    panel_pct: int | None


@dataclass(frozen=True)
class TallyView:
    comparison_slug: str
    voting_open: bool
    version: int
    total: int
    tools: list[ToolTally]
    call: CommunityCall
    # Votes needed before the page names a community winner.
    min_votes: int = 0

    @property
    def etag(self) -> str:
        state = "open" if self.voting_open else "closed"
        return f"t{self.version}-{self.total}-{state}"

    @property
    def winner(self) -> ToolTally | None:
        return None if self.call.winner is None else self.tools[self.call.winner]


@dataclass(frozen=True)
class PanelFigures:
    ships: int
    total: int
    pct: int | None


@dataclass(frozen=True)
class ReviewerRow:
    name: str
    lens: str
    verdicts: list[Verdict]


@dataclass(frozen=True)
class PanelView:
    figures: dict[str, PanelFigures]
    rows: list[ReviewerRow]
    split: SplitSummary


def comparison_with_panel(slug: str):
    """Select one comparison with everything its page reads loaded up front."""
    return (
        select(Comparison)
        .where(Comparison.slug == slug)
        .options(
            selectinload(Comparison.tools),
            selectinload(Comparison.reviewers)
            .selectinload(Reviewer.verdicts)
            .selectinload(Verdict.tool),
        )
    )


def load_comparison(slug: str, *, include_drafts: bool = False) -> Comparison | None:
    """Load a comparison with its tools and panel.

    Readers see only published comparisons whose publication date has come;
    ``include_drafts`` also returns drafts and scheduled ones, for the command line.
    """
    # A value that cannot be a slug names no comparison; it never reaches SQL.
    if len(slug) > 120 or not SLUG.fullmatch(slug):
        return None

    statement = comparison_with_panel(slug)
    if not include_drafts:
        statement = statement.where(visible_to_readers())

    return db.session.scalar(statement)


def panel_figures(comparison: Comparison) -> dict[str, PanelFigures]:
    figures = {}

    for tool in comparison.tools:
        calls = [
            v for r in comparison.reviewers for v in r.verdicts if v.tool_id == tool.id
        ]
        ships = sum(1 for v in calls if v.verdict == "ship")
        figures[tool.slug] = PanelFigures(
            ships, len(calls), panel_share(ships, len(calls))
        )

    return figures


def panel_view(comparison: Comparison) -> PanelView:
    rows = [
        ReviewerRow(
            reviewer.name,
            reviewer.lens,
            sorted(reviewer.verdicts, key=lambda v: v.tool.position),
        )
        for reviewer in comparison.reviewers
    ]
    split = summarize_split(
        [tool.name for tool in comparison.tools],
        [
            ReviewerCalls(row.name, tuple(v.verdict for v in row.verdicts))
            for row in rows
        ],
    )
    return PanelView(panel_figures(comparison), rows, split)


def tally_view(
    comparison: Comparison,
    tools: list[Tool] | None = None,
    *,
    min_votes: int,
    panel: dict[str, PanelFigures] | None = None,
) -> TallyView:
    tools = tools if tools is not None else list(comparison.tools)
    counts = [tool.votes for tool in tools]
    total = sum(counts)
    shares = rounded_shares(counts)
    panel = panel if panel is not None else panel_figures(comparison)
    rows = []

    for index, tool in enumerate(tools):
        interval = None
        if total:
            low, high = wilson_interval(tool.votes, total)
            interval = (round(low * 100), round(high * 100))
        rows.append(
            ToolTally(
                slug=tool.slug,
                name=tool.name,
                votes=tool.votes,
                community_pct=None if shares is None else shares[index],
                interval_pct=interval,
                panel_pct=panel[tool.slug].pct if tool.slug in panel else None,
            )
        )

    return TallyView(
        comparison_slug=comparison.slug,
        voting_open=comparison.voting_open,
        version=comparison.tally_version,
        total=total,
        tools=rows,
        call=call_winner(counts, min_votes),
        min_votes=min_votes,
    )
