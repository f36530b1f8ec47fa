"""Checks every request passes before a view runs."""

from __future__ import annotations

from flask import Flask, abort, request


def _reject_nul_bytes() -> None:
    # No stored text may contain NUL, and PostgreSQL rejects it in every query, so a
    # path, query or form value holding one is bad input (400), not a database error.
    values = [request.path]
    sources = (
        [request.args, request.form] if request.method == "POST" else [request.args]
    )
    for source in sources:
        for key, items in source.lists():
            values.append(key)
            values.extend(items)

    if any("\x00" in value for value in values):
        abort(
            400,
            description="The request contains a NUL character, which no field allows.",
        )


def init_app(app: Flask) -> None:
    app.before_request(_reject_nul_bytes)
