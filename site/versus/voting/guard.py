"""The one-vote guard: atomic claims and per-address limits, in Redis or in memory.

A claim is taken before the vote is written to SQL. It starts as ``pending:<token>``
with a short expiry, so a request that dies leaves nothing behind for long. After the
commit it is confirmed to the chosen tool's slug and kept. If the commit fails, the
claim is released, but only while it still holds this request's token.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis

CLAIMED = "claimed"
DUPLICATE = "duplicate"
IP_LIMITED = "ip_limited"
NETWORK_LIMITED = "network_limited"
STALE = "stale"


class GuardUnavailable(Exception):
    """The guard's store could not be reached, so no claim can be taken or checked."""


@dataclass(frozen=True)
class Limits:
    votes_per_ip: int
    votes_per_network: int
    window_seconds: int
    claim_ttl_seconds: int


@dataclass(frozen=True)
class ClaimRequest:
    comparison_id: int
    visitor_hash: str
    ip_hash: str
    network_hash: str
    # The comparison's content version the ballot was checked against. When
    # given, the Redis guard claims only while it is still current, and returns
    # STALE otherwise (snapshots/versions.py keeps the version).
    content_version: bytes | None = None


@dataclass(frozen=True)
class Claim:
    """The guard's decision. ``token`` identifies a claim this request owns."""

    status: str
    request: ClaimRequest
    token: str = ""
    existing: str = ""
    retry_after: int = 0

    @property
    def granted(self) -> bool:
        return self.status == CLAIMED


class VoteGuard(Protocol):
    def claim(self, request: ClaimRequest) -> Claim: ...

    def confirm(self, claim: Claim, tool_slug: str) -> bool: ...

    def release(self, claim: Claim) -> None: ...

    def forget_visitors(
        self, comparison_id: int, visitor_hashes: list[str]
    ) -> None: ...

    def remember_visitors(
        self, comparison_id: int, choices: dict[str, str]
    ) -> None: ...

    def ping(self) -> bool: ...


class KeyScheme:
    """Key names. The ``{c:<id>}`` hash tag keeps one comparison's keys in one
    Redis Cluster slot, which a multi-key Lua script requires."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def visitor(self, comparison_id: int, visitor_hash: str) -> str:
        return f"{self.prefix}:{{c:{comparison_id}}}:visitor:{visitor_hash}"

    def ip(self, comparison_id: int, ip_hash: str) -> str:
        return f"{self.prefix}:{{c:{comparison_id}}}:ip:{ip_hash}"

    def network(self, comparison_id: int, network_hash: str) -> str:
        return f"{self.prefix}:{{c:{comparison_id}}}:net:{network_hash}"

    def tally_version(self, comparison_id: int) -> str:
        return f"{self.prefix}:{{c:{comparison_id}}}:version"

    def content_version(self, comparison_id: int) -> str:
        return f"{self.prefix}:{{c:{comparison_id}}}:content"


# KEYS: visitor claim, IP counter, network counter, content version.
# ARGV: token, claim expiry in ms, IP limit, network limit, limit window in seconds,
# the content version the ballot was checked against ('' to skip that check).
CLAIM_SCRIPT = """
if ARGV[6] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[6] then
  return {'stale', '', 0}
end
local existing = redis.call('GET', KEYS[1])
if existing then
  return {'duplicate', existing, redis.call('TTL', KEYS[1])}
end
local ip_count = tonumber(redis.call('GET', KEYS[2]) or '0')
if ip_count >= tonumber(ARGV[3]) then
  return {'ip_limited', '', redis.call('TTL', KEYS[2])}
end
local net_count = tonumber(redis.call('GET', KEYS[3]) or '0')
if net_count >= tonumber(ARGV[4]) then
  return {'network_limited', '', redis.call('TTL', KEYS[3])}
end
redis.call('SET', KEYS[1], 'pending:' .. ARGV[1], 'PX', ARGV[2])
if redis.call('INCR', KEYS[2]) == 1 then
  redis.call('EXPIRE', KEYS[2], ARGV[5])
end
if redis.call('INCR', KEYS[3]) == 1 then
  redis.call('EXPIRE', KEYS[3], ARGV[5])
end
return {'claimed', '', 0}
"""

# KEYS: visitor claim, IP counter, network counter.  ARGV: token.
RELEASE_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= 'pending:' .. ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then
  redis.call('DECR', KEYS[3])
end
return 1
"""

