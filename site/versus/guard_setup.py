"""Pick the vote guard from the settings: Redis when configured, else in-process."""

from __future__ import annotations

import logging

import redis
from flask import Flask, current_app
from redis.backoff import NoBackoff
from redis.retry import Retry

from .voting.guard import Limits, MemoryGuard, RedisGuard, VoteGuard

logger = logging.getLogger(__name__)


def limits_from(config: dict) -> Limits:
    return Limits(
        votes_per_ip=config["VOTES_PER_IP"],
        votes_per_network=config["VOTES_PER_NETWORK"],
        window_seconds=config["VOTE_LIMIT_WINDOW_SECONDS"],
        claim_ttl_seconds=config["VOTE_CLAIM_TTL_SECONDS"],
    )


def redis_client(url: str, timeout: float) -> redis.Redis:
    """Build a client that fails fast: redis-py's default retries would hold a
    worker for many seconds on every request while Redis is down."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,
    )


def init_guard(app: Flask) -> None:
    limits = limits_from(app.config)
    url = app.config.get("REDIS_URL")
    guard: VoteGuard

    if url:
        client = redis_client(url, app.config["REDIS_SOCKET_TIMEOUT"])
        guard = RedisGuard(client, limits, app.config["REDIS_KEY_PREFIX"])
        app.extensions["versus.redis"] = client
    else:
        logger.warning(
            "REDIS_URL is not set: the one-vote limit and rate limits hold inside "
            "this process only"
        )
        guard = MemoryGuard(limits)
        app.extensions["versus.redis"] = None

    app.extensions["versus.guard"] = guard


def current_guard() -> VoteGuard:
    return current_app.extensions["versus.guard"]


def current_redis() -> redis.Redis | None:
    return current_app.extensions["versus.redis"]
