"""miyraa.client against a fake transport: retries, Retry-After, the budget, splitting, errors."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from typing import Any

import httpx
import pytest

from miyraa.client import (
    AsyncClient,
    Client,
    Limits,
    MiyraaError,
    Retry,
    default_limits,
    limits_from_openapi,
    retry_after_s,
    split,
)
from miyraa.schemas import request_models
from tests.fakes import fake_fingerprint

BUSY = {"error": "server busy: 12 requests in service, the admission limit is 12"}
INVALID = {
    "error": "invalid request body: 1 problem (see detail)",
    "detail": [
        {"type": "string_too_short", "loc": ["text"], "msg": "String should have at least 1 character"}
    ],
}


def openapi(limits: Limits) -> dict[str, Any]:
    """The part of /docs.json the client reads, from the service's own request model."""
    _, batch = request_models(limits.max_text_chars, limits.max_batch_texts, limits.max_request_chars)
    schema = batch.model_json_schema()
    return {
        "paths": {
            "/fingerprint/batch": {
                "post": {"requestBody": {"content": {"application/json": {"schema": schema}}}}
            }
        }
    }


class Service:
    """A fake Miyraa: answers from ``script`` (status, headers, body) in turn, then 200s;
    records each request; /docs.json states ``limits`` (404 when None)."""

    def __init__(self, script: list[Any] | None = None, limits: Limits | None = None) -> None:
        self.script = list(script or [])
        self.limits = limits
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/docs.json":
            return httpx.Response(200, json=openapi(self.limits)) if self.limits else httpx.Response(404)
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            status, headers, body = step
            return httpx.Response(status, headers=headers, json=body)
        body = json.loads(request.content)
        if request.url.path == "/fingerprint":
            return httpx.Response(200, json=fake_fingerprint(body["text"]).model_dump(mode="json"))
        results = [fake_fingerprint(t).model_dump(mode="json") for t in body["texts"]]
        return httpx.Response(200, json={"results": results})

    def posted(self) -> list[Any]:
        return [json.loads(r.content) for r in self.requests if r.method == "POST"]


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(service: Service, sleeps: Sleeps, **kwargs: Any) -> Client:
    return Client("http://miyraa.test", transport=httpx.MockTransport(service), sleep=sleeps, **kwargs)


def test_503_then_200_waits_retry_after_and_returns_the_service_model():
    service, sleeps = Service([(503, {"Retry-After": "2"}, BUSY)]), Sleeps()
    with client(service, sleeps) as miyraa:
        result = miyraa.fingerprint("what a day", client_id="me")
    assert result == fake_fingerprint("what a day")
    assert sleeps == [2.0]
    assert service.posted() == [{"text": "what a day", "client_id": "me"}] * 2


def test_429_with_an_http_date_waits_until_then():
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    service, sleeps = Service([(429, {"Retry-After": when}, {"error": "rate limit"})]), Sleeps()
    with client(service, sleeps) as miyraa:
        miyraa.fingerprint("hi")
    assert len(sleeps) == 1 and 27 <= sleeps[0] <= 30


def test_busy_past_the_budget_raises_the_services_error_after_exactly_the_tries_it_affords():
    service = Service([(503, {"Retry-After": "2"}, BUSY)] * 10)
    sleeps = Sleeps()
    with client(service, sleeps, retry=Retry(budget_s=5)) as miyraa, pytest.raises(MiyraaError) as caught:
        miyraa.fingerprint("hi")
    assert sleeps == [2.0, 2.0]  # a third wait would make 6 s > 5 s
    assert len(service.posted()) == 3
    assert (caught.value.status, caught.value.body, caught.value.retryable) == (503, BUSY, True)


def test_a_retry_after_longer_than_the_budget_fails_at_once():
    service, sleeps = Service([(429, {"Retry-After": "120"}, {"error": "rate limit"})]), Sleeps()
    with client(service, sleeps, retry=Retry(budget_s=60)) as miyraa, pytest.raises(MiyraaError) as caught:
        miyraa.fingerprint("hi")
    assert (sleeps, len(service.posted()), caught.value.status) == ([], 1, 429)


def test_busy_without_retry_after_backs_off_doubling():
    service, sleeps = Service([(503, {}, BUSY)] * 3), Sleeps()
    with client(service, sleeps, retry=Retry(backoff_s=0.25)) as miyraa:
        miyraa.fingerprint("hi")
    assert sleeps == [0.25, 0.5, 1.0]


