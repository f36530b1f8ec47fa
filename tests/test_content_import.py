"""Importing comparison files: whole files or nothing, and votes survive re-imports."""

from __future__ import annotations

from sqlalchemy import func, select

from versus.extensions import db
from versus.models import Comparison, Tool, Verdict

from .conftest import SAMPLE, SLUG, Reader


def sample_text() -> str:
    return SAMPLE.read_text()


def stored_comparisons(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Comparison))


def test_import_twice_changes_nothing(app, runner):
    first = runner.invoke(args=["content", "import", str(SAMPLE)])
    second = runner.invoke(args=["content", "import", str(SAMPLE)])

    assert first.exit_code == 0
    assert "1 created" in first.output
    assert second.exit_code == 0
    assert "1 unchanged" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Verdict)) == 8


def test_reimport_with_edits_keeps_votes(app, runner, tmp_path, sample):
    visitor = Reader(app)
    visitor.open()
    assert visitor.vote("sam-3").status_code == 200
    edited = tmp_path / "edited.toml"
    edited.write_text(sample_text().replace("Which of these two", "Which of the two"))

    result = runner.invoke(args=["content", "import", str(edited)])

    assert result.exit_code == 0
    assert "1 updated" in result.output
    with app.app_context():
        comparison = db.session.scalar(
            select(Comparison).where(Comparison.slug == SLUG)
        )
        assert comparison.question.startswith("Which of the two")
        assert {t.slug: t.votes for t in comparison.tools} == {
            "smolvlm2": 0,
            "sam-3": 1,
        }
    assert visitor.vote("smolvlm2").status_code == 409


def test_file_with_error_rejected_whole(app, runner, tmp_path):
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "a-good.toml").write_text(sample_text())
    broken = sample_text().replace('verdict = "ship"', 'verdict = "maybe"', 1)
    (folder / "b-broken.toml").write_text(broken.replace(SLUG, "another-slug"))

    result = runner.invoke(args=["content", "import", str(folder)])

    assert result.exit_code == 1
    assert "b-broken.toml: verdicts[0].verdict: 'maybe' is not one of: ship, skip" in (
        result.output
    )
    assert "Nothing was imported" in result.output
    assert stored_comparisons(app) == 0


def test_removing_voted_tool_rejected(app, runner, tmp_path, sample):
    visitor = Reader(app)
    visitor.open()
    visitor.vote("smolvlm2")
    renamed = tmp_path / "renamed.toml"
    renamed.write_text(sample_text().replace('"smolvlm2"', '"smolvlm-2"'))

    result = runner.invoke(args=["content", "import", str(renamed)])

    assert result.exit_code == 1
    assert "tool 'smolvlm2' has 1 stored votes" in result.output
    with app.app_context():
        slugs = set(db.session.scalars(select(Tool.slug)))
    assert slugs == {"smolvlm2", "sam-3"}


def test_export_round_trips(app, runner, tmp_path, sample):
    exported = runner.invoke(args=["content", "export", SLUG])
    path = tmp_path / "exported.toml"
    path.write_text(exported.output)

    checked = runner.invoke(args=["content", "check", str(path)])

    assert exported.exit_code == 0
    assert checked.exit_code == 0
    assert f"1 file(s) valid: {SLUG}" in checked.output
