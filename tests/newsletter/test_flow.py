"""Double opt-in end to end: mail (log or real SMTP), links, tokens and the export."""

from __future__ import annotations

import csv
import io
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from versus import create_app
from versus.newsletter.tokens import CONFIRM_SALT

from ..conftest import TEST_SECRET, base_config
from ..servers import free_port
from .support import (
    SignupReader,
    links_in,
    logged_links,
    path_of,
    subscribers,
)


def export_rows(app, *args: str) -> list[dict]:
    result = app.test_cli_runner().invoke(args=["subscribers", "export", *args])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_full_flow_through_log(app, signer, caplog):
    caplog.set_level("INFO")

    assert signer.signup("Reader@Example.com").status_code == 200
    [confirm_link] = logged_links(caplog)
    assert confirm_link.startswith("https://versus.example.org/newsletter/confirm/")
    assert export_rows(app) == []

    page = signer.get(path_of(confirm_link))
    assert page.status_code == 200
    assert "Confirm subscription" in page.get_data(as_text=True)
    assert subscribers(app) == {"reader@example.com": "pending"}

    confirmed = signer.press_button(path_of(confirm_link))
    assert confirmed.status_code == 303
    landing = signer.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "You are subscribed" in landing
    assert subscribers(app) == {"reader@example.com": "confirmed"}

    [row] = export_rows(app)
    assert row["email"] == "reader@example.com"
    assert row["confirmed_at"].endswith("Z")
    unsubscribe_link = row["unsubscribe_url"]
    assert unsubscribe_link.startswith("https://versus.example.org/newsletter/unsub")

    unsubscribe_page = signer.get(path_of(unsubscribe_link))
    assert unsubscribe_page.status_code == 200
    assert subscribers(app) == {"reader@example.com": "confirmed"}

    done = signer.press_button(path_of(unsubscribe_link))
    assert done.status_code == 303
    assert "You are unsubscribed" in signer.get(done.headers["Location"]).get_data(
        as_text=True
    )
    assert subscribers(app) == {"reader@example.com": "unsubscribed"}
    assert export_rows(app) == []


def test_resubscribe_needs_new_confirmation(app, signer, caplog):
    caplog.set_level("INFO")
    signer.signup("reader@example.com")
    first_link = path_of(logged_links(caplog)[-1])
    signer.press_button(first_link)
    [row] = export_rows(app)
    signer.press_button(path_of(row["unsubscribe_url"]))

    signer.signup("reader@example.com")

    second_link = path_of(logged_links(caplog)[-1])
    assert second_link != first_link
    assert subscribers(app) == {"reader@example.com": "pending"}
    assert export_rows(app) == []

    # The link from before the unsubscribe must not confirm the new round.
    stale = signer.get(first_link)
    assert stale.status_code == 400
    assert "belongs to an earlier signup" in stale.get_data(as_text=True)
    stale_post = signer.client.post(first_link, data={"csrf_token": signer.token})
    assert stale_post.status_code == 400
    assert subscribers(app) == {"reader@example.com": "pending"}

    signer.press_button(second_link)
    assert [r["email"] for r in export_rows(app)] == ["reader@example.com"]


def test_confirm_get_changes_nothing(app, signer, caplog):
    caplog.set_level("INFO")
    signer.signup("reader@example.com")
    link = path_of(logged_links(caplog)[-1])

    for _ in range(3):
        assert signer.get(link).status_code == 200

    assert subscribers(app) == {"reader@example.com": "pending"}


def test_confirm_twice_is_fine(app, signer, caplog):
    caplog.set_level("INFO")
    signer.signup("reader@example.com")
    link = path_of(logged_links(caplog)[-1])

    first = signer.press_button(link)
    again = signer.get(link)

    assert first.status_code == 303
    assert again.status_code == 200
    assert "You are subscribed" in again.get_data(as_text=True)


def test_unsubscribe_twice_is_fine(app, signer, caplog):
    caplog.set_level("INFO")
    signer.signup("reader@example.com")
    signer.press_button(path_of(logged_links(caplog)[-1]))
    [row] = export_rows(app)
    link = path_of(row["unsubscribe_url"])
    page = signer.get(link).get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]

    first = signer.client.post(link, data={"csrf_token": token})
    second = signer.client.post(link, data={"csrf_token": token})

    assert first.status_code == second.status_code == 303
    assert subscribers(app) == {"reader@example.com": "unsubscribed"}


