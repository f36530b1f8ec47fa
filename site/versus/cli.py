"""``flask content ...`` and ``flask tallies ...`` commands."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from .content.export import export_comparison
from .content.importer import import_specs
from .content.schema import ComparisonSpec, ContentInvalid, parse_paths
from .extensions import db
from .listing import today
from .presenters import load_comparison
from .tally_audit import find_duplicate_visitors, find_mismatches, rebuild_counters

content = AppGroup("content", help="Import, check and export comparison files.")
tallies = AppGroup("tallies", help="Check and rebuild the vote counters.")


def _fail_with(invalid: ContentInvalid) -> None:
    for error in invalid.errors:
        click.echo(f"error: {error}", err=True)
    raise click.exceptions.Exit(1)


@content.command("import")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def import_command(path: Path | None) -> None:
    """Import a comparison file or a folder of them (default: the content folder).

    The import is all-or-nothing, and votes already cast are kept.
    """
    path = path or Path(current_app.config["CONTENT_DIR"])

    try:
        specs = parse_paths(path)
        report = import_specs(db.session, specs)
    except ContentInvalid as invalid:
        click.echo(f"Nothing was imported from {path}.", err=True)
        _fail_with(invalid)
        return

    click.echo(
        f"Imported {path}: {len(report.created)} created, "
        f"{len(report.updated)} updated, {len(report.unchanged)} unchanged."
    )

    hidden = _not_shown_yet(specs)
    if hidden:
        click.echo("Not shown to readers yet: " + ", ".join(hidden) + ".")


def _not_shown_yet(specs: list[ComparisonSpec]) -> list[str]:
    """Name each imported comparison that readers cannot see yet, and why."""
    day = today()
    hidden = []

    for spec in specs:
        if spec.status == "draft":
            hidden.append(f"{spec.slug} (draft)")
        elif spec.published is not None and spec.published > day:
            hidden.append(f"{spec.slug} (from {spec.published.isoformat()})")

    return hidden


@content.command("check")
@click.argument("path", type=click.Path(path_type=Path))
def check_command(path: Path) -> None:
    """Validate comparison files and list every error, writing nothing."""
    try:
        specs = parse_paths(path)
    except ContentInvalid as invalid:
        _fail_with(invalid)
        return

    click.echo(f"{len(specs)} file(s) valid: " + ", ".join(s.slug for s in specs))


@content.command("export")
@click.argument("slug")
def export_command(slug: str) -> None:
    """Print a stored comparison in the content file format."""
    comparison = load_comparison(slug, include_drafts=True)
    if comparison is None:
        click.echo(f"error: no comparison with slug {slug!r}", err=True)
        raise click.exceptions.Exit(1)

    click.echo(export_comparison(comparison), nl=False)


@tallies.command("verify")
def verify_command() -> None:
    """Compare every tool's counter with its counted vote rows, and check that no
    visitor holds two counted votes on one comparison. Exits 1 on any problem."""
    mismatches = find_mismatches(db.session)
    duplicates = find_duplicate_visitors(db.session)

    for row in mismatches:
        click.echo(
            f"mismatch: {row.comparison_slug}/{row.tool_slug}: "
            f"counter {row.counter}, counted rows {row.counted}"
        )

    for duplicate in duplicates:
        click.echo(
            f"duplicate: {duplicate.comparison_slug}: visitor "
            f"{duplicate.visitor_hash[:12]}... has {duplicate.counted} counted votes"
        )

    if mismatches:
        click.echo(
            f"{len(mismatches)} counter(s) disagree; run 'flask tallies rebuild'."
        )
    if duplicates:
        click.echo(
            f"{len(duplicates)} visitor(s) hold more than one counted vote; void the "
            "extra votes with 'flask moderate void SLUG --visitor-hash HASH'."
        )
    if mismatches or duplicates:
        raise click.exceptions.Exit(1)

    click.echo("All counters match their vote rows, and no visitor has two votes.")


@tallies.command("rebuild")
def rebuild_command() -> None:
    """Recompute every tool's counter from the counted vote rows."""
    changed = rebuild_counters(db.session)
    click.echo(f"Rebuilt counters: {changed} changed.")


def init_app(app: Flask) -> None:
    app.cli.add_command(content)
    app.cli.add_command(tallies)
