"""The per-process snapshot cache, checked against Redis on every request."""

from __future__ import annotations

import logging
import threading
import time

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Comparison
from ..voting.moderation.transparency import public_notes
from .snapshot import Snapshot, build_tally, load_content, read_state
from .versions import VersionStore

logger = logging.getLogger(__name__)

# A backstop only: an entry is rebuilt after this long even if its token still
# matches, which bounds the harm of a bump that Redis never received.
MAX_AGE_SECONDS = 60.0


class SnapshotUnavailable(Exception):
    """Redis did not respond, so no cached entry can be trusted for this request."""


class SnapshotStore:
    def __init__(self, versions: VersionStore, *, engine, min_votes) -> None:
        # ``engine`` and ``min_votes`` are callables, read when a snapshot is built.
        self.versions = versions
        self._engine = engine
        self._min_votes = min_votes
        self._by_slug: dict[str, Snapshot] = {}
        self._ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(
        self, slug: str, visitor_hash: str | None = None
    ) -> tuple[Snapshot | None, str | None]:
        """Return the visible comparison's snapshot and the visitor's claim.

        Returns ``(None, None)`` for a slug with no comparison readers may see. Raises
        ``SnapshotUnavailable`` when Redis cannot be read.
        """
        comparison_id = self._ids.get(slug)
        if comparison_id is None:
            with self._session() as session:
                state = read_state(session, slug)
            if state is None or not state.key.visible:
                return None, None
            comparison_id = state.key.comparison_id

        try:
            token, claim = self.versions.read(comparison_id, visitor_hash)
        except redis.RedisError as error:
            raise SnapshotUnavailable(str(error)) from error

        cached = self._by_slug.get(slug)
        if (
            cached is not None
            and cached.token == token
            and time.monotonic() - cached.built_at < MAX_AGE_SECONDS
        ):
            return cached, claim

        snapshot = self._build(slug, token, cached)
        return snapshot, claim

    def _session(self) -> Session:
        # A fresh session, so its first read starts after the token was read.
        return Session(self._engine(), expire_on_commit=False)

    def _build(self, slug: str, token: bytes, previous: Snapshot | None):
        with self._session() as session:
            state = read_state(session, slug)
            if state is None or not state.key.visible:
                self._forget(slug)
                return None

            content = previous.content if previous is not None else None
            if content is None or content.key != state.key:
                content = load_content(session, slug)
                if content is None or content.key != state.key:
                    # Changed between the two reads: serve it uncached this time.
                    return self._build_unshared(slug, token, session)

            notes = public_notes(session, state.key.comparison_id)

        snapshot = Snapshot(
            token=token,
            content=content,
            tally=build_tally(content, state, self._min_votes()),
            built_at=time.monotonic(),
            moderation_notes=notes,
        )
        with self._lock:
            self._by_slug[slug] = snapshot
            self._ids[slug] = state.key.comparison_id
        return snapshot

    def _build_unshared(self, slug: str, token: bytes, session: Session):
        state = read_state(session, slug)
        content = load_content(session, slug)
        if state is None or content is None or not state.key.visible:
            return None

        return Snapshot(
            token=b"",
            content=content,
            tally=build_tally(content, state, self._min_votes()),
            built_at=time.monotonic(),
            moderation_notes=public_notes(session, state.key.comparison_id),
        )

    def _forget(self, slug: str) -> None:
        with self._lock:
            self._by_slug.pop(slug, None)
            self._ids.pop(slug, None)

    def clear(self) -> None:
        with self._lock:
            self._by_slug.clear()
            self._ids.clear()

    def publish(self, comparison_ids: set[int]) -> None:
        """Bump the tokens of comparisons a commit changed, in one round trip.

        Called after the commit, so it must not raise: when Redis fails, this
        process drops its own entries and the others rebuild within MAX_AGE_SECONDS.
        """
        try:
            self.versions.bump(sorted(comparison_ids))
        except redis.RedisError:
            logger.exception(
                "Could not publish new versions of comparisons %s",
                sorted(comparison_ids),
            )
            self.clear()

    def publish_all(self) -> None:
        """Bump every comparison's token, for a change whose extent is unknown."""
        self.clear()
        with self._session() as session:
            ids = set(session.scalars(select(Comparison.id)))
        if ids:
            self.publish(ids)
