"""Settings: defaults, then environment variables, then ``instance/config.py``.

Every setting the site reads is listed in ``DEFAULTS`` with the environment variable
that overrides it, so the README's settings table and this module stay in step.
"""

import logging
import os
import secrets
from pathlib import Path

logger = logging.getLogger(__name__)

# (setting, environment variable, default, type)
SETTINGS: list[tuple[str, str, object, type]] = [
    ("SQLALCHEMY_DATABASE_URI", "DATABASE_URL", None, str),
    ("REDIS_URL", "REDIS_URL", None, str),
    ("REDIS_KEY_PREFIX", "VERSUS_REDIS_PREFIX", "versus", str),
    ("REDIS_SOCKET_TIMEOUT", "VERSUS_REDIS_TIMEOUT", 0.5, float),
    ("TRUSTED_PROXY_COUNT", "VERSUS_TRUSTED_PROXIES", 0, int),
    ("TALLY_POLL_SECONDS", "VERSUS_POLL_SECONDS", 5, int),
    ("VOTES_PER_IP", "VERSUS_VOTES_PER_IP", 20, int),
    ("VOTES_PER_NETWORK", "VERSUS_VOTES_PER_NETWORK", 200, int),
    ("VOTE_LIMIT_WINDOW_SECONDS", "VERSUS_VOTE_LIMIT_WINDOW", 86400, int),
    ("VOTE_CLAIM_TTL_SECONDS", "VERSUS_CLAIM_TTL", 30, int),
    ("MIN_VOTES_TO_CALL", "VERSUS_MIN_VOTES_TO_CALL", 30, int),
    ("CONTENT_DIR", "VERSUS_CONTENT_DIR", None, str),
    ("SESSION_COOKIE_SECURE", "VERSUS_SECURE_COOKIES", None, bool),
    ("PRODUCTION", "VERSUS_PRODUCTION", False, bool),
    ("VOTES_WHEN_REDIS_DOWN", "VERSUS_VOTES_WHEN_REDIS_DOWN", "pause", str),
    ("REDIS_DOWN_RETRY_AFTER", "VERSUS_REDIS_DOWN_RETRY_AFTER", 30, int),
    ("PAGE_TOKEN_MAX_AGE", "VERSUS_PAGE_TOKEN_MAX_AGE", 3600, int),
    ("TOKEN_REFRESH_SECONDS", "VERSUS_TOKEN_REFRESH_SECONDS", 900, int),
    ("SQLITE_BUSY_TIMEOUT_MS", "VERSUS_SQLITE_BUSY_TIMEOUT_MS", 5000, int),
    ("HSTS_MAX_AGE", "VERSUS_HSTS_MAX_AGE", 31536000, int),
    ("MAX_CONTENT_LENGTH", "VERSUS_MAX_REQUEST_BYTES", 64 * 1024, int),
    ("PUBLIC_URL", "VERSUS_PUBLIC_URL", None, str),
    ("NEWSLETTER_SIGNUPS_PER_IP", "VERSUS_SIGNUPS_PER_IP", 5, int),
    ("NEWSLETTER_SIGNUP_WINDOW_SECONDS", "VERSUS_SIGNUP_WINDOW", 3600, int),
    ("NEWSLETTER_RESEND_SECONDS", "VERSUS_RESEND_SECONDS", 300, int),
    ("NEWSLETTER_CONFIRM_MAX_AGE", "VERSUS_CONFIRM_MAX_AGE", 7 * 86400, int),
    ("MAIL_SERVER", "MAIL_SERVER", None, str),
    ("MAIL_PORT", "MAIL_PORT", 587, int),
    ("MAIL_USERNAME", "MAIL_USERNAME", None, str),
    ("MAIL_PASSWORD", "MAIL_PASSWORD", None, str),
    ("MAIL_USE_TLS", "MAIL_USE_TLS", True, bool),
    ("MAIL_USE_SSL", "MAIL_USE_SSL", False, bool),
    ("MAIL_FROM", "MAIL_FROM", None, str),
    ("MAIL_TIMEOUT", "MAIL_TIMEOUT", 10.0, float),
    ("SQLITE_SYNCHRONOUS", "VERSUS_SQLITE_SYNCHRONOUS", "NORMAL", str),
    # Moderation: sign-in sessions, failed-login limits and burst flagging.
    ("MODERATOR_IDLE_SECONDS", "VERSUS_MODERATOR_IDLE_SECONDS", 1800, int),
    ("MODERATOR_SESSION_MAX_SECONDS", "VERSUS_MODERATOR_SESSION_MAX", 43200, int),
    ("LOGIN_FAILURES_PER_ACCOUNT", "VERSUS_LOGIN_FAILURES_PER_ACCOUNT", 5, int),
    ("LOGIN_FAILURES_PER_IP", "VERSUS_LOGIN_FAILURES_PER_IP", 20, int),
    ("LOGIN_LOCKOUT_SECONDS", "VERSUS_LOGIN_LOCKOUT_SECONDS", 900, int),
    ("BURST_FACTOR", "VERSUS_BURST_FACTOR", 4.0, float),
    ("BURST_MIN_VOTES", "VERSUS_BURST_MIN_VOTES", 10, int),
]

