"""The page at /ui in a real browser: Debian's Chromium, driven by Selenium through the system
chromedriver (nothing downloaded), against a real `bentoml serve` with API keys.

Each test types into the page as a person would, waits for the answer, reads what the page
shows and compares it with the API's answer for the same text (POST /fingerprint). Errors
come from the real service: a text over MAX_TEXT_CHARS (400), a body over MAX_BODY_BYTES
(413), a spent rate limit (429), a missing key (401), a stopped runner (503) and no
network. What the model could not read is shown too: a Spanish text's language and its
warning, a text over the model's 256 tokens truncated, and, from a second server with
UNSUPPORTED_LANGUAGE=reject, the 422 naming the language refused.

Screenshots of each run: reports/ui/fingerprint-desktop.png, reports/ui/fingerprint-phone.png,
reports/ui/fingerprint-language.png (the warning) and reports/ui/fingerprint-truncated.png.
Without Chromium the tests skip, except under CI=true, where they fail: `make test` installs
it (scripts/setup-tools.sh).
"""

from __future__ import annotations

import base64
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from miyraa.labels import EMOTIONS, SAFETY_CATEGORIES, VAD_DIMENSIONS
from tests.e2e.conftest import ROOT, Server, serve

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SHOTS = ROOT / "reports" / "ui"
MAX_TEXT_CHARS = 300
MAX_BODY_BYTES = 1024  # the lowest the setting allows
RATE_LIMIT = 10  # per API key
# One key per test: the rate limit counts per key, and one test spends its key's budget.
KEYS = {name: f"ui-{name}" for name in ("main", "keyboard", "phone", "errors", "spent", "busy", "language")}
THRESHOLD = 0.5
WAIT_S = 30

TEXT = (
    "We got the keys to our first flat today!! Email me at jane.doe@mail.example.com or call +44 20 7946 0958"
)
THREAT = "I know where you live and I'm going to hurt you, you worthless idiot"
SPANISH = "Estoy muy feliz, ¡hemos ganado el campeonato con mis amigos!"
# About 1,700 characters, well over the model's 256 tokens (the reject server's MAX_TEXT_CHARS
# is the default, 5,000; the first server's 300 is too few for that many tokens of English).
LONG = "We walked along the river for hours and talked about everything that happened this year. " * 19
WARNING_TITLES = {"unsupported_language": "Language not supported", "truncated": "Text truncated"}
# Recorded before any script of the page runs: what the Content-Security-Policy refused.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation",
  (e) => window.__violations.push(e.violatedDirective + " " + e.blockedURI));
