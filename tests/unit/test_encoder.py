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
    assert max(len(x) for x in ids) == encoder.max_seq_length  # the 400-word text is truncated
    assert len(length_groups([len(x) for x in ids], budget=256)) > 1  # and the groups split
