"""``flask moderators ...`` for accounts and ``flask moderate ...`` for actions.

Each action command does what the matching button on ``/moderate/<slug>`` does and
writes the same audit entry, with ``cli:<user>`` as the actor unless ``--actor`` is
given.
"""

from __future__ import annotations

import getpass
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from ..extensions import db
from ..guard_setup import current_guard, current_redis
from ..models import Comparison, utcnow
from ..plurals import count_of
from ..presenters import load_comparison
from ..voting.moderation import actions, activity, audit
from ..voting.moderation.errors import ModerationError
from ..voting.moderation.inputs import parse_filter, parse_reasons
from .accounts import AccountError, create_moderator, disable_moderator, list_moderators
from .messages import skipped_note

NO_REDIS_WARNING = (
    "warning: REDIS_URL is not set, so running servers were not told: the vote "
    "claims in their Redis and their cached pages were not updated (cached pages "
    "catch up within a minute). Set REDIS_URL to the servers' Redis URL, in the "
    "environment or in instance/config.py, and run 'flask tallies publish' to "
    "refresh the pages now."
)

moderators = AppGroup("moderators", help="Create, list and disable moderator accounts.")
moderate = AppGroup(
    "moderate", help="Find and undo vote abuse; every action is logged."
)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(1)


@moderators.command("create")
@click.argument("name")
@click.password_option(help="The password; prompted for (twice) when not given.")
def create_command(name: str, password: str) -> None:
    """Create an active moderator account called NAME."""
    try:
        moderator = create_moderator(db.session, name, password)
    except AccountError as error:
        _fail(str(error))
        return

    click.echo(f"Created moderator {moderator.username!r}.")


@moderators.command("disable")
@click.argument("name")
def disable_command(name: str) -> None:
    """Disable the moderator NAME; their open sessions end on their next request."""
    try:
        moderator = disable_moderator(db.session, name)
    except AccountError as error:
        _fail(str(error))
        return

    click.echo(f"Disabled moderator {moderator.username!r}.")


@moderators.command("list")
def list_command() -> None:
    """List moderator accounts and whether each is active."""
    for moderator in list_moderators(db.session):
        state = "active" if moderator.active else "disabled"
        last = (
            moderator.last_login_at.isoformat(" ", "minutes")
            if moderator.last_login_at
            else "never"
        )
        click.echo(f"{moderator.username}\t{state}\tlast sign-in {last}")


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _comparison(slug: str) -> Comparison:
    comparison = load_comparison(slug, include_drafts=True)
    if comparison is None:
        _fail(f"There is no comparison called {slug!r}.")

    return comparison


# The --reason help of each action, saying where readers see the reason.
SHOWN_WHILE_VOIDED = (
    "The public reason, shown to readers under the tally while these votes stay voided."
)
SHOWN_WHILE_CLOSED = (
    "The public reason, shown to readers under the tally while voting stays closed."
)
AUDIT_ONLY = (
    "The reason, kept in the audit log only: readers see the earlier note under the "
    "tally change or go."
)


def reason_options(reason_help: str):
    """Add --reason (described by ``reason_help``), --private-reason, --actor and
    --yes to an action command."""

    def decorate(command):
        command = click.option(
            "--private-reason", default="", help="A note only moderators see."
        )(command)
        command = click.option("--reason", required=True, help=reason_help)(command)
        command = click.option(
            "--actor", default=_default_actor, help="Who to name in the audit log."
        )(command)
        return click.option("--yes", is_flag=True, help="Do not ask for confirmation.")(
            command
        )

    return decorate


def filter_options(command):
    for name, help_text in reversed(
        [
            ("--ip-hash", "Only votes from this IP hash (64 hex digits)."),
            ("--visitor-hash", "Only votes from this visitor hash (64 hex digits)."),
            ("--tool", "Only votes for this tool slug."),
            (
                "--since",
                "Only votes cast at or after this UTC time, e.g. 2026-12-04T15:00.",
            ),
            ("--until", "Only votes cast before this UTC time."),
        ]
    ):
        command = click.option(name, default="", help=help_text)(command)
    return command


