"""``flask moderators`` and ``flask moderate`` commands, and ``flask tallies``."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text

from versus.extensions import db
from versus.models import Moderator, Vote
from versus.moderation.cli import moderate, moderators
from versus.voting.service import Outcome

from .conftest import ROOT, SLUG
from .moderation_support import (
    PASSWORD,
    START,
    audit_actions,
    cast,
    counted_rows,
    counters,
    fake_hash,
    signed_in,
)
from .moderation_support import Moderator as ModeratorClient

REASON = ["--reason", "Stuffed from one forum thread", "--actor", "ops"]


@pytest.fixture
def stuffed(app, sample):
    for i in range(3):
        cast(app, f"honest-{i}", "smolvlm2", ip=f"honest-{i}", at=START)
    for i in range(4):
        at = START + dt.timedelta(hours=2, minutes=i)
        cast(app, f"stuffer-{i}", "sam-3", ip="stuffer-ip", at=at)
    return SLUG


def invoke(runner, *args, input=None):
    return runner.invoke(args=list(args), input=input)


def test_moderators_create_list_disable(app, runner, sample):
    created = invoke(runner, "moderators", "create", "Alice", input=f"{PASSWORD}\n" * 2)

    assert created.exit_code == 0, created.output
    assert "Created moderator 'alice'." in created.output
    with app.app_context():
        stored = db.session.scalar(select(Moderator))
    assert stored.username == "alice"
    assert stored.password_hash.startswith("scrypt:")
    assert PASSWORD not in stored.password_hash

    listed = invoke(runner, "moderators", "list")
    assert "alice\tactive\tlast sign-in never" in listed.output

    disabled = invoke(runner, "moderators", "disable", "alice")
    assert disabled.exit_code == 0
    assert "alice\tdisabled" in invoke(runner, "moderators", "list").output


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["create", "al"], f"{PASSWORD}\n" * 2, "3 to 40 characters"),
        (["create", "bob"], "short\nshort\n", "at least 12 characters"),
        (["disable", "nobody"], None, "no moderator called 'nobody'"),
    ],
)
def test_moderators_bad_input_exits_1(app, runner, sample, args, stdin, message):
    result = invoke(runner, "moderators", *args, input=stdin)

    assert result.exit_code == 1
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(Moderator)) is None


def test_moderators_duplicate_and_double_disable(app, runner, sample):
    invoke(runner, "moderators", "create", "bob", input=f"{PASSWORD}\n" * 2)

    again = invoke(runner, "moderators", "create", "bob", input=f"{PASSWORD}\n" * 2)
    invoke(runner, "moderators", "disable", "bob")
    twice = invoke(runner, "moderators", "disable", "bob")

    assert again.exit_code == twice.exit_code == 1
    assert "already exists" in again.output
    assert "already disabled" in twice.output


def test_created_moderator_can_sign_in(app, runner, sample):
    invoke(runner, "moderators", "create", "alice", input=f"{PASSWORD}\n" * 2)

    from .moderation_support import Moderator as ModeratorClient

    assert ModeratorClient(app).sign_in().status_code == 303


def test_preview_and_void(app, runner, stuffed):
    ip = fake_hash("stuffer-ip")

    preview = invoke(runner, "moderate", "preview", SLUG, "--ip-hash", ip)
    voided = invoke(runner, "moderate", "void", SLUG, "--ip-hash", ip, *REASON, "--yes")

    assert preview.exit_code == 0
    assert "4 counted votes match:\n  smolvlm2: 0\n  sam-3: 4" in preview.output
    assert voided.exit_code == 0, voided.output
    assert (
        "void: 4 votes changed (smolvlm2 0, sam-3 4); audit entry #1." in voided.output
    )
    assert counters(app) == {"smolvlm2": 3, "sam-3": 0}
    assert audit_actions(app) == [("void", 4)]
    assert cast(app, "stuffer-0", "smolvlm2", ip="new") is Outcome.ACCEPTED


def test_void_by_window_asks_for_confirmation(app, runner, stuffed):
    window = ["--since", "2026-11-20T02:00", "--until", "2026-11-20T03:00"]

    declined = invoke(runner, "moderate", "void", SLUG, *window, *REASON, input="n\n")
    accepted = invoke(runner, "moderate", "void", SLUG, *window, *REASON, input="y\n")

    assert declined.exit_code == 1
    assert "Cancelled; nothing changed." in declined.output
    assert accepted.exit_code == 0
    assert counters(app) == {"smolvlm2": 3, "sam-3": 0}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["void", SLUG, *REASON, "--yes"], "Choose an IP hash"),
        (["void", SLUG, "--ip-hash", "zz", *REASON, "--yes"], "64-character"),
        (["void", SLUG, "--ip-hash", "a" * 64, *REASON, "--yes"], "No counted votes"),
        (["void", "nope", "--ip-hash", "a" * 64, *REASON, "--yes"], "no comparison"),
        (["reset", SLUG, "--reason", "no", "--yes"], "at least 3 characters"),
        (["restore", SLUG, "7", *REASON, "--yes"], "no audit entry #7"),
        (["reopen", SLUG, *REASON, "--yes"], "already open"),
    ],
)
def test_moderate_bad_input_exits_1(app, runner, stuffed, args, message):
    result = invoke(runner, "moderate", *args)

    assert result.exit_code == 1
    assert message in result.output
    assert counters(app) == {"smolvlm2": 3, "sam-3": 4}
    assert audit_actions(app) == []


def test_reset_restore_close_reopen_and_log(app, runner, stuffed):
    assert invoke(runner, "moderate", "reset", SLUG, *REASON, "--yes").exit_code == 0
    assert counters(app) == {"smolvlm2": 0, "sam-3": 0}

    restored = invoke(runner, "moderate", "restore", SLUG, "1", *REASON, "--yes")
    assert restored.exit_code == 0
    assert counters(app) == {"smolvlm2": 3, "sam-3": 4}

    assert invoke(runner, "moderate", "close", SLUG, *REASON, "--yes").exit_code == 0
    assert cast(app, "late", "sam-3", ip="late") is Outcome.CLOSED
    assert invoke(runner, "moderate", "reopen", SLUG, *REASON, "--yes").exit_code == 0
    assert cast(app, "late", "sam-3", ip="late") is Outcome.ACCEPTED

    log = invoke(runner, "moderate", "log", "--slug", SLUG).output.splitlines()
    assert [line.split()[4] for line in log] == ["reopen", "close", "restore", "reset"]
    assert all(" ops " in line for line in log)
    csv_lines = invoke(runner, "moderate", "log", "--csv").output.splitlines()
    assert csv_lines[0].startswith("id,created_at,actor")
    assert len(csv_lines) == 5


def test_web_and_cli_write_the_same_audit_log(app, runner, stuffed):
    moderator = signed_in(app)
    moderator.post(
        f"/moderate/{SLUG}/close", {"public_reason": "Final tally", "confirm": "yes"}
    )

    reopened = invoke(runner, "moderate", "reopen", SLUG, *REASON, "--yes")
    log = invoke(runner, "moderate", "log").output.splitlines()

    assert reopened.exit_code == 0
    assert log[0].split()[3:5] == ["ops", "reopen"]
    assert log[1].split()[3:5] == ["alice", "close"]


def test_show_lists_bursts_and_hashes(app, runner, stuffed):
    app.config["BURST_MIN_VOTES"] = 4

    result = invoke(runner, "moderate", "show", SLUG, "--days", "30")

    assert result.exit_code == 0
    assert "smolvlm2: 3 counted" in result.output
    assert f"  {fake_hash('stuffer-ip')} 4 votes (4 counted)" in result.output


def test_tallies_verify_and_rebuild(app, runner, stuffed):
    assert invoke(runner, "tallies", "verify").exit_code == 0

    with app.app_context():
        db.session.execute(text("UPDATE tools SET votes = votes + 5"))
        db.session.commit()

    broken = invoke(runner, "tallies", "verify")
    rebuilt = invoke(runner, "tallies", "rebuild")

    assert broken.exit_code == 1
    assert f"mismatch: {SLUG}/sam-3: counter 9, counted rows 4" in broken.output
    assert "Rebuilt counters: 2 changed." in rebuilt.output
    assert counters(app) == counted_rows(app) == {"smolvlm2": 3, "sam-3": 4}
    assert invoke(runner, "tallies", "verify").exit_code == 0


def test_tallies_verify_reports_two_counted_votes(app, runner, stuffed):
    with app.app_context():
        # Simulate a database whose partial unique index went missing.
        db.session.execute(text("DROP INDEX uq_votes_counted_visitor"))
        first = db.session.scalar(select(Vote).limit(1))
        db.session.add(
            Vote(
                comparison_id=first.comparison_id,
                tool_id=first.tool_id,
                visitor_hash=first.visitor_hash,
                ip_hash=first.ip_hash,
                network_hash=first.network_hash,
            )
        )
        db.session.execute(
            text("UPDATE tools SET votes = votes + 1 WHERE id = :id"),
            {"id": first.tool_id},
        )
        db.session.commit()
        visitor = first.visitor_hash

    try:
        result = invoke(runner, "tallies", "verify")
    finally:
        # The PostgreSQL database is shared by the whole run: put the index back.
        with app.app_context():
            db.session.execute(text("DELETE FROM votes"))
            db.session.execute(
                text(
                    "CREATE UNIQUE INDEX uq_votes_counted_visitor ON votes "
                    "(comparison_id, visitor_hash) WHERE voided_at IS NULL"
                )
            )
            db.session.commit()

    assert result.exit_code == 1
    assert f"duplicate: {SLUG}: visitor {visitor[:12]}... has 2" in result.output
    assert "mismatch" not in result.output


def test_actions_without_redis_warn_on_stderr(app, app_factory, stuffed):
    no_redis = app_factory(REDIS_URL=None).test_cli_runner()
    stuffer = ["--ip-hash", fake_hash("stuffer-ip")]
    steps = [
        ["void", SLUG, *stuffer],
        ["restore", SLUG, "1"],
        ["reset", SLUG],
        ["close", SLUG],
        ["reopen", SLUG],
    ]

    for step in steps:
        result = invoke(no_redis, "moderate", *step, *REASON, "--yes")

        assert result.exit_code == 0, result.output
        assert "audit entry #" in result.stdout
        [warning] = result.stderr.splitlines()
        assert warning.startswith("warning: REDIS_URL is not set, so running servers")
        assert "Set REDIS_URL to the servers' Redis URL, in the environment" in warning

    assert [action for action, _ in audit_actions(app)] == [
        "void",
        "restore",
        "reset",
        "close",
        "reopen",
    ]


def test_reading_commands_without_redis_do_not_warn(app, app_factory, stuffed):
    no_redis = app_factory(REDIS_URL=None).test_cli_runner()

    for args in [
        ["show", SLUG],
        ["preview", SLUG, "--ip-hash", fake_hash("stuffer-ip")],
        ["log"],
    ]:
        result = invoke(no_redis, "moderate", *args)

        assert result.exit_code == 0, result.output
        assert result.stderr == ""


def test_rejected_action_without_redis_does_not_warn(app, app_factory, stuffed):
    no_redis = app_factory(REDIS_URL=None).test_cli_runner()

    result = invoke(no_redis, "moderate", "reopen", SLUG, *REASON, "--yes")

    assert result.exit_code == 1
    assert result.stderr == "error: Voting on this comparison is already open.\n"


def test_actions_with_redis_do_not_warn(app, runner, stuffed):
    result = invoke(runner, "moderate", "close", SLUG, *REASON, "--yes")

    assert result.exit_code == 0
    assert result.stderr == ""


def test_create_with_password_option_skips_prompt(app, runner, sample):
    created = invoke(runner, "moderators", "create", "carol", "--password", PASSWORD)

    assert created.exit_code == 0, created.output
    assert "Password" not in created.output
    assert ModeratorClient(app).sign_in("carol").status_code == 303


def test_docs_name_every_moderation_option():
    documented = (ROOT / "docs" / "moderation.md").read_text(encoding="utf-8")
    missing = [
        f"flask {group.name} {name} {option}"
        for group in (moderators, moderate)
        for name, command in group.commands.items()
        for parameter in command.params
        for option in getattr(parameter, "opts", [])
        if option.startswith("--") and option not in documented
    ]

    assert missing == []
