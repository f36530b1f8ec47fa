"""Error pages and fragments: every failure gets a short sentence, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from .extensions import db
from .web.htmx import is_htmx
from .web.request_ids import request_id

logger = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    429: "Too many requests",
    500: "Something went wrong",
    503: "Temporarily unavailable",
}


def _comparison() -> str:
    """Return the comparison slug named in the URL, or ``-``, for log lines."""
    return str((request.view_args or {}).get("slug", "-"))[:120]


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def error_response(status: int, message: str):
    title = TITLES.get(status, "Error")
    if _wants_json():
        return jsonify(error=title, message=message, request_id=request_id()), status

    template = "errors/_fragment.html" if is_htmx() else "errors/page.html"
    html = render_template(
        template, status=status, title=title, message=message, request_id=request_id()
    )
    return html, status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        logger.info(
            "CSRF check failed on %s for comparison %s (request %s): %s",
            request.endpoint,
            _comparison(),
            request_id(),
            error.description,
        )
        return error_response(
            400,
            "This form has expired or was not sent from this site. "
            "Reload the page and try again.",
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        if status == 413:
            limit = current_app.config["MAX_CONTENT_LENGTH"] // 1024
            return error_response(
                413, f"The request is larger than the {limit} KiB this site accepts."
            )
        if status >= 500:
            logger.error(
                "HTTP %s on %s for comparison %s (request %s)",
                status,
                request.endpoint,
                _comparison(),
                request_id(),
            )
        body, status = error_response(
            status, error.description or TITLES.get(status, "Error")
        )
        # A 405 response must list the methods the URL accepts.
        allowed = getattr(error, "valid_methods", None)
        headers = {"Allow": ", ".join(allowed)} if status == 405 and allowed else {}
        return body, status, headers

    @app.errorhandler(SQLAlchemyError)
    def database_error(error: SQLAlchemyError):
        db.session.rollback()
        logger.exception(
            "Database error on %s for comparison %s (request %s)",
            request.endpoint,
            _comparison(),
            request_id(),
        )
        return error_response(
            503,
            "The site cannot reach its database right now. Please try again shortly.",
        )

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        db.session.rollback()
        logger.exception(
            "Unhandled error on %s for comparison %s (request %s)",
            request.endpoint,
            _comparison(),
            request_id(),
        )
        return error_response(
            500, "Something went wrong on our side. Please try again."
        )
