"""Checks on numbers that arrive as text in query strings and form fields."""


def is_ascii_digits(text: str) -> bool:
    """Return whether ``text`` is one or more of the digits 0 to 9.

    ``str.isdigit`` alone also accepts characters such as "²" and "①", which
    ``int()`` then rejects with a ValueError.
    """
    return text.isascii() and text.isdigit()
