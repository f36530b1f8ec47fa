"""Inline Markdown for quotes and descriptions, rendered and then sanitized.

Content files may use code spans, emphasis and links. Everything else, including any
raw HTML an editor types, is escaped or stripped, so no file can inject script.
"""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"a", "code", "em", "strong"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable(
    ["image"]
)


def sanitize_html(html: str) -> str:
    """Keep only the allowed tags, attributes and link schemes of ``html``.

    The Markdown step already escapes raw HTML and drops ``javascript:`` links, so
    this is the second guard: it holds even if a Markdown option or plugin changes.
    """
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )


@lru_cache(maxsize=4096)
def render_inline(text: str) -> str:
    """Render ``text`` as inline Markdown and return sanitized HTML."""
    return sanitize_html(_markdown.renderInline(text))
