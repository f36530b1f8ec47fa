"""The /moderate routes through Flask: sign-in, access, CSRF and every action."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from sqlalchemy import select

from versus.extensions import db
from versus.models import Moderator, utcnow
from versus.moderation import auth
from versus.moderation.accounts import disable_moderator
from versus.voting.moderation.activity import floor_hour

from .conftest import SLUG, Reader, base_config
from .moderation_support import (
    PASSWORD,
    audit_actions,
    cast,
    counted_rows,
    counters,
    fake_hash,
    make_moderator,
    signed_in,
)
from .moderation_support import (
    Moderator as ModeratorClient,
)

REASON = {"public_reason": "Stuffed from one forum thread", "confirm": "yes"}
STUFFER_IP = fake_hash("stuffer-ip")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def stuffed(app, sample):
    """Three honest votes in the past hours and a stuffed burst of six this hour."""
    now = utcnow()
    for i in range(3):
        at = now - dt.timedelta(hours=10 - 3 * i)
        cast(app, f"honest-{i}", "smolvlm2", ip=f"honest-{i}", at=at)
    # Spread over the current hour so far, so the burst stays in one hour even
    # when the test runs in the first minutes of an hour.
    this_hour = floor_hour(now)
    for i in range(6):
        at = this_hour + (now - this_hour) * i / 6
        cast(app, f"stuffer-{i}", "sam-3", ip="stuffer-ip", at=at)
    return SLUG


# Signing in and out


def test_login_page_and_success(app, sample):
    make_moderator(app)
    moderator = ModeratorClient(app)

    page = moderator.get("/moderate/login")
    response = moderator.sign_in()

    assert page.status_code == 200
    assert 'id="login-form"' in page.get_data(as_text=True)
    assert response.status_code == 303
    assert response.headers["Location"] == "/moderate"
    dashboard = moderator.get("/moderate")
    assert dashboard.status_code == 200
    assert "Signed in as <strong>alice</strong>" in dashboard.get_data(as_text=True)
    assert dashboard.headers["Cache-Control"] == "no-store"
    assert '<meta name="robots" content="noindex">' in dashboard.get_data(as_text=True)
    assert 'rel="canonical"' not in dashboard.get_data(as_text=True)
    with app.app_context():
        stored = db.session.scalar(select(Moderator))
    assert stored.password_hash.startswith("scrypt:")
    assert stored.last_login_at is not None


def test_session_cookie_is_httponly_and_samesite(app, sample):
    make_moderator(app)
    response = ModeratorClient(app).sign_in()

    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_session_cookie_secure_when_configured(database_url, redis_server, sample):
    from versus import create_app

    config = base_config(database_url, redis_server.url)
    config["SESSION_COOKIE_SECURE"] = True
    secure_app = create_app(config)
    make_moderator(secure_app, "carol")

    moderator = ModeratorClient(secure_app)
    moderator.get("/moderate/login", base_url="https://localhost")
    response = moderator.client.post(
        "/moderate/login",
        data={"username": "carol", "password": PASSWORD, "csrf_token": moderator.token},
        base_url="https://localhost",
        # Over HTTPS, Flask-WTF also requires a same-origin Referer.
        headers={"Referer": "https://localhost/moderate/login"},
    )

    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")
    )
    assert "Secure" in cookie
    with secure_app.app_context():
        db.engine.dispose()


def test_wrong_password_and_unknown_account_look_the_same(app, sample):
    make_moderator(app)
    moderator = ModeratorClient(app)

    wrong = moderator.sign_in("alice", "not the password at all")
    unknown = moderator.sign_in("mallory", "not the password at all")

    assert wrong.status_code == unknown.status_code == 401
    wrong_text = text_of(wrong.get_data(as_text=True))
    unknown_text = text_of(unknown.get_data(as_text=True))
    assert "The username or password is not right." in wrong_text
    assert "The username or password is not right." in unknown_text
    assert moderator.get("/moderate").status_code == 302


def test_disabled_account_cannot_sign_in_and_session_ends(app, sample):
    moderator = signed_in(app)

    with app.app_context():
        disable_moderator(db.session, "alice")

    assert moderator.get("/moderate").status_code == 302
    assert moderator.sign_in().status_code == 401


def test_empty_login_fields_400(app, sample):
    moderator = ModeratorClient(app)
    moderator.get("/moderate/login")

    response = moderator.post(
        "/moderate/login", {"username": "", "password": ""}, htmx=False
    )

    assert response.status_code == 400
    assert "Enter your username and password." in response.get_data(as_text=True)


def test_account_lockout_hides_whether_account_exists(app, sample, redis_server):
    make_moderator(app)
    limit = app.config["LOGIN_FAILURES_PER_ACCOUNT"]
    moderator = ModeratorClient(app)

    for _ in range(limit):
        assert moderator.sign_in("alice", "wrong password here").status_code == 401
        assert moderator.sign_in("nobody", "wrong password here").status_code == 401

    locked = moderator.sign_in("alice", PASSWORD)
    locked_unknown = moderator.sign_in("nobody", PASSWORD)

    assert locked.status_code == locked_unknown.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    message = "Too many failed sign-in attempts. Try again in 15 minutes."
    assert message in locked.get_data(as_text=True)
    assert message in locked_unknown.get_data(as_text=True)
    keys = [key.decode() for key in redis_server.client().keys("*login*")]
    assert keys and not any("alice" in key or "nobody" in key for key in keys)
    # The account, not only the address, is locked.
    assert ModeratorClient(app, "192.0.2.50").sign_in().status_code == 429


def test_ip_lockout_spans_accounts(app, sample):
    app.config["LOGIN_FAILURES_PER_IP"] = 3
    auth.init_limiter(app)
    make_moderator(app)
    attacker = ModeratorClient(app, "198.51.100.7")

    for name in ["one", "two", "three"]:
        assert attacker.sign_in(name, "wrong password here").status_code == 401

    assert attacker.sign_in("alice", PASSWORD).status_code == 429
    assert ModeratorClient(app, "198.51.100.8").sign_in().status_code == 303


def test_success_clears_account_failures(app, sample):
    make_moderator(app)
    moderator = ModeratorClient(app)
    limit = app.config["LOGIN_FAILURES_PER_ACCOUNT"]

    for _ in range(limit - 1):
        moderator.sign_in("alice", "wrong password here")
    assert moderator.sign_in().status_code == 303
    other = ModeratorClient(app)
    for _ in range(limit - 1):
        assert other.sign_in("alice", "wrong password here").status_code == 401

    assert other.sign_in().status_code == 303


def test_idle_expiry_redirects_to_login(app, sample):
    moderator = signed_in(app)

    with moderator.client.session_transaction() as session:
        session[auth.LAST_SEEN_AT] = (
            int(time.time()) - app.config["MODERATOR_IDLE_SECONDS"] - 5
        )

    response = moderator.get("/moderate")

    assert response.status_code == 302
    assert "/moderate/login" in response.headers["Location"]
    assert "expired=1" in response.headers["Location"]
    page = moderator.get(response.headers["Location"])
    assert "Your moderator session has expired" in page.get_data(as_text=True)
    assert moderator.get("/moderate").status_code == 302


def test_absolute_expiry_even_when_active(app, sample):
    moderator = signed_in(app)

    with moderator.client.session_transaction() as session:
        limit = app.config["MODERATOR_SESSION_MAX_SECONDS"]
        session[auth.SIGNED_IN_AT] = int(time.time()) - limit - 5

    assert moderator.get("/moderate").status_code == 302


def test_htmx_request_after_expiry_gets_401(app, stuffed):
    moderator = signed_in(app)
    with moderator.client.session_transaction() as session:
        session[auth.LAST_SEEN_AT] = 0

    response = moderator.post(f"/moderate/{SLUG}/reset", REASON)

    assert response.status_code == 401
    assert "session has expired" in response.get_data(as_text=True)
    assert counters(app) == {"smolvlm2": 3, "sam-3": 6}


def test_logout_is_post_only_and_ends_session(app, sample):
    moderator = signed_in(app)

    refused = moderator.client.get("/moderate/logout")
    assert refused.status_code == 405
    assert refused.headers["Allow"] == "POST"
    assert moderator.get("/moderate").status_code == 200
    response = moderator.post("/moderate/logout", htmx=False)

    assert response.status_code == 303
    assert "signed_out=1" in response.headers["Location"]
    assert moderator.get("/moderate").status_code == 302


def test_copied_session_cookie_dies_at_logout(app, sample):
    moderator = signed_in(app)
    assert moderator.get("/moderate").status_code == 200
    copied = moderator.client.get_cookie("session").value
    thief = ModeratorClient(app)
    thief.client.set_cookie("session", copied)
    assert thief.get("/moderate").status_code == 200

    moderator.post("/moderate/logout", htmx=False)

    assert thief.get("/moderate").status_code == 302
    # The rejected session is cleared with its CSRF token, so CSRF stops it first.
    assert thief.post(f"/moderate/{SLUG}/close", REASON).status_code == 400
    assert app.test_client().get(f"/api/comparisons/{SLUG}").get_json()["voting_open"]
    assert moderator.sign_in().status_code == 303
    assert moderator.get("/moderate").status_code == 200


def test_next_parameter_only_goes_to_moderation_pages(app, sample):
    make_moderator(app)
    moderator = ModeratorClient(app)
    moderator.get("/moderate/login")

    for target, expected in [
        (f"/moderate/{SLUG}?days=1", f"/moderate/{SLUG}?days=1"),
        ("https://evil.example/", "/moderate"),
        ("//evil.example/moderate", "/moderate"),
        ("/compare/x", "/moderate"),
    ]:
        response = moderator.post(
            "/moderate/login",
            {"username": "alice", "password": PASSWORD, "next": target},
            htmx=False,
        )
        assert response.headers["Location"] == expected
        # Signing in starts a new session, so fetch a page for the new CSRF token.
        moderator.get("/moderate")
        assert moderator.post("/moderate/logout", htmx=False).status_code == 303
        moderator.get("/moderate/login")


def test_login_without_csrf_token_400(app, sample):
    make_moderator(app)

    response = app.test_client().post(
        "/moderate/login", data={"username": "alice", "password": PASSWORD}
    )

    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


# Readers cannot reach moderation


PROTECTED_GETS = ["/moderate", "/moderate/audit.csv", f"/moderate/{SLUG}"]
PROTECTED_POSTS = [
    f"/moderate/{SLUG}/preview",
    f"/moderate/{SLUG}/void",
    f"/moderate/{SLUG}/reset",
    f"/moderate/{SLUG}/restore/1",
    f"/moderate/{SLUG}/close",
    f"/moderate/{SLUG}/reopen",
]


def test_readers_are_redirected_or_refused(app, stuffed):
    reader = Reader(app)
    reader.open()

    for path in PROTECTED_GETS:
        page = reader.client.get(path)
        assert page.status_code == 302, path
        assert page.headers["Location"].startswith("/moderate/login?next=")

        htmx = reader.client.get(path, headers={"HX-Request": "true"})
        assert htmx.status_code == 401, path
        assert STUFFER_IP not in htmx.get_data(as_text=True)

        api = reader.client.get(path, headers={"Accept": "application/json"})
        assert api.status_code == 401, path
        assert api.get_json()["error"] == "Sign-in required"

    for path in PROTECTED_POSTS:
        data = {**REASON, "ip_hash": STUFFER_IP, "expected": "6"}
        headers = {"HX-Request": "true", "X-CSRFToken": reader.token}
        response = reader.client.post(path, data=data, headers=headers)
        assert response.status_code == 401, path
        assert STUFFER_IP not in response.get_data(as_text=True)

    assert counters(app) == {"smolvlm2": 3, "sam-3": 6}
    assert audit_actions(app) == []


# The dashboard, the comparison page and the log


def test_dashboard_lists_comparisons_and_recent_votes(app, stuffed):
    moderator = signed_in(app)

    html = moderator.get("/moderate").get_data(as_text=True)

    row = re.search(r"<tr>\s*<td><a href=\"/moderate/" + SLUG + r".*?</tr>", html, re.S)
    cells = [
        text_of(c).strip() for c in re.findall(r"<td>(.*?)</td>", row.group(0), re.S)
    ]
    assert cells[1:] == ["published", "9", "6", "9", "0", "open"]


def test_comparison_page_shows_burst_and_busiest_hashes(app, stuffed):
    moderator = signed_in(app)
    app.config["BURST_MIN_VOTES"] = 5

    html = moderator.get(f"/moderate/{SLUG}").get_data(as_text=True)

    assert '<svg id="vote-chart"' in html
    assert html.count('class="chart-burst"') == 1
    assert 'data-tool="smolvlm2"' in html
    assert 'data-tool="sam-3"' in html
    assert 'style="' not in html
    assert "<script>" not in html
    assert f'title="{STUFFER_IP}"' in html
    burst_row = re.search(r'<tr class="burst">(.*?)</tr>', html, re.S).group(1)
    assert [text_of(c).strip() for c in re.findall(r"<td>(.*?)</td>", burst_row)][
        2:4
    ] == [
        "6",
        "6",
    ]


def test_comparison_page_rejects_bad_window_and_unknown_slug(app, stuffed):
    moderator = signed_in(app)

    assert moderator.get(f"/moderate/{SLUG}?days=0").status_code == 400
    assert moderator.get(f"/moderate/{SLUG}?days=abc").status_code == 400
    assert moderator.get("/moderate/no-such-comparison").status_code == 404
    assert moderator.get("/moderate?before=x").status_code == 400


def test_prefilled_filter_from_query(app, stuffed):
    moderator = signed_in(app)

    html = moderator.get(f"/moderate/{SLUG}?ip_hash={STUFFER_IP}").get_data(
        as_text=True
    )

    assert f'name="ip_hash" value="{STUFFER_IP}"' in html


# Actions


def test_preview_htmx_fragment_counts_per_tool(app, stuffed):
    moderator = signed_in(app)

    response = moderator.post(f"/moderate/{SLUG}/preview", {"ip_hash": STUFFER_IP})

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html
    assert "6 counted votes match: SmolVLM2 0, SAM 3 (Segment Anything Model 3) 6." in (
        text_of(html)
    )
    assert 'name="expected" value="6"' in html
    assert f'type="hidden" name="ip_hash" value="{STUFFER_IP}"' in html
    assert counters(app) == {"smolvlm2": 3, "sam-3": 6}


def test_preview_without_javascript_renders_page(app, stuffed):
    moderator = signed_in(app)

    response = moderator.post(
        f"/moderate/{SLUG}/preview", {"ip_hash": STUFFER_IP}, htmx=False
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" in html
    assert 'id="void-confirm"' in html


def test_preview_invalid_filter_400(app, stuffed):
    moderator = signed_in(app)

    response = moderator.post(f"/moderate/{SLUG}/preview", {"ip_hash": "1.2.3.4"})

    assert response.status_code == 400
    assert "full 64-character hexadecimal hash" in response.get_data(as_text=True)


def test_void_htmx_redirects_and_releases_visitor(app, stuffed):
    moderator = signed_in(app)
    data = {**REASON, "ip_hash": STUFFER_IP, "expected": "6"}

    response = moderator.post(f"/moderate/{SLUG}/void", data)

    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/moderate/{SLUG}"
    assert counters(app) == {"smolvlm2": 3, "sam-3": 0}
    assert audit_actions(app) == [("void", 6)]
    page = moderator.get(f"/moderate/{SLUG}").get_data(as_text=True)
    assert (
        "Voided 6 votes (SAM 3 (Segment Anything Model 3) 6). Audit entry #1." in page
    )
    assert "Restore 6 votes" in page
    assert cast(app, "stuffer-0", "smolvlm2", ip="another-ip") == "accepted"


def test_void_without_javascript_redirects_303(app, stuffed):
    moderator = signed_in(app)
    data = {**REASON, "ip_hash": STUFFER_IP, "expected": "6"}

    response = moderator.post(f"/moderate/{SLUG}/void", data, htmx=False)

    assert response.status_code == 303
    assert response.headers["Location"] == f"/moderate/{SLUG}"
    assert counters(app)["sam-3"] == 0


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"confirm": ""}, 400, "Tick the confirmation box"),
        ({"public_reason": ""}, 400, "Give a reason of at least 3 characters"),
        ({"public_reason": "x" * 281}, 400, "at most 280 characters"),
        ({"public_reason": "IP " + "a" * 64}, 400, "may not contain a hash"),
        ({"private_reason": "x" * 2001}, 400, "at most 2000 characters"),
        ({"expected": ""}, 400, "Preview the votes first"),
        ({"expected": "-1"}, 400, "must be a whole number"),
        ({"expected": "5"}, 409, "preview showed 5 votes but 6 match"),
        ({"ip_hash": fake_hash("nobody")}, 409, "No counted votes match"),
        ({"ip_hash": ""}, 400, "Choose an IP hash"),
    ],
)
def test_void_bad_input_changes_nothing(app, stuffed, change, status, message):
    moderator = signed_in(app)
    data = {**REASON, "ip_hash": STUFFER_IP, "expected": "6", **change}

    htmx = moderator.post(f"/moderate/{SLUG}/void", data)
    page = moderator.post(f"/moderate/{SLUG}/void", data, htmx=False)

    assert htmx.status_code == page.status_code == status
    assert message in htmx.get_data(as_text=True)
    assert "<html" not in htmx.get_data(as_text=True)
    assert message in page.get_data(as_text=True)
    assert counters(app) == {"smolvlm2": 3, "sam-3": 6}
    assert audit_actions(app) == []


def test_action_without_csrf_token_400(app, stuffed):
    moderator = signed_in(app)

    response = moderator.client.post(
        f"/moderate/{SLUG}/reset", data=REASON, headers={"HX-Request": "true"}
    )

    assert response.status_code == 400
    assert counters(app) == {"smolvlm2": 3, "sam-3": 6}
    assert audit_actions(app) == []


def test_reset_restore_close_reopen(app, stuffed):
    moderator = signed_in(app)

    assert moderator.post(f"/moderate/{SLUG}/reset", REASON).status_code == 200
    assert counters(app) == {"smolvlm2": 0, "sam-3": 0}

    assert moderator.post(f"/moderate/{SLUG}/restore/1", REASON).status_code == 200
    assert counters(app) == {"smolvlm2": 3, "sam-3": 6}

    again = moderator.post(f"/moderate/{SLUG}/restore/1", REASON)
    assert again.status_code == 409
    assert "is counted again" in again.get_data(as_text=True)
    assert moderator.post(f"/moderate/{SLUG}/restore/99", REASON).status_code == 404

    assert moderator.post(f"/moderate/{SLUG}/close", REASON).status_code == 200
    reader = Reader(app, "203.0.113.9")
    reader.open()
    refused = reader.vote("smolvlm2")
    assert refused.status_code == 409
    assert "Voting on this comparison is closed." in refused.get_data(as_text=True)
    closed_again = moderator.post(f"/moderate/{SLUG}/close", REASON)
    assert closed_again.status_code == 409
    restore_close = moderator.post(f"/moderate/{SLUG}/restore/3", REASON)
    assert restore_close.status_code == 409

    assert moderator.post(f"/moderate/{SLUG}/reopen", REASON).status_code == 200
    # The closed page had no vote form, so its page token comes with a reload.
    reader.open()
    assert reader.vote("smolvlm2").status_code == 200

    assert audit_actions(app) == [
        ("reset", 9),
        ("restore", 9),
        ("close", 0),
        ("reopen", 0),
    ]
    assert counted_rows(app) == counters(app) == {"smolvlm2": 4, "sam-3": 6}


def test_actions_on_unknown_comparison_404(app, sample):
    moderator = signed_in(app)

    for action in ["reset", "close", "reopen", "void", "preview", "restore/1"]:
        response = moderator.post(f"/moderate/no-such/{action}", REASON)
        assert response.status_code == 404, action


def test_get_on_action_route_405(app, stuffed):
    moderator = signed_in(app)

    assert moderator.client.get(f"/moderate/{SLUG}/reset").status_code == 405


def test_public_page_note_after_void_and_gone_after_restore(app, stuffed):
    moderator = signed_in(app)
    data = {
        **REASON,
        "private_reason": "thread at forum.example",
        "ip_hash": STUFFER_IP,
        "expected": "6",
    }
    moderator.post(f"/moderate/{SLUG}/void", data)

    page = Reader(app, "203.0.113.10").open().get_data(as_text=True)

    note = re.search(r'<aside class="moderation-note".*?</aside>', page, re.S).group(0)
    assert "removed 6 votes: Stuffed from one forum thread" in text_of(note)
    assert STUFFER_IP not in page
    assert "forum.example" not in page
    assert "Community 100%, 3 of 3 votes" in text_of(page)

    moderator.post(f"/moderate/{SLUG}/restore/1", REASON)

    page = Reader(app, "203.0.113.11").open().get_data(as_text=True)
    assert "moderation-note" not in page


def test_audit_log_newest_first_and_csv(app, stuffed):
    moderator = signed_in(app)
    moderator.post(
        f"/moderate/{SLUG}/close", {**REASON, "private_reason": "=HYPERLINK(1)"}
    )
    moderator.post(f"/moderate/{SLUG}/reopen", REASON)

    html = moderator.get("/moderate").get_data(as_text=True)
    csv_response = moderator.get("/moderate/audit.csv")

    assert html.index('id="entry-2"') < html.index('id="entry-1"')
    assert csv_response.status_code == 200
    assert csv_response.mimetype == "text/csv"
    assert "attachment" in csv_response.headers["Content-Disposition"]
    lines = csv_response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("id,created_at,actor,action,comparison")
    assert lines[1].startswith("2,")
    assert f",alice,reopen,{SLUG}," in lines[1]
    assert lines[2].startswith("1,")
    assert f",alice,close,{SLUG}," in lines[2]
    assert "'=HYPERLINK(1)" in lines[2]
