"""Per-comparison version tokens in Redis, bumped after every committed change.

Each process caches what it built from the database next to the token it read
*before* reading the database. A writer bumps the token *after* its commit. So a
cached entry whose token still equals the one in Redis cannot predate any commit,
and a 304 or a cached page needs one Redis GET and no SQL.

A missing token (a new comparison, or Redis lost its data) is set to a random
starting value, never to a small number a process may already hold from before.
"""

from __future__ import annotations

import redis

from ..voting.guard import BUMP_VERSION_LUA, KeyScheme, random_version_start

# KEYS: the version key.  ARGV: a random start for a missing key.
BUMP_SCRIPT = BUMP_VERSION_LUA.format(key=1, start=1)


class VersionStore:
    """Read and bump the version tokens; the caller handles ``redis.RedisError``."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = KeyScheme(prefix)
        self._bump = client.register_script(BUMP_SCRIPT)

    def read(self, comparison_id: int, visitor_hash: str | None = None):
        """Return ``(token, visitor claim)``: one round trip, one hash slot.

        The visitor claim is the guard's value for this visitor (a tool slug, a
        pending marker or ``None``); it is read only when ``visitor_hash`` is given.
        """
        keys = [self.keys.tally_version(comparison_id)]
        if visitor_hash is not None:
            keys.append(self.keys.visitor(comparison_id, visitor_hash))

        values = self.client.mget(keys)
        token = values[0]
        if token is None:
            self.client.set(keys[0], random_version_start(), nx=True)
            token = self.client.get(keys[0])

        claim = values[1] if visitor_hash is not None else None
        return token, None if claim is None else claim.decode()

    def bump(self, comparison_ids: list[int]) -> None:
        """Give each comparison a new token: one round trip each.

        One script call per key keeps each call inside one Cluster slot; a vote
        changes one comparison, so this is one round trip on the hot path.
        """
        for comparison_id in comparison_ids:
            self._bump(
                keys=[self.keys.tally_version(comparison_id)],
                args=[random_version_start()],
            )
