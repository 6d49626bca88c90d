import pytest

from miyraa.ratelimit import RateLimiter, client_hash
from tests.fakes import Clock


def test_allows_limit_requests_then_refuses_with_retry_after():
    clock = Clock(1000.0)
    limiter = RateLimiter(limit=3, window_s=10, max_clients=100, clock=clock)
    decisions = [limiter.hit("a") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    clock.now += 4
    refused = limiter.hit("a")
    assert refused.headers() == {
        "X-RateLimit-Limit": "3",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "6",
        "Retry-After": "6",
    }


def test_a_new_window_starts_after_the_window_length():
    clock = Clock(1000.0)
    limiter = RateLimiter(limit=1, window_s=10, max_clients=100, clock=clock)
    assert limiter.hit("a").allowed
    assert not limiter.hit("a").allowed
    clock.now += 10
    assert limiter.hit("a").allowed


def test_clients_are_counted_separately():
    limiter = RateLimiter(limit=1, window_s=10, max_clients=100, clock=Clock(1000.0))
    assert limiter.hit("a").allowed
    assert limiter.hit("b").allowed
    assert not limiter.hit("a").allowed


def test_memory_stays_bounded_whatever_the_number_of_clients():
    limiter = RateLimiter(limit=5, window_s=60, max_clients=1000, clock=Clock(1000.0))
    for i in range(50_000):
        limiter.hit(f"client-{i}")
    assert len(limiter) == 1000


def test_the_least_recently_seen_client_is_forgotten_first():
    limiter = RateLimiter(limit=1, window_s=60, max_clients=2, clock=Clock(1000.0))
    limiter.hit("old")
    limiter.hit("busy")
    limiter.hit("busy")  # refused, but refreshes "busy"
    limiter.hit("new")  # evicts "old"
    assert limiter.hit("old").allowed
    assert not limiter.hit("new").allowed


@pytest.mark.parametrize("identity", ["203.0.113.7", "id:customer-42"])
def test_client_hash_is_keyed_and_hides_the_identity(identity):
    digest = client_hash(b"k1", identity)
    assert len(digest) == 16 and identity not in digest
    assert digest == client_hash(b"k1", identity)
    assert digest != client_hash(b"k2", identity)
