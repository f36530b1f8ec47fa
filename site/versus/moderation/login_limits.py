"""Failed sign-in limits per account and per IP, in Redis or in memory. No Flask.

Each attempt is counted before the password is checked, in one atomic step that
also enforces both limits, so parallel guesses cannot slip past a limit. A successful
sign-in takes its attempt back and clears the account's count.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Protocol

import redis

from ..voting.guard import GuardUnavailable


@dataclass(frozen=True)
class LoginLimits:
    per_account: int
    per_ip: int
    window_seconds: int


class LoginLimiter(Protocol):
    def attempt(self, account_key: str, ip_key: str) -> int:
        """Count an attempt and return 0, or return seconds to wait when locked."""
        ...

    def succeeded(self, account_key: str, ip_key: str) -> None: ...


# KEYS: account counter, IP counter.  ARGV: account limit, IP limit, window seconds.
ATTEMPT_SCRIPT = """
local account = tonumber(redis.call('GET', KEYS[1]) or '0')
if account >= tonumber(ARGV[1]) then
  return math.max(redis.call('TTL', KEYS[1]), 1)
end
local ip = tonumber(redis.call('GET', KEYS[2]) or '0')
if ip >= tonumber(ARGV[2]) then
  return math.max(redis.call('TTL', KEYS[2]), 1)
end
if redis.call('INCR', KEYS[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[3])
end
if redis.call('INCR', KEYS[2]) == 1 then
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
return 0
"""

# KEYS: account counter, IP counter.
SUCCEEDED_SCRIPT = """
redis.call('DEL', KEYS[1])
if tonumber(redis.call('GET', KEYS[2]) or '0') > 0 then
  redis.call('DECR', KEYS[2])
end
return 1
"""


class RedisLoginLimiter:
    def __init__(self, client: redis.Redis, limits: LoginLimits, prefix: str) -> None:
        self.limits = limits
        self.prefix = prefix
        self._attempt = client.register_script(ATTEMPT_SCRIPT)
        self._succeeded = client.register_script(SUCCEEDED_SCRIPT)

    def _keys(self, account_key: str, ip_key: str) -> list[str]:
        # One hash tag keeps both keys in one Redis Cluster slot for the scripts.
        return [
            f"{self.prefix}:{{login}}:account:{account_key}",
            f"{self.prefix}:{{login}}:ip:{ip_key}",
        ]

    def attempt(self, account_key: str, ip_key: str) -> int:
        limits = self.limits
        args = [limits.per_account, limits.per_ip, limits.window_seconds]

        try:
            return int(self._attempt(keys=self._keys(account_key, ip_key), args=args))
        except redis.RedisError as error:
            raise GuardUnavailable(str(error)) from error

    def succeeded(self, account_key: str, ip_key: str) -> None:
        try:
            self._succeeded(keys=self._keys(account_key, ip_key))
        except redis.RedisError as error:
            raise GuardUnavailable(str(error)) from error


class MemoryLoginLimiter:
    """The same limits inside one process, for local runs without Redis."""

    def __init__(self, limits: LoginLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}

    def _current(self, key: str, now: float) -> tuple[int, float]:
        count, expires = self._counts.get(key, (0, 0.0))
        if expires <= now:
            return 0, now + self.limits.window_seconds

        return count, expires

    def attempt(self, account_key: str, ip_key: str) -> int:
        now = time.monotonic()
        keys = [("account:" + account_key, self.limits.per_account)]
        keys.append(("ip:" + ip_key, self.limits.per_ip))

        with self._lock:
            for key, limit in keys:
                count, expires = self._current(key, now)
                if count >= limit:
                    return max(int(expires - now), 1)

            for key, _ in keys:
                count, expires = self._current(key, now)
                self._counts[key] = (count + 1, expires)

        return 0

    def succeeded(self, account_key: str, ip_key: str) -> None:
        now = time.monotonic()

        with self._lock:
            self._counts.pop("account:" + account_key, None)
            count, expires = self._current("ip:" + ip_key, now)
            self._counts["ip:" + ip_key] = (max(count - 1, 0), expires)
