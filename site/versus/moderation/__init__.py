"""The moderation area: sign-in, the ``/moderate`` pages and the CLI commands.

The logic behind every action lives in ``versus.voting.moderation`` and takes a
session and the vote guard, so this package holds only the web and CLI layers,
plus the account and sign-in limit modules they share.
"""

from __future__ import annotations

from flask import Flask

from ..plurals import count_of


def init_app(app: Flask) -> None:
    from . import auth, cli, views

    app.add_template_filter(count_of, "count_of")
    auth.init_limiter(app)
    app.register_blueprint(views.bp)
    cli.init_app(app)
