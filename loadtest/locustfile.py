"""Locust profile for Miyraa: the traffic of real apps, one user class per traffic shape.

    make loadtest                         # the chat mix: starts a service, 16 users, 60 s
    make loadtest MIX=documents           # the documents mix (loadtest/run.py --mix documents)
    make loadtest HOST=http://localhost:3000 USERS=32 SPAWN_RATE=8 RUN_TIME=120s
    .venv/bin/locust -f loadtest/locustfile.py --host http://localhost:3000 --headless \\
        --users 16 --spawn-rate 4 --run-time 60s --csv reports/loadtest/locust ChatUser ReviewUser BatchUser
    .venv/bin/locust -f loadtest/locustfile.py --host http://localhost:3000 --headless \\
        --users 16 --spawn-rate 4 --run-time 60s --csv reports/loadtest/locust DocumentsUser

Two mixes (loadtest/texts.py), each a set of user classes (``MIX_USERS`` in
loadtest/run.py); name the classes on the command line, or Locust runs all of them.
The chat mix (weights are the share of users): chat messages (short, most traffic),
reviews and emails (medium and long), and a backend that sends batches. The documents
mix: 400 distinct texts of 5 to 120 words, one per request. About 10% of texts carry
personal data (emails, phones, cards, IBANs, handles, URLs), as real messages do. Each
user has its own client_id, so the per-client rate limit applies per user, not to all.
"""

from __future__ import annotations

import random
import sys
import uuid
from functools import cache
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # locust imports this file by path
from loadtest.documents import PII_SHARE, documents
from loadtest.texts import LONG, MEDIUM, PII, SHORT


def text(pool: list[str]) -> str:
    return random.choice(PII) if random.random() < PII_SHARE else random.choice(pool)


@cache
def document_texts() -> list[str]:
    """The documents mix, made once per Locust process (its PII share is built in)."""
    return documents()


class _MiyraaUser(HttpUser):
    abstract = True

    def on_start(self) -> None:
        self.client_id = f"locust-{uuid.uuid4().hex[:8]}"

    def fingerprint(self, message: str) -> None:
        self.client.post("/fingerprint", json={"text": message, "client_id": self.client_id})


class ChatUser(_MiyraaUser):
    """A chat app: short messages, one per request, brief pauses."""

    weight = 6
    wait_time = between(0.05, 0.3)

    @task
    def chat(self) -> None:
        self.fingerprint(text(SHORT))


class ReviewUser(_MiyraaUser):
    """Reviews, emails and posts: medium and long texts."""

    weight = 3
    wait_time = between(0.1, 0.5)

    @task(3)
    def medium(self) -> None:
        self.fingerprint(text(MEDIUM))

    @task(1)
    def long(self) -> None:
        self.fingerprint(text(LONG))


class BatchUser(_MiyraaUser):
    """A backend job scoring 4-16 texts of every length per request."""

    weight = 1
    wait_time = between(0.5, 1.5)

    @task
    def batch(self) -> None:
        texts = [text(random.choice((SHORT, SHORT, MEDIUM, LONG))) for _ in range(random.randint(4, 16))]
        self.client.post(
            "/fingerprint/batch",
            json={"texts": texts, "client_id": self.client_id},
            name="/fingerprint/batch",
        )


class DocumentsUser(_MiyraaUser):
    """The documents mix: short messages, longer ones, reviews, support emails and posts."""

    wait_time = between(0.05, 0.3)

    @task
    def document(self) -> None:
        self.fingerprint(random.choice(document_texts()))
