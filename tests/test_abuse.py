"""Scripted votes, forged addresses, replays and limits, through the real endpoint."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from versus import create_app
from versus.content.importer import import_specs
from versus.content.schema import parse_file
from versus.extensions import db
from versus.guard_setup import init_guard
from versus.models import Comparison, Vote
from versus.voting.identity import keyed_hash
from versus.web import page_tokens

from .conftest import SAMPLE, SLUG, TEST_SECRET, Reader, base_config, page_token_from
from .test_voting import counts, vote_rows
from .tokens import expired_csrf_token, page_token, visitor_id_of


def comparison_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(Comparison.id).where(Comparison.slug == SLUG))


def stored_ip_hashes(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Vote.ip_hash).order_by(Vote.id)))


def ip_hash(address: str) -> str:
    return keyed_hash(TEST_SECRET.encode(), "ip", address)


def set_limits(app, *, per_ip: int, per_network: int) -> None:
    app.config["VOTES_PER_IP"] = per_ip
    app.config["VOTES_PER_NETWORK"] = per_network
    init_guard(app)


def test_blind_post_loop_without_page_view_counts_nothing(app, sample):
    client = app.test_client()

    statuses = set()
    messages = set()
    for index in range(20):
        response = client.post(
            f"/compare/{SLUG}/vote",
            data={"choice": "smolvlm2" if index % 2 else "sam-3"},
            headers={"HX-Request": "true"},
        )
        statuses.add(response.status_code)
        messages.add("nothing was counted" in response.get_data(as_text=True))

    assert statuses == {400}
    assert messages == {True}
    assert counts(app) == {"smolvlm2": 0, "sam-3": 0}
    assert vote_rows(app) == 0


def test_vote_without_page_token_400(app, reader):
    response = reader.vote("smolvlm2", page_token="")

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "page token is missing" in html
    assert 'name="page_token" value="' in html
    assert vote_rows(app) == 0


def test_page_token_of_another_visitor_400(app, sample):
    first, second = Reader(app, "10.3.0.1"), Reader(app, "10.4.0.1")
    first.open()
    second.open()

    response = second.vote("sam-3", page_token=first.page_token)

    assert response.status_code == 400
    assert "nothing was counted" in response.get_data(as_text=True)
    assert vote_rows(app) == 0


def test_page_token_for_another_comparison_400(app, reader):
    forged = page_token(comparison_id(app) + 1, visitor_id_of(reader.client))

    response = reader.vote("sam-3", page_token=forged)

    assert response.status_code == 400
    assert vote_rows(app) == 0


def test_tampered_page_token_400(app, reader):
    response = reader.vote("sam-3", page_token=reader.page_token[:-2] + "xx")

    assert response.status_code == 400
    assert vote_rows(app) == 0


def test_page_token_in_header_is_accepted(app, reader):
    token = reader.page_token
    reader.page_token = ""
    reader.headers["X-Page-Token"] = token

    response = reader.vote("sam-3")

    assert response.status_code == 200
    assert counts(app) == {"smolvlm2": 0, "sam-3": 1}


@pytest.mark.parametrize("htmx", [True, False])
def test_expired_page_token_explains_and_offers_fresh_form(app, reader, htmx):
    expired = page_token(comparison_id(app), visitor_id_of(reader.client), expired=True)

    response = reader.vote("smolvlm2", htmx=htmx, page_token=expired)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "open for too long" in html
    assert vote_rows(app) == 0

    reader.page_token = page_token_from(html)
    assert reader.page_token and reader.page_token != expired
    assert reader.vote("smolvlm2", htmx=htmx).status_code in {200, 303}
    assert counts(app) == {"smolvlm2": 1, "sam-3": 0}


def test_expired_csrf_token_explains_and_offers_fresh_form(app, reader):
    reader.token = expired_csrf_token(reader.client)

    response = reader.vote("sam-3")

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "open for too long" in html
    assert 'name="csrf_token" value="' in html
    assert vote_rows(app) == 0

    reader.token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    reader.page_token = page_token_from(html)
    assert reader.vote("sam-3").status_code == 200


def test_token_refresh_returns_fresh_hidden_fields(app, reader):
    response = reader.client.get(
        f"/compare/{SLUG}/vote-tokens", headers={"HX-Request": "true"}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="vote-tokens"' in html
    assert 'name="csrf_token"' in html
    assert 'name="page_token"' in html
    assert "private" in response.headers["Cache-Control"]

    reader.page_token = page_token_from(html)
    assert reader.vote("smolvlm2").status_code == 200


def test_token_refresh_unknown_comparison_404(client, sample):
    assert client.get("/compare/nothing-here/vote-tokens").status_code == 404


def test_honeypot_filled_400(app, reader):
    response = reader.vote("smolvlm2", contact_url="https://spam.invalid/")

    assert response.status_code == 400
    assert "hidden from people" in response.get_data(as_text=True)
    assert vote_rows(app) == 0


def test_honeypot_field_is_hidden_and_empty(client, sample):
    html = client.get(f"/compare/{SLUG}").get_data(as_text=True)

    trap = html.split('class="vote-trap"', 1)[1].split("</p>", 1)[0]
    assert 'aria-hidden="true"' in html.split('class="vote-trap"', 1)[1][:40]
    assert 'name="contact_url" value=""' in trap
    assert 'tabindex="-1"' in trap
    assert 'autocomplete="off"' in trap


def test_forged_forwarded_for_ignored_without_trusted_proxy(app, sample):
    set_limits(app, per_ip=3, per_network=100)

    statuses = []
    for index in range(5):
        visitor = Reader(app, "127.0.0.1")
        visitor.headers["X-Forwarded-For"] = f"203.0.113.{index + 1}"
        visitor.open()
        statuses.append(visitor.vote("sam-3").status_code)

    assert statuses == [200, 200, 200, 429, 429]
    assert stored_ip_hashes(app) == [ip_hash("127.0.0.1")] * 3
    assert counts(app) == {"smolvlm2": 0, "sam-3": 3}


@pytest.fixture
def proxied_app(database_url, redis_server):
    redis_server.client().flushall()
    config = base_config(database_url, redis_server.url) | {"TRUSTED_PROXY_COUNT": 1}
    application = create_app(config)
    with application.app_context():
        import_specs(db.session, [parse_file(SAMPLE)])
    yield application
    with application.app_context():
        db.engine.dispose()


def test_trusted_proxy_uses_only_the_address_it_added(proxied_app):
    visitor = Reader(proxied_app, "127.0.0.1")
    # The reader forged the first entry; the one proxy appended the real address.
    visitor.headers["X-Forwarded-For"] = "203.0.113.50, 198.51.100.7"
    visitor.open()

    assert visitor.vote("smolvlm2").status_code == 200
    assert stored_ip_hashes(proxied_app) == [ip_hash("198.51.100.7")]


def test_per_network_limit_ipv4_slash_24(app, sample):
    set_limits(app, per_ip=10, per_network=2)

    def vote_from(address: str):
        visitor = Reader(app, address)
        visitor.open()
        return visitor.vote("smolvlm2")

    same_network = [vote_from(f"198.51.100.{n}") for n in (1, 2, 3)]
    other_network = vote_from("198.51.101.1")

    assert [r.status_code for r in same_network] == [200, 200, 429]
    assert int(same_network[-1].headers["Retry-After"]) > 0
    assert other_network.status_code == 200
    assert counts(app)["smolvlm2"] == 3


def test_per_network_limit_ipv6_slash_64(app, sample):
    set_limits(app, per_ip=10, per_network=2)

    def vote_from(address: str) -> int:
        visitor = Reader(app, address)
        visitor.open()
        return visitor.vote("sam-3").status_code

    same_network = [
        vote_from(a) for a in ("2001:db8::1", "2001:db8::2", "2001:db8::ff:1")
    ]
    other_network = vote_from("2001:db8:0:1::1")

    assert same_network == [200, 200, 429]
    assert other_network == 200
    assert counts(app)["sam-3"] == 3


def test_replayed_vote_counts_once(app, reader):
    first = reader.vote("smolvlm2")
    replays = [reader.vote("smolvlm2") for _ in range(5)]

    assert first.status_code == 200
    assert [r.status_code for r in replays] == [409] * 5
    assert counts(app) == {"smolvlm2": 1, "sam-3": 0}
    assert vote_rows(app) == 1


def test_replayed_no_javascript_vote_counts_once(app, reader):
    first = reader.vote("sam-3", htmx=False)
    replay = reader.vote("sam-3", htmx=False)

    assert first.status_code == 303
    assert replay.status_code == 409
    assert counts(app) == {"smolvlm2": 0, "sam-3": 1}


def test_each_reader_gets_own_page_token(app, sample):
    first, second = Reader(app, "10.5.0.1"), Reader(app, "10.6.0.1")
    pages = [first.open().get_data(as_text=True), second.open().get_data(as_text=True)]

    # The page is rendered once and shared, so the token is written in per request.
    assert all(page_tokens.MARKER not in html for html in pages)
    assert first.page_token != second.page_token
    assert first.vote("sam-3").status_code == 200
    assert second.vote("smolvlm2").status_code == 200


def test_token_refresh_without_visitor_400(client, sample):
    response = client.get(
        f"/compare/{SLUG}/vote-tokens", headers={"HX-Request": "true"}
    )

    assert response.status_code == 400
    assert "Reload the comparison page" in response.get_data(as_text=True)
    assert "versus_visitor" not in response.headers.get("Set-Cookie", "")
