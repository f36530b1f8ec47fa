"""The verdict site: "Tool A vs Tool B" pages, a panel verdict and a community vote."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from .config import check_settings, load_settings, local_secret_key
from .database_tuning import install_sqlite_pragmas, write_queue_for
from .extensions import csrf, db, migrate

ROOT = Path(__file__).resolve().parents[2]

logger = logging.getLogger(__name__)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings, extensions, the vote guard and blueprints."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )

    app.config.from_mapping(load_settings(app.instance_path))
    app.config["CONTENT_DIR"] = app.config["CONTENT_DIR"] or str(ROOT / "content")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    check_settings(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = local_secret_key(app.instance_path)

    _configure_logging(app)
    _configure_database(app)

    proxies = app.config["TRUSTED_PROXY_COUNT"]
    if proxies > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)

    from .guard_setup import init_guard

    init_guard(app)

    from .snapshots import init_snapshots

    init_snapshots(app)

    from . import cli, errors, privacy_cli
    from .web import (
        api,
        page_tokens,
        pages,
        request_checks,
        request_ids,
        security_headers,
        seo,
        templating,
        visitors,
    )

    templating.init_app(app)
    visitors.init_app(app)
    request_ids.init_app(app)
    request_checks.init_app(app)
    security_headers.init_app(app)
    errors.init_app(app)
    page_tokens.init_app(app)

    # "/compare/<slug>/" reaches the same page as "/compare/<slug>" instead of a 404.
    app.url_map.strict_slashes = False
    app.register_blueprint(pages.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(seo.bp)
    cli.init_app(app)
    privacy_cli.init_app(app)

    from .newsletter import init_app as init_newsletter

    init_newsletter(app)

    from . import moderation

    moderation.init_app(app)

    dialect = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    guard = type(app.extensions["versus.guard"]).__name__
    logger.info(
        "Application ready: database %s, vote guard %s, %s trusted proxies, "
        "votes while Redis is down: %s",
        dialect,
        guard,
        proxies,
        app.config["VOTES_WHEN_REDIS_DOWN"],
    )

    return app


def _configure_logging(app: Flask) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )


def _configure_database(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]

    if uri.startswith("postgres://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgres://")
    elif uri.startswith("postgresql://"):
        uri = "postgresql+psycopg://" + uri.removeprefix("postgresql://")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri

    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # Error messages and logs then carry the SQL but not the bound values, so the
    # keyed visitor and address hashes stay out of the logs.
    options.setdefault("hide_parameters", True)
    app.extensions["versus.write_lock"] = nullcontext
    if uri.startswith("sqlite"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        busy_timeout_ms = app.config["SQLITE_BUSY_TIMEOUT_MS"]
        options.setdefault("connect_args", {"timeout": busy_timeout_ms / 1000})
        install_sqlite_pragmas(app.config["SQLITE_SYNCHRONOUS"], busy_timeout_ms)
        app.extensions["versus.write_lock"] = write_queue_for(uri)
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