"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def chromium() -> None:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if not missing:
        return
    reason = f"no {' or '.join(missing)}: apt-get install chromium chromium-driver (scripts/setup-tools.sh)"
    if _in_ci():
        pytest.fail(f"CI must run the browser test of /ui, but there is {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def ui_server(chromium, tmp_path_factory) -> Iterator[Server]:
    with serve(
        tmp_path_factory.mktemp("ui"),
        API_KEYS=",".join(KEYS.values()),
        RATE_LIMIT=str(RATE_LIMIT),
        MAX_TEXT_CHARS=str(MAX_TEXT_CHARS),
        MAX_BODY_BYTES=str(MAX_BODY_BYTES),
        SAFETY_THRESHOLD=str(THRESHOLD),
    ) as running:
        yield running


@pytest.fixture(scope="module")
def reject_server(chromium, tmp_path_factory) -> Iterator[Server]:
    """Texts in another language refused (422); no keys, the default limits."""
    with serve(tmp_path_factory.mktemp("ui-reject"), UNSUPPORTED_LANGUAGE="reject") as running:
        yield running


@pytest.fixture(scope="module")
def browser(chromium) -> Iterator[Any]:
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager never downloads (it is not called: paths given)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # root, in a container
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    try:
        yield driver
    finally:
        driver.quit()


class Page:
    """The page as a person sees it: what to type and press, and what it shows."""

    def __init__(self, driver: Any, server: Server) -> None:
        from selenium.webdriver.common.by import By

        self.driver, self.server, self.by = driver, server, By
        driver.get(f"{server.url}/ui")
        assert driver.execute_script("return document.readyState") == "complete"

    def find(self, css: str, within: Any = None) -> Any:
        return (within or self.driver).find_element(self.by.CSS_SELECTOR, css)

    def find_all(self, css: str, within: Any = None) -> list[Any]:
        return list((within or self.driver).find_elements(self.by.CSS_SELECTOR, css))

    def type(self, text: str, key: str | None = None) -> None:
        self.find("#text").send_keys(text)
        if key is not None:
            self.find("#api-key").send_keys(key)

    def paste(self, text: str) -> None:
        """Put a long text in at once, as pasting does (typing 1,000 characters takes seconds)."""
        self.driver.execute_script(
            "const t = document.getElementById('text'); t.value = arguments[0];"
            "t.dispatchEvent(new Event('input'));",
            text,
        )

    def submit(self) -> None:
        self.find("#submit").click()

    def wait_for_answer(self) -> str:
        """'results' or 'error', whichever the page shows once its request is over."""
        from selenium.webdriver.support.ui import WebDriverWait

        def answered(driver: Any) -> str | None:
            if self.find("#app").get_attribute("aria-busy"):
                return None
            for shown in ("results", "error"):
                if self.find(f"#{shown}").is_displayed():
                    return shown
            return None

        shown: str = WebDriverWait(self.driver, WAIT_S).until(answered)
        return shown

    def error(self) -> str:
        return str(self.find("#error").text)

    def bars(self, list_id: str) -> dict[str, tuple[str, float, str]]:
        """Per row of a bar list: the number shown, the meter's aria-valuenow and aria-valuetext."""
        rows = {}
        for row in self.find_all(f"#{list_id} li"):
            meter = self.find("[role=meter]", row)
            rows[row.get_attribute("data-label")] = (
                self.find(".value", row).text,
                float(meter.get_attribute("aria-valuenow")),
                meter.get_attribute("aria-valuetext"),
            )
        return rows

    def shown(self) -> dict[str, Any]:
        """Every value of the results, read back from the page."""
        safety = {
            row.get_attribute("data-label"): row.get_attribute("data-flagged")
            for row in self.find_all("#safety li")
        }
        pii = {
            item.get_attribute("data-kind"): int(self.find(".count", item).text)
            for item in self.find_all("#pii li[data-kind]")
        }
        return {
            "emotion": self.find("#emotion").text,
            "scores": self.bars("scores"),
            "vad": self.bars("vad"),
            "safety": self.bars("safety"),
            "flagged": safety,
            "verdict": self.find("#verdict").text,
            "style": self.find("#style").text,
            "intent": self.find("#intent").text,
            "pii": pii,
            "time": self.find("#time").text,
            "model": self.find("#model").text,
            "language": self.find("#language").text,
            "confidence": self.find("#confidence").text,
            "supported": self.find("#supported").text,
            "tokens": self.find("#tokens").text,
            "truncated": self.find("#truncated").text,
            "warnings": [
                (item.get_attribute("data-code"), item.text) for item in self.find_all("#warning-list li")
            ],
            "notice": self.find("#warnings").is_displayed(),
            "status": self.find("#status").text,
        }

    def screenshot(self, name: str) -> Path:
        """The whole page (beyond the viewport) as a PNG under reports/ui/."""
        size = self.driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
        shot = self.driver.execute_cdp_cmd(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
        )
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"fingerprint-{name}.png"
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def assert_private_and_same_origin(self, *texts: str) -> None:
        """Nothing refused by the CSP, no request to another origin, nothing stored, no text logged."""
        driver = self.driver
        assert driver.execute_script("return window.__violations") == []
        urls = driver.execute_script(
            "return performance.getEntriesByType('navigation')"
            ".concat(performance.getEntriesByType('resource')).map((e) => e.name)"
        )
        assert f"{self.server.url}/fingerprint" in urls  # the page's own requests are seen
        assert all(url.startswith(f"{self.server.url}/") for url in urls), urls
        assert driver.execute_script("return [localStorage.length, sessionStorage.length]") == [0, 0]
        assert driver.execute_script("return document.cookie") == ""
        logged = " ".join(entry["message"] for entry in driver.get_log("browser"))
        for text in texts:
            assert text[:20] not in logged


def api(server: Server, text: str, key: str | None = None) -> httpx.Response:
    headers = {"X-API-Key": key} if key else {}
    return httpx.post(f"{server.url}/fingerprint", json={"text": text}, headers=headers, timeout=30)


def percent(value: str) -> float:
    match = re.fullmatch(r"(\d+\.\d)%", value)
    assert match, value
    return float(match[1]) / 100


def assert_page_matches(shown: dict[str, Any], answer: dict[str, Any]) -> None:
    """The page shows the API's answer for the same text (to the precision it prints)."""
    scores = answer["emotion_scores"]
    assert shown["emotion"].lower() == answer["emotion"]
    assert list(shown["scores"]) == sorted(EMOTIONS, key=lambda e: -shown["scores"][e][1])
    assert set(shown["scores"]) == set(EMOTIONS)
    for emotion, (value, now, text) in shown["scores"].items():
        assert percent(value) == pytest.approx(scores[emotion], abs=0.0005 + 1e-4), emotion
        assert now == pytest.approx(scores[emotion], abs=1e-4)
        assert text == value
    assert list(shown["vad"]) == list(VAD_DIMENSIONS)
    for dimension, (value, now, _) in shown["vad"].items():
        assert float(value) == pytest.approx(answer["vad"][dimension], abs=0.0005 + 1e-4), dimension
        assert now == pytest.approx(answer["vad"][dimension], abs=1e-4)
    categories = answer["safety"]["categories"]
    assert list(shown["safety"]) == list(SAFETY_CATEGORIES)
    for category, (value, _, _) in shown["safety"].items():
        assert percent(value) == pytest.approx(categories[category], abs=0.0005 + 1e-4), category
    assert shown["flagged"] == {c: str(p >= THRESHOLD).lower() for c, p in categories.items()}
    assert shown["verdict"] == ("Safe" if answer["safety"]["safe"] else "Flagged as unsafe")
    assert (shown["style"].lower(), shown["intent"].lower()) == (answer["style"], answer["intent"])
    assert shown["pii"] == answer["pii"]["counts"]
    assert re.fullmatch(r"\d+\.\d ms", shown["time"]), shown["time"]
    assert shown["model"] == f"{answer['model']['name']}:{answer['model']['version']}"
    assert shown["status"].startswith(f"Done. Dominant emotion: {answer['emotion']} (")
    language = answer["language"]
    assert re.fullmatch(rf"\w[\w ]* \({language['code']}\)(: too few letters to tell)?", shown["language"])
    assert percent(shown["confidence"]) == pytest.approx(language["confidence"], abs=0.0005 + 1e-4)
    assert shown["supported"] == ("Yes" if language["supported"] else "No: the model reads English only")
    tokens = answer["tokens"]
    assert shown["tokens"] == f"{tokens:,} token{'' if tokens == 1 else 's'}"
    assert shown["truncated"] == (
        "Yes: the model read only the start" if answer["truncated"] else "No: the model read all of it"
    )
    # Every warning, in the API's order: what it is about, then the service's own message.
    assert [code for code, _ in shown["warnings"]] == [w["code"] for w in answer["warnings"]]
    for (_, notice), warning in zip(shown["warnings"], answer["warnings"], strict=True):
        assert notice.startswith(WARNING_TITLES[warning["code"]])
        assert notice.endswith(f": {warning['message']}.")
        assert notice in shown["status"]  # read out by the live region too
    assert shown["notice"] == bool(answer["warnings"])


def test_the_page_shows_what_the_api_answers(browser, ui_server: Server):
    response = httpx.get(f"{ui_server.url}/ui")  # the page itself needs no key
    assert (response.status_code, response.headers["content-type"]) == (200, "text/html; charset=utf-8")
    page = Page(browser, ui_server)
    assert page.find("#key-row").is_displayed()  # the service asks for keys: the page offers the field
    assert page.find("label[for=text]").text == "Text to analyse"
    page.type(TEXT)
    page.submit()
    assert page.wait_for_answer() == "error"
    assert page.error() == (
        "The service needs a valid API key (HTTP 401): missing or invalid API key "
        "(Authorization: Bearer <key> or X-API-Key)."
    )
    assert browser.switch_to.active_element.get_attribute("id") == "api-key"

    page.find("#api-key").send_keys(KEYS["main"])
    page.submit()
    assert page.wait_for_answer() == "results"
    shown = page.shown()
    answer = api(ui_server, TEXT, KEYS["main"]).json()
    assert_page_matches(shown, answer)
    assert shown["pii"] == {"EMAIL": 1, "PHONE": 1}
    assert [item.text for item in page.find_all("#pii li")] == ["1 email address", "1 phone number"]
    assert "jane.doe" not in page.find("#results").text and "7946" not in page.find("#results").text
    page.screenshot("desktop")

    page.find("#text").clear()
    page.type(THREAT)
    page.submit()
    assert page.wait_for_answer() == "results"
    shown, answer = page.shown(), api(ui_server, THREAT, KEYS["main"]).json()
    assert shown["flagged"]["threatening"] == "true" and shown["verdict"] == "Flagged as unsafe"
    assert_page_matches(shown, answer)
    page.assert_private_and_same_origin(TEXT, THREAT)
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy


def test_keyboard_only(browser, ui_server: Server):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    page = Page(browser, ui_server)

    def press() -> ActionChains:
        return ActionChains(browser)

    focused = []
    for _ in range(3):  # from the top of the page, Tab reaches the text box first
        press().send_keys(Keys.TAB).perform()
        focused.append(browser.switch_to.active_element.get_attribute("id"))
    assert focused == ["text", "api-key", "submit"]
    press().key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).send_keys(KEYS["keyboard"]).perform()
    press().key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).send_keys(THREAT).perform()
    press().key_down(Keys.CONTROL).send_keys(Keys.ENTER).key_up(Keys.CONTROL).perform()
    assert page.wait_for_answer() == "results"
    assert page.find("#emotion").text.lower() == api(ui_server, THREAT, KEYS["keyboard"]).json()["emotion"]
    assert page.find("#text").get_attribute("value") == THREAT  # Ctrl+Enter added no line break

    # Screen readers: a live status line, 11 labelled meters with their values in words.
    assert page.find("#status").get_attribute("aria-live") == "polite"
    meters = page.find_all("#scores [role=meter]")
    assert len(meters) == len(EMOTIONS)
    for meter in meters:
        label = page.find("#" + meter.get_attribute("aria-labelledby")).text
        assert label.lower() in EMOTIONS and meter.get_attribute("aria-valuetext").endswith("%")

    sent = (
        "return performance.getEntriesByType('resource')"
        ".filter((e) => e.name.endsWith('/fingerprint')).length"
    )
    before = browser.execute_script(sent)
    press().send_keys(Keys.TAB, Keys.TAB).perform()  # to the button, then Space presses it
    assert browser.switch_to.active_element.get_attribute("id") == "submit"
    press().send_keys(Keys.SPACE).perform()
    assert page.wait_for_answer() == "results"
    assert browser.execute_script(sent) == before + 1  # Space sent the request (the old answer was on screen)
    assert page.find("#status").text.startswith("Done. Dominant emotion:")


