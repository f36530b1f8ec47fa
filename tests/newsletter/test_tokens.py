"""Confirmation and unsubscribe tokens name the subscriber's row, never the address."""

from __future__ import annotations

import json
import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from versus.extensions import db
from versus.models import Subscriber
from versus.newsletter.tokens import CONFIRM_SALT, UNSUBSCRIBE_SALT

from ..conftest import TEST_SECRET
from .support import SignupReader, logged_links, path_of, subscribers

TYPED = "Reader.Name+news@Example.com"
STORED = "reader.name+news@example.com"
UNSUBSCRIBE_PATH = re.compile(r"/newsletter/unsubscribe/[^\s\"<]+")


def subscriber_id(app, email: str = STORED) -> int:
    with app.app_context():
        return db.session.scalar(select(Subscriber.id).where(Subscriber.email == email))


def payload_of(link: str, salt: str) -> dict:
    """Decode a link's token the way anyone holding the link can: without the key."""
    token = link.rstrip("/").rsplit("/", 1)[1]
    _, payload = URLSafeTimedSerializer("not the key", salt=salt).loads_unsafe(token)
    return payload


def signed(salt: str, payload: dict, age_seconds: int = 0) -> str:
    class Aged(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_seconds

    return URLSafeTimedSerializer(TEST_SECRET, salt=salt, signer=Aged).dumps(payload)


def assert_no_address(link: str, payload: dict) -> None:
    for text in (link.lower(), json.dumps(payload).lower()):
        assert STORED not in text
        assert "reader.name" not in text
        assert "example.com" not in text.replace("versus.example.org", "")


def test_links_carry_id_not_address(make_app, caplog):
    caplog.set_level("INFO")
    app = make_app(
        {"NEWSLETTER_RESEND_SECONDS": 0, "PUBLIC_URL": "https://versus.example.org"}
    )
    signer = SignupReader(app)
    signer.open()
    signer.signup(TYPED)
    [confirm_link] = logged_links(caplog)
    number = subscriber_id(app)

    confirmed = signer.press_button(path_of(confirm_link))
    page = signer.get(confirmed.headers["Location"]).get_data(as_text=True)
    [page_unsubscribe] = UNSUBSCRIBE_PATH.findall(page)
    signer.signup(TYPED)
    mailed_unsubscribe = logged_links(caplog)[-1]
    export = app.test_cli_runner().invoke(args=["subscribers", "export"])
    [exported_unsubscribe] = UNSUBSCRIBE_PATH.findall(export.stdout)
    unsubscribed = signer.press_button(exported_unsubscribe)

    confirm_payload = payload_of(confirm_link, CONFIRM_SALT)
    assert confirm_payload == {"id": number, "round": ""}
    assert_no_address(confirm_link, confirm_payload)
    assert_no_address(confirmed.headers["Location"], confirm_payload)
    assert "/unsubscribe/" in mailed_unsubscribe
    for link in [page_unsubscribe, mailed_unsubscribe, exported_unsubscribe]:
        payload = payload_of(link, UNSUBSCRIBE_SALT)
        assert payload == {"id": number}
        assert_no_address(link, payload)
    assert_no_address(unsubscribed.headers["Location"], {})
    assert subscribers(app) == {STORED: "unsubscribed"}


def test_address_links_still_work(app, signer):
    signer.signup(TYPED)

    confirm = signed(CONFIRM_SALT, {"email": STORED, "round": ""})
    unsubscribe = signed(UNSUBSCRIBE_SALT, {"email": STORED})

    assert signer.press_button(f"/newsletter/confirm/{confirm}").status_code == 303
    assert subscribers(app) == {STORED: "confirmed"}
    assert signer.press_button(
        f"/newsletter/unsubscribe/{unsubscribe}"
    ).status_code == (303)
    assert subscribers(app) == {STORED: "unsubscribed"}


def test_expired_id_link_400(app, signer):
    signer.signup(TYPED)
    payload = {"id": subscriber_id(app), "round": ""}
    link = f"/newsletter/confirm/{signed(CONFIRM_SALT, payload, 8 * 86400)}"

    responses = [signer.get(link), signer.client.post(link)]

    assert [r.status_code for r in responses] == [400, 400]
    assert "This confirmation link has expired" in responses[0].get_data(as_text=True)
    assert subscribers(app) == {STORED: "pending"}


def test_id_link_of_another_round_400(app, signer, caplog):
    caplog.set_level("INFO")
    signer.signup(TYPED)
    number = subscriber_id(app)
    stale = signed(CONFIRM_SALT, {"id": number, "round": "2026-01-01T00:00:00"})

    response = signer.get(f"/newsletter/confirm/{stale}")

    assert response.status_code == 400
    assert "belongs to an earlier signup" in response.get_data(as_text=True)
    assert subscribers(app) == {STORED: "pending"}


@pytest.mark.parametrize(
    ("salt", "payload", "message"),
    [
        (CONFIRM_SALT, {"id": 999, "round": ""}, "belongs to an earlier signup"),
        (CONFIRM_SALT, {"id": True, "round": ""}, "confirmation link is not valid"),
        (CONFIRM_SALT, {"id": "1", "round": ""}, "confirmation link is not valid"),
        (CONFIRM_SALT, {"round": ""}, "confirmation link is not valid"),
        (CONFIRM_SALT, {"id": 1}, "confirmation link is not valid"),
        (UNSUBSCRIBE_SALT, {"id": 999}, "unsubscribe link is not valid"),
        (UNSUBSCRIBE_SALT, {"id": True}, "unsubscribe link is not valid"),
        (UNSUBSCRIBE_SALT, ["id", 1], "unsubscribe link is not valid"),
    ],
)
def test_link_naming_no_subscriber_400(app, signer, salt, payload, message):
    signer.signup(TYPED)
    kind = "confirm" if salt == CONFIRM_SALT else "unsubscribe"
    link = f"/newsletter/{kind}/{signed(salt, payload)}"

    page = signer.get(link)
    post = signer.client.post(link, data={"csrf_token": signer.token})

    assert page.status_code == post.status_code == 400
    assert message in page.get_data(as_text=True)
    assert message in post.get_data(as_text=True)
    assert subscribers(app) == {STORED: "pending"}


def test_unknown_subscriber_logged_without_address(app, signer, caplog):
    caplog.set_level("INFO")
    by_id = signed(UNSUBSCRIBE_SALT, {"id": 999})
    by_address = signed(UNSUBSCRIBE_SALT, {"email": "ghost@example.com"})

    for token in (by_id, by_address):
        assert signer.get(f"/newsletter/unsubscribe/{token}").status_code == 400

    assert "Newsletter link names no stored subscriber (id 999)" in caplog.text
    assert "Newsletter link names no stored subscriber (id none)" in caplog.text
    assert "ghost" not in caplog.text
