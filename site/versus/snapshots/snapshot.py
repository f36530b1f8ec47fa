"""What a process keeps per comparison: its content, detached, and its tally.

Content (texts, tools, the panel) changes only on import, moderation or another
write to the comparison; the tally changes on every vote. Each has its own version
token (versions.py). A snapshot is rebuilt from one small query when only the
tally token moved, and from the full load when the content token did.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..listing import today
from ..models import Comparison, Tool
from ..presenters import (
    PanelView,
    TallyView,
    comparison_with_panel,
    panel_view,
    tally_view,
)
from ..voting.moderation.transparency import PublicNote


@dataclass(frozen=True)
class ContentKey:
    """Everything besides the counters that a cached page or fragment shows."""

    comparison_id: int
    content_hash: str
    updated_at: dt.datetime | None
    status: str
    published_on: dt.date | None
    voting_open: bool

    @property
    def visible(self) -> bool:
        """Whether readers may see it today: the rule of ``listing.visible_to_readers``.

        A scheduled comparison becomes visible at midnight UTC with no write to
        publish, so callers check this on every request that finds no snapshot.
        """
        return (
            self.status == "published"
            and self.published_on is not None
            and self.published_on <= today()
        )


@dataclass(frozen=True)
class Content:
    key: ContentKey
    comparison: Comparison  # detached, with tools, reviewers and verdicts loaded
    panel: PanelView
    # HTML that depends on the content alone, kept as long as the content is.
    prepared: dict[object, str] = field(default_factory=dict, compare=False)

    def prepare(self, name: object, build) -> str:
        """Return the prepared HTML called ``name``, building it on first use.

        Two threads may both build it; they build the same text.
        """
        found = self.prepared.get(name)
        if found is None:
            found = self.prepared.setdefault(name, build())
        return found


@dataclass(frozen=True)
class TallyState:
    key: ContentKey
    tally_version: int
    counts: dict[str, int]


@dataclass(frozen=True)
class ToolCount:
    slug: str
    name: str
    votes: int


@dataclass
class Snapshot:
    """One comparison at one pair of version tokens, with the HTML prepared from it."""

    token: bytes  # the tally token
    content_token: bytes
    content: Content
    tally: TallyView
    # When the content was read; a tally read alone keeps it.
    built_at: float
    # Read with the content: every moderation action bumps the content token.
    moderation_notes: list[PublicNote] = field(default_factory=list)
    prepared: dict[object, object] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def comparison(self) -> Comparison:
        return self.content.comparison

    def prepare(self, name: object, build) -> object:
        """Return the prepared value called ``name``, building it once."""
        found = self.prepared.get(name)
        if found is not None:
            return found

        with self.lock:
            found = self.prepared.get(name)
            if found is None:
                found = build()
                self.prepared[name] = found
        return found


def read_state(session: Session, slug: str) -> TallyState | None:
    """Read the content key and the counters in one query."""
    rows = session.execute(
        select(
            Comparison.id,
            Comparison.content_hash,
            Comparison.updated_at,
            Comparison.status,
            Comparison.published_on,
            Comparison.voting_open,
            Comparison.tally_version,
            Tool.slug,
            Tool.votes,
        )
        .join(Tool, Tool.comparison_id == Comparison.id)
        .where(Comparison.slug == slug)
        .order_by(Tool.position)
    ).all()
    if not rows:
        return None

    first = rows[0]
    key = ContentKey(*first[:6])
    return TallyState(key, first[6], {row[7]: row[8] for row in rows})


def load_content(session: Session, slug: str) -> Content | None:
    """Load the comparison with everything the templates read, then detach it."""
    comparison = session.scalar(comparison_with_panel(slug))
    if comparison is None:
        return None

    key = ContentKey(
        comparison.id,
        comparison.content_hash,
        comparison.updated_at,
        comparison.status,
        comparison.published_on,
        comparison.voting_open,
    )
    panel = panel_view(comparison)
    session.expunge_all()
    return Content(key, comparison, panel)


def build_tally(content: Content, state: TallyState, min_votes: int) -> TallyView:
    tools = [
        ToolCount(tool.slug, tool.name, state.counts.get(tool.slug, 0))
        for tool in content.comparison.tools
    ]
    view = tally_view(
        content.comparison, tools, min_votes=min_votes, panel=content.panel.figures
    )
    return dataclasses.replace(
        view, version=state.tally_version, voting_open=state.key.voting_open
    )


def api_document(content: Content, tally: TallyView) -> dict:
    """Return the JSON API's document for this snapshot."""
    comparison = content.comparison
    document = {
        "slug": comparison.slug,
        "title": comparison.title,
        "voting_open": tally.voting_open,
        "total_votes": tally.total,
        "tools": [
            {
                "slug": tool.slug,
                "name": tool.name,
                "panel_ship_pct": tool.panel_pct,
                "votes": tool.votes,
                "community_pct": tool.community_pct,
            }
            for tool in tally.tools
        ],
    }
    return document
