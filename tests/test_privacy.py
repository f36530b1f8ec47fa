"""``flask votes purge-identifiers``: old votes lose their hashes, never their count."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from versus.extensions import db
from versus.models import Vote
from versus.tally_audit import find_mismatches

from .conftest import Reader
from .test_voting import counts


def cast(app, count: int, choice: str = "smolvlm2") -> list[Reader]:
    readers = []
    for index in range(count):
        reader = Reader(app, f"10.20.{index}.1")
        reader.open()
        assert reader.vote(choice).status_code == 200
        readers.append(reader)
    return readers


def age_votes(app, days: int, vote_ids: list[int]) -> None:
    then = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days)
    with app.app_context():
        db.session.execute(
            update(Vote).where(Vote.id.in_(vote_ids)).values(created_at=then)
        )
        db.session.commit()


def rows(app) -> list[tuple]:
    with app.app_context():
        return db.session.execute(
            select(
                Vote.id, Vote.visitor_hash, Vote.ip_hash, Vote.network_hash
            ).order_by(Vote.id)
        ).all()


def test_purge_erases_old_hashes_and_keeps_counts(app, runner, sample, redis_server):
    cast(app, 3, "smolvlm2")
    cast(app, 1, "sam-3")
    age_votes(app, 40, [1, 2, 4])
    before = counts(app)

    result = runner.invoke(args=["votes", "purge-identifiers", "--older-than", "30"])

    assert result.exit_code == 0, result.output
    assert "Erased identifiers from 3 vote(s)" in result.output
    after = rows(app)
    assert [r[1:] for r in after if r[0] in (1, 2, 4)] == [(None, None, None)] * 3
    assert all(value is not None for value in after[2][1:])
    assert counts(app) == before == {"smolvlm2": 3, "sam-3": 1}
    with app.app_context():
        assert find_mismatches(db.session) == []
    claims = redis_server.client().keys("versus-test:*:visitor:*")
    assert len(claims) == 1


def test_purge_twice_is_harmless(app, runner, sample):
    cast(app, 2)
    age_votes(app, 10, [1, 2])

    first = runner.invoke(args=["votes", "purge-identifiers", "--older-than", "5"])
    second = runner.invoke(args=["votes", "purge-identifiers", "--older-than", "5"])

    assert first.exit_code == second.exit_code == 0
    assert "from 2 vote(s)" in first.output
    assert "from 0 vote(s)" in second.output
    assert counts(app)["smolvlm2"] == 2


def test_purge_dry_run_changes_nothing(app, runner, sample):
    cast(app, 2)
    age_votes(app, 10, [2])
    before = rows(app)

    result = runner.invoke(
        args=["votes", "purge-identifiers", "--older-than", "5", "--dry-run"]
    )

    assert result.exit_code == 0
    assert "1 vote(s) older than 5 day(s) hold identifiers" in result.output
    assert rows(app) == before


def test_purge_rejects_bad_days(runner):
    for value in ["0", "-3", "ten", ""]:
        result = runner.invoke(
            args=["votes", "purge-identifiers", "--older-than", value]
        )
        assert result.exit_code == 2, value
        assert "--older-than" in result.output


def test_purge_with_redis_down_changes_nothing(app, runner, sample):
    from versus.guard_setup import init_guard

    cast(app, 1)
    age_votes(app, 10, [1])
    before = rows(app)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    init_guard(app)

    result = runner.invoke(args=["votes", "purge-identifiers", "--older-than", "5"])

    assert result.exit_code == 1
    assert "nothing was erased" in result.output
    assert rows(app) == before


def test_voting_after_purge(app, runner, sample):
    purged, kept = cast(app, 2)
    age_votes(app, 10, [1])
    runner.invoke(args=["votes", "purge-identifiers", "--older-than", "5"])

    cast(app, 1, "sam-3")
    # As docs/security.md says: the site no longer knows the purged reader, so
    # they may vote again; a reader whose vote kept its hashes may not.
    again = purged.vote("sam-3")
    repeat = kept.vote("sam-3")

    assert again.status_code == 200
    assert repeat.status_code == 409
    assert counts(app) == {"smolvlm2": 2, "sam-3": 2}
    with app.app_context():
        assert find_mismatches(db.session) == []
