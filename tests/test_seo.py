"""Sharing and search: per-page meta tags, the sitemap and robots.txt."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest

from .content_factory import comparison_text, import_comparisons

SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def meta(html: str, key: str) -> str | None:
    """Return the content of the <meta> whose name or property is ``key``."""
    pattern = rf'<meta (?:name|property)="{re.escape(key)}" content="([^"]*)">'
    found = re.findall(pattern, html)
    assert len(found) <= 1, f"{key} appears {len(found)} times"
    return found[0] if found else None


def link(html: str, rel: str) -> str | None:
    found = re.findall(rf'<link rel="{rel}" href="([^"]*)">', html)
    return found[0] if found else None


@pytest.fixture
def published(app) -> None:
    import_comparisons(
        app,
        comparison_text("alpha-vs-beta", published=dt.date(2026, 3, 1)),
        comparison_text("draft-pair", status="draft", published=None),
        comparison_text("future-pair", published=dt.date(2999, 1, 1)),
    )


def test_comparison_page_meta(client, published):
    html = client.get("/compare/alpha-vs-beta").get_data(as_text=True)

    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert title == "Alpha vs Beta: panel verdict and community vote | Versus"
    description = meta(html, "description")
    assert description.startswith("Which of Alpha and Beta should you pick?")
    assert "Panel ship: Alpha 100%, Beta 100%." in description
    assert link(html, "canonical") == "http://localhost/compare/alpha-vs-beta"
    assert meta(html, "og:type") == "article"
    assert meta(html, "og:title") == "Alpha vs Beta"
    assert meta(html, "og:description") == description
    assert meta(html, "og:url") == "http://localhost/compare/alpha-vs-beta"
    assert meta(html, "og:site_name") == "Versus"
    assert meta(html, "article:published_time") == "2026-03-01"
    assert meta(html, "twitter:card") == "summary"
    assert meta(html, "twitter:title") == "Alpha vs Beta"
    assert meta(html, "twitter:description") == description


def test_index_meta(client, published):
    html = client.get("/").get_data(as_text=True)

    assert "<title>AI tool verdicts, side by side | Versus</title>" in html
    assert meta(html, "og:type") == "website"
    assert link(html, "canonical") == "http://localhost/"
    assert meta(html, "description").startswith("Side-by-side verdicts on AI tools")


def test_canonical_drops_other_query_arguments(client, published):
    html = client.get("/compare/alpha-vs-beta?utm_source=x&page=2").get_data(
        as_text=True
    )

    assert link(html, "canonical") == "http://localhost/compare/alpha-vs-beta?page=2"


def test_public_url_wins_over_host(app_factory, published):
    client = app_factory(PUBLIC_URL="https://versus.example/").test_client()

    html = client.get(
        "/compare/alpha-vs-beta", headers={"Host": "attacker.example"}
    ).get_data(as_text=True)
    robots = client.get("/robots.txt").get_data(as_text=True)
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)

    assert link(html, "canonical") == "https://versus.example/compare/alpha-vs-beta"
    assert meta(html, "og:url") == "https://versus.example/compare/alpha-vs-beta"
    assert "Sitemap: https://versus.example/sitemap.xml" in robots
    assert "<loc>https://versus.example/compare/alpha-vs-beta</loc>" in sitemap
    assert "attacker.example" not in html + robots + sitemap


def test_public_url_with_path_prefix(app_factory, published):
    client = app_factory(PUBLIC_URL="https://example.org/versus").test_client()

    html = client.get("/?page=1").get_data(as_text=True)

    assert link(html, "canonical") == "https://example.org/versus/"


def test_error_page_is_noindex(client):
    html = client.get("/compare/nothing").get_data(as_text=True)

    assert '<meta name="robots" content="noindex">' in html
    assert link(html, "canonical") is None


def test_sitemap_lists_published_only(client, published):
    response = client.get("/sitemap.xml")

    root = ET.fromstring(response.get_data())
    locations = [node.text for node in root.findall("s:url/s:loc", SITEMAP_NS)]
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert locations == [
        "http://localhost/",
        "http://localhost/compare/alpha-vs-beta",
    ]


def test_sitemap_lastmod_is_a_date(client, published):
    root = ET.fromstring(client.get("/sitemap.xml").get_data())

    (lastmod,) = [node.text for node in root.findall("s:url/s:lastmod", SITEMAP_NS)]
    assert dt.date.fromisoformat(lastmod) >= dt.date(2026, 3, 1)


def test_sitemap_empty_site(client):
    root = ET.fromstring(client.get("/sitemap.xml").get_data())

    assert [n.text for n in root.findall("s:url/s:loc", SITEMAP_NS)] == [
        "http://localhost/"
    ]


def test_robots_points_to_sitemap(client):
    response = client.get("/robots.txt")

    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert body.splitlines() == [
        "User-agent: *",
        "Disallow: /api/",
        "Allow: /",
        "Sitemap: http://localhost/sitemap.xml",
    ]


def test_favicon_redirects_to_svg(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response.headers["Location"].endswith("/static/favicon.svg")
    with client.get("/static/favicon.svg") as icon:
        assert icon.status_code == 200


def test_trailing_slash_reaches_comparison(client, sample):
    response = client.get(f"/compare/{sample}/")

    assert response.status_code == 200
    assert "<h1" in response.get_data(as_text=True)
