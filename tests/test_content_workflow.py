"""Import, check and export as an editor runs them: all or nothing, votes kept."""

from __future__ import annotations

from sqlalchemy import select

from versus.content.schema import parse_text
from versus.extensions import db
from versus.models import Comparison, Tool, Verdict

from .conftest import ROOT, Reader
from .content_factory import comparison_text, write_comparison


def slugs(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Comparison.slug)))


def tool_votes(app, slug: str) -> dict[str, int]:
    with app.app_context():
        comparison = db.session.scalar(
            select(Comparison).where(Comparison.slug == slug)
        )
        return {tool.slug: tool.votes for tool in comparison.tools}


def test_import_folder_is_all_or_nothing(app, runner, tmp_path):
    """A database-level rejection in one file rolls back the files before it."""
    folder = tmp_path / "content"
    folder.mkdir()
    write_comparison(folder, "voted")
    runner.invoke(args=["content", "import", str(folder / "voted.toml")])
    visitor = Reader(app)
    visitor.open("voted")
    assert visitor.vote("voted-a", slug="voted").status_code == 200

    # "a-new" sorts first and is valid; "voted" then drops the tool with a vote.
    write_comparison(folder, "a-new")
    renamed = comparison_text("voted").replace('"voted-a"', '"voted-renamed"')
    (folder / "voted.toml").write_text(renamed)

    result = runner.invoke(args=["content", "import", str(folder)])

    assert result.exit_code == 1
    assert "voted.toml: tools: tool 'voted-a' has 1 stored votes" in result.output
    assert "Nothing was imported" in result.output
    assert slugs(app) == {"voted"}
    assert tool_votes(app, "voted") == {"voted-a": 1, "voted-b": 0}


def test_reimport_same_folder_is_unchanged(app, runner, tmp_path):
    write_comparison(tmp_path, "one")
    write_comparison(tmp_path, "two")

    first = runner.invoke(args=["content", "import", str(tmp_path)])
    second = runner.invoke(args=["content", "import", str(tmp_path)])

    assert "2 created, 0 updated, 0 unchanged" in first.output
    assert "0 created, 0 updated, 2 unchanged" in second.output


def test_reimport_changed_verdicts_keeps_votes(app, runner, tmp_path):
    path = write_comparison(tmp_path, "panel")
    runner.invoke(args=["content", "import", str(path)])
    for index in range(3):
        visitor = Reader(app, f"10.1.{index}.1")
        visitor.open("panel")
        visitor.vote("panel-b", slug="panel")

    calls = {"builder": ("skip", "ship"), "skeptic": ("ship", "skip")}
    path.write_text(comparison_text("panel", calls=calls))
    result = runner.invoke(args=["content", "import", str(path)])

    assert "1 updated" in result.output
    assert tool_votes(app, "panel") == {"panel-a": 0, "panel-b": 3}
    with app.app_context():
        stored = db.session.scalars(select(Verdict)).all()
        assert len(stored) == 4
        assert {(v.reviewer.slug, v.tool.slug, v.verdict) for v in stored} == {
            ("builder", "panel-a", "skip"),
            ("builder", "panel-b", "ship"),
            ("skeptic", "panel-a", "ship"),
            ("skeptic", "panel-b", "skip"),
        }


def test_import_reports_drafts_and_scheduled(app, runner, tmp_path):
    import datetime as dt

    write_comparison(tmp_path, "draft-one", status="draft", published=None)
    write_comparison(tmp_path, "later", published=dt.date(2999, 1, 1))

    result = runner.invoke(args=["content", "import", str(tmp_path)])

    assert result.exit_code == 0
    assert "Not shown to readers yet: draft-one (draft), later (from 2999-01-01)" in (
        result.output
    )


def test_export_keeps_sample_flag_and_round_trips(app, runner, tmp_path):
    text = comparison_text(
        "flagged", sample=True, prices=("$20/month", "Contact sales")
    )
    original = parse_text(text, "original.toml")
    path = tmp_path / "original.toml"
    path.write_text(text)
    runner.invoke(args=["content", "import", str(path)])

    exported = runner.invoke(args=["content", "export", "flagged"])

    assert exported.exit_code == 0
    assert exported.output.startswith("sample = true\n")
    again = parse_text(exported.output, "exported.toml")
    assert again.content_hash() == original.content_hash()


def test_export_draft(app, runner, tmp_path):
    path = write_comparison(tmp_path, "unready", status="draft", published=None)
    runner.invoke(args=["content", "import", str(path)])

    exported = runner.invoke(args=["content", "export", "unready"])

    assert exported.exit_code == 0
    assert 'status = "draft"' in exported.output
    assert "published" not in exported.output


def test_export_unknown_slug(app, runner):
    result = runner.invoke(args=["content", "export", "nothing-here"])

    assert result.exit_code == 1
    assert "error: no comparison with slug 'nothing-here'" in result.output


def test_shipped_content_is_valid(app, runner):
    result = runner.invoke(args=["content", "check", str(ROOT / "content")])

    assert result.exit_code == 0, result.output


def test_shipped_content_has_samples_and_a_split(app, runner):
    runner.invoke(args=["content", "import", str(ROOT / "content")])

    with app.app_context():
        comparisons = db.session.scalars(select(Comparison)).all()
        published = [c for c in comparisons if c.status == "published"]
        divided = [
            c
            for c in published
            for tool in c.tools
            if len({v.verdict for v in tool.verdicts}) > 1
        ]
        assert len(published) >= 3
        assert len([c for c in published if c.sample]) >= 3
        assert divided, "no shipped comparison has a divided panel"
        assert db.session.scalar(select(Tool).where(Tool.votes > 0)) is None
