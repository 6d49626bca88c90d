"""A typed Python client for the Miyraa API: ``Client`` and ``AsyncClient``.

    from miyraa.client import Client

    with Client("http://localhost:3000", api_key=None) as miyraa:
        print(miyraa.fingerprint("We got the keys to our first flat today!!").emotion)
        results = miyraa.fingerprint_batch(texts)   # any number of texts, in input order

What it adds to a bare POST:
- answers are the service's own pydantic models (``miyraa.schemas.Fingerprint``), validated;
- ``fingerprint_batch`` splits a list the service would refuse into requests it takes
  (at most MAX_BATCH_TEXTS texts and MAX_REQUEST_CHARS characters each), in order. The
  limits are read once from the service's ``/docs.json``; where that fails, the
  constructor's (default: the settings' defaults);
- 429 and 503 (and a gateway's 502 and 504) are tried again after their ``Retry-After``
  (at least ``Retry.backoff_s``), and a request that got no
  answer (connection refused or reset, timeout) after a short doubling backoff, within a
  budget of waiting per call (``Retry``). The APIs are pure functions of the text, so a
  second try is safe;
- every failure is one exception, ``MiyraaError``: the HTTP status (0 when no answer
  came) and the service's JSON error body (``{"error": ..., "detail"?: ..., "trace_id"?: ...}``,
  README "Errors"). Neither the client nor the error ever holds the text sent.

Why httpx and not BentoML's own ``SyncHTTPClient``: BentoML's client imports the whole
of BentoML into a program that only wants HTTP, waits at construction for the server
to be ready, returns plain dicts, and has no retry after 429/503 nor ``Retry-After``;
its sync and async clients are two separate classes too. httpx is already in the
environment (BentoML's own dependency, pinned in requirements/constraints.txt), has one
API for sync and async, connection pooling and timeouts, and a ``MockTransport`` for
testing the retry logic without a server. The retry and splitting logic lives once,
below, in pure functions and ``_Attempts``; the two classes only do the I/O.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import astuple, dataclass
from types import TracebackType
from typing import Any, Self

import httpx
from pydantic import ValidationError

from miyraa.schemas import BatchResponse, Fingerprint, ItemError
from miyraa.settings import Settings

FINGERPRINT = "/fingerprint"
BATCH = "/fingerprint/batch"
OPENAPI = "/docs.json"
# Busy or rate limited (429, 503), or a gateway that found no service behind it (502, 504:
# a proxy in front of a restarting service).
RETRIED = (429, 502, 503, 504)
NO_ANSWER = 0  # MiyraaError.status when no HTTP answer came back


class MiyraaError(Exception):
    """A call that failed: ``status`` (0: no answer) and ``body``, the service's JSON error."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{status}: {body.get('error')}" if status else str(body.get("error")))

    @property
    def error(self) -> str:
        return str(self.body.get("error", ""))

    @property
    def retryable(self) -> bool:
        """Would a later try of the same call likely work (busy, rate limited, unreachable)?"""
        return self.status in (NO_ANSWER, *RETRIED)


@dataclass(frozen=True)
class Retry:
    """How long one call may keep trying.

    ``budget_s``: seconds of waiting between tries, in all, per call (a Retry-After longer
    than what is left fails the call at once); ``connect_tries``: how many times a request
    that got no answer is sent again; ``backoff_s``: the first wait after no answer, or
    after a 429/503 without Retry-After, doubling each time, and the least wait after any
    (a ``Retry-After: 0`` from a proxy would otherwise resend at once, for ever);
    ``busy_tries``: how many busy answers (``RETRIED``) one call takes before it fails.
    """

    budget_s: float = 60.0
    connect_tries: int = 3
    backoff_s: float = 0.5
    busy_tries: int = 120


@dataclass(frozen=True)
class Limits:
    """What the service takes in one batch request."""

    max_batch_texts: int
    max_request_chars: int
    max_text_chars: int


def default_limits() -> Limits:
    """The settings' defaults (miyraa/settings.py), without reading the environment."""
    fields = Settings.model_fields
    return Limits(*(int(fields[name].default) for name in Limits.__dataclass_fields__))


