from miyraa.labels import EMOTIONS, HEADS, INTENTS, SAFETY_CATEGORIES, STYLES, VAD_DIMENSIONS


def test_label_sets_are_the_documented_ones():
    assert EMOTIONS == (
        "joy", "love", "surprise", "sadness", "anger", "fear",
        "disgust", "calm", "excitement", "confusion", "neutral",
    )  # fmt: skip
    assert VAD_DIMENSIONS == ("valence", "arousal", "dominance")
    assert SAFETY_CATEGORIES == ("toxic", "profane", "threatening", "harassment")
    assert STYLES == ("formal", "casual", "assertive", "empathetic", "humorous")
    assert INTENTS == ("statement", "question", "request", "command", "expression", "social")


def test_heads_in_network_order_without_duplicate_labels():
    assert list(HEADS) == ["emotion", "vad", "safety", "style", "intent"]
    for labels in HEADS.values():
        assert len(set(labels)) == len(labels)
