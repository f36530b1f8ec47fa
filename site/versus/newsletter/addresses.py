"""Email address checks and the one canonical form each address is stored in.

The stored form is the whole address in lower case, with the domain in its ASCII
(IDNA) form:

- The domain is case-insensitive (RFC 5321), so lower-casing it changes nothing.
- The local part may be case-sensitive by the letter of RFC 5321, but no mail service
  in common use treats ``Ann@`` and ``ann@`` as two mailboxes. Lower-casing it means
  one reader is one row, so a second signup with other capitals is a duplicate.
- Dots and ``+tags`` are kept: they change the mailbox on most providers, and a tag
  is a reader's own choice of filter.
- Internationalised local parts (SMTPUTF8) are rejected, because not every relay
  accepts them and a confirmation mail that cannot be delivered helps nobody.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_INPUT_LENGTH = 320


class InvalidAddress(ValueError):
    """The address cannot be subscribed; ``str()`` is a sentence for the reader."""


def normalise_address(raw: str) -> str:
    """Return the canonical stored form of ``raw`` or raise ``InvalidAddress``.

    Makes no network requests: deliverability (DNS MX) checks are off.
    """
    text = (raw or "").strip()

    if not text:
        raise InvalidAddress("Enter your email address.")

    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidAddress(
            f"That email address is too long ({len(text)} characters). "
            f"Addresses have at most {MAX_INPUT_LENGTH}."
        )

    try:
        checked = validate_email(
            text,
            check_deliverability=False,
            allow_smtputf8=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
        )
    except EmailNotValidError as error:
        raise InvalidAddress(f"That email address is not valid: {error}") from error

    return checked.ascii_email.lower()
