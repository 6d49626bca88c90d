"""Length-grouped embedding returns, in input order, what embedding each text alone returns."""

import torch

from models.network import length_groups
from models.train import default_encoder


def test_grouped_embedding_matches_one_text_at_a_time():
    encoder = default_encoder()
    texts = [
        "ok",
        "A much longer sentence about the weather, the trains and the rest of the day. " * 6,
        "hi there",
        "",
        "x " * 400,
    ]
    together = encoder.embed(texts)
    alone = torch.cat([encoder.embed([t]) for t in texts])
    assert together.shape == (len(texts), 384 * len(encoder.pooling_layers))
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=1e-4)
    ids = encoder.tokenizer(texts, truncation=True, max_length=encoder.max_seq_length)["input_ids"]
    assert [len(x) for x in ids] == [3, 104, 4, 2, encoder.max_seq_length]  # 400 words: truncated
    # the three short texts share a pass; the longer two each need their own
    assert length_groups([len(x) for x in ids], budget=256) == [[3, 0, 2], [1], [4]]
