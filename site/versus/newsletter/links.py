"""Absolute links for mails and exports.

With ``PUBLIC_URL`` set, every link is built on it. Without it, a request's own
host is used, which is only safe locally: a forged ``Host`` header would otherwise
put another site's address into the confirmation mail.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for


class NoPublicUrl(RuntimeError):
    """A link is needed outside a request and ``PUBLIC_URL`` is not set."""


def check_public_url(public_url: str | None) -> None:
    """Raise ``RuntimeError`` unless ``public_url`` is unset or an http(s) URL."""
    if not public_url:
        return

    parts = urlsplit(public_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise RuntimeError(
            f"VERSUS_PUBLIC_URL {public_url!r} is not an http(s) URL with a host, "
            "for example https://versus.example.org"
        )


def external_url(endpoint: str, **values: object) -> str:
    public_url = current_app.config.get("PUBLIC_URL")

    if public_url:
        parts = urlsplit(public_url)
        adapter = current_app.url_map.bind(
            parts.netloc,
            script_name=parts.path.rstrip("/") or "/",
            url_scheme=parts.scheme,
        )
        return adapter.build(endpoint, values, force_external=True)

    if has_request_context():
        return url_for(endpoint, _external=True, **values)

    raise NoPublicUrl(
        "Set VERSUS_PUBLIC_URL (for example https://versus.example.org) so links "
        "can be built outside a web request."
    )
