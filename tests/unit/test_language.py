"""Language identification and its rules (miyraa/language.py), and what a response says about it."""

import pytest
from pydantic import ValidationError

from miyraa.language import (
    CONFIDENCE_BOUND,
    LANGUAGES,
    METRIC_LANGUAGES,
    OTHER,
    PREFIX_CHARS,
    UNDETERMINED,
    Detection,
    language_identifier,
)
from miyraa.response import unsupported_error, warnings_for
from miyraa.schemas import ModelOutput
from miyraa.settings import Settings


@pytest.fixture(scope="module")
def identify():
    return language_identifier().detect


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Estoy muy feliz, ¡hemos ganado el campeonato!", "es"),
        ("我今天非常难过，我的狗死了。", "zh"),
        ("Je suis tellement en colère contre toi.", "fr"),
        ("Ich hasse dich, du bist ein Idiot.", "de"),
        ("bu işten bıktım artık, cidden", "tr"),
        ("الأكل كان سيء جدا، لن أعود أبدا", "ar"),
    ],
)
def test_other_languages_are_unsupported_with_high_confidence(identify, text, code):
    detection = identify(text)
    assert (detection.code, detection.supported) == (code, False)
    assert detection.confidence >= 0.9


def test_english_is_supported(identify):
    detection = identify("honestly the worst pizza I have ever eaten, never again")
    assert (detection.code, detection.supported) == ("en", True)


@pytest.mark.parametrize(
    "text", ["ok", "k", "😂😂", "👍 ok", "1234 !!", "[URL]", "[EMAIL] [HANDLE] [URL]", "?!"]
)
def test_under_three_letters_is_undetermined_and_supported(identify, text):
    assert identify(text) == Detection(UNDETERMINED, 0.0, True)


def test_a_latin_script_guess_under_the_bound_counts_as_supported(identify):
    detection = identify("Giovanni Rossi")  # a name: Italian, but not with confidence
    assert detection.code == "it"
    assert detection.confidence < CONFIDENCE_BOUND
    assert detection.supported is True


def test_a_non_latin_script_is_unsupported_even_under_the_bound(identify):
    """Cyrillic splits its confidence between Russian, Ukrainian and Bulgarian; none of it is English."""
    detection = identify("ладно, до завтра")
    assert detection.confidence < CONFIDENCE_BOUND
    assert detection.supported is False


def test_placeholders_are_not_read_as_english(identify):
    with_placeholders = identify("[HANDLE] [URL] [EMAIL] hemos ganado el campeonato [PHONE]")
    assert (with_placeholders.code, with_placeholders.supported) == ("es", False)


def test_only_the_prefix_is_read(identify):
    english = "what a lovely day it has been with all of you, thank you! "
    spanish = "Estoy muy feliz, hemos ganado el campeonato y lo celebramos toda la noche. "
    head = (english * (PREFIX_CHARS // len(english) + 1))[:PREFIX_CHARS]
    assert identify(head + spanish * 40).code == "en"  # the Spanish after the prefix is never read
    assert identify(head[:100] + spanish * 40).code == "es"  # inside it, the Spanish outweighs the English


def test_metric_labels_are_bounded(identify):
    assert len(METRIC_LANGUAGES) == 22 and METRIC_LANGUAGES[0] == "en"
    assert set(METRIC_LANGUAGES) - {UNDETERMINED} <= set(LANGUAGES)
    assert Detection("es", 0.99, False).metric_label == "es"
    assert Detection("sw", 0.99, False).metric_label == OTHER
    assert Detection(UNDETERMINED, 0.0, True).metric_label == UNDETERMINED
    every_code = {
        identify(text).metric_label for text in ("Habari yako rafiki yangu mpendwa", "ok", "hello there")
    }
    assert every_code == {OTHER, UNDETERMINED, "en"}


def _output(tokens: int) -> ModelOutput:
    return ModelOutput(
        emotion=[1.0],
        vad=[0.5] * 3,
        safety=[0.0] * 4,
        style=[1.0],
        intent=[1.0],
        tokens=tokens,
        max_tokens=256,
    )


def test_warnings_name_what_went_wrong_and_only_that():
    supported, unsupported = Detection("en", 0.98, True), Detection("es", 0.97, False)
    assert warnings_for(_output(256), supported) == []  # at the limit: nothing cut
    [truncated] = warnings_for(_output(257), supported)
    assert truncated.code == "truncated"
    assert (
        truncated.message
        == "the text is 257 tokens long; the model read the first 256 and scored only that part"
    )
    assert [w.code for w in warnings_for(_output(900), unsupported)] == ["unsupported_language", "truncated"]
    assert "looks like es (confidence 0.97)" in warnings_for(_output(5), unsupported)[0].message


def test_the_refusal_of_a_text_carries_its_language_and_422():
    error = unsupported_error(Detection("fr", 0.9966, False))
    assert error.status == 422
    assert error.language.model_dump() == {"code": "fr", "confidence": 0.9966, "supported": False}
    assert error.error == (
        "unsupported language: the text looks like fr (confidence 1.00); the model reads English only"
    )


def test_the_policy_setting_takes_two_values():
    assert Settings(_env_file=None).unsupported_language == "annotate"
    assert Settings(_env_file=None, unsupported_language="REJECT").unsupported_language == "reject"
    with pytest.raises(ValidationError):
        Settings(_env_file=None, unsupported_language="drop")


def test_the_model_loads_without_a_temporary_file(monkeypatch):
    """A container's read-write /tmp is a 64 MB tmpfs; py3langid's own loader decompresses
    its 68 MB model into a temporary file there and the service failed to start."""
    import tempfile

    from miyraa.language import LanguageIdentifier

    def no_temporary_files(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_temporary_files)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", no_temporary_files)
    assert LanguageIdentifier().detect("Estoy muy feliz, hemos ganado el campeonato").code == "es"