def test_no_answer_is_retried_a_bounded_number_of_times():
    refused = httpx.ConnectError("connection refused")
    service, sleeps = Service([refused] * 10), Sleeps()
    retry = Retry(connect_tries=3, backoff_s=0.5)
    with client(service, sleeps, retry=retry) as miyraa, pytest.raises(MiyraaError) as caught:
        miyraa.fingerprint("hi")
    assert sleeps == [0.5, 1.0, 2.0]
    assert len(service.requests) == 4
    assert caught.value.status == 0 and caught.value.retryable
    assert caught.value.error == "no answer from the service (ConnectError)"


def test_no_answer_then_an_answer_succeeds():
    service, sleeps = Service([httpx.ReadTimeout("slow"), httpx.ConnectError("reset")]), Sleeps()
    with client(service, sleeps) as miyraa:
        assert miyraa.fingerprint("hi") == fake_fingerprint("hi")
    assert sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, INVALID),
        (401, {"error": "missing or invalid API key (Authorization: Bearer <key> or X-API-Key)"}),
        (413, {"error": "request body over 1300000 bytes"}),
        (500, {"error": "internal error; the service logged it", "trace_id": "abc123"}),
    ],
)
def test_other_errors_are_not_retried_and_carry_the_services_body(status, body):
    service, sleeps = Service([(status, {}, body)]), Sleeps()
    with client(service, sleeps) as miyraa, pytest.raises(MiyraaError) as caught:
        miyraa.fingerprint("hi")
    assert (caught.value.status, caught.value.body, caught.value.retryable) == (status, body, False)
    assert (sleeps, len(service.posted())) == ([], 1)
    assert str(caught.value) == f"{status}: {body['error']}"


def test_an_error_that_is_not_the_services_json_gets_a_stand_in_body():
    def proxy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="<html>Bad Gateway</html>")

    sleeps, retry = Sleeps(), Retry(budget_s=1, backoff_s=0.25)
    transport = httpx.MockTransport(proxy)
    with (
        Client("http://miyraa.test", transport=transport, retry=retry, sleep=sleeps) as miyraa,
        pytest.raises(MiyraaError) as caught,
    ):
        miyraa.fingerprint("hi")
    assert (caught.value.status, caught.value.body) == (502, {"error": "bad gateway"})
    assert sleeps == [0.25, 0.5]  # a gateway's 502 is tried again (a third wait, 1 s, is past the budget)


@pytest.mark.parametrize("retry_after", ["0", "Thu, 01 Jan 1970 00:00:00 GMT"])
def test_a_retry_after_of_nothing_waits_the_backoff_and_the_tries_are_bounded(retry_after):
    service = Service([(429, {"Retry-After": retry_after}, {"error": "rate limit"})] * 10)
    sleeps, retry = Sleeps(), Retry(budget_s=60, backoff_s=0.25, busy_tries=3)
    with client(service, sleeps, retry=retry) as miyraa, pytest.raises(MiyraaError) as caught:
        miyraa.fingerprint("hi")
    assert sleeps == [0.25, 0.25, 0.25]
    assert (len(service.posted()), caught.value.status) == (4, 429)


def test_batch_is_split_by_the_limits_the_service_states_and_kept_in_order():
    service, sleeps = (
        Service(limits=Limits(max_batch_texts=3, max_request_chars=11, max_text_chars=10)),
        Sleeps(),
    )
    texts = ["aaaa", "bbbb", "cccc", "dd", "eeeeeeeeee", "ff", "g"]
    with client(service, sleeps) as miyraa:
        results = miyraa.fingerprint_batch(texts)
        miyraa.fingerprint_batch(["again"])
        assert miyraa.limits() == Limits(3, 11, 10)
    assert results == [fake_fingerprint(t) for t in texts]
    sent = [body["texts"] for body in service.posted()]
    # 11 characters at most per request (4 + 4 + 4 = 12 does not fit), and 3 texts at most
    assert sent == [["aaaa", "bbbb"], ["cccc", "dd"], ["eeeeeeeeee"], ["ff", "g"], ["again"]]
    assert sum(r.url.path == "/docs.json" for r in service.requests) == 1  # read once


