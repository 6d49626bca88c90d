"""API keys (constant-time, 401 JSON), a separate /metrics key, open probes, the body cap (413),
shedding at the door (503 before the body is read), the body deadline (408)."""

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from miyraa.guard import GuardMiddleware

APIS = ("/fingerprint", "/fingerprint/batch")
KEY = b"test-hash-key"


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"bytes": len(await request.body())})


def client(api_keys=(), metrics_key="", max_body_bytes=1000, **options) -> TestClient:
    routes = [
        Route(p, echo, methods=["GET", "POST"])
        for p in ("/fingerprint", "/fingerprint/batch", "/metrics", "/readyz", "/livez")
    ]
    app = GuardMiddleware(
        Starlette(routes=routes), APIS, KEY, max_body_bytes, list(api_keys), metrics_key, **options
    )
    return TestClient(app)


def test_open_by_default():
    assert client().post("/fingerprint", content=b"x").status_code == 200


@pytest.mark.parametrize("path", ["/fingerprint", "/fingerprint/batch"])
def test_apis_need_a_valid_key_when_keys_are_set(path):
    c = client(api_keys=["k1", "k2"])
    for headers in ({}, {"X-API-Key": "nope"}, {"Authorization": "Bearer k3"}, {"Authorization": "Basic k1"}):
        r = c.post(path, content=b"x", headers=headers)
        assert r.status_code == 401
        assert "API key" in r.json()["error"]
        assert r.headers["www-authenticate"] == "Bearer"
    assert c.post(path, content=b"x", headers={"X-API-Key": "k2"}).status_code == 200
    assert c.post(path, content=b"x", headers={"Authorization": "Bearer k1"}).status_code == 200


def test_probes_stay_open_and_metrics_has_its_own_key():
    c = client(api_keys=["k1"], metrics_key="m")
    assert c.get("/readyz").status_code == 200
    assert c.get("/livez").status_code == 200
    assert c.get("/metrics", headers={"X-API-Key": "k1"}).status_code == 401
    assert c.get("/metrics", headers={"Authorization": "Bearer m"}).status_code == 200
    assert client(api_keys=["k1"]).get("/metrics").status_code == 200  # no metrics key: open


def test_body_over_the_cap_is_413_by_length_or_by_stream():
    c = client(max_body_bytes=1000)
    assert c.post("/fingerprint", content=b"x" * 1000).json() == {"bytes": 1000}
    r = c.post("/fingerprint", content=b"x" * 1001)
    assert r.status_code == 413 and "1000 bytes" in r.json()["error"]

    def chunks():  # no Content-Length: the cap applies to the stream
        for _ in range(5):
            yield b"y" * 400

    r = c.post("/fingerprint", content=chunks())
    assert r.status_code == 413


def test_docs_ui_can_be_turned_off():
    routes = [Route(p, echo) for p in ("/", "/docs.json", "/static_content/x.js")]
    off = TestClient(GuardMiddleware(Starlette(routes=routes), APIS, KEY, 1000, [], "", docs_ui=False))
    assert off.get("/").status_code == 404
    assert off.get("/static_content/x.js").status_code == 404
    assert off.get("/docs.json").status_code == 200
    on = TestClient(GuardMiddleware(Starlette(routes=routes), APIS, KEY, 1000, [], ""))
    assert on.get("/").status_code == 200


def test_a_full_service_sheds_fingerprint_requests_at_the_door_without_reading_them():
    from prometheus_client import REGISTRY

    from miyraa.admission import Admission

    admission = Admission(goal_s=0.1)
    admission.limit = 1
    c = client(shed=lambda: admission.overloaded() if admission.full else None)
    assert c.post("/fingerprint", content=b"x").status_code == 200
    with admission.hold(1):
        read = []

        def body():  # a body the guard must not read
            read.append(True)
            yield b"x"

        before = REGISTRY.get_sample_value("miyraa_shed_total", {"reason": "overload"}) or 0.0
        r = c.post("/fingerprint/batch", content=body())
        assert r.status_code == 503
        assert REGISTRY.get_sample_value("miyraa_shed_total", {"reason": "overload"}) == before + 1
        assert r.headers["retry-after"] == "1"
        assert r.json()["error"] == "server busy: 1 tokens in progress, limit 1; retry after 1 s"
        assert read == []
        assert c.get("/readyz").status_code == 200  # probes are never shed
    assert c.post("/fingerprint", content=b"x").status_code == 200


def test_a_body_that_trickles_in_past_the_deadline_is_408():
    import asyncio

    from starlette.responses import Response

    async def app(scope, receive, send):
        await Response("served")(scope, receive, send)

    guard = GuardMiddleware(app, APIS, KEY, 1000, [], "", body_timeout_s=0.2)
    sent: list[dict] = []

    async def trickle():  # one byte, then nothing for longer than the deadline
        if not sent:
            sent.append({})
            return {"type": "http.request", "body": b"{", "more_body": True}
        await asyncio.sleep(5)
        return {"type": "http.request", "body": b"}", "more_body": False}

    async def record(message):
        sent.append(message)

    scope = {"type": "http", "path": "/fingerprint", "method": "POST", "headers": []}
    asyncio.run(asyncio.wait_for(guard(scope, trickle, record), 2))
    assert sent[1]["status"] == 408
    assert b"not received within 0.2 s" in sent[2]["body"]


def test_the_apis_take_json_only():
    c = client()
    for media in ("multipart/form-data", "text/plain", "application/x-www-form-urlencoded"):
        r = c.post("/fingerprint", content=b"{}", headers={"Content-Type": media})
        assert r.status_code == 415
        assert r.json() == {"error": "Content-Type must be application/json"}
    ok = {"Content-Type": "Application/JSON; charset=utf-8"}
    assert c.post("/fingerprint/batch", content=b"{}", headers=ok).status_code == 200
    assert c.post("/metrics", content=b"x", headers={"Content-Type": "text/plain"}).status_code == 200
