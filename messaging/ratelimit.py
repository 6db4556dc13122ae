"""A send rate shared by every worker: a token bucket in Redis (PRACTICES.md §4).

Celery's ``rate_limit`` counts per worker process, so two workers would send twice as fast.
Here every sender takes a token from one bucket in Redis, refilled at ``rate`` per second up
to ``burst``; the refill and the take are one Lua script using Redis' own clock, so workers on
different machines agree. Without Redis (the embedded default: one process) the same bucket
lives in memory.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from django.conf import settings

_SCRIPT = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3] or '1')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local state = redis.call('HMGET', key, 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then tokens = burst; at = now end
tokens = math.min(burst, tokens + (now - at) * rate / 1000000)
local wait = 0
if tokens >= wanted then
  tokens = tokens - wanted
else
  wait = math.ceil((wanted - tokens) * 1000000 / rate)
end
redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', key, 60000)
return wait
"""


class TokenBucket:
    """``take()`` returns 0 when a token was taken, else the microseconds to wait first."""

    def __init__(
        self, key: str, rate: float, burst: int | None = None, redis_url: str | None = None
    ):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.key = f"messaging:bucket:{key}"
        self.rate = rate
        self.burst = burst or max(1, int(rate))
        url = redis_url if redis_url is not None else getattr(settings, "REDIS_URL", None)
        self._redis = None
        if url:
            import redis

            self._redis = redis.Redis.from_url(url)
            self._script = self._redis.register_script(_SCRIPT)
        self._lock = threading.Lock()
        self._tokens = float(self.burst)
        self._at = time.monotonic()

    def take(self, tokens: int = 1) -> int:
        """Take ``tokens`` (at most ``burst``) at once: 0, or the microseconds to wait first.

        Taking several in one call is how a worker reserves a few sends per round trip to
        Redis; they are spent right away, so the rate and the burst still hold across workers.
        """
        if not 1 <= tokens <= self.burst:
            raise ValueError(f"can take 1 to {self.burst} tokens at once, not {tokens}")
        if self._redis is not None:
            return int(self._script(keys=[self.key], args=[self.rate, self.burst, tokens]))
        with self._lock:
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens >= tokens:
                self._tokens -= tokens
                return 0
            return int((tokens - self._tokens) * 1_000_000 / self.rate) + 1

    def acquire(self, tokens: int = 1, sleep: Callable[[float], None] = time.sleep) -> None:
        """Block until ``tokens`` are taken."""
        while wait := self.take(tokens):
            sleep(wait / 1_000_000)


_buckets: dict[tuple, TokenBucket] = {}


def bucket_for(channel: str, rate: float) -> TokenBucket:
    """The shared bucket of a channel (one client per process and rate)."""
    key = (channel, rate)
    if key not in _buckets:
        _buckets[key] = TokenBucket(channel, rate)
    return _buckets[key]
