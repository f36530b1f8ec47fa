"""Throwaway databases for the benchmark, and the bulk load of a million votes."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import select, text

from tests.servers import create_database, drop_database
from versus import create_app
from versus.content.importer import import_specs
from versus.content.schema import parse_paths
from versus.extensions import db
from versus.models import Comparison, Tool
from versus.tally_audit import find_mismatches, rebuild_counters

ROOT = Path(__file__).resolve().parents[1]
CONTENT = ROOT / "content"

logger = logging.getLogger(__name__)


def _app(url: str, redis_url: str, secret: str):
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url, "SECRET_KEY": secret}
    )


class BenchDatabase:
    """A fresh database with the schema migrated and the content imported."""

    def __init__(self, kind: str, workdir: Path, redis_url: str, secret: str) -> None:
        self.kind = kind
        self.workdir = workdir
        self.redis_url = redis_url
        self.secret = secret
        self.url = ""

    def create(self) -> str:
        if self.kind == "sqlite":
            self.url = f"sqlite:///{self.workdir / 'bench.sqlite3'}"
        else:
            self.url = create_database()

        app = _app(self.url, self.redis_url, self.secret)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            import_specs(db.session, parse_paths(CONTENT))
            db.engine.dispose()
        logger.info("Prepared the %s database", self.kind)
        return self.url

    def drop(self) -> None:
        if self.kind == "postgresql" and self.url:
            drop_database(self.url)
            logger.info("Dropped the benchmark's PostgreSQL database")

    def counters_match(self) -> bool:
        """Return True when every tool's counter equals its counted vote rows."""
        app = _app(self.url, self.redis_url, self.secret)
        with app.app_context():
            mismatches = find_mismatches(db.session)
            db.engine.dispose()
        return not mismatches

    def load_votes(self, slug: str, count: int) -> float:
        """Insert ``count`` counted votes into one comparison and return the seconds.

        Rows are generated inside the database (one INSERT ... SELECT), then the
        counters are rebuilt through the site's own session, which also publishes
        the new tally version, exactly as a counter repair in production would.
        """
        app = _app(self.url, self.redis_url, self.secret)
        started = time.monotonic()

        with app.app_context():
            comparison_id, first_tool, second_tool = self._ids(slug)
            statement = POSTGRES_LOAD if self.kind == "postgresql" else SQLITE_LOAD
            db.session.execute(
                text(statement),
                {"cid": comparison_id, "a": first_tool, "b": second_tool, "n": count},
            )
            db.session.commit()
            rebuild_counters(db.session)
            if self.kind == "postgresql":
                db.session.execute(text("ANALYZE votes"))
            else:
                db.session.execute(text("ANALYZE"))
            db.session.commit()
            db.engine.dispose()

        return time.monotonic() - started

    @staticmethod
    def _ids(slug: str) -> tuple[int, int, int]:
        comparison_id = db.session.scalar(
            select(Comparison.id).where(Comparison.slug == slug)
        )
        tools = db.session.scalars(
            select(Tool.id)
            .where(Tool.comparison_id == comparison_id)
            .order_by(Tool.position)
        ).all()
        return comparison_id, tools[0], tools[1]


# Three in five votes go to the first tool; visitor hashes are unique 64-character
# strings that no real visitor hash (hex HMAC) can equal, since they start with "b".
POSTGRES_LOAD = """
INSERT INTO votes (comparison_id, tool_id, visitor_hash, ip_hash, network_hash,
                   created_at)
SELECT :cid,
       CASE WHEN g % 5 < 3 THEN :a ELSE :b END,
       'bulk' || lpad(to_hex(g), 60, '0'),
       'bulk' || lpad(to_hex(g % 65536), 60, '0'),
       'bulk' || lpad(to_hex(g % 256), 60, '0'),
       now() AT TIME ZONE 'UTC' - make_interval(secs => g)
FROM generate_series(1, :n) AS g
"""

SQLITE_LOAD = """
WITH RECURSIVE seq(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM seq WHERE g < :n)
INSERT INTO votes (comparison_id, tool_id, visitor_hash, ip_hash, network_hash,
                   created_at)
SELECT :cid,
       CASE WHEN g % 5 < 3 THEN :a ELSE :b END,
       'bulk' || printf('%060x', g),
       'bulk' || printf('%060x', g % 65536),
       'bulk' || printf('%060x', g % 256),
       datetime('now', '-' || g || ' seconds')
FROM seq
"""