def test_fits_a_phone_screen(browser, ui_server: Server):
    metrics = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    try:
        page = Page(browser, ui_server)
        page.type(TEXT, key=KEYS["phone"])
        page.submit()
        assert page.wait_for_answer() == "results"
        # The viewport meta makes the layout as wide as the screen; nothing is wider.
        width, scroll = browser.execute_script(
            "return [window.innerWidth, document.documentElement.scrollWidth]"
        )
        assert (width, scroll) == (390, 390)
        widest = browser.execute_script(
            "return Math.max(...[...document.querySelectorAll('body *')]"
            ".map((e) => e.getBoundingClientRect().right))"
        )
        assert widest <= 390
        page.screenshot("phone")
        page.paste(SPANISH)  # the warning's notice fits too
        page.submit()
        assert page.wait_for_answer() == "results"
        assert page.find("#warnings").is_displayed()
        assert browser.execute_script("return document.documentElement.scrollWidth") == 390
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_errors_are_shown_in_words(browser, ui_server: Server):
    page = Page(browser, ui_server)
    page.find("#api-key").send_keys(KEYS["errors"])
    page.submit()  # nothing typed: no request
    assert page.wait_for_answer() == "error"
    assert page.error() == "Nothing to analyse: type or paste a text first."

    too_long = "This sentence is fine on its own. " * 12  # over 300 characters, under 1,024 bytes
    answer = api(ui_server, too_long, KEYS["errors"])
    assert answer.status_code == 400
    page.paste(too_long)
    assert (
        page.find("#counter").text
        == f"{len(too_long)} / {MAX_TEXT_CHARS} characters: over the service's limit"
    )
    page.submit()
    assert page.wait_for_answer() == "error"
    details = "; ".join(f"{'.'.join(d['loc'])}: {d['msg']}" for d in answer.json()["detail"])
    assert page.error() == (
        f"The service could not accept this text (HTTP 400): {answer.json()['error']}; {details}."
    )
    assert "at most 300 characters" in page.error()
    assert not page.find("#results").is_displayed()

    page.paste("x" * 2000)  # a body over MAX_BODY_BYTES
    page.submit()
    assert page.wait_for_answer() == "error"
    assert page.error() == "The text is too large for the service (HTTP 413): request body over 1024 bytes."

    offline = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd("Network.emulateNetworkConditions", offline)
    try:
        page.paste("no network here")
        page.submit()
        assert page.wait_for_answer() == "error"
    finally:
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", {**offline, "offline": False})
        browser.execute_cdp_cmd("Network.disable", {})
    assert page.error() == "Could not reach the service: check the connection and try again."


