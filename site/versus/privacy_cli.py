"""``flask votes purge-identifiers``: erase visitor and address hashes of old votes."""

from __future__ import annotations

import datetime as dt
import logging

import click
from flask import Flask
from flask.cli import AppGroup

from .extensions import db
from .guard_setup import current_guard
from .models import utcnow
from .voting.guard import GuardUnavailable
from .voting.purge import count_purgeable, purge_identifiers

logger = logging.getLogger(__name__)

votes = AppGroup("votes", help="Maintain stored votes.")


@votes.command("purge-identifiers")
@click.option(
    "--older-than",
    "days",
    required=True,
    type=click.IntRange(min=1),
    help="Erase identifiers from votes cast more than this many days ago.",
)
@click.option("--dry-run", is_flag=True, help="Only count the votes it would change.")
def purge_identifiers_command(days: int, dry_run: bool) -> None:
    """Erase the keyed visitor and address hashes from old votes.

    The votes and every count stay. A reader whose identifiers are erased can vote
    again on a comparison that is still open.
    """
    cutoff = utcnow() - dt.timedelta(days=days)

    if dry_run:
        found = count_purgeable(db.session, cutoff)
        click.echo(f"{found} vote(s) older than {days} day(s) hold identifiers.")
        return

    try:
        report = purge_identifiers(db.session, current_guard(), cutoff)
    except GuardUnavailable as error:
        logger.error("Identifier purge failed: vote guard unavailable: %s", error)
        click.echo(
            "error: the vote guard (Redis) cannot be reached, so nothing was erased. "
            "Run the command again when Redis is up.",
            err=True,
        )
        raise click.exceptions.Exit(1) from None

    logger.info(
        "Identifier purge: %s vote(s) older than %s day(s), %s claim(s) forgotten",
        report.votes,
        days,
        report.claims_forgotten,
    )
    click.echo(
        f"Erased identifiers from {report.votes} vote(s) older than {days} day(s); "
        f"{report.claims_forgotten} guard claim(s) forgotten. "
        "Votes and counts are kept."
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(votes)
