"""`miyraa score` and `miyraa fingerprint` with a fake scorer: files, resume, errors, summary."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import signal
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from miyraa import cli
from miyraa.client import Limits, MiyraaError
from miyraa.progress import Progress
from miyraa.rowfiles import columns, flat
from miyraa.schemas import Fingerprint, ItemError, Language
from tests.fakes import Clock, fake_fingerprint

LIMITS = Limits(64, 100_000, 60)
REFUSED = ItemError(
    error="unsupported language: the text looks like es (confidence 0.99); the model reads English only",
    status=422,
    language=Language(code="es", confidence=0.99, supported=False),
)
INVALID = {"error": "invalid request body: 1 problem (see detail)", "detail": [{"type": "string_too_long"}]}


class FakeScorer:
    """Answers as the service would (tests.fakes.fake_fingerprint); a batch holding "BAD" gets
    400, as the service refuses a whole batch for one bad text. ``on_batch(n)`` runs before
    the n-th answer (it may raise)."""

    def __init__(self, limits: Limits = LIMITS, on_batch: Callable[[int], None] | None = None):
        self.batches: list[list[str]] = []
        self._limits = limits
        self.on_batch = on_batch
        self.closed = False

    async def fingerprint_batch(self, texts: Sequence[str]) -> list[Fingerprint | ItemError]:
        self.batches.append(list(texts))
        await asyncio.sleep(0)
        if self.on_batch:
            self.on_batch(len(self.batches))
        await asyncio.sleep(0)
        if any("BAD" in text for text in texts):
            raise MiyraaError(400, INVALID)
        # "hola" stands for a text refused for its language (UNSUPPORTED_LANGUAGE=reject)
        return [REFUSED if "hola" in text else fake_fingerprint(text) for text in texts]

    async def limits(self) -> Limits:
        return self._limits

    async def aclose(self) -> None:
        self.closed = True

    def sent(self) -> list[str]:
        return [text for batch in self.batches for text in batch]


@pytest.fixture
def scorer(monkeypatch) -> FakeScorer:
    fake = FakeScorer()
    monkeypatch.setattr(cli, "AsyncClient", lambda *args, **kwargs: fake)
    return fake


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def texts(n: int) -> list[str]:
    return [f"text number {i} " + "x" * (i % 7) + ("@" if i % 5 == 0 else "") for i in range(n)]


def run(*argv: str) -> int:
    return cli.main(["score", *argv])


def test_csv_in_csv_out_every_row_once_with_its_columns_and_fingerprint(tmp_path, scorer, capsys):
    rows = [{"id": f"r{i}", "text": t, "lang": "en"} for i, t in enumerate(texts(37))]
    rows[3]["text"] = 'multi\nline, "quoted" text'
    source = write_csv(tmp_path / "in.csv", rows)
    assert (
        run(str(source), "--out", str(tmp_path / "out.csv"), "--batch-size", "8", "--concurrency", "3") == 0
    )
    out = read_csv(tmp_path / "out.csv")
    assert sorted(int(r["row"]) for r in out) == list(range(1, 38))
    assert list(out[0]) == ["row", "id", "text", "lang", *columns(), "error"]
    for record in out:
        original = rows[int(record["row"]) - 1]
        assert {k: record[k] for k in original} == original
        expected = flat(fake_fingerprint(original["text"]))
        assert record["emotion"] == expected["emotion"]
        assert float(record["emotion_scores.joy"]) == pytest.approx(expected["emotion_scores.joy"])
        assert record["pii.counts.EMAIL"] == str(expected["pii.counts.EMAIL"])
        assert record["error"] == ""
    assert sorted(scorer.sent()) == sorted(r["text"] for r in rows)
    assert [len(b) for b in scorer.batches].count(8) == 4 and scorer.closed


def test_summary_counts_rows_emotions_unsafe_and_pii(tmp_path, scorer, capsys):
    sample = ["I will kill it @", "a", "bb", "kill", "hello@x"]
    source = write_csv(tmp_path / "in.csv", [{"text": t} for t in sample])
    assert run(str(source), "--out", str(tmp_path / "out.jsonl")) == 0
    fingerprints = [fake_fingerprint(t) for t in sample]
    mix = Counter(f.emotion for f in fingerprints).most_common()
    summary = capsys.readouterr().out.splitlines()
    assert summary[0] == "5 rows: 5 scored, 0 with an error"
    assert summary[1] == "emotion mix: " + ", ".join(f"{label} {n / 5:.1%}" for label, n in mix)
    assert summary[2] == "flagged unsafe: 40.0% (2 rows)"
    assert summary[3] == "PII removed: EMAIL 2 (in 2 rows)"
    assert summary[4].endswith(" s)") and "rows/s" in summary[4]


def test_jsonl_with_id_column_keys_rows_by_id_and_nests_the_answer(tmp_path, scorer):
    source = tmp_path / "in.jsonl"
    lines = [{"id": 100 + i, "body": t, "meta": {"n": i}} for i, t in enumerate(texts(5))]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines) + "\n")
    out = tmp_path / "out.jsonl"
    assert run(str(source), "--out", str(out), "--column", "body", "--id-column", "id", "--drop-text") == 0
    records = sorted((json.loads(line) for line in out.read_text().splitlines()), key=lambda r: r["id"])
    assert records == [
        {
            "id": line["id"],
            "meta": line["meta"],
            "fingerprint": fake_fingerprint(line["body"]).model_dump(mode="json"),
        }
        for line in lines
    ]


def test_rows_that_cannot_be_scored_get_their_error_and_the_rest_are_scored(tmp_path, scorer, capsys):
    sample = ["fine one", "", "   ", "x" * 61, "a BAD one", "fine two", "fine three"]
    source = write_csv(tmp_path / "in.csv", [{"text": t} for t in sample])
    out = tmp_path / "out.csv"
    assert run(str(source), "--out", str(out), "--batch-size", "4") == 1
    errors = {int(r["row"]): r["error"] for r in read_csv(out)}
    assert errors == {
        1: "",
        2: "empty text",
        3: "empty text",
        4: "text of 61 characters; the service takes at most 60",
        5: "400: invalid request body: 1 problem (see detail) (string_too_long)",
        6: "",
        7: "",
    }
    # the refused batch was sent again text by text: only the bad one failed
    assert scorer.batches == [
        ["fine one", "a BAD one", "fine two", "fine three"],
        ["fine one"],
        ["a BAD one"],
        ["fine two"],
        ["fine three"],
    ]
    assert capsys.readouterr().out.startswith("7 rows: 3 scored, 4 with an error (see the 'error' field of")


def test_jsonl_rows_without_the_text_or_not_objects_get_errors(tmp_path, scorer):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "ok"}\n[1, 2]\n{"other": 1}\n{"text": 5}\nnot json\n')
    out = tmp_path / "out.jsonl"
    assert run(str(source), "--out", str(out)) == 1
    errors = {r["row"]: r.get("error") for r in map(json.loads, out.read_text().splitlines())}
    assert errors == {
        1: None,
        2: "not a JSON object",
        3: "no field 'text'",
        4: "'text' is not a string",
        5: "not a JSON object",
    }


@pytest.mark.parametrize(
    ("content", "argv", "message"),
    [
        (b"id,body\n1,hi\n", [], "has no column 'text'; its columns: id, body"),
        (b"id,text\n1,hi\n", ["--id-column", "key"], "has no column 'key'"),
        (b"text\n\xff\xfe bad\n", [], "is not UTF-8 text"),
        (b"", [], "is empty: a CSV file needs a header row"),
        (b"id,text\n1,a\n1,b\n", ["--id-column", "id"], "holds the same id in rows 1 and 2"),
        (b"text,emotion\nhi,joy\n", [], "'emotion' would clash with the output's"),
    ],
)
def test_bad_input_is_a_message_and_exit_2(tmp_path, scorer, capsys, content, argv, message):
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    assert run(str(source), "--out", str(tmp_path / "out.csv"), *argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert scorer.batches == []


def test_missing_file_unknown_extension_and_same_file(tmp_path, scorer, capsys):
    assert run(str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o.csv")) == 2
    assert "cannot read" in capsys.readouterr().err
    source = write_csv(tmp_path / "in.csv", [{"text": "hi"}])
    assert run(str(source), "--out", str(tmp_path / "o.parquet")) == 2
    assert "unknown file type '.parquet'" in capsys.readouterr().err
    assert run(str(source), "--out", str(source)) == 2
    assert "another file than the input" in capsys.readouterr().err
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"body": "x"}\n')
    assert run(str(jsonl), "--out", str(tmp_path / "o.jsonl")) == 2
    assert "no row has a field 'text'" in capsys.readouterr().err


def test_interrupted_run_keeps_finished_rows_and_resume_scores_only_the_rest(tmp_path, monkeypatch, capsys):
    sample = texts(60)
    source = write_csv(tmp_path / "in.csv", [{"text": t} for t in sample])
    out = tmp_path / "out.csv"

    def interrupt(n: int) -> None:
        if n == 3:
            os.kill(os.getpid(), signal.SIGINT)

    first = FakeScorer(on_batch=interrupt)
    monkeypatch.setattr(cli, "AsyncClient", lambda *args, **kwargs: first)
    assert run(str(source), "--out", str(out), "--batch-size", "5", "--concurrency", "1") == 130
    assert "interrupted: every finished row is in" in capsys.readouterr().out
    written = [r["text"] for r in read_csv(out)]
    assert written == first.sent()  # every answered batch written, nothing else
    assert 15 <= len(written) < 60

    second = FakeScorer()
    monkeypatch.setattr(cli, "AsyncClient", lambda *args, **kwargs: second)
    assert run(str(source), "--out", str(out), "--batch-size", "5") == 0
    assert sorted(second.sent()) == sorted(set(sample) - set(written))
    final = read_csv(out)
    assert sorted(int(r["row"]) for r in final) == list(range(1, 61))
    assert f"{len(written)} already in" in capsys.readouterr().out


@pytest.mark.parametrize(("status", "exit_status"), [(503, 1), (0, 1), (401, 1), (502, 1), (308, 1)])
def test_a_failing_service_stops_the_run_without_marking_rows(
    tmp_path, monkeypatch, capsys, status, exit_status
):
    def fail(n: int) -> None:
        if n >= 2:
            raise MiyraaError(status, {"error": "nope"})

    fake = FakeScorer(on_batch=fail)
    monkeypatch.setattr(cli, "AsyncClient", lambda *args, **kwargs: fake)
    source = write_csv(tmp_path / "in.csv", [{"text": t} for t in texts(20)])
    out = tmp_path / "out.csv"
    assert run(str(source), "--out", str(out), "--batch-size", "5", "--concurrency", "1") == exit_status
    assert [r["error"] for r in read_csv(out)] == [""] * 5  # only the first batch, no row marked failed
    assert "stopped: " in capsys.readouterr().out


def test_a_row_cut_short_is_dropped_and_scored_again(tmp_path, scorer):
    source = write_csv(tmp_path / "in.csv", [{"text": t} for t in texts(6)])
    out = tmp_path / "out.jsonl"
    out.write_text(
        json.dumps({"row": 1, "text": texts(6)[0], "fingerprint": {}}) + "\n" + '{"row": 2, "text": "text num'
    )
    assert run(str(source), "--out", str(out)) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["row"] for r in records) == [1, 2, 3, 4, 5, 6]
    assert sorted(scorer.sent()) == sorted(texts(6)[1:])


def test_a_csv_record_cut_inside_a_multiline_text_is_dropped(tmp_path, scorer):
    rows = [{"text": "first"}, {"text": "line one\nline two"}, {"text": "third"}]
    source = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    assert run(str(source), "--out", str(out)) == 0
    whole = out.read_bytes()
    out.write_bytes(whole[: whole.index(b"line one\n") + len(b"line one\n")])  # cut inside row 2's text
    scorer.batches.clear()
    assert run(str(source), "--out", str(out)) == 0
    assert scorer.sent() == ["line one\nline two", "third"]
    assert [(r["row"], r["text"]) for r in read_csv(out)] == [
        ("1", "first"),
        ("2", "line one\nline two"),
        ("3", "third"),
    ]


def test_resume_refuses_an_output_with_other_columns(tmp_path, scorer, capsys):
    source = write_csv(tmp_path / "in.csv", [{"text": "hi", "a": "1"}])
    out = tmp_path / "out.csv"
    out.write_text("row,text,emotion\n1,hi,joy\n")
    assert run(str(source), "--out", str(out)) == 2
    assert "exists with other columns" in capsys.readouterr().err


def test_retry_errors_scores_again_only_the_rows_with_an_error(tmp_path, scorer):
    source = write_csv(tmp_path / "in.csv", [{"text": t} for t in ["one", "a BAD one", "three"]])
    out = tmp_path / "out.csv"
    assert run(str(source), "--out", str(out)) == 1
    source.write_text("text\none\na fixed one\nthree\n")
    scorer.batches.clear()
    assert run(str(source), "--out", str(out), "--retry-errors") == 0
    assert scorer.batches == [["a fixed one"]]
    final = read_csv(out)
    assert sorted((r["row"], r["error"]) for r in final) == [("1", ""), ("2", ""), ("3", "")]
    assert [r["row"] for r in final] == ["1", "3", "2"]  # the rows kept in place, the new one after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "out.csv"]  # no file left behind


def test_fingerprint_prints_a_readable_summary_or_the_json(monkeypatch, capsys):
    answer = fake_fingerprint("I will kill it, mail me@x")

    class FakeClient:
        def __init__(self, url: str, api_key: str | None) -> None:
            self.url, self.api_key = url, api_key

        def __enter__(self) -> FakeClient:
            return self

        def __exit__(self, *exc: Any) -> None:
            pass

        def fingerprint(self, text: str) -> Fingerprint:
            return fake_fingerprint(text)

    monkeypatch.setattr(cli, "Client", FakeClient)
    assert cli.main(["fingerprint", "I will kill it, mail me@x"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"emotion      {answer.emotion} 90% (then ")
    assert lines[2] == "safety       UNSAFE, risk 0.90 (highest: threatening)"
    assert lines[5] == "PII removed  EMAIL x1"
    assert cli.main(["fingerprint", "--json", "I will kill it, mail me@x"]) == 0
    assert Fingerprint.model_validate_json(capsys.readouterr().out) == answer


def test_fingerprint_reports_the_services_error_without_a_traceback(monkeypatch, capsys):
    class Refusing:
        def __init__(self, *args: Any) -> None:
            pass

        def __enter__(self) -> Refusing:
            return self

        def __exit__(self, *exc: Any) -> None:
            pass

        def fingerprint(self, text: str) -> Fingerprint:
            raise MiyraaError(400, INVALID)

    monkeypatch.setattr(cli, "Client", Refusing)
    assert cli.main(["fingerprint", " "]) == 2
    assert (
        capsys.readouterr().err
        == "miyraa: 400: invalid request body: 1 problem (see detail) (string_too_long)\n"
    )


def test_progress_plain_lines_every_interval_when_not_a_terminal():
    clock, stream = Clock(), io.StringIO()
    progress = Progress(1000, stream, tty=False, every_s=10, clock=clock)
    clock.now = 4
    progress.advance(100)
    assert stream.getvalue() == ""  # not yet 10 s
    clock.now = 10
    progress.advance(150, errors=2)
    clock.now = 130
    progress.advance(0)
    assert stream.getvalue().splitlines() == [
        "250/1,000 rows (25%), 25.0 rows/s, 0:10 elapsed, ETA 0:30, 2 errors",
        "250/1,000 rows (25%), 1.9 rows/s, 2:10 elapsed, ETA 6:30, 2 errors",
    ]


def test_progress_bar_redraws_one_line_on_a_terminal():
    clock, stream = Clock(), io.StringIO()
    progress = Progress(200, stream, tty=True, clock=clock)
    clock.now = 2
    progress.advance(100)
    progress.close()
    assert stream.getvalue() == (
        "\r\x1b[K[############------------] 100/200 rows  50%   50.0 rows/s ETA 0:02" * 2 + "\n"
    )


def test_a_text_refused_for_its_language_gets_its_error_and_its_batch_is_not_sent_again(
    tmp_path, scorer, capsys
):
    sample = ["fine one", "hola amigos, que tal", "fine two"]
    source = write_csv(tmp_path / "in.csv", [{"text": t} for t in sample])
    out = tmp_path / "out.csv"
    assert run(str(source), "--out", str(out)) == 1
    rows = {int(r["row"]): r for r in read_csv(out)}
    assert rows[2]["error"] == f"422: {REFUSED.error}" and rows[2]["emotion"] == ""
    assert rows[1]["error"] == rows[3]["error"] == "" and rows[1]["emotion"]
    assert scorer.batches == [sample]  # one batch: the refusal is per text, not a failed call
    assert capsys.readouterr().out.startswith("3 rows: 2 scored, 1 with an error")


def test_a_csv_output_cut_inside_a_character_is_resumed(tmp_path, scorer):
    rows = [{"text": "first"}, {"text": "un café très bon 😂"}, {"text": "third"}]
    source = write_csv(tmp_path / "in.csv", rows)
    out = tmp_path / "out.csv"
    assert run(str(source), "--out", str(out)) == 0
    whole = out.read_bytes()
    out.write_bytes(whole[: whole.index("😂".encode()) + 2])  # two of the emoji's four bytes
    scorer.batches.clear()
    assert run(str(source), "--out", str(out)) == 0
    assert scorer.sent() == ["un café très bon 😂", "third"]
    assert [r["text"] for r in read_csv(out)] == ["first", "un café très bon 😂", "third"]


def test_resume_cuts_the_file_in_place_and_keeps_every_finished_row(tmp_path, scorer):
    source = write_csv(tmp_path / "in.csv", [{"text": t} for t in texts(4)])
    out = tmp_path / "out.jsonl"
    assert run(str(source), "--out", str(out)) == 0
    whole = out.read_bytes()
    out.write_bytes(whole + b'{"row": 5, "te')  # a row cut short after four whole ones
    inode = out.stat().st_ino
    assert run(str(source), "--out", str(out)) == 0
    assert (out.read_bytes(), out.stat().st_ino) == (whole, inode)  # truncated, not rewritten
    assert not list(tmp_path.glob(".out.jsonl.*"))


def test_jsonl_fields_of_every_row_are_carried_not_only_the_first_rows(tmp_path, scorer):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "hi"}\n{"text": "yo", "lang": "en"}\n{"text": "ok", "n": 3}\n')
    for suffix in ("jsonl", "csv"):
        out = tmp_path / f"out.{suffix}"
        assert run(str(source), "--out", str(out)) == 0
        if suffix == "jsonl":
            records = [json.loads(line) for line in out.read_text().splitlines()]
            assert [(r.get("lang"), r.get("n")) for r in records] == [(None, None), ("en", None), (None, 3)]
        else:
            assert [(r["lang"], r["n"]) for r in read_csv(out)] == [("", ""), ("en", ""), ("", "3")]


def test_a_lone_surrogate_is_that_rows_error_and_is_written_escaped(tmp_path, scorer, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"text": "hi \\ud83d", "note": "\\ud83d"}\n{"text": "fine"}\n')
    out = tmp_path / "out.jsonl"
    assert run(str(source), "--out", str(out)) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert scorer.sent() == ["fine"]
    first, second = (json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    assert first["error"] == "text is not valid Unicode (a lone surrogate)"
    assert first["note"] == "\ud83d" and "fingerprint" in second


@pytest.mark.parametrize("value", ["true", '{"k": 1}', "[1]"])
def test_an_id_that_is_not_a_string_or_number_is_bad_input(tmp_path, scorer, capsys, value):
    source = tmp_path / "in.jsonl"
    source.write_text(f'{{"id": {value}, "text": "hi"}}\n')
    assert run(str(source), "--out", str(tmp_path / "out.csv"), "--id-column", "id") == 2
    assert "ids are strings or numbers" in capsys.readouterr().err


def test_numeric_jsonl_ids_resume_from_a_csv_output(tmp_path, scorer):
    source = tmp_path / "in.jsonl"
    source.write_text(
        "".join(json.dumps({"id": i * 1.5 if i % 2 else i, "text": f"t{i}"}) + "\n" for i in range(6))
    )
    out = tmp_path / "out.csv"
    assert run(str(source), "--out", str(out), "--id-column", "id") == 0
    scorer.batches.clear()
    assert run(str(source), "--out", str(out), "--id-column", "id") == 0
    assert scorer.sent() == []  # every id found again in the output


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fingerprint", "hi", "--url", "http://[::1"], "is not a URL"),
        (["fingerprint", "hi \udcff"], "the text is not valid UTF-8"),  # argv bytes that are not UTF-8
    ],
)
def test_bad_options_are_a_message_and_exit_2(capsys, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_an_api_key_that_is_not_ascii_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.main(["fingerprint", "hi", "--api-key", "clé"])
    assert exited.value.code == 2
    assert "an API key is printable ASCII" in capsys.readouterr().err


def test_non_utf8_standard_input_is_a_message_and_exit_2(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"caf\xe9")))
    assert cli.main(["fingerprint", "-"]) == 2
    assert "standard input is not UTF-8 text (byte 3)" in capsys.readouterr().err


def test_an_error_of_ours_is_one_line_without_the_text(tmp_path, monkeypatch, capsys):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("secret text here")

    monkeypatch.setattr(cli, "Client", broken)
    monkeypatch.delenv("MIYRAA_DEBUG", raising=False)
    assert cli.main(["fingerprint", "secret text here"]) == 1
    err = capsys.readouterr().err
    assert err == "miyraa: internal error (RuntimeError); MIYRAA_DEBUG=1 shows where\n"
