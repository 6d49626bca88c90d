import json

from miyraa.labels import HEADS, label_sets


def test_no_head_repeats_a_label():
    # A repeated label would merge two network outputs into one key of the response's scores.
    for head, labels in HEADS.items():
        assert len(set(labels)) == len(labels), head


def test_label_sets_are_the_heads_as_json_in_network_order():
    recorded = json.loads(json.dumps(label_sets()))  # as model files and store metadata keep them
    assert list(recorded) == list(HEADS)
    assert {head: tuple(labels) for head, labels in recorded.items()} == HEADS
