"""What a client controls cannot grow the server, and every error is JSON (real `bentoml serve`).

Before miyraa/edge.py, 20,000 GETs to distinct random paths grew the API worker from
103 MB to 648 MB (BentoML kept request-metric series per path). Here: 20,000 distinct
paths, then distinct methods, header names and values, and client ids, and the API
worker's memory and the set of series on /metrics stay where they were.

Memory is compared between two floods of the same shape, after each has outlived the
request timeout: BentoML's timeout middleware keeps every request's context (about 5 KB)
until its timer fires, so memory follows the request rate for that long whatever the
values; what must not grow is memory per distinct value.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import aiohttp
import httpx

from miyraa.edge import NOT_FOUND
from tests.e2e.conftest import FAULTY_TIMEOUT_S, KEYS, Server

PATHS = 20_000
OTHERS = 3_000  # each of: methods, headers, client ids
RSS_GROWTH_LIMIT = 20 * 2**20  # before the fix, 20,000 paths took ~545 MB


def series(url: str) -> set[str]:
    """The series /metrics exports (name and labels, without values)."""
    text = httpx.get(f"{url}/metrics", timeout=30).text
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


async def flood(url: str, paths: int, others: int) -> dict[str, dict[int, int]]:
    """Requests with client-chosen values; the statuses seen, by kind of value."""
    seen: dict[str, dict[int, int]] = {"path": {}, "method": {}, "header": {}, "client_id": {}}
    gate = asyncio.Semaphore(32)
    key = {"X-API-Key": KEYS[2]}

    async def one(
        session: aiohttp.ClientSession, kind: str, method: str, path: str, **options: object
    ) -> None:
        async with gate, session.request(method, url + path, **options) as response:  # type: ignore[arg-type]
            await response.read()
            seen[kind][response.status] = seen[kind].get(response.status, 0) + 1

    async with aiohttp.ClientSession() as session:
        tasks = [one(session, "path", "GET", f"/{uuid.uuid4().hex}/{i}") for i in range(paths)]
        tasks += [
            one(session, "method", f"X{uuid.uuid4().hex[:12].upper()}", "/fingerprint") for _ in range(others)
        ]
        tasks += [
            one(session, "header", "GET", "/livez", headers={f"x-{uuid.uuid4().hex}": uuid.uuid4().hex})
            for _ in range(others)
        ]
        tasks += [
            one(
                session,
                "client_id",
                "POST",
                "/fingerprint",
                json={"text": "hi", "client_id": uuid.uuid4().hex},
                headers=key,
            )
            for _ in range(others)
        ]
        await asyncio.gather(*tasks)
    return seen


def test_client_chosen_paths_methods_headers_and_ids_grow_neither_memory_nor_series(faulty: Server):
    worker = faulty.api_worker()
    asyncio.run(flood(faulty.url, PATHS // 4, OTHERS))  # every status and label value seen once
    time.sleep(FAULTY_TIMEOUT_S + 1)  # the timeout timers of those requests have fired
    before_rss, before_series = worker.memory_info().rss, series(faulty.url)
    seen = asyncio.run(flood(faulty.url, PATHS, OTHERS))
    time.sleep(FAULTY_TIMEOUT_S + 1)
    growth = worker.memory_info().rss - before_rss
    assert seen["path"] == {404: PATHS}
    assert seen["header"] == {200: OTHERS}
    assert seen["method"] == {400: OTHERS}  # an unknown method: refused by the HTTP parser
    # The warm-up flood spent the key's quota (60 per 600 s), so each is refused, after the
    # service has hashed its client id into the request's log fields (service._check_rate):
    # the only place a client id goes; the model never sees it.
    assert seen["client_id"] == {429: OTHERS}
    assert series(faulty.url) == before_series
    assert growth < RSS_GROWTH_LIMIT, f"API worker grew {growth / 2**20:.0f} MB"


def test_unknown_paths_and_wrong_methods_get_json_that_says_so(server: Server):
    r = httpx.get(f"{server.url}/fingerprint/jane.roe@example.org")
    assert (r.status_code, r.headers["content-type"]) == (404, "application/json")
    assert r.json() == {"error": "not found: no such route (the API is described at /docs.json)"}
    r = httpx.get(f"{server.url}/fingerprint")
    assert (r.status_code, r.json(), r.headers["allow"]) == (405, {"error": "method not allowed"}, "POST")


def test_a_400_says_what_was_wrong_without_internal_names(server: Server):
    r = httpx.post(f"{server.url}/fingerprint/batch", json={"texts": ["fine", ""]})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid request body: 1 problem (see detail)"
    assert [(d["loc"], d["type"]) for d in body["detail"]] == [(["texts", 1], "string_too_short")]
    assert "IODescriptor" not in r.text


def test_the_page_is_a_route_when_on_and_an_unknown_path_when_off(server: Server, faulty: Server):
    on = httpx.get(f"{server.url}/ui")
    assert (on.status_code, on.headers["content-type"]) == (200, "text/html; charset=utf-8")
    assert on.headers["content-security-policy"].startswith("default-src 'none'; script-src 'sha256-")
    off = httpx.get(f"{faulty.url}/ui")  # UI=false
    assert (off.status_code, off.headers["content-type"], off.json()) == (
        404,
        "application/json",
        json.loads(NOT_FOUND),
    )


def test_a_websocket_handshake_is_refused_on_any_path_and_its_address_not_logged(server: Server):
    async def handshake(path: str) -> int:
        async with aiohttp.ClientSession() as session:
            try:
                async with session.ws_connect(server.url + path):
                    return 101
            except aiohttp.WSServerHandshakeError as refused:
                return refused.status

    statuses = [asyncio.run(handshake(path)) for path in ("/livez", "/fingerprint", f"/{uuid.uuid4().hex}")]
    assert statuses == [403, 403, 403]
    assert httpx.get(f"{server.url}/livez").status_code == 200
    assert not [line for line in server.output_lines() if "127.0.0.1:" in line and "scheme=ws" in line]
