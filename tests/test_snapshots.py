"""The snapshot cache: two app instances (two processes' worth of caches) sharing
one Redis and one database must never show each other a stale comparison."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import event, select, text, update

from versus import create_app
from versus.content.importer import import_specs
from versus.content.schema import parse_file
from versus.extensions import db
from versus.guard_setup import current_guard
from versus.listing import today
from versus.models import Comparison, Tool
from versus.snapshots import current_store
from versus.voting.moderation import actions
from versus.voting.moderation.inputs import Reasons, VoteFilter

from .conftest import SAMPLE, SLUG, Reader, base_config

TALLY = f"/compare/{SLUG}/tally"
API = f"/api/comparisons/{SLUG}"


@pytest.fixture
def other_app(database_url, redis_server, app):
    """A second instance with its own snapshot cache, as a second process has."""
    second = create_app(base_config(database_url, redis_server.url))
    yield second
    with second.app_context():
        db.engine.dispose()


def etag_and_total(client) -> tuple[str, int]:
    response = client.get(API)
    assert response.status_code == 200
    return response.headers["ETag"], response.get_json()["total_votes"]


def test_cache_is_on_with_redis(app, sample):
    with app.app_context():
        assert current_store() is not None


def test_unchanged_tally_answers_304_without_sql(app, sample):
    client = app.test_client()
    etag = client.get(TALLY).headers["ETag"]
    statements = []

    with app.app_context():
        engine = db.engine

    def count(*args) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        response = client.get(TALLY, headers={"If-None-Match": etag})
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert response.status_code == 304
    assert statements == []


def test_vote_in_one_instance_shows_in_the_other(app, other_app, sample):
    watcher = other_app.test_client()
    old_etag, total = etag_and_total(watcher)
    assert total == 0

    voter = Reader(app, "10.9.0.1")
    voter.open()
    assert voter.vote("sam-3").status_code == 200

    response = watcher.get(TALLY, headers={"If-None-Match": old_etag})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 of 1 vote" in html
    assert etag_and_total(watcher)[1] == 1
    assert response.headers["ETag"] != old_etag


def test_page_shows_visitors_choice_after_vote(app, other_app, sample):
    voter = Reader(app, "10.9.0.2")
    voter.open()
    voter.vote("smolvlm2")

    # The same visitor cookie, read by the other instance's cache.
    voter.client, shared_jar = other_app.test_client(), voter.client
    for cookie in shared_jar._cookies.values():
        voter.client.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
    html = voter.open().get_data(as_text=True)

    assert "You voted for <strong>SmolVLM2</strong>" in html
    assert 'class="vote-form"' not in html


def test_closing_through_the_session_shows_everywhere(app, other_app, sample):
    watcher = other_app.test_client()
    assert 'class="vote-form"' in watcher.get(f"/compare/{SLUG}").get_data(as_text=True)

    with app.app_context():
        db.session.execute(
            update(Comparison)
            .where(Comparison.slug == SLUG)
            .values(voting_open=False, tally_version=Comparison.tally_version + 1)
        )
        db.session.commit()

    html = watcher.get(f"/compare/{SLUG}").get_data(as_text=True)
    assert "Voting on this comparison is closed" in html
    assert watcher.get(API).get_json()["voting_open"] is False


def test_counter_change_by_orm_object_shows_everywhere(app, other_app, sample):
    watcher = other_app.test_client()
    assert etag_and_total(watcher)[1] == 0

    with app.app_context():
        tool = db.session.scalars(select(Tool).where(Tool.slug == "sam-3")).one()
        tool.votes = 7
        db.session.commit()

    assert etag_and_total(watcher)[1] == 7


def test_raw_sql_write_through_session_bumps_every_comparison(app, other_app, sample):
    watcher = other_app.test_client()
    assert etag_and_total(watcher)[1] == 0

    with app.app_context():
        db.session.execute(text("UPDATE tools SET votes = 3"))
        db.session.commit()

    assert etag_and_total(watcher)[1] == 6


def test_content_import_shows_everywhere(app, other_app, sample, tmp_path):
    watcher = other_app.test_client()
    assert "SmolVLM2 vs SAM 3" in watcher.get(f"/compare/{SLUG}").get_data(as_text=True)

    edited = tmp_path / SAMPLE.name
    edited.write_text(
        SAMPLE.read_text().replace(
            'title = "SmolVLM2 vs SAM 3 (Segment Anything Model 3)"',
            'title = "SmolVLM2 against SAM 3"',
        )
    )
    with app.app_context():
        report = import_specs(db.session, [parse_file(edited)])
    assert report.updated == [SLUG]

    html = watcher.get(f"/compare/{SLUG}").get_data(as_text=True)
    assert "<title>SmolVLM2 against SAM 3:" in html


def test_unpublished_comparison_is_404_everywhere(app, other_app, sample):
    watcher = other_app.test_client()
    assert watcher.get(TALLY).status_code == 200

    with app.app_context():
        comparison = db.session.scalars(
            select(Comparison).where(Comparison.slug == SLUG)
        ).one()
        comparison.status = "draft"
        db.session.commit()

    assert watcher.get(TALLY).status_code == 404
    assert watcher.get(API).status_code == 404
    assert watcher.get(f"/compare/{SLUG}").status_code == 404


def test_lost_redis_data_rebuilds_instead_of_serving_stale(
    app, other_app, sample, redis_server
):
    watcher = other_app.test_client()
    assert etag_and_total(watcher)[1] == 0

    # Redis loses every key, then a change lands with nobody to publish it
    # (as after a restart without persistence, with a write made meanwhile).
    redis_server.client().flushall()
    with app.app_context():
        db.session.execute(
            update(Tool).where(Tool.slug == "sam-3").values(votes=4),
            execution_options={"synchronize_session": False},
        )
        db.session.commit()
    redis_server.client().flushall()

    assert etag_and_total(watcher)[1] == 4


def test_cache_is_off_without_redis(database_url, sample):
    plain = create_app(base_config(database_url, None))
    response = plain.test_client().get(TALLY)
    with plain.app_context():
        store = current_store()
        db.engine.dispose()

    assert store is None
    assert response.status_code == 200


def test_version_key_shares_the_guard_slot(app, sample, redis_server):
    app.test_client().get(TALLY)

    keys = [key.decode() for key in redis_server.client().keys("versus-test:*")]
    assert any(key.endswith(":version") and "{c:1}" in key for key in keys), keys
    assert all("{c:" in key for key in keys)


def test_publish_command_reloads_after_outside_write(app, other_app, sample, runner):
    watcher = other_app.test_client()
    assert etag_and_total(watcher)[1] == 0

    # A write the site never sees: straight through the engine, not a session.
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(text("UPDATE tools SET votes = 2"))
    assert etag_and_total(watcher)[1] == 0

    result = runner.invoke(args=["tallies", "publish"])

    assert result.exit_code == 0, result.output
    assert "Published new versions" in result.output
    assert etag_and_total(watcher)[1] == 4


def csrf_tokens(html: str) -> set[str]:
    meta = re.findall(r'name="csrf-token" content="([^"]+)"', html)
    fields = re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    fields += re.findall(r'type="hidden" name="csrf_token" value="([^"]+)"', html)
    fields += re.findall(r'name="csrf_token" value="([^"]+)"', html)
    return set(meta + fields)


def test_shared_page_gets_each_readers_own_token(app, sample):
    first = app.test_client().get(f"/compare/{SLUG}").get_data(as_text=True)
    second = app.test_client().get(f"/compare/{SLUG}").get_data(as_text=True)

    assert "csrf-token-placeholder" not in first + second
    assert len(csrf_tokens(first)) == 1
    assert len(csrf_tokens(second)) == 1
    assert csrf_tokens(first) != csrf_tokens(second)
    assert first.count(next(iter(csrf_tokens(first)))) >= 3


def test_scheduled_comparison_is_hidden_until_its_date(app, other_app, sample):
    watcher = other_app.test_client()
    assert watcher.get(TALLY).status_code == 200

    with app.app_context():
        comparison = db.session.scalars(
            select(Comparison).where(Comparison.slug == SLUG)
        ).one()
        comparison.published_on = today() + dt.timedelta(days=1)
        db.session.commit()

    assert watcher.get(TALLY).status_code == 404
    assert watcher.get(API).status_code == 404
    assert watcher.get(f"/compare/{SLUG}").status_code == 404

    with app.app_context():
        comparison = db.session.scalars(
            select(Comparison).where(Comparison.slug == SLUG)
        ).one()
        comparison.published_on = today()
        db.session.commit()

    assert watcher.get(TALLY).status_code == 200


def test_shared_page_takes_canonical_url_from_each_request(app, sample):
    app.config["PUBLIC_URL"] = None
    forged = app.test_client().get(
        f"/compare/{SLUG}", headers={"Host": "forged.example"}
    )
    honest = app.test_client().get(f"/compare/{SLUG}").get_data(as_text=True)

    assert "forged.example" in forged.get_data(as_text=True)
    assert "forged.example" not in honest
    assert f'<link rel="canonical" href="http://localhost/compare/{SLUG}">' in honest
    assert "canonical-url-placeholder" not in honest


def statements_during(app, action) -> list[str]:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def record(*args) -> None:
        seen.append(" ".join(args[2].split()).upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_warm_cache_vote_runs_only_writes(app, sample):
    reader = Reader(app, "10.9.0.3")
    reader.open()

    replies = []
    seen = statements_during(app, lambda: replies.append(reader.vote("sam-3")))

    with app.app_context():
        dialect = db.engine.dialect.name
    # PostgreSQL runs the three writes as one statement with CTEs.
    expected = ["WITH"] if dialect == "postgresql" else ["UPDATE", "INSERT", "UPDATE"]

    assert replies[0].status_code == 200
    assert [statement.split()[0] for statement in seen] == expected
    assert "1 of 1 vote" in replies[0].get_data(as_text=True)


def test_vote_keeps_content_version(app, sample, redis_server):
    client = redis_server.client()
    reader = Reader(app, "10.9.0.4")
    reader.open()
    content_keys = [
        key for key in client.keys("versus-test:*") if key.endswith(b":content")
    ]
    assert len(content_keys) == 1
    before = client.get(content_keys[0])

    assert reader.vote("smolvlm2").status_code == 200

    assert client.get(content_keys[0]) == before


def edit_tool(app, current_slug: str, **values) -> None:
    """Change a tool through the site's session, as a process other than the voter's."""
    with app.app_context():
        tool = db.session.scalars(select(Tool).where(Tool.slug == current_slug)).one()
        for name, value in values.items():
            setattr(tool, name, value)
        db.session.commit()


def test_stale_cached_content_rechecked(app, other_app, sample):
    # The voter's process has cached the comparison, and another process renames
    # a tool. The vote must count, and its reply must show the new name.
    voter = Reader(other_app, "10.9.0.5")
    voter.open()

    edit_tool(app, "sam-3", name="SAM Three")
    response = voter.vote("sam-3")
    html = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "You voted for <strong>SAM Three</strong>" in html
    assert etag_and_total(app.test_client())[1] == 1


def test_vote_for_removed_tool_counts_nothing(app, other_app, sample):
    voter = Reader(other_app, "10.9.0.6")
    voter.open()

    edit_tool(app, "sam-3", slug="sam-three")
    response = voter.vote("sam-3")

    assert response.status_code == 400
    assert "not a valid choice" in response.get_data(as_text=True)
    assert etag_and_total(app.test_client())[1] == 0


def test_void_note_reaches_other_process(app, other_app, sample):
    watcher = other_app.test_client()
    voter = Reader(app, "10.9.0.7")
    voter.open()
    assert voter.vote("sam-3").status_code == 200
    assert "1 of 1 vote" in watcher.get(TALLY).get_data(as_text=True)
    assert "moderators removed" not in watcher.get(f"/compare/{SLUG}").get_data(
        as_text=True
    )

    with app.app_context():
        comparison_id = db.session.scalar(select(Comparison.id))
        actions.void_votes(
            db.session,
            current_guard(),
            comparison_id,
            VoteFilter(tool_slug="sam-3"),
            Reasons("Votes from one script"),
            "alice",
        )

    page = watcher.get(f"/compare/{SLUG}").get_data(as_text=True)
    assert etag_and_total(watcher)[1] == 0
    assert "moderators removed" in " ".join(page.split())
    assert "Votes from one script" in page


def test_rejected_vote_shows_current_state(app, other_app, sample):
    # The voter's process cached the open comparison, then another process closes it.
    voter = Reader(other_app, "10.9.0.8")
    voter.open()
    with app.app_context():
        db.session.execute(update(Comparison).values(voting_open=False))
        db.session.commit()

    voter.page_token = "forged"
    response = voter.vote("sam-3")
    html = response.get_data(as_text=True)

    assert response.status_code == 400
    assert 'class="vote-form"' not in html
    assert "Voting on this comparison is closed" in html


def test_import_tool_removal_waits_for_vote(app, other_app, sample, tmp_path):
    # A vote for sam-3 arrives between the import's check that sam-3 has no votes
    # and its removal of sam-3. The vote must not be stored against a removed tool.
    import threading
    import time

    from versus.models import Vote

    voter = Reader(other_app, "10.9.0.9")
    voter.open()
    edited = tmp_path / SAMPLE.name
    edited.write_text(
        SAMPLE.read_text()
        .replace('slug = "sam-3"', 'slug = "sam-3b"')
        .replace('tool = "sam-3"', 'tool = "sam-3b"')
    )
    replies = []
    voting = threading.Thread(target=lambda: replies.append(voter.vote("sam-3")))

    with app.app_context():
        session = db.session()
        count_votes = session.scalar

        def scalar_then_vote(statement, *args, **kwargs):
            found = count_votes(statement, *args, **kwargs)
            if "votes" in str(statement) and not voting.is_alive() and not replies:
                voting.start()
                time.sleep(0.5)  # let the vote reach the database
            return found

        session.scalar = scalar_then_vote
        try:
            report = import_specs(session, [parse_file(edited)])
        finally:
            del session.scalar
    voting.join(timeout=30)

    with app.app_context():
        tools = set(db.session.scalars(select(Tool.id)))
        stored = list(db.session.scalars(select(Vote.tool_id)))
        counters = dict(db.session.execute(select(Tool.slug, Tool.votes)).all())

    assert report.updated == [SLUG]
    assert replies[0].status_code != 200
    assert [tool_id for tool_id in stored if tool_id not in tools] == []
    assert counters == {"smolvlm2": 0, "sam-3b": 0}
