"""Notice every committed change that a cached snapshot could show, and publish it.

Listens to the site's SQLAlchemy sessions: objects flushed, and UPDATE, DELETE or
INSERT statements run through a session. When the transaction commits, the tokens
of the comparisons it touched are bumped in Redis (see versions.py). A statement
whose comparisons cannot be read from its WHERE clause bumps every comparison:
publishing too much costs a rebuild, publishing too little would serve a stale page.

Writes made outside the site's sessions (psql, another program) are not seen; run
``flask tallies publish`` after them.
"""

from __future__ import annotations

import logging

from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session as SiteSession
from sqlalchemy import event
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    TextClause,
)
from sqlalchemy.sql.schema import Column

from ..models import Comparison, Reviewer, Tool, Verdict

logger = logging.getLogger(__name__)

WATCHED_TABLES = {"comparisons", "tools", "reviewers", "verdicts"}
CHANGED = "versus.changed_comparisons"
EVERY = "versus.every_comparison_changed"
DML_WORDS = ("insert", "update", "delete", "replace", "truncate")


def _changed(session) -> set[int]:
    return session.info.setdefault(CHANGED, set())


def _comparison_of(instance) -> int | None:
    if isinstance(instance, Comparison):
        return instance.id
    if isinstance(instance, (Tool, Reviewer)):
        return instance.comparison_id
    if isinstance(instance, Verdict):
        reviewer = instance.__dict__.get("reviewer")
        return None if reviewer is None else reviewer.comparison_id
    return -1  # not a watched model


def after_flush(session, flush_context) -> None:
    for instance in (*session.new, *session.dirty, *session.deleted):
        found = _comparison_of(instance)
        if found is None:
            session.info[EVERY] = True
        elif found != -1:
            _changed(session).add(found)


def _comparison_column(column) -> bool:
    if not isinstance(column, Column) or column.table is None:
        return False

    name = column.table.name
    if name == "comparisons":
        return column.name == "id"
    return name in WATCHED_TABLES and column.name == "comparison_id"


def _ids_from_condition(condition) -> set[int] | None:
    """Return the comparison ids a WHERE clause pins down, or None if it does not."""
    if (
        isinstance(condition, BooleanClauseList)
        and condition.operator is operators.and_
    ):
        for clause in condition.clauses:
            found = _ids_from_condition(clause)
            if found is not None:
                return found
        return None

    if not isinstance(condition, BinaryExpression):
        return None
    if not _comparison_column(condition.left):
        return None
    if not isinstance(condition.right, BindParameter):
        return None

    value = condition.right.effective_value
    if condition.operator is operators.eq and isinstance(value, int):
        return {value}
    if condition.operator is operators.in_op and isinstance(value, (list, tuple)):
        if all(isinstance(item, int) for item in value):
            return set(value)
    return None


def do_orm_execute(state) -> None:
    statement = state.statement

    if isinstance(statement, TextClause):
        if statement.text.lstrip().lower().startswith(DML_WORDS):
            state.session.info[EVERY] = True
        return

    if not (state.is_update or state.is_delete or state.is_insert):
        return

    table = getattr(statement, "table", None)
    if getattr(table, "name", None) not in WATCHED_TABLES:
        return

    where = getattr(statement, "whereclause", None)
    found = None if where is None else _ids_from_condition(where)
    if found is None:
        state.session.info[EVERY] = True
    else:
        _changed(state.session).update(found)


def after_commit(session) -> None:
    changed = session.info.pop(CHANGED, set())
    every = session.info.pop(EVERY, False)
    if not (changed or every) or not has_app_context():
        return

    store = current_app.extensions.get("versus.snapshots")
    if store is None:
        return

    if every:
        store.publish_all()
    else:
        store.publish(changed)


_installed = False


def install() -> None:
    """Listen on the site's sessions; safe to call once per app."""
    global _installed
    if _installed:
        return

    event.listen(SiteSession, "after_flush", after_flush)
    event.listen(SiteSession, "do_orm_execute", do_orm_execute)
    event.listen(SiteSession, "after_commit", after_commit)
    _installed = True
