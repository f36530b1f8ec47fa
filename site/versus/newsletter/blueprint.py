"""The newsletter blueprint and what its views share."""

from __future__ import annotations

from flask import Blueprint, current_app

from .limits import SignupLimits

bp = Blueprint("newsletter", __name__, url_prefix="/newsletter")


def current_limits() -> SignupLimits:
    return current_app.extensions["versus.newsletter.limits"]