def _filter(comparison: Comparison, **fields: str):
    values = {
        "ip_hash": fields["ip_hash"],
        "visitor_hash": fields["visitor_hash"],
        "tool": fields["tool"],
        "since": fields["since"],
        "until": fields["until"],
    }
    return parse_filter(values, [tool.slug for tool in comparison.tools])


def _echo_preview(preview: actions.Preview) -> None:
    verb = "matches" if preview.votes == 1 else "match"
    click.echo(f"{count_of(preview.votes, 'counted vote')} {verb}:")
    for tool in preview.tools:
        click.echo(f"  {tool.slug}: {tool.votes}")
    if preview.first_at:
        click.echo(
            f"  cast from {preview.first_at:%Y-%m-%d %H:%M} "
            f"to {preview.last_at:%Y-%m-%d %H:%M} UTC"
        )


def _echo_result(result: actions.ActionResult) -> None:
    changed = ", ".join(f"{t.slug} {t.votes}" for t in result.tools)
    click.echo(
        f"{result.action}: {count_of(result.votes_changed, 'vote')} changed"
        + (f" ({changed})" if changed else "")
        + f"; audit entry #{result.entry_id}."
    )
    if result.skipped:
        click.echo(skipped_note(result.skipped))
    if not result.guard_synced:
        click.echo(
            "warning: Redis could not be updated; the vote counts are correct.",
            err=True,
        )
    if current_redis() is None:
        # The in-process guard and the missing snapshot store changed nothing the
        # servers can see: only the database holds the action.
        click.echo(NO_REDIS_WARNING, err=True)


def _confirm(yes: bool, question: str) -> None:
    if yes:
        return

    if not sys.stdin.isatty() and not current_app.testing:
        _fail("Not confirmed: pass --yes to run without a prompt.")

    if not click.confirm(question, default=False):
        _fail("Cancelled; nothing changed.")


@moderate.command("show")
@click.argument("slug")
@click.option("--days", default=7, type=click.IntRange(1, 30), help="Hours shown.")
def show_command(slug: str, days: int) -> None:
    """Print a comparison's counters, bursts and busiest hashes."""
    comparison = _comparison(slug)
    _, bursts = activity.recent_activity(
        db.session,
        comparison.id,
        utcnow(),
        days,
        factor=current_app.config["BURST_FACTOR"],
        min_votes=current_app.config["BURST_MIN_VOTES"],
    )

    state = "open" if comparison.voting_open else "closed"
    click.echo(f"{comparison.slug}: voting {state}")
    for tool in comparison.tools:
        click.echo(f"  {tool.slug}: {tool.votes} counted")

    click.echo(f"Bursts in the last {days} days:")
    for burst in bursts:
        click.echo(
            f"  {burst.start:%Y-%m-%dT%H:%M} to {burst.end:%Y-%m-%dT%H:%M} UTC: "
            f"{count_of(burst.votes, 'vote')}, {burst.counted} counted"
        )
    for column, label in (("ip_hash", "IP hashes"), ("visitor_hash", "Visitor hashes")):
        click.echo(f"Busiest {label}:")
        for row in activity.busiest(db.session, comparison.id, column):
            click.echo(
                f"  {row.value} {count_of(row.votes, 'vote')} ({row.counted} counted) "
                f"{row.first_at:%Y-%m-%d %H:%M} to {row.last_at:%Y-%m-%d %H:%M}"
            )


@moderate.command("preview")
@click.argument("slug")
@filter_options
def preview_command(slug: str, **fields: str) -> None:
    """Count the counted votes a void with these filters would change."""
    comparison = _comparison(slug)

    try:
        preview = actions.preview_void(
            db.session, comparison.id, _filter(comparison, **fields)
        )
    except ModerationError as error:
        _fail(error.message)
        return

    _echo_preview(preview)


@moderate.command("void")
@click.argument("slug")
@filter_options
@reason_options(SHOWN_WHILE_VOIDED)
def void_command(
    slug: str, reason: str, private_reason: str, actor: str, yes: bool, **fields: str
) -> None:
    """Void the counted votes matching the filters and release their visitors."""
    comparison = _comparison(slug)

    try:
        vote_filter = _filter(comparison, **fields)
        reasons = parse_reasons(reason, private_reason)
        preview = actions.preview_void(db.session, comparison.id, vote_filter)
        _echo_preview(preview)
        if preview.votes == 0:
            _fail("No counted votes match, so nothing was voided.")
        _confirm(yes, f"Void {count_of(preview.votes, 'vote')}?")
        result = actions.void_votes(
            db.session,
            current_guard(),
            comparison.id,
            vote_filter,
            reasons,
            actor,
            expected=preview.votes,
        )
    except ModerationError as error:
        _fail(error.message)
        return

    _echo_result(result)


