"""GET /ui through the service's ASGI app: the page, its type and its Content-Security-Policy."""

from __future__ import annotations

from miyraa.page import content_security_policy
from miyraa.settings import Settings


def test_the_page_is_served_with_its_policy_and_no_key(api):
    response = api.get("/ui")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == content_security_policy(response.text)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    threshold = Settings.model_fields["safety_threshold"].default  # the service's default
    assert f'data-safety-threshold="{threshold}"' in response.text
    assert 'data-max-text-chars="5000"' in response.text
    assert api.head("/ui").status_code == 200
    assert api.post("/ui").status_code == 405