def test_a_spent_rate_limit_is_shown_with_when_to_retry(browser, ui_server: Server):
    statuses = [api(ui_server, "hello there", KEYS["spent"]).status_code for _ in range(RATE_LIMIT + 1)]
    assert statuses == [200] * RATE_LIMIT + [429]
    page = Page(browser, ui_server)
    page.type("hello again", key=KEYS["spent"])
    page.submit()
    assert page.wait_for_answer() == "error"
    match = re.fullmatch(
        r"Too many requests: the rate limit is reached \(HTTP 429\): "
        rf"rate limit of {RATE_LIMIT} requests per 600 s exceeded; try again in (\d+) s\.",
        page.error(),
    )
    assert match and 0 < int(match[1]) <= 600, page.error()


def _runner_worker(server: Server) -> psutil.Process:
    for child in psutil.Process(server.pid).children(recursive=True):
        command = " ".join(child.cmdline())
        if "_bentoml_impl.worker.service" in command and "miyraa_runner" in command:
            return child
    raise LookupError("no runner worker found")


def test_a_stopped_model_is_shown_as_unavailable(browser, ui_server: Server):
    """The runner's worker frozen (SIGSTOP): the runner call times out, the API answers 503."""
    page = Page(browser, ui_server)
    page.type("is anyone there?", key=KEYS["busy"])
    runner = _runner_worker(ui_server)
    runner.send_signal(signal.SIGSTOP)
    try:
        page.submit()
        assert page.wait_for_answer() == "error"
    finally:
        runner.send_signal(signal.SIGCONT)
    assert re.fullmatch(
        r"The service is busy or its model is unavailable \(HTTP 503\): "
        r"the model is temporarily unavailable; retry after 1 s; trace id [0-9a-f]{32}\.",
        page.error(),
    ), page.error()
    # The service recovers once the runner answers again (polled: the key's rate limit is small).
    deadline = time.monotonic() + WAIT_S
    while httpx.get(f"{ui_server.url}/readyz", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, "not ready again after SIGCONT"
        time.sleep(0.5)
    while (status := api(ui_server, "back again", KEYS["busy"]).status_code) == 503:
        assert time.monotonic() < deadline, "the API still answers 503 after SIGCONT"
        time.sleep(0.5)
    assert status == 200


def test_a_text_in_another_language_is_shown_with_its_warning(browser, ui_server: Server):
    page = Page(browser, ui_server)
    page.type(SPANISH, key=KEYS["language"])
    page.submit()
    assert page.wait_for_answer() == "results"
    shown = page.shown()
    answer = api(ui_server, SPANISH, KEYS["language"]).json()
    assert answer["language"]["code"] == "es" and not answer["language"]["supported"]
    assert [w["code"] for w in answer["warnings"]] == ["unsupported_language"]
    assert_page_matches(shown, answer)
    assert shown["language"] == "Spanish (es)"
    (message,) = (w["message"] for w in answer["warnings"])
    assert shown["warnings"] == [("unsupported_language", f"Language not supported (Spanish): {message}.")]
    assert page.find("#warnings-title").text == "Read this first"
    # The notice comes before the results: above the dominant emotion.
    notice, first = page.find("#warnings"), page.find("#emotion-title")
    assert notice.location["y"] + notice.size["height"] <= first.location["y"]
    page.screenshot("language")
    page.assert_private_and_same_origin(SPANISH)


def test_a_truncated_text_and_a_refused_language(browser, reject_server: Server):
    """A text over 256 tokens: its length and the truncation shown; under
    UNSUPPORTED_LANGUAGE=reject, the 422 in words, naming the language refused."""
    page = Page(browser, reject_server)
    assert not page.find("#key-row").is_displayed()  # no API keys on this server
    page.paste(LONG)
    page.submit()
    assert page.wait_for_answer() == "results"
    shown = page.shown()
    answer = api(reject_server, LONG).json()
    assert answer["truncated"] and answer["tokens"] > 256
    assert_page_matches(shown, answer)
    assert shown["language"] == "English (en)" and shown["supported"] == "Yes"
    assert shown["tokens"] == f"{answer['tokens']:,} tokens"
    assert shown["truncated"] == "Yes: the model read only the start"
    (message,) = (w["message"] for w in answer["warnings"])
    assert f"the text is {answer['tokens']} tokens long; the model read the first 256" in message
    assert shown["warnings"] == [("truncated", f"Text truncated: {message}.")]
    page.screenshot("truncated")

    refused = api(reject_server, SPANISH)
    assert refused.status_code == 422
    body = refused.json()
    page.find("#text").clear()
    page.type(SPANISH)
    page.submit()
    assert page.wait_for_answer() == "error"
    confidence = f"{body['language']['confidence'] * 100:.1f}%"
    assert page.error() == (
        f"The service refused the text's language (HTTP 422): the text looks like Spanish "
        f"(es, {confidence} confidence), which the model does not read; {body['error']}."
    )
    assert not page.find("#results").is_displayed()
    page.assert_private_and_same_origin(LONG, SPANISH)
