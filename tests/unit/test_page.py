"""The page at /ui (miyraa/page.py, miyraa/ui/index.html): filled in, self-contained, hashed."""

from __future__ import annotations

import base64
import hashlib
import re
import typing

from miyraa.page import PAGE, SOURCE, content_security_policy, page_routes, render
from miyraa.response import UNSUPPORTED_STATUS
from miyraa.schemas import ResponseWarning
from miyraa.settings import Settings

TEMPLATE = SOURCE.read_text(encoding="utf-8")


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def sha256(content: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(content.encode()).digest()).decode() + "'"


def test_the_service_values_are_filled_in():
    settings = Settings(_env_file=None, safety_threshold=0.35, max_text_chars=1234, api_keys="k1,k2")
    page, _ = render(TEMPLATE, settings)
    assert 'data-safety-threshold="0.35"' in page
    assert 'data-max-text-chars="1234"' in page
    assert 'data-api-key-required="true"' in page
    assert "{{" not in page
    open_page, _ = render(TEMPLATE, Settings(_env_file=None, api_keys=""))
    assert 'data-api-key-required="false"' in open_page


def test_the_policy_allows_exactly_the_page_s_inline_script_and_style():
    page, policy = render(TEMPLATE, Settings(_env_file=None))
    (script,) = re.findall(r"<script>(.*?)</script>", page, re.DOTALL)
    (style,) = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    assert directives(policy) == {
        "default-src": "'none'",
        "script-src": sha256(script),
        "style-src": sha256(style),
        "connect-src": "'self'",
        "img-src": "data:",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
    }
    # Another value of a setting changes the page outside the script and style: same hashes.
    _, other = render(TEMPLATE, Settings(_env_file=None, safety_threshold=0.9, api_keys="k"))
    assert other == policy


def test_a_page_without_inline_code_allows_none():
    assert directives(content_security_policy("<p>hi</p>"))["script-src"] == "'none'"


def test_the_page_loads_nothing_from_elsewhere_and_stores_nothing():
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", TEMPLATE)
    assert "@import" not in TEMPLATE and "url(" not in TEMPLATE
    for banned in ("localStorage", "sessionStorage", "document.cookie", "console.", "innerHTML", "eval("):
        assert banned not in TEMPLATE, banned
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in TEMPLATE


def test_the_route_exists_only_when_the_setting_is_on():
    assert [route.path for route in page_routes(Settings(_env_file=None))] == [PAGE]
    assert page_routes(Settings(_env_file=None, ui=False)) == []


def test_the_page_has_words_for_every_warning_code_and_the_422():
    """A warning code added to the API gets its title on the page (else it shows "Warning")."""
    (titles,) = re.findall(r"const WARNING_TITLES = \{(.*?)\};", TEMPLATE)
    codes = typing.get_args(ResponseWarning.model_fields["code"].annotation)
    assert set(re.findall(r"(\w+): \"", titles)) == set(codes)
    assert re.search(rf"\n    {UNSUPPORTED_STATUS}: \"", TEMPLATE)
