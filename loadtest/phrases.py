"""The phrase book of the documents mix (loadtest/documents.py): slot fillers, lines and
feelings per emotion, sentences carrying PII (the parts of reviews, emails and posts:
loadtest/genres.py).

A ``{slot}`` in a template is filled with one value of ``SLOTS[slot]`` (a list, or a
function of the random generator for numbers and ids). Templates carry no final
punctuation unless it is part of them (a question); the generator adds it.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable

Slot = list[str] | Callable[[random.Random], str]

EMOTIONS = (
    "joy",
    "anger",
    "sadness",
    "fear",
    "surprise",
    "disgust",
    "love",
    "calm",
    "excitement",
    "confusion",
    "neutral",
)
VALENCE = {
    "joy": "pos", "love": "pos", "calm": "pos", "excitement": "pos", "surprise": "pos",
    "anger": "neg", "sadness": "neg", "fear": "neg", "disgust": "neg",
    "confusion": "neu", "neutral": "neu",
}  # fmt: skip

FIRST_NAMES = [
    "Zoë", "José", "Priya", "Mark", "Aisha", "Tom", "Léa", "Chen", "Olu", "Greta", "Mateo",
    "Hannah", "Björn", "Fatima", "Sam", "Noémie", "Kofi", "Inês", "Dmitri", "Maya",
]  # fmt: skip
LAST_NAMES = ["Martin", "Okafor", "Nguyen", "Silva", "Kowalski", "Brennan", "Haddad", "Larsen", "Müller"]


def _ascii(name: str) -> str:
    """The form a name takes in an address or a handle: "Zoë" -> "zoe"."""
    return unicodedata.normalize("NFKD", name.lower()).encode("ascii", "ignore").decode()


def _ascii_name(r: random.Random) -> str:
    return _ascii(r.choice(FIRST_NAMES))


# Fake but well-formed personal data: test card numbers, the standard example IBANs,
# phone numbers from the ranges kept for fiction (555-01xx, 020 7946 0xxx, 0161 496 0xxx).
PII_SLOTS: dict[str, Slot] = {
    "email": lambda r: (
        f"{_ascii_name(r)}{r.choice(['.', '_', ''])}{_ascii(r.choice(LAST_NAMES))}"
        f"{r.choice(['', '', '+news', str(r.randint(1, 99))])}"
        f"@{r.choice(['gmail.com', 'outlook.com', 'example.com', 'proton.me', 'yahoo.co.uk'])}"
    ),
    "phone": lambda r: r.choice(
        [
            f"+1 415 555 01{r.randint(10, 99)}",
            f"(212) 555-01{r.randint(10, 99)}",
            f"020 7946 0{r.randint(100, 999)}",
            f"+44 20 7946 0{r.randint(100, 999)}",
            f"0161 496 0{r.randint(100, 999)}",
        ]
    ),
    "card": ["4111 1111 1111 1111", "5555 5555 5555 4444", "4012 8888 8888 1881", "3782 822463 10005"],
    "iban": [
        "DE89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
        "NL91 ABNA 0417 1643 00",
        "FR14 2004 1010 0505 0001 3M02 606",
    ],
    "handle": lambda r: f"@{_ascii_name(r)}{r.choice(['_bakes', '_runs', '99', '_official', '_lol', 'x'])}",
    "url": lambda r: (
        f"https://{r.choice(['billing.example.com/inv', 'photos.example.org/album', 'shop.example.net/o'])}"
        f"/{r.randint(1000, 99999)}?user={_ascii_name(r)}"
    ),
}

SLOTS: dict[str, Slot] = {
    "name": FIRST_NAMES,
    "city": [
        "Lisbon", "Málaga", "São Paulo", "Zürich", "Kraków", "Manchester", "Osaka", "Montréal",
        "Austin", "Cork", "Nice", "Reykjavík", "Porto", "Edinburgh",
    ],
    "food": [
        "crème brûlée", "ramen", "fish tacos", "jalapeño poppers", "croissant", "pad thai",
        "risotto", "lasagne", "falafel wrap", "açaí bowl", "steak frites", "carbonara",
        "pho", "cheesecake", "paella",
    ],
    "product": [
        "headphones", "blender", "running shoes", "phone case", "air fryer", "desk lamp",
        "backpack", "e-reader", "robot vacuum", "coffee grinder", "smartwatch", "mattress",
        "kettle", "standing desk", "baby monitor",
    ],
    "company": ["Northwind", "Skyline Air", "Brightbank", "Parcelo", "Fibrenet", "Stayfinder", "Voltra"],
    "shop": ["Tesco", "the garden centre", "IKEA", "the big Lidl", "Target", "the mall"],
    "hotel": ["the Harbour Inn", "Hotel Solara", "the Grand Central", "Casa Azul", "the Old Mill B&B"],
    "restaurant": ["Luigi's", "Café Noé", "the Blue Door", "Sakura House", "El Rincón", "the Crown"],
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "month": ["January", "March", "May", "July", "August", "October", "December"],
    "minutes": ["20 minutes", "45 minutes", "an hour", "two hours", "90 minutes"],
    "days": ["three days", "a week", "two weeks", "10 days", "a month"],
    "ago": ["last week", "a month ago", "in the Black Friday sale", "two weeks ago", "yesterday"],
    "nights": ["two", "three", "four", "five", "seven"],
    "price": lambda r: r.choice(["€", "$", "£"]) + r.choice(["12", "49", "89.99", "129", "249", "19.50"]),
    "order": lambda r: f"#{r.randint(100000, 999999)}",
    "room": lambda r: str(r.randint(2, 14)),
    "hour": ["9am", "10:30", "noon", "2pm", "3pm", "4:15", "5pm"],
    "house": lambda r: str(r.randint(3, 88)),
    "last": LAST_NAMES,
    **PII_SLOTS,
}  # fmt: skip

# One line per message: what a person says, 4 to 10 words before the slots are filled.
LINES: dict[str, list[str]] = {
    "joy": [
        "we got the keys to our first flat today",
        "passed my driving test on the first try",
        "the {food} at {restaurant} was honestly perfect",
        "{name} just told me she's pregnant, best news ever",
        "finally finished the half marathon in {city}",
        "best birthday ever, thank you all so much",
        "sun is out and I'm off work, life is good",
        "got the job at {company}, I start on {day}",
        "the kids made me breakfast in bed today",
    ],
    "anger": [
        "{company} cancelled my flight AGAIN without telling me",
        "I've been on hold for {minutes} and nobody picks up",
        "they charged me twice and refuse to refund it",
        "who parks across two spaces at {shop}, seriously",
        "my landlord has ignored the broken heating for {days}",
        "stop promising delivery dates you never keep",
        "absolutely furious, the {product} broke after {days}",
        "third time {company} has lost my parcel this year",
    ],
    "sadness": [
        "my grandmother passed away last night",
        "missing {name} so much today",
        "didn't get the job, back to applying I guess",
        "we had to put our old dog down this morning",
        "everyone forgot my birthday this year",
        "the house feels so empty since {name} moved out",
        "another rejection letter, running out of hope",
        "last day at {company}, going to miss this team",
    ],
    "fear": [
        "waiting for the biopsy results and I can't breathe",
        "someone has been following me home from the station",
        "I think someone used my card in {city}",
        "interview at {company} tomorrow and I'm terrified",
        "the smoke alarm keeps going off and I can't find why",
        "heard noises downstairs at 3am, too scared to check",
        "the turbulence on this flight is terrifying",
        "my son hasn't answered his phone since {hour}",
    ],
    "surprise": [
        "wait, {name} is moving to {city}?",
        "no way, the {product} arrived a week early",
        "didn't expect the {food} at a petrol station to be good",
        "they upgraded us to a suite for free?!",
        "just found {price} in my old winter jacket",
        "did not see that plot twist coming at all",
        "my landlord actually fixed something on the first ask",
    ],
    "disgust": [
        "there was a hair baked into my {food}",
        "the bathroom at {hotel} had mould everywhere",
        "found a cockroach under the bed, I'm gagging",
        "the fridge at work smells like something died",
        "that {food} tasted like old dishwater, gross",
        "people who don't wash their hands are disgusting",
        "someone spat gum on my seat on the bus",
    ],
    "love": [
        "miss you already, can't wait to see you",
        "twenty years married today and I'd do it all again",
        "{name}, you are the best thing that ever happened to me",
        "my little girl said “I love you” for the first time",
        "so grateful for friends who show up with soup",
        "I adore this tiny café in {city}",
        "our puppy fell asleep on my feet again",
    ],
    "calm": [
        "just chilling with tea and a book, bliss",
        "quiet morning walk by the lake in {city}",
        "finally a slow Sunday with nothing planned",
        "rain on the window and a warm blanket",
        "took a deep breath, it's all going to be fine",
        "the yoga class tonight was exactly what I needed",
        "sitting in the garden listening to the birds",
    ],
    "excitement": [
        "can't wait for {day}, tickets are booked",
        "{city} in two weeks, I'm counting the days",
        "the new {product} drops tomorrow and I'm first in line",
        "we're going to the final, LET'S GO",
        "concert tonight and we're in the front row",
        "first day at {company} tomorrow, so hyped",
        "just booked our honeymoon to {city}",
    ],
    "confusion": [
        "wait, which form do I need for this?",
        "why does the app log me out every five minutes?",
        "not sure if the meeting is at 3 or 4 now",
        "the manual for the {product} makes zero sense",
        "did anyone understand what {name} meant in that email?",
        "how is the train both on time and cancelled?",
        "is the refund for {order} going back to my card?",
    ],
    "neutral": [
        "the meeting has moved to room {room} at {hour}",
        "running {minutes} late, start without me",
        "see you tomorrow at the station",
        "the parcel is with the neighbour at number {house}",
        "reminder: bins go out on {day}",
        "please bring the printed agenda on {day}",
        "I'll pick up {food} on the way home",
        "the plumber is coming {day} between 8 and {hour}",
    ],
}

# Whole sentences that say how the writer feels; they follow a line or sit in a longer text.
FEELINGS: dict[str, list[str]] = {
    "joy": [
        "I honestly can't stop smiling",
        "It made my whole week",
        "Everything just went right for once",
        "Best decision we have made in years",
    ],
    "anger": [
        "This is the third time this has happened",
        "Honestly, I am furious",
        "I want a refund, not another voucher",
        "Nobody takes any responsibility and I am sick of it",
    ],
    "sadness": [
        "I just feel so let down",
        "It is hard not to take it personally",
        "Some days it really hits me",
        "I keep replaying our last conversation in my head",
    ],
    "fear": [
        "I'm honestly scared it will happen again",
        "I barely slept last night worrying about it",
        "My hands are still shaking",
        "I don't know who else to ask and it is frightening",
    ],
    "surprise": [
        "I genuinely did not expect that",
        "Still can't quite believe it",
        "Of all the things that could have happened, that was not on my list",
    ],
    "disgust": [
        "It was genuinely revolting",
        "I felt sick just looking at it",
        "How anyone thinks that is acceptable is beyond me",
    ],
    "love": [
        "I adore everything about it",
        "We fell in love with the place",
        "My heart is so full right now",
    ],
    "calm": [
        "No rush at all, whenever suits you",
        "It was all very relaxed and easy",
        "Exactly the kind of quiet I needed",
    ],
    "excitement": [
        "I can't wait to go back",
        "Counting the days until the next one",
        "I literally screamed when I found out",
    ],
    "confusion": [
        "I'm honestly not sure what I'm supposed to do now",
        "Can someone explain how this is meant to work?",
        "Three people have given me three different answers",
    ],
    "neutral": [
        "Just sharing in case it helps someone",
        "That's all for now",
        "Let me know if anything changes",
    ],
}

INTERJECTIONS = {
    "joy": ["omg", "yay!", "guess what:", "honestly"],
    "anger": ["ugh,", "unbelievable.", "seriously?", "wow."],
    "sadness": ["sigh.", "well,", "honestly"],
    "fear": ["help,", "oh god", "ok so"],
    "surprise": ["wow", "what?!", "ok wait,"],
    "disgust": ["ew", "eww,", "yuck."],
    "love": ["aww", "honestly"],
    "calm": ["ahh", "mm,"],
    "excitement": ["yesss", "omg omg", "ok!!"],
    "confusion": ["um", "hmm,", "sorry,"],
    "neutral": ["fyi", "hi,", "quick note:"],
}
ENDINGS = {
    "joy": ["!", "!!", "!!!", "."],
    "anger": ["!", "!!!", ".", "!!"],
    "sadness": [".", "...", ""],
    "fear": ["...", ".", "!"],
    "surprise": ["!", "!?", "!!"],
    "disgust": [".", "!", "!!"],
    "love": ["!", ".", "!!"],
    "calm": [".", "", "..."],
    "excitement": ["!!", "!!!", "!"],
    "confusion": ["?", "??", "..."],
    "neutral": [".", ""],
}
EMOJI = {
    "joy": ["😂", "🎉", "😊"],
    "anger": ["😡", "🤬"],
    "sadness": ["😢", "💔"],
    "fear": ["😰", "😬"],
    "surprise": ["😮", "🤯"],
    "disgust": ["🤢", "🤮"],
    "love": ["❤️", "🥰"],
    "calm": ["🌿", "☕"],
    "excitement": ["🔥", "🙌"],
    "confusion": ["🤔", "🤷"],
    "neutral": ["👍"],
}


# Sentences that carry one piece of personal data, short enough to fit a chat message.
PII_LINES = [
    "email me at {email} when you land",
    "you can reach me at {email} any time",
    "send the photos to {email} pls",
    "call me on {phone} after 6",
    "my new number is {phone}",
    "text {phone} when you're outside",
    "you charged my card {card} twice",
    "I paid with {card} and got nothing",
    "please send the refund to {iban}",
    "rent goes to {iban} from now on",
    "{handle} stop tagging me in those posts",
    "shoutout to {handle} for the recommendation",
    "the receipt is at {url}",
    "all the photos are here: {url}",
]
