"""Inline Markdown in quotes and descriptions: formatting kept, script removed."""

from __future__ import annotations

import re

import pytest
import tomli_w

from versus.rendering import render_inline, sanitize_html

from .content_factory import comparison_data, import_comparisons

DANGEROUS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="https://example.org" onclick="alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JavaScript:alert(1))",
    "[click](jav&#x61;script:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '<svg onload="alert(1)"></svg>',
    "<iframe src=https://example.org></iframe>",
]


def tags_in(html: str) -> list[str]:
    return re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", html)


@pytest.mark.parametrize("text", DANGEROUS)
def test_render_inline_leaves_no_live_markup(text):
    html = render_inline(f"before {text} after")

    assert set(tags_in(html)) <= {"a", "code", "em", "strong"}
    assert not re.search(r"<[^>]*\son\w+\s*=", html)
    assert not re.search(r'href="\s*(javascript|data|vbscript):', html, re.I)


def test_raw_script_tag_is_escaped_text():
    html = render_inline("<script>alert(1)</script>")

    assert "<script" not in html
    assert html == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_javascript_link_is_not_a_link():
    html = render_inline("[click](javascript:alert(1))")

    assert "<a" not in html
    assert "href" not in html


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<script>alert(1)</script>ok", "ok"),
        (
            '<a href="javascript:alert(1)">x</a>',
            '<a rel="nofollow noopener noreferrer">x</a>',
        ),
        ('<em onmouseover="alert(1)">x</em>', "<em>x</em>"),
        ('<code style="color:red" onclick="x()">y</code>', "<code>y</code>"),
        ("<img src=x onerror=alert(1)>", ""),
        (
            '<a href="https://example.org" target="_blank">x</a>',
            '<a href="https://example.org" rel="nofollow noopener noreferrer">x</a>',
        ),
    ],
)
def test_sanitize_html_strips(html, expected):
    assert sanitize_html(html) == expected


def test_formatting_is_kept():
    html = render_inline(
        "Call `from_pretrained`, *then* **wait**; see [the docs](https://example.org/a)."
    )

    assert "<code>from_pretrained</code>" in html
    assert "<em>then</em>" in html
    assert "<strong>wait</strong>" in html
    assert '<a href="https://example.org/a" rel="nofollow noopener noreferrer">' in html
    assert ">the docs</a>" in html


def test_block_markdown_stays_text():
    assert render_inline("# Not a heading") == "# Not a heading"
    assert "<img" not in render_inline("![alt](https://example.org/x.png)")


def test_page_renders_content_sanitized(app, client):
    data = comparison_data("unsafe")
    data["tools"][0]["description"] = (
        "Uses `code` and <script>alert('x')</script> and [bad](javascript:alert(1))."
    )
    data["verdicts"][0]["quote"] = '<img src=x onerror="alert(1)"> *fine* quote'
    import_comparisons(app, tomli_w.dumps(data))

    html = client.get("/compare/unsafe").get_data(as_text=True)

    assert "<script>alert('x')</script>" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html
    assert 'href="javascript:' not in html
    assert "<img" not in html
    assert "<code>code</code>" in html
    assert "<em>fine</em> quote" in html
