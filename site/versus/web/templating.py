"""Template helpers: the inline Markdown filter and values every page uses."""

from __future__ import annotations

from flask import Flask, current_app, request
from markupsafe import Markup

from ..newsletter.links import external_url
from ..numbers import is_ascii_digits
from ..pricing import Price, parse_price
from ..rendering import render_inline

HTMX_FILE = "vendor/htmx-4.0.1.min.js"
SITE_NAME = "Versus"


def canonical_url() -> str:
    """Return this page's canonical URL: its path, plus ``?page=N`` past page 1.

    Built on ``PUBLIC_URL`` when it is set, so a forged ``Host`` header cannot
    change it; without it the request's own host is used, which suits a local run.
    """
    if request.url_rule is None or request.endpoint is None:
        return request.base_url

    values = dict(request.view_args or {})
    page = request.args.get("page", "")
    if is_ascii_digits(page) and int(page) > 1:
        values["page"] = int(page)

    return external_url(request.endpoint, **values)


def entry_price(text: str) -> Price | None:
    """Return the parsed price for templates, or ``None`` for text that is no price."""
    try:
        return parse_price(text or "")
    except ValueError:
        return None


def init_app(app: Flask) -> None:
    app.jinja_env.filters["inline_md"] = lambda text: Markup(render_inline(text or ""))
    app.jinja_env.filters["entry_price"] = entry_price
    app.jinja_env.globals.update(canonical_url=canonical_url, site_name=SITE_NAME)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def site_values() -> dict:
        return {
            "poll_seconds": current_app.config["TALLY_POLL_SECONDS"],
            "htmx_file": HTMX_FILE,
        }
