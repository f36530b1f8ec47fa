"""The index, category pages, drafts, publication dates and pagination."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from .conftest import Reader
from .content_factory import comparison_text, import_comparisons

TODAY = dt.datetime.now(dt.UTC).date()


def listed_slugs(html: str) -> list[str]:
    return re.findall(r'<h2><a href="/compare/([a-z0-9-]+)">', html)


def many(app, count: int) -> list[str]:
    """Import ``count`` comparisons dated one day apart; return slugs newest first."""
    texts = [
        comparison_text(
            f"pair-{index:02d}", published=TODAY - dt.timedelta(days=count - index)
        )
        for index in range(count)
    ]
    import_comparisons(app, *texts)
    return [f"pair-{index:02d}" for index in reversed(range(count))]


def test_index_lists_newest_first(app, client):
    import_comparisons(
        app,
        comparison_text("older", published=dt.date(2026, 1, 1)),
        comparison_text("newer", published=dt.date(2026, 2, 1)),
    )

    html = client.get("/").get_data(as_text=True)

    assert listed_slugs(html) == ["newer", "older"]
    assert '<time datetime="2026-02-01">1 February 2026</time>' in html


def test_index_card_shows_tools_and_figures(app, client):
    calls = {"builder": ("ship", "skip"), "skeptic": ("ship", "ship")}
    import_comparisons(
        app,
        comparison_text(
            "card",
            names=("Alpha", "Beta"),
            categories=("Speech recognition", "Local LLM runners"),
            calls=calls,
        ),
    )
    for index, choice in enumerate(["card-a", "card-a", "card-b"]):
        visitor = Reader(app, f"10.2.{index}.1")
        visitor.open("card")
        visitor.vote(choice, slug="card")

    html = client.get("/").get_data(as_text=True)
    rows = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr>\s*<th scope=\"row\">.*?</tr>", html, re.S)
    ]

    assert rows == [
        "Alpha Speech recognition 100% 67%",
        "Beta Local LLM runners 50% 33%",
    ]
    assert "3 votes" in html
    assert 'href="/category/speech-recognition"' in html
    assert 'href="/category/local-llm-runners"' in html


def test_index_without_votes_shows_dash(app, client):
    import_comparisons(app, comparison_text("quiet"))

    html = client.get("/").get_data(as_text=True)

    assert "0 votes" in html
    assert html.count('<span title="No votes yet">—</span>') == 2
    assert ">0%<" not in html


def test_draft_is_hidden_and_404(app, client):
    import_comparisons(
        app,
        comparison_text("public"),
        comparison_text("secret", status="draft", published=None),
    )

    index = client.get("/").get_data(as_text=True)
    page = client.get("/compare/secret")
    tally = client.get("/compare/secret/tally")
    api = client.get("/api/comparisons/secret")

    assert listed_slugs(index) == ["public"]
    assert page.status_code == 404
    assert "There is no published comparison called 'secret'." in unescape(
        page.get_data(as_text=True)
    )
    assert tally.status_code == 404
    assert api.status_code == 404


def test_draft_rejects_votes(app, client):
    import_comparisons(
        app,
        comparison_text("public"),
        comparison_text("secret", status="draft", published=None),
    )
    visitor = Reader(app)
    visitor.open("public")

    response = visitor.vote("secret-a", slug="secret")

    assert response.status_code == 404


def test_future_date_hidden_until_then(app, client):
    tomorrow = TODAY + dt.timedelta(days=1)
    import_comparisons(
        app,
        comparison_text("today", published=TODAY),
        comparison_text("tomorrow", published=tomorrow),
    )

    assert listed_slugs(client.get("/").get_data(as_text=True)) == ["today"]
    assert client.get("/compare/today").status_code == 200
    assert client.get("/compare/tomorrow").status_code == 404


def test_publishing_a_draft_lists_it(app, client):
    import_comparisons(app, comparison_text("later", status="draft", published=None))
    assert client.get("/compare/later").status_code == 404

    import_comparisons(app, comparison_text("later", published=TODAY))

    assert client.get("/compare/later").status_code == 200
    assert listed_slugs(client.get("/").get_data(as_text=True)) == ["later"]


def test_index_paginates_past_20(app, client):
    newest_first = many(app, 23)

    first = client.get("/")
    second = client.get("/?page=2")

    first_html = first.get_data(as_text=True)
    second_html = second.get_data(as_text=True)
    assert listed_slugs(first_html) == newest_first[:20]
    assert listed_slugs(second_html) == newest_first[20:]
    assert "Page 1 of 2" in first_html
    assert '<a rel="next" href="/?page=2">Older</a>' in first_html
    assert '<a rel="prev" href="/">Newer</a>' in second_html
    assert '<link rel="canonical" href="http://localhost/?page=2">' in second_html


def test_exactly_20_is_one_page(app, client):
    many(app, 20)

    html = client.get("/").get_data(as_text=True)

    assert len(listed_slugs(html)) == 20
    assert "Page 1 of" not in html
    assert client.get("/?page=2").status_code == 404


@pytest.mark.parametrize("page", ["0", "-1", "two", "1.5", "", "100001", "9" * 40])
def test_bad_page_number_400(app, client, page):
    import_comparisons(app, comparison_text("only"))

    response = client.get(f"/?page={page}")

    assert response.status_code == 400
    assert "The page number must be a whole number from 1 up." in response.get_data(
        as_text=True
    )


def test_page_past_the_end_404(app, client):
    import_comparisons(app, comparison_text("only"))

    response = client.get("/?page=3")

    assert response.status_code == 404
    assert "There is no such page of comparisons." in response.get_data(as_text=True)


def test_empty_index_says_so(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "No comparisons are published yet." in response.get_data(as_text=True)


def test_category_lists_only_its_comparisons(app, client):
    import_comparisons(
        app,
        comparison_text("speech", category="Speech recognition"),
        comparison_text(
            "mixed", categories=("Local LLM runners", "Speech recognition")
        ),
        comparison_text("llm", category="Local LLM runners"),
    )

    response = client.get("/category/speech-recognition")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert sorted(listed_slugs(html)) == ["mixed", "speech"]
    assert '<h1 id="listing-title">Speech recognition</h1>' in html
    assert "2 comparisons in this category" in html
    assert "<title>Speech recognition comparisons | Versus</title>" in html


def test_category_nav_counts(app, client):
    import_comparisons(
        app,
        comparison_text("speech", category="Speech recognition"),
        comparison_text("llm", category="Local LLM runners"),
        comparison_text("hidden", category="Hidden", status="draft", published=None),
    )

    html = client.get("/").get_data(as_text=True)
    nav = html[html.index('class="categories"') :]

    assert 'href="/category/local-llm-runners">Local LLM runners</a>' in nav
    assert 'href="/category/speech-recognition">Speech recognition</a>' in nav
    assert "Hidden" not in nav


def test_category_paginates(app, client):
    many(app, 21)

    first = client.get("/category/test-tools").get_data(as_text=True)
    second = client.get("/category/test-tools?page=2").get_data(as_text=True)

    assert len(listed_slugs(first)) == 20
    assert listed_slugs(second) == ["pair-00"]
    assert '<a rel="prev" href="/category/test-tools">Newer</a>' in second


def test_unknown_category_404(app, client):
    import_comparisons(
        app,
        comparison_text("hidden", category="Hidden", status="draft", published=None),
    )

    for slug in ["nothing-here", "hidden"]:
        response = client.get(f"/category/{slug}")

        assert response.status_code == 404
        assert f"There are no comparisons in the category {slug!r}." in unescape(
            response.get_data(as_text=True)
        )
