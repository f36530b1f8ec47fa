"""``python -m bench``: the load benchmark, one run on SQLite and PostgreSQL.

For each database it starts gunicorn with the project's config (first the baseline
app, then the site), drives each row with wrk for the same number of seconds, loads a
million votes, measures the read rows again, and writes bench/results.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import runpy
import secrets
import shlex
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tests.servers import RedisServer, free_port

from .database import BenchDatabase
from .report import Row, machine, print_table, write_results
from .servers import CONFIG, Gunicorn
from .visitors import harvest
from .wrk import Measurement, ensure_wrk, run_wrk

ROOT = Path(__file__).resolve().parents[1]
SLUG = "smolvlm2-vs-sam-3"
STALE_ETAG = '"t-1-0-open"'

logger = logging.getLogger("bench")


@dataclass(frozen=True)
class Settings:
    seconds: float
    connections: int
    wrk_threads: int
    visitors: int
    bulk_votes: int
    databases: list[str]
    output: Path


def parse_settings(argv: list[str]) -> Settings:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a tiny load that only shows the benchmark works (1 s rows, few votes)",
    )
    parser.add_argument(
        "--seconds", type=float, default=float(os.environ.get("BENCH_SECONDS") or 10)
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=int(os.environ.get("BENCH_CONNECTIONS") or 32),
    )
    parser.add_argument(
        "--wrk-threads", type=int, default=int(os.environ.get("BENCH_WRK_THREADS") or 1)
    )
    parser.add_argument(
        "--votes",
        default=os.environ.get("BENCH_VOTES") or "20000",
        help="visitors harvested for the vote row ('small' for 200)",
    )
    parser.add_argument(
        "--bulk-votes",
        type=int,
        default=int(os.environ.get("BENCH_BULK_VOTES") or 1_000_000),
    )
    parser.add_argument(
        "--databases",
        default=os.environ.get("BENCH_DATABASES") or "sqlite,postgresql",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)

    visitors = 200 if args.votes == "small" else int(args.votes)
    seconds, bulk = args.seconds, args.bulk_votes
    if args.quick:
        seconds, visitors, bulk = 1.0, 200, 2000

    databases = [name.strip() for name in args.databases.split(",") if name.strip()]
    unknown = set(databases) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")

    return Settings(
        seconds,
        args.connections,
        args.wrk_threads,
        visitors,
        bulk,
        databases,
        args.output,
    )


class Runner:
    """Measures every row for one database and collects them."""

    def __init__(self, settings: Settings, workdir: Path, redis: RedisServer) -> None:
        self.settings = settings
        self.workdir = workdir
        self.redis = redis
        self.secret = secrets.token_urlsafe(32)
        self.rows: list[Row] = []
        self.server: Gunicorn | None = None

    def measure(self, url: str, **options) -> Measurement:
        """Run wrk on ``url`` and note how the workers shared the CPU meanwhile.

        A worker with far less CPU than its siblings took few of the connections,
        which lowers the row's rate without any change in the code.
        """
        before = self.server.worker_cpu_seconds() if self.server else {}
        result = run_wrk(
            url,
            seconds=self.settings.seconds,
            connections=self.settings.connections,
            threads=self.settings.wrk_threads,
            **options,
        )
        after = self.server.worker_cpu_seconds() if self.server else {}
        spent = tuple(
            round(after[pid] - before[pid], 2) for pid in sorted(after) if pid in before
        )
        return dataclasses.replace(result, worker_cpu=spent)

    def record(self, name: str, database: str, result: Measurement, votes: int) -> Row:
        baseline = next(
            (r for r in self.rows if r.name == "baseline" and r.database == database),
            None,
        )
        row = Row.from_measurement(name, database, result, votes, baseline)
        self.rows.append(row)
        print(row.line(), flush=True)
        return row

    def server_environment(self, database_url: str) -> dict[str, str]:
        return {
            "DATABASE_URL": database_url,
            "REDIS_URL": self.redis.url,
            "SECRET_KEY": self.secret,
            "VERSUS_REDIS_PREFIX": "bench",
            # Every harvested visitor comes from 127.0.0.1: lift the per-address
            # limits so the row measures accepted votes, not 429 answers.
            "VERSUS_VOTES_PER_IP": str(10**9),
            "VERSUS_VOTES_PER_NETWORK": str(10**9),
        }

    def run_database(self, kind: str) -> None:
        self.redis.client().flushall()
        database = BenchDatabase(kind, self.workdir, self.redis.url, self.secret)
        url = database.create()
        try:
            self._baseline(kind)
            self._site(kind, database, url)
        finally:
            database.drop()

    def _baseline(self, kind: str) -> None:
        port = free_port()
        log = self.workdir / "gunicorn-baseline.log"
        with Gunicorn("bench.baseline_app:app", port, {}, log) as server:
            self.server = server
            self.measure(server.base_url + "/")  # warm-up, not recorded
            self.record("baseline", kind, self.measure(server.base_url + "/"), 0)

    def _site(self, kind: str, database: BenchDatabase, url: str) -> None:
        port = free_port()
        page = f"/compare/{SLUG}"
        log = self.workdir / f"gunicorn-{kind}.log"
        environment = self.server_environment(url)

        with Gunicorn("versus:create_app()", port, environment, log, page) as server:
            self.server = server
            base = server.base_url
            self.measure(base + page)  # warm-up, not recorded
            self._read_rows(kind, base, votes=0)

            visitors_file = self.workdir / f"visitors-{kind}.txt"
            count = harvest(port, page, self.settings.visitors, visitors_file)
            result = self.measure(
                base + page + "/vote",
                mode="vote",
                visitors_file=visitors_file,
                spare_path=page + "/tally",
            )
            self.record("vote", kind, result, 0)
            if result.requests >= count:
                print(
                    f"  (all {count} harvested visitors voted before the time ran out)"
                )

            # Votes still in flight when wrk stopped must land before the bulk
            # load rebuilds the counters, or the rebuild would race them.
            wait_until_votes_settle(f"{base}/api/comparisons/{SLUG}")
            seconds = database.load_votes(SLUG, self.settings.bulk_votes)
            print(f"  loaded {self.settings.bulk_votes} vote rows in {seconds:.1f} s")
            self._read_rows(kind, base, votes=self.settings.bulk_votes)

        matched = database.counters_match()
        print(f"  counters equal counted vote rows: {'yes' if matched else 'NO'}")
        if not matched:
            raise SystemExit(f"{kind}: vote counters disagree with the vote rows")

    def _read_rows(self, kind: str, base: str, votes: int) -> None:
        page = f"/compare/{SLUG}"
        etag = current_etag(base + page + "/tally")
        self.record("page", kind, self.measure(base + page), votes)
        self.record(
            "tally 200",
            kind,
            self.measure(base + page + "/tally", headers={"If-None-Match": STALE_ETAG}),
            votes,
        )
        self.record(
            "tally 304",
            kind,
            self.measure(base + page + "/tally", headers={"If-None-Match": etag}),
            votes,
        )
        self.record("api", kind, self.measure(f"{base}/api/comparisons/{SLUG}"), votes)


def total_votes(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        return json.load(response)["total_votes"]


def wait_until_votes_settle(url: str, timeout: float = 60.0) -> None:
    """Wait until the vote total stays the same for one second."""
    deadline = time.monotonic() + timeout
    last = total_votes(url)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = total_votes(url)
        if now == last:
            return
        last = now

    raise RuntimeError(f"votes were still arriving after {timeout:g} s")


def current_etag(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (loopback)
        return response.headers["ETag"]


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    arguments = sys.argv[1:] if argv is None else argv
    settings = parse_settings(arguments)
    ensure_wrk()

    with tempfile.TemporaryDirectory(prefix="versus-bench-") as folder:
        workdir = Path(folder)
        redis = RedisServer(workdir)
        redis.start()
        runner = Runner(settings, workdir, redis)
        try:
            print_table_header(settings)
            for kind in settings.databases:
                runner.run_database(kind)
        finally:
            redis.stop()

    print()
    summary = print_table(runner.rows)
    write_results(
        settings.output,
        runner.rows,
        summary,
        command=shlex.join(["python", "-m", "bench", *arguments]),
        settings={
            "seconds_per_row": settings.seconds,
            "connections": settings.connections,
            "wrk_threads": settings.wrk_threads,
            "visitors_harvested": settings.visitors,
            "bulk_votes": settings.bulk_votes,
            "gunicorn": gunicorn_settings(),
        },
        machine=machine(),
    )
    print(f"\nWrote {settings.output}")
    return 0


def print_table_header(settings: Settings) -> None:
    print(
        f"wrk: {settings.connections} connections, {settings.wrk_threads} thread(s), "
        f"{settings.seconds:g} s per row; gunicorn: {gunicorn_settings()}"
    )


def gunicorn_settings() -> dict[str, object]:
    """Read the worker settings the servers get, from the project's config file."""
    values = runpy.run_path(str(CONFIG))
    return {name: values[name] for name in ("workers", "worker_class", "threads")}
