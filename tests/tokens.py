"""Build tokens the way the site does, but signed hours ago, to test expiry."""

from __future__ import annotations

import time

from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer

from versus.voting.identity import keyed_hash
from versus.web import page_tokens, visitors

from .conftest import TEST_SECRET


class _TwoHoursAgo(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 7200


def visitor_id_of(client: FlaskClient) -> str:
    """Return the visitor id inside the client's signed visitor cookie."""
    cookie = client.get_cookie(visitors.COOKIE_NAME)
    assert cookie is not None, "the client has no visitor cookie"
    return URLSafeSerializer(TEST_SECRET, salt="versus.visitor").loads(cookie.value)


def page_token(comparison_id: int, visitor: str, *, expired: bool = False) -> str:
    signer = _TwoHoursAgo if expired else TimestampSigner
    serializer = URLSafeTimedSerializer(
        TEST_SECRET, salt=page_tokens.SALT, signer=signer
    )
    binding = keyed_hash(TEST_SECRET.encode(), "page", visitor)[:32]
    return serializer.dumps([comparison_id, binding])


def expired_csrf_token(client: FlaskClient) -> str:
    """Return the client's session CSRF token signed two hours ago."""
    with client.session_transaction() as session:
        raw = session["csrf_token"]

    serializer = URLSafeTimedSerializer(
        TEST_SECRET, salt="wtf-csrf-token", signer=_TwoHoursAgo
    )
    return serializer.dumps(raw)
