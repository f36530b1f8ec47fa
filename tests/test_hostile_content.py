"""Hostile text in every content field renders as inert text."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from versus.content.importer import import_specs
from versus.content.schema import parse_file
from versus.extensions import db

from .hostile import HOSTILE_SLUG, LONG_WORD, RTL, write_hostile_spec


class MarkupAudit(HTMLParser):
    """Collect tags, event handlers, links, scripts and text from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.hrefs: list[str] = []
        self.scripts: list[str | None] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        self.tags.append(tag)
        self.handlers += [name for name in names if name.startswith("on")]
        if "href" in names:
            self.hrefs.append((names["href"] or "").strip().lower())
        if tag == "script":
            self.scripts.append(names.get("src"))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture
def hostile(app, tmp_path) -> str:
    with app.app_context():
        import_specs(db.session, [parse_file(write_hostile_spec(tmp_path))])
    return HOSTILE_SLUG


@pytest.mark.parametrize(
    "path",
    [
        "/compare/{slug}",
        "/compare/{slug}/tally",
        "/",
        "/category/b-onmouseover-x-0-b",
    ],
)
def test_hostile_text_renders_inert(client, hostile, path):
    response = client.get(path.format(slug=hostile))
    audit = MarkupAudit()
    audit.feed(response.get_data(as_text=True))

    assert response.status_code == 200
    assert audit.handlers == []
    assert not [href for href in audit.hrefs if href.startswith("javascript:")]
    assert set(audit.scripts) <= {
        "/static/vendor/htmx-4.0.1.min.js",
        "/static/js/site.js",
    }
    assert "img" not in audit.tags
    assert "iframe" not in audit.tags
    assert "b" not in audit.tags


def test_hostile_text_kept_as_text(client, hostile):
    html = client.get(f"/compare/{hostile}").get_data(as_text=True)
    audit = MarkupAudit()
    audit.feed(html)
    text = "".join(audit.text)

    assert "<script>window.__pwned = 1; alert(1)</script>" in text
    assert "&lt;script&gt;" in html
    assert LONG_WORD in text
    assert RTL in text
    assert "click me" in text


def test_hostile_api_returns_text_unchanged(client, hostile):
    data = client.get(f"/api/comparisons/{hostile}").get_json()

    assert data["title"].startswith("<script>")
    assert data["tools"][0]["name"].endswith("0")
