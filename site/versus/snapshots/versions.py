"""Per-comparison version tokens in Redis, bumped after every committed change.

Each comparison has two tokens. The tally token changes with every change, votes
included. The content token changes with every change except a vote, so a vote
can check that the tools it counts for are current without reading the tally.

Each process caches what it built from the database next to the tokens it read
*before* reading the database. A writer bumps the tokens *after* its commit. So a
cached entry whose token still equals the one in Redis cannot predate any commit,
and a 304 or a cached page needs one Redis MGET and no SQL.

A missing token (a new comparison, or Redis lost its data) is set to a random
starting value, never to a small number a process may already hold from before.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from ..voting.guard import KeyScheme, random_version_start

# KEYS: version keys of one comparison.  ARGV: a random start for each missing key.
BUMP_SCRIPT = """
for i, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 then
    redis.call('INCR', key)
  else
    redis.call('SET', key, ARGV[i])
  end
end
return #KEYS
"""


@dataclass(frozen=True)
class Tokens:
    tally: bytes
    content: bytes


class VersionStore:
    """Read and bump the version tokens; the caller handles ``redis.RedisError``."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.keys = KeyScheme(prefix)
        self._bump = client.register_script(BUMP_SCRIPT)

    def read(
        self, comparison_id: int, visitor_hash: str | None = None
    ) -> tuple[Tokens, str | None]:
        """Return the tokens and the visitor's claim: one round trip, one hash slot.

        The visitor claim is the guard's value for this visitor (a tool slug, a
        pending marker or ``None``); it is read only when ``visitor_hash`` is given.
        """
        keys = [
            self.keys.tally_version(comparison_id),
            self.keys.content_version(comparison_id),
        ]
        if visitor_hash is not None:
            keys.append(self.keys.visitor(comparison_id, visitor_hash))

        values = self.client.mget(keys)
        tally, content = values[0], values[1]
        if tally is None:
            tally = self._start(keys[0])
        if content is None:
            content = self._start(keys[1])

        claim = values[2] if visitor_hash is not None else None
        return Tokens(tally, content), None if claim is None else claim.decode()

    def _start(self, key: str) -> bytes:
        self.client.set(key, random_version_start(), nx=True)
        return self.client.get(key)

    def bump(self, comparison_ids: list[int]) -> None:
        """Give each comparison new tally and content tokens: one round trip each.

        One script call per comparison keeps each call inside one Cluster slot.
        """
        for comparison_id in comparison_ids:
            self._bump(
                keys=[
                    self.keys.tally_version(comparison_id),
                    self.keys.content_version(comparison_id),
                ],
                args=[random_version_start(), random_version_start()],
            )
