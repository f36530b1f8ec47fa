"""Template helpers: the inline Markdown filter and values every page uses."""

from __future__ import annotations

from flask import Flask, current_app
from markupsafe import Markup

from ..rendering import render_inline


def init_app(app: Flask) -> None:
    app.jinja_env.filters["inline_md"] = lambda text: Markup(render_inline(text or ""))
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def site_values() -> dict:
        return {
            "poll_seconds": current_app.config["TALLY_POLL_SECONDS"],
            "htmx_file": HTMX_FILE,
        }


HTMX_FILE = "vendor/htmx-4.0.1.min.js"
