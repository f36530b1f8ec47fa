"""``flask subscribers export``: the confirmed newsletter list as CSV."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from ..extensions import db
from .links import NoPublicUrl, external_url
from .subscriptions import confirmed_subscribers
from .tokens import unsubscribe_token

subscribers = AppGroup("subscribers", help="Work with the newsletter's subscribers.")

COLUMNS = ["email", "confirmed_at", "unsubscribe_url"]


def _unsubscribe_url(subscriber_id: int) -> str:
    return external_url(
        "newsletter.unsubscribe_page", token=unsubscribe_token(subscriber_id)
    )


def build_csv() -> tuple[str, int]:
    """Return the confirmed subscribers as CSV text, and how many rows it has.

    ``unsubscribe_url`` is left empty when ``VERSUS_PUBLIC_URL`` is not set.
    """
    rows = confirmed_subscribers(db.session)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)

    links = True
    for subscriber in rows:
        url = ""
        if links:
            try:
                url = _unsubscribe_url(subscriber.id)
            except NoPublicUrl as error:
                click.echo(f"warning: unsubscribe_url left empty. {error}", err=True)
                links = False

        confirmed_at = subscriber.confirmed_at
        writer.writerow(
            [
                subscriber.email,
                confirmed_at.isoformat(timespec="seconds") + "Z"
                if confirmed_at
                else "",
                url,
            ]
        )

    return buffer.getvalue(), len(rows)


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a reader never sees
    half a list."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.")

    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@subscribers.command("export")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="File to write the CSV to (replaced if it exists). Default: standard output.",
)
def export_command(output: Path | None) -> None:
    """Write the confirmed subscribers as CSV: email, confirmed_at (UTC), and
    unsubscribe_url for the newsletter's footer."""
    text, count = build_csv()

    if output is None:
        click.echo(text, nl=False)
        return

    try:
        _write_atomically(output, text)
    except OSError as error:
        click.echo(f"error: cannot write {output}: {error.strerror}", err=True)
        raise click.exceptions.Exit(1) from error

    click.echo(f"Exported {count} confirmed subscriber(s) to {output}.", err=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(subscribers)
