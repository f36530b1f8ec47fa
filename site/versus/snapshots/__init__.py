"""Cached comparisons: per-process snapshots checked against a version in Redis."""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ..extensions import db
from . import tracking
from .store import SnapshotStore
from .versions import VersionStore

logger = logging.getLogger(__name__)


def init_snapshots(app: Flask) -> None:
    """Enable the cache when Redis is configured; without it every read goes to SQL.

    Without a shared Redis there is nothing to tell one process that another has
    changed a comparison, so no process may cache one.
    """
    from ..cli import tallies

    if "publish" not in tallies.commands:
        tallies.add_command(publish_command)

    client = app.extensions.get("versus.redis")
    if client is None:
        app.extensions["versus.snapshots"] = None
        return

    store = SnapshotStore(
        VersionStore(client, app.config["REDIS_KEY_PREFIX"]),
        engine=lambda: db.engine,
        min_votes=lambda: current_app.config["MIN_VOTES_TO_CALL"],
    )
    app.extensions["versus.snapshots"] = store
    tracking.install()


def current_store() -> SnapshotStore | None:
    return current_app.extensions.get("versus.snapshots")


@click.command("publish")
@with_appcontext
def publish_command() -> None:
    """Tell every server process to reload every comparison.

    Run it after changing the database outside the site (psql, a script): the
    site's own writes publish themselves.
    """
    store = current_store()
    if store is None:
        click.echo("REDIS_URL is not set: no process caches comparisons.")
        return

    store.publish_all()
    click.echo("Published new versions of every comparison.")