def test_unsubscribe_post_needs_csrf(app, signer, caplog):
    caplog.set_level("INFO")
    signer.signup("reader@example.com")
    signer.press_button(path_of(logged_links(caplog)[-1]))
    [row] = export_rows(app)

    response = signer.client.post(path_of(row["unsubscribe_url"]))

    assert response.status_code == 400
    assert subscribers(app) == {"reader@example.com": "confirmed"}


def expired_confirm_token(address: str) -> str:
    class EightDaysAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 8 * 86400

    serializer = URLSafeTimedSerializer(
        TEST_SECRET, salt=CONFIRM_SALT, signer=EightDaysAgo
    )
    return serializer.dumps({"email": address, "round": ""})


def test_expired_confirm_link_400(app, signer):
    signer.signup("reader@example.com")
    link = f"/newsletter/confirm/{expired_confirm_token('reader@example.com')}"

    for response in [signer.get(link), signer.client.post(link)]:
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Traceback" not in html

    html = signer.get(link).get_data(as_text=True)
    assert "This confirmation link has expired: links work for 7 days" in html
    assert subscribers(app) == {"reader@example.com": "pending"}


def test_tampered_links_400(app, signer, caplog):
    caplog.set_level("INFO")
    signer.signup("reader@example.com")
    confirm_link = path_of(logged_links(caplog)[-1])
    token = confirm_link.rsplit("/", 1)[1]
    payload, rest = token.split(".", 1)
    forged = ("A" if payload[0] != "A" else "B") + payload[1:] + "." + rest

    cases = [
        (f"/newsletter/confirm/{forged}", "This confirmation link is not valid"),
        ("/newsletter/confirm/not-a-token", "This confirmation link is not valid"),
        (f"/newsletter/unsubscribe/{token}", "This unsubscribe link is not valid"),
        ("/newsletter/unsubscribe/x.y.z", "This unsubscribe link is not valid"),
    ]
    for link, message in cases:
        response = signer.get(link)

        assert response.status_code == 400, link
        assert message in response.get_data(as_text=True), link

    assert subscribers(app) == {"reader@example.com": "pending"}
    assert token not in caplog.text.replace(confirm_link, "")


def test_export_to_file(app, signer, caplog, tmp_path):
    caplog.set_level("INFO")
    for address in ["b@example.com", "a@example.com", "pending@example.com"]:
        signer.signup(address)
    for link in logged_links(caplog)[:2]:
        signer.press_button(path_of(link))
    target = tmp_path / "list.csv"

    result = app.test_cli_runner().invoke(
        args=["subscribers", "export", "--output", str(target)]
    )

    assert result.exit_code == 0, result.output
    assert "Exported 2 confirmed subscriber(s)" in result.stderr
    with target.open(newline="") as file:
        rows = list(csv.DictReader(file))
    assert [r["email"] for r in rows] == ["b@example.com", "a@example.com"]
    assert target.read_text().splitlines()[0] == "email,confirmed_at,unsubscribe_url"


def test_export_without_public_url_warns(app, signer, caplog):
    app.config["PUBLIC_URL"] = None
    caplog.set_level("INFO")
    signer.signup("reader@example.com")
    signer.press_button(path_of(logged_links(caplog)[-1]))

    result = app.test_cli_runner().invoke(args=["subscribers", "export"])

    assert result.exit_code == 0
    assert "unsubscribe_url left empty" in result.stderr
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["email"] == "reader@example.com"
    assert row["unsubscribe_url"] == ""


def test_export_unwritable_path_fails(app, tmp_path):
    target = tmp_path / "missing-folder" / "list.csv"

    result = app.test_cli_runner().invoke(
        args=["subscribers", "export", "--output", str(target)]
    )

    assert result.exit_code == 1
    assert "error: cannot write" in result.stderr
    assert not target.exists()


def test_full_flow_through_smtp(make_app, smtp):
    app = make_app(smtp.config() | {"PUBLIC_URL": "https://versus.example.org"})
    reader = SignupReader(app)
    reader.open()

    assert reader.signup("Reader@Example.com").status_code == 200

    [received] = smtp.mailbox.messages
    message = received.message
    assert received.recipients == ["reader@example.com"]
    assert received.sender == "newsletter@versus.example.org"
    assert message["To"] == "reader@example.com"
    assert message["Subject"] == "Confirm your Versus newsletter subscription"
    assert message["Message-ID"].endswith("@versus.example.org>")
    [confirm_link] = links_in(message.get_content())
    assert confirm_link.startswith("https://versus.example.org/newsletter/confirm/")

    reader.press_button(path_of(confirm_link))
    [row] = export_rows(app)
    assert row["email"] == "reader@example.com"

    reader.press_button(path_of(row["unsubscribe_url"]))
    assert export_rows(app) == []


