"""The newsletter signup endpoint, on both databases with real Redis."""

from __future__ import annotations

from ..conftest import SLUG
from ..servers import free_port
from .support import (
    SignupReader,
    logged_links,
    subscribers,
)

SENT = "Check your inbox for an email from Versus"


def test_form_on_comparison_and_index(client, sample):
    for path in [f"/compare/{SLUG}", "/"]:
        html = client.get(path).get_data(as_text=True)

        assert 'id="newsletter-signup"' in html
        assert 'action="/newsletter/signup"' in html
        assert 'hx-post="/newsletter/signup"' in html
        assert 'name="csrf_token" type="hidden"' in html
        assert 'name="email"' in html


def test_signup_htmx_returns_fragment(app, signer, caplog):
    caplog.set_level("INFO")

    response = signer.signup(" Reader@Example.COM ")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.startswith('<section id="newsletter-signup"')
    assert "<html" not in html
    assert SENT in html
    assert "HX-Request" in response.headers["Vary"]
    assert subscribers(app) == {"reader@example.com": "pending"}
    assert len(logged_links(caplog)) == 1


def test_signup_without_js_redirects(app, signer):
    response = signer.signup("reader@example.com", htmx=False)

    assert response.status_code == 303
    assert response.headers["Location"] == (f"/newsletter/sent?next=/compare/{SLUG}")

    page = signer.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<html" in html
    assert SENT in html
    assert f'href="/compare/{SLUG}">Back to the page you were reading' in html
    assert subscribers(app) == {"reader@example.com": "pending"}


def test_sent_page_ignores_foreign_next(client):
    for target in [
        "//evil.example/x",
        "https://evil.example/",
        "/a\\b",
        "/newsletter/",
    ]:
        html = client.get("/newsletter/sent", query_string={"next": target}).get_data(
            as_text=True
        )

        assert "Back to the page you were reading" not in html, target
        assert 'href="/">Back to all comparisons' in html


def test_duplicate_signup_same_reply(app, signer, caplog):
    caplog.set_level("INFO")
    first = signer.signup("reader@example.com")

    second = signer.signup("READER@example.com")

    assert second.status_code == first.status_code == 200
    assert second.get_data() == first.get_data()
    assert subscribers(app) == {"reader@example.com": "pending"}
    # The second request is inside the resend cooldown, so it mails nothing more.
    assert len(logged_links(caplog)) == 1


def test_duplicate_of_confirmed_same_reply(make_app, caplog):
    app = make_app({"NEWSLETTER_RESEND_SECONDS": 0})
    signer = SignupReader(app)
    signer.open()
    caplog.set_level("INFO")
    fresh = signer.signup("fresh@example.com")
    signer.signup("reader@example.com")
    confirm_link = logged_links(caplog)[-1]
    signer.press_button(confirm_link)

    again = signer.signup("reader@example.com")

    assert again.status_code == fresh.status_code == 200
    assert again.get_data() == fresh.get_data()
    assert subscribers(app)["reader@example.com"] == "confirmed"
    # The confirmed address gets a note with its unsubscribe link instead.
    assert "/newsletter/unsubscribe/" in logged_links(caplog)[-1]


INVALID = [
    ("", "Enter your email address."),
    ("   ", "Enter your email address."),
    ("plainaddress", "must have an @-sign"),
    ("two@@example.com", "invalid characters"),
    ("reader@localhost", "It should have a period"),
    ("reader@example.test", "special-use or reserved name"),
    ("Reader <reader@example.com>", "display name"),
    ('"quoted name"@example.com', "Quoting the part before the @-sign"),
    ("reader@[127.0.0.1]", "bracketed IP address"),
    ("r\u00e9ader@example.com", "Internationalized characters before the @-sign"),
    ("reader@example.com\r\nBcc: other@example.com", "invalid characters"),
    ("x" * 250 + "@example.com", "too long"),
    ("x" * 321, "too long (321 characters)"),
]


