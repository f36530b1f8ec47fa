"""What the comparison page shows, and the tally fragment and JSON API."""

from __future__ import annotations

import re

from .conftest import SLUG, Reader


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def tool_cards(html: str) -> list[str]:
    return [
        text_of(card)
        for card in re.findall(r'<article class="tool-card".*?</article>', html, re.S)
    ]


def test_page_shows_both_tool_cards(client, sample):
    html = client.get(f"/compare/{SLUG}").get_data(as_text=True)
    cards = tool_cards(html)

    assert "SmolVLM2 vs SAM 3 (Segment Anything Model 3)" in text_of(html)
    assert len(cards) == 2
    assert "SmolVLM2" in cards[0]
    assert "SAM 3 (Segment Anything Model 3)" in cards[1]
    for card in cards:
        assert "Developer Tools" in card
        assert "Panel ship 100%" in card
        assert "Community —" in card
        assert "Entry Free" in card
    assert "2-billion-parameter" in cards[0]
    assert "promptable masks" in cards[1]


def test_scorecard_lists_each_lens(client, sample):
    text = text_of(client.get(f"/compare/{SLUG}").get_data(as_text=True))

    for lens in [
        "Developer experience",
        "Competition and risk",
        "Where the market is going",
        "The buyer and the job to be done",
    ]:
        assert lens in text
    assert text.count("Ship SmolVLM2") == 4
    assert text.count("Ship SAM 3 (Segment Anything Model 3)") == 4


def test_community_share_after_votes(app, sample):
    for index, choice in enumerate(["smolvlm2", "smolvlm2", "sam-3"]):
        visitor = Reader(app, f"10.0.{index}.1")
        visitor.open()
        visitor.vote(choice)

    cards = tool_cards(Reader(app).open().get_data(as_text=True))

    assert "Community 67% (2 votes)" in cards[0]
    assert "Community 33% (1 vote)" in cards[1]


def test_tally_etag_and_304(app, sample):
    client = app.test_client()
    first = client.get(f"/compare/{SLUG}/tally")
    etag = first.headers["ETag"]

    unchanged = client.get(f"/compare/{SLUG}/tally", headers={"If-None-Match": etag})

    assert first.status_code == 200
    assert unchanged.status_code == 304
    assert unchanged.get_data() == b""

    visitor = Reader(app)
    visitor.open()
    visitor.vote("sam-3")
    changed = client.get(f"/compare/{SLUG}/tally", headers={"If-None-Match": etag})

    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert 'hx-swap-oob="true"' in changed.get_data(as_text=True)


def test_api_before_first_vote(client, sample):
    data = client.get(f"/api/comparisons/{SLUG}").get_json()

    assert data["slug"] == SLUG
    assert data["voting_open"] is True
    assert data["total_votes"] == 0
    assert [t["community_pct"] for t in data["tools"]] == [None, None]
    assert [t["panel_ship_pct"] for t in data["tools"]] == [100, 100]


def test_api_percentages_add_to_100(app, sample):
    for index, choice in enumerate(["smolvlm2", "sam-3", "sam-3"]):
        visitor = Reader(app, f"10.9.{index}.1")
        visitor.open()
        visitor.vote(choice)

    data = app.test_client().get(f"/api/comparisons/{SLUG}").get_json()

    assert data["total_votes"] == 3
    assert [t["votes"] for t in data["tools"]] == [1, 2]
    assert [t["community_pct"] for t in data["tools"]] == [33, 67]


def test_api_unknown_slug_404_json(client, sample):
    response = client.get("/api/comparisons/nothing-here")

    assert response.status_code == 404
    assert response.get_json()["error"] == "Page not found"


def test_healthz_reports_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "voting": "open",
    }


def test_healthz_degraded_when_redis_down(app, client):
    from versus.guard_setup import init_guard

    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    init_guard(app)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {
        "status": "degraded",
        "database": "ok",
        "redis": "down",
        "voting": "paused",
    }


def test_unknown_page_404_in_layout(client):
    response = client.get("/compare/does-not-exist")

    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in html
    assert "Traceback" not in html


def test_livez_ok_while_redis_down(app, client):
    from versus.guard_setup import init_guard

    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    init_guard(app)

    response = client.get("/livez")

    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