def test_without_a_stated_limit_the_settings_default_is_used_and_asked_again_later():
    service, sleeps = Service(limits=None), Sleeps()
    texts = [f"text {i}" for i in range(130)]
    with client(service, sleeps) as miyraa:
        assert miyraa.fingerprint_batch(texts) == [fake_fingerprint(t) for t in texts]
        miyraa.fingerprint_batch(["x"])
    assert [len(body["texts"]) for body in service.posted()] == [64, 64, 2, 1]
    assert sum(r.url.path == "/docs.json" for r in service.requests) == 2


def test_limits_given_to_the_constructor_are_used_without_asking():
    service, sleeps = Service(limits=Limits(100, 100_000, 5000)), Sleeps()
    with client(service, sleeps, limits=Limits(2, 1000, 100)) as miyraa:
        miyraa.fingerprint_batch(["a", "b", "c"])
    assert [body["texts"] for body in service.posted()] == [["a", "b"], ["c"]]
    assert all(r.url.path != "/docs.json" for r in service.requests)


def test_an_empty_batch_sends_nothing():
    service, sleeps = Service(limits=Limits(3, 10, 10)), Sleeps()
    with client(service, sleeps) as miyraa:
        assert miyraa.fingerprint_batch([]) == []
    assert service.posted() == []


def test_an_answer_with_the_wrong_number_of_results_is_an_error():
    one = fake_fingerprint("a").model_dump(mode="json")
    service, sleeps = Service([(200, {}, {"results": [one]})], limits=Limits(64, 1000, 100)), Sleeps()
    with client(service, sleeps) as miyraa, pytest.raises(MiyraaError, match="1 results for 2 texts"):
        miyraa.fingerprint_batch(["a", "b"])


def test_an_answer_outside_the_schema_is_an_error():
    service, sleeps = Service([(200, {}, {"emotion": "joy"})]), Sleeps()
    with client(service, sleeps) as miyraa, pytest.raises(MiyraaError, match="does not match"):
        miyraa.fingerprint("a")


@pytest.mark.parametrize(("key", "header"), [("s3cret", "Bearer s3cret"), (None, None)])
def test_the_api_key_goes_in_the_authorization_header(key, header):
    service, sleeps = Service(), Sleeps()
    with client(service, sleeps, api_key=key) as miyraa:
        miyraa.fingerprint("hi")
    assert service.requests[0].headers.get("Authorization") == header


def test_async_client_retries_and_splits_like_the_sync_one():
    service = Service([(503, {"Retry-After": "1"}, BUSY)], limits=Limits(2, 100, 50))
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    async def go() -> list[Any]:
        transport = httpx.MockTransport(service)
        async with AsyncClient("http://miyraa.test", "k", transport=transport, sleep=sleep) as miyraa:
            single = await miyraa.fingerprint("one")
            batch = await miyraa.fingerprint_batch(["a", "b", "c"])
            with pytest.raises(MiyraaError) as caught:
                service.script = [(400, {}, INVALID)]
                await miyraa.fingerprint(" ")
            return [single, batch, caught.value]

    single, batch, error = asyncio.run(go())
    assert single == fake_fingerprint("one") and sleeps == [1.0]
    assert batch == [fake_fingerprint(t) for t in "abc"]
    assert [body.get("texts") for body in service.posted()][2:4] == [["a", "b"], ["c"]]
    assert (error.status, error.body) == (400, INVALID)
    assert all(r.headers["Authorization"] == "Bearer k" for r in service.requests if r.method == "POST")


def test_split_puts_a_text_longer_than_the_total_alone():
    assert list(split(["ab", "x" * 20, "cd", "ef"], Limits(10, 5, 100))) == [["ab"], ["x" * 20], ["cd", "ef"]]


def test_limits_from_the_real_request_model_and_fallbacks():
    stated = Limits(max_batch_texts=7, max_request_chars=900, max_text_chars=300)
    assert limits_from_openapi(openapi(stated), default_limits()) == stated
    assert limits_from_openapi({"paths": {}}, stated) == stated
    assert default_limits() == Limits(64, 100_000, 5000)


@pytest.mark.parametrize(
    ("value", "seconds"), [("3", 3.0), ("0", 0.0), (None, None), ("soon", None), ("-1", None)]
)
def test_retry_after_values(value, seconds):
    assert retry_after_s(value) == seconds
