"""Write validated comparison files to the database in one transaction, keep votes."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ..models import Comparison, Reviewer, Tool, Verdict, Vote, utcnow
from .schema import ComparisonSpec, ContentError, ContentInvalid

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def import_specs(session: Session, specs: list[ComparisonSpec]) -> ImportReport:
    """Create or update each comparison; roll back everything if any one fails."""
    report = ImportReport([], [], [])
    errors: list[ContentError] = []

    try:
        for spec in specs:
            existing = session.scalar(
                select(Comparison).where(Comparison.slug == spec.slug)
            )

            if existing is None:
                session.add(_new_comparison(spec))
                report.created.append(spec.slug)
            elif existing.content_hash == spec.content_hash():
                report.unchanged.append(spec.slug)
            else:
                errors.extend(_update_comparison(session, existing, spec))
                report.updated.append(spec.slug)

        if errors:
            raise ContentInvalid(errors)

        session.commit()
    except BaseException:
        session.rollback()
        raise

    logger.info(
        "Imported content: %d created, %d updated, %d unchanged",
        len(report.created),
        len(report.updated),
        len(report.unchanged),
    )
    return report


def _apply_fields(comparison: Comparison, spec: ComparisonSpec) -> None:
    comparison.slug = spec.slug
    comparison.title = spec.title
    comparison.question = spec.question
    comparison.intro = spec.intro
    comparison.pricing_note = spec.pricing_note
    comparison.status = spec.status
    comparison.published_on = spec.published
    comparison.sample = spec.sample
    comparison.content_hash = spec.content_hash()
    comparison.source_path = spec.source
    comparison.updated_at = utcnow()


def _apply_tool(tool: Tool, spec: ComparisonSpec, position: int) -> None:
    source = spec.tools[position]
    tool.position = position
    tool.slug = source.slug
    tool.name = source.name
    tool.category = source.category
    tool.category_slug = source.category_slug
    tool.tagline = source.tagline
    tool.price = source.price
    tool.description = source.description


def _build_panel(comparison: Comparison, spec: ComparisonSpec) -> None:
    tools = {tool.slug: tool for tool in comparison.tools}

    for position, source in enumerate(spec.reviewers):
        reviewer = Reviewer(
            position=position, slug=source.slug, name=source.name, lens=source.lens
        )
        for tool_spec in spec.tools:
            verdict = spec.verdict_for(source.slug, tool_spec.slug)
            reviewer.verdicts.append(
                Verdict(
                    tool=tools[tool_spec.slug],
                    verdict=verdict.verdict,
                    quote=verdict.quote,
                )
            )
        comparison.reviewers.append(reviewer)


def _new_comparison(spec: ComparisonSpec) -> Comparison:
    comparison = Comparison(voting_open=True, tally_version=0)
    _apply_fields(comparison, spec)

    for position in range(len(spec.tools)):
        tool = Tool(votes=0)
        _apply_tool(tool, spec, position)
        comparison.tools.append(tool)

    _build_panel(comparison, spec)
    return comparison


def _update_comparison(
    session: Session, comparison: Comparison, spec: ComparisonSpec
) -> list[ContentError]:
    """Update in place so tool rows, and the votes that point at them, survive."""
    # Take the comparison's row lock first, as a vote does, so that no vote can
    # land on a tool between the count of its votes below and its removal.
    session.execute(
        update(Comparison)
        .where(Comparison.id == comparison.id)
        .values(tally_version=Comparison.tally_version + 1)
    )

    wanted = {tool.slug for tool in spec.tools}
    errors = []

    for tool in comparison.tools:
        if tool.slug in wanted:
            continue

        stored = session.scalar(select(func.count()).where(Vote.tool_id == tool.id))
        if stored:
            errors.append(
                ContentError(
                    spec.source,
                    "tools",
                    f"tool {tool.slug!r} has {stored} stored votes and cannot be "
                    "removed or renamed; keep its slug",
                )
            )
    if errors:
        return errors

    # Clear the old panel first so its verdicts never point at a removed tool.
    comparison.reviewers.clear()
    session.flush()

    by_slug = {tool.slug: tool for tool in comparison.tools}
    kept: list[Tool] = []
    for position, tool_spec in enumerate(spec.tools):
        tool = by_slug.pop(tool_spec.slug, None) or Tool(votes=0)
        _apply_tool(tool, spec, position)
        kept.append(tool)

    for removed in by_slug.values():
        session.delete(removed)

    comparison.tools = kept
    _apply_fields(comparison, spec)
    session.flush()
    _build_panel(comparison, spec)
    return []
