"""The newsletter: signup with double opt-in, confirm and unsubscribe links, and
the ``flask subscribers export`` command."""

from __future__ import annotations

import logging

from flask import Flask

from .forms import SignupForm
from .limits import LimitSettings, MemorySignupLimits, RedisSignupLimits, SignupLimits
from .links import check_public_url
from .mailer import MailSettings

logger = logging.getLogger(__name__)


def _limits(app: Flask) -> SignupLimits:
    config = app.config
    settings = LimitSettings(
        signups_per_ip=config["NEWSLETTER_SIGNUPS_PER_IP"],
        window_seconds=config["NEWSLETTER_SIGNUP_WINDOW_SECONDS"],
        resend_seconds=config["NEWSLETTER_RESEND_SECONDS"],
    )
    if settings.signups_per_ip < 1 or settings.window_seconds < 1:
        raise RuntimeError(
            f"VERSUS_SIGNUPS_PER_IP ({settings.signups_per_ip}) and "
            f"VERSUS_SIGNUP_WINDOW ({settings.window_seconds}) must each be at least 1."
        )

    # Set by guard_setup.init_guard: the Redis client, or None without REDIS_URL.
    client = app.extensions["versus.redis"]
    if client is None:
        return MemorySignupLimits(settings)

    return RedisSignupLimits(client, settings, config["REDIS_KEY_PREFIX"])


def _log_mail_mode(settings: MailSettings) -> None:
    if settings.server is None:
        logger.warning(
            "MAIL_SERVER is not set: newsletter mails are not sent, and their links "
            "are written to this log instead"
        )
        return

    if settings.username and not (settings.use_tls or settings.use_ssl):
        logger.warning(
            "MAIL_USERNAME is set but MAIL_USE_TLS and MAIL_USE_SSL are off: the SMTP "
            "password is sent unencrypted"
        )

    logger.info("Newsletter mail goes through %s:%s", settings.server, settings.port)


def init_app(app: Flask) -> None:
    """Check the mail settings, then register the views, limits and CLI."""
    mail_settings = MailSettings.from_config(app.config)
    mail_settings.check()
    check_public_url(app.config.get("PUBLIC_URL"))
    _log_mail_mode(mail_settings)

    app.extensions["versus.newsletter.limits"] = _limits(app)

    from . import cli, optin, signup  # noqa: F401  (the modules register views)
    from .blueprint import bp

    app.register_blueprint(bp)
    cli.init_app(app)

    @app.context_processor
    def signup_form_factory() -> dict:
        return {"newsletter_signup_form": lambda: SignupForm(formdata=None)}
