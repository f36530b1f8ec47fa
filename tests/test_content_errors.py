"""Every content error names the file, the field and what is wrong; none writes."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import tomli_w
from sqlalchemy import func, select

from versus.content.schema import ContentInvalid, parse_text
from versus.extensions import db
from versus.models import Comparison

from .content_factory import comparison_data, write_comparison

FILE = "content/example.toml"


def errors_for(data: dict) -> list[str]:
    with pytest.raises(ContentInvalid) as raised:
        parse_text(tomli_w.dumps(data), FILE)

    return [str(error) for error in raised.value.errors]


def edited(change) -> dict:
    data = copy.deepcopy(comparison_data("example"))
    change(data)
    return data


def drop_tool(data: dict) -> None:
    del data["tools"][1]


def drop_tools_table(data: dict) -> None:
    del data["tools"]


def unknown_tool_in_verdict(data: dict) -> None:
    data["verdicts"][0]["tool"] = "gamma"


def verdict_maybe(data: dict) -> None:
    data["verdicts"][1]["verdict"] = "maybe"


def verdict_capitalised(data: dict) -> None:
    data["verdicts"][2]["verdict"] = "Ship"


def unknown_reviewer(data: dict) -> None:
    data["verdicts"][3]["reviewer"] = "critic"


def empty_quote(data: dict) -> None:
    data["verdicts"][4]["quote"] = "   "


def missing_quote(data: dict) -> None:
    del data["verdicts"][4]["quote"]


def duplicate_tool_slug(data: dict) -> None:
    data["tools"][1]["slug"] = data["tools"][0]["slug"]


def duplicate_reviewer_slug(data: dict) -> None:
    data["reviewers"][1]["slug"] = "builder"


def bad_price(data: dict) -> None:
    data["tools"][0]["price"] = "cheap"


def bad_status(data: dict) -> None:
    data["status"] = "live"


def published_as_text(data: dict) -> None:
    data["published"] = "2026-01-15"


def published_missing(data: dict) -> None:
    del data["published"]


def sample_not_boolean(data: dict) -> None:
    data["sample"] = "yes"


def bad_slug(data: dict) -> None:
    data["slug"] = "Not A Slug"


def unknown_field(data: dict) -> None:
    data["tools"][0]["website"] = "https://example.org"


def missing_verdict(data: dict) -> None:
    del data["verdicts"][7]


def second_verdict(data: dict) -> None:
    data["verdicts"].append(dict(data["verdicts"][0]))


def too_long_title(data: dict) -> None:
    data["title"] = "x" * 201


def no_reviewers(data: dict) -> None:
    data["reviewers"] = []
    data["verdicts"] = []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (drop_tool, "tools: a comparison has exactly 2 tools, found 1"),
        (drop_tools_table, "tools: missing"),
        (unknown_tool_in_verdict, "verdicts[0].tool: unknown tool 'gamma'"),
        (verdict_maybe, "verdicts[1].verdict: 'maybe' is not one of: ship, skip"),
        (verdict_capitalised, "verdicts[2].verdict: 'Ship' is not one of: ship, skip"),
        (unknown_reviewer, "verdicts[3].reviewer: unknown reviewer 'critic'"),
        (empty_quote, "verdicts[4].quote: is empty"),
        (missing_quote, "verdicts[4].quote: missing"),
        (duplicate_tool_slug, "tools[1].slug: duplicate tool slug 'example-a'"),
        (duplicate_reviewer_slug, "reviewers[1].slug: duplicate reviewer slug"),
        (bad_price, "tools[0].price: 'cheap' is not a price"),
        (bad_status, "status: 'live' is not one of: draft, published"),
        (published_as_text, "published: must be a date such as 2026-11-20"),
        (published_missing, "published: missing"),
        (sample_not_boolean, "sample: must be true or false, not 'yes'"),
        (bad_slug, "slug: 'Not A Slug' is not a slug"),
        (unknown_field, "tools[0].website: unknown field"),
        (missing_verdict, "verdicts: missing verdict by 'buyer' on 'example-b'"),
        (second_verdict, "verdicts[8]: second verdict by 'builder' on 'example-a'"),
        (too_long_title, "title: is 201 characters long; the limit is 200"),
        (no_reviewers, "reviewers: a comparison needs at least one reviewer"),
    ],
)
def test_content_error_names_file_and_field(change, expected):
    errors = errors_for(edited(change))

    assert any(error.startswith(f"{FILE}: {expected}") for error in errors), errors


def test_unknown_reviewer_lists_known_slugs():
    error = errors_for(edited(unknown_reviewer))[0]

    assert (
        "the [[reviewers]] slugs are 'builder', 'buyer', 'futurist', 'skeptic'" in error
    )


def test_every_error_reported_at_once():
    def break_three(data: dict) -> None:
        verdict_maybe(data)
        unknown_reviewer(data)
        empty_quote(data)

    errors = errors_for(edited(break_three))

    assert len([e for e in errors if "verdicts[1].verdict" in e]) == 1
    assert len([e for e in errors if "verdicts[3].reviewer" in e]) == 1
    assert len([e for e in errors if "verdicts[4].quote" in e]) == 1


def test_invalid_toml_names_the_file():
    with pytest.raises(ContentInvalid) as raised:
        parse_text('slug = "x"\nquestion = ', FILE)

    assert str(raised.value).startswith(f"{FILE}: file: not valid TOML")


def test_draft_needs_no_date():
    spec = parse_text(
        tomli_w.dumps(comparison_data("example", status="draft", published=None)), FILE
    )

    assert spec.status == "draft"
    assert spec.published is None


def test_valid_file_parses():
    spec = parse_text(
        tomli_w.dumps(
            comparison_data("example", prices=("Contact sales", "$20/month"))
        ),
        FILE,
    )

    assert spec.title == "Alpha vs Beta"
    assert spec.published == dt.date(2026, 1, 15)
    assert [tool.price for tool in spec.tools] == ["Contact sales", "$20/month"]


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Comparison))


def test_check_reports_every_file_error(app, runner, tmp_path):
    write_comparison(tmp_path, "first")
    broken = tmp_path / "second.toml"
    broken.write_text(tomli_w.dumps(edited(verdict_maybe) | {"slug": "second"}))

    result = runner.invoke(args=["content", "check", str(tmp_path)])

    assert result.exit_code == 1
    assert f"error: {broken}: verdicts[1].verdict: 'maybe'" in result.output
    assert stored(app) == 0


def test_check_writes_nothing_when_valid(app, runner, tmp_path):
    write_comparison(tmp_path, "first")
    write_comparison(tmp_path, "second")

    result = runner.invoke(args=["content", "check", str(tmp_path)])

    assert result.exit_code == 0
    assert "2 file(s) valid: first, second" in result.output
    assert stored(app) == 0


def test_duplicate_slug_across_files(app, runner, tmp_path):
    first = write_comparison(tmp_path, "same")
    second = tmp_path / "zz-copy.toml"
    second.write_text(first.read_text())

    result = runner.invoke(args=["content", "import", str(tmp_path)])

    assert result.exit_code == 1
    assert f"{second}: slug: duplicate slug 'same', also used in {first}" in (
        result.output
    )
    assert stored(app) == 0


@pytest.mark.parametrize(
    ("path", "message"),
    [("missing-folder", "file: not found"), ("empty", "file: no *.toml files found")],
)
def test_import_path_errors(app, runner, tmp_path, path, message):
    (tmp_path / "empty").mkdir()

    result = runner.invoke(args=["content", "import", str(tmp_path / path)])

    assert result.exit_code == 1
    assert f"{tmp_path / path}: {message}" in result.output


def test_file_not_utf8(app, runner, tmp_path):
    path = tmp_path / "latin1.toml"
    path.write_bytes('question = "caf\xe9"'.encode("latin-1"))

    result = runner.invoke(args=["content", "check", str(path)])

    assert result.exit_code == 1
    assert f"{path}: file: cannot be read" in result.output
