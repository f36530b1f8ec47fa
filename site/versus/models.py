"""Database models: comparisons and their content, votes, moderation and subscribers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Comparison(db.Model):
    """A published or draft "A vs B" page."""

    __tablename__ = "comparisons"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(String(300))
    intro: Mapped[str] = mapped_column(Text)
    pricing_note: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="published")
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    voting_open: Mapped[bool] = mapped_column(Boolean, default=True)
    # Written to demonstrate the site, not a real review; the page says so.
    sample: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Bumped in the same transaction as every tally change. The tally ETag uses it.
    tally_version: Mapped[int] = mapped_column(Integer, default=0)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    tools: Mapped[list[Tool]] = relationship(
        back_populates="comparison", order_by="Tool.position", cascade="all"
    )
    reviewers: Mapped[list[Reviewer]] = relationship(
        back_populates="comparison",
        order_by="Reviewer.position",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        CheckConstraint("status IN ('draft', 'published')", name="status"),
        Index("ix_comparisons_status_published_on", "status", "published_on"),
    )

    @property
    def is_published(self) -> bool:
        return self.status == "published"


class Tool(db.Model):
    """One side of a comparison, with its running vote counter."""

    __tablename__ = "tools"

    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id"))
    position: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(80))
    category_slug: Mapped[str] = mapped_column(String(80), index=True)
    tagline: Mapped[str] = mapped_column(String(300))
    price: Mapped[str] = mapped_column(String(80))
    description: Mapped[str] = mapped_column(Text)
    # Counted (not voided) votes, kept in the same transaction as the vote rows.
    votes: Mapped[int] = mapped_column(Integer, default=0)

    comparison: Mapped[Comparison] = relationship(back_populates="tools")
    verdicts: Mapped[list[Verdict]] = relationship(back_populates="tool")

    __table_args__ = (
        UniqueConstraint("comparison_id", "slug", name="uq_tools_comparison_slug"),
        CheckConstraint("votes >= 0", name="votes_not_negative"),
    )


class Reviewer(db.Model):
    """A panel member as they appear on one comparison, with their lens."""

    __tablename__ = "reviewers"

    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id"))
    position: Mapped[int] = mapped_column(Integer)
    slug: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    lens: Mapped[str] = mapped_column(String(200))

    comparison: Mapped[Comparison] = relationship(back_populates="reviewers")
    verdicts: Mapped[list[Verdict]] = relationship(
        back_populates="reviewer", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("comparison_id", "slug", name="uq_reviewers_comparison_slug"),
    )


class Verdict(db.Model):
    """One reviewer's ship or skip call on one tool, with the quote behind it."""

    __tablename__ = "verdicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reviewers.id"))
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id"))
    verdict: Mapped[str] = mapped_column(String(8))
    quote: Mapped[str] = mapped_column(Text)

    reviewer: Mapped[Reviewer] = relationship(back_populates="verdicts")
    tool: Mapped[Tool] = relationship(back_populates="verdicts")

    __table_args__ = (
        UniqueConstraint("reviewer_id", "tool_id", name="uq_verdicts_reviewer_tool"),
        CheckConstraint("verdict IN ('ship', 'skip')", name="verdict"),
    )


class ModerationAction(db.Model):
    """An audit entry: one moderator action, never updated or deleted by the site."""

    __tablename__ = "moderation_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(32))
    comparison_id: Mapped[int | None] = mapped_column(ForeignKey("comparisons.id"))
    filter_json: Mapped[str] = mapped_column(Text, default="{}")
    votes_changed: Mapped[int] = mapped_column(Integer, default=0)
    public_reason: Mapped[str] = mapped_column(Text, default="")
    private_reason: Mapped[str] = mapped_column(Text, default="")
    reverses_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_actions.id")
    )

    comparison: Mapped[Comparison | None] = relationship()

    __table_args__ = (Index("ix_moderation_actions_comparison", "comparison_id", "id"),)


class Vote(db.Model):
    """One accepted vote. Voided votes stay as rows so a void can be undone exactly."""

    __tablename__ = "votes"

    id: Mapped[int] = mapped_column(primary_key=True)
    comparison_id: Mapped[int] = mapped_column(ForeignKey("comparisons.id"))
    tool_id: Mapped[int] = mapped_column(ForeignKey("tools.id"))
    # Keyed hashes (HMAC-SHA256 with the secret key); raw identifiers are never stored.
    visitor_hash: Mapped[str | None] = mapped_column(String(64))
    ip_hash: Mapped[str | None] = mapped_column(String(64))
    network_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    voided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    void_action_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_actions.id")
    )

    tool: Mapped[Tool] = relationship()

    __table_args__ = (
        # The database's own guard: one counted vote per visitor per comparison.
        Index(
            "uq_votes_counted_visitor",
            "comparison_id",
            "visitor_hash",
            unique=True,
            sqlite_where=text("voided_at IS NULL"),
            postgresql_where=text("voided_at IS NULL"),
        ),
        Index("ix_votes_comparison_created", "comparison_id", "created_at"),
        Index("ix_votes_comparison_ip", "comparison_id", "ip_hash"),
        # Restores and the public moderation note look votes up by the void.
        Index("ix_votes_void_action", "void_action_id"),
    )


class Moderator(db.Model):
    """A moderator account, created and disabled from the command line."""

    __tablename__ = "moderators"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # Bumped on sign-out. A session cookie carrying an older value is rejected,
    # because the cookie itself lives on in any copy made before the sign-out.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Subscriber(db.Model):
    """A newsletter address and where it is in the double opt-in flow."""

    __tablename__ = "subscribers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    unsubscribed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'unsubscribed')", name="status"
        ),
    )
