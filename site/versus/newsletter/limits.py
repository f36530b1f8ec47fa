"""Signup rate limits per client address, and the per-address mail cooldown.

Both live in Redis when the site has a Redis client, otherwise in this process
(``MemorySignupLimits``: then each server process keeps its own counts). Keys
contain keyed hashes only, never a raw IP or email address.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis

# KEYS: the counter.  ARGV: window in seconds.  Returns {count, seconds to reset}.
# INCR and EXPIRE run as one script, so no counter is ever left without an expiry.
HIT_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if count == 1 or ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


class LimitsUnavailable(Exception):
    """Redis could not be reached, so no limit can be checked."""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0


@dataclass(frozen=True)
class LimitSettings:
    signups_per_ip: int
    window_seconds: int
    resend_seconds: int


class SignupLimits(Protocol):
    def hit(self, client_hash: str) -> Decision: ...

    def claim_mail(self, address_hash: str) -> bool: ...

    def release_mail(self, address_hash: str) -> None: ...


class RedisSignupLimits:
    def __init__(self, client: redis.Redis, settings: LimitSettings, prefix: str):
        self.client = client
        self.settings = settings
        self.prefix = f"{prefix}:newsletter"
        self._hit = client.register_script(HIT_SCRIPT)

    def hit(self, client_hash: str) -> Decision:
        """Count one signup from ``client_hash`` and decide whether it may go on."""
        key = f"{self.prefix}:signups:{client_hash}"

        try:
            count, ttl = self._hit(keys=[key], args=[self.settings.window_seconds])
        except redis.RedisError as error:
            raise LimitsUnavailable(str(error)) from error

        if int(count) > self.settings.signups_per_ip:
            return Decision(False, retry_after=max(int(ttl), 1))

        return Decision(True)

    def claim_mail(self, address_hash: str) -> bool:
        """Return ``True`` if no mail went to this address within the cooldown."""
        if self.settings.resend_seconds <= 0:
            return True

        key = f"{self.prefix}:mail:{address_hash}"
        try:
            return bool(
                self.client.set(key, "1", nx=True, ex=self.settings.resend_seconds)
            )
        except redis.RedisError as error:
            raise LimitsUnavailable(str(error)) from error

    def release_mail(self, address_hash: str) -> None:
        """Clear the cooldown, so a mail that failed to send can be retried at once."""
        try:
            self.client.delete(f"{self.prefix}:mail:{address_hash}")
        except redis.RedisError as error:
            raise LimitsUnavailable(str(error)) from error


class MemorySignupLimits:
    """The same limits inside one process, for local runs without Redis."""

    PRUNE_EVERY_SECONDS = 60

    def __init__(self, settings: LimitSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._counters: dict[str, tuple[int, float]] = {}
        self._mail: dict[str, float] = {}
        self._pruned_at = time.monotonic()

    def _prune(self, now: float) -> None:
        # Called with the lock held. Expired entries are also ignored where read,
        # so pruning only bounds memory.
        if now - self._pruned_at < self.PRUNE_EVERY_SECONDS:
            return

        self._pruned_at = now
        for key in [k for k, (_, reset) in self._counters.items() if reset <= now]:
            del self._counters[key]
        for key in [k for k, until in self._mail.items() if until <= now]:
            del self._mail[key]

    def hit(self, client_hash: str) -> Decision:
        now = time.monotonic()

        with self._lock:
            self._prune(now)
            count, reset = self._counters.get(client_hash, (0, 0.0))
            if reset <= now:
                count, reset = 0, now + self.settings.window_seconds

            count += 1
            self._counters[client_hash] = (count, reset)

        if count > self.settings.signups_per_ip:
            return Decision(False, retry_after=max(int(reset - now) + 1, 1))

        return Decision(True)

    def claim_mail(self, address_hash: str) -> bool:
        if self.settings.resend_seconds <= 0:
            return True

        now = time.monotonic()
        with self._lock:
            self._prune(now)
            if self._mail.get(address_hash, 0.0) > now:
                return False

            self._mail[address_hash] = now + self.settings.resend_seconds
            return True

    def release_mail(self, address_hash: str) -> None:
        with self._lock:
            self._mail.pop(address_hash, None)