VOTE_POLICIES = ("pause", "database-only")


def _parse(raw: str, kind: type) -> object:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}

    return kind(raw)


def load_settings(instance_path: str) -> dict[str, object]:
    """Build the settings mapping from defaults and environment variables."""
    settings: dict[str, object] = {}

    for name, env_name, default, kind in SETTINGS:
        raw = os.environ.get(env_name)
        if raw is None or raw == "":
            settings[name] = default
            continue

        try:
            settings[name] = _parse(raw, kind)
        except ValueError as error:
            raise RuntimeError(
                f"Invalid value for {env_name}: {raw!r} is not a {kind.__name__}"
            ) from error

    if settings["SQLALCHEMY_DATABASE_URI"] is None:
        database = Path(instance_path) / "versus.sqlite3"
        settings["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"

    if os.environ.get("SECRET_KEY"):
        settings["SECRET_KEY"] = os.environ["SECRET_KEY"]

    settings["WTF_CSRF_TIME_LIMIT"] = settings["PAGE_TOKEN_MAX_AGE"]
    settings["WTF_CSRF_HEADERS"] = ["X-CSRFToken"]
    settings["SESSION_COOKIE_HTTPONLY"] = True
    settings["SESSION_COOKIE_SAMESITE"] = "Lax"
    return settings


def check_settings(config: dict) -> None:
    """Raise ``RuntimeError`` for settings a deployment must not run with.

    Production needs an explicit secret key (a generated local one differs between
    machines, so cookies and stored hashes would not carry over) and Redis (the
    in-process guard holds the limits inside one worker only).
    """
    policy = config["VOTES_WHEN_REDIS_DOWN"]
    if policy not in VOTE_POLICIES:
        raise RuntimeError(
            f"Invalid value for VERSUS_VOTES_WHEN_REDIS_DOWN: {policy!r}; "
            f"use one of {', '.join(VOTE_POLICIES)}"
        )

    if config["SESSION_COOKIE_SECURE"] is None:
        config["SESSION_COOKIE_SECURE"] = bool(config["PRODUCTION"])

    if not config["PRODUCTION"]:
        return

    if not config.get("SECRET_KEY"):
        raise RuntimeError("VERSUS_PRODUCTION is set but SECRET_KEY is missing")
    if len(config["SECRET_KEY"]) < 32:
        raise RuntimeError("SECRET_KEY is shorter than 32 characters")
    if not config.get("REDIS_URL"):
        raise RuntimeError("VERSUS_PRODUCTION is set but REDIS_URL is missing")


def local_secret_key(instance_path: str) -> str:
    """Return a random key kept in the instance folder, creating it on first use.

    Only used when neither ``SECRET_KEY`` nor ``instance/config.py`` sets one, so a
    local run never signs cookies with a guessable key.
    """
    path = Path(instance_path) / "secret_key"

    if path.exists():
        return path.read_text().strip()

    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    logger.warning("No SECRET_KEY set: created a local one in %s", path)
    return key