# KEYS: visitor claim, the comparison's tally version key.
# ARGV: token, tool slug, random start for a missing version key.
# Runs after the vote's commit, so it publishes the new tally in the same round
# trip, even when the claim is no longer this request's (the vote is stored). A
# vote changes only the tally, so the content version (snapshots/versions.py)
# stays as it is. A missing version key starts at the random ARGV[3], never at a
# small number a process may already hold from before.
CONFIRM_SCRIPT = """
if redis.call('GET', KEYS[1]) == 'pending:' .. ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.call('INCR', KEYS[2])
end
redis.call('SET', KEYS[2], ARGV[3])
return tonumber(ARGV[3])
"""


def random_version_start() -> int:
    return secrets.randbits(52) + 1


def _retry_after(ttl: int, window_seconds: int) -> int:
    # TTL is -1 for a key with no expiry and -2 for a missing one.
    return ttl if ttl > 0 else window_seconds


class RedisGuard:
    """The guard for real deployments: every check-and-claim is one Lua script."""

    def __init__(self, client: redis.Redis, limits: Limits, prefix: str) -> None:
        self.client = client
        self.limits = limits
        self.keys = KeyScheme(prefix)
        self._claim = client.register_script(CLAIM_SCRIPT)
        self._release = client.register_script(RELEASE_SCRIPT)
        self._confirm = client.register_script(CONFIRM_SCRIPT)

    def _counter_keys(self, request: ClaimRequest) -> list[str]:
        return [
            self.keys.visitor(request.comparison_id, request.visitor_hash),
            self.keys.ip(request.comparison_id, request.ip_hash),
            self.keys.network(request.comparison_id, request.network_hash),
        ]

    def claim(self, request: ClaimRequest) -> Claim:
        token = secrets.token_hex(8)
        limits = self.limits
        args = [
            token,
            limits.claim_ttl_seconds * 1000,
            limits.votes_per_ip,
            limits.votes_per_network,
            limits.window_seconds,
            request.content_version or b"",
        ]
        keys = [
            *self._counter_keys(request),
            self.keys.content_version(request.comparison_id),
        ]

        try:
            status, existing, ttl = self._claim(keys=keys, args=args)
        except redis.RedisError as error:
            # NOTE: a claim that timed out can still run once a stalled Redis
            # recovers. It then stays pending until its TTL and counts against the
            # address limits; the visitor's retry gets a 409 with that TTL.
            raise GuardUnavailable(str(error)) from error

        status = status.decode() if isinstance(status, bytes) else status
        existing = existing.decode() if isinstance(existing, bytes) else existing

        if status == CLAIMED:
            return Claim(CLAIMED, request, token=token)

        if status == DUPLICATE:
            # A pending claim expires, and a retry may count once its TTL has run out.
            wait = int(ttl) if int(ttl) > 0 else 0
            return Claim(DUPLICATE, request, existing=existing, retry_after=wait)

        if status == STALE:
            return Claim(STALE, request)

        return Claim(
            status, request, retry_after=_retry_after(int(ttl), limits.window_seconds)
        )

    def confirm(self, claim: Claim, tool_slug: str) -> bool:
        """Confirm the claim and publish the comparison's new version (True)."""
        request = claim.request
        keys = [
            self.keys.visitor(request.comparison_id, request.visitor_hash),
            self.keys.tally_version(request.comparison_id),
        ]

        try:
            self._confirm(
                keys=keys, args=[claim.token, tool_slug, random_version_start()]
            )
        except redis.RedisError as error:
            raise GuardUnavailable(str(error)) from error
        return True

    def release(self, claim: Claim) -> None:
        try:
            self._release(keys=self._counter_keys(claim.request), args=[claim.token])
        except redis.RedisError as error:
            raise GuardUnavailable(str(error)) from error

    def forget_visitors(self, comparison_id: int, visitor_hashes: list[str]) -> None:
        keys = [self.keys.visitor(comparison_id, h) for h in visitor_hashes]

        try:
            for start in range(0, len(keys), 500):
                self.client.delete(*keys[start : start + 500])
        except redis.RedisError as error:
            raise GuardUnavailable(str(error)) from error

    def remember_visitors(self, comparison_id: int, choices: dict[str, str]) -> None:
        try:
            pipe = self.client.pipeline(transaction=False)
            for visitor_hash, tool_slug in choices.items():
                pipe.set(self.keys.visitor(comparison_id, visitor_hash), tool_slug)
            pipe.execute()
        except redis.RedisError as error:
            raise GuardUnavailable(str(error)) from error

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except redis.RedisError:
            return False