def test_invalid_emails_400_nothing_stored(app, sample):
    for index, (address, expected) in enumerate(INVALID):
        visitor = SignupReader(app, f"10.20.{index}.1")
        visitor.open()

        response = visitor.signup(address)

        html = response.get_data(as_text=True)
        assert response.status_code == 400, address
        assert expected in html, (address, html)
        assert 'role="alert"' in html, address
        assert 'aria-invalid="true"' in html, address

    assert subscribers(app) == {}


def test_invalid_email_without_js_page(app, signer):
    response = signer.signup("not-an-address", htmx=False)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<html" in html
    assert "must have an @-sign" in html
    assert 'value="not-an-address"' in html
    assert subscribers(app) == {}


def test_missing_csrf_400(app, signer):
    for htmx in [True, False]:
        response = signer.signup("reader@example.com", htmx=htmx, csrf=False)

        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "This form has expired or was not sent from this site" in html

    assert subscribers(app) == {}


def test_wrong_csrf_token_400(app, signer):
    signer.token = "not-a-real-token"

    response = signer.signup("reader@example.com")

    assert response.status_code == 400
    assert subscribers(app) == {}


def test_rate_limit_429_retry_after(app, signer, redis_server):
    limit = app.config["NEWSLETTER_SIGNUPS_PER_IP"]
    for index in range(limit):
        assert signer.signup(f"reader{index}@example.com").status_code == 200

    response = signer.signup("one-too-many@example.com")

    html = response.get_data(as_text=True)
    retry_after = int(response.headers["Retry-After"])
    assert response.status_code == 429
    assert 0 < retry_after <= app.config["NEWSLETTER_SIGNUP_WINDOW_SECONDS"]
    assert "Too many sign-ups have come from your network" in html
    assert "one-too-many@example.com" not in subscribers(app)
    assert len(subscribers(app)) == limit

    keys = redis_server.client().keys("versus-test:newsletter:signups:*")
    assert len(keys) == 1
    assert b"127.0.0.1" not in keys[0]
    assert 0 < redis_server.client().ttl(keys[0]) <= retry_after


def test_rate_limit_is_per_client(app, signer):
    limit = app.config["NEWSLETTER_SIGNUPS_PER_IP"]
    for index in range(limit + 1):
        signer.signup(f"reader{index}@example.com")

    neighbour = SignupReader(app, "10.30.0.2")
    neighbour.open()

    assert neighbour.signup("neighbour@example.com").status_code == 200


def test_rate_limit_ipv6_per_64(app, sample):
    limit = app.config["NEWSLETTER_SIGNUPS_PER_IP"]
    for index in range(limit):
        visitor = SignupReader(app, f"2001:db8:1:2::{index + 1}")
        visitor.open()
        assert visitor.signup(f"reader{index}@example.com").status_code == 200

    same_line = SignupReader(app, "2001:db8:1:2:ffff::9")
    same_line.open()

    assert same_line.signup("late@example.com").status_code == 429


def test_rate_limit_in_memory_without_redis(make_app):
    app = make_app({"NEWSLETTER_SIGNUPS_PER_IP": 2}, redis=False)
    visitor = SignupReader(app)
    visitor.open()

    statuses = [
        visitor.signup(f"r{index}@example.com").status_code for index in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_redis_down_503_nothing_stored(make_app):
    app = make_app({"REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"})
    visitor = SignupReader(app)
    visitor.open()

    response = visitor.signup("reader@example.com")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert "Sign-ups are paused for a moment" in response.get_data(as_text=True)
    assert subscribers(app) == {}


def test_signup_get_not_allowed(client):
    response = client.get("/newsletter/signup")

    assert response.status_code == 405
    assert "Traceback" not in response.get_data(as_text=True)


def test_standalone_signup_page(client):
    response = client.get("/newsletter/")

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="newsletter-signup"' in html
    assert 'name="csrf_token" type="hidden"' in html
