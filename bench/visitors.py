"""Harvest distinct visitors for the vote run, the way a browser gets them.

Each visitor loads the comparison page once with no cookies, keeps the cookies the
reply sets, and reads the vote form: its hidden fields (the CSRF token and any other
token the form carries), its other fields as served (so a honeypot stays empty) and
the choice buttons. The vote driver then replays one POST per visitor.
"""

from __future__ import annotations

import http.client
import itertools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode


class VoteFormParser(HTMLParser):
    """Collect the page's CSRF meta token and the vote form's fields and choices."""

    def __init__(self) -> None:
        super().__init__()
        self.csrf_meta = ""
        self.fields: list[tuple[str, str]] = []
        self.choices: list[str] = []
        self._in_form = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}

        if tag == "meta" and found.get("name") == "csrf-token":
            self.csrf_meta = found.get("content", "")
        elif tag == "form" and "vote-form" in found.get("class", "").split():
            self._in_form = True
        elif self._in_form and tag == "input" and found.get("name"):
            kind = found.get("type", "text")
            if kind not in {"submit", "button", "checkbox", "radio"}:
                self.fields.append((found["name"], found.get("value", "")))
        elif self._in_form and tag == "button" and found.get("name") == "choice":
            self.choices.append(found.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False


@dataclass(frozen=True)
class Visitor:
    cookie: str
    token: str
    body: str

    def line(self) -> str:
        return f"{self.cookie}\t{self.token}\t{self.body}"


class HarvestError(RuntimeError):
    """A page load did not give what a browser needs to vote."""


def visit(connection: http.client.HTTPConnection, path: str, turn: int) -> Visitor:
    connection.request("GET", path)
    response = connection.getresponse()
    html = response.read().decode()
    if response.status != 200:
        raise HarvestError(f"GET {path} returned status {response.status}")

    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    parser = VoteFormParser()
    parser.feed(html)
    if not parser.choices or not parser.csrf_meta:
        raise HarvestError(f"GET {path} has no vote form or no csrf-token meta tag")

    choice = parser.choices[turn % len(parser.choices)]
    body = urlencode([*parser.fields, ("choice", choice)])
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
    return Visitor(cookie=cookie, token=parser.csrf_meta, body=body)


def harvest(port: int, path: str, count: int, target: Path, workers: int = 8) -> int:
    """Load the page ``count`` times as new visitors; write one line per visitor."""
    turns = itertools.count()
    share = [
        count // workers + (1 if i < count % workers else 0) for i in range(workers)
    ]

    def run(quota: int) -> list[Visitor]:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            return [visit(connection, path, next(turns)) for _ in range(quota)]
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        batches = list(pool.map(run, share))

    lines = [visitor.line() for batch in batches for visitor in batch]
    target.write_text("\n".join(lines) + "\n")
    return len(lines)
