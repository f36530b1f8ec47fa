"""The audit log: reading entries, exporting them as CSV, and keeping them unchanged."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ...models import Comparison, ModerationAction, Vote

CSV_COLUMNS = [
    "id",
    "created_at",
    "actor",
    "action",
    "comparison",
    "filter",
    "votes_changed",
    "public_reason",
    "private_reason",
    "reverses",
]
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class AuditLogIsAppendOnly(Exception):
    """Raised when application code tries to change or delete an audit entry."""


@dataclass(frozen=True)
class AuditRow:
    """One audit entry, its comparison's slug and how many of its votes stay voided."""

    id: int
    created_at: dt.datetime
    actor: str
    action: str
    comparison_slug: str | None
    details: dict
    votes_changed: int
    public_reason: str
    private_reason: str
    reverses_action_id: int | None
    still_voided: int

    @property
    def restorable(self) -> bool:
        return self.action in ("void", "reset") and self.still_voided > 0


def _still_voided(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}

    rows = session.execute(
        select(Vote.void_action_id, func.count())
        .where(Vote.void_action_id.in_(ids), Vote.voided_at.is_not(None))
        .group_by(Vote.void_action_id)
    )
    return dict(rows.all())


def _details(raw: str) -> dict:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}

    return value if isinstance(value, dict) else {}


def list_entries(
    session: Session,
    *,
    comparison_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
    before_id: int | None = None,
) -> list[AuditRow]:
    """Return audit entries newest first, optionally for one comparison only.

    Entries are ordered by id, which grows with every insert. ``before_id`` pages
    through the log without skipping entries that are added meanwhile.
    """
    statement = (
        select(ModerationAction, Comparison.slug)
        .outerjoin(Comparison, Comparison.id == ModerationAction.comparison_id)
        .order_by(ModerationAction.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if comparison_id is not None:
        statement = statement.where(ModerationAction.comparison_id == comparison_id)
    if before_id is not None:
        statement = statement.where(ModerationAction.id < before_id)

    pairs = session.execute(statement).all()
    voided = _still_voided(session, [entry.id for entry, _ in pairs])
    return [
        AuditRow(
            id=entry.id,
            created_at=entry.created_at,
            actor=entry.actor,
            action=entry.action,
            comparison_slug=slug,
            details=_details(entry.filter_json),
            votes_changed=entry.votes_changed,
            public_reason=entry.public_reason,
            private_reason=entry.private_reason,
            reverses_action_id=entry.reverses_action_id,
            still_voided=voided.get(entry.id, 0),
        )
        for entry, slug in pairs
    ]


def count_entries(session: Session, comparison_id: int | None = None) -> int:
    statement = select(func.count()).select_from(ModerationAction)
    if comparison_id is not None:
        statement = statement.where(ModerationAction.comparison_id == comparison_id)

    return session.scalar(statement) or 0


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text

    return text


def export_csv(session: Session, batch: int = 500) -> Iterator[str]:
    """Yield the whole audit log as CSV text, newest first, one chunk per batch.

    Cells that a spreadsheet would run as a formula get a leading apostrophe.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    before_id = None

    while True:
        rows = list_entries(session, limit=batch, before_id=before_id)
        for row in rows:
            writer.writerow(
                _cell(value)
                for value in (
                    row.id,
                    row.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    row.actor,
                    row.action,
                    row.comparison_slug,
                    json.dumps(row.details, sort_keys=True),
                    row.votes_changed,
                    row.public_reason,
                    row.private_reason,
                    row.reverses_action_id,
                )
            )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()

        if len(rows) < batch:
            return
        before_id = rows[-1].id


@event.listens_for(Session, "before_flush")
def _reject_audit_changes(session: Session, flush_context, instances) -> None:
    """Refuse to flush an update or delete of an existing audit entry."""
    for instance in list(session.dirty) + list(session.deleted):
        if isinstance(instance, ModerationAction) and (
            instance in session.deleted or session.is_modified(instance)
        ):
            raise AuditLogIsAppendOnly(
                f"Audit entry #{instance.id} cannot be changed or deleted."
            )