def test_confirmed_signup_mails_unsubscribe(make_app, smtp):
    app = make_app(smtp.config() | {"NEWSLETTER_RESEND_SECONDS": 0})
    reader = SignupReader(app)
    reader.open()
    reader.signup("reader@example.com")
    [confirm_link] = links_in(smtp.mailbox.messages[0].message.get_content())
    reader.press_button(path_of(confirm_link))

    reader.signup("reader@example.com")

    second = smtp.mailbox.messages[1].message
    [link] = links_in(second.get_content())
    assert second["Subject"] == "You are already subscribed to the Versus newsletter"
    assert "/newsletter/unsubscribe/" in link
    assert second["List-Unsubscribe"] == f"<{link}>"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_with_credentials(make_app, auth_smtp):
    credentials = {"MAIL_USERNAME": "newsletter", "MAIL_PASSWORD": "s3cret"}
    app = make_app(auth_smtp.config() | credentials)
    reader = SignupReader(app)
    reader.open()

    response = reader.signup("reader@example.com")

    assert response.status_code == 200
    assert auth_smtp.mailbox.logins == [("newsletter", "s3cret")]
    assert len(auth_smtp.mailbox.messages) == 1


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_wrong_password_503(make_app, auth_smtp, caplog):
    credentials = {"MAIL_USERNAME": "newsletter", "MAIL_PASSWORD": "wrong"}
    app = make_app(auth_smtp.config() | credentials)
    reader = SignupReader(app)
    reader.open()

    response = reader.signup("reader@example.com")

    assert response.status_code == 503
    assert "could not send the confirmation email" in response.get_data(as_text=True)
    assert auth_smtp.mailbox.logins == [("newsletter", "wrong")]
    assert auth_smtp.mailbox.messages == []
    assert "wrong" not in caplog.text


def test_smtp_unreachable_503_then_retry(make_app, smtp):
    app = make_app(smtp.config() | {"MAIL_PORT": free_port()})
    reader = SignupReader(app)
    reader.open()

    response = reader.signup("reader@example.com")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert subscribers(app) == {"reader@example.com": "pending"}

    # A failed send leaves no cooldown, so a retry once SMTP is back mails at once.
    app.config["MAIL_PORT"] = smtp.port
    assert reader.signup("reader@example.com").status_code == 200
    assert len(smtp.mailbox.messages) == 1


def test_smtp_rejected_recipient_503(make_app, smtp):
    smtp.mailbox.reject_recipients = True
    app = make_app(smtp.config())
    reader = SignupReader(app)
    reader.open()

    response = reader.signup("reader@example.com")

    assert response.status_code == 503
    assert smtp.mailbox.messages == []


def test_mail_server_without_sender_rejected(database_url):
    config = base_config(database_url, None) | {"MAIL_SERVER": "127.0.0.1"}

    with pytest.raises(RuntimeError, match="MAIL_FROM is not set"):
        create_app(config)


def test_starttls_unsupported_sends_nothing(make_app, smtp):
    app = make_app(smtp.config() | {"MAIL_USE_TLS": True})
    reader = SignupReader(app)
    reader.open()

    response = reader.signup("reader@example.com")

    # The test server offers no STARTTLS, so nothing may be sent in the clear.
    assert response.status_code == 503
    assert smtp.mailbox.messages == []


def test_public_url_without_scheme_rejected(database_url):
    config = base_config(database_url, None) | {"PUBLIC_URL": "versus.example.org"}

    with pytest.raises(RuntimeError, match="is not an http\\(s\\) URL with a host"):
        create_app(config)


def test_public_url_with_path_prefix(app, signer, caplog):
    app.config["PUBLIC_URL"] = "https://example.org/versus/"
    caplog.set_level("INFO")

    signer.signup("reader@example.com")

    [link] = logged_links(caplog)
    assert link.startswith("https://example.org/versus/newsletter/confirm/")
