"""The one-vote guard against a real redis-server, and its in-process twin."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from versus.voting.guard import (
    CLAIMED,
    DUPLICATE,
    IP_LIMITED,
    NETWORK_LIMITED,
    STALE,
    ClaimRequest,
    Limits,
    MemoryGuard,
    RedisGuard,
)

LIMITS = Limits(
    votes_per_ip=3, votes_per_network=5, window_seconds=60, claim_ttl_seconds=1
)


@pytest.fixture(params=["redis", "memory"])
def guard(request, redis_server):
    if request.param == "memory":
        return MemoryGuard(LIMITS)

    client = redis_server.client()
    client.flushall()
    return RedisGuard(client, LIMITS, "guard-test")


def ask(visitor: str, ip: str = "ip-1", network: str = "net-1") -> ClaimRequest:
    return ClaimRequest(7, visitor, ip, network)


def test_claim_then_duplicate(guard):
    first = guard.claim(ask("v1"))
    guard.confirm(first, "sam-3")

    second = guard.claim(ask("v1"))

    assert first.status == CLAIMED
    assert second.status == DUPLICATE
    assert second.existing == "sam-3"


def test_pending_claim_is_duplicate(guard):
    guard.claim(ask("v1"))

    second = guard.claim(ask("v1"))

    assert second.status == DUPLICATE
    assert second.existing.startswith("pending:")


def test_release_frees_visitor_and_counters(guard):
    for visitor in ["v1", "v2", "v3"]:
        last = guard.claim(ask(visitor))
    assert guard.claim(ask("v4")).status == IP_LIMITED

    guard.release(last)

    assert guard.claim(ask("v3")).status == CLAIMED


def test_release_ignores_other_token(guard):
    first = guard.claim(ask("v1"))
    guard.confirm(first, "smolvlm2")

    guard.release(first)

    assert guard.claim(ask("v1")).status == DUPLICATE


def test_ip_limit_with_retry_after(guard):
    for visitor in ["v1", "v2", "v3"]:
        assert guard.claim(ask(visitor)).status == CLAIMED

    limited = guard.claim(ask("v4"))

    assert limited.status == IP_LIMITED
    assert 0 < limited.retry_after <= 61


def test_network_limit_across_addresses(guard):
    statuses = [guard.claim(ask(f"v{i}", ip=f"ip-{i}")).status for i in range(6)]

    assert statuses == [CLAIMED] * 5 + [NETWORK_LIMITED]


def test_pending_claim_expires(guard):
    guard.claim(ask("v1"))

    time.sleep(1.2)

    assert guard.claim(ask("v1")).status == CLAIMED


def test_parallel_claims_grant_one(guard):
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda _: guard.claim(ask("same")).status, range(64)))

    assert results.count(CLAIMED) == 1
    assert results.count(DUPLICATE) == 63


def test_forget_and_remember_visitors(guard):
    guard.confirm(guard.claim(ask("v1")), "sam-3")

    guard.forget_visitors(7, ["v1"])
    assert guard.claim(ask("v1", ip="ip-2")).status == CLAIMED

    guard.remember_visitors(7, {"v9": "smolvlm2"})
    again = guard.claim(ask("v9", ip="ip-3"))
    assert again.status == DUPLICATE
    assert again.existing == "smolvlm2"


def test_redis_keys_share_one_cluster_slot(redis_server):
    client = redis_server.client()
    client.flushall()
    guard = RedisGuard(client, LIMITS, "slot-test")

    guard.claim(ask("v1"))

    keys = sorted(k.decode() for k in client.keys("slot-test:*"))
    assert len(keys) == 3
    assert all("{c:7}" in key for key in keys)


def test_redis_confirm_publishes_a_new_version_even_for_a_lost_claim(redis_server):
    client = redis_server.client()
    client.flushall()
    guard = RedisGuard(client, LIMITS, "guard-test")
    version_key = guard.keys.tally_version(7)

    first = guard.claim(ask("v1"))
    assert guard.confirm(first, "sam-3") is True
    started = int(client.get(version_key))

    # The claim expired before the commit finished: the stored vote still publishes.
    second = guard.claim(ask("v2"))
    client.delete(guard.keys.visitor(7, "v2"))
    assert guard.confirm(second, "sam-3") is True

    assert int(client.get(version_key)) == started + 1
    assert client.get(guard.keys.visitor(7, "v1")) == b"sam-3"
    assert client.get(guard.keys.visitor(7, "v2")) is None


def test_stale_content_version_claims_nothing(redis_server):
    client = redis_server.client()
    client.flushall()
    guard = RedisGuard(client, LIMITS, "guard-test")
    content_key = guard.keys.content_version(7)
    client.set(content_key, b"41")

    stale = guard.claim(ClaimRequest(7, "v1", "ip-1", "net-1", content_version=b"40"))
    current = guard.claim(ClaimRequest(7, "v1", "ip-1", "net-1", content_version=b"41"))

    assert stale.status == STALE
    assert current.status == CLAIMED
    # The stale attempt took no share of the per-address limit.
    assert client.get(guard.keys.ip(7, "ip-1")) == b"1"