def limits_from_openapi(doc: dict[str, Any], fallback: Limits) -> Limits:
    """The batch limits the service states in its OpenAPI document: ``maxItems`` of the batch
    body's ``texts``, its ``x-max-total-chars`` and its items' ``maxLength``; ``fallback``
    for what it does not state."""
    try:
        schema = doc["paths"][BATCH]["post"]["requestBody"]["content"]["application/json"]["schema"]
        if "$ref" in schema:
            schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        texts = schema["properties"]["texts"]
    except (KeyError, TypeError, AttributeError):
        return fallback
    if not isinstance(texts, dict):
        return fallback
    items = texts.get("items")
    stated = (
        texts.get("maxItems"),
        texts.get("x-max-total-chars"),
        items.get("maxLength") if isinstance(items, dict) else None,
    )
    return Limits(
        *(
            value if isinstance(value, int) and value > 0 else default
            for value, default in zip(stated, astuple(fallback), strict=True)
        )
    )


def split(texts: Sequence[str], limits: Limits) -> Iterator[list[str]]:
    """Consecutive runs of ``texts``, each within ``limits`` (a text longer than the total
    limit goes alone, and the service answers it)."""
    chunk: list[str] = []
    chars = 0
    for text in texts:
        if chunk and (len(chunk) == limits.max_batch_texts or chars + len(text) > limits.max_request_chars):
            yield chunk
            chunk, chars = [], 0
        chunk.append(text)
        chars += len(text)
    if chunk:
        yield chunk


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header: delay-seconds or an HTTP date; None if absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def error_body(response: httpx.Response) -> dict[str, Any]:
    """The service's JSON error body; a short stand-in when the body is not ours (a proxy's page)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and "error" in body:
        return body
    return {"error": response.reason_phrase.lower() or f"HTTP {response.status_code}"}


class _Attempts:
    """The tries of one call: after each outcome, the seconds to wait before the next try,
    or None when the outcome is final (``response`` then holds the 2xx answer)."""

    def __init__(self, retry: Retry) -> None:
        self.retry = retry
        self.waited = 0.0
        self.no_answers = 0
        self.busy = 0
        self.response: httpx.Response | None = None

    def wait_after(self, outcome: httpx.Response | httpx.TransportError) -> float | None:
        if isinstance(outcome, httpx.TransportError):
            self.no_answers += 1
            failure = MiyraaError(
                NO_ANSWER, {"error": f"no answer from the service ({type(outcome).__name__})"}
            )
            if self.no_answers > self.retry.connect_tries:
                raise failure from outcome
            return self._spend(self.retry.backoff_s * 2 ** (self.no_answers - 1), failure)
        if outcome.is_success:
            self.response = outcome
            return None
        failure = MiyraaError(outcome.status_code, error_body(outcome))
        if outcome.status_code not in RETRIED:
            raise failure
        self.busy += 1
        if self.busy > self.retry.busy_tries:
            raise failure
        wait = retry_after_s(outcome.headers.get("Retry-After"))
        backoff = self.retry.backoff_s * 2 ** (self.busy - 1)
        return self._spend(backoff if wait is None else max(wait, self.retry.backoff_s), failure)

    def _spend(self, wait: float, failure: MiyraaError) -> float:
        if self.waited + wait > self.retry.budget_s:
            raise failure
        self.waited += wait
        return wait


def _body(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _parsed(response: httpx.Response | None, model: type[Fingerprint] | type[BatchResponse]) -> Any:
    assert response is not None  # _Attempts sets it on every final outcome
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        problems = exc.error_count()
        raise MiyraaError(
            response.status_code, {"error": f"the answer does not match the client's schema ({problems})"}
        ) from None


def _results(response: httpx.Response | None, sent: int) -> list[Fingerprint | ItemError]:
    results: list[Fingerprint | ItemError] = _parsed(response, BatchResponse).results
    if len(results) != sent:
        raise MiyraaError(200, {"error": f"{len(results)} results for {sent} texts"})
    return results


def _openapi(response: httpx.Response | httpx.TransportError) -> dict[str, Any]:
    if isinstance(response, httpx.TransportError) or not response.is_success:
        return {}
    try:
        doc = response.json()
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


class _Base:
    def __init__(self, retry: Retry, limits: Limits | None) -> None:
        self.retry = retry
        # Limits given to the constructor are used as given; otherwise the service's are read.
        self._fallback = limits or default_limits()
        self._limits = limits

    def _learned(self, doc: dict[str, Any]) -> Limits:
        """The limits ``doc`` states, kept; the fallback, not kept, when no document came."""
        if not doc:
            return self._fallback
        self._limits = limits_from_openapi(doc, self._fallback)
        return self._limits


class Client(_Base):
    """The Miyraa API over HTTP, blocking. Thread-safe (httpx.Client is)."""

    def __init__(
        self,
        url: str = "http://localhost:3000",
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retry: Retry = Retry(),
        limits: Limits | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(retry, limits)
        self._http = httpx.Client(
            base_url=url, headers=_headers(api_key), timeout=timeout, transport=transport
        )
        self._sleep = sleep

    def fingerprint(self, text: str, client_id: str | None = None) -> Fingerprint:
        response = self._post(FINGERPRINT, _body(text=text, client_id=client_id))
        return _parsed(response, Fingerprint)  # type: ignore[no-any-return]

    def fingerprint_batch(
        self, texts: Sequence[str], client_id: str | None = None
    ) -> list[Fingerprint | ItemError]:
        results: list[Fingerprint | ItemError] = []
        for chunk in split(texts, self.limits()):
            results += _results(self._post(BATCH, _body(texts=chunk, client_id=client_id)), len(chunk))
        return results

    def limits(self) -> Limits:
        return self._limits or self._learned(_openapi(self._try("GET", OPENAPI)))

    def _post(self, path: str, body: dict[str, Any]) -> httpx.Response | None:
        attempts = _Attempts(self.retry)
        while (wait := attempts.wait_after(self._try("POST", path, body))) is not None:
            self._sleep(wait)
        return attempts.response

    def _try(self, method: str, path: str, body: Any = None) -> httpx.Response | httpx.TransportError:
        try:
            return self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            return exc

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


class AsyncClient(_Base):
    """The Miyraa API over HTTP, for asyncio: the same surface as ``Client``, awaited."""

    def __init__(
        self,
        url: str = "http://localhost:3000",
        api_key: str | None = None,
        *,
        timeout: float = 60.0,
        retry: Retry = Retry(),
        limits: Limits | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        connections: int = 100,
    ) -> None:
        super().__init__(retry, limits)
        self._http = httpx.AsyncClient(
            base_url=url,
            headers=_headers(api_key),
            timeout=timeout,
            transport=transport,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )
        self._sleep = sleep

    async def fingerprint(self, text: str, client_id: str | None = None) -> Fingerprint:
        response = await self._post(FINGERPRINT, _body(text=text, client_id=client_id))
        return _parsed(response, Fingerprint)  # type: ignore[no-any-return]

    async def fingerprint_batch(
        self, texts: Sequence[str], client_id: str | None = None
    ) -> list[Fingerprint | ItemError]:
        results: list[Fingerprint | ItemError] = []
        for chunk in split(texts, await self.limits()):
            results += _results(await self._post(BATCH, _body(texts=chunk, client_id=client_id)), len(chunk))
        return results

    async def limits(self) -> Limits:
        return self._limits or self._learned(_openapi(await self._try("GET", OPENAPI)))

    async def _post(self, path: str, body: dict[str, Any]) -> httpx.Response | None:
        attempts = _Attempts(self.retry)
        while (wait := attempts.wait_after(await self._try("POST", path, body))) is not None:
            await self._sleep(wait)
        return attempts.response

    async def _try(self, method: str, path: str, body: Any = None) -> httpx.Response | httpx.TransportError:
        try:
            return await self._http.request(method, path, json=body)
        except httpx.TransportError as exc:
            return exc

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        await self.aclose()


__all__ = ["AsyncClient", "Client", "Limits", "MiyraaError", "Retry"]
