"""Parse and validate one comparison file, collecting every error it has.

The format is TOML; ``docs/content.md`` describes each field with a full example.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..pricing import parse_price

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
VERDICTS = ("ship", "skip")
STATUSES = ("draft", "published")

TOP_FIELDS = {
    "slug",
    "title",
    "question",
    "intro",
    "pricing_note",
    "status",
    "published",
    "sample",
    "tools",
    "reviewers",
    "verdicts",
}
TOOL_FIELDS = {"slug", "name", "category", "tagline", "price", "description"}
REVIEWER_FIELDS = {"slug", "name", "lens"}
VERDICT_FIELDS = {"reviewer", "tool", "verdict", "quote"}

LIMITS = {
    "title": 200,
    "question": 300,
    "tagline": 300,
    "name": 120,
    "category": 80,
    "price": 80,
    "lens": 200,
    "slug": 80,
}


@dataclass(frozen=True)
class ContentError:
    path: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.field}: {self.message}"


class ContentInvalid(Exception):
    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class ToolSpec:
    slug: str
    name: str
    category: str
    tagline: str
    price: str
    description: str

    @property
    def category_slug(self) -> str:
        return slugify(self.category)


@dataclass
class ReviewerSpec:
    slug: str
    name: str
    lens: str


@dataclass
class VerdictSpec:
    reviewer: str
    tool: str
    verdict: str
    quote: str


@dataclass
class ComparisonSpec:
    slug: str
    title: str
    question: str
    intro: str
    pricing_note: str
    status: str
    published: dt.date | None
    sample: bool
    tools: list[ToolSpec] = field(default_factory=list)
    reviewers: list[ReviewerSpec] = field(default_factory=list)
    verdicts: list[VerdictSpec] = field(default_factory=list)
    source: str = ""

    def content_hash(self) -> str:
        data = asdict(self)
        data.pop("source")
        encoded = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()

    def verdict_for(self, reviewer: str, tool: str) -> VerdictSpec:
        return next(
            v for v in self.verdicts if v.reviewer == reviewer and v.tool == tool
        )


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Checker:
    """Reads fields out of a parsed table, noting each problem instead of stopping."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[ContentError] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(ContentError(self.path, where, message))

    def unknown_keys(self, table: dict, allowed: set[str], where: str) -> None:
        for key in sorted(set(table) - allowed):
            name = f"{where}.{key}" if where else key
            self.error(name, "unknown field (check its spelling in docs/content.md)")

    def text(self, table: dict, key: str, where: str, required: bool = True) -> str:
        name = f"{where}.{key}" if where else key
        value = table.get(key)

        if value is None:
            if required:
                self.error(name, "missing")
            return ""

        if not isinstance(value, str):
            self.error(name, f"must be text, not {type(value).__name__}")
            return ""

        value = value.strip()
        if required and not value:
            self.error(name, "is empty")

        limit = LIMITS.get(key)
        if limit and len(value) > limit:
            self.error(name, f"is {len(value)} characters long; the limit is {limit}")

        return value

    def slug(self, table: dict, key: str, where: str) -> str:
        value = self.text(table, key, where)
        name = f"{where}.{key}" if where else key

        if value and not SLUG.match(value):
            self.error(
                name, f"{value!r} is not a slug (lowercase letters, digits, hyphens)"
            )

        return value

    def tables(self, data: dict, key: str) -> list[dict]:
        value = data.get(key)

        if value is None:
            self.error(key, "missing")
            return []

        if not isinstance(value, list) or not all(isinstance(i, dict) for i in value):
            self.error(key, f"must be a list of tables ([[{key}]])")
            return []

        return value


def parse_text(source: str, path: str) -> ComparisonSpec:
    """Parse one file's text; raise ``ContentInvalid`` listing every error found."""
    check = _Checker(path)

    try:
        data = tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        message = f"not valid TOML: {error}"
        raise ContentInvalid([ContentError(path, "file", message)]) from error

    check.unknown_keys(data, TOP_FIELDS, "")
    spec = ComparisonSpec(
        slug=check.slug(data, "slug", ""),
        title=check.text(data, "title", "", required=False),
        question=check.text(data, "question", ""),
        intro=check.text(data, "intro", ""),
        pricing_note=check.text(data, "pricing_note", ""),
        status=check.text(data, "status", "", required=False) or "published",
        published=None,
        sample=_flag(check, data, "sample"),
        source=path,
    )

    if spec.status not in STATUSES:
        check.error("status", f"{spec.status!r} is not one of: draft, published")

    published = data.get("published")
    if published is None:
        if spec.status == "published":
            check.error("published", "missing (a date such as 2026-11-20)")
    elif isinstance(published, dt.date) and not isinstance(published, dt.datetime):
        spec.published = published
    else:
        check.error("published", "must be a date such as 2026-11-20, without quotes")

    _parse_tools(check, data, spec)
    _parse_reviewers(check, data, spec)
    _parse_verdicts(check, data, spec)

    if not spec.title and len(spec.tools) == 2:
        spec.title = f"{spec.tools[0].name} vs {spec.tools[1].name}"

    if check.errors:
        raise ContentInvalid(check.errors)

    return spec


def _flag(check: _Checker, data: dict, key: str) -> bool:
    value = data.get(key, False)

    if not isinstance(value, bool):
        check.error(key, f"must be true or false, not {value!r}")
        return False

    return value


