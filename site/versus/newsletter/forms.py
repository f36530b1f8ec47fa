"""The signup form: one email field, checked and normalised on the server."""

from __future__ import annotations

import re

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField
from wtforms.validators import ValidationError

from .addresses import MAX_INPUT_LENGTH, InvalidAddress, normalise_address

# A same-site path to offer as the way back after signing up. It has no scheme, no
# host, no leading "//" (browsers read that as another host) and no backslash. The
# newsletter's own pages are excluded because a confirmation link is no page to
# return to.
RETURN_PATH = re.compile(r"/(?!/)(?!newsletter/)[A-Za-z0-9/_.~-]{0,200}")


class SignupForm(FlaskForm):
    email = EmailField(
        "Email address",
        render_kw={
            "autocomplete": "email",
            "required": True,
            "maxlength": MAX_INPUT_LENGTH,
            "placeholder": "you@example.com",
        },
    )
    next = HiddenField()

    # Set by validate_email to the address as it will be stored.
    address: str = ""

    def validate_email(self, field: EmailField) -> None:
        try:
            self.address = normalise_address(field.data or "")
        except InvalidAddress as error:
            raise ValidationError(str(error)) from error

    def return_path(self) -> str | None:
        """Return the page the form was sent from, if it is a safe local path."""
        value = self.next.data or ""
        return value if RETURN_PATH.fullmatch(value) else None
