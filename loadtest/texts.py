"""The texts of the load test and the benchmark, by mix: ``MIXES[name](n, seed)``.

- ``chat``: chat messages, reviews and emails drawn from a few fixed texts (``mix``);
- ``documents``: hundreds of distinct texts, from 5-word messages to 120-word reviews,
  support emails and posts (``documents``, loadtest/documents.py).

About 10% of the texts of both carry personal data, as real messages do. Shared by
loadtest/locustfile.py and benchmarks/bench.py so that both measure the same mixes.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from loadtest.documents import PII_SHARE, documents

SHORT = [
    "omg we got the flat!!!",
    "running 10 min late sorry",
    "wait which form do I need??",
    "this is so gross, there's a hair in my soup",
    "miss you already ❤️",
    "ugh, cancelled AGAIN",
    "honestly just chilling with tea, bliss",
    "can't wait for friday!!",
    "see you tomorrow",
    "why is nobody answering me",
    "thank you so much!!",
    "that's terrifying, are you ok?",
]
MEDIUM = [
    "The meeting has moved to room 4 at 3pm on Thursday, please bring the printed agenda.",
    "I can't believe they cancelled my flight again without any notice, this is the third time this month.",
    "My grandmother passed away last night and I keep replaying our last phone call in my head.",
    "Ugh, there was a hair baked into my croissant. Never going back to that bakery, seriously.",
    "Thank you so much for the flowers, they made my whole week and the kitchen smells amazing.",
    "Not sure what happened with the update, half my settings are gone and the app keeps logging me out.",
]
LONG = [
    "I wanted to write a proper review because the stay really surprised us. The room was small "
    "but spotless, the staff remembered our names from the first evening, and when our daughter "
    "got sick on the second night the night manager drove to the pharmacy himself. Breakfast was "
    "average and the street can be loud after midnight, but we would come back without a second "
    "thought. Thank you to everyone there for making a stressful trip feel easy.",
    "Dear support team, I have now contacted you four times about the duplicate charge on my "
    "account from last month. Each time I am told it will be refunded within five working days, "
    "and each time nothing happens. I have attached the statements again. If this is not resolved "
    "by Friday I will have no choice but to file a complaint with my bank and cancel my subscription.",
]
PII = [
    "so happy!! email me at jane.doe+news@example.com when you land",
    "call me on +1 415 555 0132 after 6, can't wait to hear the news",
    "Please refund card 4111 1111 1111 1111, I was charged twice and I'm furious.",
    "Transfer it to DE89 3704 0044 0532 0130 00 and let me know, thanks a lot!",
    "ugh @mark_the_shark stop tagging me in those posts, seriously",
    "the invoice is at https://billing.example.com/inv/99812?user=jdoe, why is it so high??",
]


def mix(n: int, seed: int = 0) -> list[str]:
    """``n`` texts in arrival order: 60% short, 30% medium, 10% long, 10% of them with PII."""
    rng = random.Random(seed)
    pools = [SHORT] * 6 + [MEDIUM] * 3 + [LONG]
    return [rng.choice(PII) if rng.random() < PII_SHARE else rng.choice(rng.choice(pools)) for _ in range(n)]


MIXES: dict[str, Callable[[int, int], list[str]]] = {"chat": mix, "documents": documents}
