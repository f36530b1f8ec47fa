"""The per-process snapshot cache, checked against Redis on every request."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Comparison
from ..voting.moderation.transparency import public_notes
from .snapshot import Snapshot, build_tally, load_content, read_state
from .versions import Tokens, VersionStore

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
        self, slug: str, visitor_hash: str | None = None, *, tally: bool = True
    ) -> tuple[Snapshot | None, str | None]:
        """Return the visible comparison's snapshot and the visitor's claim.

        With ``tally=False`` only the content must be current: a vote counts
        against the tools it reads here, and the tally moves with every vote, so
        checking it too would mean a read of the counters per vote.

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
            tokens, claim = self.versions.read(comparison_id, visitor_hash)
        except redis.RedisError as error:
            raise SnapshotUnavailable(str(error)) from error

        cached = self._by_slug.get(slug)
        if (
            cached is None
            or cached.content_token != tokens.content
            or time.monotonic() - cached.built_at >= MAX_AGE_SECONDS
        ):
            return self._build(slug, tokens), claim

        if not tally or cached.token == tokens.tally:
            return cached, claim

        return self._refresh_tally(slug, tokens, cached), claim

    def peek(self, slug: str) -> Snapshot | None:
        """Return this process's entry for the slug without asking Redis.

        Its content may be out of date: a caller acts on it only through a check
        that compares ``content_token`` with Redis, such as the vote guard's claim.
        """
        cached = self._by_slug.get(slug)
        if cached is None or time.monotonic() - cached.built_at >= MAX_AGE_SECONDS:
            return None
        return cached

    def _session(self) -> Session:
        # A fresh session, so its first read starts after the tokens were read.
        return Session(self._engine(), expire_on_commit=False)

    def _refresh_tally(self, slug: str, tokens: Tokens, cached: Snapshot):
        """Keep the cached content and notes; read only the counters again."""
        with self._session() as session:
            state = read_state(session, slug)

        if state is None or state.key != cached.content.key:
            # The content changed too and its token is not bumped yet.
            return self._build(slug, tokens)

        snapshot = dataclasses.replace(
            cached,
            token=tokens.tally,
            tally=build_tally(cached.content, state, self._min_votes()),
            prepared={},
            lock=threading.Lock(),
        )
        self._keep(slug, snapshot)
        return snapshot

    def _build(self, slug: str, tokens: Tokens):
        """Load the content and the tally: the content token moved, or none is kept.

        Votes leave the content token alone, so this runs after an import, a
        moderation action or another write to the comparison, never per vote.
        """
        with self._session() as session:
            state = read_state(session, slug)
            if state is None or not state.key.visible:
                self._forget(slug)
                return None

            content = load_content(session, slug)
            if content is None or content.key != state.key:
                # Changed between the two reads: serve it uncached this time.
                return self._build_unshared(slug, session)

            notes = public_notes(session, state.key.comparison_id)

        snapshot = Snapshot(
            token=tokens.tally,
            content_token=tokens.content,
            content=content,
            tally=build_tally(content, state, self._min_votes()),
            built_at=time.monotonic(),
            moderation_notes=notes,
        )
        self._keep(slug, snapshot)
        return snapshot

    def _keep(self, slug: str, snapshot: Snapshot) -> None:
        with self._lock:
            self._by_slug[slug] = snapshot
            self._ids[slug] = snapshot.content.key.comparison_id

    def _build_unshared(self, slug: str, session: Session):
        state = read_state(session, slug)
        content = load_content(session, slug)
        if state is None or content is None or not state.key.visible:
            return None

        return Snapshot(
            token=b"",
            content_token=b"",
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
        """Bump both tokens of each comparison a commit changed, in one round trip.

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
