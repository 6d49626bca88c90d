"""Locust profile: single texts against POST /fingerprint, about 10% carrying PII.

    .venv/bin/locust -f loadtest/locustfile.py --host http://localhost:3000 \
        --headless --users 16 --spawn-rate 4 --run-time 60s
"""

from __future__ import annotations

import random
import uuid

from locust import HttpUser, between, task

TEXTS = [
    "We finally got the keys to our first flat today!!",
    "The meeting has moved to room 4 at 3pm on Thursday.",
    "I can't believe they cancelled my flight again without any notice, this is the third time.",
    "honestly just sitting on the porch with tea, nothing to do, bliss",
    "wait which form do I need, the blue one or the green one??",
    "My grandmother passed away last night and I keep replaying our last phone call.",
    "Ugh, there was a hair baked into my croissant. Never going back there.",
    "Thank you so much for the flowers, they made my whole week.",
]
PII_TEXTS = [
    "so happy!! email me at jane.doe+news@example.com when you land",
    "call me on +1 415 555 0132 after 6, can't wait to hear the news",
]


class FingerprintUser(HttpUser):
    """An app sending one text per request, with a short think time."""

    wait_time = between(0.05, 0.2)

    def on_start(self) -> None:
        self.client_id = f"locust-{uuid.uuid4().hex[:8]}"  # one rate-limit bucket per user

    @task
    def fingerprint(self) -> None:
        text = random.choice(PII_TEXTS) if random.random() < 0.1 else random.choice(TEXTS)
        self.client.post("/fingerprint", json={"text": text, "client_id": self.client_id})
