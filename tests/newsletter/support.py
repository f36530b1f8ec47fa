"""Helpers for the newsletter tests: a real SMTP server, a signing-up reader, links."""

from __future__ import annotations

import email
import re
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask
from sqlalchemy import select

from versus.content.importer import import_specs
from versus.content.schema import parse_file
from versus.extensions import db
from versus.models import Subscriber

from ..conftest import SAMPLE, SLUG, Reader, csrf_from
from ..servers import free_port

LINK = re.compile(r"https?://\S+/newsletter/(?:confirm|unsubscribe)/\S+")


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class Mailbox:
    """What the test SMTP server accepted, and the logins it saw."""

    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    reject_recipients: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802
        if self.reject_recipients:
            return "550 5.1.1 Mailbox unavailable"

        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message)
            )
        return "250 Message accepted"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)

        login = auth_data.login.decode()
        password = auth_data.password.decode()
        with self.lock:
            self.logins.append((login, password))
        return AuthResult(success=(login, password) == ("newsletter", "s3cret"))


class SmtpServer:
    """An aiosmtpd server on a free loopback port; ``auth`` makes it require AUTH."""

    def __init__(self, auth: bool = False) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        options: dict = {}
        if auth:
            options = {
                "authenticator": self.mailbox.authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self.controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, **options
        )

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()

    def config(self) -> dict:
        return {
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_FROM": "Versus <newsletter@versus.example.org>",
            "MAIL_TIMEOUT": 5.0,
        }


def import_sample(app: Flask) -> None:
    with app.app_context():
        import_specs(db.session, [parse_file(SAMPLE)])


class SignupReader(Reader):
    """A reader who signs up for the newsletter from a page they opened."""

    def open_index(self):
        response = self.client.get("/", environ_base={"REMOTE_ADDR": self.address})
        self.token = csrf_from(response.get_data(as_text=True))
        return response

    def signup(
        self,
        address: str,
        *,
        htmx: bool = True,
        csrf: bool = True,
        next_path: str = f"/compare/{SLUG}",
    ):
        data = {"email": address, "next": next_path}
        headers = {}
        if htmx:
            headers["HX-Request"] = "true"
            if csrf:
                headers["X-CSRFToken"] = self.token
        elif csrf:
            data["csrf_token"] = self.token

        return self.client.post(
            "/newsletter/signup",
            data=data,
            headers=headers,
            environ_base={"REMOTE_ADDR": self.address},
        )

    def get(self, url: str):
        return self.client.get(url, environ_base={"REMOTE_ADDR": self.address})

    def press_button(self, url: str):
        """Open a confirm or unsubscribe page and submit its form, as a browser."""
        page = self.get(url)
        assert page.status_code == 200, page.get_data(as_text=True)
        token = re.search(
            r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)
        )
        assert token, "the page has no form to submit"
        return self.client.post(
            url,
            data={"csrf_token": token.group(1)},
            environ_base={"REMOTE_ADDR": self.address},
        )


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def links_in(text: str) -> list[str]:
    return LINK.findall(text)


def logged_links(caplog) -> list[str]:
    return [
        link
        for record in caplog.records
        if record.name == "versus.newsletter.mailer"
        for link in links_in(record.getMessage())
    ]


def subscribers(app: Flask) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(select(Subscriber.email, Subscriber.status)).all()
    return dict(rows)