def _price(check: _Checker, table: dict, where: str) -> str:
    text = check.text(table, "price", where)
    if not text:
        return ""

    try:
        return parse_price(text).label
    except ValueError as error:
        check.error(f"{where}.price", str(error))
        return text


def _parse_tools(check: _Checker, data: dict, spec: ComparisonSpec) -> None:
    tables = check.tables(data, "tools")

    if "tools" in data and len(tables) != 2:
        check.error("tools", f"a comparison has exactly 2 tools, found {len(tables)}")

    for index, table in enumerate(tables):
        where = f"tools[{index}]"
        check.unknown_keys(table, TOOL_FIELDS, where)
        tool = ToolSpec(
            slug=check.slug(table, "slug", where),
            name=check.text(table, "name", where),
            category=check.text(table, "category", where),
            tagline=check.text(table, "tagline", where),
            price=_price(check, table, where),
            description=check.text(table, "description", where),
        )
        if tool.slug and any(t.slug == tool.slug for t in spec.tools):
            check.error(f"{where}.slug", f"duplicate tool slug {tool.slug!r}")
        spec.tools.append(tool)


def _parse_reviewers(check: _Checker, data: dict, spec: ComparisonSpec) -> None:
    tables = check.tables(data, "reviewers")

    if "reviewers" in data and not tables:
        check.error("reviewers", "a comparison needs at least one reviewer")

    for index, table in enumerate(tables):
        where = f"reviewers[{index}]"
        check.unknown_keys(table, REVIEWER_FIELDS, where)
        reviewer = ReviewerSpec(
            slug=check.slug(table, "slug", where),
            name=check.text(table, "name", where),
            lens=check.text(table, "lens", where),
        )
        if reviewer.slug and any(r.slug == reviewer.slug for r in spec.reviewers):
            check.error(f"{where}.slug", f"duplicate reviewer slug {reviewer.slug!r}")
        spec.reviewers.append(reviewer)


def _parse_verdicts(check: _Checker, data: dict, spec: ComparisonSpec) -> None:
    tables = check.tables(data, "verdicts")
    tool_slugs = {t.slug for t in spec.tools if t.slug}
    reviewer_slugs = {r.slug for r in spec.reviewers if r.slug}
    seen: set[tuple[str, str]] = set()

    for index, table in enumerate(tables):
        where = f"verdicts[{index}]"
        check.unknown_keys(table, VERDICT_FIELDS, where)
        verdict = VerdictSpec(
            reviewer=check.text(table, "reviewer", where),
            tool=check.text(table, "tool", where),
            verdict=check.text(table, "verdict", where),
            quote=check.text(table, "quote", where),
        )

        if verdict.reviewer and verdict.reviewer not in reviewer_slugs:
            check.error(
                f"{where}.reviewer",
                f"unknown reviewer {verdict.reviewer!r}; "
                f"the [[reviewers]] slugs are {_listed(reviewer_slugs)}",
            )
        if verdict.tool and verdict.tool not in tool_slugs:
            check.error(
                f"{where}.tool",
                f"unknown tool {verdict.tool!r}; "
                f"the [[tools]] slugs are {_listed(tool_slugs)}",
            )
        if verdict.verdict and verdict.verdict not in VERDICTS:
            check.error(
                f"{where}.verdict", f"{verdict.verdict!r} is not one of: ship, skip"
            )

        pair = (verdict.reviewer, verdict.tool)
        if pair in seen:
            check.error(where, f"second verdict by {pair[0]!r} on {pair[1]!r}")
        seen.add(pair)
        spec.verdicts.append(verdict)

    for reviewer in sorted(reviewer_slugs):
        for tool in sorted(tool_slugs):
            if (reviewer, tool) not in seen:
                check.error("verdicts", f"missing verdict by {reviewer!r} on {tool!r}")


def _listed(slugs: set[str]) -> str:
    return ", ".join(repr(slug) for slug in sorted(slugs)) or "(none)"


def parse_file(path: Path) -> ComparisonSpec:
    try:
        source = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ContentInvalid(
            [ContentError(str(path), "file", f"cannot be read: {error}")]
        ) from error

    return parse_text(source, str(path))


def content_files(path: Path) -> list[Path]:
    """Return the comparison files at ``path``: itself, or a folder's ``*.toml``."""
    if path.is_dir():
        return sorted(p for p in path.glob("*.toml") if p.is_file())

    return [path]


def parse_paths(path: Path) -> list[ComparisonSpec]:
    """Parse every file at ``path``; raise ``ContentInvalid`` listing all errors."""
    if not path.exists():
        raise ContentInvalid([ContentError(str(path), "file", "not found")])

    files = content_files(path)
    if not files:
        raise ContentInvalid([ContentError(str(path), "file", "no *.toml files found")])

    specs: list[ComparisonSpec] = []
    errors: list[ContentError] = []
    first_source: dict[str, str] = {}

    for file in files:
        try:
            spec = parse_file(file)
        except ContentInvalid as invalid:
            errors.extend(invalid.errors)
            continue

        if spec.slug in first_source:
            errors.append(
                ContentError(
                    str(file),
                    "slug",
                    f"duplicate slug {spec.slug!r}, "
                    f"also used in {first_source[spec.slug]}",
                )
            )
            continue

        first_source[spec.slug] = str(file)
        specs.append(spec)

    if errors:
        raise ContentInvalid(errors)

    return specs