class MemoryGuard:
    """The same rules inside one process, for local runs without Redis.

    The one-vote limit then holds only within this process: two server processes
    would each accept a vote from the same visitor (the database index still stops
    the second one from being counted).
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._claims: dict[tuple[int, str], tuple[str, float | None]] = {}
        self._counters: dict[tuple[str, int, str], tuple[int, float]] = {}

    def _live_claim(self, key: tuple[int, str], now: float) -> str | None:
        entry = self._claims.get(key)
        if entry is None:
            return None

        value, expires = entry
        if expires is not None and expires <= now:
            del self._claims[key]
            return None

        return value

    def _count(self, key: tuple[str, int, str], now: float) -> tuple[int, float]:
        count, expires = self._counters.get(key, (0, 0.0))
        if expires <= now:
            return 0, now + self.limits.window_seconds

        return count, expires

    def claim(self, request: ClaimRequest) -> Claim:
        now = time.monotonic()
        visitor_key = (request.comparison_id, request.visitor_hash)
        ip_key = ("ip", request.comparison_id, request.ip_hash)
        net_key = ("net", request.comparison_id, request.network_hash)

        with self._lock:
            existing = self._live_claim(visitor_key, now)
            if existing is not None:
                expires = self._claims[visitor_key][1]
                wait = 0 if expires is None else int(expires - now) + 1
                return Claim(DUPLICATE, request, existing=existing, retry_after=wait)

            ip_count, ip_expires = self._count(ip_key, now)
            if ip_count >= self.limits.votes_per_ip:
                return Claim(IP_LIMITED, request, retry_after=int(ip_expires - now) + 1)

            net_count, net_expires = self._count(net_key, now)
            if net_count >= self.limits.votes_per_network:
                retry = int(net_expires - now) + 1
                return Claim(NETWORK_LIMITED, request, retry_after=retry)

            token = secrets.token_hex(8)
            expires = now + self.limits.claim_ttl_seconds
            self._claims[visitor_key] = (f"pending:{token}", expires)
            self._counters[ip_key] = (ip_count + 1, ip_expires)
            self._counters[net_key] = (net_count + 1, net_expires)
            return Claim(CLAIMED, request, token=token)

    def confirm(self, claim: Claim, tool_slug: str) -> bool:
        key = (claim.request.comparison_id, claim.request.visitor_hash)

        with self._lock:
            if self._live_claim(key, time.monotonic()) == f"pending:{claim.token}":
                self._claims[key] = (tool_slug, None)
        return False

    def release(self, claim: Claim) -> None:
        request = claim.request
        key = (request.comparison_id, request.visitor_hash)
        now = time.monotonic()

        with self._lock:
            if self._live_claim(key, now) != f"pending:{claim.token}":
                return

            del self._claims[key]
            for counter in (
                ("ip", request.comparison_id, request.ip_hash),
                ("net", request.comparison_id, request.network_hash),
            ):
                count, expires = self._count(counter, now)
                self._counters[counter] = (max(count - 1, 0), expires)

    def forget_visitors(self, comparison_id: int, visitor_hashes: list[str]) -> None:
        with self._lock:
            for visitor_hash in visitor_hashes:
                self._claims.pop((comparison_id, visitor_hash), None)

    def remember_visitors(self, comparison_id: int, choices: dict[str, str]) -> None:
        with self._lock:
            for visitor_hash, tool_slug in choices.items():
                self._claims[(comparison_id, visitor_hash)] = (tool_slug, None)

    def ping(self) -> bool:
        return True


class DatabaseOnlyGuard:
    """Grants every claim, for the ``database-only`` policy while Redis is down.

    The database's unique index on counted votes still allows one vote per visitor
    (a duplicate gets ``ALREADY_VOTED``), but no per-address or per-network limit
    applies, and nothing is remembered for when Redis returns.
    """

    def claim(self, request: ClaimRequest) -> Claim:
        return Claim(CLAIMED, request, token="database-only")

    def confirm(self, claim: Claim, tool_slug: str) -> bool:
        return False

    def release(self, claim: Claim) -> None:
        return None

    def forget_visitors(self, comparison_id: int, visitor_hashes: list[str]) -> None:
        return None

    def remember_visitors(self, comparison_id: int, choices: dict[str, str]) -> None:
        return None

    def ping(self) -> bool:
        return True
