"""Custom 404 and 500 pages in the site's layout, and short errors for htmx."""

from __future__ import annotations

import logging

import pytest


def in_layout(html: str) -> None:
    assert '<header class="site-header">' in html
    assert '<main id="main"' in html
    assert '<footer class="site-footer">' in html
    assert 'href="/static/css/site.css"' in html


def test_404_page_in_layout(client):
    response = client.get("/no/such/page")

    html = response.get_data(as_text=True)
    assert response.status_code == 404
    in_layout(html)
    assert '<h1 id="error-title">Page not found</h1>' in html
    assert "Back to all comparisons" in html


@pytest.fixture
def failing_app(app_factory):
    """An app with one extra view that raises, registered only for this test."""
    app = app_factory()

    @app.get("/test-only/boom")
    def boom():
        raise RuntimeError("secret detail that must not reach the reader")

    return app


def test_500_page_in_layout(failing_app, caplog):
    with caplog.at_level(logging.ERROR, logger="versus.errors"):
        response = failing_app.test_client().get("/test-only/boom")

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    in_layout(html)
    assert '<h1 id="error-title">Something went wrong</h1>' in html
    assert "Something went wrong on our side. Please try again." in html
    assert "secret detail" not in html
    assert "Traceback" not in html
    assert "Unhandled error" in caplog.text


def test_500_for_htmx_is_a_fragment(failing_app):
    response = failing_app.test_client().get(
        "/test-only/boom", headers={"HX-Request": "true"}
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "<html" not in html
    assert "Something went wrong on our side." in html


def test_405_on_get_vote(client, sample):
    response = client.get(f"/compare/{sample}/vote")

    assert response.status_code == 405
    in_layout(response.get_data(as_text=True))


def test_vote_without_csrf_400(client, sample):
    client.get(f"/compare/{sample}")

    response = client.post(f"/compare/{sample}/vote", data={"choice": "sam-3"})

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "so nothing was counted. Vote with the form below." in html
    assert 'name="csrf_token"' in html
