"""Security headers, cookie flags, cache privacy, request ids and request limits."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from versus import create_app
from versus.extensions import db

from .conftest import SLUG, base_config
from .test_voting import vote_rows


class ScriptAudit(HTMLParser):
    """Collect what a CSP without 'unsafe-inline' would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.external_scripts: list[str] = []
        self.handlers: list[str] = []
        self.style_attributes = 0
        self.style_elements = 0

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            if "src" in names:
                self.external_scripts.append(names["src"])
            else:
                self.inline_scripts += 1
        if tag == "style":
            self.style_elements += 1
        self.handlers += [name for name in names if name.startswith("on")]
        self.style_attributes += "style" in names


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    pairs = [part.strip().split(" ", 1) for part in policy.split(";")]
    return {name: value for name, value in pairs}


@pytest.mark.parametrize(
    "path", ["/", f"/compare/{SLUG}", f"/compare/{SLUG}/tally", "/healthz", "/nope"]
)
def test_every_response_has_security_headers(client, sample, path):
    response = client.get(path)

    directives = csp_directives(response)
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_page_has_no_inline_script_or_style(client, sample):
    audit = ScriptAudit()
    audit.feed(client.get(f"/compare/{SLUG}").get_data(as_text=True))

    assert audit.inline_scripts == 0
    assert audit.handlers == []
    assert audit.style_attributes == 0
    assert audit.style_elements == 0
    assert sorted(audit.external_scripts) == [
        "/static/js/site.js",
        "/static/vendor/htmx-4.0.1.min.js",
    ]


def test_hsts_only_over_https(client, sample):
    response = client.get(f"/compare/{SLUG}", base_url="https://localhost")

    assert response.headers["Strict-Transport-Security"] == (
        "max-age=31536000; includeSubDomains"
    )


def test_forwarded_proto_ignored_without_trusted_proxy(client, sample):
    response = client.get(f"/compare/{SLUG}", headers={"X-Forwarded-Proto": "https"})

    assert "Strict-Transport-Security" not in response.headers


def test_default_cookie_flags(client, sample):
    response = client.get(f"/compare/{SLUG}")

    cookies = response.headers.getlist("Set-Cookie")
    assert {c.split("=", 1)[0] for c in cookies} == {"versus_visitor", "session"}
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie


def production_config(database_url: str, redis_url: str) -> dict:
    return base_config(database_url, redis_url) | {
        "PRODUCTION": True,
        "SECRET_KEY": "a-production-secret-of-at-least-32-characters",
    }


def test_production_cookies_are_secure(database_url, redis_server, sample):
    app = create_app(production_config(database_url, redis_server.url))

    response = app.test_client().get(f"/compare/{SLUG}", base_url="https://localhost")
    with app.app_context():
        db.engine.dispose()

    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 2
    for cookie in cookies:
        assert "Secure" in cookie
        assert "HttpOnly" in cookie


@pytest.mark.parametrize(
    ("override", "complaint"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY is missing"),
        ({"SECRET_KEY": "short"}, "shorter than 32"),
        ({"REDIS_URL": None}, "REDIS_URL is missing"),
    ],
)
def test_production_rejects_unsafe_settings(database_url, override, complaint):
    config = production_config(database_url, "redis://127.0.0.1:1/0") | override

    with pytest.raises(RuntimeError, match=complaint):
        create_app(config)


@pytest.mark.parametrize("path", ["/", f"/compare/{SLUG}"])
def test_per_reader_pages_are_private(client, sample, path):
    response = client.get(path)

    assert "private" in response.headers["Cache-Control"]
    assert "Cookie" in response.headers["Vary"]


def test_tally_fragment_is_shared_but_revalidated(client, sample):
    response = client.get(f"/compare/{SLUG}/tally")

    assert "private" not in response.headers["Cache-Control"]
    assert "no-cache" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


def test_request_id_echoed_when_well_formed(client, sample):
    sent = client.get("/healthz", headers={"X-Request-ID": "proxy-1234abcd"})
    forged = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})

    assert sent.headers["X-Request-ID"] == "proxy-1234abcd"
    assert forged.headers["X-Request-ID"] != "bad id\twith spaces"
    assert len(forged.headers["X-Request-ID"]) == 16


def test_error_reply_carries_request_id(client, sample):
    response = client.get("/api/comparisons/nothing-here")

    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]


def test_oversized_vote_413_and_nothing_written(app, reader):
    response = reader.vote("smolvlm2", filler="x" * (100 * 1024))

    assert response.status_code == 413
    assert "larger than the 64 KiB" in response.get_data(as_text=True)
    assert vote_rows(app) == 0


@pytest.mark.parametrize(
    "path",
    [f"/compare/{SLUG}%00", "/?page=1%00", "/category/a%00b", "/api/comparisons/%00"],
)
def test_nul_bytes_rejected_with_400(client, sample, path):
    response = client.get(path)

    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_nul_byte_in_vote_form_400(app, reader):
    response = reader.vote("smolvlm2\x00")

    assert response.status_code == 400
    assert vote_rows(app) == 0
