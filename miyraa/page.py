"""GET /ui: the fingerprint page, one self-contained HTML file (``miyraa/ui/index.html``).

The page posts the text to /fingerprint (same origin) and draws the answer; nothing in it
is fetched from anywhere else. Its one inline script and one inline style are allowed by
their SHA-256 hashes in a Content-Security-Policy that forbids every other source, so an
injected script, a remote font or a request to another origin is refused by the browser.

The service's own values the page needs (the safety threshold, MAX_TEXT_CHARS, whether an
API key is asked for) are written into ``data-`` attributes at start-up, outside the
script, so the hashes do not depend on the settings. With UI=false there is no route: the
path answers the JSON 404 of any unknown path (miyraa/edge.py).
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from miyraa.settings import Settings

PAGE = "/ui"
SOURCE = Path(__file__).parent / "ui" / "index.html"
_INLINE = re.compile(r"<(script|style)>(.*?)</\1>", re.DOTALL)
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


def render(template: str, settings: Settings) -> tuple[str, str]:
    """The page with the service's values filled in, and the Content-Security-Policy for it."""
    values = {
        "safety_threshold": f"{settings.safety_threshold:g}",
        "max_text_chars": str(settings.max_text_chars),
        "api_key_required": "true" if settings.api_key_list() else "false",
    }
    page = _PLACEHOLDER.sub(lambda match: html.escape(values[match[1]]), template)
    return page, content_security_policy(page)


def content_security_policy(page: str) -> str:
    """Same-origin requests only; the page's own inline script and style, by hash, and nothing else."""
    hashes: dict[str, list[str]] = {"script": [], "style": []}
    for kind, content in _INLINE.findall(page):
        digest = base64.b64encode(hashlib.sha256(content.encode()).digest()).decode()
        hashes[kind].append(f"'sha256-{digest}'")
    script, style = (" ".join(hashes[kind]) or "'none'" for kind in ("script", "style"))
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {script}",
            f"style-src {style}",
            "connect-src 'self'",
            "img-src data:",  # the empty favicon, so the browser asks for none
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def page_routes(settings: Settings) -> list[Route]:
    """``[GET /ui]``, or no route with UI=false."""
    if not settings.ui:
        return []
    body, policy = render(SOURCE.read_text(encoding="utf-8"), settings)
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }

    async def page(_: Request) -> Response:
        return Response(body, media_type="text/html; charset=utf-8", headers=headers)

    return [Route(PAGE, page, methods=["GET"])]
