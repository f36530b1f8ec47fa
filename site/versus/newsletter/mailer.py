"""Newsletter mail: build messages and send them over SMTP, or log them locally.

With ``MAIL_SERVER`` unset nothing is sent: the link a mail carries is written to
the log instead, so a local run can finish the signup flow.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

logger = logging.getLogger(__name__)

LOCAL_SENDER = "Versus newsletter <newsletter@localhost>"


class MailNotSent(Exception):
    """The SMTP server could not be reached or rejected the message."""


@dataclass(frozen=True)
class MailSettings:
    server: str | None
    port: int
    username: str | None
    password: str | None
    use_tls: bool
    use_ssl: bool
    sender: str
    timeout: float

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MailSettings:
        return cls(
            server=config.get("MAIL_SERVER"),
            port=config["MAIL_PORT"],
            username=config.get("MAIL_USERNAME"),
            password=config.get("MAIL_PASSWORD"),
            use_tls=config["MAIL_USE_TLS"],
            use_ssl=config["MAIL_USE_SSL"],
            sender=config.get("MAIL_FROM") or LOCAL_SENDER,
            timeout=config["MAIL_TIMEOUT"],
        )

    def check(self) -> None:
        """Raise ``RuntimeError`` for settings that cannot work together."""
        if self.server is None:
            return

        if self.sender == LOCAL_SENDER:
            raise RuntimeError(
                "MAIL_FROM is not set: set it to the sender address (for example "
                "'Versus <newsletter@your-domain>') whenever MAIL_SERVER is set."
            )

        if self.username and self.password is None:
            raise RuntimeError("MAIL_USERNAME is set but MAIL_PASSWORD is not.")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    body: str
    link: str
    unsubscribe_url: str | None = None


def compose(settings: MailSettings, mail: Mail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=_sender_domain(settings.sender))
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
    message.set_content(mail.body)
    return message


def _sender_domain(sender: str) -> str:
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    return address.rpartition("@")[2] or "localhost"


def _connect(settings: MailSettings) -> smtplib.SMTP:
    assert settings.server is not None

    if settings.use_ssl:
        return smtplib.SMTP_SSL(
            settings.server,
            settings.port,
            timeout=settings.timeout,
            context=ssl.create_default_context(),
        )

    return smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)


def send(settings: MailSettings, mail: Mail, subscriber_id: int) -> None:
    """Send ``mail`` over SMTP, or log its link when no server is configured.

    Raises ``MailNotSent`` when the SMTP exchange fails at any step.
    """
    if settings.server is None:
        logger.info(
            "Newsletter mail to subscriber %s not sent because MAIL_SERVER is unset. "
            "Subject: %s. Link: %s",
            subscriber_id,
            mail.subject,
            mail.link,
        )
        return

    message = compose(settings, mail)

    try:
        with _connect(settings) as connection:
            # With MAIL_USE_SSL the connection is already encrypted (implicit TLS).
            if settings.use_tls and not settings.use_ssl:
                connection.starttls(context=ssl.create_default_context())
            if settings.username:
                connection.login(settings.username, settings.password or "")
            connection.send_message(message)
    except (smtplib.SMTPException, OSError) as error:
        logger.error(
            "Newsletter mail to subscriber %s failed via %s:%s: %s",
            subscriber_id,
            settings.server,
            settings.port,
            error,
        )
        raise MailNotSent(str(error)) from error

    logger.info(
        "Newsletter mail %s sent to subscriber %s via %s:%s",
        message["Message-ID"],
        subscriber_id,
        settings.server,
        settings.port,
    )