@moderate.command("reset")
@click.argument("slug")
@reason_options(SHOWN_WHILE_VOIDED)
def reset_command(
    slug: str, reason: str, private_reason: str, actor: str, yes: bool
) -> None:
    """Void every counted vote on the comparison, so its tallies go to zero."""
    comparison = _comparison(slug)

    try:
        reasons = parse_reasons(reason, private_reason)
        total = sum(tool.votes for tool in comparison.tools)
        _confirm(
            yes,
            f"Void every counted vote on {comparison.slug} "
            f"({count_of(total, 'vote')})?",
        )
        result = actions.reset_votes(
            db.session, current_guard(), comparison.id, reasons, actor
        )
    except ModerationError as error:
        _fail(error.message)
        return

    _echo_result(result)


@moderate.command("restore")
@click.argument("slug")
@click.argument("entry", type=int)
@reason_options(AUDIT_ONLY)
def restore_command(
    slug: str, entry: int, reason: str, private_reason: str, actor: str, yes: bool
) -> None:
    """Count again the votes that audit entry ENTRY (a void or reset) voided."""
    comparison = _comparison(slug)

    try:
        reasons = parse_reasons(reason, private_reason)
        _confirm(yes, f"Restore the votes voided by entry #{entry}?")
        result = actions.restore_action(
            db.session, current_guard(), comparison.id, entry, reasons, actor
        )
    except ModerationError as error:
        _fail(error.message)
        return

    _echo_result(result)


def _set_open(
    slug: str,
    open_voting: bool,
    reason: str,
    private_reason: str,
    actor: str,
    yes: bool,
) -> None:
    comparison = _comparison(slug)
    verb = "Reopen" if open_voting else "Close"

    try:
        reasons = parse_reasons(reason, private_reason)
        _confirm(yes, f"{verb} voting on {comparison.slug}?")
        result = actions.set_voting_open(
            db.session, comparison.id, open_voting, reasons, actor
        )
    except ModerationError as error:
        _fail(error.message)
        return

    _echo_result(result)


@moderate.command("close")
@click.argument("slug")
@reason_options(SHOWN_WHILE_CLOSED)
def close_command(
    slug: str, reason: str, private_reason: str, actor: str, yes: bool
) -> None:
    """Stop accepting votes on the comparison; its tallies stay on the page."""
    _set_open(slug, False, reason, private_reason, actor, yes)


@moderate.command("reopen")
@click.argument("slug")
@reason_options(AUDIT_ONLY)
def reopen_command(
    slug: str, reason: str, private_reason: str, actor: str, yes: bool
) -> None:
    """Accept votes on the comparison again."""
    _set_open(slug, True, reason, private_reason, actor, yes)


@moderate.command("log")
@click.option("--slug", default=None, help="Only entries for this comparison.")
@click.option("--limit", default=50, type=click.IntRange(1, 10_000))
@click.option("--csv", "as_csv", is_flag=True, help="Print the whole log as CSV.")
def log_command(slug: str | None, limit: int, as_csv: bool) -> None:
    """Print the audit log, newest first."""
    if as_csv:
        for chunk in audit.export_csv(db.session):
            click.echo(chunk, nl=False)
        return

    comparison_id = _comparison(slug).id if slug else None
    for row in audit.list_entries(db.session, comparison_id=comparison_id, limit=limit):
        click.echo(
            f"#{row.id} {row.created_at:%Y-%m-%d %H:%M:%S} {row.actor} {row.action} "
            f"{row.comparison_slug or '-'} votes={row.votes_changed} "
            f"filter={row.details} reason={row.public_reason!r}"
        )


def init_app(app: Flask) -> None:
    app.cli.add_command(moderators)
    app.cli.add_command(moderate)
