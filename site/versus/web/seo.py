"""The sitemap and robots.txt that search engines read."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, url_for
from werkzeug.wrappers import Response

from ..listing import sitemap_entries
from ..newsletter.links import external_url

bp = Blueprint("seo", __name__)


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    """List the index and every comparison readers can see, with its last change."""
    urls = [(external_url("pages.index"), None)]
    urls += [
        (external_url("pages.compare", slug=slug), changed)
        for slug, changed in sitemap_entries()
    ]

    response = make_response(render_template("seo/sitemap.xml", urls=urls))
    response.mimetype = "application/xml"
    return response


@bp.get("/robots.txt")
def robots() -> Response:
    """Allow crawling of the pages and point crawlers at the sitemap."""
    lines = [
        "User-agent: *",
        # JSON and the vote endpoint are for the page's own scripts and forms.
        "Disallow: /api/",
        "Allow: /",
        f"Sitemap: {external_url('seo.sitemap')}",
        "",
    ]

    response = make_response("\n".join(lines))
    response.mimetype = "text/plain"
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """Send browsers and crawlers that ask for the old icon path to the SVG icon."""
    response = redirect(url_for("static", filename="favicon.svg"), 301)
    response.cache_control.max_age = 86400
    return response
