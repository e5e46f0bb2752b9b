"""The cache and the Celery broker share a Redis database (settings.py, CACHE): clearing the
cache in a test must leave the broker's keys alone, or the tasks of workers that tests running
beside (the other lane of ``make test``) have queued are lost."""

import uuid

import pytest
import redis
from django.core.cache.backends.redis import RedisCache

from tests.conftest import redis_url

pytestmark = pytest.mark.redis


def test_clearing_the_cache_leaves_a_queued_task_and_its_binding_alone():
    url = redis_url()
    cache = RedisCache(url, {"KEY_PREFIX": f"shared-{uuid.uuid4().hex[:8]}"})
    broker = redis.Redis.from_url(url)
    queue = f"test-shared-{uuid.uuid4().hex[:12]}"
    binding = f"_kombu.binding.{queue}"
    try:
        cache.set("figures", {"open": 3})
        broker.sadd(binding, f"{queue}\x06\x16\x06\x16{queue}")
        broker.lpush(queue, '{"body": "a task"}')

        cache.clear()

        assert cache.get("figures") is None
        assert broker.lrange(queue, 0, -1) == [b'{"body": "a task"}']
        assert broker.smembers(binding) == {f"{queue}\x06\x16\x06\x16{queue}".encode()}
    finally:
        broker.delete(queue, binding)
        broker.close()
