"""Request ids: taken from a well-formed ``X-Request-ID`` header or generated.

Every log line about a caught error carries the id, and the response sends it back
in the same header. A reader's report or a proxy's log line then leads to the
site's log lines, and neither side needs the reader's address for that.
"""

from __future__ import annotations

import re
import secrets

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def request_id() -> str:
    """Return this request's id, or ``-`` outside a request."""
    if not has_request_context():
        return "-"

    if "request_id" not in g:
        sent = request.headers.get(HEADER, "")
        g.request_id = sent if VALID_ID.fullmatch(sent) else secrets.token_hex(8)

    return g.request_id


def _send_request_id(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


def init_app(app: Flask) -> None:
    app.after_request(_send_request_id)
