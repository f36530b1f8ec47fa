"""A site under Gunicorn on a free loopback port, and visitors that load it.

Each visitor opens the comparison page (visitor cookie, CSRF and page token) and
then votes several times, two of them at once like a double click, from an
address that it shares with other visitors. Every response is recorded, so a
test can check the database against what the visitors received.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from itsdangerous import URLSafeSerializer

from versus.voting.identity import keyed_hash

from .conftest import ROOT, SLUG, TEST_SECRET
from .servers import free_port

CHOICES = ["smolvlm2", "sam-3"]
REQUEST_TIMEOUT_SECONDS = 30


class GunicornSite:
    """``gunicorn -c gunicorn.conf.py`` with the given settings, on 127.0.0.1."""

    def __init__(self, log_path: Path, settings: dict[str, str], workers: int = 3):
        self.port = free_port()
        self.log_path = log_path
        self.env = (
            os.environ
            | settings
            | {
                "VERSUS_BIND": f"127.0.0.1:{self.port}",
                "VERSUS_WORKERS": str(workers),
                "SECRET_KEY": TEST_SECRET,
            }
        )
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_until_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not respond on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
        self.log.close()

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()]

    def kill_worker(self) -> int:
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def request(self, method: str, path: str, body: str = "", headers=None):
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_SECONDS
        )
        try:
            connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.msg, response.read().decode()
        finally:
            connection.close()


@dataclass
class Reply:
    """One vote request and its response (status 0: the connection failed first)."""

    visitor: int
    choice: str
    status: int
    retry_after: str | None = None
    body: str = ""
    sent_at: float = 0.0


@dataclass
class LoadVisitor:
    index: int
    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    csrf_token: str = ""
    page_token: str = ""

    @property
    def visitor_hash(self) -> str:
        serializer = URLSafeSerializer(TEST_SECRET, salt="versus.visitor")
        visitor_id = serializer.loads(self.cookies["versus_visitor"])
        return keyed_hash(TEST_SECRET.encode(), "visitor", visitor_id)

    def _headers(self) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {"Cookie": cookie, "X-Forwarded-For": self.address}

    def open(self, site: GunicornSite) -> int:
        """Load the comparison page and return its status (0: the connection failed)."""
        try:
            status, headers, html = site.request(
                "GET", f"/compare/{SLUG}", "", self._headers()
            )
        except (OSError, http.client.HTTPException):
            return 0

        for cookie in headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        if status == 200:
            self.csrf_token = re.search(r'name="csrf-token" content="([^"]+)"', html)[1]
            self.page_token = re.search(r'name="page_token" value="([^"]+)"', html)[1]
        return status

    def vote(self, site: GunicornSite, choice: str) -> Reply:
        body = urlencode(
            {
                "choice": choice,
                "csrf_token": self.csrf_token,
                "page_token": self.page_token,
            }
        )
        headers = self._headers() | {
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
            "X-CSRFToken": self.csrf_token,
        }
        sent_at = time.monotonic()
        try:
            status, reply_headers, html = site.request(
                "POST", f"/compare/{SLUG}/vote", body, headers
            )
        except (OSError, http.client.HTTPException):
            return Reply(self.index, choice, 0, sent_at=sent_at)
        return Reply(
            self.index, choice, status, reply_headers.get("Retry-After"), html, sent_at
        )


def address_of(
    index: int, visitors_per_address: int, addresses_per_network: int
) -> str:
    """Return a loopback address shared by ``visitors_per_address`` visitors."""
    address = index // visitors_per_address
    network = address // addresses_per_network
    return f"127.{10 + network}.0.{1 + address % addresses_per_network}"


@dataclass
class LoadResult:
    visitors: list[LoadVisitor]
    replies: list[Reply]
    page_statuses: list[int]

    def statuses(self) -> set[int]:
        return {reply.status for reply in self.replies}

    def accepted(self) -> list[Reply]:
        return [reply for reply in self.replies if reply.status == 200]


def run_load(
    site: GunicornSite,
    visitor_count: int,
    *,
    visitors_per_address: int = 4,
    addresses_per_network: int = 12,
    parallel: int = 24,
    during=None,
) -> LoadResult:
    """Send every visitor's page view and four votes; return all replies.

    Votes one and two go out at the same moment (a double click) and three and
    four repeat them. ``during``, if given, runs in its own thread meanwhile.
    """
    visitors = [
        LoadVisitor(i, address_of(i, visitors_per_address, addresses_per_network))
        for i in range(visitor_count)
    ]
    replies: list[Reply] = []
    page_statuses: list[int] = []
    lock = threading.Lock()

    def one_visitor(visitor: LoadVisitor) -> None:
        page_status = visitor.open(site)
        page_statuses.append(page_status)
        if page_status != 200:
            return

        first, second = CHOICES[visitor.index % 2], CHOICES[(visitor.index // 2) % 2]
        pair: list[Reply] = []
        clicks = [
            threading.Thread(target=lambda c=c: pair.append(visitor.vote(site, c)))
            for c in (first, second)
        ]
        for click in clicks:
            click.start()
        for click in clicks:
            click.join()
        later = [visitor.vote(site, first), visitor.vote(site, second)]
        with lock:
            replies.extend(pair + later)

    side_task = threading.Thread(target=during) if during else None
    if side_task:
        side_task.start()
    with ThreadPoolExecutor(max_workers=parallel) as pool:
        list(pool.map(one_visitor, visitors))
    if side_task:
        side_task.join()

    return LoadResult(visitors, replies, page_statuses)
